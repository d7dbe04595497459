"""Collection rounds and maintenance visits through the services (art. 1, 3, 4): the list
grouped by body and school, the proposed day in the zone A holidays, planning, the
schools' reminders through the sweep (time set here), missing items, SEM's stock, the
recycling receipt, repair outcomes and the refusals. No messenger: a recording front end.

The demo starts on Monday 2 March 2026; zone A's spring holidays run from Saturday 4 to
Sunday 19 April, and Monday 6 April is Easter Monday (a public holiday).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.domain.collections import KIND_ROUND_REMINDER, Condition, Decision, ItemStatus
from bot.services import collections, equipment_moves, reminders, round_notices, rounds
from storage.models import Equipment, Reminder, School, Ticket
from tests.helpers import refuses
from tests.integration import test_claim_without_a_messenger as base
from tests.integration.test_claim_without_a_messenger import NOW, Demo, actions_of

demo = base.demo

TUESDAY_7_APRIL = date(2026, 4, 7)  # the first working day of the spring holidays


def _flag(
    d: Demo,
    who: str,
    *items: tuple[str, Condition],
    school_id: int | None = None,
    weekdays: frozenset[int] = frozenset(),
    holidays: bool = False,
) -> collections.FlagEquipment:
    return collections.FlagEquipment(
        reporter_id=d.people[who],
        school_id=school_id or d.school_id,
        items=tuple(collections.FlagItem(tag, c) for tag, c in items),
        place="Salle 12 : en panne à gauche, inutilisé à droite",
        availability=collections.Availability(weekdays, None, holidays),
    )


async def _school(d: Demo, uai: str) -> int:
    async with d.services.db.uow() as uow:
        found = await uow.session.scalar(select(School.id).where(School.uai == uai))
        assert found is not None
        return found


async def _state(d: Demo, tag: str) -> str:
    async with d.services.db.uow() as uow:
        equipment = await uow.directory.equipment_by_tag(tag)
        assert equipment is not None
        return equipment.state


async def _two_flaggings(d: Demo) -> tuple[collections.CollectionView, collections.CollectionView]:
    """École 1 (Camille): a broken desktop to decide, a broken laptop to recycle, a
    broken projector to repair, an unused visualiser; Wednesdays only. École 2 (flagged
    by staff): an unused tablet; Wednesdays and Thursdays, holidays fine."""
    db = d.services.db
    first = await collections.flag_equipment(
        db,
        _flag(
            d,
            "Camille",
            ("SEM-DEMO-0010", Condition.BROKEN),
            ("SEM-DEMO-0001", Condition.BROKEN),
            ("SEM-DEMO-0008", Condition.BROKEN),
            ("SEM-DEMO-0006", Condition.UNUSED),
            weekdays=frozenset({2}),
        ),
        NOW,
    )
    items = {i.asset_tag: i.id for i in first.view.items}
    await collections.decide(db, d.people["Sacha"], items["SEM-DEMO-0001"], Decision.RECYCLE, NOW)
    await collections.decide(db, d.people["Sacha"], items["SEM-DEMO-0008"], Decision.REPAIR, NOW)
    second = await collections.flag_equipment(
        db,
        _flag(
            d,
            "Sacha",
            ("SEM-DEMO-0013", Condition.UNUSED),
            school_id=await _school(d, "0429902K"),
            weekdays=frozenset({2, 3}),
            holidays=True,
        ),
        NOW + timedelta(days=3),
    )
    return first.view, second.view


async def test_the_list_groups_by_body_and_school_with_counts_and_age(demo: Demo) -> None:
    d = demo
    first, second = await _two_flaggings(d)
    bodies = await rounds.pending(d.services.db, d.people["Sacha"], NOW + timedelta(days=10))
    schools = {s.collection_id: s for b in bodies for s in b.schools}
    assert set(schools) == {first.id, second.id}
    one = schools[first.id]
    assert (one.broken, one.unused) == (3, 1)
    assert (one.to_collect, one.to_repair, one.to_decide) == (2, 1, 1)
    assert one.age_days == 10 and one.weekdays == frozenset({2})
    two = schools[second.id]
    assert (two.broken, two.unused, two.to_collect, two.age_days) == (0, 1, 1, 7)
    assert two.in_holidays
    # Grouped by body: each school under its own.
    for body in bodies:
        assert all(s.collection_id in schools for s in body.schools)
    # A teacher sees no such list.
    with refuses("common.error.forbidden"):
        await rounds.pending(d.services.db, d.people["Camille"], NOW)


async def test_the_proposed_day_is_in_the_zone_a_holidays_on_a_day_the_schools_share(
    demo: Demo,
) -> None:
    d = demo
    first, second = await _two_flaggings(d)
    db, staff = d.services.db, d.people["Sacha"]
    # Both schools: Wednesday is the day they share, in the spring holidays.
    both = await rounds.propose(db, staff, [first.id, second.id], "collection", NOW)
    assert both.day == date(2026, 4, 8) and both.in_holidays
    assert both.weekdays == frozenset({2})
    # École 2 alone: Wednesday or Thursday, the first of them in the holidays.
    alone = await rounds.propose(db, staff, [second.id], "collection", NOW)
    assert alone.day == date(2026, 4, 8)
    # A repair visit at École 1 (the projector): Wednesday 8 April as well.
    repair = await rounds.propose(db, staff, [first.id], "repair", NOW)
    assert repair.day == date(2026, 4, 8) and repair.kind.value == "repair"
    # Nothing to repair at École 2: said in words.
    with refuses("round.error.nothing_to_plan_repair"):
        await rounds.propose(db, staff, [second.id], "repair", NOW)
    with refuses("round.error.no_school"):
        await rounds.propose(db, staff, [], "collection", NOW)


async def test_a_planned_round_moves_the_items_tells_the_schools_and_reminds_them(
    demo: Demo,
) -> None:
    d = demo
    first, second = await _two_flaggings(d)
    db, i18n, staff = d.services.db, d.services.i18n, d.people["Sacha"]
    planned = await rounds.plan_round(
        db, staff, [first.id, second.id], "collection", date(2026, 4, 8), NOW
    )
    assert not planned.outside_holidays
    view = planned.round
    assert [s.collection_id for s in view.stops] == [first.id, second.id]
    assert sorted(i.asset_tag for i in view.stops[0].items) == ["SEM-DEMO-0001", "SEM-DEMO-0006"]
    # The items await collection; the one to decide and the one to repair are not in it.
    assert await _state(d, "SEM-DEMO-0001") == "awaiting_collection"
    assert await _state(d, "SEM-DEMO-0006") == "awaiting_collection"
    assert await _state(d, "SEM-DEMO-0008") == "out_of_order"
    after = await collections.collection_view(db, staff, first.id, NOW, timeline=True)
    assert after.state == "open"  # the desktop still waits for a decision
    assert after.next_deadline is not None
    assert "collection.round_planned" in [e.action for e in after.timeline]
    second_view = await collections.collection_view(db, staff, second.id, NOW)
    assert second_view.state == "planned"

    # The reporter and the head of École 1 hear of it with « Demander une autre date ».
    await d.front.tell(await round_notices.to_schools(db, i18n, view, "planned"))
    told = d.front.take()
    assert sorted(who for who, _ in told) == ["Camille", "Dominique", "Sacha"]
    camille = next(m for who, m in told if who == "Camille")
    assert "mercredi 8 avril 2026" in camille.text and "SEM-DEMO-0006" in camille.text
    assert actions_of(camille) == [f"rnd:other:{view.stops[0].id}"]

    # Reminders: two working days before (Monday 6 is Easter Monday: Friday 3 April) and
    # the working day before (Tuesday 7 April), at 09:00 Paris.
    async with db.uow() as uow:
        rows = (
            await uow.session.scalars(
                select(Reminder).where(
                    Reminder.kind == KIND_ROUND_REMINDER, Reminder.ticket_id == first.id
                )
            )
        ).all()
    assert sorted(r.due_at for r in rows) == [
        datetime(2026, 4, 3, 7, 0, tzinfo=UTC),
        datetime(2026, 4, 7, 7, 0, tzinfo=UTC),
    ]
    renderers = d.services.renderers
    await reminders.sweep(
        db, renderers, d.front.send, now=datetime(2026, 4, 3, 7, 1, tzinfo=UTC), worker="t"
    )
    got = d.front.take()
    assert sorted(who for who, _ in got) == ["Camille", "Dominique", "Sacha"]
    assert all("Rappel" in m.text for _, m in got)
    await reminders.sweep(
        db, renderers, d.front.send, now=datetime(2026, 4, 7, 7, 1, tzinfo=UTC), worker="t"
    )
    assert len(d.front.take()) == 3


async def test_a_cancelled_round_puts_the_items_back_and_its_reminders_are_not_sent(
    demo: Demo,
) -> None:
    d = demo
    first, _ = await _two_flaggings(d)
    db, i18n, staff = d.services.db, d.services.i18n, d.people["Sacha"]
    planned = await rounds.plan_round(db, staff, [first.id], "collection", TUESDAY_7_APRIL, NOW)
    cancelled = await rounds.cancel_round(db, staff, planned.round.id, NOW + timedelta(days=1))
    assert cancelled.state == "cancelled"
    assert await _state(d, "SEM-DEMO-0001") == "out_of_order"
    assert await _state(d, "SEM-DEMO-0006") == "unused"
    view = await collections.collection_view(db, staff, first.id, NOW)
    assert {i.status for i in view.items} == {ItemStatus.OPEN}
    await d.front.tell(await round_notices.to_schools(db, i18n, cancelled, "cancelled"))
    assert all("annulée" in m.text and not m.actions for _, m in d.front.take())
    await reminders.sweep(
        db,
        d.services.renderers,
        d.front.send,
        now=datetime(2026, 4, 7, 7, 1, tzinfo=UTC),
        worker="t",
    )
    assert [m for _, m in d.front.take() if "Rappel" in m.text] == []
    with refuses("round.error.already_cancelled"):
        await rounds.cancel_round(db, staff, planned.round.id, NOW)
    # Planned again, the items are there.
    again = await rounds.plan_round(db, staff, [first.id], "collection", TUESDAY_7_APRIL, NOW)
    assert len(again.round.stops[0].items) == 2


async def test_a_moved_round_is_reminded_on_its_new_day_only(demo: Demo) -> None:
    d = demo
    first, _ = await _two_flaggings(d)
    db, i18n, staff = d.services.db, d.services.i18n, d.people["Sacha"]
    planned = await rounds.plan_round(db, staff, [first.id], "collection", TUESDAY_7_APRIL, NOW)
    moved = await rounds.move_round(db, staff, planned.round.id, date(2026, 4, 15), NOW)
    assert moved.round.day == date(2026, 4, 15) and not moved.outside_holidays
    await d.front.tell(
        await round_notices.to_schools(db, i18n, moved.round, "moved", before=TUESDAY_7_APRIL)
    )
    texts = [m.text for _, m in d.front.take()]
    assert texts and all("7 avril" in t and "15 avril" in t for t in texts)
    renderers = d.services.renderers
    # The old day's reminders (2 April, 3 April) are not sent; the new ones are.
    await reminders.sweep(
        db, renderers, d.front.send, now=datetime(2026, 4, 3, 7, 1, tzinfo=UTC), worker="t"
    )
    assert d.front.take() == []
    await reminders.sweep(
        db, renderers, d.front.send, now=datetime(2026, 4, 14, 7, 1, tzinfo=UTC), worker="t"
    )
    assert d.front.take() != []
    # Back to the first day: its reminders are planned again.
    back = await rounds.move_round(
        db, staff, planned.round.id, TUESDAY_7_APRIL, NOW + timedelta(hours=1)
    )
    assert back.round.day == TUESDAY_7_APRIL
    async with db.uow() as uow:
        pending = (
            await uow.session.scalars(
                select(Reminder).where(
                    Reminder.kind == KIND_ROUND_REMINDER, Reminder.state == "pending"
                )
            )
        ).all()
    assert len(pending) == 2


async def test_the_day_of_a_round_refusals_and_warning(demo: Demo) -> None:
    d = demo
    first, _ = await _two_flaggings(d)
    db, staff = d.services.db, d.people["Sacha"]
    with refuses("round.error.day_past"):
        await rounds.plan_round(db, staff, [first.id], "collection", date(2026, 3, 2), NOW)
    with refuses("round.error.weekend"):
        await rounds.plan_round(db, staff, [first.id], "collection", date(2026, 4, 11), NOW)
    with refuses("round.error.public_holiday"):
        await rounds.plan_round(db, staff, [first.id], "collection", date(2026, 4, 6), NOW)
    with refuses("common.error.forbidden"):
        await rounds.plan_round(
            db, d.people["Dominique"], [first.id], "collection", TUESDAY_7_APRIL, NOW
        )
    # Outside the holidays: allowed, with the warning flag.
    planned = await rounds.plan_round(db, staff, [first.id], "collection", date(2026, 3, 18), NOW)
    assert planned.outside_holidays and not planned.round.in_holidays
    # Nothing left to collect there now.
    with refuses("round.error.nothing_to_plan_collection"):
        await rounds.plan_round(db, staff, [first.id], "collection", TUESDAY_7_APRIL, NOW)


async def test_on_the_day_missing_items_stay_open_unused_go_to_stock_broken_to_recycling(
    demo: Demo,
) -> None:
    d = demo
    first, second = await _two_flaggings(d)
    db, staff = d.services.db, d.people["Sacha"]
    planned = await rounds.plan_round(
        db, staff, [first.id, second.id], "collection", TUESDAY_7_APRIL, NOW
    )
    round_id = planned.round.id
    day = datetime(2026, 4, 7, 12, 0, tzinfo=UTC)
    items = {i.asset_tag: i.id for i in planned.round.stops[0].items}
    # École 1: the laptop is there, the visualiser is missing.
    view = await rounds.mark_collected(
        db, staff, round_id, first.id, {items["SEM-DEMO-0006"]: "Prêtée à la classe de CM2"}, day
    )
    assert view.state == "planned"  # École 2 still to do
    assert await _state(d, "SEM-DEMO-0001") == "collected"
    assert await _state(d, "SEM-DEMO-0006") == "awaiting_collection"
    with refuses("round.error.stop_done"):
        await rounds.mark_collected(db, staff, round_id, first.id, {}, day)
    # École 2: everything; the unused tablet goes into SEM's stock, and the round is done.
    view = await rounds.mark_collected(db, staff, round_id, second.id, {}, day)
    assert view.state == "done"
    assert await _state(d, "SEM-DEMO-0013") == "in_stock"
    closed = await collections.collection_view(db, staff, second.id, day)
    assert closed.state == "closed"
    # The missing visualiser is open again, listed for a later round with its note.
    bodies = await rounds.pending(db, staff, day)
    one = next(s for b in bodies for s in b.schools if s.collection_id == first.id)
    assert one.missing == 1 and one.to_collect == 1
    reopened = await collections.collection_view(db, staff, first.id, day)
    missing = next(i for i in reopened.items if i.asset_tag == "SEM-DEMO-0006")
    assert missing.status is ItemStatus.MISSING
    assert missing.missing_note == "Prêtée à la classe de CM2"
    later = await rounds.plan_round(db, staff, [first.id], "collection", date(2026, 4, 14), day)
    assert [i.asset_tag for i in later.round.stops[0].items] == ["SEM-DEMO-0006"]

    # Done, the round is still listed while its broken laptop waits for the receipt.
    assert round_id in [r.id for r in await rounds.planned_rounds(db, staff)]
    # The recycling receipt: the collected laptop is recycled, the receipt in its history.
    recycled = await rounds.record_recycling(db, staff, round_id, " DEC-2026-118 ", day)
    assert round_id not in [r.id for r in await rounds.planned_rounds(db, staff)]
    assert recycled.receipt_ref == "DEC-2026-118"
    assert await _state(d, "SEM-DEMO-0001") == "recycled"
    async with db.uow() as uow:
        laptop = await uow.session.scalar(
            select(Equipment).where(Equipment.asset_tag == "SEM-DEMO-0001")
        )
        assert laptop is not None
        moves = await equipment_moves.history(uow, laptop.id)
    assert [(m.from_state, m.to_state, m.reference) for m in moves] == [
        ("in_service", "out_of_order", None),
        ("out_of_order", "awaiting_collection", None),
        ("awaiting_collection", "collected", None),
        ("collected", "recycled", "DEC-2026-118"),
    ]
    view1 = await collections.collection_view(db, staff, first.id, day)
    assert next(i for i in view1.items if i.asset_tag == "SEM-DEMO-0001").receipt_ref == (
        "DEC-2026-118"
    )
    with refuses("round.error.nothing_to_recycle"):
        await rounds.record_recycling(db, staff, round_id, "DEC-2026-119", day)
    with refuses("round.error.receipt_required"):
        await rounds.record_recycling(db, staff, round_id, "  ", day)
    # A forged item id, not of this round, is refused.
    with refuses("round.error.item_not_in_round"):
        await rounds.mark_collected(db, staff, later.round.id, first.id, {999: None}, day)


async def test_a_repair_visit_puts_items_back_in_service_or_takes_them_away(demo: Demo) -> None:
    d = demo
    db, staff = d.services.db, d.people["Sacha"]
    flagged = await collections.flag_equipment(
        db,
        _flag(
            d, "Camille", ("SEM-DEMO-0008", Condition.BROKEN), ("SEM-DEMO-0009", Condition.BROKEN)
        ),
        NOW,
    )
    for item in flagged.view.items:
        await collections.decide(db, staff, item.id, Decision.REPAIR, NOW)
    planned = await rounds.plan_round(db, staff, [flagged.view.id], "repair", TUESDAY_7_APRIL, NOW)
    # A repair visit leaves the items out of order until it comes.
    assert await _state(d, "SEM-DEMO-0008") == "out_of_order"
    items = {i.asset_tag: i.id for i in planned.round.stops[0].items}
    day = datetime(2026, 4, 7, 12, 0, tzinfo=UTC)
    with refuses("round.error.not_a_collection"):
        await rounds.mark_collected(db, staff, planned.round.id, flagged.view.id, {}, day)
    view = await rounds.record_repair(db, staff, items["SEM-DEMO-0008"], True, day, "Lampe changée")
    assert view.state == "planned"
    assert await _state(d, "SEM-DEMO-0008") == "in_service"
    view = await rounds.record_repair(db, staff, items["SEM-DEMO-0009"], False, day, None)
    assert view.state == "done"
    assert await _state(d, "SEM-DEMO-0009") == "collected"
    with refuses("round.error.item_not_in_round"):
        await rounds.record_repair(db, staff, items["SEM-DEMO-0009"], True, day)
    after = await collections.collection_view(db, staff, flagged.view.id, day)
    statuses = {i.asset_tag: (i.status, i.decision) for i in after.items}
    assert statuses["SEM-DEMO-0008"][0] is ItemStatus.REPAIRED
    assert statuses["SEM-DEMO-0009"] == (ItemStatus.COLLECTED, Decision.RECYCLE)
    assert after.state == "closed"
    # The item taken away goes to recycling with the visit's receipt.
    await rounds.record_recycling(db, staff, planned.round.id, "DEC-2026-120", day)
    assert await _state(d, "SEM-DEMO-0009") == "recycled"


async def test_a_school_asks_for_another_date_and_staff_hear_of_it(demo: Demo) -> None:
    d = demo
    first, _ = await _two_flaggings(d)
    db, i18n, settings = d.services.db, d.services.i18n, d.services.settings
    planned = await rounds.plan_round(
        db, d.people["Sacha"], [first.id], "collection", TUESDAY_7_APRIL, NOW
    )
    stop_id = planned.round.stops[0].id
    # Staff are not the school; the commune's agent neither.
    for who in ("Sacha", "Claude"):
        with refuses("round.error.stop_not_found"):
            await rounds.other_date_target(db, d.people[who], stop_id)
    with refuses("round.error.other_note_required"):
        await rounds.ask_other_date(db, d.people["Dominique"], stop_id, "  ", NOW)
    asked = await rounds.ask_other_date(
        db, d.people["Dominique"], stop_id, "L'école est fermée le 7, le 9 irait", NOW
    )
    assert asked.stop.other_date_note == "L'école est fermée le 7, le 9 irait"
    await d.front.tell(await round_notices.other_date_asked(db, i18n, settings, asked))
    told = d.front.take()
    assert [who for who, _ in told] == ["Sacha"]
    assert "le 9 irait" in told[0][1].text and "Dominique" in told[0][1].text
    assert actions_of(told[0][1]) == [f"rnd:view:{planned.round.id}"]
    async with db.uow() as uow:
        ticket = await uow.session.get(Ticket, first.id)
        assert ticket is not None
    view = await collections.collection_view(db, d.people["Sacha"], first.id, NOW, timeline=True)
    assert "collection.other_date_asked" in [e.action for e in view.timeline]


async def test_closing_the_flagging_cancels_its_round_reminders(demo: Demo) -> None:
    d = demo
    db, staff = d.services.db, d.people["Sacha"]
    flagged = await collections.flag_equipment(
        db, _flag(d, "Camille", ("SEM-DEMO-0006", Condition.UNUSED)), NOW
    )
    planned = await rounds.plan_round(
        db, staff, [flagged.view.id], "collection", TUESDAY_7_APRIL, NOW
    )
    day = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    await rounds.mark_collected(db, staff, planned.round.id, flagged.view.id, {}, day)
    async with db.uow() as uow:
        states = (
            await uow.session.scalars(
                select(Reminder.state).where(Reminder.kind == KIND_ROUND_REMINDER)
            )
        ).all()
    assert set(states) == {"cancelled"}


async def test_a_round_reminder_is_skipped_once_the_school_is_marked(demo: Demo) -> None:
    """The flagging stays open (an item was missing), so its rows are not cancelled: the
    renderer finds nothing planned at that school any more and the sweep skips them."""
    d = demo
    first, _ = await _two_flaggings(d)
    db, staff = d.services.db, d.people["Sacha"]
    planned = await rounds.plan_round(db, staff, [first.id], "collection", TUESDAY_7_APRIL, NOW)
    items = {i.asset_tag: i.id for i in planned.round.stops[0].items}
    early = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    await rounds.mark_collected(
        db, staff, planned.round.id, first.id, {items["SEM-DEMO-0006"]: None}, early
    )
    report = await reminders.sweep(
        db,
        d.services.renderers,
        d.front.send,
        now=datetime(2026, 4, 7, 7, 1, tzinfo=UTC),
        worker="t",
    )
    assert [m for _, m in d.front.take() if "Rappel" in m.text] == []
    assert report.skipped >= 2
