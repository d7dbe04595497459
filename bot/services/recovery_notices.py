"""What is told to whom after a recovery or a payment the body records (art. 6, 0017,
0018, 0027), for every front end.

The same compositions for Telegram's follow-up dialogues and Discord's buttons: items
reported found (to staff), found and confirmed (to the body: before the indemnity, what
it owes; after it, the window to ask for them), a report dismissed, a request to take
them back and SEM's answer, a payment declared with its proof (to staff) and staff's
review of it (to the body). Each returns the neutral messages; a front end sends them.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from bot.config import Settings
from bot.domain.claims import RecoveryOutcome
from bot.domain.platforms import DISCORD
from bot.i18n import I18n, Safe
from bot.services import audiences
from bot.services import claim_notices as notices
from bot.services.audiences import StaffRoom
from bot.services.claims import BodyPayment, ClaimView, FileRef, PaymentView, RecoveryRecorded
from bot.services.delivery import Outgoing
from storage.uow import Database


async def recovery_reported(
    db: Database, i18n: I18n, settings: Settings, reported: RecoveryRecorded
) -> list[Outgoing]:
    """The body reported items found: staff are to confirm them (or dismiss the report)."""
    items = ", ".join(reported.recovery.items)
    return await notices.tell_staff(
        db,
        i18n,
        settings,
        reported.claim,
        "claim.notify.recovery_reported",
        lambda card: {"items": items},
    )


async def recovered(db: Database, i18n: I18n, done: RecoveryRecorded) -> list[Outgoing]:
    """The body learns what the recovery means: before the indemnity, the items are back
    and what it owes; after it, the window, its last day and what it would owe back."""
    claim, recovery = done.claim, done.recovery
    items = ", ".join(recovery.items)
    if recovery.outcome is RecoveryOutcome.BEFORE_INDEMNITY:
        messages = await notices.tell_body(
            db,
            i18n,
            claim,
            "claim.notify.recovered_before_items",
            lambda card: {
                "items": items,
                "damage": card.money(recovery.damage),
            },
        )
    else:
        messages = await notices.tell_body(
            db,
            i18n,
            claim,
            "claim.notify.recovered_after_items",
            lambda card: {
                "items": items,
                "last_day": card.i18n.date(card.lang, recovery.last_day)
                if recovery.last_day
                else "",
                "owed_back": Safe(card.owed_back_line(claim, recovery)),
            },
            lambda card: card.recovery_request_actions(claim, recovery),
        )
    if done.due_changed is not None:
        before, after = done.due_changed
        messages += await notices.tell_body(
            db,
            i18n,
            claim,
            "claim.notify.amount_due_changed",
            lambda card: {"before": card.money(before), "after": card.money(after)},
        )
    return messages


async def recovery_dismissed(db: Database, i18n: I18n, done: RecoveryRecorded) -> list[Outgoing]:
    """Staff dismissed the body's report: the body learns which items, and why."""
    items = ", ".join(done.freed)
    reason = done.recovery.reason or ""
    return await notices.tell_body(
        db,
        i18n,
        done.claim,
        "claim.notify.recovery_dismissed",
        lambda card: {"items": items, "reason": reason},
    )


async def recovery_requested(
    db: Database, i18n: I18n, settings: Settings, done: RecoveryRecorded
) -> list[Outgoing]:
    """The body asks to take back items found after the indemnity: staff are to answer."""
    items = ", ".join(done.recovery.items)
    return await notices.tell_staff(
        db,
        i18n,
        settings,
        done.claim,
        "claim.notify.recovery_requested",
        lambda card: {"items": items},
    )


async def recovery_decided(
    db: Database, i18n: I18n, done: RecoveryRecorded, *, agree: bool
) -> list[Outgoing]:
    """SEM's agreement or refusal, to the body, with what it owes back its insurer."""
    claim, recovery = done.claim, done.recovery
    items = ", ".join(recovery.items)
    decision = "agree" if agree else "refuse"
    return await notices.tell_body(
        db,
        i18n,
        claim,
        f"claim.notify.recovery_{decision}d",
        lambda card: {"items": items, "owed_back": Safe(card.owed_back_line(claim, recovery))},
    )


async def payment_declared(
    db: Database,
    i18n: I18n,
    settings: Settings,
    declared: BodyPayment,
    *,
    proof: FileRef | None = None,
) -> list[Outgoing]:
    """The body declared a payment: staff are to confirm or reject it. Its proof follows
    as a file sent by the front end; a ``proof`` received on Discord (its id a URL on
    Discord's CDN) is linked for staff who read Discord and said to stay on the claim for
    the others, as a reply's files are (decision 0016)."""
    claim = declared.claim
    payment = next(p for p in claim.payments if p.id == declared.payment_id)
    messages = await notices.tell_staff(
        db,
        i18n,
        settings,
        claim,
        "claim.notify.payment_declared",
        lambda card: {
            "amount": card.money(payment.amount),
            "paid_on": card.i18n.date(card.lang, payment.paid_on),
            "payer": card.payer(payment.payer.value, claim.body_kind),
        },
    )
    if proof is None or proof.platform != DISCORD:
        return messages
    async with db.uow() as uow:
        staff = await audiences.staff(uow, StaffRoom.of(settings))
    languages = {(r.platform, r.chat_id): r.language for r in staff}
    linked = []
    for message in messages:
        lang = languages.get((message.platform, message.chat_id), settings.language)
        if message.platform == DISCORD:
            name = proof.file_name or proof.kind
            note = i18n.t(lang, "discord.files.link", name=name, url=proof.file_id)
        else:
            note = i18n.t(lang, "discord.files.kept_on_discord")
        linked.append(replace(message, text=f"{message.text}\n\n{note}"))
    return linked


def review_answer(*, confirmed: bool, full: bool) -> tuple[str, str]:
    """What staff read after reviewing a payment, and what the body is told (keys)."""
    if confirmed:
        key = "claim.follow.paid_in_full" if full else "claim.follow.payment_saved"
        notice = "claim.notify.closed_paid" if full else "claim.notify.payment_confirmed"
        return key, notice
    return "claim.follow.payment_rejected", "claim.notify.payment_rejected"


async def payment_reviewed(
    db: Database,
    i18n: I18n,
    claim: ClaimView,
    payment: PaymentView,
    *,
    confirmed: bool,
    full: bool,
    reason: str | None,
) -> list[Outgoing]:
    """Staff confirmed or rejected the body's payment: the body learns it (and why)."""
    _, notice = review_answer(confirmed=confirmed, full=full)
    return await notices.tell_body(
        db,
        i18n,
        claim,
        notice,
        lambda card: {
            "amount": card.money(payment.amount),
            "paid_on": card.i18n.date(card.lang, payment.paid_on),
            "outstanding": card.money(claim.outstanding or Decimal(0)),
            "reason": reason or "",
            "pay_by": card.i18n.date(card.lang, claim.payment_deadline)
            if claim.payment_deadline
            else "",
        },
    )
