"""The guard's read of the person behind an update is kept, and dropped by every write
that changes it (decision 0087): a registration, a language, a role, a scope, a
deactivation are seen on the very next update, whichever engine of the process wrote
them and however (ORM, Core, plain SQL); a write of another process is seen once the
kept read expires."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select, text, update

from bot.domain.platforms import TELEGRAM
from bot.services import registration
from bot.services.directory import seed_demo
from storage.models import Person, PlatformAccount, ResponsibleBody
from storage.uow import Database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    assert await seed_demo(database, now=NOW)
    yield database
    await database.close()


async def _someone(db: Database) -> tuple[int, int]:
    """A demo person's id and Telegram user id."""
    async with db.uow() as uow:
        account = (
            await uow.session.scalars(
                select(PlatformAccount).where(PlatformAccount.platform == TELEGRAM)
            )
        ).first()
    assert account is not None
    return account.person_id, account.external_user_id


def _counting(db: Database) -> list[str]:
    reads: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def seen(_c: object, _k: object, statement: str, *_rest: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "accounts" in statement:
            reads.append(statement)

    return reads


async def test_a_second_update_reads_nothing_and_every_change_is_seen_at_once(
    db: Database, database_url: str
) -> None:
    person_id, user = await _someone(db)
    reads = _counting(db)
    first = await registration.find_actor(db, TELEGRAM, user)
    assert first is not None and first.id == person_id
    again = await registration.find_actor(db, TELEGRAM, user)
    assert again == first and len(reads) == 1  # the second update did not ask the database

    # The language, through the service: seen on the next update.
    await registration.set_language(db, person_id=person_id, language="en", now=NOW)
    changed = await registration.find_actor(db, TELEGRAM, user)
    assert changed is not None and changed.language == "en"

    # The role and the scope, by a bulk ORM statement of another engine of the process.
    other = Database(database_url)
    try:
        async with other.uow() as uow:
            await uow.session.execute(
                update(Person).where(Person.id == person_id).values(role="staff", school_id=None)
            )
            await uow.commit()
    finally:
        await other.close()
    staff = await registration.find_actor(db, TELEGRAM, user)
    assert staff is not None and staff.role == "staff" and staff.school_id is None

    # A deactivation in plain SQL, on a connection of its own.
    async with db.engine.begin() as connection:
        await connection.execute(
            text("UPDATE people SET active = false WHERE id = :id"), {"id": person_id}
        )
    gone = await registration.find_actor(db, TELEGRAM, user)
    assert gone is not None and not gone.active

    # A body's kind (an agent's wording).
    async with db.uow() as uow:
        body = (await uow.session.scalars(select(ResponsibleBody))).first()
        assert body is not None
        await uow.session.execute(
            update(Person).where(Person.id == person_id).values(body_id=body.id)
        )
        await uow.commit()
        kind = body.kind
    agent = await registration.find_actor(db, TELEGRAM, user)
    assert agent is not None and agent.body_id is not None and agent.body_kind == kind


async def test_a_stranger_is_known_as_soon_as_registered(db: Database) -> None:
    stranger = 777_000_123
    assert await registration.find_actor(db, TELEGRAM, stranger) is None
    async with db.uow() as uow:
        newcomer = Person(
            full_name="Nouvelle Personne",
            role="teacher",
            language="fr",
            active=True,
            created_at=NOW,
            accounts=[
                PlatformAccount(
                    platform=TELEGRAM, external_user_id=stranger, chat_id=stranger, created_at=NOW
                )
            ],
        )
        uow.session.add(newcomer)
        await uow.commit()
    known = await registration.find_actor(db, TELEGRAM, stranger)
    assert known is not None and known.id == newcomer.id


async def test_a_read_made_before_a_commit_is_not_kept(db: Database) -> None:
    """A read between the write and its commit saw the old row: it is not kept."""
    person_id, user = await _someone(db)
    async with db.uow() as uow:
        await uow.session.execute(
            update(Person).where(Person.id == person_id).values(language="en")
        )
        meanwhile = await registration.find_actor(db, TELEGRAM, user)  # the old row
        await uow.commit()
    assert meanwhile is not None
    after = await registration.find_actor(db, TELEGRAM, user)
    assert after is not None and after.language == "en"


async def test_another_process_change_is_seen_once_the_kept_read_expires(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    person_id, user = await _someone(db)
    assert await registration.find_actor(db, TELEGRAM, user) is not None
    # Another process (pne-bot admin) is not seen by this one's listeners: played here by
    # forgetting what was counted.
    before = registration.watch._generation
    async with db.engine.begin() as connection:
        await connection.execute(
            text("UPDATE people SET language = 'en' WHERE id = :id"), {"id": person_id}
        )
    registration.watch._generation = before  # as if written elsewhere
    kept = await registration.find_actor(db, TELEGRAM, user)
    assert kept is not None and kept.language == "fr"  # within the TTL: the kept read
    clock = registration.time.monotonic() + registration.ACTOR_TTL + 1
    monkeypatch.setattr(registration.time, "monotonic", lambda: clock)
    fresh = await registration.find_actor(db, TELEGRAM, user)
    assert fresh is not None and fresh.language == "en"
