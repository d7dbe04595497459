"""The security condition of article 6: holding a flagged school's replacements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.errors import DomainError
from bot.domain.holds import (
    HOLD_REMINDER_EVERY,
    MAX_HOLD_TEXT,
    HoldFacts,
    check_can_place,
    check_replacement_allowed,
    hold_text,
    lift_hold,
    next_reminder_at,
    place_hold,
)

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def test_a_hold_is_placed_on_a_flagged_school_with_a_reason() -> None:
    hold = place_hold(7, "  Trois vols par la même fenêtre  ", NOW, flagged=True, open_hold=None)
    assert hold == HoldFacts(school_id=7, reason="Trois vols par la même fenêtre", placed_at=NOW)
    assert hold.is_open


def test_a_school_below_the_threshold_cannot_be_held() -> None:
    with pytest.raises(DomainError) as e:
        place_hold(7, "Vols", NOW, flagged=False, open_hold=None)
    assert e.value.code == "hold.error.not_flagged"


def test_one_hold_at_a_time_per_school() -> None:
    held = HoldFacts(school_id=7, reason="Vols", placed_at=NOW - timedelta(days=3))
    with pytest.raises(DomainError) as e:
        check_can_place(flagged=True, open_hold=held)
    assert e.value.code == "hold.error.already_open"
    assert e.value.params == {"since": held.placed_at}
    lifted = lift_hold(held, "Alarme posée", NOW)
    check_can_place(flagged=True, open_hold=lifted)  # a lifted one does not count


def test_a_reason_and_a_note_must_say_something_and_stay_short() -> None:
    with pytest.raises(DomainError) as e:
        place_hold(7, "   ", NOW, flagged=True, open_hold=None)
    assert e.value.code == "hold.error.reason_required"
    with pytest.raises(DomainError) as e:
        hold_text("x" * (MAX_HOLD_TEXT + 1), code="hold.error.reason_required")
    assert (e.value.code, e.value.params) == ("hold.error.too_long", {"max": MAX_HOLD_TEXT})
    held = HoldFacts(school_id=7, reason="Vols", placed_at=NOW)
    with pytest.raises(DomainError) as e:
        lift_hold(held, "", NOW)
    assert e.value.code == "hold.error.note_required"


def test_lifting_records_when_and_why_once() -> None:
    held = HoldFacts(school_id=7, reason="Vols", placed_at=NOW - timedelta(days=40))
    lifted = lift_hold(held, " Portes blindées posées ", NOW)
    assert (lifted.lifted_at, lifted.lift_note, lifted.is_open) == (
        NOW,
        "Portes blindées posées",
        False,
    )
    with pytest.raises(DomainError) as e:
        lift_hold(lifted, "encore", NOW)
    assert e.value.code == "hold.error.not_open"


def test_no_replacement_while_the_hold_is_open() -> None:
    held = HoldFacts(school_id=7, reason="Vols répétés", placed_at=NOW)
    with pytest.raises(DomainError) as e:
        check_replacement_allowed(held, school="École du Soleil")
    assert e.value.code == "hold.error.replacement_held"
    assert e.value.params == {"school": "École du Soleil", "since": NOW, "reason": "Vols répétés"}
    check_replacement_allowed(None, school="École du Soleil")
    check_replacement_allowed(lift_hold(held, "Fait", NOW), school="École du Soleil")


def test_the_body_is_reminded_every_30_days_counted_from_the_last_reminder() -> None:
    assert timedelta(days=30) == HOLD_REMINDER_EVERY
    assert next_reminder_at(NOW) == NOW + timedelta(days=30)
    # A reminder sent late (the bot was down) moves the next one: no burst of catch-ups.
    late = NOW + timedelta(days=45)
    assert next_reminder_at(late) == NOW + timedelta(days=75)
