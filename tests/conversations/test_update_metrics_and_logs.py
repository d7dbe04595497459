"""Updates and interactions move the counters; JSON log lines name ids, never a name or a
text (decision 0070)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bot.domain.roles import Role
from bot.observability.logs import configure
from bot.observability.metrics import Metrics, metrics_of
from tests.conversations.conftest import DiscordSide, World

TOO_LONG = "Bad Request: message is too long"


def metrics(world: World) -> Metrics:
    return metrics_of(world.app.bot_data["services"].extra)


def count(world: World, name: str, platform: str, handler: str) -> float:
    value = metrics(world).registry.get_sample_value(
        name, {"platform": platform, "handler": handler}
    )
    return value or 0.0


@contextmanager
def json_log() -> Iterator[io.StringIO]:
    """The command line's JSON logging, at DEBUG, into a buffer; put back after."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    names = ("telegram", "discord", "aiohttp", "httpx", "alembic")
    levels = {name: logging.getLogger(name).level for name in names}
    stream = io.StringIO()
    configure("DEBUG", "json", stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved[1]
        root.setLevel(saved[0])
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def test_a_handled_update_and_a_failed_one_move_their_counters(world: World) -> None:
    zoe = await world.registered("Zoé", Role.TEACHER)
    handled = count(world, "pne_updates_handled_total", "telegram", "/aide")
    await world.api.send_text(zoe, "/aide")
    assert count(world, "pne_updates_handled_total", "telegram", "/aide") == handled + 1
    assert count(world, "pne_updates_failed_total", "telegram", "/aide") == 0

    world.api.fail("sendMessage", status=400, description=TOO_LONG)
    await world.api.send_text(zoe, "/aide")
    assert count(world, "pne_updates_handled_total", "telegram", "/aide") == handled + 2
    assert count(world, "pne_updates_failed_total", "telegram", "/aide") == 1


async def test_what_a_person_types_never_becomes_a_label(world: World) -> None:
    zoe = await world.registered("Zoé", Role.TEACHER)
    await world.api.send_text(zoe, "/n_importe_quoi_42")
    await world.api.send_text(zoe, "bonjour")
    assert count(world, "pne_updates_handled_total", "telegram", "command") == 1
    assert count(world, "pne_updates_handled_total", "telegram", "message") == 1
    text = metrics(world).exposition().decode()
    assert "n_importe_quoi" not in text and "bonjour" not in text


async def test_json_log_lines_name_the_update_and_person_but_no_name_or_text(
    world: World,
) -> None:
    zoe = await world.registered("Zoéline Quatremare", Role.TEACHER)
    world.api.fail("sendMessage", status=400, description=TOO_LONG)
    with json_log() as stream:
        await world.api.send_text(zoe, "/aide mon vélo volé rue Secrète")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, "the failure is logged"
    failure = next(line for line in lines if line["message"].startswith("error while handling"))
    assert failure["level"] == "ERROR"
    assert isinstance(failure["update_id"], int)
    assert isinstance(failure["person_id"], int)
    assert str(failure["person_id"]) in failure["message"]
    everything = stream.getvalue()
    for private in ("Zoéline", "Quatremare", "vélo", "Secrète"):
        assert private not in everything


async def test_a_discord_interaction_moves_the_counters(both: tuple[World, DiscordSide]) -> None:
    world, discord = both
    alice = await discord.registered(world, "Alice", Role.TEACHER)
    before = count(world, "pne_updates_handled_total", "discord", "command:aide")
    await discord.discord.slash(alice, "aide", {}, channel=discord.hall)
    assert count(world, "pne_updates_handled_total", "discord", "command:aide") == before + 1
    assert count(world, "pne_updates_handled_total", "discord", "command:inscription") == 1


async def test_a_line_written_about_one_ticket_names_its_number(world: World) -> None:
    from tests.conversations.test_claims import report_two_tablets

    zoe = await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    await report_two_tablets(world, zoe)
    await world.api.tap(zoe, world.api.last(zoe.id), "✅ Confirmer l'envoi")
    world.api.fail("sendMessage", status=400, description=TOO_LONG)
    with json_log() as stream:
        await world.api.send_text(staff, "/dossier S-2026-0001")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    failure = next(line for line in lines if line["message"].startswith("error while handling"))
    assert failure["ticket"] == "S-2026-0001"
    async with world.db.uow() as uow:
        ticket = await uow.tickets.by_number("S-2026-0001")
    assert ticket is not None and failure["ticket_id"] == ticket.id
    assert isinstance(failure["update_id"], int) and isinstance(failure["person_id"], int)


async def test_a_discord_failure_names_the_interaction_and_the_person(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    alice = await side.registered(world, "Alicia Tournemire", Role.TEACHER)
    route = "POST /interactions/{interaction_id}/{interaction_token}/callback"
    side.discord.fail(route, status=400, times=2)
    with json_log() as stream:
        await side.discord.slash(alice, "aide", {}, channel=side.hall)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    failure = next(line for line in lines if "failed" in line["message"])
    assert isinstance(failure["interaction_id"], int)
    assert str(failure["interaction_id"]) in failure["message"]
    async with world.db.uow() as uow:
        person = await uow.people.by_account("discord", alice.id)
    assert person is not None and failure["person_id"] == person.id
    assert "Alicia" not in stream.getvalue() and "Tournemire" not in stream.getvalue()


async def test_a_reminder_line_names_its_ticket(world: World) -> None:
    from datetime import timedelta

    from tests.conversations.test_claims import report_two_tablets, sweep

    zoe = await world.registered("Zoé", Role.TEACHER)
    await world.registered("Claude", Role.COMMUNE)
    await report_two_tablets(world, zoe)
    await world.api.tap(zoe, world.api.last(zoe.id), "✅ Confirmer l'envoi")
    blocked = "Forbidden: bot was blocked by the user"
    world.api.fail("sendMessage", status=403, description=blocked, times=50)
    world.clock.advance(timedelta(hours=30))
    with json_log() as stream:
        await sweep(world)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    unreachable = [line for line in lines if "unreachable" in line["message"]]
    assert unreachable, "the blocked agent is logged"
    assert {line.get("ticket") for line in unreachable} == {"S-2026-0001"}
    assert all("update_id" not in line for line in unreachable)
