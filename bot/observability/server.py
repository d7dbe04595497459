"""``GET /healthz`` and ``GET /metrics`` on the bot's own event loop (aiohttp, no thread)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from aiohttp import web

from bot.clock import Clock
from bot.observability import health
from bot.observability.metrics import CONTENT_TYPE, Metrics
from bot.services.reminders import Renderers
from storage.uow import Database

log = logging.getLogger(__name__)


def application(
    db: Database, renderers: Renderers, metrics: Metrics, *, clock: Clock, max_lag: timedelta
) -> web.Application:
    async def healthz(_request: web.Request) -> web.Response:
        state = await health.check(db, renderers, now=clock.now(), max_lag=max_lag)
        # A standby is healthy when it could take over: the database answers.
        body = state.as_json() | {"role": metrics.role}
        return web.json_response(body, status=200 if state.ok else 503)

    async def metrics_page(_request: web.Request) -> web.Response:
        try:
            await metrics.refresh(db, renderers, now=clock.now())
        except Exception as exc:  # the counters are still worth reading
            log.warning("metrics: the outbox could not be read: %s", type(exc).__name__)
        response = web.Response(body=metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    return app


@asynccontextmanager
async def serving(
    db: Database,
    renderers: Renderers,
    metrics: Metrics,
    *,
    clock: Clock,
    host: str,
    port: int,
    max_lag: timedelta,
) -> AsyncIterator[int]:
    """Serve until the block ends; yields the port bound (``port=0``: any free one)."""
    runner = web.AppRunner(
        application(db, renderers, metrics, clock=clock, max_lag=max_lag), access_log=None
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        bound = sockets[0].getsockname()[1] if sockets else port
        log.info("supervision on http://%s:%s (/healthz, /metrics)", host, bound)
        yield int(bound)
    finally:
        await runner.cleanup()
