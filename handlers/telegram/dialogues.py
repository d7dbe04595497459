"""What every dialogue shares: persistence, how long it waits, and one way out.

- Each dialogue is a persistent ``ConversationHandler`` (its step and draft survive a
  restart) that gives up when the person stops answering: ``DIALOGUE_TIMEOUTS``. The wait
  is counted by python-telegram-bot's job queue while the bot runs, and, since those jobs
  do not survive a restart, steps older than that are dropped when the bot starts again
  (``storage.persistence.DatabasePersistence``). So a half-finished confirmation never
  catches a message sent days later.
- ``/annuler`` ends every dialogue the person is in, whichever they started first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    ConversationHandler,
    TypeHandler,
)

from bot.app import PneContext
from handlers.telegram.common import reply

# A report may be typed over a day (photos taken later); follow-up steps are short.
DIALOGUE_TIMEOUTS: Mapping[str, timedelta] = {"claim_report": timedelta(hours=24)}
DEFAULT_TIMEOUT = timedelta(hours=1)


def timeout_of(name: str) -> timedelta:
    return DIALOGUE_TIMEOUTS.get(name, DEFAULT_TIMEOUT)


async def _expired(update: object, context: PneContext) -> None:
    """The person stopped answering: say so. (A draft left behind is harmless: each
    dialogue starts a fresh one.)"""
    if isinstance(update, Update) and update.effective_chat is not None:
        await reply(update, context, "common.dialogue_expired")


def dialogue(
    *,
    name: str,
    entry_points: Sequence[BaseHandler[Update, PneContext, Any]],
    states: Mapping[object, Sequence[BaseHandler[Update, PneContext, Any]]],
    fallbacks: Sequence[BaseHandler[Update, PneContext, Any]],
) -> ConversationHandler[PneContext]:
    with_timeout: dict[object, list[BaseHandler[Update, PneContext, Any]]] = {
        state: list(handlers) for state, handlers in states.items()
    }
    with_timeout[ConversationHandler.TIMEOUT] = [TypeHandler(Update, _expired)]
    return ConversationHandler(
        entry_points=list(entry_points),
        states=with_timeout,
        fallbacks=list(fallbacks),
        name=name,
        persistent=True,
        allow_reentry=True,
        conversation_timeout=timeout_of(name),
    )


def end_all(application: Application[Any, Any, Any, Any, Any, Any], update: Update) -> bool:
    """End every dialogue this update's person is in; True if there was one.

    python-telegram-bot offers no public way to end a conversation from outside its
    handler; ``_get_key`` and ``_update_state`` are what its own fallbacks use (pinned
    version, covered by tests/conversations/test_dialogues.py).
    """
    ended = False
    for handlers in application.handlers.values():
        for handler in handlers:
            if not isinstance(handler, ConversationHandler):
                continue
            key = handler._get_key(update)
            if key in handler._conversations:
                handler._update_state(ConversationHandler.END, key)
                ended = True
    return ended


async def cancel_everything(update: Update, context: PneContext) -> None:
    """/annuler: whatever is in progress stops, drafts included."""
    ended = end_all(context.application, update)
    had_draft = bool(context.user_data)
    if context.user_data is not None:
        context.user_data.clear()
    if update.callback_query is not None:
        await update.callback_query.answer()
    await reply(
        update, context, "common.cancelled" if ended or had_draft else "common.nothing_to_cancel"
    )
    raise ApplicationHandlerStop
