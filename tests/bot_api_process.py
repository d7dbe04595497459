"""A small fake Bot API on 127.0.0.1 and real ``pne-bot run`` processes pointed at it.

For the tests that need a process of their own (two instances, a kill, a stop): each
instance reaches the fake under its own path prefix (``PNE_TELEGRAM_API_URL``), so that
the fake knows who asks. It keeps its updates until a getUpdates confirms them
(``offset``), as Telegram does, and can answer sendMessage slowly (``send_delay``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:TEST-processes"


@dataclass
class FakeBotAPI:
    """Enough of the Bot API for ``pne-bot run``; records every call with its caller."""

    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[float, str, str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_update: int = 1
    next_message: int = 1
    send_delay: float = 0.0  # seconds each sendMessage takes to answer

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
        if method == "sendMessage" and self.send_delay:
            time.sleep(self.send_delay)  # recorded once answered: what was delivered
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


@contextmanager
def serving() -> Iterator[tuple[FakeBotAPI, int]]:
    """The fake, listening on a free port of 127.0.0.1 until the block ends."""
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
    try:
        yield api, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def start(who: str, port: int, url: str, folder: Path, **settings: str) -> subprocess.Popen[bytes]:
    """``pne-bot run`` as instance ``who``, its output in ``folder/who.log``; ``settings``
    are more ``PNE_`` variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PNE_")}
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env.pop(proxy, None)
    env.update(
        NO_PROXY="127.0.0.1,localhost",
        PYTHONPATH=str(ROOT),
        PNE_TELEGRAM_TOKEN=TOKEN,
        PNE_TELEGRAM_API_URL=f"http://127.0.0.1:{port}/{who}/bot",
        PNE_DATABASE_URL=url,
        PNE_QUIET_HOURS_START="08:00",  # the same hour twice: no quiet hours in these tests
        PNE_QUIET_HOURS_END="08:00",
        PNE_LEADER_RETRY_SECONDS="1",
        PNE_LEADER_CHECK_SECONDS="1",
    )
    env.update({f"PNE_{name.upper()}": value for name, value in settings.items()})
    log = (folder / f"{who}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=folder, env=env, stdout=log, stderr=log
    )


def wait_for(what: str, done: Callable[[], bool], timeout: float, logs: Path) -> float:
    """Seconds until ``done()`` holds; the test fails, with the logs, after ``timeout``."""
    begun = time.monotonic()
    while not done():
        if time.monotonic() - begun > timeout:
            shown = "\n".join(
                f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs.glob("*.log")
            )
            pytest.fail(f"{what}: not within {timeout} s\n{shown}")
        time.sleep(0.1)
    return time.monotonic() - begun


def log_of(folder: Path, who: str) -> str:
    return (folder / f"{who}.log").read_text(errors="replace")
