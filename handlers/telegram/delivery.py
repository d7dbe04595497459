"""Telegram's delivery adapter: renders neutral messages, sends them, maps its errors.

The services and the reminder sweep speak in :mod:`bot.services.delivery` terms; this is
the only place where a Telegram error becomes ``Unreachable``, ``Refused`` or
``Throttled``, and where the sweep is put on python-telegram-bot's job queue.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.domain.platforms import TELEGRAM
from bot.services import reminders
from bot.services.delivery import (
    Actions,
    Dispatch,
    Fetcher,
    FileSender,
    Outgoing,
    Refused,
    Sender,
    Throttled,
    Uncertain,
    Unreachable,
    describe,
)

if TYPE_CHECKING:
    from telegram import Bot
    from telegram.ext import Application, CallbackContext, Job

log = logging.getLogger(__name__)

JOB_NAME = "reminders"
# A run sooner than the round: when the next row falls due, when Telegram's « wait » ends,
# or when a reminder due soon was just planned (the round is then only a safety net).
SOON_JOB_NAME = "reminders.soon"
THROTTLE_KEY = "reminders.throttled_until"
SWEEP_INTERVAL = 60  # seconds between two sweeps of the job queue
SWEEP_FIRST = 10  # seconds after start-up for the first sweep
SWEEP_BUDGET = 45.0  # seconds one job run may keep claiming batch after batch
SWEEP_CONCURRENCY = 4  # rows of a batch in flight at once (the rate limiter paces them)
# The paced lane (decision 0042): a crowd's messages, beside the sweep. With at most
# PACED_CONCURRENCY of them waiting for the rate limiter, a deadline's reminder waits
# behind a handful, never behind the crowd.
PACED_JOB_NAME = "reminders.paced"
PACED_INTERVAL = 10
PACED_FIRST = 5
PACED_BUDGET = 9.0
PACED_CONCURRENCY = 2

_T = TypeVar("_T")

# What Telegram says when the chat itself is gone, as opposed to a refused message.
_CHAT_GONE = ("chat not found", "peer_id_invalid", "user not found", "chat_id is empty")


def markup(rows: Actions) -> InlineKeyboardMarkup | None:
    """Neutral buttons as an inline keyboard (the action id is the callback data)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.action) for b in row] for row in rows]
    )


def chat_is_gone(exc: BadRequest) -> bool:
    text = exc.message.lower()
    return any(marker in text for marker in _CHAT_GONE)


def retry_after_delay(exc: RetryAfter) -> timedelta:
    """Telegram's ``retry_after`` as a timedelta (an int, a float or a timedelta)."""
    with warnings.catch_warnings():
        # Reading the attribute warns until PTB_TIMEDELTA is set; both types are handled.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: object = exc.retry_after
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    raise TypeError(f"unexpected retry_after {value!r}")  # pragma: no cover


async def neutral_errors(call: Callable[[], Awaitable[_T]]) -> _T:
    """Await ``call`` and raise Telegram's refusals as the neutral delivery errors.

    A time-out is ``Uncertain`` (Telegram may have delivered the message); network and
    server errors pass through unchanged: they are transient.
    """
    try:
        return await call()
    except TimedOut as exc:
        raise Uncertain(describe(exc)) from exc
    except RetryAfter as exc:
        raise Throttled(describe(exc), retry_after_delay(exc)) from exc
    except Forbidden as exc:
        raise Unreachable(describe(exc)) from exc
    except BadRequest as exc:
        if chat_is_gone(exc):
            raise Unreachable(describe(exc)) from exc
        raise Refused(describe(exc)) from exc


def with_neutral_errors(send: Callable[[Outgoing], Awaitable[int | None]]) -> Sender:
    """A sender over Telegram's, with a group that became a supergroup followed once."""

    async def sender(message: Outgoing) -> int | None:
        if message.platform != TELEGRAM:
            # Another front end's address: a Telegram chat id of the same number is
            # somebody else's chat.
            raise Unreachable(f"not a Telegram address ({message.platform})")

        async def once() -> int | None:
            try:
                return await send(message)
            except ChatMigrated as exc:
                return await send(replace(message, chat_id=exc.new_chat_id))

        return await neutral_errors(once)

    return sender


def telegram_sender(bot: Bot) -> Sender:
    """Send through the bot (its rate limiter and Defaults: parse_mode HTML); a text
    longer than Telegram takes is split, the buttons going with the last part, whose id
    is returned."""

    async def send(message: Outgoing) -> int | None:
        from handlers.telegram.common import split_text

        parts = split_text(message.text)
        sent_id: int | None = None
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            sent = await bot.send_message(
                chat_id=message.chat_id,
                text=part,
                reply_markup=markup(message.actions) if last else None,
            )
            sent_id = sent.message_id
        return sent_id

    return with_neutral_errors(send)


# ------------------------------------------------------------------------------ the sweep job


def _ready(context: CallbackContext[Any, Any, Any, Any], what: str) -> Any:
    """The services and renderers, unless Telegram asked us to wait (then ``None``)."""
    services = context.application.bot_data["services"]
    renderers = services.extra.get(reminders.RENDERERS_KEY)
    if not isinstance(renderers, reminders.Renderers):
        log.warning("no reminder renderers (services.extra[%r])", reminders.RENDERERS_KEY)
        return None
    throttled_until: datetime | None = services.extra.get(THROTTLE_KEY)
    if throttled_until is not None and services.clock.now() < throttled_until:
        log.info("%s skipped: Telegram asked to wait until %s", what, throttled_until)
        return None
    return services, renderers


def _throttled(services: Any, report: reminders.SweepReport) -> None:
    """Telegram's « wait » holds for both lanes, until the latest instant asked."""
    until = report.throttled_until
    if until is not None:
        held: datetime | None = services.extra.get(THROTTLE_KEY)
        services.extra[THROTTLE_KEY] = max(until, held) if held is not None else until


async def sweep_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """The job queue's callback: drain what is due, unless Telegram asked us to wait;
    then set the next run for when the next row falls due."""
    ready = _ready(context, "reminder sweep")
    idle = True
    if ready is not None:
        services, renderers = ready
        report = await reminders.drain(
            services.db,
            renderers,
            services.router,  # each person on their own platform
            clock=services.clock,
            worker=reminders.worker_id(),
            lease=services.settings.reminder_lease,
            concurrency=SWEEP_CONCURRENCY,
            budget=SWEEP_BUDGET,
            stopping=services.stopping,
        )
        _throttled(services, report)
        _log("reminders", report)
        idle = report.idle
    await wake_for_next(context.application, idle=idle)


async def wake_for_next(
    application: Application[Any, Any, Any, Any, Any, Any], *, idle: bool = False
) -> None:
    """Run the sweep again when the next deadline row falls due (or Telegram's « wait »
    ends), if that is sooner than its round; ``idle``: the last run took nothing."""
    services = application.bot_data["services"]
    renderers = services.extra.get(reminders.RENDERERS_KEY)
    if not isinstance(renderers, reminders.Renderers):
        return
    now = services.clock.now()
    due = await reminders.next_due(services.db, renderers, now=now)
    wake_sweep(application, _delay(services, now, due, idle=idle))


def _delay(services: Any, now: datetime, due: datetime | None, *, idle: bool = False) -> float:
    throttled_until: datetime | None = services.extra.get(THROTTLE_KEY)
    return reminders.next_wake(
        now, due=due, throttled_until=throttled_until, interval=SWEEP_INTERVAL, idle=idle
    )


def wake_sweep(application: Application[Any, Any, Any, Any, Any, Any], delay: float) -> None:
    """Run the sweep in ``delay`` seconds, unless a run is set for sooner already (a
    delay of a whole round or more: the round itself)."""
    queue = application.job_queue
    if queue is None or not queue.scheduler.running or delay >= SWEEP_INTERVAL:
        return  # not running (a one-off run, a test's): nothing to set
    when = datetime.now(UTC) + timedelta(seconds=delay)  # the job queue's own clock
    for job in queue.get_jobs_by_name(SOON_JOB_NAME):
        if job.next_t is not None and job.next_t <= when:
            return
        job.schedule_removal()
    queue.run_once(sweep_job, when=delay, name=SOON_JOB_NAME)


def planned_listener(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> Callable[[datetime], None]:
    """What the database tells after a commit that planned reminders: the sweep wakes for
    the earliest of them when it is due before the next round."""
    services = application.bot_data["services"]

    def heard(due_at: datetime) -> None:
        wake_sweep(application, _delay(services, services.clock.now(), due_at))

    return heard


async def paced_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """The paced lane's callback: expand the crowds' reminders due, send a few at a time."""
    ready = _ready(context, "paced reminders")
    if ready is None:
        return
    services, renderers = ready
    report = await reminders.paced(
        services.db,
        renderers,
        services.router,
        clock=services.clock,
        worker=reminders.worker_id(),
        lease=services.settings.reminder_lease,
        concurrency=PACED_CONCURRENCY,
        budget=PACED_BUDGET,
        stopping=services.stopping,
    )
    _throttled(services, report)
    _log("paced reminders", report)


def _log(what: str, report: reminders.SweepReport) -> None:
    if not report.idle:
        log.info(
            "%s: %d claimed, %d sent, %d skipped (%d superseded by a later one),"
            " %d retried, %d dead, %d deferred",
            what,
            report.claimed,
            report.sent,
            report.skipped,
            report.superseded,
            report.retried,
            report.dead,
            report.deferred,
        )


def repeating(
    application: Application[Any, Any, Any, Any, Any, Any],
    callback: Callable[[CallbackContext[Any, Any, Any, Any]], Coroutine[Any, Any, None]],
    *,
    name: str,
    interval: float,
    first: float,
) -> Job[Any]:
    """Run ``callback`` every ``interval`` seconds, one run at a time (APScheduler skips an
    overlap); idempotent: the job ``name`` is scheduled once per Application."""
    if application.job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    existing = application.job_queue.get_jobs_by_name(name)
    if existing:
        return existing[0]
    return application.job_queue.run_repeating(
        callback,
        interval=interval,
        first=first,
        name=name,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )


def schedule_sweep(
    application: Application[Any, Any, Any, Any, Any, Any],
    interval: float = SWEEP_INTERVAL,
    *,
    first: float = SWEEP_FIRST,
) -> Job[Any]:
    """Run the sweep every ``interval`` seconds (the job ``reminders``, once per Application)."""
    services = application.bot_data["services"]
    services.extra.setdefault(reminders.RENDERERS_KEY, reminders.Renderers())
    return repeating(application, sweep_job, name=JOB_NAME, interval=interval, first=first)


def schedule_paced(
    application: Application[Any, Any, Any, Any, Any, Any],
    interval: float = PACED_INTERVAL,
    *,
    first: float = PACED_FIRST,
) -> Job[Any]:
    """Run the paced lane every ``interval`` seconds, beside the sweep; idempotent."""
    return repeating(application, paced_job, name=PACED_JOB_NAME, interval=interval, first=first)


async def send_dispatch(bot: Bot, dispatch: Dispatch) -> int | None:
    """A text (none: the files alone) then its files to one Telegram chat (a picture as a
    photo): a report, or a file carried from another platform."""

    async def to(chat_id: int) -> int | None:
        last: int | None = None
        if dispatch.text:
            from handlers.telegram.common import split_text  # common imports this module

            for part in split_text(dispatch.text):
                last = (await bot.send_message(chat_id, part)).message_id
        for file in dispatch.files:
            caption = file.caption or None
            if file.image:
                sent = await bot.send_photo(chat_id, photo=file.data, caption=caption)
            else:
                sent = await bot.send_document(
                    chat_id, document=file.data, filename=file.filename, caption=caption
                )
            last = sent.message_id
        return last

    async def once() -> int | None:
        try:
            return await to(dispatch.chat_id)
        except ChatMigrated as exc:  # a group became a supergroup: its new id, once
            return await to(exc.new_chat_id)

    if dispatch.platform != TELEGRAM:
        raise Unreachable(f"not a Telegram address ({dispatch.platform})")
    return await neutral_errors(once)


def file_sender(bot: Bot) -> FileSender:
    async def send(dispatch: Dispatch) -> int | None:
        return await send_dispatch(bot, dispatch)

    return send


def file_fetcher(bot: Bot) -> Fetcher:
    """A Telegram file's bytes by its file id (``getFile``, then its download)."""

    async def fetch(file_id: str) -> bytes:
        found = await bot.get_file(file_id)
        return bytes(await found.download_as_bytearray())

    return fetch
