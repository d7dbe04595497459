"""``pne-bot run`` with tokens: every configured front end in one process and one loop.

They share the services (database, catalogs, the router of senders) and one reminder
sweep: on Telegram's job queue when Telegram runs (with the periodic reports), else on
the Discord side; ``/healthz`` and ``/metrics`` are served beside them (decision 0070).
Ctrl+C or SIGTERM stops them all.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import AsyncExitStack

from bot.bootstrap import bootstrap
from bot.config import Settings
from bot.observability.metrics import metrics_of
from bot.observability.server import serving
from storage.uow import Database

log = logging.getLogger(__name__)


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
    async with AsyncExitStack() as stack:
        if settings.http_port:  # /healthz and /metrics, in this loop (decision 0070)
            server = serving(
                db,
                services.renderers,
                metrics_of(services.extra),
                clock=services.clock,
                host=settings.http_host,
                port=settings.http_port,
                max_lag=settings.health_max_lag,
            )
            try:
                await stack.enter_async_context(server)
            except OSError as exc:  # the port is taken: the bot runs all the same
                log.error(
                    "supervision: cannot listen on %s:%s (%s); no /healthz nor /metrics",
                    settings.http_host,
                    settings.http_port,
                    exc.strerror or exc,
                )
        results = await asyncio.gather(*runs)
    return max(results, default=0)
