"""Article 6, points 3, 6 and 8: the complete dossier's checklist, a damage's cause (no
complaint for an accident), and duties done after their 48 h. Time is injected."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.domain.claims import (
    DOSSIER_CHECKLIST,
    ChecklistLine,
    ClaimFacts,
    ClaimKind,
    ClaimState,
    DamageCause,
    Document,
    DossierPiece,
    Duty,
    PaymentMode,
    confirm_duty,
    correct_cause,
    dossier_checklist,
    dossier_pieces,
    duties_for,
    late_units,
    lateness,
    mark_complete,
    missing_pieces,
    open_claim,
    record_pledge,
)
from tests.helpers import refuses

DISCOVERED = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # Monday 8:00 in Paris
NOW = DISCOVERED + timedelta(days=5)
ALL = {Duty.INSURER_DECLARATION, Duty.POLICE_REPORT, Duty.COMPLAINT}
ACCIDENTS = (DamageCause.BREAKAGE, DamageCause.ELECTRICAL, DamageCause.WATER)


# ---------------------------------------------------------------- duties per cause


def test_vandalism_owes_the_three_duties() -> None:
    assert set(duties_for(ClaimKind.DAMAGE, DamageCause.VANDALISM)) == ALL


@pytest.mark.parametrize("cause", ACCIDENTS)
def test_an_accident_owes_no_complaint_but_still_the_insurer_and_the_police(
    cause: DamageCause,
) -> None:
    assert duties_for(ClaimKind.DAMAGE, cause) == (
        Duty.INSURER_DECLARATION,
        Duty.POLICE_REPORT,
    )


def test_a_damage_of_unknown_cause_keeps_the_three_duties() -> None:
    """Reported before the question existed: decision 0003 still holds for it."""
    assert set(duties_for(ClaimKind.DAMAGE, None)) == ALL


@pytest.mark.parametrize("kind", [ClaimKind.THEFT, ClaimKind.LOSS])
def test_theft_and_loss_owe_the_three_duties(kind: ClaimKind) -> None:
    assert set(duties_for(kind, None)) == ALL


@pytest.mark.parametrize("kind", [ClaimKind.THEFT, ClaimKind.LOSS])
def test_only_a_damage_has_a_cause(kind: ClaimKind) -> None:
    with refuses("claim.error.cause_not_for_kind"):
        open_claim(kind, DISCOVERED, NOW, DamageCause.WATER)


def test_an_accidents_complaint_is_refused_and_its_two_duties_declare_it() -> None:
    claim = open_claim(ClaimKind.DAMAGE, DISCOVERED, NOW, DamageCause.ELECTRICAL)
    assert claim.pending_duties == (Duty.INSURER_DECLARATION, Duty.POLICE_REPORT)
    with refuses("claim.error.duty_not_for_kind"):
        confirm_duty(claim, Duty.COMPLAINT, DISCOVERED, NOW, reference="PV 1")
    claim = confirm_duty(claim, Duty.INSURER_DECLARATION, DISCOVERED, NOW)
    claim = confirm_duty(claim, Duty.POLICE_REPORT, DISCOVERED, NOW)
    assert claim.state is ClaimState.DECLARED


# ---------------------------------------------------------------- late duties


def test_a_duty_done_after_its_48_hours_is_late_by_the_difference() -> None:
    claim = open_claim(ClaimKind.THEFT, DISCOVERED, NOW)
    on_time = DISCOVERED + timedelta(hours=47)
    late = DISCOVERED + timedelta(hours=51)
    claim = confirm_duty(claim, Duty.INSURER_DECLARATION, on_time, NOW)
    claim = confirm_duty(claim, Duty.POLICE_REPORT, late, NOW)
    assert claim.late_duties == (Duty.POLICE_REPORT,)
    assert lateness(claim.duties_deadline, late) == timedelta(hours=3)
    assert lateness(claim.duties_deadline, on_time) is None
    assert lateness(claim.duties_deadline, claim.duties_deadline) is None  # at 48 h: in time


def test_an_accidents_late_duties_ignore_the_complaint_it_does_not_owe() -> None:
    claim = open_claim(ClaimKind.DAMAGE, DISCOVERED, NOW, DamageCause.WATER)
    claim = confirm_duty(claim, Duty.INSURER_DECLARATION, DISCOVERED + timedelta(days=3), NOW)
    assert claim.late_duties == (Duty.INSURER_DECLARATION,)


@pytest.mark.parametrize(
    ("late", "reads"),
    [
        (timedelta(seconds=20), ("minutes", 1)),
        (timedelta(minutes=59, seconds=59), ("minutes", 59)),
        (timedelta(hours=1), ("hours", 1)),
        (timedelta(hours=3, minutes=40), ("hours", 3)),
        (timedelta(hours=47, minutes=59), ("hours", 47)),
        (timedelta(hours=48), ("days", 2)),
        (timedelta(days=9, hours=23), ("days", 9)),
    ],
)
def test_a_delay_reads_in_minutes_hours_or_days(late: timedelta, reads: tuple[str, int]) -> None:
    assert late_units(late) == reads


# ---------------------------------------------------------------- the dossier's checklist


def test_a_theft_needs_a_quote_the_insurer_declaration_and_the_complaint() -> None:
    assert dossier_pieces(ClaimKind.THEFT, None) == (
        DossierPiece.INVOICE_OR_QUOTE,
        DossierPiece.INSURER_DECLARATION,
        DossierPiece.COMPLAINT,
    )
    assert dossier_pieces(ClaimKind.DAMAGE, DamageCause.VANDALISM) == dossier_pieces(
        ClaimKind.THEFT, None
    )


@pytest.mark.parametrize("cause", ACCIDENTS)
def test_an_accident_needs_no_complaint_receipt(cause: DamageCause) -> None:
    assert dossier_pieces(ClaimKind.DAMAGE, cause) == (
        DossierPiece.INVOICE_OR_QUOTE,
        DossierPiece.INSURER_DECLARATION,
    )


def test_the_checklist_counts_the_files_that_prove_each_piece() -> None:
    purposes = [
        Document.EVIDENCE.value,
        Document.INVOICE_OR_QUOTE.value,
        Document.INVOICE_OR_QUOTE.value,
        Document.POLICE_REPORT.value,  # the police's report stands for the receipt
        Document.OTHER.value,
    ]
    checklist = dossier_checklist(ClaimKind.LOSS, None, purposes)
    assert checklist == (
        ChecklistLine(DossierPiece.INVOICE_OR_QUOTE, 2),
        ChecklistLine(DossierPiece.INSURER_DECLARATION, 0),
        ChecklistLine(DossierPiece.COMPLAINT, 1),
    )
    assert missing_pieces(checklist) == (DossierPiece.INSURER_DECLARATION,)
    # The insurer's letter (a value of the first buttons) proves the declaration too.
    with_letter = dossier_checklist(ClaimKind.LOSS, None, [*purposes, "insurer_letter"])
    assert missing_pieces(with_letter) == ()


def test_photos_alone_prove_no_piece() -> None:
    checklist = dossier_checklist(ClaimKind.THEFT, None, ["evidence", "evidence", "relay"])
    assert missing_pieces(checklist) == tuple(rule.piece for rule in DOSSIER_CHECKLIST)


def _pledged() -> ClaimFacts:
    claim = open_claim(ClaimKind.THEFT, DISCOVERED, NOW)
    return record_pledge(claim, Decimal("300"), PaymentMode.VIA_COMMUNE, date(2026, 6, 1), NOW)


def test_a_dossier_with_pieces_missing_is_complete_only_if_staff_accept_each() -> None:
    claim = _pledged()
    missing = (DossierPiece.INSURER_DECLARATION, DossierPiece.COMPLAINT)
    with refuses("claim.error.dossier_missing"):
        mark_complete(claim, date(2026, 3, 7), NOW, missing=missing)
    with refuses("claim.error.dossier_missing"):
        mark_complete(
            claim,
            date(2026, 3, 7),
            NOW,
            missing=missing,
            accepted_missing=(DossierPiece.COMPLAINT,),
        )
    done = mark_complete(
        claim,
        date(2026, 3, 7),
        NOW,
        missing=missing,
        accepted_missing=missing,
    )
    assert done.completed_on == date(2026, 3, 7)  # the one-year clock starts that day


def test_a_dossier_with_nothing_missing_is_complete_as_before() -> None:
    claim = _pledged()
    done = mark_complete(claim, date(2026, 3, 7), NOW)
    assert done.state is ClaimState.COMPLETE


# ---------------------------------------------------------------- correcting the cause


def test_correcting_an_accident_to_vandalism_brings_the_complaint_back_as_pending() -> None:
    claim = open_claim(ClaimKind.DAMAGE, DISCOVERED, NOW, DamageCause.BREAKAGE)
    claim = confirm_duty(claim, Duty.INSURER_DECLARATION, DISCOVERED, NOW)
    claim = confirm_duty(claim, Duty.POLICE_REPORT, DISCOVERED, NOW)
    assert claim.state is ClaimState.DECLARED

    corrected = correct_cause(claim, DamageCause.VANDALISM)

    assert corrected.pending_duties == (Duty.COMPLAINT,)
    assert corrected.state is ClaimState.REPORTED  # a correction, not a step: derived again


def test_correcting_vandalism_to_an_accident_drops_the_complaint() -> None:
    claim = open_claim(ClaimKind.DAMAGE, DISCOVERED, NOW, DamageCause.VANDALISM)
    claim = confirm_duty(claim, Duty.INSURER_DECLARATION, DISCOVERED, NOW)
    claim = confirm_duty(claim, Duty.POLICE_REPORT, DISCOVERED, NOW)
    corrected = correct_cause(claim, DamageCause.WATER)
    assert corrected.pending_duties == ()
    assert corrected.state is ClaimState.DECLARED


def test_only_a_damages_cause_is_corrected_and_only_to_another_one() -> None:
    with refuses("claim.error.cause_only_damage"):
        correct_cause(open_claim(ClaimKind.THEFT, DISCOVERED, NOW), DamageCause.WATER)
    water = open_claim(ClaimKind.DAMAGE, DISCOVERED, NOW, DamageCause.WATER)
    with refuses("claim.error.cause_unchanged"):
        correct_cause(water, DamageCause.WATER)
    # A damage reported before the question (no cause) may be given one.
    unknown = open_claim(ClaimKind.DAMAGE, DISCOVERED, NOW)
    assert correct_cause(unknown, DamageCause.ELECTRICAL).pending_duties == (
        Duty.INSURER_DECLARATION,
        Duty.POLICE_REPORT,
    )
