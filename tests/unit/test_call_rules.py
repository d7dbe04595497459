"""The rules of calls for interest (art. 1 and 2): eligibility, the quantity and the
waiting list, the window in Paris time across a DST change, answers, reminders only to
schools that have not applied, the insurance certificate's reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.domain.calls import (
    KIND_CALL_REMINDER,
    KIND_CERTIFICATE_ESCALATION,
    KIND_CERTIFICATE_REMINDER,
    Application,
    Certificate,
    Eligibility,
    Quantity,
    Question,
    QuestionKind,
    Reach,
    check_allocation,
    check_answer,
    check_can_apply,
    check_publishable,
    extend,
    needs_reminder,
    plan_call_reminders,
    plan_certificate_reminders,
    plan_certificate_renewal,
    serve_waiting_list,
    window,
)
from bot.domain.errors import DomainError


def _refused(code: str, call, *args, **kwargs):  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as refused:
        call(*args, **kwargs)
    assert refused.value.code == code
    return refused.value


def test_eligibility_by_sector_body_and_level() -> None:
    school = {"sector": "private", "body_id": 7, "level": "maternelle"}
    assert Eligibility(Reach.ALL).admits(**school)
    assert not Eligibility(Reach.PUBLIC).admits(**school)
    assert Eligibility(Reach.PRIVATE).admits(**school)
    assert Eligibility(Reach.BODIES, body_ids=frozenset({7, 9})).admits(**school)
    assert not Eligibility(Reach.BODIES, body_ids=frozenset({9})).admits(**school)
    assert Eligibility(Reach.LEVELS, levels=frozenset({"maternelle"})).admits(**school)
    assert not Eligibility(Reach.LEVELS, levels=frozenset({"maternelle"})).admits(
        sector="public", body_id=1, level=None
    )
    _refused("call.error.no_bodies", Eligibility, Reach.BODIES)
    _refused("call.error.no_levels", Eligibility, Reach.LEVELS)


def test_never_more_than_the_call_holds() -> None:
    kits = Quantity(10, kit_size=16)  # ten classroom kits of 16 tablets
    assert kits.units == 160
    assert check_allocation(kits, [3, 4], 3) == 3
    error = _refused("call.error.over_quantity", check_allocation, kits, [3, 4], 4)
    assert error.params == {"left": 3, "asked": 4}
    _refused("call.error.allocation_positive", check_allocation, kits, [], 0)
    _refused("call.error.quantity", Quantity, 0)
    _refused("call.error.kit_size", Quantity, 3, kit_size=1)


def test_the_waiting_list_is_served_in_order_within_what_is_left() -> None:
    at = datetime(2026, 10, 1, tzinfo=UTC)
    waiting = [Application(1, at, asked=3), Application(2, at, asked=1), Application(3, at, 2)]
    # 2 left: the first asks 3 and waits on; the second (1) is served, then the third (2)
    # no longer fits.
    served = serve_waiting_list(Quantity(10), [8], waiting)
    assert [a.id for a in served] == [2]
    assert [a.id for a in serve_waiting_list(Quantity(10), [4], waiting)] == [1, 2, 3]
    assert serve_waiting_list(Quantity(10), [10], waiting) == []


def test_the_window_locks_at_the_closing_instant_in_paris_across_a_dst_change() -> None:
    # Opens Monday 23 March 2026 at 8:00 (UTC+1), closes Friday 3 April at 18:00 (UTC+2,
    # after the change of 29 March): each end is read in its own day's offset.
    call = window(date(2026, 3, 23), time(8, 0), date(2026, 4, 3), time(18, 0))
    assert call.opens_at == datetime(2026, 3, 23, 7, 0, tzinfo=UTC)
    assert call.closes_at == datetime(2026, 4, 3, 16, 0, tzinfo=UTC)
    check_can_apply(call, datetime(2026, 4, 3, 15, 59, 59, tzinfo=UTC))
    _refused("call.error.closed", check_can_apply, call, datetime(2026, 4, 3, 16, 0, tzinfo=UTC))
    _refused(
        "call.error.not_open_yet", check_can_apply, call, datetime(2026, 3, 23, 6, 59, tzinfo=UTC)
    )
    assert call.is_locked(datetime(2026, 4, 3, 16, 0, tzinfo=UTC))
    _refused(
        "call.error.closed_already",
        check_publishable,
        call,
        datetime(2026, 4, 4, tzinfo=UTC),
    )
    _refused(
        "call.error.window_short", window, date(2026, 3, 23), time(8), date(2026, 3, 23), time(20)
    )
    _refused("call.error.window_long", window, date(2026, 1, 1), time(8), date(2027, 6, 1), time(8))


def test_a_call_is_extended_only_to_a_later_closing_still_ahead() -> None:
    call = window(date(2026, 3, 23), time(8, 0), date(2026, 4, 3), time(18, 0))
    now = datetime(2026, 4, 1, tzinfo=UTC)
    later = extend(call, date(2026, 4, 10), time(18, 0), now)
    assert later.closes_at == datetime(2026, 4, 10, 16, 0, tzinfo=UTC)
    _refused("call.error.extend_earlier", extend, call, date(2026, 4, 2), time(18, 0), now)


def test_answers_are_checked_against_their_question() -> None:
    text = Question(QuestionKind.TEXT, "Votre projet")
    assert check_answer(text, "  Des tablettes pour le CP  ") == "Des tablettes pour le CP"
    _refused("call.error.answer_required", check_answer, text, "  ")
    _refused("call.error.answer_too_long", check_answer, text, "x" * 1501)
    number = Question(QuestionKind.NUMBER, "Élèves", minimum=1, maximum=2000)
    assert check_answer(number, "1 204") == 1204  # spaces between thousands are read
    _refused("call.error.number_expected", check_answer, number, "deux cents")
    error = _refused("call.error.number_range", check_answer, number, "2001")
    assert error.params == {"minimum": 1, "maximum": 2000}
    choice = Question(QuestionKind.CHOICE, "Niveau", choices=("cycle 1", "cycle 2"))
    assert check_answer(choice, "cycle 2") == "cycle 2"
    _refused("call.error.choice_expected", check_answer, choice, "cycle 4")
    _refused("call.error.choices", Question, QuestionKind.CHOICE, "Niveau", choices=("seul",))
    commitment = Question(QuestionKind.COMMITMENT, "L'équipe suivra la formation")
    assert check_answer(commitment, "yes") == "yes"
    _refused("call.error.commitment_required", check_answer, commitment, "no")
    _refused("call.error.yes_no", check_answer, commitment, "peut-être")
    optional = Question(QuestionKind.COMMITMENT, "Charte signée", required=False)
    assert check_answer(optional, "no") == "no" and check_answer(optional, "") is None


def test_reminders_7_days_and_1_day_before_the_closing_only_to_non_applicants() -> None:
    call = window(date(2026, 3, 23), time(8, 0), date(2026, 4, 3), time(18, 0))
    planned = plan_call_reminders(call, datetime(2026, 3, 23, 8, 0, tzinfo=UTC))
    assert [(p.kind, p.due_at) for p in planned] == [
        (KIND_CALL_REMINDER, datetime(2026, 3, 27, 8, 0, tzinfo=UTC)),  # 9:00, winter time
        (KIND_CALL_REMINDER, datetime(2026, 4, 2, 7, 0, tzinfo=UTC)),  # 9:00, summer time
    ]
    late = plan_call_reminders(call, datetime(2026, 3, 30, tzinfo=UTC))
    assert [p.key for p in late] == ["call:1d"]
    assert needs_reminder(eligible=True, applied=False)
    assert not needs_reminder(eligible=True, applied=True)
    assert not needs_reminder(eligible=False, applied=False)


def test_the_insurance_certificate_is_reminded_weekly_escalated_then_renewed() -> None:
    asked = datetime(2026, 9, 7, 12, 0, tzinfo=UTC)
    first = plan_certificate_reminders(asked, 1)
    assert [(p.kind, p.due_at, p.audience.value) for p in first] == [
        (KIND_CERTIFICATE_REMINDER, datetime(2026, 9, 14, 7, 0, tzinfo=UTC), "commune"),
        (KIND_CERTIFICATE_ESCALATION, datetime(2026, 10, 7, 7, 0, tzinfo=UTC), "staff"),
    ]
    assert [p.key for p in plan_certificate_reminders(asked, 2)] == ["certificate:2"]
    on_file = Certificate(date(2026, 1, 1), date(2026, 12, 31))
    assert on_file.covers(date(2026, 6, 1)) and not on_file.covers(date(2027, 1, 1))
    (renewal,) = plan_certificate_renewal(on_file, datetime(2026, 9, 7, tzinfo=UTC))
    assert renewal.due_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    (soon,) = plan_certificate_renewal(on_file, datetime(2026, 12, 20, tzinfo=UTC))
    assert soon.due_at == datetime(2026, 12, 20, tzinfo=UTC)
    _refused("call.error.certificate_dates", Certificate, date(2026, 2, 1), date(2026, 1, 1))
