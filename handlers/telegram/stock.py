"""SEM's stock and reassignments on Telegram (art. 1: « réattribuer le matériel non
utilisé »).

- ``/stock [page]`` (staff): the items in stock counted by type with their ages, a page of
  items each with « Réattribuer » (``stk:pick:<equipment id>``), pages
  (``stk:page:<n>``), and the items on their way with « Annuler l'envoi »
  (``stk:undo:<reassignment id>``).
- The reassignment dialogue, started by « Réattribuer » or by ``/reattribuer <tag> <UAI>``:
  the school (a button of the schools offered, those that asked first and marked, or a
  typed UAI or part of a name), then a confirmation naming the item and the school.
- The receiving head's « ✅ Reçu » (``stk:recv:<reassignment id>``), and staff's cancel
  before reception (``stk:undo:`` → ``stk:undook:`` / ``stk:keep:``).

Callback data is never trusted: the ids are checked again by the service (role, scope,
state); a school button must be one this dialogue offered.
"""

from __future__ import annotations

import secrets
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.cards.stock import StockCard
from bot.domain.dates import local_date
from bot.domain.directory import normalize_uai
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.domain.stock import Asked, parse_reassign_args
from bot.i18n import Safe
from bot.services import stock as service
from bot.services.audiences import StaffRoom
from handlers.telegram import steps
from handlers.telegram.app import PneContext
from handlers.telegram.common import keyboard, reply, set_buttons, tell
from handlers.telegram.dialogues import dialogue

REASSIGN = "stock_reassign"
STOCK_DIALOGUES = (REASSIGN,)
SCHOOL, CONFIRM = "stk_school", "stk_confirm"
NONCE_BYTES = 4
MAX_ID = 2**31 - 1
MAX_SEARCH = 60  # characters of a typed search kept and shown back
# Refusals about the school typed: the question stays; any other (the item left the
# stock meanwhile, the person's rights) ends the dialogue.
SCHOOL_ERRORS = frozenset(
    {"stock.error.uai", "stock.error.unknown_school", "stock.error.same_school"}
)

Handler = BaseHandler[Update, PneContext, Any]


def _staff(context: PneContext) -> bool:
    return context.person is not None and can(context.person.role, Action.MANAGE_EQUIPMENT)


def _room(context: PneContext) -> StaffRoom:
    return StaffRoom.of(context.services.settings)


async def _refuse(update: Update, context: PneContext, error: DomainError) -> None:
    """The service's refusal in words (an item's state named, not coded)."""
    params = steps.shown(context, error.params)
    if "state" in params:
        params["state"] = context.t(f"stock.item_state.{params['state']}")
    await reply(update, context, error.code, **params)


def _card(context: PneContext) -> StockCard:
    return StockCard(context.services.i18n, context.lang)


def _type(context: PneContext, code: str) -> str:
    return _card(context).type(code)


def _age(context: PneContext, years: int | None) -> str:
    return _card(context).age(years)


def _id(data: str) -> int | None:
    """The id at the end of a button's data, if it can be a row's (a forged one may be
    beyond what the database's integers hold)."""
    value = int(data.rsplit(":", 1)[1])
    return value if value <= MAX_ID else None


def _keyboard(rows: list[list[tuple[str, str]]]) -> Any:
    """The buttons, or none (Telegram refuses an empty keyboard)."""
    kept = [row for row in rows if row]
    return keyboard(kept) if kept else None


# --- /stock ------------------------------------------------------------------------------


async def _show_page(update: Update, context: PneContext, page: int) -> None:
    assert context.person is not None
    view = await service.stock(context.services.db, context.person.id, steps.now(context), page)
    if view.total == 0 and not view.sent:
        await reply(update, context, "stock.list.empty")
        return
    lines, rows, nav = StockCard(context.services.i18n, context.lang).listing(view)
    rows.append(nav)
    if view.items:
        lines += ["", context.t("stock.list.hint")]
    await reply(
        update,
        context,
        "stock.body",
        text=Safe("\n".join(lines)),
        reply_markup=_keyboard(rows),
    )


async def stock_command(update: Update, context: PneContext) -> None:
    if not _staff(context):
        await reply(update, context, "common.error.forbidden")
        return
    args = context.args or []
    page = int(args[0]) - 1 if len(args) == 1 and args[0].isdigit() and len(args[0]) < 7 else 0
    await _show_page(update, context, page)


async def page_tapped(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    if not _staff(context):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return
    await query.answer()
    await _show_page(update, context, int(query.data.rsplit(":", 1)[1]))


# --- the reassignment dialogue ------------------------------------------------------------


def _school_rows(
    context: PneContext, schools: tuple[service.Candidate, ...]
) -> list[list[tuple[str, str]]]:
    rows = []
    for school in schools:
        marks = []
        if Asked.CLAIM in school.asked:
            marks.append(context.t("stock.mark.asked_claim"))
        if Asked.MESSAGE in school.asked:
            marks.append(context.t("stock.mark.asked_message"))
        if school.held:
            marks.append(context.t("stock.mark.held"))
        label = " ".join([*marks, f"{school.name} ({school.uai})"])
        rows.append([(label, f"stk:to:{school.school_id}")])
    return rows


def _offer(context: PneContext, schools: tuple[service.Candidate, ...]) -> None:
    offered: dict[str, str] = steps.draft(context, REASSIGN).setdefault("offered", {})
    for school in schools:
        offered[str(school.school_id)] = school.uai


async def pick_start(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None
    if not _staff(context):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return steps.end(context, REASSIGN)
    equipment_id = _id(query.data)
    if equipment_id is None:
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return steps.end(context, REASSIGN)
    await query.answer()
    assert context.person is not None
    try:
        offer = await service.candidates(
            context.services.db,
            context.person.id,
            equipment_id,
            steps.now(context),
        )
    except DomainError as error:
        await _refuse(update, context, error)
        return steps.end(context, REASSIGN)
    item = offer.item
    steps.start_draft(context, REASSIGN, tag=item.asset_tag, equipment_id=item.equipment_id)
    _offer(context, offer.candidates)
    text = _card(context).ask_school(offer)
    await reply(
        update,
        context,
        "stock.body",
        text=Safe(text),
        reply_markup=_keyboard(_school_rows(context, offer.candidates)),
    )
    return SCHOOL


async def _ask_confirmation(
    update: Update, context: PneContext, found: service.ReassignPreview
) -> str:
    current = steps.draft(context, REASSIGN)
    current.update(tag=found.item.asset_tag, uai=found.to.uai, school=found.to.name)
    current["nonce"] = secrets.token_hex(NONCE_BYTES)
    lines = [
        context.t(
            "stock.confirm",
            tag=found.item.asset_tag,
            type=_type(context, found.item.type),
            model=found.item.model,
            school=found.to.name,
            uai=found.to.uai,
            commune=found.to.commune_name,
        )
    ]
    if found.to.asked:
        lines.append(context.t("stock.confirm.asked"))
    if found.to.held:
        lines.append(context.t("stock.confirm.held"))
    rows = [
        [
            (
                context.t(
                    "stock.button.confirm",
                    tag=found.item.asset_tag,
                    school=found.to.name,
                    uai=found.to.uai,
                ),
                f"stk:ok:{current['nonce']}",
            )
        ],
        [(context.t("common.button.cancel"), f"stk:no:{current['nonce']}")],
    ]
    await reply(
        update, context, "stock.body", text=Safe("\n".join(lines)), reply_markup=keyboard(rows)
    )
    return CONFIRM


async def _preview(update: Update, context: PneContext, tag: str, uai: str) -> object:
    """The confirmation, or the refusal: about the school, the question stays."""
    assert context.person is not None
    try:
        found = await service.preview(
            context.services.db, context.person.id, tag, uai, steps.now(context)
        )
    except DomainError as error:
        await _refuse(update, context, error)
        if error.code in SCHOOL_ERRORS and REASSIGN in (context.user_data or {}):
            return SCHOOL
        return steps.end(context, REASSIGN)
    return await _ask_confirmation(update, context, found)


async def command_start(update: Update, context: PneContext) -> object:
    """/reattribuer <tag> <UAI>: straight to the confirmation."""
    if not _staff(context):
        await reply(update, context, "common.error.forbidden")
        return steps.end(context, REASSIGN)
    try:
        tag, uai = parse_reassign_args(context.args or [])
    except DomainError as error:
        await _refuse(update, context, error)
        return steps.end(context, REASSIGN)
    steps.start_draft(context, REASSIGN, tag=tag)
    state = await _preview(update, context, tag, uai)
    return steps.end(context, REASSIGN) if state == SCHOOL else state


async def school_tapped(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None
    current = steps.draft(context, REASSIGN)
    uai = current.get("offered", {}).get(query.data.rsplit(":", 1)[1])
    if uai is None or "tag" not in current:
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return SCHOOL
    await query.answer()
    return await _preview(update, context, str(current["tag"]), str(uai))


async def school_typed(update: Update, context: PneContext) -> object:
    assert update.effective_message is not None and context.person is not None
    current = steps.draft(context, REASSIGN)
    if "equipment_id" not in current:
        await reply(update, context, "stock.error.item_gone")
        return steps.end(context, REASSIGN)
    typed = (update.effective_message.text or "").strip()[:MAX_SEARCH]
    try:
        uai = normalize_uai(typed)
    except DomainError:
        uai = None
    if uai is not None:
        return await _preview(update, context, str(current["tag"]), uai)
    try:
        offer = await service.candidates(
            context.services.db,
            context.person.id,
            int(current["equipment_id"]),
            steps.now(context),
            search=typed,
        )
    except DomainError as error:
        await _refuse(update, context, error)
        return steps.end(context, REASSIGN)
    if not typed or not offer.candidates:
        await reply(update, context, "stock.search.none", text=typed or "…")
        return SCHOOL
    _offer(context, offer.candidates)
    await reply(
        update,
        context,
        "stock.search.found",
        text=typed,
        reply_markup=keyboard(_school_rows(context, offer.candidates)),
    )
    return SCHOOL


async def confirmed(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    _, verb, nonce = query.data.split(":")
    current = steps.draft(context, REASSIGN)
    if nonce != current.get("nonce"):
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return CONFIRM
    await query.answer()
    await set_buttons(query, None)
    if verb == "no":
        await reply(update, context, "common.cancelled")
        return steps.end(context, REASSIGN)
    services = context.services
    try:
        done = await service.reassign(
            services.db,
            context.person.id,
            str(current["tag"]),
            str(current["uai"]),
            steps.now(context),
            i18n=services.i18n,
            room=_room(context),
        )
    except DomainError as error:
        await _refuse(update, context, error)
        return steps.end(context, REASSIGN)
    told = await tell(context, done.messages)
    heads = done.heads_told if told else 0
    view = done.view
    undo = keyboard([[(context.t("stock.button.undo"), service.UNDO.format(view.id))]])
    params: dict[str, Any] = {
        "tag": view.asset_tag,
        "school": view.to_school_name,
        "uai": view.to_school_uai,
    }
    if heads:
        await reply(update, context, "stock.done", count=heads, reply_markup=undo, **params)
    else:
        await reply(update, context, "stock.done_nobody_told", reply_markup=undo, **params)
    return steps.end(context, REASSIGN)


def conversation() -> Any:
    return dialogue(
        name=REASSIGN,
        entry_points=[
            CallbackQueryHandler(pick_start, pattern=r"^stk:pick:\d{1,10}$"),
            CommandHandler(
                ["reattribuer", "reassign"], command_start, filters=filters.ChatType.PRIVATE
            ),
        ],
        states={
            SCHOOL: [
                CallbackQueryHandler(school_tapped, pattern=r"^stk:to:\d{1,10}$"),
                MessageHandler(steps.TEXT, school_typed),
                *steps.stay(),
            ],
            CONFIRM: [
                CallbackQueryHandler(confirmed, pattern=r"^stk:(ok|no):[0-9a-f]{1,16}$"),
                *steps.stay(),
            ],
        },
        fallbacks=[],
    )


# --- reception and cancellation -----------------------------------------------------------


async def received(update: Update, context: PneContext) -> None:
    """The receiving head's « ✅ Reçu » (staff may too)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    person = context.person
    if person is None or not can(person.role, Action.RECEIVE_EQUIPMENT):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return
    reassignment_id = _id(query.data)
    if reassignment_id is None:
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return
    await query.answer()
    services = context.services
    try:
        done = await service.confirm_reception(
            services.db,
            person.id,
            reassignment_id,
            steps.now(context),
            i18n=services.i18n,
            room=_room(context),
        )
    except DomainError as error:
        await _refuse(update, context, error)
        return
    await set_buttons(query, None)
    await tell(context, done.messages)
    view = done.view
    day = services.i18n.date(
        context.lang,
        view.installed_on or local_date(view.received_at or steps.now(context), services.i18n.tz),
    )
    await reply(
        update,
        context,
        "stock.received_already" if done.already else "stock.received",
        tag=view.asset_tag,
        type=_type(context, view.type),
        school=view.to_school_name,
        day=day,
    )


async def undo_tapped(update: Update, context: PneContext) -> None:
    """Staff: cancel an item's sending? Asked first, naming the item and the school."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not _staff(context):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return
    reassignment_id = _id(query.data)
    if reassignment_id is None:
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return
    await query.answer()
    assert context.person is not None
    try:
        view = await service.reassignment_view(
            context.services.db, context.person.id, reassignment_id
        )
    except DomainError as error:
        await _refuse(update, context, error)
        return
    params: dict[str, Any] = {
        "tag": view.asset_tag,
        "school": view.to_school_name,
        "uai": view.to_school_uai,
    }
    if view.state == "cancelled":
        await reply(update, context, "stock.cancelled_already", **params)
        return
    if view.state == "received":
        await reply(update, context, "stock.error.already_received")
        return
    rows = [
        [(context.t("stock.button.undo_confirm", tag=view.asset_tag), f"stk:undook:{view.id}")],
        [(context.t("stock.button.keep"), f"stk:keep:{view.id}")],
    ]
    await reply(
        update,
        context,
        "stock.cancel_ask",
        type=_type(context, view.type),
        reply_markup=keyboard(rows),
        **params,
    )


async def undo_confirmed(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    if not _staff(context):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return
    verb = query.data.split(":")[1]
    number = _id(query.data)
    if number is None:
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return
    await query.answer()
    assert context.person is not None
    services = context.services
    try:
        if verb == "keep":
            view = await service.reassignment_view(services.db, context.person.id, number)
            await set_buttons(query, None)
            await reply(update, context, "stock.kept", tag=view.asset_tag)
            return
        done = await service.cancel_reassignment(
            services.db,
            context.person.id,
            number,
            steps.now(context),
            i18n=services.i18n,
            room=_room(context),
        )
    except DomainError as error:
        await _refuse(update, context, error)
        return
    await set_buttons(query, None)
    await tell(context, done.messages)
    view = done.view
    await reply(
        update,
        context,
        "stock.cancelled_already" if done.already else "stock.cancelled_done",
        tag=view.asset_tag,
        school=view.to_school_name,
        uai=view.to_school_uai,
    )


def handlers() -> list[Handler]:
    return [
        CommandHandler(["stock"], stock_command, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(page_tapped, pattern=r"^stk:page:\d{1,6}$"),
        CallbackQueryHandler(received, pattern=r"^stk:recv:\d{1,10}$"),
        CallbackQueryHandler(undo_tapped, pattern=r"^stk:undo:\d{1,10}$"),
        CallbackQueryHandler(undo_confirmed, pattern=r"^stk:(undook|keep):\d{1,10}$"),
    ]
