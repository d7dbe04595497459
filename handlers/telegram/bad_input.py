"""Bad input stopped before any handler: a button whose data names an id no record can
have (a forged ``clm:pledge:9999999999``) is answered as a stale button; a message whose
text, caption or file name holds a NUL character (PostgreSQL's text cannot) is refused
with a word. Neither reaches a dialogue or the database (``bot.domain.ids``)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.domain.ids import forged_number, has_nul
from bot.domain.platforms import TELEGRAM
from bot.services import registration
from handlers.telegram.app import PneContext


async def _language(update: Update, context: PneContext) -> str | None:
    """The person's language (this runs before the guard that loads them)."""
    user = update.effective_user
    if user is None:
        return None
    actor = await registration.find_actor(context.services.db, TELEGRAM, user.id)
    return actor.language if actor is not None else None


async def refuse_bad_input(update: Update, context: PneContext) -> None:
    query = update.callback_query
    if query is not None:
        if query.data is not None and (forged_number(query.data) or has_nul(query.data)):
            lang = await _language(update, context)
            text = context.services.i18n.t(lang, "common.stale_button")
            await query.answer(text, show_alert=True)
            raise ApplicationHandlerStop
        return
    message = update.effective_message
    if message is None:
        return
    document = message.document
    if has_nul(message.text, message.caption, document.file_name if document else None):
        lang = await _language(update, context)
        await message.reply_text(context.services.i18n.t(lang, "common.error.bad_character"))
        raise ApplicationHandlerStop
