"""SEM's stock and its reassignments through the services (art. 1: « réattribuer le
matériel non utilisé »): items come into the stock along their collection's states, staff
send one to another school, whose head confirms reception; the inventory, the school's
body and its yearly list of installed equipment follow. No messenger: a recording front
end."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.domain.collections import ItemState
from bot.domain.stock import Asked
from bot.services import claims, equipment_moves, reports, stock
from bot.services.audiences import StaffRoom
from storage.models import (
    AuditEntry,
    Equipment,
    EquipmentMove,
    Person,
    PlatformAccount,
    Reassignment,
    School,
    Ticket,
    TicketMessage,
)
from tests.helpers import refuses
from tests.integration import test_claim_without_a_messenger as base
from tests.integration.test_claim_without_a_messenger import NOW, Demo, actions_of

demo = base.demo

TO_STOCK = ("unused", "awaiting_collection", "collected", "in_stock")


async def _to_stock(d: Demo, *tags: str) -> None:
    """Items collected unused, the way a round brings them into the stock."""
    async with d.services.db.uow() as uow:
        sacha = await uow.people.get(d.people["Sacha"])
        for tag in tags:
            item = await uow.directory.equipment_by_tag(tag)
            assert item is not None
            for state in TO_STOCK:
                await equipment_moves.move(uow, item, state, actor=sacha, now=NOW)
        await uow.commit()


async def _head_of(d: Demo, uai: str, name: str, chat_id: int) -> int:
    """A director of another school, reachable on Telegram."""
    async with d.services.db.uow() as uow:
        school = await uow.directory.school_by_uai(uai)
        assert school is not None
        person = Person(full_name=name, role="director", school_id=school.id, created_at=NOW)
        person.accounts.append(
            PlatformAccount(
                platform="telegram", external_user_id=chat_id, chat_id=chat_id, created_at=NOW
            )
        )
        uow.session.add(person)
        await uow.commit()
        d.front.names[chat_id] = name.split()[0]
        return person.id


async def _item(d: Demo, tag: str) -> Equipment:
    async with d.services.db.uow() as uow:
        item = await uow.directory.equipment_by_tag(tag)
        assert item is not None
        return item


def _kw(d: Demo) -> dict[str, object]:
    return {"i18n": d.services.i18n, "room": StaffRoom.of(d.services.settings)}


async def test_the_stock_counts_by_type_with_ages_and_pages_its_items(demo: Demo) -> None:
    d = demo
    db = d.services.db
    empty = await stock.stock(db, d.people["Sacha"], NOW)
    assert empty.total == 0 and empty.items == () and empty.pages == 1
    await _to_stock(d, "SEM-DEMO-0001", "SEM-DEMO-0002", "SEM-DEMO-0003", "SEM-DEMO-0007")
    # the commune's own item is never SEM's stock, even in that state
    async with db.uow() as uow:
        own = await uow.directory.equipment_by_tag("COM-DEMO-0011")
        assert own is not None
        own.state = "in_stock"
        await uow.commit()
    view = await stock.stock(db, d.people["Sacha"], NOW)
    assert view.total == 4
    by_type = {t.type: t for t in view.types}
    # Bought 15/01/2026 and on 02/03/2026: under a year; 17/05/2022: 3 full years.
    assert by_type["laptop"] == stock.TypeCount("laptop", 2, 0, 0, 0)
    assert by_type["robot_kit"].oldest == 3 and by_type["tablet"].count == 1
    assert [i.asset_tag for i in view.items] == [  # in the inventory's order
        "SEM-DEMO-0001",
        "SEM-DEMO-0002",
        "SEM-DEMO-0003",
        "SEM-DEMO-0007",
    ]
    assert view.items[0].school_uai == "0429901J"
    # Pages of eight; a page beyond the last is the last.
    await _to_stock(d, *(f"SEM-DEMO-00{n:02d}" for n in (4, 5, 6, 8, 9, 10)))
    last = await stock.stock(db, d.people["Sacha"], NOW, page=7)
    assert (last.page, last.pages, len(last.items), last.total) == (1, 2, 2, 10)
    # Staff only.
    with refuses("common.error.forbidden"):
        await stock.stock(db, d.people["Dominique"], NOW)


async def test_a_reassignment_moves_the_item_and_the_head_confirms_its_reception(
    demo: Demo,
) -> None:
    d = demo
    db = d.services.db
    await _to_stock(d, "SEM-DEMO-0003")
    head = await _head_of(d, "0429906P", "Inès Gier", 7001)
    other_head = await _head_of(d, "0429902K", "Paul Tilleuls", 7002)

    preview = await stock.preview(db, d.people["Sacha"], "sem-demo-0003", "0429906p", NOW)
    assert preview.item.asset_tag == "SEM-DEMO-0003" and preview.to.uai == "0429906P"
    sent = await stock.reassign(db, d.people["Sacha"], "SEM-DEMO-0003", "0429906P", NOW, **_kw(d))
    assert sent.heads_told == 1
    told = d.front.names
    by_name = {told[m.chat_id]: m for m in sent.messages}
    assert set(by_name) == {"Inès"}  # the staff member who sent it is the only staff
    assert actions_of(by_name["Inès"]) == [f"stk:recv:{sent.view.id}"]
    assert "SEM-DEMO-0003" in by_name["Inès"].text and "tablette" in by_name["Inès"].text

    # The item is at the new school at once: inventory, body, history.
    item = await _item(d, "SEM-DEMO-0003")
    async with db.uow() as uow:
        gier = await uow.directory.school_by_uai("0429906P")
        assert gier is not None
        moves = await equipment_moves.history(uow, item.id)
        audit = (
            await uow.session.scalars(
                select(AuditEntry.action).where(AuditEntry.object_id == "SEM-DEMO-0003")
            )
        ).all()
    assert item.school_id == gier.id and item.state == "reassigned"
    assert moves[-1].to_school_id == gier.id and moves[-1].body_id == gier.body_id
    assert "stock.reassigned" in audit
    # Not in stock any more, but on its way.
    view = await stock.stock(db, d.people["Sacha"], NOW)
    assert view.total == 0 and [s.asset_tag for s in view.sent] == ["SEM-DEMO-0003"]

    # Another school's head cannot confirm; a teacher may not.
    with refuses("stock.error.not_found"):
        await stock.confirm_reception(db, other_head, sent.view.id, NOW, **_kw(d))
    with refuses("stock.error.not_found"):
        await stock.confirm_reception(db, d.people["Dominique"], sent.view.id, NOW, **_kw(d))
    with refuses("common.error.forbidden"):
        await stock.confirm_reception(db, d.people["Camille"], sent.view.id, NOW, **_kw(d))

    # Thursday 5 March at 23:00 UTC: already Friday 6 March in Paris, the reception day.
    later = NOW + timedelta(days=3, hours=15)
    got = await stock.confirm_reception(db, head, sent.view.id, later, **_kw(d))
    assert not got.already and got.view.state == "received"
    assert [d.front.names[m.chat_id] for m in got.messages] == ["Sacha"]
    assert "Inès Gier" in got.messages[0].text
    item = await _item(d, "SEM-DEMO-0003")
    assert item.state == "in_service" and item.installed_on == date(2026, 3, 6)
    # Twice: a word, not an error, and nothing changes.
    again = await stock.confirm_reception(db, head, sent.view.id, later, **_kw(d))
    assert again.already and again.messages == ()

    # The new body's yearly list of installed equipment includes it; the old one's not.
    async with db.uow() as uow:
        gier = await uow.directory.school_by_uai("0429906P")
        soleil = await uow.directory.school_by_uai("0429901J")
        assert gier is not None and soleil is not None
    new_list = await reports.new_equipment_for_body(db, body_id=gier.body_id, year=2026)
    assert [(e.asset_tag, e.installed_on) for e in new_list if e.asset_tag == "SEM-DEMO-0003"] == [
        ("SEM-DEMO-0003", date(2026, 3, 6))
    ]
    # The school's inventory lists it in service.
    rows, _ = await _inventory(d, gier.id)
    assert "SEM-DEMO-0003" in rows


async def _inventory(d: Demo, school_id: int) -> tuple[list[str], int]:
    async with d.services.db.uow() as uow:
        rows, total = await uow.directory.equipment_of_school(school_id, limit=50)
        return [r.asset_tag for r in rows], total


async def test_only_an_item_of_the_stock_is_reassigned(demo: Demo) -> None:
    d = demo
    db = d.services.db
    sacha = d.people["Sacha"]
    # In service, not in stock.
    with refuses("stock.error.not_in_stock") as refused:
        await stock.reassign(db, sacha, "SEM-DEMO-0001", "0429906P", NOW, **_kw(d))
    assert refused.value.params["state"] == "in_service"
    # Recycled: never reassigned.
    await _to_stock(d, "SEM-DEMO-0002")
    async with db.uow() as uow:
        item = await uow.directory.equipment_by_tag("SEM-DEMO-0002")
        assert item is not None
        await equipment_moves.move(uow, item, ItemState.RECYCLED, actor=None, now=NOW)
        await uow.commit()
    with refuses("stock.error.not_in_stock") as refused:
        await stock.reassign(db, sacha, "SEM-DEMO-0002", "0429906P", NOW, **_kw(d))
    assert refused.value.params["state"] == "recycled"
    # Stolen (a claim moved it out of service).
    async with db.uow() as uow:
        item = await uow.directory.equipment_by_tag("SEM-DEMO-0004")
        assert item is not None
        item.state = "stolen"
        await uow.commit()
    with refuses("stock.error.not_in_stock"):
        await stock.preview(db, sacha, "SEM-DEMO-0004", "0429906P", NOW)
    # Unknown tag, bad tag, bad UAI, unknown school, its own school.
    await _to_stock(d, "SEM-DEMO-0005")
    with refuses("stock.error.unknown_tag"):
        await stock.preview(db, sacha, "NOPE-1", "0429906P", NOW)
    with refuses("stock.error.tag"):
        await stock.preview(db, sacha, "<b>", "0429906P", NOW)
    with refuses("stock.error.uai"):
        await stock.preview(db, sacha, "SEM-DEMO-0005", "42", NOW)
    with refuses("stock.error.unknown_school"):
        await stock.preview(db, sacha, "SEM-DEMO-0005", "0429999Z", NOW)
    with refuses("stock.error.same_school"):
        await stock.preview(db, sacha, "SEM-DEMO-0005", "0429901J", NOW)
    # Staff only.
    with refuses("common.error.forbidden"):
        await stock.reassign(db, d.people["Dominique"], "SEM-DEMO-0005", "0429906P", NOW, **_kw(d))
    async with db.uow() as uow:
        assert (await uow.session.scalars(select(Reassignment))).all() == []


async def test_staff_cancel_before_reception_and_the_item_is_back_in_stock(demo: Demo) -> None:
    d = demo
    db = d.services.db
    sacha = d.people["Sacha"]
    await _to_stock(d, "SEM-DEMO-0006")
    head = await _head_of(d, "0429906P", "Inès Gier", 7001)
    sent = await stock.reassign(db, sacha, "SEM-DEMO-0006", "0429906P", NOW, **_kw(d))
    with refuses("common.error.forbidden"):
        await stock.cancel_reassignment(db, head, sent.view.id, NOW, **_kw(d))
    cancelled = await stock.cancel_reassignment(db, sacha, sent.view.id, NOW, **_kw(d))
    assert cancelled.view.state == "cancelled"
    assert [d.front.names[m.chat_id] for m in cancelled.messages] == ["Inès"]
    item = await _item(d, "SEM-DEMO-0006")
    async with db.uow() as uow:
        soleil = await uow.session.scalar(select(School).where(School.uai == "0429901J"))
        last = (
            await uow.session.scalars(
                select(EquipmentMove)
                .where(EquipmentMove.equipment_id == item.id)
                .order_by(EquipmentMove.id.desc())
            )
        ).first()
    assert soleil is not None and last is not None
    assert item.state == "in_stock" and item.school_id == soleil.id
    assert (last.from_state, last.to_state, last.body_id) == (
        "reassigned",
        "in_stock",
        soleil.body_id,
    )
    # The head's button then says so; cancelling twice is a word; back in the list.
    with refuses("stock.error.cancelled"):
        await stock.confirm_reception(db, head, sent.view.id, NOW, **_kw(d))
    again = await stock.cancel_reassignment(db, sacha, sent.view.id, NOW, **_kw(d))
    assert again.already
    assert (await stock.stock(db, sacha, NOW)).total == 1
    # Once received, it cannot be cancelled.
    sent = await stock.reassign(db, sacha, "SEM-DEMO-0006", "0429906P", NOW, **_kw(d))
    await stock.confirm_reception(db, sacha, sent.view.id, NOW, **_kw(d))  # staff may too
    with refuses("stock.error.already_received"):
        await stock.cancel_reassignment(db, sacha, sent.view.id, NOW, **_kw(d))


async def test_schools_that_asked_are_offered_first(demo: Demo) -> None:
    d = demo
    db = d.services.db
    sacha = d.people["Sacha"]
    await _to_stock(d, "SEM-DEMO-0003")  # a tablet
    tablet = await _item(d, "SEM-DEMO-0003")
    nobody = await stock.candidates(db, sacha, tablet.id, NOW)
    assert nobody.candidates == ()
    # Les Tilleuls lost a tablet (open claim, not replaced); the Pilat school's head
    # wrote that they need one; a staff message with the word does not count.
    async with db.uow() as uow:
        tilleuls = await uow.directory.school_by_uai("0429902K")
        pilat = await uow.directory.school_by_uai("0429904M")
        gier = await uow.directory.school_by_uai("0429906P")
        assert tilleuls is not None and pilat is not None and gier is not None
    paul = await _head_of(d, "0429902K", "Paul Tilleuls", 7002)
    await claims.report_claim(
        db,
        claims.ReportClaim(
            reporter_id=paul,
            school_id=tilleuls.id,
            kind=claims.ClaimKind.LOSS,
            discovered_at=NOW - timedelta(hours=3),
            description="Tablette égarée pendant une sortie",
            items=(claims.ItemRequest(asset_tag="SEM-DEMO-0013"),),
        ),
        NOW,
    )
    pilat_head = await _head_of(d, "0429904M", "Léa Pilat", 7003)
    async with db.uow() as uow:
        for author, school, text in (
            (pilat_head, pilat, "Nous aurions besoin de deux tablettes pour la classe"),
            (sacha, gier, "Avez-vous besoin de matériel ?"),
        ):
            ticket = Ticket(
                number=f"C-2026-09{author % 100:02d}",
                kind="collection",
                state="closed",
                reporter_id=author,
                school_id=school.id,
                commune_id=school.commune_id,
                body_id=school.body_id,
                created_at=NOW,
                updated_at=NOW,
            )
            uow.session.add(ticket)
            await uow.session.flush()
            uow.session.add(
                TicketMessage(
                    ticket_id=ticket.id,
                    author_id=author,
                    visibility="public",
                    body=text,
                    created_at=NOW,
                )
            )
        await uow.commit()
    offer = await stock.candidates(db, sacha, tablet.id, NOW)
    assert [(c.uai, c.asked) for c in offer.candidates] == [
        ("0429902K", frozenset({Asked.CLAIM})),
        ("0429904M", frozenset({Asked.MESSAGE})),
    ]
    # A search lists the matching schools, those that asked first; never its own school.
    found = await stock.candidates(db, sacha, tablet.id, NOW, search="École")
    uais = [c.uai for c in found.candidates]
    assert uais[:2] == ["0429902K", "0429904M"] and "0429901J" not in uais
    # A year later the message is old; the claim is still open.
    later = await stock.candidates(db, sacha, tablet.id, NOW + timedelta(days=400))
    assert [c.uai for c in later.candidates] == ["0429902K"]
    # An item no longer in stock: a word.
    with refuses("stock.error.item_gone"):
        await stock.candidates(db, sacha, 10**6, NOW)


async def test_an_item_in_stock_leaves_its_old_schools_yearly_list(demo: Demo) -> None:
    d = demo
    db = d.services.db
    async with db.uow() as uow:
        item = await uow.directory.equipment_by_tag("SEM-DEMO-0003")
        soleil = await uow.directory.school_by_uai("0429901J")
        assert item is not None and soleil is not None
        item.installed_on = date(2026, 1, 20)
        body_id = soleil.body_id
        await uow.commit()
    listed = await reports.new_equipment_for_body(db, body_id=body_id, year=2026)
    assert "SEM-DEMO-0003" in [e.asset_tag for e in listed]
    await _to_stock(d, "SEM-DEMO-0003")  # collected, now in SEM's stock
    listed = await reports.new_equipment_for_body(db, body_id=body_id, year=2026)
    assert "SEM-DEMO-0003" not in [e.asset_tag for e in listed]
