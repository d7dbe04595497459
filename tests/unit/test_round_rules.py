"""A round's day and the schools' wishes (art. 3): from tomorrow, a working day, in the
zone A holidays where possible, on a day the schools share."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.calendar import ZoneACalendar
from bot.domain.rounds import check_round_day, propose_day, shared_weekdays
from tests.helpers import refuses

CALENDAR = ZoneACalendar()
MONDAY_2_MARCH = date(2026, 3, 2)


def test_the_shared_weekdays_are_those_every_school_said() -> None:
    assert shared_weekdays([frozenset({1, 2}), frozenset({2, 3})]) == frozenset({2})
    # A school that said nothing (or only « pendant les vacances ») limits nothing.
    assert shared_weekdays([frozenset(), frozenset({3})]) == frozenset({3})
    assert shared_weekdays([frozenset(), frozenset()]) == frozenset()
    # Weekend days are not round days.
    assert shared_weekdays([frozenset({5, 6})]) == frozenset()
    # No day shared: no wish to follow.
    assert shared_weekdays([frozenset({0}), frozenset({4})]) == frozenset()


def test_the_proposal_is_in_the_spring_holidays_after_easter_monday() -> None:
    proposed = propose_day(MONDAY_2_MARCH, CALENDAR, [frozenset()])
    assert proposed.day == date(2026, 4, 7) and proposed.in_school_holidays
    on_thursdays = propose_day(MONDAY_2_MARCH, CALENDAR, [frozenset({3}), frozenset()])
    assert on_thursdays.day == date(2026, 4, 9)


def test_the_proposal_starts_tomorrow_inside_the_holidays() -> None:
    # Tuesday 7 April, in the holidays: tomorrow, Wednesday 8.
    assert propose_day(date(2026, 4, 7), CALENDAR, []).day == date(2026, 4, 8)


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (date(2026, 3, 2), "round.error.day_past"),  # today
        (date(2026, 2, 27), "round.error.day_past"),
        (date(2026, 4, 11), "round.error.weekend"),
        (date(2026, 4, 6), "round.error.public_holiday"),  # Easter Monday
        (date(2026, 5, 1), "round.error.public_holiday"),
    ],
)
def test_a_day_that_cannot_be_a_rounds_is_refused(day: date, code: str) -> None:
    with refuses(code):
        check_round_day(day, MONDAY_2_MARCH, CALENDAR)


def test_a_working_day_outside_the_holidays_is_allowed_and_said_so() -> None:
    assert not check_round_day(date(2026, 3, 3), MONDAY_2_MARCH, CALENDAR).in_school_holidays
    assert check_round_day(date(2026, 4, 8), MONDAY_2_MARCH, CALENDAR).in_school_holidays
