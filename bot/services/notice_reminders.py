"""What each reminder of a notice says, to whom — re-checked at send time: nothing is
sent for a notice closed or withdrawn meanwhile (the sweep marks the row skipped)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.cards.notices import NoticeCard
from bot.config import Settings
from bot.domain import notices as rules
from bot.i18n import I18n
from bot.services import audiences, notices
from bot.services.audiences import Recipient, StaffRoom
from bot.services.delivery import Actions, Outgoing
from bot.services.notice_notices import school_people
from bot.services.notices import NoticeView
from bot.services.reminders import Renderer, Renderers
from storage.models import Reminder
from storage.uow import UnitOfWork

NOTICE_REMINDER_KINDS = (
    rules.KIND_WORKS_BEFORE,
    rules.KIND_WORKS_RETURN,
    rules.KIND_CLOSURE_REMINDER,
    rules.KIND_NETWORK_REMINDER,
    rules.KIND_NETWORK_ESCALATION,
    rules.KIND_FIBRE_REMINDER,
)


async def _view(uow: UnitOfWork, reminder: Reminder) -> NoticeView | None:
    if reminder.ticket_id is None:
        return None
    view = await notices.view_of(uow, await notices.load(uow, reminder.ticket_id))
    return None if view.closed_at is not None else view


def _messages(
    i18n: I18n,
    view: NoticeView,
    targets: tuple[Recipient, ...],
    kind: str,
    buttons: Callable[[NoticeCard], Actions],
) -> list[Outgoing]:
    messages = []
    for target in targets:
        card = NoticeCard(i18n, target.language)
        text = card.t(
            kind,
            number=view.number,
            what=card.what(view),
            school=view.school_name,
            period=card.period(view),
            collection=view.collection_number or "",
        )
        messages.append(Outgoing(target.chat_id, text, buttons(card), view.id, target.platform))
    return messages


def _to_school_and_body(i18n: I18n, kind: str) -> Renderer:
    async def render(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
        view = await _view(uow, reminder)
        if view is None:
            return []
        agents = await audiences.body_agents(uow, view.body_id)
        heads = await school_people(uow, view)
        key = kind
        if kind == rules.KIND_CLOSURE_REMINDER and view.collection_number is None:
            key = f"{kind}_no_items"  # nothing of SEM's picked for collection
        return _messages(i18n, view, agents, key, lambda c: c.body_actions(view)) + _messages(
            i18n, view, heads, key, lambda c: c.school_actions(view)
        )

    return render


def _network_reminder(i18n: I18n) -> Renderer:
    async def render(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
        view = await _view(uow, reminder)
        if view is None:
            return []
        agents = await audiences.body_agents(uow, view.body_id)
        return _messages(
            i18n, view, agents, rules.KIND_NETWORK_REMINDER, lambda c: c.body_actions(view)
        )

    return render


def _to_staff(i18n: I18n, settings: Settings, kind: str, *, repeat: bool = False) -> Renderer:
    async def render(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
        view = await _view(uow, reminder)
        if view is None:
            return []
        if repeat:  # the next one, a cadence on (a retry of this row plans it once)
            number = int((reminder.payload or {}).get("number", 1)) + 1
            await notices.plan_next_fibre_reminder(uow, view.id, view.created_at, number, now)
            await uow.commit()
        staff = await audiences.staff(uow, StaffRoom.of(settings))
        return _messages(i18n, view, staff, kind, lambda c: c.staff_actions(view))

    return render


def notice_renderers(i18n: I18n, settings: Settings) -> Renderers:
    renderers = Renderers()
    for kind in (rules.KIND_WORKS_BEFORE, rules.KIND_WORKS_RETURN, rules.KIND_CLOSURE_REMINDER):
        renderers.register(kind, _to_school_and_body(i18n, kind))
    renderers.register(rules.KIND_NETWORK_REMINDER, _network_reminder(i18n))
    renderers.register(
        rules.KIND_NETWORK_ESCALATION, _to_staff(i18n, settings, rules.KIND_NETWORK_ESCALATION)
    )
    renderers.register(
        rules.KIND_FIBRE_REMINDER,
        _to_staff(i18n, settings, rules.KIND_FIBRE_REMINDER, repeat=True),
    )
    return renderers
