"""Following a claim: one dialogue per action on it (decision 0014).

The commune confirms a duty or sends its pledge; staff mark the dossier complete, record
a payment, a replacement or a recovery, or close the claim; whoever follows a claim may
attach a document. Each action is its own persistent dialogue, started by the button
that names it (``clm:<action>:<claim id>[:<extra>]``, the same data as the buttons sent
before, so those keep working), and built from the shared steps of ``steps.py``: each
answer is checked as it is typed, and a refused answer keeps the step open.

Every button carries a claim id; it is never trusted: the service checks on arrival that
the claim exists and that this person may act on it (a claim outside their scope is
"not found"), and checks again when the change is written.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain import claims as rules
from bot.domain.bodies import body_variant
from bot.domain.claims import DUTIES_NEEDING_REFERENCE, Duty, PaymentMode, RecoveryOutcome
from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role, can
from bot.i18n import Safe
from bot.services import claim_notices as notices
from bot.services import claims as service
from handlers.telegram import steps
from handlers.telegram.app import PneContext
from handlers.telegram.claim_cards import Card
from handlers.telegram.common import keyboard, reply, send_about, tell
from handlers.telegram.dialogues import dialogue, end_in_chat, timeout_of
from handlers.telegram.steps import TEXT, Draft

# The dialogues, by their persistent names.
DUTY, PLEDGE, COMPLETE, PAYMENT = "claim_duty", "claim_pledge", "claim_complete", "claim_payment"
REPLACEMENT, RECOVERY, CLOSE, ATTACH = (
    "claim_replacement", "claim_recovery", "claim_close", "claim_attach",
)  # fmt: skip
FOLLOW_UPS = (DUTY, PLEDGE, COMPLETE, PAYMENT, REPLACEMENT, RECOVERY, CLOSE, ATTACH)
# Before decision 0014 every follow-up was one dialogue of this name.
RETIRED = "claim_follow"

(
    DUTY_WHEN, DUTY_REF, PLEDGE_AMOUNT, PLEDGE_MODE, PLEDGE_DATE, CONFIRM,
    PAY_AMOUNT, PAY_DATE, CLOSE_REASON, REPL_ITEM, REPL_WHAT, REPL_DATE, REPL_VALUE,
    RECOV_WHEN, ATTACH_PURPOSE, ATTACH_FILE,
) = (
    "duty_when", "duty_ref", "pledge_amount", "pledge_mode", "pledge_date", "confirm",
    "pay_amount", "pay_date", "close_reason", "repl_item", "repl_what", "repl_date",
    "repl_value", "recov_when", "attach_purpose", "attach_file",
)  # fmt: skip
PURPOSES = ("complaint_receipt", "insurer_letter", "invoice_or_quote", "other")
MAX_REFERENCE = 120
MAX_REASON = 1000

Start = Callable[[Update, PneContext, service.ClaimView, str | None], Awaitable[object]]


def _card(context: PneContext, lang: str | None = None) -> Card:
    return Card(context.services.i18n, lang or context.lang)


def _money(context: PneContext, amount: Decimal) -> str:
    return context.services.i18n.money(context.lang, amount)


async def _view(update: Update, context: PneContext, claim_id: int) -> service.ClaimView | None:
    """The claim if this person may see it; else say so and return None."""
    assert context.person is not None
    try:
        return await service.claim_view(
            context.services.db, context.person.id, claim_id, steps.now(context)
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return None


def _entry(name: str, action: str, needed: Action, start: Start, *, extra: str = "") -> Any:
    """The button on a claim that starts dialogue ``name``: ``clm:<action>:<id><extra>``.

    The person's other follow-up in this chat ends (one at a time, as before), so that
    their next answer cannot reach a question they left behind."""

    async def begin(update: Update, context: PneContext) -> object:
        query = update.callback_query
        assert query is not None and query.data is not None and context.person is not None
        parts = query.data.split(":")
        if not can(context.person.role, needed):
            await query.answer(context.t("common.error.forbidden"), show_alert=True)
            return ConversationHandler.END
        await query.answer()
        claim = await _view(update, context, int(parts[2]))
        if claim is None:
            return ConversationHandler.END
        end_in_chat(context.application, update, [n for n in FOLLOW_UPS if n != name])
        assert context.user_data is not None
        for other in FOLLOW_UPS:
            context.user_data.pop(other, None)
        steps.start_draft(context, name, claim_id=claim.id, number=claim.number)
        return await start(update, context, claim, parts[3] if len(parts) > 3 else None)

    return CallbackQueryHandler(begin, pattern=rf"^clm:{action}:\d{{1,10}}{extra}$")


# --- the commune's duties --------------------------------------------------------------------


async def _duty_start(
    update: Update, context: PneContext, claim: service.ClaimView, duty: str | None
) -> object:
    if duty not in {d.value for d in Duty} or Duty(duty) not in claim.pending_duties:
        await reply(update, context, "claim.follow.duty_already_done", number=claim.number)
        return steps.end(context, DUTY)
    current = steps.draft(context, DUTY)
    current["duty"] = duty
    current["discovered_at"] = claim.discovered_at.isoformat()
    await reply(
        update,
        context,
        "claim.follow.ask_duty_when",
        number=claim.number,
        duty=context.t(f"claim.duty.{duty}"),
        # Each duty its own question: « la déclaration … faite », « le dépôt … fait ».
        question=context.t(f"claim.follow.when_done.{duty}"),
        reply_markup=keyboard([[(context.t("claim.button.now"), "clm:now")]]),
    )
    return DUTY_WHEN


def _duty_time(context: PneContext, current: Draft, done_at: Any) -> None:
    rules.check_duty_time(
        Duty(current["duty"]),
        done_at,
        discovered_at=datetime.fromisoformat(current["discovered_at"]),
        now=steps.now(context),
    )


async def _duty_when_given(update: Update, context: PneContext) -> object:
    if Duty(steps.draft(context, DUTY)["duty"]) in DUTIES_NEEDING_REFERENCE:
        await reply(update, context, "claim.follow.ask_reference")
        return DUTY_REF
    return await _save_duty(update, context)


def _reference(typed: str) -> str:
    reference = typed.strip()
    if not reference or len(reference) > MAX_REFERENCE:
        raise DomainError("claim.follow.ask_reference")
    return reference


async def _save_duty(update: Update, context: PneContext) -> object:
    assert context.person is not None
    current = steps.draft(context, DUTY)
    try:
        claim = await service.confirm_duty(
            context.services.db,
            context.person.id,
            int(current["claim_id"]),
            Duty(current["duty"]),
            done_at=datetime.fromisoformat(current["done_at"]),
            reference=current.get("reference"),
            now=steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, DUTY)
    card = _card(context)
    key = "claim.follow.duty_saved" if claim.pending_duties else "claim.follow.duties_all_done"
    await reply(
        update,
        context,
        key,
        number=claim.number,
        duties=Safe(card.duty_lines(claim)),
        reply_markup=card.duty_keyboard(claim),
    )
    return steps.end(context, DUTY)


def duty_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=DUTY,
        entry_points=[
            _entry(DUTY, "duty", Action.FOLLOW_CLAIM, _duty_start, extra=":[a-z_]{1,24}")
        ],
        states={
            DUTY_WHEN: [
                *steps.instant(
                    dialogue=DUTY,
                    state=DUTY_WHEN,
                    field="done_at",
                    button="clm:now",
                    checks=[_duty_time],
                    then=_duty_when_given,
                ),
                *steps.stay(),
            ],
            DUTY_REF: [
                *steps.text(
                    dialogue=DUTY,
                    state=DUTY_REF,
                    field="reference",
                    read=_reference,
                    then=_save_duty,
                ),
                *steps.stay(),
            ],
        },
        fallbacks=[],  # /annuler is handled before every dialogue (dialogues.py)
    )


# --- the pledge ------------------------------------------------------------------------------


async def _pledge_start(
    update: Update, context: PneContext, claim: service.ClaimView, _: str | None
) -> object:
    draft = steps.draft(context, PLEDGE)
    draft["suggested"] = str(claim.total_refund)
    draft["body_kind"] = claim.body_kind  # « versement par l'organisme gestionnaire »
    amount = _money(context, claim.total_refund)
    await reply(
        update,
        context,
        "claim.follow.ask_pledge_amount",
        number=claim.number,
        amount=amount,
        reply_markup=keyboard(
            [[(context.t("claim.button.take_amount", amount=amount), "clm:amount:ok")]]
        ),
    )
    return PLEDGE_AMOUNT


async def _ask_pledge_mode(update: Update, context: PneContext) -> object:
    card = _card(context)
    body_kind = steps.draft(context, PLEDGE).get("body_kind")
    rows = [[(card.mode(m.value, body_kind), f"clm:mode:{m.value}")] for m in PaymentMode]
    await reply(update, context, "claim.follow.ask_pledge_mode", reply_markup=keyboard(rows))
    return PLEDGE_MODE


async def _ask_pledge_date(update: Update, context: PneContext) -> object:
    await reply(update, context, "claim.follow.ask_pledge_date")
    return PLEDGE_DATE


async def _confirm_pledge(update: Update, context: PneContext) -> object:
    current = steps.draft(context, PLEDGE)
    i18n = context.services.i18n
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=PLEDGE,
        state=CONFIRM,
        key="claim.follow.confirm_pledge",
        button="claim.button.send_pledge",
        number=current["number"],
        amount=_money(context, Decimal(current["amount"])),
        mode=_card(context).mode(current["mode"], current.get("body_kind")),
        planned=i18n.date(context.lang, datetime.fromisoformat(current["planned_on"]).date()),
    )


async def _record_pledge(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    claim = await service.record_pledge(
        context.services.db,
        context.person.id,
        int(current["claim_id"]),
        amount=Decimal(current["amount"]),
        mode=PaymentMode(current["mode"]),
        planned_on=datetime.fromisoformat(current["planned_on"]).date(),
        now=steps.now(context),
    )
    await reply(update, context, "claim.follow.pledge_saved", number=claim.number)
    await _tell_staff(context, claim, "claim.notify.pledged", amount=Decimal(current["amount"]))


def pledge_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=PLEDGE,
        entry_points=[_entry(PLEDGE, "pledge", Action.FOLLOW_CLAIM, _pledge_start)],
        states={
            PLEDGE_AMOUNT: [
                *steps.amount(
                    dialogue=PLEDGE,
                    state=PLEDGE_AMOUNT,
                    field="amount",
                    suggested="suggested",
                    then=_ask_pledge_mode,
                ),
                *steps.stay(),
            ],
            PLEDGE_MODE: [
                *steps.choice(
                    dialogue=PLEDGE,
                    state=PLEDGE_MODE,
                    field="mode",
                    prefix="clm:mode",
                    values=[m.value for m in PaymentMode],
                    then=_ask_pledge_date,
                ),
                *steps.stay(),
            ],
            PLEDGE_DATE: [
                *steps.instant(
                    dialogue=PLEDGE,
                    state=PLEDGE_DATE,
                    field="planned_on",
                    day=True,
                    future=True,
                    then=_confirm_pledge,
                ),
                *steps.stay(),
            ],
            CONFIRM: [
                *steps.confirmation(dialogue=PLEDGE, state=CONFIRM, act=_record_pledge),
                *steps.stay(),
            ],
        },
        fallbacks=[],
    )


# --- staff: completion -----------------------------------------------------------------------


async def _complete_start(
    update: Update, context: PneContext, claim: service.ClaimView, _: str | None
) -> object:
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=COMPLETE,
        state=CONFIRM,
        key=body_variant("claim.follow.confirm_complete", claim.body_kind),
        button="claim.button.confirm_complete",
        number=claim.number,
        body=claim.body_name,
        amount=_money(context, service.amount_due_at_completion(claim) or Decimal(0)),
        pledged=_money(context, claim.pledge.amount if claim.pledge else Decimal(0)),
    )


async def _mark_complete(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    claim = await service.mark_complete(
        context.services.db, context.person.id, int(current["claim_id"]), now=steps.now(context)
    )
    assert claim.payment_deadline is not None
    await reply(
        update,
        context,
        body_variant("claim.follow.completed", claim.body_kind),
        number=claim.number,
        body=claim.body_name,
        pay_by=context.services.i18n.date(context.lang, claim.payment_deadline),
    )
    await _tell_commune(context, claim, "claim.notify.completed")


def complete_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=COMPLETE,
        entry_points=[_entry(COMPLETE, "complete", Action.MANAGE_CLAIM, _complete_start)],
        states={
            CONFIRM: [
                *steps.confirmation(dialogue=COMPLETE, state=CONFIRM, act=_mark_complete),
                *steps.stay(),
            ],
        },
        fallbacks=[],
    )


# --- staff: a payment ------------------------------------------------------------------------


async def _payment_start(
    update: Update, context: PneContext, claim: service.ClaimView, _: str | None
) -> object:
    outstanding = claim.outstanding or Decimal(0)
    current = steps.draft(context, PAYMENT)
    current["suggested"] = str(outstanding)
    current["outstanding"] = None if claim.outstanding is None else str(claim.outstanding)
    shown = _money(context, outstanding)
    await reply(
        update,
        context,
        "claim.follow.ask_payment_amount",
        number=claim.number,
        outstanding=shown,
        reply_markup=keyboard(
            [[(context.t("claim.button.take_amount", amount=shown), "clm:amount:ok")]]
        ),
    )
    return PAY_AMOUNT


def _payment_amount(context: PneContext, current: Draft, amount: Any) -> None:
    if current.get("outstanding") is not None:  # else the service refuses (no pledge yet)
        rules.check_payment_amount(amount, Decimal(current["outstanding"]))


def _payment_day(context: PneContext, current: Draft, paid_on: Any) -> None:
    rules.check_payment_day(paid_on, steps.today(context))


async def _ask_payment_date(update: Update, context: PneContext) -> object:
    rows = [[(context.t("claim.button.today"), "clm:today")]]
    await reply(update, context, "claim.follow.ask_payment_date", reply_markup=keyboard(rows))
    return PAY_DATE


async def _confirm_payment(update: Update, context: PneContext) -> object:
    current = steps.draft(context, PAYMENT)
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=PAYMENT,
        state=CONFIRM,
        key="claim.follow.confirm_payment",
        button="claim.button.record_payment",
        number=current["number"],
        amount=_money(context, Decimal(current["amount"])),
        paid_on=context.services.i18n.date(
            context.lang, datetime.fromisoformat(current["paid_on"]).date()
        ),
    )


async def _record_payment(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    claim, full = await service.record_payment(
        context.services.db,
        context.person.id,
        int(current["claim_id"]),
        amount=Decimal(current["amount"]),
        paid_on=datetime.fromisoformat(current["paid_on"]).date(),
        now=steps.now(context),
    )
    key = "claim.follow.paid_in_full" if full else "claim.follow.payment_saved"
    await reply(
        update,
        context,
        key,
        number=claim.number,
        outstanding=_money(context, claim.outstanding or Decimal(0)),
    )
    if full:
        await _tell_commune(context, claim, "claim.notify.closed_paid")


def payment_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=PAYMENT,
        entry_points=[_entry(PAYMENT, "pay", Action.MANAGE_CLAIM, _payment_start)],
        states={
            PAY_AMOUNT: [
                *steps.amount(
                    dialogue=PAYMENT,
                    state=PAY_AMOUNT,
                    field="amount",
                    suggested="suggested",
                    checks=[_payment_amount],
                    then=_ask_payment_date,
                ),
                *steps.stay(),
            ],
            PAY_DATE: [
                *steps.instant(
                    dialogue=PAYMENT,
                    state=PAY_DATE,
                    field="paid_on",
                    day=True,
                    button="clm:today",
                    checks=[_payment_day],
                    then=_confirm_payment,
                ),
                *steps.stay(),
            ],
            CONFIRM: [
                *steps.confirmation(dialogue=PAYMENT, state=CONFIRM, act=_record_payment),
                *steps.stay(),
            ],
        },
        fallbacks=[],
    )


# --- staff: closing --------------------------------------------------------------------------


async def _close_start(
    update: Update, context: PneContext, claim: service.ClaimView, _: str | None
) -> object:
    await reply(
        update,
        context,
        "claim.follow.ask_close_reason",
        number=claim.number,
        outstanding=_money(context, claim.outstanding or Decimal(0)),
    )
    return CLOSE_REASON


def _reason(typed: str) -> str | None:
    text = typed.strip()
    return None if text in {"-", "—"} else text[:MAX_REASON]


async def _confirm_close(update: Update, context: PneContext) -> object:
    current = steps.draft(context, CLOSE)
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=CLOSE,
        state=CONFIRM,
        key="claim.follow.confirm_close",
        button="claim.button.close",
        number=current["number"],
        reason=current["reason"] or "—",
    )


async def _close(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    claim = await service.close_claim(
        context.services.db,
        context.person.id,
        int(current["claim_id"]),
        reason=current.get("reason"),
        now=steps.now(context),
    )
    await reply(update, context, "claim.follow.closed", number=claim.number)
    services = context.services
    await tell(
        context,
        await notices.after_close(
            services.db,
            services.i18n,
            claim,
            current.get("reason"),
            closed_by=context.person.id,
        ),
    )


def close_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=CLOSE,
        entry_points=[_entry(CLOSE, "close", Action.MANAGE_CLAIM, _close_start)],
        states={
            CLOSE_REASON: [
                *steps.text(
                    dialogue=CLOSE,
                    state=CLOSE_REASON,
                    field="reason",
                    read=_reason,
                    then=_confirm_close,
                ),
                *steps.stay(),
            ],
            CONFIRM: [
                *steps.confirmation(dialogue=CLOSE, state=CONFIRM, act=_close),
                *steps.stay(),
            ],
        },
        fallbacks=[],
    )


# --- staff: a replacement --------------------------------------------------------------------


async def _replacement_start(
    update: Update, context: PneContext, claim: service.ClaimView, _: str | None
) -> object:
    tags = [item.asset_tag for item in claim.items if item.asset_tag]
    steps.draft(context, REPLACEMENT)["tags"] = tags
    rows = [[(tag, f"clm:it:{index}")] for index, tag in enumerate(tags)]
    await reply(
        update,
        context,
        "claim.follow.ask_replacement_item",
        number=claim.number,
        reply_markup=keyboard(rows),
    )
    return REPL_ITEM


def _tag(current: Draft, index: str) -> str | None:
    tags: list[str] = current.get("tags", [])
    return tags[int(index)] if index.isdigit() and int(index) < len(tags) else None


async def _ask_replacement_what(update: Update, context: PneContext) -> object:
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
        tag=steps.draft(context, REPLACEMENT)["tag"],
        reply_markup=keyboard(rows),
    )
    return REPL_WHAT


async def _ask_replacement_date(update: Update, context: PneContext) -> object:
    rows = [[(context.t("claim.button.today"), "clm:today")]]
    await reply(update, context, "claim.follow.ask_replacement_date", reply_markup=keyboard(rows))
    return REPL_DATE


async def _replacement_day_given(update: Update, context: PneContext) -> object:
    if steps.draft(context, REPLACEMENT)["what"] == "installed":
        await reply(update, context, "claim.follow.ask_new_value")
        return REPL_VALUE
    return await _save_replacement(update, context)


async def _save_replacement(update: Update, context: PneContext) -> object:
    assert context.person is not None
    current = steps.draft(context, REPLACEMENT)
    day = datetime.fromisoformat(current["day"]).date()
    installed = current["what"] == "installed"
    try:
        claim = await service.record_replacement(
            context.services.db,
            context.person.id,
            int(current["claim_id"]),
            item_tag=current["tag"],
            ordered_on=None if installed else day,
            installed_on=day if installed else None,
            new_value=Decimal(current["value"]) if installed else None,
            now=steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, REPLACEMENT)
    await reply(
        update, context, "claim.follow.replacement_saved", tag=current["tag"], number=claim.number
    )
    if installed:
        await _tell_commune_installed(context, claim)
    return steps.end(context, REPLACEMENT)


def replacement_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=REPLACEMENT,
        entry_points=[_entry(REPLACEMENT, "repl", Action.MANAGE_CLAIM, _replacement_start)],
        states={
            REPL_ITEM: [
                *steps.choice(
                    dialogue=REPLACEMENT,
                    state=REPL_ITEM,
                    field="tag",
                    prefix="clm:it",
                    pick=_tag,
                    then=_ask_replacement_what,
                ),
                *steps.stay(),
            ],
            REPL_WHAT: [
                *steps.choice(
                    dialogue=REPLACEMENT,
                    state=REPL_WHAT,
                    field="what",
                    prefix="clm:what",
                    values=("ordered", "installed"),
                    then=_ask_replacement_date,
                ),
                *steps.stay(),
            ],
            REPL_DATE: [
                *steps.instant(
                    dialogue=REPLACEMENT,
                    state=REPL_DATE,
                    field="day",
                    day=True,
                    button="clm:today",
                    then=_replacement_day_given,
                ),
                *steps.stay(),
            ],
            REPL_VALUE: [
                *steps.amount(
                    dialogue=REPLACEMENT,
                    state=REPL_VALUE,
                    field="value",
                    then=_save_replacement,
                ),
                *steps.stay(),
            ],
        },
        fallbacks=[],
    )


# --- staff: a recovery -----------------------------------------------------------------------


async def _recovery_start(
    update: Update, context: PneContext, claim: service.ClaimView, _: str | None
) -> object:
    await reply(
        update,
        context,
        body_variant("claim.follow.ask_recovery_when", claim.body_kind),
        number=claim.number,
        body=claim.body_name,
        reply_markup=keyboard([[(context.t("claim.button.now"), "clm:now")]]),
    )
    return RECOV_WHEN


async def _confirm_recovery(update: Update, context: PneContext) -> object:
    current = steps.draft(context, RECOVERY)
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=RECOVERY,
        state=CONFIRM,
        key="claim.follow.confirm_recovery",
        button="claim.button.record_recovery",
        number=current["number"],
        told=context.services.i18n.datetime(
            context.lang, datetime.fromisoformat(current["told_at"])
        ),
    )


async def _record_recovery(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    claim, outcome = await service.record_recovery(
        context.services.db,
        context.person.id,
        int(current["claim_id"]),
        told_at=datetime.fromisoformat(current["told_at"]),
        now=steps.now(context),
    )
    key = (
        "claim.notify.recovered_before"
        if outcome is RecoveryOutcome.BEFORE_INDEMNITY
        else "claim.notify.recovered_after"
    )
    await reply(
        update,
        context,
        body_variant("claim.follow.recovery_saved", claim.body_kind),
        number=claim.number,
        body=claim.body_name,
    )
    await _tell_commune(context, claim, key)


def recovery_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=RECOVERY,
        entry_points=[_entry(RECOVERY, "recov", Action.MANAGE_CLAIM, _recovery_start)],
        states={
            RECOV_WHEN: [
                *steps.instant(
                    dialogue=RECOVERY,
                    state=RECOV_WHEN,
                    field="told_at",
                    button="clm:now",
                    then=_confirm_recovery,
                ),
                *steps.stay(),
            ],
            CONFIRM: [
                *steps.confirmation(dialogue=RECOVERY, state=CONFIRM, act=_record_recovery),
                *steps.stay(),
            ],
        },
        fallbacks=[],
    )


# --- documents -------------------------------------------------------------------------------


async def _attach_start(
    update: Update, context: PneContext, claim: service.ClaimView, _: str | None
) -> object:
    rows = [[(context.t(f"claim.purpose.{p}"), f"clm:purpose:{p}")] for p in PURPOSES]
    await reply(
        update,
        context,
        "claim.follow.ask_purpose",
        number=claim.number,
        reply_markup=keyboard(rows),
    )
    return ATTACH_PURPOSE


async def _ask_file(update: Update, context: PneContext) -> object:
    await reply(update, context, "claim.follow.ask_file")
    return ATTACH_FILE


async def attach_file(update: Update, context: PneContext) -> object:
    message = update.effective_message
    assert message is not None and context.person is not None
    current = steps.draft(context, ATTACH)
    if message.photo:
        ref = service.FileRef("photo", message.photo[-1].file_id, message.photo[-1].file_unique_id)
    elif message.document:
        doc = message.document
        ref = service.FileRef(
            "document", doc.file_id, doc.file_unique_id, doc.file_name, doc.mime_type
        )
    else:
        return await _ask_file(update, context)
    try:
        claim = await service.attach_file(
            context.services.db,
            context.person.id,
            int(current["claim_id"]),
            ref,
            purpose=current["purpose"],
            now=steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, ATTACH)
    await reply(
        update,
        context,
        "claim.follow.file_saved",
        number=claim.number,
        purpose=context.t(f"claim.purpose.{current['purpose']}"),
    )
    return steps.end(context, ATTACH)


def attach_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=ATTACH,
        entry_points=[_entry(ATTACH, "attach", Action.REPORT_CLAIM, _attach_start)],
        states={
            ATTACH_PURPOSE: [
                *steps.choice(
                    dialogue=ATTACH,
                    state=ATTACH_PURPOSE,
                    field="purpose",
                    prefix="clm:purpose",
                    values=PURPOSES,
                    then=_ask_file,
                ),
                *steps.stay(),
            ],
            ATTACH_FILE: [
                MessageHandler(filters.PHOTO | filters.Document.ALL | TEXT, attach_file),
                *steps.stay(),
            ],
        },
        fallbacks=[],
    )


# --- telling the others ----------------------------------------------------------------------


async def _tell_commune(
    context: PneContext, claim: service.ClaimView, key: str, **params: Any
) -> None:
    services = context.services
    await tell(context, await notices.to_body(services.db, services.i18n, claim, key, **params))


async def _tell_staff(
    context: PneContext, claim: service.ClaimView, key: str, *, amount: Decimal
) -> None:
    services = context.services
    await tell(
        context,
        await notices.to_staff(
            services.db, services.i18n, services.settings, claim, key, amount=amount
        ),
    )


async def _tell_commune_installed(context: PneContext, claim: service.ClaimView) -> None:
    """Art. 6: SEM sends the body the list of what was installed, with its new value."""
    services = context.services
    await tell(context, await notices.installed(services.db, services.i18n, claim))


def _safe(html: str) -> Any:
    from bot.i18n import Safe

    return Safe(html)


# --- a step of the retired single dialogue ---------------------------------------------------

_RETIRED_STEPS = "retired_follow_up_steps"
_STARTS = re.compile(
    r"^clm:(duty:\d{1,10}:[a-z_]{1,24}"
    r"|(pledge|attach|complete|pay|close|repl|recov|view):\d{1,10})$"
)


async def retire_old_follow_up(update: object, context: PneContext) -> None:
    """A step of the follow-up dialogue of before decision 0014, restored at start-up, is
    not carried over (its draft lacks what the new steps keep, and its confirmation
    button names no draft): the first time the person writes, they are told it was
    interrupted and that nothing was recorded. A button on a claim still starts the
    action afresh; anything else (an answer to the old question) stops here."""
    if not isinstance(update, Update) or update.effective_user is None:
        return
    chat = update.effective_chat
    if chat is None:
        return
    application = context.application
    persistence = application.persistence
    if persistence is None:
        return
    old: dict[Any, Any] | None = application.bot_data.get(_RETIRED_STEPS)
    if old is None:  # once per process: its steps younger than their timeout
        old = dict(await persistence.get_conversations(RETIRED))
        application.bot_data[_RETIRED_STEPS] = old
    key = (chat.id, update.effective_user.id)
    if old.pop(key, None) is None:
        return
    restored = getattr(persistence, "restored", {})
    written = restored.get((RETIRED, key))
    await persistence.update_conversation(RETIRED, key, None)
    assert context.user_data is not None
    number = (context.user_data.pop(RETIRED, None) or {}).get("number")
    if written is not None and steps.now(context) - written > timeout_of(RETIRED):
        return  # it had expired anyway
    await reply(update, context, "claim.follow.interrupted_by_upgrade", number=number or "")
    query = update.callback_query
    if query is not None and query.data is not None and _matches_start(query.data):
        return
    if query is not None:
        await query.answer()
    if update.message is not None and (update.message.text or "").startswith("/"):
        return  # a command still does what it says
    raise ApplicationHandlerStop


def _matches_start(data: str) -> bool:
    return _STARTS.match(data) is not None


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
            await steps.refuse(update, context, error)
            return
    claim = await _view(update, context, claim_id)
    if claim is None:
        return
    full = await service.claim_view(
        db, context.person.id, claim_id, steps.now(context), timeline=True
    )
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


def conversations() -> list[ConversationHandler[PneContext]]:
    """The follow-up dialogues, one per action on a claim."""
    return [
        duty_dialogue(),
        pledge_dialogue(),
        complete_dialogue(),
        payment_dialogue(),
        replacement_dialogue(),
        recovery_dialogue(),
        close_dialogue(),
        attach_dialogue(),
    ]


def view_handlers() -> list[Any]:
    return [
        CommandHandler(["sinistre", "claim"], show_claim, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(show_claim, pattern=r"^clm:view:\d{1,10}$"),
    ]
