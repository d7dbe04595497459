"""What each claim reminder says, to whom — re-checked at send time, for any messenger.

A renderer returns no message when nothing is owed any more (the duties were confirmed
meanwhile, the claim was paid or closed): the sweep then marks the row skipped.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot.cards.claims import ClaimCard
from bot.config import Settings
from bot.domain.claims import ClaimState, RecoveryState, recovery_request_last_day
from bot.domain.deadlines import (
    KIND_DUTIES_ESCALATION,
    KIND_DUTIES_REMINDER,
    KIND_PAYMENT_ESCALATION,
    KIND_PAYMENT_REMINDER,
    KIND_PLEDGE_ESCALATION,
    KIND_PLEDGE_REMINDER,
    KIND_RECOVERY_EXPIRY,
    KIND_RECOVERY_REMINDER,
)
from bot.domain.holds import KIND_HOLD_REMINDER
from bot.i18n import I18n, Safe
from bot.services import audiences
from bot.services.audiences import Recipient, StaffRoom
from bot.services.claims import ClaimView, RecoveryView, expire_recovery, view_for_reminder
from bot.services.delivery import Outgoing
from bot.services.hold_notices import hold_renderer
from bot.services.reminders import Renderer, Renderers
from storage.models import Reminder
from storage.uow import UnitOfWork

CLAIM_REMINDER_KINDS = (
    KIND_DUTIES_REMINDER,
    KIND_DUTIES_ESCALATION,
    KIND_PAYMENT_REMINDER,
    KIND_PAYMENT_ESCALATION,
    KIND_RECOVERY_REMINDER,
    KIND_PLEDGE_REMINDER,
    KIND_PLEDGE_ESCALATION,
    KIND_RECOVERY_EXPIRY,
)


async def _targets(
    uow: UnitOfWork, room: StaffRoom, audience: str, claim: ClaimView
) -> tuple[Recipient, ...]:
    if audience == "staff":
        return await audiences.staff(uow, room)
    return await audiences.body_agents(uow, claim.body_id)


def _recovery(reminder: Reminder, claim: ClaimView) -> RecoveryView | None:
    """The recovery a reminder is about (planned with its id), if any."""
    wanted = (reminder.payload or {}).get("recovery_id")
    return next((r for r in claim.recoveries if r.id == wanted), None)


def _still_owed(kind: str, claim: ClaimView) -> bool:
    # The recovery window runs after the indemnity was paid, i.e. usually on a claim
    # already closed as paid: only the other reminders stop at closing.
    if claim.state is ClaimState.CLOSED and kind != KIND_RECOVERY_REMINDER:
        return False
    if kind in (KIND_DUTIES_REMINDER, KIND_DUTIES_ESCALATION):
        return bool(claim.pending_duties)
    if kind in (KIND_PLEDGE_REMINDER, KIND_PLEDGE_ESCALATION):
        return claim.pledge is None
    if kind in (KIND_PAYMENT_REMINDER, KIND_PAYMENT_ESCALATION):
        return (claim.outstanding or Decimal(0)) > 0
    return True


def claim_renderers(i18n: I18n, settings: Settings) -> Renderers:
    """The renderers of every claim reminder kind."""

    def renderer(kind: str) -> Renderer:
        async def render(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
            if reminder.ticket_id is None:
                return []
            claim = await view_for_reminder(uow, reminder.ticket_id, now)
            if not _still_owed(kind, claim):
                return []
            recovery = _recovery(reminder, claim)
            if recovery is not None and recovery.state is not RecoveryState.CONFIRMED:
                return []  # the body asked meanwhile: nothing to remind
            messages = []
            room = StaffRoom.of(settings)
            for target in await _targets(uow, room, reminder.audience, claim):
                lang = target.language
                card = ClaimCard(i18n, lang)
                pending = ", ".join(card.t(f"claim.duty.{d.value}") for d in claim.pending_duties)
                text = card.t(
                    card.for_body(kind, claim.body_kind),
                    number=claim.number,
                    school=claim.school_name,
                    commune=claim.commune_name,
                    body=claim.body_name,
                    deadline=card.when(claim.deadline),
                    pending=pending,
                    pay_by=i18n.date(lang, claim.payment_deadline)
                    if claim.payment_deadline
                    else "",
                    outstanding=card.money(claim.outstanding or Decimal(0)),
                    last_day=(
                        i18n.date(
                            lang,
                            recovery.last_day
                            if recovery is not None and recovery.last_day is not None
                            else recovery_request_last_day(claim_recovery_told(reminder, claim)),
                        )
                        if kind == KIND_RECOVERY_REMINDER
                        else ""
                    ),
                    duties=Safe(card.duty_lines(claim)),
                )
                if reminder.audience != "commune":
                    buttons = card.staff_actions(claim)
                elif recovery is not None:  # the request, one tap away
                    buttons = card.recovery_request_actions(claim, recovery)
                else:
                    buttons = card.duty_actions(claim)
                messages.append(
                    Outgoing(target.chat_id, text, buttons, reminder.ticket_id, target.platform)
                )
            return messages

        return render

    async def insurer_owned(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
        """The window closed: without a request the items are the insurer's; staff and
        the body are told (nothing when the body asked in time)."""
        wanted = (reminder.payload or {}).get("recovery_id")
        if reminder.ticket_id is None or not isinstance(wanted, int):
            return []
        done = await expire_recovery(uow, reminder.ticket_id, wanted, now)
        if done is None:
            return []
        claim, recovery = done.claim, done.recovery
        room = StaffRoom.of(settings)
        messages = []
        for audience in ("staff", "commune"):
            for target in await _targets(uow, room, audience, claim):
                card = ClaimCard(i18n, target.language)
                text = card.t(
                    card.for_body(f"claim.recovery.insurer_owned.{audience}", claim.body_kind),
                    number=claim.number,
                    school=claim.school_name,
                    body=claim.body_name,
                    items=", ".join(recovery.items),
                    last_day=i18n.date(target.language, recovery.last_day)
                    if recovery.last_day
                    else "",
                )
                messages.append(
                    Outgoing(target.chat_id, text, (), reminder.ticket_id, target.platform)
                )
        return messages

    renderers = Renderers()
    for kind in CLAIM_REMINDER_KINDS:
        if kind != KIND_RECOVERY_EXPIRY:
            renderers.register(kind, renderer(kind))
    renderers.register(KIND_RECOVERY_EXPIRY, insurer_owned)
    # The security hold a school's claims led to (art. 6): its body's reminders.
    renderers.register(KIND_HOLD_REMINDER, hold_renderer(i18n))
    return renderers


def claim_recovery_told(reminder: Reminder, claim: ClaimView) -> datetime:
    """When the body was told of the recovery (kept on the claim; the reminder's due
    instant is 12 days after the day it was told, as a fallback)."""
    told = claim.recovery_told_at
    return told if told is not None else reminder.due_at
