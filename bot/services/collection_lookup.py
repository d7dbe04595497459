"""Finding the equipment a person may flag by its asset tag, across the schools they act
for: what Discord's autocomplete offers and what a typed tag names.

Telegram's /collecte first asks for the school, then pages through its inventory; Discord
takes the tag at once (autocomplete), so the school is the tag's. The same scope and the
same refusals as :mod:`bot.services.collections` (``check_tags``), which still judges the
tag once its school is known.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.domain.directory import MAX_LENGTHS, normalize_asset_tag
from bot.domain.errors import DomainError
from bot.domain.roles import Action, require
from bot.services import access
from bot.services.claims import SchoolRef
from bot.services.collections import FLAGGABLE_STATES
from storage.models import Equipment
from storage.uow import Database

# Discord shows at most 25 suggestions.
MAX_SUGGESTIONS = 25


@dataclass(frozen=True)
class Suggestion:
    asset_tag: str
    type: str
    model: str
    school_name: str


async def flaggable(
    db: Database, person_id: int, typed: str, limit: int = MAX_SUGGESTIONS
) -> list[Suggestion]:
    """The equipment in service of the person's schools whose tag contains what is typed
    (case and spaces ignored), by tag; nobody else's equipment is ever suggested."""
    needle = "".join(typed.split()).upper()[:40]
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        require(person.role, Action.FLAG_EQUIPMENT)
        schools = {s.id: s for s in await access.schools_for(uow, person)}
        if not schools:
            return []
        query = (
            select(Equipment)
            .where(
                Equipment.school_id.in_(schools),
                Equipment.state.in_(sorted(FLAGGABLE_STATES)),
            )
            .order_by(Equipment.asset_tag)
            .limit(max(1, min(limit, MAX_SUGGESTIONS)))
        )
        if needle:
            query = query.where(Equipment.asset_tag.contains(needle, autoescape=True))
        found = (await uow.session.scalars(query)).all()
        return [Suggestion(e.asset_tag, e.type, e.model, schools[e.school_id].name) for e in found]


@dataclass(frozen=True)
class Located:
    asset_tag: str
    known: bool
    school: SchoolRef | None  # None: unknown, or another school's


async def school_of_tag(db: Database, person_id: int, typed: str) -> Located:
    """The school, among the person's, that holds the equipment of this tag (whatever its
    state). A text that cannot be a tag is refused with the domain's message."""
    try:
        tag = normalize_asset_tag(typed)
    except DomainError as error:
        raise DomainError(
            "collection.error.typed_tag",
            value=(typed or "").strip()[:40],
            max=MAX_LENGTHS["asset_tag"],
        ) from error
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        require(person.role, Action.FLAG_EQUIPMENT)
        equipment = await uow.directory.equipment_by_tag(tag)
        if equipment is None:
            return Located(tag, False, None)
        for school in await access.schools_for(uow, person):
            if school.id == equipment.school_id:
                return Located(tag, True, SchoolRef(school.id, school.name, school.uai))
        return Located(tag, True, None)


async def tag_of(db: Database, person_id: int, equipment_id: int) -> str:
    """The tag of an equipment named by a button (re-checked by ``check_tags`` after)."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        require(person.role, Action.FLAG_EQUIPMENT)
        equipment = await uow.session.get(Equipment, equipment_id)
        if equipment is None:
            raise DomainError("common.stale_button")
        return equipment.asset_tag
