"""Random play of the Discord front end: whatever a person runs, taps, chooses or types,
the bot answers every interaction within Discord's rules, never fails, and never sends
what Discord would refuse.

Each example is a fresh bot on a copy of a database (the conversations' small directory)
with four people registered on Discord (a teacher and a head of École du Soleil, the
commune's agent, a staff member). A plan is a list of steps: one person runs one of the
tree's slash commands (every command, so each new one joins), with option values drawn
from hostile and ordinary texts (emoji counted as Discord counts, a NUL, markdown,
mentions, a 2,100-character text), then taps a button or chooses an option of the
answer, or fills the modal it shows with drawn texts. Derandomised: the same examples
each run; each command is also played once with its first choices, whatever the draw.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import discord
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.domain.roles import Role
from handlers.discord.offline import InteractionRecord, OfflineDiscord
from tests.conversations.conftest import DiscordSide, a_world
from tests.helpers import fuzz_budget

TEXTS = [
    "",
    "x",
    "SEM-0001",
    "S-2026-0001",
    "0420001Y",
    "hier 8h",
    "2",
    "-1",
    "99999999999999999999",
    "😀" * 1_100,
    "a\x00b",
    "**gras** __souligné__ `code` <b>html</b> &amp;",
    "@everyone <@123> @here",
    "l" * 2_100,
    "  ",
]
PEOPLE = ("teacher", "director", "commune", "staff")
ROLES = {
    "teacher": Role.TEACHER,
    "director": Role.DIRECTOR,
    "commune": Role.COMMUNE,
    "staff": Role.STAFF,
}

# A step: (who, command index, option draws, follow-up kind, follow-up index, texts).
STEP = st.tuples(
    st.sampled_from(PEOPLE),
    st.integers(0, 200),
    st.lists(st.integers(0, len(TEXTS) - 1), min_size=6, max_size=6),
    st.sampled_from(["none", "tap", "choose", "modal"]),
    st.integers(0, 50),
    st.lists(st.integers(0, len(TEXTS) - 1), min_size=5, max_size=5),
)
PLANS = st.lists(STEP, min_size=1, max_size=4)
INTERNAL = "une erreur s'est produite de notre côté"


def _leaves(
    tree: discord.app_commands.CommandTree[Any],
) -> list[discord.app_commands.Command[Any, ..., Any]]:
    found: list[Any] = []
    for command in tree.get_commands():
        if isinstance(command, discord.app_commands.Group):
            found.extend(
                c for c in command.walk_commands() if not isinstance(c, discord.app_commands.Group)
            )
        else:
            found.append(command)
    return sorted(found, key=lambda c: c.qualified_name)


def _options(side: DiscordSide, command: Any, draws: list[int]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for n, parameter in enumerate(command.parameters):
        draw = draws[n % len(draws)]
        if not parameter.required and draw % 3 == 0:
            continue
        kind = parameter.type
        if parameter.choices:
            values[parameter.name] = parameter.choices[draw % len(parameter.choices)].value
        elif kind is discord.AppCommandOptionType.integer:
            values[parameter.name] = [0, 1, 2, 7, -1, 10**9][draw % 6]
        elif kind is discord.AppCommandOptionType.number:
            values[parameter.name] = [0.0, 1.5, -2.0, 1e9][draw % 4]
        elif kind is discord.AppCommandOptionType.boolean:
            values[parameter.name] = bool(draw % 2)
        elif kind is discord.AppCommandOptionType.attachment:
            values[parameter.name] = side.discord.file(
                "piece.pdf", b"%PDF-1.4 fuzz", "application/pdf"
            )
        elif kind is discord.AppCommandOptionType.string:
            text = TEXTS[draw][:6000]
            values[parameter.name] = text if text.strip() or not parameter.required else "x"
        else:
            continue
    return values


def _answered(side: DiscordSide, record: InteractionRecord) -> str:
    """The visible text of the answer (its first message), or the modal's title."""
    if record.modal is not None:
        return str(record.modal.get("title", ""))
    if record.response_type in (4, 7) and record.response is not None:
        data = record.response.get("data", record.response)
        return str(data.get("content") or "")
    texts = [side.discord.message(i).content for i in record.followup_ids]
    if record.original_id is not None:
        texts.insert(0, side.discord.message(record.original_id).content)
    return "\n".join(texts)


def _components(
    side: DiscordSide, record: InteractionRecord
) -> tuple[int | None, list[dict[str, Any]]]:
    ids = [record.original_id, *record.followup_ids]
    for message_id in reversed([i for i in ids if i is not None]):
        message = side.discord.message(message_id)
        parts = message.walk()
        if parts:
            return message_id, parts
    return None, []


async def _play(url: str, plan: list[Any]) -> None:
    async with a_world(url, fresh=False) as world:
        from handlers.discord.app import PneDiscord

        services = world.app.bot_data["services"]
        offline = OfflineDiscord(world.clock)
        guild = offline.guild("Plan numérique SEM")
        hall = offline.text_channel(guild, "accueil")
        client = PneDiscord(services)
        await offline.connect(client)
        await client.tree.sync()
        side = DiscordSide(offline, client, guild, hall)
        try:
            people = {who: await side.registered(world, who, ROLES[who]) for who in PEOPLE}
            commands = _leaves(client.tree)
            for who, pick, draws, follow, index, texts in plan:
                user = people[who]
                command = commands[pick % len(commands)]
                record = await offline.slash(
                    user, command.qualified_name, _options(side, command, draws), channel=hall
                )
                await offline.settle()
                where = f"/{command.qualified_name} by {who}"
                assert record.response_type is not None, where
                assert INTERNAL not in _answered(side, record), where
                if follow == "modal" and record.modal is not None:
                    fields = [
                        c["custom_id"]
                        for row in record.modal.get("components", [])
                        for c in row.get("components", [])
                    ]
                    values = {f: TEXTS[texts[n % len(texts)]][:4000] for n, f in enumerate(fields)}
                    after = await offline.submit_modal(user, values, origin=record)
                    await offline.settle()
                    assert after.response_type is not None, where
                    assert INTERNAL not in _answered(side, after), where
                elif follow in ("tap", "choose"):
                    message_id, parts = _components(side, record)
                    buttons = [p for p in parts if p.get("type") == 2 and p.get("custom_id")]
                    selects = [p for p in parts if p.get("type") == 3]
                    if follow == "tap" and buttons and message_id is not None:
                        button = buttons[index % len(buttons)]
                        after = await offline.tap(user, message_id, button["custom_id"])
                    elif follow == "choose" and selects and message_id is not None:
                        select = selects[index % len(selects)]
                        option = select["options"][index % len(select["options"])]
                        after = await offline.choose(
                            user, message_id, select["custom_id"], [option["value"]]
                        )
                    else:
                        continue
                    await offline.settle()
                    assert after.response_type is not None, f"{where}, then {follow}"
                    assert INTERNAL not in _answered(side, after), f"{where}, then {follow}"
            refused = offline.sent(ok=False)
            assert refused == [], [(r.route, r.status, r.answer) for r in refused]
        finally:
            await client.close()


async def _count_commands(url: str) -> int:
    from bot.bootstrap import bootstrap
    from bot.config import Settings
    from handlers.discord.app import PneDiscord
    from storage.uow import Database

    db = Database(url)
    try:
        settings = Settings(telegram_token=None, database_url=url, _env_file=None)  # type: ignore[call-arg]
        return len(_leaves(PneDiscord(bootstrap(settings, db)).tree))
    finally:
        await db.close()


def test_random_play_of_the_discord_front_end(sqlite_template: Path, tmp_path: Path) -> None:
    prepared = tmp_path / "directory.sqlite3"
    shutil.copyfile(sqlite_template, prepared)

    async def prepare() -> None:
        async with a_world(f"sqlite+aiosqlite:///{prepared}"):
            pass

    asyncio.run(prepare())
    count = asyncio.run(_count_commands(f"sqlite+aiosqlite:///{prepared}"))

    @settings(
        **fuzz_budget(25),  # type: ignore[arg-type]
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(plan=PLANS)
    def play(plan: list[Any]) -> None:
        path = tmp_path / "fuzz.sqlite3"
        shutil.copyfile(prepared, path)
        asyncio.run(_play(f"sqlite+aiosqlite:///{path}", plan))

    # Every command once by every person, with its first choices (whatever the draw).
    for pick in range(count):
        for who in PEOPLE:
            play = example(plan=[(who, pick, [1] * 6, "tap", 0, [1] * 5)])(play)
    play()
