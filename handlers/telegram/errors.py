"""The error handler: log, tell the person something went wrong, tell the staff chat."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter

from handlers.telegram.app import PneContext

log = logging.getLogger(__name__)


async def on_error(update: object, context: PneContext) -> None:
    error = context.error
    log.error("error while handling an update", exc_info=error)
    tell_person = not isinstance(error, Forbidden | NetworkError | RetryAfter)
    if tell_person and isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(
                update.effective_chat.id, context.t("common.internal_error")
            )
        except Exception:
            log.exception("could not tell the person about the error")
    staff_chat = context.services.settings.staff_chat_id
    if staff_chat is not None:
        # The error's text goes through the catalog, which escapes it.
        report = context.services.i18n.t(
            None, "common.error_report", error=f"{type(error).__name__}: {error}"[:1000]
        )
        try:
            await context.bot.send_message(staff_chat, report)
        except Exception:
            log.exception("could not report the error to the staff chat")
