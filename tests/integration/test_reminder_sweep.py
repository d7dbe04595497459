"""The reminder sweep against a real database (SQLite and PostgreSQL), time injected.

Most tests drive ``sweep`` with a scripted stand-in for Telegram, behind the Telegram
adapter's error mapping (the sweep itself only knows the neutral delivery errors); the last
ones run the real python-telegram-bot Application over the offline Bot API.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.clock import FrozenClock
from bot.domain.deadlines import (
    KIND_DUTIES_ESCALATION,
    KIND_DUTIES_REMINDER,
    Audience,
    PlannedReminder,
    plan_duty_reminders,
)
from bot.domain.quiet_hours import NO_QUIET_HOURS
from bot.services import reminders
from bot.services.delivery import Outgoing
from bot.services.reminders import (
    DEFAULT_LEASE,
    MAX_ATTEMPTS,
    Renderers,
    claim,
    drain,
    pending_report,
    sweep,
)
from handlers.telegram.delivery import schedule_sweep, with_neutral_errors
from storage.models import Commune, MessageRef, Person, Reminder, Ticket
from storage.uow import Database, UnitOfWork

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOTICE = "test.notice"  # renders one message per chat listed in payload["chats"]
DUTY = "test.duty"  # renders nothing once the duty is done


class FakeTelegram:
    """Records what is sent; raises scripted Telegram errors for the next sends, which the
    Telegram adapter maps to the neutral delivery errors, as for the real bot."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self._faults: list[tuple[int | None, BaseException]] = []
        self._next_id = 1000
        self._mapped = with_neutral_errors(self._send)

    def fail(self, exc: BaseException, *, chat_id: int | None = None, times: int = 1) -> None:
        self._faults.extend([(chat_id, exc)] * times)

    async def __call__(self, message: Outgoing) -> int | None:
        return await self._mapped(message)

    async def _send(self, message: Outgoing) -> int:
        await asyncio.sleep(0)  # let concurrent sweepers interleave
        for index, (chat_id, exc) in enumerate(self._faults):
            if chat_id is None or chat_id == message.chat_id:
                del self._faults[index]
                raise exc
        self.sent.append((message.chat_id, message.text))
        self._next_id += 1
        return self._next_id

    def chats(self) -> list[int]:
        return [chat for chat, _ in self.sent]


class Duties:
    """What the duty renderer re-checks at send time."""

    def __init__(self) -> None:
        self.done: set[str] = set()


def renderers_for(duties: Duties | None = None) -> Renderers:
    duties = duties or Duties()

    async def notice(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
        return [Outgoing(chat, f"Rappel <b>{row.key}</b>") for chat in row.payload["chats"]]

    async def duty(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
        if row.key in duties.done:
            return []
        return [Outgoing(chat, f"Devoir {row.key}") for chat in row.payload["chats"]]

    registry = Renderers()
    registry.register(NOTICE, notice)
    registry.register(DUTY, duty)
    return registry


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    # The engine is under test: rows are due when planned (quiet hours have their tests,
    # tests/unit/test_quiet_hours_rules.py and tests/integration/test_quiet_hours_and_catch_up.py).
    database = Database(database_url, quiet_hours=NO_QUIET_HOURS)
    yield database
    await database.close()


async def add(
    db: Database,
    key: str,
    *,
    due: datetime = NOW,
    chats: Sequence[int] = (11,),
    kind: str = NOTICE,
    ticket_id: int | None = None,
) -> None:
    planned = [PlannedReminder(kind=kind, due_at=due, audience=Audience.COMMUNE, key=key)]
    async with db.uow() as uow:
        await reminders.plan(
            uow,
            planned,
            key_prefix="t",
            now=NOW - timedelta(days=1),
            payload={"chats": list(chats)},
            ticket_id=ticket_id,
        )
        await uow.commit()


async def add_many(db: Database, count: int, *, due: datetime = NOW) -> None:
    planned = [
        PlannedReminder(kind=NOTICE, due_at=due, audience=Audience.COMMUNE, key=f"r{i:04d}")
        for i in range(count)
    ]
    async with db.uow() as uow:
        for item in planned:
            chat = 1000 + int(item.key[1:])
            await reminders.plan(uow, [item], key_prefix="t", now=NOW, payload={"chats": [chat]})
        await uow.commit()


async def row(db: Database, key: str) -> Reminder:
    async with db.uow() as uow:
        found = await uow.session.scalar(select(Reminder).where(Reminder.key == f"t:{key}"))
    assert found is not None, key
    return found


async def states(db: Database) -> dict[str, str]:
    async with db.uow() as uow:
        rows = (await uow.session.execute(select(Reminder.key, Reminder.state))).all()
    return {key: state for key, state in rows}


# --------------------------------------------------------------------------- planning


async def test_planning_twice_plans_once(db: Database) -> None:
    planned = plan_duty_reminders(NOW - timedelta(hours=30))
    async with db.uow() as uow:
        first = await reminders.plan(uow, planned, key_prefix="claim:7", now=NOW, ticket_id=None)
        again = await reminders.plan(uow, planned, key_prefix="claim:7", now=NOW)
        await uow.commit()
    async with db.uow() as uow:
        later = await reminders.plan(uow, planned, key_prefix="claim:7", now=NOW)
        await uow.commit()
        keys = (await uow.session.scalars(select(Reminder.key).order_by(Reminder.key))).all()
    assert (first, again, later) == (3, 0, 0)
    assert keys == ["claim:7:duties:24h", "claim:7:duties:44h", "claim:7:duties:escalation"]


async def test_a_planned_row_is_due_at_its_deadline_and_untried(db: Database) -> None:
    discovered = NOW - timedelta(hours=30)
    async with db.uow() as uow:
        await reminders.plan(
            uow,
            plan_duty_reminders(discovered),
            key_prefix="claim:7",
            now=NOW,
            payload={"lang": "fr"},
        )
        await uow.commit()
        escalation = await uow.session.scalar(
            select(Reminder).where(Reminder.key == "claim:7:duties:escalation")
        )
    assert escalation is not None
    assert escalation.kind == KIND_DUTIES_ESCALATION
    assert escalation.audience == "staff"
    assert escalation.due_at == escalation.next_attempt_at == discovered + timedelta(hours=48)
    assert (escalation.state, escalation.attempts) == ("pending", 0)
    assert escalation.payload == {"lang": "fr"}


async def test_two_transactions_planning_the_same_key_store_one_row(db: Database) -> None:
    planned = [PlannedReminder(KIND_DUTIES_REMINDER, NOW, Audience.COMMUNE, "duties:24h")]
    first, second = db.uow(), db.uow()
    async with first, second:
        # Both check before either inserts: the unique constraint settles it quietly.
        assert await reminders.plan(first, planned, key_prefix="claim:9", now=NOW) == 1
        await first.commit()
        assert await reminders.plan(second, planned, key_prefix="claim:9", now=NOW) == 0
        await second.commit()
    assert await states(db) == {"claim:9:duties:24h": "pending"}


async def test_cancel_stops_the_pending_reminders_of_a_prefix_only(db: Database) -> None:
    for key in ("claim:42:a", "claim:42:b", "claim:421:a"):
        planned = [PlannedReminder(NOTICE, NOW, Audience.COMMUNE, key.split(":")[-1])]
        async with db.uow() as uow:
            await reminders.plan(
                uow, planned, key_prefix=key.rsplit(":", 1)[0], now=NOW, payload={"chats": [1]}
            )
            await uow.commit()
    async with db.uow() as uow:
        assert await reminders.cancel(uow, key_prefix="claim:42", now=NOW) == 2
        await uow.commit()
    telegram = FakeTelegram()
    report = await sweep(db, renderers_for(), telegram, now=NOW, worker="w1")
    assert report.sent == 1
    assert await states(db) == {
        "claim:42:a": "cancelled",
        "claim:42:b": "cancelled",
        "claim:421:a": "sent",
    }
    async with db.uow() as uow:  # nothing pending is left under the prefix: a no-op
        assert await reminders.cancel(uow, key_prefix="claim:42", now=NOW) == 0


# --------------------------------------------------------------------------- sending


async def test_due_reminders_are_sent_once_and_marked_sent(db: Database) -> None:
    await add(db, "a", due=NOW - timedelta(hours=1), chats=[11, 12])
    await add(db, "b", due=NOW)
    await add(db, "later", due=NOW + timedelta(seconds=1))
    telegram = FakeTelegram()

    report = await sweep(db, renderers_for(), telegram, now=NOW, worker="w1")

    assert telegram.sent == [
        (11, "Rappel <b>t:a</b>"),
        (12, "Rappel <b>t:a</b>"),
        (11, "Rappel <b>t:b</b>"),
    ]
    assert (report.claimed, report.sent, report.skipped) == (2, 2, 0)
    assert (report.retried, report.dead) == (0, 0)
    assert report.deliveries == [("t:a", 11), ("t:a", 12), ("t:b", 11)]
    sent = await row(db, "a")
    assert (sent.state, sent.sent_at, sent.attempts) == ("sent", NOW, 1)
    assert (sent.lease_owner, sent.lease_until) == (None, None)
    assert sent.payload["delivered"] == [11, 12]
    later = await row(db, "later")
    assert (later.state, later.attempts, later.lease_owner) == ("pending", 0, None)

    again = await sweep(db, renderers_for(), telegram, now=NOW + timedelta(minutes=1), worker="w1")
    assert (again.claimed, len(telegram.sent)) == (1, 4)  # only "later" this time
    assert (await row(db, "later")).state == "sent"


async def test_rows_are_taken_oldest_first_and_one_batch_at_a_time(db: Database) -> None:
    for minutes in (3, 1, 2):
        await add(db, f"m{minutes}", due=NOW - timedelta(minutes=minutes), chats=[minutes])
    telegram = FakeTelegram()
    report = await sweep(db, renderers_for(), telegram, now=NOW, worker="w1", batch=2)
    assert report.claimed == 2
    assert telegram.chats() == [3, 2]


async def test_a_reminder_whose_duty_is_done_is_skipped_without_a_message(db: Database) -> None:
    duties = Duties()
    await add(db, "done", kind=DUTY)
    await add(db, "owed", kind=DUTY, chats=[12])
    duties.done.add("t:done")
    telegram = FakeTelegram()

    report = await sweep(db, renderers_for(duties), telegram, now=NOW, worker="w1")

    assert (report.sent, report.skipped) == (1, 1)
    assert telegram.sent == [(12, "Devoir t:owed")]
    skipped = await row(db, "done")
    assert (skipped.state, skipped.sent_at, skipped.lease_owner) == ("skipped", None, None)


async def test_an_unknown_kind_is_declared_dead_and_reported(db: Database) -> None:
    await add(db, "mystery", kind="nobody.renders.this")
    report = await sweep(db, renderers_for(), FakeTelegram(), now=NOW, worker="w1")
    assert report.dead == 1
    dead = await row(db, "mystery")
    assert dead.state == "dead"
    assert dead.last_error is not None and "nobody.renders.this" in dead.last_error
    lines = await pending_report(db, now=NOW)
    assert [(line.key, line.state) for line in lines] == [("t:mystery", "dead")]


async def test_a_renderer_that_fails_is_retried_later(db: Database) -> None:
    async def broken(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
        raise RuntimeError("ticket table unreachable")

    registry = Renderers({NOTICE: broken})
    await add(db, "a")
    report = await sweep(db, registry, FakeTelegram(), now=NOW, worker="w1")
    assert report.retried == 1
    retried = await row(db, "a")
    assert retried.next_attempt_at == NOW + timedelta(minutes=1)
    assert retried.last_error == "render: RuntimeError: ticket table unreachable"


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize("retry_after", [30, timedelta(seconds=30)], ids=["int", "timedelta"])
async def test_retry_after_reschedules_and_puts_the_rest_of_the_batch_back(
    db: Database, retry_after: int | timedelta
) -> None:
    for key in ("a", "b", "c"):
        await add(db, key, due=NOW - timedelta(minutes=5), chats=[ord(key)])
    telegram = FakeTelegram()
    telegram.fail(RetryAfter(retry_after), chat_id=ord("b"))

    report = await sweep(db, renderers_for(), telegram, now=NOW, worker="w1")

    assert telegram.chats() == [ord("a")]
    assert (report.sent, report.retried, report.deferred) == (1, 1, 1)
    assert report.throttled_until == NOW + timedelta(seconds=30)
    throttled = await row(db, "b")
    assert throttled.next_attempt_at == NOW + timedelta(seconds=30)
    assert throttled.state == "pending"
    assert (throttled.lease_owner, throttled.lease_until) == (None, None)
    put_back = await row(db, "c")
    assert put_back.next_attempt_at == NOW - timedelta(minutes=5)  # untouched, still due
    assert (put_back.attempts, put_back.lease_owner) == (0, None)  # the claim is not counted

    soon = await sweep(db, renderers_for(), telegram, now=NOW + timedelta(seconds=10), worker="w1")
    assert telegram.chats() == [ord("a"), ord("c")] and soon.sent == 1
    later = await sweep(db, renderers_for(), telegram, now=NOW + timedelta(seconds=30), worker="w1")
    assert later.sent == 1
    assert telegram.chats() == [ord("a"), ord("c"), ord("b")]
    assert set((await states(db)).values()) == {"sent"}


async def test_a_timeout_backs_off_then_the_reminder_is_sent(db: Database) -> None:
    await add(db, "a")
    telegram = FakeTelegram()
    telegram.fail(TimedOut())
    renderers = renderers_for()

    first = await sweep(db, renderers, telegram, now=NOW, worker="w1")
    assert (first.retried, telegram.sent) == (1, [])
    failed = await row(db, "a")
    assert (failed.state, failed.attempts) == ("pending", 1)
    assert failed.next_attempt_at == NOW + timedelta(minutes=1)
    assert failed.last_error is not None and failed.last_error.startswith("TimedOut")
    assert failed.payload["timed_out"] == {"11": 1}

    assert (await sweep(db, renderers, telegram, now=NOW + timedelta(seconds=59), worker="w1")).idle
    done = await sweep(db, renderers, telegram, now=NOW + timedelta(minutes=1), worker="w1")
    assert (done.sent, telegram.chats()) == (1, [11])
    sent = await row(db, "a")
    assert (sent.state, sent.attempts, sent.sent_at) == ("sent", 2, NOW + timedelta(minutes=1))


async def test_after_two_timeouts_a_chat_is_not_tried_a_third_time(db: Database) -> None:
    """Each time-out may hide a message that arrived: the chat is tried once more, then
    left alone (at most one copy too many); the others of the row are still served, and
    the row says who may not have it."""
    await add(db, "a", chats=(11, 12))
    telegram = FakeTelegram()
    telegram.fail(TimedOut(), chat_id=11, times=5)
    renderers = renderers_for()
    clock = FrozenClock(NOW)
    for _ in range(4):
        await sweep(db, renderers, telegram, now=clock.now(), worker="w1")
        clock.advance(timedelta(hours=1))

    assert telegram.chats() == [12]
    assert len(telegram._faults) == 3  # chat 11 was asked twice, never a third time
    done = await row(db, "a")
    assert (done.state, done.attempts) == ("sent", 2)
    assert done.payload["timed_out"] == {"11": 2}
    assert (
        done.last_error
        == "11: TimedOut: Timed out: 2 time-outs, perhaps delivered; not tried again"
    )


async def test_a_chat_that_only_timed_out_leaves_its_row_dead_for_a_person(db: Database) -> None:
    await add(db, "a")
    telegram = FakeTelegram()
    telegram.fail(TimedOut(), times=2)
    await sweep(db, renderers_for(), telegram, now=NOW, worker="w1")
    await sweep(db, renderers_for(), telegram, now=NOW + timedelta(minutes=1), worker="w1")
    dead = await row(db, "a")
    assert (dead.state, telegram.sent) == ("dead", [])
    assert dead.last_error is not None and "perhaps delivered" in dead.last_error


async def test_after_max_attempts_a_reminder_is_dead_and_listed(db: Database) -> None:
    await add(db, "a")
    telegram = FakeTelegram()
    telegram.fail(NetworkError("Bad Gateway"), times=MAX_ATTEMPTS)
    clock = FrozenClock(NOW)
    for _ in range(MAX_ATTEMPTS):
        report = await sweep(db, renderers_for(), telegram, now=clock.now(), worker="w1")
        assert report.claimed == 1
        clock.advance(timedelta(hours=1))
    dead = await row(db, "a")
    assert (dead.state, dead.attempts) == ("dead", MAX_ATTEMPTS)
    assert dead.last_error is not None and "Bad Gateway" in dead.last_error
    assert (await sweep(db, renderers_for(), telegram, now=clock.now(), worker="w1")).idle
    lines = await pending_report(db, now=clock.now())
    assert [(line.key, line.state, line.attempts) for line in lines] == [("t:a", "dead", 12)]
    assert telegram.sent == []


async def test_a_blocked_recipient_is_noted_and_the_others_are_served(db: Database) -> None:
    await add(db, "a", chats=[11, 12, 13])
    await add(db, "b", chats=[14])
    telegram = FakeTelegram()
    telegram.fail(Forbidden("Forbidden: bot was blocked by the user"), chat_id=12)
    telegram.fail(BadRequest("Chat not found"), chat_id=14)

    report = await sweep(db, renderers_for(), telegram, now=NOW, worker="w1")

    assert telegram.chats() == [11, 13]
    assert (report.sent, report.dead, report.retried) == (1, 1, 0)
    served = await row(db, "a")
    assert served.state == "sent"
    assert served.payload["delivered"] == [11, 13]
    assert served.payload["failed"] == {"12": "Forbidden: bot was blocked by the user"}
    nobody = await row(db, "b")  # its only recipient cannot be reached: someone must look
    assert nobody.state == "dead"
    assert nobody.payload["failed"] == {"14": "BadRequest: Chat not found"}


async def test_a_message_telegram_refuses_is_dead_not_retried(db: Database) -> None:
    await add(db, "a")
    telegram = FakeTelegram()
    telegram.fail(BadRequest("Can't parse entities: unsupported start tag"))
    report = await sweep(db, renderers_for(), telegram, now=NOW, worker="w1")
    assert report.dead == 1
    refused = await row(db, "a")
    assert refused.state == "dead"
    assert refused.last_error == "11: BadRequest: Can't parse entities: unsupported start tag"


async def test_a_refused_message_to_one_chat_does_not_keep_the_others_from_theirs(
    db: Database,
) -> None:
    await add(db, "a", chats=[11, 12])
    telegram = FakeTelegram()
    telegram.fail(BadRequest("Message is too long"), chat_id=11)
    report = await sweep(db, renderers_for(), telegram, now=NOW, worker="w1")
    assert (report.sent, telegram.chats()) == (1, [12])
    served = await row(db, "a")
    assert served.payload["failed"] == {"11": "BadRequest: Message is too long"}


async def test_one_failing_recipient_does_not_block_the_others_of_its_row(db: Database) -> None:
    await add(db, "a", chats=[11, 12])
    telegram = FakeTelegram()
    telegram.fail(NetworkError("Internal Server Error"), chat_id=11, times=MAX_ATTEMPTS)
    clock = FrozenClock(NOW)

    first = await sweep(db, renderers_for(), telegram, now=clock.now(), worker="w1")
    assert (first.retried, telegram.chats()) == (1, [12])  # the co-recipient is served now
    waiting = await row(db, "a")
    assert (waiting.state, waiting.payload["delivered"]) == ("pending", [12])
    assert waiting.last_error == "NetworkError: Internal Server Error (chat 11) — served: 12"

    for _ in range(MAX_ATTEMPTS - 1):  # the failing chat alone is tried again, until dead
        clock.advance(timedelta(hours=1))
        await sweep(db, renderers_for(), telegram, now=clock.now(), worker="w1")
    dead = await row(db, "a")
    assert telegram.chats() == [12]  # never twice to the chat already served
    assert (dead.state, dead.payload["delivered"]) == ("dead", [12])
    assert dead.last_error == (
        "NetworkError: Internal Server Error (chat 11) — served: 12"
        f" (after {MAX_ATTEMPTS} attempts)"
    )


# --------------------------------------------------------------------------- crashes


async def test_rows_of_a_crashed_sweeper_come_back_after_its_lease(db: Database) -> None:
    await add(db, "a")
    await add(db, "b", chats=[12])
    claimed = await claim(db, now=NOW, worker="crashed", batch=10)  # … then the process dies
    assert [r.key for r in claimed] == ["t:a", "t:b"]
    telegram = FakeTelegram()

    during = await sweep(db, renderers_for(), telegram, now=NOW + timedelta(minutes=4), worker="w2")
    assert during.idle and telegram.sent == []

    after = await sweep(
        db, renderers_for(), telegram, now=NOW + DEFAULT_LEASE + timedelta(seconds=1), worker="w2"
    )
    assert after.sent == 2
    again = await sweep(db, renderers_for(), telegram, now=NOW + timedelta(hours=1), worker="w3")
    assert again.idle
    assert sorted(telegram.chats()) == [11, 12]
    assert (await row(db, "a")).attempts == 2


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_crash_after_one_of_two_recipients_resumes_with_the_second(
    db: Database, concurrency: int
) -> None:
    await add(db, "a", chats=[11, 12])
    telegram = FakeTelegram()
    telegram.fail(asyncio.CancelledError(), chat_id=12)  # the process stops mid-fan-out

    with pytest.raises(asyncio.CancelledError):
        await sweep(db, renderers_for(), telegram, now=NOW, worker="w1", concurrency=concurrency)
    half = await row(db, "a")
    assert (half.state, half.lease_owner, half.payload["delivered"]) == ("pending", "w1", [11])

    resumed = await sweep(
        db, renderers_for(), telegram, now=NOW + DEFAULT_LEASE + timedelta(seconds=1), worker="w2"
    )
    assert resumed.deliveries == [("t:a", 12)]
    assert telegram.chats() == [11, 12]
    done = await row(db, "a")
    assert (done.state, done.payload["delivered"]) == ("sent", [11, 12])


async def test_a_sweeper_that_lost_its_lease_stops_writing(db: Database) -> None:
    await add(db, "a", chats=[11, 12])
    stale = await claim(db, now=NOW, worker="slow")
    await sweep(db, renderers_for(), FakeTelegram(), now=NOW + DEFAULT_LEASE * 2, worker="fast")
    # The slow one wakes up with its old claim: every write is refused, nothing is undone.
    run = reminders._Run(
        db, renderers_for(), FakeTelegram(), now=NOW, worker="slow", report=reminders.SweepReport()
    )
    await run.handle(stale[0])
    assert run.report.lost == 1
    assert (await row(db, "a")).state == "sent"


async def test_a_row_cancelled_during_its_fan_out_stops_there(db: Database) -> None:
    await add(db, "a", chats=[11, 12, 13])
    telegram = FakeTelegram()

    async def cancelling(message: Outgoing) -> int:
        result = await telegram(message)
        async with db.uow() as uow:
            await reminders.cancel(uow, key_prefix="t:a", now=NOW)
            await uow.commit()
        return result

    report = await sweep(db, renderers_for(), cancelling, now=NOW, worker="w1")
    assert telegram.chats() == [11]
    assert report.lost == 1
    assert (await row(db, "a")).state == "cancelled"


# --------------------------------------------------------------------------- concurrency


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_two_concurrent_sweepers_send_each_reminder_exactly_once(
    database_url: str, concurrency: int
) -> None:
    first, second = Database(database_url), Database(database_url)  # two bot processes
    try:
        await add_many(first, 300)
        telegram = FakeTelegram()
        clock = FrozenClock(NOW)
        reports = await asyncio.gather(
            drain(
                first,
                renderers_for(),
                telegram,
                clock=clock,
                worker="host-a:1",
                batch=40,
                concurrency=concurrency,
            ),
            drain(
                second,
                renderers_for(),
                telegram,
                clock=clock,
                worker="host-b:2",
                batch=40,
                concurrency=concurrency,
            ),
        )
        per_chat = Counter(telegram.chats())
        assert len(per_chat) == 300
        assert set(per_chat.values()) == {1}
        assert sum(r.sent for r in reports) == 300
        assert sum(r.claimed for r in reports) == 300
        assert all(r.sent > 0 for r in reports), [r.sent for r in reports]
        assert set((await states(first)).values()) == {"sent"}
    finally:
        await first.close()
        await second.close()


async def test_a_catch_up_as_if_earlier_leases_from_the_real_clock(db: Database) -> None:
    """``reminders run --at``: the instant given selects what is due; the lease counts from
    the real clock, so a live bot beside the catch-up never takes a batch it is sending."""
    await add_many(db, 25, due=NOW)
    real = FrozenClock(NOW + timedelta(minutes=10))  # the catch-up runs 10 minutes later
    live: list[reminders.SweepReport] = []
    catch_up = FakeTelegram()
    sent_by_live = FakeTelegram()

    async def send(message: Outgoing) -> int | None:
        # While the catch-up sends, the live bot sweeps at the real time, then time passes.
        live.append(await sweep(db, renderers_for(), sent_by_live, now=real.now(), worker="live"))
        real.advance(timedelta(seconds=20))
        return await catch_up(message)

    report = await drain(
        db, renderers_for(), send, clock=real, worker="catch-up", batch=10, as_of=NOW
    )
    chats = Counter(catch_up.chats() + sent_by_live.chats())
    assert sorted(chats) == list(range(1000, 1025))
    assert set(chats.values()) == {1}, "a reminder sent twice"
    assert report.sent + sum(r.sent for r in live) == 25
    first = await claim(db, now=real.now(), worker="x", batch=1)
    assert first == []  # nothing left


async def test_a_claim_as_if_earlier_selects_by_that_instant_and_leases_from_now(
    db: Database,
) -> None:
    await add(db, "early", due=NOW - timedelta(hours=1))
    await add(db, "late", due=NOW + timedelta(minutes=5), chats=[12])
    real = NOW + timedelta(hours=2)
    taken = await claim(db, now=real, worker="w1", due_by=NOW)
    assert [(r.key, r.lease_until) for r in taken] == [("t:early", real + DEFAULT_LEASE)]


async def test_drain_empties_a_backlog_batch_after_batch(db: Database) -> None:
    await add_many(db, 25)
    telegram = FakeTelegram()
    report = await drain(
        db, renderers_for(), telegram, clock=FrozenClock(NOW), worker="w1", batch=10
    )
    assert (report.claimed, report.sent) == (25, 25)
    assert len(telegram.sent) == 25


# --------------------------------------------------------------------------- reporting


async def test_the_report_lists_dead_rows_first_then_pending_ones(db: Database) -> None:
    await add(db, "mystery", kind="unknown", due=NOW - timedelta(hours=3))
    await add(db, "done", due=NOW - timedelta(hours=4))
    await sweep(db, renderers_for(), FakeTelegram(), now=NOW, worker="w1")
    await add(db, "future", due=NOW + timedelta(days=3))
    await add(db, "late", due=NOW - timedelta(hours=2))  # due, not swept yet

    lines = await pending_report(db, now=NOW)

    assert [(line.key, line.state, line.late) for line in lines] == [
        ("t:mystery", "dead", False),
        ("t:late", "pending", True),
        ("t:future", "pending", False),
    ]
    assert await reminders.count_by_state(db) == {"dead": 1, "pending": 2, "sent": 1}


async def test_a_reminder_about_a_ticket_lets_a_reply_find_the_ticket(db: Database) -> None:
    async with db.uow() as uow:
        commune = Commune(insee="42218", name="Saint-Étienne", created_at=NOW)
        uow.session.add(commune)
        await uow.session.flush()
        person = Person(full_name="Agent", role="commune", commune_id=commune.id, created_at=NOW)
        uow.session.add(person)
        await uow.session.flush()
        ticket = Ticket(
            number="S-2026-0001",
            kind="claim",
            state="open",
            reporter_id=person.id,
            commune_id=commune.id,
            created_at=NOW,
            updated_at=NOW,
        )
        uow.session.add(ticket)
        await uow.commit()
    await add(db, "a", chats=[11, 12], ticket_id=ticket.id)
    await sweep(db, renderers_for(), FakeTelegram(), now=NOW, worker="w1")
    async with db.uow() as uow:
        refs = (
            await uow.session.execute(
                select(
                    MessageRef.platform,
                    MessageRef.chat_id,
                    MessageRef.message_id,
                    MessageRef.ticket_id,
                ).order_by(MessageRef.chat_id)
            )
        ).all()
        total = await uow.session.scalar(select(func.count()).select_from(MessageRef))
    assert [tuple(r) for r in refs] == [
        ("telegram", 11, 1001, ticket.id),
        ("telegram", 12, 1002, ticket.id),
    ]
    assert total == 2


# --------------------------------------------------------------------------- the real bot


class _Errors:
    def __init__(self) -> None:
        self.seen: list[object] = []

    async def __call__(self, update: object, context: Any) -> None:
        self.seen.append(context.error)


async def test_the_bot_delivers_reminders_through_telegram_despite_429_and_timeouts(
    db: Database, database_url: str
) -> None:
    """The job of the real Application, over the offline Bot API, with Telegram's faults."""
    from bot.config import Settings
    from handlers.telegram.app import build_application, running
    from handlers.telegram.offline import OfflineBotAPI

    settings = Settings(
        telegram_token=None,
        database_url=database_url,
        quiet_hours_start="08:00",  # no quiet hours: the engine is under test
        quiet_hours_end="08:00",
        _env_file=None,
    )  # type: ignore[call-arg]
    clock = FrozenClock(NOW)
    api = OfflineBotAPI(bot_username=settings.bot_username)
    api.now = lambda: clock.now().timestamp()
    app = build_application(settings, db, clock=clock, request=api)  # with AIORateLimiter
    errors = _Errors()
    app.add_error_handler(errors)

    async def duty_reminder(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
        hours = row.key.rsplit(":", 1)[-1]
        return [
            Outgoing(chat, f"⏰ Sinistre <b>{row.payload['number']}</b> : {hours} écoulées.")
            for chat in row.payload["chats"]
        ]

    async def escalation(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
        text = f"🚨 Sinistre <b>{row.payload['number']}</b> : délai de 48 h dépassé."
        return [Outgoing(chat, text) for chat in row.payload["staff"]]

    # The engine, not the claim catalog, is under test here: renderers of our own.
    services = app.bot_data["services"]
    services.extra["renderers"] = Renderers(
        {KIND_DUTIES_REMINDER: duty_reminder, KIND_DUTIES_ESCALATION: escalation}
    )
    job = schedule_sweep(app)
    assert schedule_sweep(app) is job  # scheduled once
    assert job.name == "reminders"
    assert job.job.trigger.interval == timedelta(seconds=60)

    agent_a, agent_b = api.user(11, "Camille"), api.user(12, "Dominique")
    staff, gone = api.user(21, "Sam"), api.user(22, "Ancien")
    gone.blocked = True
    discovered = NOW - timedelta(hours=23)
    async with db.uow() as uow:
        await reminders.plan(
            uow,
            plan_duty_reminders(discovered, now=NOW),
            key_prefix="claim:1",
            now=NOW,
            payload={
                "number": "S-2026-0001",
                "chats": [agent_a.id, agent_b.id],
                "staff": [staff.id, gone.id],
            },
        )
        await uow.commit()

    async with running(app, start=False):
        api.clear()
        await job.run(app)  # nothing due yet
        assert api.sent == []

        clock.set(discovered + timedelta(hours=24))
        api.fail_retry_after("sendMessage", retry_after=3)
        await job.run(app)  # 429 on the first send: rescheduled, sweep paused
        assert [f.kind for f in api.faults_served] == ["retry_after"]
        assert api.sent_to(agent_a.id) == []
        clock.advance(timedelta(seconds=2))
        await job.run(app)  # still inside Telegram's 3 s: the job does not even try
        assert api.sent == []

        clock.advance(timedelta(seconds=1))
        await job.run(app)
        assert [m.text for m in api.messages(agent_a.id)] == [
            "⏰ Sinistre S-2026-0001 : 24h écoulées."
        ]
        assert [m.raw_text for m in api.messages(agent_b.id)] == [
            "⏰ Sinistre <b>S-2026-0001</b> : 24h écoulées."
        ]

        clock.set(discovered + timedelta(hours=44))
        api.fail_timeout("sendMessage")
        await job.run(app)  # time-out on the first agent: retried a minute later
        assert len(api.messages(agent_a.id)) == 1
        clock.advance(timedelta(minutes=1))
        await job.run(app)

        clock.set(discovered + timedelta(hours=48))
        await job.run(app)
        await job.run(app)  # a second pass finds nothing more to send

    texts = {chat: [m.text for m in api.messages(chat)] for chat in (11, 12, 21, 22)}
    assert texts == {
        11: ["⏰ Sinistre S-2026-0001 : 24h écoulées.", "⏰ Sinistre S-2026-0001 : 44h écoulées."],
        12: ["⏰ Sinistre S-2026-0001 : 24h écoulées.", "⏰ Sinistre S-2026-0001 : 44h écoulées."],
        21: ["🚨 Sinistre S-2026-0001 : délai de 48 h dépassé."],
        22: [],
    }
    assert [f.kind for f in api.faults_served] == ["retry_after", "timeout"]
    assert [(r.status, r.description) for r in api.refused] == [
        (403, "Forbidden: bot was blocked by the user")
    ]
    assert await states(db) == {
        "claim:1:duties:24h": "sent",
        "claim:1:duties:44h": "sent",
        "claim:1:duties:escalation": "sent",
    }
    async with db.uow() as uow:
        escalated = await uow.session.scalar(
            select(Reminder).where(Reminder.key == "claim:1:duties:escalation")
        )
    assert escalated is not None and escalated.payload["failed"] == {
        "22": "Forbidden: bot was blocked by the user"
    }
    assert errors.seen == []
