"""Following a claim: the commune's duties and pledge, staff's completion, payments,
replacement, recovery and closing, documents, and the claim's view with its timeline.

Every button carries a claim id; it is never trusted: the service checks on arrival that
the claim exists and that this person may act on it (a claim outside their scope is
"not found"), and checks again when the change is written.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain.claims import DUTIES_NEEDING_REFERENCE, Duty, PaymentMode, RecoveryOutcome
from bot.domain.dates import local_date, parse_calendar_day, parse_discovery_detail
from bot.domain.directory import parse_amount_eur
from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role, can
from bot.services import claims as service
from handlers.telegram.app import PneContext
from handlers.telegram.claim_cards import Card
from handlers.telegram.common import keyboard, notify, reply, send_about
from handlers.telegram.dialogues import dialogue

(
    DUTY_WHEN, DUTY_REF, PLEDGE_AMOUNT, PLEDGE_MODE, PLEDGE_DATE, CONFIRM,
    PAY_AMOUNT, PAY_DATE, CLOSE_REASON, REPL_ITEM, REPL_WHAT, REPL_DATE, REPL_VALUE,
    RECOV_WHEN, ATTACH_PURPOSE, ATTACH_FILE,
) = (
    "duty_when", "duty_ref", "pledge_amount", "pledge_mode", "pledge_date", "confirm",
    "pay_amount", "pay_date", "close_reason", "repl_item", "repl_what", "repl_date",
    "repl_value", "recov_when", "attach_purpose", "attach_file",
)  # fmt: skip
FOLLOW = "claim_follow"
PURPOSES = ("complaint_receipt", "insurer_letter", "invoice_or_quote", "other")


def _state(context: PneContext) -> dict[str, Any]:
    assert context.user_data is not None
    state: dict[str, Any] = context.user_data.setdefault(FOLLOW, {})
    return state


def _now(context: PneContext) -> datetime:
    return context.services.clock.now()


def _today(context: PneContext) -> Any:
    return local_date(_now(context), context.services.settings.tz)


def _card(context: PneContext, lang: str | None = None) -> Card:
    return Card(context.services.i18n, lang or context.lang)


async def _error(update: Update, context: PneContext, error: DomainError) -> None:
    await reply(update, context, error.code, **_shown(context, error.params))


def _shown(context: PneContext, params: dict[str, Any]) -> dict[str, Any]:
    i18n = context.services.i18n
    shown: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, Decimal):
            shown[name] = i18n.money(context.lang, value)
        elif isinstance(value, datetime):
            shown[name] = i18n.datetime(context.lang, value)
        elif isinstance(value, date):
            shown[name] = i18n.date(context.lang, value)
        elif hasattr(value, "value") and isinstance(value.value, str):
            shown[name] = (
                context.t(f"claim.duty.{value.value}") if isinstance(value, Duty) else value.value
            )
        else:
            shown[name] = value
    return shown


async def _view(update: Update, context: PneContext, claim_id: int) -> service.ClaimView | None:
    """The claim if this person may see it; else say so and return None."""
    assert context.person is not None
    try:
        return await service.claim_view(
            context.services.db, context.person.id, claim_id, _now(context)
        )
    except DomainError as error:
        await _error(update, context, error)
        return None


def _parse(data: str) -> tuple[str, int, str | None]:
    parts = data.split(":")
    return parts[1], int(parts[2]), parts[3] if len(parts) > 3 else None


# --- entry: a button on a claim ------------------------------------------------------------


async def entry(update: Update, context: PneContext) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    action, claim_id, extra = _parse(query.data)
    needed = Action.FOLLOW_CLAIM if action in ("duty", "pledge") else Action.MANAGE_CLAIM
    if action == "attach":
        needed = Action.REPORT_CLAIM
    if not can(context.person.role, needed):
        await query.answer(context.t("common.error.forbidden"), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    claim = await _view(update, context, claim_id)
    if claim is None:
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data[FOLLOW] = {"claim_id": claim.id, "number": claim.number, "action": action}
    state = _state(context)
    if action == "duty":
        if extra not in {d.value for d in Duty} or Duty(extra) not in claim.pending_duties:
            await reply(update, context, "claim.follow.duty_already_done", number=claim.number)
            return ConversationHandler.END
        state["duty"] = extra
        rows = [[(context.t("claim.button.now"), "clm:now")]]
        await reply(
            update,
            context,
            "claim.follow.ask_duty_when",
            number=claim.number,
            duty=context.t(f"claim.duty.{extra}"),
            reply_markup=keyboard(rows),
        )
        return DUTY_WHEN
    if action == "pledge":
        state["suggested"] = str(claim.total_refund)
        rows = [
            [
                (
                    context.t(
                        "claim.button.take_amount",
                        amount=context.services.i18n.money(context.lang, claim.total_refund),
                    ),
                    "clm:amount:ok",
                )
            ]
        ]
        await reply(
            update,
            context,
            "claim.follow.ask_pledge_amount",
            number=claim.number,
            amount=context.services.i18n.money(context.lang, claim.total_refund),
            reply_markup=keyboard(rows),
        )
        return PLEDGE_AMOUNT
    if action == "complete":
        rows = [
            [(context.t("claim.button.confirm_complete"), "clm:ok")],
            [(context.t("common.button.cancel"), "clm:no")],
        ]
        await reply(
            update,
            context,
            "claim.follow.confirm_complete",
            number=claim.number,
            amount=context.services.i18n.money(
                context.lang, service.amount_due_at_completion(claim) or Decimal(0)
            ),
            pledged=context.services.i18n.money(
                context.lang, claim.pledge.amount if claim.pledge else Decimal(0)
            ),
            reply_markup=keyboard(rows),
        )
        return CONFIRM
    if action == "pay":
        outstanding = claim.outstanding or Decimal(0)
        state["suggested"] = str(outstanding)
        rows = [
            [
                (
                    context.t(
                        "claim.button.take_amount",
                        amount=context.services.i18n.money(context.lang, outstanding),
                    ),
                    "clm:amount:ok",
                )
            ]
        ]
        await reply(
            update,
            context,
            "claim.follow.ask_payment_amount",
            number=claim.number,
            outstanding=context.services.i18n.money(context.lang, outstanding),
            reply_markup=keyboard(rows),
        )
        return PAY_AMOUNT
    if action == "close":
        await reply(
            update,
            context,
            "claim.follow.ask_close_reason",
            number=claim.number,
            outstanding=context.services.i18n.money(context.lang, claim.outstanding or Decimal(0)),
        )
        return CLOSE_REASON
    if action == "repl":
        rows = [
            [(item.asset_tag or "?", f"clm:it:{index}")]
            for index, item in enumerate(claim.items)
            if item.asset_tag
        ]
        state["tags"] = [item.asset_tag for item in claim.items if item.asset_tag]
        await reply(
            update,
            context,
            "claim.follow.ask_replacement_item",
            number=claim.number,
            reply_markup=keyboard(rows),
        )
        return REPL_ITEM
    if action == "recov":
        rows = [[(context.t("claim.button.now"), "clm:now")]]
        await reply(
            update,
            context,
            "claim.follow.ask_recovery_when",
            number=claim.number,
            reply_markup=keyboard(rows),
        )
        return RECOV_WHEN
    # attach
    rows = [[(context.t(f"claim.purpose.{p}"), f"clm:purpose:{p}")] for p in PURPOSES]
    await reply(
        update,
        context,
        "claim.follow.ask_purpose",
        number=claim.number,
        reply_markup=keyboard(rows),
    )
    return ATTACH_PURPOSE


# --- duties ---------------------------------------------------------------------------------


async def duty_when(update: Update, context: PneContext) -> str | int:
    state = _state(context)
    if update.callback_query is not None:
        await update.callback_query.answer()
        done_at = _now(context)
    else:
        assert update.effective_message is not None
        try:
            done_at = parse_discovery_detail(
                update.effective_message.text or "", _now(context), context.services.settings.tz
            ).at
        except DomainError as error:
            await _error(update, context, error)
            return DUTY_WHEN
    assert context.person is not None
    try:
        await service.check_duty_time(
            context.services.db,
            context.person.id,
            int(state["claim_id"]),
            Duty(state["duty"]),
            done_at=done_at,
            now=_now(context),
        )
    except DomainError as error:
        await _error(update, context, error)
        return await _end(context)
    state["done_at"] = done_at.isoformat()
    if Duty(state["duty"]) in DUTIES_NEEDING_REFERENCE:
        await reply(update, context, "claim.follow.ask_reference")
        return DUTY_REF
    return await _save_duty(update, context, None)


async def duty_reference(update: Update, context: PneContext) -> str | int:
    assert update.effective_message is not None
    text = (update.effective_message.text or "").strip()
    if not text or len(text) > 120:
        await reply(update, context, "claim.follow.ask_reference")
        return DUTY_REF
    return await _save_duty(update, context, text)


async def _save_duty(update: Update, context: PneContext, reference: str | None) -> str | int:
    assert context.person is not None
    state = _state(context)
    try:
        claim = await service.confirm_duty(
            context.services.db,
            context.person.id,
            int(state["claim_id"]),
            Duty(state["duty"]),
            done_at=datetime.fromisoformat(state["done_at"]),
            reference=reference,
            now=_now(context),
        )
    except DomainError as error:
        await _error(update, context, error)
        return await _end(context)
    card = _card(context)
    key = "claim.follow.duty_saved" if claim.pending_duties else "claim.follow.duties_all_done"
    await reply(
        update,
        context,
        key,
        number=claim.number,
        duties=card.duty_lines(claim),
        reply_markup=card.duty_keyboard(claim),
    )
    return await _end(context)


# --- pledge ---------------------------------------------------------------------------------


async def _amount(update: Update, context: PneContext) -> Decimal | None:
    state = _state(context)
    if update.callback_query is not None:
        await update.callback_query.answer()
        return Decimal(state["suggested"])
    assert update.effective_message is not None
    try:
        return parse_amount_eur(update.effective_message.text or "")
    except DomainError as error:
        await _error(update, context, error)
        return None


async def pledge_amount(update: Update, context: PneContext) -> str:
    amount = await _amount(update, context)
    if amount is None:
        return PLEDGE_AMOUNT
    _state(context)["amount"] = str(amount)
    rows = [[(context.t(f"claim.mode.{m.value}"), f"clm:mode:{m.value}")] for m in PaymentMode]
    await reply(update, context, "claim.follow.ask_pledge_mode", reply_markup=keyboard(rows))
    return PLEDGE_MODE


async def pledge_mode(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    _state(context)["mode"] = PaymentMode(query.data.rsplit(":", 1)[1]).value
    await reply(update, context, "claim.follow.ask_pledge_date")
    return PLEDGE_DATE


async def pledge_date(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    try:
        planned = parse_calendar_day(
            update.effective_message.text or "", _today(context), future=True
        )
    except DomainError as error:
        await _error(update, context, error)
        return PLEDGE_DATE
    state = _state(context)
    state["planned_on"] = planned.isoformat()
    i18n = context.services.i18n
    rows = [
        [(context.t("claim.button.send_pledge"), "clm:ok")],
        [(context.t("common.button.cancel"), "clm:no")],
    ]
    await reply(
        update,
        context,
        "claim.follow.confirm_pledge",
        number=state["number"],
        amount=i18n.money(context.lang, Decimal(state["amount"])),
        mode=context.t(f"claim.mode.{state['mode']}"),
        planned=i18n.date(context.lang, planned),
        reply_markup=keyboard(rows),
    )
    return CONFIRM


# --- staff: payment, close, replacement, recovery -------------------------------------------


async def pay_amount(update: Update, context: PneContext) -> str:
    amount = await _amount(update, context)
    if amount is None:
        return PAY_AMOUNT
    _state(context)["amount"] = str(amount)
    rows = [[(context.t("claim.button.today"), "clm:today")]]
    await reply(update, context, "claim.follow.ask_payment_date", reply_markup=keyboard(rows))
    return PAY_DATE


async def pay_date(update: Update, context: PneContext) -> str:
    state = _state(context)
    if update.callback_query is not None:
        await update.callback_query.answer()
        paid_on = _today(context)
    else:
        assert update.effective_message is not None
        try:
            paid_on = parse_calendar_day(update.effective_message.text or "", _today(context))
        except DomainError as error:
            await _error(update, context, error)
            return PAY_DATE
    state["paid_on"] = paid_on.isoformat()
    i18n = context.services.i18n
    rows = [
        [(context.t("claim.button.record_payment"), "clm:ok")],
        [(context.t("common.button.cancel"), "clm:no")],
    ]
    await reply(
        update,
        context,
        "claim.follow.confirm_payment",
        number=state["number"],
        amount=i18n.money(context.lang, Decimal(state["amount"])),
        paid_on=i18n.date(context.lang, paid_on),
        reply_markup=keyboard(rows),
    )
    return CONFIRM


async def close_reason(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    text = (update.effective_message.text or "").strip()
    state = _state(context)
    state["reason"] = None if text in {"-", "—"} else text[:1000]
    rows = [
        [(context.t("claim.button.close"), "clm:ok")],
        [(context.t("common.button.cancel"), "clm:no")],
    ]
    await reply(
        update,
        context,
        "claim.follow.confirm_close",
        number=state["number"],
        reason=state["reason"] or "—",
        reply_markup=keyboard(rows),
    )
    return CONFIRM


async def replacement_item(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    state = _state(context)
    index = int(query.data.rsplit(":", 1)[1])
    tags: list[str] = state.get("tags", [])
    if not 0 <= index < len(tags):
        await reply(update, context, "common.stale_button")
        return REPL_ITEM
    state["tag"] = tags[index]
    rows = [
        [
            (context.t("claim.button.ordered"), "clm:what:ordered"),
            (context.t("claim.button.installed"), "clm:what:installed"),
        ]
    ]
    await reply(
        update,
        context,
        "claim.follow.ask_replacement_what",
        tag=state["tag"],
        reply_markup=keyboard(rows),
    )
    return REPL_WHAT


async def replacement_what(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    _state(context)["what"] = query.data.rsplit(":", 1)[1]
    rows = [[(context.t("claim.button.today"), "clm:today")]]
    await reply(update, context, "claim.follow.ask_replacement_date", reply_markup=keyboard(rows))
    return REPL_DATE


async def replacement_date(update: Update, context: PneContext) -> str | int:
    state = _state(context)
    if update.callback_query is not None:
        await update.callback_query.answer()
        day = _today(context)
    else:
        assert update.effective_message is not None
        try:
            day = parse_calendar_day(update.effective_message.text or "", _today(context))
        except DomainError as error:
            await _error(update, context, error)
            return REPL_DATE
    state["day"] = day.isoformat()
    if state["what"] == "installed":
        await reply(update, context, "claim.follow.ask_new_value")
        return REPL_VALUE
    return await _save_replacement(update, context, None)


async def replacement_value(update: Update, context: PneContext) -> str | int:
    assert update.effective_message is not None
    try:
        value = parse_amount_eur(update.effective_message.text or "")
    except DomainError as error:
        await _error(update, context, error)
        return REPL_VALUE
    return await _save_replacement(update, context, value)


async def _save_replacement(update: Update, context: PneContext, value: Decimal | None) -> int:
    assert context.person is not None
    state = _state(context)
    day = datetime.fromisoformat(state["day"]).date()
    installed = state["what"] == "installed"
    try:
        claim = await service.record_replacement(
            context.services.db,
            context.person.id,
            int(state["claim_id"]),
            item_tag=state["tag"],
            ordered_on=None if installed else day,
            installed_on=day if installed else None,
            new_value=value,
            now=_now(context),
        )
    except DomainError as error:
        await _error(update, context, error)
        return await _end(context)
    await reply(
        update, context, "claim.follow.replacement_saved", tag=state["tag"], number=claim.number
    )
    if installed:
        await _tell_commune_installed(context, claim)
    return await _end(context)


async def _tell_commune_installed(context: PneContext, claim: service.ClaimView) -> None:
    """Art. 6: SEM sends the commune the list of what was installed, with its new value."""
    agents, _, _ = await service.recipients_for(context.services.db, claim.id)
    installed = [
        (i.asset_tag or "", i.replacement_installed_on, i.new_value)
        for i in claim.items
        if i.replacement_installed_on is not None and i.new_value is not None
    ]
    for agent in agents:
        card = _card(context, agent.language)
        lines = "\n".join(
            card.t(
                "claim.card.installed",
                tag=tag,
                on=context.services.i18n.date(agent.language, on),
                value=card.money(value),
            )
            for tag, on, value in installed
        )
        total = sum((value for _, _, value in installed), Decimal(0))
        await notify(
            context,
            agent.chat_id,
            card.t(
                "claim.notify.installed",
                number=claim.number,
                school=claim.school_name,
                lines=_safe(lines),
                total=card.money(total),
            ),
            claim.id,
        )


def _safe(html: str) -> Any:
    from bot.i18n import Safe

    return Safe(html)


async def recovery_when(update: Update, context: PneContext) -> str:
    state = _state(context)
    if update.callback_query is not None:
        await update.callback_query.answer()
        told = _now(context)
    else:
        assert update.effective_message is not None
        try:
            told = parse_discovery_detail(
                update.effective_message.text or "", _now(context), context.services.settings.tz
            ).at
        except DomainError as error:
            await _error(update, context, error)
            return RECOV_WHEN
    state["told_at"] = told.isoformat()
    rows = [
        [(context.t("claim.button.record_recovery"), "clm:ok")],
        [(context.t("common.button.cancel"), "clm:no")],
    ]
    await reply(
        update,
        context,
        "claim.follow.confirm_recovery",
        number=state["number"],
        told=context.services.i18n.datetime(context.lang, told),
        reply_markup=keyboard(rows),
    )
    return CONFIRM


# --- confirmation of the irreversible steps ----------------------------------------------------


async def confirmed(update: Update, context: PneContext) -> int:
    query = update.callback_query
    assert query is not None and context.person is not None
    await query.answer()
    await query.edit_message_reply_markup(None)
    state = _state(context)
    db, person_id, claim_id, now = (
        context.services.db,
        context.person.id,
        int(state["claim_id"]),
        _now(context),
    )
    i18n = context.services.i18n
    try:
        if state["action"] == "pledge":
            claim = await service.record_pledge(
                db,
                person_id,
                claim_id,
                amount=Decimal(state["amount"]),
                mode=PaymentMode(state["mode"]),
                planned_on=datetime.fromisoformat(state["planned_on"]).date(),
                now=now,
            )
            await reply(update, context, "claim.follow.pledge_saved", number=claim.number)
            await _tell_staff(
                context, claim, "claim.notify.pledged", amount=Decimal(state["amount"])
            )
        elif state["action"] == "complete":
            claim = await service.mark_complete(db, person_id, claim_id, now=now)
            assert claim.payment_deadline is not None
            await reply(
                update,
                context,
                "claim.follow.completed",
                number=claim.number,
                pay_by=i18n.date(context.lang, claim.payment_deadline),
            )
            await _tell_commune(context, claim, "claim.notify.completed")
        elif state["action"] == "pay":
            claim, full = await service.record_payment(
                db,
                person_id,
                claim_id,
                amount=Decimal(state["amount"]),
                paid_on=datetime.fromisoformat(state["paid_on"]).date(),
                now=now,
            )
            key = "claim.follow.paid_in_full" if full else "claim.follow.payment_saved"
            await reply(
                update,
                context,
                key,
                number=claim.number,
                outstanding=i18n.money(context.lang, claim.outstanding or Decimal(0)),
            )
            if full:
                await _tell_commune(context, claim, "claim.notify.closed_paid")
        elif state["action"] == "close":
            claim = await service.close_claim(
                db, person_id, claim_id, reason=state.get("reason"), now=now
            )
            await reply(update, context, "claim.follow.closed", number=claim.number)
        elif state["action"] == "recov":
            claim, outcome = await service.record_recovery(
                db, person_id, claim_id, told_at=datetime.fromisoformat(state["told_at"]), now=now
            )
            key = (
                "claim.notify.recovered_before"
                if outcome is RecoveryOutcome.BEFORE_INDEMNITY
                else "claim.notify.recovered_after"
            )
            await reply(update, context, "claim.follow.recovery_saved", number=claim.number)
            await _tell_commune(context, claim, key)
    except DomainError as error:
        await _error(update, context, error)
    return await _end(context)


async def _tell_commune(
    context: PneContext, claim: service.ClaimView, key: str, **params: Any
) -> None:
    agents, _, _ = await service.recipients_for(context.services.db, claim.id)
    i18n = context.services.i18n
    for agent in agents:
        extra = {
            "pay_by": i18n.date(agent.language, claim.payment_deadline)
            if claim.payment_deadline
            else "",
            "amount": i18n.money(agent.language, claim.amount_due or Decimal(0)),
        }
        await notify(
            context,
            agent.chat_id,
            i18n.t(
                agent.language,
                key,
                number=claim.number,
                school=claim.school_name,
                **extra,
                **params,
            ),
            claim.id,
        )


async def _tell_staff(
    context: PneContext, claim: service.ClaimView, key: str, *, amount: Decimal
) -> None:
    services = context.services
    _, staff, _ = await service.recipients_for(services.db, claim.id)
    targets = (
        [(services.settings.staff_chat_id, services.settings.language)]
        if services.settings.staff_chat_id is not None
        else [(s.chat_id, s.language) for s in staff]
    )
    for chat_id, lang in targets:
        card = _card(context, lang)
        await notify(
            context,
            chat_id,
            card.t(key, number=claim.number, commune=claim.commune_name, amount=card.money(amount)),
            claim.id,
            reply_markup=card.staff_keyboard(claim),
        )


async def declined(update: Update, context: PneContext) -> int:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_reply_markup(None)
    await reply(update, context, "common.cancelled")
    return await _end(context)


# --- documents --------------------------------------------------------------------------------


async def attach_purpose(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    purpose = query.data.rsplit(":", 1)[1]
    if purpose not in PURPOSES:
        return ATTACH_PURPOSE
    _state(context)["purpose"] = purpose
    await reply(update, context, "claim.follow.ask_file")
    return ATTACH_FILE


async def attach_file(update: Update, context: PneContext) -> int | str:
    message = update.effective_message
    assert message is not None and context.person is not None
    state = _state(context)
    if message.photo:
        ref = service.FileRef("photo", message.photo[-1].file_id, message.photo[-1].file_unique_id)
    elif message.document:
        doc = message.document
        ref = service.FileRef(
            "document", doc.file_id, doc.file_unique_id, doc.file_name, doc.mime_type
        )
    else:
        await reply(update, context, "claim.follow.ask_file")
        return ATTACH_FILE
    try:
        claim = await service.attach_file(
            context.services.db,
            context.person.id,
            int(state["claim_id"]),
            ref,
            purpose=state["purpose"],
            now=_now(context),
        )
    except DomainError as error:
        await _error(update, context, error)
        return await _end(context)
    await reply(
        update,
        context,
        "claim.follow.file_saved",
        number=claim.number,
        purpose=context.t(f"claim.purpose.{state['purpose']}"),
    )
    return await _end(context)


# --- leaving ---------------------------------------------------------------------------------


async def _end(context: PneContext) -> int:
    assert context.user_data is not None
    context.user_data.pop(FOLLOW, None)
    return ConversationHandler.END


async def unexpected(update: Update, context: PneContext) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(context.t("common.stale_button"), show_alert=True)
        return
    await reply(update, context, "claim.follow.unexpected")


# --- the claim's view ----------------------------------------------------------------------------


async def show_claim(update: Update, context: PneContext) -> None:
    """/sinistre S-2026-0042, or the « voir » button: the card, timeline and actions."""
    assert context.person is not None
    db = context.services.db
    if update.callback_query is not None:
        await update.callback_query.answer()
        assert update.callback_query.data is not None
        claim_id = int(update.callback_query.data.rsplit(":", 1)[1])
    else:
        if not context.args:
            await reply(update, context, "claim.view.usage")
            return
        try:
            claim_id = await service.find_claim_id(db, context.person.id, context.args[0])
        except DomainError as error:
            await _error(update, context, error)
            return
    claim = await _view(update, context, claim_id)
    if claim is None:
        return
    full = await service.claim_view(db, context.person.id, claim_id, _now(context), timeline=True)
    card = _card(context)
    markup = None
    if context.person.role == Role.STAFF:
        markup = card.staff_keyboard(full)
    elif context.person.role == Role.COMMUNE:
        markup = card.duty_keyboard(full)
    await send_about(
        context,
        update.effective_chat.id if update.effective_chat else 0,
        card.card(full, timeline=True),
        full.id,
        reply_markup=markup,
    )


def conversation() -> ConversationHandler[PneContext]:
    text = filters.TEXT & ~filters.COMMAND
    stay: list[BaseHandler[Update, PneContext, Any]] = [
        MessageHandler(filters.ALL & ~filters.COMMAND, unexpected)
    ]
    return dialogue(
        entry_points=[
            CallbackQueryHandler(
                entry,
                pattern=r"^clm:(duty:\d{1,10}:[a-z_]{1,24}|(pledge|attach|complete|pay|close|repl|recov):\d{1,10})$",
            )
        ],
        states={
            DUTY_WHEN: [
                CallbackQueryHandler(duty_when, pattern=r"^clm:now$"),
                MessageHandler(text, duty_when),
                *stay,
            ],
            DUTY_REF: [MessageHandler(text, duty_reference), *stay],
            PLEDGE_AMOUNT: [
                CallbackQueryHandler(pledge_amount, pattern=r"^clm:amount:ok$"),
                MessageHandler(text, pledge_amount),
                *stay,
            ],
            PLEDGE_MODE: [
                CallbackQueryHandler(
                    pledge_mode, pattern=r"^clm:mode:(insurer_direct|via_commune)$"
                ),
                *stay,
            ],
            PLEDGE_DATE: [MessageHandler(text, pledge_date), *stay],
            PAY_AMOUNT: [
                CallbackQueryHandler(pay_amount, pattern=r"^clm:amount:ok$"),
                MessageHandler(text, pay_amount),
                *stay,
            ],
            PAY_DATE: [
                CallbackQueryHandler(pay_date, pattern=r"^clm:today$"),
                MessageHandler(text, pay_date),
                *stay,
            ],
            CLOSE_REASON: [MessageHandler(text, close_reason), *stay],
            REPL_ITEM: [CallbackQueryHandler(replacement_item, pattern=r"^clm:it:\d{1,3}$"), *stay],
            REPL_WHAT: [
                CallbackQueryHandler(replacement_what, pattern=r"^clm:what:(ordered|installed)$"),
                *stay,
            ],
            REPL_DATE: [
                CallbackQueryHandler(replacement_date, pattern=r"^clm:today$"),
                MessageHandler(text, replacement_date),
                *stay,
            ],
            REPL_VALUE: [MessageHandler(text, replacement_value), *stay],
            RECOV_WHEN: [
                CallbackQueryHandler(recovery_when, pattern=r"^clm:now$"),
                MessageHandler(text, recovery_when),
                *stay,
            ],
            ATTACH_PURPOSE: [
                CallbackQueryHandler(attach_purpose, pattern=r"^clm:purpose:[a-z_]{1,24}$"),
                *stay,
            ],
            ATTACH_FILE: [
                MessageHandler(filters.PHOTO | filters.Document.ALL | text, attach_file),
                *stay,
            ],
            CONFIRM: [
                CallbackQueryHandler(confirmed, pattern=r"^clm:ok$"),
                CallbackQueryHandler(declined, pattern=r"^clm:no$"),
                *stay,
            ],
        },
        fallbacks=[],  # /annuler is handled before every dialogue (dialogues.py)
        name="claim_follow",
    )


def view_handlers() -> list[Any]:
    return [
        CommandHandler(["sinistre", "claim"], show_claim, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(show_claim, pattern=r"^clm:view:\d{1,10}$"),
    ]
