"""A notice's card and the taps on it (works, fibre, class changes, the school network).

- ``ntc:view:<id>``: the card with the person's actions (staff's, the body's, a head's);
- ``ntc:ack:<id>`` (staff): taken into account (an opening then closes);
- ``ntc:move:<id>`` (staff): a move, asked to be confirmed naming the items and the school
  (``ntc:moveok:<id>``), then the inventory moves;
- ``ntc:fibre:<id>`` (staff): the migration ordered, then done;
- ``ntc:back:<id>`` (a head or the body): the equipment is back in place after works;
- ``ntc:off:<id>`` (the body): its equipment is off the school's network.

No id is trusted: each tap goes through the service, which checks the role and that the
person follows the notice (another body's reads as not found); a second tap on a step
already taken gets a word, not an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.cards.notices import NoticeCard
from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role, can
from bot.services import notice_notices
from bot.services import notices as service
from bot.services.delivery import Actions
from bot.services.notices import NoticeView
from handlers.telegram import steps
from handlers.telegram.app import PneContext
from handlers.telegram.common import keyboard, reply, send_about, set_buttons, tell
from handlers.telegram.delivery import markup
from storage.uow import Database

Handler = BaseHandler[Update, PneContext, Any]
Step = Callable[[Database, int, int, datetime], Awaitable[NoticeView]]


def _card(context: PneContext) -> NoticeCard:
    return NoticeCard(context.services.i18n, context.lang)


def _chat(update: Update) -> int:
    return update.effective_chat.id if update.effective_chat else 0


def _actions(context: PneContext, view: NoticeView) -> Actions:
    """The person's actions on the card (without « Voir », which is the card itself)."""
    person = context.person
    assert person is not None
    card = _card(context)
    if person.role == Role.STAFF:
        rows = card.staff_actions(view)
    elif person.role == Role.COMMUNE:
        rows = card.body_actions(view)
    elif person.role == Role.DIRECTOR:
        rows = card.school_actions(view)
    else:
        return ()
    kept = tuple(tuple(b for b in row if not b.action.startswith("ntc:view:")) for row in rows)
    return tuple(row for row in kept if row)


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
    key = "notice.move.confirm_school" if view.new_school_name else "notice.move.confirm_address"
    rows = [
        [(context.t("notice.move.confirm_button", number=view.number), f"ntc:moveok:{view.id}")],
        [(context.t("common.button.cancel"), f"ntc:moveno:{view.id}")],
    ]
    await reply(
        update,
        context,
        key,
        number=view.number,
        school=view.school_name,
        target=view.new_school_name or view.new_address or "",
        count=view.inventory,
        reply_markup=keyboard(rows),
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
    assert query is not None
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
