"""``/healthz``: the database answers and the deadlines' sweep is not late."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from bot.services import reminders
from bot.services.reminders import Renderers
from storage.uow import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Health:
    ok: bool
    database: str  # "ok" or the failure's type
    sweep: str  # "ok", "late" or "unknown" (the database did not answer)
    late_seconds: float  # how long the oldest deadline's reminder has been due (0: none)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "failing",
            "database": self.database,
            "sweep": self.sweep,
            "late_seconds": round(self.late_seconds, 1),
        }


def decide(
    now: datetime,
    *,
    database_error: str | None,
    oldest_due: datetime | None,
    max_lag: timedelta,
) -> Health:
    """Healthy when the database answered and no deadline's reminder has been due for
    more than ``max_lag`` (one exactly that late is still fine)."""
    if database_error is not None:
        return Health(False, database_error, "unknown", 0.0)
    late = max((now - oldest_due).total_seconds(), 0.0) if oldest_due is not None else 0.0
    if late > max_lag.total_seconds():
        return Health(False, "ok", "late", late)
    return Health(True, "ok", "ok", late)


async def check(db: Database, renderers: Renderers, *, now: datetime, max_lag: timedelta) -> Health:
    """Ask the database (``SELECT 1``, then the oldest due deadline's reminder)."""
    try:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        oldest = await reminders.oldest_due(db, renderers, now=now)
    except Exception as exc:
        log.warning("health: the database did not answer: %s", type(exc).__name__)
        return decide(now, database_error=type(exc).__name__, oldest_due=None, max_lag=max_lag)
    return decide(now, database_error=None, oldest_due=oldest, max_lag=max_lag)
