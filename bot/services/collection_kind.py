"""Flaggings of unused or broken equipment (art. 1, 3 and 4) as a ticket kind of the
core: their declaration, once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from bot.cards.collections import CollectionCard
from bot.domain.search import LIKE_ESCAPE
from bot.i18n import I18n
from bot.services import collections
from bot.services.collection_reminders import collection_renderers
from bot.services.delivery import Actions
from bot.services.kinds import TicketKind
from storage.models import CollectionItem, Equipment
from storage.uow import Database


async def _view(
    db: Database, person_id: int, ticket_id: int, now: datetime
) -> collections.CollectionView:
    return await collections.collection_view(db, person_id, ticket_id, now, timeline=True)


async def _reopen(
    db: Database, person_id: int, ticket_id: int, now: datetime
) -> collections.CollectionView:
    return await collections.reopen_collection(db, person_id, ticket_id, now)


def _card(i18n: I18n, lang: str, view: collections.CollectionView) -> str:
    return CollectionCard(i18n, lang).card(view, timeline=True)


def _staff_actions(i18n: I18n, lang: str, view: collections.CollectionView) -> Actions:
    return CollectionCard(i18n, lang).staff_actions(view)


def _body_actions(i18n: I18n, lang: str, view: collections.CollectionView) -> Actions:
    return CollectionCard(i18n, lang).body_actions(view)


def _is_closed(view: Any) -> bool:
    return bool(view.closed_at is not None)


def _search_ids(pattern: str) -> Select[Any]:
    """Collections by the asset tags of their items (``pattern`` escaped)."""
    return (
        select(CollectionItem.collection_id)
        .join(Equipment, Equipment.id == CollectionItem.equipment_id)
        .where(Equipment.asset_tag.ilike(pattern, escape=LIKE_ESCAPE))
    )


COLLECTIONS = TicketKind(
    name=collections.KIND,
    prefix=collections.PREFIX,
    namespace="col",
    view=_view,
    card=_card,
    staff_actions=_staff_actions,
    body_actions=_body_actions,
    is_closed=_is_closed,
    reopen=_reopen,
    renderers=collection_renderers,
    search_ids=_search_ids,
    not_found="collection.error.not_found",
)
