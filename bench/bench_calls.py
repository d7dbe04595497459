"""A call for interest at France's scale: 48,000 school heads (issue 11, decision 0042).

(a) Publication: the service's work (eligible schools, audience, reminders planned) and the
    bot's own sending rate through the publication path (``call_notices.deliver`` and the
    Telegram sender) against the offline Bot API with the rate limiter off. When the bot
    can push more than Telegram's 30 messages per second, the delivery takes N / 30 s:
    Telegram's pace is the bound, not the bot.
(b) The closing reminder to the same crowd: the expansion into one row per head, then the
    paced lane's own sending rate (rate limiter off).
(c) A claim's reminder falling due in the middle: with the real AIORateLimiter (30 msg/s
    overall), a publication and the paced lane both sending, the sweep takes the claim's
    24 h reminder; how long it waits from the sweep's start to its sending, against the
    same reminder with nothing else to send (target: at most 2 s).

Run by hand: ``make bench`` or ``python -m bench calls``. PNE_BENCH_HEADS (default 48000)
and PNE_BENCH_PACED (default 900, the crowd of part (c)) shrink the runs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bot.clock import FrozenClock, SystemClock
from bot.config import Settings
from bot.domain.calls import KIND_CALL_REMINDER, Question, QuestionKind, Reach
from bot.domain.claims import ClaimKind
from bot.services import call_notices, calls, claims, reminders
from bot.services.directory import seed_demo
from handlers.telegram.app import build_application, running, services_of
from handlers.telegram.delivery import PACED_CONCURRENCY, SWEEP_CONCURRENCY, telegram_sender
from handlers.telegram.offline import OfflineBotAPI, Sent
from storage.migrate import upgrade
from storage.models import Person, PlatformAccount, Reminder, School
from storage.uow import Database

HEADS = int(os.environ.get("PNE_BENCH_HEADS", "48000"))
CROWD = int(os.environ.get("PNE_BENCH_PACED", "900"))
TELEGRAM_LIMIT = 30.0
FIRST_CHAT = 50_000_000
TARGET_WAIT = 2.0


def _draft(opens_on: date) -> calls.CampaignDraft:
    """A call open from ``opens_on`` (9:00 Paris) for four weeks."""
    return calls.CampaignDraft(
        title="Tablettes pour les classes",
        nature="tablet",
        description="Des lots de tablettes, avec leur formation.",
        quantity=100,
        kit_size=15,
        reach=Reach.PUBLIC,
        opens_on=opens_on,
        opens_time=clock_time(9, 0),
        closes_on=opens_on + timedelta(days=28),
        closes_time=clock_time(12, 0),
        questions=(Question(QuestionKind.COMMITMENT, "L'équipe suivra la formation"),),
    )


async def _seed(db: Database, heads: int, now: datetime) -> tuple[int, list[int]]:
    """The demo directory and ``heads`` more public schools, each with its head on
    Telegram. Returns the staff person's id and the heads' chat ids."""
    await upgrade(db.engine)
    await seed_demo(db, now=now)
    async with db.uow() as uow:
        model = await uow.session.scalar(select(School).where(School.sector == "public"))
        staff = await uow.session.scalar(select(Person).where(Person.role == "staff"))
        assert model is not None and staff is not None
        chats = [FIRST_CHAT + n for n in range(heads)]
        for start in range(0, heads, 5_000):
            part = range(start, min(start + 5_000, heads))
            school_ids = (
                await uow.session.scalars(
                    insert(School).returning(School.id),
                    [
                        {
                            "uai": f"9{n:06d}X",
                            "name": f"École {n}",
                            "commune_id": model.commune_id,
                            "sector": "public",
                            "body_id": model.body_id,
                            "created_at": now,
                        }
                        for n in part
                    ],
                )
            ).all()
            person_ids = (
                await uow.session.scalars(
                    insert(Person).returning(Person.id),
                    [
                        {
                            "full_name": f"Direction {n}",
                            "role": "director",
                            "school_id": school_id,
                            "language": "fr",
                            "active": True,
                            "assistant": False,
                            "follows_calls": False,
                            "created_at": now,
                        }
                        for n, school_id in zip(part, school_ids, strict=True)
                    ],
                )
            ).all()
            await uow.session.execute(
                insert(PlatformAccount),
                [
                    {
                        "person_id": person_id,
                        "platform": "telegram",
                        "external_user_id": chats[n],
                        "chat_id": chats[n],
                        "created_at": now,
                    }
                    for n, person_id in zip(part, person_ids, strict=True)
                ],
            )
        await uow.commit()
        return staff.id, chats


@asynccontextmanager
async def _bot(
    database_url: str, heads: int, *, rate_limit: bool, clock: Any
) -> AsyncIterator[tuple[Any, OfflineBotAPI, int, list[int]]]:
    settings = Settings(telegram_token=None, database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    db = Database(settings.database_url)
    try:
        staff_id, chats = await _seed(db, heads, clock.now())
        api = OfflineBotAPI()
        async with db.uow() as uow:
            accounts = (await uow.session.scalars(select(PlatformAccount))).all()
        for account in accounts:  # every private chat, the demo's people too
            if account.chat_id is not None:
                api.user(account.chat_id, f"Personne {account.person_id}")
        app = build_application(settings, db, clock=clock, request=api, rate_limit=rate_limit)
        async with running(app, start=False):
            yield app, api, staff_id, chats
    finally:
        await db.close()


def _counter(api: OfflineBotAPI) -> list[float]:
    times: list[float] = []

    def on_sent(record: Sent) -> None:
        if record.method == "sendMessage":
            times.append(time.perf_counter())

    api.on_sent.append(on_sent)
    return times


async def _no_sleep(_: float) -> None:
    return None


async def bench_scale(name: str, database_url: str) -> None:
    """(a) and (b): the bot's own work for 48,000 heads, with the rate limiter off."""
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock = FrozenClock(now)
    async with _bot(database_url, HEADS, rate_limit=False, clock=clock) as (app, api, staff, _):
        services = services_of(app)
        db, renderers = services.db, services.renderers
        draft = await calls.create_campaign(db, staff, _draft(date(2026, 3, 2)), now)
        started = time.perf_counter()
        published = await calls.publish(db, staff, draft.id, now)
        messages = call_notices.publication(services.i18n, published)
        service_time = time.perf_counter() - started
        times = _counter(api)
        started = time.perf_counter()
        delivered, failed = await call_notices.deliver(
            telegram_sender(app.bot), messages, sleep=_no_sleep
        )
        sending = time.perf_counter() - started
        rate = delivered / sending
        print(f"  {name}: publication to {len(published.recipients):,} heads")
        print(f"    service (schools, audience, reminders planned, messages): {service_time:.1f} s")
        print(
            f"    bot's own sending: {delivered:,} sent, {len(failed)} failed in {sending:.1f} s"
            f" = {rate:,.0f} msg/s ({rate / TELEGRAM_LIMIT:.1f}× Telegram's 30 msg/s)"
        )
        print(
            f"    at Telegram's pace: {max(delivered / TELEGRAM_LIMIT, sending):,.0f} s"
            f" ({max(delivered / TELEGRAM_LIMIT, sending) / 60:.1f} min)"
        )
        api.clear()
        times.clear()
        # (b) the closing reminder, seven days before: expanded, then the paced lane.
        due = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # 7 days before, 9:00 Paris
        clock.set(due)
        started = time.perf_counter()
        added = await reminders.fan_out(db, renderers, now=due, worker="bench")
        expansion = time.perf_counter() - started
        started = time.perf_counter()
        report = await reminders.paced(
            db,
            renderers,
            telegram_sender(app.bot),
            clock=clock,
            worker="bench",
            concurrency=PACED_CONCURRENCY,
        )
        lane = time.perf_counter() - started
        rate = report.sent / lane
        print(f"    closing reminder: expanded into {added:,} rows in {expansion:.1f} s")
        print(
            f"    paced lane's own sending: {report.sent:,} sent in {lane:.1f} s"
            f" = {rate:,.0f} msg/s"
            f" ({rate / TELEGRAM_LIMIT:.1f}× Telegram's 30 msg/s)"
        )
        api.assert_no_refusals()


async def _claim_reminder_wait(app: Any, due: datetime) -> float:
    """Run the sweep at the claim reminder's instant; seconds until it is sent."""
    services = services_of(app)
    started = time.perf_counter()
    report = await reminders.sweep(
        services.db,
        services.renderers,
        telegram_sender(app.bot),
        now=due,
        worker="sweep",
        concurrency=SWEEP_CONCURRENCY,
        clock=services.clock,
    )
    assert report.sent >= 1, report
    return time.perf_counter() - started


async def _claim(app: Any, at: datetime) -> None:
    """A theft reported 24 h before ``at``: its 24 h duty reminder is due at ``at``."""
    services = services_of(app)
    async with services.db.uow() as uow:
        teacher = await uow.session.scalar(select(Person).where(Person.role == "teacher"))
        assert teacher is not None and teacher.school_id is not None
    await claims.report_claim(
        services.db,
        claims.ReportClaim(
            reporter_id=teacher.id,
            school_id=teacher.school_id,
            kind=ClaimKind.THEFT,
            discovered_at=at - timedelta(hours=25),
            description="Classe fracturée pendant le week-end",
            items=(claims.ItemRequest(asset_tag="SEM-DEMO-0001"),),
        ),
        at - timedelta(hours=24),
    )


async def bench_priority(database_url: str, *, busy: bool) -> float:
    clock = SystemClock()
    async with _bot(database_url, CROWD, rate_limit=True, clock=clock) as (app, _api, staff, _):
        services = services_of(app)
        db, renderers = services.db, services.renderers
        now = clock.now()
        due = now + timedelta(seconds=5)
        await _claim(app, due)
        tasks: list[asyncio.Task[Any]] = []
        if busy:
            opens = (now - timedelta(days=1)).date()
            draft = await calls.create_campaign(db, staff, _draft(opens), now)
            published = await calls.publish(db, staff, draft.id, now)
            messages = call_notices.publication(services.i18n, published)
            # Half the crowd hears the publication and all of it a closing reminder
            # through the paced lane, both at once, as the jobs would send them.
            half = len(messages) // 2
            tasks.append(
                asyncio.create_task(
                    call_notices.deliver(
                        telegram_sender(app.bot), messages[:half], sleep=asyncio.sleep
                    )
                )
            )
            # The closing reminder, due now (inserted as the planner would store it).
            async with db.uow() as uow:
                await uow.session.execute(
                    insert(Reminder),
                    [
                        {
                            "key": f"{calls.reminder_key(draft.id)}:bench",
                            "kind": KIND_CALL_REMINDER,
                            "audience": "reporter",
                            "payload": {"campaign_id": draft.id},
                            "due_at": now,
                            "next_attempt_at": now,
                            "state": "pending",
                            "attempts": 0,
                            "created_at": now,
                        }
                    ],
                )
                await uow.commit()
            await reminders.fan_out(db, renderers, now=now, worker="lane")

            async def lane() -> None:
                while True:
                    report = await reminders.paced(
                        db,
                        renderers,
                        telegram_sender(app.bot),
                        clock=clock,
                        worker="lane",
                        concurrency=PACED_CONCURRENCY,
                        budget=9.0,
                    )
                    if report.idle:
                        return

            tasks.append(asyncio.create_task(lane()))
        await asyncio.sleep(max((due - clock.now()).total_seconds(), 0))
        waited = await _claim_reminder_wait(app, due)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return waited


async def main() -> None:
    logging.getLogger("telegram.ext").setLevel(logging.CRITICAL)
    logging.getLogger("bot.services.reminders").setLevel(logging.ERROR)
    print(f"(a, b) a call to {HEADS:,} school heads, rate limiter off (the bot's own work)")
    pg_url = os.environ.get("PNE_TEST_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as folder:
        await bench_scale("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'calls.sqlite3'}")
    if pg_url:
        from bench.scratch import scratch_postgres

        async with scratch_postgres(pg_url, "pne_bench_calls") as url:
            await bench_scale("PostgreSQL", url)
    else:
        print("  PostgreSQL: skipped (PNE_TEST_POSTGRES_URL not set)")
    print()
    print(
        f"(c) a claim's 24 h reminder due while {CROWD:,} heads are written to"
        " (AIORateLimiter, 30 msg/s; SQLite)"
    )
    waits = []
    for busy in (False, True, False, True, False, True):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'priority.sqlite3'}"
            waits.append((busy, await bench_priority(url, busy=busy)))
    quiet = statistics.median(w for b, w in waits if not b)
    busy = statistics.median(w for b, w in waits if b)
    print(f"    nothing else to send : {quiet:.2f} s from the sweep's start to its sending")
    print(
        f"    amid the crowd       : {busy:.2f} s (median of 3; target ≤ {TARGET_WAIT:.0f} s:"
        f" {'met' if busy <= TARGET_WAIT else 'NOT met'})"
    )


if __name__ == "__main__":
    asyncio.run(main())
