"""The committee's reports on Telegram: /bilan and /export for staff, and the periodic
pushes (the bimonthly review to staff, each commune's yearly list of new equipment).

The pushes are reminder rows (``bot.services.reports.plan_reports``) that this module's
job delivers itself, because they carry a photo and documents, which the reminder sweep's
text-only ``Outgoing`` cannot (docs/decisions/0009-periodic-reports.md).
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Mapping, Sequence
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

from bot.domain.bodies import body_variant
from bot.domain.claims import ClaimKind
from bot.domain.dates import local_date
from bot.domain.errors import DomainError
from bot.i18n import I18n, Safe
from bot.services import reminders, report_delivery
from bot.services import reports as service
from bot.services.audiences import Recipient, StaffRoom
from bot.services.report_delivery import ReportRun
from bot.services.report_files import (
    new_equipment_xlsx,
    number,
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
TEXT_MAX_LINES = 10  # communes, schools or claim numbers listed in a chat message
# ---------------------------------------------------------------------------------------------


# ================================================================================ rendering


def _short(i18n: I18n, lang: str, day: date) -> str:
    return i18n.date(lang, day, short=True)


def _numbers(numbers: Sequence[str], total: int) -> str:
    shown = ", ".join(numbers[:TEXT_MAX_LINES])
    return shown + (" …" if total > min(len(numbers), TEXT_MAX_LINES) else "")


def _moves(i18n: I18n, lang: str, counts: Mapping[str, int]) -> str:
    """« 3 signalés hors d'usage · 2 collectés … »: the movements that have items."""
    return " · ".join(
        i18n.t(lang, f"report.moves.{movement}", count=counts[movement])
        for movement in service.MOVEMENTS
        if counts[movement]
    )


def equipment_summary(i18n: I18n, lang: str, equipment: service.EquipmentMovements) -> str:
    """The review's « Matériel » section: the totals, then the bodies with most items."""
    t = i18n.t
    if not equipment.total:
        return t(lang, "report.review.equipment_none")
    lines = [t(lang, "report.review.equipment", moves=Safe(_moves(i18n, lang, equipment.totals)))]
    for body in equipment.bodies[:TEXT_MAX_LINES]:
        lines.append(
            t(
                lang,
                "report.review.equipment_line",
                body=body.name or Safe(t(lang, "report.moves.no_body")),
                moves=Safe(_moves(i18n, lang, body.counts)),
            )
        )
    if len(equipment.bodies) > TEXT_MAX_LINES:
        lines.append(t(lang, "report.review.more", count=len(equipment.bodies) - TEXT_MAX_LINES))
    return "\n".join(lines)


def review_summary(
    i18n: I18n, lang: str, review: service.ClaimsReview, *, header: str = "report.review.header"
) -> str:
    """The review as a chat message (the details are in the workbook)."""
    t = i18n.t
    money = i18n.money
    first, last = _short(i18n, lang, review.first_day), _short(i18n, lang, review.last_day)
    lines = [t(lang, header, first=first, last=last)]
    if review.total == 0:
        lines.append(t(lang, "report.review.none"))
    else:
        kinds = " · ".join(
            t(
                lang,
                "report.review.kind_count",
                kind=t(lang, f"claim.kind.{k.value}"),
                count=review.by_kind.get(k.value, 0),
            )
            for k in ClaimKind
        )
        lines.append(
            t(
                lang,
                "report.review.claims",
                total=review.total,
                per_month=number(lang, review.per_month),
                kinds=Safe(kinds),
            )
        )
        communes = [
            t(
                lang,
                "report.review.commune_line",
                name=c.name,
                count=c.count,
                refund=money(lang, c.refund_estimate),
            )
            for c in review.communes[:TEXT_MAX_LINES]
        ]
        if len(review.communes) > TEXT_MAX_LINES:
            communes.append(
                t(lang, "report.review.more", count=len(review.communes) - TEXT_MAX_LINES)
            )
        lines.append(t(lang, "report.review.communes", lines=Safe("\n".join(communes))))
    flagged = review.flagged_schools
    if flagged:
        schools = [
            t(
                lang,
                "report.review.school_line",
                school=s.name,
                commune=s.commune_name,
                recent=s.recent,
            )
            for s in flagged[:TEXT_MAX_LINES]
        ]
        if len(flagged) > TEXT_MAX_LINES:
            schools.append(t(lang, "report.review.more", count=len(flagged) - TEXT_MAX_LINES))
        lines.append(
            t(
                lang,
                "report.review.flagged",
                threshold=review.threshold,
                days=review.window_days,
                lines=Safe("\n".join(schools)),
            )
        )
    else:
        lines.append(
            t(
                lang,
                "report.review.no_flagged",
                threshold=review.threshold,
                days=review.window_days,
            )
        )
    refunds = review.refunds
    if refunds.count:
        lines.append(
            t(
                lang,
                "report.review.refunds",
                count=refunds.count,
                owed=money(lang, refunds.owed),
                paid=money(lang, refunds.paid),
                outstanding=money(lang, refunds.outstanding),
            )
        )
    else:
        lines.append(t(lang, "report.review.no_refunds"))
    duties = review.overdue_duties
    if duties.claims:
        lines.append(
            i18n.tn(
                lang,
                "report.review.overdue_duties",
                duties.claims,
                claims=duties.claims,
                duties=t(lang, "report.review.duties_count", count=duties.duties),
                numbers=_numbers(duties.numbers, duties.claims),
            )
        )
    else:
        lines.append(t(lang, "report.review.no_overdue_duties"))
    if duties.done_late:
        lines.append(
            t(
                lang,
                "report.review.done_late",
                count=duties.done_late,
                numbers=_numbers(duties.done_late_numbers, duties.done_late_claims),
            )
        )
    payments = review.overdue_payments
    if payments.count:
        lines.append(
            t(
                lang,
                "report.review.overdue_payments",
                count=payments.count,
                outstanding=money(lang, payments.outstanding),
                numbers=_numbers(payments.numbers, payments.count),
            )
        )
    else:
        lines.append(t(lang, "report.review.no_overdue_payments"))
    lines.append(equipment_summary(i18n, lang, review.equipment))
    return "\n\n".join(lines)


def _file_name(i18n: I18n, lang: str, key: str, **params: Any) -> str:
    return html.unescape(i18n.t(lang, key, **params))


@dataclass
class _ReviewFiles:
    png: bytes
    xlsx: bytes
    name: str


async def _review_files(i18n: I18n, lang: str, review: service.ClaimsReview) -> _ReviewFiles:
    png = await asyncio.to_thread(review_chart_png, review, lang, i18n)
    xlsx = await asyncio.to_thread(review_xlsx, review, lang, i18n)
    name = _file_name(
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
    first, last = _short(i18n, lang, review.first_day), _short(i18n, lang, review.last_day)
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
    stem = _file_name(
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
            filename=_file_name(
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
