"""A call's closing reminder goes to a crowd: expanded at its instant, sent by the paced lane.

Decision 0042: the campaign's reminder row becomes, when it falls due, one row per person
owed it (heads and following teachers of eligible schools that have not applied); those
rows are sent by the paced lane beside the sweep, each re-checked at its sending, so the
sweep's deadline reminders never wait behind thousands of them. The directory and the call
are those of tests/integration/test_calls_service.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.domain.calls import KIND_CALL_REMINDER, KIND_CALL_REMINDER_PERSON
from bot.domain.claims import ClaimKind
from bot.services import calls, claims, reminders
from storage.models import Reminder
from tests.integration import test_calls_service as call
from tests.integration.test_claim_without_a_messenger import NOW, Demo

demo = call.demo
SEVEN_DAYS_BEFORE = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)  # 09:00 in Paris, winter time


async def _published(d: Demo) -> int:
    await call._more_heads(d)
    sacha = d.people["Sacha"]
    draft = await calls.create_campaign(d.services.db, sacha, call._draft(), NOW)
    await calls.publish(d.services.db, sacha, draft.id, NOW)
    return draft.id


async def _rows(d: Demo, kind: str) -> list[Reminder]:
    async with d.services.db.uow() as uow:
        found = await uow.session.scalars(
            select(Reminder).where(Reminder.kind == kind).order_by(Reminder.key)
        )
        return list(found.all())


async def _paced(d: Demo, at: datetime) -> reminders.SweepReport:
    return await reminders.paced(
        d.services.db, d.services.renderers, d.front.send, clock=FrozenClock(at), worker="lane"
    )


async def test_the_closing_reminder_is_one_row_per_person_owed_it_sent_by_the_paced_lane(
    demo: Demo,
) -> None:
    d = demo
    db, renderers = d.services.db, d.services.renderers
    campaign_id = await _published(d)
    # Soleil applies (through its teacher): neither its head nor the teacher is reminded.
    await calls.apply(db, d.people["Camille"], campaign_id, call.ANSWERS, NOW + timedelta(days=1))

    # The sweep, at the instant, leaves the crowd's reminder to the paced lane.
    report = await reminders.sweep(db, renderers, d.front.send, now=SEVEN_DAYS_BEFORE, worker="s")
    assert report.claimed == 0 and d.front.take() == []
    parents = await _rows(d, KIND_CALL_REMINDER)
    assert [(r.key, r.state) for r in parents] == [
        (f"call:{campaign_id}:call:1d", "pending"),
        (f"call:{campaign_id}:call:7d", "pending"),
    ]

    # Expanded: one row per head of a public school that has not applied.
    added = await reminders.fan_out(db, renderers, now=SEVEN_DAYS_BEFORE, worker="lane")
    assert added == 3
    children = await _rows(d, KIND_CALL_REMINDER_PERSON)
    heads = {d.people[name]: name for name in ("Dana", "Fran", "Gaby")}
    assert {r.person_id for r in children} == set(heads)
    assert {r.key for r in children} == {
        f"call:{campaign_id}:call:7d:p{person}" for person in heads
    }
    parent = next(r for r in await _rows(d, KIND_CALL_REMINDER) if r.key.endswith(":7d"))
    assert parent.state == "sent" and (parent.payload or {})["children"] == 3
    # A second expansion (another process, a retry) adds nothing.
    assert await reminders.fan_out(db, renderers, now=SEVEN_DAYS_BEFORE, worker="other") == 0

    # Pilat applies before its reminder leaves: it is not written to.
    await calls.apply(db, d.people["Fran"], campaign_id, call.ANSWERS, SEVEN_DAYS_BEFORE)
    report = await _paced(d, SEVEN_DAYS_BEFORE + timedelta(seconds=1))
    got = d.front.take()
    assert sorted(who for who, _ in got) == ["Dana", "Gaby"]
    assert all("n'a pas encore candidaté" in m.text for _, m in got)
    assert (report.sent, report.skipped) == (2, 1)
    # Nothing is sent twice, by either lane.
    assert (await _paced(d, SEVEN_DAYS_BEFORE + timedelta(minutes=1))).claimed == 0
    later = SEVEN_DAYS_BEFORE + timedelta(minutes=2)
    assert (await reminders.sweep(db, renderers, d.front.send, now=later, worker="s")).claimed == 0
    assert d.front.take() == []


async def test_a_campaign_cancelled_after_the_expansion_sends_nothing_more(demo: Demo) -> None:
    d = demo
    db, renderers = d.services.db, d.services.renderers
    campaign_id = await _published(d)
    assert await reminders.fan_out(db, renderers, now=SEVEN_DAYS_BEFORE, worker="lane") == 5
    await calls.cancel(db, d.people["Sacha"], campaign_id, SEVEN_DAYS_BEFORE)
    assert (await _paced(d, SEVEN_DAYS_BEFORE)).claimed == 0
    assert d.front.take() == []
    assert {r.state for r in await _rows(d, KIND_CALL_REMINDER_PERSON)} == {"cancelled"}
    assert {r.state for r in await _rows(d, KIND_CALL_REMINDER)} == {"sent", "cancelled"}


async def test_the_closing_instant_stops_what_the_lane_has_not_sent(demo: Demo) -> None:
    d = demo
    db, renderers = d.services.db, d.services.renderers
    await _published(d)
    assert await reminders.fan_out(db, renderers, now=SEVEN_DAYS_BEFORE, worker="lane") == 5
    report = await _paced(d, call.CLOSES_AT)
    assert (report.claimed, report.sent, report.skipped) == (5, 0, 5)
    assert d.front.take() == []


async def test_the_sweep_and_the_lane_never_take_each_others_rows(demo: Demo) -> None:
    d = demo
    db, renderers = d.services.db, d.services.renderers
    await _published(d)
    assert await reminders.fan_out(db, renderers, now=SEVEN_DAYS_BEFORE, worker="lane") == 5
    # A claim whose 24 h reminder falls due in the middle of the crowd's.
    reported = await claims.report_claim(
        db,
        claims.ReportClaim(
            reporter_id=d.people["Camille"],
            school_id=d.school_id,
            kind=ClaimKind.THEFT,
            discovered_at=SEVEN_DAYS_BEFORE - timedelta(days=1, hours=1),
            description="Classe fracturée pendant le week-end",
            items=(claims.ItemRequest(asset_tag="SEM-DEMO-0001"),),
        ),
        SEVEN_DAYS_BEFORE - timedelta(days=1),
    )
    at = SEVEN_DAYS_BEFORE + timedelta(seconds=5)
    only, exclude = renderers.lane(reminders.DEADLINES)
    deadlines = await reminders.claim(db, now=at, worker="s", exclude=exclude, only=only)
    assert deadlines and {r.ticket_id for r in deadlines} == {reported.claim.id}
    only, exclude = renderers.lane(reminders.PACED)
    crowd = await reminders.claim(db, now=at, worker="lane", exclude=exclude, only=only)
    assert len(crowd) == 5 and {r.kind for r in crowd} == {KIND_CALL_REMINDER_PERSON}
