"""Revision 0004 gives every school, agent, invitation and ticket its commune's body,
and loses nothing written by the old schema (SQLite and PostgreSQL)."""

# ruff: noqa: S608 (the old schema's rows, written as fixed SQL)
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import downgrade, upgrade

AT = "2026-03-02 09:00:00"

OLD_ROWS = [
    "INSERT INTO communes (id, insee, name, created_at) VALUES "
    f"(1, '42218', 'Saint-Étienne', '{AT}'), (2, '42095', 'Firminy', '{AT}')",
    "INSERT INTO schools (id, uai, name, commune_id, sector, created_at) VALUES "
    f"(10, '0429901J', 'Soleil', 1, 'public', '{AT}'),"
    f"(11, '0429903L', 'Sainte-Marie', 1, 'private', '{AT}'),"
    f"(12, '0429907R', 'Forges', 2, 'public', '{AT}')",
    "INSERT INTO people (id, telegram_user_id, chat_id, full_name, role, school_id, commune_id,"
    " language, active, created_at) VALUES "
    f"(100, 5001, 5001, 'Teacher', 'teacher', 10, NULL, 'fr', true, '{AT}'),"
    f"(101, 5002, 5002, 'Agent SE', 'commune', NULL, 1, 'fr', true, '{AT}'),"
    f"(102, 5003, 5003, 'Agent Firminy', 'commune', NULL, 2, 'en', false, '{AT}'),"
    f"(103, 5004, 5004, 'Staff', 'staff', NULL, NULL, 'fr', true, '{AT}')",
    "INSERT INTO invitations (id, code_hash, hint, role, school_id, commune_id, created_at,"
    " expires_at) VALUES "
    f"(1, 'h1', 'K7QX', 'commune', NULL, 2, '{AT}', '{AT}'),"
    f"(2, 'h2', 'M2PD', 'teacher', 10, NULL, '{AT}', '{AT}')",
    "INSERT INTO tickets (id, number, kind, state, reporter_id, school_id, commune_id,"
    " created_at, updated_at) VALUES "
    f"(1, 'S-2026-0001', 'claim', 'reported', 100, 10, 1, '{AT}', '{AT}'),"
    f"(2, 'S-2026-0002', 'claim', 'reported', 101, 11, 1, '{AT}', '{AT}'),"
    f"(3, 'S-2026-0003', 'claim', 'reported', 102, 12, 2, '{AT}', '{AT}')",
    "INSERT INTO claims (ticket_id, kind, discovered_at, description) VALUES "
    f"(1, 'theft', '{AT}', 'vol'), (2, 'loss', '{AT}', 'perte'), (3, 'damage', '{AT}', 'casse')",
    "INSERT INTO reminders (id, key, kind, ticket_id, audience, payload, due_at,"
    " next_attempt_at, state, attempts, created_at) VALUES "
    f"(1, 'k1', 'claim.duties.reminder', 1, 'commune', '{{}}', '{AT}', '{AT}', 'pending', 0,"
    f" '{AT}'),"
    f"(2, 'k2', 'claim.pledge.reminder', 2, 'commune', '{{\"n\": 1}}', '{AT}', '{AT}', 'sent',"
    f" 1, '{AT}')",
    "INSERT INTO message_refs (chat_id, message_id, ticket_id, created_at) VALUES "
    f"(5002, 77, 2, '{AT}'), (5001, 78, 1, '{AT}')",
]


async def _rows(engine: AsyncEngine, query: str) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        return [tuple(row) for row in (await conn.execute(text(query))).all()]


async def _old_database(engine: AsyncEngine) -> None:
    await downgrade(engine, "0003")
    async with engine.begin() as conn:
        for statement in OLD_ROWS:
            await conn.execute(text(statement))


async def test_every_commune_gets_its_own_body(engine: AsyncEngine) -> None:
    await _old_database(engine)
    await upgrade(engine)
    assert await _rows(
        engine, "SELECT code, name, kind, commune_id FROM bodies ORDER BY commune_id"
    ) == [
        ("commune:42218", "Saint-Étienne", "commune", 1),
        ("commune:42095", "Firminy", "commune", 2),
    ]


async def test_schools_public_and_private_start_under_their_communes_body(
    engine: AsyncEngine,
) -> None:
    await _old_database(engine)
    await upgrade(engine)
    assert await _rows(
        engine,
        "SELECT schools.uai, bodies.code FROM schools JOIN bodies ON bodies.id = schools.body_id"
        " ORDER BY schools.id",
    ) == [
        ("0429901J", "commune:42218"),
        ("0429903L", "commune:42218"),
        ("0429907R", "commune:42095"),
    ]


async def test_agents_and_their_invitations_work_for_their_communes_body(
    engine: AsyncEngine,
) -> None:
    await _old_database(engine)
    await upgrade(engine)
    people = await _rows(
        engine,
        "SELECT people.id, people.role, people.commune_id, people.active, bodies.code"
        " FROM people LEFT JOIN bodies ON bodies.id = people.body_id ORDER BY people.id",
    )
    assert [(p[0], p[1], p[2], bool(p[3]), p[4]) for p in people] == [
        (100, "teacher", None, True, None),
        (101, "commune", 1, True, "commune:42218"),
        (102, "commune", 2, False, "commune:42095"),
        (103, "staff", None, True, None),
    ]
    assert await _rows(
        engine,
        "SELECT invitations.id, bodies.code FROM invitations"
        " LEFT JOIN bodies ON bodies.id = invitations.body_id ORDER BY invitations.id",
    ) == [(1, "commune:42095"), (2, None)]


async def test_tickets_reminders_and_message_references_are_all_kept(
    engine: AsyncEngine,
) -> None:
    await _old_database(engine)
    await upgrade(engine)
    assert await _rows(
        engine,
        "SELECT tickets.number, tickets.commune_id, bodies.code FROM tickets"
        " JOIN bodies ON bodies.id = tickets.body_id ORDER BY tickets.id",
    ) == [
        ("S-2026-0001", 1, "commune:42218"),
        ("S-2026-0002", 1, "commune:42218"),
        ("S-2026-0003", 2, "commune:42095"),
    ]
    assert await _rows(engine, "SELECT ticket_id, kind FROM claims ORDER BY ticket_id") == [
        (1, "theft"),
        (2, "loss"),
        (3, "damage"),
    ]
    assert await _rows(
        engine, "SELECT id, key, ticket_id, audience, state FROM reminders ORDER BY id"
    ) == [
        (1, "k1", 1, "commune", "pending"),
        (2, "k2", 2, "commune", "sent"),
    ]
    assert await _rows(
        engine, "SELECT chat_id, message_id, ticket_id FROM message_refs ORDER BY message_id"
    ) == [(5002, 77, 2), (5001, 78, 1)]


async def test_the_upgrade_can_be_undone_without_losing_the_old_rows(engine: AsyncEngine) -> None:
    await _old_database(engine)
    await upgrade(engine)
    await downgrade(engine, "0003")
    assert await _rows(engine, "SELECT COUNT(*) FROM tickets") == [(3,)]
    assert await _rows(engine, "SELECT COUNT(*) FROM people") == [(4,)]
    await upgrade(engine)
    assert await _rows(engine, "SELECT COUNT(*) FROM bodies") == [(2,)]
