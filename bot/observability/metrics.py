"""The process's metrics, in Prometheus' text format, each process with its own registry.

- ``pne_updates_handled_total{platform, handler}``: updates (Telegram) and interactions
  (Discord) that reached the bot; ``pne_updates_failed_total{…}``: those whose handling
  failed (the error handlers). ``handler`` is a bounded description of what was asked
  (``handler_of_*``): a known command, else the kind of update.
- ``pne_outbox_due{lane, kind}``: reminder rows pending and due, read at each scrape.
- ``pne_reminder_lag_seconds{lane}``: from a row's due instant to its sending.
- ``pne_reminder_sends_total{lane, result}``: rows ``sent``, ``skipped``, ``retried``,
  ``dead``; recipients ``refused``, ``unreachable``.
- ``pne_leader``: 1 while this instance receives the updates, 0 while it waits for the
  leader lock (decision 0076: a standby serves these pages too).
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.services import reminders
from bot.services.reminders import Outcome, Renderers
from storage.uow import Database

METRICS_KEY = "metrics"  # where the services' ``extra`` keeps the process's Metrics
CONTENT_TYPE = CONTENT_TYPE_LATEST
# From a few seconds (the sweep wakes at the due row, decision 0064) to the quiet hours.
LAG_BUCKETS = (1, 2, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600)
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


class Metrics:
    """Every metric of one process (or one test), on a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "pne_updates_handled",
            "Updates and interactions received, by platform and handler.",
            ["platform", "handler"],
            registry=self.registry,
        )
        self.failures = Counter(
            "pne_updates_failed",
            "Updates and interactions whose handling failed, by platform and handler.",
            ["platform", "handler"],
            registry=self.registry,
        )
        self.outbox = Gauge(
            "pne_outbox_due",
            "Reminder rows pending and due (being sent included), by lane and kind.",
            ["lane", "kind"],
            registry=self.registry,
        )
        self.lag = Histogram(
            "pne_reminder_lag_seconds",
            "Seconds from a reminder's due instant to its sending.",
            ["lane"],
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.sends = Counter(
            "pne_reminder_sends",
            "What the sweep did: rows sent, skipped, retried or dead; recipients refused or"
            " unreachable.",
            ["lane", "result"],
            registry=self.registry,
        )
        # What /healthz says this instance is: "leader" or "standby" (decision 0076).
        self.role = "starting"
        self.leader = Gauge(
            "pne_leader",
            "1 while this instance receives the updates, 0 while it waits as a standby.",
            registry=self.registry,
        )

    # -- fed by the front ends and the sweep ---------------------------------------------

    def handled(self, platform: str, handler: str) -> None:
        self.updates.labels(platform, handler).inc()

    def failed(self, platform: str, handler: str) -> None:
        self.failures.labels(platform, handler).inc()

    def outcome(self, outcome: Outcome) -> None:
        self.sends.labels(outcome.lane, outcome.result).inc()
        if outcome.lag is not None:
            self.lag.labels(outcome.lane).observe(outcome.lag)

    def leading(self, leads: bool) -> None:
        """This instance starts receiving the updates (``True``) or waits for the lock."""
        self.role = "leader" if leads else "standby"
        self.leader.set(1 if leads else 0)

    def watch(self, renderers: Renderers) -> None:
        """Hear every outcome of the sweeps that use this registry of renderers."""
        renderers.on_outcome(self.outcome)

    # -- read at each scrape --------------------------------------------------------------

    async def refresh(self, db: Database, renderers: Renderers, *, now: datetime) -> None:
        """Read the outbox's depth again (kinds no longer due disappear)."""
        depth = await reminders.due_by_kind(db, now=now)
        self.outbox.clear()
        for kind, count in depth.items():
            self.outbox.labels(renderers.lane_of(kind), kind).set(count)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def metrics_of(extra: MutableMapping[str, Any]) -> Metrics:
    """The process's metrics, kept in the services' ``extra`` (made on first use)."""
    metrics = extra.get(METRICS_KEY)
    if not isinstance(metrics, Metrics):
        metrics = extra[METRICS_KEY] = Metrics()
    return metrics


def bounded(name: str | None, fallback: str) -> str:
    """A label value from outside (a command, a button's namespace): kept when it looks
    like one of ours, else ``fallback``, so that nobody can grow the series by typing."""
    if name and _NAME.fullmatch(name):
        return name
    return fallback
