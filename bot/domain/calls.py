"""Calls for expression of interest (« AMI », convention art. 1 and 2; DOMAIN.md section
3): who may apply, when a call is open, the answers to its questions, the selection
within the quantity it holds and its waiting list, its reminders, and the insurance
certificate a new equipment asks of the body.

Pure: no I/O, instants passed in (aware, UTC), local times read in Europe/Paris.
Refusals are ``DomainError(code, **params)`` with catalog keys. Each reading is a constant
or a table of the block below (decision 0038).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.domain.dates import PARIS, local_date, local_to_utc, to_utc
from bot.domain.deadlines import REMINDER_LOCAL_TIME, Audience, PlannedReminder
from bot.domain.errors import DomainError
from bot.domain.text import units


class Reach(StrEnum):
    """Who a call is for."""

    ALL = "all"
    PUBLIC = "public"
    PRIVATE = "private"
    BODIES = "bodies"  # the schools of chosen bodies
    LEVELS = "levels"  # schools of a level (maternelle, élémentaire, primaire)


class QuestionKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    CHOICE = "choice"
    COMMITMENT = "commitment"  # « l'équipe suivra la formation »: yes or no


class Outcome(StrEnum):
    SELECTED = "selected"
    WAITING = "waiting"  # on the waiting list, served if quantity is freed
    DECLINED = "declined"


# =========================================================================== readings
# Reminders to eligible schools that have not applied: 7 days and 1 day before the
# closing, at 09:00 Paris, never after the closing itself.
CALL_REMINDERS_BEFORE: tuple[timedelta, ...] = (timedelta(days=7), timedelta(days=1))
# The insurance certificate: asked on delivery, reminded every week until accepted,
# staff alerted after a month; a certificate on file is asked again 30 days before it ends.
CERTIFICATE_REMINDER_EVERY = timedelta(days=7)
CERTIFICATE_ESCALATION_AFTER = timedelta(days=30)
CERTIFICATE_RENEWAL_BEFORE = timedelta(days=30)
# A call stays open at least a day, at most a year.
MIN_OPEN = timedelta(days=1)
MAX_OPEN = timedelta(days=366)
MAX_QUESTIONS = 12
MAX_CHOICES = 8
MAX_ANSWER = 1500
MAX_NUMBER = 100_000
# ====================================================================================

KIND_CALL_REMINDER = "call.reminder"  # the campaign's, expanded at its due instant
KIND_CALL_REMINDER_PERSON = "call.reminder.person"  # one person's share of it
KIND_CERTIFICATE_REMINDER = "call.certificate.reminder"
KIND_CERTIFICATE_ESCALATION = "call.certificate.escalation"
KIND_CERTIFICATE_RENEWAL = "call.certificate.renewal"


# --------------------------------------------------------------------------- quantity


@dataclass(frozen=True, slots=True)
class Quantity:
    """What a call holds: ``count`` units, or ``count`` classroom kits of ``kit_size``
    units each (a school is given whole kits)."""

    count: int
    kit_size: int | None = None

    def __post_init__(self) -> None:
        if self.count < 1 or self.count > MAX_NUMBER:
            raise DomainError("call.error.quantity", max=MAX_NUMBER)
        if self.kit_size is not None and not 1 < self.kit_size <= 100:
            raise DomainError("call.error.kit_size", max=100)

    @property
    def units(self) -> int:
        return self.count * (self.kit_size or 1)


def check_allocation(quantity: Quantity, given: Iterable[int], asked: int) -> int:
    """``asked`` more (units, or kits) for one school, beside what is ``given`` already:
    refused beyond what the call holds, naming what is left."""
    if asked < 1:
        raise DomainError("call.error.allocation_positive")
    left = quantity.count - sum(given)
    if asked > left:
        raise DomainError("call.error.over_quantity", left=max(left, 0), asked=asked)
    return asked


@dataclass(frozen=True, slots=True)
class Application:
    """An application as the selection sees it: its id, when it was sent, what it asks."""

    id: int
    sent_at: datetime
    asked: int = 1


def serve_waiting_list(
    quantity: Quantity, given: Iterable[int], waiting: Sequence[Application]
) -> list[Application]:
    """The applications of the waiting list served, in the order they were put on it
    (``waiting`` as given), while what is left covers what each asks; one that asks more
    than is left is passed over for a smaller one behind it."""
    left = quantity.count - sum(given)
    served = []
    for application in waiting:
        if application.asked <= left:
            served.append(application)
            left -= application.asked
    return served


# --------------------------------------------------------------------------- who


@dataclass(frozen=True, slots=True)
class Eligibility:
    reach: Reach
    body_ids: frozenset[int] = frozenset()
    levels: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.reach is Reach.BODIES and not self.body_ids:
            raise DomainError("call.error.no_bodies")
        if self.reach is Reach.LEVELS and not self.levels:
            raise DomainError("call.error.no_levels")

    def admits(self, *, sector: str, body_id: int, level: str | None) -> bool:
        """May a school of this sector, body and level apply?"""
        if self.reach is Reach.ALL:
            return True
        if self.reach is Reach.PUBLIC:
            return sector == "public"
        if self.reach is Reach.PRIVATE:
            return sector == "private"
        if self.reach is Reach.BODIES:
            return body_id in self.body_ids
        return level is not None and level in self.levels


# --------------------------------------------------------------------------- when


@dataclass(frozen=True, slots=True)
class Window:
    """When a call takes applications: from ``opens_at`` (included) to ``closes_at``
    (excluded), both UTC instants."""

    opens_at: datetime
    closes_at: datetime

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= to_utc(now) < self.closes_at

    def is_locked(self, now: datetime) -> bool:
        """Applications are locked from the closing instant on."""
        return to_utc(now) >= self.closes_at


def window(opens_on: date, opens_at: time, closes_on: date, closes_at: time) -> Window:
    """A call's window from wall-clock days and times in Paris (a DST change in between
    moves nothing: each end is read on its own day)."""
    start = local_to_utc(opens_on, opens_at, PARIS)
    end = local_to_utc(closes_on, closes_at, PARIS)
    if end - start < MIN_OPEN:
        raise DomainError("call.error.window_short")
    if end - start > MAX_OPEN:
        raise DomainError("call.error.window_long")
    return Window(start, end)


def check_publishable(call_window: Window, now: datetime) -> None:
    """A call is published before it closes (it may open later, or already)."""
    if call_window.is_locked(now):
        raise DomainError("call.error.closed_already")


def check_can_apply(call_window: Window, now: datetime) -> None:
    if to_utc(now) < call_window.opens_at:
        raise DomainError("call.error.not_open_yet")
    if call_window.is_locked(now):
        raise DomainError("call.error.closed")


def extend(call_window: Window, closes_on: date, closes_at: time, now: datetime) -> Window:
    """A later closing (applicants are told): later than the present one, still ahead."""
    new_end = local_to_utc(closes_on, closes_at, PARIS)
    if new_end <= call_window.closes_at or new_end <= to_utc(now):
        raise DomainError("call.error.extend_earlier")
    if new_end - call_window.opens_at > MAX_OPEN:
        raise DomainError("call.error.window_long")
    return Window(call_window.opens_at, new_end)


# --------------------------------------------------------------------------- questions


@dataclass(frozen=True, slots=True)
class Question:
    kind: QuestionKind
    label: str
    choices: tuple[str, ...] = ()
    required: bool = True
    # A number's bounds.
    minimum: int = 0
    maximum: int = MAX_NUMBER

    def __post_init__(self) -> None:
        if self.kind is QuestionKind.CHOICE and not 2 <= len(self.choices) <= MAX_CHOICES:
            raise DomainError("call.error.choices", max=MAX_CHOICES)


YES, NO = "yes", "no"


def check_answer(question: Question, raw: str | None) -> str | int | None:
    """An answer as typed or tapped, checked against its question: a text said and short
    enough; a whole number within bounds; one of the choices; yes or no to a commitment
    (a required commitment must be yes: the call asks schools to commit)."""
    text = (raw or "").strip()
    if not text:
        if question.required:
            raise DomainError("call.error.answer_required")
        return None
    if question.kind is QuestionKind.TEXT:
        if units(text) > MAX_ANSWER:
            raise DomainError("call.error.answer_too_long", max=MAX_ANSWER)
        return text
    if question.kind is QuestionKind.NUMBER:
        digits = text.replace(" ", "").replace("\u202f", "").replace("\xa0", "")
        if not digits.isdigit():
            raise DomainError("call.error.number_expected")
        value = int(digits)
        if not question.minimum <= value <= question.maximum:
            raise DomainError(
                "call.error.number_range", minimum=question.minimum, maximum=question.maximum
            )
        return value
    if question.kind is QuestionKind.CHOICE:
        if text not in question.choices:
            raise DomainError("call.error.choice_expected")
        return text
    if text not in (YES, NO):
        raise DomainError("call.error.yes_no")
    if question.required and text != YES:
        raise DomainError("call.error.commitment_required")
    return text


def check_questions(questions: Sequence[Question]) -> tuple[Question, ...]:
    if len(questions) > MAX_QUESTIONS:
        raise DomainError("call.error.too_many_questions", max=MAX_QUESTIONS)
    return tuple(questions)


# --------------------------------------------------------------------------- reminders


def _at_nine(day: date) -> datetime:
    return local_to_utc(day, REMINDER_LOCAL_TIME, PARIS)


def plan_call_reminders(call_window: Window, now: datetime) -> list[PlannedReminder]:
    """7 days and 1 day before the closing, at 09:00 Paris, those still ahead and before
    the closing; the renderer sends them only to eligible schools that have not applied."""
    planned = []
    closing_day = local_date(call_window.closes_at, PARIS)
    for before in CALL_REMINDERS_BEFORE:
        due = _at_nine(closing_day - before)
        if to_utc(now) < due < call_window.closes_at and due >= call_window.opens_at:
            planned.append(
                PlannedReminder(
                    KIND_CALL_REMINDER,
                    due,
                    Audience.REPORTER,
                    f"call:{before.days}d",
                    deadline=call_window.closes_at,
                )
            )
    return planned


def needs_reminder(*, eligible: bool, applied: bool) -> bool:
    """Only eligible schools that have not applied are reminded; never those that have."""
    return eligible and not applied


@dataclass(frozen=True, slots=True)
class Certificate:
    """An insurance certificate on file: the days it covers."""

    valid_from: date
    valid_until: date

    def __post_init__(self) -> None:
        if self.valid_until < self.valid_from:
            raise DomainError("call.error.certificate_dates")

    def covers(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until


def plan_certificate_reminders(asked_at: datetime, number: int) -> list[PlannedReminder]:
    """The ``number``-th weekly reminder to the body of a certificate still awaited, and,
    on the first, the escalation to staff a month after it was asked."""
    planned = [
        PlannedReminder(
            KIND_CERTIFICATE_REMINDER,
            _at_nine(local_date(asked_at + CERTIFICATE_REMINDER_EVERY * number, PARIS)),
            Audience.COMMUNE,
            f"certificate:{number}",
        )
    ]
    if number == 1:
        planned.append(
            PlannedReminder(
                KIND_CERTIFICATE_ESCALATION,
                _at_nine(local_date(asked_at + CERTIFICATE_ESCALATION_AFTER, PARIS)),
                Audience.STAFF,
                "certificate:escalation",
            )
        )
    return planned


def plan_certificate_renewal(certificate: Certificate, now: datetime) -> list[PlannedReminder]:
    """A certificate on file asked again 30 days before it ends (at once when nearer)."""
    due = max(_at_nine(certificate.valid_until - CERTIFICATE_RENEWAL_BEFORE), to_utc(now))
    return [
        PlannedReminder(
            KIND_CERTIFICATE_RENEWAL,
            due,
            Audience.COMMUNE,
            f"certificate:renewal:{certificate.valid_until.isoformat()}",
            deadline=_at_nine(certificate.valid_until),
        )
    ]
