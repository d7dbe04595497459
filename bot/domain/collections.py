"""Unused and broken equipment: who handles it, the states it goes through, and the day a
collection round is proposed (convention art. 1, 3 and 4; DOMAIN.md section 2).

Pure: no I/O; the calendar is passed in (``bot.domain.calendar``). Refusals are
``DomainError(code, **params)`` with catalog keys. Each reading is a table or constant of
the block below (decision 0028).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from bot.domain.calendar import SchoolCalendar
from bot.domain.dates import PARIS, local_date, local_to_utc
from bot.domain.deadlines import REMINDER_LOCAL_TIME, Audience, PlannedReminder
from bot.domain.errors import DomainError
from bot.domain.text import units


class Condition(StrEnum):
    BROKEN = "broken"  # « hors d'usage »
    UNUSED = "unused"  # works, but nobody uses it


class Route(StrEnum):
    SEM_COLLECTS = "sem_collects"  # SEM's own item: staff plan its repair or collection
    BODY_REMOVES = "body_removes"  # the body's broken item: it removes and recycles it
    BODY_KEEPS = "body_keeps"  # the body's unused item: its own business, not collected


class ItemState(StrEnum):
    IN_SERVICE = "in_service"
    UNUSED = "unused"
    OUT_OF_ORDER = "out_of_order"
    AWAITING_COLLECTION = "awaiting_collection"
    COLLECTED = "collected"
    IN_STOCK = "in_stock"
    REASSIGNED = "reassigned"
    RECYCLED = "recycled"
    STOLEN = "stolen"
    LOST = "lost"
    DESTROYED = "destroyed"
    INSURER_OWNED = "insurer_owned"


# =========================================================================== readings
# Art. 3 and 4: SEM maintains, removes and replaces only what it owns; the body removes
# its own broken equipment; its own unused equipment is none of the plan's business.
ROUTES: Mapping[tuple[str, Condition], Route] = MappingProxyType(
    {
        ("sem", Condition.BROKEN): Route.SEM_COLLECTS,
        ("sem", Condition.UNUSED): Route.SEM_COLLECTS,
        ("commune", Condition.BROKEN): Route.BODY_REMOVES,
        ("commune", Condition.UNUSED): Route.BODY_KEEPS,
    }
)
# Which state an item takes when it is flagged, by its condition.
FLAGGED_STATE: Mapping[Condition, ItemState] = MappingProxyType(
    {Condition.BROKEN: ItemState.OUT_OF_ORDER, Condition.UNUSED: ItemState.UNUSED}
)
# The moves an item's state may make in the collection's life. A stolen, lost or
# destroyed item is never collected; a recycled one is never reassigned.
ITEM_MOVES: Mapping[ItemState, frozenset[ItemState]] = MappingProxyType(
    {
        ItemState.IN_SERVICE: frozenset({ItemState.UNUSED, ItemState.OUT_OF_ORDER}),
        ItemState.UNUSED: frozenset(
            {ItemState.AWAITING_COLLECTION, ItemState.IN_SERVICE, ItemState.OUT_OF_ORDER}
        ),
        # Repaired (in service), planned into a round, removed and recycled by its body,
        # or taken away on a repair visit when it is beyond repair (collected).
        ItemState.OUT_OF_ORDER: frozenset(
            {
                ItemState.AWAITING_COLLECTION,
                ItemState.IN_SERVICE,
                ItemState.RECYCLED,
                ItemState.COLLECTED,
            }
        ),
        # Planned into a round; what is missing on the day stays awaiting. A round
        # cancelled puts the item back as it was flagged.
        ItemState.AWAITING_COLLECTION: frozenset(
            {ItemState.COLLECTED, ItemState.UNUSED, ItemState.OUT_OF_ORDER}
        ),
        # Broken ones to recycling, unused ones into SEM's stock.
        ItemState.COLLECTED: frozenset({ItemState.RECYCLED, ItemState.IN_STOCK}),
        ItemState.IN_STOCK: frozenset({ItemState.REASSIGNED, ItemState.RECYCLED}),
        # Received at the new school (in service), or the reassignment cancelled before
        # reception: back in SEM's stock (decision 0032).
        ItemState.REASSIGNED: frozenset({ItemState.IN_SERVICE, ItemState.IN_STOCK}),
        ItemState.RECYCLED: frozenset(),
        ItemState.STOLEN: frozenset(),
        ItemState.LOST: frozenset(),
        ItemState.DESTROYED: frozenset(),
        ItemState.INSURER_OWNED: frozenset(),
    }
)
# How far ahead a round is looked for inside the school holidays before falling back to
# the first working day (the longest gap between two zone A holidays is the summer's
# end to All Saints', about 8 weeks; 120 days covers any stretch).
ROUND_HORIZON = timedelta(days=120)
# Reminders (decision 0029): SEM's items not planned into a round 60 days after the
# flagging are reminded to staff; the body's broken items not removed 30 days after it
# are reminded to the body; a round is reminded to its schools two working days before
# and on the working day before, at 09:00 Paris.
UNPLANNED_REMINDER_AFTER = timedelta(days=60)
REMOVAL_REMINDER_AFTER = timedelta(days=30)
ROUND_REMINDER_WORKING_DAYS_BEFORE: tuple[int, ...] = (2, 1)
# Limits of a flagging, in characters (the front ends count them as their messenger does).
MAX_ITEMS = 50
MAX_NOTE = 300
MAX_PLACE = 300
MAX_HOURS = 120
MAX_REFERENCE = 80
# ====================================================================================

KIND_UNPLANNED_REMINDER = "collection.unplanned.reminder"
KIND_REMOVAL_REMINDER = "collection.removal.reminder"
KIND_ROUND_REMINDER = "collection.round.reminder"


class Decision(StrEnum):
    """What staff choose for SEM's broken item."""

    REPAIR = "repair"  # a maintenance visit, planned like a round
    RECYCLE = "recycle"  # collected, then taken to the recycling centre


class RoundKind(StrEnum):
    COLLECTION = "collection"
    REPAIR = "repair"


class ItemStatus(StrEnum):
    """Where a flagged item stands in its collection (not the equipment's own state)."""

    OPEN = "open"  # waiting for a round, staff's decision or its body
    PLANNED = "planned"  # in a round
    COLLECTED = "collected"
    MISSING = "missing"  # not there on the day: open again, with a note
    REPAIRED = "repaired"
    REMOVED = "removed"  # the body removed and recycled its own broken item
    KEPT = "kept"  # the body's unused item: its own business, not collected
    WITHDRAWN = "withdrawn"  # the ticket was closed before the item was settled


# Statuses of an item still to be done: what withdrawing a flagging takes back.
PENDING = frozenset({ItemStatus.OPEN, ItemStatus.MISSING, ItemStatus.PLANNED})

# Statuses after which nothing more is expected of an item.
SETTLED = frozenset(
    {
        ItemStatus.COLLECTED,
        ItemStatus.REPAIRED,
        ItemStatus.REMOVED,
        ItemStatus.KEPT,
        ItemStatus.WITHDRAWN,
    }
)


def initial_status(item_route: Route) -> ItemStatus:
    """The body's unused items are settled at once (not collected); others wait."""
    return ItemStatus.KEPT if item_route is Route.BODY_KEEPS else ItemStatus.OPEN


def needs_decision(
    condition: Condition | str, item_route: Route | str, decision: str | None
) -> bool:
    """SEM's broken item waits for staff to choose repair or recycling."""
    return (
        Condition(condition) is Condition.BROKEN
        and Route(item_route) is Route.SEM_COLLECTS
        and decision is None
    )


def plannable(
    condition: Condition | str, item_route: Route | str, decision: str | None, kind: RoundKind
) -> bool:
    """May this item go into a round of ``kind``? SEM's unused items and its broken items
    to recycle go to a collection; its broken items to repair go to a repair visit."""
    if Route(item_route) is not Route.SEM_COLLECTS:
        return False
    if Condition(condition) is Condition.UNUSED:
        return kind is RoundKind.COLLECTION
    if decision == Decision.RECYCLE:
        return kind is RoundKind.COLLECTION
    if decision == Decision.REPAIR:
        return kind is RoundKind.REPAIR
    return False


def after_collection(condition: Condition | str) -> ItemState:
    """Collected: broken items go to recycling (``collected`` until the receipt), unused
    ones into SEM's stock."""
    return ItemState.COLLECTED if Condition(condition) is Condition.BROKEN else ItemState.IN_STOCK


def plan_flag_reminders(flagged_at: datetime, routes: Sequence[Route]) -> list[PlannedReminder]:
    """The flagging's reminders: staff after 60 days if SEM has items, the body after 30 if
    it has broken items to remove (each at 09:00 Paris on its day)."""
    planned: list[PlannedReminder] = []
    if Route.SEM_COLLECTS in routes:
        day = local_date(flagged_at + UNPLANNED_REMINDER_AFTER, PARIS)
        planned.append(
            PlannedReminder(
                KIND_UNPLANNED_REMINDER,
                local_to_utc(day, REMINDER_LOCAL_TIME, PARIS),
                Audience.STAFF,
                "unplanned:60d",
            )
        )
    if Route.BODY_REMOVES in routes:
        day = local_date(flagged_at + REMOVAL_REMINDER_AFTER, PARIS)
        planned.append(
            PlannedReminder(
                KIND_REMOVAL_REMINDER,
                local_to_utc(day, REMINDER_LOCAL_TIME, PARIS),
                Audience.COMMUNE,
                "removal:30d",
            )
        )
    return planned


def working_days_before(day: date, count: int, calendar: SchoolCalendar) -> date:
    """The ``count``-th working day before ``day``."""
    found = day
    while count > 0:
        found -= timedelta(days=1)
        if is_working_day(found, calendar):
            count -= 1
    return found


def plan_round_reminders(
    day: date, calendar: SchoolCalendar, now: datetime, *, key: str
) -> list[PlannedReminder]:
    """A round's reminders to a school: two working days before and the working day
    before, at 09:00 Paris; those already past are not planned. ``key`` names the stop
    (« stop:12 ») so that each school's reminders are its own."""
    planned: list[PlannedReminder] = []
    for before in ROUND_REMINDER_WORKING_DAYS_BEFORE:
        on = working_days_before(day, before, calendar)
        due = local_to_utc(on, REMINDER_LOCAL_TIME, PARIS)
        if due > now:
            planned.append(
                PlannedReminder(
                    KIND_ROUND_REMINDER,
                    due,
                    Audience.REPORTER,
                    f"{key}:{day.isoformat()}:d{before}",
                    deadline=local_to_utc(day, REMINDER_LOCAL_TIME, PARIS),
                )
            )
    return planned


def route(owner: str | None, condition: Condition | str) -> Route:
    """Who handles a flagged item. Unknown owners are taken as SEM's (its label, art. 5)."""
    return ROUTES[(owner or "sem", Condition(condition))]


def flagged_state(condition: Condition | str) -> ItemState:
    return FLAGGED_STATE[Condition(condition)]


def check_move(current: ItemState | str, to: ItemState | str) -> ItemState:
    """The item's next state, if the move is allowed; else a refusal naming both."""
    here, there = ItemState(current), ItemState(to)
    if there not in ITEM_MOVES[here]:
        raise DomainError("collection.error.state_move", current=here.value, to=there.value)
    return there


def is_working_day(day: date, calendar: SchoolCalendar) -> bool:
    return day.weekday() < 5 and not calendar.is_public_holiday(day)


@dataclass(frozen=True, slots=True)
class RoundDay:
    day: date
    in_school_holidays: bool  # False: no holiday day was found in the horizon


WEEKDAYS = frozenset(range(5))  # Monday (0) to Friday (4): the days a round may be on


def propose_round_day(
    earliest: date,
    calendar: SchoolCalendar,
    weekdays: frozenset[int] | None = None,
) -> RoundDay:
    """The day proposed for a round from ``earliest`` on: the first working day inside the
    school holidays within ``ROUND_HORIZON``; failing that, the first working day (the
    proposal says it is outside the holidays, so staff are warned).

    ``weekdays``: the days the schools of the round can hand their items over (Monday =
    0), when they said so; a day they all can is preferred, and when none is found in
    the horizon their wish is dropped rather than the holidays."""
    wished = (weekdays or WEEKDAYS) & WEEKDAYS or WEEKDAYS
    for allowed in (wished, WEEKDAYS) if wished != WEEKDAYS else (WEEKDAYS,):
        day, end = earliest, earliest + ROUND_HORIZON
        while day <= end:
            if (
                day.weekday() in allowed
                and calendar.is_school_holiday(day)
                and is_working_day(day, calendar)
            ):
                return RoundDay(day, in_school_holidays=True)
            day += timedelta(days=1)
    day = earliest
    while not (is_working_day(day, calendar) and day.weekday() in wished):
        day += timedelta(days=1)
    return RoundDay(day, in_school_holidays=False)


def parse_weekdays(stored: str | None) -> frozenset[int]:
    """Weekdays as stored (« 0,2,4 »); empty or unreadable: none said."""
    found = {int(p) for p in (stored or "").split(",") if p.strip().isdigit()}
    return frozenset(d for d in found if d in WEEKDAYS)


def format_weekdays(days: frozenset[int] | set[int]) -> str | None:
    return ",".join(str(d) for d in sorted(days)) or None


def check_reference(typed: str) -> str:
    """The recycling centre's receipt number the body typed for its removal: at most
    ``MAX_REFERENCE`` characters, and a letter or a digit in it (« - » is no number)."""
    reference = typed.strip()
    if units(reference) > MAX_REFERENCE:
        raise DomainError("collection.error.reference_too_long", max=MAX_REFERENCE)
    if not any(c.isalnum() for c in reference):
        raise DomainError("collection.removal.reference_expected")
    return reference


def check_place(typed: str) -> str:
    """Where the items are gathered in the school: said, at most ``MAX_PLACE`` characters."""
    place = typed.strip()
    if not place:
        raise DomainError("collection.error.place_required")
    if units(place) > MAX_PLACE:
        raise DomainError("collection.error.place_too_long", max=MAX_PLACE)
    return place


def check_withdrawal_reason(typed: str) -> str:
    """Why a flagging is withdrawn: a few words (a letter or a digit at least), at most
    ``MAX_NOTE`` characters."""
    reason = typed.strip()
    if not any(c.isalnum() for c in reason):
        raise DomainError("collection.error.reason_required")
    if units(reason) > MAX_NOTE:
        raise DomainError("collection.error.note_too_long", max=MAX_NOTE)
    return reason
