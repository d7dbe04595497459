"""The rules of unused and broken equipment (art. 1, 3 and 4), with the real calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from bot.domain.calendar import ZoneACalendar
from bot.domain.collections import (
    ITEM_MOVES,
    Condition,
    ItemState,
    Route,
    check_move,
    flagged_state,
    propose_round_day,
    route,
)
from bot.domain.errors import DomainError

CALENDAR = ZoneACalendar()


@pytest.mark.parametrize(
    ("owner", "condition", "expected"),
    [
        ("sem", Condition.BROKEN, Route.SEM_COLLECTS),
        ("sem", Condition.UNUSED, Route.SEM_COLLECTS),
        ("commune", Condition.BROKEN, Route.BODY_REMOVES),
        ("commune", Condition.UNUSED, Route.BODY_KEEPS),
        (None, "broken", Route.SEM_COLLECTS),  # unknown owner: SEM's label (art. 5)
    ],
)
def test_the_owner_decides_who_handles_a_flagged_item(
    owner: str | None, condition: Condition | str, expected: Route
) -> None:
    assert route(owner, condition) is expected


def test_a_flagged_item_takes_the_state_of_its_condition() -> None:
    assert flagged_state("broken") is ItemState.OUT_OF_ORDER
    assert flagged_state(Condition.UNUSED) is ItemState.UNUSED


def test_an_item_goes_from_flagged_to_stock_then_to_another_school() -> None:
    state = ItemState.IN_SERVICE
    for to in ("unused", "awaiting_collection", "collected", "in_stock", "reassigned"):
        state = check_move(state, to)
    assert state is ItemState.REASSIGNED
    assert check_move(state, "in_service") is ItemState.IN_SERVICE


@pytest.mark.parametrize(
    ("current", "to"),
    [
        ("stolen", "awaiting_collection"),  # a stolen item cannot be collected
        ("lost", "collected"),
        ("recycled", "reassigned"),  # a recycled one cannot be reassigned
        ("insurer_owned", "in_stock"),
        ("in_service", "collected"),  # collected without being flagged and planned
        ("awaiting_collection", "reassigned"),
    ],
)
def test_moves_outside_the_table_are_refused_naming_both_states(current: str, to: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_move(current, to)
    assert refused.value.code == "collection.error.state_move"
    assert refused.value.params == {"current": current, "to": to}


def test_every_state_has_its_moves_and_the_end_states_have_none() -> None:
    assert set(ITEM_MOVES) == set(ItemState)
    for end in ("recycled", "stolen", "lost", "destroyed", "insurer_owned"):
        assert ITEM_MOVES[ItemState(end)] == frozenset()


def test_the_round_is_proposed_in_zone_a_holidays_on_a_working_day() -> None:
    # Tuesday 1 December 2026: the Christmas holidays start on Saturday 19 December;
    # Monday 21 December is the first working day of them.
    proposal = propose_round_day(date(2026, 12, 1), CALENDAR)
    assert proposal.day == date(2026, 12, 21) and proposal.in_school_holidays


def test_inside_the_holidays_a_public_holiday_and_the_weekend_are_skipped() -> None:
    # Friday 25 December is Christmas, then a weekend: Monday 28 December.
    proposal = propose_round_day(date(2026, 12, 25), CALENDAR)
    assert proposal.day == date(2026, 12, 28) and proposal.in_school_holidays
    # Through the year, the day proposed is in the holidays, never a weekend nor a
    # public holiday (Easter Monday and 1 or 8 May may fall inside them).
    for start in (date(2027, 2, 1), date(2027, 4, 1), date(2027, 5, 1), date(2027, 10, 1)):
        day = propose_round_day(start, CALENDAR).day
        assert day.weekday() < 5 and not CALENDAR.is_public_holiday(day), start
        assert CALENDAR.is_school_holiday(day), start


@dataclass
class _NoHolidays:
    """A calendar whose holiday data is missing (a year the package does not know yet)."""

    public: set[date] = field(default_factory=set)

    def is_school_holiday(self, day: date) -> bool:
        return False

    def is_public_holiday(self, day: date) -> bool:
        return day in self.public


def test_without_holidays_near_the_first_working_day_is_proposed_and_said_outside() -> None:
    # Saturday 14 August 2027, with Monday 16 taken as a public holiday: Tuesday 17.
    proposal = propose_round_day(date(2027, 8, 14), _NoHolidays({date(2027, 8, 16)}))
    assert proposal.day == date(2027, 8, 17)
    assert not proposal.in_school_holidays


def test_a_year_the_holiday_data_does_not_cover_falls_back_without_failing() -> None:
    proposal = propose_round_day(date(2099, 3, 2), CALENDAR)
    assert proposal.day == date(2099, 3, 2) and not proposal.in_school_holidays
