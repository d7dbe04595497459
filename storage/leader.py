"""Which of several ``pne-bot run`` on one PostgreSQL receives the messages (decision 0076).

The leader holds a session-level advisory lock on a connection of its own, opened outside
the engine's pool and kept for as long as it leads. PostgreSQL releases the lock when that
session ends: the process exited or was killed (its socket closes at once), or its host
went silent (the server's TCP keepalives, set on the connection, notice it within about
``KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT`` seconds). The leader checks its
connection every few seconds; when the check fails, it must stop receiving at once, since
another instance may now hold the lock.

SQLite has no such lock, and needs none: one instance only (``for_url`` returns None).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# The advisory lock's key: « pne-bot » read as a 7-byte big-endian number. Constant, so
# that every instance of every version competes for the same lock.
LEADER_LOCK_KEY = int.from_bytes(b"pne-bot", "big")
# The server's keepalives on the lock's connection (seconds): a dead client host is noticed
# after about 10 + 5 × 3 = 25 s, and its lock released.
KEEPALIVE_IDLE = 10
KEEPALIVE_INTERVAL = 5
KEEPALIVE_COUNT = 3


class LeaderLock:
    """The advisory lock on its dedicated connection; one per process.

    ``check_timeout`` bounds each query on that connection: a server that does not answer
    in time counts as lost (the lock may be gone with it).
    """

    def __init__(self, url: str, *, key: int = LEADER_LOCK_KEY, check_timeout: float = 5.0):
        self.key = key
        self.check_timeout = check_timeout
        self._engine: AsyncEngine = create_async_engine(
            url,
            poolclass=NullPool,  # never a pooled session: this one lives as long as the lead
            isolation_level="AUTOCOMMIT",  # no transaction held open for hours
            connect_args=_keepalives(url),
        )
        self._conn: AsyncConnection | None = None

    @property
    def held(self) -> bool:
        """True while this process holds the lock (as far as it last checked)."""
        return self._conn is not None

    async def try_acquire(self) -> bool:
        """Take the lock if no other session holds it; False otherwise (or on any error:
        the next try opens a new connection)."""
        if self._conn is not None:
            return True
        conn: AsyncConnection | None = None
        try:
            conn = await asyncio.wait_for(self._engine.connect(), self.check_timeout)
            result = await asyncio.wait_for(
                conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}),
                self.check_timeout,
            )
            if result.scalar_one():
                self._conn, conn = conn, None
                return True
            return False
        except Exception as exc:  # the database is away: a later try will tell
            log.warning("verrou de l'instance principale : essai impossible (%s)", _short(exc))
            return False
        finally:
            if conn is not None:
                await _close(conn, self.check_timeout)

    async def check(self) -> bool:
        """The lock's connection still answers (then the session, and the lock, live).

        A failed check lets go of the connection: the lock is to be taken again."""
        if self._conn is None:
            return False
        try:
            await asyncio.wait_for(self._conn.execute(text("SELECT 1")), self.check_timeout)
            return True
        except Exception as exc:
            log.error("verrou de l'instance principale perdu (%s)", _short(exc))
            conn, self._conn = self._conn, None
            await _close(conn, self.check_timeout)
            return False

    async def watch(self, every: float) -> None:
        """Return as soon as a check every ``every`` seconds fails."""
        while True:
            if not await self.check():
                return
            await asyncio.sleep(every)

    async def release(self) -> None:
        """Unlock and close (closing alone would release it too)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(Exception):
                await asyncio.wait_for(
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key}),
                    self.check_timeout,
                )
            await _close(conn, self.check_timeout)

    async def close(self) -> None:
        await self.release()
        await self._engine.dispose()


def for_url(url: str, *, check_timeout: float = 5.0) -> LeaderLock | None:
    """The lock for this database, or None on SQLite (one instance, no lock)."""
    if make_url(url).get_backend_name() != "postgresql":
        return None
    return LeaderLock(url, check_timeout=check_timeout)


def _keepalives(url: str) -> dict[str, object]:
    """The server-side TCP keepalives of the lock's session (asyncpg's server settings)."""
    if make_url(url).get_driver_name() != "asyncpg":
        return {}
    return {
        "server_settings": {
            "tcp_keepalives_idle": str(KEEPALIVE_IDLE),
            "tcp_keepalives_interval": str(KEEPALIVE_INTERVAL),
            "tcp_keepalives_count": str(KEEPALIVE_COUNT),
            "application_name": "pne-bot leader lock",
        }
    }


async def _close(conn: AsyncConnection, seconds: float) -> None:
    """Close, or drop, a connection that may be dead (a dead host would hang a close)."""
    try:
        await asyncio.wait_for(conn.close(), seconds)
    except Exception:
        with suppress(Exception):
            await conn.invalidate()


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
