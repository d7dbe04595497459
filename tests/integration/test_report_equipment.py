"""The review's equipment side (decision 0033): unused and broken items flagged, collected,
recycled, put in stock and reassigned over the period, by body, counted from the items'
history (``equipment_moves``), and the workbook's « Matériel » sheet."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from bot.cards.reports import equipment_summary, review_summary
from bot.domain.collections import Condition, ItemState
from bot.i18n import I18n
from bot.services import collections, equipment_moves, reports
from bot.services.report_files import review_xlsx
from bot.services.reports import EquipmentBodyLine, Period
from storage.models import Person, School
from tests.integration import test_claim_without_a_messenger as base
from tests.integration.test_claim_without_a_messenger import NOW, Demo

demo = base.demo

MARCH_APRIL = Period(date(2026, 3, 1), date(2026, 4, 30))
YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))
EARLY = NOW - timedelta(days=40)  # 21 January 2026: before March
LATE = datetime(2026, 5, 4, 8, 0, tzinfo=NOW.tzinfo)  # after April
ST_ETIENNE = "Saint-Étienne"
OGEC = "OGEC Sainte-Marie (démo)"


def _flag(
    d: Demo, who: str, school_id: int, *items: tuple[str, Condition]
) -> collections.FlagEquipment:
    return collections.FlagEquipment(
        reporter_id=d.people[who],
        school_id=school_id,
        items=tuple(collections.FlagItem(tag, condition) for tag, condition in items),
        place="Salle 12 : en panne à gauche, inutilisé à droite",
    )


async def _school_id(d: Demo, uai: str) -> int:
    async with d.services.db.uow() as uow:
        school_id = await uow.session.scalar(select(School.id).where(School.uai == uai))
    assert school_id is not None
    return school_id


async def _moves(
    d: Demo,
    tag: str,
    states: list[ItemState],
    at: datetime,
    *,
    ticket_id: int | None = None,
    to_school_id: int | None = None,
) -> None:
    """Move an item along ``states``, a day apart from ``at``, through ``move``."""
    async with d.services.db.uow() as uow:
        item = await uow.directory.equipment_by_tag(tag)
        assert item is not None
        staff = await uow.session.get(Person, d.people["Sacha"])
        for n, state in enumerate(states):
            await equipment_moves.move(
                uow,
                item,
                state,
                actor=staff,
                now=at + timedelta(days=n),
                ticket_id=ticket_id,
                to_school_id=to_school_id if state is ItemState.REASSIGNED else None,
            )
        await uow.commit()


async def _history(d: Demo) -> None:
    """Flaggings and moves in January, March–April and May 2026, at two bodies."""
    db = d.services.db
    soleil = d.school_id
    sainte_marie = await _school_id(d, "0429903L")
    # January: an unused item flagged, collected only in May.
    early = await collections.flag_equipment(
        db, _flag(d, "Camille", soleil, ("SEM-DEMO-0001", Condition.UNUSED)), EARLY
    )
    # March: the school flags SEM's and the commune's items, broken and unused.
    flagged = await collections.flag_equipment(
        db,
        _flag(
            d,
            "Camille",
            soleil,
            ("SEM-DEMO-0010", Condition.BROKEN),
            ("SEM-DEMO-0006", Condition.UNUSED),
            ("SEM-DEMO-0003", Condition.UNUSED),
            ("COM-DEMO-0011", Condition.BROKEN),
            ("COM-DEMO-0012", Condition.UNUSED),  # the commune's own: left to it
        ),
        NOW,
    )
    ticket = flagged.view.id
    # The commune removes and recycles its own broken item (art. 4).
    await collections.confirm_removal(
        db, d.people["Claude"], ticket, None, NOW + timedelta(days=3), reference="DEC-118"
    )
    collect = [ItemState.AWAITING_COLLECTION, ItemState.COLLECTED]
    when = NOW + timedelta(days=10)
    # SEM's broken item: collected, then recycled.
    await _moves(d, "SEM-DEMO-0010", [*collect, ItemState.RECYCLED], when, ticket_id=ticket)
    # An unused item: collected, put in stock, reassigned to the OGEC's school.
    await _moves(
        d,
        "SEM-DEMO-0006",
        [*collect, ItemState.IN_STOCK, ItemState.REASSIGNED],
        when,
        ticket_id=ticket,
        to_school_id=sainte_marie,
    )
    # A round cancelled puts the item back as flagged (not a new flagging), then it is
    # collected on the next one: counted once per kind.
    await _moves(
        d,
        "SEM-DEMO-0003",
        [ItemState.AWAITING_COLLECTION, ItemState.UNUSED, *collect],
        when,
        ticket_id=ticket,
    )
    # At the OGEC's school: a broken item flagged by staff; an item put out of order by
    # hand, outside any flagging, is no flagging.
    await collections.flag_equipment(
        db, _flag(d, "Sacha", sainte_marie, ("SEM-DEMO-0017", Condition.BROKEN)), when
    )
    await _moves(d, "SEM-DEMO-0018", [ItemState.OUT_OF_ORDER], when)
    # May, after the period: January's item is collected.
    await _moves(d, "SEM-DEMO-0001", [ItemState.AWAITING_COLLECTION], LATE, ticket_id=early.view.id)


def _by_name(lines: tuple[EquipmentBodyLine, ...]) -> dict[str, dict[str, int]]:
    return {line.name: dict(line.counts) for line in lines}


def _counts(**nonzero: int) -> dict[str, int]:
    return {movement: nonzero.get(movement, 0) for movement in reports.MOVEMENTS}


async def _review(d: Demo, period: Period) -> reports.ClaimsReview:
    return await reports.claims_review(
        d.services.db, start=period.start, end=period.end, now=LATE + timedelta(days=1)
    )


async def test_the_review_counts_the_periods_movements_by_body(demo: Demo) -> None:
    await _history(demo)
    review = await _review(demo, MARCH_APRIL)
    equipment = review.equipment
    assert _by_name(equipment.bodies) == {
        ST_ETIENNE: _counts(
            flagged_broken=2,  # SEM-DEMO-0010, COM-DEMO-0011
            flagged_unused=2,  # SEM-DEMO-0006, SEM-DEMO-0003 (once, despite its return)
            kept_by_body=1,  # COM-DEMO-0012
            collected=3,  # 0010, 0006, 0003 (once)
            recycled=1,  # SEM's 0010
            removed_by_body=1,  # the commune's 0011
            in_stock=1,  # 0006
        ),
        # The reassignment counts under the receiving school's body.
        OGEC: _counts(flagged_broken=1, reassigned=1),
    }
    assert [line.name for line in equipment.bodies] == [ST_ETIENNE, OGEC]  # most first
    assert [line.kind for line in equipment.bodies] == ["commune", "ogec"]
    assert equipment.totals == _counts(
        flagged_broken=3,
        flagged_unused=2,
        kept_by_body=1,
        collected=3,
        recycled=1,
        removed_by_body=1,
        in_stock=1,
        reassigned=1,
    )
    assert equipment.total == 13


async def test_moves_outside_the_period_are_not_counted(demo: Demo) -> None:
    await _history(demo)
    january = await _review(demo, Period(date(2026, 1, 1), date(2026, 1, 31)))
    assert _by_name(january.equipment.bodies) == {ST_ETIENNE: _counts(flagged_unused=1)}
    february = await _review(demo, Period(date(2026, 2, 1), date(2026, 2, 28)))
    assert february.equipment.bodies == () and february.equipment.total == 0
    # The year (/bilan 2026) has January's flagging and May's collection too.
    year = await _review(demo, YEAR)
    assert _by_name(year.equipment.bodies)[ST_ETIENNE] == _counts(
        flagged_broken=2,
        flagged_unused=3,
        kept_by_body=1,
        collected=3,
        recycled=1,
        removed_by_body=1,
        in_stock=1,
    )
    may = await _review(demo, Period(date(2026, 5, 1), date(2026, 5, 31)))
    assert may.equipment.bodies == ()  # awaiting collection is not a movement counted


async def test_the_workbook_has_a_sheet_per_body_and_movement(demo: Demo) -> None:
    await _history(demo)
    review = await _review(demo, MARCH_APRIL)
    book = load_workbook(io.BytesIO(review_xlsx(review)))
    assert book.sheetnames[-1] == "Matériel"
    sheet = book["Matériel"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=1, max_row=4)]
    assert rows == [
        [
            "Organisme gestionnaire",
            "Type d'organisme",
            "Code",
            "Signalés hors d'usage",
            "Signalés non utilisés",
            "Non utilisés laissés à l'organisme",
            "Collectés",
            "Recyclés par SEM",
            "Retirés et recyclés par l'organisme",
            "Mis en stock",
            "Réattribués",
        ],
        [ST_ETIENNE, "Commune", "commune:42218", 2, 2, 1, 3, 1, 1, 1, 0],
        [OGEC, "OGEC", "OGEC-SAINTE-MARIE", 1, 0, 0, 0, 0, 0, 0, 1],
        ["Total", None, None, 3, 2, 1, 3, 1, 1, 1, 1],
    ]
    assert all(cell.font.bold for cell in sheet[4])
    note = sheet.cell(6, 1).value
    assert isinstance(note, str) and note.startswith("Du 01/03/2026 au 30/04/2026 :")
    english = load_workbook(io.BytesIO(review_xlsx(review, "en")))
    assert english.sheetnames[-1] == "Equipment"
    assert english["Equipment"]["D1"].value == "Flagged broken"
    # A period without movements: the header and a total of zeros.
    february = await _review(demo, Period(date(2026, 2, 1), date(2026, 2, 28)))
    empty = load_workbook(io.BytesIO(review_xlsx(february)))
    assert [c.value for c in empty["Matériel"][2]] == ["Total", None, None, *[0] * 8]


async def test_the_message_has_a_short_equipment_section(demo: Demo) -> None:
    await _history(demo)
    i18n = I18n()
    review = await _review(demo, MARCH_APRIL)
    section = equipment_summary(i18n, "fr", review.equipment)
    assert section.splitlines() == [
        "♻️ <b>Matériel</b> (équipements inutilisés ou en panne) : 3 signalés hors d'usage"
        " · 2 signalés non utilisés · 1 non utilisé laissé à son organisme · 3 collectés"
        " · 1 recyclé par SEM · 1 retiré et recyclé par son organisme · 1 mis en stock"
        " · 1 réattribué",
        f"• {ST_ETIENNE} : 2 signalés hors d'usage · 2 signalés non utilisés"
        " · 1 non utilisé laissé à son organisme · 3 collectés · 1 recyclé par SEM"
        " · 1 retiré et recyclé par son organisme · 1 mis en stock",
        f"• {OGEC} : 1 signalé hors d'usage · 1 réattribué",
    ]
    assert review_summary(i18n, "fr", review).endswith(section)
    assert equipment_summary(i18n, "en", review.equipment).startswith(
        "♻️ <b>Equipment</b> (unused or broken items): 3 flagged broken"
    )
    february = await _review(demo, Period(date(2026, 2, 1), date(2026, 2, 28)))
    assert equipment_summary(i18n, "fr", february.equipment) == (
        "♻️ <b>Matériel</b> : aucun équipement signalé, collecté, recyclé, mis en stock ni "
        "réattribué sur la période."
    )
