"""Staff outreach: announcements to an audience, invitations from the chat, and the
directory look-ups both dialogues need (a school, a commune or a responsible body by part
of its name).

An announcement is audited twice: when it is sent (who, to which audience, how many
people, the text) and when its delivery is over (how many received it, how many failed).
Sending is the front end's job; this module says to whom.
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.domain.bodies import BodyKind, normalize_body_code
from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role, require
from bot.domain.text import units
from bot.services import audiences, registration
from bot.services.audiences import Recipient
from storage.models import Commune, Person, ResponsibleBody, School
from storage.uow import Database, UnitOfWork

log = logging.getLogger(__name__)

# Who may announce. There is no Action of its own yet: triage is what staff alone may do.
# (reading) Change this one line when roles.py gains Action.ANNOUNCE.
ANNOUNCE = Action.TRIAGE
MAX_TEXT = 3500  # with the header and the signature it still fits one message
MIN_SEARCH = 2


class AudienceKind(StrEnum):
    DIRECTORS = "directors"
    TEACHERS = "teachers"
    COMMUNES = "communes"  # every body's agents (role ``commune``)
    COMMUNE = "commune"  # the agents of one commune's own body
    BODY = "body"  # the agents of one OGEC or institute
    EVERYONE = "everyone"


ROLES: dict[AudienceKind, tuple[Role, ...]] = {
    AudienceKind.DIRECTORS: (Role.DIRECTOR,),
    AudienceKind.TEACHERS: (Role.TEACHER,),
    AudienceKind.COMMUNES: (Role.COMMUNE,),
    AudienceKind.COMMUNE: (Role.COMMUNE,),
    AudienceKind.BODY: (Role.COMMUNE,),
    AudienceKind.EVERYONE: tuple(Role),
}


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind
    commune_id: int | None = None
    body_id: int | None = None

    def __post_init__(self) -> None:
        if (self.kind is AudienceKind.COMMUNE) != (self.commune_id is not None):
            raise DomainError("admin.error.audience")
        if (self.kind is AudienceKind.BODY) != (self.body_id is not None):
            raise DomainError("admin.error.audience")


@dataclass(frozen=True)
class SchoolChoice:
    id: int
    name: str
    uai: str
    commune_name: str


@dataclass(frozen=True)
class CommuneChoice:
    id: int
    name: str
    insee: str


@dataclass(frozen=True)
class BodyChoice:
    id: int
    name: str
    code: str


@dataclass(frozen=True)
class Announcement:
    id: str
    recipients: tuple[Recipient, ...]


# --------------------------------------------------------------------------- helpers


def _fold(text: str) -> str:
    """Lower case without accents, for matching what people type (« etienne » → Étienne)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


async def _staff(uow: UnitOfWork, person_id: int, action: Action) -> Person:
    person = await uow.people.get(person_id)
    if person is None or not person.active:
        raise DomainError("registration.error.not_registered")
    require(person.role, action)
    return person


def _school_choice(school: School) -> SchoolChoice:
    return SchoolChoice(school.id, school.name, school.uai, school.commune.name)


# --------------------------------------------------------------------------- directory


async def search_schools(db: Database, text: str, limit: int = 10) -> list[SchoolChoice]:
    """Schools whose name or UAI contains ``text``, ignoring case and accents."""
    wanted = text.strip()
    if len(wanted) < MIN_SEARCH:
        raise DomainError("admin.search.too_short", min=MIN_SEARCH)
    async with db.uow() as uow:
        found = await uow.directory.search_schools(wanted, limit)
        if not found:
            # ILIKE folds neither accents nor (on SQLite) non-ASCII case: « ecole » must
            # still find « École ». A plan has a few hundred schools: match them here.
            rows = await uow.session.scalars(
                select(School).options(selectinload(School.commune)).order_by(School.name)
            )
            folded = _fold(wanted)
            found = [s for s in rows if folded in _fold(s.name) or folded in _fold(s.uai)][:limit]
        return [_school_choice(s) for s in found]


async def search_communes(db: Database, text: str, limit: int = 10) -> list[CommuneChoice]:
    """Communes whose name or INSEE code contains ``text``, ignoring case and accents."""
    wanted = text.strip()
    if len(wanted) < MIN_SEARCH:
        raise DomainError("admin.search.too_short", min=MIN_SEARCH)
    folded = _fold(wanted)
    async with db.uow() as uow:
        # The métropole has a few dozen communes: folding them here is simplest and
        # behaves the same on SQLite and PostgreSQL.
        rows = await uow.session.scalars(select(Commune).order_by(Commune.name))
        found = [c for c in rows if folded in _fold(c.name) or folded in c.insee]
        return [CommuneChoice(c.id, c.name, c.insee) for c in found[:limit]]


async def search_bodies(db: Database, text: str, limit: int = 10) -> list[BodyChoice]:
    """OGECs and institutes whose name or code contains ``text``, ignoring case and accents
    (a commune's own body is chosen as its commune)."""
    wanted = text.strip()
    if len(wanted) < MIN_SEARCH:
        raise DomainError("admin.search.too_short", min=MIN_SEARCH)
    folded = _fold(wanted)
    async with db.uow() as uow:
        rows = await uow.session.scalars(
            select(ResponsibleBody)
            .where(ResponsibleBody.kind != BodyKind.COMMUNE.value)
            .order_by(ResponsibleBody.name)
        )
        found = [b for b in rows if folded in _fold(b.name) or folded in _fold(b.code)]
        return [BodyChoice(b.id, b.name, b.code) for b in found[:limit]]


async def body_choice(db: Database, body_id: int) -> BodyChoice:
    async with db.uow() as uow:
        body = await uow.session.get(ResponsibleBody, body_id)
        if body is None or body.kind == BodyKind.COMMUNE.value:
            raise DomainError("admin.error.unknown_body")
        return BodyChoice(body.id, body.name, body.code)


async def school_choice(db: Database, school_id: int) -> SchoolChoice:
    async with db.uow() as uow:
        school = await uow.directory.school(school_id)
        if school is None:
            raise DomainError("admin.error.unknown_school")
        return _school_choice(school)


async def commune_choice(db: Database, commune_id: int) -> CommuneChoice:
    async with db.uow() as uow:
        commune = await uow.session.get(Commune, commune_id)
        if commune is None:
            raise DomainError("admin.error.unknown_commune")
        return CommuneChoice(commune.id, commune.name, commune.insee)


async def commune_by_insee(db: Database, insee: str) -> CommuneChoice:
    """A commune named by its INSEE code (Discord's options carry codes, not ids)."""
    async with db.uow() as uow:
        commune = await uow.directory.commune_by_insee(insee.strip().upper())
        if commune is None:
            raise DomainError("directory.error.unknown_commune", insee=insee.strip())
        return CommuneChoice(commune.id, commune.name, commune.insee)


async def body_by_code(db: Database, code: str) -> BodyChoice:
    """An OGEC or an institute named by its code (a commune's own body is its commune)."""
    try:
        wanted = normalize_body_code(code)
    except DomainError:
        raise DomainError("directory.error.unknown_body", body=code.strip()) from None
    async with db.uow() as uow:
        body = await uow.session.scalar(
            select(ResponsibleBody).where(ResponsibleBody.code == wanted)
        )
        if body is None or body.kind == BodyKind.COMMUNE.value:
            raise DomainError("directory.error.unknown_body", body=code.strip())
        return BodyChoice(body.id, body.name, body.code)


# --------------------------------------------------------------------------- invitations


async def invite(
    db: Database,
    person_id: int,
    *,
    role: Role,
    school_id: int | None,
    commune_id: int | None,
    validity: timedelta,
    now: datetime,
) -> registration.NewInvitation:
    """Staff create a single-use invitation from the chat (``/inviter``)."""
    async with db.uow() as uow:
        await _staff(uow, person_id, Action.INVITE)
        uai = insee = None
        if school_id is not None:
            school = await uow.directory.school(school_id)
            if school is None:
                raise DomainError("admin.error.unknown_school")
            uai = school.uai
        if commune_id is not None:
            commune = await uow.session.get(Commune, commune_id)
            if commune is None:
                raise DomainError("admin.error.unknown_commune")
            insee = commune.insee
    return await registration.create_invitation(
        db,
        role=role,
        school_uai=uai,
        commune_insee=insee,
        validity=validity,
        now=now,
        created_by_id=person_id,
    )


async def invite_by_code(
    db: Database,
    person_id: int,
    *,
    role: Role,
    school_uai: str | None = None,
    commune_insee: str | None = None,
    body_code: str | None = None,
    validity: timedelta,
    now: datetime,
) -> registration.NewInvitation:
    """Staff create a single-use invitation whose scope is named by its code (an UAI, an
    INSEE code, a body's code), as Discord's ``/inviter`` options give it; the scope is
    checked by the registration service, with its messages."""
    async with db.uow() as uow:
        await _staff(uow, person_id, Action.INVITE)
    return await registration.create_invitation(
        db,
        role=role,
        school_uai=school_uai or None,
        commune_insee=commune_insee or None,
        body_code=body_code or None,
        validity=validity,
        now=now,
        created_by_id=person_id,
    )


# --------------------------------------------------------------------------- announcements


async def _audience(uow: UnitOfWork, author: Person, audience: Audience) -> tuple[Recipient, ...]:
    roles = [r.value for r in ROLES[audience.kind]]
    query = (
        select(Person)
        .where(
            Person.active.is_(True),
            Person.role.in_(roles),
            Person.id != author.id,
        )
        .order_by(Person.id)
    )
    if audience.commune_id is not None:
        # A commune's agents are its own body's (decision 0013): not an OGEC's agents
        # that happen to sit in the commune.
        body_id = await uow.session.scalar(
            select(ResponsibleBody.id).where(ResponsibleBody.commune_id == audience.commune_id)
        )
        if body_id is None:
            return ()
        query = query.where(Person.body_id == body_id)
    if audience.body_id is not None:
        query = query.where(Person.body_id == audience.body_id)
    people: Sequence[Person] = (await uow.session.scalars(query)).all()
    return audiences.recipients(people)


def _checked_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise DomainError("admin.announce.empty")
    if units(cleaned) > MAX_TEXT:
        raise DomainError("admin.announce.too_long", max=MAX_TEXT, length=units(cleaned))
    return cleaned


async def audience_size(db: Database, person_id: int, audience: Audience) -> int:
    """How many people an announcement would reach now (for the preview)."""
    async with db.uow() as uow:
        author = await _staff(uow, person_id, ANNOUNCE)
        return len(await _audience(uow, author, audience))


async def record_announcement(
    db: Database, person_id: int, audience: Audience, text: str, now: datetime
) -> Announcement:
    """Check the right, resolve the audience (its author excluded), audit the send and
    plan its delivery through the outbox (``announcement_delivery``), in one transaction:
    the people it was confirmed for get it, even after a restart."""
    from bot.domain.deadlines import Audience as Towards
    from bot.domain.deadlines import PlannedReminder
    from bot.domain.quiet_hours import QuietHours
    from bot.services import reminders
    from bot.services.announcement_delivery import KEY_PREFIX, KIND_ANNOUNCEMENT

    cleaned = _checked_text(text)
    async with db.uow() as uow:
        author = await _staff(uow, person_id, ANNOUNCE)
        recipients = await _audience(uow, author, audience)
        if not recipients:
            raise DomainError("admin.announce.nobody")
        announcement_id = f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
        uow.audit(
            at=now,
            actor_id=author.id,
            action="announcement.send",
            object_type="announcement",
            object_id=announcement_id,
            audience=audience.kind.value,
            commune_id=audience.commune_id,
            **({"body_id": audience.body_id} if audience.body_id is not None else {}),
            recipients=len(recipients),
            text=cleaned,
        )
        people = [r.person_id for r in recipients if r.person_id is not None]
        await reminders.plan(
            uow,
            [PlannedReminder(KIND_ANNOUNCEMENT, now, Towards.STAFF, announcement_id)],
            key_prefix=KEY_PREFIX,
            now=now,
            payload={
                "announcement_id": announcement_id,
                "author_id": author.id,
                "people": people,
            },
            quiet=QuietHours(now.time(), now.time()),  # sent when staff send it, day or night
        )
        await uow.commit()
        return Announcement(announcement_id, recipients)
