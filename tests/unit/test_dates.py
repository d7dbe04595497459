"""Reading a discovery date typed by a person (French and English)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.domain.dates import (
    PARIS,
    anniversary,
    local_to_utc,
    parse_discovery,
    parse_discovery_detail,
)
from bot.domain.errors import DomainError

# Sunday 29 November 2026, 10:00 in Paris (CET, UTC+1)
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def paris(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=PARIS).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aujourd'hui 8h", paris(2026, 11, 29, 8)),
        ("aujourd’hui à 8h15", paris(2026, 11, 29, 8, 15)),
        ("Aujourd'hui a 08h15", paris(2026, 11, 29, 8, 15)),
        ("aujourd'hui", paris(2026, 11, 29)),
        ("hier", paris(2026, 11, 28)),
        ("hier 17h30", paris(2026, 11, 28, 17, 30)),
        ("hier à 17 h 30", paris(2026, 11, 28, 17, 30)),
        ("hier, 17:30", paris(2026, 11, 28, 17, 30)),
        ("hier vers 17h", paris(2026, 11, 28, 17)),
        ("avant-hier", paris(2026, 11, 27)),
        ("avant hier 9h", paris(2026, 11, 27, 9)),
        ("12/03", paris(2026, 3, 12)),
        ("le 12/03", paris(2026, 3, 12)),
        ("12/12", paris(2025, 12, 12)),  # 12 December 2026 is still to come
        ("29/11", paris(2026, 11, 29)),
        ("12/03/2026 8h30", paris(2026, 3, 12, 8, 30)),
        ("12/03/26", paris(2026, 3, 12)),
        ("12-03-2026", paris(2026, 3, 12)),
        ("12.03.2026 08:30", paris(2026, 3, 12, 8, 30)),
        ("2026-03-12", paris(2026, 3, 12)),
        ("1/3/2026 9h", paris(2026, 3, 1, 9)),
        ("12 mars 2026", paris(2026, 3, 12)),
        ("le 3 novembre à midi", paris(2026, 11, 3, 12)),
        ("1er août 2026 14h", paris(2026, 8, 1, 14)),
        ("12 fevrier", paris(2026, 2, 12)),
        ("8h", paris(2026, 11, 29, 8)),
        ("9:45", paris(2026, 11, 29, 9, 45)),
        ("minuit", paris(2026, 11, 29)),
        ("today 8am", paris(2026, 11, 29, 8)),
        ("Today at 8:15 AM", paris(2026, 11, 29, 8, 15)),
        ("yesterday", paris(2026, 11, 28)),
        ("yesterday 17:30", paris(2026, 11, 28, 17, 30)),
        ("yesterday 5:30 pm", paris(2026, 11, 28, 17, 30)),
        ("yesterday 12am", paris(2026, 11, 28, 0)),
        ("yesterday noon", paris(2026, 11, 28, 12)),
        ("day before yesterday", paris(2026, 11, 27)),
        ("on 12/03/2026 at 08:30", paris(2026, 3, 12, 8, 30)),
        ("3 march 2026 5pm", paris(2026, 3, 3, 17)),
        ("  HIER  17H30. ", paris(2026, 11, 28, 17, 30)),
        ("hier\u00a017h30", paris(2026, 11, 28, 17, 30)),
    ],
)
def test_reads_the_usual_forms(text: str, expected: datetime) -> None:
    result = parse_discovery(text, NOW)
    assert result == expected
    assert result.tzinfo is UTC


def test_tells_whether_an_hour_was_given() -> None:
    assert parse_discovery_detail("hier", NOW).time_given is False
    assert parse_discovery_detail("hier 8h", NOW).time_given is True


def test_now_words_mean_now_to_the_minute() -> None:
    now = datetime(2026, 11, 29, 9, 12, 41, tzinfo=UTC)
    assert parse_discovery("maintenant", now) == datetime(2026, 11, 29, 9, 12, tzinfo=UTC)
    assert parse_discovery("à l’instant", now) == datetime(2026, 11, 29, 9, 12, tzinfo=UTC)
    assert parse_discovery("now", now) == datetime(2026, 11, 29, 9, 12, tzinfo=UTC)


def test_a_day_without_year_in_early_january_is_last_year() -> None:
    now = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
    assert parse_discovery("30/12", now) == paris(2025, 12, 30)
    assert parse_discovery("02/01", now) == paris(2026, 1, 2)


def test_a_day_without_year_uses_the_paris_date_not_the_utc_one() -> None:
    # 31 Dec 2026 23:30 UTC is already 1 January 2027 in Paris
    now = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert parse_discovery("01/01", now) == paris(2027, 1, 1)
    assert parse_discovery("aujourd'hui", now) == paris(2027, 1, 1)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "bof",
        "la semaine dernière",
        "hier 25h",
        "hier 17h75",
        "13pm",
        "12/03 8",
        "12/03/2026 8h30 et 9h",
        "12 brumaire",
        "12/03-2026",
        "8h hier",
    ],
)
def test_garbage_and_impossible_dates_are_unreadable(text: str) -> None:
    with pytest.raises(DomainError) as e:
        parse_discovery(text, NOW)
    assert e.value.code == "date.error.unreadable"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("31/02/2026", "31/02/2026"),
        ("31/02", "31/02"),
        ("29/02/2026", "29/02/2026"),
        ("12/13/2026", "12/13/2026"),
        ("00/03/2026", "00/03/2026"),
        ("32/01", "32/01"),
        ("31 février 2026 8h", "31/02/2026"),
    ],
)
def test_a_day_the_calendar_does_not_have_is_named_in_the_refusal(text: str, day: str) -> None:
    """« Le 31/02 n'existe pas »: the person sees which day they typed wrong."""
    with pytest.raises(DomainError) as e:
        parse_discovery(text, NOW)
    assert (e.value.code, e.value.params) == ("date.error.no_such_day", {"day": day})


def test_a_moment_in_the_future_is_refused() -> None:
    for text in ("aujourd'hui 18h", "12/12/2026", "30/11/2026", "11h"):
        with pytest.raises(DomainError) as e:
            parse_discovery(text, NOW)
        assert e.value.code == "date.error.future", text


def test_a_few_minutes_ahead_is_taken_as_now() -> None:
    now = datetime(2026, 11, 29, 9, 58, tzinfo=UTC)  # 10:58 Paris
    assert parse_discovery("11h", now) == now
    with pytest.raises(DomainError):
        parse_discovery("11h04", now)


def test_more_than_one_year_back_is_too_old() -> None:
    assert parse_discovery("29/11/2025", NOW) == paris(2025, 11, 29)
    for text in ("28/11/2025", "12/03/2024", "01/01/2000"):
        with pytest.raises(DomainError) as e:
            parse_discovery(text, NOW)
        assert e.value.code == "date.error.too_old", text


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_discovery("hier", datetime(2026, 11, 29, 10, 0))  # noqa: DTZ001


# ---------------------------------------------------------------- daylight saving time


def test_a_time_in_the_spring_gap_is_read_as_its_earliest_instant() -> None:
    # 29/03/2026 02:30 never showed in Paris (02:00 CET -> 03:00 CEST)
    now = datetime(2026, 4, 1, tzinfo=UTC)
    result = parse_discovery("29/03/2026 2h30", now)
    assert result == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # = 01:30 CET
    assert parse_discovery("29/03/2026 3h00", now) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_a_time_in_the_autumn_overlap_is_read_as_its_first_occurrence() -> None:
    # 25/10/2026 02:30 showed twice in Paris: 00:30 UTC (CEST) then 01:30 UTC (CET)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_discovery("25/10/2026 2h30", now) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_local_to_utc_outside_changes_is_the_plain_offset() -> None:
    assert local_to_utc(date(2026, 7, 1), time(9, 0)) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    assert local_to_utc(date(2026, 1, 1), time(9, 0)) == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


# ---------------------------------------------------------------- anniversaries


def test_anniversary_keeps_the_day_or_falls_back_to_28_february() -> None:
    assert anniversary(date(2026, 3, 3), 1) == date(2027, 3, 3)
    assert anniversary(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert anniversary(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert anniversary(date(2024, 2, 29), -1) == date(2023, 2, 28)


# --- calendar days (planned and past payment dates) ------------------------------------

from bot.domain.dates import parse_calendar_day  # noqa: E402


@pytest.mark.parametrize(
    ("text", "future", "expected"),
    [
        ("15/06/2027", False, date(2027, 6, 15)),
        ("2027-06-15", True, date(2027, 6, 15)),
        ("15/06", True, date(2026, 6, 15)),
        ("01/02", True, date(2027, 2, 1)),  # already past this year: next year
        ("01/02", False, date(2026, 2, 1)),
        ("15 juin", True, date(2026, 6, 15)),
        ("aujourd'hui", False, date(2026, 3, 10)),
        ("hier", False, date(2026, 3, 9)),
    ],
)
def test_calendar_days_are_read_the_french_way(text: str, future: bool, expected: date) -> None:
    assert parse_calendar_day(text, date(2026, 3, 10), future=future) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "date.error.unreadable"),
        ("bientôt", "date.error.unreadable"),
        ("31/02/2027", "date.error.no_such_day"),
        ("15/13", "date.error.no_such_day"),
    ],
)
def test_unreadable_calendar_days_are_refused(text: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_calendar_day(text, date(2026, 3, 10), future=True)
    assert caught.value.code == code


@pytest.mark.parametrize("text", ["01/01/0001", "1 janvier 0001", "31/12/9999 8h"])
def test_years_far_from_the_plan_are_unreadable_not_a_crash(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_discovery(text, datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    assert caught.value.code == "date.error.unreadable"
