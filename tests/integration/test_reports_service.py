"""The committee's reports against a real database (SQLite and PostgreSQL).

One history of eight claims, written through the claim services with their own instants,
then every figure of the review checked exactly, the files opened again, the yearly list
of new equipment, the export, and the report rows' planning and lease.

The history (times UTC; Paris is UTC+1 in winter):

    #1 S-2025-0001  20/01/2025 Soleil  loss    T1  320 €  pledged, complete 01/02/2025,
                                                           100 € paid -> overdue payment
    #8 S-2025-0002  01/06/2025 Soleil  damage  T5  320 €  duties never confirmed
    #2 S-2026-0001  31/12/2025 23:30 (1 January in Paris) Soleil theft T2+T3 640 €,
                                                           pledge 640 €, 200 € paid
    #3 S-2026-0002  20/01/2026 Soleil  damage  T4  240 €  closed without payment
    #4 S-2026-0003  10/02/2026 Soleil  loss    unknown item (refund to estimate)
    #5 S-2026-0004  15/02/2026 Lune    damage  L1 (8 years old) 0 €
    #6 S-2026-0005  20/02/2026 Forges  theft   F1  360 €  pledge 360 €, one duty done
    #7 S-2026-0006  28/02/2026 23:30 (1 March in Paris) Forges damage, unknown item

The review covers January-February 2026 (Paris) and is drawn up on 10/03/2026.
"""

from __future__ import annotations

import csv
import io
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.domain.claims import ClaimKind, DossierPiece, Duty, Payer, PaymentMode
from bot.domain.deadlines import payment_deadline
from bot.domain.errors import DomainError
from bot.services import claims, reminders, reports
from bot.services.report_files import (
    new_equipment_xlsx,
    review_chart_png,
    review_xlsx,
    tickets_csv,
    tickets_xlsx,
)
from bot.services.reports import Period, parse_period, period_months
from storage.models import (
    Claim,
    ClaimItem,
    Commune,
    Equipment,
    Person,
    PlatformAccount,
    Reminder,
    School,
    Ticket,
)
from storage.uow import Database
from tests.helpers import refuses

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
PERIOD = Period(date(2026, 1, 1), date(2026, 2, 28))
E = Decimal
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def cells(sheet: Any, row: int) -> list[Any]:
    """The values of a row, without the empty cells at its end."""
    values = [cell.value for cell in sheet[row]]
    while values and values[-1] is None:
        values.pop()
    return values


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class History:
    db: Database
    staff: int
    teacher: int
    st_etienne: int
    firminy: int
    soleil: int
    lune: int
    forges: int
    claims: dict[str, int]  # "#1" → claim id


async def _directory(db: Database) -> dict[str, int]:
    created = at("2024-01-01T00:00:00")
    async with db.uow() as uow:
        st_etienne = Commune(insee="42218", name="Saint-Étienne", created_at=created)
        firminy = Commune(insee="42095", name="Firminy", created_at=created)
        uow.session.add_all([st_etienne, firminy])
        await uow.session.flush()
        soleil = School(
            uai="0420001Y",
            name="École du Soleil",
            commune_id=st_etienne.id,
            sector="public",
            created_at=created,
        )
        lune = School(
            uai="0420002Z",
            name="École de la Lune",
            commune_id=st_etienne.id,
            sector="public",
            created_at=created,
        )
        forges = School(
            uai="0420003A",
            name="École des Forges",
            commune_id=firminy.id,
            sector="public",
            created_at=created,
        )
        uow.session.add_all([soleil, lune, forges])
        await uow.session.flush()
        tablets = [
            (f"T{i}", soleil, "tablet", "iPad 9", 40000, date(2024, 9, 1)) for i in range(1, 6)
        ]
        for tag, school, kind, model, cents, acquired in [
            *tablets,
            ("L1", lune, "projector", "Epson EB", 60000, date(2018, 6, 1)),
            ("F1", forges, "laptop", "ThinkPad E14", 90000, date(2023, 1, 15)),
        ]:
            uow.session.add(
                Equipment(
                    asset_tag=tag,
                    school_id=school.id,
                    type=kind,
                    model=model,
                    owner="sem",
                    acquired_on=acquired,
                    value_cents=cents,
                    created_at=created,
                    updated_at=created,
                )
            )
        staff = Person(
            accounts=[
                PlatformAccount(
                    platform="telegram", external_user_id=1, chat_id=1, created_at=created
                )
            ],
            full_name="Sacha Staff",
            role="staff",
            language="fr",
            created_at=created,
        )
        teacher = Person(
            accounts=[
                PlatformAccount(
                    platform="telegram", external_user_id=2, chat_id=2, created_at=created
                )
            ],
            full_name="Zoé Prof",
            role="teacher",
            school_id=soleil.id,
            language="fr",
            created_at=created,
        )
        uow.session.add_all([staff, teacher])
        await uow.commit()
        return {
            "staff": staff.id,
            "teacher": teacher.id,
            "st_etienne": st_etienne.id,
            "firminy": firminy.id,
            "soleil": soleil.id,
            "lune": lune.id,
            "forges": forges.id,
        }


async def _report(
    db: Database,
    reporter: int,
    school: int,
    kind: ClaimKind,
    created: datetime,
    items: tuple[claims.ItemRequest, ...],
) -> int:
    reported = await claims.report_claim(
        db,
        claims.ReportClaim(
            reporter_id=reporter,
            school_id=school,
            kind=kind,
            discovered_at=created - timedelta(hours=1),
            description="Constaté par l'équipe",
            items=items,
        ),
        created,
    )
    return reported.claim.id


def _tag(tag: str) -> tuple[claims.ItemRequest, ...]:
    return (claims.ItemRequest(asset_tag=tag),)


def _tags(*tags: str) -> tuple[claims.ItemRequest, ...]:
    return tuple(claims.ItemRequest(asset_tag=t) for t in tags)


UNKNOWN = (claims.ItemRequest(description="Un visualiseur sans étiquette"),)


async def _all_duties(db: Database, staff: int, claim_id: int, when: datetime) -> None:
    for duty in Duty:
        await claims.confirm_duty(
            db, staff, claim_id, duty, done_at=when, reference="PV-1", now=when
        )


@pytest.fixture
async def history(database_url: str) -> AsyncIterator[History]:
    db = Database(database_url)
    ids = await _directory(db)
    staff, teacher = ids["staff"], ids["teacher"]
    soleil, lune, forges = ids["soleil"], ids["lune"], ids["forges"]
    c: dict[str, int] = {}

    c["#1"] = await _report(db, teacher, soleil, ClaimKind.LOSS, at("2025-01-20T10:00"), _tag("T1"))
    await _all_duties(db, staff, c["#1"], at("2025-01-21T10:00"))
    await claims.record_pledge(
        db,
        staff,
        c["#1"],
        amount=E("320"),
        mode=PaymentMode.VIA_COMMUNE,
        planned_on=date(2025, 6, 1),
        now=at("2025-01-25T10:00"),
    )
    await claims.mark_complete(  # no document attached: staff accept it
        db, staff, c["#1"], now=at("2025-02-01T10:00"), accepted_missing=tuple(DossierPiece)
    )
    await claims.record_payment(
        db, staff, c["#1"], amount=E("100"), paid_on=date(2025, 3, 1), now=at("2025-03-01T10:00")
    )

    c["#8"] = await _report(
        db, teacher, soleil, ClaimKind.DAMAGE, at("2025-06-01T10:00"), _tag("T5")
    )

    c["#2"] = await _report(
        db, teacher, soleil, ClaimKind.THEFT, at("2025-12-31T23:30"), _tags("T2", "T3")
    )
    await _all_duties(db, staff, c["#2"], at("2026-01-01T10:00"))
    await claims.record_pledge(
        db,
        staff,
        c["#2"],
        amount=E("640"),
        mode=PaymentMode.INSURER_DIRECT,
        planned_on=date(2026, 4, 1),
        now=at("2026-01-10T10:00"),
    )
    await claims.record_payment(
        db, staff, c["#2"], amount=E("200"), paid_on=date(2026, 2, 1), now=at("2026-02-01T10:00")
    )
    # A payment the body says it made, awaiting staff: not paid, in no figure below.
    await claims.record_body_payment(
        db,
        staff,
        c["#2"],
        amount=E("300"),
        paid_on=date(2026, 2, 2),
        payer=Payer.BODY_FUNDS,
        proof=claims.FileRef("photo", "proof", "proof-unique"),
        now=at("2026-02-02T10:00"),
    )

    c["#3"] = await _report(
        db, teacher, soleil, ClaimKind.DAMAGE, at("2026-01-20T10:00"), _tag("T4")
    )
    await claims.close_claim(
        db, staff, c["#3"], reason="=2+3 sans suite", now=at("2026-01-25T10:00")
    )

    c["#4"] = await _report(db, teacher, soleil, ClaimKind.LOSS, at("2026-02-10T10:00"), UNKNOWN)
    c["#5"] = await _report(db, staff, lune, ClaimKind.DAMAGE, at("2026-02-15T10:00"), _tag("L1"))
    c["#6"] = await _report(db, staff, forges, ClaimKind.THEFT, at("2026-02-20T10:00"), _tag("F1"))
    await claims.confirm_duty(
        db,
        staff,
        c["#6"],
        Duty.INSURER_DECLARATION,
        done_at=at("2026-02-21T10:00"),
        reference=None,
        now=at("2026-02-21T10:00"),
    )
    await claims.record_pledge(
        db,
        staff,
        c["#6"],
        amount=E("360"),
        mode=PaymentMode.VIA_COMMUNE,
        planned_on=date(2026, 5, 1),
        now=at("2026-02-25T10:00"),
    )
    c["#7"] = await _report(db, staff, forges, ClaimKind.DAMAGE, at("2026-02-28T23:30"), UNKNOWN)
    yield History(
        db=db,
        staff=staff,
        teacher=teacher,
        st_etienne=ids["st_etienne"],
        firminy=ids["firminy"],
        soleil=soleil,
        lune=lune,
        forges=forges,
        claims=c,
    )
    await db.close()


async def _review(history: History, now: datetime = NOW) -> reports.ClaimsReview:
    return await reports.claims_review(history.db, start=PERIOD.start, end=PERIOD.end, now=now)


# ============================================================================ the review


async def test_the_review_counts_the_claims_of_the_period_in_paris_time(history: History) -> None:
    review = await _review(history)
    assert (review.first_day, review.last_day) == (date(2026, 1, 1), date(2026, 2, 28))
    # #2 (31/12 23:30 UTC = 1 January in Paris) is in; #7 (28/02 23:30 UTC = 1 March) is out.
    assert review.total == 5
    assert review.months == 2
    assert review.per_month == E("2.50")
    assert dict(review.by_kind) == {"theft": 2, "loss": 1, "damage": 2}


async def test_the_review_splits_claims_and_refund_estimates_by_commune(history: History) -> None:
    review = await _review(history)
    assert [
        (c.name, c.insee, c.count, dict(c.by_kind), c.recent, c.refund_estimate, c.unknown_items)
        for c in review.communes
    ] == [
        # 640 (#2) + 240 (#3, closed but reported in the period) + 0 (#5) ; #4 to estimate.
        # Over the 365 days to 10/03/2026, thefts and damage only (decision 0021): #8, #2,
        # #3, #5 (not the loss #4; not #1, January 2025).
        (
            "Saint-Étienne",
            "42218",
            4,
            {"theft": 1, "loss": 1, "damage": 2},
            4,
            E("880.00"),
            1,
        ),
        ("Firminy", "42095", 1, {"theft": 1, "loss": 0, "damage": 0}, 2, E("360.00"), 0),
    ]
    assert review.refund_estimate == E("1240.00")


async def test_a_school_with_three_claims_within_a_year_is_flagged(history: History) -> None:
    review = await _review(history)
    assert [
        (s.name, s.uai, s.commune_name, s.count, s.recent, s.flagged) for s in review.schools
    ] == [
        ("École du Soleil", "0420001Y", "Saint-Étienne", 3, 3, True),  # its loss not counted
        ("École des Forges", "0420003A", "Firminy", 1, 2, False),
        ("École de la Lune", "0420002Z", "Saint-Étienne", 1, 1, False),
    ]
    assert [s.name for s in review.flagged_schools] == ["École du Soleil"]


async def test_a_flagged_school_is_listed_even_without_a_claim_in_the_period(
    history: History,
) -> None:
    december = await reports.claims_review(
        history.db,
        start=Period(date(2025, 12, 1), date(2025, 12, 31)).start,
        end=Period(date(2025, 12, 1), date(2025, 12, 31)).end,
        now=NOW,
    )
    assert december.total == 0
    assert december.communes == ()
    assert [(s.name, s.count, s.recent, s.flagged) for s in december.schools] == [
        ("École du Soleil", 0, 3, True)
    ]


async def test_refunds_in_progress_are_the_open_claims_with_a_pledge(history: History) -> None:
    refunds = (await _review(history)).refunds
    # #1: 320 due, 100 paid; #2: 640 pledged, 200 paid; #6: 360 pledged. #3 is closed.
    assert (refunds.count, refunds.owed, refunds.paid, refunds.outstanding) == (
        3,
        E("1320.00"),
        E("300.00"),
        E("1020.00"),
    )
    assert [(c.name, c.count, c.owed, c.paid, c.outstanding) for c in refunds.by_commune] == [
        ("Saint-Étienne", 2, E("960.00"), E("300.00"), E("660.00")),
        ("Firminy", 1, E("360.00"), E("0.00"), E("360.00")),
    ]
    assert [(c.number, c.state, c.outstanding, c.pay_by) for c in refunds.claims] == [
        ("S-2026-0001", "pledged", E("440.00"), None),
        ("S-2026-0005", "pledged", E("360.00"), None),
        ("S-2025-0001", "complete", E("220.00"), date(2026, 2, 1)),
    ]
    assert not refunds.truncated


async def test_overdue_duties_are_those_of_open_claims_past_48_hours(history: History) -> None:
    overdue = (await _review(history)).overdue_duties
    # #8, #4, #5, #7: three each; #6: two (the insurer was told); #3 is closed.
    assert (overdue.claims, overdue.duties) == (5, 14)
    assert overdue.numbers == (
        "S-2025-0002",
        "S-2026-0003",
        "S-2026-0004",
        "S-2026-0005",
        "S-2026-0006",
    )
    first = overdue.lines[0]
    assert (first.school_name, first.commune_name, first.pending) == (
        "École du Soleil",
        "Saint-Étienne",
        3,
    )
    assert first.deadline == at("2025-06-03T09:00")
    assert overdue.lines[3].pending == 2


async def test_a_payment_is_overdue_the_day_after_the_anniversary(history: History) -> None:
    overdue = (await _review(history)).overdue_payments
    assert (overdue.count, overdue.outstanding) == (1, E("220.00"))
    line = overdue.lines[0]
    assert (line.number, line.commune_name, line.completed_on, line.pay_by) == (
        "S-2025-0001",
        "Saint-Étienne",
        date(2025, 2, 1),
        date(2026, 2, 1),
    )
    # On the last day itself (1 February 2026, Paris) it is not overdue yet.
    last_day = await _review(history, now=at("2026-02-01T22:59"))
    assert last_day.overdue_payments.count == 0
    next_day = await _review(history, now=at("2026-02-01T23:00"))
    assert next_day.overdue_payments.numbers == ("S-2025-0001",)


async def test_a_period_without_claims_gives_zeros(history: History) -> None:
    review = await reports.claims_review(
        history.db,
        start=Period(date(2024, 1, 1), date(2024, 12, 31)).start,
        end=Period(date(2024, 1, 1), date(2024, 12, 31)).end,
        now=at("2024-12-31T12:00"),
    )
    assert (review.total, review.per_month, review.months) == (0, E("0.00"), 12)
    assert review.communes == () and review.schools == ()


# ============================================================================ the files


async def test_the_workbook_holds_the_figures_in_their_cells(history: History) -> None:
    review = await _review(history)
    workbook = load_workbook(io.BytesIO(review_xlsx(review)))
    assert workbook.sheetnames == [
        "Synthèse",
        "Par commune",
        "Par école",
        "Remboursements",
        "Démarches en retard",
        "Matériel",
    ]
    summary = workbook["Synthèse"]
    assert (summary["A1"].value, summary["B1"].value) == ("Indicateur", "Valeur")
    assert summary["A1"].font.bold and summary["B1"].font.bold
    values = {summary.cell(row, 1).value: summary.cell(row, 2) for row in range(2, 30)}
    assert values["Période du"].value == datetime(2026, 1, 1)  # noqa: DTZ001
    assert values["Au (inclus)"].value == datetime(2026, 2, 28)  # noqa: DTZ001
    assert values["Établi le"].value == datetime(2026, 3, 10, 10, 0)  # noqa: DTZ001 - Paris
    assert values["Sinistres déclarés"].value == 5
    assert values["Sinistres par mois"].value == 2.5
    assert (values["Vol"].value, values["Perte"].value, values["Dégradation"].value) == (2, 1, 2)
    assert values["Remboursements estimés"].value == 1240
    assert "€" in values["Remboursements estimés"].number_format
    assert values["Écoles à fréquence élevée (≥ 3 sur 365 jours)"].value == 1
    assert values["Remboursements en cours (dossiers)"].value == 3
    assert values["Remboursements en cours : montant dû"].value == 1320
    assert values["Remboursements en cours : déjà payé"].value == 300
    assert values["Remboursements en cours : reste dû"].value == 1020
    assert values["Sinistres aux démarches en retard"].value == 5
    assert values["Démarches en retard"].value == 14
    assert values["Paiements hors délai (dossiers)"].value == 1
    assert values["Paiements hors délai : reste dû"].value == 220

    communes = workbook["Par commune"]
    rows = [[cell.value for cell in row] for row in communes.iter_rows(min_row=1, max_row=4)]
    assert rows == [
        [
            "Commune",
            "Code INSEE",
            "Sinistres",
            "Vol",
            "Perte",
            "Dégradation",
            "Vols et dommages sur 365 jours",
            "Remboursement estimé",
            "Objets à estimer",
        ],
        ["Saint-Étienne", "42218", 4, 1, 1, 2, 4, 880, 1],  # the loss #4 not in 365 days
        ["Firminy", "42095", 1, 1, 0, 0, 2, 360, 0],
        ["Total", None, 5, 2, 1, 2, 6, 1240, 1],
    ]
    assert all(cell.font.bold for cell in communes[1])
    assert communes["H2"].number_format == '#,##0.00 "€"'

    schools = workbook["Par école"]
    assert cells(schools, 2) == [
        "École du Soleil",
        "0420001Y",
        "Saint-Étienne",
        3,
        3,  # thefts and damage: its loss #4 not counted
        "Oui",
    ]

    refunds = workbook["Remboursements"]
    assert cells(refunds, 2) == ["Saint-Étienne", 2, 960, 300, 660]
    assert cells(refunds, 4) == ["Total", 3, 1320, 300, 1020]
    assert refunds["A6"].value == "Numéro"
    assert cells(refunds, 7)[:1] == ["S-2026-0001"]
    assert cells(refunds, 9) == [
        "S-2025-0001",
        "École du Soleil",
        "Saint-Étienne",
        "dossier complet, remboursement attendu",
        datetime(2025, 2, 1),  # noqa: DTZ001
        datetime(2026, 2, 1),  # noqa: DTZ001
        320,
        100,
        220,
    ]
    assert refunds["I9"].number_format == '#,##0.00 "€"'
    overdue_title = next(
        row for row in range(1, 30) if refunds.cell(row, 1).value == "Paiements hors délai d'un an"
    )
    assert cells(refunds, overdue_title + 2) == [
        "S-2025-0001",
        "Saint-Étienne",
        datetime(2025, 2, 1),  # noqa: DTZ001
        datetime(2026, 2, 1),  # noqa: DTZ001
        220,
    ]

    late = workbook["Démarches en retard"]
    assert cells(late, 1) == [
        "Numéro",
        "École",
        "Commune",
        "Échéance",
        "Démarches non confirmées",
    ]
    assert cells(late, 2) == [
        "S-2025-0002",
        "École du Soleil",
        "Saint-Étienne",
        datetime(2025, 6, 3, 11, 0),  # noqa: DTZ001 - Paris, summer time
        3,
    ]
    assert late.max_row == 6


async def test_the_workbook_speaks_english_on_request(history: History) -> None:
    workbook = load_workbook(io.BytesIO(review_xlsx(await _review(history), "en")))
    assert workbook.sheetnames[0] == "Summary"
    assert workbook["By commune"]["A2"].value == "Saint-Étienne"


async def test_the_chart_is_a_png(history: History) -> None:
    for review in (await _review(history), await _review(history, now=at("2024-01-01T00:00"))):
        png = review_chart_png(review)
        assert png.startswith(PNG_SIGNATURE)
        assert png[12:16] == b"IHDR"
        width, height = struct.unpack(">II", png[16:24])
        assert width > 0 and height > 0
    empty = await reports.claims_review(
        history.db, start=at("2020-01-01T00:00"), end=at("2020-02-01T00:00"), now=NOW
    )
    assert review_chart_png(empty, "en").startswith(PNG_SIGNATURE)


# ============================================================================ new equipment


async def test_the_yearly_list_holds_what_sem_installed_in_the_communes_schools(
    history: History,
) -> None:
    db = history.db
    # The year is the installation date's (decision 0022), not the acquisition's nor the
    # import's (``created_at``): the fixture's inventory (T1-T5, L1, F1) was imported in
    # 2024 and acquired from 2018 to 2024, with no installation date.
    imported = at("2026-03-01T10:00")
    async with db.uow() as uow:
        for tag, school, owner, acquired, installed, created, cents in [
            # acquired in 2025, installed in 2026, imported in 2027: 2026's
            ("NEW-1", history.soleil, "sem", date(2025, 11, 20), date(2026, 1, 5),
             at("2027-02-01T10:00"), 50000),
            ("NEW-2", history.lune, "sem", date(2026, 6, 1), date(2026, 6, 15), imported, 120050),
            ("NEW-3", history.soleil, "commune", None, date(2026, 4, 1), imported, 10000),
            # acquired in 2026 but installed in 2027: next year's
            ("NEW-4", history.soleil, "sem", date(2026, 12, 1), date(2027, 1, 10), imported, 10000),
            ("NEW-5", history.forges, "sem", None, date(2026, 5, 1), imported, 10000),  # Firminy
            ("OLD-1", history.soleil, "sem", date(2019, 9, 1), date(2019, 9, 1), imported, 30000),
            ("OLD-2", history.lune, "sem", None, date(2025, 12, 31), imported, 30000),
            ("NODATE", history.lune, "sem", None, None, imported, 30000),  # no date at all
            ("UNDATED-26", history.soleil, "sem", date(2026, 2, 1), None, imported, 10000),
        ]:  # fmt: skip
            uow.session.add(
                Equipment(
                    asset_tag=tag,
                    school_id=school,
                    type="tablet",
                    model="iPad 10",
                    serial=f"SN-{tag}",
                    owner=owner,
                    acquired_on=acquired,
                    installed_on=installed,
                    value_cents=cents,
                    created_at=created,
                    updated_at=created,
                )
            )
        # A replacement recorded before replacements entered the inventory: on the claim's
        # item only, with no new equipment.
        t3 = await uow.session.scalar(select(ClaimItem).where(ClaimItem.asset_tag == "T3"))
        assert t3 is not None
        t3.replacement_installed_on, t3.new_value_cents = date(2026, 2, 10), 41000
        await uow.commit()
    await claims.record_replacement(
        db,
        history.staff,
        history.claims["#2"],
        item_tag="T2",
        installed_on=date(2026, 3, 20),
        new_value=E("420"),
        new_item=claims.NewEquipment("T2-BIS"),
        now=at("2026-03-20T10:00"),
    )
    await claims.record_replacement(
        db,
        history.staff,
        history.claims["#6"],
        item_tag="F1",
        installed_on=date(2026, 4, 1),
        new_value=E("950"),
        new_item=claims.NewEquipment("F1-BIS"),
        now=at("2026-04-01T10:00"),
    )

    lines = await reports.new_equipment_for_commune(db, commune_id=history.st_etienne, year=2026)
    assert [
        (e.school_name, e.asset_tag, e.source, e.installed_on, e.value, e.claim_number)
        for e in lines
    ] == [
        ("École de la Lune", "NEW-2", "new", date(2026, 6, 15), E("1200.50"), None),
        ("École du Soleil", "NEW-1", "new", date(2026, 1, 5), E("500.00"), None),
        ("École du Soleil", "T3", "replacement", date(2026, 2, 10), E("410.00"), "S-2026-0001"),
        ("École du Soleil", "T2-BIS", "replacement", date(2026, 3, 20), E("420.00"), "S-2026-0001"),
        # Apart, never left out: SEM's equipment with no installation date that may be
        # the year's (acquired in 2026, or with no date at all).
        ("École de la Lune", "NODATE", "undated", None, E("300.00"), None),
        ("École du Soleil", "UNDATED-26", "undated", None, E("100.00"), None),
    ]
    assert [e.undated for e in lines] == [False] * 4 + [True] * 2
    assert lines[3].type == "tablet" and lines[3].model == "iPad 9"  # the old one's
    assert [
        e.asset_tag
        for e in await reports.new_equipment_for_commune(db, commune_id=history.firminy, year=2026)
    ] == ["F1-BIS", "NEW-5"]
    assert [
        e.asset_tag
        for e in await reports.new_equipment_for_commune(
            db, commune_id=history.st_etienne, year=2025
        )
    ] == ["OLD-2", "NODATE"]
    assert [
        e.asset_tag
        for e in await reports.new_equipment_for_commune(
            db, commune_id=history.st_etienne, year=2027
        )
    ] == ["NEW-4", "NODATE"]
    # The tablets acquired in 2024 have no installation date: 2024's list shows them apart
    # (but T2, replaced and retired).
    assert [
        (e.asset_tag, e.source, e.acquired_on)
        for e in await reports.new_equipment_for_commune(
            db, commune_id=history.st_etienne, year=2024
        )
    ] == [("NODATE", "undated", None)] + [
        (f"T{i}", "undated", date(2024, 9, 1)) for i in (1, 3, 4, 5)
    ]
    assert [
        e.asset_tag
        for e in await reports.new_equipment_for_commune(
            db, commune_id=history.st_etienne, year=2023
        )
    ] == ["NODATE"]

    sheet = load_workbook(
        io.BytesIO(new_equipment_xlsx(lines, commune_name="Saint-Étienne", year=2026))
    )["Nouveaux équipements"]
    assert cells(sheet, 1)[:3] == ["École", "UAI", "Étiquette"]
    assert sheet["A1"].font.bold
    assert cells(sheet, 2) == [
        "École de la Lune",
        "0420002Z",
        "NEW-2",
        "tablette",  # the type in words, not its code
        "iPad 10",
        "SN-NEW-2",
        datetime(2026, 6, 15),  # noqa: DTZ001
        datetime(2026, 6, 1),  # noqa: DTZ001
        1200.5,
        "Nouvel équipement",
    ]
    assert sheet["J4"].value == "Remplacement (sinistre S-2026-0001)"
    assert (sheet["A6"].value, sheet["I6"].value) == ("Total", 2530.5)
    assert sheet["I6"].number_format == '#,##0.00 "€"'
    assert sheet["A8"].value.startswith("Équipements installés par Saint-Étienne Métropole en 2026")
    assert sheet["A10"].value == "Sans date d'installation (à compléter dans l'inventaire) : 2"
    assert sheet["A11"].value == "École" and sheet["A11"].font.bold
    assert [cells(sheet, row)[2] for row in (12, 13)] == ["NODATE", "UNDATED-26"]
    assert cells(sheet, 12)[6] is None and cells(sheet, 12)[9] == "date d'installation inconnue"


async def test_a_replacement_installed_enters_the_inventory_and_retires_the_old_item(
    history: History,
) -> None:
    db = history.db
    view = await claims.record_replacement(
        db,
        history.staff,
        history.claims["#2"],
        item_tag="t2",
        installed_on=date(2026, 3, 20),
        new_value=E("420"),
        new_item=claims.NewEquipment(" sem 0420 ", model="iPad 10"),
        now=at("2026-03-20T10:00"),
    )
    async with db.uow() as uow:
        new = await uow.directory.equipment_by_tag("SEM0420")
        old = await uow.directory.equipment_by_tag("T2")
        assert new is not None and old is not None
        assert (new.type, new.model, new.owner, new.state, new.school_id) == (
            "tablet",
            "iPad 10",
            "sem",
            "in_service",
            history.soleil,
        )
        assert (new.installed_on, new.acquired_on, new.value_cents) == (
            date(2026, 3, 20),
            date(2026, 3, 20),
            42000,
        )
        # A stolen item stays stolen (it may still be found), retired by its replacement.
        assert (old.replaced_by_id, old.state) == (new.id, "stolen")
        item = await uow.session.scalar(select(ClaimItem).where(ClaimItem.asset_tag == "T2"))
        assert item is not None and item.replacement_equipment_id == new.id
    assert next(i for i in view.items if i.asset_tag == "T2").replacement_tag == "SEM0420"

    # The same tag twice, a tag already taken, a malformed one, or none: refused.
    for tag, code in [
        ("SEM0420", "claim.error.new_tag_taken"),
        ("T4", "claim.error.new_tag_taken"),
        ("SEM 04#20", "claim.error.typed_tag"),
    ]:
        with pytest.raises(DomainError) as refused:
            await claims.record_replacement(
                db,
                history.staff,
                history.claims["#2"],
                item_tag="T3",
                installed_on=date(2026, 3, 20),
                new_value=E("420"),
                new_item=claims.NewEquipment(tag),
                now=at("2026-03-20T10:00"),
            )
        assert refused.value.code == code, tag
    with pytest.raises(DomainError) as refused:
        await claims.record_replacement(
            db,
            history.staff,
            history.claims["#2"],
            item_tag="T3",
            installed_on=date(2026, 3, 20),
            new_value=E("420"),
            now=at("2026-03-20T10:00"),
        )
    assert refused.value.code == "claim.error.new_tag_required"
    with pytest.raises(DomainError) as refused:  # T2 has its replacement already
        await claims.record_replacement(
            db,
            history.staff,
            history.claims["#2"],
            item_tag="T2",
            installed_on=date(2026, 3, 21),
            new_value=E("420"),
            new_item=claims.NewEquipment("SEM0421"),
            now=at("2026-03-21T10:00"),
        )
    assert refused.value.code == "claim.error.already_replaced"

    # A damaged item is destroyed once replaced.
    await claims.record_replacement(
        db,
        history.staff,
        history.claims["#5"],
        item_tag="L1",
        installed_on=date(2026, 3, 22),
        new_value=E("700"),
        new_item=claims.NewEquipment("L2"),
        now=at("2026-03-22T10:00"),
    )
    async with db.uow() as uow:
        l1 = await uow.directory.equipment_by_tag("L1")
        l2 = await uow.directory.equipment_by_tag("L2")
        assert l1 is not None and l2 is not None
        assert (l1.state, l1.replaced_by_id, l2.model) == ("destroyed", l2.id, "Epson EB")


# ============================================================================ the export


async def test_the_export_lists_tickets_with_their_claim_figures(history: History) -> None:
    rows = await reports.export_tickets(history.db, kind="claim")
    assert [r.number for r in rows] == [
        "S-2025-0001",
        "S-2025-0002",
        "S-2026-0001",
        "S-2026-0002",
        "S-2026-0003",
        "S-2026-0004",
        "S-2026-0005",
        "S-2026-0006",
    ]
    first = rows[0]
    assert (first.kind, first.state, first.school_name, first.school_uai) == (
        "claim",
        "complete",
        "École du Soleil",
        "0420001Y",
    )
    assert (first.commune_name, first.commune_insee, first.reporter) == (
        "Saint-Étienne",
        "42218",
        "Zoé Prof",
    )
    assert (first.claim_kind, first.refund_estimate, first.amount_due, first.paid) == (
        "loss",
        E("320.00"),
        E("320.00"),
        E("100.00"),
    )
    assert first.created_at == at("2025-01-20T10:00")
    assert first.discovered_at == at("2025-01-20T09:00")
    closed = rows[3]
    assert (closed.state, closed.close_reason, closed.closed_at) == (
        "closed",
        "=2+3 sans suite",
        at("2026-01-25T10:00"),
    )
    assert (rows[4].refund_estimate, rows[4].amount_due, rows[4].paid) == (None, None, E("0.00"))

    assert len(await reports.export_tickets(history.db, state=reports.OPEN)) == 7
    assert [r.number for r in await reports.export_tickets(history.db, state="closed")] == [
        "S-2026-0002"
    ]
    firminy = await reports.export_tickets(history.db, commune_id=history.firminy)
    assert [r.number for r in firminy] == ["S-2026-0005", "S-2026-0006"]
    assert await reports.export_tickets(history.db, kind="collection") == []


async def test_the_csv_opens_in_a_french_excel(history: History) -> None:
    rows = await reports.export_tickets(history.db, kind="claim")
    data = tickets_csv(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header = table[0]
    assert header[:3] == ["Numéro", "Type", "État"]
    line = dict(zip(header, table[1], strict=True))
    assert line["Numéro"] == "S-2025-0001"
    assert line["État"] == "dossier complet, remboursement attendu"
    assert line["Créé le"] == "20/01/2025 11:00"  # Paris
    assert line["Remboursement estimé"] == "320,00"
    assert (line["Montant dû"], line["Payé"]) == ("320,00", "100,00")
    # Typed text never becomes a formula.
    assert dict(zip(header, table[4], strict=True))["Motif de clôture"] == "'=2+3 sans suite"
    assert len(table) == 9


async def test_the_export_names_a_damages_cause(history: History) -> None:
    async with history.db.uow() as uow:
        damage = await uow.session.scalar(
            select(Claim)
            .join(Ticket, Ticket.id == Claim.ticket_id)
            .where(Ticket.number == "S-2025-0002")
        )
        assert damage is not None and damage.kind == "damage"
        damage.damage_cause = "water"
        await uow.commit()
    rows = await reports.export_tickets(history.db, kind="claim")
    assert [r.damage_cause for r in rows[:2]] == [None, "water"]
    table = list(csv.reader(io.StringIO(tickets_csv(rows).decode("utf-8-sig")), delimiter=";"))
    lines = [dict(zip(table[0], line, strict=True)) for line in table[1:3]]
    assert [line["Cause de la dégradation"] for line in lines] == ["", "dégât des eaux"]


async def test_the_export_workbook_keeps_typed_text_as_text(history: History) -> None:
    rows = await reports.export_tickets(history.db, kind="claim")
    sheet = load_workbook(io.BytesIO(tickets_xlsx(rows)))["Tickets"]
    header = cells(sheet, 1)
    reason = header.index("Motif de clôture") + 1
    assert sheet.cell(5, reason).value == "=2+3 sans suite"
    assert sheet.cell(5, reason).data_type == "s"
    assert sheet.cell(2, header.index("Payé") + 1).value == 100


# ============================================================================ report rows


async def test_report_rows_are_planned_once_and_left_to_the_reports_job_by_the_sweep(
    history: History,
) -> None:
    db = history.db
    # 10 March: the 1 March review is 9 days late (within the grace): planned, with May's;
    # and the next yearly lists (January 2027), one per commune.
    assert await reports.plan_reports(db, now=NOW) == 4
    assert await reports.plan_reports(db, now=NOW) == 0
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(Reminder).order_by(Reminder.key))).all()
        planned = {r.key: r for r in rows if r.key.startswith("report:")}
    assert sorted(planned) == [
        f"report:equipment:2026:{history.st_etienne}",
        f"report:equipment:2026:{history.firminy}",
        "report:review:2026-03",
        "report:review:2026-05",
    ]
    assert planned[f"report:equipment:2026:{history.firminy}"].due_at == at("2027-01-15T07:00")
    march = planned["report:review:2026-03"]
    assert march.payload == {"first": "2026-01-01", "last": "2026-02-28"}
    assert march.due_at == at("2026-03-01T07:00")  # 08:00 Paris
    assert planned["report:review:2026-05"].due_at == at("2026-05-01T06:00")  # summer time
    assert (march.lease_owner, march.audience) == (None, "staff")

    # The reminder sweep, told that these kinds are handled elsewhere, never takes a report
    # row, however late; the claims' reminders it does take.
    later = at("2026-06-01T00:00")
    swept = await reminders.claim(db, now=later, worker="sweeper", exclude=reports.REPORT_KINDS)
    assert swept and not [r.key for r in swept if r.key.startswith("report:")]

    # The reports job takes the due one, once; a crash leaves it to a later run.
    taken = await reports.claim_reports(db, now=NOW, worker="a")
    assert [j.key for j in taken] == ["report:review:2026-03"]
    assert await reports.claim_reports(db, now=NOW, worker="b") == []
    expired = NOW + reports.REPORT_LEASE + timedelta(seconds=1)
    again = await reports.claim_reports(db, now=expired, worker="b")
    assert [(j.key, j.attempts) for j in again] == [("report:review:2026-03", 2)]
    # The first owner lost its lease: its writes are refused.
    assert not await reports.record_delivery(db, taken[0], 1)
    assert await reports.record_delivery(db, again[0], 1)
    assert await reports.finish_report(db, again[0], now=NOW) == "sent"
    async with db.uow() as uow:
        row = await uow.session.scalar(
            select(Reminder).where(Reminder.key == "report:review:2026-03")
        )
        assert row is not None
        assert (row.state, row.sent_at, row.payload["delivered"]) == ("sent", NOW, [1])


async def test_yearly_lists_are_planned_per_commune_for_the_past_year(history: History) -> None:
    db = history.db
    january = at("2027-01-15T07:00")  # 08:00 Paris
    await reports.plan_reports(db, now=at("2027-01-02T00:00"))
    async with db.uow() as uow:
        keys = sorted((await uow.session.scalars(select(Reminder.key))).all())
    assert [k for k in keys if k.startswith("report:")] == [
        "report:equipment:2026:1",
        "report:equipment:2026:2",
        "report:review:2027-01",
        "report:review:2027-03",
    ]
    taken = await reports.claim_reports(db, now=january, worker="a")
    assert [(j.key, j.payload) for j in taken] == [
        ("report:review:2027-01", {"first": "2026-11-01", "last": "2026-12-31"}),
        ("report:equipment:2026:1", {"year": 2026, "commune_id": 1}),
        ("report:equipment:2026:2", {"year": 2026, "commune_id": 2}),
    ]


async def test_a_push_missed_for_more_than_the_grace_is_not_planned(history: History) -> None:
    # First deployment on 20 March: the 1 March review is too old to send now.
    await reports.plan_reports(history.db, now=at("2026-03-20T12:00"))
    async with history.db.uow() as uow:
        keys = (await uow.session.scalars(select(Reminder.key))).all()
    assert sorted(k for k in keys if k.startswith("report:review")) == ["report:review:2026-05"]


async def test_a_cancelled_report_row_is_not_sent(history: History) -> None:
    db = history.db
    await reports.plan_reports(db, now=NOW)
    async with db.uow() as uow:
        await reminders.cancel(uow, key_prefix="report:review:2026-03", now=NOW)
        await uow.commit()
    assert await reports.claim_reports(db, now=NOW, worker="a") == []


async def test_the_bots_renderers_leave_report_kinds_to_the_reports_job(history: History) -> None:
    from bot.config import Settings
    from bot.services.reminders import RENDERERS_KEY
    from handlers.telegram.app import build_application

    settings = Settings(telegram_token=None, database_url=history.db.url, _env_file=None)  # type: ignore[call-arg]
    application = build_application(settings, history.db)
    renderers = application.bot_data["services"].extra[RENDERERS_KEY]
    assert set(reports.REPORT_KINDS) <= renderers.elsewhere
    assert not set(reports.REPORT_KINDS) & set(renderers.kinds())


# ============================================================================ pure helpers


def test_periods_typed_by_staff() -> None:
    today = date(2026, 3, 10)
    # Without a period: the two months up to today, so that today's claims are in it.
    assert parse_period("", today) == Period(date(2026, 1, 11), date(2026, 3, 10))
    assert parse_period(None, date(2026, 1, 5)) == Period(date(2025, 11, 6), date(2026, 1, 5))
    assert parse_period("", date(2026, 12, 1)) == Period(date(2026, 10, 2), date(2026, 12, 1))
    assert parse_period("", date(2026, 4, 30)) == Period(date(2026, 3, 1), date(2026, 4, 30))
    assert parse_period("2026", today) == Period(date(2026, 1, 1), date(2026, 12, 31))
    assert parse_period("2024-02", today) == Period(date(2024, 2, 1), date(2024, 2, 29))
    assert parse_period("03/2026", today) == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert parse_period("01/01/2026-31/03/2026", today) == Period(
        date(2026, 1, 1), date(2026, 3, 31)
    )
    assert parse_period("1/1/2026 au 15/1/2026", today) == Period(
        date(2026, 1, 1), date(2026, 1, 15)
    )
    for bad in ("hier", "2026-13", "31/02/2026-01/03/2026", "20266", "2026-03-01", "9999", "0001"):
        with refuses("report.error.period"):
            parse_period(bad, today)
    with refuses("report.error.period_reversed"):
        parse_period("31/03/2026-01/01/2026", today)


def test_the_overdue_cutoff_follows_the_payment_deadline_around_29_february() -> None:
    for today in (date(2023, 1, 1) + timedelta(days=n) for n in range(0, 7 * 366, 3)):
        cutoff = reports.overdue_cutoff(today)
        for completed in (today - timedelta(days=n) for n in range(360, 372)):
            overdue = payment_deadline(completed) < today
            assert (completed < cutoff) == overdue, (today, completed)
    # Completed on 29 February 2024: to pay by 28 February 2025, overdue from 1 March.
    assert reports.overdue_cutoff(date(2025, 2, 28)) <= date(2024, 2, 29)
    assert reports.overdue_cutoff(date(2025, 3, 1)) > date(2024, 2, 29)
    # On 29 February 2028, what was completed on 28 February 2027 is overdue (due the 28th).
    assert reports.overdue_cutoff(date(2028, 2, 29)) == date(2027, 3, 1)


def test_months_of_a_period() -> None:
    assert period_months(date(2026, 1, 1), date(2026, 3, 1)) == 2
    assert period_months(date(2026, 1, 1), date(2027, 1, 1)) == 12
    assert period_months(date(2026, 2, 1), date(2026, 2, 15)) == E(14) / E(28)
    assert period_months(date(2026, 1, 1), date(2026, 1, 1)) == 0


def test_export_filters_typed_by_staff() -> None:
    parse = reports.parse_export_filter
    assert parse([]) == reports.ExportFilter()
    assert parse(["sinistres", "commune", "42218", "Ouverts"]) == reports.ExportFilter(
        kind="claim", insee="42218", state=reports.OPEN
    )
    assert parse(["payés", "2A004"]) == reports.ExportFilter(state="paid", insee="2A004")
    with pytest.raises(DomainError) as caught:
        parse(["sinistres", "bananes"])
    assert caught.value.code == "report.error.export_usage"
    assert caught.value.params == {"word": "bananes"}
