"""The services of article 6's recovered items and of who paid, without a messenger:
the insurer's indemnity decides before or after, a recovery before it lowers a complete
dossier's amount due (in the timeline), the window's close makes the items the insurer's
(once, even when the sweep runs again), and a body's payment counts once staff confirm it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.domain.claims import (
    ClaimKind,
    ClaimState,
    DossierPiece,
    IndemnityPayee,
    Payer,
    PaymentMode,
    PaymentStatus,
    RecoveryOutcome,
    RecoveryState,
)
from bot.domain.errors import DomainError
from bot.services import claims
from storage.models import AuditEntry, Equipment, Payment, Reminder
from tests.integration.test_claim_without_a_messenger import Demo, demo  # noqa: F401

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PROOF = claims.FileRef("document", "file-1", "unique-1", "virement.pdf", "application/pdf")

NO_DOCUMENT = tuple(DossierPiece)  # no file attached: staff accept the dossier as it is


async def _theft(d: Demo, *, pledge: str = "1578.00") -> claims.ClaimView:
    db = d.services.db
    reported = await claims.report_claim(
        db,
        claims.ReportClaim(
            reporter_id=d.people["Camille"],
            school_id=d.school_id,
            kind=ClaimKind.THEFT,
            discovered_at=NOW - timedelta(hours=1),
            description="Deux portables volés",
            items=(
                claims.ItemRequest(asset_tag="SEM-DEMO-0001"),
                claims.ItemRequest(asset_tag="SEM-DEMO-0002"),
            ),
        ),
        NOW,
    )
    return await claims.record_pledge(
        db,
        d.people["Claude"],
        reported.claim.id,
        amount=Decimal(pledge),
        mode=PaymentMode.VIA_COMMUNE,
        planned_on=date(2026, 6, 1),
        now=NOW,
    )


async def _state(d: Demo, tag: str) -> str:
    async with d.services.db.uow() as uow:
        state = await uow.session.scalar(select(Equipment.state).where(Equipment.asset_tag == tag))
    assert state is not None
    return state


async def test_a_payment_from_the_bodys_funds_is_no_indemnity_one_by_the_insurer_is(
    demo: Demo,  # noqa: F811
) -> None:
    db, sacha = demo.services.db, demo.people["Sacha"]
    claim = await _theft(demo)
    view, _ = await claims.record_payment(
        db, sacha, claim.id, amount=Decimal("100"), paid_on=date(2026, 3, 2), now=NOW
    )
    assert view.indemnity is None
    assert view.payments[0].payer is Payer.BODY_FUNDS
    view, _ = await claims.record_payment(
        db,
        sacha,
        claim.id,
        amount=Decimal("500"),
        paid_on=date(2026, 3, 2),
        payer=Payer.INSURER,
        now=NOW,
    )
    assert view.indemnity is not None
    assert (view.indemnity.paid_on, view.indemnity.payee, view.indemnity.amount) == (
        date(2026, 3, 2),
        IndemnityPayee.SEM,
        Decimal("500.00"),
    )


async def test_found_before_the_indemnity_a_complete_dossier_owes_only_the_damage(
    demo: Demo,  # noqa: F811
) -> None:
    db, sacha = demo.services.db, demo.people["Sacha"]
    claim = await _theft(demo)
    complete = await claims.mark_complete(
        db, sacha, claim.id, now=NOW, accepted_missing=NO_DOCUMENT
    )
    assert complete.amount_due == Decimal("1578.00")  # 2 × 789 €, bought this year
    first = complete.items[0]
    # A payment by the body to SEM is not the insurer's indemnity: still "before".
    await claims.record_payment(
        db, sacha, claim.id, amount=Decimal("100"), paid_on=date(2026, 3, 2), now=NOW
    )

    done = await claims.record_recovery(
        db,
        sacha,
        claim.id,
        told_at=NOW + timedelta(days=1),
        item_ids=[first.id],
        damages={first.id: Decimal("120")},
        now=NOW + timedelta(days=1),
    )

    assert done.recovery.outcome is RecoveryOutcome.BEFORE_INDEMNITY
    assert done.due_changed == (Decimal("1578.00"), Decimal("909.00"))
    assert done.claim.amount_due == Decimal("909.00")  # 789 € + 120 € of damage
    assert done.claim.outstanding == Decimal("809.00")
    assert await _state(demo, "SEM-DEMO-0001") == "out_of_order"  # back, damaged
    assert await _state(demo, "SEM-DEMO-0002") == "stolen"
    async with db.uow() as uow:
        actions = list(
            (
                await uow.session.scalars(
                    select(AuditEntry.action).where(AuditEntry.object_id == claim.number)
                )
            ).all()
        )
    assert "claim.amount_due_changed" in actions
    # The other laptop may still be found; the first one cannot be found twice.
    with pytest.raises(DomainError) as error:
        await claims.record_recovery(
            db, sacha, claim.id, told_at=NOW, item_ids=[first.id], damages={}, now=NOW
        )
    assert error.value.code == "claim.error.recovery_items_unknown"


async def test_only_staff_confirm_a_recovery_and_a_body_outside_sees_nothing(
    demo: Demo,  # noqa: F811
) -> None:
    db = demo.services.db
    claim = await _theft(demo)
    reported = await claims.report_recovery(
        db, demo.people["Claude"], claim.id, item_ids=None, told_at=NOW, now=NOW
    )
    assert reported.recovery.state is RecoveryState.REPORTED
    assert reported.recovery.by_body
    with pytest.raises(DomainError) as error:
        await claims.record_recovery(
            db,
            demo.people["Claude"],
            claim.id,
            recovery_id=reported.recovery.id,
            damages={},
            now=NOW,
        )
    assert error.value.code == "common.error.forbidden"


async def test_the_window_closing_makes_the_items_the_insurers_once(
    demo: Demo,  # noqa: F811
) -> None:
    db, sacha, claude = demo.services.db, demo.people["Sacha"], demo.people["Claude"]
    claim = await _theft(demo)
    await claims.record_indemnity(
        db,
        claude,
        claim.id,
        paid_on=date(2026, 3, 5),
        payee=IndemnityPayee.BODY,
        amount=Decimal("1500"),
        now=NOW + timedelta(days=4),
    )
    told = NOW + timedelta(days=5)
    ids = [i.id for i in claim.items]
    done = await claims.record_recovery(
        db, sacha, claim.id, told_at=told, damages={i: Decimal(0) for i in ids}, now=told
    )
    assert done.recovery.outcome is RecoveryOutcome.AFTER_INDEMNITY
    assert done.recovery.last_day == date(2026, 3, 22)
    assert done.recovery.owed_back == Decimal("1500.00")
    assert done.claim.amount_due == Decimal("1578.00")  # nothing changes for SEM

    # Closing the claim (the body will pay its insurer, not SEM) leaves the window running.
    await claims.close_claim(db, sacha, claim.id, reason="Réglé par l'assureur", now=told)
    async with db.uow() as uow:
        rows = dict(
            (
                await uow.session.execute(
                    select(Reminder.key, Reminder.state).where(Reminder.kind.like("%recovery%"))
                )
            ).all()
        )
    prefix = f"claim:{claim.id}-recovery:{done.recovery.id}"
    assert rows == {f"{prefix}:d-3": "pending", f"{prefix}:expiry": "pending"}
    async with db.uow() as uow:
        early = await claims.expire_recovery(uow, claim.id, done.recovery.id, told)
    assert early is None
    closed_at = datetime(2026, 3, 22, 23, 0, tzinfo=UTC)  # 23 March, 00:00 in Paris
    for _ in range(2):  # a retry of the sweep finds it done, and says so again
        async with db.uow() as uow:
            expired = await claims.expire_recovery(uow, claim.id, done.recovery.id, closed_at)
        assert expired is not None and expired.recovery.state is RecoveryState.INSURER_OWNED
    assert await _state(demo, "SEM-DEMO-0001") == "insurer_owned"
    with pytest.raises(DomainError) as error:
        await claims.request_recovery(db, claude, claim.id, done.recovery.id, now=closed_at)
    assert error.value.code == "claim.error.recovery_request_late"
    assert error.value.params["last_day"] == date(2026, 3, 22)


async def test_a_body_payment_counts_only_once_staff_confirm_it(
    demo: Demo,  # noqa: F811
) -> None:
    db, sacha, claude = demo.services.db, demo.people["Sacha"], demo.people["Claude"]
    claim = await _theft(demo, pledge="1000")
    declared = await claims.record_body_payment(
        db,
        claude,
        claim.id,
        amount=Decimal("1000"),
        paid_on=date(2026, 3, 2),
        payer=Payer.BODY_INDEMNITY,
        proof=PROOF,
        now=NOW,
    )
    assert declared.claim.paid == Decimal("0.00")
    (pending,) = declared.claim.pending_payments
    assert pending.proof_attachment_id is not None
    with pytest.raises(DomainError) as error:
        await claims.review_payment(db, sacha, claim.id, pending.id, confirm=False, now=NOW)
    assert error.value.code == "claim.error.rejection_reason_required"
    view, payment, full = await claims.review_payment(
        db, sacha, claim.id, pending.id, confirm=True, now=NOW
    )
    assert full and view.state is ClaimState.CLOSED
    assert payment.status is PaymentStatus.CONFIRMED
    with pytest.raises(DomainError) as error:
        await claims.review_payment(db, sacha, claim.id, pending.id, confirm=True, now=NOW)
    assert error.value.code == "claim.error.payment_not_pending"


async def test_found_before_completion_the_dossier_is_fixed_on_the_damage(
    demo: Demo,  # noqa: F811
) -> None:
    db, sacha = demo.services.db, demo.people["Sacha"]
    claim = await _theft(demo)
    first = claim.items[0]
    done = await claims.record_recovery(
        db,
        sacha,
        claim.id,
        told_at=NOW,
        item_ids=[first.id],
        damages={first.id: Decimal("0")},
        now=NOW,
    )
    assert done.due_changed is None  # nothing was fixed yet
    assert not done.recovery.by_body
    assert claims.amount_due_at_completion(done.claim) == Decimal("789.00")
    complete = await claims.mark_complete(
        db, sacha, claim.id, now=NOW, accepted_missing=NO_DOCUMENT
    )
    assert complete.amount_due == Decimal("789.00")  # the intact laptop owes nothing
    assert await _state(demo, "SEM-DEMO-0001") == "in_service"


async def test_a_recomputed_amount_already_paid_closes_the_claim(
    demo: Demo,  # noqa: F811
) -> None:
    db, sacha = demo.services.db, demo.people["Sacha"]
    claim = await _theft(demo)
    await claims.mark_complete(db, sacha, claim.id, now=NOW, accepted_missing=NO_DOCUMENT)
    await claims.record_payment(
        db, sacha, claim.id, amount=Decimal("789"), paid_on=date(2026, 3, 2), now=NOW
    )
    first = claim.items[0]
    done = await claims.record_recovery(
        db,
        sacha,
        claim.id,
        told_at=NOW,
        item_ids=[first.id],
        damages={first.id: Decimal("0")},
        now=NOW,
    )
    assert done.due_changed == (Decimal("1578.00"), Decimal("789.00"))
    assert done.claim.state is ClaimState.CLOSED


async def test_staff_dismiss_a_wrong_report_its_items_may_be_reported_again(
    demo: Demo,  # noqa: F811
) -> None:
    db, sacha, claude = demo.services.db, demo.people["Sacha"], demo.people["Claude"]
    camille = demo.people["Camille"]
    claim = await _theft(demo)
    first = claim.items[0]
    reported = await claims.report_recovery(
        db, claude, claim.id, item_ids=[first.id], told_at=NOW, now=NOW
    )
    rid = reported.recovery.id
    # Not staff (callback data is never trusted): refused, nothing changes.
    for who in (claude, camille):
        with pytest.raises(DomainError) as error:
            await claims.dismiss_recovery(db, who, claim.id, rid, reason="Erreur", now=NOW)
        assert error.value.code == "common.error.forbidden"
    with pytest.raises(DomainError) as error:
        await claims.dismiss_recovery(db, sacha, claim.id, rid, reason="  ", now=NOW)
    assert error.value.code == "claim.error.dismiss_reason_required"
    with pytest.raises(DomainError) as error:
        await claims.dismiss_recovery(db, sacha, claim.id, rid + 99, reason="Erreur", now=NOW)
    assert error.value.code == "claim.error.recovery_not_found"

    later = NOW + timedelta(hours=2)
    done = await claims.dismiss_recovery(
        db, sacha, claim.id, rid, reason="Tablettes d'une autre école", now=later
    )
    assert done.freed == ("SEM-DEMO-0001",)
    assert done.recovery.state is RecoveryState.DISMISSED
    assert done.recovery.reason == "Tablettes d'une autre école"
    assert done.recovery.items == ()
    assert {i.asset_tag for i in done.claim.not_recovered} == {"SEM-DEMO-0001", "SEM-DEMO-0002"}
    assert await _state(demo, "SEM-DEMO-0001") == "stolen"  # still missing
    timeline = await claims.claim_view(db, sacha, claim.id, later, timeline=True)
    (entry,) = [e for e in timeline.timeline if e.action == "claim.recovery_dismissed"]
    assert entry.details == {"items": ["SEM-DEMO-0001"], "reason": "Tablettes d'une autre école"}
    async with db.uow() as uow:
        count = await uow.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "claim.recovery_dismissed")
        )
    assert count == 1

    # Dismissed once: neither dismissed again nor confirmed.
    with pytest.raises(DomainError) as error:
        await claims.dismiss_recovery(db, sacha, claim.id, rid, reason="Encore", now=later)
    assert error.value.code == "claim.error.recovery_state"
    with pytest.raises(DomainError) as error:
        await claims.record_recovery(
            db, sacha, claim.id, recovery_id=rid, damages={first.id: Decimal(0)}, now=later
        )
    assert error.value.code == "claim.error.recovery_state"
    # The item is free: reported again, then confirmed, and that one cannot be dismissed.
    again = await claims.report_recovery(
        db, claude, claim.id, item_ids=[first.id], told_at=later, now=later
    )
    assert again.recovery.items == ("SEM-DEMO-0001",)
    confirmed = await claims.record_recovery(
        db,
        sacha,
        claim.id,
        recovery_id=again.recovery.id,
        damages={first.id: Decimal(0)},
        now=later,
    )
    assert confirmed.recovery.state is RecoveryState.CONFIRMED
    with pytest.raises(DomainError) as error:
        await claims.dismiss_recovery(
            db, sacha, claim.id, again.recovery.id, reason="Erreur", now=later
        )
    assert error.value.code == "claim.error.recovery_state"


async def _declare(d: Demo, claim_id: int, amount: str) -> claims.BodyPayment:
    return await claims.record_body_payment(
        d.services.db,
        d.people["Claude"],
        claim_id,
        amount=Decimal(amount),
        paid_on=date(2026, 3, 2),
        payer=Payer.BODY_FUNDS,
        proof=PROOF,
        now=NOW,
    )


async def test_pending_body_payments_together_stay_within_what_is_owed(
    demo: Demo,  # noqa: F811
) -> None:
    db, sacha = demo.services.db, demo.people["Sacha"]
    claim = await _theft(demo, pledge="1000")
    first = await _declare(demo, claim.id, "600")
    assert first.claim.pending_total == Decimal("600.00")
    with pytest.raises(DomainError) as error:
        await _declare(demo, claim.id, "400.01")
    assert error.value.code == "claim.error.overpayment_pending"
    assert error.value.params["pending"] == Decimal("600.00")
    assert error.value.params["left"] == Decimal("400.00")
    second = await _declare(demo, claim.id, "400")
    assert second.claim.pending_total == Decimal("1000.00")
    async with db.uow() as uow:
        stored = await uow.session.scalar(select(func.count()).select_from(Payment))
    assert stored == 2  # the refused one was not written
    # A rejected payment no longer holds its share: the body may declare it again.
    await claims.review_payment(
        db, sacha, claim.id, first.payment_id, confirm=False, reason="Virement introuvable", now=NOW
    )
    third = await _declare(demo, claim.id, "600")
    assert third.claim.pending_total == Decimal("1000.00")


async def test_confirming_a_payment_that_would_overpay_is_refused_reject_it_instead(
    demo: Demo,  # noqa: F811
) -> None:
    db, sacha = demo.services.db, demo.people["Sacha"]
    claim = await _theft(demo)
    await claims.mark_complete(db, sacha, claim.id, now=NOW, accepted_missing=NO_DOCUMENT)
    declared = await _declare(demo, claim.id, "1578")
    # Then one laptop is found intact: the amount due comes down to 789 €.
    first = claim.items[0]
    done = await claims.record_recovery(
        db,
        sacha,
        claim.id,
        told_at=NOW,
        item_ids=[first.id],
        damages={first.id: Decimal("0")},
        now=NOW,
    )
    assert done.due_changed == (Decimal("1578.00"), Decimal("789.00"))
    with pytest.raises(DomainError) as error:
        await claims.review_payment(db, sacha, claim.id, declared.payment_id, confirm=True, now=NOW)
    assert error.value.code == "claim.error.confirm_overpayment"
    assert error.value.params == {"amount": Decimal("1578.00"), "outstanding": Decimal("789.00")}
    view = await claims.claim_view(db, sacha, claim.id, NOW)
    assert view.paid == Decimal("0.00") and len(view.pending_payments) == 1  # unchanged
    view, payment, full = await claims.review_payment(
        db, sacha, claim.id, declared.payment_id, confirm=False, reason="Montant recalculé", now=NOW
    )
    assert payment.status is PaymentStatus.REJECTED and not full
