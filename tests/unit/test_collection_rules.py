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


def test_the_schools_weekdays_are_preferred_inside_the_holidays() -> None:
    # The school hands its items over on Thursdays: Thursday 24 December, not Monday 21.
    proposal = propose_round_day(date(2026, 12, 1), CALENDAR, frozenset({3}))
    assert proposal.day == date(2026, 12, 24) and proposal.in_school_holidays


def test_a_wish_no_holiday_day_meets_gives_way_to_the_holidays() -> None:
    # Only weekends asked: no working day meets them, so the holidays win (Monday 21).
    proposal = propose_round_day(date(2026, 12, 1), CALENDAR, frozenset({5, 6}))
    assert proposal.day == date(2026, 12, 21) and proposal.in_school_holidays


def test_without_holidays_the_wished_weekday_is_kept() -> None:
    # Saturday 14 August 2027, no holiday data, the school asks for Wednesdays: the 18th.
    proposal = propose_round_day(date(2027, 8, 14), _NoHolidays(), frozenset({2}))
    assert proposal.day == date(2027, 8, 18) and not proposal.in_school_holidays


def test_weekdays_are_stored_as_a_short_list() -> None:
    from bot.domain.collections import format_weekdays, parse_weekdays

    assert format_weekdays({4, 0, 2}) == "0,2,4"
    assert format_weekdays(set()) is None
    assert parse_weekdays("0,2,4") == frozenset({0, 2, 4})
    assert parse_weekdays("9,x,") == frozenset()
    assert parse_weekdays(None) == frozenset()


def test_an_item_beyond_repair_is_taken_away_on_a_repair_visit() -> None:
    assert check_move("out_of_order", "collected") is ItemState.COLLECTED
    # A round cancelled puts a planned item back as it was flagged.
    assert check_move("awaiting_collection", "unused") is ItemState.UNUSED


def test_the_flagging_reminds_staff_after_60_days_and_the_body_after_30() -> None:
    from datetime import UTC, datetime

    from bot.domain.collections import (
        KIND_REMOVAL_REMINDER,
        KIND_UNPLANNED_REMINDER,
        plan_flag_reminders,
    )

    flagged = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    planned = plan_flag_reminders(flagged, [Route.SEM_COLLECTS, Route.BODY_REMOVES])
    due = {p.kind: (p.due_at, p.audience.value) for p in planned}
    # 60 days after 1 December is 30 January, 09:00 Paris (08:00 UTC in winter).
    assert due[KIND_UNPLANNED_REMINDER] == (datetime(2027, 1, 30, 8, 0, tzinfo=UTC), "staff")
    assert due[KIND_REMOVAL_REMINDER] == (datetime(2026, 12, 31, 8, 0, tzinfo=UTC), "commune")
    # The body's unused items only: nothing to remind.
    assert plan_flag_reminders(flagged, [Route.BODY_KEEPS]) == []


def test_a_round_is_reminded_two_working_days_before_and_the_working_day_before() -> None:
    from datetime import UTC, datetime

    from bot.domain.collections import plan_round_reminders

    # Monday 4 January 2027: the working days before are Thursday 31 December and… the
    # 1st of January is a public holiday, so Wednesday 30 December and Thursday 31.
    planned = plan_round_reminders(
        date(2027, 1, 4), CALENDAR, datetime(2026, 12, 1, tzinfo=UTC), key="stop:1"
    )
    assert [p.due_at for p in planned] == [
        datetime(2026, 12, 30, 8, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 8, 0, tzinfo=UTC),
    ]
    assert len({p.key for p in planned}) == 2
    # Planned on the eve: the reminder two days before is past and left out.
    late = plan_round_reminders(
        date(2027, 1, 4), CALENDAR, datetime(2026, 12, 31, 7, 0, tzinfo=UTC), key="stop:1"
    )
    assert [p.due_at for p in late] == [datetime(2026, 12, 31, 8, 0, tzinfo=UTC)]


def test_what_may_go_into_which_round() -> None:
    from bot.domain.collections import Decision, RoundKind, needs_decision, plannable

    sem = Route.SEM_COLLECTS
    assert plannable("unused", sem, None, RoundKind.COLLECTION)
    assert not plannable("unused", sem, None, RoundKind.REPAIR)
    assert needs_decision("broken", sem, None)
    assert not plannable("broken", sem, None, RoundKind.COLLECTION)
    assert plannable("broken", sem, Decision.RECYCLE, RoundKind.COLLECTION)
    assert plannable("broken", sem, Decision.REPAIR, RoundKind.REPAIR)
    assert not plannable("broken", Route.BODY_REMOVES, Decision.RECYCLE, RoundKind.COLLECTION)
