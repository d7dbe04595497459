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
   committed right after the messenger's answer, so a retry never writes twice to a chat
   already served;
4. **marks** the row ``sent`` (or reschedules it, or declares it ``dead``).

After an outage several reminders of one ticket may be due at once (the +24 h and +44 h
duty reminders, say): only the latest-planned of each ticket, audience, person and kind is
sent; the others are marked ``skipped`` with the reason (decision 0024).

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
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, case, func, or_, select, update

from bot.clock import Clock
from bot.domain.deadlines import PlannedReminder
from bot.domain.quiet_hours import QuietHours
from bot.observability import logs as log_context
from bot.services.delivery import (
    Outgoing,
    Refused,
    Sender,
    Throttled,
    Uncertain,
    Unreachable,
    describe,
)
from storage.models import MessageRef, Reminder
from storage.sql import insert_ignoring_duplicates, insert_many_ignoring_duplicates
from storage.uow import Database, UnitOfWork

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
# The paced lane claims small batches: a batch leaves in under a second at 30 msg/s, so
# a run stops soon after its budget, and two processes share a backlog finely.
PACED_BATCH = 20
IDLE_WAKE = 1.0  # seconds before a sweep that took nothing runs again for a due row
FAN_OUT_CHUNK = 500  # children inserted per statement (SQLite's bound variables)
# ---------------------------------------------------------------------------------------------

PENDING = "pending"
SENT = "sent"
SKIPPED = "skipped"
CANCELLED = "cancelled"
DEAD = "dead"

# What became of a row, or of one of its recipients, as the sweep's listeners hear it
# (``Renderers.on_outcome``: the process's metrics, decision 0070).
RETRIED = "retried"  # the row comes back later (a transient failure, the messenger's « wait »)
REFUSED = "refused"  # one recipient's message refused by the messenger; not retried
UNREACHABLE = "unreachable"  # one recipient cannot be reached (blocked the bot, chat gone)

DELIVERED = "delivered"  # payload key: chat ids served, in order
FAILED = "failed"  # payload key: {"<chat id>": reason} for chats that cannot be served
TIMED_OUT = "timed_out"  # payload key: {"<chat id>": n}, time-outs (the message may be there)
# A time-out may hide a message delivered: after this many, that chat is not tried again,
# so that a recipient gets at most one copy more than it should (README, « Les relances »).
MAX_UNCERTAIN = 2
PLANNED_FOR = "planned_for"  # payload key: the instant planned, when quiet hours moved it

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
    quiet: QuietHours | None = None,
) -> int:
    """Store planned reminders as rows; keys already stored are left alone.

    A reminder due in the quiet hours (``quiet``, else the unit of work's: the settings')
    is stored at the daytime slot ``QuietHours.place`` gives (decision 0023); the instant
    first planned is kept in ``payload["planned_for"]``.

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
    hours = quiet if quiet is not None else uow.quiet_hours
    added = 0
    for key, item in wanted.items():
        if key in existing:
            continue
        due_at = hours.place(
            item.due_at, deadline=item.deadline, escalation=item.escalation, now=now
        )
        row_payload = dict(base)
        if due_at != item.due_at:
            row_payload[PLANNED_FOR] = item.due_at.isoformat()
        values = {
            "key": key,
            "kind": item.kind,
            "ticket_id": ticket_id,
            "audience": str(item.audience),
            "person_id": person_id,
            "payload": row_payload,
            "due_at": due_at,
            "next_attempt_at": due_at,
            "state": PENDING,
            "attempts": 0,
            "created_at": now,
        }
        result = await uow.session.execute(
            _insert_ignoring_duplicates(uow, _T, values, conflict=["key"])
        )
        added += max(getattr(result, "rowcount", 0), 0)
        uow.planned(due_at)
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


Renderer = Callable[[UnitOfWork, Reminder, datetime], Awaitable[list[Outgoing]]]


@dataclass(frozen=True, slots=True)
class Child:
    """One person's row of a fanned-out reminder: ``key`` is appended to the parent's."""

    key: str
    kind: str
    person_id: int | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)


class NotYet(Exception):
    """Raised by a renderer when its message cannot be written yet (an announcement's
    report while some of its messages are still on their way): the row comes back
    ``after`` later, the attempt not counted."""

    def __init__(self, after: timedelta) -> None:
        super().__init__(f"not yet: again in {after}")
        self.after = after


# A reminder to a crowd (a call's closing reminder to thousands of heads): at its due
# instant the expander lists one child row per person, and the paced lane sends those.
Expander = Callable[[UnitOfWork, Reminder, datetime], Awaitable[list[Child]]]

DEADLINES = "deadlines"  # the sweep: every reminder of a ticket's deadline
PACED = "paced"  # the paced lane: the many messages of a fanned-out reminder
FANOUT = "fanout"  # a reminder to a crowd, expanded by the paced lane into its messages
ELSEWHERE = "elsewhere"  # kinds another job sends (the periodic reports' files)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One thing the sweep did: a row ``sent`` (``lag``: seconds from its due instant),
    ``skipped``, ``retried`` or ``dead``, or one recipient ``refused`` or ``unreachable``.
    Only the row's kind and lane: nothing of who or what."""

    kind: str
    lane: str
    result: str
    lag: float | None = None


OutcomeListener = Callable[[Outcome], None]


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
        # Kinds the paced lane sends instead of the sweep (decision 0042), and the
        # fan-out kinds it expands into them.
        self.paced: set[str] = set()
        self._expanders: dict[str, Expander] = {}
        # Kinds of messages written once (a notice owed now): never superseded by another
        # row of the same ticket, as repeated reminders are.
        self.one_off: set[str] = set()
        # Told of every outcome of every sweep that uses this registry (the metrics).
        self._listeners: list[OutcomeListener] = []

    def on_outcome(self, listener: OutcomeListener) -> Callable[[], None]:
        """Call ``listener(outcome)`` for each row's (and refused or unreachable
        recipient's) outcome; returns the function that stops it. A listener that raises
        is logged, never the sweep's concern."""
        self._listeners.append(listener)

        def stop() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return stop

    def tell(self, outcome: Outcome) -> None:
        for listener in list(self._listeners):
            try:
                listener(outcome)
            except Exception:
                log.exception("a listener of the sweep's outcomes failed")

    def lane_of(self, kind: str) -> str:
        """The lane that sends a kind (the reports' own job and fan-outs by their name)."""
        if kind in self.paced:
            return PACED
        if kind in self.elsewhere:
            return ELSEWHERE
        if kind in self._expanders:
            return FANOUT
        return DEADLINES

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

    def register_paced(self, kind: str, fn: Renderer) -> Renderer:
        """A kind of one person's message among many, sent by the paced lane: never ahead
        of a deadline's reminder."""
        self.register(kind, fn)
        self.paced.add(kind)
        return fn

    def register_one_off(self, kind: str, fn: Renderer) -> Renderer:
        """A kind of message written once, each row its own: several rows of one ticket
        due together are all sent (no catch-up rule makes one of them pointless)."""
        self.register(kind, fn)
        self.one_off.add(kind)
        return fn

    def register_fanout(self, kind: str, expander: Expander) -> Expander:
        """A reminder to a crowd: at its due instant, the paced lane expands it into one
        child row per person (``Child``), each rendered by its own (paced) kind."""
        if kind in self._by_kind or kind in self._expanders:
            raise ValueError(f"a renderer is already registered for {kind!r}")
        self._expanders[kind] = expander
        return expander

    def merge(self, other: Renderers) -> None:
        """Take in another registry's renderers, paced kinds, fan-outs and exclusions."""
        for kind in other.kinds():
            renderer = other.get(kind)
            assert renderer is not None
            self.register(kind, renderer)
        for kind, expander in other._expanders.items():
            self.register_fanout(kind, expander)
        self.paced.update(other.paced)
        self.one_off.update(other.one_off)
        self.handled_elsewhere(*other.elsewhere)

    def get(self, kind: str) -> Renderer | None:
        return self._by_kind.get(kind)

    def expander(self, kind: str) -> Expander | None:
        return self._expanders.get(kind)

    @property
    def fanouts(self) -> set[str]:
        return set(self._expanders)

    def lane(self, lane: str) -> tuple[set[str], set[str]]:
        """The kinds a lane takes (``only``; empty: every kind) and those it leaves."""
        if lane == PACED:
            return set(self.paced), set()
        return set(), self.elsewhere | self.paced | self.fanouts

    def __contains__(self, kind: object) -> bool:
        return kind in self._by_kind

    def kinds(self) -> list[str]:
        return sorted(self._by_kind)


# ------------------------------------------------------------------------------ backoff


def _served_and_not(payload: Mapping[str, Any], again: Mapping[str, str]) -> str:
    """A row's error when some chats failed for now: who was and was not served."""
    failing = "; ".join(f"{reason} (chat {chat})" for chat, reason in again.items())
    served = ", ".join(str(c) for c in payload.get(DELIVERED, []))
    unreachable = ", ".join(str(c) for c in payload.get(FAILED, {}))
    parts = [failing, f"served: {served or 'none'}"]
    if unreachable:
        parts.append(f"unreachable: {unreachable}")
    return " — ".join(parts)


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed ones: 1, 2, 4 … min, capped at 1 h."""
    if attempts < 1:
        return BACKOFF_BASE
    if attempts > 12:  # 2**11 min is already far above the cap; avoid huge numbers
        return BACKOFF_CAP
    return min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_CAP)


# ------------------------------------------------------------------------------ catch-up


@dataclass(frozen=True, slots=True)
class Due:
    """What the catch-up rule reads of a reminder row."""

    id: int
    key: str
    kind: str
    ticket_id: int | None
    audience: str
    person_id: int | None
    due_at: datetime

    @classmethod
    def of(cls, row: Reminder) -> Due:
        return cls(
            row.id, row.key, row.kind, row.ticket_id, row.audience, row.person_id, row.due_at
        )


def superseded(due: Iterable[Due]) -> dict[int, str]:
    """Rows made pointless by a later one of the same purpose, each with that one's key.

    Reminders of one ticket to one audience (and person) of one kind repeat the same
    message with fresher facts: when several are due at once (a catch-up after an
    outage), the latest-planned one (latest ``due_at``, then highest id) is enough.
    Rows without a ticket are never grouped: their payload says what they are about.
    """
    groups: dict[tuple[int, str, int | None, str], list[Due]] = {}
    for item in due:
        if item.ticket_id is not None:
            groups.setdefault(
                (item.ticket_id, item.audience, item.person_id, item.kind), []
            ).append(item)
    found: dict[int, str] = {}
    for members in groups.values():
        latest = max(members, key=lambda d: (d.due_at, d.id))
        for member in members:
            if member.id != latest.id:
                found[member.id] = latest.key
    return found


async def _superseded(
    db: Database, rows: Sequence[Reminder], now: datetime, one_off: Collection[str] = ()
) -> dict[int, str]:
    """Which claimed rows a later reminder of the same purpose, due too, makes pointless.

    The later one may be in this batch, in another sweeper's, waiting for a retry, or
    already sent: in every case sending the earlier one now would repeat it. Rows of the
    ``one_off`` kinds are never pointless.
    """
    rows = [r for r in rows if r.kind not in one_off]
    tickets = {r.ticket_id for r in rows if r.ticket_id is not None}
    if not tickets:
        return {}
    async with db.uow() as uow:
        others = (
            await uow.session.scalars(
                select(Reminder).where(
                    Reminder.ticket_id.in_(tickets),
                    Reminder.kind.in_({r.kind for r in rows}),
                    Reminder.state.in_((PENDING, SENT)),
                    Reminder.due_at <= now,
                )
            )
        ).all()
    candidates = {d.id: d for d in (Due.of(r) for r in others)}
    candidates.update((r.id, Due.of(r)) for r in rows)
    claimed = {r.id for r in rows}
    return {i: key for i, key in superseded(candidates.values()).items() if i in claimed}


# ------------------------------------------------------------------------------ the sweep


@dataclass
class SweepReport:
    claimed: int = 0
    sent: int = 0  # rows marked sent
    skipped: int = 0
    retried: int = 0  # rows rescheduled (backoff or throttled)
    dead: int = 0
    deferred: int = 0  # rows put back untouched after the messenger asked to slow down
    lost: int = 0  # rows whose lease was taken over or that were cancelled mid-way
    superseded: int = 0  # of the skipped: a later reminder of the same purpose was due too
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
        self.superseded += other.superseded
        self.deliveries.extend(other.deliveries)
        self.failures.extend(other.failures)
        if other.throttled_until is not None:
            self.throttled_until = max(
                self.throttled_until or other.throttled_until, other.throttled_until
            )

    @property
    def idle(self) -> bool:
        return self.claimed == 0


def due_query(
    *,
    now: datetime,
    batch: int,
    exclude: Collection[str] = (),
    only: Collection[str] = (),
    due_by: datetime | None = None,
) -> Select[tuple[int]]:
    """The ids of the rows a sweep at ``now`` may claim, oldest first: due by ``due_by``
    (default ``now``; a catch-up "as if" at another instant) and not leased at ``now``.

    Served by the ``(state, next_attempt_at)`` index: the cost follows the number of due
    rows, not the size of the table (see ``bench/bench_reminders.py``). ``exclude`` lists
    kinds that another job consumes (the periodic reports, which send files); ``only``
    restricts the claim to some kinds (the paced lane's).
    """
    conditions = [
        _T.c.state == PENDING,
        _T.c.next_attempt_at <= (now if due_by is None else due_by),
        or_(_T.c.lease_until.is_(None), _T.c.lease_until < now),
    ]
    if exclude:
        conditions.append(_T.c.kind.not_in(sorted(exclude)))
    if only:
        conditions.append(_T.c.kind.in_(sorted(only)))
    return (
        select(_T.c.id)
        .where(*conditions)
        # next_attempt_at alone: the index then yields rows in order and LIMIT stops early.
        .order_by(_T.c.next_attempt_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )


async def next_due(
    db: Database, renderers: Renderers, *, now: datetime, lane: str = DEADLINES
) -> datetime | None:
    """The instant the lane's next free row falls due (``None``: nothing pending).

    Read on the ``(state, next_attempt_at)`` index, first row only. A row leased by
    another sweeper is not counted: it comes back with the regular round."""
    only, exclude = renderers.lane(lane)
    conditions = [
        _T.c.state == PENDING,
        or_(_T.c.lease_until.is_(None), _T.c.lease_until < now),
    ]
    if exclude:
        conditions.append(_T.c.kind.not_in(sorted(exclude)))
    if only:
        conditions.append(_T.c.kind.in_(sorted(only)))
    query = select(_T.c.next_attempt_at).where(*conditions).order_by(_T.c.next_attempt_at)
    async with db.uow() as uow:
        due: datetime | None = await uow.session.scalar(query.limit(1))
    return due


def next_wake(
    now: datetime,
    *,
    due: datetime | None,
    throttled_until: datetime | None = None,
    interval: float,
    idle: bool = False,
) -> float:
    """Seconds until the sweep should run again: when the next row falls due, never
    before the messenger's « wait » ends, and at the latest after ``interval`` (the round
    that also catches what another process planned or left).

    ``idle``: the run just made took nothing although a row looks due (another process
    is sending it, say): not again at once, but after ``IDLE_WAKE``."""
    if due is None:
        return interval
    at = due if throttled_until is None else max(due, throttled_until)
    delay = min(max((at - now).total_seconds(), 0.0), interval)
    return max(delay, IDLE_WAKE) if idle else delay


async def claim(
    db: Database,
    *,
    now: datetime,
    worker: str,
    batch: int = DEFAULT_BATCH,
    lease: timedelta = DEFAULT_LEASE,
    exclude: Collection[str] = (),
    only: Collection[str] = (),
    due_by: datetime | None = None,
) -> list[Reminder]:
    """Take up to ``batch`` due rows for ``worker`` until ``now + lease``, atomically.

    ``now`` must be the real instant (the lease counts from it, and another process reads
    the lease against its own clock); ``due_by`` only selects what is due (a catch-up
    "as if" at another instant), default ``now``.

    ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …`` on PostgreSQL;
    SQLite drops the locking clause, and its single writer makes the statement atomic.
    Rows come back oldest first; the attempt is counted at the claim.
    """
    statement = (
        update(Reminder)
        .where(
            Reminder.id.in_(
                due_query(
                    now=now, batch=batch, exclude=exclude, only=only, due_by=due_by
                ).scalar_subquery()
            )
        )
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
    lane: str = DEADLINES,
    as_of: datetime | None = None,
    stopping: asyncio.Event | None = None,
) -> SweepReport:
    """Claim one batch of due reminders, send them, and record the outcome of each.

    ``as_of`` (a catch-up "as if" at that instant): selects the rows due by then and
    renders them as of then; the lease and every instant recorded stay the real ones.

    ``lane``: the sweep (``DEADLINES``) takes every kind but the paced ones and the
    fan-outs; the paced lane (``PACED``) takes only the paced kinds.

    ``concurrency`` rows are handled at once (each in its own short transactions). When
    the messenger asks to slow down (``Throttled``), that row is rescheduled ``delay``
    later and every row not yet started is put back (lease cleared, attempt not counted).

    ``now`` is the instant of the claim. A batch takes seconds to leave at 30 msg/s: with a
    ``clock``, the instants recorded after a send (``sent_at``, a retry's
    ``next_attempt_at``) are read from it when they happen; without one, ``now`` is used.

    ``stopping`` (the process is shutting down): once set, no new message is sent; the rows
    not yet served are put back at once (lease cleared), for the next start or another
    instance, so a stop lasts the message in flight, not the batch.
    """
    report = SweepReport()
    if stopping is not None and stopping.is_set():
        return report
    only, exclude = renderers.lane(lane)
    rows = await claim(
        db,
        now=now,
        worker=worker,
        batch=batch,
        lease=lease,
        exclude=exclude,
        only=only,
        due_by=as_of,
    )
    report.claimed = len(rows)
    await send_claimed(
        db,
        renderers,
        send,
        rows,
        now=now,
        worker=worker,
        report=report,
        concurrency=concurrency,
        clock=clock,
        as_of=as_of,
        stopping=stopping,
    )
    return report


async def send_claimed(
    db: Database,
    renderers: Renderers,
    send: Sender,
    rows: Sequence[Reminder],
    *,
    now: datetime,
    worker: str,
    report: SweepReport | None = None,
    concurrency: int = 1,
    clock: Clock | None = None,
    as_of: datetime | None = None,
    stopping: asyncio.Event | None = None,
) -> SweepReport:
    """Send rows already leased to ``worker`` and record the outcome of each, as the sweep
    does with what it claims (``sweep`` calls it): the outbox's messages sent at once go
    the same way (``outbox.send_now``). Rows are handled in the order given."""
    report = SweepReport() if report is None else report
    if not rows:
        return report
    run = _Run(
        db,
        renderers,
        send,
        now=now,
        clock=clock,
        worker=worker,
        report=report,
        as_of=as_of,
        stopping=stopping,
    )
    run.superseded = await _superseded(db, rows, run.as_of, renderers.one_off)
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
    lane: str = DEADLINES,
    as_of: datetime | None = None,
    stopping: asyncio.Event | None = None,
) -> SweepReport:
    """Sweep batch after batch until nothing is due, throttling, ``budget`` runs out, or
    the process is ``stopping``.

    ``budget`` is in seconds of wall time (monotonic); ``None`` means no limit. Each batch
    reads the clock again, so leases and timestamps stay current on a long backlog; a
    catch-up's ``as_of`` only selects what is due (see ``sweep``).
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
            lane=lane,
            as_of=as_of,
            stopping=stopping,
        )
        total.merge(report)
        if report.throttled_until is not None or report.claimed < batch:
            return total
        if stopping is not None and stopping.is_set():
            return total
        if budget is not None and time.monotonic() - started >= budget:
            return total


async def fan_out(
    db: Database,
    renderers: Renderers,
    *,
    now: datetime,
    worker: str,
    batch: int = 10,
    lease: timedelta = DEFAULT_LEASE,
    as_of: datetime | None = None,
) -> int:
    """Expand the due fan-out rows into one pending child row per person; returns how
    many children were added.

    Each parent is claimed like any row, its expander lists the children, and in one
    transaction the children are inserted (keys ``f"{parent.key}:{child.key}"``, so a
    second expansion adds nothing and cancelling the parent's prefix cancels them) and
    the parent is marked ``sent`` (``skipped`` when nobody is owed the message), fenced
    on the lease. The children are due at once and go out through the paced lane.
    """
    kinds = renderers.fanouts
    if not kinds:
        return 0
    rows = await claim(
        db, now=now, worker=worker, batch=batch, lease=lease, only=kinds, due_by=as_of
    )
    due = now if as_of is None else as_of  # the children are due when the parent was
    added = 0
    for row in rows:
        expander = renderers.expander(row.kind)
        assert expander is not None
        fenced = update(_T).where(
            _T.c.id == row.id, _T.c.lease_owner == worker, _T.c.state == PENDING
        )
        try:
            async with db.uow() as uow:
                children = await expander(uow, row, due)
                values = [
                    {
                        "key": f"{row.key}:{child.key}",
                        "kind": child.kind,
                        "ticket_id": row.ticket_id,
                        "audience": row.audience,
                        "person_id": child.person_id,
                        "payload": dict(child.payload),
                        "due_at": due,
                        "next_attempt_at": due,
                        "state": PENDING,
                        "attempts": 0,
                        "created_at": now,
                    }
                    for child in children
                ]
                for start in range(0, len(values), FAN_OUT_CHUNK):
                    result = await uow.session.execute(
                        insert_many_ignoring_duplicates(
                            uow.session, _T, values[start : start + FAN_OUT_CHUNK], conflict=["key"]
                        )
                    )
                    added += max(getattr(result, "rowcount", 0), 0)
                payload = {**(row.payload or {}), "children": len(values)}
                done = await uow.session.execute(
                    fenced.values(
                        state=SENT if values else SKIPPED,
                        sent_at=now if values else None,
                        payload=payload,
                        lease_owner=None,
                        lease_until=None,
                    )
                )
                if getattr(done, "rowcount", 0) != 1:
                    await uow.rollback()  # cancelled meanwhile, or no longer ours
                    log.warning("reminder %s: no longer ours; not expanded", row.key)
                    continue
                await uow.commit()
        except Exception as exc:
            log.exception("reminder %s: expansion failed", row.key)
            retry = now + backoff(row.attempts)
            state = DEAD if row.attempts >= MAX_ATTEMPTS else PENDING
            async with db.uow() as uow:
                await uow.session.execute(
                    fenced.values(
                        state=state,
                        next_attempt_at=retry,
                        last_error=f"expand: {type(exc).__name__}: {exc}",
                        lease_owner=None,
                        lease_until=None,
                    )
                )
                await uow.commit()
            continue
        log.info("reminder %s: expanded into %d messages", row.key, len(values))
    return added


async def paced(
    db: Database,
    renderers: Renderers,
    send: Sender,
    *,
    clock: Clock,
    worker: str,
    batch: int = PACED_BATCH,
    lease: timedelta = DEFAULT_LEASE,
    concurrency: int = 1,
    budget: float | None = None,
    as_of: datetime | None = None,
    stopping: asyncio.Event | None = None,
) -> SweepReport:
    """The paced lane's run: expand what fell due, then send the children a few at a time.

    It runs beside the sweep, on its own job: a message of the lane waits behind at most
    ``concurrency`` others for the messenger's pacing, so a deadline's reminder that falls
    due in the middle of 48,000 of them is not queued behind them (decision 0042).
    """
    await fan_out(db, renderers, now=clock.now(), worker=worker, lease=lease, as_of=as_of)
    return await drain(
        db,
        renderers,
        send,
        clock=clock,
        worker=worker,
        batch=batch,
        lease=lease,
        concurrency=concurrency,
        budget=budget,
        lane=PACED,
        as_of=as_of,
        stopping=stopping,
    )


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
        as_of: datetime | None = None,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self.db = db
        self.renderers = renderers
        self.send = send
        self.now = now
        self.as_of = now if as_of is None else as_of  # what is rendered: as of this instant
        self.clock = clock
        self.worker = worker
        self.report = report
        self.paused = False  # the messenger asked to slow down: the rest waits
        self.stopping = stopping  # the process shuts down: the rest is put back
        self.superseded: dict[int, str] = {}  # row id → key of the later row that is sent

    @property
    def stopped(self) -> bool:
        """No further message is sent by this run: rows not served are put back."""
        return self.paused or (self.stopping is not None and self.stopping.is_set())

    def _tell(self, row: Reminder, result: str, *, lag: float | None = None) -> None:
        self.renderers.tell(Outcome(row.kind, self.renderers.lane_of(row.kind), result, lag))

    def current(self) -> datetime:
        """The instant of an outcome: the clock's, or the sweep's ``now`` without one."""
        return self.clock.now() if self.clock is not None else self.now

    # -- one row ---------------------------------------------------------------------------

    async def handle(self, row: Reminder) -> None:
        with log_context.ticket_row(row.ticket_id):  # the row's log lines name it
            await self._handle(row)

    async def _handle(self, row: Reminder) -> None:
        if self.stopped:
            await self._put_back(row)
            return
        if row.id in self.superseded:
            await self._skip_superseded(row, self.superseded[row.id])
            return
        renderer = self.renderers.get(row.kind)
        if renderer is None:
            await self._dead(row, f"no renderer for kind {row.kind!r}")
            return
        try:
            async with self.db.uow() as uow:
                messages = await renderer(uow, row, self.as_of)
        except NotYet as exc:
            if await self._write(
                row,
                next_attempt_at=self.current() + exc.after,
                lease_owner=None,
                lease_until=None,
                attempts=_T.c.attempts - 1,
            ):
                self.report.deferred += 1
            return
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

        # This attempt's transient failures, by chat: each recipient is tried on its own,
        # so one chat answering 500 does not keep its co-recipients waiting; the row comes
        # back later for those chats alone (the served ones are in ``delivered``).
        again: dict[str, str] = {}
        for message in todo:
            if self.stopped:
                await self._put_back(row)
                return
            try:
                message_id = await self.send(message)
            except Throttled as exc:
                await self._throttled(row, exc, payload=payload if again else None)
                return
            except Unreachable as exc:
                reason = describe(exc)
                self._tell(row, UNREACHABLE)
            except Refused as exc:
                # The message itself is refused (bad markup, too long…): no retry helps,
                # for this chat; the others are still served.
                reason = describe(exc)
                log.error("reminder %s to %s refused: %s", row.key, message.chat_id, reason)
                self._tell(row, REFUSED)
            except Uncertain as exc:
                # No answer: the message may be there. Tried again once; after a second
                # time-out, that chat is left alone rather than risk a third copy.
                chat = str(message.chat_id)
                timed_out = {str(k): int(v) for k, v in payload.get(TIMED_OUT, {}).items()}
                timed_out[chat] = timed_out.get(chat, 0) + 1
                payload[TIMED_OUT] = timed_out
                log.warning("reminder %s to %s: %s", row.key, message.chat_id, describe(exc))
                if timed_out[chat] < MAX_UNCERTAIN:
                    again[chat] = describe(exc)
                    continue
                reason = (
                    f"{describe(exc)}: {timed_out[chat]} time-outs, perhaps delivered; "
                    "not tried again"
                )
            except Exception as exc:  # time-out, network, server error, anything unexpected
                log.warning("reminder %s to %s: %s", row.key, message.chat_id, describe(exc))
                again[str(message.chat_id)] = describe(exc)
                continue
            else:
                delivered.append(message.chat_id)
                payload[DELIVERED] = list(delivered)
                # The last message of the row: its delivery and the row's end in one
                # write (one transaction per message instead of two, most rows have one).
                last = message is todo[-1] and not again
                final = self._final(payload) if last else {}
                if not await self._save_delivery(row, payload, message, message_id, **final):
                    return
                self.report.deliveries.append((row.key, message.chat_id))
                if last:
                    self._count(row, final)
                    return
                continue
            # The chat cannot be reached (the person blocked the bot, the chat is gone):
            # note it and carry on with the others; it is not retried.
            log.warning("reminder %s: chat %s unreachable: %s", row.key, message.chat_id, reason)
            failed[str(message.chat_id)] = reason
            payload[FAILED] = dict(failed)
            self.report.failures.append((row.key, message.chat_id, reason))
            if not await self._write(row, payload=payload):
                return

        if again:
            await self._failed(row, _served_and_not(payload, again), payload=payload)
            return
        await self._finish(row, payload)

    # -- outcomes --------------------------------------------------------------------------

    def _final(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The row's last values once every recipient is served or unreachable."""
        delivered = payload.get(DELIVERED, [])
        failed = payload.get(FAILED, {})
        if delivered:
            state = SENT
        elif failed:
            state = DEAD  # nobody could be reached: a person must look at it
        else:
            state = SKIPPED
        last_error = "; ".join(f"{chat}: {reason}" for chat, reason in failed.items()) or None
        return {
            "state": state,
            "sent_at": self.current() if state == SENT else None,
            "last_error": last_error,
            "lease_owner": None,
            "lease_until": None,
        }

    def _count(self, row: Reminder, final: dict[str, Any]) -> None:
        state = final["state"]
        if state == SENT:
            self.report.sent += 1
            lag = (final["sent_at"] - row.due_at).total_seconds()
            self._tell(row, SENT, lag=max(lag, 0.0))
        elif state == SKIPPED:
            self.report.skipped += 1
            self._tell(row, SKIPPED)
        else:
            self.report.dead += 1
            self._tell(row, DEAD)
            log.error(
                "reminder %s is dead: no recipient could be reached (%s)",
                row.key,
                final["last_error"],
            )

    async def _finish(self, row: Reminder, payload: dict[str, Any]) -> None:
        final = self._final(payload)
        if await self._write(row, payload=payload, **final):
            self._count(row, final)

    async def _skip_superseded(self, row: Reminder, later: str) -> None:
        why = f"superseded by {later}: due at the same time (catch-up), only the latest is sent"
        log.info("reminder %s skipped: %s", row.key, why)
        if await self._write(
            row, state=SKIPPED, last_error=why, lease_owner=None, lease_until=None
        ):
            self.report.skipped += 1
            self.report.superseded += 1
            self._tell(row, SKIPPED)

    async def _failed(
        self, row: Reminder, error: str, *, payload: dict[str, Any] | None = None
    ) -> None:
        """A transient failure: try again later, or give up after MAX_ATTEMPTS.

        ``payload``: the row's, with the chats served so far (then written with it)."""
        if row.attempts >= MAX_ATTEMPTS:
            await self._dead(row, f"{error} (after {row.attempts} attempts)", payload=payload)
            return
        kept = {} if payload is None else {"payload": payload}
        if await self._write(
            row,
            next_attempt_at=self.current() + backoff(row.attempts),
            last_error=error,
            lease_owner=None,
            lease_until=None,
            **kept,
        ):
            self.report.retried += 1
            self._tell(row, RETRIED)

    async def _dead(
        self,
        row: Reminder,
        error: str,
        *,
        chat_id: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        where = f" (chat {chat_id})" if chat_id is not None else ""
        log.error("reminder %s is dead%s: %s", row.key, where, error)
        kept = {} if payload is None else {"payload": payload}
        if await self._write(
            row, state=DEAD, last_error=error, lease_owner=None, lease_until=None, **kept
        ):
            self.report.dead += 1
            self._tell(row, DEAD)

    async def _throttled(
        self, row: Reminder, exc: Throttled, *, payload: dict[str, Any] | None = None
    ) -> None:
        self.paused = True
        delay = exc.delay
        until = self.current() + delay
        log.warning("reminder %s: the messenger asks to wait %s; sweep paused", row.key, delay)
        if self.report.throttled_until is None or until > self.report.throttled_until:
            self.report.throttled_until = until
        kept = {} if payload is None else {"payload": payload}
        if await self._write(
            row,
            next_attempt_at=until,
            last_error=f"RetryAfter: {delay.total_seconds():g} s",
            lease_owner=None,
            lease_until=None,
            **kept,
        ):
            self.report.retried += 1
            self._tell(row, RETRIED)

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
        self,
        row: Reminder,
        payload: dict[str, Any],
        message: Outgoing,
        message_id: int | None,
        **final: Any,
    ) -> bool:
        """Record the chat as served (and which message it got) as soon as the messenger
        answers; with ``final``, the row's end in the same transaction."""
        async with self.db.uow() as uow:
            result = await uow.session.execute(self._fenced(row).values(payload=payload, **final))
            if getattr(result, "rowcount", 0) != 1:
                await uow.rollback()
                self._lost(row)
                return False
            if row.ticket_id is not None and isinstance(message_id, int):
                ref = {
                    "platform": message.platform,
                    "chat_id": message.chat_id,
                    "message_id": message_id,
                    "ticket_id": row.ticket_id,
                    "created_at": self.current(),
                }
                await uow.session.execute(
                    _insert_ignoring_duplicates(
                        uow,
                        MessageRef.__table__,
                        ref,
                        conflict=["platform", "chat_id", "message_id"],
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


async def due_by_kind(db: Database, *, now: datetime) -> dict[str, int]:
    """The outbox's depth: pending rows due by ``now`` (leased or not), by kind."""
    async with db.uow() as uow:
        result = await uow.session.execute(
            select(Reminder.kind, func.count())
            .where(Reminder.state == PENDING, Reminder.next_attempt_at <= now)
            .group_by(Reminder.kind)
        )
        return {kind: int(n) for kind, n in result.all()}


async def oldest_due(
    db: Database, renderers: Renderers, *, now: datetime, lane: str = DEADLINES
) -> datetime | None:
    """When the lane's oldest pending row fell due (``None``: nothing due by ``now``).

    Rows being sent (leased) count: what matters is that nothing due is left unsent. A
    row waiting for a retry counts from its next attempt, not from its first due time:
    the messenger failing is not the sweep being late."""
    only, exclude = renderers.lane(lane)
    conditions = [_T.c.state == PENDING, _T.c.next_attempt_at <= now]
    if exclude:
        conditions.append(_T.c.kind.not_in(sorted(exclude)))
    if only:
        conditions.append(_T.c.kind.in_(sorted(only)))
    query = select(func.min(_T.c.next_attempt_at)).where(*conditions)
    async with db.uow() as uow:
        due: datetime | None = await uow.session.scalar(query)
    return due


def worker_id() -> str:
    """This process, as a lease owner: ``hostname:pid`` (at most 64 characters)."""
    pid = str(os.getpid())
    return f"{socket.gethostname()[: 63 - len(pid)]}:{pid}"


RENDERERS_KEY = "renderers"  # where the front ends keep the Renderers of the running bot


__all__: Sequence[str] = [
    "DEADLINES",
    "ELSEWHERE",
    "FANOUT",
    "MAX_ATTEMPTS",
    "PACED",
    "RENDERERS_KEY",
    "Child",
    "Due",
    "Expander",
    "NotYet",
    "Outcome",
    "OutcomeListener",
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
    "due_by_kind",
    "due_query",
    "fan_out",
    "oldest_due",
    "paced",
    "pending_report",
    "plan",
    "superseded",
    "sweep",
    "worker_id",
]
