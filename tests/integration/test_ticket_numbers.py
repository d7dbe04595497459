"""Ticket numbers against a real database (SQLite and PostgreSQL): one counter per kind
and year, allocated by an upsert, so concurrent reports (even a year's first ones) each get
their own number and none fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from storage.models import TicketSequence
from storage.uow import Database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.close()


async def allocate(db: Database, prefix: str, year: int) -> str:
    async with db.uow() as uow:
        number = await uow.tickets.next_number(prefix, year)
        await uow.commit()
        return number


async def counters(db: Database) -> list[tuple[str, int, int]]:
    async with db.uow() as uow:
        rows = await uow.session.execute(
            select(TicketSequence.prefix, TicketSequence.year, TicketSequence.last).order_by(
                TicketSequence.prefix, TicketSequence.year
            )
        )
        return [(prefix, year, last) for prefix, year, last in rows]


async def test_numbers_follow_each_other_and_restart_every_year(db: Database) -> None:
    assert await allocate(db, "S", 2026) == "S-2026-0001"
    assert await allocate(db, "S", 2026) == "S-2026-0002"
    assert await allocate(db, "S", 2027) == "S-2027-0001"  # a new year starts again
    assert await allocate(db, "T", 2026) == "T-2026-0001"  # each kind has its own counter
    assert await allocate(db, "S", 2026) == "S-2026-0003"
    assert await counters(db) == [("S", 2026, 3), ("S", 2027, 1), ("T", 2026, 1)]


async def test_a_number_given_back_by_a_rollback_is_given_again(db: Database) -> None:
    assert await allocate(db, "S", 2026) == "S-2026-0001"
    async with db.uow() as uow:
        assert await uow.tickets.next_number("S", 2026) == "S-2026-0002"
        await uow.rollback()
    assert await allocate(db, "S", 2026) == "S-2026-0002"


@pytest.mark.parametrize("existing", [0, 5], ids=["first-of-the-year", "counter-exists"])
async def test_concurrent_reports_get_distinct_consecutive_numbers(
    db: Database, existing: int
) -> None:
    for _ in range(existing):
        await allocate(db, "S", 2026)
    started = asyncio.Barrier(10)

    async def report() -> str:
        async with db.uow() as uow:
            await started.wait()  # ten units of work open, none has allocated yet
            number = await uow.tickets.next_number("S", 2026)
            await asyncio.sleep(0.01)  # hold the allocation a moment before committing
            await uow.commit()
            return number

    numbers = await asyncio.gather(*(report() for _ in range(10)))

    assert sorted(numbers) == [f"S-2026-{n:04d}" for n in range(existing + 1, existing + 11)]
    assert await counters(db) == [("S", 2026, existing + 10)]
