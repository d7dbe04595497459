"""Running against the real Telegram: long polling until interrupted."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.config import Settings
from handlers.telegram.app import build_application, running
from storage.uow import Database

log = logging.getLogger(__name__)


async def run_polling(settings: Settings, db: Database) -> int:
    application = build_application(settings, db)
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
