"""Notices a school's body or head gives SEM: works, shared premises, moves, fibre, class
openings and closures, and SEM's request to take the body's own equipment off the
school's network (convention art. 1 and 2; DOMAIN.md section 4).

Pure: no I/O, dates and instants passed in. Refusals are ``DomainError(code, **params)``
with catalog keys. Each reading is a table or a constant of the block below (decision
0034).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from bot.domain.dates import PARIS, local_date, local_to_utc
from bot.domain.deadlines import REMINDER_LOCAL_TIME, Audience, PlannedReminder
from bot.domain.errors import DomainError
from bot.domain.text import units


class NoticeKind(StrEnum):
    WORKS = "works"  # works, shared premises, a move (art. 2)
    FIBRE = "fibre"  # the school is eligible to FTTH, or the fibre is in (art. 2)
    CLASS = "class"  # a class opens or closes (art. 1)
    NETWORK = "network"  # the body's own equipment on the school's network (art. 2)


class WorksKind(StrEnum):
    CONSTRUCTION = "construction"
    RENOVATION = "renovation"
    RESTRUCTURING = "restructuring"
    SHARED_PREMISES = "shared_premises"
    MOVE = "move"
    FIBRE_WORKS = "fibre_works"
    NETWORK_WORKS = "network_works"
    OTHER = "other"


class FibreNews(StrEnum):
    ELIGIBLE = "eligible"  # the school can be connected: SEM orders the migration
    INSTALLED = "installed"  # the fibre reached the network cabinet


class ClassChange(StrEnum):
    OPENING = "opening"
    CLOSING = "closing"


class TrainingReason(StrEnum):
    """Why the school's teachers need training by the Education Nationale (art. 1)."""

    NEW_EQUIPMENT = "new_equipment"
    POST_CHANGE = "post_change"
    STRUCTURE_CHANGE = "structure_change"  # a class opens or closes


class Recommendation(StrEnum):
    """SEM's standing recommendations to a body doing works (art. 2)."""

    NO_FIXING = "no_fixing"  # SEM does no fixing nor cabling: the body's works
    FOLLOW_PLAN = "follow_plan"  # the works follow the plan's recommendations
    CABINET_REACHABLE = "cabinet_reachable"  # keep the network cabinet reachable
    FIBRE_TO_CABINET = "fibre_to_cabinet"  # fibre from the street to the cabinet: the body's
    PROTECT_EQUIPMENT = "protect_equipment"  # protect or move SEM's equipment beforehand
    NETWORK_OWN_EQUIPMENT = "network_own_equipment"  # none of the body's on the network
    TELL_THE_NEW_PLACE = "tell_the_new_place"  # a move: where the equipment goes


# =========================================================================== readings
# What each kind of works is told (art. 2): every body hears that SEM neither fixes nor
# cables and that its equipment must be protected; works that touch the network or the
# premises' layout hear of the network cabinet; fibre works of the street-to-cabinet
# duty; a move of telling where the equipment goes.
_ALWAYS = (Recommendation.NO_FIXING, Recommendation.FOLLOW_PLAN, Recommendation.PROTECT_EQUIPMENT)
RECOMMENDATIONS: Mapping[WorksKind, tuple[Recommendation, ...]] = MappingProxyType(
    {
        WorksKind.CONSTRUCTION: (
            *_ALWAYS,
            Recommendation.CABINET_REACHABLE,
            Recommendation.FIBRE_TO_CABINET,
        ),
        WorksKind.RENOVATION: (*_ALWAYS, Recommendation.CABINET_REACHABLE),
        WorksKind.RESTRUCTURING: (*_ALWAYS, Recommendation.CABINET_REACHABLE),
        WorksKind.SHARED_PREMISES: (*_ALWAYS, Recommendation.NETWORK_OWN_EQUIPMENT),
        WorksKind.MOVE: (
            *_ALWAYS,
            Recommendation.TELL_THE_NEW_PLACE,
            Recommendation.CABINET_REACHABLE,
        ),
        WorksKind.FIBRE_WORKS: (
            *_ALWAYS,
            Recommendation.FIBRE_TO_CABINET,
            Recommendation.CABINET_REACHABLE,
        ),
        WorksKind.NETWORK_WORKS: (
            *_ALWAYS,
            Recommendation.CABINET_REACHABLE,
            Recommendation.NETWORK_OWN_EQUIPMENT,
        ),
        WorksKind.OTHER: _ALWAYS,
    }
)
# Works: the school is asked a week before the start to protect or move the equipment,
# and the day after the end to confirm it is back in place.
WORKS_REMINDER_BEFORE = timedelta(days=7)
WORKS_RETURN_AFTER = timedelta(days=1)
# A class closure: reminders two weeks and two days before the closing date.
CLOSURE_REMINDERS_BEFORE: tuple[timedelta, ...] = (timedelta(days=14), timedelta(days=2))
# The body's equipment on the school's network: the body is reminded after 15 days,
# staff alerted after 30 if the body has not confirmed the disconnection.
NETWORK_REMINDER_AFTER = timedelta(days=15)
NETWORK_ESCALATION_AFTER = timedelta(days=30)
# A fibre migration to order: staff reminded every 30 days until it is done.
FIBRE_REMINDER_EVERY = timedelta(days=30)
# How far ahead a notice may be dated (a works project told « dès le début »).
MAX_AHEAD = timedelta(days=3 * 366)
MAX_DESCRIPTION = 2000
MAX_ROOMS = 300
MAX_CLASS_NAME = 80
# ====================================================================================

KIND_WORKS_BEFORE = "notice.works.before"
KIND_WORKS_RETURN = "notice.works.return"
KIND_CLOSURE_REMINDER = "notice.closure.reminder"
KIND_NETWORK_REMINDER = "notice.network.reminder"
KIND_NETWORK_ESCALATION = "notice.network.escalation"
KIND_FIBRE_REMINDER = "notice.fibre.reminder"


def recommendations(kind: WorksKind | str) -> tuple[Recommendation, ...]:
    return RECOMMENDATIONS[WorksKind(kind)]


@dataclass(frozen=True, slots=True)
class Period:
    """When works run: from a day, to a day or open-ended (« à partir de »)."""

    start: date
    end: date | None = None


def check_period(start: date, end: date | None, today: date) -> Period:
    """A works period: an end before the start is refused; a start may be in the past
    (works already begun are still worth telling) but not an end, and neither too far."""
    if end is not None and end < start:
        raise DomainError("notice.error.end_before_start")
    if end is not None and end < today:
        raise DomainError("notice.error.ended")
    if start > today + MAX_AHEAD:
        raise DomainError("notice.error.too_far")
    return Period(start, end)


def check_class_date(day: date, change: ClassChange | str, today: date) -> date:
    """A class opening or closure: a closure in the past is refused (the equipment must
    be collected before it); an opening may be told after the fact."""
    if ClassChange(change) is ClassChange.CLOSING and day < today:
        raise DomainError("notice.error.closure_past")
    if day > today + MAX_AHEAD:
        raise DomainError("notice.error.too_far")
    return day


def training_reason(kind: NoticeKind, change: ClassChange | None = None) -> TrainingReason | None:
    """The training need a notice records: a class change is a change of the school's
    structure; works and the network record none."""
    if kind is NoticeKind.CLASS and change is not None:
        return TrainingReason.STRUCTURE_CHANGE
    return None


def _at_nine(day: date) -> datetime:
    return local_to_utc(day, REMINDER_LOCAL_TIME, PARIS)


def plan_works_reminders(period: Period, now: datetime) -> list[PlannedReminder]:
    """A week before the start (if still ahead): protect or move the equipment; the day
    after the end (when known): confirm the equipment is back in place."""
    planned: list[PlannedReminder] = []
    before = _at_nine(period.start - WORKS_REMINDER_BEFORE)
    if before > now:
        planned.append(
            PlannedReminder(
                KIND_WORKS_BEFORE,
                before,
                Audience.REPORTER,
                "works:before",
                deadline=_at_nine(period.start),
            )
        )
    if period.end is not None:
        planned.append(
            PlannedReminder(
                KIND_WORKS_RETURN,
                max(_at_nine(period.end + WORKS_RETURN_AFTER), now),
                Audience.REPORTER,
                "works:return",
            )
        )
    return planned


def plan_closure_reminders(closing: date, now: datetime) -> list[PlannedReminder]:
    """Two weeks and two days before the closing date, those still ahead."""
    planned = []
    for before in CLOSURE_REMINDERS_BEFORE:
        due = _at_nine(closing - before)
        if due > now:
            planned.append(
                PlannedReminder(
                    KIND_CLOSURE_REMINDER,
                    due,
                    Audience.REPORTER,
                    f"closure:{before.days}d",
                    deadline=_at_nine(closing),
                )
            )
    return planned


def plan_network_reminders(asked_at: datetime) -> list[PlannedReminder]:
    """The body reminded after 15 days, staff alerted after 30 (both at 09:00 Paris)."""
    return [
        PlannedReminder(
            KIND_NETWORK_REMINDER,
            _at_nine(local_date(asked_at + NETWORK_REMINDER_AFTER, PARIS)),
            Audience.COMMUNE,
            "network:15d",
        ),
        PlannedReminder(
            KIND_NETWORK_ESCALATION,
            _at_nine(local_date(asked_at + NETWORK_ESCALATION_AFTER, PARIS)),
            Audience.STAFF,
            "network:30d",
        ),
    ]


def plan_fibre_reminder(since: datetime, round_: int) -> PlannedReminder:
    """The ``round_``-th reminder to staff of a migration still to order or finish."""
    return PlannedReminder(
        KIND_FIBRE_REMINDER,
        _at_nine(local_date(since + FIBRE_REMINDER_EVERY * round_, PARIS)),
        Audience.STAFF,
        f"fibre:{round_}",
    )


def text_of(typed: str | None, *, limit: int, code: str, required: bool = True) -> str | None:
    """A free text of a notice: said (when required), at most ``limit`` characters."""
    text = (typed or "").strip()
    if not text:
        if required:
            raise DomainError(f"notice.error.{code}_required")
        return None
    if units(text) > limit:
        raise DomainError(f"notice.error.{code}_too_long", max=limit)
    return text
