"""``pne-bot run`` with tokens: every configured front end in one process and one loop.

They share the services (database, catalogs, the router of senders) and one reminder
sweep: on Telegram's job queue when Telegram runs (with the periodic reports), else on
the Discord side; ``/healthz`` and ``/metrics`` are served beside them (decision 0070),
by a standby too. Ctrl+C or SIGTERM stops them all.

On PostgreSQL several instances may run; only the one holding the leader lock
(``storage.leader``, decision 0076) starts the front ends, the others wait for it. The
front ends know nothing of it: they run until their ``stop`` event, which is also set the
moment the lock's connection is lost. A standby neither receives nor sweeps (decision
0089): it answers ``/healthz`` (``"role": "standby"``) and ``/metrics`` (``pne_leader 0``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import AsyncExitStack, suppress

from bot.bootstrap import Services, bootstrap
from bot.config import Settings
from bot.observability.metrics import Metrics, metrics_of
from bot.observability.server import serving
from storage import leader
from storage.uow import Database

log = logging.getLogger("pne-bot")


async def run_front_ends(settings: Settings, db: Database) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    services = bootstrap(settings, db)
    lock = leader.for_url(db.url)
    async with AsyncExitStack() as stack:
        await _supervise(stack, settings, db, services)
        if lock is None:
            # SQLite: one instance only, nothing to compete for.
            metrics_of(services.extra).leading(True)
            return await _serve(services, stop)
        try:
            return await _lead_when_possible(settings, db, lock, stop, metrics_of(services.extra))
        finally:
            await lock.close()


async def _supervise(
    stack: AsyncExitStack, settings: Settings, db: Database, services: Services
) -> None:
    """/healthz and /metrics for as long as the process runs, leader or not (0070)."""
    if not settings.http_port:
        return
    server = serving(
        db,
        services.renderers,
        metrics_of(services.extra),
        clock=services.clock,
        host=settings.http_host,
        port=settings.http_port,
        max_lag=settings.health_max_lag,
    )
    try:
        await stack.enter_async_context(server)
    except OSError as exc:  # the port is taken: the bot runs all the same
        log.error(
            "supervision: cannot listen on %s:%s (%s); no /healthz nor /metrics",
            settings.http_host,
            settings.http_port,
            exc.strerror or exc,
        )


async def _lead_when_possible(
    settings: Settings,
    db: Database,
    lock: leader.LeaderLock,
    stop: asyncio.Event,
    metrics: Metrics,
) -> int:
    """Wait for the lock, serve while it is held, wait again if it is lost; until ``stop``.

    Each lead starts from fresh services (nothing a previous lead held in memory is
    trusted after another instance led); the process's counters go on."""
    result = 0
    while not stop.is_set():
        metrics.leading(False)
        if not await lock.try_acquire():
            log.info("en attente : une autre instance reçoit les messages")
            while not stop.is_set() and not await lock.try_acquire():
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), settings.leader_retry_seconds)
            if stop.is_set():
                break
        log.info("cette instance reçoit les messages")
        metrics.leading(True)
        term = asyncio.Event()  # this instance's lead ends: asked to stop, or lock lost
        watch = asyncio.create_task(lock.watch(settings.leader_check_seconds))
        stopped = asyncio.create_task(stop.wait())
        for task in (watch, stopped):
            task.add_done_callback(_setter(term))
        try:
            result = await _serve(bootstrap(settings, db, metrics=metrics), term)
            lost = watch.done()
        finally:
            for task in (watch, stopped):
                task.cancel()
                with suppress(asyncio.CancelledError, Exception):
                    await task
        if stop.is_set():
            break
        if not lost:
            break  # the front ends ended on their own (none configured): nothing to lead
        log.error("lien avec la base perdu : cette instance cesse de recevoir les messages")
    metrics.leading(False)
    await lock.release()
    return result


def _setter(event: asyncio.Event) -> Callable[[object], None]:
    def set_it(_task: object) -> None:
        event.set()

    return set_it


async def _serve(services: Services, stop: asyncio.Event) -> int:
    settings = services.settings
    runs = []
    if settings.telegram_token is not None:
        from handlers.telegram.runner import run_telegram

        runs.append(run_telegram(settings, services.db, services=services, stop=stop))
    if settings.discord_token is not None:
        from handlers.discord.runner import run_discord

        runs.append(run_discord(services, stop, sweep=settings.telegram_token is None))
    results = await asyncio.gather(*runs)
    return max(results, default=0)
