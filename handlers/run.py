"""``pne-bot run`` with tokens: every configured front end in one process and one loop.

They share the services (database, catalogs, the router of senders) and one reminder
sweep: on Telegram's job queue when Telegram runs (with the periodic reports), else on
the Discord side. Ctrl+C or SIGTERM stops them all.
"""

from __future__ import annotations

import asyncio
import signal

from bot.bootstrap import bootstrap
from bot.config import Settings
from storage.uow import Database


async def run_front_ends(settings: Settings, db: Database) -> int:
    services = bootstrap(settings, db)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runs = []
    if settings.telegram_token is not None:
        from handlers.telegram.runner import run_telegram

        runs.append(run_telegram(settings, db, services=services, stop=stop))
    if settings.discord_token is not None:
        from handlers.discord.runner import run_discord

        runs.append(run_discord(services, stop, sweep=settings.telegram_token is None))
    results = await asyncio.gather(*runs)
    return max(results, default=0)
