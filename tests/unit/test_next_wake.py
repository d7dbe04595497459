"""When the sweep runs next (``reminders.next_wake``): at the next due row, never before
the messenger's « wait » ends, at the latest after a round; not at once after a run that
took nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.reminders import IDLE_WAKE, next_wake

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_nothing_pending_waits_a_round() -> None:
    assert next_wake(NOW, due=None, interval=60) == 60


def test_the_next_row_sets_the_wake_up() -> None:
    assert next_wake(NOW, due=NOW + timedelta(seconds=17), interval=60) == 17


def test_a_row_already_due_runs_at_once() -> None:
    assert next_wake(NOW, due=NOW - timedelta(minutes=3), interval=60) == 0


def test_a_row_beyond_the_round_waits_the_round_only() -> None:
    assert next_wake(NOW, due=NOW + timedelta(hours=5), interval=60) == 60


def test_the_messengers_wait_is_kept_no_longer() -> None:
    until = NOW + timedelta(seconds=3)
    assert next_wake(NOW, due=NOW, throttled_until=until, interval=60) == 3
    later = NOW + timedelta(seconds=9)
    assert next_wake(NOW, due=later, throttled_until=until, interval=60) == 9


def test_a_run_that_took_nothing_does_not_run_again_at_once() -> None:
    assert next_wake(NOW, due=NOW, interval=60, idle=True) == IDLE_WAKE
    assert next_wake(NOW, due=NOW + timedelta(seconds=17), interval=60, idle=True) == 17
