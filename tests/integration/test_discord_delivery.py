"""Discord's delivery adapter on the offline Discord, with a bare discord.py client.

What the services say reaches a DM channel or a staff room as markdown, cut within 2,000
characters, with its buttons on the last part; Discord's refusals become the neutral
errors the sweep knows; and the reminder sweep writes to a person who chose Discord there.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.domain.claims import ClaimKind
from bot.domain.platforms import DISCORD, TELEGRAM
from bot.services import claims, reminders
from bot.services.delivery import (
    Outgoing,
    Refused,
    Router,
    Throttled,
    Uncertain,
    Unreachable,
    actions,
)
from handlers.discord.delivery import discord_sender, dm_channel_id, neutral_errors
from handlers.discord.offline import OfflineDiscord, SimChannel, SimGuild, SimUser
from handlers.discord.offline.api import OfflineResponse
from handlers.discord.render import markdown
from storage.models import MessageRef, PlatformAccount
from tests.integration import test_claim_without_a_messenger as base
from tests.integration.test_claim_without_a_messenger import NOW, Demo

demo = base.demo

T0 = datetime(2026, 3, 9, 8, 30, tzinfo=UTC)
MESSAGES = "POST /channels/{channel_id}/messages"
CREATE_DM = "POST /users/@me/channels"
BUTTONS = actions(
    [
        [("Déclaré à la police", "clm:duty:42:police"), ("Assureur", "clm:duty:42:insurer")],
        [("Joindre une pièce", "clm:attach:42")],
    ]
)


class World:
    def __init__(self, clock: FrozenClock | None = None) -> None:
        self.clock = clock or FrozenClock(T0)
        self.discord = OfflineDiscord(self.clock)
        self.school: SimGuild = self.discord.guild("PNE — équipe")
        self.staff: SimChannel = self.discord.text_channel(self.school, "dossiers")
        self.alice: SimUser = self.discord.user("alice", guild=self.school)


@pytest.fixture
async def world() -> World:
    return World()


@pytest.fixture
async def client(world: World) -> AsyncIterator[discord.Client]:
    bare = discord.Client(intents=discord.Intents.default())
    await world.discord.connect(bare)
    yield bare
    await bare.close()


def to(channel: SimChannel | int, text: str, **kwargs: Any) -> Outgoing:
    chat_id = channel if isinstance(channel, int) else channel.id
    return Outgoing(chat_id, text, platform=DISCORD, **kwargs)


# -- what arrives ----------------------------------------------------------------------------


async def test_a_message_reaches_the_dm_channel_opened_at_registration(
    world: World, client: discord.Client
) -> None:
    chat_id = await dm_channel_id(client, world.alice.id)

    dm = world.discord.dm_channel(world.alice)
    assert chat_id == dm.id
    assert await dm_channel_id(client, world.alice.id) == chat_id  # the same, every time
    send = discord_sender(client)

    sent = await send(
        to(chat_id, "<b>Rappel</b> : sinistre <code>S-2026-0042</code>", actions=BUTTONS)
    )

    posted = world.discord.last_message(dm)
    assert sent == posted.id
    assert posted.content == "**Rappel** : sinistre `S-2026-0042`"
    assert posted.buttons == [
        ("Déclaré à la police", "clm:duty:42:police"),
        ("Assureur", "clm:duty:42:insurer"),
        ("Joindre une pièce", "clm:attach:42"),
    ]
    assert [len(row["components"]) for row in posted.components] == [2, 1]


async def test_hostile_user_text_arrives_literally_and_pings_nobody(
    world: World, client: discord.Client
) -> None:
    hostile = f"**x** @everyone <@{world.alice.id}> `code` [ici](https://evil.example)"
    text = f"<b>Nouveau message</b> de Camille :\n{html.escape(hostile, quote=False)}"

    await discord_sender(client)(to(world.staff, text))

    posted = world.discord.last_message(world.staff)
    assert posted.content == markdown(text)
    assert posted.data["mentions"] == [] and not posted.data["mention_everyone"]
    [request] = world.discord.sent(MESSAGES)
    assert request.body["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in posted.content and f"<@{world.alice.id}>" not in posted.content


async def test_a_long_text_arrives_in_three_parts_with_the_buttons_on_the_last(
    world: World, client: discord.Client
) -> None:
    lines = [f"Ligne {n:02} — " + " ".join(["matériel"] * 8) for n in range(61)]
    text = "<b>Inventaire</b>\n<b>" + "\n".join(lines) + "</b>"
    assert 5000 <= len(markdown(text)) <= 5200

    sent = await discord_sender(client)(to(world.staff, text, actions=BUTTONS))

    parts = world.discord.messages(world.staff)
    assert len(parts) == 3
    assert sent == parts[-1].id
    assert all(len(p.content) <= 2000 for p in parts)
    assert all(p.content.count("**") % 2 == 0 for p in parts)
    assert [bool(p.components) for p in parts] == [False, False, True]
    assert [cid for _, cid in parts[-1].buttons] == [b.action for row in BUTTONS for b in row]
    shown = "\n".join(p.content.replace("**", "") for p in parts)
    assert shown == "\n".join(["Inventaire", *lines])  # nothing lost at the cuts


# -- what Discord refuses --------------------------------------------------------------------


async def test_a_forbidden_send_is_unreachable(world: World, client: discord.Client) -> None:
    world.discord.fail(MESSAGES, status=403)
    with pytest.raises(Unreachable, match="403"):
        await discord_sender(client)(to(world.staff, "bonjour"))


async def test_an_unknown_channel_or_user_is_unreachable(
    world: World, client: discord.Client
) -> None:
    with pytest.raises(Unreachable, match="10003"):
        await discord_sender(client)(to(world.discord.snowflake(), "bonjour"))
    with pytest.raises(Unreachable, match="50007"):
        await dm_channel_id(client, world.discord.snowflake())


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (403, 50007, "Cannot send messages to this user"),
        (403, 50001, "Missing Access"),
        (404, 10003, "Unknown Channel"),
        (404, 10013, "Unknown User"),
    ],
)
async def test_discord_s_codes_for_a_gone_address_are_unreachable(
    status: int, code: int, message: str
) -> None:
    error_class = discord.Forbidden if status == 403 else discord.NotFound
    body = {"code": code, "message": message}

    async def refused() -> None:
        raise error_class(OfflineResponse(status, body), body)

    with pytest.raises(Unreachable, match=str(code)):
        await neutral_errors(refused)


async def test_an_invalid_form_body_is_refused(world: World, client: discord.Client) -> None:
    world.discord.fail(MESSAGES, status=400)
    with pytest.raises(Refused, match="400"):
        await discord_sender(client)(to(world.staff, "bonjour"))

    too_many = actions([[(f"b{m}{n}", f"a:{m}:{n}") for n in range(5)] for m in range(6)])
    with pytest.raises(Refused, match="6 rows"):
        await discord_sender(client)(to(world.staff, "bonjour", actions=too_many))
    assert world.discord.messages(world.staff) == []


async def test_a_429_beyond_discord_py_s_retries_is_throttled(
    world: World, client: discord.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def no_wait(delay: float, result: Any = None) -> Any:
        waits.append(delay)
        return await real_sleep(0, result)

    monkeypatch.setattr(asyncio, "sleep", no_wait)
    world.discord.rate_limit(MESSAGES, retry_after=7.5, times=5)

    with pytest.raises(Throttled) as throttled:
        await discord_sender(client)(to(world.staff, "bonjour"))

    assert throttled.value.delay == timedelta(seconds=7.5)
    assert [r.status for r in world.discord.sent(MESSAGES)] == [429] * 5  # discord.py tried
    assert waits.count(7.5) >= 4


async def test_a_wait_longer_than_the_client_accepts_is_throttled_at_once(
    world: World,
) -> None:
    impatient = discord.Client(intents=discord.Intents.default(), max_ratelimit_timeout=30)
    await world.discord.connect(impatient)
    try:
        world.discord.rate_limit(MESSAGES, retry_after=120)
        with pytest.raises(Throttled) as throttled:
            await discord_sender(impatient)(to(world.staff, "bonjour"))
    finally:
        await impatient.close()

    assert throttled.value.delay == timedelta(seconds=120)
    assert len(world.discord.sent(MESSAGES)) == 1


async def test_server_errors_pass_through_and_a_time_out_is_uncertain(
    world: World, client: discord.Client
) -> None:
    world.discord.fail(MESSAGES, status=503)
    with pytest.raises(discord.DiscordServerError):
        await discord_sender(client)(to(world.staff, "bonjour"))

    world.discord.time_out(MESSAGES)  # the message may have been posted (decision 0074)
    with pytest.raises(Uncertain):
        await discord_sender(client)(to(world.staff, "bonjour"))

    await discord_sender(client)(to(world.staff, "enfin"))
    assert [m.content for m in world.discord.messages(world.staff)] == ["enfin"]


async def test_another_platform_s_address_is_unreachable(
    world: World, client: discord.Client
) -> None:
    with pytest.raises(Unreachable, match="not a Discord address"):
        await discord_sender(client)(Outgoing(world.staff.id, "bonjour", platform=TELEGRAM))
    assert world.discord.sent(MESSAGES) == []


# -- the sweep -------------------------------------------------------------------------------


async def test_the_sweep_reminds_a_person_who_chose_discord_there(demo: Demo) -> None:
    d = demo
    db = d.services.db
    world = World(FrozenClock(NOW))
    claude = world.discord.user("claude", guild=world.school)
    client = discord.Client(intents=discord.Intents.default())
    await world.discord.connect(client)
    try:
        chat_id = await dm_channel_id(client, claude.id)  # what registration stores
        async with db.uow() as uow:
            person = await uow.people.get(d.people["Claude"])
            assert person is not None
            person.accounts.append(
                PlatformAccount(
                    platform=DISCORD,
                    external_user_id=claude.id,
                    chat_id=chat_id,
                    created_at=NOW,
                )
            )
            person.preferred_platform = DISCORD
            await uow.commit()
        reported = await claims.report_claim(
            db,
            claims.ReportClaim(
                reporter_id=d.people["Camille"],
                school_id=d.school_id,
                kind=ClaimKind.THEFT,
                discovered_at=NOW - timedelta(hours=1),
                description="Classe fracturée **pendant** le week-end @everyone",
                items=(claims.ItemRequest(asset_tag="SEM-DEMO-0001"),),
            ),
            NOW,
        )
        claim = reported.claim
        on_telegram: list[Outgoing] = []

        async def telegram(message: Outgoing) -> int:
            on_telegram.append(message)
            return 1

        router = Router()
        router.register(TELEGRAM, telegram)
        router.register(DISCORD, discord_sender(client))

        report = await reminders.sweep(
            db, d.services.renderers, router, now=NOW + timedelta(hours=24), worker="t"
        )
    finally:
        await client.close()

    assert report.sent == 1 and on_telegram == []
    [reminder] = world.discord.messages(chat_id)
    assert claim.number in reminder.content
    assert "<b>" not in reminder.content and "**" in reminder.content
    assert reminder.custom_ids == [
        *(f"clm:duty:{claim.id}:{duty.value}" for duty in claim.pending_duties),
        f"clm:pledge:{claim.id}",
        f"clm:attach:{claim.id}",
    ]
    async with db.uow() as uow:
        refs = (
            await uow.session.scalars(select(MessageRef).where(MessageRef.ticket_id == claim.id))
        ).all()
    assert [(r.platform, r.chat_id, r.message_id) for r in refs] == [
        (DISCORD, chat_id, reminder.id)
    ]
