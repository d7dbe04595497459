"""Staff triage: the queue (/file, /retards), one ticket in full (/dossier), search.

Everything here checks the role on arrival (the service refuses non-staff too), and
every id in a button is looked up again, never trusted.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.cards.tickets import TicketsCard
from bot.domain.claims import ClaimState
from bot.domain.errors import DomainError
from bot.domain.platforms import TELEGRAM
from bot.domain.roles import Action, can
from bot.services import relay as relay_service
from bot.services import tickets
from bot.services.delivery import Dispatch
from bot.services.kinds import TicketKind
from handlers.telegram import delivery
from handlers.telegram import relay as relay_handlers
from handlers.telegram.app import PneContext
from handlers.telegram.common import edit_message, keyboard, reply, send, send_about
from handlers.telegram.delivery import send_dispatch
from handlers.telegram.dialogues import dialogue

PER_PAGE = 8
_QUEUE = re.compile(r"^tq:(\d{1,4}):(\d{1,10}):([01]):([a-z_]{1,16}|-)$")
STATES = frozenset(state.value for state in ClaimState)


def _is_staff(context: PneContext) -> bool:
    return context.person is not None and can(context.person.role, Action.TRIAGE)


async def _refuse(update: Update, context: PneContext) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(context.t("common.error.forbidden"), show_alert=True)
    else:
        await reply(update, context, "common.error.forbidden")


R = TypeVar("R")


def staff_only(
    handler: Callable[[Update, PneContext], Coroutine[Any, Any, R]],
) -> Callable[[Update, PneContext], Coroutine[Any, Any, R | None]]:
    """Refuse anyone but staff; for a button, answer the callback query first."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: PneContext) -> R | None:
        if not _is_staff(context):
            await _refuse(update, context)
            return None
        if update.callback_query is not None:
            await update.callback_query.answer()
        return await handler(update, context)

    return guarded


def _chat(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


def _card(context: PneContext) -> TicketsCard:
    return TicketsCard(context.services.i18n, context.lang, context.services.settings.tz)


def _state_label(context: PneContext, kind: str, state: str, body_kind: str | None = None) -> str:
    """A state's words; « démarches de l'organisme gestionnaire » on an OGEC's ticket."""
    return _card(context).state(kind, state, body_kind)


# --- the queue ------------------------------------------------------------------------


@staff_only
async def queue_command(update: Update, context: PneContext) -> None:
    await _show_queue(update, context, _View(), edit=False)


@staff_only
async def overdue_command(update: Update, context: PneContext) -> None:
    await _show_queue(update, context, _View(overdue=True), edit=False)


@staff_only
async def queue_button(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    match = _QUEUE.match(query.data)
    assert match is not None  # the handler's pattern
    state = match[4] if match[4] in STATES else None  # anything else: no state filter
    view = _View(int(match[1]), int(match[2]), match[3] == "1", state)
    await _show_queue(update, context, view, edit=True)


@dataclass(frozen=True)
class _View:
    """What the queue shows; carried in its buttons as ``tq:page:commune:overdue:state``."""

    page: int = 0
    commune_id: int = 0
    overdue: bool = False
    state: str | None = None

    def data(self, **changes: Any) -> str:
        view = replace(self, **changes)
        return f"tq:{view.page}:{view.commune_id}:{int(view.overdue)}:{view.state or '-'}"


async def _show_queue(update: Update, context: PneContext, view: _View, *, edit: bool) -> None:
    assert context.person is not None
    page, commune_id, overdue = view.page, view.commune_id, view.overdue
    services = context.services
    now = services.clock.now()
    where = tickets.QueueFilter(
        commune_id=commune_id or None, overdue_only=overdue, state=view.state
    )
    rows, total = await tickets.queue(
        services.db, context.person.id, now=now, where=where, page=page, per_page=PER_PAGE
    )
    text = _card(context).queue(
        rows, total=total, page=page, per_page=PER_PAGE, overdue=overdue, now=now
    )
    buttons: list[list[InlineKeyboardButton]] = [
        [
            InlineKeyboardButton(
                f"{'⚠️ ' if r.overdue else ''}{r.number}", callback_data=f"tk:view:{r.id}"
            )
        ]
        for r in rows
    ]
    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(
                context.t("common.button.previous"),
                callback_data=view.data(page=page - 1),
            )
        )
    if (page + 1) * PER_PAGE < total:
        nav.append(
            InlineKeyboardButton(
                context.t("common.button.next"),
                callback_data=view.data(page=page + 1),
            )
        )
    if nav:
        buttons.append(nav)
    buttons.append(
        [
            InlineKeyboardButton(
                context.t("ticket.button.by_commune"), callback_data="tq:communes"
            ),
            InlineKeyboardButton(context.t("ticket.button.by_state"), callback_data="tq:states"),
            InlineKeyboardButton(
                context.t("ticket.button.all") if overdue else context.t("ticket.button.overdue"),
                callback_data=view.data(page=0, overdue=not overdue),
            ),
        ]
    )
    markup = InlineKeyboardMarkup(buttons)
    query = update.callback_query
    if edit and query is not None:
        await edit_message(query, text, markup)
    else:
        await send(context, _chat(update), text, reply_markup=markup)


@staff_only
async def communes_filter(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None
    assert context.person is not None
    communes = await tickets.communes_with_open_tickets(context.services.db, context.person.id)
    rows = [
        [(f"{name} ({count})", _View(commune_id=commune_id).data())]
        for commune_id, name, count in communes
    ]
    rows.append([(context.t("ticket.button.all"), _View().data())])
    await edit_message(query, context.t("ticket.queue.choose_commune"), keyboard(rows))


@staff_only
async def states_filter(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and context.person is not None
    states = await tickets.states_of_open_tickets(context.services.db, context.person.id)
    rows = [
        [(f"{_state_label(context, kind, state)} ({count})", _View(state=state).data())]
        for kind, state, count in states
    ]
    rows.append([(context.t("ticket.button.all"), _View().data())])
    await edit_message(query, context.t("ticket.queue.choose_state"), keyboard(rows))


# --- one ticket in full --------------------------------------------------------------------


async def dossier_command(update: Update, context: PneContext) -> None:
    """/dossier S-2026-0042: staff see everything with actions; others, within their scope."""
    assert context.person is not None
    if not context.args:
        await reply(update, context, "ticket.dossier.usage")
        return
    number = context.args[0]
    try:
        ref = await tickets.ticket_ref(context.services.db, number=number)
    except DomainError:
        error = context.services.kinds.not_found(number)
        await reply(update, context, error.code, **error.params)
        return
    await _show_dossier(update, context, ref)


@staff_only
async def dossier_button(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    try:
        ref = await tickets.ticket_ref(
            context.services.db, ticket_id=int(query.data.rsplit(":", 1)[1])
        )
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return
    await _show_dossier(update, context, ref)


async def _show_dossier(update: Update, context: PneContext, ref: tickets.TicketRef) -> None:
    """One ticket in full, whatever its kind: the kind's card and actions, and for staff
    the core's part (assignee, thread, attachments) with the core's actions."""
    assert context.person is not None
    services = context.services
    try:
        kind = services.kinds.get(ref.kind)
        view = await kind.view(services.db, context.person.id, ref.id, services.clock.now())
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return
    text = kind.card(services.i18n, context.lang, view)
    markup: InlineKeyboardMarkup | None = None
    if _is_staff(context):
        extra = await tickets.dossier(services.db, context.person.id, ref.id)
        text += "\n\n" + _dossier_extra(context, extra)
        markup = _staff_markup(context, kind, view, extra)
    elif context.person.role == "commune":
        markup = delivery.markup(kind.body_actions(services.i18n, context.lang, view))
    await send_about(context, _chat(update), text, view.id, reply_markup=markup)


def _dossier_extra(context: PneContext, extra: tickets.Dossier) -> str:
    return _card(context).dossier_extra(extra)


def _staff_markup(
    context: PneContext, kind: TicketKind, view: Any, extra: tickets.Dossier
) -> InlineKeyboardMarkup:
    """The core's actions on any ticket, then the kind's own (``TicketsCard``)."""
    assert context.person is not None
    markup = delivery.markup(_card(context).staff_actions(kind, view, extra, context.person.id))
    assert markup is not None
    return markup


@staff_only
async def take(update: Update, context: PneContext) -> None:
    await _assign(update, context, to_self=True)


@staff_only
async def assign_menu(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    assert context.person is not None
    ticket_id = int(query.data.rsplit(":", 1)[1])
    staff = await tickets.staff_members(context.services.db, context.person.id)
    rows = [[(name, f"tk:assignto:{ticket_id}:{pid}")] for pid, name in staff]
    await reply(update, context, "ticket.assign.choose", reply_markup=keyboard(rows))


@staff_only
async def assign_to(update: Update, context: PneContext) -> None:
    await _assign(update, context, to_self=False)


async def _assign(update: Update, context: PneContext, *, to_self: bool) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    assert context.person is not None
    parts = query.data.split(":")
    ticket_id = int(parts[2])
    assignee_id = context.person.id if to_self else int(parts[3])
    services = context.services
    try:
        number, name = await tickets.assign(
            services.db, context.person.id, ticket_id, assignee_id, now=services.clock.now()
        )
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return
    await reply(update, context, "ticket.assign.done", number=number, name=name)


async def resend_files(update: Update, context: PneContext) -> None:
    """A ticket's files sent again: staff's « Renvoyer les pièces », and the body's
    agents' « Voir les pièces jointes » on their own body's tickets (the service checks)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if context.person is None:
        await _refuse(update, context)
        return
    await query.answer()
    try:
        extra = await tickets.attachments(
            context.services.db, context.person.id, int(query.data.rsplit(":", 1)[1])
        )
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return
    # A file id means something only on the platform it was sent on (decision 0016):
    # Telegram is asked for its own files; another platform's are fetched through its
    # front end when it runs here (decision 0060), else counted, not sent.
    router = context.services.router
    left: list[str] = []
    for file in extra.files:
        caption = context.t(
            "ticket.file.caption",
            number=extra.number,
            purpose=context.t(f"claim.purpose.{file.purpose}")
            if file.purpose != "evidence"
            else context.t("ticket.file.evidence"),
        )
        if file.platform == TELEGRAM:
            if file.kind == "photo":
                await context.bot.send_photo(_chat(update), file.file_id, caption=caption)
            else:
                await context.bot.send_document(_chat(update), file.file_id, caption=caption)
            continue
        name = file.file_name or f"{file.kind}-{file.id}"
        carried = await router.carry(
            file.platform, file.file_id, name, caption=caption, image=file.kind == "photo"
        )
        if carried is None:
            left.append(file.platform)
            continue
        await send_dispatch(context.bot, Dispatch(_chat(update), "", (carried,)))
    if left:
        platforms = ", ".join(sorted({platform.capitalize() for platform in left}))
        await reply(
            update,
            context,
            "ticket.file.elsewhere",
            number=extra.number,
            count=len(left),
            platforms=platforms,
        )


@staff_only
async def reopen(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    assert context.person is not None
    services = context.services
    try:
        ref = await tickets.ticket_ref(services.db, ticket_id=int(query.data.rsplit(":", 1)[1]))
        kind = services.kinds.get(ref.kind)
        view = await kind.reopen(services.db, context.person.id, ref.id, services.clock.now())
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return
    await reply(
        update,
        context,
        "ticket.reopened",
        number=view.number,
        state=context.t(kind.state_key(view.state.value)),
    )


# --- search ---------------------------------------------------------------------------------


@staff_only
async def search_command(update: Update, context: PneContext) -> None:
    assert context.person is not None
    text = " ".join(context.args or [])
    try:
        found = await tickets.search(
            context.services.db, context.person.id, text, kinds=context.services.kinds
        )
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return
    if not found:
        await reply(update, context, "ticket.search.none", text=text)
        return
    rows = [[(f.number, f"tk:view:{f.id}")] for f in found]
    await send(
        context, _chat(update), _card(context).search(text, found), reply_markup=keyboard(rows)
    )


# --- writing from the dossier: a reply to the reporter, or an internal note ----------------

WRITE = "write"
WRITING = "staff_writing"


async def write_start(update: Update, context: PneContext) -> str | int:
    """Entry of the reply/note dialogue (refused: END, so no dialogue and no timeout)."""
    if not _is_staff(context):
        await _refuse(update, context)
        return ConversationHandler.END
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    await query.answer()
    _, what, ticket_id = query.data.split(":")
    context.user_data[WRITING] = {"what": what, "ticket_id": int(ticket_id)}
    await reply(update, context, f"ticket.write.ask_{what}")
    return WRITE


async def write_text(update: Update, context: PneContext) -> int:
    assert update.effective_message is not None and context.user_data is not None
    assert context.person is not None
    writing = context.user_data.pop(WRITING, None)
    if writing is None:
        return ConversationHandler.END
    services = context.services
    body = update.effective_message.text or ""
    try:
        if writing["what"] == "reply":
            posted = await relay_service.reply_to_reporter(
                services.db, context.person.id, writing["ticket_id"], body, services.clock.now()
            )
        else:
            posted = await relay_service.add_note(
                services.db, context.person.id, writing["ticket_id"], body, services.clock.now()
            )
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return ConversationHandler.END
    await relay_handlers.deliver(update, context, posted)
    return ConversationHandler.END


async def write_unexpected(update: Update, context: PneContext) -> None:
    await reply(update, context, "ticket.write.unexpected")


def writing() -> ConversationHandler[PneContext]:
    return dialogue(
        entry_points=[CallbackQueryHandler(write_start, pattern=r"^tk:(reply|note):\d{1,10}$")],
        states={
            WRITE: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, write_text),
                MessageHandler(filters.ALL & ~filters.COMMAND, write_unexpected),
            ]
        },
        fallbacks=[],  # /annuler is handled before every dialogue (dialogues.py)
        name="staff_write",
    )


def handlers() -> list[BaseHandler[Update, PneContext, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        writing(),
        CommandHandler(["file", "queue"], queue_command, filters=private),
        CommandHandler(["retards", "overdue"], overdue_command, filters=private),
        CommandHandler(["dossier", "ticket"], dossier_command, filters=private),
        CommandHandler(["recherche", "search"], search_command, filters=private),
        CallbackQueryHandler(queue_button, pattern=_QUEUE),
        CallbackQueryHandler(communes_filter, pattern=r"^tq:communes$"),
        CallbackQueryHandler(states_filter, pattern=r"^tq:states$"),
        CallbackQueryHandler(dossier_button, pattern=r"^tk:view:\d{1,10}$"),
        CallbackQueryHandler(take, pattern=r"^tk:take:\d{1,10}$"),
        CallbackQueryHandler(assign_menu, pattern=r"^tk:assign:\d{1,10}$"),
        CallbackQueryHandler(assign_to, pattern=r"^tk:assignto:\d{1,10}:\d{1,10}$"),
        CallbackQueryHandler(resend_files, pattern=r"^tk:files:\d{1,10}$"),
        CallbackQueryHandler(reopen, pattern=r"^tk:reopen:\d{1,10}$"),
    ]
