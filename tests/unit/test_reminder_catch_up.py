"""The catch-up rule: one message per ticket, audience, person and purpose (decision 0024)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.reminders import Due, superseded

T = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)


def due(
    id: int,
    key: str,
    *,
    kind: str = "claim.duties.reminder",
    ticket: int | None = 7,
    audience: str = "commune",
    person: int | None = None,
    at: timedelta = timedelta(0),
) -> Due:
    return Due(id, key, kind, ticket, audience, person, T + at)


def test_the_latest_planned_reminder_supersedes_the_earlier_ones() -> None:
    rows = [
        due(1, "claim:7:duties:24h", at=-timedelta(hours=20)),
        due(2, "claim:7:duties:44h"),
    ]
    assert superseded(rows) == {1: "claim:7:duties:44h"}


def test_the_same_instant_keeps_the_last_planned_row() -> None:
    assert superseded([due(3, "a"), due(4, "b")]) == {3: "b"}


def test_other_purposes_audiences_people_and_tickets_are_kept() -> None:
    rows = [
        due(1, "r"),
        due(2, "escalation", kind="claim.duties.escalation", audience="staff"),
        due(3, "staff", audience="staff"),
        due(4, "person 5", audience="person", person=5),
        due(5, "person 6", audience="person", person=6),
        due(6, "other ticket", ticket=8),
    ]
    assert superseded(rows) == {}


def test_rows_without_a_ticket_are_never_grouped() -> None:
    assert superseded([due(1, "a", ticket=None), due(2, "b", ticket=None)]) == {}


def test_three_due_at_once_leave_only_the_last() -> None:
    rows = [
        due(i, f"d-{i}", kind="claim.payment.reminder", at=timedelta(days=i)) for i in (1, 2, 3)
    ]
    assert superseded(rows) == {1: "d-3", 2: "d-3"}
