"""Composition root: settings, database, clock and i18n wired into one Application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    ContextTypes,
    Defaults,
    ExtBot,
)
from telegram.request import BaseRequest

from bot.bootstrap import Services, bootstrap
from bot.clock import Clock
from bot.config import Settings
from bot.domain.platforms import TELEGRAM
from bot.i18n import normalize_language
from bot.observability import logs
from bot.observability.metrics import metrics_of
from bot.services.access import Actor
from handlers.telegram.delivery import telegram_sender
from handlers.telegram.persistence import DatabasePersistence
from handlers.telegram.supervision import handler_of
from storage.uow import Database

log = logging.getLogger(__name__)

OFFLINE_TOKEN = "1234567:OFFLINE-SANDBOX"  # noqa: S105 - not a secret: the offline Bot API's


class PneContext(CallbackContext[ExtBot[None], dict[str, Any], dict[Any, Any], dict[Any, Any]]):
    """The callback context, with the person behind the update (set by the guard)."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self._person: Actor | None = None

    @property
    def person(self) -> Actor | None:
        return self._person

    @person.setter
    def person(self, person: Actor | None) -> None:
        """Set by the guard; from then on, the log lines of the update name the person's id."""
        self._person = person
        logs.person_id.set(person.id if person is not None else None)

    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data["services"]
        return services

    @property
    def lang(self) -> str:
        if self.person is not None:
            return self.person.language
        return normalize_language(self.services.settings.language)

    def t(self, key: str, /, **params: Any) -> str:
        return self.services.i18n.t(self.lang, key, **params)


class PneApplication(Application):
    """Writes conversation states and drafts to the database after every update.

    python-telegram-bot otherwise persists on a timer, so a crash could lose the last
    answers of a report in progress.
    """

    async def start(self) -> None:
        services = self.bot_data.get("services")
        if services is not None:
            services.stopping.clear()  # started again (a test's restart, a new term)
        await super().start()

    async def stop(self) -> None:
        """The outbox's runs are told first: the job queue then waits for the message in
        flight, not for a whole round of a broadcast (decision 0091)."""
        services = self.bot_data.get("services")
        if services is not None:
            services.stopping.set()
        await super().stop()

    async def process_update(self, update: object) -> None:
        # Where an update enters (decision 0070): counted, and its id on every log line
        # written while it is handled (the person's is set by the guard, ``PneContext``).
        services = self.bot_data.get("services")
        if services is not None and isinstance(update, Update):
            metrics_of(services.extra).handled(TELEGRAM, handler_of(self, update))
        with logs.update_context(update.update_id if isinstance(update, Update) else None):
            await super().process_update(update)
            if self.persistence is not None:
                await self.update_persistence()


def build_application(
    settings: Settings,
    db: Database,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    rate_limit: bool = True,
    services: Services | None = None,
) -> Application:
    """The bot, ready to ``initialize()``: handlers registered, services in ``bot_data``.

    ``services`` are those of ``bot.bootstrap`` (built here from the settings when not
    given, so that another front end in the same process can share them). ``request``
    replaces the HTTP transport (the offline Bot API in tests and sandbox).
    """
    from handlers.telegram import register
    from handlers.telegram.dialogues import timeout_of

    if services is None:
        services = bootstrap(settings, db, clock=clock)
    clock = services.clock
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else OFFLINE_TOKEN
    builder = (
        ApplicationBuilder()
        .application_class(PneApplication)
        .token(token)
        .base_url(settings.telegram_api_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .context_types(ContextTypes(context=PneContext))
        .persistence(DatabasePersistence(db, clock.now, conversation_ttl=timeout_of))
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if rate_limit:
        # 30 messages/s overall, 20/min per group; RetryAfter is not retried here:
        # interactive replies fail fast, and the reminder sweep reschedules on its own.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=0))  # type: ignore[arg-type]
    application = builder.build()
    application.bot_data["services"] = services
    # This front end's sender joins the process's router (the sweep's, the notices').
    from handlers.telegram.delivery import file_fetcher, file_sender

    bot = application.bot
    services.router.register(
        TELEGRAM, telegram_sender(bot), files=file_sender(bot), fetch=file_fetcher(bot)
    )
    register(application)
    return application


async def _post_init(application: Application) -> None:
    from handlers.telegram.menus import set_default_menus

    await set_default_menus(application)


@asynccontextmanager
async def running(
    application: Application,
    *,
    start: bool = True,
) -> AsyncIterator[Application]:
    """Initialize the bot, set its menus and, with ``start``, run its job queue.

    Used by the polling runner, the sandbox and the tests alike (``post_init`` is only
    called by python-telegram-bot's own ``run_polling``, which we do not use).
    """
    async with application:
        await _post_init(application)
        stop_listening = None
        if start:
            from handlers.telegram.delivery import (
                planned_listener,
                schedule_paced,
                schedule_sweep,
            )
            from handlers.telegram.errors import schedule_digest
            from handlers.telegram.privacy import schedule_retention
            from handlers.telegram.reports import schedule_reports

            schedule_digest(application)
            schedule_sweep(application)
            schedule_paced(application)
            schedule_reports(application)
            schedule_retention(application)
            # A reminder planned due before the sweep's next round wakes it then.
            stop_listening = services_of(application).db.on_planned(planned_listener(application))
            await application.start()
        try:
            yield application
        finally:
            if stop_listening is not None:
                stop_listening()
            if start and application.running:
                await application.stop()


def services_of(application: Application) -> Services:
    services: Services = application.bot_data["services"]
    return services
