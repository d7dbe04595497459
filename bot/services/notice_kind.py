"""Notices (works, fibre, class changes, the school network; art. 1 and 2) as a ticket
kind of the core: their declaration, once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.cards.notices import NoticeCard
from bot.i18n import I18n
from bot.services import notices
from bot.services.delivery import Actions
from bot.services.kinds import TicketKind
from bot.services.notice_reminders import notice_renderers
from storage.uow import Database


async def _view(db: Database, person_id: int, ticket_id: int, now: datetime) -> notices.NoticeView:
    return await notices.notice_view(db, person_id, ticket_id, now, timeline=True)


async def _reopen(
    db: Database, person_id: int, ticket_id: int, now: datetime
) -> notices.NoticeView:
    return await notices.reopen_notice(db, person_id, ticket_id, now)


def _card(i18n: I18n, lang: str, view: notices.NoticeView) -> str:
    return NoticeCard(i18n, lang).card(view, timeline=True)


def _staff_actions(i18n: I18n, lang: str, view: notices.NoticeView) -> Actions:
    return NoticeCard(i18n, lang).staff_actions(view)


def _body_actions(i18n: I18n, lang: str, view: notices.NoticeView) -> Actions:
    return NoticeCard(i18n, lang).body_actions(view)


def _is_closed(view: Any) -> bool:
    return bool(view.closed_at is not None)


NOTICES = TicketKind(
    name=notices.KIND,
    prefix=notices.PREFIX,
    namespace="ntc",
    view=_view,
    card=_card,
    staff_actions=_staff_actions,
    body_actions=_body_actions,
    is_closed=_is_closed,
    reopen=_reopen,
    renderers=notice_renderers,
    not_found="notice.error.not_found",
)
