"""Small helpers every Telegram handler shares: replying, splitting, keyboards."""

from __future__ import annotations

import html
import logging
import re
import warnings
from collections.abc import Sequence
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit
from telegram.error import BadRequest
from telegram.warnings import PTBUserWarning

from bot.domain.platforms import TELEGRAM
from bot.domain.text import units, within
from bot.services.delivery import Outgoing
from handlers.telegram.app import PneContext

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096
log = logging.getLogger(__name__)


_PIECE = re.compile(r"<[^>]*>|&#?[A-Za-z0-9]+;|\n| +|[^<&\n ]+|[<&]")
_TAG = re.compile(r"^<\s*(/?)\s*([A-Za-z0-9-]+)")


def _closing(stack: Sequence[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _opening(stack: Sequence[tuple[str, str]]) -> str:
    return "".join(tag for _, tag in stack)


def _after(piece: str, stack: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The open tags after ``piece`` (a tag, an entity, a line break or plain text)."""
    match = _TAG.match(piece) if piece.startswith("<") else None
    if match is None:
        return stack
    name = match[2].lower()
    if match[1]:  # a closing tag: our HTML is balanced, it closes the innermost one
        return stack[:-1] if stack and stack[-1][0] == name else stack
    return [*stack, (name, piece)]


def _visible(html: str) -> bool:
    return bool(re.sub(r"<[^>]*>", "", html).strip())


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long HTML text into messages Telegram accepts.

    Lengths are Telegram's (UTF-16 units, ``bot.domain.text.units``), counted on the HTML
    itself, tags included: never less than what Telegram counts once it has read them.
    Cuts at a line break when there is one, else between words of a long line, never
    inside a tag, an entity (``&amp;``) or a character; a tag open at a cut is closed at
    the end of the part and opened again at the start of the next, so each part is valid
    HTML.
    """
    if units(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    stack: list[tuple[str, str]] = []
    last_break: tuple[int, list[tuple[str, str]]] | None = None  # where a cut would go
    pieces = _PIECE.findall(text)
    while pieces:
        piece = pieces.pop(0)
        after = _after(piece, stack)
        if units(current) + units(piece) + units(_closing(after)) > limit:
            if last_break is not None and last_break[0] > len(_opening(last_break[1])):
                at, open_then = last_break  # cut at the last line break
                chunks.append(current[:at] + _closing(open_then))
                current = _opening(open_then) + current[at + 1 :]
                last_break = None
                pieces.insert(0, piece)
                continue
            room = limit - units(current) - units(_closing(stack))
            plain = not piece.startswith(("<", "&")) and piece != "\n"
            space = piece.rfind(" ", 0, within(piece, room)) if plain and room > 0 else -1
            if space > 0:
                # Part of this text fits here: cut it after a space.
                pieces[0:0] = [piece[: space + 1], piece[space + 1 :]]
                continue
            fresh = limit - units(_opening(stack)) - units(_closing(stack))
            if plain and len(piece) > 1 and (not _visible(current) or units(piece) > fresh):
                # A word longer than a whole part: cut it where it must be.
                here = _visible(current) or room > 0
                size = within(piece, max(room, 1) if here else max(fresh, 1))
                if size > 0 or not _visible(current):
                    size = max(size, 1)  # at least one character moves on
                    pieces[0:0] = [piece[:size], piece[size:]]
                    continue
            if _visible(current):
                chunks.append(current + _closing(stack))
                current = _opening(stack)
                last_break = None
                pieces.insert(0, piece)
                continue
            # Nothing visible yet and still too long (a limit smaller than a tag): keep it.
        if piece == "\n":
            last_break = (len(current), list(stack))
        current += piece
        stack = after
    chunks.append(current)
    visible = [chunk for chunk in chunks if _visible(chunk)]
    return visible or [text[: within(text, limit)]]


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
        services.db,
        ticket_id,
        [(m.chat_id, m.message_id) for m in sent],
        services.clock.now(),
        platform=TELEGRAM,
    )
    return sent[-1] if sent else None


async def tell(context: PneContext, messages: Sequence[Outgoing]) -> int:
    """Send what a service says is owed to others (each about its ticket, with its
    buttons), through the outbox (decision 0084): one recipient's failure does not stop
    the others, and what cannot go now is sent by the sweep. Returns how many got it now."""
    return await context.services.tell(messages)


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None, "handlers are only registered for updates with a chat"
    return chat.id


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def _shown_text(html_text: str) -> str:
    """The text Telegram shows for our HTML (tags read, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]*>", "", html_text))


async def edit_message(
    query: CallbackQuery, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the text and buttons of the message a button was tapped on, unless it
    shows them already: a second tap on the same button (« Suivants ▶️ » twice, the same
    language chosen again, a page shown tapped again) changes nothing, and Telegram
    refuses such an edit (« message is not modified »): it is not sent."""
    message = query.message
    if isinstance(message, Message) and message.text is not None:
        same_buttons = (message.reply_markup or None) == (reply_markup or None)
        if same_buttons and message.text == _shown_text(text).strip():
            return
    try:
        await query.edit_message_text(text, reply_markup=reply_markup)
    except BadRequest as error:  # the same, in a way the comparison did not see
        if "not modified" not in error.message.lower():
            raise


async def set_buttons(query: CallbackQuery, buttons: InlineKeyboardMarkup | None) -> None:
    """Replace the buttons of the message a button was tapped on (None: remove them),
    unless it has these already: a second tap of the same button (a double tap, or a
    button of an older message tapped again) would have Telegram refuse the edit
    ("message is not modified") and the person told of an internal error."""
    message = query.message
    current = message.reply_markup if isinstance(message, Message) else None
    if (current or None) == (buttons or None):
        return
    await query.edit_message_reply_markup(buttons)


def quiet_per_message_warning() -> None:
    """Our dialogues mix messages and buttons, tracked per chat and user (per_message=False),
    which is what we want; python-telegram-bot warns about it at construction."""
    warnings.filterwarnings("ignore", message=r"If 'per_message=False'", category=PTBUserWarning)


async def alert(update: Update, context: PneContext, key: str, **params: Any) -> None:
    """A tapped button answered with a pop-up that must be dismissed (a refusal, a stale tap)."""
    query = update.callback_query
    assert query is not None
    await query.answer(context.t(key, **params), show_alert=True)


async def done_with_buttons(update: Update) -> None:
    """A button answered: the message it was on keeps no buttons (tapped twice: no-op)."""
    query = update.callback_query
    if query is not None:
        await query.answer()
        await set_buttons(query, None)
