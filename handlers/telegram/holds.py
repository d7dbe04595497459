"""The security condition (art. 6) on Telegram: staff hold a flagged school's replacements,
lift the hold, and list the holds (/suspensions).

Two dialogues, each started by a button (on a claim's card, or in /suspensions):
``hold:place:<school id>`` asks the reason, then a confirmation naming the school;
``hold:lift:<hold id>`` asks the note, then a confirmation. The ids are never trusted: the
service checks the role and the hold or the school again at the start and at the write.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.cards.holds import HoldCard
from bot.domain.dates import local_date
from bot.domain.errors import DomainError
from bot.domain.holds import hold_text
from bot.domain.roles import Action, can
from bot.i18n import Safe
from bot.services import hold_notices as notices
from bot.services import holds as service
from handlers.telegram import steps
from handlers.telegram.app import PneContext
from handlers.telegram.common import keyboard, reply, set_buttons, tell
from handlers.telegram.dialogues import dialogue
from handlers.telegram.steps import Draft

PLACE, LIFT = "security_hold", "security_lift"
HOLD_DIALOGUES = (PLACE, LIFT)
REASON, NOTE, CONFIRM = "hold_reason", "lift_note", "confirm"
NONCE_BYTES = 4


def _allowed(context: PneContext) -> bool:
    return context.person is not None and can(context.person.role, Action.MANAGE_CLAIM)


def _when(context: PneContext, at: datetime) -> str:
    i18n = context.services.i18n
    return i18n.date(context.lang, local_date(at, i18n.tz))


async def _ask_confirmation(
    update: Update, context: PneContext, name: str, key: str, **params: Any
) -> str:
    current = steps.draft(context, name)
    current["nonce"] = secrets.token_hex(NONCE_BYTES)
    rows = [
        [(context.t(f"hold.button.confirm_{name}"), f"hold:ok:{current['nonce']}")],
        [(context.t("common.button.cancel"), f"hold:no:{current['nonce']}")],
    ]
    await reply(update, context, key, reply_markup=keyboard(rows), **params)
    return CONFIRM


def _confirmation(name: str, act: Any) -> list[BaseHandler[Update, PneContext, Any]]:
    """« Confirmer » writes through ``act``; « Annuler » drops the draft. A button of an
    older confirmation (another nonce) does neither."""

    async def answered(update: Update, context: PneContext) -> object:
        query = update.callback_query
        assert query is not None and query.data is not None
        _, verb, nonce = query.data.split(":")
        current = steps.draft(context, name)
        if nonce != current.get("nonce"):
            await query.answer(context.t("common.stale_button"), show_alert=True)
            return CONFIRM
        await query.answer()
        await set_buttons(query, None)
        if verb == "no":
            await reply(update, context, "common.cancelled")
            return steps.end(context, name)
        try:
            await act(update, context, current)
        except DomainError as error:
            await steps.refuse(update, context, error)
        return steps.end(context, name)

    return [CallbackQueryHandler(answered, pattern=r"^hold:(ok|no):[0-9a-f]{1,16}$")]


# --- placing a hold ----------------------------------------------------------------------


async def place_start(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    if not _allowed(context):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return steps.end(context, PLACE)
    await query.answer()
    try:
        target = await service.hold_target(
            context.services.db,
            context.person.id,
            int(query.data.rsplit(":", 1)[1]),
            steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, PLACE)
    steps.start_draft(
        context, PLACE, school_id=target.school_id, school=target.school_name, uai=target.school_uai
    )
    await reply(
        update,
        context,
        "hold.ask_reason",
        school=target.school_name,
        uai=target.school_uai,
        recent=target.recent,
    )
    return REASON


def _reason(typed: str) -> str:
    return hold_text(typed, code="hold.error.reason_required")


async def _confirm_place(update: Update, context: PneContext) -> object:
    current = steps.draft(context, PLACE)
    return await _ask_confirmation(
        update,
        context,
        PLACE,
        "hold.confirm_place",
        school=current["school"],
        uai=current["uai"],
        reason=current["reason"],
    )


async def _place(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    hold = await service.place_hold(
        context.services.db,
        context.person.id,
        int(current["school_id"]),
        reason=current["reason"],
        now=steps.now(context),
    )
    services = context.services
    told = await tell(context, await notices.placed(services.db, services.i18n, hold))
    await reply(
        update,
        context,
        "hold.placed" if told else "hold.placed_nobody_told",
        school=hold.school_name,
        body=hold.body_name,
    )


def place_dialogue() -> Any:
    return dialogue(
        name=PLACE,
        entry_points=[CallbackQueryHandler(place_start, pattern=r"^hold:place:\d{1,10}$")],
        states={
            REASON: [
                *steps.text(
                    dialogue=PLACE, state=REASON, field="reason", read=_reason, then=_confirm_place
                ),
                *steps.stay(),
            ],
            CONFIRM: [*_confirmation(PLACE, _place), *steps.stay()],
        },
        fallbacks=[],
    )


# --- lifting it --------------------------------------------------------------------------


async def lift_start(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    if not _allowed(context):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return steps.end(context, LIFT)
    await query.answer()
    try:
        hold = await service.hold_to_lift(
            context.services.db, context.person.id, int(query.data.rsplit(":", 1)[1])
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, LIFT)
    steps.start_draft(context, LIFT, hold_id=hold.id, school=hold.school_name)
    await reply(
        update,
        context,
        "hold.ask_note",
        school=hold.school_name,
        since=_when(context, hold.placed_at),
        reason=hold.reason,
    )
    return NOTE


def _note(typed: str) -> str:
    return hold_text(typed, code="hold.error.note_required")


async def _confirm_lift(update: Update, context: PneContext) -> object:
    current = steps.draft(context, LIFT)
    return await _ask_confirmation(
        update, context, LIFT, "hold.confirm_lift", school=current["school"], note=current["note"]
    )


async def _lift(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    hold = await service.lift_hold(
        context.services.db,
        context.person.id,
        int(current["hold_id"]),
        note=current["note"],
        now=steps.now(context),
    )
    services = context.services
    await tell(context, await notices.lifted(services.db, services.i18n, hold))
    await reply(update, context, "hold.lifted", school=hold.school_name, body=hold.body_name)


def lift_dialogue() -> Any:
    return dialogue(
        name=LIFT,
        entry_points=[CallbackQueryHandler(lift_start, pattern=r"^hold:lift:\d{1,10}$")],
        states={
            NOTE: [
                *steps.text(
                    dialogue=LIFT, state=NOTE, field="note", read=_note, then=_confirm_lift
                ),
                *steps.stay(),
            ],
            CONFIRM: [*_confirmation(LIFT, _lift), *steps.stay()],
        },
        fallbacks=[],
    )


# --- /suspensions -------------------------------------------------------------------------


async def holds_command(update: Update, context: PneContext) -> None:
    """Staff: the open holds (each with « Lever »), then the flagged schools without one
    (each with « Suspendre »)."""
    if not _allowed(context):
        await reply(update, context, "common.error.forbidden")
        return
    assert context.person is not None
    overview = await service.overview(context.services.db, context.person.id, steps.now(context))
    if not overview.open and not overview.flagged:
        await reply(update, context, "hold.list.empty")
        return
    lines, rows = HoldCard(context.services.i18n, context.lang).overview(overview)
    await reply(
        update,
        context,
        "hold.list.body",
        text=Safe("\n".join(lines)),
        reply_markup=keyboard(rows[:50]),
    )


def conversations() -> list[Any]:
    return [place_dialogue(), lift_dialogue()]


def handlers() -> list[BaseHandler[Update, PneContext, Any]]:
    return [
        CommandHandler(["suspensions", "holds"], holds_command, filters=filters.ChatType.PRIVATE)
    ]
