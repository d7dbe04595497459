"""A deadline's reminder against its due time, with an announcement's crowd queued.

The real Application (job queue running, python-telegram-bot's AIORateLimiter at 30 msg/s
overall) sends to the offline Bot API. A crowd of PNE_BENCH_CROWD (default 3,000)
announcement messages is due in the paced lane; while they leave, a claim's deadline
reminder is planned due 3 s later. Measured: from its due time to its sending (the sweep
wakes for it, instead of waiting for its one-minute round), against the same reminder
with nothing queued, in the same run. Target (issue 13): at most 2 s with the crowd.

Run by hand: ``make bench`` or ``python -m bench wake``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.deadlines import Audience, PlannedReminder
from bot.services import reminders
from bot.services.delivery import Outgoing
from bot.services.reminders import FAN_OUT_CHUNK, Renderers
from handlers.telegram.app import build_application, running
from handlers.telegram.offline import OfflineBotAPI, Sent
from storage.migrate import upgrade
from storage.models import Reminder
from storage.uow import Database, UnitOfWork

CROWD = int(os.environ.get("PNE_BENCH_CROWD", "3000"))
REPEATS = 3
DEADLINE_CHAT = 1
DEADLINE = "bench.deadline"
CROWD_KIND = "bench.announcement"
LEAD = 3.0  # seconds between planning the deadline's reminder and its due time
WARM_UP = 7.0  # seconds for the paced lane to be sending the crowd (its first run at 5 s)
TARGET = 2.0


async def _render(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
    return [Outgoing(int(row.payload["chat"]), f"Message {row.key}")]


async def _crowd(db: Database, count: int, now: datetime) -> None:
    planned = [
        PlannedReminder(kind=CROWD_KIND, due_at=now, audience=Audience.COMMUNE, key=f"{i:05d}")
        for i in range(count)
    ]
    for start in range(0, count, FAN_OUT_CHUNK):
        async with db.uow() as uow:
            for item in planned[start : start + FAN_OUT_CHUNK]:
                chat = 1000 + int(item.key)
                await reminders.plan(
                    uow, [item], key_prefix="crowd", now=now, payload={"chat": chat}
                )
            await uow.commit()


async def _latency(crowd: int) -> tuple[float, int]:
    """Seconds from the deadline reminder's due time to its sending; crowd messages sent
    before it."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'wake.sqlite3'}"
        settings = Settings(
            telegram_token=None,
            database_url=url,
            quiet_hours_start="08:00",
            quiet_hours_end="08:00",
            _env_file=None,
        )  # type: ignore[call-arg]
        db = Database(url)
        try:
            await upgrade(db.engine)
            clock = SystemClock()
            api = OfflineBotAPI()
            for chat in [DEADLINE_CHAT, *range(1000, 1000 + crowd)]:
                api.user(chat, f"Personne {chat}")
            sent_at: list[float] = []
            arrived = asyncio.Event()
            crowd_sent = 0

            def on_sent(record: Sent) -> None:
                nonlocal crowd_sent
                if record.method != "sendMessage":
                    return
                if record.chat_id == DEADLINE_CHAT:
                    sent_at.append(time.time())
                    arrived.set()
                elif not sent_at:
                    crowd_sent += 1

            api.on_sent.append(on_sent)
            app = build_application(settings, db, clock=clock, request=api)
            renderers = Renderers({DEADLINE: _render})
            renderers.register_paced(CROWD_KIND, _render)
            app.bot_data["services"].extra[reminders.RENDERERS_KEY] = renderers
            await _crowd(db, crowd, clock.now())
            async with running(app, start=True):
                await asyncio.sleep(WARM_UP)
                due = clock.now() + timedelta(seconds=LEAD)
                async with db.uow() as uow:
                    await reminders.plan(
                        uow,
                        [PlannedReminder(DEADLINE, due, Audience.COMMUNE, "d")],
                        key_prefix="claim",
                        now=clock.now(),
                        payload={"chat": DEADLINE_CHAT},
                    )
                    await uow.commit()
                await asyncio.wait_for(arrived.wait(), 60)
                return sent_at[0] - due.timestamp(), crowd_sent
        finally:
            await db.close()


async def main() -> None:
    logging.getLogger("telegram").setLevel(logging.WARNING)
    logging.getLogger("bot").setLevel(logging.WARNING)
    logging.getLogger("handlers").setLevel(logging.WARNING)
    alone = [(await _latency(0))[0] for _ in range(REPEATS)]
    crowded = [await _latency(CROWD) for _ in range(REPEATS)]
    base = statistics.median(alone)
    worst = max(latency for latency, _ in crowded)
    median = statistics.median(latency for latency, _ in crowded)
    print(f"  deadline reminder, nothing queued: {base:.2f} s after its due time (median)")
    print(
        f"  with {CROWD:,} announcement messages queued: {median:.2f} s (median),"
        f" {worst:.2f} s (worst of {REPEATS});"
        f" {statistics.median(n for _, n in crowded):.0f} of the crowd sent before it"
    )
    print(
        f"  ratio crowded / alone: {median / base if base > 0 else float('inf'):.1f}×;"
        f" target ≤ {TARGET:.0f} s: {'met' if worst <= TARGET else 'NOT met'}"
    )
