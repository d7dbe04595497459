"""Personal data on Discord (RGPD, decision 0071): /mes_donnees, /oublier and
/confidentialite, the same services and words as Telegram's ``handlers/telegram/privacy.py``.

/mes_donnees answers with the summary and the JSON file, seen by the person only in a
server's channel. /oublier answers with the confirmation and its two buttons (``prv:``,
carrying the nonce of the offer kept as a draft): an older offer's button is stale.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord

from bot.domain.errors import DomainError
from bot.services import drafts, privacy
from bot.services.delivery import actions
from handlers.discord.buttons import on, refuse
from handlers.discord.commands import described, name
from handlers.discord.context import Ctx, answer, context_of
from handlers.discord.render import components, markdown

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord


async def _edit(ctx: Ctx, html: str) -> None:
    """Replace the confirmation (its buttons gone) with what became of it."""
    await ctx.interaction.response.edit_message(content=markdown(html), view=None)


@on("prv")
async def privacy_tapped(ctx: Ctx, action: str) -> None:
    """``prv:forget:<nonce>`` (forget me, now) or ``prv:keep:<nonce>`` (changed my mind)."""
    parts = action.split(":")
    if ctx.person is None:
        await refuse(ctx, "discord.stranger")
        return
    if len(parts) != 3 or parts[1] not in ("forget", "keep"):
        await refuse(ctx, "common.stale_button")
        return
    services = ctx.services
    nonce = parts[2]
    if parts[1] == "keep":
        key = str(ctx.person.id)
        if await drafts.load(services.db, privacy.FORGETTING, key, nonce) is None:
            await refuse(ctx, "common.stale_button")
            return
        await drafts.drop(services.db, privacy.FORGETTING, key)
        await _edit(ctx, ctx.t("privacy.forget.kept"))
        return
    try:
        await privacy.forget(services.db, services.i18n, ctx.person.id, nonce, services.clock.now())
    except DomainError as error:
        await refuse(ctx, error.code, **error.params)
        return
    await _edit(ctx, ctx.t("privacy.forget.done"))


def register(client: PneDiscord) -> None:
    tree = client.tree

    @tree.command(name=name("mes_donnees"), description=described(client, "mes_donnees"))
    async def mes_donnees(interaction: discord.Interaction) -> None:
        ctx = await context_of(client, interaction)
        if ctx.person is None:
            await answer(ctx, ctx.t("discord.stranger"))
            return
        services = ctx.services
        found = await privacy.export(
            services.db, services.i18n, ctx.person.id, ctx.lang, services.clock.now()
        )
        await answer(ctx, found.text)
        await interaction.followup.send(
            markdown(found.file.caption),
            file=discord.File(io.BytesIO(found.file.data), filename=found.file.filename),
            ephemeral=not ctx.private,
        )

    @tree.command(name=name("oublier"), description=described(client, "oublier"))
    async def oublier(interaction: discord.Interaction) -> None:
        ctx = await context_of(client, interaction)
        if ctx.person is None:
            await answer(ctx, ctx.t("discord.stranger"))
            return
        services = ctx.services
        try:
            nonce = await privacy.offer_to_forget(services.db, ctx.person.id, services.clock.now())
        except DomainError as error:
            await answer(ctx, ctx.t(error.code, **error.params))
            return
        rows = [
            [(ctx.t("privacy.forget.button.confirm"), f"prv:forget:{nonce}")],
            [(ctx.t("privacy.forget.button.keep"), f"prv:keep:{nonce}")],
        ]
        await answer(
            ctx,
            ctx.t("privacy.forget.confirm", id=ctx.person.id),
            view=components(actions(rows)),
        )

    @tree.command(name=name("confidentialite"), description=described(client, "confidentialite"))
    async def confidentialite(interaction: discord.Interaction) -> None:
        ctx = await context_of(client, interaction)
        settings = ctx.services.settings
        await answer(
            ctx,
            privacy.notice(
                ctx.services.i18n,
                ctx.lang,
                years=settings.retention_years,
                contact=settings.dpo_contact,
            ),
        )
