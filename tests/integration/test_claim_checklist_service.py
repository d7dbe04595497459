"""Article 6, points 3, 6 and 8, through the services: a damage's cause decides its
duties; files tagged with what they are fill the dossier's checklist; completion names
what is missing; duties done late show in the claim, the staff's queue and the review."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from bot.cards.claims import ClaimCard
from bot.domain.claims import ClaimKind, DamageCause, DossierPiece, Duty, PaymentMode
from bot.services import claim_notices, claims, reports, tickets
from bot.services.report_files import review_xlsx
from storage.models import Attachment, ClaimDuty, Reminder
from tests.helpers import refuses
from tests.integration import test_claim_without_a_messenger as base
from tests.integration.test_claim_without_a_messenger import NOW, Demo

demo = base.demo  # the demo directory (Camille teaches, Claude is the agent, Sacha staff)


def _report(
    demo: Demo,
    kind: ClaimKind,
    cause: DamageCause | None,
    files: tuple[claims.FileRef, ...] = (),
) -> claims.ReportClaim:
    return claims.ReportClaim(
        reporter_id=demo.people["Camille"],
        school_id=demo.school_id,
        kind=kind,
        discovered_at=NOW - timedelta(hours=1),
        description="Écran tombé du chariot",
        items=(claims.ItemRequest(asset_tag="SEM-DEMO-0001"),),
        damage_cause=cause,
        files=files,
    )


def _file(name: str, purpose: str = "evidence") -> claims.FileRef:
    return claims.FileRef("document", f"id-{name}", f"u-{name}", f"{name}.pdf", purpose=purpose)


async def test_an_accident_is_stored_with_its_cause_and_no_complaint_duty(demo: Demo) -> None:
    db = demo.services.db
    cmd = _report(demo, ClaimKind.DAMAGE, DamageCause.BREAKAGE)
    preview = await claims.preview_claim(db, cmd, NOW)
    assert preview.duties == (Duty.INSURER_DECLARATION, Duty.POLICE_REPORT)

    reported = await claims.report_claim(db, cmd, NOW)

    claim = reported.claim
    assert claim.damage_cause is DamageCause.BREAKAGE
    assert claim.pending_duties == (Duty.INSURER_DECLARATION, Duty.POLICE_REPORT)
    assert [line.piece for line in claim.checklist] == [
        DossierPiece.INVOICE_OR_QUOTE,
        DossierPiece.INSURER_DECLARATION,
    ]
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(ClaimDuty.duty))).all()
    assert sorted(rows) == ["insurer_declaration", "police_report"]
    with refuses("claim.error.duty_not_for_kind"):
        await claims.confirm_duty(
            db,
            demo.people["Claude"],
            claim.id,
            Duty.COMPLAINT,
            done_at=NOW,
            reference="PV 1",
            now=NOW,
        )
    # The body's first notice lists the two duties (no complaint) and what to send.
    i18n, settings = demo.services.i18n, demo.services.settings
    notices = await claim_notices.after_report(db, i18n, settings, reported)
    agent = notices[0]
    assert "(dégradation : casse accidentelle)" in agent.text
    assert "plainte" not in agent.text.lower()
    assert "❌ Devis ou facture : manquant" in agent.text
    actions = [button.action for row in agent.actions for button in row]
    assert f"clm:duty:{claim.id}:complaint" not in actions


async def test_vandalism_owes_the_complaint_and_its_receipt(demo: Demo) -> None:
    reported = await claims.report_claim(
        demo.services.db,
        _report(demo, ClaimKind.DAMAGE, DamageCause.VANDALISM),
        NOW,
    )
    assert set(reported.claim.pending_duties) == set(Duty)
    assert DossierPiece.COMPLAINT in reported.claim.missing_pieces


async def test_a_cause_for_a_theft_is_refused(demo: Demo) -> None:
    with refuses("claim.error.cause_not_for_kind"):
        await claims.report_claim(
            demo.services.db,
            _report(demo, ClaimKind.THEFT, DamageCause.WATER),
            NOW,
        )


async def test_files_of_the_report_and_attached_later_fill_the_checklist(demo: Demo) -> None:
    db = demo.services.db
    files = (_file("photo"), _file("devis", "invoice_or_quote"))
    reported = await claims.report_claim(
        db,
        _report(demo, ClaimKind.THEFT, None, files=files),
        NOW,
    )
    claim = reported.claim
    assert claim.missing_pieces == (DossierPiece.INSURER_DECLARATION, DossierPiece.COMPLAINT)
    with refuses("claim.error.unknown_document"):
        await claims.attach_file(
            db, demo.people["Claude"], claim.id, _file("x"), purpose="selfie", now=NOW
        )
    after = await claims.attach_file(
        db,
        demo.people["Claude"],
        claim.id,
        _file("plainte"),
        purpose="complaint_receipt",
        now=NOW,
    )
    assert after.missing_pieces == (DossierPiece.INSURER_DECLARATION,)
    async with db.uow() as uow:
        purposes = (await uow.session.scalars(select(Attachment.purpose))).all()
    assert sorted(purposes) == ["complaint_receipt", "evidence", "invoice_or_quote"]


async def test_completion_refuses_pieces_missing_that_staff_did_not_accept(demo: Demo) -> None:
    db = demo.services.db
    claude, sacha = demo.people["Claude"], demo.people["Sacha"]
    reported = await claims.report_claim(
        db,
        _report(demo, ClaimKind.DAMAGE, DamageCause.WATER),
        NOW,
    )
    claim_id = reported.claim.id
    await claims.record_pledge(
        db,
        claude,
        claim_id,
        amount=Decimal("300"),
        mode=PaymentMode.VIA_COMMUNE,
        planned_on=(NOW + timedelta(days=60)).date(),
        now=NOW,
    )
    await claims.attach_file(
        db, claude, claim_id, _file("devis"), purpose="invoice_or_quote", now=NOW
    )
    with refuses("claim.error.dossier_missing"):
        await claims.mark_complete(db, sacha, claim_id, now=NOW)
    done = await claims.mark_complete(
        db, sacha, claim_id, now=NOW, accepted_missing=(DossierPiece.INSURER_DECLARATION,)
    )
    assert done.completed_on == NOW.date()  # the one-year clock starts today
    async with db.uow() as uow:
        keys = (await uow.session.scalars(select(Reminder.key))).all()
    assert any("payment" in key for key in keys)
    view = await claims.claim_view(db, sacha, claim_id, NOW, timeline=True)
    completed = next(e for e in view.timeline if e.action == "claim.completed")
    assert completed.details["missing"] == ["insurer_declaration"]


async def test_a_duty_done_late_shows_on_the_card_in_the_queue_and_in_the_review(
    demo: Demo,
) -> None:
    db, i18n = demo.services.db, demo.services.i18n
    claude, sacha = demo.people["Claude"], demo.people["Sacha"]
    reported = await claims.report_claim(
        db,
        _report(demo, ClaimKind.DAMAGE, DamageCause.ELECTRICAL),
        NOW,
    )
    claim = reported.claim
    later = NOW + timedelta(days=3)
    # The insurer was told 3 h after the 48 h; the police is still not.
    await claims.confirm_duty(
        db,
        claude,
        claim.id,
        Duty.INSURER_DECLARATION,
        done_at=claim.deadline + timedelta(hours=3),
        reference=None,
        now=later,
    )
    view = await claims.claim_view(db, sacha, claim.id, later)
    insurer, police = view.duties
    assert insurer.late_by == timedelta(hours=3) and insurer.overdue_by is None
    assert police.late_by is None and police.overdue_by == later - claim.deadline
    card = ClaimCard(i18n, "fr").card(view)
    assert "en retard de 3 h" in card
    assert "délai dépassé de 25 h" in card

    rows, total = await tickets.queue(
        db, sacha, now=later, where=tickets.QueueFilter(overdue_only=True)
    )
    assert total == 1 and rows[0].late_by == timedelta(hours=3) and rows[0].overdue

    review = await reports.claims_review(db, start=NOW - timedelta(days=1), end=later, now=later)
    overdue = review.overdue_duties
    assert (overdue.claims, overdue.duties) == (1, 1)  # the police, still pending
    assert (overdue.done_late, overdue.done_late_claims) == (1, 1)  # the insurer, late
    assert overdue.done_late_numbers == (claim.number,)

    # Once every duty is done, the claim stays in /retards as done late, until it closes.
    await claims.confirm_duty(
        db, claude, claim.id, Duty.POLICE_REPORT, done_at=later, reference=None, now=later
    )
    rows, total = await tickets.queue(
        db, sacha, now=later, where=tickets.QueueFilter(overdue_only=True)
    )
    assert total == 1 and not rows[0].overdue and rows[0].late_by == later - claim.deadline
    await claims.close_claim(db, sacha, claim.id, reason="Doublon", now=later)
    _, total = await tickets.queue(
        db, sacha, now=later, where=tickets.QueueFilter(overdue_only=True)
    )
    assert total == 0
    # The review still counts what was done late in its period, closed or not.
    review = await reports.claims_review(
        db, start=NOW - timedelta(days=1), end=later + timedelta(hours=1), now=later
    )
    assert review.overdue_duties.done_late == 2
    assert review.overdue_duties.claims == 0
    summary = load_workbook(io.BytesIO(review_xlsx(review)))["Synthèse"]
    values = {summary.cell(row, 1).value: summary.cell(row, 2).value for row in range(2, 30)}
    assert values["Démarches faites après les 48 h (pendant la période)"] == 2


async def test_staff_correct_a_cause_and_the_duty_rows_follow(demo: Demo) -> None:
    db = demo.services.db
    claude, sacha = demo.people["Claude"], demo.people["Sacha"]
    reported = await claims.report_claim(
        db, _report(demo, ClaimKind.DAMAGE, DamageCause.VANDALISM), NOW
    )
    claim_id = reported.claim.id
    await claims.confirm_duty(
        db, claude, claim_id, Duty.INSURER_DECLARATION, done_at=NOW, reference=None, now=NOW
    )
    with refuses("common.error.forbidden"):
        await claims.correct_damage_cause(db, claude, claim_id, cause=DamageCause.WATER, now=NOW)

    view = await claims.correct_damage_cause(db, sacha, claim_id, cause=DamageCause.WATER, now=NOW)
    assert view.damage_cause is DamageCause.WATER
    assert view.pending_duties == (Duty.POLICE_REPORT,)
    assert [line.piece for line in view.checklist] == [
        DossierPiece.INVOICE_OR_QUOTE,
        DossierPiece.INSURER_DECLARATION,
    ]
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(ClaimDuty.duty))).all()
    assert sorted(rows) == ["insurer_declaration", "police_report"]

    back = await claims.correct_damage_cause(
        db, sacha, claim_id, cause=DamageCause.VANDALISM, now=NOW
    )
    assert back.pending_duties == (Duty.POLICE_REPORT, Duty.COMPLAINT)
    timeline = await claims.claim_view(db, sacha, claim_id, NOW, timeline=True)
    corrected = [e.details for e in timeline.timeline if e.action == "claim.cause_corrected"]
    assert corrected == [
        {"before": "vandalism", "cause": "water"},
        {"before": "water", "cause": "vandalism"},
    ]
