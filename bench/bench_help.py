"""Updates per second: a registered person's /aide, and dialogue steps that write a draft,
through the whole bot and its database, beside a bare python-telegram-bot echo handler on
the same offline Bot API.

The offline API checks every request as Telegram would during the warm-up and after the
timed loop (any refusal fails the benchmark), not inside it: its checks are a test
double's cost, not the bot's. Targets (issue 14): /aide ÷ echo ≥ 0.5; a draft step ÷ echo
≥ 0.25.

The draft steps are a report's first three: ``/signaler`` (a draft and a state), the tap of
« Perte » (the draft's kind, the next state), ``/annuler`` (both dropped), over and over.

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
    api.checks = False
    try:
        start = time.perf_counter()
        for _ in range(ROUNDS):
            await api.send_text(user, text)  # type: ignore[arg-type]
        rate = ROUNDS / (time.perf_counter() - start)
    finally:
        api.checks = True
    for _ in range(WARMUP):  # checked again, to the last request
        await api.send_text(user, text)  # type: ignore[arg-type]
    return rate


async def _draft_cycle(api: OfflineBotAPI, user: object) -> None:
    await api.send_text(user, "/signaler")  # type: ignore[arg-type]
    await api.tap(user, api.last(user.id), "Perte")  # type: ignore[arg-type, attr-defined]
    await api.send_text(user, "/annuler")  # type: ignore[arg-type]


async def _draft_rate(api: OfflineBotAPI, user: object) -> float:
    for _ in range(WARMUP // 2):
        await _draft_cycle(api, user)
    api.checks = False
    try:
        cycles = max(ROUNDS // 3, 1)
        start = time.perf_counter()
        for _ in range(cycles):
            await _draft_cycle(api, user)
        rate = 3 * cycles / (time.perf_counter() - start)
    finally:
        api.checks = True
    await _draft_cycle(api, user)
    return rate


async def echo_rate() -> float:
    api = OfflineBotAPI()
    user = api.user(42, "Echo")
    app = ApplicationBuilder().token("1234567:BENCH").request(api).get_updates_request(api).build()
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    api.attach(app)
    async with app:
        return await _rate(api, user, "bonjour")


async def bot_rates(database_url: str) -> tuple[float, float]:
    """/aide's rate and the draft steps' rate, in updates per second."""
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
            await api.send_text(user, "/aide")
            assert "/signaler" in api.sent[-1].params["text"], "not registered"
            rate = await _rate(api, user, "/aide")
            draft = await _draft_rate(api, user)
            assert "annulé" in api.sent[-1].params["text"].lower(), api.sent[-1].params["text"]
            api.assert_no_refusals()
            return rate, draft
    finally:
        await db.close()


async def main() -> None:
    echo = await echo_rate()
    print(f"Updates through the bot vs a bare echo handler ({ROUNDS} updates each, offline API)")
    print(f"  bare python-telegram-bot echo : {echo:8.0f} updates/s")
    with tempfile.TemporaryDirectory() as folder:
        rates = {"SQLite": await bot_rates(f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}")}
    pg_url = os.environ.get("PNE_TEST_POSTGRES_URL")
    if pg_url:
        from bench.scratch import scratch_postgres

        async with scratch_postgres(pg_url, "pne_bench_help") as url:
            rates["PostgreSQL"] = await bot_rates(url)
    for name, (aide, draft) in rates.items():
        print(
            f"  /aide, {name:<10}           : {aide:8.0f} updates/s  "
            f"(ratio {aide / echo:.2f}, target >= 0.50)"
        )
        print(
            f"  draft step, {name:<10}      : {draft:8.0f} updates/s  "
            f"(ratio {draft / echo:.2f}, target >= 0.25)"
        )
    if not pg_url:
        print("  PostgreSQL                    : skipped (PNE_TEST_POSTGRES_URL not set)")


if __name__ == "__main__":
    asyncio.run(main())
