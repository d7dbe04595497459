"""Who is behind an interaction, in which language, and how to answer them on Discord."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot.bootstrap import Services
from bot.domain.platforms import DISCORD
from bot.services import registration
from bot.services.access import Actor

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)


@dataclass
class Ctx:
    """One interaction's person (``None``: a stranger), language and services."""

    client: PneDiscord
    interaction: discord.Interaction
    person: Actor | None
    lang: str

    @property
    def services(self) -> Services:
        return self.client.services

    def t(self, key: str, /, **params: Any) -> str:
        return self.services.i18n.t(self.lang, key, **params)

    @property
    def private(self) -> bool:
        """A direct message with the bot (answers need not be hidden from others)."""
        return self.interaction.guild_id is None


async def context_of(client: PneDiscord, interaction: discord.Interaction) -> Ctx:
    """Read once per interaction: the person behind the Discord account, re-read from the
    database (a role or scope changed meanwhile is seen at once)."""
    from bot.observability import logs
    from handlers.discord.app import language_of

    # Each interaction runs in a task of its own: its log lines name it and its person.
    logs.interaction_id.set(interaction.id)
    person = await registration.find_actor(client.services.db, DISCORD, interaction.user.id)
    if person is not None and not person.active:
        person = None
    logs.person_id.set(person.id if person is not None else None)
    lang = (
        person.language
        if person is not None
        else language_of(interaction.locale, client.services.settings.language)
    )
    return Ctx(client, interaction, person, lang)


async def answer(
    ctx: Ctx,
    html: str,
    *,
    view: discord.ui.View | None = None,
    ephemeral: bool | None = None,
) -> None:
    """Answer the interaction with a catalog text (HTML turned into Discord markdown, split
    within 2,000 characters, the buttons under the last part). In a server's channel the
    answer is seen by the person only, unless ``ephemeral`` says otherwise."""
    from handlers.discord.render import markdown, split

    hidden = (not ctx.private) if ephemeral is None else ephemeral
    parts = split(markdown(html))
    interaction = ctx.interaction
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        extra: dict[str, Any] = {"view": view} if last and view is not None else {}
        if not interaction.response.is_done():
            await interaction.response.send_message(part, ephemeral=hidden, **extra)
        else:
            await interaction.followup.send(part, ephemeral=hidden, **extra)


async def answer_error(
    client: PneDiscord, interaction: discord.Interaction, error: BaseException | None = None
) -> None:
    """Something failed on our side: the person is told so, in French or English, and the
    failure (``error``, else the one being handled) joins staff's digest."""
    import sys

    from bot.observability.metrics import metrics_of
    from bot.services.error_digest import digest_of
    from handlers.discord.app import language_of

    services = client.services
    digest_of(services.extra).add(error or sys.exc_info()[1], services.clock.now())
    metrics_of(services.extra).failed(DISCORD, handler_of(interaction))
    lang = language_of(interaction.locale, client.services.settings.language)
    text = client.services.i18n.t(lang, "discord.error.internal")
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.exception("discord: could not tell %s of the failure", interaction.user.id)


def handler_of(interaction: discord.Interaction) -> str:
    """A bounded label for the metrics (decision 0070): ``command:signaler``,
    ``component:clm``, ``modal:clm`` (a custom id's namespace), ``autocomplete:…``.
    Discord sends only the commands and components this bot made."""
    from bot.observability.metrics import bounded

    data: dict[str, Any] = dict(interaction.data or {})
    kind = interaction.type
    if kind in (discord.InteractionType.application_command, discord.InteractionType.autocomplete):
        prefix = (
            "command" if kind is discord.InteractionType.application_command else "autocomplete"
        )
        return f"{prefix}:{bounded(str(data.get('name', '')), 'other')}"
    if kind in (discord.InteractionType.component, discord.InteractionType.modal_submit):
        prefix = "component" if kind is discord.InteractionType.component else "modal"
        namespace = str(data.get("custom_id", "")).split(":", 1)[0]
        return f"{prefix}:{bounded(namespace, 'other')}"
    return "other"
