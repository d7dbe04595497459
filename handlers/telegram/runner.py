"""Running against the real Telegram: long polling until told to stop."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.bootstrap import Services
from bot.config import Settings
from handlers.telegram.app import build_application, running
from storage.uow import Database

log = logging.getLogger(__name__)


async def run_polling(
    settings: Settings,
    db: Database,
    *,
    services: Services | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Poll until ``stop`` (or Ctrl+C / SIGTERM when no event is given); ``services``
    shared with the other front ends of the process."""
    application = build_application(settings, db, services=services)
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    async with running(application):
        assert application.updater is not None
        await application.updater.start_polling(drop_pending_updates=False)
        me = application.bot.username
        log.info("pne-bot connecté à Telegram en tant que @%s ; Ctrl+C pour arrêter", me)
        await stop.wait()
        await application.updater.stop()
    return 0
