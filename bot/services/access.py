"""Who may see what, for every ticket kind: the person behind a request, their scope, and
whether they follow a ticket. One place, so that the kinds cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import inspect, select

from bot.domain.errors import DomainError
from bot.domain.roles import Role, Scope
from storage.models import Person, School, Ticket
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Actor:
    """Who is behind a request, as the front ends see them: plain data, no database row.

    Every service re-reads the person from the database by ``id`` and checks there; this
    is what a front end needs to choose its words and its menus.
    """

    id: int
    role: str
    full_name: str
    language: str
    active: bool
    school_id: int | None = None
    commune_id: int | None = None
    body_id: int | None = None
    body_kind: str | None = None  # commune | ogec | institute, for an agent's wording

    @property
    def scope(self) -> Scope:
        return Scope(
            Role(self.role),
            school_id=self.school_id,
            commune_id=self.commune_id,
            body_id=self.body_id,
        )


def actor_of(person: Person) -> Actor:
    """The person as plain data (their body's kind only if it was loaded with them)."""
    body_kind = None
    if "body" not in inspect(person).unloaded and person.body is not None:
        body_kind = person.body.kind
    return Actor(
        id=person.id,
        role=person.role,
        full_name=person.full_name,
        language=person.language,
        active=person.active,
        school_id=person.school_id,
        commune_id=person.commune_id,
        body_id=person.body_id,
        body_kind=body_kind,
    )


async def person(uow: UnitOfWork, person_id: int) -> Person:
    """The active person behind a request; anyone else is not registered (any more)."""
    found = await uow.people.get(person_id)
    if found is None or not found.active:
        raise DomainError("registration.error.not_registered")
    return found


def scope(person: Person) -> Scope:
    """What the person's role reaches: their school, their body's schools, or everything."""
    return Scope(
        Role(person.role),
        school_id=person.school_id,
        commune_id=person.commune_id,
        body_id=person.body_id,
    )


def follows(person: Person, ticket: Ticket) -> bool:
    """May the person see this ticket and write on it? (DOMAIN.md) Their scope must reach
    it, and a teacher follows only the tickets they reported; a school head follows the
    school's, a body's agent the body's, staff every one."""
    if person.role == Role.TEACHER and ticket.reporter_id != person.id:
        return False
    return scope(person).reaches(
        school_id=ticket.school_id, commune_id=ticket.commune_id, body_id=ticket.body_id
    )


async def school_in_scope(
    uow: UnitOfWork, person: Person, school_id: int, *, refusal: str
) -> School:
    """The school, if the person's scope reaches it; else ``refusal`` (each kind words it)."""
    school = await uow.directory.school(school_id)
    if school is None or not scope(person).reaches(
        school_id=school.id, commune_id=school.commune_id, body_id=school.body_id
    ):
        raise DomainError(refusal)
    return school


async def schools_for(uow: UnitOfWork, person: Person) -> list[School]:
    """The schools a person acts for: their own, their body's, or every one (staff)."""
    if person.school_id is not None:
        school = await uow.directory.school(person.school_id)
        return [school] if school else []
    query = select(School).order_by(School.name)
    if person.role == Role.COMMUNE:
        query = query.where(School.body_id == person.body_id)
    return list((await uow.session.scalars(query)).all())
