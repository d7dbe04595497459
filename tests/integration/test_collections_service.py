"""Unused and broken equipment through the services (art. 1, 3, 4): the flagging routed by
owner, staff's repair-or-recycle choice, the body's own removal, the reminders, the item's
history. No messenger: a recording front end."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain.collections import (
    KIND_REMOVAL_REMINDER,
    KIND_UNPLANNED_REMINDER,
    Condition,
    ItemStatus,
    Route,
)
from bot.services import collection_notices, collections, reminders
from storage.models import EquipmentMove, Reminder
from tests.helpers import refuses
from tests.integration import test_claim_without_a_messenger as base
from tests.integration.test_claim_without_a_messenger import NOW, Demo, actions_of

demo = base.demo


def _flag(
    d: Demo, who: str, *items: tuple[str, Condition, str | None]
) -> collections.FlagEquipment:
    return collections.FlagEquipment(
        reporter_id=d.people[who],
        school_id=d.school_id,
        items=tuple(collections.FlagItem(tag, condition, note) for tag, condition, note in items),
        place="Salle 12, armoire du fond : en panne à gauche, inutilisé à droite",
        availability=collections.Availability(frozenset({2}), "8 h 30 – 11 h 30", True),
    )


async def _state(d: Demo, tag: str) -> str:
    async with d.services.db.uow() as uow:
        equipment = await uow.directory.equipment_by_tag(tag)
        assert equipment is not None
        return equipment.state


async def test_a_flagging_is_routed_by_owner_and_told_to_staff_and_the_body(demo: Demo) -> None:
    d = demo
    db, i18n, settings = d.services.db, d.services.i18n, d.services.settings
    cmd = _flag(
        d,
        "Camille",
        ("SEM-DEMO-0010", Condition.BROKEN, "Ne démarre plus"),
        ("SEM-DEMO-0006", Condition.UNUSED, None),
        ("COM-DEMO-0011", Condition.BROKEN, "Écran cassé"),
        ("COM-DEMO-0012", Condition.UNUSED, None),
    )
    preview = await collections.preview_flagging(db, cmd)
    assert [r for _, _, r in preview.items] == [
        Route.SEM_COLLECTS,
        Route.SEM_COLLECTS,
        Route.BODY_REMOVES,
        Route.BODY_KEEPS,
    ]
    flagged = await collections.flag_equipment(db, cmd, NOW)
    view = flagged.view
    assert view.number == "C-2026-0001" and view.state == "open"
    assert [i.status for i in view.items] == [
        ItemStatus.OPEN,
        ItemStatus.OPEN,
        ItemStatus.OPEN,
        ItemStatus.KEPT,
    ]
    assert [i.asset_tag for i in view.awaiting_decision] == ["SEM-DEMO-0010"]
    # Equipment states follow; the body's unused item is left as it is.
    assert await _state(d, "SEM-DEMO-0010") == "out_of_order"
    assert await _state(d, "SEM-DEMO-0006") == "unused"
    assert await _state(d, "COM-DEMO-0011") == "out_of_order"
    assert await _state(d, "COM-DEMO-0012") == "in_service"

    await d.front.tell(await collection_notices.after_flagging(db, i18n, settings, flagged))
    told = dict(d.front.take())
    assert set(told) == {"Sacha", "Claude"}
    assert f"col:dec:{view.items[0].id}:repair" in actions_of(told["Sacha"])
    assert "art. 4" in told["Claude"].text and "COM-DEMO-0011" in told["Claude"].text
    assert "COM-DEMO-0012" in told["Claude"].text  # its own business, said so
    assert f"col:rm:{view.id}" in actions_of(told["Claude"])

    # Reminders: staff after 60 days, the body after 30.
    async with db.uow() as uow:
        rows = (
            await uow.session.scalars(select(Reminder).where(Reminder.ticket_id == view.id))
        ).all()
    assert sorted(r.kind for r in rows) == sorted([KIND_UNPLANNED_REMINDER, KIND_REMOVAL_REMINDER])


async def test_refusals_of_a_flagging(demo: Demo) -> None:
    d = demo
    db = d.services.db
    with refuses("collection.error.tag_other_school"):
        await collections.preview_flagging(
            db, _flag(d, "Camille", ("SEM-DEMO-0013", Condition.BROKEN, None))
        )
    with refuses("collection.error.unknown_tag"):
        await collections.preview_flagging(
            db, _flag(d, "Camille", ("NOPE-1", Condition.BROKEN, None))
        )
    with refuses("collection.error.no_items"):
        await collections.preview_flagging(db, _flag(d, "Camille"))
    with refuses("collection.error.place_required"):
        await collections.preview_flagging(
            db,
            collections.FlagEquipment(
                d.people["Camille"],
                d.school_id,
                (collections.FlagItem("SEM-DEMO-0001", Condition.UNUSED),),
                place="   ",
            ),
        )
    # A stolen item cannot be flagged: the claim moved it out of service.
    async with db.uow() as uow:
        item = await uow.directory.equipment_by_tag("SEM-DEMO-0002")
        assert item is not None
        item.state = "stolen"
        await uow.commit()
    with refuses("collection.error.tag_unavailable"):
        await collections.preview_flagging(
            db, _flag(d, "Camille", ("SEM-DEMO-0002", Condition.BROKEN, None))
        )
    # An item already flagged cannot be flagged twice.
    await collections.flag_equipment(
        db, _flag(d, "Camille", ("SEM-DEMO-0001", Condition.UNUSED, None)), NOW
    )
    with refuses("collection.error.tag_unavailable"):
        await collections.preview_flagging(
            db, _flag(d, "Camille", ("SEM-DEMO-0001", Condition.UNUSED, None))
        )
    # Staff do not decide for an unused item; a teacher decides nothing.
    flagged = await collections.flag_equipment(
        db, _flag(d, "Camille", ("SEM-DEMO-0003", Condition.BROKEN, None)), NOW
    )
    with refuses("common.error.forbidden"):
        await collections.decide(db, d.people["Camille"], flagged.view.items[0].id, "repair", NOW)


async def test_staff_decide_and_the_body_removes_its_own(demo: Demo) -> None:
    d = demo
    db, i18n, settings = d.services.db, d.services.i18n, d.services.settings
    flagged = await collections.flag_equipment(
        db,
        _flag(
            d,
            "Dominique",
            ("SEM-DEMO-0010", Condition.BROKEN, None),
            ("COM-DEMO-0011", Condition.BROKEN, None),
        ),
        NOW,
    )
    view = flagged.view
    sem_item, body_item = view.items
    decided = await collections.decide(db, d.people["Sacha"], sem_item.id, "recycle", NOW)
    assert decided.items[0].decision is not None and not decided.awaiting_decision
    with refuses("collection.error.no_decision_here"):
        await collections.decide(db, d.people["Sacha"], body_item.id, "repair", NOW)
    # Another body's agent cannot see it; the teacher cannot confirm a removal.
    with refuses("common.error.forbidden"):
        await collections.confirm_removal(db, d.people["Camille"], view.id, None, NOW)
    removed = await collections.confirm_removal(
        db, d.people["Claude"], view.id, None, NOW + timedelta(days=3), reference="DEC-2026-118"
    )
    assert removed.items[1].status is ItemStatus.REMOVED
    assert removed.items[1].receipt_ref == "DEC-2026-118"
    assert await _state(d, "COM-DEMO-0011") == "recycled"
    with refuses("collection.error.nothing_to_remove"):
        await collections.confirm_removal(db, d.people["Claude"], view.id, None, NOW)
    await d.front.tell(
        await collection_notices.after_removal(db, i18n, settings, removed, "Claude")
    )
    ((who, notice),) = d.front.take()
    assert who == "Sacha" and "COM-DEMO-0011" in notice.text
    # The history keeps every move, with the receipt.
    async with db.uow() as uow:
        equipment = await uow.directory.equipment_by_tag("COM-DEMO-0011")
        assert equipment is not None
        moves = (
            await uow.session.scalars(
                select(EquipmentMove).where(EquipmentMove.equipment_id == equipment.id)
            )
        ).all()
    assert [(m.from_state, m.to_state, m.reference) for m in moves] == [
        ("in_service", "out_of_order", None),
        ("out_of_order", "recycled", "DEC-2026-118"),
    ]


async def test_the_reminders_go_out_only_while_something_is_owed(demo: Demo) -> None:
    d = demo
    db = d.services.db
    flagged = await collections.flag_equipment(
        db,
        _flag(
            d,
            "Camille",
            ("SEM-DEMO-0010", Condition.BROKEN, None),
            ("COM-DEMO-0011", Condition.BROKEN, None),
        ),
        NOW,
    )
    # 30 days on, the body has not removed its item: its agent is reminded.
    report = await reminders.sweep(
        db, d.services.renderers, d.front.send, now=NOW + timedelta(days=31), worker="t"
    )
    got = d.front.take()
    assert [who for who, _ in got] == ["Claude"], report
    assert "COM-DEMO-0011" in got[0][1].text
    # The staff's 60-day reminder names the SEM item still unplanned.
    await reminders.sweep(
        db, d.services.renderers, d.front.send, now=NOW + timedelta(days=61), worker="t"
    )
    got = d.front.take()
    assert [who for who, _ in got] == ["Sacha"]
    assert "SEM-DEMO-0010" in got[0][1].text
    assert flagged.view.id == got[0][1].ticket_id


async def test_a_reminder_owed_nothing_is_skipped(demo: Demo) -> None:
    d = demo
    db = d.services.db
    flagged = await collections.flag_equipment(
        db, _flag(d, "Camille", ("COM-DEMO-0011", Condition.BROKEN, None)), NOW
    )
    await collections.confirm_removal(db, d.people["Claude"], flagged.view.id, None, NOW)
    await reminders.sweep(
        db, d.services.renderers, d.front.send, now=NOW + timedelta(days=31), worker="t"
    )
    assert d.front.take() == []
    view = await collections.collection_view(db, d.people["Sacha"], flagged.view.id, NOW)
    assert view.state == "closed" and view.closed_at is not None


async def test_a_flagging_withdrawn_puts_its_items_back_in_service(demo: Demo) -> None:
    d = demo
    db = d.services.db
    flagged = await collections.flag_equipment(
        db,
        _flag(
            d,
            "Camille",
            ("SEM-DEMO-0010", Condition.BROKEN, None),
            ("SEM-DEMO-0006", Condition.UNUSED, None),
        ),
        NOW,
    )
    with refuses("collection.error.reason_required"):
        await collections.withdraw(db, d.people["Camille"], flagged.view.id, " ", NOW)
    # Its reporter withdraws it (a head of the school, the body's agents and staff could).
    view = await collections.withdraw(
        db, d.people["Camille"], flagged.view.id, "Il redémarre finalement", NOW
    )
    assert view.closed_at is not None
    assert {i.status for i in view.items} == {ItemStatus.WITHDRAWN}
    assert await _state(d, "SEM-DEMO-0010") == "in_service"
    assert await _state(d, "SEM-DEMO-0006") == "in_service"
    with refuses("collection.error.cannot_withdraw"):
        await collections.withdraw(db, d.people["Sacha"], flagged.view.id, "encore", NOW)
    # Its reminders are cancelled with it.
    async with db.uow() as uow:
        states = set(
            (
                await uow.session.scalars(
                    select(Reminder.state).where(Reminder.ticket_id == view.id)
                )
            ).all()
        )
    assert states == {"cancelled"}
    # The items can be flagged again.
    again = await collections.flag_equipment(
        db, _flag(d, "Camille", ("SEM-DEMO-0010", Condition.BROKEN, None)), NOW
    )
    assert again.view.number == "C-2026-0002"


async def test_typed_tags_are_judged_each_alone(demo: Demo) -> None:
    d = demo
    checks = await collections.check_tags(
        d.services.db,
        d.people["Camille"],
        d.school_id,
        ["sem-demo-0006", "X" * 60, "SEM-DEMO-0013", "NOPE-1"],
    )
    assert [(c.asset_tag, c.known, c.unreadable, c.other_school) for c in checks] == [
        ("SEM-DEMO-0006", True, False, False),
        ("X" * 40, False, True, False),
        ("SEM-DEMO-0013", True, False, True),
        ("NOPE-1", False, False, False),
    ]
