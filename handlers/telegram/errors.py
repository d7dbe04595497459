"""The error handler: every failure gets an answer, a log line, and a place in the digest.

- The person is answered in their language (a tapped button's alert, else a message),
  whatever failed — a refused request (``BadRequest``, which python-telegram-bot counts
  among the network errors) included; only a person who blocked the bot is not.
- The log line names the update and the person (their id, never a name or a text).
- Staff get one digest of the failures (Discord's too) every ``DIGEST_INTERVAL``
  (``bot.services.error_digest``), not one message each.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import Forbidden
from telegram.ext import Application, CallbackContext

from bot.domain.platforms import TELEGRAM
from bot.observability.metrics import metrics_of
from bot.services import registration
from bot.services.error_digest import digest_of
from handlers.telegram.app import PneContext
from handlers.telegram.supervision import handler_of

log = logging.getLogger(__name__)

DIGEST_JOB_NAME = "errors.digest"
DIGEST_INTERVAL = 600  # seconds between two digests to the staff chat (when any)


async def on_error(update: object, context: PneContext) -> None:
    error = context.error
    services = context.services
    person_id: int | None = None
    lang: str | None = None
    if isinstance(update, Update) and update.effective_user is not None:
        try:  # the language of the person (the context of an error has none loaded)
            actor = await registration.find_actor(services.db, TELEGRAM, update.effective_user.id)
        except Exception:  # the database itself may be what failed
            actor = None
        if actor is not None:
            person_id, lang = actor.id, actor.language
    log.error(
        "error while handling update %s (person %s)",
        update.update_id if isinstance(update, Update) else None,
        person_id,
        exc_info=error,
    )
    digest_of(services.extra).add(error, services.clock.now())
    metrics_of(services.extra).failed(TELEGRAM, handler_of(context.application, update))
    if isinstance(update, Update) and not isinstance(error, Forbidden):
        await _answer(update, context, services.i18n.t(lang, "common.internal_error"))


async def _answer(update: Update, context: PneContext, text: str) -> None:
    query = update.callback_query
    if query is not None:
        try:  # the tap's own alert (its spinner stops); answered already: a message
            await query.answer(text, show_alert=True)
            return
        except Exception:
            log.debug("the tap could not be answered; a message instead", exc_info=True)
    if update.effective_chat is None:
        return
    try:
        await context.bot.send_message(update.effective_chat.id, text)
    except Exception:
        log.exception("could not tell the person about the error")


async def digest_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Send staff what failed since the last digest (nothing when nothing did)."""
    services = context.application.bot_data["services"]
    staff_chat = services.settings.staff_chat_id
    if staff_chat is None:
        return
    text = digest_of(services.extra).take(services.i18n, services.settings.language)
    if text is None:
        return
    try:
        await context.bot.send_message(staff_chat, text)
    except Exception:
        log.exception("could not send the error digest to the staff chat")


def schedule_digest(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    if application.job_queue is None or application.job_queue.get_jobs_by_name(DIGEST_JOB_NAME):
        return
    application.job_queue.run_repeating(
        digest_job, interval=DIGEST_INTERVAL, first=DIGEST_INTERVAL, name=DIGEST_JOB_NAME
    )
