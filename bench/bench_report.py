"""The committee's review over a large history: 100,000 claims.

Fills a database with PNE_BENCH_CLAIMS (default 100000) claims spread over three years, in
50 communes and 1,000 schools, each with one or two items, its three duties, and payments
for most of them (bulk ``executemany`` in chunks), on SQLite (a temporary file) and on
PostgreSQL when PNE_TEST_POSTGRES_URL is set (a scratch database). Then times
``claims_review`` over all of them (median of a few runs) and over two months, and
measures the peak memory of one review (tracemalloc, in a separate run since tracing slows
Python down). The review aggregates in SQL, so its memory should not follow the number of
claims.

Run by hand: ``make bench`` or ``python -m bench report``.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, text

from bot.domain.dates import local_date
from bot.services.reports import ClaimsReview, Period, claims_review
from storage.migrate import upgrade
from storage.models import (
    Claim,
    ClaimDuty,
    ClaimItem,
    Commune,
    Payment,
    Person,
    ResponsibleBody,
    School,
    Ticket,
)
from storage.uow import Database

CLAIMS = int(os.environ.get("PNE_BENCH_CLAIMS", "100000"))
COMMUNES = 50
SCHOOLS = 1_000
CHUNK = 10_000
REPEATS = 3
START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)
NOW = END
DUTIES = ("insurer_declaration", "police_report", "complaint")
KINDS = ("theft", "loss", "damage")


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _claim_rows(start: int, stop: int, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Rows of claims ``start..stop`` (ids from 1): tickets, claims, items, duties, payments."""
    span = (END - START).total_seconds()
    tickets: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    duties: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    for claim_id in range(start + 1, stop + 1):
        created = START + timedelta(seconds=span * rng.random())
        school = rng.randrange(SCHOOLS) + 1
        commune = (school - 1) % COMMUNES + 1
        kind = KINDS[claim_id % 3]
        fate = rng.random()  # what became of it
        refund = rng.choice((0, 8000, 16000, 24000, 32000, 40000))
        owed = refund * (1 if claim_id % 2 else 2)
        closed = fate < 0.6
        pledged = fate < 0.9
        completed = fate < 0.8
        tickets.append(
            {
                "id": claim_id,
                "number": f"S-{created.year}-{claim_id:06d}",
                "kind": "claim",
                "state": "closed" if closed else ("complete" if completed else "pledged"),
                "reporter_id": 1,
                "school_id": school,
                "commune_id": commune,
                "body_id": commune,  # each commune's own body has the commune's id here
                "created_at": created,
                "updated_at": created,
                "closed_at": created + timedelta(days=200) if closed else None,
            }
        )
        claims.append(
            {
                "ticket_id": claim_id,
                "kind": kind,
                "discovered_at": created - timedelta(hours=2),
                "description": "Armoire fracturée",
                "pledge_amount_cents": owed if pledged else None,
                "completed_on": local_date(created) + timedelta(days=30) if completed else None,
                "amount_due_cents": owed if completed else None,
            }
        )
        for n in range(1 if claim_id % 2 else 2):
            items.append(
                {
                    "claim_id": claim_id,
                    "asset_tag": f"SEM-{claim_id:06d}-{n}",
                    "value_cents": 40000,
                    "acquired_on": date(2022, 9, 1),
                    "refund_cents": refund if claim_id % 7 else None,
                }
            )
        deadline = created + timedelta(hours=46)
        for duty_number, duty in enumerate(DUTIES):
            done = fate < 0.85 or duty_number == 0
            duties.append(
                {
                    "claim_id": claim_id,
                    "duty": duty,
                    "deadline_at": deadline,
                    "done_at": created + timedelta(hours=5) if done else None,
                }
            )
        if pledged:
            paid = owed if closed else owed // 3
            if paid:
                payments.append(
                    {
                        "claim_id": claim_id,
                        "amount_cents": paid,
                        "paid_on": local_date(created) + timedelta(days=100),
                        "recorded_at": created + timedelta(days=100),
                    }
                )
    return {
        "tickets": tickets,
        "claims": claims,
        "claim_items": items,
        "claim_duties": duties,
        "payments": payments,
    }


async def _fill(db: Database) -> float:
    started = time.perf_counter()
    rng = random.Random(42)  # the same history on both databases
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(_table(Commune)),
            [
                {"id": i, "insee": f"{42000 + i}", "name": f"Commune {i:02d}", "created_at": START}
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
                    "created_at": START,
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
                    "created_at": START,
                }
                for i in range(1, SCHOOLS + 1)
            ],
        )
        await conn.execute(
            insert(_table(Person)),
            [
                {
                    "id": 1,
                    "full_name": "Bench",
                    "role": "staff",
                    "language": "fr",
                    "active": True,
                    "created_at": START,
                }
            ],
        )
        tables = {
            name: _table(model)
            for name, model in (
                ("tickets", Ticket),
                ("claims", Claim),
                ("claim_items", ClaimItem),
                ("claim_duties", ClaimDuty),
                ("payments", Payment),
            )
        }
        for start in range(0, CLAIMS, CHUNK):
            rows = _claim_rows(start, min(start + CHUNK, CLAIMS), rng)
            for name, table in tables.items():  # parents first
                if rows[name]:
                    await conn.execute(insert(table), rows[name])
    if db.dialect == "postgresql":
        # Explicit ids were inserted: move the sequences past them.
        async with db.engine.begin() as conn:
            for table in ("communes", "bodies", "schools", "people", "tickets"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )
    async with db.engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    return time.perf_counter() - started


async def _time(db: Database, start: datetime, end: datetime) -> tuple[float, ClaimsReview]:
    await claims_review(db, start=start, end=end, now=NOW)  # warm the caches
    timings = []
    review = None
    for _ in range(REPEATS):
        began = time.perf_counter()
        review = await claims_review(db, start=start, end=end, now=NOW)
        timings.append((time.perf_counter() - began) * 1000)
    assert review is not None
    return statistics.median(timings), review


async def _peak(db: Database) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        await claims_review(db, start=START, end=END, now=NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


async def _case(label: str, url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db.engine)
        filled = await _fill(db)
        whole_ms, review = await _time(db, START, END)
        two = Period(date(2026, 9, 1), date(2026, 10, 31))
        two_ms, two_review = await _time(db, two.start, two.end)
        peak = await _peak(db)
    finally:
        await db.close()
    if review.total != CLAIMS:
        raise AssertionError(f"the review counted {review.total} claims, expected {CLAIMS}")
    print(f"  {label:<10} filled in {filled:.1f} s", flush=True)
    print(
        f"  {label:<10} review of all {review.total:,} claims: {whole_ms:7.1f} ms (median of "
        f"{REPEATS}); peak memory {peak / 1024:,.0f} KiB",
        flush=True,
    )
    print(
        f"  {label:<10} review of two months ({two_review.total:,} claims): {two_ms:7.1f} ms",
        flush=True,
    )
    print(
        f"  {label:<10} figures: {len(review.communes)} communes, {len(review.schools)} schools "
        f"({len(review.flagged_schools)} flagged), {review.refunds.count:,} refunds in progress, "
        f"{review.overdue_duties.claims:,} claims with overdue duties, "
        f"{review.overdue_payments.count:,} overdue payments",
        flush=True,
    )


@asynccontextmanager
async def _sqlite() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite+aiosqlite:///{Path(folder) / 'report.sqlite3'}"


async def main() -> None:
    print(f"claims_review over {CLAIMS:,} claims ({COMMUNES} communes, {SCHOOLS:,} schools)")
    async with _sqlite() as url:
        await _case("SQLite", url)
    admin = os.environ.get("PNE_TEST_POSTGRES_URL")
    if not admin:
        print("  PostgreSQL skipped (PNE_TEST_POSTGRES_URL not set; `make bench` sets it)")
        return
    from bench.scratch import scratch_postgres

    async with scratch_postgres(admin, "pne_bench_report") as url:
        await _case("PostgreSQL", url)
