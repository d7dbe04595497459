"""The health decision, the JSON log lines and the bounded labels (decision 0070)."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import SettingsError, load_settings
from bot.observability import logs
from bot.observability.health import decide
from bot.observability.metrics import Metrics, bounded
from bot.services.reminders import DEADLINES, SENT, Outcome

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEN_MINUTES = timedelta(minutes=10)


def test_healthy_when_nothing_is_due() -> None:
    health = decide(NOW, database_error=None, oldest_due=None, max_lag=TEN_MINUTES)
    assert health.ok
    assert health.as_json() == {
        "status": "ok",
        "database": "ok",
        "sweep": "ok",
        "late_seconds": 0.0,
    }


def test_a_reminder_due_exactly_the_lag_ago_is_still_fine() -> None:
    health = decide(NOW, database_error=None, oldest_due=NOW - TEN_MINUTES, max_lag=TEN_MINUTES)
    assert health.ok and health.late_seconds == 600


def test_a_reminder_due_longer_than_the_lag_makes_the_sweep_late() -> None:
    oldest = NOW - TEN_MINUTES - timedelta(seconds=1)
    health = decide(NOW, database_error=None, oldest_due=oldest, max_lag=TEN_MINUTES)
    assert not health.ok
    assert health.as_json()["sweep"] == "late"
    assert health.as_json()["late_seconds"] == 601


def test_a_reminder_due_in_the_future_is_not_late() -> None:
    oldest = NOW + timedelta(hours=1)
    health = decide(NOW, database_error=None, oldest_due=oldest, max_lag=TEN_MINUTES)
    assert health.ok and health.late_seconds == 0


def test_a_silent_database_fails_and_says_so() -> None:
    health = decide(NOW, database_error="OperationalError", oldest_due=None, max_lag=TEN_MINUTES)
    assert not health.ok
    assert health.as_json() == {
        "status": "failing",
        "database": "OperationalError",
        "sweep": "unknown",
        "late_seconds": 0.0,
    }


def _json_lines(emit: object) -> list[dict[str, object]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("pne-bot.test-json")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        emit(logger)  # type: ignore[operator]
    finally:
        logger.removeHandler(handler)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_has_time_level_logger_message_and_the_known_ids() -> None:
    def emit(logger: logging.Logger) -> None:
        with logs.update_context(4242):
            logs.person_id.set(7)
            logs.about_ticket(12, "S-2026-0003")
            logger.warning("reminder %s: chat %s unreachable", "claim:1:duties", 5001)
        logger.info("no update")

    first, second = _json_lines(emit)
    assert first == {
        "time": first["time"],
        "level": "WARNING",
        "logger": "pne-bot.test-json",
        "message": "reminder claim:1:duties: chat 5001 unreachable",
        "update_id": 4242,
        "person_id": 7,
        "ticket_id": 12,
        "ticket": "S-2026-0003",
    }
    assert datetime.fromisoformat(str(first["time"])).tzinfo is not None
    assert set(second) == {"time", "level", "logger", "message"}


def test_a_line_names_the_one_ticket_met_and_none_once_several_were() -> None:
    def emit(logger: logging.Logger) -> None:
        with logs.update_context(interaction=99):
            logs.about_ticket(12)
            logs.about_ticket(12, "S-2026-0003")  # the same one, its number learnt later
            logger.info("one")
            logs.about_ticket(13, "R-2026-0001")
            logger.info("two")
            logs.about_ticket(12, "S-2026-0003")
            logger.info("still two")

    one, two, still = _json_lines(emit)
    assert (one["interaction_id"], one["ticket_id"], one["ticket"]) == (99, 12, "S-2026-0003")
    assert "ticket_id" not in two and "ticket" not in two
    assert "ticket_id" not in still


def test_a_reminder_row_names_its_ticket_and_not_the_row_before() -> None:
    def emit(logger: logging.Logger) -> None:
        with logs.ticket_row(5):
            logs.about_ticket(5, "S-2026-0005")
            logger.info("first row")
        with logs.ticket_row(6):
            logger.info("second row")
        with logs.ticket_row(None):
            logger.info("a row about no ticket")
        logger.info("after the sweep")

    first, second, none, after = _json_lines(emit)
    assert (first["ticket_id"], first["ticket"]) == (5, "S-2026-0005")
    assert second["ticket_id"] == 6 and "ticket" not in second
    assert "ticket_id" not in none and "ticket_id" not in after


def test_a_json_line_keeps_the_traceback_on_one_line() -> None:
    def emit(logger: logging.Logger) -> None:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("failed")

    (line,) = _json_lines(emit)
    assert "RuntimeError: boom" in str(line["exc_info"])


def test_a_label_from_outside_is_kept_only_when_it_looks_like_ours() -> None:
    assert bounded("clm", "other") == "clm"
    assert bounded("Robert'); DROP", "other") == "other"
    assert bounded("x" * 40, "other") == "other"
    assert bounded(None, "other") == "other"


def test_each_metrics_object_has_its_own_registry() -> None:
    one, two = Metrics(), Metrics()
    one.outcome(Outcome("claim.duties", DEADLINES, SENT, lag=3.0))
    labels = {"lane": DEADLINES, "result": SENT}
    assert one.registry.get_sample_value("pne_reminder_sends_total", labels) == 1
    assert two.registry.get_sample_value("pne_reminder_sends_total", labels) is None
    assert one.registry.get_sample_value("pne_reminder_lag_seconds_sum", {"lane": DEADLINES}) == 3


@pytest.mark.parametrize(
    ("variable", "value"),
    [("log_format", "xml"), ("http_port", "70000"), ("health_max_lag_minutes", "0")],
)
def test_a_wrong_supervision_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(f"PNE_{variable.upper()}", value)
    with pytest.raises(SettingsError, match=f"PNE_{variable.upper()}"):
        load_settings(_env_file=None)


def test_debug_logging_keeps_the_libraries_that_write_texts_or_tokens_quiet() -> None:
    names = ("telegram", "discord", "aiohttp", "httpx", "alembic", "aiosqlite")
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), {n: logging.getLogger(n).level for n in names})
    try:
        logs.configure("DEBUG", "json", stream=io.StringIO())
        # Statements with their parameters (aiosqlite), addresses with the token (httpx).
        for quiet in ("httpx", "alembic", "aiosqlite"):
            assert logging.getLogger(quiet).level == logging.WARNING
        for chatty in ("telegram", "discord", "aiohttp"):  # whole updates at DEBUG
            assert logging.getLogger(chatty).level == logging.INFO
        logs.configure("DEBUG", "text", stream=io.StringIO())
        assert logging.getLogger("aiosqlite").level == logging.WARNING
    finally:
        root.handlers[:] = saved[1]
        root.setLevel(saved[0])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
