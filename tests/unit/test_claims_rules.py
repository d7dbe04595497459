"""Rules of article 6: duties per kind, refund by age, the claim's state machine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.domain.claims import (
    DUTIES_BY_KIND,
    DUTY_WINDOW,
    HIGH_FREQUENCY_THRESHOLD,
    REFUND_SHARE_BY_AGE,
    SECURITY_FLAG_KINDS,
    ClaimFacts,
    ClaimItemFacts,
    ClaimKind,
    ClaimState,
    Duty,
    PaymentMode,
    RecoveryOutcome,
    allowed_transitions,
    can_request_recovery,
    check_duty_time,
    check_payment_amount,
    check_payment_day,
    check_pledge_date,
    close,
    confirm_duty,
    counts_toward_security_flag,
    derive_state,
    estimate_refund,
    is_high_frequency,
    is_replaceable,
    item_age_years,
    item_refund,
    late_from_the_start,
    mark_complete,
    open_claim,
    read_new_model,
    recent_claim_count,
    record_payment,
    record_pledge,
    recovery_outcome,
    recovery_request_deadline,
    refund_share,
    reopen,
    state_when_replaced,
    to_cents,
)
from bot.domain.dates import PARIS
from bot.domain.errors import DomainError

DISCOVERED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def paris(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=PARIS)


def a_claim(kind: ClaimKind = ClaimKind.THEFT) -> ClaimFacts:
    return open_claim(kind, DISCOVERED, NOW)


def declared(kind: ClaimKind = ClaimKind.THEFT) -> ClaimFacts:
    claim = a_claim(kind)
    at = DISCOVERED + timedelta(hours=3)
    claim = confirm_duty(claim, Duty.INSURER_DECLARATION, at, NOW)
    claim = confirm_duty(claim, Duty.POLICE_REPORT, at, NOW)
    return confirm_duty(claim, Duty.COMPLAINT, at, NOW, reference="PV 2026/123")


def pledged(amount: str = "500.00") -> ClaimFacts:
    return record_pledge(
        declared(), Decimal(amount), PaymentMode.INSURER_DIRECT, date(2026, 6, 1), NOW
    )


def error_code(excinfo: pytest.ExceptionInfo[DomainError]) -> str:
    return excinfo.value.code


# ---------------------------------------------------------------- duties per kind


def test_every_kind_owes_the_three_duties_of_the_french_text() -> None:
    for kind in ClaimKind:
        assert set(DUTIES_BY_KIND[kind]) == set(Duty)


def test_the_duties_are_due_48_hours_after_the_discovery() -> None:
    assert timedelta(hours=48) == DUTY_WINDOW
    assert a_claim().duties_deadline == DISCOVERED + timedelta(hours=48)


def test_a_discovery_older_than_48_hours_is_late_from_the_start() -> None:
    discovered = datetime(2026, 3, 12, 11, 0, tzinfo=UTC)
    assert not late_from_the_start(ClaimKind.THEFT, discovered, discovered)
    assert not late_from_the_start(
        ClaimKind.THEFT, discovered, discovered + timedelta(hours=47, minutes=59)
    )
    assert late_from_the_start(ClaimKind.THEFT, discovered, discovered + timedelta(hours=48))
    assert late_from_the_start(ClaimKind.DAMAGE, discovered, discovered + timedelta(days=200))


def test_a_claim_cannot_be_discovered_in_the_future() -> None:
    with pytest.raises(DomainError) as e:
        open_claim(ClaimKind.LOSS, NOW + timedelta(minutes=1), NOW)
    assert error_code(e) == "claim.error.discovery_in_future"


def test_a_naive_datetime_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        open_claim(ClaimKind.LOSS, datetime(2026, 3, 2, 8, 0), NOW)  # noqa: DTZ001


# ---------------------------------------------------------------- refund by age


@pytest.mark.parametrize(
    ("age", "share"),
    [
        (0, "1.00"),
        (1, "0.80"),
        (2, "0.60"),
        (3, "0.40"),
        (4, "0.20"),
        (5, "0"),
        (6, "0"),
        (40, "0"),
    ],
)
def test_refund_share_follows_the_table_and_is_nil_from_five_years(age: int, share: str) -> None:
    assert refund_share(age) == Decimal(share)


def test_the_refund_table_is_one_table_of_six_rows() -> None:
    assert list(REFUND_SHARE_BY_AGE) == [0, 1, 2, 3, 4, 5]


def test_a_negative_age_is_refused() -> None:
    with pytest.raises(DomainError) as e:
        refund_share(-1)
    assert error_code(e) == "claim.error.negative_age"


@pytest.mark.parametrize(
    ("acquired", "lost", "age"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), 0),
        (date(2025, 12, 31), date(2026, 1, 1), 1),
        (date(2025, 1, 1), date(2026, 12, 31), 1),
        (date(2024, 6, 15), date(2026, 6, 14), 2),
        (date(2023, 6, 15), date(2026, 6, 15), 3),
        (date(2022, 1, 1), date(2026, 1, 1), 4),
        (date(2021, 12, 31), date(2026, 1, 1), 5),
        (date(2020, 3, 1), date(2026, 2, 1), 6),
        (date(2026, 3, 2), date(2026, 3, 2), 0),
    ],
)
def test_age_is_the_number_of_calendar_years_between_acquisition_and_loss(
    acquired: date, lost: date, age: int
) -> None:
    assert item_age_years(acquired, lost) == age


def test_a_loss_before_the_acquisition_is_refused() -> None:
    with pytest.raises(DomainError) as e:
        item_age_years(date(2026, 3, 2), date(2026, 3, 1))
    assert error_code(e) == "claim.error.loss_before_acquisition"
    assert e.value.params == {"acquired_on": date(2026, 3, 2), "loss_on": date(2026, 3, 1)}


@pytest.mark.parametrize(
    ("acquired", "expected"),
    [
        (date(2026, 1, 1), "333.33"),  # age 0: 100 %
        (date(2025, 12, 31), "266.66"),  # age 1: 333.33 x 80 % = 266.664
        (date(2024, 5, 1), "200.00"),  # age 2: 199.998
        (date(2023, 5, 1), "133.33"),  # age 3: 133.332
        (date(2022, 5, 1), "66.67"),  # age 4: 66.666
        (date(2021, 5, 1), "0.00"),  # age 5
        (date(2020, 5, 1), "0.00"),  # age 6
    ],
)
def test_item_refund_is_the_share_of_the_value_rounded_to_the_cent(
    acquired: date, expected: str
) -> None:
    assert item_refund(Decimal("333.33"), acquired, date(2026, 1, 1)) == Decimal(expected)


def test_money_is_rounded_half_up() -> None:
    assert to_cents(Decimal("0.625")) == Decimal("0.63")
    assert to_cents(Decimal("266.665")) == Decimal("266.67")
    assert item_refund(Decimal("100.005"), date(2026, 1, 1), date(2026, 2, 1)) == Decimal("100.01")


def test_item_refund_is_unknown_without_a_value_or_a_date() -> None:
    assert item_refund(None, date(2025, 1, 1), date(2026, 1, 1)) is None
    assert item_refund(Decimal("100"), None, date(2026, 1, 1)) is None


def test_a_negative_value_is_refused() -> None:
    with pytest.raises(DomainError) as e:
        item_refund(Decimal("-1"), date(2025, 1, 1), date(2026, 1, 1))
    assert error_code(e) == "claim.error.negative_value"


def test_replaced_until_the_sixth_anniversary_included() -> None:
    acquired = date(2020, 3, 10)
    assert is_replaceable(acquired, date(2026, 3, 9)) is True  # 6 years minus a day
    assert is_replaceable(acquired, date(2026, 3, 10)) is True  # exactly 6 years: not "more"
    assert is_replaceable(acquired, date(2026, 3, 11)) is False  # 6 years plus a day


def test_an_item_bought_on_29_february_turns_six_on_28_february() -> None:
    acquired = date(2020, 2, 29)
    assert is_replaceable(acquired, date(2026, 2, 28)) is True
    assert is_replaceable(acquired, date(2026, 3, 1)) is False
    # in a leap year the anniversary exists
    assert is_replaceable(date(2018, 2, 28), date(2024, 2, 28)) is True
    assert is_replaceable(date(2018, 2, 28), date(2024, 2, 29)) is False


def test_an_item_bought_on_29_february_has_the_usual_calendar_age() -> None:
    assert item_age_years(date(2024, 2, 29), date(2025, 2, 28)) == 1
    assert item_refund(Decimal("1000"), date(2024, 2, 29), date(2025, 2, 28)) == Decimal("800.00")


def test_replaceability_is_unknown_without_an_acquisition_date() -> None:
    assert is_replaceable(None, date(2026, 1, 1)) is None


def test_estimate_totals_the_known_amounts_and_counts_the_items_to_estimate() -> None:
    loss_on = date(2026, 3, 2)
    items = [
        ClaimItemFacts("SEM-0001", None, Decimal("333.33"), date(2025, 9, 1)),  # 80 %
        ClaimItemFacts("SEM-0002", None, Decimal("1200.00"), date(2026, 1, 5)),  # 100 %
        ClaimItemFacts(None, "vidéoprojecteur", None, date(2024, 9, 1)),  # value unknown
        ClaimItemFacts("SEM-0003", None, Decimal("400.00"), None),  # date unknown
        ClaimItemFacts("SEM-0004", None, Decimal("900.00"), date(2019, 9, 1)),  # 0 %, too old
    ]
    estimate = estimate_refund(items, loss_on)
    assert estimate.total == Decimal("1466.66")
    assert estimate.unknown_count == 2
    assert not estimate.is_complete
    first, _, no_value, no_date, old = estimate.lines
    assert (first.age_years, first.share, first.amount) == (1, Decimal("0.80"), Decimal("266.66"))
    assert first.replaceable is True
    assert (no_value.age_years, no_value.share, no_value.amount) == (2, Decimal("0.60"), None)
    assert (no_date.age_years, no_date.share, no_date.amount, no_date.replaceable) == (
        None,
        None,
        None,
        None,
    )
    assert (old.amount, old.replaceable) == (Decimal("0.00"), False)


def test_an_empty_estimate_is_zero_and_complete() -> None:
    estimate = estimate_refund([], date(2026, 1, 1))
    assert estimate.total == Decimal("0.00")
    assert estimate.is_complete


# ---------------------------------------------------------------- duties: confirmation


def test_confirming_every_duty_declares_the_claim() -> None:
    claim = a_claim()
    assert claim.state is ClaimState.REPORTED
    assert claim.pending_duties == (Duty.INSURER_DECLARATION, Duty.POLICE_REPORT, Duty.COMPLAINT)
    claim = confirm_duty(claim, Duty.INSURER_DECLARATION, NOW, NOW)
    claim = confirm_duty(claim, Duty.POLICE_REPORT, NOW, NOW)
    assert claim.state is ClaimState.REPORTED
    claim = confirm_duty(claim, Duty.COMPLAINT, NOW, NOW, reference="  PV-42 ")
    assert claim.state is ClaimState.DECLARED
    assert claim.duties_done[Duty.COMPLAINT].reference == "PV-42"
    assert claim.late_duties == ()


def test_a_duty_done_after_48_hours_is_late_but_accepted() -> None:
    late = DISCOVERED + timedelta(hours=49)
    claim = confirm_duty(a_claim(), Duty.INSURER_DECLARATION, late, late)
    assert claim.late_duties == (Duty.INSURER_DECLARATION,)


def test_a_duty_cannot_be_done_in_the_future() -> None:
    with pytest.raises(DomainError) as e:
        confirm_duty(a_claim(), Duty.POLICE_REPORT, NOW + timedelta(minutes=1), NOW)
    assert error_code(e) == "claim.error.duty_in_future"


def test_a_duty_cannot_precede_the_discovery() -> None:
    with pytest.raises(DomainError) as e:
        confirm_duty(a_claim(), Duty.POLICE_REPORT, DISCOVERED - timedelta(minutes=1), NOW)
    assert error_code(e) == "claim.error.duty_before_discovery"


def test_the_complaint_needs_a_reference() -> None:
    for reference in (None, "", "   "):
        with pytest.raises(DomainError) as e:
            confirm_duty(a_claim(), Duty.COMPLAINT, NOW, NOW, reference=reference)
        assert error_code(e) == "claim.error.reference_required"


def test_a_duty_not_of_this_kind_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # The table is the only place to change: shrink it as an amendment would.
    import bot.domain.claims as claims

    monkeypatch.setattr(
        claims,
        "DUTIES_BY_KIND",
        {**claims.DUTIES_BY_KIND, ClaimKind.DAMAGE: (Duty.INSURER_DECLARATION,)},
    )
    damage = open_claim(ClaimKind.DAMAGE, DISCOVERED, NOW)
    with pytest.raises(DomainError) as e:
        confirm_duty(damage, Duty.POLICE_REPORT, NOW, NOW)
    assert error_code(e) == "claim.error.duty_not_for_kind"
    assert confirm_duty(damage, Duty.INSURER_DECLARATION, NOW, NOW).state is ClaimState.DECLARED


# ---------------------------------------------------------------- pledge, completion, payment


def test_a_pledge_moves_the_claim_to_pledged_even_before_the_duties() -> None:
    claim = record_pledge(
        a_claim(), Decimal("120.504"), PaymentMode.VIA_COMMUNE, date(2026, 5, 1), NOW
    )
    assert claim.state is ClaimState.PLEDGED
    assert claim.pledge is not None
    assert claim.pledge.amount == Decimal("120.50")
    assert claim.pledge.received_at == NOW
    # duties confirmed later keep it pledged
    claim = confirm_duty(claim, Duty.INSURER_DECLARATION, NOW, NOW)
    assert claim.state is ClaimState.PLEDGED


def test_a_new_pledge_replaces_the_previous_one_before_completion() -> None:
    claim = record_pledge(
        pledged("500"), Decimal("450"), PaymentMode.VIA_COMMUNE, date(2026, 7, 1), NOW
    )
    assert claim.pledge is not None
    assert (claim.pledge.amount, claim.pledge.mode) == (Decimal("450.00"), PaymentMode.VIA_COMMUNE)


def test_a_pledge_needs_a_planned_date_and_a_non_negative_amount() -> None:
    with pytest.raises(DomainError) as e:
        record_pledge(declared(), Decimal("10"), PaymentMode.INSURER_DIRECT, None, NOW)
    assert error_code(e) == "claim.error.pledge_date_required"
    with pytest.raises(DomainError) as e:
        record_pledge(
            declared(), Decimal("-0.01"), PaymentMode.INSURER_DIRECT, date(2026, 6, 1), NOW
        )
    assert error_code(e) == "claim.error.negative_amount"


def test_a_pledge_planned_in_the_past_is_refused_naming_today() -> None:
    # NOW is 3 March 2026, 13:00 in Paris: today is 3 March.
    assert check_pledge_date(date(2026, 3, 3), date(2026, 3, 3)) == date(2026, 3, 3)
    with pytest.raises(DomainError) as e:
        check_pledge_date(date(2026, 3, 2), date(2026, 3, 3))
    assert error_code(e) == "claim.error.pledge_date_past"
    assert e.value.params == {"planned_on": date(2026, 3, 2), "today": date(2026, 3, 3)}
    with pytest.raises(DomainError) as e:
        record_pledge(declared(), Decimal("10"), PaymentMode.INSURER_DIRECT, date(2026, 3, 2), NOW)
    assert error_code(e) == "claim.error.pledge_date_past"
    today = record_pledge(
        declared(), Decimal("10"), PaymentMode.INSURER_DIRECT, date(2026, 3, 3), NOW
    )
    assert today.pledge is not None and today.pledge.planned_on == date(2026, 3, 3)
    # Late in the evening of 2 March in Paris it is already 2 March there, not 1 March.
    late = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # 23:30 in Paris
    pledge = record_pledge(
        a_claim(), Decimal("10"), PaymentMode.INSURER_DIRECT, date(2026, 3, 2), late
    )
    assert pledge.pledge is not None


def test_no_pledge_after_completion() -> None:
    claim = mark_complete(pledged(), date(2026, 3, 3), NOW)
    with pytest.raises(DomainError) as e:
        record_pledge(claim, Decimal("1"), PaymentMode.INSURER_DIRECT, date(2026, 6, 1), NOW)
    assert error_code(e) == "claim.error.pledge_after_complete"


def test_complete_without_pledge_is_refused() -> None:
    with pytest.raises(DomainError) as e:
        mark_complete(declared(), date(2026, 3, 3), NOW)
    assert error_code(e) == "claim.error.complete_without_pledge"


def test_complete_sets_the_amount_due_from_the_pledge_or_from_staff() -> None:
    claim = mark_complete(pledged("500"), date(2026, 3, 3), NOW)
    assert claim.state is ClaimState.COMPLETE
    assert (claim.completed_on, claim.amount_due) == (date(2026, 3, 3), Decimal("500.00"))
    claim = mark_complete(pledged("500"), date(2026, 3, 3), NOW, amount_due=Decimal("480.2"))
    assert claim.amount_due == Decimal("480.20")


def test_complete_cannot_be_in_the_future_or_twice() -> None:
    with pytest.raises(DomainError) as e:
        mark_complete(pledged(), date(2026, 3, 4), NOW)
    assert error_code(e) == "claim.error.complete_in_future"
    with pytest.raises(DomainError) as e:
        mark_complete(pledged(), date(2026, 3, 1), NOW)
    assert error_code(e) == "claim.error.complete_before_discovery"
    claim = mark_complete(pledged(), date(2026, 3, 3), NOW)
    with pytest.raises(DomainError) as e:
        mark_complete(claim, date(2026, 3, 3), NOW)
    assert error_code(e) == "claim.error.already_complete"


def test_no_payment_before_a_pledge() -> None:
    for claim in (a_claim(), declared()):
        with pytest.raises(DomainError) as e:
            record_payment(claim, Decimal("10"))
        assert error_code(e) == "claim.error.payment_before_pledge"


def test_a_payment_must_be_positive() -> None:
    for amount in ("0", "-5", "0.004"):
        with pytest.raises(DomainError) as e:
            record_payment(pledged(), Decimal(amount))
        assert error_code(e) == "claim.error.payment_not_positive"


def test_an_overpayment_is_refused() -> None:
    claim = mark_complete(pledged("500"), date(2026, 3, 3), NOW)
    claim = record_payment(claim, Decimal("300")).claim
    with pytest.raises(DomainError) as e:
        record_payment(claim, Decimal("200.01"))
    assert error_code(e) == "claim.error.overpayment"
    assert e.value.params["outstanding"] == Decimal("200.00")


def test_payments_add_up_to_paid_in_full() -> None:
    claim = mark_complete(pledged("500"), date(2026, 3, 3), NOW)
    first = record_payment(claim, Decimal("300"))
    assert (first.paid_in_full, first.outstanding) == (False, Decimal("200.00"))
    assert first.claim.state is ClaimState.COMPLETE
    second = record_payment(first.claim, Decimal("200"))
    assert (second.paid_in_full, second.outstanding) == (True, Decimal("0.00"))
    assert second.claim.state is ClaimState.PAID


def test_a_payment_after_the_pledge_but_before_completion_is_accepted() -> None:
    outcome = record_payment(pledged("500"), Decimal("500"))
    assert outcome.claim.state is ClaimState.PAID
    with pytest.raises(DomainError) as e:
        record_pledge(
            outcome.claim, Decimal("600"), PaymentMode.INSURER_DIRECT, date(2026, 6, 1), NOW
        )
    assert error_code(e) == "claim.error.already_paid"


def test_a_pledge_below_what_was_already_paid_is_refused() -> None:
    claim = record_payment(pledged("500"), Decimal("300")).claim
    with pytest.raises(DomainError) as e:
        record_pledge(claim, Decimal("299.99"), PaymentMode.INSURER_DIRECT, date(2026, 6, 1), NOW)
    assert error_code(e) == "claim.error.pledge_below_payments"


# ---------------------------------------------------------------- closing, reopening


def test_closing_with_money_owed_needs_a_reason() -> None:
    claim = mark_complete(pledged("500"), date(2026, 3, 3), NOW)
    for reason in (None, "", "  "):
        with pytest.raises(DomainError) as e:
            close(claim, NOW, reason)
        assert error_code(e) == "claim.error.close_reason_required"
    closed = close(claim, NOW, " abandon de créance ")
    assert closed.state is ClaimState.CLOSED
    assert (closed.closed_at, closed.close_reason) == (NOW, "abandon de créance")


def test_closing_before_any_pledge_needs_a_reason_too() -> None:
    with pytest.raises(DomainError) as e:
        close(a_claim(), NOW)
    assert error_code(e) == "claim.error.close_reason_required"
    assert close(a_claim(), NOW, "doublon").state is ClaimState.CLOSED


def test_paid_in_full_or_nothing_owed_closes_without_reason() -> None:
    paid = record_payment(mark_complete(pledged("500"), date(2026, 3, 3), NOW), Decimal("500"))
    assert close(paid.claim, NOW).state is ClaimState.CLOSED
    nothing_owed = pledged("0")
    assert nothing_owed.state is ClaimState.PLEDGED
    assert close(nothing_owed, NOW).state is ClaimState.CLOSED


def test_a_closed_claim_refuses_changes_until_reopened() -> None:
    closed = close(pledged("500"), NOW, "erreur de saisie")
    with pytest.raises(DomainError) as e:
        record_payment(closed, Decimal("1"))
    assert error_code(e) == "claim.error.closed"
    with pytest.raises(DomainError) as e:
        close(closed, NOW, "again")
    assert error_code(e) == "claim.error.closed"
    reopened = reopen(closed)
    assert reopened.state is ClaimState.PLEDGED
    assert (reopened.closed_at, reopened.close_reason) == (None, None)


def test_only_a_closed_claim_can_be_reopened() -> None:
    with pytest.raises(DomainError) as e:
        reopen(pledged())
    assert error_code(e) == "claim.error.not_closed"


def test_allowed_transitions_for_the_front_ends() -> None:
    assert allowed_transitions(ClaimState.REPORTED) == {
        ClaimState.DECLARED,
        ClaimState.PLEDGED,
        ClaimState.CLOSED,
    }
    assert allowed_transitions(ClaimState.PAID) == {ClaimState.CLOSED}
    assert ClaimState.CLOSED not in allowed_transitions(ClaimState.CLOSED)
    for state in ClaimState:
        assert state not in allowed_transitions(state)


def test_the_stored_state_is_what_the_facts_imply() -> None:
    for claim in (a_claim(), declared(), pledged(), close(pledged(), NOW, "x")):
        assert derive_state(claim) is claim.state


# ---------------------------------------------------------------- recovery of stolen items


def test_recovery_before_or_after_the_indemnity() -> None:
    told = date(2026, 3, 10)
    for kind in (ClaimKind.THEFT, ClaimKind.LOSS):  # lost items that turn up too (0017)
        assert (
            recovery_outcome(kind, indemnity_paid_on=None, told_on=told)
            is RecoveryOutcome.BEFORE_INDEMNITY
        )
        assert (
            recovery_outcome(kind, indemnity_paid_on=date(2026, 3, 9), told_on=told)
            is RecoveryOutcome.AFTER_INDEMNITY
        )
    with pytest.raises(DomainError) as e:
        recovery_outcome(ClaimKind.DAMAGE, indemnity_paid_on=None, told_on=told)
    assert error_code(e) == "claim.error.recovery_not_for_kind"


def test_the_recovery_window_ends_at_midnight_paris_fifteen_days_after_the_notice() -> None:
    told = paris(2026, 3, 1, 16, 30)
    deadline = recovery_request_deadline(told)
    assert deadline == paris(2026, 3, 17, 0, 0).astimezone(UTC)  # 16 March, 24:00
    assert can_request_recovery(told, paris(2026, 3, 16, 23, 59))
    assert not can_request_recovery(told, paris(2026, 3, 17, 0, 0))


def test_the_recovery_window_counts_calendar_days_across_a_dst_change() -> None:
    told = paris(2026, 3, 20, 9, 0)  # the clocks change on 29 March
    assert recovery_request_deadline(told) == datetime(2026, 4, 4, 22, 0, tzinfo=UTC)


# ---------------------------------------------------------------- security flag


def test_three_claims_within_a_year_raise_the_security_flag() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    theft, damage = ClaimKind.THEFT, ClaimKind.DAMAGE
    two = [(theft, now - timedelta(days=10)), (damage, now - timedelta(days=200))]
    assert HIGH_FREQUENCY_THRESHOLD == 3
    assert not is_high_frequency(two, now)
    assert is_high_frequency([*two, (theft, now - timedelta(days=365))], now)
    assert not is_high_frequency([*two, (theft, now - timedelta(days=365, seconds=1))], now)
    assert not is_high_frequency([*two, (theft, now + timedelta(days=1))], now)


def test_the_security_flag_counts_thefts_and_damage_but_not_losses() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    recent = now - timedelta(days=30)
    assert {ClaimKind.THEFT, ClaimKind.DAMAGE} == SECURITY_FLAG_KINDS
    assert counts_toward_security_flag("theft") and counts_toward_security_flag("damage")
    assert not counts_toward_security_flag(ClaimKind.LOSS)
    losses = [(ClaimKind.LOSS, recent)] * 5
    assert recent_claim_count(losses, now) == 0
    assert not is_high_frequency(losses, now)
    mixed = [("theft", recent), ("damage", recent), ("loss", recent), ("loss", recent)]
    assert recent_claim_count(mixed, now) == 2
    assert is_high_frequency([*mixed, ("damage", recent)], now)


def test_only_equipment_provided_by_sem_is_refunded_to_sem() -> None:
    from bot.domain.claims import covered_by_convention

    assert covered_by_convention("sem")
    assert covered_by_convention(None)  # an unknown tag carries SEM's label until shown otherwise
    assert not covered_by_convention("commune")


# ---------------------------------------------------------------- checks made as answers are typed


def test_a_duty_time_is_checked_alone_before_anything_is_written() -> None:
    at = DISCOVERED + timedelta(hours=1)
    assert check_duty_time(Duty.COMPLAINT, at, discovered_at=DISCOVERED, now=NOW) == at
    assert check_duty_time(Duty.COMPLAINT, DISCOVERED, discovered_at=DISCOVERED, now=NOW) == (
        DISCOVERED
    )
    with pytest.raises(DomainError) as e:
        check_duty_time(
            Duty.COMPLAINT, DISCOVERED - timedelta(minutes=1), discovered_at=DISCOVERED, now=NOW
        )
    assert error_code(e) == "claim.error.duty_before_discovery"
    with pytest.raises(DomainError) as e:
        check_duty_time(
            Duty.COMPLAINT, NOW + timedelta(minutes=1), discovered_at=DISCOVERED, now=NOW
        )
    assert error_code(e) == "claim.error.duty_in_future"


@pytest.mark.parametrize("typed", ["0", "0.00", "0.004", "-5"])
def test_a_payment_of_nothing_or_less_is_refused(typed: str) -> None:
    with pytest.raises(DomainError) as e:
        check_payment_amount(Decimal(typed), Decimal("640.00"))
    assert error_code(e) == "claim.error.payment_not_positive"


def test_a_payment_is_rounded_to_the_cent_and_may_settle_what_is_owed_exactly() -> None:
    assert check_payment_amount(Decimal("0.005"), Decimal("640.00")) == Decimal("0.01")
    assert check_payment_amount(Decimal("640"), Decimal("640.00")) == Decimal("640.00")
    with pytest.raises(DomainError) as e:
        check_payment_amount(Decimal("640.01"), Decimal("640.00"))
    assert error_code(e) == "claim.error.overpayment"
    assert e.value.params == {"amount": Decimal("640.01"), "outstanding": Decimal("640.00")}


def test_a_payment_is_made_today_at_the_latest() -> None:
    today = date(2026, 3, 10)
    assert check_payment_day(today, today) == today
    assert check_payment_day(date(2025, 12, 31), today) == date(2025, 12, 31)
    with pytest.raises(DomainError) as e:
        check_payment_day(date(2026, 3, 11), today)
    assert error_code(e) == "claim.error.payment_in_future"


def test_a_replaced_item_stays_stolen_or_lost_and_a_damaged_one_is_destroyed() -> None:
    assert state_when_replaced(ClaimKind.THEFT, "stolen") == "stolen"
    assert state_when_replaced("loss", "lost") == "lost"
    assert state_when_replaced(ClaimKind.DAMAGE, "in_service") == "destroyed"
    # A stolen item found again before the indemnity is in service, and stays so.
    assert state_when_replaced(ClaimKind.THEFT, "in_service") == "in_service"


def test_a_new_items_model_may_name_a_new_type_before_a_colon() -> None:
    assert read_new_model("  iPad 10 ") == (None, "iPad 10")
    assert read_new_model("ordinateur portable : ThinkPad E14") == ("laptop", "ThinkPad E14")
    assert read_new_model("Tablette: iPad 10") == ("tablet", "iPad 10")
    # A colon that does not follow a known type is part of the model.
    assert read_new_model("Epson EB: 535W") == (None, "Epson EB: 535W")
    for wrong in ("", "   ", "tablette :", "x" * 121):
        with pytest.raises(DomainError) as e:
            read_new_model(wrong)
        assert (e.value.code, e.value.params) == ("claim.error.new_model", {"max": 120})


@pytest.mark.parametrize("acquired", [date(2030, 1, 1), date(9999, 12, 31), date(2026, 3, 3)])
def test_an_acquisition_after_the_loss_leaves_the_item_to_estimate(acquired: date) -> None:
    """An inventory's typing error (a year 2030 or 9999) is no reason to refuse a report
    no other date could mend: the amount is « à estimer », replacement unknown."""
    lost = date(2026, 3, 2)
    assert item_refund(Decimal("459.90"), acquired, lost) is None
    assert is_replaceable(acquired, lost) is None
    item = ClaimItemFacts("SEM-1", None, Decimal("459.90"), acquired)
    estimate = estimate_refund([item], lost)
    assert estimate.unknown_count == 1 and estimate.total == Decimal("0.00")
    assert (estimate.lines[0].age_years, estimate.lines[0].share) == (None, None)
    assert estimate.lines[0].replaceable is None
