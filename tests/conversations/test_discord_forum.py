"""The staff's forum on Discord: one post per ticket, staff's messages there are notes.

A claim reported on Telegram opens its post in the forum (named with its number and kind,
tagged « sinistre »), beside the staff's own notice on Telegram; a later message about
the same claim follows in the same post, also after the bot restarts; a staff member
writing in the post adds an internal note the reporter never sees; anyone else writing
there is ignored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.domain.platforms import DISCORD
from bot.domain.roles import Role
from bot.services import relay, tickets
from bot.services.delivery import Outgoing
from handlers.discord.app import PneDiscord
from handlers.discord.offline import OfflineDiscord
from handlers.discord.render import markdown
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_claims import report_two_tablets


@pytest.fixture
async def forum_side(world: World) -> AsyncIterator[tuple[World, DiscordSide, object]]:
    services = world.app.bot_data["services"]
    offline = OfflineDiscord(world.clock)
    guild = offline.guild("Plan numérique SEM")
    hall = offline.text_channel(guild, "accueil")
    forum = offline.forum_channel(guild, "dossiers", tags=["sinistre", "collecte"])
    services.settings.discord_staff_forum_id = forum.id  # the settings are read when needed
    client = PneDiscord(services)
    await offline.connect(client)
    await client.tree.sync()
    try:
        yield world, DiscordSide(offline, client, guild, hall), forum
    finally:
        await client.close()
        services.settings.discord_staff_forum_id = None


async def test_a_ticket_has_one_post_in_the_staff_forum_and_staff_write_notes_there(
    forum_side: tuple[World, DiscordSide, object],
) -> None:
    world, side, forum = forum_side
    services = world.app.bot_data["services"]
    sacha = await world.registered("Sacha", Role.STAFF)  # staff on Telegram
    teacher = await world.registered("Zoé", Role.TEACHER)
    await report_two_tablets(world, teacher)
    await world.api.tap(teacher, world.api.last(teacher.id), "✅ Confirmer l'envoi")
    # Staff hear of it on Telegram as before, and the claim opens its post in the forum.
    assert any("S-2026-0001" in t for t in world.texts(sacha))
    (post,) = side.discord.threads(forum)  # type: ignore[arg-type]
    assert post.data["name"] == "S-2026-0001 · sinistre"
    tag = next(t for t in forum.data["available_tags"] if t["name"] == "sinistre")  # type: ignore[attr-defined]
    assert post.data["applied_tags"] == [tag["id"]]
    first = side.discord.messages(post)
    assert len(first) == 1 and "S-2026-0001" in first[0].content
    claim_id = await tickets.find_ticket_id(world.db, "S-2026-0001")
    assert await tickets.forum_thread(world.db, DISCORD, claim_id) == post.id

    # A later message about the claim follows in the same post, even from a new client.
    await side.client.close()
    again = PneDiscord(services)
    await side.discord.connect(again)
    try:
        await services.router(
            Outgoing(forum.id, "Relance : <b>S-2026-0001</b>", (), claim_id, DISCORD)  # type: ignore[attr-defined]
        )
        assert len(side.discord.threads(forum)) == 1  # type: ignore[arg-type]
        assert side.discord.last_message(post).content == markdown("Relance : <b>S-2026-0001</b>")

        # A staff member on Discord writes in the post: an internal note.
        staff = side.user("camille")
        code = await world.invite(Role.STAFF)
        await side.discord.slash(staff, "inscription", {"code": code}, channel=side.hall)
        await side.discord.say(staff, post, "Appelé la mairie, dépôt de plainte en cours")
        noted = side.discord.last_message(post)
        assert noted.content.startswith("📝 Note interne ajoutée au dossier")
        person = await services_person(world, staff.id)
        thread = await relay.ticket_thread(world.db, person, claim_id)
        assert any("Appelé la mairie" in str(entry) for entry in thread.entries)
        # The reporter's view of the thread does not show it.
        reporter = await services_person(world, teacher.id, platform="telegram")
        theirs = await relay.ticket_thread(world.db, reporter, claim_id)
        assert not any("Appelé la mairie" in str(entry) for entry in theirs.entries)

        # A teacher writing in the post is not staff: ignored, nothing noted.
        other = await side.registered(world, "noe", Role.TEACHER)
        before = len(side.discord.messages(post))
        await side.discord.say(other, post, "je passe par là")
        assert len(side.discord.messages(post)) == before + 1  # only their own message
        assert side.discord.sent(ok=False) == []
    finally:
        await again.close()


async def services_person(world: World, user_id: int, *, platform: str = DISCORD) -> int:
    from bot.services import registration

    person = await registration.find_person(world.db, platform, user_id)
    assert person is not None
    return person.id


async def test_a_post_is_tagged_with_its_tickets_kind_and_state_as_the_state_changes(
    world: World,
) -> None:
    """The post carries the forum's tags of its ticket's kind and state, by name (French or
    English, as the forum's staff named them): « sinistre » and « déclaré » when reported;
    « clos » once closed, set again at the next message about it, and only then."""
    services = world.app.bot_data["services"]
    offline = OfflineDiscord(world.clock)
    guild = offline.guild("Plan numérique SEM")
    forum = offline.forum_channel(
        guild, "dossiers", tags=["Sinistre", "déclaré", "dossier complet", "closed", "collecte"]
    )
    tag = {t["name"]: t["id"] for t in forum.data["available_tags"]}
    services.settings.discord_staff_forum_id = forum.id
    client = PneDiscord(services)
    await offline.connect(client)
    try:
        sacha = await world.registered("Sacha", Role.STAFF)
        teacher = await world.registered("Zoé", Role.TEACHER)
        await report_two_tablets(world, teacher)
        await world.api.tap(teacher, world.api.last(teacher.id), "✅ Confirmer l'envoi")
        (post,) = offline.threads(forum)
        assert post.data["applied_tags"] == [tag["Sinistre"], tag["déclaré"]]

        claim_id = await tickets.find_ticket_id(world.db, "S-2026-0001")
        staff = await services_person(world, sacha.id, platform="telegram")
        from bot.services import claims

        await claims.close_claim(
            world.db, staff, claim_id, reason="Doublon", now=services.clock.now()
        )
        retag = "PATCH /channels/{channel_id}"
        assert offline.sent(retag) == []  # nothing is sent to the post until it is told
        note = Outgoing(forum.id, "Clos : <b>S-2026-0001</b>", (), claim_id, DISCORD)
        await services.router(note)
        assert post.data["applied_tags"] == [tag["Sinistre"], tag["closed"]]
        assert [r.ok for r in offline.sent(retag)] == [True]
        await services.router(note)  # the state has not changed: no second request
        assert len(offline.sent(retag)) == 1
        assert len(offline.messages(post)) == 3
    finally:
        await client.close()
        services.settings.discord_staff_forum_id = None
