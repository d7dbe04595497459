"""The steps a follow-up dialogue is made of: an instant, an amount, a choice, a short
text, a confirmation, and the way out.

Each factory returns the handlers of one state. A step reads the answer, checks it at
once with the domain's rules (pure functions that raise ``DomainError``), and either
keeps it in the dialogue's draft and moves on (``then`` asks the next question and
returns its state), or replies with the domain's message and **stays on the same
step**: a refused answer never ends the dialogue, the person types a better one.

Drafts live in the person's data under the dialogue's name, as JSON values (dates as
ISO strings), so they survive a restart with the dialogue's step.

A confirmation button names what it confirms, ``clm:ok:<claim id>:<draft nonce>``: the
nonce is drawn when the confirmation is asked, and a tap whose claim or nonce is not
the person's current draft confirms nothing (a button left on an older message, or
from another claim's dialogue). ``/annuler`` is handled before every dialogue
(``dialogues.cancel_everything``); the confirmation's own « Annuler » button is here.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.cards.claims import error_params
from bot.domain.dates import local_date, parse_calendar_day, parse_discovery_detail
from bot.domain.directory import parse_amount_eur
from bot.domain.errors import DomainError
from handlers.telegram.app import PneContext
from handlers.telegram.common import keyboard, reply

Handler = BaseHandler[Update, PneContext, Any]
Draft = dict[str, Any]
# What comes after a step: ask the next question (or finish) and return the next state.
Next = Callable[[Update, PneContext], Awaitable[object]]
# A check of an answer against the draft; raises DomainError to refuse it.
Check = Callable[[PneContext, Draft, Any], None]

TEXT = filters.TEXT & ~filters.COMMAND
NONCE_BYTES = 4  # 8 hex digits: « clm:ok:4294967295:0123abcd » is 26 bytes of the 64
CONFIRM_DATA = re.compile(r"^clm:(ok|no)(?::(\d{1,10}):([0-9a-f]{1,16}))?$")


# --- the draft -------------------------------------------------------------------------------


def draft(context: PneContext, dialogue: str) -> Draft:
    assert context.user_data is not None
    found: Draft = context.user_data.setdefault(dialogue, {})
    return found


def start_draft(context: PneContext, dialogue: str, **values: Any) -> Draft:
    assert context.user_data is not None
    context.user_data[dialogue] = dict(values)
    return draft(context, dialogue)


def end(context: PneContext, dialogue: str) -> int:
    assert context.user_data is not None
    context.user_data.pop(dialogue, None)
    return ConversationHandler.END


def now(context: PneContext) -> datetime:
    return context.services.clock.now()


def today(context: PneContext) -> date:
    return local_date(now(context), context.services.settings.tz)


# --- refusals --------------------------------------------------------------------------------


def shown(context: PneContext, params: dict[str, Any]) -> dict[str, Any]:
    """A domain error's values as the person reads them (money, dates, duties)."""
    return error_params(context.services.i18n, context.lang, params)


async def refuse(update: Update, context: PneContext, error: DomainError) -> None:
    await reply(update, context, error.code, **shown(context, error.params))


def _checked(context: PneContext, current: Draft, value: Any, checks: Sequence[Check]) -> None:
    for check in checks:
        check(context, current, value)


async def _answered(update: Update) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


# --- the steps -------------------------------------------------------------------------------


def instant(
    *,
    dialogue: str,
    state: str,
    field: str,
    then: Next,
    checks: Sequence[Check] = (),
    button: str | None = None,
    day: bool = False,
    future: bool = False,
) -> list[Handler]:
    """A moment (« maintenant », « hier 17h ») or, with ``day``, a calendar day
    (« aujourd'hui », « 15/06 »; with ``future`` the coming one). ``button`` is the
    callback data of the « Maintenant » / « Aujourd'hui » button, if the question has one.
    The value is checked by ``checks`` (with the draft) before it is kept."""

    async def answer(update: Update, context: PneContext) -> object:
        current = draft(context, dialogue)
        await _answered(update)
        try:
            value: date | datetime
            if update.callback_query is not None:
                value = today(context) if day else now(context)
            else:
                assert update.effective_message is not None
                typed = update.effective_message.text or ""
                if day:
                    value = parse_calendar_day(typed, today(context), future=future)
                else:
                    value = parse_discovery_detail(
                        typed, now(context), context.services.settings.tz
                    ).at
            _checked(context, current, value, checks)
        except DomainError as error:
            await refuse(update, context, error)
            return state
        current[field] = value.isoformat()
        return await then(update, context)

    handlers: list[Handler] = [MessageHandler(TEXT, answer)]
    if button is not None:
        handlers.insert(0, CallbackQueryHandler(answer, pattern=f"^{re.escape(button)}$"))
    return handlers


def amount(
    *,
    dialogue: str,
    state: str,
    field: str,
    then: Next,
    checks: Sequence[Check] = (),
    suggested: str | None = None,
) -> list[Handler]:
    """An amount in euros, typed (« 1 234,50 € ») or, with ``suggested`` (the draft's
    field holding it), taken from the « Retenir … » button (``clm:amount:ok``)."""

    async def answer(update: Update, context: PneContext) -> object:
        current = draft(context, dialogue)
        await _answered(update)
        try:
            if update.callback_query is not None:
                assert suggested is not None
                value = Decimal(current[suggested])
            else:
                assert update.effective_message is not None
                value = parse_amount_eur(update.effective_message.text or "")
            _checked(context, current, value, checks)
        except DomainError as error:
            await refuse(update, context, error)
            return state
        current[field] = str(value)
        return await then(update, context)

    handlers: list[Handler] = [MessageHandler(TEXT, answer)]
    if suggested is not None:
        handlers.insert(0, CallbackQueryHandler(answer, pattern=r"^clm:amount:ok$"))
    return handlers


def choice(
    *,
    dialogue: str,
    state: str,
    field: str,
    prefix: str,
    then: Next,
    values: Sequence[str] | None = None,
    pick: Callable[[Draft, str], str | None] | None = None,
) -> list[Handler]:
    """One of the buttons ``<prefix>:<value>``: a value of ``values``, or what ``pick``
    makes of the button's data with the draft (None: the button is no longer valid)."""
    shape = "|".join(re.escape(v) for v in values) if values is not None else r"[a-z0-9_]{1,24}"

    async def answer(update: Update, context: PneContext) -> object:
        query = update.callback_query
        assert query is not None and query.data is not None
        current = draft(context, dialogue)
        data = query.data.removeprefix(prefix + ":")
        chosen = pick(current, data) if pick is not None else data
        if chosen is None:
            await query.answer(context.t("common.stale_button"), show_alert=True)
            return state
        await query.answer()
        current[field] = chosen
        return await then(update, context)

    return [CallbackQueryHandler(answer, pattern=f"^{re.escape(prefix)}:({shape})$")]


def text(
    *,
    dialogue: str,
    state: str,
    field: str,
    then: Next,
    read: Callable[[str], str | None],
    checks: Sequence[Check] = (),
) -> list[Handler]:
    """A short typed text; ``read`` turns it into the value kept (e.g. « - » → None)."""

    async def answer(update: Update, context: PneContext) -> object:
        assert update.effective_message is not None
        current = draft(context, dialogue)
        try:
            value = read(update.effective_message.text or "")
            _checked(context, current, value, checks)
        except DomainError as error:
            await refuse(update, context, error)
            return state
        current[field] = value
        return await then(update, context)

    return [MessageHandler(TEXT, answer)]


async def ask_to_confirm(
    update: Update,
    context: PneContext,
    *,
    dialogue: str,
    state: str,
    key: str,
    button: str,
    **params: Any,
) -> str:
    """Show what is about to be written, with buttons that name this claim and draft."""
    current = draft(context, dialogue)
    current["nonce"] = secrets.token_hex(NONCE_BYTES)
    named = f"{current['claim_id']}:{current['nonce']}"
    rows = [
        [(context.t(button), f"clm:ok:{named}")],
        [(context.t("common.button.cancel"), f"clm:no:{named}")],
    ]
    await reply(update, context, key, reply_markup=keyboard(rows), **params)
    return state


def _names_the_draft(data: str, current: Draft) -> bool:
    match = CONFIRM_DATA.match(data)
    return (
        match is not None
        and match[2] is not None
        and int(match[2]) == int(current.get("claim_id", -1))
        and match[3] == current.get("nonce")
    )


def confirmation(
    *,
    dialogue: str,
    state: str,
    act: Callable[[Update, PneContext, Draft], Awaitable[None]],
) -> list[Handler]:
    """« Confirmer » writes the draft through ``act`` (a refusal there is said, and the
    dialogue ends: what was confirmed could not be written); « Annuler » drops it. A
    button that does not name the current draft does neither."""

    async def stale(update: Update, context: PneContext) -> str:
        query = update.callback_query
        assert query is not None
        await query.answer(
            context.t(
                "claim.follow.stale_confirmation", number=draft(context, dialogue).get("number")
            ),
            show_alert=True,
        )
        return state

    async def confirmed(update: Update, context: PneContext) -> object:
        query = update.callback_query
        assert query is not None and query.data is not None
        current = draft(context, dialogue)
        if not _names_the_draft(query.data, current):
            return await stale(update, context)
        await query.answer()
        await query.edit_message_reply_markup(None)
        try:
            await act(update, context, current)
        except DomainError as error:
            await refuse(update, context, error)
        return end(context, dialogue)

    async def declined(update: Update, context: PneContext) -> object:
        query = update.callback_query
        assert query is not None and query.data is not None
        if not _names_the_draft(query.data, draft(context, dialogue)):
            return await stale(update, context)
        return await cancel(update, context, dialogue)

    return [
        CallbackQueryHandler(confirmed, pattern=r"^clm:ok(:\d{1,10}:[0-9a-f]{1,16})?$"),
        CallbackQueryHandler(declined, pattern=r"^clm:no(:\d{1,10}:[0-9a-f]{1,16})?$"),
    ]


async def cancel(update: Update, context: PneContext, dialogue: str) -> int:
    """Leave the dialogue, its draft dropped, and say that nothing was sent."""
    query = update.callback_query
    if query is not None:
        await query.answer()
        await query.edit_message_reply_markup(None)
    await reply(update, context, "common.cancelled")
    return end(context, dialogue)


async def _unexpected(update: Update, context: PneContext) -> None:
    await reply(update, context, "claim.follow.unexpected")


def stay() -> list[Handler]:
    """Anything else while a question waits (a sticker, a photo, a stray text): say what
    is expected; the step stays."""
    return [MessageHandler(filters.ALL & ~filters.COMMAND, _unexpected)]
