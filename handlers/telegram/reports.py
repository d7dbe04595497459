"""The committee's reports on Telegram: /bilan and /export for staff, and the periodic
pushes (the bimonthly review to staff, each commune's yearly list of new equipment).

The pushes are reminder rows (``bot.services.reports.plan_reports``) delivered by the
reports job (``bot.services.report_delivery``), because they carry a photo and documents,
which the reminder sweep's text-only ``Outgoing`` cannot: each recipient on their own
platform, Telegram's through :func:`send_dispatch` (decisions 0009 and 0059).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackContext,
    CommandHandler,
    Job,
    filters,
)

from bot.cards.reports import file_name
from bot.domain.dates import local_date
from bot.domain.errors import DomainError
from bot.services import reminders, report_delivery
from bot.services import reports as service
from bot.services.delivery import Dispatch
from bot.services.report_delivery import ReportRun
from bot.services.report_files import tickets_csv, tickets_xlsx
from handlers.telegram.app import PneContext, services_of
from handlers.telegram.common import reply
from handlers.telegram.delivery import repeating, send_dispatch
from handlers.telegram.staff import staff_only

log = logging.getLogger(__name__)

# ------------------------------------------------------------------------ settings (one place)
JOB_NAME = "reports"
JOB_INTERVAL = 600  # seconds between two runs of the reports job (the pushes are due at 08:00)
JOB_FIRST = 30  # seconds after start-up for the first run
# ---------------------------------------------------------------------------------------------


# The texts are bot.cards.reports and bot.services.report_delivery (the same on Discord);
# Telegram's sending of a text and its files is handlers.telegram.delivery.send_dispatch.


# ================================================================================ commands


def _chat(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


@staff_only
async def bilan(update: Update, context: PneContext) -> None:
    """/bilan [période]: the thefts-and-damage review, as text, chart and workbook."""
    services = context.services
    now = services.clock.now()
    try:
        period = service.parse_period(
            " ".join(context.args or []), local_date(now, services.settings.tz)
        )
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return
    review = await service.claims_review(services.db, start=period.start, end=period.end, now=now)
    text, files = await report_delivery.review_dispatch(
        services.i18n, context.lang, review, header="report.review.header"
    )
    await send_dispatch(context.bot, Dispatch(_chat(update), text, files))


@staff_only
async def export(update: Update, context: PneContext) -> None:
    """/export [sinistres] [commune INSEE] [état]: tickets as XLSX and CSV."""
    services = context.services
    try:
        wanted = service.parse_export_filter(context.args or [])
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return
    commune_id = None
    if wanted.insee is not None:
        commune = await service.commune_by_insee(services.db, wanted.insee)
        if commune is None:
            await reply(update, context, "report.error.unknown_commune", insee=wanted.insee)
            return
        commune_id = commune.id
    rows = await service.export_tickets(
        services.db, kind=wanted.kind, commune_id=commune_id, state=wanted.state
    )
    if not rows:
        await reply(update, context, "report.export.empty")
        return
    now = services.clock.now()
    lang, i18n = context.lang, services.i18n
    xlsx = await asyncio.to_thread(tickets_xlsx, rows, lang, i18n, generated=now)
    csv_bytes = await asyncio.to_thread(tickets_csv, rows, lang, i18n)
    stem = file_name(
        i18n,
        lang,
        "report.file.name.export",
        what=wanted.kind or "tickets",
        day=local_date(now, services.settings.tz).isoformat(),
    )
    await reply(update, context, "report.export.done", count=len(rows))
    chat = _chat(update)
    await context.bot.send_document(chat, document=xlsx, filename=f"{stem}.xlsx")
    await context.bot.send_document(chat, document=csv_bytes, filename=f"{stem}.csv")


def handlers() -> list[BaseHandler[Update, PneContext, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler(["bilan", "review"], bilan, filters=private),
        CommandHandler("export", export, filters=private),
    ]


# ========================================================================= periodic pushes


async def run_reports(
    application: Application[Any, Any, Any, Any, Any, Any], *, worker: str | None = None
) -> ReportRun:
    """One run of the reports job from Telegram's job queue: each recipient served on their
    own platform, through the router."""
    services = services_of(application)
    return await report_delivery.run_prepared(services, worker=worker or reminders.worker_id())


async def reports_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """The job queue's callback."""
    await run_reports(context.application)


def schedule_reports(
    application: Application[Any, Any, Any, Any, Any, Any],
    interval: float = JOB_INTERVAL,
    *,
    first: float = JOB_FIRST,
) -> Job[Any]:
    """Run the reports job every ``interval`` seconds (one run at a time); idempotent."""
    return repeating(application, reports_job, name=JOB_NAME, interval=interval, first=first)
