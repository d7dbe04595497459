"""Two real ``pne-bot run`` on one PostgreSQL (decision 0076): one receives, the other waits
and takes over within 30 s of a kill -9; no update is lost and no reminder goes twice.

Telegram is a small fake Bot API on 127.0.0.1 (``tests.bot_api_process``), each instance
reaching it under its own path prefix so that the fake knows who asks.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.domain.claims import ClaimKind
from bot.services import claims
from bot.services.directory import seed_demo
from storage.models import Person, Reminder, School
from storage.uow import Database
from tests.bot_api_process import FakeBotAPI, log_of, serving, start, wait_for

USERS = range(8_000_001, 8_000_007)  # strangers writing /start: six updates, six replies
TAKEOVER = 30.0


@pytest.fixture
def fake_api() -> Iterator[tuple[FakeBotAPI, int]]:
    with serving() as served:
        yield served


@pytest.fixture
async def postgres_url(database_url: str) -> AsyncIterator[str]:
    if database_url.startswith("sqlite"):
        pytest.skip("two instances need PostgreSQL (SQLite: one instance, no lock)")
    yield database_url


async def _plan_reminders(url: str, *tags: str, seed: bool = False) -> int:
    """A theft of each asset (on the demo directory), their reminders all due now; how
    many rows that makes."""
    db = Database(url)
    now = datetime.now(UTC)
    try:
        if seed:
            assert await seed_demo(db, now=now)
        async with db.uow() as uow:
            school = await uow.session.scalar(select(School).where(School.uai == "0429901J"))
            people = (await uow.session.scalars(select(Person))).all()
        assert school is not None
        director = next(p for p in people if p.full_name.startswith("Camille"))
        for tag in tags:
            await claims.report_claim(
                db,
                claims.ReportClaim(
                    reporter_id=director.id,
                    school_id=school.id,
                    kind=ClaimKind.THEFT,
                    discovered_at=now - timedelta(hours=1),
                    description="Classe fracturée",
                    items=(claims.ItemRequest(asset_tag=tag),),
                ),
                now,
            )
    finally:
        await db.close()
    return await _bring_forward(url)


async def _bring_forward(url: str) -> int:
    """Every pending reminder due now."""
    db = Database(url)
    now = datetime.now(UTC)
    try:
        async with db.uow() as uow:
            moved = await uow.session.execute(
                update(Reminder)
                .where(Reminder.state == "pending")
                .values(due_at=now - timedelta(minutes=1), next_attempt_at=now)
            )
            await uow.commit()
            return int(moved.rowcount)  # type: ignore[attr-defined]
    finally:
        await db.close()


def _settled(api: FakeBotAPI, count: Any) -> Any:
    """True once ``count()`` has not moved for 1.5 s (a sweep's batch is over)."""
    seen = {"value": count(), "since": time.monotonic()}

    def done() -> bool:
        value = count()
        if value != seen["value"]:
            seen.update(value=value, since=time.monotonic())
        return bool(time.monotonic() - seen["since"] >= 1.5)

    return done


async def _reminders(url: str) -> list[Reminder]:
    db = Database(url)
    try:
        async with db.uow() as uow:
            return list((await uow.session.scalars(select(Reminder))).all())
    finally:
        await db.close()


@pytest.mark.postgres
async def test_one_instance_receives_the_other_takes_over_after_a_kill(
    postgres_url: str, fake_api: tuple[FakeBotAPI, int], tmp_path: Path
) -> None:
    api, port = fake_api
    planned = await _plan_reminders(postgres_url, "SEM-DEMO-0001", "SEM-DEMO-0003", seed=True)
    assert planned >= 2
    for user in USERS[:3]:
        api.queue_start(user)

    first = start("A", port, postgres_url, tmp_path)
    wait_for(
        "A leads",
        lambda: "cette instance reçoit les messages" in log_of(tmp_path, "A"),
        20,
        tmp_path,
    )
    second = start("B", port, postgres_url, tmp_path)
    processes = {"A": first, "B": second}
    try:
        wait_for("B waits", lambda: "en attente" in log_of(tmp_path, "B"), 20, tmp_path)

        def replied(users: range) -> bool:
            chats = {int(p["chat_id"]) for _, _, p in api.of("sendMessage")}
            return set(users) <= chats

        # The leader answers the first updates and sweeps the reminders (its first sweep
        # runs 10 s after its start).
        wait_for("A answers", lambda: replied(USERS[:3]), 15, tmp_path)

        def reminders_sent() -> int:
            return sum(1 for _, _, p in api.of("sendMessage") if int(p["chat_id"]) not in USERS)

        wait_for("A sweeps", lambda: reminders_sent() > 0, 20, tmp_path)
        wait_for("A's sweep ends", _settled(api, reminders_sent), 10, tmp_path)
        assert {who for _, who, _ in api.of("getUpdates")} == {"A"}
        sent_by_a = reminders_sent()

        first.send_signal(signal.SIGKILL)
        first.wait(5)
        killed_at = time.monotonic()
        for user in USERS[3:]:  # written while nobody receives
            api.queue_start(user)

        took = wait_for(
            "B takes over",
            lambda: any(who == "B" for _, who, _ in api.of("getUpdates")),
            TAKEOVER,
            tmp_path,
        )
        assert took < TAKEOVER
        assert "cette instance reçoit les messages" in log_of(tmp_path, "B")
        wait_for("B answers what arrived meanwhile", lambda: replied(USERS[3:]), 15, tmp_path)
        # A theft reported now: the new leader sends its reminders (its first sweep runs
        # 10 s after it took over), and none of those the old one sent.
        assert await _plan_reminders(postgres_url, "SEM-DEMO-0004") > 0
        wait_for("B sweeps", lambda: reminders_sent() > sent_by_a, 20, tmp_path)
        wait_for("B's sweep ends", _settled(api, reminders_sent), 10, tmp_path)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()

    # Only one of them ever asked for updates at a time: A until its death, B after it.
    for at, who, _ in api.of("getUpdates"):
        assert (who == "A") == (at < killed_at), (who, at - killed_at)
    # No reminder twice: no message to a demo person repeated (each names its claim).
    told = [(int(p["chat_id"]), p["text"]) for _, _, p in api.of("sendMessage")]
    told = [message for message in told if message[0] not in USERS]
    assert len(told) > sent_by_a and len(set(told)) == len(told), told
    rows = await _reminders(postgres_url)
    assert sum(1 for row in rows if row.state == "sent") >= 2
