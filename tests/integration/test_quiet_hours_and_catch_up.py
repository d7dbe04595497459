"""Reminders people read: stored at daytime slots (quiet hours), one message per catch-up.

Decisions 0023 (quiet hours, applied when a reminder is planned) and 0024 (after an
outage, the latest reminder of each purpose is sent, the earlier ones skipped).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from bot.domain.dates import PARIS
from bot.domain.deadlines import (
    KIND_DUTIES_ESCALATION,
    KIND_DUTIES_REMINDER,
    plan_duty_reminders,
)
from bot.domain.quiet_hours import NO_QUIET_HOURS, QuietHours
from bot.services import reminders
from bot.services.delivery import Outgoing
from bot.services.reminders import Renderers, sweep
from storage.models import Commune, Person, Reminder, Ticket
from storage.uow import Database, UnitOfWork


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)  # type: ignore[misc]


def shown(instant: datetime) -> str:
    return instant.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)  # the default quiet hours: 20:00–08:00 Paris
    yield database
    await database.close()


async def a_ticket(db: Database, number: str = "S-2026-0001") -> int:
    async with db.uow() as uow:
        commune = await uow.session.scalar(select(Commune).where(Commune.insee == "42218"))
        if commune is None:
            commune = Commune(insee="42218", name="Saint-Étienne", created_at=paris(2026, 1, 1))
            uow.session.add(commune)
            await uow.session.flush()
        person = Person(
            full_name="Agent", role="commune", commune_id=commune.id, created_at=commune.created_at
        )
        uow.session.add(person)
        await uow.session.flush()
        ticket = Ticket(
            number=number,
            kind="claim",
            state="open",
            reporter_id=person.id,
            commune_id=commune.id,
            created_at=commune.created_at,
            updated_at=commune.created_at,
        )
        uow.session.add(ticket)
        await uow.commit()
        return ticket.id


async def stored(db: Database) -> dict[str, Reminder]:
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(Reminder))).all()
    return {r.key: r for r in rows}


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def __call__(self, message: Outgoing) -> int | None:
        self.sent.append((message.chat_id, message.text))
        return len(self.sent)


def duty_renderers() -> Renderers:
    async def render(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
        return [Outgoing(11, f"{row.kind} S-2026-0001", (), row.ticket_id)]

    return Renderers({KIND_DUTIES_REMINDER: render, KIND_DUTIES_ESCALATION: render})


# --------------------------------------------------------------------------- quiet hours


async def test_a_reminder_due_at_night_is_stored_at_its_daytime_slot(db: Database) -> None:
    discovered = paris(2026, 3, 9, 4, 0)  # Monday 04:00: +44 h is Wednesday 00:00
    planned_at = paris(2026, 3, 9, 9, 0)
    ticket = await a_ticket(db)
    async with db.uow() as uow:
        await reminders.plan(
            uow,
            plan_duty_reminders(discovered, planned_at),
            key_prefix=f"claim:{ticket}",
            now=planned_at,
            ticket_id=ticket,
        )
        await uow.commit()

    rows = await stored(db)
    due = {key.rsplit(":", 1)[-1]: shown(r.due_at) for key, r in rows.items()}
    assert due == {
        "24h": "10/03/2026 08:00",  # Tuesday 04:00 → the morning, before the deadline
        "44h": "10/03/2026 19:30",  # Wednesday 00:00, deadline 04:00 → the evening before
        "escalation": "11/03/2026 08:00",  # staff, in the morning
    }
    for row in rows.values():
        assert row.next_attempt_at == row.due_at
    # What was planned is kept, to read the row.
    assert rows[f"claim:{ticket}:duties:44h"].payload["planned_for"] == (
        paris(2026, 3, 11, 0, 0).isoformat()
    )


async def test_the_settings_quiet_hours_reach_the_rows_and_can_be_off(database_url: str) -> None:
    discovered = paris(2026, 3, 9, 4, 0)
    for hours, expected in (
        (NO_QUIET_HOURS, "11/03/2026 00:00"),
        (QuietHours(start=time(23, 0)), "10/03/2026 22:30"),
    ):
        db = Database(database_url, quiet_hours=hours)
        try:
            ticket = await a_ticket(db, number=f"S-2026-{hours.start:%H%M}")
            async with db.uow() as uow:
                await reminders.plan(
                    uow,
                    plan_duty_reminders(discovered),
                    key_prefix=f"claim:{ticket}",
                    now=discovered,
                    ticket_id=ticket,
                )
                await uow.commit()
            assert shown((await stored(db))[f"claim:{ticket}:duties:44h"].due_at) == expected
        finally:
            await db.close()


async def test_a_daytime_reminder_is_stored_as_planned(db: Database) -> None:
    discovered = paris(2026, 3, 9, 10, 0)  # +24 h Tuesday 10:00, +44 h Wednesday 06:00
    ticket = await a_ticket(db)
    async with db.uow() as uow:
        await reminders.plan(
            uow,
            plan_duty_reminders(discovered),
            key_prefix=f"claim:{ticket}",
            now=discovered,
            ticket_id=ticket,
        )
        await uow.commit()
    rows = await stored(db)
    assert shown(rows[f"claim:{ticket}:duties:24h"].due_at) == "10/03/2026 10:00"
    assert "planned_for" not in rows[f"claim:{ticket}:duties:24h"].payload
    # Wednesday 06:00 is at night and the deadline (10:00) is after 08:00: the morning.
    assert shown(rows[f"claim:{ticket}:duties:44h"].due_at) == "11/03/2026 08:00"


# --------------------------------------------------------------------------- catch-up


async def test_a_catch_up_sends_one_duty_reminder_not_two(db: Database) -> None:
    discovered = paris(2026, 3, 9, 10, 0)
    ticket = await a_ticket(db)
    async with db.uow() as uow:
        await reminders.plan(
            uow,
            plan_duty_reminders(discovered),
            key_prefix=f"claim:{ticket}",
            now=discovered,
            ticket_id=ticket,
        )
        await uow.commit()

    # The bot was down from Monday evening to Wednesday 09:00: +24 h and +44 h are both due.
    recorder = Recorder()
    report = await sweep(
        db, duty_renderers(), recorder, now=paris(2026, 3, 11, 9, 0), worker="after-outage"
    )

    assert recorder.sent == [(11, "claim.duties.reminder S-2026-0001")]
    assert (report.sent, report.skipped, report.superseded) == (1, 1, 1)
    rows = await stored(db)
    first, second = rows[f"claim:{ticket}:duties:24h"], rows[f"claim:{ticket}:duties:44h"]
    assert (first.state, second.state) == ("skipped", "sent")
    assert first.last_error is not None
    assert first.last_error.startswith(f"superseded by claim:{ticket}:duties:44h")
    assert first.lease_owner is None and first.sent_at is None
    # The escalation is another purpose: it is not due yet, and will be sent on its own.
    assert rows[f"claim:{ticket}:duties:escalation"].state == "pending"


async def test_a_catch_up_spread_over_two_batches_still_sends_once(db: Database) -> None:
    discovered = paris(2026, 3, 9, 10, 0)
    ticket = await a_ticket(db)
    async with db.uow() as uow:
        await reminders.plan(
            uow,
            plan_duty_reminders(discovered),
            key_prefix=f"claim:{ticket}",
            now=discovered,
            ticket_id=ticket,
        )
        await uow.commit()
    recorder = Recorder()
    at = paris(2026, 3, 11, 12, 0)  # everything due, the escalation included
    first = await sweep(db, duty_renderers(), recorder, now=at, worker="w", batch=1)
    assert (first.sent, first.superseded) == (0, 1)  # +24 h: the +44 h is due too
    for _ in range(3):
        await sweep(db, duty_renderers(), recorder, now=at, worker="w", batch=1)
    assert recorder.sent == [
        (11, "claim.duties.reminder S-2026-0001"),
        (11, "claim.duties.escalation S-2026-0001"),
    ]
    states = {key.rsplit(":", 1)[-1]: r.state for key, r in (await stored(db)).items()}
    assert states == {"24h": "skipped", "44h": "sent", "escalation": "sent"}


async def test_reminders_of_two_tickets_are_not_merged(db: Database) -> None:
    discovered = paris(2026, 3, 9, 10, 0)
    one, two = await a_ticket(db, "S-2026-0001"), await a_ticket(db, "S-2026-0002")
    async with db.uow() as uow:
        for ticket in (one, two):
            await reminders.plan(
                uow,
                plan_duty_reminders(discovered)[:1],  # the +24 h only
                key_prefix=f"claim:{ticket}",
                now=discovered,
                ticket_id=ticket,
            )
        await uow.commit()
    recorder = Recorder()
    report = await sweep(db, duty_renderers(), recorder, now=paris(2026, 3, 11, 9, 0), worker="w")
    assert (report.sent, report.superseded) == (2, 0)
