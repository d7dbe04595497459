"""The authorization matrix on Discord: each role gets exactly the slash commands it may
use (the same catalogue as Telegram's, bot/services/commands.py), every command of the
tree included — a new one joins by being in the tree."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.roles import Role
from bot.services.commands import COMMANDS, Command
from handlers.discord.commands import _EXTRA, STRANGER
from handlers.discord.render import markdown
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_discord_fuzz import _answered, _leaves

ROLES: list[Role | None] = [None, Role.TEACHER, Role.DIRECTOR, Role.COMMUNE, Role.STAFF]
NAMES = {None: "stranger", **{r: r.value for r in Role}}


def _catalogued(name: str) -> Command:
    known = {c.name: c for c in COMMANDS} | _EXTRA
    assert name in known, f"/{name} is in Discord's tree but not in the command catalogue"
    return known[name]


def _allowed(role: Role | None, command: Command) -> bool:
    from bot.domain.roles import can

    if role is None:
        return command.name in STRANGER
    if command.name in _EXTRA:  # /inscription: a registered person is told they are
        return True
    return command.action is None or can(role, command.action)


def _safe_options(side: DiscordSide, command: Any) -> dict[str, Any]:
    import discord

    values: dict[str, Any] = {}
    for parameter in command.parameters:
        if not parameter.required:
            continue
        if parameter.choices:
            values[parameter.name] = parameter.choices[0].value
        elif parameter.type is discord.AppCommandOptionType.integer:
            values[parameter.name] = 1
        elif parameter.type is discord.AppCommandOptionType.attachment:
            values[parameter.name] = side.discord.file("a.pdf", b"%PDF-1.4", "application/pdf")
        else:
            values[parameter.name] = "S-2026-0001"
    return values


@pytest.mark.parametrize("role", ROLES, ids=[NAMES[r] for r in ROLES])
async def test_each_role_gets_exactly_the_discord_commands_it_may_use(
    both: tuple[World, DiscordSide], role: Role | None
) -> None:
    world, side = both
    i18n = world.app.bot_data["services"].i18n
    refusals = {
        markdown(i18n.t("fr", "common.error.forbidden")),
        markdown(i18n.t("fr", "discord.stranger")),
    }
    user = side.user("eve") if role is None else await side.registered(world, "eve", role)
    leaves = _leaves(side.client.tree)
    assert leaves, "the tree has no command"
    for leaf in leaves:
        name = leaf.qualified_name.split()[0]
        command = _catalogued(name)
        record = await side.discord.slash(
            user, leaf.qualified_name, _safe_options(side, leaf), channel=side.hall
        )
        await side.discord.settle()
        answer = _answered(side, record)
        refused = answer in refusals
        expected = _allowed(role, command)
        assert refused is not expected, (
            f"/{leaf.qualified_name} for {NAMES[role]}: "
            f"{'allowed' if expected else 'refused'} expected, got {answer[:80]!r}"
        )
    assert side.discord.sent(ok=False) == []
