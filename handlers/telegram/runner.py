"""Running against the real Telegram: long polling, or a webhook when
``PNE_WEBHOOK_URL`` is set (decision 0072), until told to stop."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram.request import BaseRequest

from bot.bootstrap import Services
from bot.config import Settings
from handlers.telegram.app import build_application, running
from storage.uow import Database

log = logging.getLogger(__name__)


async def run_telegram(
    settings: Settings,
    db: Database,
    *,
    services: Services | None = None,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    request: BaseRequest | None = None,
) -> int:
    """Receive updates until ``stop`` (or Ctrl+C / SIGTERM when no event is given);
    ``services`` shared with the other front ends of the process. ``ready`` is set once
    updates can arrive; ``request`` replaces the HTTP transport (the offline Bot API).

    Polling deletes any webhook first (python-telegram-bot's start_polling calls
    deleteWebhook), so going back from the webhook needs nothing but unsetting the URL.
    Stopping the webhook leaves it set at Telegram, which keeps the updates that arrive
    meanwhile for the next start.
    """
    application = build_application(
        settings, db, services=services, request=request, rate_limit=request is None
    )
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    async with running(application):
        assert application.updater is not None
        if settings.webhook:
            from handlers.telegram.webhook import start_webhook

            await start_webhook(application, settings)
        else:
            await application.updater.start_polling(drop_pending_updates=False)
        me = application.bot.username
        mode = "webhook" if settings.webhook else "interrogation longue"
        log.info("pne-bot connecté à Telegram en tant que @%s (%s) ; Ctrl+C pour arrêter", me, mode)
        if ready is not None:
            ready.set()
        try:
            await stop.wait()
        finally:
            if application.updater.running:
                await application.updater.stop()
    return 0
