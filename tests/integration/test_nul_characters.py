"""A NUL character that slipped past the front ends' checks does not fail a write on
PostgreSQL (its text cannot hold one): it is dropped."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import AuditEntry
from storage.uow import Database


async def test_a_nul_in_a_written_text_is_dropped_not_a_failure(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.uow() as uow:
            uow.audit(
                at=datetime(2026, 3, 2, tzinfo=UTC),
                actor_id=None,
                action="test.nul",
                object_type="te\x00st",
                object_id="a\x00b",
            )
            await uow.commit()
        async with db.uow() as uow:
            entry = await uow.session.scalar(
                select(AuditEntry).where(AuditEntry.action == "test.nul")
            )
        assert entry is not None
        if db.dialect == "postgresql":
            assert (entry.object_type, entry.object_id) == ("test", "ab")
        else:  # SQLite keeps it as it is
            assert entry.object_id == "a\x00b"
    finally:
        await db.close()
