"""The rules of notices (art. 1 and 2): periods and dates, recommendations, reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.domain.errors import DomainError
from bot.domain.notices import (
    KIND_CLOSURE_REMINDER,
    KIND_NETWORK_ESCALATION,
    KIND_NETWORK_REMINDER,
    KIND_WORKS_BEFORE,
    KIND_WORKS_RETURN,
    RECOMMENDATIONS,
    ClassChange,
    NoticeKind,
    Recommendation,
    TrainingReason,
    WorksKind,
    check_class_date,
    check_period,
    plan_closure_reminders,
    plan_fibre_reminder,
    plan_network_reminders,
    plan_works_reminders,
    recommendations,
    text_of,
    training_reason,
)

TODAY = date(2026, 12, 2)
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_an_end_before_the_start_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        check_period(date(2027, 3, 1), date(2027, 2, 1), TODAY)
    assert refused.value.code == "notice.error.end_before_start"


def test_works_already_begun_may_be_told_but_not_works_over() -> None:
    assert check_period(date(2026, 11, 1), None, TODAY).end is None  # « à partir de »
    assert check_period(date(2026, 11, 1), date(2027, 1, 5), TODAY).start == date(2026, 11, 1)
    with pytest.raises(DomainError) as refused:
        check_period(date(2026, 10, 1), date(2026, 11, 1), TODAY)
    assert refused.value.code == "notice.error.ended"
    with pytest.raises(DomainError) as refused:
        check_period(date(2031, 1, 1), None, TODAY)
    assert refused.value.code == "notice.error.too_far"


def test_a_closure_in_the_past_is_refused_an_opening_is_not() -> None:
    with pytest.raises(DomainError) as refused:
        check_class_date(date(2026, 9, 1), ClassChange.CLOSING, TODAY)
    assert refused.value.code == "notice.error.closure_past"
    assert check_class_date(date(2026, 9, 1), "opening", TODAY) == date(2026, 9, 1)
    assert check_class_date(TODAY, "closing", TODAY) == TODAY


def test_every_kind_of_works_hears_that_sem_neither_fixes_nor_cables() -> None:
    assert set(RECOMMENDATIONS) == set(WorksKind)
    for kind in WorksKind:
        assert Recommendation.NO_FIXING in recommendations(kind)
        assert Recommendation.PROTECT_EQUIPMENT in recommendations(kind)
    assert Recommendation.FIBRE_TO_CABINET in recommendations("fibre_works")
    assert Recommendation.TELL_THE_NEW_PLACE in recommendations("move")
    assert Recommendation.FIBRE_TO_CABINET not in recommendations("other")


def test_works_are_reminded_a_week_before_and_the_day_after_their_end() -> None:
    planned = plan_works_reminders(check_period(date(2027, 2, 15), date(2027, 2, 26), TODAY), NOW)
    assert [(p.kind, p.due_at) for p in planned] == [
        (KIND_WORKS_BEFORE, datetime(2027, 2, 8, 8, 0, tzinfo=UTC)),
        (KIND_WORKS_RETURN, datetime(2027, 2, 27, 8, 0, tzinfo=UTC)),
    ]
    # Told three days before: no « a week before »; open-ended: no return to confirm.
    late = plan_works_reminders(check_period(date(2026, 12, 5), None, TODAY), NOW)
    assert late == []


def test_a_closure_is_reminded_two_weeks_and_two_days_before() -> None:
    planned = plan_closure_reminders(date(2027, 7, 5), NOW)
    assert [(p.kind, p.due_at) for p in planned] == [
        (KIND_CLOSURE_REMINDER, datetime(2027, 6, 21, 7, 0, tzinfo=UTC)),  # summer time
        (KIND_CLOSURE_REMINDER, datetime(2027, 7, 3, 7, 0, tzinfo=UTC)),
    ]
    assert len({p.key for p in planned}) == 2
    soon = plan_closure_reminders(date(2026, 12, 10), NOW)
    assert [p.due_at for p in soon] == [datetime(2026, 12, 8, 8, 0, tzinfo=UTC)]


def test_the_network_request_reminds_the_body_then_alerts_staff() -> None:
    planned = plan_network_reminders(NOW)
    assert [(p.kind, p.audience.value, p.due_at) for p in planned] == [
        (KIND_NETWORK_REMINDER, "commune", datetime(2026, 12, 17, 8, 0, tzinfo=UTC)),
        (KIND_NETWORK_ESCALATION, "staff", datetime(2027, 1, 1, 8, 0, tzinfo=UTC)),
    ]
    assert plan_fibre_reminder(NOW, 2).due_at == datetime(2027, 1, 31, 8, 0, tzinfo=UTC)


def test_a_class_change_records_a_training_need_works_do_not() -> None:
    assert training_reason(NoticeKind.CLASS, ClassChange.CLOSING) is TrainingReason.STRUCTURE_CHANGE
    assert training_reason(NoticeKind.WORKS) is None


def test_texts_are_required_and_bounded() -> None:
    with pytest.raises(DomainError) as refused:
        text_of("  ", limit=10, code="description")
    assert refused.value.code == "notice.error.description_required"
    with pytest.raises(DomainError) as refused:
        text_of("x" * 11, limit=10, code="rooms")
    assert (refused.value.code, refused.value.params) == (
        "notice.error.rooms_too_long",
        {"max": 10},
    )
    assert text_of(None, limit=10, code="rooms", required=False) is None
