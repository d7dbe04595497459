"""What each reminder of a flagging says, to whom — re-checked at send time.

A renderer returns no message when nothing is owed any more (the items were planned into
a round, the body removed its own, the ticket was closed): the sweep marks the row
skipped. A round's reminder to a school is skipped once the round was cancelled, moved
(its row is cancelled then, and a new one planned) or done, or the stop marked.
"""

from __future__ import annotations

from datetime import datetime

from bot.cards.collections import CollectionCard
from bot.cards.rounds import RoundCard
from bot.config import Settings
from bot.domain.collections import (
    KIND_REMOVAL_REMINDER,
    KIND_ROUND_REMINDER,
    KIND_UNPLANNED_REMINDER,
)
from bot.i18n import I18n, Safe
from bot.services import audiences, collections, rounds
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


def _round(i18n: I18n) -> Renderer:
    async def render(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
        payload = reminder.payload or {}
        round_id, stop_id = payload.get("round_id"), payload.get("stop_id")
        if reminder.ticket_id is None or not isinstance(round_id, int):
            return []
        found = await uow.session.get(rounds.CollectionRound, round_id)
        if (
            found is None
            or found.state != rounds.ROUND_PLANNED
            or found.day.isoformat() != payload.get("day")
        ):
            return []
        view = await rounds.round_view(uow, await rounds.load_round(uow, round_id))
        stop = next((s for s in view.stops if s.id == stop_id), None)
        if stop is None or not stop.planned:
            return []
        collection = await collections.load(uow, stop.collection_id)
        if collection.ticket.closed_at is not None:
            return []
        messages = []
        for target in audiences.recipients(await rounds.school_people(uow, collection)):
            card = RoundCard(i18n, target.language)
            messages.append(
                Outgoing(
                    target.chat_id,
                    card.reminder(view, stop),
                    card.school_actions(stop),
                    stop.collection_id,
                    target.platform,
                )
            )
        return messages

    return render


COLLECTION_REMINDER_KINDS = (KIND_UNPLANNED_REMINDER, KIND_REMOVAL_REMINDER, KIND_ROUND_REMINDER)


def collection_renderers(i18n: I18n, settings: Settings) -> Renderers:
    renderers = Renderers()
    renderers.register(KIND_UNPLANNED_REMINDER, _unplanned(i18n, settings))
    renderers.register(KIND_REMOVAL_REMINDER, _removal(i18n))
    renderers.register(KIND_ROUND_REMINDER, _round(i18n))
    return renderers
