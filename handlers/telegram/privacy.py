"""Personal data on Telegram (RGPD, decision 0071): /mes_donnees (a summary and the JSON
file), /oublier (a confirmation naming what will happen, then the anonymisation) and
/confidentialite (the privacy notice, for strangers too). The words and the work are
``bot.services.privacy``'s; the retention job runs its daily pass here when Telegram runs.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommandScopeChat, Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    Job,
    filters,
)

from bot.domain.errors import DomainError
from bot.services import drafts, privacy
from bot.services.delivery import Dispatch
from handlers.telegram.app import PneContext, services_of
from handlers.telegram.common import edit_message, keyboard, reply, send
from handlers.telegram.delivery import repeating, send_dispatch

log = logging.getLogger(__name__)

# ------------------------------------------------------------------------ settings (one place)
JOB_NAME = "retention"
JOB_INTERVAL = 3600  # seconds between two runs; the pass itself is made once a day
JOB_FIRST = 90  # seconds after start-up for the first run
# ---------------------------------------------------------------------------------------------


async def my_data(update: Update, context: PneContext) -> None:
    """/mes_donnees: what the bot keeps about the person, summed up, and the file in full."""
    assert context.person is not None and update.effective_chat is not None
    services = context.services
    found = await privacy.export(
        services.db, services.i18n, context.person.id, context.lang, services.clock.now()
    )
    await send_dispatch(context.bot, Dispatch(update.effective_chat.id, found.text, (found.file,)))


async def forget_me(update: Update, context: PneContext) -> None:
    """/oublier: what will happen, irreversible, with « Oublier » and « Garder »."""
    assert context.person is not None
    services = context.services
    try:
        nonce = await privacy.offer_to_forget(services.db, context.person.id, services.clock.now())
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return
    buttons = keyboard(
        [
            [(context.t("privacy.forget.button.confirm"), f"prv:forget:{nonce}")],
            [(context.t("privacy.forget.button.keep"), f"prv:keep:{nonce}")],
        ]
    )
    await reply(
        update, context, "privacy.forget.confirm", id=context.person.id, reply_markup=buttons
    )


async def forget_confirmed(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    if context.person is None:  # already forgotten: a stranger now
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return
    services = context.services
    try:
        await privacy.forget(
            services.db,
            services.i18n,
            context.person.id,
            query.data.rsplit(":", 1)[1],
            services.clock.now(),
        )
    except DomainError as error:
        await query.answer(context.t(error.code, **error.params), show_alert=True)
        return
    await query.answer()
    await edit_message(query, context.t("privacy.forget.done"))
    if update.effective_chat is not None:  # their menu: a stranger's again
        await context.bot.delete_my_commands(scope=BotCommandScopeChat(update.effective_chat.id))


async def forget_kept(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    if context.person is None:
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return
    key = str(context.person.id)
    pending = await drafts.load(
        context.services.db, privacy.FORGETTING, key, query.data.rsplit(":", 1)[1]
    )
    if pending is None:
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return
    await drafts.drop(context.services.db, privacy.FORGETTING, key)
    await query.answer()
    await edit_message(query, context.t("privacy.forget.kept"))


async def notice(update: Update, context: PneContext) -> None:
    """/confidentialite: what is kept, why, for how long, who to ask."""
    assert update.effective_chat is not None
    settings = context.services.settings
    text = privacy.notice(
        context.services.i18n,
        context.lang,
        years=settings.retention_years,
        contact=settings.dpo_contact,
    )
    await send(context, update.effective_chat.id, text)


def handlers() -> list[BaseHandler[Update, PneContext, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler(["mes_donnees", "my_data"], my_data, filters=private),
        CommandHandler(["oublier", "forget_me"], forget_me, filters=private),
        CommandHandler(["confidentialite", "privacy"], notice, filters=private),
        CallbackQueryHandler(forget_confirmed, pattern=r"^prv:forget:[0-9a-f]{1,32}$"),
        CallbackQueryHandler(forget_kept, pattern=r"^prv:keep:[0-9a-f]{1,32}$"),
    ]


# ========================================================================= the daily pass


async def retention_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """The job queue's callback: today's retention pass, if not made yet."""
    try:
        await privacy.run_retention(services_of(context.application))
    except Exception:
        log.exception("retention: the pass failed; next try in %s s", JOB_INTERVAL)


def schedule_retention(
    application: Application[Any, Any, Any, Any, Any, Any],
    interval: float = JOB_INTERVAL,
    *,
    first: float = JOB_FIRST,
) -> Job[Any]:
    """Run the retention job every ``interval`` seconds (one run at a time); idempotent."""
    return repeating(application, retention_job, name=JOB_NAME, interval=interval, first=first)
