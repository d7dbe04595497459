"""Apply the Alembic migrations, from the CLI (``pne-bot migrate``), at start-up and in tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str = "") -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


Step = Callable[[Connection], None]


def _without_sqlite_foreign_keys(step: Step) -> Step:
    """On SQLite, run ``step`` with the foreign keys off, then check them.

    Batch mode changes a SQLite table by copying it into a new one and dropping the old:
    with foreign keys on, dropping a table that other rows reference fails (revision 0004
    changes ``schools`` and ``tickets``). SQLite reads the pragma only outside a
    transaction, so it is set before the migration's transaction starts; the migration
    then fails if it left any dangling reference (``PRAGMA foreign_key_check``), and the
    pragma is set back on for the pooled connection.
    """

    def run(connection: Connection) -> None:
        if connection.dialect.name != "sqlite":
            with connection.begin():
                step(connection)
            return
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            with connection.begin():
                step(connection)
                dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if dangling:
                    raise RuntimeError(f"migration left dangling references: {dangling[:5]}")
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()

    return run


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database of ``engine`` up to ``revision`` (inside a running event loop)."""

    def _upgrade(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with engine.connect() as connection:
        await connection.run_sync(_without_sqlite_foreign_keys(_upgrade))


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    def _downgrade(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)

    async with engine.connect() as connection:
        await connection.run_sync(_without_sqlite_foreign_keys(_downgrade))
