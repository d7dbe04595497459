"""Two real ``pne-bot run`` on one PostgreSQL (decision 0076): one receives, the other waits
and takes over within 30 s of a kill -9; no update is lost and no reminder goes twice.

Telegram is a small fake Bot API on 127.0.0.1 (``PNE_TELEGRAM_API_URL``), each instance
reaching it under its own path prefix so that the fake knows who asks. It keeps its
updates until a getUpdates confirms them (``offset``), as Telegram does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select, update

from bot.domain.claims import ClaimKind
from bot.services import claims
from bot.services.directory import seed_demo
from storage.models import Person, Reminder, School
from storage.uow import Database

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST-two-instances"
USERS = range(8_000_001, 8_000_007)  # strangers writing /start: six updates, six replies
TAKEOVER = 30.0


@dataclass
class FakeBotAPI:
    """Enough of the Bot API for ``pne-bot run``; records every call with its caller."""

    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[float, str, str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_update: int = 1
    next_message: int = 1

    def queue_start(self, user_id: int) -> None:
        with self.lock:
            uid, self.next_update = self.next_update, self.next_update + 1
            user = {"id": user_id, "is_bot": False, "first_name": f"U{user_id}"}
            self.updates.append(
                {
                    "update_id": uid,
                    "message": {
                        "message_id": uid,
                        "date": int(time.time()),
                        "chat": {"id": user_id, "type": "private", "first_name": "U"},
                        "from": user,
                        "text": "/start",
                        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                    },
                }
            )

    def answer(self, who: str, method: str, params: dict[str, Any]) -> object:
        with self.lock:
            self.calls.append((time.monotonic(), who, method, params))
        if method == "getMe":
            return {"id": 42, "is_bot": True, "first_name": "PNE", "username": "pne_test_bot"}
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
            while True:
                with self.lock:
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                    if self.updates or time.monotonic() >= deadline:
                        return list(self.updates)
                time.sleep(0.05)
        if method == "sendMessage":
            with self.lock:
                mid, self.next_message = self.next_message, self.next_message + 1
            return {
                "message_id": mid,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": str(params.get("text", "")),
            }
        return True

    def of(self, method: str) -> list[tuple[float, str, dict[str, Any]]]:
        with self.lock:
            return [(at, who, p) for at, who, m, p in self.calls if m == method]


def _params(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        loaded: dict[str, Any] = json.loads(body)
        return loaded
    params: dict[str, Any] = {}
    for key, values in parse_qs(body.decode()).items():
        try:
            params[key] = json.loads(values[0])
        except ValueError:
            params[key] = values[0]
    return params


@pytest.fixture
def fake_api() -> Iterator[tuple[FakeBotAPI, int]]:
    api = FakeBotAPI()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            # /<instance>/bot<token>/<method>
            _, who, _token, method = self.path.split("/", 3)
            length = int(self.headers.get("Content-Length") or 0)
            params = _params(self.rfile.read(length), self.headers.get("Content-Type", ""))
            body = json.dumps({"ok": True, "result": api.answer(who, method, params)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):  # a caller was killed
                self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield api, server.server_address[1]
    server.shutdown()
    server.server_close()


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


def _start(who: str, port: int, url: str, folder: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PNE_")}
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env.pop(proxy, None)
    env.update(
        NO_PROXY="127.0.0.1,localhost",
        PYTHONPATH=str(ROOT),
        PNE_TELEGRAM_TOKEN=TOKEN,
        PNE_TELEGRAM_API_URL=f"http://127.0.0.1:{port}/{who}/bot",
        PNE_DATABASE_URL=url,
        PNE_QUIET_HOURS_START="08:00",  # the same hour twice: no quiet hours in this test
        PNE_QUIET_HOURS_END="08:00",
        PNE_LEADER_RETRY_SECONDS="1",
        PNE_LEADER_CHECK_SECONDS="1",
    )
    log = (folder / f"{who}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=folder, env=env, stdout=log, stderr=log
    )


def _wait(what: str, done: Any, timeout: float, logs: Path) -> float:
    start = time.monotonic()
    while not done():
        if time.monotonic() - start > timeout:
            shown = "\n".join(
                f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs.glob("*.log")
            )
            pytest.fail(f"{what}: not within {timeout} s\n{shown}")
        time.sleep(0.1)
    return time.monotonic() - start


def _log(folder: Path, who: str) -> str:
    return (folder / f"{who}.log").read_text(errors="replace")


@pytest.mark.postgres
async def test_one_instance_receives_the_other_takes_over_after_a_kill(
    postgres_url: str, fake_api: tuple[FakeBotAPI, int], tmp_path: Path
) -> None:
    api, port = fake_api
    planned = await _plan_reminders(postgres_url, "SEM-DEMO-0001", "SEM-DEMO-0003", seed=True)
    assert planned >= 2
    for user in USERS[:3]:
        api.queue_start(user)

    first = _start("A", port, postgres_url, tmp_path)
    _wait(
        "A leads", lambda: "cette instance reçoit les messages" in _log(tmp_path, "A"), 20, tmp_path
    )
    second = _start("B", port, postgres_url, tmp_path)
    processes = {"A": first, "B": second}
    try:
        _wait("B waits", lambda: "en attente" in _log(tmp_path, "B"), 20, tmp_path)

        def replied(users: range) -> bool:
            chats = {int(p["chat_id"]) for _, _, p in api.of("sendMessage")}
            return set(users) <= chats

        # The leader answers the first updates and sweeps the reminders (its first sweep
        # runs 10 s after its start).
        _wait("A answers", lambda: replied(USERS[:3]), 15, tmp_path)

        def reminders_sent() -> int:
            return sum(1 for _, _, p in api.of("sendMessage") if int(p["chat_id"]) not in USERS)

        _wait("A sweeps", lambda: reminders_sent() > 0, 20, tmp_path)
        _wait("A's sweep ends", _settled(api, reminders_sent), 10, tmp_path)
        assert {who for _, who, _ in api.of("getUpdates")} == {"A"}
        sent_by_a = reminders_sent()

        first.send_signal(signal.SIGKILL)
        first.wait(5)
        killed_at = time.monotonic()
        for user in USERS[3:]:  # written while nobody receives
            api.queue_start(user)

        took = _wait(
            "B takes over",
            lambda: any(who == "B" for _, who, _ in api.of("getUpdates")),
            TAKEOVER,
            tmp_path,
        )
        assert took < TAKEOVER
        assert "cette instance reçoit les messages" in _log(tmp_path, "B")
        _wait("B answers what arrived meanwhile", lambda: replied(USERS[3:]), 15, tmp_path)
        # A theft reported now: the new leader sends its reminders (its first sweep runs
        # 10 s after it took over), and none of those the old one sent.
        assert await _plan_reminders(postgres_url, "SEM-DEMO-0004") > 0
        _wait("B sweeps", lambda: reminders_sent() > sent_by_a, 20, tmp_path)
        _wait("B's sweep ends", _settled(api, reminders_sent), 10, tmp_path)
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
