"""The database restarting under the bot: its pooled connections die with the server, and
the next unit of work must get a live one (checked before use), not ``connection is
closed``. A restart is played by closing every other session server-side
(``pg_terminate_backend``), as a restart does to them."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from storage.models import Person
from storage.uow import Database

pytestmark = pytest.mark.postgres


async def test_a_unit_of_work_after_the_server_dropped_the_pooled_connections(
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to restart")
    db = Database(database_url)
    killer = Database(database_url)
    try:
        async with db.uow() as uow:  # a connection now sits in the pool
            assert (await uow.session.scalars(select(Person.id).limit(1))).all() is not None
        async with killer.uow() as uow:
            ended = await uow.session.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        assert ended and ended >= 1
        async with db.uow() as uow:  # the dead pooled connection is replaced, not used
            assert await uow.session.scalar(text("SELECT 1")) == 1
    finally:
        await killer.close()
        await db.close()
