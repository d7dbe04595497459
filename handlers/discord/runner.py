"""Running on the real Discord: the gateway connection until told to stop."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from bot.bootstrap import Services
from bot.services import reminders, report_delivery
from handlers.discord.app import PneDiscord, build_client

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 60.0  # as Telegram's job queue runs it
PACED_INTERVAL = 10.0
REPORTS_INTERVAL = 600.0  # as Telegram's reports job (the pushes are due at 08:00)


async def _every(seconds: float, run: object) -> None:
    while True:
        try:
            await run()  # type: ignore[operator]
        except Exception:
            log.exception("discord: a reminder run failed; next one in %s s", seconds)
        await asyncio.sleep(seconds)


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

            async def deadlines() -> None:
                await reminders.drain(
                    services.db,
                    services.renderers,
                    services.router,
                    clock=services.clock,
                    worker=worker,
                    lease=settings.reminder_lease,
                    concurrency=4,
                    budget=45.0,
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
                )

            async def reports() -> None:
                await report_delivery.run_prepared(services, worker=worker)

            tasks.append(asyncio.create_task(_every(SWEEP_INTERVAL, deadlines)))
            tasks.append(asyncio.create_task(_every(PACED_INTERVAL, paced)))
            tasks.append(asyncio.create_task(_every(REPORTS_INTERVAL, reports)))
        log.info("pne-bot connecté à Discord ; Ctrl+C pour arrêter")
        await stop.wait()
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
