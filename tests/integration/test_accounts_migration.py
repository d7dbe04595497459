"""Revision 0006 moves every person's ids to their platform accounts and tags message
references, attachments and wrong-code counters with Telegram, losing nothing written by
the old schema; undone, it puts the ids back (SQLite and PostgreSQL)."""

# ruff: noqa: S608 (the old schema's rows, written as fixed SQL)
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import downgrade, upgrade

AT = "2026-03-02 09:00:00"

OLD_ROWS = [
    "INSERT INTO communes (id, insee, name, created_at) VALUES (1, '42218', 'Saint-Étienne',"
    f" '{AT}')",
    "INSERT INTO bodies (id, code, name, kind, commune_id, created_at) VALUES"
    f" (1, 'commune:42218', 'Saint-Étienne', 'commune', 1, '{AT}')",
    "INSERT INTO schools (id, uai, name, commune_id, body_id, sector, created_at) VALUES "
    f"(10, '0429901J', 'Soleil', 1, 1, 'public', '{AT}')",
    "INSERT INTO people (id, telegram_user_id, discord_user_id, chat_id, full_name, username,"
    " role, school_id, commune_id, body_id, language, active, created_at) VALUES "
    f"(100, 5001, NULL, 5001, 'Teacher', 'prof', 'teacher', 10, NULL, NULL, 'fr', true,"
    f" '{AT}'),"
    f"(101, 5002, NULL, 5002, 'Agent SE', NULL, 'commune', NULL, 1, 1, 'fr', true, '{AT}'),"
    f"(102, 5003, NULL, NULL, 'Never wrote', NULL, 'staff', NULL, NULL, NULL, 'en', true,"
    f" '{AT}'),"
    f"(103, 5004, 9004, 5004, 'Both', NULL, 'staff', NULL, NULL, NULL, 'fr', false, '{AT}'),"
    f"(104, NULL, 9005, NULL, 'Discord only', NULL, 'teacher', 10, NULL, NULL, 'fr', true,"
    f" '{AT}')",
    "INSERT INTO invitations (id, code_hash, hint, role, school_id, created_at, expires_at,"
    f" used_at, used_by_id) VALUES (1, 'h1', 'K7QX', 'teacher', 10, '{AT}', '{AT}', '{AT}', 100)",
    "INSERT INTO code_attempts (telegram_user_id, failures, last_failure_at, locked_until)"
    f" VALUES (7001, 3, '{AT}', '{AT}'), (7002, 1, '{AT}', NULL)",
    "INSERT INTO tickets (id, number, kind, state, reporter_id, school_id, commune_id, body_id,"
    " created_at, updated_at) VALUES "
    f"(1, 'S-2026-0001', 'claim', 'reported', 100, 10, 1, 1, '{AT}', '{AT}'),"
    f"(2, 'S-2026-0002', 'claim', 'declared', 100, 10, 1, 1, '{AT}', '{AT}')",
    "INSERT INTO claims (ticket_id, kind, discovered_at, description) VALUES "
    f"(1, 'theft', '{AT}', 'vol'), (2, 'loss', '{AT}', 'perte')",
    "INSERT INTO reminders (id, key, kind, ticket_id, audience, person_id, payload, due_at,"
    " next_attempt_at, state, attempts, created_at) VALUES "
    f"(1, 'k1', 'claim.duties.reminder', 1, 'commune', NULL, '{{}}', '{AT}', '{AT}',"
    f" 'pending', 0, '{AT}'),"
    f"(2, 'k2', 'claim.pledge.reminder', 2, 'person', 101, '{{\"n\": 1}}', '{AT}', '{AT}',"
    f" 'sent', 1, '{AT}')",
    "INSERT INTO message_refs (chat_id, message_id, ticket_id, created_at) VALUES "
    f"(5002, 77, 2, '{AT}'), (5001, 78, 1, '{AT}'), (-100123, 77, 1, '{AT}')",
    "INSERT INTO attachments (id, ticket_id, kind, purpose, file_id, file_unique_id,"
    " file_name, mime_type, caption, uploaded_by_id, created_at) VALUES "
    f"(1, 1, 'photo', 'evidence', 'AgAC-1', 'U1', NULL, NULL, NULL, 100, '{AT}'),"
    f"(2, 2, 'document', 'pledge', 'BQAC-2', 'U2', 'devis.pdf', 'application/pdf', 'devis',"
    f" 101, '{AT}')",
]

PEOPLE = [
    (100, "Teacher", "prof", "teacher", 10, None, None, "fr", True, "telegram"),
    (101, "Agent SE", None, "commune", None, 1, 1, "fr", True, "telegram"),
    (102, "Never wrote", None, "staff", None, None, None, "en", True, "telegram"),
    (103, "Both", None, "staff", None, None, None, "fr", False, "telegram"),
    (104, "Discord only", None, "teacher", 10, None, None, "fr", True, "discord"),
]

ACCOUNTS = [
    (100, "telegram", 5001, 5001),
    (101, "telegram", 5002, 5002),
    (102, "telegram", 5003, None),
    (103, "discord", 9004, None),
    (103, "telegram", 5004, 5004),
    (104, "discord", 9005, None),
]

OLD_PEOPLE = [
    (100, 5001, None, 5001),
    (101, 5002, None, 5002),
    (102, 5003, None, None),
    (103, 5004, 9004, 5004),
    (104, None, 9005, None),
]


async def _rows(engine: AsyncEngine, query: str) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        return [tuple(row) for row in (await conn.execute(text(query))).all()]


async def _old_database(engine: AsyncEngine) -> None:
    await downgrade(engine, "0005")
    async with engine.begin() as conn:
        for statement in OLD_ROWS:
            await conn.execute(text(statement))


async def _people(engine: AsyncEngine) -> list[tuple[object, ...]]:
    rows = await _rows(
        engine,
        "SELECT id, full_name, username, role, school_id, commune_id, body_id, language,"
        " active, preferred_platform FROM people ORDER BY id",
    )
    return [(*row[:8], bool(row[8]), row[9]) for row in rows]


async def test_every_person_keeps_their_ids_as_platform_accounts(engine: AsyncEngine) -> None:
    await _old_database(engine)
    await upgrade(engine)
    assert await _people(engine) == PEOPLE
    assert (
        await _rows(
            engine,
            "SELECT person_id, platform, external_user_id, chat_id FROM accounts"
            " ORDER BY person_id, platform",
        )
        == ACCOUNTS
    )


async def test_tickets_reminders_message_references_and_attachments_are_kept_as_telegrams(
    engine: AsyncEngine,
) -> None:
    await _old_database(engine)
    await upgrade(engine)
    assert await _rows(engine, "SELECT id, used_by_id, person_id FROM invitations") == [
        (1, 100, None)
    ]
    assert await _rows(engine, "SELECT id, number, reporter_id FROM tickets ORDER BY id") == [
        (1, "S-2026-0001", 100),
        (2, "S-2026-0002", 100),
    ]
    assert await _rows(
        engine, "SELECT id, key, ticket_id, audience, person_id, state FROM reminders ORDER BY id"
    ) == [(1, "k1", 1, "commune", None, "pending"), (2, "k2", 2, "person", 101, "sent")]
    assert await _rows(
        engine,
        "SELECT platform, chat_id, message_id, ticket_id FROM message_refs"
        " ORDER BY chat_id, message_id",
    ) == [
        ("telegram", -100123, 77, 1),
        ("telegram", 5001, 78, 1),
        ("telegram", 5002, 77, 2),
    ]
    assert await _rows(
        engine,
        "SELECT id, ticket_id, platform, kind, purpose, file_id, file_unique_id, file_name,"
        " caption, uploaded_by_id FROM attachments ORDER BY id",
    ) == [
        (1, 1, "telegram", "photo", "evidence", "AgAC-1", "U1", None, None, 100),
        (2, 2, "telegram", "document", "pledge", "BQAC-2", "U2", "devis.pdf", "devis", 101),
    ]
    attempts = await _rows(
        engine,
        "SELECT platform, external_user_id, failures, locked_until IS NOT NULL"
        " FROM code_attempts ORDER BY external_user_id",
    )
    assert [(p, u, f, bool(locked)) for p, u, f, locked in attempts] == [
        ("telegram", 7001, 3, True),
        ("telegram", 7002, 1, False),
    ]


async def test_the_same_message_id_may_be_remembered_on_two_platforms(
    engine: AsyncEngine,
) -> None:
    await _old_database(engine)
    await upgrade(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO message_refs (platform, chat_id, message_id, ticket_id, created_at)"
                f" VALUES ('discord', 5002, 77, 1, '{AT}')"
            )
        )
    assert await _rows(
        engine,
        "SELECT platform, ticket_id FROM message_refs WHERE message_id = 77 AND"
        " chat_id = 5002 ORDER BY platform",
    ) == [("discord", 1), ("telegram", 2)]


async def test_the_upgrade_can_be_undone_and_done_again_without_loss(
    engine: AsyncEngine,
) -> None:
    await _old_database(engine)
    await upgrade(engine)
    await downgrade(engine, "0005")
    assert (
        await _rows(
            engine,
            "SELECT id, telegram_user_id, discord_user_id, chat_id FROM people ORDER BY id",
        )
        == OLD_PEOPLE
    )
    assert await _rows(
        engine, "SELECT chat_id, message_id, ticket_id FROM message_refs ORDER BY chat_id"
    ) == [(-100123, 77, 1), (5001, 78, 1), (5002, 77, 2)]
    assert await _rows(engine, "SELECT id, file_id FROM attachments ORDER BY id") == [
        (1, "AgAC-1"),
        (2, "BQAC-2"),
    ]
    assert await _rows(
        engine, "SELECT telegram_user_id, failures FROM code_attempts ORDER BY telegram_user_id"
    ) == [(7001, 3), (7002, 1)]
    assert await _rows(engine, "SELECT COUNT(*) FROM tickets") == [(2,)]
    assert await _rows(engine, "SELECT COUNT(*) FROM reminders") == [(2,)]
    assert await _rows(engine, "SELECT id, used_by_id FROM invitations") == [(1, 100)]

    await upgrade(engine)
    assert await _people(engine) == PEOPLE
    assert (
        await _rows(
            engine,
            "SELECT person_id, platform, external_user_id, chat_id FROM accounts"
            " ORDER BY person_id, platform",
        )
        == ACCOUNTS
    )
    assert await _rows(engine, "SELECT COUNT(*) FROM message_refs") == [(3,)]
    assert await _rows(engine, "SELECT COUNT(*) FROM attachments WHERE platform = 'telegram'") == [
        (2,)
    ]
