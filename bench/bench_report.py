"""The committee's review over a large history: 100,000 claims and 100,000 items.

Fills a database with PNE_BENCH_CLAIMS (default 100000) claims spread over three years, in
50 communes and 1,000 schools, each with one or two items, its three duties, and payments
for most of them (bulk ``executemany`` in chunks), on SQLite (a temporary file) and on
PostgreSQL when PNE_TEST_POSTGRES_URL is set (a scratch database). The equipment side:
PNE_BENCH_ITEMS (default 100000) items in those schools and in 60 private schools under 10
OGECs and 2 institutes, most of them flagged over 2025–2026 (one flagging per school and
month) and moved along the convention's steps: unused ones collected, put in stock and
half of them reassigned (some after a cancelled round), SEM's broken ones collected and
recycled or repaired, the communes' broken ones removed by their body, the communes'
unused ones left to them. Then times ``claims_review`` (which includes the equipment
side) over everything (median of a few runs), over two months and over the year 2026,
the equipment side alone, checks its figures against the history written, and measures
the peak memory of one review (tracemalloc, in a separate run since tracing slows Python
down). The review aggregates in SQL, so its memory should not follow the number of
claims or items.
The last line of each database sets the whole history and the two months against the
300 ms target (``TARGET_MS``).

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

from bot.domain.collections import ItemState as S
from bot.domain.dates import local_date
from bot.services import reports
from bot.services.reports import ClaimsReview, EquipmentMovements, Period, claims_review
from storage.migrate import upgrade
from storage.models import (
    Claim,
    ClaimDuty,
    ClaimItem,
    Collection,
    CollectionItem,
    Commune,
    Equipment,
    EquipmentMove,
    Payment,
    Person,
    ResponsibleBody,
    School,
    Ticket,
)
from storage.uow import Database

CLAIMS = int(os.environ.get("PNE_BENCH_CLAIMS", "100000"))
ITEMS = int(os.environ.get("PNE_BENCH_ITEMS", "100000"))
COMMUNES = 50
SCHOOLS = 1_000
OGECS = 10  # bodies 51..60
INSTITUTES = 2  # bodies 61..62
PRIVATE_SCHOOLS = 60  # schools 1001..1060, five or more per OGEC or institute
FLAG_START = datetime(2025, 1, 1, tzinfo=UTC)  # items are flagged over 2025 and 2026
FLAG_MONTHS = 22  # flaggings from January 2025 to October 2026
CHUNK = 10_000
REPEATS = 3
# What the committee's review may take, over the whole history and over two months, on
# each database (decision 0085).
TARGET_MS = 300.0
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


# ------------------------------------------------------------------ the equipment side

TWO_MONTHS = Period(date(2026, 9, 1), date(2026, 10, 31))
YEAR_2026 = Period(date(2026, 1, 1), date(2026, 12, 31))
# The windows whose equipment figures are checked against the history written.
WINDOWS: dict[str, tuple[datetime, datetime]] = {
    "all": (START, END),
    "two months": (TWO_MONTHS.start, TWO_MONTHS.end),
    "2026": (YEAR_2026.start, YEAR_2026.end),
}
# Each fate: (share of the owner's flagged items, condition, [(state, days after the
# flagging)]); a REASSIGNED step goes to another school.
SEM_FATES: tuple[tuple[float, str, tuple[tuple[S, int], ...]], ...] = (
    (
        0.175,
        "unused",
        ((S.UNUSED, 0), (S.AWAITING_COLLECTION, 20), (S.COLLECTED, 40), (S.IN_STOCK, 41)),
    ),
    (
        0.175,
        "unused",
        (
            (S.UNUSED, 0),
            (S.AWAITING_COLLECTION, 20),
            (S.COLLECTED, 40),
            (S.IN_STOCK, 41),
            (S.REASSIGNED, 60),
            (S.IN_SERVICE, 65),
        ),
    ),
    # A round cancelled, then the next one.
    (
        0.15,
        "unused",
        (
            (S.UNUSED, 0),
            (S.AWAITING_COLLECTION, 20),
            (S.UNUSED, 30),
            (S.AWAITING_COLLECTION, 50),
            (S.COLLECTED, 70),
            (S.IN_STOCK, 71),
        ),
    ),
    (
        0.35,
        "broken",
        ((S.OUT_OF_ORDER, 0), (S.AWAITING_COLLECTION, 20), (S.COLLECTED, 40), (S.RECYCLED, 55)),
    ),
    (0.15, "broken", ((S.OUT_OF_ORDER, 0), (S.IN_SERVICE, 30))),  # repaired
)
COMMUNE_FATES: tuple[tuple[float, str, tuple[tuple[S, int], ...]], ...] = (
    (0.6, "broken", ((S.OUT_OF_ORDER, 0), (S.RECYCLED, 15))),  # removed by its body
    (0.4, "unused", ()),  # the body's own business: not moved
)


def _body_of(school: int) -> int:
    if school <= SCHOOLS:
        return (school - 1) % COMMUNES + 1
    return COMMUNES + (school - SCHOOLS - 1) % (OGECS + INSTITUTES) + 1


def _commune_of(school: int) -> int:
    return (school - 1) % COMMUNES + 1


def _month_start(month: int) -> datetime:
    year, index = divmod(FLAG_START.month - 1 + month, 12)
    return FLAG_START.replace(year=FLAG_START.year + year, month=index + 1)


def _movement(move: dict[str, Any], owner: str) -> str | None:
    """What the review should call a move (decision 0033), read independently of its SQL."""
    to, before = move["to_state"], move["from_state"]
    if to in (S.OUT_OF_ORDER, S.UNUSED):
        if before == S.IN_SERVICE and move["ticket_id"] is not None:
            return reports.FLAGGED_BROKEN if to == S.OUT_OF_ORDER else reports.FLAGGED_UNUSED
        return None
    if to == S.RECYCLED:
        return reports.RECYCLED if owner == "sem" else reports.REMOVED_BY_BODY
    return {
        S.COLLECTED: reports.COLLECTED,
        S.IN_STOCK: reports.IN_STOCK,
        S.REASSIGNED: reports.REASSIGNED,
    }.get(to)


class _Equipment:
    """Writes the items' history chunk by chunk, and what the review should count."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.tickets: dict[tuple[int, int], tuple[int, datetime]] = {}  # (school, month)
        self.next_ticket = CLAIMS + 1
        self.moves = 0
        # (window, movement) -> items, each item once per body and movement.
        self.expected: dict[tuple[str, str], int] = {}

    def _ticket(self, school: int, month: int, rows: dict[str, list[dict[str, Any]]]) -> Any:
        found = self.tickets.get((school, month))
        if found is None:
            at = _month_start(month) + timedelta(
                days=self.rng.randrange(25), hours=7 + self.rng.randrange(9)
            )
            found = self.tickets[(school, month)] = (self.next_ticket, at)
            rows["tickets"].append(
                {
                    "id": self.next_ticket,
                    "number": f"C-{at.year}-{self.next_ticket:06d}",
                    "kind": "collection",
                    "state": "closed",
                    "reporter_id": 1,
                    "school_id": school,
                    "commune_id": _commune_of(school),
                    "body_id": _body_of(school),
                    "created_at": at,
                    "updated_at": at,
                    "closed_at": None,
                }
            )
            rows["collections"].append({"ticket_id": self.next_ticket, "place": "Salle 3"})
            self.next_ticket += 1
        return found

    def _count(
        self, seen: set[tuple[str, int, str]], body: int, movement: str, at: datetime
    ) -> None:
        for window, (first, end) in WINDOWS.items():
            if first <= at < end:
                seen.add((window, body, movement))

    def rows(self, start: int, stop: int) -> dict[str, list[dict[str, Any]]]:
        rng = self.rng
        rows: dict[str, list[dict[str, Any]]] = {
            "tickets": [],
            "collections": [],
            "equipment": [],
            "collection_items": [],
            "equipment_moves": [],
        }
        all_schools = SCHOOLS + PRIVATE_SCHOOLS
        for item in range(start + 1, stop + 1):
            school = rng.randrange(all_schools) + 1
            owner = "sem" if rng.random() < 0.8 else "commune"
            state, at_school = S.IN_SERVICE.value, school
            seen: set[tuple[str, int, str]] = set()
            if rng.random() >= 0.3:  # 70 % of the items are flagged once
                month = rng.randrange(FLAG_MONTHS)
                ticket, flagged_at = self._ticket(school, month, rows)
                fates = SEM_FATES if owner == "sem" else COMMUNE_FATES
                pick, chosen = rng.random(), fates[-1]
                for fate in fates:
                    pick -= fate[0]
                    if pick < 0:
                        chosen = fate
                        break
                _, condition, path = chosen
                if owner == "sem":
                    route = "sem_collects"
                else:
                    route = "body_removes" if condition == "broken" else "body_keeps"
                rows["collection_items"].append(
                    {
                        "collection_id": ticket,
                        "equipment_id": item,
                        "condition": condition,
                        "route": route,
                        "status": "kept" if route == "body_keeps" else "collected",
                    }
                )
                if route == "body_keeps":
                    self._count(seen, _body_of(school), reports.KEPT_BY_BODY, flagged_at)
                for to, days in path:
                    to_school = at_school
                    if to == S.REASSIGNED:
                        to_school = (at_school + rng.randrange(all_schools - 1)) % all_schools + 1
                    at = flagged_at + timedelta(days=days)
                    move = {
                        "equipment_id": item,
                        "at": at,
                        "actor_id": 1,
                        "ticket_id": None if to in (S.REASSIGNED, S.IN_SERVICE) else ticket,
                        "from_state": state,
                        "to_state": to.value,
                        "from_school_id": at_school,
                        "to_school_id": to_school,
                        "body_id": _body_of(to_school),
                        "reference": "BSD-2026" if to == S.RECYCLED else None,
                        "note": "removed by its body"
                        if owner != "sem" and to == S.RECYCLED
                        else None,
                    }
                    rows["equipment_moves"].append(move)
                    movement = _movement(move, owner)
                    if movement is not None:
                        self._count(seen, move["body_id"], movement, at)
                    state, at_school = to.value, to_school
            for window, _, movement in seen:
                key = (window, movement)
                self.expected[key] = self.expected.get(key, 0) + 1
            rows["equipment"].append(
                {
                    "id": item,
                    "asset_tag": f"BENCH-{item:06d}",
                    "school_id": at_school,
                    "type": "laptop",
                    "model": "ThinkPad (banc d'essai)",
                    "owner": owner,
                    "acquired_on": date(2022, 9, 1),
                    "value_cents": 50000,
                    "state": state,
                    "created_at": START,
                    "updated_at": START,
                }
            )
        self.moves += len(rows["equipment_moves"])
        return rows

    def check(self, window: str, equipment: EquipmentMovements) -> None:
        wanted = {m: self.expected.get((window, m), 0) for m in reports.MOVEMENTS}
        if dict(equipment.totals) != wanted:
            raise AssertionError(
                f"the equipment side of {window} counted {dict(equipment.totals)}, "
                f"expected {wanted}"
            )


async def _fill(db: Database) -> tuple[float, _Equipment]:
    started = time.perf_counter()
    rng = random.Random(42)  # the same history on both databases
    history = _Equipment(random.Random(43))
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
            ]
            + [
                {
                    "id": COMMUNES + n,
                    "code": f"OGEC-{n:02d}" if n <= OGECS else f"INSTITUT-{n - OGECS:02d}",
                    "name": f"OGEC {n:02d}" if n <= OGECS else f"Institut {n - OGECS:02d}",
                    "kind": "ogec" if n <= OGECS else "institute",
                    "commune_id": None,
                    "created_at": START,
                }
                for n in range(1, OGECS + INSTITUTES + 1)
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
            ]
            + [
                {
                    "id": i,
                    "uai": f"{420000 + i:07d}P",
                    "name": f"École privée {i:04d}",
                    "commune_id": _commune_of(i),
                    "body_id": _body_of(i),
                    "sector": "private",
                    "created_at": START,
                }
                for i in range(SCHOOLS + 1, SCHOOLS + PRIVATE_SCHOOLS + 1)
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
        equipment_tables = {
            name: _table(model)
            for name, model in (
                ("tickets", Ticket),
                ("collections", Collection),
                ("equipment", Equipment),
                ("collection_items", CollectionItem),
                ("equipment_moves", EquipmentMove),
            )
        }
        for start in range(0, ITEMS, CHUNK):
            rows = history.rows(start, min(start + CHUNK, ITEMS))
            for name, table in equipment_tables.items():  # parents first
                if rows[name]:
                    await conn.execute(insert(table), rows[name])
    if db.dialect == "postgresql":
        # Explicit ids were inserted: move the sequences past them.
        async with db.engine.begin() as conn:
            for name in ("communes", "bodies", "schools", "people", "tickets", "equipment"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT MAX(id) FROM {name}))"
                    )
                )
    async with db.engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    return time.perf_counter() - started, history


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


async def _time_equipment(db: Database, start: datetime, end: datetime) -> float:
    """The equipment side alone (its two GROUP BY queries and the bodies' names)."""
    await reports.equipment_movements(db, start=start, end=end)
    timings = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        await reports.equipment_movements(db, start=start, end=end)
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def _against_target(ms: float) -> str:
    verdict = "within" if ms <= TARGET_MS else "OVER"
    return f"{ms:.1f} ms ({verdict} the {TARGET_MS:.0f} ms target)"


def _figures(equipment: EquipmentMovements) -> str:
    totals = equipment.totals
    return ", ".join(f"{totals[m]:,} {m.replace('_', ' ')}" for m in reports.MOVEMENTS)


async def _case(label: str, url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db.engine)
        filled, history = await _fill(db)
        whole_ms, review = await _time(db, START, END)
        two_ms, two_review = await _time(db, TWO_MONTHS.start, TWO_MONTHS.end)
        year_ms, year_review = await _time(db, YEAR_2026.start, YEAR_2026.end)
        equipment_ms = {
            window: await _time_equipment(db, first, end)
            for window, (first, end) in WINDOWS.items()
        }
        peak = await _peak(db)
    finally:
        await db.close()
    if review.total != CLAIMS:
        raise AssertionError(f"the review counted {review.total} claims, expected {CLAIMS}")
    history.check("all", review.equipment)
    history.check("two months", two_review.equipment)
    history.check("2026", year_review.equipment)
    print(
        f"  {label:<10} filled in {filled:.1f} s ({CLAIMS:,} claims; {ITEMS:,} items, "
        f"{history.moves:,} moves, {len(history.tickets):,} flaggings)",
        flush=True,
    )
    print(
        f"  {label:<10} review of all {review.total:,} claims and {review.equipment.total:,} "
        f"item movements: {whole_ms:7.1f} ms (median of {REPEATS}); peak memory "
        f"{peak / 1024:,.0f} KiB",
        flush=True,
    )
    print(
        f"  {label:<10} review of two months ({two_review.total:,} claims, "
        f"{two_review.equipment.total:,} item movements): {two_ms:7.1f} ms",
        flush=True,
    )
    print(
        f"  {label:<10} review of 2026, the yearly /bilan ({year_review.total:,} claims, "
        f"{year_review.equipment.total:,} item movements): {year_ms:7.1f} ms",
        flush=True,
    )
    print(
        f"  {label:<10} equipment side alone: "
        + ", ".join(f"{window} {ms:.1f} ms" for window, ms in equipment_ms.items()),
        flush=True,
    )
    print(
        f"  {label:<10} figures: {len(review.communes)} communes, {len(review.schools)} schools "
        f"({len(review.flagged_schools)} flagged), {review.refunds.count:,} refunds in progress, "
        f"{review.overdue_duties.claims:,} claims with overdue duties, "
        f"{review.overdue_payments.count:,} overdue payments",
        flush=True,
    )
    print(
        f"  {label:<10} equipment figures ({len(review.equipment.bodies)} bodies, as written): "
        f"{_figures(review.equipment)}",
        flush=True,
    )
    print(
        f"  {label:<10} target: whole history {_against_target(whole_ms)}; "
        f"two months {_against_target(two_ms)}",
        flush=True,
    )


@asynccontextmanager
async def _sqlite() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite+aiosqlite:///{Path(folder) / 'report.sqlite3'}"


async def main() -> None:
    print(
        f"claims_review over {CLAIMS:,} claims and {ITEMS:,} items ({COMMUNES} communes, "
        f"{OGECS} OGECs, {INSTITUTES} institutes, {SCHOOLS + PRIVATE_SCHOOLS:,} schools)"
    )
    async with _sqlite() as url:
        await _case("SQLite", url)
    admin = os.environ.get("PNE_TEST_POSTGRES_URL")
    if not admin:
        print("  PostgreSQL skipped (PNE_TEST_POSTGRES_URL not set; `make bench` sets it)")
        return
    from bench.scratch import scratch_postgres

    async with scratch_postgres(admin, "pne_bench_report") as url:
        await _case("PostgreSQL", url)
