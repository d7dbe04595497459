"""SIGTERM while an announcement goes out (decision 0091): ``pne-bot run`` stops within a
few seconds, the message in flight ends, and what was not sent waits in the outbox,
released at once; the next start serves the rest, and nobody twice.

A real process on a fake Bot API (``tests.bot_api_process``) that answers each
sendMessage slowly, so that the broadcast is still under way when the signal comes.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.services.announcements import Audience, AudienceKind, record_announcement
from bot.services.directory import seed_demo
from storage.models import Person, PlatformAccount, Reminder
from storage.uow import Database
from tests.bot_api_process import log_of, serving, start, wait_for

PEOPLE = range(8_100_001, 8_100_041)  # forty teachers, each a private chat
TEXT = "Coupure du réseau mercredi de 12 h à 14 h."
STOP_WITHIN = 3.0  # seconds from SIGTERM to the end (a whole broadcast round took 5 to 9)


async def _announce(url: str) -> None:
    """The demo directory, forty more teachers, and an announcement to everyone."""
    db = Database(url)
    now = datetime.now(UTC)
    try:
        assert await seed_demo(db, now=now)
        async with db.uow() as uow:
            for chat in PEOPLE:
                uow.people.add(
                    Person(
                        full_name=f"Enseignant {chat}",
                        role="teacher",
                        language="fr",
                        active=True,
                        created_at=now,
                        accounts=[
                            PlatformAccount(
                                platform="telegram",
                                external_user_id=chat,
                                chat_id=chat,
                                created_at=now,
                            )
                        ],
                    )
                )
            await uow.commit()
            staff = await uow.session.scalar(select(Person).where(Person.role == "staff"))
        assert staff is not None
        await record_announcement(db, staff.id, Audience(AudienceKind.EVERYONE), TEXT, now)
    finally:
        await db.close()


async def _leased(url: str) -> list[str]:
    db = Database(url)
    try:
        async with db.uow() as uow:
            held = await uow.session.scalars(
                select(Reminder.key).where(Reminder.lease_owner.is_not(None))
            )
            return list(held)
    finally:
        await db.close()


async def test_sigterm_during_an_announcement_stops_at_once_and_the_rest_goes_next_start(
    database_url: str, tmp_path: Path
) -> None:
    await _announce(database_url)
    with serving() as (api, port):
        api.send_delay = 0.25  # the broadcast takes seconds: it is under way at the signal

        def told() -> Counter[int]:
            return Counter(
                int(p["chat_id"])
                for _, _, p in api.of("sendMessage")
                if int(p["chat_id"]) in PEOPLE and TEXT in str(p.get("text", ""))
            )

        first = start("A", port, database_url, tmp_path)
        try:
            wait_for("the broadcast begins", lambda: sum(told().values()) >= 4, 40, tmp_path)
            first.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            first.wait(30)
            took = time.monotonic() - signalled
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        served = told()
        assert first.returncode == 0, log_of(tmp_path, "A")[-3000:]
        assert took < STOP_WITHIN, (took, log_of(tmp_path, "A")[-3000:])
        assert 0 < len(served) < len(PEOPLE)  # stopped in the middle
        # Nothing is left leased: the next start takes the rest at once, not after a lease.
        assert await _leased(database_url) == []

        api.send_delay = 0.0
        second = start("B", port, database_url, tmp_path)
        try:
            wait_for("the rest is sent", lambda: set(told()) == set(PEOPLE), 40, tmp_path)
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(15)
            except subprocess.TimeoutExpired:
                second.kill()
                second.wait()
        counts = told()
        assert set(counts) == set(PEOPLE)
        assert max(counts.values()) == 1, [c for c, n in counts.items() if n > 1]
        assert {who for _, who, _ in api.of("sendMessage") if who == "B"}  # B sent the rest
        assert "Traceback" not in log_of(tmp_path, "A") + log_of(tmp_path, "B")
