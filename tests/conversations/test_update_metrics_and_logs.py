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
