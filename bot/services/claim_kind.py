"""Claims (sinistres, art. 6) as a ticket kind of the core: their declaration, once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from bot.cards.claims import ClaimCard
from bot.domain.claims import ClaimState
from bot.domain.search import LIKE_ESCAPE
from bot.i18n import I18n
from bot.services import claims
from bot.services.claim_reminders import claim_renderers
from bot.services.delivery import Actions
from bot.services.kinds import TicketKind
from storage.models import ClaimItem
from storage.uow import Database


async def _view(db: Database, person_id: int, ticket_id: int, now: datetime) -> claims.ClaimView:
    return await claims.claim_view(db, person_id, ticket_id, now, timeline=True)


async def _reopen(
    db: Database, person_id: int, ticket_id: int, now: datetime
) -> claims.ClaimView:
    return await claims.reopen_claim(db, person_id, ticket_id, now=now)


def _card(i18n: I18n, lang: str, view: claims.ClaimView) -> str:
    return ClaimCard(i18n, lang).card(view, timeline=True)


def _staff_actions(i18n: I18n, lang: str, view: claims.ClaimView) -> Actions:
    return ClaimCard(i18n, lang).staff_actions(view)


def _body_actions(i18n: I18n, lang: str, view: claims.ClaimView) -> Actions:
    return ClaimCard(i18n, lang).duty_actions(view)


def _is_closed(view: Any) -> bool:
    return bool(view.state is ClaimState.CLOSED)


def _search_ids(pattern: str) -> Select[Any]:
    """Claims by the asset tags of their items (``pattern`` escaped with LIKE_ESCAPE)."""
    return select(ClaimItem.claim_id).where(
        ClaimItem.asset_tag.ilike(pattern, escape=LIKE_ESCAPE)
    )


CLAIMS = TicketKind(
    name=claims.KIND,
    prefix=claims.PREFIX,
    namespace="clm",
    view=_view,
    card=_card,
    staff_actions=_staff_actions,
    body_actions=_body_actions,
    is_closed=_is_closed,
    reopen=_reopen,
    renderers=claim_renderers,
    search_ids=_search_ids,
    not_found="claim.error.not_found",
)
