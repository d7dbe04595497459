"""The reminder sweep: (a) how the claim scales with the table, (b) how fast a batch leaves.

(a) Time to CLAIM 1,000 due reminders among 10,000 and among 1,000,000 pending ones, on
    SQLite (a temporary file) and on PostgreSQL when PNE_TEST_POSTGRES_URL is set (a scratch
    database). With the ``(state, next_attempt_at)`` index the claim reads the due rows only,
    so the ratio stays near 1; a table scan would make it grow a hundredfold.
(b) The rate at which 3,000 due reminders leave through python-telegram-bot's AIORateLimiter
    (30 msg/s overall) against the offline Bot API, with a few 429s injected, driven the way
    the job does it (``drain`` with the job's batch and concurrency; after a 429 the driver
    waits what Telegram asked, as the job's next run would).

Run by hand: ``make bench`` or ``python -m bench reminders``. PNE_BENCH_BIG (default
1000000) and PNE_BENCH_MESSAGES (default 3000) shrink the runs for a quick look.
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, text, update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ApplicationBuilder, Defaults

from bot.clock import SystemClock
from bot.services import reminders
from bot.services.delivery import Outgoing
from bot.services.reminders import Renderers
from handlers.telegram.delivery import SWEEP_CONCURRENCY, telegram_sender
from handlers.telegram.offline import OfflineBotAPI, Sent
from storage.migrate import upgrade
from storage.models import Reminder
from storage.types import UTCDateTime
from storage.uow import Database, UnitOfWork

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
DUE = 1_000
SMALL = 10_000
BIG = int(os.environ.get("PNE_BENCH_BIG", "1000000"))
CHUNK = 20_000
REPEATS = 5
MESSAGES = int(os.environ.get("PNE_BENCH_MESSAGES", "3000"))
INJECTED_429 = 3
RETRY_AFTER = 1  # seconds asked by each injected 429
TELEGRAM_LIMIT = 30.0  # messages per second, overall, for one bot

_T = cast(Table, Reminder.__table__)


# --------------------------------------------------------------------------- (a) the claim


def _rows(start: int, stop: int, total: int) -> list[dict[str, Any]]:
    """Rows ``start..stop`` of a table of ``total``: the first DUE are due, the rest later."""
    rows = []
    for i in range(start, stop):
        if i < DUE:
            at = NOW - timedelta(seconds=3600 * (i + 1) / DUE)  # spread over the past hour
        else:
            at = NOW + timedelta(seconds=31_536_000 * (i - DUE + 1) / (total - DUE))  # a year
        rows.append(
            {
                "key": f"bench:{i}",
                "kind": "bench.notice",
                "audience": "commune",
                "payload": {},
                "due_at": at,
                "next_attempt_at": at,
                "state": "pending",
                "attempts": 0,
                "created_at": NOW,
            }
        )
    return rows


async def _fill(db: Database, total: int) -> float:
    started = time.perf_counter()
    async with db.engine.begin() as conn:
        for start in range(0, total, CHUNK):
            await conn.execute(insert(_T), _rows(start, min(start + CHUNK, total), total))
    # The table as it is in steady state, not just after a bulk load: on PostgreSQL a
    # VACUUM now, or autovacuum would run it in the middle of the timed claims (a million
    # fresh rows call for one) and compete with them for the machine's two cores.
    if db.dialect == "postgresql":
        async with db.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text("VACUUM ANALYZE reminders"))
    else:
        async with db.engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    return time.perf_counter() - started


async def _plan(db: Database) -> str:
    """The database's plan for the claim's inner SELECT (the one FOR UPDATE SKIP LOCKED)."""
    sql = (
        "SELECT id FROM reminders WHERE state = 'pending' AND next_attempt_at <= :now "
        "AND (lease_until IS NULL OR lease_until < :now) "
        f"ORDER BY next_attempt_at LIMIT {DUE}"
    )
    if db.dialect == "postgresql":
        sql = "EXPLAIN " + sql + " FOR UPDATE SKIP LOCKED"
    else:
        sql = "EXPLAIN QUERY PLAN " + sql
    statement = text(sql).bindparams(bindparam("now", type_=UTCDateTime()))
    async with db.engine.connect() as conn:
        rows = (await conn.execute(statement, {"now": NOW})).all()
    lines = [str(row[-1]) for row in rows]
    return " | ".join(line.strip() for line in lines if line.strip())


async def _time_claims(db: Database) -> float:
    """Median milliseconds of claiming the DUE rows, released again between two runs."""
    timings = []
    for run in range(REPEATS):
        started = time.perf_counter()
        claimed = await reminders.claim(db, now=NOW, worker=f"bench-{run}", batch=DUE)
        timings.append((time.perf_counter() - started) * 1000)
        if len(claimed) != DUE:
            raise AssertionError(f"claimed {len(claimed)} rows, expected {DUE}")
        async with db.engine.begin() as conn:
            await conn.execute(
                update(_T)
                .where(_T.c.id.in_([r.id for r in claimed]))
                .values(lease_owner=None, lease_until=None, attempts=0)
            )
    return statistics.median(timings)


async def _claim_case(url: str, total: int) -> tuple[float, float, str]:
    db = Database(url)
    try:
        await upgrade(db.engine)
        filled = await _fill(db, total)
        claim_ms = await _time_claims(db)
        plan = await _plan(db)
    finally:
        await db.close()
    return claim_ms, filled, plan


async def _claims_on(label: str, url_for: Callable[[int], Any]) -> None:
    results = []
    for total in (SMALL, BIG):
        async with url_for(total) as url:
            claim_ms, filled, plan = await _claim_case(url, total)
        results.append(claim_ms)
        print(
            f"  {label:<10} among {total:>9,} pending: {claim_ms:7.1f} ms"
            f"   (table filled in {filled:.1f} s)",
            flush=True,
        )
    print(f"  {label:<10} ratio {BIG:,} / {SMALL:,}: {results[1] / results[0]:.2f}")
    print(f"  {label:<10} plan: {plan}", flush=True)


class _SqliteFile:
    def __init__(self, folder: Path, total: int) -> None:
        self.url = f"sqlite+aiosqlite:///{folder / f'claim-{total}.sqlite3'}"

    async def __aenter__(self) -> str:
        return self.url

    async def __aexit__(self, *_: object) -> None:
        return None


async def bench_claims() -> None:
    print(f"(a) claim of {DUE:,} due reminders (one UPDATE, batch {DUE:,}, median of {REPEATS})")
    with tempfile.TemporaryDirectory() as folder:
        await _claims_on("SQLite", lambda total: _SqliteFile(Path(folder), total))
    admin = os.environ.get("PNE_TEST_POSTGRES_URL")
    if not admin:
        print("  PostgreSQL skipped (PNE_TEST_POSTGRES_URL not set; `make bench` sets it)")
        return
    from bench.scratch import scratch_postgres

    await _claims_on(
        "PostgreSQL", lambda total: scratch_postgres(admin, f"pne_bench_claim_{total}")
    )


# --------------------------------------------------------------------------- (b) the rate


async def _notice(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
    return [Outgoing(row.payload["chat"], f"Rappel n° <b>{row.id}</b> : pièce à fournir.")]


async def bench_rate() -> None:
    print(
        f"(b) {MESSAGES:,} due reminders through AIORateLimiter, offline Bot API, SQLite "
        f"(batch {reminders.DEFAULT_BATCH}, concurrency {SWEEP_CONCURRENCY})"
    )
    clock = SystemClock()
    api = OfflineBotAPI()
    application = (
        ApplicationBuilder()
        .token("1234567:BENCH")
        .request(api)
        .get_updates_request(api)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(AIORateLimiter(max_retries=0))
        .build()
    )
    first_chat = 100_000
    for n in range(MESSAGES):
        api.user(first_chat + n, f"Agent {n}")
    times: list[float] = []
    every = max(MESSAGES // (INJECTED_429 + 1), 1)
    injected = 0

    def on_sent(record: Sent) -> None:
        nonlocal injected
        if record.method != "sendMessage":
            return
        times.append(time.perf_counter())
        if len(times) % every == 0 and injected < INJECTED_429:
            injected += 1  # the next sendMessage is answered 429
            api.fail_retry_after("sendMessage", retry_after=RETRY_AFTER)

    api.on_sent.append(on_sent)
    registry = Renderers({"bench.notice": _notice})
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{Path(folder) / 'rate.sqlite3'}")
        try:
            await upgrade(db.engine)
            due = clock.now()
            async with db.uow() as uow:
                await uow.session.execute(
                    insert(_T),
                    [
                        {
                            "key": f"rate:{n}",
                            "kind": "bench.notice",
                            "audience": "person",
                            "payload": {"chat": first_chat + n},
                            "due_at": due,
                            "next_attempt_at": due,
                            "state": "pending",
                            "attempts": 0,
                            "created_at": due,
                        }
                        for n in range(MESSAGES)
                    ],
                )
                await uow.commit()
            sweeps = 0
            waited = 0.0
            async with application:
                send = telegram_sender(application.bot)
                started = time.perf_counter()
                while True:
                    report = await reminders.drain(
                        db,
                        registry,
                        send,
                        clock=clock,
                        worker="bench:1",
                        concurrency=SWEEP_CONCURRENCY,
                    )
                    sweeps += 1
                    if report.throttled_until is not None:
                        pause = (report.throttled_until - clock.now()).total_seconds()
                        waited += max(pause, 0.0)
                        await asyncio.sleep(max(pause, 0.0))
                        continue
                    if report.idle or not await _anything_due(db, clock.now()):
                        break
            counts = await reminders.count_by_state(db)
        finally:
            await db.close()
    elapsed = times[-1] - started if times else float("nan")
    rate = len(times) / elapsed
    print(
        f"  sent {len(times):,} messages in {elapsed:.1f} s: {rate:.1f} msg/s, "
        f"{rate / TELEGRAM_LIMIT:.0%} of {TELEGRAM_LIMIT:.0f} msg/s"
    )
    print(
        f"  429s served: {len(api.faults_served)} (retry_after {RETRY_AFTER} s each, "
        f"{waited:.1f} s waited in all); drain calls: {sweeps}; "
        f"rows by state: {counts}; refused: {len(api.refused)}"
    )


async def _anything_due(db: Database, now: datetime) -> bool:
    async with db.uow() as uow:
        return bool((await uow.session.execute(reminders.due_query(now=now, batch=1))).first())


async def main() -> None:
    # The rate limiter logs each 429 with a traceback, the sweep warns: keep the output plain.
    logging.getLogger("telegram.ext").setLevel(logging.CRITICAL)
    logging.getLogger("bot.services.reminders").setLevel(logging.ERROR)
    await bench_claims()
    print()
    await bench_rate()


if __name__ == "__main__":
    asyncio.run(main())
