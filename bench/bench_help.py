"""Updates per second: a registered person's /aide through the whole bot and its database,
beside a bare python-telegram-bot echo handler on the same offline Bot API.

Run by hand: ``make bench`` (or ``python -m bench help``). The ratio says what the bot's
own layers (guard, database look-up, catalog, persistence flush) cost per update.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.clock import FrozenClock
from bot.config import Settings
from bot.domain.roles import Role
from bot.services import registration
from bot.services.directory import seed_demo
from handlers.telegram.app import build_application, running
from handlers.telegram.offline import OfflineBotAPI
from storage.migrate import upgrade
from storage.uow import Database

ROUNDS = int(os.environ.get("PNE_BENCH_ROUNDS", "400"))
WARMUP = 20


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "")


async def _rate(api: OfflineBotAPI, user: object, text: str) -> float:
    for _ in range(WARMUP):
        await api.send_text(user, text)  # type: ignore[arg-type]
    start = time.perf_counter()
    for _ in range(ROUNDS):
        await api.send_text(user, text)  # type: ignore[arg-type]
    return ROUNDS / (time.perf_counter() - start)


async def echo_rate() -> float:
    api = OfflineBotAPI()
    user = api.user(42, "Echo")
    app = ApplicationBuilder().token("1234567:BENCH").request(api).get_updates_request(api).build()
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    api.attach(app)
    async with app:
        return await _rate(api, user, "bonjour")


async def help_rate(database_url: str) -> float:
    settings = Settings(telegram_token=None, database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    db = Database(settings.database_url)
    await upgrade(db.engine)
    clock = FrozenClock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    await seed_demo(db, now=clock.now())
    invitation = await registration.create_invitation(
        db, role=Role.TEACHER, school_uai="0429901J", validity=timedelta(days=1), now=clock.now()
    )
    api = OfflineBotAPI()
    user = api.user(4242, "Bench")
    # Without the rate limiter (30 msg/s), which the echo bot does not have either.
    app = build_application(settings, db, clock=clock, request=api, rate_limit=False)
    api.attach(app)
    try:
        async with running(app, start=False):
            await api.send_text(user, f"/start {invitation.code}")
            rate = await _rate(api, user, "/aide")
            api.assert_no_refusals()
            return rate
    finally:
        await db.close()


async def main() -> None:
    echo = await echo_rate()
    with tempfile.TemporaryDirectory() as folder:
        sqlite = await help_rate(f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}")
    print(f"/aide round trip vs bare echo handler ({ROUNDS} updates each, offline Bot API)")
    print(f"  bare python-telegram-bot echo : {echo:8.0f} updates/s")
    print(f"  pne-bot /aide, SQLite         : {sqlite:8.0f} updates/s  (ratio {sqlite / echo:.2f})")
    pg_url = os.environ.get("PNE_TEST_POSTGRES_URL")
    if pg_url:
        from bench.scratch import scratch_postgres

        async with scratch_postgres(pg_url, "pne_bench_help") as url:
            pg = await help_rate(url)
        print(f"  pne-bot /aide, PostgreSQL     : {pg:8.0f} updates/s  (ratio {pg / echo:.2f})")
    else:
        print("  pne-bot /aide, PostgreSQL     : skipped (PNE_TEST_POSTGRES_URL not set)")


if __name__ == "__main__":
    asyncio.run(main())
