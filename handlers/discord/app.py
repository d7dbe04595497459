"""The Discord front end's client: discord.py's, with the services of ``bot.bootstrap``.

Thin, as Telegram's: a slash command or a tapped button is parsed here, a service does
the work, the answer is rendered from the same catalogs (their HTML turned into Discord
markdown, ``handlers.discord.render``). Commands are French by default with English
localisations (discord.py's ``locale_str`` and translator, from the same catalogs); they
are synced to the SEM's server deliberately (``pne-bot discord sync``), never at start.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.bootstrap import Services
from bot.domain.platforms import DISCORD
from bot.i18n import I18n

log = logging.getLogger(__name__)


class CatalogTranslator(app_commands.Translator):
    """English names and descriptions of the slash commands, from the catalogs.

    A name carries its English spelling (``locale_str("signaler", en="report")``), a
    description its catalog key (``locale_str(text, key="command.signaler")``). French is
    the default; every English locale of Discord gets the English words.
    """

    def __init__(self, i18n: I18n) -> None:
        self.i18n = i18n

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if not str(locale.value).startswith("en"):
            return None
        english = string.extras.get("en")
        if isinstance(english, str):
            return english
        key = string.extras.get("key")
        if isinstance(key, str):
            return self.i18n.t("en", key)
        return None


def language_of(locale: discord.Locale | None, default: str) -> str:
    """The language of a stranger, from their Discord client's locale."""
    if locale is None:
        return default
    return "en" if str(locale.value).startswith("en") else "fr"


class PneDiscord(discord.Client):
    """The bot on Discord: its command tree, its services, its sender on the router."""

    def __init__(self, services: Services, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.dm_messages = True  # replies and files sent in a private chat
        # Staff's messages in a ticket's post of their forum are notes: reading them takes
        # the message-content intent, a privileged one that must be enabled for the bot in
        # Discord's developer portal (or the connection is refused): asked for only when a
        # forum is configured.
        if services.settings.discord_staff_forum_id is not None:
            intents.guild_messages = True
            intents.message_content = True
        super().__init__(intents=intents, **options)
        self.services = services
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        self.tree.interaction_check = self._options_check  # type: ignore[method-assign]
        # Every flow's slash commands (and, at import, its buttons' handlers).
        from handlers.discord import (
            admin,
            certificates,
            claims,
            commands,
            equipment,
            flows,
            privacy,
            rounds,
            tickets,
        )

        for module in (
            commands,
            claims,
            tickets,
            flows,
            admin,
            certificates,
            equipment,
            rounds,
            privacy,
        ):
            module.register(self)

    @property
    def guild_object(self) -> discord.Object | None:
        guild_id = self.services.settings.discord_guild_id
        return discord.Object(id=guild_id) if guild_id is not None else None

    async def setup_hook(self) -> None:
        from handlers.discord.buttons import install
        from handlers.discord.delivery import discord_sender, file_fetcher, file_sender

        await self.tree.set_translator(CatalogTranslator(self.services.i18n))
        install(self)  # every button, by its custom id, also after a restart
        # This front end's sender joins the process's router: the sweep and the notices
        # write to the people who chose Discord through it.
        self.services.router.register(
            DISCORD, discord_sender(self), files=file_sender(self), fetch=file_fetcher(self)
        )

    async def on_message(self, message: discord.Message) -> None:
        from handlers.discord import files, forum

        try:
            if not await forum.on_message(self, message):
                await files.on_message(self, message)
        except Exception:
            log.exception("discord: message %s in %s failed", message.id, message.channel.id)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A form sent that no form of this process claims (shown before a restart) is
        answered all the same: read again where it can be rebuilt, else said expired.

        Every interaction passes here: it is counted (decision 0070)."""
        from bot.observability.metrics import metrics_of
        from handlers.discord.context import handler_of

        metrics_of(self.services.extra).handled(DISCORD, handler_of(interaction))
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        from handlers.discord import forms

        if not forms.claimed(self, interaction):
            await forms.lost(self, interaction)

    async def close(self) -> None:
        self.services.router.withdraw(DISCORD)
        await super().close()

    async def sync_commands(self) -> list[app_commands.AppCommand]:
        """Publish the commands to the SEM's server (or globally without one): run by
        ``pne-bot discord sync`` when they change, not at every start."""
        guild = self.guild_object
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        return await self.tree.sync(guild=guild)

    async def _options_check(self, interaction: discord.Interaction) -> bool:
        """A command's options are checked before it runs: a number no id can be (an
        integer option of 9999999999) or a NUL character is refused with a word."""
        from bot.domain.ids import MAX_ID, has_nul
        from handlers.discord.context import answer, context_of

        key = None
        data: dict[str, Any] = dict(interaction.data or {})
        for value in _option_values(data.get("options", [])):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ID:
                key = "common.stale_button"
            elif isinstance(value, str) and has_nul(value):
                key = "common.error.bad_character"
        if key is None:
            return True
        if interaction.type is discord.InteractionType.autocomplete:
            return False  # no answer is owed to a suggestion
        ctx = await context_of(self, interaction)
        await answer(ctx, ctx.t(key), ephemeral=True)
        return False

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        from handlers.discord.context import answer_error

        log.error(
            "discord: interaction %s (%s) failed",
            interaction.id,
            interaction.command.qualified_name if interaction.command else interaction.data,
            exc_info=error.__cause__ or error,
        )
        await answer_error(self, interaction, error)


def _option_values(options: Any) -> list[Any]:
    """Every value of a command's options, sub-commands' included."""
    found: list[Any] = []
    for option in options if isinstance(options, list) else []:
        if not isinstance(option, dict):
            continue
        if "value" in option:
            found.append(option["value"])
        found.extend(_option_values(option.get("options", [])))
    return found


def build_client(services: Services) -> PneDiscord:
    return PneDiscord(services)
