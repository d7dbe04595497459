"""The periodic reports reach each person on their own platform (decision 0059).

The bimonthly review goes to staff on Telegram as before and, to a staff member who chose
Discord, as the same summary, chart and workbook in their DM channel (never to the staff's
forum, whose posts are about one ticket each); a commune's yearly list of new equipment
reaches its agent on Discord with its workbook; a Discord DM that refuses the bot does not
stop the others, and the row says who was not served.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.domain.claims import ClaimKind
from bot.domain.roles import Role
from handlers.discord.app import PneDiscord
from handlers.discord.offline import OfflineDiscord
from handlers.telegram import reports
from storage.models import Reminder
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_reports import fresh, report

XLSX_CAPTION = "Bilan détaillé du 01/01/2026 au 28/02/2026"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
async def with_forum(world: World) -> AsyncIterator[tuple[World, DiscordSide, object]]:
    services = world.app.bot_data["services"]
    offline = OfflineDiscord(world.clock)
    guild = offline.guild("Plan numérique SEM")
    hall = offline.text_channel(guild, "accueil")
    forum = offline.forum_channel(guild, "dossiers", tags=["sinistre"])
    services.settings.discord_staff_forum_id = forum.id
    client = PneDiscord(services)
    await offline.connect(client)
    await client.tree.sync()
    try:
        yield world, DiscordSide(offline, client, guild, hall), forum
    finally:
        await client.close()
        services.settings.discord_staff_forum_id = None


async def test_the_review_reaches_staff_on_each_platform_and_not_the_forum(
    with_forum: tuple[World, DiscordSide, object],
) -> None:
    world, side, forum = with_forum
    offline = side.discord
    sacha = await world.registered("Sacha", Role.STAFF)  # on Telegram
    camille = await side.registered(world, "camille", Role.STAFF)  # on Discord
    teacher = await world.registered("Zoé", Role.TEACHER)
    await report(world, teacher, "SEM-0001", ClaimKind.THEFT, "2026-01-15T08:00")
    posts_before = len(offline.threads(forum))  # type: ignore[arg-type]
    world.api.clear()
    dm = offline.dm_channel(camille)
    before = len(offline.messages(dm))

    world.clock.set(at("2026-03-01T07:00"))  # 08:00 Paris
    run = await reports.run_reports(world.app, worker="test")

    assert run.outcomes == {"report:review:2026-03": "sent"}
    summary, chart, workbook = fresh(world, sacha)
    assert summary.text is not None and chart.photo is not None and workbook.document
    got = offline.messages(dm)[before:]
    assert got[0].content.startswith(
        "📅 **Bilan bimestriel pour le comité technique** : "
        "vols, pertes et dégradations du 01/01/2026 au 28/02/2026"
    )
    files = [(m.attachments[0]["filename"], m.content) for m in got if m.attachments]
    assert files == [
        (
            "bilan-sinistres-2026-01-01_2026-02-28.png",
            "Sinistres déclarés du 01/01/2026 au 28/02/2026, par commune et par nature",
        ),
        ("bilan-sinistres-2026-01-01_2026-02-28.xlsx", XLSX_CAPTION),
    ]
    xlsx = offline.download(got[-1].attachments[0]["url"])
    assert load_workbook(io.BytesIO(xlsx)).sheetnames[0]
    assert len(offline.threads(forum)) == posts_before  # type: ignore[arg-type]
    assert offline.sent(ok=False) == []
    world.api.assert_no_refusals()


async def test_a_communes_yearly_list_reaches_its_agents_on_discord(
    with_forum: tuple[World, DiscordSide, object],
) -> None:
    world, side, _ = with_forum
    offline = side.discord
    claude = await side.registered(world, "claude", Role.COMMUNE)  # Saint-Étienne, on Discord
    dominique = await side.registered(world, "dominique", Role.COMMUNE)  # Saint-Étienne too
    dm, other = offline.dm_channel(claude), offline.dm_channel(dominique)
    before, before_other = len(offline.messages(dm)), len(offline.messages(other))
    # The first DM written to refuses the bot (Discord's 403 « Cannot send messages to
    # this user »): the other agent is still served, and the row names who was not.
    offline.fail("POST /channels/{channel_id}/messages", status=403, times=1)

    world.clock.set(at("2027-01-15T07:00"))  # 15 January, 08:00 Paris
    run = await reports.run_reports(world.app, worker="test")

    st_etienne = world.ids["st_etienne"]
    assert run.outcomes[f"report:equipment:2026:{st_etienne}"] == "sent"
    served = offline.messages(dm)[before:] or offline.messages(other)[before_other:]
    assert offline.messages(dm)[before:] == [] or offline.messages(other)[before_other:] == []
    assert served[0].content.startswith(
        "📋 Aucun équipement installé en 2026 n'est daté dans les écoles de Saint-Étienne"
    )
    (sheet,) = [m.attachments[0]["filename"] for m in served if m.attachments]
    assert sheet.endswith(".xlsx")
    async with world.db.uow() as uow:
        row = await uow.session.scalar(
            select(Reminder).where(Reminder.key == f"report:equipment:2026:{st_etienne}")
        )
    assert row is not None and len(row.payload["failed"]) == 1
    assert "403" in next(iter(row.payload["failed"].values()))
