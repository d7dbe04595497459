"""The sweep wakes when a reminder falls due, not at its next one-minute round.

On Telegram the job queue's round stays (a safety net for what another process planned);
after each run, the sweep is set for the next due row, for the end of Telegram's « wait »
after a 429, and for a reminder just planned due before the round. Without Telegram, the
Discord runner's loop does the same. Time is the database's rows' and the clock's: the
tests wait for what happens (a message sent, a job set), never for a round.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from telegram.ext import Application

from bot.bootstrap import bootstrap
from bot.clock import FrozenClock
from bot.config import Settings
from bot.domain.deadlines import Audience, PlannedReminder
from bot.services import reminders
from bot.services.delivery import Outgoing
from bot.services.reminders import Renderers, SweepReport, next_due
from handlers.discord.runner import _every, sweeping
from handlers.telegram.app import build_application, running
from handlers.telegram.delivery import SOON_JOB_NAME, SWEEP_INTERVAL, sweep_job
from handlers.telegram.offline import OfflineBotAPI
from storage.models import Reminder
from storage.uow import Database, UnitOfWork

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
KIND = "test.wake"
PACED_KIND = "test.crowd"


def _settings(database_url: str) -> Settings:
    return Settings(
        telegram_token=None,
        database_url=database_url,
        quiet_hours_start="08:00",  # no quiet hours: the timing is under test
        quiet_hours_end="08:00",
        _env_file=None,
    )  # type: ignore[call-arg]


async def _render(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
    return [Outgoing(int(chat), f"Rappel {row.key}") for chat in row.payload["chats"]]


def _renderers() -> Renderers:
    registry = Renderers({KIND: _render})
    registry.register_paced(PACED_KIND, _render)
    return registry


async def _plan(db: Database, key: str, due: datetime, *, kind: str = KIND, chat: int = 11) -> None:
    async with db.uow() as uow:
        await reminders.plan(
            uow,
            [PlannedReminder(kind=kind, due_at=due, audience=Audience.COMMUNE, key=key)],
            key_prefix="w",
            now=NOW,
            payload={"chats": [chat]},
        )
        await uow.commit()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.close()


async def _eventually(check: Callable[[], bool], seconds: float = 5.0) -> None:
    """Until ``check()`` holds (what the bot does in its own tasks), at most ``seconds``."""
    async with asyncio.timeout(seconds):
        # The state is changed by the bot's own tasks, which signal nothing: polled.
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def _soon(app: Application) -> float | None:
    """Seconds from now to the sweep's next early run (``None``: only the round)."""
    assert app.job_queue is not None
    jobs = [j for j in app.job_queue.get_jobs_by_name(SOON_JOB_NAME) if j.next_t is not None]
    if not jobs:
        return None
    return min((j.next_t - datetime.now(UTC)).total_seconds() for j in jobs if j.next_t)


async def test_next_due_reads_the_lanes_earliest_free_row(db: Database) -> None:
    await _plan(db, "crowd", NOW - timedelta(minutes=5), kind=PACED_KIND)
    await _plan(db, "late", NOW + timedelta(minutes=9))
    await _plan(db, "soon", NOW + timedelta(seconds=17))
    renderers = _renderers()
    assert await next_due(db, renderers, now=NOW) == NOW + timedelta(seconds=17)
    paced = await next_due(db, renderers, now=NOW, lane=reminders.PACED)
    assert paced == NOW - timedelta(minutes=5)
    await reminders.claim(db, now=NOW + timedelta(seconds=17), worker="other", batch=1, only=[KIND])
    # The row another sweeper holds is not waited for: the next free one is.
    assert await next_due(db, renderers, now=NOW) == NOW + timedelta(minutes=9)


async def test_on_telegram_the_sweep_is_set_for_the_next_due_row_and_after_a_429(
    db: Database, database_url: str
) -> None:
    clock = FrozenClock(NOW)
    api = OfflineBotAPI(bot_username="pne_demo_bot")
    api.now = lambda: clock.now().timestamp()
    api.user(11, "Camille")
    app = build_application(_settings(database_url), db, clock=clock, request=api)
    app.bot_data["services"].extra[reminders.RENDERERS_KEY] = _renderers()
    await _plan(db, "a", NOW + timedelta(seconds=17))
    async with running(app, start=True):
        assert app.job_queue is not None
        round_job = app.job_queue.get_jobs_by_name("reminders")[0]
        await round_job.run(app)  # nothing due yet: set for the row, 17 s ahead
        soon = _soon(app)
        assert soon is not None and 15 < soon <= 17

        clock.advance(timedelta(seconds=17))
        api.fail_retry_after("sendMessage", retry_after=3)
        await round_job.run(app)  # Telegram asks to wait 3 s: set for then, no later
        soon = _soon(app)
        assert soon is not None and 1 < soon <= 3
        assert api.messages(11) == []


async def test_on_telegram_a_reminder_planned_due_now_goes_out_before_the_round(
    db: Database, database_url: str
) -> None:
    clock = FrozenClock(NOW)
    api = OfflineBotAPI(bot_username="pne_demo_bot")
    api.now = lambda: clock.now().timestamp()
    api.user(11, "Camille")
    app = build_application(_settings(database_url), db, clock=clock, request=api)
    app.bot_data["services"].extra[reminders.RENDERERS_KEY] = _renderers()
    async with running(app, start=True):
        await sweep_job_run(app)
        assert _soon(app) is None  # nothing pending: the round only
        await _plan(db, "now", NOW)  # e.g. an escalation due at once
        await _eventually(lambda: [m.text for m in api.messages(11)] == ["Rappel w:now"])
        # A later one, beyond the round, does not set an early run.
        await _plan(db, "later", NOW + timedelta(seconds=SWEEP_INTERVAL * 3))
        assert _soon(app) is None


async def sweep_job_run(app: Application) -> None:
    class _Context:
        application = app

    await sweep_job(_Context())  # type: ignore[arg-type]


async def test_without_telegram_the_discord_runner_wakes_for_a_reminder_just_planned(
    db: Database, database_url: str
) -> None:
    services = bootstrap(_settings(database_url), db, clock=FrozenClock(NOW))
    services.extra[reminders.RENDERERS_KEY] = _renderers()
    sent: list[int] = []
    runs: list[SweepReport] = []

    async def send(message: Outgoing) -> int:
        sent.append(message.chat_id)
        return len(sent)

    async def run() -> SweepReport:
        report = await reminders.drain(
            db, services.renderers, send, clock=services.clock, worker="discord"
        )
        runs.append(report)
        return report

    loop = asyncio.create_task(sweeping(services, run))
    try:
        await _eventually(lambda: len(runs) == 1)  # the first run: nothing due, asleep
        await _plan(db, "now", NOW, chat=42)
        # Woken for it at once (the round is a minute away), once.
        await _eventually(lambda: len(runs) == 2)
        assert sent == [42] and runs[1].sent == 1
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop


async def test_a_stop_sends_no_further_message_and_puts_the_rest_back_at_once(
    db: Database,
) -> None:
    """The process stops in the middle of a run (decision 0091): the message in flight
    ends, the rows not served are released (no lease to wait out, no attempt counted) and
    the next run serves them, nobody twice."""
    for number in range(5):
        await _plan(db, f"r{number}", NOW, chat=100 + number)
    stopping = asyncio.Event()
    sent: list[int] = []

    async def send(message: Outgoing) -> int:
        sent.append(message.chat_id)
        stopping.set()  # SIGTERM arrives while this message is in flight
        return len(sent)

    clock = FrozenClock(NOW)
    report = await reminders.drain(
        db, _renderers(), send, clock=clock, worker="a", concurrency=2, stopping=stopping
    )
    assert len(sent) == len(set(sent)) <= 2  # what was in flight, nothing more
    assert report.sent == len(sent) and report.deferred == 5 - len(sent)
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(Reminder).order_by(Reminder.key))).all()
    waiting = [row for row in rows if row.state == "pending"]
    assert len(waiting) == 5 - len(sent)
    assert all(row.lease_owner is None and row.lease_until is None for row in waiting)
    assert all(row.attempts == 0 and row.next_attempt_at <= NOW for row in waiting)

    # Stopping already: nothing is even claimed.
    again = await reminders.drain(
        db, _renderers(), send, clock=clock, worker="a", stopping=stopping
    )
    assert again.claimed == 0 and len(sent) == 5 - len(waiting)

    # The next start serves the rest.
    rest = await reminders.drain(db, _renderers(), send, clock=clock, worker="b")
    assert rest.sent == len(waiting)
    assert sorted(sent) == [100, 101, 102, 103, 104]


async def test_the_discord_runner_loops_end_when_the_process_stops(
    db: Database, database_url: str
) -> None:
    """On a stop, the Discord runner's loops end by themselves while they wait (its runs
    are only cancelled after a grace), instead of sleeping out their round."""
    services = bootstrap(_settings(database_url), db, clock=FrozenClock(NOW))
    services.extra[reminders.RENDERERS_KEY] = _renderers()
    runs: list[str] = []

    async def run() -> SweepReport:
        runs.append("sweep")
        return SweepReport()

    async def paced() -> None:
        runs.append("paced")

    loops = [
        asyncio.create_task(sweeping(services, run)),
        asyncio.create_task(_every(3600.0, paced, services.stopping)),
    ]
    await _eventually(lambda: sorted(runs) == ["paced", "sweep"])  # both asleep now
    services.stopping.set()
    done, pending = await asyncio.wait(loops, timeout=2.0)
    assert not pending and all(task.exception() is None for task in done)
    assert sorted(runs) == ["paced", "sweep"]  # and no run after the stop
