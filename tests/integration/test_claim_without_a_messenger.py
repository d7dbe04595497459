"""A theft from report to payment through the services alone, seen by a recording front end.

No Telegram here: a front end that only records what it is asked to deliver. It gets the
notices the Telegram users get (the same functions build them: the Telegram handlers only
send them), which is what a second front end needs to serve the same flow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.bootstrap import Services, bootstrap
from bot.config import Settings
from bot.domain.claims import (
    DUTIES_NEEDING_REFERENCE,
    ClaimKind,
    ClaimState,
    DossierPiece,
    PaymentMode,
)
from bot.services import audiences, claim_notices, claims, reminders
from bot.services.delivery import Outgoing
from bot.services.directory import seed_demo
from storage.models import Person, School
from storage.uow import Database

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 9:00 in Paris


@dataclass
class RecordingFrontEnd:
    """What a front end is asked to deliver, by recipient; no messenger behind it."""

    names: dict[int, str]  # chat id → person, to read the assertions
    got: list[tuple[str, Outgoing]] = field(default_factory=list)

    async def tell(self, messages: Sequence[Outgoing]) -> None:
        self.got.extend((self.names[m.chat_id], m) for m in messages)

    async def send(self, message: Outgoing) -> int:
        """The reminder sweep's sender."""
        self.got.append((self.names[message.chat_id], message))
        return 1000 + len(self.got)

    def take(self) -> list[tuple[str, Outgoing]]:
        got, self.got = self.got, []
        return got


@dataclass
class Demo:
    services: Services
    front: RecordingFrontEnd
    people: dict[str, int]  # first name → person id
    school_id: int


@pytest.fixture
async def demo(database_url: str) -> AsyncIterator[Demo]:
    db = Database(database_url)
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    assert await seed_demo(db, now=NOW)
    async with db.uow() as uow:
        people = (await uow.session.scalars(select(Person))).all()
        school = await uow.session.scalar(select(School).where(School.uai == "0429901J"))
        assert school is not None
        by_name = {p.full_name.split()[0]: p.id for p in people}
        chats = {}
        for p in people:
            found = audiences.recipient(p)
            assert found is not None
            chats[found.chat_id] = p.full_name.split()[0]
    yield Demo(bootstrap(settings, db), RecordingFrontEnd(chats), by_name, school.id)
    await db.close()


def actions_of(message: Outgoing) -> list[str]:
    return [button.action for row in message.actions for button in row]


async def test_a_theft_runs_from_report_to_payment_with_the_same_notices(demo: Demo) -> None:
    services, front = demo.services, demo.front
    db, i18n, settings = services.db, services.i18n, services.settings
    camille, claude, sacha = demo.people["Camille"], demo.people["Claude"], demo.people["Sacha"]

    # The teacher reports: the body's agent gets the duties with a button each, staff are told.
    reported = await claims.report_claim(
        db,
        claims.ReportClaim(
            reporter_id=camille,
            school_id=demo.school_id,
            kind=ClaimKind.THEFT,
            discovered_at=NOW - timedelta(hours=1),
            description="Classe fracturée pendant le week-end",
            items=(claims.ItemRequest(asset_tag="SEM-DEMO-0001"),),
        ),
        NOW,
    )
    claim = reported.claim
    await front.tell(await claim_notices.after_report(db, i18n, settings, reported))
    told = front.take()
    assert [who for who, _ in told] == ["Claude", "Sacha"]
    agent_notice, staff_notice = told[0][1], told[1][1]
    assert claim.number in agent_notice.text and "48" in agent_notice.text
    assert actions_of(agent_notice) == [
        *(f"clm:duty:{claim.id}:{duty.value}" for duty in claim.pending_duties),
        f"clm:pledge:{claim.id}",
        f"clm:attach:{claim.id}",
    ]
    assert staff_notice.ticket_id == claim.id
    assert f"clm:close:{claim.id}" in actions_of(staff_notice)

    # Nothing confirmed after 24 h: the sweep reminds the agent, through the same front end.
    report = await reminders.sweep(
        db, services.renderers, front.send, now=NOW + timedelta(hours=24), worker="test"
    )
    assert report.sent == 1
    ((who, reminder),) = front.take()
    assert who == "Claude" and claim.number in reminder.text
    assert reminder.ticket_id == claim.id
    assert actions_of(reminder) == actions_of(agent_notice)  # the same duty buttons

    # The agent confirms each duty and sends the pledge: staff are told, with their actions.
    for duty in claim.pending_duties:
        await claims.confirm_duty(
            db,
            claude,
            claim.id,
            duty,
            done_at=NOW + timedelta(hours=25),
            reference="PV-42" if duty in DUTIES_NEEDING_REFERENCE else None,
            now=NOW + timedelta(hours=26),
        )
    at = NOW + timedelta(days=3)
    pledged = await claims.record_pledge(
        db,
        claude,
        claim.id,
        amount=Decimal("789.00"),
        mode=PaymentMode.INSURER_DIRECT,
        planned_on=date(2026, 6, 1),
        now=at,
    )
    await front.tell(
        await claim_notices.to_staff(
            db, i18n, settings, pledged, "claim.notify.pledged", amount=Decimal("789.00")
        )
    )
    ((who, pledge_notice),) = front.take()
    assert who == "Sacha" and "789,00" in pledge_notice.text
    assert f"clm:complete:{claim.id}" in actions_of(pledge_notice)

    # Staff mark the dossier complete: the agent learns the day the payment is due by.
    complete = await claims.mark_complete(  # no document attached: staff accept it
        db, sacha, claim.id, now=at + timedelta(days=1), accepted_missing=tuple(DossierPiece)
    )
    assert complete.payment_deadline is not None
    await front.tell(await claim_notices.to_body(db, i18n, complete, "claim.notify.completed"))
    ((who, completed),) = front.take()
    assert who == "Claude"
    assert i18n.date("fr", complete.payment_deadline) in completed.text

    # The payment in full closes the claim, and the agent is told.
    paid, closed = await claims.record_payment(
        db,
        sacha,
        claim.id,
        amount=complete.amount_due or Decimal(0),
        paid_on=date(2026, 6, 1),
        now=datetime(2026, 6, 2, 8, 0, tzinfo=UTC),
    )
    assert closed and paid.state is ClaimState.CLOSED
    await front.tell(await claim_notices.to_body(db, i18n, paid, "claim.notify.closed_paid"))
    ((who, closing),) = front.take()
    assert who == "Claude" and claim.number in closing.text


async def test_the_bodys_notice_carries_the_description_and_its_files_for_the_body_only(
    demo: Demo,
) -> None:
    from bot.domain.errors import DomainError
    from bot.services import tickets

    services, front = demo.services, demo.front
    db, i18n, settings = services.db, services.i18n, services.settings
    camille, claude, sacha = demo.people["Camille"], demo.people["Claude"], demo.people["Sacha"]
    reported = await claims.report_claim(
        db,
        claims.ReportClaim(
            reporter_id=camille,
            school_id=demo.school_id,
            kind=ClaimKind.THEFT,
            discovered_at=NOW - timedelta(days=20),  # late from the start
            description="Vitre <cassée> & tablette partie",
            items=(claims.ItemRequest(asset_tag="SEM-DEMO-0003"),),
            files=(claims.FileRef("photo", "photo-1", "u-1"),),
        ),
        NOW,
    )
    claim = reported.claim
    await front.tell(await claim_notices.after_report(db, i18n, settings, reported))
    (_, agent_notice), (_, staff_notice) = front.take()
    assert "Ce qui s'est passé</b> : Vitre &lt;cassée&gt; &amp; tablette partie" in (
        agent_notice.text
    )
    assert "tablette — Apple iPad" in agent_notice.text and "tablet " not in agent_notice.text
    assert f"tk:files:{claim.id}" in actions_of(agent_notice)
    assert "En retard dès le signalement" in staff_notice.text
    for allowed in (claude, sacha):
        files = await tickets.attachments(db, allowed, claim.id)
        assert [f.file_id for f in files.files] == ["photo-1"]
    with pytest.raises(DomainError) as refused:
        await tickets.attachments(db, camille, claim.id)  # a teacher: not a follower's action
    assert refused.value.code == "common.error.forbidden"
