"""The rules of a round's day and of the schools' wishes (art. 3; decision 0031).

Pure: the calendar and today are passed in. A round falls on a working day from tomorrow
on; a day outside the zone A school holidays is allowed, with a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from bot.domain.calendar import SchoolCalendar
from bot.domain.collections import WEEKDAYS, RoundDay, propose_round_day
from bot.domain.errors import DomainError

MAX_OTHER_DATE_NOTE = 300


def check_round_day(day: date, today: date, calendar: SchoolCalendar) -> RoundDay:
    """The day staff chose for a round, if it can be one: from tomorrow on, Monday to
    Friday, not a public holiday. Says whether it is inside the school holidays."""
    if day <= today:
        raise DomainError("round.error.day_past", earliest=today + timedelta(days=1))
    if day.weekday() not in WEEKDAYS:
        raise DomainError("round.error.weekend", day=day)
    if calendar.is_public_holiday(day):
        raise DomainError("round.error.public_holiday", day=day)
    return RoundDay(day, in_school_holidays=calendar.is_school_holiday(day))


def shared_weekdays(wishes: Iterable[frozenset[int]]) -> frozenset[int]:
    """The weekdays every school of a round can hand its items over: the intersection of
    the days the schools said (a school that said none, or only « pendant les
    vacances », limits nothing). Empty: no wish to follow (none said, or none shared)."""
    said = [w & WEEKDAYS for w in wishes if w & WEEKDAYS]
    if not said:
        return frozenset()
    shared = frozenset(WEEKDAYS)
    for wish in said:
        shared &= wish
    return shared


def propose_day(
    today: date, calendar: SchoolCalendar, wishes: Iterable[frozenset[int]]
) -> RoundDay:
    """The proposed day: from tomorrow, in the holidays, on a day the schools share."""
    return propose_round_day(today + timedelta(days=1), calendar, shared_weekdays(wishes) or None)
