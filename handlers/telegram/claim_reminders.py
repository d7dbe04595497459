"""What each claim reminder says, to whom — re-checked at send time.

A renderer returns no message when nothing is owed any more (the duties were confirmed
meanwhile, the claim was paid or closed): the sweep then marks the row skipped.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot.app import Services
from bot.domain.claims import ClaimState, recovery_request_last_day
from bot.domain.deadlines import (
    KIND_DUTIES_ESCALATION,
    KIND_DUTIES_REMINDER,
    KIND_PAYMENT_ESCALATION,
    KIND_PAYMENT_REMINDER,
    KIND_PLEDGE_ESCALATION,
    KIND_PLEDGE_REMINDER,
    KIND_RECOVERY_REMINDER,
)
from bot.i18n import Safe
from bot.services.claims import ClaimView, view_for_reminder
from bot.services.reminders import Outgoing, Renderer, Renderers
from handlers.telegram.claim_cards import Card
from storage.models import Reminder
from storage.uow import UnitOfWork


async def _targets(
    uow: UnitOfWork, services: Services, audience: str, claim: ClaimView
) -> list[tuple[int, str]]:
    if audience == "staff":
        if services.settings.staff_chat_id is not None:
            return [(services.settings.staff_chat_id, services.settings.language)]
        people = await uow.people.staff()
    else:
        people = await uow.people.body_agents(claim.body_id)
    return [(p.chat_id, p.language) for p in people if p.chat_id is not None]


def claim_renderers(services: Services) -> Renderers:
    i18n = services.i18n

    def renderer(kind: str) -> Renderer:
        async def render(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
            if reminder.ticket_id is None:
                return []
            claim = await view_for_reminder(uow, reminder.ticket_id, now)
            # The recovery window runs after the indemnity was paid, i.e. usually on a
            # claim already closed as paid: only the other reminders stop at closing.
            if claim.state is ClaimState.CLOSED and kind != KIND_RECOVERY_REMINDER:
                return []
            if kind in (KIND_DUTIES_REMINDER, KIND_DUTIES_ESCALATION) and not claim.pending_duties:
                return []
            if kind in (KIND_PLEDGE_REMINDER, KIND_PLEDGE_ESCALATION) and claim.pledge is not None:
                return []
            if (
                kind in (KIND_PAYMENT_REMINDER, KIND_PAYMENT_ESCALATION)
                and (claim.outstanding or Decimal(0)) <= 0
            ):
                return []
            messages = []
            for chat_id, lang in await _targets(uow, services, reminder.audience, claim):
                card = Card(i18n, lang)
                pending = ", ".join(card.t(f"claim.duty.{d.value}") for d in claim.pending_duties)
                text = card.t(
                    kind,
                    number=claim.number,
                    school=claim.school_name,
                    commune=claim.commune_name,
                    deadline=card.when(claim.deadline),
                    pending=pending,
                    pay_by=i18n.date(lang, claim.payment_deadline)
                    if claim.payment_deadline
                    else "",
                    outstanding=card.money(claim.outstanding or Decimal(0)),
                    last_day=(
                        i18n.date(
                            lang, recovery_request_last_day(claim_recovery_told(reminder, claim))
                        )
                        if kind == KIND_RECOVERY_REMINDER
                        else ""
                    ),
                    duties=Safe(card.duty_lines(claim)),
                )
                markup = (
                    card.duty_keyboard(claim)
                    if reminder.audience == "commune"
                    else card.staff_keyboard(claim)
                )
                messages.append(Outgoing(chat_id, text, markup))
            return messages

        return render

    renderers = Renderers()
    for kind in (
        KIND_DUTIES_REMINDER,
        KIND_DUTIES_ESCALATION,
        KIND_PAYMENT_REMINDER,
        KIND_PAYMENT_ESCALATION,
        KIND_RECOVERY_REMINDER,
        KIND_PLEDGE_REMINDER,
        KIND_PLEDGE_ESCALATION,
    ):
        renderers.register(kind, renderer(kind))
    return renderers


def claim_recovery_told(reminder: Reminder, claim: ClaimView) -> datetime:
    """When the commune was told of the recovery (kept on the claim; the reminder's due
    instant is 12 days after the day it was told, as a fallback)."""
    told = claim.recovery_told_at
    return told if told is not None else reminder.due_at
