"""The migrations build the schema the models describe, and can be undone."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import downgrade, upgrade
from storage.models import Base


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    return names - {"alembic_version"}


async def test_migrated_database_has_every_table_of_the_models(engine: AsyncEngine) -> None:
    assert await _tables(engine) == set(Base.metadata.tables)


async def test_downgrade_to_base_then_upgrade_again(engine: AsyncEngine) -> None:
    await downgrade(engine, "base")
    assert await _tables(engine) == set()
    await upgrade(engine)
    assert await _tables(engine) == set(Base.metadata.tables)


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    """Autogenerate finds nothing to add: a model change without its migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def _diff(sync_conn):  # type: ignore[no-untyped-def]
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": False})
        return compare_metadata(ctx, Base.metadata)

    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []
