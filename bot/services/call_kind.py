"""A school's application to a call for interest (art. 1 and 2) as a ticket kind of the
core: its declaration, once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.cards.calls import CallCard
from bot.i18n import I18n
from bot.services import calls
from bot.services.call_reminders import call_renderers
from bot.services.delivery import Actions
from bot.services.kinds import TicketKind
from storage.uow import Database


async def _view(
    db: Database, person_id: int, ticket_id: int, now: datetime
) -> calls.ApplicationView:
    return await calls.application(db, person_id, ticket_id)


async def _reopen(
    db: Database, person_id: int, ticket_id: int, now: datetime
) -> calls.ApplicationView:
    return await calls.reopen_application(db, person_id, ticket_id, now)


def _card(i18n: I18n, lang: str, view: calls.ApplicationView) -> str:
    return CallCard(i18n, lang).card(view, timeline=True)


def _staff_actions(i18n: I18n, lang: str, view: calls.ApplicationView) -> Actions:
    return CallCard(i18n, lang).staff_actions(view)


def _body_actions(i18n: I18n, lang: str, view: calls.ApplicationView) -> Actions:
    return CallCard(i18n, lang).body_actions(view)


def _is_closed(view: Any) -> bool:
    return bool(view.closed_at is not None)


CALLS = TicketKind(
    name=calls.KIND,
    prefix=calls.PREFIX,
    namespace="ami",
    view=_view,
    card=_card,
    staff_actions=_staff_actions,
    body_actions=_body_actions,
    is_closed=_is_closed,
    reopen=_reopen,
    renderers=call_renderers,
    not_found="call.error.application_not_found",
)
