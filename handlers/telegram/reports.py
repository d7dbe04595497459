"""The committee's reports on Telegram: /bilan and /export for staff, and the periodic
pushes (the bimonthly review to staff, each commune's yearly list of new equipment).

The pushes are reminder rows (``bot.services.reports.plan_reports``) that this module's
job delivers itself, because they carry a photo and documents, which the reminder sweep's
text-only ``Outgoing`` cannot (docs/decisions/0009-periodic-reports.md).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from telegram import Bot, Update
from telegram.error import ChatMigrated
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackContext,
    CommandHandler,
    Job,
    filters,
)

from bot.cards.reports import equipment_summary as equipment_summary  # re-exported
from bot.cards.reports import file_name, review_summary, short
from bot.domain.bodies import body_variant
from bot.domain.dates import local_date
from bot.domain.errors import DomainError
from bot.i18n import I18n
from bot.services import reminders, report_delivery
from bot.services import reports as service
from bot.services.audiences import Recipient, StaffRoom
from bot.services.report_delivery import ReportRun
from bot.services.report_files import (
    new_equipment_xlsx,
    review_chart_png,
    review_xlsx,
    tickets_csv,
    tickets_xlsx,
)
from handlers.telegram.app import PneContext, Services, services_of
from handlers.telegram.common import reply, split_text
from handlers.telegram.delivery import neutral_errors
from handlers.telegram.staff import staff_only

log = logging.getLogger(__name__)

# ------------------------------------------------------------------------ settings (one place)
JOB_NAME = "reports"
JOB_INTERVAL = 600  # seconds between two runs of the reports job (the pushes are due at 08:00)
JOB_FIRST = 30  # seconds after start-up for the first run
# ---------------------------------------------------------------------------------------------


# ================================================================================ rendering
# The texts are bot.cards.reports (equipment_summary, review_summary: the same on Discord).


@dataclass
class _ReviewFiles:
    png: bytes
    xlsx: bytes
    name: str


async def _review_files(i18n: I18n, lang: str, review: service.ClaimsReview) -> _ReviewFiles:
    png = await asyncio.to_thread(review_chart_png, review, lang, i18n)
    xlsx = await asyncio.to_thread(review_xlsx, review, lang, i18n)
    name = file_name(
        i18n,
        lang,
        "report.file.name.review",
        first=review.first_day.isoformat(),
        last=review.last_day.isoformat(),
    )
    return _ReviewFiles(png, xlsx, name)


async def _send_text(bot: Bot, chat_id: int, text: str) -> None:
    for part in split_text(text):
        await bot.send_message(chat_id, part)


async def _send_review(
    bot: Bot,
    i18n: I18n,
    chat_id: int,
    lang: str,
    review: service.ClaimsReview,
    files: _ReviewFiles,
    *,
    header: str,
) -> None:
    """Summary, chart, workbook: three messages to one chat."""
    first, last = short(i18n, lang, review.first_day), short(i18n, lang, review.last_day)
    await _send_text(bot, chat_id, review_summary(i18n, lang, review, header=header))
    await bot.send_photo(
        chat_id,
        photo=files.png,
        caption=i18n.t(lang, "report.review.chart_caption", first=first, last=last),
    )
    await bot.send_document(
        chat_id,
        document=files.xlsx,
        filename=files.name,
        caption=i18n.t(lang, "report.review.xlsx_caption", first=first, last=last),
    )


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
    files = await _review_files(services.i18n, context.lang, review)
    await _send_review(
        context.bot,
        services.i18n,
        _chat(update),
        context.lang,
        review,
        files,
        header="report.review.header",
    )


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


class _Content:
    """What one report row sends, rendered once per language, lazily."""

    def __init__(self, bot: Bot, services: Services, job: service.ReportJob, now: datetime) -> None:
        self.bot = bot
        self.services = services
        self.job = job
        self.now = now
        self._review: service.ClaimsReview | None = None
        self._review_files: dict[str, _ReviewFiles] = {}
        self._equipment: list[service.NewEquipmentLine] | None = None
        self._commune: service.BodyRef | None = None
        self._equipment_files: dict[str, bytes] = {}

    async def load(self) -> bool:
        """Read what the row reports on; False when there is nothing to report on."""
        db = self.services.db
        if self.job.kind == service.KIND_REVIEW:
            period = service.Period(
                date.fromisoformat(self.job.payload["first"]),
                date.fromisoformat(self.job.payload["last"]),
            )
            self._review = await service.claims_review(
                db, start=period.start, end=period.end, now=self.now
            )
            return True
        if self.job.kind == service.KIND_EQUIPMENT:
            self._commune = await service.body_of_list(db, self.job.payload)
            if self._commune is None:
                return False
            self._equipment = await service.new_equipment_for_body(
                db, body_id=self._commune.id, year=int(self.job.payload["year"])
            )
            return True
        log.error("report row %s has an unknown kind %r", self.job.key, self.job.kind)
        return False

    async def send(self, recipient: Recipient) -> None:
        """Send the row to one recipient; Telegram's refusals as neutral delivery errors."""

        async def once() -> None:
            try:
                await self._send(self.bot, recipient.chat_id, recipient.language)
            except ChatMigrated as exc:  # a group became a supergroup: its new id, once
                await self._send(self.bot, exc.new_chat_id, recipient.language)

        await neutral_errors(once)

    async def _send(self, bot: Bot, chat_id: int, lang: str) -> None:
        i18n = self.services.i18n
        if self._review is not None:
            files = self._review_files.get(lang)
            if files is None:
                files = self._review_files[lang] = await _review_files(i18n, lang, self._review)
            await _send_review(
                bot, i18n, chat_id, lang, self._review, files, header=service.KIND_REVIEW
            )
            return
        assert self._commune is not None and self._equipment is not None
        year = int(self.job.payload["year"])
        rows = self._equipment
        dated = [r for r in rows if not r.undated]
        if not dated:
            text = i18n.t(
                lang,
                body_variant("report.equipment.none", self._commune.kind),
                commune=self._commune.name,
                year=year,
            )
        else:
            total = sum((r.value for r in dated if r.value is not None), Decimal("0.00"))
            text = i18n.t(
                lang,
                body_variant(service.KIND_EQUIPMENT, self._commune.kind),
                commune=self._commune.name,
                year=year,
                count=len(dated),
                total=i18n.money(lang, total),
            )
        undated = len(rows) - len(dated)
        if undated and not dated:  # nothing dated: whether to update the contracts is open
            text = i18n.t(
                lang,
                body_variant("report.equipment.only_undated", self._commune.kind),
                commune=self._commune.name,
                year=year,
                count=undated,
            )
        elif undated:  # said, never left out silently (decision 0022)
            text += "\n" + i18n.t(lang, "report.equipment.undated", count=undated)
        if not rows:
            await _send_text(bot, chat_id, text)
            return
        await _send_text(bot, chat_id, text)
        xlsx = self._equipment_files.get(lang)
        if xlsx is None:
            xlsx = self._equipment_files[lang] = await asyncio.to_thread(
                new_equipment_xlsx,
                rows,
                lang,
                i18n,
                commune_name=self._commune.name,
                body_kind=self._commune.kind,
                year=year,
                generated=self.now,
            )
        await bot.send_document(
            chat_id,
            document=xlsx,
            filename=file_name(
                i18n,
                lang,
                "report.file.name.equipment",
                year=year,
                insee=self._commune.short_code,
            ),
        )


async def run_reports(
    application: Application[Any, Any, Any, Any, Any, Any], *, worker: str | None = None
) -> ReportRun:
    """One run of the reports job on Telegram: the neutral delivery with Telegram's content."""
    services = services_of(application)
    bot = application.bot

    def content_for(job: service.ReportJob, now: datetime) -> _Content:
        return _Content(bot, services, job, now)

    return await report_delivery.run_reports(
        services.db,
        services.clock,
        StaffRoom.of(services.settings),
        content_for,
        worker=worker or reminders.worker_id(),
    )


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
    if application.job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    existing = application.job_queue.get_jobs_by_name(JOB_NAME)
    if existing:
        return existing[0]
    return application.job_queue.run_repeating(
        reports_job,
        interval=interval,
        first=first,
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
