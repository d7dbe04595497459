"""What each reminder of a flagging says, to whom — re-checked at send time.

A renderer returns no message when nothing is owed any more (the items were planned into
a round, the body removed its own, the ticket was closed): the sweep marks the row
skipped. The rounds' own reminders are registered by ``bot.services.rounds``.
"""

from __future__ import annotations

from datetime import datetime

from bot.cards.collections import CollectionCard
from bot.config import Settings
from bot.domain.collections import KIND_REMOVAL_REMINDER, KIND_UNPLANNED_REMINDER
from bot.i18n import I18n, Safe
from bot.services import audiences, collections
from bot.services.audiences import StaffRoom
from bot.services.delivery import Outgoing
from bot.services.reminders import Renderer, Renderers
from storage.models import Reminder
from storage.uow import UnitOfWork


def _unplanned(i18n: I18n, settings: Settings) -> Renderer:
    async def render(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
        if reminder.ticket_id is None:
            return []
        view = await collections.view_of(uow, await collections.load(uow, reminder.ticket_id))
        waiting = view.unplanned
        if view.closed_at is not None or not waiting:
            return []
        messages = []
        for target in await audiences.staff(uow, StaffRoom.of(settings)):
            card = CollectionCard(i18n, target.language)
            text = card.t(
                KIND_UNPLANNED_REMINDER,
                number=view.number,
                school=view.school_name,
                count=len(waiting),
                items=Safe("\n".join(card.item_line(i) for i in waiting)),
            )
            messages.append(
                Outgoing(target.chat_id, text, card.staff_actions(view), view.id, target.platform)
            )
        return messages

    return render


def _removal(i18n: I18n) -> Renderer:
    async def render(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
        if reminder.ticket_id is None:
            return []
        view = await collections.view_of(uow, await collections.load(uow, reminder.ticket_id))
        waiting = view.to_remove
        if view.closed_at is not None or not waiting:
            return []
        messages = []
        for target in await audiences.body_agents(uow, view.body_id):
            card = CollectionCard(i18n, target.language)
            text = card.t(
                KIND_REMOVAL_REMINDER,
                number=view.number,
                school=view.school_name,
                count=len(waiting),
                items=Safe("\n".join(card.item_line(i) for i in waiting)),
            )
            messages.append(
                Outgoing(target.chat_id, text, card.body_actions(view), view.id, target.platform)
            )
        return messages

    return render


COLLECTION_REMINDER_KINDS = (KIND_UNPLANNED_REMINDER, KIND_REMOVAL_REMINDER)


def collection_renderers(i18n: I18n, settings: Settings) -> Renderers:
    renderers = Renderers()
    renderers.register(KIND_UNPLANNED_REMINDER, _unplanned(i18n, settings))
    renderers.register(KIND_REMOVAL_REMINDER, _removal(i18n))
    return renderers
