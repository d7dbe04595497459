"""The leader lock (decision 0076): one holder per database, released with its session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from storage import leader
from storage.db import create_engine


@pytest.fixture
async def locks(database_url: str) -> AsyncIterator[tuple[leader.LeaderLock, leader.LeaderLock]]:
    if database_url.startswith("sqlite"):
        assert leader.for_url(database_url) is None  # SQLite: one instance, no lock
        pytest.skip("the leader lock is PostgreSQL's")
    first, second = leader.for_url(database_url), leader.for_url(database_url)
    assert first is not None and second is not None
    yield first, second
    await first.close()
    await second.close()


async def test_one_holder_at_a_time_and_the_next_after_a_release(
    locks: tuple[leader.LeaderLock, leader.LeaderLock],
) -> None:
    first, second = locks
    assert await first.try_acquire()
    assert await first.try_acquire()  # held: asking again changes nothing
    assert not await second.try_acquire()
    assert await first.check() and first.held
    await first.release()
    assert not first.held
    assert await second.try_acquire()
    assert not await first.try_acquire()


async def test_a_lost_session_loses_the_lock_and_the_other_takes_it(
    database_url: str, locks: tuple[leader.LeaderLock, leader.LeaderLock]
) -> None:
    first, second = locks
    assert await first.try_acquire()
    assert not await second.try_acquire()
    # The server ends the leader's session, as it does when the process died or its host
    # went silent: the lock is released with it.
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            ended = await conn.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND objid = :low AND classid = :high"
                ),
                {"low": leader.LEADER_LOCK_KEY & 0xFFFFFFFF, "high": leader.LEADER_LOCK_KEY >> 32},
            )
            assert ended == 1
    finally:
        await admin.dispose()
    assert await second.try_acquire()
    assert not await first.check()  # the old leader learns it at its next check
    assert not first.held
    assert not await first.try_acquire()  # and waits, now


async def test_the_lock_sits_on_a_connection_of_its_own_with_keepalives(
    database_url: str, locks: tuple[leader.LeaderLock, leader.LeaderLock]
) -> None:
    first, _ = locks
    assert await first.try_acquire()
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT a.application_name, a.state FROM pg_locks l"
                        " JOIN pg_stat_activity a ON a.pid = l.pid"
                        " WHERE l.locktype = 'advisory' AND l.objid = :low"
                    ),
                    {"low": leader.LEADER_LOCK_KEY & 0xFFFFFFFF},
                )
            ).one()
    finally:
        await admin.dispose()
    # Named for the operator, and idle between checks (no transaction held for hours).
    assert row.application_name == "pne-bot leader lock"
    assert row.state == "idle"
