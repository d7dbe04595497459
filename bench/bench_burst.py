"""Bot-side time per update under a burst: 1,000 updates from 200 people at once.

Two hundred registered teachers (of the demo directory's schools) each send five messages
at the same moment: /aide, /signaler (a report's dialogue begins: a draft and a state),
/moi, /annuler (both dropped), /aide. The 1,000 updates are put in the running
Application's queue in one go, interleaved (everyone's first message, then everyone's
second…), and python-telegram-bot handles them as it does in production, one after the
other. For each update, the time from the start of its handling to the end of its
persistence flush is recorded: the bot's own time, the wait in the queue excluded.
The offline API's checks are off during the burst (a test double's cost), on before and
after it. Target (issue 14): p99 ≤ 10 ms.

Run by hand: ``make bench`` (or ``python -m bench burst``).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from telegram import Update

from bot.clock import FrozenClock
from bot.config import Settings
from bot.services.directory import seed_demo
from handlers.telegram.app import build_application, running
from handlers.telegram.offline import OfflineBotAPI
from storage.migrate import upgrade
from storage.models import Person, PlatformAccount, School
from storage.uow import Database

PEOPLE = 200
MESSAGES = ("/aide", "/signaler", "/moi", "/annuler", "/aide")
FIRST_CHAT = 7_000_001
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TARGET_P99_MS = 10.0


async def _people(db: Database) -> list[int]:
    """Two hundred teachers, spread over the demo's schools; their chat ids."""
    chats = list(range(FIRST_CHAT, FIRST_CHAT + PEOPLE))
    async with db.uow() as uow:
        schools = (await uow.session.scalars(select(School).order_by(School.id))).all()
        for number, chat in enumerate(chats):
            uow.session.add(
                Person(
                    full_name=f"Enseignant {number:03d}",
                    role="teacher",
                    school_id=schools[number % len(schools)].id,
                    language="fr",
                    active=True,
                    created_at=NOW,
                    accounts=[
                        PlatformAccount(
                            platform="telegram", external_user_id=chat, chat_id=chat, created_at=NOW
                        )
                    ],
                )
            )
        await uow.commit()
    return chats


async def burst(database_url: str) -> list[float]:
    """The bot-side time of each of the burst's updates, in seconds."""
    settings = Settings(
        telegram_token=None,
        database_url=database_url,
        quiet_hours_start="08:00",
        quiet_hours_end="08:00",
        _env_file=None,
    )  # type: ignore[call-arg]
    db = Database(database_url)
    await upgrade(db.engine)
    await seed_demo(db, now=NOW)
    chats = await _people(db)
    api = OfflineBotAPI()
    users = [api.user(chat, f"Enseignant {chat}") for chat in chats]
    app = build_application(settings, db, clock=FrozenClock(NOW), request=api, rate_limit=False)
    times: list[float] = []
    by_text: dict[str, list[float]] = {}
    handle = app.process_update
    all_done = asyncio.Event()
    expected = PEOPLE * len(MESSAGES)

    async def timed(update: object) -> None:
        started = time.perf_counter()
        try:
            await handle(update)
        finally:
            took = time.perf_counter() - started
            times.append(took)
            message = update.effective_message if isinstance(update, Update) else None
            by_text.setdefault(getattr(message, "text", None) or "?", []).append(took)
            if len(times) >= expected:
                all_done.set()

    app.process_update = timed  # type: ignore[method-assign]
    try:
        async with running(app, start=True):
            # Queued, not delivered: the Application takes them from its own queue.
            for text in MESSAGES:
                for user in users:
                    await api.send_text(user, text)
            raw: list[dict[str, Any]] = list(api._updates)
            api._updates.clear()
            api.checks = False
            for data in raw:
                await app.update_queue.put(Update.de_json(data, app.bot))
            assert len(raw) == expected
            await all_done.wait()
            api.checks = True
            api.attach(app)
            await api.send_text(users[0], "/aide")  # checked again after the burst
            api.assert_no_refusals()
            last = api.sent[-1].params.get("text", "")
            assert "/signaler" in str(last), last
    finally:
        await db.close()
    for text, spent in by_text.items():
        print(_line(f"  {text}", spent))
    return times[: len(raw)]


def _line(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, round(0.99 * len(ms)) - 1)]
    verdict = "met" if p99 <= TARGET_P99_MS else "NOT met"
    return (
        f"  {name:<10}: {len(ms)} updates, p50 {p50:5.2f} ms, p99 {p99:5.2f} ms, "
        f"max {ms[-1]:6.2f} ms (target p99 <= {TARGET_P99_MS:.0f} ms: {verdict})"
    )


async def main() -> None:
    print(f"A burst of {PEOPLE * len(MESSAGES):,} updates from {PEOPLE} people, bot-side time")
    with tempfile.TemporaryDirectory() as folder:
        print(_line("SQLite", await burst(f"sqlite+aiosqlite:///{Path(folder) / 'burst.sqlite3'}")))
    admin = os.environ.get("PNE_TEST_POSTGRES_URL")
    if not admin:
        print("  PostgreSQL skipped (PNE_TEST_POSTGRES_URL not set; `make bench` sets it)")
        return
    from bench.scratch import scratch_postgres

    async with scratch_postgres(admin, "pne_bench_burst") as url:
        print(_line("PostgreSQL", await burst(url)))
