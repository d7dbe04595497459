"""Webhook mode (decision 0072): the real runner on the offline Bot API, its web server on
127.0.0.1, updates posted to it as Telegram would, with and without the secret header."""

from __future__ import annotations

import asyncio
import hmac
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.bootstrap import bootstrap
from bot.clock import FrozenClock
from bot.config import Settings
from handlers.telegram.offline import OfflineBotAPI, Sent
from handlers.telegram.runner import run_telegram
from storage.uow import Database

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
SECRET = "w3bh00k_s3cret-of-the-test"
PUBLIC = "https://pne.example.org/bot"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Running:
    api: OfflineBotAPI
    settings: Settings
    http: httpx.AsyncClient

    @property
    def local_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.webhook_port}{self.settings.webhook_path}"

    async def post(self, update: dict[str, Any], secret: str | None, url: str | None = None) -> int:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        response = await self.http.post(
            url or self.local_url, content=json.dumps(update).encode(), headers=headers
        )
        return response.status_code


async def _first(waiting: asyncio.Future[Any], task: asyncio.Task[int]) -> None:
    """Wait for ``waiting`` unless the bot's task ends first (then its error shows)."""
    done, _ = await asyncio.wait({waiting, task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()
        raise AssertionError("the bot stopped early")
    assert waiting in done, "nothing within 10 s"


@asynccontextmanager
async def bot_running(
    database_url: str, api: OfflineBotAPI, **webhook: Any
) -> AsyncIterator[tuple[Running, asyncio.Task[int]]]:
    settings = Settings(  # type: ignore[call-arg]
        telegram_token=None, database_url=database_url, _env_file=None, **webhook
    )
    db = Database(settings.database_url)
    clock = FrozenClock(T0)
    api.now = lambda: clock.now().timestamp()
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        run_telegram(
            settings,
            db,
            services=bootstrap(settings, db, clock=clock),
            stop=stop,
            ready=ready,
            request=api,
        )
    )
    try:
        await _first(asyncio.ensure_future(ready.wait()), task)
        async with httpx.AsyncClient(timeout=10) as http:
            yield Running(api=api, settings=settings, http=http), task
        stop.set()
        assert await task == 0
    finally:
        if not task.done():
            task.cancel()
        await db.close()


def _answered(api: OfflineBotAPI, chat_id: int) -> asyncio.Future[Sent]:
    future: asyncio.Future[Sent] = asyncio.get_running_loop().create_future()

    def seen(record: Sent) -> None:
        if record.method == "sendMessage" and record.chat_id == chat_id and not future.done():
            future.set_result(record)

    api.on_sent.append(seen)
    return future


def _spy_on_compare_digest(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    calls: list[tuple[bytes, bytes]] = []
    real: Callable[[bytes, bytes], bool] = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    return calls


async def test_only_an_update_with_the_secret_header_is_processed(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = OfflineBotAPI()
    compared = _spy_on_compare_digest(monkeypatch)
    async with bot_running(
        database_url,
        api,
        webhook_url=PUBLIC,
        webhook_secret=SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=_free_port(),
    ) as (bot, task):
        # Telegram was told where to post, with the secret; nothing waiting was dropped.
        [webhook] = [s.params for s in api.sent if s.method == "setWebhook"]
        assert webhook["url"] == bot.settings.webhook_full_url
        assert webhook["url"].startswith(PUBLIC + "/telegram-")
        assert webhook["secret_token"] == SECRET
        assert webhook.get("drop_pending_updates") in (None, False)
        assert "message" in webhook["allowed_updates"]
        assert "callback_query" in webhook["allowed_updates"]
        assert SECRET not in webhook["url"] and "OFFLINE" not in webhook["url"]
        assert api.webhook is not None
        assert not [s for s in api.sent if s.method == "deleteWebhook"]

        eve, mallory = api.user(2001, "Eve"), api.user(2002, "Mallory")
        await api.send_text(mallory, "/moi")
        await api.send_text(mallory, "/aide")
        await api.send_text(mallory, "bonjour")
        await api.send_text(eve, "/moi")
        wrong, missing, elsewhere, right = api.take_updates()

        assert await bot.post(wrong, "w3bh00k_s3cret-of-the-tesT") == 403
        assert compared, "the header is compared by hmac.compare_digest"
        assert await bot.post(missing, None) == 403
        assert await bot.post(missing, "") == 403
        other_path = f"http://127.0.0.1:{bot.settings.webhook_port}/bot/telegram-0000"
        assert await bot.post(elsewhere, SECRET, url=other_path) == 404
        answer = _answered(api, eve.id)
        assert await bot.post(right, SECRET) == 200
        await _first(answer, task)

        assert "/start VOTRE-CODE" in (await answer).params["text"]
        # Updates are handled one at a time, in order: the refused ones never came in.
        assert api.messages(mallory.id) == []
        api.assert_no_refusals()
    # Stopped: the server is closed, the webhook left set for the next start.
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as http:
            await http.post(bot.local_url, content=b"{}")
    assert api.webhook is not None
    assert not [s for s in api.sent if s.method == "deleteWebhook"]


async def test_back_to_polling_the_webhook_is_deleted(database_url: str) -> None:
    api = OfflineBotAPI()
    async with bot_running(
        database_url, api, webhook_url=PUBLIC, webhook_secret=SECRET, webhook_port=_free_port()
    ):
        assert api.webhook is not None
    async with bot_running(database_url, api) as (_bot, task):
        assert api.webhook is None
        assert [s.method for s in api.sent if "Webhook" in s.method] == [
            "setWebhook",
            "deleteWebhook",
        ]
        # Polling receives again what users send.
        eve = api.user(2001, "Eve")
        answer = _answered(api, eve.id)
        await api.send_text(eve, "/moi")
        await _first(answer, task)
