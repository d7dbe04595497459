"""The one place where the services are built from the settings, for every front end.

``bootstrap`` wires the database, the clock, the catalogs, the ticket kinds and the
reminder renderers; a front end (Telegram's Application, Discord's client, the command
line, a test's recording front end) receives the result and never builds its own.
Nothing here imports a messenger.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.i18n import I18n
from bot.services.delivery import Outgoing, Router
from bot.services.kinds import Kinds
from bot.services.reminders import RENDERERS_KEY, Renderers, worker_id
from storage.uow import Database

if TYPE_CHECKING:
    from bot.observability.metrics import Metrics
    from bot.services.outbox import Told


@dataclass
class Services:
    """What every front end may use; built once (``bootstrap``), closed with the database."""

    settings: Settings
    db: Database
    clock: Clock
    i18n: I18n
    kinds: Kinds = field(default_factory=Kinds)
    extra: dict[str, Any] = field(default_factory=dict)
    # Every running front end's sender, by platform: the sweep and the notices to others
    # write to each person on their own platform through it.
    router: Router = field(default_factory=Router)
    # Set when the process shuts down: the outbox's runs send no further message and put
    # back what they hold (a stop takes the message in flight, not the broadcast).
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def renderers(self) -> Renderers:
        """The reminder renderers of every ticket kind (the sweep's registry)."""
        renderers = self.extra.get(RENDERERS_KEY)
        if not isinstance(renderers, Renderers):
            renderers = self.extra[RENDERERS_KEY] = Renderers()
        return renderers

    async def tell(self, messages: Sequence[Outgoing]) -> int:
        """What a service says is owed to others, sent now through the outbox (decision
        0084), each to their own platform by the router; what cannot go now is left to
        the sweep. Returns how many were delivered now."""
        return (await self.deliver(messages)).delivered

    async def deliver(self, messages: Sequence[Outgoing]) -> Told:
        """As ``tell``, saying also how many are left to the sweep."""
        from bot.services.outbox import send_now

        return await send_now(
            self.db,
            self.renderers,
            self.router,
            messages,
            clock=self.clock,
            worker=worker_id(),
            lease=self.settings.reminder_lease,
        )


def bootstrap(
    settings: Settings,
    db: Database,
    *,
    clock: Clock | None = None,
    metrics: Metrics | None = None,
) -> Services:
    """The services, ready: catalogs loaded, every ticket kind's reminders registered.

    ``metrics``: the process's, when it outlives these services (``pne-bot run`` builds
    fresh services each time its instance becomes the leader, and keeps its counters)."""
    from bot.domain.invitations import KIND_CODE_BURST
    from bot.observability.logs import follow_tickets
    from bot.observability.metrics import METRICS_KEY, metrics_of
    from bot.services import call_publication
    from bot.services.announcement_delivery import announcement_renderers
    from bot.services.call_kind import CALLS
    from bot.services.claim_kind import CLAIMS
    from bot.services.collection_kind import COLLECTIONS
    from bot.services.notice_kind import NOTICES
    from bot.services.outbox import outbox_renderers
    from bot.services.reports import REPORT_KINDS
    from bot.services.security_notices import code_burst_renderer

    follow_tickets()  # log lines name the ticket an update is about (decision 0090)
    i18n = I18n(settings.tz)
    db.quiet_hours = settings.quiet_hours  # every reminder planned respects them
    kinds = Kinds(CLAIMS, COLLECTIONS, NOTICES, CALLS)
    services = Services(
        settings=settings, db=db, clock=clock or SystemClock(), i18n=i18n, kinds=kinds
    )
    renderers = kinds.renderers(i18n, settings)
    # The periodic reports send files through their own job (decision 0009).
    renderers.handled_elsewhere(*REPORT_KINDS)
    # A burst of wrong invitation codes, told to staff (decision 0069).
    renderers.register(KIND_CODE_BURST, code_burst_renderer(i18n, settings))
    # Announcements go through the outbox too (decision 0075).
    renderers.merge(announcement_renderers(i18n, settings))
    # Messages written at once for many (a call's news), with the author's report (0077).
    reports = {call_publication.REPORT: (call_publication.report_text, call_publication.report_end)}
    renderers.merge(outbox_renderers(i18n, reports))
    services.extra[RENDERERS_KEY] = renderers
    if metrics is not None:
        services.extra[METRICS_KEY] = metrics
    # The process's metrics (decision 0070), on a registry of their own: they hear every
    # sweep's outcomes through the renderers' registry.
    metrics_of(services.extra).watch(renderers)
    return services
