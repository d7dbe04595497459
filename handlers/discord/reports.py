"""The committee's reports on Discord, for staff: /bilan (the thefts-and-damage review as
text, chart and workbook) and /export (tickets as XLSX and CSV), the same services and
texts as Telegram's ``handlers/telegram/reports.py``.

Building the files takes longer than the 3 s Discord gives an interaction: the answer is
deferred first (« réfléchit… »), then the summary and the files follow as attachments.
"""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.cards.reports import file_name, review_summary, short
from bot.domain.dates import local_date
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.services import reports as service
from bot.services.report_files import review_chart, review_xlsx, tickets_csv, tickets_xlsx
from handlers.discord.commands import described, name, option
from handlers.discord.context import Ctx, answer, context_of
from handlers.discord.render import markdown

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord


async def _staff(client: PneDiscord, interaction: discord.Interaction) -> Ctx | None:
    """The staff member behind the interaction; anyone else is refused as on Telegram."""
    ctx = await context_of(client, interaction)
    if ctx.person is None:
        await answer(ctx, ctx.t("discord.stranger"))
        return None
    if not can(ctx.person.role, Action.TRIAGE):
        await answer(ctx, ctx.t("common.error.forbidden"))
        return None
    return ctx


async def _defer(ctx: Ctx) -> None:
    await ctx.interaction.response.defer(ephemeral=not ctx.private, thinking=True)


async def _attach(ctx: Ctx, caption: str, data: bytes, filename: str) -> None:
    await ctx.interaction.followup.send(
        markdown(caption),
        file=discord.File(io.BytesIO(data), filename=filename),
        ephemeral=not ctx.private,
    )


async def bilan(ctx: Ctx, periode: str | None) -> None:
    services = ctx.services
    now = services.clock.now()
    try:
        period = service.parse_period(periode or "", local_date(now, services.settings.tz))
    except DomainError as error:
        await answer(ctx, ctx.t(error.code, **error.params))
        return
    await _defer(ctx)
    i18n, lang = services.i18n, ctx.lang
    review = await service.claims_review(services.db, start=period.start, end=period.end, now=now)
    png = await review_chart(review, lang, i18n)
    xlsx = await asyncio.to_thread(review_xlsx, review, lang, i18n)
    name_ = file_name(
        i18n,
        lang,
        "report.file.name.review",
        first=review.first_day.isoformat(),
        last=review.last_day.isoformat(),
    )
    first, last = short(i18n, lang, review.first_day), short(i18n, lang, review.last_day)
    await answer(ctx, review_summary(i18n, lang, review, header="report.review.header"))
    chart = ctx.t("report.review.chart_caption", first=first, last=last)
    await _attach(ctx, chart, png, name_.removesuffix(".xlsx") + ".png")
    await _attach(ctx, ctx.t("report.review.xlsx_caption", first=first, last=last), xlsx, name_)


async def export(ctx: Ctx, filtre: str | None) -> None:
    services = ctx.services
    try:
        wanted = service.parse_export_filter((filtre or "").split())
    except DomainError as error:
        await answer(ctx, ctx.t(error.code, **error.params))
        return
    commune_id = None
    if wanted.insee is not None:
        commune = await service.commune_by_insee(services.db, wanted.insee)
        if commune is None:
            await answer(ctx, ctx.t("report.error.unknown_commune", insee=wanted.insee))
            return
        commune_id = commune.id
    await _defer(ctx)
    rows = await service.export_tickets(
        services.db, kind=wanted.kind, commune_id=commune_id, state=wanted.state
    )
    if not rows:
        await answer(ctx, ctx.t("report.export.empty"))
        return
    now = services.clock.now()
    i18n, lang = services.i18n, ctx.lang
    xlsx = await asyncio.to_thread(tickets_xlsx, rows, lang, i18n, generated=now)
    csv_bytes = await asyncio.to_thread(tickets_csv, rows, lang, i18n)
    stem = file_name(
        i18n,
        lang,
        "report.file.name.export",
        what=wanted.kind or "tickets",
        day=local_date(now, services.settings.tz).isoformat(),
    )
    done = ctx.t("report.export.done", count=len(rows))
    await _attach(ctx, done, xlsx, f"{stem}.xlsx")
    await ctx.interaction.followup.send(
        file=discord.File(io.BytesIO(csv_bytes), filename=f"{stem}.csv"),
        ephemeral=not ctx.private,
    )


def register(client: PneDiscord) -> None:
    tree = client.tree

    @tree.command(name=name("bilan"), description=described(client, "bilan"))
    @app_commands.describe(periode=option(client, "discord.tickets.option.period"))
    async def bilan_command(interaction: discord.Interaction, periode: str | None = None) -> None:
        ctx = await _staff(client, interaction)
        if ctx is not None:
            await bilan(ctx, periode)

    @tree.command(name=name("export"), description=described(client, "export"))
    @app_commands.describe(filtre=option(client, "discord.tickets.option.export"))
    async def export_command(interaction: discord.Interaction, filtre: str | None = None) -> None:
        ctx = await _staff(client, interaction)
        if ctx is not None:
            await export(ctx, filtre)
