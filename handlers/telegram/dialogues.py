"""What every dialogue shares: persistence, how long it waits, and one way out.

- Each dialogue is a persistent ``ConversationHandler`` (its step and draft survive a
  restart) that gives up when the person stops answering: ``DIALOGUE_TIMEOUTS``. The wait
  is counted by python-telegram-bot's job queue while the bot runs, and, since those jobs
  do not survive a restart, steps older than that are dropped when the bot starts again
  (``handlers.telegram.persistence.DatabasePersistence``). So a half-finished confirmation never
  catches a message sent days later.
- One dialogue at a time: starting one ends the others the person is in (in that chat).
- ``/annuler`` ends every dialogue the person is in, whichever they started first.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers.telegram.app import PneContext
from handlers.telegram.common import reply

# A report may be typed over a day (photos taken later); follow-up steps are short.
DIALOGUE_TIMEOUTS: Mapping[str, timedelta] = {"claim_report": timedelta(hours=24)}
DEFAULT_TIMEOUT = timedelta(hours=1)


def timeout_of(name: str) -> timedelta:
    return DIALOGUE_TIMEOUTS.get(name, DEFAULT_TIMEOUT)


async def _expired(update: object, context: PneContext) -> None:
    """The person stopped answering: say so. (A report's draft left behind is offered
    again at the next /signaler, never dropped silently; other drafts are harmless: each
    dialogue starts a fresh one.)"""
    if isinstance(update, Update) and update.effective_chat is not None:
        await reply(update, context, "common.dialogue_expired")


def _one_at_a_time(name: str, handler: BaseHandler[Update, PneContext, Any]) -> None:
    """A dialogue that starts ends the person's others in this chat: otherwise a message
    meant for the new one's question is taken by the one left behind (the first in the
    handler list), and the new dialogue can never be answered. A refused start (END)
    leaves the others be."""
    callback = handler.callback

    async def entered(update: Update, context: PneContext) -> object:
        state = await callback(update, context)
        if state is not None and state != ConversationHandler.END:
            for other in _dialogues(context.application):
                if other.name != name:
                    key = other._get_key(update)
                    if key in other._conversations:
                        _end(other, key)
        return state

    handler.callback = entered


def dialogue(
    *,
    name: str,
    entry_points: Sequence[BaseHandler[Update, PneContext, Any]],
    states: Mapping[object, Sequence[BaseHandler[Update, PneContext, Any]]],
    fallbacks: Sequence[BaseHandler[Update, PneContext, Any]],
) -> ConversationHandler[PneContext]:
    for handler in [*entry_points, *fallbacks, *(h for hs in states.values() for h in hs)]:
        if isinstance(handler, MessageHandler):
            # New messages only: editing an old message is not an answer to a question.
            handler.filters = handler.filters & filters.UpdateType.MESSAGE
    for handler in entry_points:
        _one_at_a_time(name, handler)
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


def _dialogues(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> list[ConversationHandler[Any]]:
    return [
        handler
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, ConversationHandler)
    ]


def _end(handler: ConversationHandler[Any], key: tuple[Any, ...]) -> None:
    """End one conversation and its pending timeout.

    python-telegram-bot offers no public way to end a conversation from outside its
    handler; ``_update_state`` and ``timeout_jobs`` are what it uses itself (pinned
    version, covered by tests/conversations/test_dialogues.py).
    """
    handler._update_state(ConversationHandler.END, key)
    job = handler.timeout_jobs.pop(key, None)
    if job is not None:
        job.schedule_removal()


def end_in_chat(
    application: Application[Any, Any, Any, Any, Any, Any], update: Update, names: Collection[str]
) -> None:
    """End this person's dialogues of these names in the chat of this update."""
    for handler in _dialogues(application):
        if handler.name in names:
            key = handler._get_key(update)
            if key in handler._conversations:
                _end(handler, key)


def end_all(application: Application[Any, Any, Any, Any, Any, Any], update: Update) -> bool:
    """End every dialogue of this update's person, in every chat; True if there was one."""
    user = update.effective_user
    if user is None:
        return False
    ended = False
    for handler in _dialogues(application):
        # Keys are (chat id, user id): a person's dialogues in private and in the group.
        for key in [k for k in handler._conversations if k and k[-1] == user.id]:
            _end(handler, key)
            ended = True
    return ended


async def expire_restored(update: object, context: PneContext) -> None:
    """Before anything else: end this person's dialogue steps that were restored at
    start-up and have waited longer than their timeout (no timeout job runs for them)."""
    persistence = context.application.persistence
    restored = getattr(persistence, "restored", None)
    if not restored or not isinstance(update, Update):
        return
    now = context.services.clock.now()
    for handler in _dialogues(context.application):
        if handler.name is None:
            continue
        key = handler._get_key(update)
        written = restored.get((handler.name, key))
        if written is not None and now - written > timeout_of(handler.name):
            restored.pop((handler.name, key), None)
            _end(handler, key)


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
