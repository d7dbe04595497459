"""The relay on Telegram: replies between reporters, communes and staff, internal notes,
and /mes_dossiers with each ticket's thread.

- ``/repondre S-2026-0042 texte`` (staff): to the reporter;
- a reply (Telegram's « répondre ») to any message of the bot about a ticket, in private:
  from staff to the reporter, from anyone else to the assignee or to staff (the staff group
  when one is configured); photos and documents pass the same way;
- in the staff group, a reply to a message about a ticket is an internal note (colleagues
  talk there; an aside must not reach the reporter), and the bot says how to write to the
  reporter instead;
- ``/note S-2026-0042 texte`` (staff), or ``/note texte`` in reply to a message about a
  ticket: an internal note, never sent to the reporter;
- ``/mes_dossiers``: the person's tickets, paged (``tk:mine:<page>``); a ticket's button
  (``tk:open:<id>``) shows it, re-checked on arrival (a teacher opens only their own).

Every message sent about a ticket is remembered (``MessageRef``), so that the answer to it
finds its ticket again.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.cards.tickets import TicketsCard, posted_text
from bot.domain.errors import DomainError
from bot.domain.platforms import TELEGRAM
from bot.domain.roles import Action, Role, can
from bot.domain.text import units
from bot.i18n import I18n
from bot.services import relay as service
from bot.services import tickets
from bot.services.audiences import StaffRoom
from bot.services.claims import FileRef
from bot.services.delivery import Attachment as DeliveredFile
from bot.services.delivery import Dispatch, Outgoing
from bot.services.tickets import remember_messages, ticket_for_message
from handlers.telegram.app import PneContext
from handlers.telegram.common import edit_message, keyboard, reply, send_about
from handlers.telegram.delivery import markup

log = logging.getLogger(__name__)

STAFF_ACTION = Action.TRIAGE  # /repondre and /note
MAX_CAPTION = 1000  # Telegram takes 1024 visible characters; markup only adds to the length


class _RepliesToBot(filters.MessageFilter):
    """A message that answers (reply-to) one of this bot's messages."""

    __slots__ = ()

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        if replied is None or replied.from_user is None:
            return False
        try:
            return replied.from_user.id == message.get_bot().id
        except RuntimeError:  # no bot attached (a hand-built update)
            return replied.from_user.is_bot


REPLIES_TO_BOT = _RepliesToBot(name="replies_to_bot")


# --- helpers -------------------------------------------------------------------------------


def _chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


def _in_group(update: Update) -> bool:
    """A group chat: the staff group (the guard lets no one write in any other)."""
    return update.effective_chat is not None and update.effective_chat.type != ChatType.PRIVATE


def _first_name(update: Update, fallback: str) -> str:
    user = update.effective_user
    return user.first_name if user is not None and user.first_name else fallback.split()[0]


def _file_of(message: Message) -> FileRef | None:
    if message.photo:
        photo = message.photo[-1]
        return FileRef("photo", photo.file_id, photo.file_unique_id)
    if message.document:
        doc = message.document
        return FileRef("document", doc.file_id, doc.file_unique_id, doc.file_name, doc.mime_type)
    return None


def _render(
    i18n: I18n,
    lang: str,
    posted: service.Posted,
    sender_first_name: str,
    *,
    body: str | None = None,
    group: bool = False,
) -> str:
    return posted_text(i18n, lang, posted, sender_first_name, body=body, group=group)


async def _send_file_about(
    context: PneContext, chat_id: int, file: FileRef, caption: str, ticket_id: int
) -> None:
    """Forward a file by its file_id, and remember the message like ``send_about`` does."""
    if file.kind == "photo":
        sent = await context.bot.send_photo(chat_id, file.file_id, caption=caption)
    else:
        sent = await context.bot.send_document(chat_id, file.file_id, caption=caption)
    services = context.services
    await remember_messages(
        services.db,
        ticket_id,
        [(sent.chat_id, sent.message_id)],
        services.clock.now(),
        platform=TELEGRAM,
    )


async def deliver(update: Update, context: PneContext, posted: service.Posted) -> None:
    """Send what was written to its recipients, then tell the writer what happened."""
    services = context.services
    ticket = posted.ticket
    if posted.audience is service.Audience.NOBODY:
        await reply(update, context, "relay.note.saved", number=ticket.number)
        return
    sender = _first_name(update, posted.author_name)
    # The staff's group (when the service chose it) reads who wrote from which side.
    group = any(r.is_group for r in posted.recipients)
    if posted.file is None:
        # Text alone: through the outbox, to each reader on their own platform; what
        # cannot go now is sent by the sweep (decision 0084).
        told = await services.deliver(
            [
                Outgoing(
                    r.chat_id,
                    _render(services.i18n, r.language, posted, sender, group=group),
                    ticket_id=ticket.id,
                    platform=r.platform,
                )
                for r in posted.recipients
            ]
        )
        said = service.said_after(posted, told.delivered, told.later)
        await reply(update, context, said, number=ticket.number, name=ticket.reporter_name)
        return
    fetched: list[DeliveredFile | None] = []

    async def carry() -> DeliveredFile | None:
        """The file's bytes, fetched once for every reader on another platform."""
        if not fetched:
            file = posted.file
            assert file is not None
            name = file.file_name or (f"photo-{ticket.number}.jpg" if file.kind == "photo" else "")
            fetched.append(
                await services.router.carry(
                    TELEGRAM, file.file_id, name or file.kind, image=file.kind == "photo"
                )
            )
        return fetched[0]

    delivered = 0
    for recipient in posted.recipients:
        chat_id, lang = recipient.chat_id, recipient.language
        text = _render(services.i18n, lang, posted, sender, group=group)
        if recipient.platform != TELEGRAM:
            # A person on another front end: through the process's router. A Telegram file
            # id means nothing there: the file's bytes go with the text (decision 0060),
            # or, too large or unreadable, the text says the file stays on the ticket.
            carried = await carry() if posted.file is not None else None
            if posted.file is not None and carried is None:
                text += "\n\n" + services.i18n.t(lang, "relay.file.kept_elsewhere")
            outgoing = Outgoing(chat_id, text, ticket_id=ticket.id, platform=recipient.platform)
            try:
                await tickets.send_about(
                    services.db, services.router, outgoing, services.clock.now()
                )
                if carried is not None:
                    await tickets.send_files_about(
                        services.db,
                        services.router,
                        Dispatch(chat_id, "", (carried,), platform=recipient.platform),
                        ticket.id,
                        services.clock.now(),
                    )
            except Exception as error:  # unreachable, refused, or transient: logged, skipped
                log.warning(
                    "relay: %s chat %s of ticket %s unreachable: %s",
                    recipient.platform,
                    chat_id,
                    ticket.id,
                    error,
                )
                continue
            delivered += 1
            continue
        try:
            if posted.file is not None and units(text) > MAX_CAPTION:
                # Long names and a long caption: the file with its header, then the text.
                header = _render(services.i18n, lang, posted, sender, body="", group=group)
                await _send_file_about(context, chat_id, posted.file, header, ticket.id)
                await send_about(context, chat_id, text, ticket.id)
            elif posted.file is not None:
                await _send_file_about(context, chat_id, posted.file, text, ticket.id)
            else:
                await send_about(context, chat_id, text, ticket.id)
        except (Forbidden, BadRequest) as error:  # blocked the bot, or chat gone
            log.warning("relay: chat %s of ticket %s unreachable: %s", chat_id, ticket.id, error)
            continue
        delivered += 1
    said = service.said_after(posted, delivered)
    await reply(update, context, said, number=ticket.number, name=ticket.reporter_name)


async def _error(update: Update, context: PneContext, error: DomainError) -> None:
    await reply(update, context, error.code, **error.params)


# --- staff commands ----------------------------------------------------------------------


async def reply_command(update: Update, context: PneContext) -> None:
    """/repondre S-2026-0042 texte — staff write to the ticket's reporter."""
    person = context.person
    message = update.effective_message
    assert person is not None and message is not None
    if not can(person.role, STAFF_ACTION):
        await reply(update, context, "common.error.forbidden")
        return
    parts = (message.text or "").split(maxsplit=2)
    if len(parts) < 3:
        await reply(update, context, "relay.usage.reply")
        return
    services = context.services
    try:
        ticket_id = await service.ticket_by_number(services.db, person.id, parts[1])
        posted = await service.reply_to_reporter(
            services.db, person.id, ticket_id, parts[2], services.clock.now()
        )
    except DomainError as error:
        await _error(update, context, error)
        return
    await deliver(update, context, posted)


async def note_command(update: Update, context: PneContext) -> None:
    """/note S-2026-0042 texte, or /note texte in reply to a message about a ticket."""
    person = context.person
    message = update.effective_message
    assert person is not None and message is not None
    if not can(person.role, STAFF_ACTION):
        await reply(update, context, "common.error.forbidden")
        return
    services = context.services
    parts = (message.text or "").split(maxsplit=2)
    ticket_id: int | None = None
    body = ""
    try:
        if len(parts) >= 3 and service.looks_like_number(parts[1]):
            ticket_id = await service.ticket_by_number(services.db, person.id, parts[1])
            body = parts[2]
        elif len(parts) >= 2 and message.reply_to_message is not None:
            ticket_id = await ticket_for_message(
                services.db, TELEGRAM, _chat_id(update), message.reply_to_message.message_id
            )
            body = (message.text or "").split(maxsplit=1)[1]
        if ticket_id is None:
            await reply(update, context, "relay.usage.note")
            return
        posted = await service.add_note(
            services.db, person.id, ticket_id, body, services.clock.now()
        )
    except DomainError as error:
        await _error(update, context, error)
        return
    await deliver(update, context, posted)


# --- replies to the bot's messages ---------------------------------------------------------


async def reply_about_a_ticket_first(update: Update, context: PneContext) -> None:
    """Before the dialogues: a reply to a message about a ticket is for the relay, even when
    the person is in the middle of a dialogue (which would otherwise take it as its
    answer). Other replies go on to the dialogues, then to ``reply_received``."""
    message = update.effective_message
    if context.person is None or message is None or message.reply_to_message is None:
        return
    ticket_id = await ticket_for_message(
        context.services.db, TELEGRAM, _chat_id(update), message.reply_to_message.message_id
    )
    if ticket_id is None:
        return
    await reply_received(update, context)
    raise ApplicationHandlerStop


async def reply_received(update: Update, context: PneContext) -> None:
    """A reply to one of the bot's messages: into the ticket's thread, and on to the others.

    In the staff group it is an internal note: colleagues talk to each other there, and an
    aside must not reach the reporter; the bot says how to write to the reporter."""
    person = context.person
    message = update.effective_message
    if person is None or message is None or message.reply_to_message is None:
        return
    services = context.services
    ticket_id = await ticket_for_message(
        services.db, TELEGRAM, _chat_id(update), message.reply_to_message.message_id
    )
    if ticket_id is None:
        key = (
            "relay.error.not_a_ticket_staff"
            if person.role == Role.STAFF
            else ("relay.error.not_a_ticket")
        )
        await reply(update, context, key)
        return
    file = _file_of(message)
    body = message.text or message.caption or ""
    try:
        if _in_group(update):
            posted = await service.add_note(
                services.db, person.id, ticket_id, body, services.clock.now(), file=file
            )
            await reply(update, context, "relay.note.kept_in_group", number=posted.ticket.number)
            return
        posted = await service.write_on_ticket(
            services.db,
            person.id,
            ticket_id,
            body,
            services.clock.now(),
            file=file,
            room=StaffRoom.of(services.settings),
        )
    except DomainError as error:
        await _error(update, context, error)
        return
    await deliver(update, context, posted)


# --- /mes_dossiers ------------------------------------------------------------------------------


def _card(context: PneContext) -> TicketsCard:
    return TicketsCard(context.services.i18n, context.lang, context.services.settings.tz)


def _page_view(context: PneContext, page: service.TicketPage) -> tuple[str, Any]:
    text = _card(context).mine(page)
    if not page.lines:
        return text, None
    rows: list[list[tuple[str, str]]] = []
    row: list[tuple[str, str]] = []
    for line in page.lines:
        row.append((line.number, f"tk:open:{line.id}"))
        if len(row) == 2:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    nav: list[tuple[str, str]] = []
    if page.page > 0:
        nav.append((context.t("common.button.previous"), f"tk:mine:{page.page - 1}"))
    if page.page + 1 < page.pages:
        nav.append((context.t("common.button.next"), f"tk:mine:{page.page + 1}"))
    if nav:
        rows.append(nav)
    return text, keyboard(rows)


async def my_tickets(update: Update, context: PneContext) -> None:
    person = context.person
    assert person is not None
    page = await service.my_tickets(context.services.db, person.id, 0)
    text, markup = _page_view(context, page)
    await context.bot.send_message(_chat_id(update), text, reply_markup=markup)


async def page_turned(update: Update, context: PneContext) -> None:
    query = update.callback_query
    person = context.person
    assert query is not None and query.data is not None and person is not None
    await query.answer()
    page = await service.my_tickets(
        context.services.db, person.id, int(query.data.rsplit(":", 1)[1])
    )
    text, markup = _page_view(context, page)
    await edit_message(query, text, markup)


def _thread_text(context: PneContext, thread: service.TicketThread, *, group: bool) -> str:
    return _card(context).thread(thread, group=group)


async def open_ticket(update: Update, context: PneContext) -> None:
    """A ticket's button: its card (a claim's, with its timeline) and its thread."""
    query = update.callback_query
    person = context.person
    assert query is not None and query.data is not None and person is not None
    await query.answer()
    services = context.services
    ticket_id = int(query.data.rsplit(":", 1)[1])
    try:  # never trust the button: the scope is checked again here
        thread = await service.ticket_thread(services.db, person.id, ticket_id)
        if thread.ticket.kind in services.kinds:
            kind = services.kinds.get(thread.ticket.kind)
            view = await kind.view(services.db, person.id, ticket_id, services.clock.now())
            buttons = None
            if person.role == Role.STAFF:
                buttons = kind.staff_actions(services.i18n, context.lang, view)
            elif person.role == Role.COMMUNE:
                buttons = kind.body_actions(services.i18n, context.lang, view)
            await send_about(
                context,
                _chat_id(update),
                kind.card(services.i18n, context.lang, view),
                ticket_id,
                reply_markup=markup(buttons or ()),
            )
    except DomainError:
        await reply(update, context, "relay.error.not_found")
        return
    text = _thread_text(context, thread, group=_in_group(update))
    await send_about(context, _chat_id(update), text, ticket_id)


# --- registration ------------------------------------------------------------------------------


def handlers() -> list[BaseHandler[Update, PneContext, Any]]:
    """In this order, in the main group, after the dialogues (ConversationHandlers) and
    before the catch-all ``registration.unknown``: a person inside a dialogue who answers
    the bot's question with Telegram's « reply » must reach the dialogue, not the relay."""
    answer = filters.TEXT & ~filters.COMMAND | filters.PHOTO | filters.Document.ALL
    return [
        CommandHandler(["repondre", "reply"], reply_command),
        CommandHandler("note", note_command),
        CommandHandler(
            ["mes_dossiers", "my_tickets"], my_tickets, filters=filters.ChatType.PRIVATE
        ),
        CallbackQueryHandler(page_turned, pattern=r"^tk:mine:\d{1,4}$"),
        CallbackQueryHandler(open_ticket, pattern=r"^tk:open:\d{1,10}$"),
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.REPLY & REPLIES_TO_BOT & answer,
            reply_received,
        ),
    ]
