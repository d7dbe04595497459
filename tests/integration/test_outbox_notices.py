"""A notice owed now is a row of the outbox, sent at once, and kept when it cannot go
(decision 0084): a crash before the send, a time-out or a server error leaves it to the
sweep; a person who blocked the bot makes a dead row that says so; nobody gets it twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import Services, bootstrap
from bot.clock import FrozenClock
from bot.config import Settings
from bot.domain.claims import ClaimKind
from bot.domain.platforms import TELEGRAM
from bot.services import claims, outbox, reminders
from bot.services.delivery import Outgoing, Router, Unreachable, actions
from bot.services.directory import seed_demo
from storage.models import MessageRef, Person, Reminder, School
from storage.uow import Database
from tests.integration.test_claim_without_a_messenger import NOW

LEASE = timedelta(seconds=30)


class Messenger:
    """A front end that records what it delivers and fails for the chats it is told to."""

    def __init__(self) -> None:
        self.got: list[tuple[int, str]] = []
        self.down: set[int] = set()  # transient failure (a 500)
        self.blocked: set[int] = set()  # the person blocked the bot

    async def send(self, message: Outgoing) -> int:
        if message.chat_id in self.blocked:
            raise Unreachable("Forbidden: bot was blocked by the user")
        if message.chat_id in self.down:
            raise RuntimeError("500 Internal Server Error")
        self.got.append((message.chat_id, message.text))
        return 5000 + len(self.got)


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[tuple[Services, Messenger, FrozenClock]]:
    db = Database(database_url)
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    assert await seed_demo(db, now=NOW)
    clock = FrozenClock(NOW)
    services = bootstrap(settings, db, clock=clock)
    messenger = Messenger()
    services.router = Router()
    services.router.register(TELEGRAM, messenger.send)
    yield services, messenger, clock
    await db.close()


async def _ticket_id(services: Services) -> int:
    """A theft reported at the demo's school (its own notices go through the front end
    the test does not look at)."""
    async with services.db.uow() as uow:
        people = (await uow.session.scalars(select(Person))).all()
        school = await uow.session.scalar(select(School).where(School.uai == "0429901J"))
    assert school is not None
    teacher = next(p.id for p in people if p.full_name.startswith("Camille"))
    view = await claims.report_claim(
        services.db,
        claims.ReportClaim(
            reporter_id=teacher,
            school_id=school.id,
            kind=ClaimKind.THEFT,
            discovered_at=NOW - timedelta(hours=1),
            description="Classe fracturée",
            items=(claims.ItemRequest(asset_tag="SEM-DEMO-0001"),),
        ),
        NOW,
    )
    return view.claim.id


def _notice(chat_id: int, text: str, ticket_id: int | None = None) -> Outgoing:
    return Outgoing(chat_id, text, actions([[("Voir", "tk:view:1")]]), ticket_id, platform=TELEGRAM)


async def _rows(services: Services) -> list[Reminder]:
    async with services.db.uow() as uow:
        return list(
            (
                await uow.session.scalars(
                    select(Reminder)
                    .where(Reminder.kind == outbox.KIND_NOTICE)
                    .order_by(Reminder.id)
                )
            ).all()
        )


async def _sweep(services: Services, messenger: Messenger, clock: FrozenClock) -> None:
    await reminders.sweep(
        services.db, services.renderers, messenger.send, now=clock.now(), worker="sweeper"
    )


async def test_a_notice_is_sent_at_once_and_recorded_as_sent(world) -> None:  # type: ignore[no-untyped-def]
    services, messenger, clock = world
    told = await outbox.send_now(
        services.db,
        services.renderers,
        services.router,
        [_notice(1, "premier"), _notice(2, "second")],
        clock=clock,
        worker="bot",
        lease=LEASE,
    )
    assert told == outbox.Told(2, 0)
    assert messenger.got == [(1, "premier"), (2, "second")]
    assert [(r.state, r.payload["chat_id"]) for r in await _rows(services)] == [
        ("sent", 1),
        ("sent", 2),
    ]
    # The sweep has nothing left to send.
    clock.advance(LEASE * 2)
    await _sweep(services, messenger, clock)
    assert len(messenger.got) == 2


async def test_a_notice_about_a_ticket_is_remembered_for_replies(world) -> None:  # type: ignore[no-untyped-def]
    services, _messenger, _clock = world
    ticket = await _ticket_id(services)
    await services.tell([_notice(7, "à propos du ticket", ticket)])
    async with services.db.uow() as uow:
        refs = (await uow.session.scalars(select(MessageRef))).all()
    assert [(r.chat_id, r.message_id, r.ticket_id) for r in refs] == [(7, 5001, ticket)]


async def test_what_fails_now_is_sent_by_the_sweep_once(world) -> None:  # type: ignore[no-untyped-def]
    services, messenger, clock = world
    messenger.down.add(2)
    told = await services.deliver([_notice(1, "un"), _notice(2, "deux"), _notice(3, "trois")])
    # One chat answering 500 keeps nobody else waiting; it is left to the sweep.
    assert told == outbox.Told(2, 1)
    assert messenger.got == [(1, "un"), (3, "trois")]
    failing = [r for r in await _rows(services) if r.state == "pending"]
    assert [r.payload["chat_id"] for r in failing] == [2]
    assert failing[0].lease_until is None and failing[0].last_error

    messenger.down.clear()
    clock.advance(timedelta(minutes=5))
    await _sweep(services, messenger, clock)
    assert messenger.got == [(1, "un"), (3, "trois"), (2, "deux")]
    assert {r.state for r in await _rows(services)} == {"sent"}
    clock.advance(timedelta(hours=1))
    await _sweep(services, messenger, clock)
    assert len(messenger.got) == 3


async def test_a_crash_before_the_send_leaves_the_notice_to_the_sweep(world) -> None:  # type: ignore[no-untyped-def]
    services, messenger, clock = world

    async def crash(message: Outgoing) -> int:
        raise SystemExit("the process dies between the row and the send")

    with pytest.raises(SystemExit):
        await outbox.send_now(
            services.db,
            services.renderers,
            crash,
            [_notice(4, "gardé")],
            clock=clock,
            worker="dead-bot",
            lease=LEASE,
        )
    assert messenger.got == []
    # Leased to the dead process: nobody sends it before the lease ends…
    await _sweep(services, messenger, clock)
    assert messenger.got == []
    # …then the sweep does, once.
    clock.advance(LEASE + timedelta(seconds=1))
    await _sweep(services, messenger, clock)
    await _sweep(services, messenger, clock)
    assert messenger.got == [(4, "gardé")]


async def test_a_blocked_person_makes_a_dead_row_that_names_the_chat(world) -> None:  # type: ignore[no-untyped-def]
    services, messenger, _clock = world
    messenger.blocked.add(9)
    told = await services.deliver([_notice(9, "perdu"), _notice(1, "reçu")])
    assert told == outbox.Told(1, 0)
    rows = await _rows(services)
    assert [(r.state, r.payload["chat_id"]) for r in rows] == [("dead", 9), ("sent", 1)]
    assert "9" in (rows[0].last_error or "") and "blocked" in (rows[0].last_error or "")


async def test_several_notices_of_one_ticket_are_all_sent(world) -> None:  # type: ignore[no-untyped-def]
    """Unlike repeated reminders, no notice makes another of the same ticket pointless."""
    services, messenger, clock = world
    ticket = await _ticket_id(services)
    messenger.down.update({1, 2})
    await services.tell([_notice(1, "a", ticket), _notice(2, "b", ticket)])
    messenger.down.clear()
    clock.advance(timedelta(minutes=5))
    await _sweep(services, messenger, clock)
    assert sorted(messenger.got) == [(1, "a"), (2, "b")]
