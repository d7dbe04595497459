"""Asset tags a person may report, as they type them (a front end's autocomplete)."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.roles import Action, require
from bot.services import access
from bot.services.claims import REPORTABLE_STATES
from storage.models import Equipment
from storage.uow import Database


async def reportable_tags(db: Database, person_id: int, typed: str, limit: int = 25) -> list[str]:
    """The asset tags beginning with ``typed`` of equipment still reportable at the
    person's schools (their own, or their body's), in order, at most ``limit``."""
    prefix = "".join((typed or "").split()).upper()
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        require(person.role, Action.REPORT_CLAIM)
        schools = [s.id for s in await access.schools_for(uow, person)]
        if not schools:
            return []
        query = (
            select(Equipment.asset_tag)
            .where(
                Equipment.school_id.in_(schools),
                Equipment.state.in_(REPORTABLE_STATES),
                Equipment.asset_tag.startswith(prefix, autoescape=True),
            )
            .order_by(Equipment.asset_tag)
            .limit(limit)
        )
        return list((await uow.session.scalars(query)).all())
