"""The retry delays of the reminder sweep (pure functions, no database)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import RetryAfter

from bot.services.reminders import BACKOFF_CAP, MAX_ATTEMPTS, backoff
from handlers.telegram.delivery import retry_after_delay

# RetryAfter's own constructor reads the deprecated int form: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32)],
)
def test_the_delay_doubles_from_one_minute(attempts: int, minutes: int) -> None:
    assert backoff(attempts) == timedelta(minutes=minutes)


@pytest.mark.parametrize("attempts", [7, 8, MAX_ATTEMPTS, 40, 10_000])
def test_the_delay_never_exceeds_one_hour(attempts: int) -> None:
    assert backoff(attempts) == BACKOFF_CAP == timedelta(hours=1)


def test_a_row_never_tried_waits_one_minute() -> None:
    assert backoff(0) == timedelta(minutes=1)


def test_the_delays_never_decrease() -> None:
    delays = [backoff(n) for n in range(1, MAX_ATTEMPTS + 1)]
    assert delays == sorted(delays)


def test_twelve_attempts_span_several_hours_before_giving_up() -> None:
    total = sum((backoff(n) for n in range(1, MAX_ATTEMPTS)), timedelta())
    assert timedelta(hours=5) < total < timedelta(hours=7)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (3, timedelta(seconds=3)),
        (timedelta(seconds=42), timedelta(seconds=42)),
        (timedelta(minutes=2), timedelta(minutes=2)),
    ],
)
def test_retry_after_is_read_as_an_int_or_a_timedelta(given: object, expected: timedelta) -> None:
    assert retry_after_delay(RetryAfter(given)) == expected  # type: ignore[arg-type]


def test_retry_after_is_read_whatever_ptb_timedelta_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    assert retry_after_delay(RetryAfter(7)) == timedelta(seconds=7)
    monkeypatch.setenv("PTB_TIMEDELTA", "false")
    assert retry_after_delay(RetryAfter(7)) == timedelta(seconds=7)
