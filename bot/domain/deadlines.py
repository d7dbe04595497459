"""Reminder planning: which reminders a claim owes, and when (pure, time injected).

The scheduler stores each ``PlannedReminder`` as a row (``due_at``, ``kind``, audience,
dedupe ``key``) and a sweep sends it once. ``kind`` is the message-catalog key.

Readings kept here:
* the 48 h duties are counted in elapsed UTC hours (decision 0005): reminders at +24 h
  and +44 h to the commune, escalation to staff at +48 h;
* « dans un délai maximum d'un an, à compter de l'établissement du dossier complet »: the
  commune may pay up to and including the same calendar date one year later (29 February
  → 28 February, see ``dates.anniversary``); reminders 60, 30 and 7 days before, at
  09:00 Paris; escalation to staff the day after the deadline at 09:00 Paris;
* the 15-day recovery window: one reminder to the commune 3 days before its last day.

The instants here are those the convention gives; a reminder that falls in the quiet
hours is stored at a daytime slot before its ``deadline`` when planned (quiet_hours.py,
decision 0023).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.claims import (
    duties_deadline,
    recovery_request_deadline,
    recovery_request_last_day,
)
from bot.domain.dates import PARIS, anniversary, local_to_utc, start_of_local_day, to_utc


class Audience(StrEnum):
    COMMUNE = "commune"
    STAFF = "staff"
    REPORTER = "reporter"


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    kind: str  # catalog key, e.g. "claim.duties.reminder"
    due_at: datetime  # aware UTC
    audience: Audience
    key: str  # stable suffix to deduplicate, e.g. "duties:24h"
    # When the reminded thing is due (the 48 h, the last day to pay…): quiet hours never
    # move a reminder past it when an earlier daytime slot is left (quiet_hours.py).
    deadline: datetime | None = None

    @property
    def escalation(self) -> bool:
        """Staff told of a deadline missed: at night, it waits for the morning."""
        return self.audience is Audience.STAFF


# ------------------------------------------------------------------ readings (one place)
DUTY_REMINDER_OFFSETS: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=44))
PAYMENT_DEADLINE_YEARS = 1
PAYMENT_REMINDER_DAYS_BEFORE: tuple[int, ...] = (60, 30, 7)
PAYMENT_ESCALATION_DAYS_AFTER = 1
RECOVERY_REMINDER_DAYS_BEFORE = 3
# The convention sets no date for the reimbursement pledge; reading (decision 0011): the
# commune is reminded 30 days after the discovery, staff alerted after 60.
PLEDGE_REMINDER_AFTER = timedelta(days=30)
PLEDGE_ESCALATION_AFTER = timedelta(days=60)
REMINDER_LOCAL_TIME = time(9, 0)  # calendar-day reminders go out at 09:00 Paris
# -------------------------------------------------------------------------------------

KIND_DUTIES_REMINDER = "claim.duties.reminder"
KIND_DUTIES_ESCALATION = "claim.duties.escalation"
KIND_PAYMENT_REMINDER = "claim.payment.reminder"
KIND_PAYMENT_ESCALATION = "claim.payment.escalation"
KIND_RECOVERY_REMINDER = "claim.recovery.reminder"
# At the window's close: without a request the items become the insurer's (the sweep
# records it and tells staff and the body).
KIND_RECOVERY_EXPIRY = "claim.recovery.expiry"
KIND_PLEDGE_REMINDER = "claim.pledge.reminder"
KIND_PLEDGE_ESCALATION = "claim.pledge.escalation"


def _hours(delta: timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def _not_past(reminders: Sequence[PlannedReminder], now: datetime | None) -> list[PlannedReminder]:
    """Drop reminders to the commune already past at ``now``; escalations are kept."""
    if now is None:
        return list(reminders)
    cutoff = to_utc(now, "now")
    return [r for r in reminders if r.audience is Audience.STAFF or r.due_at > cutoff]


def plan_duty_reminders(
    discovered_at: datetime, now: datetime | None = None
) -> list[PlannedReminder]:
    """Reminders of the 48 h duties, counted in elapsed time (a DST change does not move them).

    With ``now`` (e.g. a report typed 30 h after the discovery), reminders already past are
    left out; the escalation is always planned (it fires at once if the deadline passed).
    """
    start = to_utc(discovered_at, "discovered_at")
    planned = [
        PlannedReminder(
            kind=KIND_DUTIES_REMINDER,
            due_at=start + offset,
            audience=Audience.COMMUNE,
            key=f"duties:{_hours(offset)}h",
            deadline=duties_deadline(start),
        )
        for offset in DUTY_REMINDER_OFFSETS
    ]
    planned.append(
        PlannedReminder(
            kind=KIND_DUTIES_ESCALATION,
            due_at=duties_deadline(start),
            audience=Audience.STAFF,
            key="duties:escalation",
        )
    )
    return _not_past(planned, now)


def payment_deadline(completed_on: date) -> date:
    """The last day the commune may pay SEM (included)."""
    return anniversary(completed_on, PAYMENT_DEADLINE_YEARS)


def payment_due_at(completed_on: date, tz: ZoneInfo = PARIS) -> datetime:
    """The instant the payment window closes: the end of ``payment_deadline`` (00:00 of
    the next day in ``tz``), in UTC. Kept on the claim so that the queue sorts in SQL."""
    return local_to_utc(payment_deadline(completed_on) + timedelta(days=1), time(0, 0), tz)


def last_day(deadline: datetime, tz: ZoneInfo = PARIS) -> date | None:
    """The last day included of a deadline that closes at midnight (``payment_due_at``),
    or None for a deadline at another time of day (the 48 h duties), shown with its hour.

    A deadline at 00:00 on the 13th is "the 12th included": shown as a day, it reads the
    same wherever it appears (the card's « au plus tard le », the queue's « échéance »)."""
    local = to_utc(deadline, "deadline").astimezone(tz)
    if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
        return None
    return local.date() - timedelta(days=1)


def plan_payment_reminders(
    completed_on: date, tz: ZoneInfo = PARIS, now: datetime | None = None
) -> list[PlannedReminder]:
    deadline = payment_deadline(completed_on)
    pay_by = start_of_local_day(deadline + timedelta(days=1), tz)  # the last day included
    planned = [
        PlannedReminder(
            kind=KIND_PAYMENT_REMINDER,
            due_at=local_to_utc(deadline - timedelta(days=days), REMINDER_LOCAL_TIME, tz),
            audience=Audience.COMMUNE,
            key=f"payment:d-{days}",
            deadline=pay_by,
        )
        for days in PAYMENT_REMINDER_DAYS_BEFORE
    ]
    planned.append(
        PlannedReminder(
            kind=KIND_PAYMENT_ESCALATION,
            due_at=local_to_utc(
                deadline + timedelta(days=PAYMENT_ESCALATION_DAYS_AFTER), REMINDER_LOCAL_TIME, tz
            ),
            audience=Audience.STAFF,
            key="payment:escalation",
        )
    )
    return _not_past(planned, now)


def plan_recovery_reminders(
    told_at: datetime,
    tz: ZoneInfo = PARIS,
    now: datetime | None = None,
    *,
    recovery_id: int | None = None,
) -> list[PlannedReminder]:
    """One reminder to the commune, 09:00 Paris, 3 days before the window's last day; with
    a ``recovery_id``, also the window's close itself (keys of that recovery)."""
    last_day = recovery_request_last_day(told_at, tz)
    base = "recovery" if recovery_id is None else str(recovery_id)
    planned = [
        PlannedReminder(
            kind=KIND_RECOVERY_REMINDER,
            due_at=local_to_utc(
                last_day - timedelta(days=RECOVERY_REMINDER_DAYS_BEFORE), REMINDER_LOCAL_TIME, tz
            ),
            audience=Audience.COMMUNE,
            key=f"{base}:d-{RECOVERY_REMINDER_DAYS_BEFORE}",
            deadline=start_of_local_day(last_day + timedelta(days=1), tz),
        )
    ]
    if recovery_id is not None:
        planned.append(
            PlannedReminder(
                kind=KIND_RECOVERY_EXPIRY,
                due_at=recovery_request_deadline(told_at, tz),
                audience=Audience.STAFF,  # the staff's side of the sweep: kept when past
                key=f"{base}:expiry",
            )
        )
    return _not_past(planned, now)


def plan_pledge_reminders(
    discovered_at: datetime, now: datetime | None = None
) -> list[PlannedReminder]:
    """The pledge, while it has not come: the commune reminded, then staff alerted."""
    start = to_utc(discovered_at, "discovered_at")
    planned = [
        PlannedReminder(
            kind=KIND_PLEDGE_REMINDER,
            due_at=start + PLEDGE_REMINDER_AFTER,
            audience=Audience.COMMUNE,
            key="pledge:reminder",
            deadline=start + PLEDGE_ESCALATION_AFTER,
        ),
        PlannedReminder(
            kind=KIND_PLEDGE_ESCALATION,
            due_at=start + PLEDGE_ESCALATION_AFTER,
            audience=Audience.STAFF,
            key="pledge:escalation",
        ),
    ]
    return _not_past(planned, now)


def earliest(*deadlines: datetime | None) -> datetime | None:
    """A ticket's next deadline: the earliest of those still open (``None`` when none is)."""
    present = [d for d in deadlines if d is not None]
    return min(present) if present else None
