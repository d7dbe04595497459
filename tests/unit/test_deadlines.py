"""Reminders of a claim: 48 h duties, one-year payment, 15-day recovery window."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.domain.claims import duties_deadline
from bot.domain.dates import PARIS
from bot.domain.deadlines import (
    Audience,
    PlannedReminder,
    last_day,
    payment_deadline,
    payment_due_at,
    plan_duty_reminders,
    plan_payment_reminders,
    plan_recovery_reminders,
)


def paris(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=PARIS)


def shown_in_paris(reminder: PlannedReminder) -> str:
    return reminder.due_at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M %Z")


# ---------------------------------------------------------------- 48 h duties


def test_duty_reminders_at_24_and_44_hours_then_escalation_at_48() -> None:
    discovered = datetime(2026, 5, 4, 7, 30, tzinfo=UTC)
    planned = plan_duty_reminders(discovered)
    assert [(r.kind, r.due_at, r.audience, r.key) for r in planned] == [
        ("claim.duties.reminder", discovered + timedelta(hours=24), Audience.COMMUNE, "duties:24h"),
        ("claim.duties.reminder", discovered + timedelta(hours=44), Audience.COMMUNE, "duties:44h"),
        (
            "claim.duties.escalation",
            discovered + timedelta(hours=48),
            Audience.STAFF,
            "duties:escalation",
        ),
    ]
    assert all(r.due_at.tzinfo is UTC for r in planned)
    assert planned[0].audience == "commune"  # a plain str for the storage layer


def test_48_hours_across_the_spring_dst_change_is_49_hours_on_the_wall_clock() -> None:
    # discovered Saturday 28/03/2026 10:00 Paris (CET); the clocks jump on Sunday at 02:00
    discovered = paris(2026, 3, 28, 10, 0)
    deadline = duties_deadline(discovered)
    assert deadline == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    assert deadline.astimezone(PARIS).strftime("%d/%m/%Y %H:%M %Z") == "30/03/2026 11:00 CEST"
    assert [shown_in_paris(r) for r in plan_duty_reminders(discovered)] == [
        "29/03/2026 11:00 CEST",
        "30/03/2026 07:00 CEST",
        "30/03/2026 11:00 CEST",
    ]


def test_48_hours_across_the_autumn_dst_change_is_47_hours_on_the_wall_clock() -> None:
    discovered = paris(2026, 10, 24, 10, 0)  # CEST; the clocks go back on 25/10 at 03:00
    deadline = duties_deadline(discovered)
    assert deadline == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert deadline.astimezone(PARIS).strftime("%d/%m/%Y %H:%M %Z") == "26/10/2026 09:00 CET"
    assert shown_in_paris(plan_duty_reminders(discovered)[-1]) == "26/10/2026 09:00 CET"


def test_reminders_already_past_are_dropped_but_the_escalation_is_kept() -> None:
    discovered = datetime(2026, 5, 4, 7, 30, tzinfo=UTC)
    late_report = discovered + timedelta(hours=30)
    assert [r.key for r in plan_duty_reminders(discovered, now=late_report)] == [
        "duties:44h",
        "duties:escalation",
    ]
    very_late = discovered + timedelta(hours=60)
    assert [r.key for r in plan_duty_reminders(discovered, now=very_late)] == ["duties:escalation"]


# ---------------------------------------------------------------- one-year payment


def test_the_payment_deadline_is_the_same_date_one_year_later() -> None:
    assert payment_deadline(date(2026, 3, 3)) == date(2027, 3, 3)
    assert payment_deadline(date(2026, 12, 31)) == date(2027, 12, 31)


def test_from_29_february_the_payment_deadline_is_28_february() -> None:
    assert payment_deadline(date(2028, 2, 29)) == date(2029, 2, 28)
    assert payment_deadline(date(2027, 2, 28)) == date(2028, 2, 28)


def test_payment_reminders_60_30_7_days_before_then_escalation_the_day_after() -> None:
    planned = plan_payment_reminders(date(2026, 6, 15))  # deadline 15/06/2027
    assert [(r.key, r.audience, shown_in_paris(r)) for r in planned] == [
        ("payment:d-60", Audience.COMMUNE, "16/04/2027 09:00 CEST"),
        ("payment:d-30", Audience.COMMUNE, "16/05/2027 09:00 CEST"),
        ("payment:d-7", Audience.COMMUNE, "08/06/2027 09:00 CEST"),
        ("payment:escalation", Audience.STAFF, "16/06/2027 09:00 CEST"),
    ]
    assert [r.kind for r in planned] == ["claim.payment.reminder"] * 3 + [
        "claim.payment.escalation"
    ]
    assert planned[0].due_at == datetime(2027, 4, 16, 7, 0, tzinfo=UTC)


def test_payment_reminders_stay_at_nine_in_winter() -> None:
    planned = plan_payment_reminders(date(2026, 1, 20))  # deadline 20/01/2027
    assert planned[-1].due_at == datetime(2027, 1, 21, 8, 0, tzinfo=UTC)
    assert shown_in_paris(planned[0]) == "21/11/2026 09:00 CET"


def test_past_payment_reminders_are_dropped() -> None:
    now = datetime(2027, 5, 20, tzinfo=UTC)
    assert [r.key for r in plan_payment_reminders(date(2026, 6, 15), now=now)] == [
        "payment:d-7",
        "payment:escalation",
    ]


# ---------------------------------------------------------------- 15-day recovery window


def test_recovery_reminder_three_days_before_the_last_day() -> None:
    told = paris(2026, 3, 1, 16, 30)  # last day: 16/03/2026
    (reminder,) = plan_recovery_reminders(told)
    assert (reminder.kind, reminder.audience, reminder.key) == (
        "claim.recovery.reminder",
        Audience.COMMUNE,
        "recovery:d-3",
    )
    assert shown_in_paris(reminder) == "13/03/2026 09:00 CET"


def test_no_recovery_reminder_once_past() -> None:
    told = paris(2026, 3, 1, 16, 30)
    assert plan_recovery_reminders(told, now=paris(2026, 3, 14)) == []


def test_the_pledge_is_reminded_after_30_days_and_escalated_after_60() -> None:
    from bot.domain.deadlines import plan_pledge_reminders

    discovered = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
    planned = plan_pledge_reminders(discovered)
    assert [(p.kind, p.due_at, p.audience.value, p.key) for p in planned] == [
        (
            "claim.pledge.reminder",
            datetime(2026, 4, 9, 7, 0, tzinfo=UTC),
            "commune",
            "pledge:reminder",
        ),
        (
            "claim.pledge.escalation",
            datetime(2026, 5, 9, 7, 0, tzinfo=UTC),
            "staff",
            "pledge:escalation",
        ),
    ]


def test_a_tickets_next_deadline_is_the_earliest_still_open() -> None:
    from bot.domain.deadlines import earliest

    soon = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    later = datetime(2027, 3, 3, 23, 0, tzinfo=UTC)
    assert earliest(later, None, soon) == soon
    assert earliest(None, later) == later
    assert earliest() is None
    assert earliest(None, None) is None


def test_a_recovery_after_the_indemnity_plans_its_reminder_and_its_close() -> None:
    told = paris(2026, 3, 10, 10, 0)
    reminder, close = plan_recovery_reminders(told, recovery_id=7)
    assert (reminder.key, close.key) == ("7:d-3", "7:expiry")
    assert close.kind == "claim.recovery.expiry"
    assert close.due_at == paris(2026, 3, 26, 0, 0).astimezone(UTC)  # 25 March, 24:00
    # Planned late (the day before the close): the reminder is past, the close is kept.
    (only,) = plan_recovery_reminders(told, now=paris(2026, 3, 25, 12, 0), recovery_id=7)
    assert only.key == "7:expiry"


@pytest.mark.parametrize(
    "completed_on",
    [
        date(2026, 3, 3),
        date(2026, 3, 28),
        date(2026, 10, 24),
        date(2028, 2, 29),
        date(2026, 12, 31),
    ],
)
def test_the_payment_window_closes_at_the_end_of_its_last_day_and_reads_as_that_day(
    completed_on: date,
) -> None:
    """The card's « au plus tard le » and the queue's « échéance » name the same day."""
    due = payment_due_at(completed_on)
    assert due.astimezone(PARIS).time() == time(0, 0)
    assert last_day(due) == payment_deadline(completed_on)


def test_a_deadline_at_another_hour_has_no_last_day_and_shows_its_time() -> None:
    assert last_day(datetime(2026, 3, 12, 8, 0, tzinfo=UTC)) is None
    assert last_day(datetime(2026, 3, 12, 23, 0, tzinfo=UTC)) == date(2026, 3, 12)  # 00:00 Paris
