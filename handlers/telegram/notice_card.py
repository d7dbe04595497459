"""A notice's card and the taps on it (works, fibre, class changes, the school network).

- ``ntc:view:<id>``: the card with the person's actions (staff's, the body's, a head's);
- ``ntc:ack:<id>`` (staff): taken into account (an opening then closes);
- ``ntc:move:<id>`` (staff): a move, asked to be confirmed naming the items and the school
  (``ntc:moveok:<id>``), then the inventory moves;
- ``ntc:fibre:<id>`` (staff): the migration ordered, then done;
- ``ntc:back:<id>`` (a head or the body): the equipment is back in place after works;
- ``ntc:off:<id>`` (the body): its equipment is off the school's network;
- ``ntc:collect:<id>`` (staff, works still open with SEM's equipment in the rooms and no
  collection yet): a short dialogue plans the collection of those items (art. 1): the
  items as toggles, all ticked (``ntc:ct:<n>``, ``ntc:cdone``), where they will be
  gathered (typed), a confirmation naming the items (``ntc:cok|cno:<nonce>``); then the
  flagging is written, staff get the collection's card and the school's heads a word.

No id is trusted: each tap goes through the service, which checks the role and that the
person follows the notice (another body's reads as not found); a second tap on a step
already taken gets a word, not an error.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler

from bot.cards.notices import NoticeCard
from bot.domain import collections as rules
from bot.domain.collections import MAX_ITEMS
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.services import collection_notices, notice_notices
from bot.services import notices as service
from bot.services.delivery import Actions
from bot.services.notices import NoticeView, RoomItem
from handlers.telegram import steps
from handlers.telegram.app import PneContext
from handlers.telegram.common import reply, send, send_about, set_buttons, tell
from handlers.telegram.delivery import markup
from handlers.telegram.dialogues import dialogue
from storage.uow import Database

Handler = BaseHandler[Update, PneContext, Any]
Step = Callable[[Database, int, int, datetime], Awaitable[NoticeView]]


def _card(context: PneContext) -> NoticeCard:
    return NoticeCard(context.services.i18n, context.lang)


def _chat(update: Update) -> int:
    return update.effective_chat.id if update.effective_chat else 0


def _actions(context: PneContext, view: NoticeView) -> Actions:
    """The person's actions on the card (without « Voir », which is the card itself)."""
    assert context.person is not None
    return _card(context).card_actions(view, context.person.role)


async def _show(update: Update, context: PneContext, view: NoticeView) -> None:
    await send_about(
        context,
        _chat(update),
        _card(context).card(view, timeline=True),
        view.id,
        reply_markup=markup(_actions(context, view)),
    )


def _notice_id(data: str) -> int:
    return int(data.split(":")[2])


async def show_notice(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    await query.answer()
    try:
        view = await service.notice_view(
            context.services.db,
            context.person.id,
            _notice_id(query.data),
            steps.now(context),
            timeline=True,
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return
    await _show(update, context, view)


async def _step(
    update: Update,
    context: PneContext,
    action: Action,
    run: Step,
    after: Callable[[PneContext, NoticeView], Awaitable[None]],
) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    if not can(context.person.role, action):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return
    await query.answer()
    try:
        view = await run(
            context.services.db, context.person.id, _notice_id(query.data), steps.now(context)
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return
    await set_buttons(query, None)
    await after(context, view)
    await _show(update, context, view)


async def acknowledge(update: Update, context: PneContext) -> None:
    async def after(context: PneContext, view: NoticeView) -> None:
        await reply(update, context, "notice.done.acknowledged", number=view.number)

    await _step(update, context, Action.MANAGE_NOTICES, service.acknowledge, after)


async def fibre_step(update: Update, context: PneContext) -> None:
    async def after(context: PneContext, view: NoticeView) -> None:
        key = "notice.told.fibre_done" if view.closed_at else "notice.told.fibre_ordered"
        services = context.services
        await tell(
            context, await notice_notices.to_school_and_body(services.db, services.i18n, view, key)
        )

    await _step(update, context, Action.MANAGE_NOTICES, service.fibre_step, after)


async def move_asked(update: Update, context: PneContext) -> None:
    """Staff tap « Confirmer le déménagement »: what will move, to confirm."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    if not can(context.person.role, Action.MANAGE_NOTICES):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return
    await query.answer()
    try:
        view = await service.notice_view(
            context.services.db, context.person.id, _notice_id(query.data), steps.now(context)
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return
    if not view.is_move or view.acknowledged_at is not None:
        await reply(update, context, "notice.error.nothing_to_confirm")
        return
    card = _card(context)
    await send(
        context,
        _chat(update),
        card.move_confirmation(view),
        reply_markup=markup(card.move_confirm_actions(view)),
    )


async def move_confirmed(update: Update, context: PneContext) -> None:
    async def after(context: PneContext, view: NoticeView) -> None:
        services = context.services
        await reply(update, context, "notice.done.move", number=view.number)
        await tell(
            context,
            await notice_notices.to_school_and_body(
                services.db, services.i18n, view, "notice.told.move_confirmed"
            ),
        )

    await _step(update, context, Action.MANAGE_NOTICES, service.confirm_move, after)


async def move_dropped(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and context.person is not None
    if not can(context.person.role, Action.MANAGE_NOTICES):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return
    await query.answer()
    await set_buttons(query, None)
    await reply(update, context, "common.cancelled")


async def back_in_place(update: Update, context: PneContext) -> None:
    async def after(context: PneContext, view: NoticeView) -> None:
        services = context.services
        assert context.person is not None
        await reply(update, context, "notice.done.back_in_place", number=view.number)
        await tell(
            context,
            await notice_notices.to_staff(
                services.db,
                services.i18n,
                services.settings,
                view,
                "notice.told.back_in_place",
                context.person.full_name,
            ),
        )

    await _step(update, context, Action.NOTIFY_WORKS, service.confirm_back_in_place, after)


async def disconnected(update: Update, context: PneContext) -> None:
    async def after(context: PneContext, view: NoticeView) -> None:
        services = context.services
        assert context.person is not None
        await reply(update, context, "notice.done.disconnected", number=view.number)
        await tell(
            context,
            await notice_notices.to_staff(
                services.db,
                services.i18n,
                services.settings,
                view,
                "notice.told.disconnected",
                context.person.full_name,
            ),
        )

    await _step(update, context, Action.REMOVE_OWN_EQUIPMENT, service.confirm_disconnected, after)


# --- a collection planned from works ------------------------------------------------------

COLLECT = "notice_collect"
NOTICE_DIALOGUES = (COLLECT,)
ITEMS, PLACE, CONFIRM = "ntc_items", "ntc_place", "ntc_confirm"
NONCE_BYTES = 4


def _items(current: steps.Draft) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = current.get("items", [])
    return found


def _chosen(current: steps.Draft) -> list[dict[str, Any]]:
    return [item for item in _items(current) if item.get("on")]


def _room_item(item: dict[str, Any]) -> RoomItem:
    return RoomItem(str(item["tag"]), str(item["type"]), str(item["model"]), item.get("room"))


def _item_rows(context: PneContext, current: steps.Draft) -> Actions:
    items = _items(current)
    return _card(context).collect_toggles(
        [_room_item(i) for i in items], [bool(i.get("on")) for i in items]
    )


async def collect_start(update: Update, context: PneContext) -> object:
    """« 📦 Collecter le matériel des salles »: the rooms' SEM items in service, all ticked."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    if not can(context.person.role, Action.MANAGE_NOTICES):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return steps.end(context, COLLECT)
    await query.answer()
    try:
        view = await service.collectable_items(
            context.services.db, context.person.id, _notice_id(query.data)
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, COLLECT)
    items = [
        {"tag": i.asset_tag, "type": i.type, "model": i.model, "room": i.room, "on": True}
        for i in view.equipment[:MAX_ITEMS]
    ]
    current = steps.start_draft(
        context, COLLECT, notice_id=view.id, number=view.number, school=view.school_name
    )
    current["items"] = items
    await reply(
        update,
        context,
        "notice.collect.ask_items",
        number=view.number,
        school=view.school_name,
        reply_markup=markup(_item_rows(context, current)),
    )
    return ITEMS


async def item_toggled(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None
    current = steps.draft(context, COLLECT)
    items = _items(current)
    index = int(query.data.rsplit(":", 1)[1])
    if index >= len(items):
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return ITEMS
    await query.answer()
    items[index]["on"] = not items[index].get("on")
    await set_buttons(query, markup(_item_rows(context, current)))
    return ITEMS


async def items_done(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None
    current = steps.draft(context, COLLECT)
    if not _chosen(current):
        await query.answer(context.t("collection.error.no_items"), show_alert=True)
        return ITEMS
    await query.answer()
    await set_buttons(query, None)
    await reply(update, context, "notice.collect.ask_place")
    return PLACE


async def place_typed(update: Update, context: PneContext) -> object:
    assert update.effective_message is not None
    current = steps.draft(context, COLLECT)
    try:
        place = rules.check_place(update.effective_message.text or "")
    except DomainError as error:
        await steps.refuse(update, context, error)
        return PLACE
    current["place"] = place
    current["nonce"] = secrets.token_hex(NONCE_BYTES)
    card = _card(context)
    await send(
        context,
        _chat(update),
        card.collect_confirmation(
            str(current.get("number", "")),
            str(current.get("school", "")),
            [_room_item(i) for i in _chosen(current)],
            place,
        ),
        reply_markup=markup(card.collect_confirm_actions(current["nonce"])),
    )
    return CONFIRM


async def collect_confirmed(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    _, verb, nonce = query.data.split(":")
    current = steps.draft(context, COLLECT)
    if nonce != current.get("nonce"):
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return CONFIRM
    await query.answer()
    await set_buttons(query, None)
    if verb == "cno":
        await reply(update, context, "common.cancelled")
        return steps.end(context, COLLECT)
    services = context.services
    place = str(current.get("place", ""))
    try:
        done = await service.collection_from_works(
            services.db,
            context.person.id,
            int(current["notice_id"]),
            [str(item["tag"]) for item in _chosen(current)],
            place,
            steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, COLLECT)
    await tell(
        context,
        await collection_notices.after_flagging(
            services.db, services.i18n, services.settings, done.flagged
        ),
    )
    await tell(context, notice_notices.collection_planned(services.i18n, done, place))
    await reply(
        update,
        context,
        "notice.collect.planned",
        number=done.notice.number,
        collection=done.flagged.view.number,
        count=len(done.flagged.view.items),
    )
    return steps.end(context, COLLECT)


def conversations() -> list[Any]:
    return [
        dialogue(
            name=COLLECT,
            entry_points=[CallbackQueryHandler(collect_start, pattern=r"^ntc:collect:\d{1,9}$")],
            states={
                ITEMS: [
                    CallbackQueryHandler(item_toggled, pattern=r"^ntc:ct:\d{1,3}$"),
                    CallbackQueryHandler(items_done, pattern=r"^ntc:cdone$"),
                    *steps.stay(),
                ],
                PLACE: [MessageHandler(steps.TEXT, place_typed), *steps.stay()],
                CONFIRM: [
                    CallbackQueryHandler(
                        collect_confirmed, pattern=r"^ntc:(cok|cno):[0-9a-f]{1,16}$"
                    ),
                    *steps.stay(),
                ],
            },
            fallbacks=[],
        )
    ]


def handlers() -> list[Handler]:
    return [
        CallbackQueryHandler(show_notice, pattern=r"^ntc:view:\d{1,9}$"),
        CallbackQueryHandler(acknowledge, pattern=r"^ntc:ack:\d{1,9}$"),
        CallbackQueryHandler(fibre_step, pattern=r"^ntc:fibre:\d{1,9}$"),
        CallbackQueryHandler(move_asked, pattern=r"^ntc:move:\d{1,9}$"),
        CallbackQueryHandler(move_confirmed, pattern=r"^ntc:moveok:\d{1,9}$"),
        CallbackQueryHandler(move_dropped, pattern=r"^ntc:moveno:\d{1,9}$"),
        CallbackQueryHandler(back_in_place, pattern=r"^ntc:back:\d{1,9}$"),
        CallbackQueryHandler(disconnected, pattern=r"^ntc:off:\d{1,9}$"),
    ]
