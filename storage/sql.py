"""SQL that differs between the two databases we run on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession


def insert_ignoring_duplicates(
    session: AsyncSession, table: Any, values: dict[str, Any], *, conflict: list[str]
) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING``: a concurrent insert of the same key is absorbed."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(values).on_conflict_do_nothing(index_elements=conflict)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).values(values).on_conflict_do_nothing(index_elements=conflict)
    return insert(table).values(values)  # pragma: no cover - only SQLite and PostgreSQL


def insert_many_ignoring_duplicates(
    session: AsyncSession, table: Any, rows: list[dict[str, Any]], *, conflict: list[str]
) -> Any:
    """One ``INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING`` for many rows."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(rows).on_conflict_do_nothing(index_elements=conflict)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).values(rows).on_conflict_do_nothing(index_elements=conflict)
    return insert(table).values(rows)  # pragma: no cover - only SQLite and PostgreSQL


def upsert_many(
    session: AsyncSession,
    table: Any,
    rows: list[dict[str, Any]],
    *,
    conflict: list[str],
    replace: list[str],
) -> Any:
    """One ``INSERT … VALUES (…), (…) ON CONFLICT (conflict) DO UPDATE SET replace = …``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(table).values(rows)
        return pg.on_conflict_do_update(
            index_elements=conflict, set_={name: pg.excluded[name] for name in replace}
        )
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite = sqlite_insert(table).values(rows)
        return lite.on_conflict_do_update(
            index_elements=conflict, set_={name: lite.excluded[name] for name in replace}
        )
    raise NotImplementedError(dialect)  # pragma: no cover - only SQLite and PostgreSQL
