"""Following a claim: one dialogue per action on it (decision 0014).

The commune confirms a duty or sends its pledge; staff mark the dossier complete, record
a payment (and who paid), a replacement or a recovery, or close the claim; whoever follows
a claim may attach a document. Article 6's later steps (decisions 0017, 0018): the body
or staff record the insurer's indemnity, the body reports items found (staff confirm them
with each item's damage, or dismiss a wrong report with its reason, 0027), asks to take
back items found after the indemnity (SEM agrees or refuses), and records a payment it
made with its proof (staff confirm or reject it; pending ones together within what is
owed).

Each action is its own persistent dialogue, started by the button that names it
(``clm:<action>:<claim id>[:<extra>]``, the same data as the buttons sent before, so
those keep working), and built from the shared steps of ``steps.py``: each answer is
checked as it is typed, and a refused answer keeps the step open.

Every button carries a claim id; it is never trusted: the service checks on arrival that
the claim exists and that this person may act on it (a claim outside their scope is
"not found"), and checks again when the change is written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from telegram import Update
from telegram.error import TelegramError
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
from bot.domain.claims import (
    DUTIES_NEEDING_REFERENCE,
    ClaimKind,
    DamageCause,
    Document,
    DossierPiece,
    Duty,
    IndemnityPayee,
    Payer,
    PaymentMode,
)
from bot.domain.dates import local_date
from bot.domain.errors import DomainError
from bot.domain.platforms import TELEGRAM
from bot.domain.roles import Action, Role, can
from bot.domain.text import units
from bot.i18n import Safe
from bot.services import claim_notices as notices
from bot.services import claims as service
from bot.services import recovery_notices
from handlers.telegram import steps
from handlers.telegram.app import PneContext
from handlers.telegram.claim_cards import Card
from handlers.telegram.common import keyboard, reply, send_about, tell
from handlers.telegram.dialogues import dialogue, end_in_chat, timeout_of
from handlers.telegram.holds import HOLD_DIALOGUES
from handlers.telegram.steps import TEXT, Draft

# The dialogues, by their persistent names.
DUTY, PLEDGE, COMPLETE, PAYMENT = "claim_duty", "claim_pledge", "claim_complete", "claim_payment"
REPLACEMENT, RECOVERY, CLOSE, ATTACH = (
    "claim_replacement", "claim_recovery", "claim_close", "claim_attach",
)  # fmt: skip
RECOVERY_ANSWER, INDEMNITY = "claim_recovery_answer", "claim_indemnity"
BODY_PAYMENT, PAYMENT_REVIEW = "claim_body_payment", "claim_payment_review"
CAUSE = "claim_cause"
# The security hold's dialogues (handlers/telegram/holds.py) start from a claim's card too.
FOLLOW_UPS = (
    DUTY, PLEDGE, COMPLETE, PAYMENT, REPLACEMENT, RECOVERY, CLOSE, ATTACH,
    RECOVERY_ANSWER, INDEMNITY, BODY_PAYMENT, PAYMENT_REVIEW, CAUSE, *HOLD_DIALOGUES,
)  # fmt: skip
# Before decision 0014 every follow-up was one dialogue of this name.
RETIRED = "claim_follow"

(
    DUTY_WHEN, DUTY_REF, PLEDGE_AMOUNT, PLEDGE_MODE, PLEDGE_DATE, CONFIRM,
    PAY_AMOUNT, PAY_DATE, CLOSE_REASON, REPL_ITEM, REPL_WHAT, REPL_DATE, REPL_VALUE,
    RECOV_WHEN, ATTACH_PURPOSE, ATTACH_FILE, CAUSE_PICK, REPL_TAG, REPL_MODEL,
) = (
    "duty_when", "duty_ref", "pledge_amount", "pledge_mode", "pledge_date", "confirm",
    "pay_amount", "pay_date", "close_reason", "repl_item", "repl_what", "repl_date",
    "repl_value", "recov_when", "attach_purpose", "attach_file", "cause_pick",
    "repl_tag", "repl_model",
)  # fmt: skip
(
    PAY_PAYER, RECOV_ITEMS, RECOV_DAMAGE, INDEM_PAYEE, INDEM_DATE, INDEM_AMOUNT,
    BPAY_AMOUNT, BPAY_DATE, BPAY_PAYER, BPAY_PROOF, REVIEW_REASON, DISMISS_REASON,
) = (
    "pay_payer", "recov_items", "recov_damage", "indem_payee", "indem_date", "indem_amount",
    "bpay_amount", "bpay_date", "bpay_payer", "bpay_proof", "review_reason", "dismiss_reason",
)  # fmt: skip
# What a document attached to a claim may be (the complete dossier counts them, art. 6).
PURPOSES = tuple(
    d.value
    for d in (
        Document.INVOICE_OR_QUOTE,
        Document.INSURER_DECLARATION,
        Document.INSURER_LETTER,
        Document.COMPLAINT_RECEIPT,
        Document.POLICE_REPORT,
        Document.EVIDENCE,
        Document.OTHER,
    )
)
MAX_REFERENCE = 120
MAX_REASON = 1000

log = logging.getLogger(__name__)

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
        return await start(update, context, claim, ":".join(parts[3:]) or None)

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
    if not reference or units(reference) > MAX_REFERENCE:
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


def _pledge_day(context: PneContext, _: Draft, planned_on: Any) -> None:
    """A planned payment day already past is refused as it is typed, naming today."""
    rules.check_pledge_date(planned_on, steps.today(context))


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
    # Art. 6: the pledge goes « à l'attention de l'assistante du Plan Numérique ».
    services = context.services
    await tell(context, await notices.pledged(services.db, services.i18n, services.settings, claim))


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
                    checks=[_pledge_day],
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
    """The confirmation names what the dossier's checklist still lacks, if anything: staff
    then confirm it complete anyway (and only with those pieces missing)."""
    confirm = dict(
        number=claim.number,
        body=claim.body_name,
        amount=_money(context, service.amount_due_at_completion(claim) or Decimal(0)),
        pledged=_money(context, claim.pledge.amount if claim.pledge else Decimal(0)),
    )
    key = body_variant("claim.follow.confirm_complete", claim.body_kind)
    missing = claim.missing_pieces
    steps.draft(context, COMPLETE)["missing"] = [p.value for p in missing]
    if not missing:
        return await steps.ask_to_confirm(
            update,
            context,
            dialogue=COMPLETE,
            state=CONFIRM,
            key=key,
            button="claim.button.confirm_complete",
            **confirm,
        )
    card = _card(context)
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=COMPLETE,
        state=CONFIRM,
        key="claim.follow.confirm_complete_missing",
        button="claim.button.confirm_complete_anyway",
        missing=Safe(card.pieces(missing)),
        checklist=Safe(card.checklist_lines(claim)),
        confirm=Safe(context.t(key, **confirm)),
    )


async def _mark_complete(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    claim = await service.mark_complete(
        context.services.db,
        context.person.id,
        int(current["claim_id"]),
        now=steps.now(context),
        accepted_missing=tuple(DossierPiece(p) for p in current.get("missing", [])),
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
    current["body_kind"] = claim.body_kind
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


async def _ask_who_paid(
    update: Update, context: PneContext, dialogue: str, payers: Sequence[Payer]
) -> None:
    """Who paid, one button each, worded for the claim's body."""
    body_kind = steps.draft(context, dialogue).get("body_kind")
    card = _card(context)
    rows = [[(card.payer(p.value, body_kind), f"clm:payer:{p.value}")] for p in payers]
    await reply(update, context, "claim.follow.ask_payer", reply_markup=keyboard(rows))


async def _ask_payer(update: Update, context: PneContext) -> object:
    """Who paid: the insurer to SEM, the body passing on its indemnity, or its own funds."""
    await _ask_who_paid(update, context, PAYMENT, list(Payer))
    return PAY_PAYER


async def _confirm_payment(update: Update, context: PneContext) -> object:
    current = steps.draft(context, PAYMENT)
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=PAYMENT,
        state=CONFIRM,
        key="claim.follow.confirm_payment_by",
        button="claim.button.record_payment",
        number=current["number"],
        payer=_card(context).payer(current["payer"], current.get("body_kind")),
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
        payer=Payer(current["payer"]),
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
                    then=_ask_payer,
                ),
                *steps.stay(),
            ],
            PAY_PAYER: [
                *steps.choice(
                    dialogue=PAYMENT,
                    state=PAY_PAYER,
                    field="payer",
                    prefix="clm:payer",
                    values=[p.value for p in Payer],
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
    assert context.person is not None
    try:  # a school whose replacements are held (art. 6): said at once, nothing asked
        await service.check_replacement(
            context.services.db, context.person.id, claim.id, now=steps.now(context)
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, REPLACEMENT)
    tagged = [item for item in claim.items if item.asset_tag]
    tags = [item.asset_tag or "" for item in tagged]
    current = steps.draft(context, REPLACEMENT)
    current["tags"] = tags
    # The old item's model, the new one's unless staff change it.
    current["models"] = [item.model or item.description or "" for item in tagged]
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


async def _ask_new_tag(update: Update, context: PneContext) -> object:
    await reply(update, context, "claim.follow.ask_new_tag")
    return REPL_TAG


async def _new_tag(update: Update, context: PneContext) -> object:
    """The new item's asset tag: a valid tag that no item carries yet (else asked again)."""
    assert update.effective_message is not None and context.person is not None
    try:
        tag = await service.check_new_tag(
            context.services.db, context.person.id, update.effective_message.text or ""
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return REPL_TAG
    current = steps.draft(context, REPLACEMENT)
    current["new_tag"] = tag
    old = _old_model(current)
    if not old:
        await reply(update, context, "claim.follow.ask_new_model")
        return REPL_MODEL
    rows = [[(context.t("claim.button.same_model", model=old), "clm:model:same")]]
    await reply(
        update,
        context,
        "claim.follow.ask_new_model_or_same",
        model=old,
        reply_markup=keyboard(rows),
    )
    return REPL_MODEL


def _old_model(current: Draft) -> str:
    tags: list[str] = current.get("tags", [])
    models: list[str] = current.get("models", [])
    index = tags.index(current["tag"]) if current.get("tag") in tags else -1
    return models[index] if 0 <= index < len(models) else ""


def _typed_model(typed: str) -> Any:
    """« iPad 10 », or « tablette : iPad 10 » (the type changes too): [type, model]."""
    return list(rules.read_new_model(typed))


async def _model_given(update: Update, context: PneContext) -> object:
    current = steps.draft(context, REPLACEMENT)
    current["type"], current["model"] = current.pop("typed_model")
    return await _confirm_installed(update, context)


async def _same_model(update: Update, context: PneContext) -> object:
    assert update.callback_query is not None
    await update.callback_query.answer()
    current = steps.draft(context, REPLACEMENT)
    current["type"], current["model"] = None, _old_model(current)
    return await _confirm_installed(update, context)


async def _confirm_installed(update: Update, context: PneContext) -> object:
    current = steps.draft(context, REPLACEMENT)
    i18n = context.services.i18n
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=REPLACEMENT,
        state=CONFIRM,
        key="claim.follow.confirm_installed",
        button="claim.button.confirm_installed",
        number=current["number"],
        tag=current["tag"],
        new_tag=current["new_tag"],
        model=(
            context.t(
                "claim.follow.new_type_and_model",
                type=i18n.equipment_type(context.lang, current["type"]),
                model=current["model"],
            )
            if current.get("type")
            else current["model"]
        ),
        value=_money(context, Decimal(current["value"])),
        on=i18n.date(context.lang, datetime.fromisoformat(current["day"]).date()),
    )


async def _record_installed(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    day = datetime.fromisoformat(current["day"]).date()
    claim = await service.record_replacement(
        context.services.db,
        context.person.id,
        int(current["claim_id"]),
        item_tag=current["tag"],
        installed_on=day,
        new_value=Decimal(current["value"]),
        new_item=service.NewEquipment(current["new_tag"], current["model"], current.get("type")),
        now=steps.now(context),
    )
    await reply(
        update,
        context,
        "claim.follow.installed_saved",
        tag=current["tag"],
        new_tag=current["new_tag"],
        number=claim.number,
    )
    await _tell_commune_installed(context, claim)


async def _save_replacement(update: Update, context: PneContext) -> object:
    """The replacement ordered (installed ones go through their confirmation)."""
    assert context.person is not None
    current = steps.draft(context, REPLACEMENT)
    try:
        claim = await service.record_replacement(
            context.services.db,
            context.person.id,
            int(current["claim_id"]),
            item_tag=current["tag"],
            ordered_on=datetime.fromisoformat(current["day"]).date(),
            now=steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, REPLACEMENT)
    await reply(
        update, context, "claim.follow.replacement_saved", tag=current["tag"], number=claim.number
    )
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
                    then=_ask_new_tag,
                ),
                *steps.stay(),
            ],
            REPL_TAG: [MessageHandler(TEXT, _new_tag), *steps.stay()],
            REPL_MODEL: [
                CallbackQueryHandler(_same_model, pattern=r"^clm:model:same$"),
                *steps.text(
                    dialogue=REPLACEMENT,
                    state=REPL_MODEL,
                    field="typed_model",
                    read=_typed_model,
                    then=_model_given,
                ),
                *steps.stay(),
            ],
            CONFIRM: [
                *steps.confirmation(dialogue=REPLACEMENT, state=CONFIRM, act=_record_installed),
                *steps.stay(),
            ],
        },
        fallbacks=[],
    )


# --- items found again (art. 6): the body reports, staff confirm with each item's damage ------


async def _recovery_start(
    update: Update, context: PneContext, claim: service.ClaimView, _: str | None
) -> object:
    """Which items were found: every item not found yet is chosen; a tap takes one out."""
    if claim.kind not in rules.RECOVERABLE_KINDS or not claim.not_recovered:
        await reply(update, context, "claim.follow.nothing_to_recover", number=claim.number)
        return steps.end(context, RECOVERY)
    current = steps.draft(context, RECOVERY)
    current["body_kind"] = claim.body_kind
    current["body"] = claim.body_name
    current["items"] = [[i.id, _item_name(context, i)] for i in claim.not_recovered]
    current["chosen"] = [i.id for i in claim.not_recovered]
    return await _ask_recovered_items(update, context)


def _item_name(context: PneContext, item: service.ItemView) -> str:
    return item.asset_tag or item.description or context.t("claim.item.no_tag")


def _is_staff(context: PneContext) -> bool:
    return context.person is not None and context.person.role == Role.STAFF


async def _ask_recovered_items(update: Update, context: PneContext) -> object:
    current = steps.draft(context, RECOVERY)
    chosen = set(current["chosen"])
    rows = [
        [(("✅ " if item_id in chosen else "▫️ ") + name, f"clm:rit:{index}")]
        for index, (item_id, name) in enumerate(current["items"])
    ]
    rows.append([(context.t("claim.button.recovered_items_done"), "clm:rit:done")])
    names = [name for item_id, name in current["items"] if item_id in chosen]
    await reply(
        update,
        context,
        "claim.follow.ask_recovered_items",
        number=current["number"],
        chosen=", ".join(names) or "—",
        reply_markup=keyboard(rows),
    )
    return RECOV_ITEMS


async def _recovered_item_tapped(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None
    current = steps.draft(context, RECOVERY)
    picked = query.data.removeprefix("clm:rit:")
    if picked == "done":
        if not current.get("chosen"):
            await query.answer()
            await reply(update, context, "claim.follow.recovered_items_none")
            return RECOV_ITEMS
        await query.answer()
        await reply(
            update,
            context,
            body_variant("claim.follow.ask_recovery_when", current.get("body_kind")),
            number=current["number"],
            body=current.get("body", ""),
            reply_markup=keyboard([[(context.t("claim.button.now"), "clm:now")]]),
        )
        return RECOV_WHEN
    items = current.get("items", [])
    if not picked.isdigit() or int(picked) >= len(items):
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return RECOV_ITEMS
    await query.answer()
    item_id = items[int(picked)][0]
    chosen = list(current["chosen"])
    current["chosen"] = (
        [i for i in chosen if i != item_id] if item_id in chosen else [*chosen, item_id]
    )
    return await _ask_recovered_items(update, context)


async def _recovery_when_given(update: Update, context: PneContext) -> object:
    if _is_staff(context):
        steps.draft(context, RECOVERY)["damages"] = {}
        return await _ask_damage(update, context)
    return await _confirm_recovery(update, context)


async def _confirm_reported_start(
    update: Update, context: PneContext, claim: service.ClaimView, extra: str | None
) -> object:
    """Staff confirm a recovery the body reported: each item's damage, then confirm."""
    recovery = next((r for r in claim.recoveries if str(r.id) == extra), None)
    if recovery is None or recovery.state is not rules.RecoveryState.REPORTED:
        await reply(update, context, "claim.error.recovery_state_shown", number=claim.number)
        return steps.end(context, RECOVERY)
    current = steps.draft(context, RECOVERY)
    names = {i.id: _item_name(context, i) for i in claim.items}
    current["recovery_id"] = recovery.id
    current["items"] = [[item_id, names.get(item_id, "")] for item_id in recovery.item_ids]
    current["chosen"] = list(recovery.item_ids)
    current["told_at"] = recovery.told_at.isoformat()
    current["damages"] = {}
    return await _ask_damage(update, context)


def _next_undamaged(current: Draft) -> tuple[int, str] | None:
    names = dict((item_id, name) for item_id, name in current["items"])
    for item_id in current["chosen"]:
        if str(item_id) not in current["damages"]:
            return item_id, names.get(item_id, "")
    return None


async def _ask_damage(update: Update, context: PneContext) -> object:
    current = steps.draft(context, RECOVERY)
    following = _next_undamaged(current)
    if following is None:
        return await _confirm_recovery(update, context)
    current["zero"] = "0"
    await reply(
        update,
        context,
        "claim.follow.ask_damage",
        item=following[1],
        reply_markup=keyboard([[(context.t("claim.button.intact"), "clm:amount:ok")]]),
    )
    return RECOV_DAMAGE


def _damage(context: PneContext, current: Draft, amount: Any) -> None:
    rules.check_damage(amount)


async def _damage_given(update: Update, context: PneContext) -> object:
    current = steps.draft(context, RECOVERY)
    following = _next_undamaged(current)
    if following is not None:
        current["damages"][str(following[0])] = current.pop("damage")
    return await _ask_damage(update, context)


async def _confirm_recovery(update: Update, context: PneContext) -> object:
    current = steps.draft(context, RECOVERY)
    names = dict((item_id, name) for item_id, name in current["items"])
    items = ", ".join(names[i] for i in current["chosen"] if i in names)
    told = context.services.i18n.datetime(context.lang, datetime.fromisoformat(current["told_at"]))
    if not _is_staff(context):
        return await steps.ask_to_confirm(
            update,
            context,
            dialogue=RECOVERY,
            state=CONFIRM,
            key="claim.follow.confirm_recovery_report",
            button="claim.button.send_recovery",
            number=current["number"],
            items=items,
            told=told,
        )
    damages = "\n".join(
        context.t(
            "claim.follow.damage_line",
            item=names.get(int(item_id), ""),
            damage=_money(context, Decimal(amount)),
        )
        for item_id, amount in current["damages"].items()
    )
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=RECOVERY,
        state=CONFIRM,
        key="claim.follow.confirm_recovery_items",
        button="claim.button.record_recovery",
        number=current["number"],
        items=items,
        told=told,
        damages=Safe(damages),
    )


async def _record_recovery(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    services = context.services
    told_at = datetime.fromisoformat(current["told_at"])
    if not _is_staff(context):
        reported = await service.report_recovery(
            services.db,
            context.person.id,
            int(current["claim_id"]),
            item_ids=list(current["chosen"]),
            told_at=told_at,
            now=steps.now(context),
        )
        await reply(update, context, "claim.follow.recovery_reported", number=reported.claim.number)
        await tell(
            context,
            await recovery_notices.recovery_reported(
                services.db, services.i18n, services.settings, reported
            ),
        )
        return
    done = await service.record_recovery(
        services.db,
        context.person.id,
        int(current["claim_id"]),
        told_at=told_at,
        item_ids=list(current["chosen"]),
        recovery_id=current.get("recovery_id"),
        damages={int(k): Decimal(v) for k, v in current["damages"].items()},
        now=steps.now(context),
    )
    claim = done.claim
    await reply(
        update,
        context,
        body_variant("claim.follow.recovery_saved", claim.body_kind),
        number=claim.number,
        body=claim.body_name,
    )
    await _tell_recovered(context, done)


async def _tell_recovered(context: PneContext, done: service.RecoveryRecorded) -> None:
    """The body learns what the recovery means (``recovery_notices.recovered``)."""
    services = context.services
    await tell(context, await recovery_notices.recovered(services.db, services.i18n, done))


def recovery_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=RECOVERY,
        entry_points=[
            _entry(RECOVERY, "recov", Action.FOLLOW_CLAIM, _recovery_start),
            _entry(
                RECOVERY,
                "recok",
                Action.MANAGE_CLAIM,
                _confirm_reported_start,
                extra=r":\d{1,10}",
            ),
        ],
        states={
            RECOV_ITEMS: [
                CallbackQueryHandler(_recovered_item_tapped, pattern=r"^clm:rit:(\d{1,3}|done)$"),
                *steps.stay(),
            ],
            RECOV_WHEN: [
                *steps.instant(
                    dialogue=RECOVERY,
                    state=RECOV_WHEN,
                    field="told_at",
                    button="clm:now",
                    then=_recovery_when_given,
                ),
                *steps.stay(),
            ],
            RECOV_DAMAGE: [
                *steps.amount(
                    dialogue=RECOVERY,
                    state=RECOV_DAMAGE,
                    field="damage",
                    suggested="zero",
                    checks=[_damage],
                    then=_damage_given,
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


# --- after the indemnity: the body's request, SEM's agreement or refusal ----------------------


def _recovery_named(claim: service.ClaimView, rid: str | None) -> service.RecoveryView | None:
    return next((r for r in claim.recoveries if str(r.id) == rid), None)


async def _request_start(
    update: Update, context: PneContext, claim: service.ClaimView, extra: str | None
) -> object:
    recovery = _recovery_named(claim, extra)
    if recovery is None:
        await reply(update, context, "claim.error.recovery_state_shown", number=claim.number)
        return steps.end(context, RECOVERY_ANSWER)
    current = steps.draft(context, RECOVERY_ANSWER)
    current["recovery_id"] = recovery.id
    current["decision"] = "request"
    card = _card(context)
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=RECOVERY_ANSWER,
        state=CONFIRM,
        key="claim.follow.confirm_recovery_request",
        button="claim.button.recovery_request",
        number=claim.number,
        items=", ".join(recovery.items),
        owed_back=Safe(card.owed_back_line(claim, recovery)),
    )


async def _decision_start(
    update: Update, context: PneContext, claim: service.ClaimView, extra: str | None
) -> object:
    rid, _, decision = (extra or "").partition(":")
    recovery = _recovery_named(claim, rid)
    if recovery is None or decision not in {"agree", "refuse"}:
        await reply(update, context, "claim.error.recovery_state_shown", number=claim.number)
        return steps.end(context, RECOVERY_ANSWER)
    current = steps.draft(context, RECOVERY_ANSWER)
    current["recovery_id"] = recovery.id
    current["decision"] = decision
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=RECOVERY_ANSWER,
        state=CONFIRM,
        key=_card(context).for_body(f"claim.follow.confirm_recovery_{decision}", claim.body_kind),
        button=f"claim.button.recovery_{decision}",
        number=claim.number,
        body=claim.body_name,
        items=", ".join(recovery.items),
        owed_back=Safe(_card(context).owed_back_line(claim, recovery)),
    )


async def _dismiss_start(
    update: Update, context: PneContext, claim: service.ClaimView, extra: str | None
) -> object:
    """Staff dismiss a recovery the body reported wrongly (0027): the reason, then confirm."""
    recovery = _recovery_named(claim, extra)
    if recovery is None or recovery.state is not rules.RecoveryState.REPORTED:
        await reply(update, context, "claim.error.recovery_state_shown", number=claim.number)
        return steps.end(context, RECOVERY_ANSWER)
    current = steps.draft(context, RECOVERY_ANSWER)
    current["recovery_id"] = recovery.id
    current["decision"] = "dismiss"
    current["items"] = ", ".join(recovery.items)
    await reply(
        update,
        context,
        "claim.follow.ask_dismiss_reason",
        number=claim.number,
        items=current["items"],
    )
    return DISMISS_REASON


def _dismiss_reason(typed: str) -> str:
    text = typed.strip()
    if not text or text in {"-", "—"}:
        raise DomainError("claim.error.dismiss_reason_required")
    return text[:MAX_REASON]


async def _confirm_dismiss(update: Update, context: PneContext) -> object:
    current = steps.draft(context, RECOVERY_ANSWER)
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=RECOVERY_ANSWER,
        state=CONFIRM,
        key="claim.follow.confirm_recovery_dismiss",
        button="claim.button.recovery_dismiss_it",
        number=current["number"],
        items=current["items"],
        reason=current["reason"],
    )


async def _dismiss_recovery(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    services = context.services
    done = await service.dismiss_recovery(
        services.db,
        context.person.id,
        int(current["claim_id"]),
        int(current["recovery_id"]),
        reason=current["reason"],
        now=steps.now(context),
    )
    items = ", ".join(done.freed)
    await reply(
        update, context, "claim.follow.recovery_dismissed", number=done.claim.number, items=items
    )
    await tell(context, await recovery_notices.recovery_dismissed(services.db, services.i18n, done))


async def _answer_recovery(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    services = context.services
    decision = current["decision"]
    if decision == "dismiss":
        await _dismiss_recovery(update, context, current)
        return
    if decision == "request":
        done = await service.request_recovery(
            services.db,
            context.person.id,
            int(current["claim_id"]),
            int(current["recovery_id"]),
            now=steps.now(context),
        )
        await reply(update, context, "claim.follow.recovery_requested", number=done.claim.number)
        await tell(
            context,
            await recovery_notices.recovery_requested(
                services.db, services.i18n, services.settings, done
            ),
        )
        return
    done = await service.decide_recovery(
        services.db,
        context.person.id,
        int(current["claim_id"]),
        int(current["recovery_id"]),
        agree=decision == "agree",
        now=steps.now(context),
    )
    await reply(update, context, f"claim.follow.recovery_{decision}d", number=done.claim.number)
    await tell(
        context,
        await recovery_notices.recovery_decided(
            services.db, services.i18n, done, agree=decision == "agree"
        ),
    )


def recovery_answer_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=RECOVERY_ANSWER,
        entry_points=[
            _entry(
                RECOVERY_ANSWER, "recreq", Action.FOLLOW_CLAIM, _request_start, extra=r":\d{1,10}"
            ),
            _entry(
                RECOVERY_ANSWER,
                "recdec",
                Action.MANAGE_CLAIM,
                _decision_start,
                extra=r":\d{1,10}:(agree|refuse)",
            ),
            _entry(
                RECOVERY_ANSWER, "recdis", Action.MANAGE_CLAIM, _dismiss_start, extra=r":\d{1,10}"
            ),
        ],
        states={
            DISMISS_REASON: [
                *steps.text(
                    dialogue=RECOVERY_ANSWER,
                    state=DISMISS_REASON,
                    field="reason",
                    read=_dismiss_reason,
                    then=_confirm_dismiss,
                ),
                *steps.stay(),
            ],
            CONFIRM: [
                *steps.confirmation(dialogue=RECOVERY_ANSWER, state=CONFIRM, act=_answer_recovery),
                *steps.stay(),
            ],
        },
        fallbacks=[],
    )


# --- the insurer's indemnity -----------------------------------------------------------------


async def _indemnity_start(
    update: Update, context: PneContext, claim: service.ClaimView, _: str | None
) -> object:
    if claim.indemnity is not None:
        await reply(update, context, "claim.follow.indemnity_known", number=claim.number)
        return steps.end(context, INDEMNITY)
    current = steps.draft(context, INDEMNITY)
    current["body_kind"] = claim.body_kind
    current["discovered_at"] = claim.discovered_at.isoformat()
    card = _card(context)
    rows = [
        [(card.payee(p.value, claim.body_kind), f"clm:payee:{p.value}")] for p in IndemnityPayee
    ]
    await reply(
        update,
        context,
        "claim.follow.ask_indemnity_payee",
        number=claim.number,
        reply_markup=keyboard(rows),
    )
    return INDEM_PAYEE


async def _ask_indemnity_date(update: Update, context: PneContext) -> object:
    rows = [[(context.t("claim.button.today"), "clm:today")]]
    await reply(update, context, "claim.follow.ask_indemnity_date", reply_markup=keyboard(rows))
    return INDEM_DATE


def _indemnity_day(context: PneContext, current: Draft, paid_on: Any) -> None:
    if paid_on > steps.today(context):
        raise DomainError("claim.error.indemnity_in_future", paid_on=paid_on)
    discovered = datetime.fromisoformat(current["discovered_at"])
    if paid_on < local_date(discovered, context.services.settings.tz):
        raise DomainError("claim.error.indemnity_before_discovery", paid_on=paid_on)


async def _ask_indemnity_amount(update: Update, context: PneContext) -> object:
    await reply(update, context, "claim.follow.ask_indemnity_amount")
    return INDEM_AMOUNT


def _positive(context: PneContext, current: Draft, amount: Any) -> None:
    if amount <= 0:
        raise DomainError("claim.error.payment_not_positive", amount=amount)


async def _confirm_indemnity(update: Update, context: PneContext) -> object:
    current = steps.draft(context, INDEMNITY)
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=INDEMNITY,
        state=CONFIRM,
        key="claim.follow.confirm_indemnity",
        button="claim.button.record_indemnity",
        number=current["number"],
        payee=_card(context).payee(current["payee"], current.get("body_kind")),
        amount=_money(context, Decimal(current["amount"])),
        paid_on=context.services.i18n.date(
            context.lang, datetime.fromisoformat(current["paid_on"]).date()
        ),
    )


async def _record_indemnity(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    services = context.services
    claim = await service.record_indemnity(
        services.db,
        context.person.id,
        int(current["claim_id"]),
        paid_on=datetime.fromisoformat(current["paid_on"]).date(),
        payee=IndemnityPayee(current["payee"]),
        amount=Decimal(current["amount"]),
        now=steps.now(context),
    )
    await reply(update, context, "claim.follow.indemnity_saved", number=claim.number)
    line = lambda card: {"indemnity": Safe(card.indemnity_line(claim))}  # noqa: E731
    if _is_staff(context):
        messages = await notices.tell_body(
            services.db, services.i18n, claim, "claim.notify.indemnity", line
        )
    else:
        messages = await notices.tell_staff(
            services.db, services.i18n, services.settings, claim, "claim.notify.indemnity", line
        )
    await tell(context, messages)


def indemnity_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=INDEMNITY,
        entry_points=[_entry(INDEMNITY, "indem", Action.FOLLOW_CLAIM, _indemnity_start)],
        states={
            INDEM_PAYEE: [
                *steps.choice(
                    dialogue=INDEMNITY,
                    state=INDEM_PAYEE,
                    field="payee",
                    prefix="clm:payee",
                    values=[p.value for p in IndemnityPayee],
                    then=_ask_indemnity_date,
                ),
                *steps.stay(),
            ],
            INDEM_DATE: [
                *steps.instant(
                    dialogue=INDEMNITY,
                    state=INDEM_DATE,
                    field="paid_on",
                    day=True,
                    button="clm:today",
                    checks=[_indemnity_day],
                    then=_ask_indemnity_amount,
                ),
                *steps.stay(),
            ],
            INDEM_AMOUNT: [
                *steps.amount(
                    dialogue=INDEMNITY,
                    state=INDEM_AMOUNT,
                    field="amount",
                    checks=[_positive],
                    then=_confirm_indemnity,
                ),
                *steps.stay(),
            ],
            CONFIRM: [
                *steps.confirmation(dialogue=INDEMNITY, state=CONFIRM, act=_record_indemnity),
                *steps.stay(),
            ],
        },
        fallbacks=[],
    )


# --- the body records a payment it made, with a proof; staff confirm or reject it ------------


async def _body_payment_start(
    update: Update, context: PneContext, claim: service.ClaimView, _: str | None
) -> object:
    if claim.pledge is None or claim.outstanding is None or claim.outstanding <= 0:
        await reply(update, context, "claim.follow.nothing_to_pay", number=claim.number)
        return steps.end(context, BODY_PAYMENT)
    pending = claim.pending_total
    left = rules.left_beyond_pending(claim.outstanding, pending)
    if left <= 0:  # its payments awaiting staff already cover what is owed (0027)
        await reply(
            update,
            context,
            "claim.follow.nothing_left_pending",
            number=claim.number,
            outstanding=_money(context, claim.outstanding),
            pending=_money(context, pending),
        )
        return steps.end(context, BODY_PAYMENT)
    current = steps.draft(context, BODY_PAYMENT)
    current["suggested"] = str(left)
    current["outstanding"] = str(claim.outstanding)
    current["pending"] = str(pending)
    current["body_kind"] = claim.body_kind
    shown = _money(context, left)
    await reply(
        update,
        context,
        "claim.follow.ask_body_payment_amount_pending"
        if pending > 0
        else "claim.follow.ask_body_payment_amount",
        number=claim.number,
        outstanding=_money(context, claim.outstanding),
        pending=_money(context, pending),
        left=shown,
        reply_markup=keyboard(
            [[(context.t("claim.button.take_amount", amount=shown), "clm:amount:ok")]]
        ),
    )
    return BPAY_AMOUNT


def _body_payment_amount(context: PneContext, current: Draft, amount: Any) -> None:
    rules.check_body_payment(
        amount, Decimal(current["outstanding"]), Decimal(current.get("pending") or 0)
    )


async def _ask_body_payment_date(update: Update, context: PneContext) -> object:
    rows = [[(context.t("claim.button.today"), "clm:today")]]
    await reply(update, context, "claim.follow.ask_body_payment_date", reply_markup=keyboard(rows))
    return BPAY_DATE


async def _ask_body_payer(update: Update, context: PneContext) -> object:
    await _ask_who_paid(
        update, context, BODY_PAYMENT, (Payer.BODY_FUNDS, Payer.BODY_INDEMNITY, Payer.INSURER)
    )
    return BPAY_PAYER


async def _ask_proof(update: Update, context: PneContext) -> object:
    await reply(update, context, "claim.follow.ask_payment_proof")
    return BPAY_PROOF


async def _proof_given(update: Update, context: PneContext) -> object:
    message = update.effective_message
    assert message is not None
    current = steps.draft(context, BODY_PAYMENT)
    if message.photo:
        photo = message.photo[-1]
        current["proof"] = ["photo", photo.file_id, photo.file_unique_id, None, None]
    elif message.document:
        doc = message.document
        current["proof"] = [
            "document", doc.file_id, doc.file_unique_id, doc.file_name, doc.mime_type,
        ]  # fmt: skip
    else:
        return await _ask_proof(update, context)
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=BODY_PAYMENT,
        state=CONFIRM,
        key="claim.follow.confirm_body_payment",
        button="claim.button.send_payment",
        number=current["number"],
        amount=_money(context, Decimal(current["amount"])),
        paid_on=context.services.i18n.date(
            context.lang, datetime.fromisoformat(current["paid_on"]).date()
        ),
        payer=_card(context).payer(current["payer"], current.get("body_kind")),
    )


async def _record_body_payment(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    services = context.services
    kind, file_id, unique, name, mime = current["proof"]
    declared = await service.record_body_payment(
        services.db,
        context.person.id,
        int(current["claim_id"]),
        amount=Decimal(current["amount"]),
        paid_on=datetime.fromisoformat(current["paid_on"]).date(),
        payer=Payer(current["payer"]),
        proof=service.FileRef(kind, file_id, unique, name, mime),
        now=steps.now(context),
    )
    claim = declared.claim
    await reply(update, context, "claim.follow.body_payment_saved", number=claim.number)
    messages = await recovery_notices.payment_declared(
        services.db, services.i18n, services.settings, declared
    )
    await tell(context, messages)
    # The proof itself, for staff to check (here: those on Telegram, where its id means it).
    for chat_id in {m.chat_id for m in messages if m.platform == TELEGRAM}:
        try:
            if kind == "photo":
                await context.bot.send_photo(chat_id, file_id)
            else:
                await context.bot.send_document(chat_id, file_id)
        except TelegramError as exc:
            log.warning("proof of %s not sent to %s (%s)", claim.number, chat_id, exc)


def body_payment_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=BODY_PAYMENT,
        entry_points=[_entry(BODY_PAYMENT, "bpay", Action.FOLLOW_CLAIM, _body_payment_start)],
        states={
            BPAY_AMOUNT: [
                *steps.amount(
                    dialogue=BODY_PAYMENT,
                    state=BPAY_AMOUNT,
                    field="amount",
                    suggested="suggested",
                    checks=[_body_payment_amount],
                    then=_ask_body_payment_date,
                ),
                *steps.stay(),
            ],
            BPAY_DATE: [
                *steps.instant(
                    dialogue=BODY_PAYMENT,
                    state=BPAY_DATE,
                    field="paid_on",
                    day=True,
                    button="clm:today",
                    checks=[_payment_day],
                    then=_ask_body_payer,
                ),
                *steps.stay(),
            ],
            BPAY_PAYER: [
                *steps.choice(
                    dialogue=BODY_PAYMENT,
                    state=BPAY_PAYER,
                    field="payer",
                    prefix="clm:payer",
                    values=[p.value for p in Payer],
                    then=_ask_proof,
                ),
                *steps.stay(),
            ],
            BPAY_PROOF: [
                MessageHandler(filters.PHOTO | filters.Document.ALL | TEXT, _proof_given),
                *steps.stay(),
            ],
            CONFIRM: [
                *steps.confirmation(dialogue=BODY_PAYMENT, state=CONFIRM, act=_record_body_payment),
                *steps.stay(),
            ],
        },
        fallbacks=[],
    )


def _pending_named(claim: service.ClaimView, pid: str | None) -> service.PaymentView | None:
    return next((p for p in claim.pending_payments if str(p.id) == pid), None)


async def _review_start(
    update: Update, context: PneContext, claim: service.ClaimView, extra: str | None, *, ok: bool
) -> object:
    payment = _pending_named(claim, extra)
    if payment is None:
        await reply(update, context, "claim.error.payment_not_pending")
        return steps.end(context, PAYMENT_REVIEW)
    current = steps.draft(context, PAYMENT_REVIEW)
    current["payment_id"] = payment.id
    current["confirm"] = ok
    current["amount"] = str(payment.amount)
    current["paid_on"] = payment.paid_on.isoformat()
    current["payer"] = payment.payer.value
    current["body_kind"] = claim.body_kind
    if ok and claim.outstanding is not None and payment.amount > claim.outstanding:
        # Owed less since the body recorded it: staff reject it instead (0027).
        await reply(
            update,
            context,
            "claim.error.confirm_overpayment",
            amount=_money(context, payment.amount),
            outstanding=_money(context, max(claim.outstanding, Decimal(0))),
            reply_markup=keyboard(
                [
                    [
                        (
                            context.t("claim.button.payment_reject"),
                            f"clm:prej:{claim.id}:{payment.id}",
                        )
                    ]
                ]
            ),
        )
        return steps.end(context, PAYMENT_REVIEW)
    if not ok:
        await reply(
            update,
            context,
            "claim.follow.ask_rejection_reason",
            number=claim.number,
            amount=_money(context, payment.amount),
        )
        return REVIEW_REASON
    return await _confirm_review(update, context)


async def _confirm_start(
    update: Update, context: PneContext, claim: service.ClaimView, extra: str | None
) -> object:
    return await _review_start(update, context, claim, extra, ok=True)


async def _reject_start(
    update: Update, context: PneContext, claim: service.ClaimView, extra: str | None
) -> object:
    return await _review_start(update, context, claim, extra, ok=False)


def _rejection_reason(typed: str) -> str:
    text = typed.strip()
    if not text or text in {"-", "—"}:
        raise DomainError("claim.error.rejection_reason_required")
    return text[:MAX_REASON]


async def _confirm_review(update: Update, context: PneContext) -> object:
    current = steps.draft(context, PAYMENT_REVIEW)
    ok = bool(current["confirm"])
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=PAYMENT_REVIEW,
        state=CONFIRM,
        key="claim.follow.confirm_payment_ok" if ok else "claim.follow.confirm_payment_rejected",
        button="claim.button.payment_confirm_it" if ok else "claim.button.payment_reject",
        number=current["number"],
        amount=_money(context, Decimal(current["amount"])),
        paid_on=context.services.i18n.date(
            context.lang, datetime.fromisoformat(current["paid_on"]).date()
        ),
        payer=_card(context).payer(current["payer"], current.get("body_kind")),
        reason=current.get("reason") or "",
    )


async def _review_payment(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    services = context.services
    ok = bool(current["confirm"])
    claim, payment, full = await service.review_payment(
        services.db,
        context.person.id,
        int(current["claim_id"]),
        int(current["payment_id"]),
        confirm=ok,
        reason=current.get("reason"),
        now=steps.now(context),
    )
    key, _ = recovery_notices.review_answer(confirmed=ok, full=full)
    await reply(
        update,
        context,
        key,
        number=claim.number,
        outstanding=_money(context, claim.outstanding or Decimal(0)),
    )
    await tell(
        context,
        await recovery_notices.payment_reviewed(
            services.db,
            services.i18n,
            claim,
            payment,
            confirmed=ok,
            full=full,
            reason=current.get("reason"),
        ),
    )


def payment_review_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=PAYMENT_REVIEW,
        entry_points=[
            _entry(
                PAYMENT_REVIEW, "pconf", Action.MANAGE_CLAIM, _confirm_start, extra=r":\d{1,10}"
            ),
            _entry(PAYMENT_REVIEW, "prej", Action.MANAGE_CLAIM, _reject_start, extra=r":\d{1,10}"),
        ],
        states={
            REVIEW_REASON: [
                *steps.text(
                    dialogue=PAYMENT_REVIEW,
                    state=REVIEW_REASON,
                    field="reason",
                    read=_rejection_reason,
                    then=_confirm_review,
                ),
                *steps.stay(),
            ],
            CONFIRM: [
                *steps.confirmation(dialogue=PAYMENT_REVIEW, state=CONFIRM, act=_review_payment),
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


# --- staff: a damage's cause -----------------------------------------------------------------


async def _cause_start(
    update: Update, context: PneContext, claim: service.ClaimView, _: str | None
) -> object:
    """Staff correct what the reporter said caused a damage (decision 0019)."""
    if claim.kind is not ClaimKind.DAMAGE:
        await reply(update, context, "claim.error.cause_only_damage")
        return steps.end(context, CAUSE)
    current = steps.draft(context, CAUSE)
    current["was"] = claim.damage_cause.value if claim.damage_cause else None
    rows = [
        [(context.t(f"claim.cause.ask.{c.value}"), f"clm:czv:{c.value}")]
        for c in DamageCause
        if c is not claim.damage_cause
    ]
    await reply(
        update,
        context,
        "claim.follow.ask_cause",
        number=claim.number,
        cause=_cause_name(context, current["was"]),
        reply_markup=keyboard(rows),
    )
    return CAUSE_PICK


def _cause_name(context: PneContext, cause: str | None) -> str:
    return context.t(f"claim.cause.{cause}") if cause else context.t("claim.cause.unknown")


async def _confirm_cause(update: Update, context: PneContext) -> object:
    current = steps.draft(context, CAUSE)
    if current["cause"] == current.get("was"):
        await reply(update, context, "claim.error.cause_unchanged")
        return CAUSE_PICK
    card = _card(context)
    duties = rules.duties_for(ClaimKind.DAMAGE, current["cause"])
    return await steps.ask_to_confirm(
        update,
        context,
        dialogue=CAUSE,
        state=CONFIRM,
        key="claim.follow.confirm_cause",
        button="claim.button.correct_cause",
        number=current["number"],
        was=_cause_name(context, current.get("was")),
        cause=context.t(f"claim.cause.{current['cause']}"),
        duties=Safe(card.duty_phrases(duties)),
    )


async def _correct_cause(update: Update, context: PneContext, current: Draft) -> None:
    assert context.person is not None
    claim = await service.correct_damage_cause(
        context.services.db,
        context.person.id,
        int(current["claim_id"]),
        cause=DamageCause(current["cause"]),
        now=steps.now(context),
    )
    card = _card(context)
    await reply(
        update,
        context,
        "claim.follow.cause_saved",
        number=claim.number,
        cause=context.t(f"claim.cause.{current['cause']}"),
        duties=Safe(card.duty_lines(claim)),
        reply_markup=card.staff_keyboard(claim),
    )
    await _tell_commune(
        context,
        claim,
        "claim.notify.cause_corrected",
        cause=context.t(f"claim.cause.{current['cause']}"),
    )


def cause_dialogue() -> ConversationHandler[PneContext]:
    return dialogue(
        name=CAUSE,
        entry_points=[_entry(CAUSE, "cz", Action.MANAGE_CLAIM, _cause_start)],
        states={
            CAUSE_PICK: [
                *steps.choice(
                    dialogue=CAUSE,
                    state=CAUSE_PICK,
                    field="cause",
                    prefix="clm:czv",
                    values=[c.value for c in DamageCause],
                    then=_confirm_cause,
                ),
                *steps.stay(),
            ],
            CONFIRM: [
                *steps.confirmation(dialogue=CAUSE, state=CONFIRM, act=_correct_cause),
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
    r"|(pledge|attach|complete|pay|close|repl|recov|view|indem|bpay):\d{1,10}"
    r"|(recok|recreq|recdis|pconf|prej):\d{1,10}:\d{1,10}"
    r"|recdec:\d{1,10}:\d{1,10}:(agree|refuse))$"
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
        markup = card.body_keyboard(full)
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
        recovery_answer_dialogue(),
        indemnity_dialogue(),
        body_payment_dialogue(),
        payment_review_dialogue(),
        cause_dialogue(),
    ]


def view_handlers() -> list[Any]:
    return [
        CommandHandler(["sinistre", "claim"], show_claim, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(show_claim, pattern=r"^clm:view:\d{1,10}$"),
    ]
