"""Messages written at once for many people go out through the outbox, as every message
the bot sends on its own does (decision 0077).

A call's publication, its extension, its cancellation and its results are composed in one
go, in each person's language, with their buttons. ``enqueue`` stores them, in the
caller's transaction, as one paced row each (``outbox.message``): the paced lane sends them
at the messenger's pace, never ahead of a deadline's reminder, each to its own platform,
with the sweep's guarantees (leases, one record per message sent, throttling, dead rows
listed). A last row (``outbox.report``) waits until none of the others is still on its way
(``reminders.NotYet``), then tells the author how many got it and runs the report's end
(a publication's delivery is audited then). A stop leaves what was not sent in the table;
the next start sends it, to nobody twice.

A message to a few people owed now (the notice of a new ticket, a reply relayed) is a row
too (``outbox.notice``, decision 0084): ``send_now`` stores it leased to this process and
sends it at once through the sweep's own handling, so the person who acted is answered
with it sent; what cannot go at once (a time-out, a server error, a « wait », a crash
before the send) is left in the table, and the sweep sends it when its lease ends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import func, insert, select, update

from bot.clock import Clock
from bot.i18n import I18n
from bot.services import reminders
from bot.services.audiences import recipient
from bot.services.delivery import Outgoing, Sender, actions
from bot.services.reminders import NotYet, Renderer, Renderers
from storage.models import Person, Reminder
from storage.sql import insert_many_ignoring_duplicates
from storage.uow import Database, UnitOfWork

KIND_MESSAGE = "outbox.message"
KIND_REPORT = "outbox.report"
KIND_NOTICE = "outbox.notice"
OUTBOX_KINDS = (KIND_MESSAGE, KIND_REPORT, KIND_NOTICE)
REPORT_AGAIN = timedelta(seconds=5)  # the report waits for the last messages this long
CHUNK = 500  # rows per INSERT

# What the author reads at the end, in their language: (i18n, lang, the report's
# payload, how many received it, how many failed).
ReportText = Callable[[I18n, str, Mapping[str, Any], int, int], str]
# What the end writes (an audit entry): (uow, payload, delivered, failed chats, now).
ReportEnd = Callable[[UnitOfWork, Mapping[str, Any], int, list[int], datetime], Awaitable[None]]


@dataclass(frozen=True)
class Told:
    """What became of notices sent now: how many were delivered, how many are left to
    the sweep (a transient failure, a « wait »); the others could not be reached."""

    delivered: int
    later: int = 0


@dataclass(frozen=True)
class Report:
    """Who hears of the delivery's end, and how (``kind``: a registered report)."""

    author_id: int
    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)


def _row(
    key: str, kind: str, person_id: int | None, payload: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "ticket_id": None,
        "audience": "staff",
        "person_id": person_id,
        "payload": payload,
        "due_at": now,
        "next_attempt_at": now,
        "state": reminders.PENDING,
        "attempts": 0,
        "created_at": now,
    }


async def enqueue(
    uow: UnitOfWork,
    messages: Sequence[Outgoing],
    *,
    key: str,
    now: datetime,
    report: Report | None = None,
) -> int:
    """Store the messages as rows due now (keys ``<key>:m<n>``, then ``<key>:report``), in
    the caller's transaction; the same key twice stores nothing more. Returns how many
    rows were added."""
    values = [
        _row(
            f"{key}:m{index}",
            KIND_MESSAGE,
            None,
            _payload(message),
            now,
        )
        for index, message in enumerate(messages)
    ]
    if report is not None:
        values.append(
            _row(
                f"{key}:report",
                KIND_REPORT,
                report.author_id,
                {"report": report.kind, **dict(report.payload)},
                now,
            )
        )
    added = 0
    table = Reminder.__table__
    for start in range(0, len(values), CHUNK):
        result = await uow.session.execute(
            insert_many_ignoring_duplicates(
                uow.session, table, values[start : start + CHUNK], conflict=["key"]
            )
        )
        added += max(getattr(result, "rowcount", 0), 0)
    if values:
        uow.planned(now)
    return added


def _payload(message: Outgoing) -> dict[str, Any]:
    return {
        "chat_id": message.chat_id,
        "platform": message.platform,
        "text": message.text,
        "buttons": [[[b.label, b.action] for b in row] for row in message.actions],
    }


async def send_now(
    db: Database,
    renderers: Renderers,
    send: Sender,
    messages: Sequence[Outgoing],
    *,
    clock: Clock,
    worker: str,
    lease: timedelta,
) -> Told:
    """Store each message as a row of the outbox leased to ``worker``, then send them in
    order, as the sweep would (each recipient on their own, a message about a ticket
    remembered so that a reply to it reaches the ticket). What is not delivered now stays
    in the outbox: retried by the sweep (a transient failure at once rescheduled, a crash
    once the lease ends), or dead and listed (a person who blocked the bot)."""
    if not messages:
        return Told(0)
    now = clock.now()
    batch = uuid4().hex
    values = [
        {
            **_row(f"notice:{batch}:m{index}", KIND_NOTICE, None, _payload(message), now),
            "ticket_id": message.ticket_id,
            "audience": "person",
            "lease_owner": worker,
            "lease_until": now + lease,
            "attempts": 1,
        }
        for index, message in enumerate(messages)
    ]
    async with db.uow() as uow:
        rows = list(
            (await uow.session.scalars(insert(Reminder).values(values).returning(Reminder))).all()
        )
        await uow.commit()
    order = {row.key: row for row in rows}
    ordered = [order[value["key"]] for value in values]
    report = await reminders.send_claimed(
        db, renderers, send, ordered, now=now, worker=worker, clock=clock
    )
    return Told(len(report.deliveries), report.retried + report.deferred)


async def _message(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
    payload = row.payload or {}
    rows = [[(str(label), str(action)) for label, action in line] for line in payload["buttons"]]
    return [
        Outgoing(
            int(payload["chat_id"]),
            str(payload["text"]),
            actions(rows),
            row.ticket_id,  # a notice about a ticket (the forum posts it in its thread)
            str(payload["platform"]),
        )
    ]


def _report(i18n: I18n, kinds: Mapping[str, tuple[ReportText, ReportEnd | None]]) -> Renderer:
    async def render(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
        payload = dict(row.payload or {})
        known = kinds.get(str(payload.get("report")))
        if known is None or row.person_id is None:
            return []
        text_of, end = known
        siblings = f"{row.key.removesuffix(':report')}:m%"
        counts = dict(
            (
                await uow.session.execute(
                    select(Reminder.state, func.count())
                    .where(Reminder.key.like(siblings), Reminder.kind == KIND_MESSAGE)
                    .group_by(Reminder.state)
                )
            ).all()
        )
        if counts.get(reminders.PENDING):
            raise NotYet(REPORT_AGAIN)
        delivered = int(counts.get(reminders.SENT, 0))
        dead = (
            await uow.session.scalars(
                select(Reminder.payload).where(
                    Reminder.key.like(siblings),
                    Reminder.kind == KIND_MESSAGE,
                    Reminder.state == reminders.DEAD,
                )
            )
        ).all()
        failed = [int(p["chat_id"]) for p in dead if p]
        if end is not None and not payload.get("ended"):
            await end(uow, payload, delivered, failed, now)
            # Once: a report sent again after a failure does not end twice.
            row.payload = {**payload, "ended": True}
            await uow.session.execute(
                update(Reminder)
                .where(Reminder.id == row.id)
                .values(payload={**payload, "ended": True})
            )
            await uow.commit()
        author = await uow.session.get(Person, row.person_id)
        target = recipient(author) if author is not None else None
        if target is None:
            return []
        text = text_of(i18n, target.language, payload, delivered, len(failed))
        return [Outgoing(target.chat_id, text, (), None, target.platform)]

    return render


def outbox_renderers(
    i18n: I18n, reports: Mapping[str, tuple[ReportText, ReportEnd | None]]
) -> Renderers:
    renderers = Renderers()
    renderers.register_paced(KIND_MESSAGE, _message)
    renderers.register_paced(KIND_REPORT, _report(i18n, reports))
    # A notice owed now: the sweep's lane, before any crowd (it is sent at once anyway,
    # the sweep only takes what could not go).
    renderers.register_one_off(KIND_NOTICE, _message)
    return renderers


__all__ = [
    "KIND_MESSAGE",
    "KIND_NOTICE",
    "KIND_REPORT",
    "OUTBOX_KINDS",
    "Report",
    "Told",
    "enqueue",
    "outbox_renderers",
    "send_now",
]
