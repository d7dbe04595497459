"""What the metrics and the log lines know of a Telegram update (decision 0070)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, BaseHandler, CommandHandler, ConversationHandler

_KNOWN = "supervision.commands"  # bot_data key: the commands registered, for the labels

# The kinds of update, as Telegram names them, that this bot receives.
_KINDS = (
    "callback_query",
    "message",
    "edited_message",
    "my_chat_member",
    "chat_member",
    "channel_post",
    "inline_query",
    "pre_checkout_query",
)


def _commands(handlers: list[BaseHandler[Any, Any, Any]]) -> set[str]:
    found: set[str] = set()
    for handler in handlers:
        if isinstance(handler, CommandHandler):
            found.update(handler.commands)
        elif isinstance(handler, ConversationHandler):
            for inner in (handler.entry_points, handler.fallbacks, *handler.states.values()):
                found |= _commands(list(inner))
    return found


def known_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> frozenset[str]:
    """Every command some handler answers (read once, after ``register``)."""
    known = application.bot_data.get(_KNOWN)
    if not isinstance(known, frozenset):
        every = [h for group in application.handlers.values() for h in group]
        known = application.bot_data[_KNOWN] = frozenset(_commands(every))
    return known


def handler_of(application: Application[Any, Any, Any, Any, Any, Any], update: object) -> str:
    """A bounded label: ``/signaler`` for a registered command, else the update's kind
    (``command`` for one nobody answers: what a person types never becomes a label)."""
    if not isinstance(update, Update):
        return "job" if update is None else "other"
    message = update.message
    if message is not None and message.text and message.text.startswith("/"):
        command = message.text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
        return f"/{command}" if command in known_commands(application) else "command"
    for kind in _KINDS:
        if getattr(update, kind, None) is not None:
            return kind
    return "other"
