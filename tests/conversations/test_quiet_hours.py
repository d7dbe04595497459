"""Reminders people read: none at night, one per catch-up (decisions 0023 and 0024).

A teacher reports a theft discovered on Tuesday 10 March 2026 at 08:00: the 48 h run to
Thursday 08:00, so the +44 h reminder (Thursday 04:00) would wake the commune's agent.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.dates import PARIS
from bot.domain.roles import Role
from tests.conversations.conftest import World
from tests.conversations.test_claims import report_two_tablets, sweep


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)  # type: ignore[misc]


def texts_to(world: World, chat_id: int) -> list[str]:
    """The reminders (⏰) and alerts of a missed deadline (🚨 Délai) a chat received."""
    return [
        m.text
        for m in world.api.messages(chat_id)
        if m.text is not None and m.text.startswith(("⏰", "🚨 Délai"))
    ]


async def test_the_night_reminder_goes_the_evening_before_and_the_alert_in_the_morning(
    world: World,
) -> None:
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    await report_two_tablets(world, teacher)  # discovered today 08:00
    await world.api.tap(teacher, world.api.last(teacher.id), "✅ Confirmer l'envoi")

    world.clock.set(paris(2026, 3, 11, 8, 0))  # +24 h
    assert (await sweep(world)).sent == 1
    world.clock.set(paris(2026, 3, 11, 19, 30))  # the last daytime slot before Thursday 08:00
    assert (await sweep(world)).sent == 1
    assert texts_to(world, agent.id)[-1].startswith("⏰ Sinistre S-2026-0001")
    assert len(texts_to(world, agent.id)) == 2

    world.clock.set(paris(2026, 3, 12, 4, 0))  # +44 h as planned: nobody is woken
    assert (await sweep(world)).claimed == 0
    world.clock.set(paris(2026, 3, 12, 8, 0))  # the deadline: staff alerted at 08:00
    assert (await sweep(world)).sent == 1
    assert texts_to(world, staff.id)[-1].startswith("🚨 Délai de 48 h dépassé")
    assert len(texts_to(world, agent.id)) == 2


async def test_after_an_outage_the_commune_gets_one_reminder_not_two(world: World) -> None:
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    await report_two_tablets(world, teacher)
    await world.api.tap(teacher, world.api.last(teacher.id), "✅ Confirmer l'envoi")

    # The bot is down from Tuesday to Wednesday 21:00: +24 h and the evening reminder are due.
    world.clock.set(paris(2026, 3, 11, 21, 0))
    report = await sweep(world)
    assert (report.sent, report.superseded) == (1, 1)
    assert len(texts_to(world, agent.id)) == 1
    assert (await sweep(world)).claimed == 0
