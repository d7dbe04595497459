"""Small helpers every Telegram handler shares: replying, splitting, keyboards."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit
from telegram.warnings import PTBUserWarning

from bot.app import PneContext

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long HTML text into messages Telegram accepts, at line breaks.

    Our messages put each tag pair on one line, so cutting between lines never breaks
    markup; a single line longer than the limit (user text) is cut at the limit.
    """
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()] or [text[:limit]]


async def reply(
    update: Update,
    context: PneContext,
    key: str,
    /,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    **params: Any,
) -> Message | None:
    """Answer in the chat of the update with a catalog message."""
    return await send(
        context, _chat_id(update), context.t(key, **params), reply_markup=reply_markup
    )


async def send(
    context: PneContext,
    chat_id: int,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send ``text`` (split when too long; the keyboard goes with the last part)."""
    parts = split_text(text)
    last: Message | None = None
    for index, part in enumerate(parts):
        markup = reply_markup if index == len(parts) - 1 else None
        last = await context.bot.send_message(chat_id, part, reply_markup=markup)
    return last


async def send_about(
    context: PneContext,
    chat_id: int,
    text: str,
    ticket_id: int,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send a message about a ticket and remember it, so that a reply to it reaches the
    ticket's thread (every part of a split message is remembered)."""
    from bot.services.tickets import remember_messages

    parts = split_text(text)
    sent: list[Message] = []
    for index, part in enumerate(parts):
        markup = reply_markup if index == len(parts) - 1 else None
        sent.append(await context.bot.send_message(chat_id, part, reply_markup=markup))
    services = context.services
    await remember_messages(
        services.db, ticket_id, [(m.chat_id, m.message_id) for m in sent], services.clock.now()
    )
    return sent[-1] if sent else None


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None, "handlers are only registered for updates with a chat"
    return chat.id


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def quiet_per_message_warning() -> None:
    """Our dialogues mix messages and buttons, tracked per chat and user (per_message=False),
    which is what we want; python-telegram-bot warns about it at construction."""
    warnings.filterwarnings("ignore", message=r"If 'per_message=False'", category=PTBUserWarning)
