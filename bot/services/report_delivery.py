"""The periodic reports' delivery, for any front end: which rows are due, who gets each,
what becomes of a row when a recipient is served, unreachable or throttled.

A front end supplies only the content of a row (:class:`ReportContent`: what it reports
on, and how it is sent to one recipient on that messenger, its failures mapped to the
neutral delivery errors). The review and the yearly lists are files, so they do not go
through the reminder sweep's texts; decision 0009.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.clock import Clock
from bot.services import reminders
from bot.services import reports as service
from bot.services.audiences import Recipient, StaffRoom
from bot.services.delivery import Refused, Throttled, Unreachable, describe
from storage.uow import Database

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


@dataclass
class ReportRun:
    planned: int = 0
    outcomes: dict[str, str] = field(default_factory=dict)  # row key → state written


class _Paused(Exception):
    """The messenger asked the whole bot to wait."""

    def __init__(self, exc: Throttled) -> None:
        super().__init__(str(exc))
        self.exc = exc


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
