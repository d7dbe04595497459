"""Art. 6, recovered items and who paid: the insurer's indemnity decides before/after,
a recovery before it brings an item's amount due down to its damage, after it the body
asks within 15 days and owes its insurer the indemnity minus damage."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.domain.claims import (
    RECOVERABLE_KINDS,
    ClaimKind,
    ClaimState,
    IndemnityPayee,
    Payer,
    PaymentMode,
    RecoveryOutcome,
    RecoveryState,
    change_amount_due,
    check_body_payment,
    check_damage,
    check_payment_confirmation,
    check_recovery_request,
    dismiss_recovery,
    due_after_recovery,
    indemnity_after_payment,
    left_beyond_pending,
    mark_complete,
    move_recovery,
    open_claim,
    owed_back_to_insurer,
    record_indemnity,
    record_payment,
    record_pledge,
    recovery_outcome,
)
from bot.domain.dates import PARIS
from bot.domain.errors import DomainError

DISCOVERED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def _pledged(amount: str = "500") -> object:
    claim = open_claim(ClaimKind.THEFT, DISCOVERED, NOW)
    return record_pledge(claim, Decimal(amount), PaymentMode.INSURER_DIRECT, date(2026, 6, 1), NOW)


def _code(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.code


def test_thefts_and_losses_can_be_recovered_not_damage() -> None:
    assert {ClaimKind.THEFT, ClaimKind.LOSS} == RECOVERABLE_KINDS


def test_the_indemnity_not_a_payment_to_sem_decides_before_or_after() -> None:
    claim = _pledged()
    # The body pays SEM from its own funds: that is no indemnity.
    paid = record_payment(claim, Decimal("100")).claim  # type: ignore[arg-type]
    paid = indemnity_after_payment(paid, Payer.BODY_FUNDS, Decimal("100"), date(2026, 3, 3))
    assert paid.indemnity is None
    assert (
        recovery_outcome(ClaimKind.THEFT, indemnity_paid_on=None, told_on=date(2026, 3, 5))
        is RecoveryOutcome.BEFORE_INDEMNITY
    )
    # The insurer paid SEM: its indemnity, recorded once.
    by_insurer = indemnity_after_payment(paid, Payer.INSURER, Decimal("400"), date(2026, 3, 3))
    assert by_insurer.indemnity is not None
    assert by_insurer.indemnity.payee is IndemnityPayee.SEM
    assert by_insurer.indemnity.amount == Decimal("400.00")
    again = indemnity_after_payment(by_insurer, Payer.INSURER, Decimal("1"), date(2026, 3, 4))
    assert again.indemnity == by_insurer.indemnity


def test_an_indemnity_paid_to_the_body_is_recorded_with_its_day() -> None:
    claim = open_claim(ClaimKind.LOSS, DISCOVERED, NOW)
    today = date(2026, 3, 20)
    after = record_indemnity(
        claim, paid_on=date(2026, 3, 18), payee=IndemnityPayee.BODY, amount=None, today=today
    )
    assert after.indemnity is not None and after.indemnity.paid_on == date(2026, 3, 18)
    with pytest.raises(DomainError) as e:
        record_indemnity(
            after, paid_on=date(2026, 3, 19), payee=IndemnityPayee.SEM, amount=None, today=today
        )
    assert _code(e) == "claim.error.indemnity_known"
    with pytest.raises(DomainError) as e:
        record_indemnity(
            claim, paid_on=date(2026, 3, 21), payee=IndemnityPayee.BODY, amount=None, today=today
        )
    assert _code(e) == "claim.error.indemnity_in_future"
    with pytest.raises(DomainError) as e:
        record_indemnity(
            claim, paid_on=date(2026, 3, 1), payee=IndemnityPayee.BODY, amount=None, today=today
        )
    assert _code(e) == "claim.error.indemnity_before_discovery"


def test_an_item_found_before_the_indemnity_owes_its_damage_capped_by_its_refund() -> None:
    assert due_after_recovery(Decimal("0"), Decimal("320")) == Decimal("0.00")
    assert due_after_recovery(Decimal("45.50"), Decimal("320")) == Decimal("45.50")
    assert due_after_recovery(Decimal("900"), Decimal("320")) == Decimal("320")
    assert due_after_recovery(Decimal("900"), None) == Decimal("900.00")  # refund unknown
    with pytest.raises(DomainError) as e:
        check_damage(Decimal("-1"))
    assert _code(e) == "claim.error.negative_amount"


def test_a_complete_dossier_gets_its_amount_due_recomputed_not_below_what_was_paid() -> None:
    complete = mark_complete(_pledged("640"), date(2026, 3, 3), NOW)  # type: ignore[arg-type]
    lower = change_amount_due(complete, Decimal("320"))
    assert lower.amount_due == Decimal("320.00") and lower.state is ClaimState.COMPLETE
    paid = record_payment(complete, Decimal("400")).claim
    with pytest.raises(DomainError) as e:
        change_amount_due(paid, Decimal("320"))
    assert _code(e) == "claim.error.due_below_payments"
    # Before completion nothing was fixed: unchanged.
    pledged = _pledged()
    assert change_amount_due(pledged, Decimal("1")) is pledged  # type: ignore[arg-type]


def test_after_the_indemnity_the_body_owes_back_the_indemnity_minus_damage() -> None:
    every = owed_back_to_insurer(
        Decimal("600"), Decimal("50"), recovered_refunds=None, all_refunds=None, every_item=True
    )
    assert every == Decimal("550.00")
    # One of two items (refunds 320 and 320): half of the indemnity, minus its damage.
    some = owed_back_to_insurer(
        Decimal("600"),
        Decimal("20"),
        recovered_refunds=Decimal("320"),
        all_refunds=Decimal("640"),
        every_item=False,
    )
    assert some == Decimal("280.00")
    unknown = owed_back_to_insurer(
        None, Decimal("0"), recovered_refunds=None, all_refunds=None, every_item=True
    )
    assert unknown is None
    never_negative = owed_back_to_insurer(
        Decimal("100"), Decimal("300"), recovered_refunds=None, all_refunds=None, every_item=True
    )
    assert never_negative == Decimal("0.00")


def test_a_request_after_the_fifteen_days_is_refused_with_the_last_day() -> None:
    told = datetime(2026, 3, 10, 15, 0, tzinfo=PARIS)
    check_recovery_request(told, datetime(2026, 3, 25, 23, 59, tzinfo=PARIS))
    with pytest.raises(DomainError) as e:
        check_recovery_request(told, datetime(2026, 3, 26, 0, 0, tzinfo=PARIS))
    assert _code(e) == "claim.error.recovery_request_late"
    assert e.value.params["last_day"] == date(2026, 3, 25)


def test_a_recovery_moves_only_along_its_table() -> None:
    assert move_recovery(RecoveryState.REPORTED, RecoveryState.CONFIRMED) is RecoveryState.CONFIRMED
    assert (
        move_recovery(RecoveryState.CONFIRMED, RecoveryState.INSURER_OWNED)
        is RecoveryState.INSURER_OWNED
    )
    for state, to in [
        (RecoveryState.REPORTED, RecoveryState.REQUESTED),
        (RecoveryState.INSURER_OWNED, RecoveryState.REQUESTED),
        (RecoveryState.AGREED, RecoveryState.REFUSED),
    ]:
        with pytest.raises(DomainError) as e:
            move_recovery(state, to)
        assert _code(e) == "claim.error.recovery_state"


def test_staff_dismiss_only_a_reported_recovery_and_say_why() -> None:
    state, why = dismiss_recovery(RecoveryState.REPORTED, "  Les tablettes sont d'une autre école ")
    assert (state, why) == (RecoveryState.DISMISSED, "Les tablettes sont d'une autre école")
    for reason in (None, "", "   ", "-", "—"):
        with pytest.raises(DomainError) as e:
            dismiss_recovery(RecoveryState.REPORTED, reason)
        assert _code(e) == "claim.error.dismiss_reason_required"
    # Confirmed (or further on, or already dismissed): it can no longer be dismissed.
    for other in set(RecoveryState) - {RecoveryState.REPORTED}:
        with pytest.raises(DomainError) as e:
            dismiss_recovery(other, "Erreur")
        assert _code(e) == "claim.error.recovery_state", other
    # A dismissed recovery is the end of its road.
    with pytest.raises(DomainError):
        move_recovery(RecoveryState.DISMISSED, RecoveryState.CONFIRMED)


def test_a_new_pending_payment_fits_in_what_the_other_pending_ones_leave() -> None:
    owed, pending = Decimal("640.00"), Decimal("400.00")
    assert left_beyond_pending(owed, pending) == Decimal("240.00")
    assert left_beyond_pending(owed, Decimal("700")) == Decimal("0.00")
    assert check_body_payment(Decimal("240"), owed, pending) == Decimal("240.00")
    with pytest.raises(DomainError) as e:
        check_body_payment(Decimal("240.01"), owed, pending)
    assert _code(e) == "claim.error.overpayment_pending"
    assert e.value.params == {
        "amount": Decimal("240.01"),
        "outstanding": owed,
        "pending": pending,
        "left": Decimal("240.00"),
    }
    # Nothing pending: the rule of any payment (no more than what is still owed).
    assert check_body_payment(Decimal("640"), owed, Decimal("0")) == Decimal("640.00")
    with pytest.raises(DomainError) as e:
        check_body_payment(Decimal("640.01"), owed, Decimal("0"))
    assert _code(e) == "claim.error.overpayment"
    with pytest.raises(DomainError) as e:
        check_body_payment(Decimal("0"), owed, pending)
    assert _code(e) == "claim.error.payment_not_positive"


def test_confirming_a_payment_that_would_overpay_is_refused() -> None:
    complete = mark_complete(_pledged("640"), date(2026, 3, 3), NOW)  # type: ignore[arg-type]
    check_payment_confirmation(complete, Decimal("640"))  # exactly what is owed
    lower = change_amount_due(complete, Decimal("365.50"))  # items found: recomputed down
    with pytest.raises(DomainError) as e:
        check_payment_confirmation(lower, Decimal("640"))
    assert _code(e) == "claim.error.confirm_overpayment"
    assert e.value.params == {"amount": Decimal("640.00"), "outstanding": Decimal("365.50")}
    paid = record_payment(lower, Decimal("300")).claim
    check_payment_confirmation(paid, Decimal("65.50"))
    with pytest.raises(DomainError) as e:
        check_payment_confirmation(paid, Decimal("65.51"))
    assert e.value.params["outstanding"] == Decimal("65.50")
