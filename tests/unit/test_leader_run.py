"""``pne-bot run`` on PostgreSQL serves only while it holds the leader lock (decision 0076)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.bootstrap import Services
from bot.config import Settings
from bot.observability.metrics import Metrics
from handlers import run
from storage.uow import Database


class FakeLock:
    """Refused ``busy`` times, then held until ``lose`` is set."""

    def __init__(self, busy: int) -> None:
        self.busy = busy
        self.tries = 0
        self.lose = asyncio.Event()
        self.held = False
        self.released = False
        self.tried = asyncio.Event()  # set at each try
        self.acquired = asyncio.Event()

    async def try_acquire(self) -> bool:
        self.tries += 1
        self.tried.set()
        if self.held:
            return True
        if self.tries > self.busy:
            self.held = True
            self.acquired.set()
        return self.held

    async def watch(self, every: float) -> None:
        await self.lose.wait()
        self.held = False

    async def release(self) -> None:
        self.held, self.released = False, True


def _no_services(_settings: Settings, _db: Database, metrics: Metrics | None = None) -> None:
    """Each lead builds its services; what ``_serve`` does with them is stubbed here."""


async def test_waits_serves_while_held_stops_at_once_when_lost_then_waits_again(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(_env_file=None, leader_retry_seconds=0.2)  # type: ignore[call-arg]
    lock = FakeLock(busy=1)
    terms: list[asyncio.Event] = []
    serving = asyncio.Event()

    async def serve(_services: Services, stop: asyncio.Event) -> int:
        terms.append(stop)
        serving.set()
        await stop.wait()  # what the front ends do: receive until told to stop
        serving.clear()
        return 0

    monkeypatch.setattr(run, "_serve", serve)
    monkeypatch.setattr(run, "bootstrap", _no_services)
    stop = asyncio.Event()
    caplog.set_level(logging.INFO, logger="pne-bot")
    task = asyncio.create_task(run._lead_when_possible(settings, None, lock, stop, Metrics()))  # type: ignore[arg-type]
    await asyncio.wait_for(serving.wait(), 5)
    assert "en attente : une autre instance reçoit les messages" in caplog.text
    assert "cette instance reçoit les messages" in caplog.text
    assert lock.tries == 2

    # The lock's connection is lost: the front ends are told to stop at once.
    lock.busy = 10**6
    lock.lose.set()
    await asyncio.wait_for(terms[0].wait(), 1)
    assert "cette instance cesse de recevoir les messages" in caplog.text
    # It waits again (the other instance has the lock now), serving nothing.
    lock.lose = asyncio.Event()
    for _ in range(2):
        lock.tried.clear()
        await asyncio.wait_for(lock.tried.wait(), 2)
    assert not serving.is_set() and len(terms) == 1
    # And stopping it while it waits ends it.
    stop.set()
    assert await asyncio.wait_for(task, 2) == 0
    assert lock.released


async def test_stopping_the_leader_releases_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    lock = FakeLock(busy=0)

    async def serve(_services: Services, stop: asyncio.Event) -> int:
        await stop.wait()
        return 0

    monkeypatch.setattr(run, "_serve", serve)
    monkeypatch.setattr(run, "bootstrap", _no_services)
    stop = asyncio.Event()
    task = asyncio.create_task(run._lead_when_possible(settings, None, lock, stop, Metrics()))  # type: ignore[arg-type]
    await asyncio.wait_for(lock.acquired.wait(), 2)
    stop.set()
    assert await asyncio.wait_for(task, 2) == 0
    assert lock.released and lock.tries == 1
