"""Quiet hours: where a reminder due at night goes (decision 0023), DST changes included."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.config import Settings
from bot.domain.dates import PARIS
from bot.domain.deadlines import plan_duty_reminders, plan_payment_reminders
from bot.domain.quiet_hours import NO_QUIET_HOURS, QuietHours

QUIET = QuietHours()


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)  # type: ignore[misc]


def shown(instant: datetime) -> str:
    return instant.astimezone(PARIS).strftime("%d/%m/%Y %H:%M %Z")


def test_the_night_runs_from_20_00_included_to_08_00_excluded() -> None:
    assert not QUIET.is_quiet(paris(2026, 3, 10, 19, 59))
    assert QUIET.is_quiet(paris(2026, 3, 10, 20, 0))
    assert QUIET.is_quiet(paris(2026, 3, 11, 0, 0))
    assert QUIET.is_quiet(paris(2026, 3, 11, 7, 59))
    assert not QUIET.is_quiet(paris(2026, 3, 11, 8, 0))


def test_a_daytime_reminder_is_left_where_it_is() -> None:
    due = paris(2026, 3, 10, 10, 0)
    assert QUIET.place(due, deadline=due + timedelta(hours=24)) == due


def test_a_night_reminder_goes_the_next_morning_when_the_deadline_is_later() -> None:
    due = paris(2026, 3, 10, 23, 0)
    placed = QUIET.place(due, deadline=paris(2026, 3, 11, 23, 0), now=paris(2026, 3, 9, 23, 0))
    assert shown(placed) == "11/03/2026 08:00 CET"


def test_a_night_reminder_goes_the_evening_before_when_the_deadline_is_in_that_night() -> None:
    due = paris(2026, 3, 11, 0, 0)  # +44 h of a discovery at 04:00; deadline 04:00
    placed = QUIET.place(due, deadline=paris(2026, 3, 11, 4, 0), now=paris(2026, 3, 9, 10, 0))
    assert shown(placed) == "10/03/2026 19:30 CET"


def test_a_deadline_at_08_00_sharp_is_reminded_the_evening_before() -> None:
    placed = QUIET.place(
        paris(2026, 3, 12, 4, 0), deadline=paris(2026, 3, 12, 8, 0), now=paris(2026, 3, 10, 10, 0)
    )
    assert shown(placed) == "11/03/2026 19:30 CET"


def test_with_the_evening_already_past_the_reminder_goes_at_08_00() -> None:
    due = paris(2026, 3, 11, 2, 0)
    deadline = paris(2026, 3, 11, 6, 0)
    placed = QUIET.place(due, deadline=deadline, now=paris(2026, 3, 10, 21, 0))
    assert shown(placed) == "11/03/2026 08:00 CET"


def test_an_escalation_to_staff_waits_for_08_00_even_before_the_deadline() -> None:
    due = paris(2026, 3, 12, 4, 0)
    assert shown(QUIET.place(due, escalation=True)) == "12/03/2026 08:00 CET"
    assert shown(QUIET.place(paris(2026, 3, 12, 21, 0), escalation=True)) == "13/03/2026 08:00 CET"


def test_a_reminder_without_deadline_goes_the_next_morning() -> None:
    assert shown(QUIET.place(paris(2026, 3, 10, 22, 15))) == "11/03/2026 08:00 CET"


def test_the_morning_after_the_spring_change_is_08_00_summer_time() -> None:
    # Night of 28 to 29 March 2026: 02:00 CET becomes 03:00 CEST.
    placed = QUIET.place(paris(2026, 3, 28, 23, 0), deadline=paris(2026, 3, 30, 23, 0))
    assert shown(placed) == "29/03/2026 08:00 CEST"
    assert placed == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_the_evening_before_the_spring_change_is_19_30_winter_time() -> None:
    placed = QUIET.place(
        paris(2026, 3, 29, 4, 0),  # 04:00 CEST
        deadline=paris(2026, 3, 29, 6, 0),
        now=paris(2026, 3, 28, 12, 0),
    )
    assert shown(placed) == "28/03/2026 19:30 CET"
    assert placed == datetime(2026, 3, 28, 18, 30, tzinfo=UTC)


def test_the_morning_after_the_autumn_change_is_08_00_winter_time() -> None:
    # Night of 24 to 25 October 2026: 03:00 CEST becomes 02:00 CET (the night is 13 h long).
    placed = QUIET.place(paris(2026, 10, 24, 22, 0), deadline=paris(2026, 10, 26, 22, 0))
    assert shown(placed) == "25/10/2026 08:00 CET"
    assert placed == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
    # The repeated hour (02:30 happens twice) is in the night either way.
    assert QUIET.is_quiet(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))  # 02:30 CEST
    assert QUIET.is_quiet(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))  # 02:30 CET


def test_the_evening_before_the_autumn_change_is_19_30_summer_time() -> None:
    placed = QUIET.place(
        paris(2026, 10, 25, 5, 0),
        deadline=paris(2026, 10, 25, 7, 0),
        now=paris(2026, 10, 24, 9, 0),
    )
    assert shown(placed) == "24/10/2026 19:30 CEST"
    assert placed == datetime(2026, 10, 24, 17, 30, tzinfo=UTC)


def test_the_duty_reminders_of_a_discovery_at_4_in_the_morning() -> None:
    discovered = paris(2026, 3, 9, 4, 0)  # Monday
    planned = plan_duty_reminders(discovered, now=paris(2026, 3, 9, 9, 0))
    placed = [
        shown(QUIET.place(r.due_at, deadline=r.deadline, escalation=r.escalation, now=discovered))
        for r in planned
    ]
    assert [r.key for r in planned] == ["duties:24h", "duties:44h", "duties:escalation"]
    assert placed == [
        "10/03/2026 08:00 CET",  # +24 h = Tuesday 04:00: the morning is before the deadline
        "10/03/2026 19:30 CET",  # +44 h = Wednesday 00:00: the deadline (04:00) is that night
        "11/03/2026 08:00 CET",  # the escalation waits for the morning
    ]


def test_daytime_payment_reminders_are_untouched() -> None:
    for reminder in plan_payment_reminders(paris(2026, 6, 15, 12, 0).date()):
        assert QUIET.place(reminder.due_at, deadline=reminder.deadline) == reminder.due_at


def test_a_night_that_does_not_cross_midnight() -> None:
    early = QuietHours(time(0, 0), time(6, 0))
    assert not early.is_quiet(paris(2026, 3, 10, 23, 0))
    assert shown(early.place(paris(2026, 3, 11, 1, 0))) == "11/03/2026 06:00 CET"


def test_the_same_hour_twice_means_no_quiet_hours() -> None:
    due = paris(2026, 3, 10, 23, 0)
    assert not NO_QUIET_HOURS.enabled
    assert NO_QUIET_HOURS.place(due, escalation=True) == due


def test_the_bounds_come_from_the_settings() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        quiet_hours_start="21:00",  # type: ignore[arg-type]
        quiet_hours_end="07:30",  # type: ignore[arg-type]
    )
    hours = settings.quiet_hours
    assert not hours.is_quiet(paris(2026, 3, 10, 20, 30))
    assert shown(hours.place(paris(2026, 3, 10, 22, 0))) == "11/03/2026 07:30 CET"
