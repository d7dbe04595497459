"""Revision 0005 gives every open ticket its next deadline, computed as the queue did."""

# ruff: noqa: S608 (the old schema's rows, written as fixed SQL)
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import downgrade, upgrade
from storage.types import as_utc

AT = "2026-03-02 09:00:00"
DUTY = "2026-03-04 09:00:00"  # 48 h after the discovery
PAY = "2027-03-03 23:00:00"  # the end of a one-year payment window

OLD_ROWS = [
    "INSERT INTO communes (id, insee, name, created_at) VALUES (1, '42218', 'Saint-Étienne',"
    f" '{AT}')",
    "INSERT INTO bodies (id, code, name, kind, commune_id, created_at) VALUES"
    f" (1, 'commune:42218', 'Saint-Étienne', 'commune', 1, '{AT}')",
    "INSERT INTO schools (id, uai, name, commune_id, body_id, sector, created_at) VALUES "
    f"(10, '0429901J', 'Soleil', 1, 1, 'public', '{AT}')",
    "INSERT INTO people (id, telegram_user_id, chat_id, full_name, role, school_id,"
    " language, active, created_at) VALUES "
    f"(100, 5001, 5001, 'Teacher', 'teacher', 10, 'fr', true, '{AT}')",
    "INSERT INTO tickets (id, number, kind, state, reporter_id, school_id, commune_id, body_id,"
    " created_at, updated_at, closed_at) VALUES "
    f"(1, 'S-2026-0001', 'claim', 'reported', 100, 10, 1, 1, '{AT}', '{AT}', NULL),"
    f"(2, 'S-2026-0002', 'claim', 'complete', 100, 10, 1, 1, '{AT}', '{AT}', NULL),"
    f"(3, 'S-2026-0003', 'claim', 'declared', 100, 10, 1, 1, '{AT}', '{AT}', NULL),"
    f"(4, 'S-2026-0004', 'claim', 'closed', 100, 10, 1, 1, '{AT}', '{AT}', '{AT}'),"
    f"(5, 'S-2026-0005', 'claim', 'declared', 100, 10, 1, 1, '{AT}', '{AT}', NULL)",
    "INSERT INTO claims (ticket_id, kind, discovered_at, description, payment_due_at) VALUES "
    f"(1, 'theft', '{AT}', 'vol', NULL), (2, 'loss', '{AT}', 'perte', '{PAY}'),"
    f" (3, 'damage', '{AT}', 'casse', '{PAY}'), (4, 'theft', '{AT}', 'vol', NULL),"
    f" (5, 'damage', '{AT}', 'casse', NULL)",
    "INSERT INTO claim_duties (id, claim_id, duty, deadline_at, done_at) VALUES "
    f"(1, 1, 'insurer', '{DUTY}', NULL), (2, 1, 'police', '{DUTY}', '{AT}'),"
    f"(3, 2, 'insurer', '{DUTY}', NULL), (4, 3, 'insurer', '{DUTY}', '{AT}'),"
    f"(5, 4, 'insurer', '{DUTY}', NULL), (6, 5, 'insurer', '{DUTY}', '{AT}')",
]


async def test_open_tickets_get_their_nearest_deadline_and_closed_ones_none(
    engine: AsyncEngine,
) -> None:
    await downgrade(engine, "0004")
    async with engine.begin() as conn:
        for statement in OLD_ROWS:
            await conn.execute(text(statement))
    await upgrade(engine)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(text("SELECT id, next_deadline_at FROM tickets ORDER BY id"))
        ).all()
    found = {row[0]: None if row[1] is None else as_utc(row[1]) for row in rows}
    duty = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert found == {
        1: duty,  # an open duty
        2: duty,  # an open duty comes before the payment window's end
        3: datetime(2027, 3, 3, 23, 0, tzinfo=UTC),  # duties done: the payment window
        4: None,  # closed: out of the queue
        5: None,  # duties done, no payment window yet
    }


async def test_the_revision_goes_down_and_up_again(engine: AsyncEngine) -> None:
    await downgrade(engine, "0004")
    await upgrade(engine)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM tickets"))).scalar() == 0
