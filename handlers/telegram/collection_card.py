"""A flagging's card and the actions on it, from its card and its notices (art. 3, 4).

- ``col:view:<id>``: the card, with the actions of the person's role (staff: repair or
  recycle each SEM broken item; the body's agent: confirm its own removal).
- ``col:dec:<item id>:repair|recycle`` (staff): the choice for SEM's broken item; the
  notice's buttons follow and the card is shown again.
- ``col:rm:<id>`` (the body's agent): a short dialogue: the recycling centre's receipt
  number (or « Sans bon »), then a confirmation naming the count and the tags.

No id is trusted: each tap goes through the service, which checks the person's role and
that they follow the flagging (another body's reads as not found).
"""

from __future__ import annotations

import secrets
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.cards.collections import CollectionCard
from bot.domain import collections as rules
from bot.domain.collections import Decision
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.services import collection_notices as notices
from bot.services import collections as service
from bot.services.collections import CollectionView
from handlers.telegram import steps
from handlers.telegram.app import PneContext
from handlers.telegram.common import keyboard, reply, send, send_about, set_buttons, tell
from handlers.telegram.delivery import markup
from handlers.telegram.dialogues import dialogue
from handlers.telegram.steps import Draft

REMOVAL = "collection_removal"
RM_REFERENCE, RM_CONFIRM = "col_rm_reference", "col_rm_confirm"
WITHDRAWAL = "collection_withdraw"
WD_REASON, WD_CONFIRM = "col_wd_reason", "col_wd_confirm"

Handler = BaseHandler[Update, PneContext, Any]


def _card(context: PneContext) -> CollectionCard:
    return CollectionCard(context.services.i18n, context.lang)


def _chat(update: Update) -> int:
    return update.effective_chat.id if update.effective_chat else 0


async def _show(update: Update, context: PneContext, view: CollectionView) -> None:
    assert context.person is not None
    card = _card(context)
    await send_about(
        context,
        _chat(update),
        card.card(view, timeline=True),
        view.id,
        reply_markup=markup(card.card_actions(view, context.person.role)),
    )


async def show_collection(update: Update, context: PneContext) -> None:
    """« Voir le signalement »: the card, its timeline and the person's actions."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    await query.answer()
    try:
        view = await service.collection_view(
            context.services.db,
            context.person.id,
            int(query.data.rsplit(":", 1)[1]),
            steps.now(context),
            timeline=True,
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return
    await _show(update, context, view)


async def decide(update: Update, context: PneContext) -> None:
    """Staff: repair or recycle SEM's broken item."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    if not can(context.person.role, Action.MANAGE_EQUIPMENT):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return
    await query.answer()
    _, _, item_id, choice = query.data.split(":")
    try:
        view = await service.decide(
            context.services.db, context.person.id, int(item_id), choice, steps.now(context)
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return
    item = next(i for i in view.items if i.id == int(item_id))
    # The notice's buttons follow: this item's choice is made.
    await set_buttons(query, markup(_card(context).staff_actions(view)))
    await reply(update, context, f"collection.decided.{Decision(choice).value}", tag=item.asset_tag)
    await _show(update, context, view)


# --- the body's removal -------------------------------------------------------------------


async def removal_start(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    if not can(context.person.role, Action.REMOVE_OWN_EQUIPMENT):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return steps.end(context, REMOVAL)
    await query.answer()
    try:
        view = await service.collection_view(
            context.services.db,
            context.person.id,
            int(query.data.rsplit(":", 1)[1]),
            steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, REMOVAL)
    if not view.to_remove:
        await reply(update, context, "collection.error.nothing_to_remove")
        return steps.end(context, REMOVAL)
    steps.start_draft(
        context,
        REMOVAL,
        collection_id=view.id,
        number=view.number,
        item_ids=[i.id for i in view.to_remove],
        tags=[i.asset_tag for i in view.to_remove],
    )
    rows = [[(context.t("collection.removal.no_reference"), "col:noref")]]
    await reply(
        update,
        context,
        "collection.removal.ask_reference",
        number=view.number,
        max=rules.MAX_REFERENCE,
        reply_markup=keyboard(rows),
    )
    return RM_REFERENCE


async def reference_typed(update: Update, context: PneContext) -> object:
    assert update.effective_message is not None
    try:
        reference = rules.check_reference(update.effective_message.text or "")
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return RM_REFERENCE
    steps.draft(context, REMOVAL)["reference"] = reference
    return await _ask_confirmation(update, context)


async def no_reference(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await set_buttons(query, None)
    steps.draft(context, REMOVAL)["reference"] = None
    return await _ask_confirmation(update, context)


async def _ask_confirmation(update: Update, context: PneContext) -> object:
    current = steps.draft(context, REMOVAL)
    current["nonce"] = secrets.token_hex(steps.NONCE_BYTES)
    card = _card(context)
    text = card.removal_confirmation(
        str(current["number"]), list(current["tags"]), current.get("reference")
    )
    await send_about(
        context,
        _chat(update),
        text,
        int(current["collection_id"]),
        reply_markup=markup(card.removal_confirm_actions(current["nonce"])),
    )
    return RM_CONFIRM


async def removal_answered(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    _, verb, nonce = query.data.split(":")
    current = steps.draft(context, REMOVAL)
    if nonce != current.get("nonce"):  # a button of an older confirmation
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return RM_CONFIRM
    await query.answer()
    await set_buttons(query, None)
    if verb == "rmno":
        await reply(update, context, "common.cancelled")
        return steps.end(context, REMOVAL)
    await _remove(update, context, current)
    return steps.end(context, REMOVAL)


async def _remove(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    services = context.services
    try:
        view = await service.confirm_removal(
            services.db,
            context.person.id,
            int(current["collection_id"]),
            [int(i) for i in current["item_ids"]],
            steps.now(context),
            reference=current.get("reference"),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return
    await reply(update, context, "collection.removal.done", number=view.number)
    await tell(
        context,
        await notices.after_removal(
            services.db, services.i18n, services.settings, view, context.person.full_name
        ),
    )


# --- withdrawing a flagging ---------------------------------------------------------------


async def withdrawal_start(update: Update, context: PneContext) -> object:
    """« Retirer le signalement » (its reporter, a head, the body, staff): the reason."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    if not can(context.person.role, Action.FLAG_EQUIPMENT):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return steps.end(context, WITHDRAWAL)
    await query.answer()
    try:
        view = await service.collection_view(
            context.services.db,
            context.person.id,
            int(query.data.rsplit(":", 1)[1]),
            steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, WITHDRAWAL)
    pending = view.pending
    if view.closed_at is not None or not pending:
        await reply(update, context, "collection.error.cannot_withdraw")
        return steps.end(context, WITHDRAWAL)
    steps.start_draft(
        context,
        WITHDRAWAL,
        collection_id=view.id,
        number=view.number,
        tags=[i.asset_tag for i in pending],
    )
    await reply(
        update, context, "collection.withdraw.ask_reason", number=view.number, max=rules.MAX_NOTE
    )
    return WD_REASON


async def withdrawal_reason(update: Update, context: PneContext) -> object:
    assert update.effective_message is not None
    try:
        reason = rules.check_withdrawal_reason(update.effective_message.text or "")
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return WD_REASON
    current = steps.draft(context, WITHDRAWAL)
    current["reason"] = reason
    current["nonce"] = secrets.token_hex(steps.NONCE_BYTES)
    card = _card(context)
    number = str(current["number"])
    await send(
        context,
        _chat(update),
        card.withdrawal_confirmation(number, list(current["tags"]), reason),
        reply_markup=markup(card.withdrawal_confirm_actions(number, current["nonce"])),
    )
    return WD_CONFIRM


async def withdrawal_answered(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    _, verb, nonce = query.data.split(":")
    current = steps.draft(context, WITHDRAWAL)
    if nonce != current.get("nonce"):  # a button of an older confirmation
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return WD_CONFIRM
    await query.answer()
    await set_buttons(query, None)
    if verb == "wdno":
        await reply(update, context, "common.cancelled")
        return steps.end(context, WITHDRAWAL)
    services = context.services
    try:
        view = await service.withdraw(
            services.db,
            context.person.id,
            int(current["collection_id"]),
            str(current["reason"]),
            steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, WITHDRAWAL)
    await reply(update, context, "collection.withdraw.done", number=view.number)
    await tell(
        context,
        await notices.after_withdrawal(
            services.db,
            services.i18n,
            services.settings,
            view,
            context.person.full_name,
            str(current["reason"]),
            besides=context.person.id,
        ),
    )
    return steps.end(context, WITHDRAWAL)


def withdrawal_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=WITHDRAWAL,
        entry_points=[CallbackQueryHandler(withdrawal_start, pattern=r"^col:wd:\d{1,10}$")],
        states={
            WD_REASON: [
                MessageHandler(steps.TEXT, withdrawal_reason),
                *_unexpected("collection.withdraw.reason_expected"),
            ],
            WD_CONFIRM: [
                CallbackQueryHandler(
                    withdrawal_answered, pattern=r"^col:(wdok|wdno):[0-9a-f]{1,16}$"
                ),
                *_unexpected("collection.removal.confirm_expected"),
            ],
        },
        fallbacks=[],
    )


def _unexpected(key: str) -> list[Handler]:
    async def answer(update: Update, context: PneContext) -> None:
        await reply(update, context, key)

    return [MessageHandler(filters.ALL & ~filters.COMMAND, answer)]


def removal_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=REMOVAL,
        entry_points=[CallbackQueryHandler(removal_start, pattern=r"^col:rm:\d{1,10}$")],
        states={
            RM_REFERENCE: [
                CallbackQueryHandler(no_reference, pattern=r"^col:noref$"),
                MessageHandler(steps.TEXT, reference_typed),
                *_unexpected("collection.removal.reference_expected"),
            ],
            RM_CONFIRM: [
                CallbackQueryHandler(removal_answered, pattern=r"^col:(rmok|rmno):[0-9a-f]{1,16}$"),
                *_unexpected("collection.removal.confirm_expected"),
            ],
        },
        fallbacks=[],
    )


def conversations() -> list[ConversationHandler[PneContext]]:
    return [removal_dialogue(), withdrawal_dialogue()]


def handlers() -> list[Handler]:
    return [
        CallbackQueryHandler(show_collection, pattern=r"^col:view:\d{1,10}$"),
        CallbackQueryHandler(decide, pattern=r"^col:dec:\d{1,10}:(repair|recycle)$"),
    ]
