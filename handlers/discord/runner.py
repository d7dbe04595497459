"""Running on the real Discord: the gateway connection until told to stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime

from bot.bootstrap import Services
from bot.services import privacy, reminders, report_delivery
from bot.services.reminders import SweepReport
from handlers.discord.app import PneDiscord, build_client

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 60.0  # as Telegram's job queue runs it
PACED_INTERVAL = 10.0
REPORTS_INTERVAL = 600.0  # as Telegram's reports job (the pushes are due at 08:00)
RETENTION_INTERVAL = 3600.0  # as Telegram's retention job (one pass a day, decision 0071)


STOP_GRACE = 5.0  # seconds a run in progress has to put back what it holds, on a stop


async def _every(seconds: float, run: object, stopping: asyncio.Event) -> None:
    while not stopping.is_set():
        try:
            await run()  # type: ignore[operator]
        except Exception:
            log.exception("discord: a reminder run failed; next one in %s s", seconds)
        with suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), seconds)


async def sweeping(services: Services, run: Callable[[], Awaitable[SweepReport]]) -> None:
    """The deadline sweep when Discord runs without Telegram: run, then sleep until the
    next row falls due (a reminder planned meanwhile wakes it), at the latest a round."""
    woken = asyncio.Event()
    stop_listening = services.db.on_planned(lambda _due: woken.set())
    try:
        while not services.stopping.is_set():
            throttled_until, idle = None, True
            try:
                report = await run()
                throttled_until, idle = report.throttled_until, report.idle
            except Exception:
                log.exception("discord: a reminder run failed")
            await _until_next(services, woken, throttled_until, idle=idle)
    finally:
        stop_listening()


async def _until_next(
    services: Services, woken: asyncio.Event, throttled_until: datetime | None, *, idle: bool
) -> None:
    while not services.stopping.is_set():
        try:
            now = services.clock.now()
            due = await reminders.next_due(services.db, services.renderers, now=now)
        except Exception:
            log.exception("discord: the next reminder's time could not be read")
            due = None
        delay = reminders.next_wake(
            now, due=due, throttled_until=throttled_until, interval=SWEEP_INTERVAL, idle=idle
        )
        if delay <= 0:
            return
        woken.clear()
        wake = asyncio.ensure_future(woken.wait())
        halt = asyncio.ensure_future(services.stopping.wait())
        done, pending = await asyncio.wait(
            {wake, halt}, timeout=delay, return_when=asyncio.FIRST_COMPLETED
        )
        for waiting in pending:
            waiting.cancel()
        if wake not in done:
            return  # the time came, or the process stops
        # A reminder was planned meanwhile: its time is read again, and it may go at once.
        idle = False


async def run_discord(services: Services, stop: asyncio.Event, *, sweep: bool) -> int:
    """Connect, serve until ``stop``, then close. With ``sweep`` (no Telegram front end in
    this process), the reminder sweep, the paced lane and the periodic reports run here,
    through the router."""
    settings = services.settings
    assert settings.discord_token is not None
    client: PneDiscord = build_client(services)
    async with client:
        await client.login(settings.discord_token.get_secret_value())
        tasks = [asyncio.create_task(client.connect(reconnect=True), name="discord.gateway")]
        if sweep:
            worker = reminders.worker_id()

            async def deadlines() -> SweepReport:
                return await reminders.drain(
                    services.db,
                    services.renderers,
                    services.router,
                    clock=services.clock,
                    worker=worker,
                    lease=settings.reminder_lease,
                    concurrency=4,
                    budget=45.0,
                    stopping=services.stopping,
                )

            async def paced() -> None:
                await reminders.paced(
                    services.db,
                    services.renderers,
                    services.router,
                    clock=services.clock,
                    worker=worker,
                    lease=settings.reminder_lease,
                    concurrency=2,
                    budget=9.0,
                    stopping=services.stopping,
                )

            async def reports() -> None:
                await report_delivery.run_prepared(services, worker=worker)

            stopping = services.stopping
            tasks.append(asyncio.create_task(sweeping(services, deadlines)))
            tasks.append(asyncio.create_task(_every(PACED_INTERVAL, paced, stopping)))
            tasks.append(asyncio.create_task(_every(REPORTS_INTERVAL, reports, stopping)))

            async def retention() -> None:
                await privacy.run_retention(services)

            tasks.append(asyncio.create_task(_every(RETENTION_INTERVAL, retention, stopping)))
        log.info("pne-bot connecté à Discord ; Ctrl+C pour arrêter")
        await stop.wait()
        # The runs are told first and given a moment to put back what they hold (the
        # message in flight ends); whatever is still running then is cancelled.
        services.stopping.set()
        runs = tasks[1:]  # the gateway's connection is simply closed
        if runs:
            await asyncio.wait(runs, timeout=STOP_GRACE)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task
    return 0


async def sync(services: Services) -> int:
    """``pne-bot discord sync``: publish the slash commands to the SEM's server."""
    settings = services.settings
    assert settings.discord_token is not None
    client = build_client(services)
    async with client:
        await client.login(settings.discord_token.get_secret_value())
        synced = await client.sync_commands()
    where = f"server {settings.discord_guild_id}" if settings.discord_guild_id else "global"
    print(f"{len(synced)} commandes synchronisées ({where}).")
    return 0
