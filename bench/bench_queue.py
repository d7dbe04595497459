"""The staff's queue (``/file``) over 100,000 open tickets of every kind.

Fills a database with PNE_BENCH_OPEN (default 100000) open tickets (claims, collections,
AMI requests and notices) in 50 communes and 1,000 schools, a fifth without a deadline, a
tenth overdue, the rest due over the next year, a third assigned, and PNE_BENCH_CLOSED
(default 50000) closed ones (bulk ``executemany`` in chunks), on SQLite (a temporary file)
and on PostgreSQL when PNE_TEST_POSTGRES_URL is set (a scratch database). Then times the
queue's first page as ``/file`` asks for it (median of a few runs), a page deep in the
undated tickets, a page filtered by kind and state, and the filter keyboards' counts, and
compares the first page with the sort it replaces (every open ticket ordered on computed
keys: overdue first, undated last), run on the same data. Target: first page ≤ 50 ms.

Run by hand: ``make bench`` or ``python -m bench queue``.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, case, func, insert, select, text
from sqlalchemy.orm import aliased

from bot.services import tickets
from storage.migrate import upgrade
from storage.models import Commune, Person, ResponsibleBody, School, Ticket
from storage.uow import Database

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
OPEN = int(os.environ.get("PNE_BENCH_OPEN", "100000"))
CLOSED = int(os.environ.get("PNE_BENCH_CLOSED", "50000"))
COMMUNES = 50
SCHOOLS = 1_000
STAFF = 10
PER_PAGE = 8
CHUNK = 20_000
REPEATS = 7
TARGET_MS = 50.0
KINDS = (
    ("claim", "declared"),
    ("collection", "requested"),
    ("ami", "submitted"),
    ("notice", "open"),
)


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


async def _fill(db: Database) -> float:
    started = time.perf_counter()
    rng = random.Random(42)
    start = NOW - timedelta(days=3 * 365)
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(_table(Commune)),
            [
                {"id": i, "insee": f"{42000 + i}", "name": f"Commune {i:02d}", "created_at": start}
                for i in range(1, COMMUNES + 1)
            ],
        )
        await conn.execute(
            insert(_table(ResponsibleBody)),
            [
                {
                    "id": i,
                    "code": f"commune:{42000 + i}",
                    "name": f"Commune {i:02d}",
                    "kind": "commune",
                    "commune_id": i,
                    "created_at": start,
                }
                for i in range(1, COMMUNES + 1)
            ],
        )
        await conn.execute(
            insert(_table(School)),
            [
                {
                    "id": i,
                    "uai": f"{420000 + i:07d}A",
                    "name": f"École {i:04d}",
                    "commune_id": (i - 1) % COMMUNES + 1,
                    "body_id": (i - 1) % COMMUNES + 1,
                    "sector": "public",
                    "created_at": start,
                }
                for i in range(1, SCHOOLS + 1)
            ],
        )
        await conn.execute(
            insert(_table(Person)),
            [
                {
                    "id": i,
                    "full_name": f"Staff {i}",
                    "role": "staff",
                    "language": "fr",
                    "active": True,
                    "created_at": start,
                }
                for i in range(1, STAFF + 1)
            ],
        )
        rows: list[dict[str, Any]] = []
        for n in range(1, OPEN + CLOSED + 1):
            school = rng.randint(1, SCHOOLS)
            kind, state = KINDS[rng.randrange(len(KINDS))]
            created = start + timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
            closed = n > OPEN
            roll = rng.random()
            if closed or roll < 0.2:
                deadline = None
            elif roll < 0.3:
                deadline = NOW - timedelta(minutes=rng.randint(1, 60 * 24 * 60))
            else:
                deadline = NOW + timedelta(minutes=rng.randint(1, 60 * 24 * 365))
            rows.append(
                {
                    "id": n,
                    "number": f"T-{n:07d}",
                    "kind": kind,
                    "state": "closed" if closed else state,
                    "reporter_id": 1,
                    "school_id": school,
                    "commune_id": (school - 1) % COMMUNES + 1,
                    "body_id": (school - 1) % COMMUNES + 1,
                    "assignee_id": rng.randint(1, STAFF) if rng.random() < 0.33 else None,
                    "created_at": created,
                    "updated_at": created,
                    "closed_at": created + timedelta(days=3) if closed else None,
                    "next_deadline_at": deadline,
                }
            )
            if len(rows) == CHUNK:
                await conn.execute(insert(_table(Ticket)), rows)
                rows = []
        if rows:
            await conn.execute(insert(_table(Ticket)), rows)
        if db.engine.dialect.name == "postgresql":
            for name in ("communes", "bodies", "schools", "people", "tickets"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT MAX(id) FROM {name}))"
                    )
                )
    async with db.engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    return time.perf_counter() - started


async def _sorted_on_computed_keys(db: Database) -> None:
    """The first page as it was read before the partial index: every open ticket sorted on
    overdue first, undated last, then the deadline, the creation and the id."""
    deadline = Ticket.next_deadline_at
    overdue = case((deadline < NOW, 1), else_=0)
    assignee = aliased(Person)
    async with db.uow() as uow:
        await uow.session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.closed_at.is_(None))
        )
        await uow.session.execute(
            select(
                Ticket.id,
                Ticket.number,
                Ticket.kind,
                Ticket.state,
                School.name,
                Commune.name,
                Ticket.created_at,
                assignee.full_name,
                deadline,
                overdue,
                ResponsibleBody.kind,
            )
            .join(Commune, Commune.id == Ticket.commune_id)
            .join(ResponsibleBody, ResponsibleBody.id == Ticket.body_id)
            .outerjoin(School, School.id == Ticket.school_id)
            .outerjoin(assignee, assignee.id == Ticket.assignee_id)
            .where(Ticket.closed_at.is_(None))
            .order_by(overdue.desc(), deadline.is_(None), deadline, Ticket.created_at, Ticket.id)
            .limit(PER_PAGE)
        )


async def _median(run: Callable[[], Awaitable[object]]) -> float:
    await run()  # warm the caches
    timings = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        await run()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


async def _case(label: str, url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db.engine)
        filled = await _fill(db)
        rows, total = await tickets.queue(db, 1, now=NOW, per_page=PER_PAGE)
        if total != OPEN or len(rows) != PER_PAGE or not rows[0].overdue:
            raise AssertionError(f"the queue found {total} open tickets, expected {OPEN}")
        deep_page = (OPEN - OPEN // 10) // PER_PAGE  # among the undated tickets
        notices = tickets.QueueFilter(kind="notice", state="open")
        first = await _median(lambda: tickets.queue(db, 1, now=NOW, per_page=PER_PAGE))
        deep = await _median(
            lambda: tickets.queue(db, 1, now=NOW, page=deep_page, per_page=PER_PAGE)
        )
        kind = await _median(lambda: tickets.queue(db, 1, now=NOW, where=notices))
        overdue = await _median(
            lambda: tickets.queue(db, 1, now=NOW, where=tickets.QueueFilter(overdue_only=True))
        )
        states = await _median(lambda: tickets.states_of_open_tickets(db, 1))
        communes = await _median(lambda: tickets.communes_with_open_tickets(db, 1))
        before = await _median(lambda: _sorted_on_computed_keys(db))
    finally:
        await db.close()
    verdict = "met" if first <= TARGET_MS else "NOT met"
    print(f"  {label:<10} filled in {filled:.1f} s ({OPEN:,} open, {CLOSED:,} closed)", flush=True)
    print(
        f"  {label:<10} first page: {first:6.1f} ms (median of {REPEATS}; target ≤ "
        f"{TARGET_MS:.0f} ms: {verdict}); the sort it replaces: {before:6.1f} ms "
        f"(ratio {first / before:.3f})",
        flush=True,
    )
    print(
        f"  {label:<10} page {deep_page:,} (undated): {deep:6.1f} ms; notices open: "
        f"{kind:6.1f} ms; overdue only: {overdue:6.1f} ms; filter counts: states "
        f"{states:.1f} ms, communes {communes:.1f} ms",
        flush=True,
    )


@asynccontextmanager
async def _sqlite() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite+aiosqlite:///{Path(folder) / 'queue.sqlite3'}"


async def main() -> None:
    print(f"the staff's queue over {OPEN:,} open tickets of every kind ({PER_PAGE} a page)")
    async with _sqlite() as url:
        await _case("SQLite", url)
    admin = os.environ.get("PNE_TEST_POSTGRES_URL")
    if not admin:
        print("  PostgreSQL skipped (PNE_TEST_POSTGRES_URL not set; `make bench` sets it)")
        return
    from bench.scratch import scratch_postgres

    async with scratch_postgres(admin, "pne_bench_queue") as url:
        await _case("PostgreSQL", url)
