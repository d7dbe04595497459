"""Reminder delivery: every deadline is a row, and one sweep sends what is due.

The job queue keeps nothing but the sweep (its jobs vanish on restart); the database keeps
every reminder. A sweep:

1. **claims** due rows in one conditional ``UPDATE`` that stamps a lease (owner, expiry) and
   counts the attempt; on PostgreSQL the inner ``SELECT`` takes ``FOR UPDATE SKIP LOCKED``,
   so two bot processes never take the same row; a crashed sweeper's rows come back when
   its lease expires;
2. **renders** each row through the renderer registered for its kind, which re-checks the
   condition at send time (nothing owed any more → the row is ``skipped``);
3. **sends** to each recipient's chat and records the chat in ``payload["delivered"]``,
   committed right after Telegram's answer, so a retry never writes twice to a chat
   already served;
4. **marks** the row ``sent`` (or reschedules it, or declares it ``dead``).

See docs/decisions/0007-reminder-delivery.md for the reasons and the remaining windows.
Every write after the claim is fenced on ``lease_owner = worker AND state = 'pending'``:
a sweeper that lost its lease, or a row cancelled meanwhile, stops the fan-out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import warnings
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Select, Table, case, func, or_, select, update
from telegram import InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
)
from telegram.warnings import PTBDeprecationWarning

from bot.clock import Clock
from bot.domain.deadlines import PlannedReminder
from storage.models import MessageRef, Reminder
from storage.sql import insert_ignoring_duplicates
from storage.uow import Database, UnitOfWork

if TYPE_CHECKING:
    from telegram import Bot
    from telegram.ext import Application, CallbackContext, Job

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------- settings (one place)
MAX_ATTEMPTS = 12
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
# A batch must be sent within its lease, or a second sweeper could take it again: at the
# slowest pace Telegram allows (20 messages a minute to one group, the staff group), 50
# rows take 2.5 minutes, well inside the 5-minute lease. Private chats go at 30/s, so the
# run simply claims more batches within its budget.
DEFAULT_BATCH = 50
DEFAULT_LEASE = timedelta(minutes=5)
SWEEP_INTERVAL = 60  # seconds between two sweeps of the job queue
SWEEP_FIRST = 10  # seconds after start-up for the first sweep
SWEEP_BUDGET = 45.0  # seconds one job run may keep claiming batch after batch
SWEEP_CONCURRENCY = 4  # rows of a batch in flight at once (the rate limiter paces them)
# ---------------------------------------------------------------------------------------------

PENDING = "pending"
SENT = "sent"
SKIPPED = "skipped"
CANCELLED = "cancelled"
DEAD = "dead"

DELIVERED = "delivered"  # payload key: chat ids served, in order
FAILED = "failed"  # payload key: {"<chat id>": reason} for chats that cannot be served

_T = cast(Table, Reminder.__table__)


# ------------------------------------------------------------------------------ planning


async def plan(
    uow: UnitOfWork,
    planned: Iterable[PlannedReminder],
    *,
    key_prefix: str,
    now: datetime,
    ticket_id: int | None = None,
    person_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
) -> int:
    """Store planned reminders as rows; keys already stored are left alone.

    The key is ``f"{key_prefix}:{planned.key}"``, so planning the same thing twice plans it
    once. Runs in the caller's transaction and does not commit. Returns how many rows were
    added. A concurrent transaction planning the same key is absorbed by the unique
    constraint (``ON CONFLICT DO NOTHING``), never raised to the caller.
    """
    wanted: dict[str, PlannedReminder] = {}
    for item in planned:
        wanted.setdefault(f"{key_prefix}:{item.key}", item)
    if not wanted:
        return 0
    existing = set(
        (await uow.session.scalars(select(Reminder.key).where(Reminder.key.in_(wanted)))).all()
    )
    base = dict(payload or {})
    added = 0
    for key, item in wanted.items():
        if key in existing:
            continue
        values = {
            "key": key,
            "kind": item.kind,
            "ticket_id": ticket_id,
            "audience": str(item.audience),
            "person_id": person_id,
            "payload": dict(base),
            "due_at": item.due_at,
            "next_attempt_at": item.due_at,
            "state": PENDING,
            "attempts": 0,
            "created_at": now,
        }
        result = await uow.session.execute(
            _insert_ignoring_duplicates(uow, _T, values, conflict=["key"])
        )
        added += max(getattr(result, "rowcount", 0), 0)
    return added


def _insert_ignoring_duplicates(
    uow: UnitOfWork, table: Any, values: dict[str, Any], *, conflict: list[str]
) -> Any:
    return insert_ignoring_duplicates(uow.session, table, values, conflict=conflict)


async def cancel(uow: UnitOfWork, *, key_prefix: str, now: datetime) -> int:
    """Cancel the pending reminders planned under ``key_prefix`` (not yet committed).

    Matches the key itself and every ``f"{key_prefix}:…"`` key: ``claim:42`` cancels
    ``claim:42:duties:24h`` but not ``claim:421:…``. A row being sent at this moment stops
    its fan-out at the next recipient. Returns how many rows were cancelled.
    """
    result = await uow.session.execute(
        update(_T)
        .where(
            _T.c.state == PENDING,
            or_(_T.c.key == key_prefix, _T.c.key.startswith(f"{key_prefix}:", autoescape=True)),
        )
        .values(state=CANCELLED, last_error=f"cancelled at {now.isoformat()}")
    )
    return max(getattr(result, "rowcount", 0), 0)


# ------------------------------------------------------------------------------ rendering


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to one chat (Telegram HTML; the Application's Defaults set parse_mode)."""

    chat_id: int
    text: str
    reply_markup: InlineKeyboardMarkup | None = None


Renderer = Callable[[UnitOfWork, Reminder, datetime], Awaitable[list[Outgoing]]]
# Sends one message; may return the id of the message sent (recorded as a MessageRef
# when the reminder is about a ticket, so that a reply to it finds the ticket).
Sender = Callable[[Outgoing], Awaitable[int | None]]


class Renderers:
    """Which renderer turns a reminder of a given kind into messages.

    A renderer re-checks at send time whether anything is still owed (the duty may have
    been done meanwhile) and returns ``[]`` when nothing is: the row becomes ``skipped``.
    It returns at most one message per chat.
    """

    def __init__(self, renderers: Mapping[str, Renderer] | None = None) -> None:
        self._by_kind: dict[str, Renderer] = dict(renderers or {})
        # Kinds another job consumes (the periodic reports send files, not texts): the
        # sweep leaves them alone instead of declaring them dead for want of a renderer.
        self.elsewhere: set[str] = set()

    def handled_elsewhere(self, *kinds: str) -> None:
        clash = set(kinds) & set(self._by_kind)
        if clash:
            raise ValueError(f"kinds both rendered here and handled elsewhere: {sorted(clash)}")
        self.elsewhere.update(kinds)

    def register(self, kind: str, fn: Renderer) -> Renderer:
        if kind in self._by_kind and self._by_kind[kind] is not fn:
            raise ValueError(f"a renderer is already registered for {kind!r}")
        self._by_kind[kind] = fn
        return fn

    def get(self, kind: str) -> Renderer | None:
        return self._by_kind.get(kind)

    def __contains__(self, kind: object) -> bool:
        return kind in self._by_kind

    def kinds(self) -> list[str]:
        return sorted(self._by_kind)


# ------------------------------------------------------------------------------ backoff


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed ones: 1, 2, 4 … min, capped at 1 h."""
    if attempts < 1:
        return BACKOFF_BASE
    if attempts > 12:  # 2**11 min is already far above the cap; avoid huge numbers
        return BACKOFF_CAP
    return min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_CAP)


def retry_after_delay(exc: RetryAfter) -> timedelta:
    """Telegram's ``retry_after`` as a timedelta (an int, a float or a timedelta)."""
    with warnings.catch_warnings():
        # Reading the attribute warns until PTB_TIMEDELTA is set; both types are handled.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: object = exc.retry_after
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    raise TypeError(f"unexpected retry_after {value!r}")  # pragma: no cover


# ------------------------------------------------------------------------------ the sweep


@dataclass
class SweepReport:
    claimed: int = 0
    sent: int = 0  # rows marked sent
    skipped: int = 0
    retried: int = 0  # rows rescheduled (backoff or RetryAfter)
    dead: int = 0
    deferred: int = 0  # rows put back untouched after Telegram asked to slow down
    lost: int = 0  # rows whose lease was taken over or that were cancelled mid-way
    deliveries: list[tuple[str, int]] = field(default_factory=list)  # (key, chat id) sent
    failures: list[tuple[str, int, str]] = field(default_factory=list)  # (key, chat, reason)
    throttled_until: datetime | None = None

    def merge(self, other: SweepReport) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.skipped += other.skipped
        self.retried += other.retried
        self.dead += other.dead
        self.deferred += other.deferred
        self.lost += other.lost
        self.deliveries.extend(other.deliveries)
        self.failures.extend(other.failures)
        if other.throttled_until is not None:
            self.throttled_until = max(
                self.throttled_until or other.throttled_until, other.throttled_until
            )

    @property
    def idle(self) -> bool:
        return self.claimed == 0


def due_query(*, now: datetime, batch: int, exclude: Collection[str] = ()) -> Select[tuple[int]]:
    """The ids of the rows a sweep at ``now`` may claim, oldest first.

    Served by the ``(state, next_attempt_at)`` index: the cost follows the number of due
    rows, not the size of the table (see ``bench/bench_reminders.py``). ``exclude`` lists
    kinds that another job consumes (the periodic reports, which send files).
    """
    conditions = [
        _T.c.state == PENDING,
        _T.c.next_attempt_at <= now,
        or_(_T.c.lease_until.is_(None), _T.c.lease_until < now),
    ]
    if exclude:
        conditions.append(_T.c.kind.not_in(list(exclude)))
    return (
        select(_T.c.id)
        .where(*conditions)
        # next_attempt_at alone: the index then yields rows in order and LIMIT stops early.
        .order_by(_T.c.next_attempt_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )


async def claim(
    db: Database,
    *,
    now: datetime,
    worker: str,
    batch: int = DEFAULT_BATCH,
    lease: timedelta = DEFAULT_LEASE,
    exclude: Collection[str] = (),
) -> list[Reminder]:
    """Take up to ``batch`` due rows for ``worker`` until ``now + lease``, atomically.

    ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …`` on PostgreSQL;
    SQLite drops the locking clause, and its single writer makes the statement atomic.
    Rows come back oldest first; the attempt is counted at the claim.
    """
    statement = (
        update(Reminder)
        .where(Reminder.id.in_(due_query(now=now, batch=batch, exclude=exclude).scalar_subquery()))
        .values(
            lease_owner=worker,
            lease_until=now + lease,
            attempts=Reminder.attempts + 1,
        )
        .returning(Reminder)
        .execution_options(synchronize_session=False)
    )
    async with db.uow() as uow:
        rows = list((await uow.session.scalars(statement)).all())
        await uow.commit()
    rows.sort(key=lambda r: (r.next_attempt_at, r.id))
    return rows


async def sweep(
    db: Database,
    renderers: Renderers,
    send: Sender,
    *,
    now: datetime,
    worker: str,
    batch: int = DEFAULT_BATCH,
    lease: timedelta = DEFAULT_LEASE,
    concurrency: int = 1,
    clock: Clock | None = None,
) -> SweepReport:
    """Claim one batch of due reminders, send them, and record the outcome of each.

    ``concurrency`` rows are handled at once (each in its own short transactions). When
    Telegram answers ``RetryAfter``, that row is rescheduled ``retry_after`` later and every
    row not yet started is put back (lease cleared, attempt not counted).

    ``now`` is the instant of the claim. A batch takes seconds to leave at 30 msg/s: with a
    ``clock``, the instants recorded after a send (``sent_at``, a retry's
    ``next_attempt_at``) are read from it when they happen; without one, ``now`` is used.
    """
    report = SweepReport()
    rows = await claim(
        db, now=now, worker=worker, batch=batch, lease=lease, exclude=renderers.elsewhere
    )
    report.claimed = len(rows)
    if not rows:
        return report
    run = _Run(db, renderers, send, now=now, clock=clock, worker=worker, report=report)
    if concurrency <= 1:
        for row in rows:
            await run.handle(row)
    else:
        gate = asyncio.Semaphore(concurrency)

        async def guarded(row: Reminder) -> None:
            async with gate:
                await run.handle(row)

        # Let every row finish before raising (a database failure, say): rows left leased
        # come back when their lease expires.
        outcomes = await asyncio.gather(*(guarded(row) for row in rows), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
    return report


async def drain(
    db: Database,
    renderers: Renderers,
    send: Sender,
    *,
    clock: Clock,
    worker: str,
    batch: int = DEFAULT_BATCH,
    lease: timedelta = DEFAULT_LEASE,
    concurrency: int = 1,
    budget: float | None = None,
) -> SweepReport:
    """Sweep batch after batch until nothing is due, Telegram throttles, or ``budget`` runs out.

    ``budget`` is in seconds of wall time (monotonic); ``None`` means no limit. Each batch
    reads the clock again, so leases and timestamps stay current on a long backlog.
    """
    total = SweepReport()
    started = time.monotonic()
    while True:
        report = await sweep(
            db,
            renderers,
            send,
            now=clock.now(),
            worker=worker,
            batch=batch,
            lease=lease,
            concurrency=concurrency,
            clock=clock,
        )
        total.merge(report)
        if report.throttled_until is not None or report.claimed < batch:
            return total
        if budget is not None and time.monotonic() - started >= budget:
            return total


class _Run:
    """One sweep's handling of its claimed rows."""

    def __init__(
        self,
        db: Database,
        renderers: Renderers,
        send: Sender,
        *,
        now: datetime,
        worker: str,
        report: SweepReport,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.renderers = renderers
        self.send = send
        self.now = now
        self.clock = clock
        self.worker = worker
        self.report = report
        self.stopped = False

    def current(self) -> datetime:
        """The instant of an outcome: the clock's, or the sweep's ``now`` without one."""
        return self.clock.now() if self.clock is not None else self.now

    # -- one row ---------------------------------------------------------------------------

    async def handle(self, row: Reminder) -> None:
        if self.stopped:
            await self._put_back(row)
            return
        renderer = self.renderers.get(row.kind)
        if renderer is None:
            await self._dead(row, f"no renderer for kind {row.kind!r}")
            return
        try:
            async with self.db.uow() as uow:
                messages = await renderer(uow, row, self.now)
        except Exception as exc:
            log.exception("reminder %s: rendering failed", row.key)
            await self._failed(row, f"render: {type(exc).__name__}: {exc}")
            return

        payload = dict(row.payload or {})
        delivered: list[int] = [int(c) for c in payload.get(DELIVERED, [])]
        failed: dict[str, str] = {str(k): str(v) for k, v in payload.get(FAILED, {}).items()}
        done = set(delivered) | {int(k) for k in failed}
        todo: list[Outgoing] = []
        for message in messages:
            if message.chat_id not in done:
                done.add(message.chat_id)
                todo.append(message)

        for message in todo:
            if self.stopped:
                await self._put_back(row)
                return
            try:
                message_id = await self._send_one(message)
            except RetryAfter as exc:
                await self._throttled(row, exc)
                return
            except Forbidden as exc:
                reason = _describe(exc)
            except BadRequest as exc:
                if not _chat_is_gone(exc):
                    # The message itself is refused (bad HTML, too long…): no retry helps.
                    await self._dead(row, _describe(exc), chat_id=message.chat_id)
                    return
                reason = _describe(exc)
            except Exception as exc:  # TimedOut, NetworkError, 5xx, anything unexpected
                log.warning("reminder %s to %s: %s", row.key, message.chat_id, _describe(exc))
                await self._failed(row, _describe(exc))
                return
            else:
                delivered.append(message.chat_id)
                payload[DELIVERED] = list(delivered)
                if not await self._save_delivery(row, payload, message.chat_id, message_id):
                    return
                self.report.deliveries.append((row.key, message.chat_id))
                continue
            # The chat cannot be reached (the person blocked the bot, the chat is gone):
            # note it and carry on with the others; it is not retried.
            log.warning("reminder %s: chat %s unreachable: %s", row.key, message.chat_id, reason)
            failed[str(message.chat_id)] = reason
            payload[FAILED] = dict(failed)
            self.report.failures.append((row.key, message.chat_id, reason))
            if not await self._write(row, payload=payload):
                return

        await self._finish(row, payload)

    async def _send_one(self, message: Outgoing) -> int | None:
        try:
            return await self.send(message)
        except ChatMigrated as exc:
            # A group became a supergroup: the message goes to its new id, once.
            return await self.send(replace(message, chat_id=exc.new_chat_id))

    # -- outcomes --------------------------------------------------------------------------

    async def _finish(self, row: Reminder, payload: dict[str, Any]) -> None:
        delivered = payload.get(DELIVERED, [])
        failed = payload.get(FAILED, {})
        if delivered:
            state = SENT
        elif failed:
            state = DEAD  # nobody could be reached: a person must look at it
        else:
            state = SKIPPED
        last_error = "; ".join(f"{chat}: {reason}" for chat, reason in failed.items()) or None
        ok = await self._write(
            row,
            payload=payload,
            state=state,
            sent_at=self.current() if state == SENT else None,
            last_error=last_error,
            lease_owner=None,
            lease_until=None,
        )
        if not ok:
            return
        if state == SENT:
            self.report.sent += 1
        elif state == SKIPPED:
            self.report.skipped += 1
        else:
            self.report.dead += 1
            log.error(
                "reminder %s is dead: no recipient could be reached (%s)", row.key, last_error
            )

    async def _failed(self, row: Reminder, error: str) -> None:
        """A transient failure: try again later, or give up after MAX_ATTEMPTS."""
        if row.attempts >= MAX_ATTEMPTS:
            await self._dead(row, f"{error} (after {row.attempts} attempts)")
            return
        if await self._write(
            row,
            next_attempt_at=self.current() + backoff(row.attempts),
            last_error=error,
            lease_owner=None,
            lease_until=None,
        ):
            self.report.retried += 1

    async def _dead(self, row: Reminder, error: str, *, chat_id: int | None = None) -> None:
        where = f" (chat {chat_id})" if chat_id is not None else ""
        log.error("reminder %s is dead%s: %s", row.key, where, error)
        if await self._write(row, state=DEAD, last_error=error, lease_owner=None, lease_until=None):
            self.report.dead += 1

    async def _throttled(self, row: Reminder, exc: RetryAfter) -> None:
        self.stopped = True
        delay = retry_after_delay(exc)
        until = self.current() + delay
        log.warning("reminder %s: Telegram asks to wait %s; sweep paused", row.key, delay)
        if self.report.throttled_until is None or until > self.report.throttled_until:
            self.report.throttled_until = until
        if await self._write(
            row,
            next_attempt_at=until,
            last_error=f"RetryAfter: {delay.total_seconds():g} s",
            lease_owner=None,
            lease_until=None,
        ):
            self.report.retried += 1

    async def _put_back(self, row: Reminder) -> None:
        """Release a claimed row untouched: due again at the next sweep, attempt not counted."""
        if await self._write(row, lease_owner=None, lease_until=None, attempts=_T.c.attempts - 1):
            self.report.deferred += 1

    # -- writes, fenced on our lease ---------------------------------------------------------

    def _fenced(self, row: Reminder) -> Any:
        return update(_T).where(
            _T.c.id == row.id, _T.c.lease_owner == self.worker, _T.c.state == PENDING
        )

    async def _write(self, row: Reminder, **values: Any) -> bool:
        async with self.db.uow() as uow:
            result = await uow.session.execute(self._fenced(row).values(**values))
            await uow.commit()
        if getattr(result, "rowcount", 0) != 1:
            self._lost(row)
            return False
        return True

    async def _save_delivery(
        self, row: Reminder, payload: dict[str, Any], chat_id: int, message_id: int | None
    ) -> bool:
        """Record the chat as served (and which message it got) right after Telegram's answer."""
        async with self.db.uow() as uow:
            result = await uow.session.execute(self._fenced(row).values(payload=payload))
            if getattr(result, "rowcount", 0) != 1:
                await uow.rollback()
                self._lost(row)
                return False
            if row.ticket_id is not None and isinstance(message_id, int):
                ref = {
                    "chat_id": chat_id,
                    "message_id": message_id,
                    "ticket_id": row.ticket_id,
                    "created_at": self.current(),
                }
                await uow.session.execute(
                    _insert_ignoring_duplicates(
                        uow, MessageRef.__table__, ref, conflict=["chat_id", "message_id"]
                    )
                )
            await uow.commit()
        return True

    def _lost(self, row: Reminder) -> None:
        log.warning(
            "reminder %s: no longer ours (lease taken over or row cancelled); left alone",
            row.key,
        )
        self.report.lost += 1


def _chat_is_gone(exc: BadRequest) -> bool:
    text = exc.message.lower()
    return any(
        marker in text
        for marker in ("chat not found", "peer_id_invalid", "user not found", "chat_id is empty")
    )


def _describe(exc: BaseException) -> str:
    """``Kind: message``, without repeating the kind (Telegram's 403 says "Forbidden: …")."""
    name = type(exc).__name__
    message = str(getattr(exc, "message", None) or exc)
    if not message:
        return name
    return message if message.startswith(name) else f"{name}: {message}"


# ------------------------------------------------------------------------------ reporting


@dataclass(frozen=True)
class ReminderLine:
    key: str
    kind: str
    due_at: datetime
    next_attempt_at: datetime
    state: str
    attempts: int
    last_error: str | None
    late: bool  # pending and already due: the sweep has not sent it yet


async def pending_report(db: Database, *, now: datetime, limit: int = 50) -> list[ReminderLine]:
    """Reminders that still need something: dead ones first, then pending by due time."""
    dead_first = case((_T.c.state == DEAD, 0), else_=1)
    async with db.uow() as uow:
        rows = await uow.session.scalars(
            select(Reminder)
            .where(Reminder.state.in_((PENDING, DEAD)))
            .order_by(dead_first, Reminder.next_attempt_at, Reminder.id)
            .limit(limit)
        )
        return [
            ReminderLine(
                key=r.key,
                kind=r.kind,
                due_at=r.due_at,
                next_attempt_at=r.next_attempt_at,
                state=r.state,
                attempts=r.attempts,
                last_error=r.last_error,
                late=r.state == PENDING and r.next_attempt_at <= now,
            )
            for r in rows
        ]


async def count_by_state(db: Database) -> dict[str, int]:
    async with db.uow() as uow:
        result = await uow.session.execute(
            select(Reminder.state, func.count()).group_by(Reminder.state)
        )
        return {state: int(n) for state, n in result.all()}


# ------------------------------------------------------------------------------ Telegram


def telegram_sender(bot: Bot) -> Sender:
    """Send through the bot (its rate limiter and Defaults: parse_mode HTML)."""

    async def send(message: Outgoing) -> int | None:
        sent = await bot.send_message(
            chat_id=message.chat_id, text=message.text, reply_markup=message.reply_markup
        )
        return sent.message_id

    return send


def worker_id() -> str:
    """This process, as a lease owner: ``hostname:pid`` (at most 64 characters)."""
    pid = str(os.getpid())
    return f"{socket.gethostname()[: 63 - len(pid)]}:{pid}"


JOB_NAME = "reminders"
THROTTLE_KEY = "reminders.throttled_until"
RENDERERS_KEY = "renderers"


async def sweep_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """The job queue's callback: drain what is due, unless Telegram asked us to wait."""
    from bot.app import Services

    services: Services = context.application.bot_data["services"]
    renderers = services.extra.get(RENDERERS_KEY)
    if not isinstance(renderers, Renderers):
        log.warning("no reminder renderers configured (services.extra[%r])", RENDERERS_KEY)
        return
    throttled_until: datetime | None = services.extra.get(THROTTLE_KEY)
    if throttled_until is not None and services.clock.now() < throttled_until:
        log.info("reminder sweep skipped: Telegram asked to wait until %s", throttled_until)
        return
    report = await drain(
        services.db,
        renderers,
        telegram_sender(context.bot),
        clock=services.clock,
        worker=worker_id(),
        concurrency=SWEEP_CONCURRENCY,
        budget=SWEEP_BUDGET,
    )
    services.extra[THROTTLE_KEY] = report.throttled_until
    if not report.idle:
        log.info(
            "reminders: %d claimed, %d sent, %d skipped, %d retried, %d dead, %d deferred",
            report.claimed,
            report.sent,
            report.skipped,
            report.retried,
            report.dead,
            report.deferred,
        )


def schedule_sweep(
    application: Application[Any, Any, Any, Any, Any, Any],
    interval: float = SWEEP_INTERVAL,
    *,
    first: float = SWEEP_FIRST,
) -> Job[Any]:
    """Run the sweep every ``interval`` seconds; one run at a time (APScheduler skips overlap).

    Idempotent: the job is named ``reminders`` and scheduled once per Application.
    """
    if application.job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    existing = application.job_queue.get_jobs_by_name(JOB_NAME)
    if existing:
        return existing[0]
    services = application.bot_data["services"]
    services.extra.setdefault(RENDERERS_KEY, Renderers())
    return application.job_queue.run_repeating(
        sweep_job,
        interval=interval,
        first=first,
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )


__all__: Sequence[str] = [
    "MAX_ATTEMPTS",
    "Outgoing",
    "ReminderLine",
    "Renderer",
    "Renderers",
    "Sender",
    "SweepReport",
    "backoff",
    "cancel",
    "claim",
    "count_by_state",
    "drain",
    "due_query",
    "pending_report",
    "plan",
    "retry_after_delay",
    "schedule_sweep",
    "sweep",
    "sweep_job",
    "telegram_sender",
    "worker_id",
]
