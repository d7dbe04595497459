"""The periodic reports' delivery, for any front end: which rows are due, who gets each,
what becomes of a row when a recipient is served, unreachable or throttled.

A row's content is read once (:class:`PreparedReport`), composed once per language (a
text and its files: :class:`~bot.services.delivery.Dispatch`), and sent to each recipient
on their own platform through the router's file senders, which each front end registers
with its text sender (its failures mapped to the neutral delivery errors). The review and
the yearly lists are files, so they do not go through the reminder sweep's texts;
decisions 0009 and 0059.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from bot.cards.reports import file_name, review_summary, short
from bot.clock import Clock
from bot.domain.bodies import body_variant
from bot.i18n import I18n
from bot.services import reminders
from bot.services import reports as service
from bot.services.audiences import Recipient, StaffRoom
from bot.services.delivery import (
    Attachment,
    Dispatch,
    Refused,
    Router,
    Throttled,
    Unreachable,
    describe,
)
from bot.services.report_files import new_equipment_xlsx, review_chart, review_xlsx
from storage.uow import Database

if TYPE_CHECKING:
    from bot.bootstrap import Services

log = logging.getLogger(__name__)

BATCH = 20  # report rows claimed at once
MAX_BATCHES = 10  # batches per run at most; what is left waits for the next run


class ReportContent(Protocol):
    """What one report row sends, on one front end."""

    async def load(self) -> bool:
        """Read what the row reports on; False when there is nothing to report on."""
        ...

    async def send(self, recipient: Recipient) -> None:
        """Send the row's messages and files to one recipient (neutral errors on failure)."""
        ...


ContentFor = Callable[[service.ReportJob, datetime], ReportContent]


async def review_dispatch(
    i18n: I18n, lang: str, review: service.ClaimsReview, *, header: str
) -> tuple[str, tuple[Attachment, ...]]:
    """The review as one recipient reads it: its summary, then the chart and the workbook
    (built in a thread: matplotlib and openpyxl take a while)."""
    png = await review_chart(review, lang, i18n)
    xlsx = await asyncio.to_thread(review_xlsx, review, lang, i18n)
    name = file_name(
        i18n,
        lang,
        "report.file.name.review",
        first=review.first_day.isoformat(),
        last=review.last_day.isoformat(),
    )
    first, last = short(i18n, lang, review.first_day), short(i18n, lang, review.last_day)
    files = (
        Attachment(
            png,
            name.removesuffix(".xlsx") + ".png",
            i18n.t(lang, "report.review.chart_caption", first=first, last=last),
            image=True,
        ),
        Attachment(xlsx, name, i18n.t(lang, "report.review.xlsx_caption", first=first, last=last)),
    )
    return review_summary(i18n, lang, review, header=header), files


def equipment_text(
    i18n: I18n,
    lang: str,
    body: service.BodyRef,
    year: int,
    rows: list[service.NewEquipmentLine],
) -> str:
    """The words of a body's yearly list of new equipment (its undated items said apart,
    never left out silently: decision 0022)."""
    dated = [r for r in rows if not r.undated]
    undated = len(rows) - len(dated)
    if undated and not dated:  # nothing dated: whether to update the contracts is open
        return i18n.t(
            lang,
            body_variant("report.equipment.only_undated", body.kind),
            commune=body.name,
            year=year,
            count=undated,
        )
    if not dated:
        return i18n.t(
            lang, body_variant("report.equipment.none", body.kind), commune=body.name, year=year
        )
    total = sum((r.value for r in dated if r.value is not None), Decimal("0.00"))
    text = i18n.t(
        lang,
        body_variant(service.KIND_EQUIPMENT, body.kind),
        commune=body.name,
        year=year,
        count=len(dated),
        total=i18n.money(lang, total),
    )
    if undated:
        text += "\n" + i18n.t(lang, "report.equipment.undated", count=undated)
    return text


class PreparedReport:
    """One report row: read once, composed once per language, sent to each recipient on
    their platform (through ``router``'s file senders)."""

    def __init__(
        self, db: Database, i18n: I18n, router: Router, job: service.ReportJob, now: datetime
    ) -> None:
        self.db, self.i18n, self.router = db, i18n, router
        self.job, self.now = job, now
        self._review: service.ClaimsReview | None = None
        self._body: service.BodyRef | None = None
        self._equipment: list[service.NewEquipmentLine] | None = None
        self._composed: dict[str, tuple[str, tuple[Attachment, ...]]] = {}

    async def load(self) -> bool:
        """Read what the row reports on; False when there is nothing to report on."""
        if self.job.kind == service.KIND_REVIEW:
            period = service.Period(
                date.fromisoformat(self.job.payload["first"]),
                date.fromisoformat(self.job.payload["last"]),
            )
            self._review = await service.claims_review(
                self.db, start=period.start, end=period.end, now=self.now
            )
            return True
        if self.job.kind == service.KIND_EQUIPMENT:
            self._body = await service.body_of_list(self.db, self.job.payload)
            if self._body is None:
                return False
            self._equipment = await service.new_equipment_for_body(
                self.db, body_id=self._body.id, year=int(self.job.payload["year"])
            )
            return True
        log.error("report row %s has an unknown kind %r", self.job.key, self.job.kind)
        return False

    async def compose(self, lang: str) -> tuple[str, tuple[Attachment, ...]]:
        """The text and files in ``lang`` (each built once, whoever reads them)."""
        found = self._composed.get(lang)
        if found is not None:
            return found
        if self._review is not None:
            found = await review_dispatch(self.i18n, lang, self._review, header=service.KIND_REVIEW)
        else:
            assert self._body is not None and self._equipment is not None
            year = int(self.job.payload["year"])
            text = equipment_text(self.i18n, lang, self._body, year, self._equipment)
            files: tuple[Attachment, ...] = ()
            if self._equipment:
                xlsx = await asyncio.to_thread(
                    new_equipment_xlsx,
                    self._equipment,
                    lang,
                    self.i18n,
                    commune_name=self._body.name,
                    body_kind=self._body.kind,
                    year=year,
                    generated=self.now,
                )
                name = file_name(
                    self.i18n,
                    lang,
                    "report.file.name.equipment",
                    year=year,
                    insee=self._body.short_code,
                )
                files = (Attachment(xlsx, name),)
            found = (text, files)
        self._composed[lang] = found
        return found

    async def send(self, recipient: Recipient) -> None:
        text, files = await self.compose(recipient.language)
        await self.router.send_files(
            Dispatch(recipient.chat_id, text, files, platform=recipient.platform)
        )


@dataclass
class ReportRun:
    planned: int = 0
    outcomes: dict[str, str] = field(default_factory=dict)  # row key → state written


class _Paused(Exception):
    """The messenger asked the whole bot to wait."""

    def __init__(self, exc: Throttled) -> None:
        super().__init__(str(exc))
        self.exc = exc


async def run_prepared(services: Services, *, worker: str) -> ReportRun:
    """One run of the reports job in this process: every recipient served on their own
    platform, by the front ends registered on the services' router."""

    def content_for(job: service.ReportJob, now: datetime) -> PreparedReport:
        return PreparedReport(services.db, services.i18n, services.router, job, now)

    return await run_reports(
        services.db,
        services.clock,
        StaffRoom.of(services.settings),
        content_for,
        worker=worker,
    )


async def run_reports(
    db: Database,
    clock: Clock,
    room: StaffRoom,
    content_for: ContentFor,
    *,
    worker: str,
    batch: int = BATCH,
    max_batches: int = MAX_BATCHES,
) -> ReportRun:
    """One run of the reports job: plan the next pushes, then send what is due."""
    run = ReportRun()
    run.planned = await service.plan_reports(db, now=clock.now())
    for _ in range(max_batches):
        now = clock.now()  # each batch's lease counts from when it is taken
        jobs = await service.claim_reports(db, now=now, worker=worker, batch=batch)
        paused = await _deliver_batch(db, clock, room, content_for, jobs, now, run)
        if paused or len(jobs) < batch:
            break  # else a full batch: more may be due (the lists of many bodies)
    if run.outcomes:
        log.info("reports: %s", ", ".join(f"{k} {v}" for k, v in run.outcomes.items()))
    return run


async def _deliver_batch(
    db: Database,
    clock: Clock,
    room: StaffRoom,
    content_for: ContentFor,
    jobs: list[service.ReportJob],
    now: datetime,
    run: ReportRun,
) -> bool:
    """Deliver claimed rows in turn; True when the messenger asked to slow down."""
    for index, job in enumerate(jobs):
        try:
            run.outcomes[job.key] = await _deliver(db, clock, room, content_for(job, now), job, now)
        except _Paused as paused:
            run.outcomes[job.key] = "throttled"
            # The messenger asked the whole bot to wait: the other rows wait as long.
            until = clock.now() + paused.exc.delay
            for other in jobs[index + 1 :]:
                run.outcomes[other.key] = await service.retry_report(
                    db, other, at=until, error="RetryAfter (another report)"
                )
            return True
    return False


async def _deliver(
    db: Database,
    clock: Clock,
    room: StaffRoom,
    content: ReportContent,
    job: service.ReportJob,
    now: datetime,
) -> str:
    """Send one claimed row to each recipient not yet served; record each as it goes."""
    try:
        if not await content.load():
            return await service.finish_report(db, job, now=now)
        recipients = await service.report_recipients(db, job, room)
    except Exception as exc:
        log.exception("report %s: preparing failed", job.key)
        return await service.retry_report(
            db, job, at=now + reminders.backoff(job.attempts), error=describe(exc)
        )
    for recipient in recipients:
        chat = recipient.chat_id
        if chat in job.delivered or str(chat) in job.failed:
            continue
        try:
            await content.send(recipient)
        except Throttled as exc:
            await service.retry_report(db, job, at=clock.now() + exc.delay, error=describe(exc))
            raise _Paused(exc) from exc
        except (Unreachable, Refused) as exc:
            # Blocked the bot, chat gone, or a message the messenger refuses as such: no
            # retry helps this chat; the others are still served.
            if isinstance(exc, Refused):
                log.error("report %s to %s refused: %s", job.key, chat, describe(exc))
            if not await service.record_unreachable(db, job, chat, describe(exc)):
                return "lost"
            continue
        except Exception as exc:  # time-out, network error, 5xx: try again later
            log.warning("report %s to %s: %s", job.key, chat, describe(exc))
            return await service.retry_report(
                db, job, at=clock.now() + reminders.backoff(job.attempts), error=describe(exc)
            )
        if not await service.record_delivery(db, job, chat):
            return "lost"  # cancelled meanwhile, or another process took it over
    return await service.finish_report(db, job, now=clock.now())
