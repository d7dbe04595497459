"""Notices through the services (art. 1 and 2): works with their rooms, recommendations
and reminders, a move, fibre, class openings and closures, the school network, training
needs. No messenger: a recording front end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.domain.notices import ClassChange, FibreNews, WorksKind
from bot.services import notice_notices, notices, reminders
from storage.models import Equipment, Reminder, School
from tests.helpers import refuses
from tests.integration import test_claim_without_a_messenger as base
from tests.integration.test_claim_without_a_messenger import NOW, Demo, actions_of

demo = base.demo


def _works(d: Demo, who: str = "Claude", **changes: object) -> notices.TellWorks:
    values: dict[str, object] = {
        "reporter_id": d.people[who],
        "school_id": d.school_id,
        "works": WorksKind.RENOVATION,
        "description": "Réfection des sols et peinture",
        "starts_on": date(2026, 4, 13),
        "ends_on": date(2026, 4, 24),
        "rooms": "Salle 3, BCD",
    }
    values.update(changes)
    return notices.TellWorks(**values)  # type: ignore[arg-type]


async def _set_rooms(d: Demo, rooms: dict[str, str]) -> None:
    async with d.services.db.uow() as uow:
        for tag, room in rooms.items():
            item = await uow.directory.equipment_by_tag(tag)
            assert item is not None
            item.room = room
        await uow.commit()


async def _pending(d: Demo, ticket_id: int) -> list[str]:
    async with d.services.db.uow() as uow:
        return sorted(
            (
                await uow.session.scalars(
                    select(Reminder.kind).where(
                        Reminder.ticket_id == ticket_id, Reminder.state == "pending"
                    )
                )
            ).all()
        )


async def test_works_are_told_with_the_equipment_of_their_rooms(demo: Demo) -> None:
    d = demo
    db, i18n, settings = d.services.db, d.services.i18n, d.services.settings
    await _set_rooms(
        d, {"SEM-DEMO-0005": "Salle 3", "SEM-DEMO-0008": "BCD", "SEM-DEMO-0001": "Salle 7"}
    )
    view = await notices.tell_works(db, _works(d), NOW)
    assert view.number == "N-2026-0001" and view.state == "told"
    assert [i.asset_tag for i in view.equipment] == ["SEM-DEMO-0005", "SEM-DEMO-0008"]
    await d.front.tell(await notice_notices.after_telling(db, i18n, settings, view))
    told = d.front.take()
    assert [who for who, _ in told] == ["Sacha", "Claude"]
    staff, body = told[0][1], told[1][1]
    assert "SEM-DEMO-0005" in staff.text and "SEM-DEMO-0001" not in staff.text
    assert f"ntc:ack:{view.id}" in actions_of(staff)
    assert "aucune fixation" in body.text and "baie informatique" in body.text
    assert body.actions == ()  # a message to forward, nothing to tap
    # A week before the start, then the day after the end.
    assert await _pending(d, view.id) == ["notice.works.before", "notice.works.return"]


async def test_refusals_of_a_works_notice(demo: Demo) -> None:
    d = demo
    db = d.services.db
    with refuses("common.error.forbidden"):
        await notices.tell_works(db, _works(d, "Camille"), NOW)  # a teacher
    with refuses("notice.error.end_before_start"):
        await notices.tell_works(db, _works(d, ends_on=date(2026, 4, 1)), NOW)
    with refuses("notice.error.description_required"):
        await notices.tell_works(db, _works(d, description="  "), NOW)
    async with db.uow() as uow:
        ogec = await uow.session.scalar(select(School).where(School.uai == "0429903L"))
        assert ogec is not None
    with refuses("notice.error.school_out_of_scope"):  # another body's school
        await notices.tell_works(db, _works(d, school_id=ogec.id), NOW)
    with refuses("notice.error.address_required"):
        await notices.tell_works(db, _works(d, works=WorksKind.MOVE), NOW)
    # A head may tell works too; « à partir de » leaves the end open.
    view = await notices.tell_works(db, _works(d, "Dominique", ends_on=None), NOW)
    assert view.ends_on is None
    assert await _pending(d, view.id) == ["notice.works.before"]


async def test_works_reminders_reach_the_school_then_it_confirms_and_they_stop(demo: Demo) -> None:
    d = demo
    db, i18n, settings = d.services.db, d.services.i18n, d.services.settings
    view = await notices.tell_works(db, _works(d), NOW)
    later = NOW + timedelta(days=38)  # 9 April, past « a week before »
    await reminders.sweep(db, d.services.renderers, d.front.send, now=later, worker="t")
    got = d.front.take()
    assert sorted(who for who, _ in got) == ["Claude", "Dominique"]
    assert all("commencent dans une semaine" in m.text for _, m in got)
    done = await notices.confirm_back_in_place(db, d.people["Dominique"], view.id, later)
    assert done.closed_at is not None
    assert await _pending(d, view.id) == []
    await d.front.tell(
        await notice_notices.to_staff(
            db, i18n, settings, done, "notice.told.back_in_place", "Dominique"
        )
    )
    ((who, notice),) = d.front.take()
    assert who == "Sacha" and "remis en place" in notice.text
    with refuses("notice.error.nothing_to_confirm"):
        await notices.confirm_back_in_place(db, d.people["Claude"], view.id, later)


async def test_a_move_to_another_school_moves_the_inventory_when_staff_confirm(demo: Demo) -> None:
    d = demo
    db = d.services.db
    view = await notices.tell_works(
        db, _works(d, works=WorksKind.MOVE, new_school_uai="0429902K"), NOW
    )
    assert view.is_move and view.new_school_name is not None
    with refuses("common.error.forbidden"):
        await notices.confirm_move(db, d.people["Claude"], view.id, NOW)
    confirmed = await notices.confirm_move(db, d.people["Sacha"], view.id, NOW)
    assert confirmed.state == "acknowledged"
    async with db.uow() as uow:
        left = await uow.session.scalar(
            select(Equipment).where(Equipment.school_id == d.school_id).limit(1)
        )
        moved = await uow.directory.equipment_by_tag("SEM-DEMO-0001")
    assert left is None and moved is not None and moved.school_id != d.school_id
    with refuses("notice.error.move_target"):
        await notices.tell_works(
            db,
            _works(d, works=WorksKind.MOVE, new_school_uai="0429902K", school_id=moved.school_id),
            NOW,
        )


async def test_fibre_is_followed_until_the_migration_is_done(demo: Demo) -> None:
    d = demo
    db = d.services.db
    view = await notices.tell_fibre(
        db, notices.TellFibre(d.people["Claude"], d.school_id, FibreNews.ELIGIBLE), NOW
    )
    with refuses("notice.error.fibre_already_open"):
        await notices.tell_fibre(
            db, notices.TellFibre(d.people["Dominique"], d.school_id, FibreNews.INSTALLED), NOW
        )
    # Staff reminded every 30 days while it is open: each reminder plans the next.
    await reminders.sweep(
        db, d.services.renderers, d.front.send, now=NOW + timedelta(days=31), worker="t"
    )
    assert [who for who, _ in d.front.take()] == ["Sacha"]
    assert await _pending(d, view.id) == ["notice.fibre.reminder"]
    ordered = await notices.fibre_step(db, d.people["Sacha"], view.id, NOW + timedelta(days=32))
    assert ordered.state == "acknowledged"
    done = await notices.fibre_step(db, d.people["Sacha"], view.id, NOW + timedelta(days=60))
    assert done.closed_at is not None and await _pending(d, view.id) == []


async def test_a_class_closure_plans_the_collection_and_records_a_training_need(demo: Demo) -> None:
    d = demo
    db = d.services.db
    cmd = notices.TellClassChange(
        d.people["Dominique"],
        d.school_id,
        ClassChange.CLOSING,
        "CM2 B",
        date(2026, 7, 4),
        level="CM2",
        asset_tags=("SEM-DEMO-0003", "SEM-DEMO-0004"),
        place="Bureau de la direction",
    )
    with refuses("notice.error.closure_past"):
        await notices.tell_class_change(
            db, notices.TellClassChange(**{**cmd.__dict__, "on": date(2026, 2, 1)}), NOW
        )
    with refuses("common.error.forbidden"):
        await notices.tell_class_change(
            db, notices.TellClassChange(**{**cmd.__dict__, "reporter_id": d.people["Camille"]}), NOW
        )
    view = await notices.tell_class_change(db, cmd, NOW)
    assert view.collection_number == "C-2026-0001"
    assert await _pending(d, view.id) == ["notice.closure.reminder", "notice.closure.reminder"]
    async with db.uow() as uow:
        tablet = await uow.directory.equipment_by_tag("SEM-DEMO-0003")
    assert tablet is not None and tablet.state == "unused"
    needs = await notices.training_needs(db, d.people["Sacha"])
    assert [(n.reason.value, n.note, n.number) for n in needs] == [
        ("structure_change", "CM2 B", view.number)
    ]
    await notices.training_done(db, d.people["Sacha"], needs[0].id, NOW)
    assert await notices.training_needs(db, d.people["Sacha"]) == []
    with refuses("common.error.forbidden"):
        await notices.training_needs(db, d.people["Dominique"])


async def test_a_class_opening_tells_staff_who_take_it_into_account(demo: Demo) -> None:
    d = demo
    db = d.services.db
    view = await notices.tell_class_change(
        db,
        notices.TellClassChange(
            d.people["Claude"], d.school_id, ClassChange.OPENING, "CP C", date(2026, 9, 1)
        ),
        NOW,
    )
    assert view.collection_id is None and await _pending(d, view.id) == []
    done = await notices.acknowledge(db, d.people["Sacha"], view.id, NOW)
    assert done.closed_at is not None
    await notices.tell_post_change(
        db, d.people["Dominique"], "Nouvelle directrice à la rentrée", NOW
    )
    reasons = [n.reason.value for n in await notices.training_needs(db, d.people["Sacha"])]
    assert reasons == ["structure_change", "post_change"]


async def test_the_body_is_asked_to_take_its_equipment_off_the_network(demo: Demo) -> None:
    d = demo
    db, i18n, settings = d.services.db, d.services.i18n, d.services.settings
    with refuses("common.error.forbidden"):
        await notices.ask_disconnection(db, d.people["Claude"], "0429901J", "Caméra", NOW)
    with refuses("notice.error.unknown_school"):
        await notices.ask_disconnection(db, d.people["Sacha"], "0000000A", "Caméra", NOW)
    view = await notices.ask_disconnection(
        db, d.people["Sacha"], "0429901j", "Caméra de surveillance sur le switch du bureau", NOW
    )
    await d.front.tell(await notice_notices.after_telling(db, i18n, settings, view))
    ((who, asked),) = d.front.take()
    assert who == "Claude" and f"ntc:off:{view.id}" in actions_of(asked)
    await reminders.sweep(
        db, d.services.renderers, d.front.send, now=NOW + timedelta(days=16), worker="t"
    )
    assert [who for who, _ in d.front.take()] == ["Claude"]
    await reminders.sweep(
        db, d.services.renderers, d.front.send, now=NOW + timedelta(days=31), worker="t"
    )
    assert [who for who, _ in d.front.take()] == ["Sacha"]
    with refuses("common.error.forbidden"):
        await notices.confirm_disconnected(db, d.people["Dominique"], view.id, NOW)
    done = await notices.confirm_disconnected(
        db, d.people["Claude"], view.id, NOW + timedelta(days=32)
    )
    assert done.closed_at is not None


async def test_a_notice_withdrawn_cancels_its_reminders(demo: Demo) -> None:
    d = demo
    db = d.services.db
    view = await notices.tell_works(db, _works(d), NOW)
    with refuses("common.error.forbidden"):
        await notices.withdraw(db, d.people["Dominique"], view.id, "erreur", NOW)
    withdrawn = await notices.withdraw(db, d.people["Claude"], view.id, "Travaux reportés", NOW)
    assert withdrawn.closed_at is not None and await _pending(d, view.id) == []


async def test_staff_plan_a_collection_of_the_rooms_items_from_works(demo: Demo) -> None:
    d = demo
    db = d.services.db
    await _set_rooms(d, {"SEM-DEMO-0005": "Salle 3", "SEM-DEMO-0008": "BCD"})
    view = await notices.tell_works(db, _works(d), NOW)
    offered = await notices.collectable_items(db, d.people["Sacha"], view.id)
    assert [i.asset_tag for i in offered.equipment] == ["SEM-DEMO-0005", "SEM-DEMO-0008"]
    tags = ("SEM-DEMO-0005", "SEM-DEMO-0008")
    with refuses("common.error.forbidden"):  # a body's agent, a head: staff only
        await notices.collection_from_works(db, d.people["Claude"], view.id, tags, "BCD", NOW)
    with refuses("common.error.forbidden"):
        await notices.collectable_items(db, d.people["Dominique"], view.id)
    with refuses("collection.error.place_required"):
        await notices.collection_from_works(db, d.people["Sacha"], view.id, tags, " ", NOW)
    with refuses("collection.error.unknown_tag"):
        await notices.collection_from_works(db, d.people["Sacha"], view.id, ("NOPE-1",), "x", NOW)

    done = await notices.collection_from_works(
        db, d.people["Sacha"], view.id, tags, "Bureau de la direction", NOW
    )
    assert done.notice.collection_number == done.flagged.view.number == "C-2026-0001"
    assert [i.asset_tag for i in done.flagged.view.items] == list(tags)
    assert {i.condition.value for i in done.flagged.view.items} == {"unused"}
    assert done.flagged.view.items[0].note == "travaux : Réfection des sols et peinture"
    assert done.flagged.body_agents == ()  # SEM's items only: the body has nothing to do
    assert [h.person_id for h in done.heads] == [d.people["Dominique"]]
    assert done.notice.timeline[-1].action == "notice.collection_planned"
    assert done.notice.timeline[-1].details == {"collection": "C-2026-0001", "count": 2}
    async with db.uow() as uow:
        item = await uow.directory.equipment_by_tag("SEM-DEMO-0005")
    assert item is not None and item.state == "unused"
    # Once planned, not twice; and the card no longer offers it.
    with refuses("notice.error.collect_already"):
        await notices.collection_from_works(db, d.people["Sacha"], view.id, tags, "x", NOW)
    with refuses("notice.error.collect_already"):
        await notices.collectable_items(db, d.people["Sacha"], view.id)


async def test_a_collection_from_works_takes_only_sem_items_of_an_open_works_notice(
    demo: Demo,
) -> None:
    d = demo
    db = d.services.db
    async with db.uow() as uow:
        uow.session.add(
            Equipment(
                asset_tag="COM-DEMO-0001",
                school_id=d.school_id,
                type="desktop",
                model="HP ProDesk",
                owner="commune",
                state="in_service",
                room="Salle 3",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await uow.commit()
    await _set_rooms(d, {"SEM-DEMO-0005": "Salle 3"})
    view = await notices.tell_works(db, _works(d), NOW)
    with refuses("notice.error.collect_not_sem"):  # the body's own desktop
        await notices.collection_from_works(
            db, d.people["Sacha"], view.id, ("SEM-DEMO-0005", "COM-DEMO-0001"), "x", NOW
        )
    async with db.uow() as uow:  # nothing was written
        item = await uow.directory.equipment_by_tag("SEM-DEMO-0005")
    assert item is not None and item.state == "in_service"
    # Another school's item, and a class notice, are refused too.
    other = await _sem_item_elsewhere(d)
    with refuses("collection.error.tag_other_school"):
        await notices.collection_from_works(db, d.people["Sacha"], view.id, (other,), "x", NOW)
    opening = await notices.tell_class_change(
        db,
        notices.TellClassChange(
            d.people["Claude"], d.school_id, ClassChange.OPENING, "CP C", date(2026, 9, 1)
        ),
        NOW,
    )
    with refuses("notice.error.collect_not_works"):
        await notices.collection_from_works(
            db, d.people["Sacha"], opening.id, ("SEM-DEMO-0005",), "x", NOW
        )
    # Works told closed (the equipment back in place): nothing to collect any more.
    await notices.confirm_back_in_place(db, d.people["Claude"], view.id, NOW)
    with refuses("notice.error.collect_not_works"):
        await notices.collectable_items(db, d.people["Sacha"], view.id)


async def _sem_item_elsewhere(d: Demo) -> str:
    """A SEM item in service at another school of the demo."""
    async with d.services.db.uow() as uow:
        tag = await uow.session.scalar(
            select(Equipment.asset_tag)
            .where(
                Equipment.school_id != d.school_id,
                Equipment.owner == "sem",
                Equipment.state == "in_service",
            )
            .order_by(Equipment.asset_tag)
        )
    assert tag is not None
    return tag


async def test_the_network_request_is_previewed_naming_the_school_and_its_body(
    demo: Demo,
) -> None:
    d = demo
    db = d.services.db
    target = await notices.network_target(db, d.people["Sacha"], "0429901j", " Caméra <IP> ")
    assert (target.school_uai, target.text) == ("0429901J", "Caméra <IP>")
    assert target.body_name and target.school_name and target.commune_name
    with refuses("common.error.forbidden"):
        await notices.network_target(db, d.people["Claude"], "0429901J", "Caméra")
    with refuses("notice.error.unknown_school"):
        await notices.network_target(db, d.people["Sacha"], "0000000A", "Caméra")
    with refuses("notice.error.description_required"):
        await notices.network_target(db, d.people["Sacha"], "0429901J", "  ")


async def test_a_closure_told_by_the_body_reaches_the_head_and_without_items_says_so(
    demo: Demo,
) -> None:
    d = demo
    db, i18n, settings = d.services.db, d.services.i18n, d.services.settings
    view = await notices.tell_class_change(
        db,
        notices.TellClassChange(
            d.people["Claude"], d.school_id, ClassChange.CLOSING, "CE1 A", date(2026, 7, 4)
        ),
        NOW,
    )
    assert view.collection_id is None
    await d.front.tell(await notice_notices.after_telling(db, i18n, settings, view))
    assert sorted(who for who, _ in d.front.take()) == ["Dominique", "Sacha"]
    # Two weeks before: nothing of SEM's was picked, so the reminder says how to flag it.
    await reminders.sweep(
        db,
        d.services.renderers,
        d.front.send,
        now=datetime(2026, 6, 20, 8, 0, tzinfo=UTC),
        worker="t",
    )
    got = d.front.take()
    assert sorted(who for who, _ in got) == ["Claude", "Dominique"]
    assert all("/collecte" in m.text for _, m in got)
    needs = await notices.training_needs(db, d.people["Sacha"])
    assert [n.change for n in needs] == ["closing"]


async def test_the_school_a_move_goes_to_is_checked_as_typed(demo: Demo) -> None:
    d = demo
    db = d.services.db
    target = await notices.move_target(db, d.people["Claude"], "0429902k", d.school_id)
    assert target.uai == "0429902K"
    with refuses("notice.error.move_target"):
        await notices.move_target(db, d.people["Claude"], "0429901J", d.school_id)
    with refuses("notice.error.unknown_school"):
        await notices.move_target(db, d.people["Claude"], "0000001A", d.school_id)
    with refuses("common.error.forbidden"):
        await notices.move_target(db, d.people["Camille"], "0429902K", d.school_id)
