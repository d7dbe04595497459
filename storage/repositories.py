"""Queries, grouped by what they are about. Repositories add and read; they never commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.dml import ReturningInsert

from storage.models import (
    CodeAttempts,
    Commune,
    Equipment,
    Invitation,
    Person,
    PlatformAccount,
    Reminder,
    School,
    Ticket,
    TicketSequence,
)


class _Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class People(_Repo):
    async def by_account(self, platform: str, external_user_id: int) -> Person | None:
        """The person behind an account of a platform (its user id there)."""
        result = await self.session.execute(
            select(Person)
            .join(PlatformAccount, PlatformAccount.person_id == Person.id)
            .where(
                PlatformAccount.platform == platform,
                PlatformAccount.external_user_id == external_user_id,
            )
            # One round trip: this runs for every update the bot receives.
            .options(joinedload(Person.accounts))
            .options(joinedload(Person.school).joinedload(School.commune))
            .options(joinedload(Person.commune))
            .options(joinedload(Person.body))
        )
        return result.unique().scalar_one_or_none()

    async def get(self, person_id: int) -> Person | None:
        # One round trip (every service reads its caller this way): the person with their
        # accounts, school and commune, and body, joined.
        return await self.session.get(
            Person,
            person_id,
            options=[
                joinedload(Person.accounts),
                joinedload(Person.school).joinedload(School.commune),
                joinedload(Person.commune),
                joinedload(Person.body),
            ],
        )

    async def staff(self) -> Sequence[Person]:
        result = await self.session.scalars(
            select(Person)
            .where(Person.role == "staff", Person.active.is_(True))
            .order_by(Person.id)
        )
        return result.all()

    async def body_agents(self, body_id: int) -> Sequence[Person]:
        """The active agents of a responsible body (role ``commune``): whom a school's
        duties, pledge, payment, notices and yearly list go to."""
        result = await self.session.scalars(
            select(Person)
            .where(Person.role == "commune", Person.body_id == body_id, Person.active.is_(True))
            .order_by(Person.id)
        )
        return result.all()

    async def school_heads(self, school_id: int) -> Sequence[Person]:
        """The active heads of a school (role ``director``)."""
        result = await self.session.scalars(
            select(Person)
            .where(
                Person.role == "director", Person.school_id == school_id, Person.active.is_(True)
            )
            .order_by(Person.id)
        )
        return result.all()

    async def code_attempts(self, platform: str, external_user_id: int) -> CodeAttempts | None:
        return await self.session.get(CodeAttempts, (platform, external_user_id))

    def add(self, person: Person) -> None:
        self.session.add(person)


class Directory(_Repo):
    async def commune_by_insee(self, insee: str) -> Commune | None:
        return await self.session.scalar(select(Commune).where(Commune.insee == insee))

    async def school_by_uai(self, uai: str) -> School | None:
        return await self.session.scalar(
            select(School).where(School.uai == uai).options(selectinload(School.commune))
        )

    async def school(self, school_id: int) -> School | None:
        return await self.session.get(School, school_id, options=[selectinload(School.commune)])

    async def equipment_by_tag(self, asset_tag: str) -> Equipment | None:
        return await self.session.scalar(select(Equipment).where(Equipment.asset_tag == asset_tag))

    async def equipment_of_school(
        self, school_id: int, *, offset: int = 0, limit: int = 8
    ) -> tuple[Sequence[Equipment], int]:
        """A page of a school's equipment in service, and how many there are in all."""
        where = (Equipment.school_id == school_id, Equipment.state == "in_service")
        total = await self.session.scalar(select(func.count()).select_from(Equipment).where(*where))
        rows = await self.session.scalars(
            select(Equipment)
            .where(*where)
            .order_by(Equipment.asset_tag)
            .offset(offset)
            .limit(limit)
        )
        return rows.all(), int(total or 0)

    async def search_schools(self, text: str, limit: int = 10) -> Sequence[School]:
        pattern = f"%{text.strip()}%"
        rows = await self.session.scalars(
            select(School)
            .where(or_(School.name.ilike(pattern), School.uai.ilike(pattern)))
            .options(selectinload(School.commune))
            .order_by(School.name)
            .limit(limit)
        )
        return rows.all()

    async def is_empty(self) -> bool:
        return (await self.session.scalar(select(func.count()).select_from(School))) == 0


class Invitations(_Repo):
    async def by_hash(self, code_hash: str) -> Invitation | None:
        return await self.session.scalar(
            select(Invitation)
            .where(Invitation.code_hash == code_hash)
            .options(selectinload(Invitation.school), selectinload(Invitation.commune))
        )

    async def by_id(self, invitation_id: int) -> Invitation | None:
        return await self.session.get(Invitation, invitation_id)


class Tickets(_Repo):
    async def next_number(self, prefix: str, year: int) -> str:
        """Allocate the next number of a kind for a year (e.g. S-2026-0042).

        One upsert, ``INSERT … ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1
        RETURNING last``: the first report of a year creates the counter, the others
        increment it, and two first reports at the same moment cannot both insert (the
        second waits for the first's row and increments it). The row stays locked
        (PostgreSQL) or the database does (SQLite) until commit, so two reports never share
        a number.
        """
        statement = _counter_upsert(self.session.get_bind().dialect.name, prefix, year)
        last = (await self.session.execute(statement)).scalar_one()
        return f"{prefix}-{year}-{last:04d}"

    async def by_number(self, number: str) -> Ticket | None:
        return await self.session.scalar(select(Ticket).where(Ticket.number == number.upper()))


def _counter_upsert(dialect: str, prefix: str, year: int) -> ReturningInsert[tuple[int]]:
    """``INSERT … ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1 RETURNING last``
    in the dialect's words (both SQLite and PostgreSQL have it)."""
    table = cast(Table, TicketSequence.__table__)
    key = [table.c.prefix, table.c.year]
    increment = {"last": table.c.last + 1}
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(table).values(prefix=prefix, year=year, last=1)
        return pg.on_conflict_do_update(index_elements=key, set_=increment).returning(table.c.last)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite = sqlite_insert(table).values(prefix=prefix, year=year, last=1)
        return lite.on_conflict_do_update(index_elements=key, set_=increment).returning(
            table.c.last
        )
    raise NotImplementedError(f"no upsert for {dialect}")  # pragma: no cover


class Reminders(_Repo):
    async def pending(self, limit: int = 50) -> Sequence[Reminder]:
        rows = await self.session.scalars(
            select(Reminder)
            .where(Reminder.state == "pending")
            .order_by(Reminder.due_at)
            .limit(limit)
        )
        return rows.all()
