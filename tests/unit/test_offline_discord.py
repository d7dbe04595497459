"""The offline Discord, driven by discord.py's real client and its command tree.

A tiny bot defined here answers a slash command with a button, edits on a tap, asks with a
modal, uploads files; the offline Discord refuses what Discord refuses (bodies against
Discord's OpenAPI description and its extra limits, the 3-second and 15-minute windows, a
second initial response) and serves injected faults that discord.py's own retry handles.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.http import Route

from bot.clock import FrozenClock
from handlers.discord.offline import OfflineDiscord, PostedMessage, SimChannel, SimGuild, SimUser
from handlers.discord.offline.schema import load_spec

T0 = datetime(2026, 3, 9, 8, 30, tzinfo=UTC)
MESSAGES = "POST /channels/{channel_id}/messages"
CALLBACK = "POST /interactions/{interaction_id}/{interaction_token}/callback"
FOLLOWUP = "POST /webhooks/{webhook_id}/{webhook_token}"


# -- the tiny bot ------------------------------------------------------------------------------


class Confirm(discord.ui.View):
    """A persistent view: no time-out, a fixed custom_id, registered in setup_hook."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Confirmer", style=discord.ButtonStyle.success, custom_id="t:ok")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="Confirmé", view=None)


class Schools(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(
        custom_id="t:school",
        options=[
            discord.SelectOption(label="Jules Ferry", value="jf"),
            discord.SelectOption(label="Victor Hugo", value="vh"),
        ],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"École {select.values[0]}", ephemeral=True)


class Claim(discord.ui.Modal, title="Déclarer un sinistre"):
    what = discord.ui.TextInput(label="Matériel", custom_id="t:what", max_length=60)
    how = discord.ui.TextInput(
        label="Circonstances", custom_id="t:how", style=discord.TextStyle.paragraph
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        if self.what.value == "encore":
            # A modal cannot answer a modal: Discord refuses the callback type.
            await interaction.response.send_modal(Claim())
            return
        await interaction.response.send_message(f"Reçu : {self.what.value} ({self.how.value})")

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        client = interaction.client
        assert isinstance(client, TinyBot)
        client.errors.append(error)


class Steps(discord.ui.View):
    """A view with discord.py's default time-out (a timer task the offline Discord ignores)."""

    @discord.ui.button(label="Suivant", custom_id="t:next")
    async def next_step(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="Étape 2", view=None)


class TinyBot(discord.Client):
    """Commands and views of a bot, its errors kept for the test to read."""

    def __init__(self, slow: Callable[[], Any] | None = None) -> None:
        super().__init__(intents=discord.Intents.default())
        self.tree = app_commands.CommandTree(self)
        self.errors: list[BaseException] = []
        self.seen: list[discord.Message] = []
        self.slow = slow or (lambda: None)
        self._add_commands()

        @self.tree.error
        async def on_tree_error(
            interaction: discord.Interaction, error: app_commands.AppCommandError
        ) -> None:
            self.errors.append(error.__cause__ or error)

    async def setup_hook(self) -> None:
        self.add_view(Confirm())

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        self.seen.append(message)
        if message.attachments:
            data = await message.attachments[0].read()
            await message.channel.send(
                f"{message.attachments[0].filename}: {len(data)} octets",
                file=discord.File(io.BytesIO(data[::-1]), filename="retour.bin"),
            )

    def _add_commands(self) -> None:
        tree = self.tree

        @tree.command(name="hello", description="Dire bonjour")
        async def hello(interaction: discord.Interaction) -> None:
            self.slow()
            await interaction.response.send_message("Bonjour", view=Confirm())

        @tree.command(name="say", description="Répéter")
        async def say(interaction: discord.Interaction, text: str) -> None:
            await interaction.response.send_message(text)

        @tree.command(name="claim", description="Déclarer")
        async def claim(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(Claim())

        @tree.command(name="schools", description="Choisir")
        async def schools(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Laquelle ?", view=Schools())

        @tree.command(name="bad_button", description="Un bouton trop long")
        async def bad_button(interaction: discord.Interaction) -> None:
            view = discord.ui.View()
            view.add_item(discord.ui.Button(label="x", custom_id="c" * 101))
            await interaction.response.send_message("?", view=view)

        @tree.command(name="twice", description="Répondre deux fois")
        async def twice(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Une")
            # A second client (another process) answering the same interaction.
            second = discord.InteractionResponse(interaction)
            await second.send_message("Deux")

        @tree.command(name="later", description="Différer puis suivre")
        async def later(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            self.slow()
            await interaction.followup.send("Voilà")
            await interaction.followup.send("Et encore", ephemeral=True)

        @tree.command(name="upload", description="Un fichier")
        async def upload(interaction: discord.Interaction, doc: discord.Attachment) -> None:
            data = await doc.read()
            await interaction.response.send_message(
                f"{doc.filename} ({len(data)})",
                file=discord.File(io.BytesIO(data.upper()), filename="copie.txt"),
            )

        @tree.command(name="ask_late", description="Un formulaire après coup")
        async def ask_late(interaction: discord.Interaction) -> None:
            await interaction.response.defer()
            await discord.InteractionResponse(interaction).send_modal(Claim())

        @tree.command(name="steps", description="Des étapes")
        async def steps(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Étape 1", view=Steps())

        @tree.command(name="progress", description="Suivre")
        async def progress(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.edit_original_response(content="1/2")
            note = await interaction.followup.send("note", ephemeral=True, wait=True)
            await note.edit(content="note relue")
            await interaction.edit_original_response(content="2/2")

        ticket = app_commands.Group(name="ticket", description="Tickets")

        @ticket.command(name="open", description="Ouvrir")
        async def ticket_open(interaction: discord.Interaction, title: str, count: int) -> None:
            await interaction.response.send_message(f"{title} ×{count}")

        tree.add_command(ticket)


# -- fixtures --------------------------------------------------------------------------------


class World:
    def __init__(self) -> None:
        self.clock = FrozenClock(T0)
        self.discord = OfflineDiscord(self.clock)
        self.school: SimGuild = self.discord.guild("École Jules Ferry")
        self.hall: SimChannel = self.discord.text_channel(self.school, "accueil")
        self.alice: SimUser = self.discord.user("alice", guild=self.school)

    async def start(self, bot: TinyBot) -> TinyBot:
        await self.discord.connect(bot)
        await bot.tree.sync()
        return bot


@pytest.fixture
async def world() -> AsyncIterator[World]:
    yield World()


@pytest.fixture
async def bot(world: World) -> AsyncIterator[TinyBot]:
    client = await world.start(TinyBot())
    yield client
    await client.close()


def _only_error(bot: TinyBot) -> discord.HTTPException:
    assert len(bot.errors) == 1, bot.errors
    error = bot.errors[0]
    assert isinstance(error, discord.HTTPException), error
    return error


# -- the happy paths -------------------------------------------------------------------------


async def test_login_syncs_commands_and_reaches_ready(world: World, bot: TinyBot) -> None:
    assert bot.is_ready()
    assert bot.user is not None and bot.user.id == world.discord.bot.id
    guild = bot.get_guild(world.school.id)
    assert guild is not None and guild.name == "École Jules Ferry"
    assert guild.get_channel(world.hall.id) is not None
    names = {command["name"] for command in world.discord.commands[None]}
    assert names == {
        "hello",
        "say",
        "claim",
        "schools",
        "bad_button",
        "twice",
        "later",
        "upload",
        "ask_late",
        "steps",
        "progress",
        "ticket",
    }
    shards, url, _ = await bot.http.get_bot_gateway()
    assert (shards, url) == (1, "wss://gateway.discord.gg")
    assert [r.route for r in world.discord.sent()][:2] == [
        "GET /users/@me",
        "GET /oauth2/applications/@me",
    ]


async def test_a_slash_command_answers_with_a_button_that_edits_the_message(
    world: World, bot: TinyBot
) -> None:
    record = await world.discord.slash(world.alice, "hello", channel=world.hall)

    assert record.response_type == 4
    shown = world.discord.last_message(world.hall)
    assert shown.content == "Bonjour"
    assert shown.buttons == [("Confirmer", "t:ok")]
    assert shown.id == record.original_id

    tap = await world.discord.tap(world.alice, shown, "t:ok")

    assert tap.response_type == 7
    edited = world.discord.message(shown.id)
    assert edited.content == "Confirmé"
    assert edited.components == []
    assert bot.errors == []


async def test_subcommand_options_reach_the_callback(world: World, bot: TinyBot) -> None:
    await world.discord.slash(
        world.alice, "ticket open", {"title": "Écran", "count": 3}, channel=world.hall
    )

    assert world.discord.last_message(world.hall).content == "Écran ×3"


async def test_a_select_choice_is_answered_ephemerally(world: World, bot: TinyBot) -> None:
    await world.discord.slash(world.alice, "schools", channel=world.hall)
    menu = world.discord.last_message(world.hall)

    await world.discord.choose(world.alice, menu, "t:school", ["vh"])

    answer = world.discord.last_message(world.hall)
    assert answer.content == "École vh"
    assert answer.ephemeral


async def test_a_modal_round_trip(world: World, bot: TinyBot) -> None:
    record = await world.discord.slash(world.alice, "claim", channel=world.hall)

    assert record.response_type == 9
    assert record.modal is not None and record.modal["title"] == "Déclarer un sinistre"

    await world.discord.submit_modal(
        world.alice, {"t:what": "Vidéoprojecteur", "t:how": "Chute pendant le cours"}
    )

    assert world.discord.last_message(world.hall).content == (
        "Reçu : Vidéoprojecteur (Chute pendant le cours)"
    )


async def test_a_deferred_response_becomes_the_first_follow_up(world: World, bot: TinyBot) -> None:
    record = await world.discord.slash(world.alice, "later", channel=world.hall)

    assert record.response_type == 5
    original = world.discord.message(record.original_id or 0)
    assert original.content == "Voilà" and not original.loading
    assert [world.discord.message(i).content for i in record.followup_ids] == ["Et encore"]
    assert world.discord.message(record.followup_ids[0]).ephemeral


async def test_a_deferred_update_edits_the_tapped_message(world: World, bot: TinyBot) -> None:
    await world.discord.slash(world.alice, "steps", channel=world.hall)
    shown = world.discord.last_message(world.hall)

    tap = await world.discord.tap(world.alice, shown, "t:next")

    assert tap.response_type == 6
    assert world.discord.message(shown.id).content == "Étape 2"
    assert world.discord.message(shown.id).components == []


async def test_edits_of_the_original_response_and_of_a_follow_up(
    world: World, bot: TinyBot
) -> None:
    record = await world.discord.slash(world.alice, "progress", channel=world.hall)

    original = world.discord.message(record.original_id or 0)
    assert (original.content, original.ephemeral, original.loading) == ("2/2", True, False)
    [note] = [world.discord.message(i) for i in record.followup_ids]
    assert (note.content, note.ephemeral) == ("note relue", True)
    assert bot.errors == []


async def test_attachments_go_both_ways(world: World, bot: TinyBot) -> None:
    doc = world.discord.file("note.txt", b"abc", "text/plain")

    await world.discord.slash(world.alice, "upload", {"doc": doc}, channel=world.hall)

    answer = world.discord.last_message(world.hall)
    assert answer.content == "note.txt (3)"
    [attachment] = answer.attachments
    assert attachment["filename"] == "copie.txt"
    assert world.discord.download(attachment["url"]) == b"ABC"
    [callback] = world.discord.sent(CALLBACK)
    assert [(f.filename, f.data) for f in callback.files] == [("copie.txt", b"ABC")]


async def test_a_dm_with_an_attachment_reaches_on_message(world: World, bot: TinyBot) -> None:
    dm = world.discord.dm_channel(world.alice)
    photo = world.discord.file("photo.png", b"\x89PNG-data", "image/png")

    await world.discord.say(world.alice, dm, "voici la photo", attachments=[photo])

    assert [m.content for m in bot.seen] == ["voici la photo"]
    reply = world.discord.last_message(dm)
    assert reply.content == "photo.png: 9 octets"
    assert world.discord.download(reply.attachments[0]["url"]) == b"\x89PNG-data"[::-1]

    await world.discord.slash(world.alice, "say", {"text": "en privé"}, channel=dm)

    assert world.discord.last_message(dm).content == "en privé"
    assert "guild_id" not in world.discord.last_message(dm).data


async def test_guild_message_content_needs_the_intent(world: World, bot: TinyBot) -> None:
    await world.discord.say(world.alice, world.hall, "bonjour le bot")

    assert [m.content for m in bot.seen] == [""]


async def test_a_forum_post_carries_its_tags_and_a_dm_channel_is_opened(
    world: World, bot: TinyBot
) -> None:
    forum = world.discord.forum_channel(world.school, "tickets", tags=["sinistre", "collecte"])
    await world.discord.settle()
    channel = bot.get_channel(forum.id)
    assert isinstance(channel, discord.ForumChannel)
    tag = next(t for t in channel.available_tags if t.name == "sinistre")

    created = await channel.create_thread(name="#12 Écran", content="Ouvert", applied_tags=[tag])

    [thread] = world.discord.threads(forum)
    assert thread.data["applied_tags"] == [str(tag.id)]
    assert world.discord.last_message(thread).content == "Ouvert"
    assert created.thread.id == thread.id

    channel_dm = await bot.create_dm(discord.Object(world.alice.id))
    await channel_dm.send("Rappel")
    dm = world.discord.dm_channel(world.alice)
    assert world.discord.last_message(dm).content == "Rappel"


# -- refusals --------------------------------------------------------------------------------


async def test_a_too_long_content_is_refused_with_50035(world: World, bot: TinyBot) -> None:
    await world.discord.slash(world.alice, "say", {"text": "é" * 2001}, channel=world.hall)

    error = _only_error(bot)
    assert error.status == 400 and error.code == 50035
    assert "In data.content: Must be 2000 or fewer in length." in error.text

    channel = bot.get_channel(world.hall.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send("x" * 2001)
    assert refused.value.code == 50035
    assert "In content: Must be 2000 or fewer in length." in refused.value.text
    assert world.discord.messages(world.hall) == []


async def test_a_custom_id_of_101_characters_is_refused(world: World, bot: TinyBot) -> None:
    await world.discord.slash(world.alice, "bad_button", channel=world.hall)

    error = _only_error(bot)
    assert error.code == 50035
    assert "data.components.0.components.0.custom_id: Must be 100 or fewer" in error.text


async def test_a_second_initial_response_is_refused_with_40060(world: World, bot: TinyBot) -> None:
    await world.discord.slash(world.alice, "twice", channel=world.hall)

    error = _only_error(bot)
    assert error.status == 400 and error.code == 40060
    assert [m.content for m in world.discord.messages(world.hall)] == ["Une"]


async def test_a_first_response_after_three_seconds_is_refused(world: World) -> None:
    bot = await world.start(TinyBot(slow=lambda: world.clock.advance(timedelta(seconds=3.5))))
    try:
        record = await world.discord.slash(world.alice, "hello", channel=world.hall)
    finally:
        await bot.close()

    error = _only_error(bot)
    assert isinstance(error, discord.NotFound) and error.code == 10062
    assert record.response_type is None
    assert world.discord.messages(world.hall) == []


async def test_a_follow_up_after_fifteen_minutes_is_refused(world: World) -> None:
    bot = await world.start(TinyBot(slow=lambda: world.clock.advance(timedelta(minutes=16))))
    try:
        record = await world.discord.slash(world.alice, "later", channel=world.hall)
    finally:
        await bot.close()

    error = _only_error(bot)
    assert error.status == 401 and error.code == 50027
    assert world.discord.message(record.original_id or 0).loading


async def test_a_modal_after_a_first_response_is_refused(world: World, bot: TinyBot) -> None:
    """discord.py refuses it itself; Discord refuses it too, for a second client that tries."""
    await world.discord.slash(world.alice, "ask_late", channel=world.hall)

    error = _only_error(bot)
    assert error.status == 400 and error.code == 40060
    record = list(world.discord.interactions.values())[-1]
    assert record.response_type == 5 and record.modal is None


async def test_a_modal_is_no_answer_to_a_modal(world: World, bot: TinyBot) -> None:
    await world.discord.slash(world.alice, "claim", channel=world.hall)
    first = world.discord.shown_modal(world.alice)

    submitted = await world.discord.submit_modal(world.alice, {"t:what": "encore", "t:how": "?"})

    error = _only_error(bot)
    assert error.code == 50035
    assert "In type: Value must be one of (4, 5, 6, 7)." in error.text
    assert submitted.response_type is None
    assert world.discord.shown_modal(world.alice) is first
    with pytest.raises(LookupError, match="already submitted"):
        await world.discord.submit_modal(world.alice, {"t:what": "PC", "t:how": "?"})


# -- faults ----------------------------------------------------------------------------------


async def test_a_429_is_retried_by_discord_py(world: World, bot: TinyBot) -> None:
    world.discord.rate_limit(MESSAGES, retry_after=0.001)
    channel = bot.get_channel(world.hall.id)
    assert isinstance(channel, discord.TextChannel)

    sent = await channel.send("Bonjour")

    first, second = world.discord.sent(MESSAGES)
    assert (first.status, first.fault) == (429, "rate_limit")
    assert first.answer["retry_after"] == 0.001
    assert second.ok and sent.id == int(second.answer["id"])
    assert [m.content for m in world.discord.messages(world.hall)] == ["Bonjour"]


async def test_a_429_on_an_interaction_callback_is_retried(world: World, bot: TinyBot) -> None:
    world.discord.rate_limit(CALLBACK, retry_after=0.001)

    record = await world.discord.slash(world.alice, "say", {"text": "ok"}, channel=world.hall)

    assert record.response_type == 4
    assert [r.status for r in world.discord.sent(CALLBACK)] == [429, 200]


async def test_server_errors_and_time_outs_reach_the_caller(world: World, bot: TinyBot) -> None:
    channel = bot.get_channel(world.hall.id)
    assert isinstance(channel, discord.TextChannel)
    world.discord.fail(MESSAGES, status=503)
    with pytest.raises(discord.DiscordServerError) as failed:
        await channel.send("un")
    assert failed.value.status == 503

    world.discord.time_out(MESSAGES)
    with pytest.raises(asyncio.TimeoutError):
        await channel.send("deux")

    await channel.send("trois")
    assert [m.content for m in world.discord.messages(world.hall)] == ["trois"]


async def test_a_500_is_retried_after_discord_py_s_pause(
    world: World, bot: TinyBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []
    real_sleep = asyncio.sleep

    async def no_wait(delay: float, result: Any = None) -> Any:
        pauses.append(delay)
        return await real_sleep(0, result)

    monkeypatch.setattr(asyncio, "sleep", no_wait)
    world.discord.fail(MESSAGES, status=500)
    channel = bot.get_channel(world.hall.id)
    assert isinstance(channel, discord.TextChannel)

    await channel.send("enfin")

    assert 1 in pauses
    assert [r.status for r in world.discord.sent(MESSAGES)] == [500, 200]


# -- persistence -----------------------------------------------------------------------------


async def test_a_persistent_view_answers_after_a_restart(world: World) -> None:
    first = await world.start(TinyBot())
    await world.discord.slash(world.alice, "hello", channel=world.hall)
    posted = world.discord.last_message(world.hall)
    await first.close()

    second = await world.start(TinyBot())
    try:
        await world.discord.tap(world.alice, posted, "t:ok")
    finally:
        await second.close()

    assert world.discord.message(posted.id).content == "Confirmé"
    assert second.errors == []


# -- the description and the extra limits ----------------------------------------------------


def test_the_description_routes_what_discord_py_sends() -> None:
    spec = load_spec()
    routes = [
        Route("GET", "/users/@me"),
        Route(
            "PUT",
            "/applications/{application_id}/guilds/{guild_id}/commands",
            application_id=1,
            guild_id=2,
        ),
        Route(
            "POST",
            "/interactions/{webhook_id}/{webhook_token}/callback",
            webhook_id=3,
            webhook_token="tok",
        ),
        Route(
            "PATCH",
            "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
            webhook_id=3,
            webhook_token="tok",
        ),
        Route("POST", "/channels/{channel_id}/threads", channel_id=4),
        Route("POST", "/users/@me/channels"),
    ]
    keys = []
    for route in routes:
        matched = spec.match(route.method, route.url.removeprefix(Route.BASE))
        assert matched is not None, route.url
        keys.append(matched[0].operation_id)
    assert keys == [
        "get_my_user",
        "bulk_set_guild_application_commands",
        "create_interaction_response",
        "update_original_webhook_message",
        "create_thread",
        "create_dm",
    ]


def test_limits_beyond_the_description() -> None:
    spec = load_spec()
    op = spec.operation(MESSAGES)
    button = {"type": 2, "style": 1, "label": "b", "custom_id": "same"}
    rows = [{"type": 1, "components": [dict(button, custom_id=f"b{i}")]} for i in range(6)]
    select = {"type": 3, "custom_id": "s", "options": [{"label": "a", "value": "a"}]}
    body = {
        "content": "x" * 2001,
        "components": [*rows, {"type": 1, "components": [select, button, dict(button)]}],
    }
    from handlers.discord.offline.schema import discord_limits

    found = {(e.dotted, e.code) for e in discord_limits(op, body)}
    assert ("content", "BASE_TYPE_MAX_LENGTH") in found
    assert ("components", "BASE_TYPE_MAX_LENGTH") in found
    assert ("components.6.components", "COMPONENT_LAYOUT_WIDTH_EXCEEDED") in found
    assert ("components.6.components.2.custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED") in found
    labels = [
        {"type": 1, "components": [{"type": 4, "custom_id": f"f{i}", "style": 1, "label": "L"}]}
        for i in range(6)
    ]
    callback = spec.operation(CALLBACK)
    modal = {"type": 9, "data": {"custom_id": "m", "title": "t", "components": labels}}
    assert [e.dotted for e in discord_limits(callback, modal)] == ["data.components"]
    options = [{"label": str(i), "value": str(i)} for i in range(26)]
    too_many = {
        "content": "?",
        "components": [
            {"type": 1, "components": [{"type": 3, "custom_id": "s", "options": options}]}
        ],
    }
    errors = spec.validate_body(op, too_many)
    assert [e.dotted for e in errors] == ["components.0.components.0.options"]
    embeds = {"embeds": [{"title": "t", "description": "d" * 4000} for _ in range(2)]}
    assert [(e.dotted, e.code) for e in discord_limits(op, embeds)] == [
        ("embeds", "MESSAGE_EMBEDS_TOO_LARGE")
    ]
    assert spec.validate_body(op, embeds) == []


def test_posted_message_reads_components() -> None:
    message = PostedMessage(
        {
            "id": "1",
            "channel_id": "2",
            "author": {"id": "3"},
            "components": [
                {
                    "type": 1,
                    "components": [
                        {"type": 2, "label": "A", "custom_id": "a", "style": 1},
                        {"type": 2, "label": "Site", "url": "https://example.org", "style": 5},
                    ],
                }
            ],
        }
    )
    assert message.buttons == [("A", "a"), ("Site", "https://example.org")]
    assert message.custom_ids == ["a"]
