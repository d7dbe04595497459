"""Unused and broken equipment: who handles it, the states it goes through, and the day a
collection round is proposed (convention art. 1, 3 and 4; DOMAIN.md section 2).

Pure: no I/O; the calendar is passed in (``bot.domain.calendar``). Refusals are
``DomainError(code, **params)`` with catalog keys. Each reading is a table or constant of
the block below (decision 0028).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

from bot.domain.calendar import SchoolCalendar
from bot.domain.errors import DomainError


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
        ItemState.OUT_OF_ORDER: frozenset(
            {ItemState.AWAITING_COLLECTION, ItemState.IN_SERVICE, ItemState.RECYCLED}
        ),
        # Planned into a round; what is missing on the day stays awaiting.
        ItemState.AWAITING_COLLECTION: frozenset({ItemState.COLLECTED}),
        # Broken ones to recycling, unused ones into SEM's stock.
        ItemState.COLLECTED: frozenset({ItemState.RECYCLED, ItemState.IN_STOCK}),
        ItemState.IN_STOCK: frozenset({ItemState.REASSIGNED, ItemState.RECYCLED}),
        ItemState.REASSIGNED: frozenset({ItemState.IN_SERVICE}),
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
# ====================================================================================


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


def propose_round_day(earliest: date, calendar: SchoolCalendar) -> RoundDay:
    """The day proposed for a round from ``earliest`` on: the first working day inside the
    school holidays within ``ROUND_HORIZON``; failing that, the first working day (the
    proposal says it is outside the holidays, so staff are warned)."""
    end = earliest + ROUND_HORIZON
    day = earliest
    while day <= end:
        if calendar.is_school_holiday(day) and is_working_day(day, calendar):
            return RoundDay(day, in_school_holidays=True)
        day += timedelta(days=1)
    day = earliest
    while not is_working_day(day, calendar):
        day += timedelta(days=1)
    return RoundDay(day, in_school_holidays=False)
