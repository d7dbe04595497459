"""The services of article 6's recovered items and of who paid, without a messenger:
the insurer's indemnity decides before or after, a recovery before it lowers a complete
dossier's amount due (in the timeline), the window's close makes the items the insurer's
(once, even when the sweep runs again), and a body's payment counts once staff confirm it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

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
from storage.models import AuditEntry, Equipment, Reminder
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
