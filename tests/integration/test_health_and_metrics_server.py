"""``/healthz`` and ``/metrics`` served on localhost (port 0), and the sweep's counters,
on SQLite and PostgreSQL, time injected (decision 0070)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.domain.deadlines import Audience, PlannedReminder
from bot.domain.quiet_hours import NO_QUIET_HOURS
from bot.observability.metrics import Metrics
from bot.observability.server import serving
from bot.services import reminders
from bot.services.delivery import Outgoing, Refused
from bot.services.reminders import DEADLINES, Renderers
from storage.models import Reminder
from storage.uow import Database, UnitOfWork

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOTICE = "test.notice"
LAG = timedelta(minutes=10)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, quiet_hours=NO_QUIET_HOURS)
    yield database
    await database.close()


def notices() -> Renderers:
    async def notice(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
        return [Outgoing(chat, f"Rappel {row.key}") for chat in row.payload["chats"]]

    registry = Renderers()
    registry.register(NOTICE, notice)
    return registry


async def plan(db: Database, key: str, *, due: datetime, chats: tuple[int, ...] = (11,)) -> None:
    planned = [PlannedReminder(kind=NOTICE, due_at=due, audience=Audience.COMMUNE, key=key)]
    async with db.uow() as uow:
        await reminders.plan(
            uow, planned, key_prefix="t", now=due - timedelta(days=1), payload={"chats": chats}
        )
        await uow.commit()


async def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    """A plain HTTP/1.1 GET on localhost, with asyncio's streams."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


async def test_healthz_and_metrics_answer_on_localhost(db: Database) -> None:
    clock = FrozenClock(NOW)
    renderers, metrics = notices(), Metrics()
    metrics.watch(renderers)
    async with serving(
        db, renderers, metrics, clock=clock, host="127.0.0.1", port=0, max_lag=LAG
    ) as port:
        assert port > 0
        status, headers, body = await get(port, "/healthz")
        assert status == 200
        assert headers["content-type"].startswith("application/json")
        assert json.loads(body) == {
            "status": "ok",
            "database": "ok",
            "sweep": "ok",
            "late_seconds": 0.0,
            "role": "starting",  # until ``pne-bot run`` says whether it leads
        }

        # A deadline's reminder due 11 minutes ago and still unsent: the sweep is late.
        await plan(db, "late", due=NOW - timedelta(minutes=11))
        status, _, body = await get(port, "/healthz")
        assert status == 503
        assert json.loads(body)["sweep"] == "late"
        assert json.loads(body)["late_seconds"] == 660

        status, headers, body = await get(port, "/metrics")
        assert status == 200
        assert headers["content-type"].startswith("text/plain")
        text = body.decode()
        assert f'pne_outbox_due{{kind="{NOTICE}",lane="deadlines"}} 1.0' in text
        assert "# TYPE pne_reminder_lag_seconds histogram" in text

        # Sent: healthy again, the outbox empty, the lag observed.
        sent: list[int] = []

        async def send(message: Outgoing) -> int:
            sent.append(message.chat_id)
            return 1

        await reminders.sweep(db, renderers, send, now=NOW, worker="w1", clock=clock)
        assert sent == [11]
        assert (await get(port, "/healthz"))[0] == 200
        text = (await get(port, "/metrics"))[2].decode()
        assert "pne_outbox_due{" not in text
        assert 'pne_reminder_sends_total{lane="deadlines",result="sent"} 1.0' in text
        assert 'pne_reminder_lag_seconds_sum{lane="deadlines"} 660.0' in text

        assert (await get(port, "/nothing"))[0] == 404


async def test_healthz_says_when_the_database_does_not_answer(tmp_path: Path) -> None:
    gone = Database(f"sqlite+aiosqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}")
    try:
        async with serving(
            gone,
            notices(),
            Metrics(),
            clock=FrozenClock(NOW),
            host="127.0.0.1",
            port=0,
            max_lag=LAG,
        ) as port:
            status, _, body = await get(port, "/healthz")
            assert status == 503
            assert json.loads(body) == {
                "status": "failing",
                "database": "OperationalError",
                "sweep": "unknown",
                "late_seconds": 0.0,
                "role": "starting",
            }
            assert (await get(port, "/metrics"))[0] == 200  # the counters are still served
    finally:
        await gone.close()


async def test_the_sweep_counts_what_it_sent_retried_refused_and_lost(db: Database) -> None:
    clock = FrozenClock(NOW)
    renderers, metrics = notices(), Metrics()
    metrics.watch(renderers)
    await plan(db, "ok", due=NOW - timedelta(seconds=4), chats=(1,))
    await plan(db, "refused", due=NOW - timedelta(seconds=3), chats=(2,))
    await plan(db, "flaky", due=NOW - timedelta(seconds=2), chats=(3,))

    async def send(message: Outgoing) -> int:
        if message.chat_id == 2:
            raise Refused("message is too long")
        if message.chat_id == 3:
            raise TimeoutError
        return 1

    await reminders.sweep(db, renderers, send, now=NOW, worker="w1", clock=clock)

    def sends(result: str) -> float | None:
        return metrics.registry.get_sample_value(
            "pne_reminder_sends_total", {"lane": DEADLINES, "result": result}
        )

    assert (sends("sent"), sends("refused"), sends("dead"), sends("retried")) == (1, 1, 1, 1)
    lane = {"lane": DEADLINES}
    assert metrics.registry.get_sample_value("pne_reminder_lag_seconds_count", lane) == 1
    assert metrics.registry.get_sample_value("pne_reminder_lag_seconds_sum", lane) == 4


async def test_a_taken_port_does_not_stop_the_bot(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.config import Settings
    from handlers.run import run_front_ends

    taken = await asyncio.start_server(lambda _r, _w: None, "127.0.0.1", 0)
    port = taken.sockets[0].getsockname()[1]
    settings = Settings(telegram_token=None, database_url=db.url, http_port=port, _env_file=None)  # type: ignore[call-arg]
    try:
        assert await run_front_ends(settings, db) == 0  # no front end configured: returns
    finally:
        taken.close()
        await taken.wait_closed()
    assert any("cannot listen" in r.getMessage() for r in caplog.records)


async def _answer(port: int, path: str) -> tuple[int, bytes]:
    """GET once the server listens (the run starts it as its first step)."""
    for _ in range(100):
        try:
            status, _, body = await get(port, path)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        return status, body
    raise AssertionError(f"nothing listens on {port}")


async def test_a_standby_serves_healthz_and_metrics_and_says_it_waits(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decision 0089: an instance waiting for the leader lock answers the probes, healthy
    (it could take over), and says it waits; once it leads it says so."""
    if database_url.startswith("sqlite"):
        pytest.skip("one instance on SQLite: there is no standby")
    from bot.config import Settings
    from handlers import run
    from storage import leader

    holder = leader.for_url(database_url)
    assert holder is not None and await holder.try_acquire()  # another instance leads
    led = asyncio.Event()

    async def front_ends(_services: object, stop: asyncio.Event) -> int:
        led.set()
        await stop.wait()
        return 0

    monkeypatch.setattr(run, "_serve", front_ends)
    probe = await asyncio.start_server(lambda _r, _w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    settings = Settings(  # type: ignore[call-arg]
        telegram_token=None,
        database_url=database_url,
        http_port=port,
        leader_retry_seconds=0.2,
        _env_file=None,
    )
    db = Database(database_url, quiet_hours=NO_QUIET_HOURS)
    task = asyncio.create_task(run.run_front_ends(settings, db))
    try:
        status, body = await _answer(port, "/healthz")
        assert status == 200
        assert json.loads(body)["role"] == "standby"
        assert b"pne_leader 0.0" in (await _answer(port, "/metrics"))[1]
        assert not led.is_set()

        await holder.release()  # the leader is gone: this one takes over
        await asyncio.wait_for(led.wait(), 10)
        status, body = await _answer(port, "/healthz")
        assert status == 200 and json.loads(body)["role"] == "leader"
        assert b"pne_leader 1.0" in (await _answer(port, "/metrics"))[1]
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await holder.close()
        await db.close()
