"""The slash commands of every person: register, help, profile, language, preferences,
/annuler.

Names are the Telegram ones where Discord allows them (French, English localisations from
the catalogs); the commands of each flow are added by their own module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.cards.profile import ProfileCard
from bot.domain.dates import local_date
from bot.domain.errors import DomainError
from bot.domain.platforms import DISCORD, TELEGRAM
from bot.i18n import LANGUAGES, Safe
from bot.services import drafts, registration
from bot.services.commands import COMMANDS, Command, commands_for, shown_name
from handlers.discord.context import Ctx, answer, context_of

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

# Commands a stranger has on Discord (Telegram's /start takes the code there).
STRANGER = ("inscription", "aide", "langue", "confidentialite")
_EXTRA = {"inscription": Command("inscription", ("register",))}


def name(command: str) -> locale_str:
    """A command's name: French, with its English spelling for English clients."""
    known = {c.name: c for c in COMMANDS} | _EXTRA
    found = known.get(command)
    english = found.aliases[0] if found and found.aliases else command
    return locale_str(command, en=english)


def described(client: PneDiscord, command: str) -> locale_str:
    return locale_str(client.services.i18n.t("fr", f"command.{command}"), key=f"command.{command}")


def option(client: PneDiscord, key: str) -> locale_str:
    return locale_str(client.services.i18n.t("fr", key), key=key)


def help_text(ctx: Ctx) -> str:
    card = ProfileCard(ctx.services.i18n, ctx.lang)
    person = ctx.person
    if person is None:
        shown = [_EXTRA["inscription"], *(c for c in commands_for(None) if c.name in STRANGER)]
    else:
        shown = commands_for(person.role)
    # Only what this front end has: a Telegram command not yet on Discord is not offered.
    here = {command.name for command in ctx.client.tree.get_commands()}
    shown = [c for c in shown if c.name in here]
    spelled = {c.name: f"/{shown_name(c, ctx.lang)}" for c in shown}
    return card.help(
        shown,
        shown=spelled,
        role=person.role if person else None,
        body_kind=person.body_kind if person else None,
        key="discord.help.person",  # Discord has no /annuler: forms close, summaries cancel
    )


async def _stranger(ctx: Ctx) -> None:
    await answer(ctx, ctx.t("discord.stranger"))


async def _dm_channel(ctx: Ctx) -> int | None:
    """The person's private channel with the bot: where reminders will go."""
    interaction = ctx.interaction
    if interaction.guild_id is None and interaction.channel_id is not None:
        return interaction.channel_id
    try:
        channel = await interaction.user.create_dm()
    except discord.HTTPException:
        return None
    return channel.id


def register(client: PneDiscord) -> None:
    tree = client.tree

    @tree.command(name=name("inscription"), description=described(client, "inscription"))
    @app_commands.describe(code=option(client, "discord.option.code"))
    async def inscription(interaction: discord.Interaction, code: str) -> None:
        ctx = await context_of(client, interaction)
        services = ctx.services
        if ctx.person is not None:
            await answer(ctx, ctx.t("registration.already", name=ctx.person.full_name))
            return
        chat_id = await _dm_channel(ctx)
        if chat_id is None:
            await answer(ctx, ctx.t("discord.dm_closed"))
            return
        user = interaction.user
        newcomer = registration.Newcomer(
            platform=DISCORD,
            external_user_id=user.id,
            chat_id=chat_id,
            full_name=user.display_name,
            username=user.name,
            language=ctx.lang,
        )
        try:
            person = await registration.redeem_invitation(
                services.db, newcomer=newcomer, code=code, now=services.clock.now()
            )
        except DomainError as error:
            params = dict(error.params)
            if "until" in params:
                params["until"] = services.i18n.datetime(ctx.lang, params["until"], short=True)
            await answer(ctx, ctx.t(error.code, **params))
            return
        ctx = await context_of(client, interaction)
        profile = await registration.profile(services.db, person.id)
        card = ProfileCard(services.i18n, ctx.lang)
        await answer(ctx, card.welcome(profile) + "\n\n" + help_text(ctx))

    @tree.command(name=name("aide"), description=described(client, "aide"))
    async def aide(interaction: discord.Interaction) -> None:
        ctx = await context_of(client, interaction)
        await answer(ctx, help_text(ctx))

    @tree.command(name=name("moi"), description=described(client, "moi"))
    async def moi(interaction: discord.Interaction) -> None:
        ctx = await context_of(client, interaction)
        if ctx.person is None:
            await _stranger(ctx)
            return
        services = ctx.services
        profile = await registration.profile(services.db, ctx.person.id)
        card = ProfileCard(services.i18n, ctx.lang)
        await answer(ctx, card.profile(profile, local_date(profile.since, services.settings.tz)))

    languages = [
        app_commands.Choice(name=client.services.i18n.t(lang, f"language.{lang}"), value=lang)
        for lang in LANGUAGES
    ]

    @tree.command(name=name("langue"), description=described(client, "langue"))
    @app_commands.describe(langue=option(client, "discord.option.language"))
    @app_commands.choices(langue=languages)
    async def langue(interaction: discord.Interaction, langue: app_commands.Choice[str]) -> None:
        ctx = await context_of(client, interaction)
        services = ctx.services
        if ctx.person is None:
            await answer(ctx, services.i18n.t(langue.value, "language.stranger"))
            return
        chosen = await registration.set_language(
            services.db, person_id=ctx.person.id, language=langue.value, now=services.clock.now()
        )
        ctx.lang = chosen
        await answer(ctx, ctx.t("language.set", language=ctx.t(f"language.{chosen}")))

    platforms = [
        app_commands.Choice(name="Telegram", value=str(TELEGRAM)),
        app_commands.Choice(name="Discord", value=str(DISCORD)),
    ]

    @tree.command(name=name("annuler"), description=described(client, "annuler"))
    async def annuler(interaction: discord.Interaction) -> None:
        """Every dialogue of the person left unfinished (a report's summary, a payment's
        confirmation…) is dropped: its buttons answer « plus valable » from then on."""
        ctx = await context_of(client, interaction)
        if ctx.person is None:
            await _stranger(ctx)
            return
        dropped = await drafts.drop_all(ctx.services.db, str(ctx.person.id))
        await answer(ctx, ctx.t("common.cancelled" if dropped else "common.nothing_to_cancel"))

    @tree.command(name=name("preferences"), description=described(client, "preferences"))
    @app_commands.describe(plateforme=option(client, "discord.option.platform"))
    @app_commands.choices(plateforme=platforms)
    async def preferences(
        interaction: discord.Interaction, plateforme: app_commands.Choice[str] | None = None
    ) -> None:
        ctx = await context_of(client, interaction)
        if ctx.person is None:
            await _stranger(ctx)
            return
        services = ctx.services
        if plateforme is None:
            await answer(
                ctx, preferences_text(ctx, await registration.platforms(services.db, ctx.person.id))
            )
            return
        try:
            await registration.set_preferred_platform(
                services.db,
                person_id=ctx.person.id,
                platform=plateforme.value,
                now=services.clock.now(),
            )
        except DomainError as error:
            await answer(ctx, ctx.t(error.code, **error.params))
            return
        await answer(ctx, ctx.t("preferences.set", platform=plateforme.name))


def preferences_text(ctx: Ctx, found: registration.Platforms) -> str:
    if found.preferred is None:
        return ctx.t("preferences.none")
    return ctx.t(
        "preferences.current",
        platform=found.preferred.capitalize(),
        accounts=Safe(", ".join(p.capitalize() for p in found.accounts)),
    )
