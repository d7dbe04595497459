"""One engine per process, created at start-up and disposed of at shutdown."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; SQLite gets foreign keys, WAL and a busy timeout.

    PostgreSQL: every pooled connection is checked before use (``pool_pre_ping``): after
    the database server restarted, the dead connections of the pool are replaced instead
    of failing the next update or sweep (``connection is closed``). SQLite is a file
    opened by this process: there is no server to restart, and the check would cost every
    session a round trip to aiosqlite's thread (decision 0086).

    SQLite commits with ``synchronous=NORMAL`` under WAL (decision 0086): a commit no
    longer waits for the disk; on a power loss the last transactions may be lost, the file
    is never corrupted."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = _create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    if engine.dialect.name == "postgresql":
        # PostgreSQL's text cannot hold a NUL character: one that slipped past the front
        # ends' checks (bot.domain.ids) is dropped rather than failing the whole write.
        @event.listens_for(engine.sync_engine, "before_cursor_execute", retval=True)
        def _without_nul(
            _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
        ) -> tuple[str, Any]:
            if many and isinstance(parameters, list):
                return statement, [_cleaned(p) for p in parameters]
            return statement, _cleaned(parameters)

    return engine


def _cleaned(parameters: Any) -> Any:
    def clean(value: Any) -> Any:
        return value.replace("\x00", "") if isinstance(value, str) and "\x00" in value else value

    if isinstance(parameters, dict):
        return {key: clean(value) for key, value in parameters.items()}
    if isinstance(parameters, tuple | list):
        return type(parameters)(clean(value) for value in parameters)
    return parameters


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
