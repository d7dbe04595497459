"""An in-process Telegram Bot API for tests and the terminal sandbox.

:class:`OfflineBotAPI` is a :class:`telegram.request.BaseRequest`: python-telegram-bot sends it
the requests it would send to ``api.telegram.org``, and it answers like Telegram, refusals
included.  Every request is checked against the Bot API 8.1 schema (see
:mod:`handlers.telegram.offline.schema`) and HTML texts against Telegram's HTML parser (see
:mod:`handlers.telegram.offline.html`), so that a test fails where the real service would.

Use it for both request slots of an application::

    api = OfflineBotAPI()
    application = (
        ApplicationBuilder().token("1234567:TEST").request(api).get_updates_request(api).build()
    )
    api.attach(application)
    alice = api.user(42, "Alice")
    async with application:
        await api.send_text(alice, "/start")
        assert api.last(42).text == "Bonjour Alice"

Without :meth:`OfflineBotAPI.attach`, user updates are queued for ``getUpdates`` (polling).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import struct
import time
import warnings
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram import Update
from telegram._utils.types import ODVInput
from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from handlers.telegram.offline.html import HTMLParseError, parse_html_entities
from handlers.telegram.offline.schema import (
    OfflineAPIWarning,
    RequestRefused,
    UploadedFile,
    Validator,
    load_schema,
)

if TYPE_CHECKING:
    from telegram.ext import Application

__all__ = [
    "BotMessage",
    "FaultServed",
    "OfflineBotAPI",
    "Refused",
    "Sent",
    "SimUser",
    "sample_png",
]

_Handler = Callable[[dict[str, Any], Mapping[str, UploadedFile]], Awaitable[Any]]

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
_WEBHOOK_PORTS = (80, 88, 443, 8443)
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]*")
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")
_FILE_URL = re.compile(r"/file/bot[^/]*/(?P<path>.+)$")
_LANGUAGE_CODE = re.compile(r"(?:[a-z]{2})?")
_MEDIA_KEYS = ("photo", "document", "video", "audio", "animation", "voice")
_DELETE_WINDOW = 48 * 3600
_MAX_DOWNLOAD = 20 * 1024 * 1024
_MAX_UPLOAD = 50 * 1024 * 1024
_MAX_PHOTO = 10 * 1024 * 1024


# -- records -------------------------------------------------------------------------------


@dataclass
class SimUser:
    """A Telegram user played by a test (see :meth:`OfflineBotAPI.user`)."""

    id: int
    first_name: str
    language_code: str | None = "fr"
    username: str | None = None
    last_name: str | None = None
    blocked: bool = False
    """When true, the bot's messages to this user are refused (403, bot blocked)."""

    def to_dict(self) -> dict[str, Any]:
        """The Telegram ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def chat_dict(self) -> dict[str, Any]:
        """The Telegram ``Chat`` object of the private chat with the bot."""
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


@dataclass(frozen=True)
class Sent:
    """An accepted Bot API call: decoded parameters and the result sent back."""

    method: str
    chat_id: int | str | None
    params: dict[str, Any]
    result: Any
    at: float


@dataclass(frozen=True)
class Refused:
    """A refused Bot API call; ``params`` are the raw (string) parameters."""

    method: str
    chat_id: int | str | None
    params: dict[str, Any]
    status: int
    description: str
    at: float


@dataclass(frozen=True)
class FaultServed:
    """A fault injected with :meth:`OfflineBotAPI.fail` and friends, as served."""

    method: str
    kind: str  # "status", "timeout" or "retry_after"
    status: int | None
    description: str
    at: float


@dataclass(frozen=True)
class BotMessage:
    """Current state of a message the bot sent (after its edits)."""

    chat_id: int
    message_id: int
    text: str | None
    """Visible text of a text message (HTML tags removed, entities decoded)."""
    caption: str | None
    """Visible caption of a media message."""
    parse_mode: str | None
    raw_text: str | None
    """The text or caption exactly as the bot sent it (markup included)."""
    entities: list[dict[str, Any]]
    buttons: list[list[tuple[str, str | None]]]
    """Inline keyboard rows of ``(text, callback_data or url)``."""
    photo: str | None
    """``file_id`` of the largest size of a photo."""
    document: str | None
    reply_markup: dict[str, Any] | None
    """The inline keyboard markup, as Telegram returns it."""
    reply_keyboard: dict[str, Any] | None
    """A reply keyboard (``ReplyKeyboardMarkup``/``Remove``/``ForceReply``) sent with it."""
    data: dict[str, Any]
    """The whole Telegram ``Message`` object."""

    @property
    def button_texts(self) -> list[str]:
        return [text for row in self.buttons for text, _ in row]


@dataclass
class _Stored:
    data: dict[str, Any]
    from_bot: bool
    raw: str | None = None
    parse_mode: str | None = None
    reply_keyboard: dict[str, Any] | None = None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes = field(repr=False)
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    file_path: str | None = None


@dataclass
class _Callback:
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
    answer: dict[str, Any] | None = None


@dataclass
class _Fault:
    kind: str
    status: int
    description: str
    retry_after: int | None = None


# -- images ----------------------------------------------------------------------------------


def sample_png(width: int = 64, height: int = 48) -> bytes:
    """A valid white PNG image, handy as photo content in tests."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(tag + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG, BMP or WebP image; ``None`` if not an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(int(width)), abs(int(height))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return 512, 512
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(data) and data[index] == 0xFF:
            marker = data[index + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return int(width), int(height)
            (length,) = struct.unpack(">H", data[index + 2 : index + 4])
            index += 2 + int(length)
        return 800, 600
    return None


def _message_id_of(message: object) -> int:
    if isinstance(message, int) and not isinstance(message, bool):
        return message
    message_id = getattr(message, "message_id", None)
    if isinstance(message_id, int):
        return message_id
    raise TypeError(f"expected a message id or a message, got {message!r}")


def _as_chat_id(value: Any) -> int | str | None:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    if isinstance(value, int | str):
        return value
    return None


# -- the API -----------------------------------------------------------------------------------


class OfflineBotAPI(BaseRequest):
    """In-process Telegram Bot API (8.1) for python-telegram-bot.

    Attributes:
        sent: every accepted call, in order (``getUpdates`` only when it returned updates).
        refused: every refused call with Telegram's description.
        faults_served: every injected fault served.
        now: the clock (Unix seconds); replace it to control message dates.
        on_sent: callbacks called with each new :class:`Sent` record (e.g. a terminal
            sandbox printing the bot's messages as they arrive).
    """

    def __init__(
        self,
        *,
        bot_id: int = 1234567,
        bot_username: str = "pne_demo_bot",
        bot_first_name: str = "PNE bot",
        strict_unknown_args: bool = False,
    ) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.now: Callable[[], float] = time.time
        self.sent: list[Sent] = []
        self.refused: list[Refused] = []
        self.faults_served: list[FaultServed] = []
        self.on_sent: list[Callable[[Sent], None]] = []
        self._schema = load_schema()
        self._validator = Validator(self._schema, strict_unknown_args=strict_unknown_args)
        self._initialized = False
        self._application: Application[Any, Any, Any, Any, Any, Any] | None = None
        self._users: dict[int, SimUser] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[int, dict[int, _Stored]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._callbacks: dict[str, _Callback] = {}
        self._callback_numbers = itertools.count(1)
        self._media_groups = itertools.count(13_000_000_000_000_001)
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._waiters: list[asyncio.Future[None]] = []
        self._poll_generation = 0
        self._faults: dict[str, deque[_Fault]] = {}
        # The webhook as Telegram keeps it (setWebhook's arguments), None while polling.
        self.webhook: dict[str, Any] | None = None
        self._handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "logOut": self._return_true,
            "close": self._return_true,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendChatAction": self._send_chat_action,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendMediaGroup": self._send_media_group,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "getFile": self._get_file,
            "getChat": self._get_chat,
        }

    @property
    def checks(self) -> bool:
        """Whether each request's arguments are checked as Telegram checks them (lengths,
        HTML). Only a benchmark turns it off, in its timed loop, so that the bot is not
        charged for this test double's checks; tests never do."""
        return self._validator.checking

    @checks.setter
    def checks(self, value: bool) -> None:
        self._validator.checking = value

    # -- BaseRequest ---------------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        self._initialized = True

    async def shutdown(self) -> None:
        self._initialized = False
        self._wake_pollers()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        parts = urlsplit(url)
        path = unquote(parts.path)
        if file_match := _FILE_URL.search(path):
            return self._serve_file(file_match.group("path"))
        segments = [segment for segment in path.split("/") if segment]
        name = segments[-1] if segments else ""
        raw: dict[str, str] = dict(parse_qsl(parts.query))
        files: dict[str, UploadedFile] = {}
        if request_data is not None:
            raw.update(request_data.json_parameters)
            if request_data.contains_files:
                files = self._read_files(request_data)

        if len(segments) >= 2 and segments[-2].startswith("bot"):
            token_id = segments[-2][3:].split(":", 1)[0]
            if token_id != str(self.bot_id):
                warnings.warn(
                    f"offline Bot API: the token of bot {token_id} does not belong to this "
                    f"offline bot (bot_id={self.bot_id}): answering 401 Unauthorized",
                    OfflineAPIWarning,
                    stacklevel=2,
                )
                return self._refuse(name, raw, 401, "Unauthorized")

        spec = self._schema.method(name)
        fault = self._take_fault(spec.name if spec else name)
        if fault is not None:
            return self._serve_fault(spec.name if spec else name, fault)
        if spec is None:
            return self._refuse(name, raw, 404, "Not Found")
        handler = self._handlers.get(spec.name)
        if handler is None:
            return self._refuse(
                spec.name, raw, 500, f"offline API: method {spec.name} is not emulated"
            )
        try:
            params = self._validator.decode_arguments(spec, raw, files)
            result = await handler(params, files)
        except RequestRefused as exc:
            return self._refuse(spec.name, raw, exc.status, exc.description)
        if spec.name != "getUpdates" or result:
            record = Sent(
                method=spec.name,
                chat_id=self._record_chat_id(spec.name, params),
                params=params,
                result=copy.deepcopy(result),
                at=self.now(),
            )
            self.sent.append(record)
            for callback in self.on_sent:
                callback(record)
        return 200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()

    # -- request plumbing ----------------------------------------------------------------

    @staticmethod
    def _read_files(request_data: RequestData) -> dict[str, UploadedFile]:
        files: dict[str, UploadedFile] = {}
        for part, (filename, content, mime_type) in request_data.multipart_data.items():
            data = content if isinstance(content, bytes) else content.read()
            files[part] = UploadedFile(
                part=part, filename=filename, mime_type=mime_type, data=bytes(data)
            )
        return files

    def _refuse(
        self, method: str, raw: Mapping[str, Any], status: int, description: str
    ) -> tuple[int, bytes]:
        self.refused.append(
            Refused(
                method=method,
                chat_id=_as_chat_id(raw.get("chat_id")),
                params=dict(raw),
                status=status,
                description=description,
                at=self.now(),
            )
        )
        body = {"ok": False, "error_code": status, "description": description}
        return status, json.dumps(body, ensure_ascii=False).encode()

    def _record_chat_id(self, method: str, params: Mapping[str, Any]) -> int | str | None:
        if method == "answerCallbackQuery":
            callback = self._callbacks.get(str(params.get("callback_query_id")))
            return callback.chat_id if callback else None
        return _as_chat_id(params.get("chat_id"))

    def file_data(self, file_id: str) -> bytes:
        """The bytes of a file the bot sent or a user sent, by its file id (for tests)."""
        stored = self._files.get(file_id)
        if stored is None:
            raise KeyError(file_id)
        return stored.data

    def _serve_file(self, file_path: str) -> tuple[int, bytes]:
        for stored in self._files.values():
            if stored.file_path is not None and (
                stored.file_path == file_path or file_path.endswith("/" + stored.file_path)
            ):
                return 200, stored.data
        return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'

    # -- fault injection -----------------------------------------------------------------

    def _fault_key(self, method: str) -> str:
        spec = self._schema.method(method)
        if spec is None:
            raise ValueError(f"{method!r} is not a Bot API {self._schema.version} method")
        return spec.name

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        description: str = "Internal Server Error",
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an HTTP error."""
        queue = self._faults.setdefault(self._fault_key(method), deque())
        queue.extend(_Fault("status", status, description) for _ in range(times))

    def fail_timeout(self, method: str, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` raise :class:`telegram.error.TimedOut`."""
        queue = self._faults.setdefault(self._fault_key(method), deque())
        queue.extend(_Fault("timeout", 0, "Timed out") for _ in range(times))

    def fail_retry_after(self, method: str, retry_after: int = 3, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 Too Many Requests."""
        queue = self._faults.setdefault(self._fault_key(method), deque())
        description = f"Too Many Requests: retry after {retry_after}"
        queue.extend(_Fault("retry_after", 429, description, retry_after) for _ in range(times))

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        return queue.popleft() if queue else None

    def _serve_fault(self, method: str, fault: _Fault) -> tuple[int, bytes]:
        self.faults_served.append(
            FaultServed(
                method=method,
                kind=fault.kind,
                status=None if fault.kind == "timeout" else fault.status,
                description=fault.description,
                at=self.now(),
            )
        )
        if fault.kind == "timeout":
            raise TimedOut()
        body: dict[str, Any] = {
            "ok": False,
            "error_code": fault.status,
            "description": fault.description,
        }
        if fault.retry_after is not None:
            body["parameters"] = {"retry_after": fault.retry_after}
        return fault.status, json.dumps(body).encode()

    # -- users, chats ----------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        language_code: str | None = "fr",
        username: str | None = None,
    ) -> SimUser:
        """Register a user (and the private chat with the bot) and return it."""
        sim = SimUser(user_id, first_name, language_code=language_code, username=username)
        self._users[user_id] = sim
        self._chats[user_id] = sim.chat_dict()
        return sim

    def group(self, chat_id: int, title: str) -> dict[str, Any]:
        """Register a group (a supergroup if ``chat_id`` looks like one) the bot is in."""
        kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
        chat = {"id": chat_id, "type": kind, "title": title}
        self._chats[chat_id] = chat
        return dict(chat)

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _target_chat(self, value: Any, *, sending: bool = True) -> int:
        """The id of a chat the bot may address, or the refusal Telegram gives."""
        chat_id = _as_chat_id(value)
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise RequestRefused.bad_request("chat not found")
        user = self._users.get(chat_id)
        if sending and user is not None and user.blocked:
            raise RequestRefused("Forbidden: bot was blocked by the user", 403)
        return chat_id

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _date(self) -> int:
        return int(self.now())

    # -- transcript helpers ------------------------------------------------------------------

    def sent_to(self, chat_id: int) -> list[Sent]:
        """Accepted calls addressed to ``chat_id``."""
        return [record for record in self.sent if record.chat_id == chat_id]

    def messages(self, chat_id: int) -> list[BotMessage]:
        """Current state of the bot's messages in ``chat_id`` (deleted ones excluded)."""
        stored = self._messages.get(chat_id, {})
        return [
            self._bot_message(chat_id, item) for _, item in sorted(stored.items()) if item.from_bot
        ]

    def last(self, chat_id: int) -> BotMessage:
        """The bot's most recent (not deleted) message in ``chat_id``."""
        stored = self._messages.get(chat_id, {})
        # Message ids grow: the most recent is the highest; only that one is copied.
        for message_id in sorted(stored, reverse=True):
            if stored[message_id].from_bot:
                return self._bot_message(chat_id, stored[message_id])
        raise AssertionError(f"the bot has no message in chat {chat_id}")

    def clear(self) -> None:
        """Forget the transcript (``sent``, ``refused``, ``faults_served``), not the state."""
        self.sent.clear()
        self.refused.clear()
        self.faults_served.clear()

    def assert_no_refusals(self) -> None:
        """Fail if Telegram would have refused any call so far."""
        if self.refused:
            lines = "\n".join(f"  {r.method}: {r.status} {r.description}" for r in self.refused)
            raise AssertionError(f"refused Bot API calls:\n{lines}")

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[tuple[str, str]]:
        """The commands set with ``setMyCommands`` for a scope and a language."""
        stored = self._commands.get((self._scope_key(scope), language_code), [])
        return [(item["command"], item["description"]) for item in stored]

    def _bot_message(self, chat_id: int, stored: _Stored) -> BotMessage:
        data = copy.deepcopy(stored.data)
        markup = data.get("reply_markup")
        buttons: list[list[tuple[str, str | None]]] = []
        if markup:
            buttons = [
                [
                    (str(button.get("text", "")), button.get("callback_data", button.get("url")))
                    for button in row
                ]
                for row in markup.get("inline_keyboard", [])
            ]
        return BotMessage(
            chat_id=chat_id,
            message_id=int(data["message_id"]),
            text=data.get("text"),
            caption=data.get("caption"),
            parse_mode=stored.parse_mode,
            raw_text=stored.raw,
            entities=list(data.get("entities", data.get("caption_entities", []))),
            buttons=buttons,
            photo=data["photo"][-1]["file_id"] if "photo" in data else None,
            document=data["document"]["file_id"] if "document" in data else None,
            reply_markup=markup,
            reply_keyboard=copy.deepcopy(stored.reply_keyboard),
            data=data,
        )

    # -- playing users ---------------------------------------------------------------------

    def attach(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Deliver the updates of the playing users to ``application.process_update``."""
        self._application = application

    def detach(self) -> None:
        """Queue the updates of the playing users for ``getUpdates`` again."""
        self._application = None

    def _user_chat(self, user: SimUser, chat_id: int | None) -> int:
        chat_id = user.id if chat_id is None else chat_id
        if chat_id not in self._chats:
            raise AssertionError(f"chat {chat_id} is unknown: register it with user() or group()")
        return chat_id

    def _store_user_message(
        self, user: SimUser, chat_id: int, content: dict[str, Any]
    ) -> dict[str, Any]:
        message = {
            "message_id": self._next_message_id(chat_id),
            "from": user.to_dict(),
            "chat": dict(self._chats[chat_id]),
            "date": self._date(),
            **content,
        }
        self._messages.setdefault(chat_id, {})[message["message_id"]] = _Stored(
            data=message, from_bot=False
        )
        return copy.deepcopy(message)

    async def _deliver(self, payload: dict[str, Any]) -> Update:
        data = {"update_id": next(self._update_ids), **payload}
        application = self._application
        if application is None:
            self._updates.append(data)
            self._wake_pollers()
            return Update.de_json(copy.deepcopy(data), None)
        update = Update.de_json(copy.deepcopy(data), application.bot)
        await application.process_update(update)
        return update

    async def send_text(
        self,
        user: SimUser,
        text: str,
        *,
        reply_to_message_id: int | None = None,
        chat_id: int | None = None,
    ) -> Update:
        """The user sends ``text`` (in the private chat unless ``chat_id`` is a group)."""
        chat = self._user_chat(user, chat_id)
        content: dict[str, Any] = {"text": text}
        if command := _COMMAND.match(text):
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command.group(0))}
            ]
        if reply_to_message_id is not None:
            replied = self._messages.get(chat, {}).get(reply_to_message_id)
            if replied is None:
                raise AssertionError(f"message {reply_to_message_id} not found in chat {chat}")
            content["reply_to_message"] = copy.deepcopy(replied.data)
            content["reply_to_message"].pop("reply_to_message", None)
        return await self._deliver({"message": self._store_user_message(user, chat, content)})

    async def send_photo(
        self,
        user: SimUser,
        data: bytes | None = None,
        caption: str | None = None,
        *,
        chat_id: int | None = None,
    ) -> Update:
        """The user sends a photo (a small PNG by default); the bot can download it."""
        chat = self._user_chat(user, chat_id)
        content_bytes = sample_png() if data is None else data
        width, height = _image_size(content_bytes) or (800, 600)
        stored = self._register_file(
            "photo", content_bytes, mime_type="image/jpeg", width=width, height=height
        )
        content: dict[str, Any] = {"photo": self._photo_sizes(stored)}
        if caption is not None:
            content["caption"] = caption
        return await self._deliver({"message": self._store_user_message(user, chat, content)})

    async def send_document(
        self,
        user: SimUser,
        data: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        *,
        chat_id: int | None = None,
    ) -> Update:
        """The user sends a file; the bot can download it."""
        chat = self._user_chat(user, chat_id)
        stored = self._register_file("document", data, file_name=file_name, mime_type=mime_type)
        content: dict[str, Any] = {"document": self._document_dict(stored)}
        if caption is not None:
            content["caption"] = caption
        return await self._deliver({"message": self._store_user_message(user, chat, content)})

    async def tap(
        self,
        user: SimUser,
        message_or_message_id: object,
        button: str | int,
        *,
        chat_id: int | None = None,
    ) -> Update:
        """The user taps an inline button (by exact text or flat index) of a bot message."""
        chat = self._user_chat(user, chat_id)
        message_id = _message_id_of(message_or_message_id)
        stored = self._messages.get(chat, {}).get(message_id)
        if stored is None:
            raise AssertionError(f"message {message_id} not found in chat {chat} (deleted?)")
        markup = stored.data.get("reply_markup") or {}
        rows: list[list[dict[str, Any]]] = markup.get("inline_keyboard", [])
        flat = [item for row in rows for item in row]
        layout = [[item.get("text") for item in row] for row in rows]
        if isinstance(button, int) and not isinstance(button, bool):
            chosen = flat[button] if -len(flat) <= button < len(flat) else None
        else:
            chosen = next((item for item in flat if item.get("text") == button), None)
        if chosen is None:
            raise AssertionError(
                f"no button {button!r} in message {message_id} of chat {chat}; "
                f"current buttons: {layout}"
            )
        if "callback_data" not in chosen:
            kinds = sorted(key for key in chosen if key != "text")
            raise AssertionError(
                f"button {chosen.get('text')!r} sends no callback query (it has {kinds})"
            )
        return await self._callback_query(user, chat, stored, str(chosen["callback_data"]))

    async def forge_callback(
        self,
        user: SimUser,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
    ) -> Update:
        """A callback query with arbitrary ``data`` on a message (as a modified client could)."""
        chat = self._user_chat(user, chat_id)
        stored = self._messages.get(chat, {}).get(message_id)
        if stored is None:
            raise AssertionError(f"message {message_id} not found in chat {chat} (deleted?)")
        return await self._callback_query(user, chat, stored, data)

    async def _callback_query(
        self, user: SimUser, chat_id: int, stored: _Stored, data: str
    ) -> Update:
        query_id = str(4_200_000_000_000_000_000 + next(self._callback_numbers))
        message_id = int(stored.data["message_id"])
        self._callbacks[query_id] = _Callback(chat_id=chat_id, message_id=message_id, data=data)
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": copy.deepcopy(stored.data),
            "chat_instance": str((chat_id * 2_654_435_761) % 10**19 - 5 * 10**18),
            "data": data,
        }
        return await self._deliver({"callback_query": query})

    # -- getUpdates ------------------------------------------------------------------------

    def _wake_pollers(self) -> None:
        for waiter in self._waiters:
            if not waiter.done() and not waiter.get_loop().is_closed():
                waiter.set_result(None)

    async def _get_updates(self, params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        if self.webhook is not None:
            raise RequestRefused(_WEBHOOK_CONFLICT, 409)
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_pollers()  # Telegram terminates a concurrent long poll with 409 Conflict.
        offset = params.get("offset")
        if isinstance(offset, int):
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = max(int(params.get("timeout", 0)), 0)
        if not self._updates and timeout > 0 and self._initialized:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait((waiter,), timeout=timeout)
            finally:
                self._waiters.remove(waiter)
            if generation != self._poll_generation:
                raise RequestRefused(_CONFLICT, 409)
        return copy.deepcopy(self._updates[:limit])

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued for ``getUpdates`` (or for the webhook) and not confirmed yet."""
        return copy.deepcopy(self._updates)

    def take_updates(self) -> list[dict[str, Any]]:
        """The queued updates, removed from the queue: what Telegram posts to a webhook
        (the offline API posts nothing itself; a test posts them where it wants)."""
        taken, self._updates = self._updates, []
        return taken

    # -- webhooks ----------------------------------------------------------------------------

    async def _set_webhook(self, params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        """Like Telegram: an empty URL removes the webhook; otherwise an HTTPS URL on one
        of the four ports, a secret token of A-Z a-z 0-9 _ - (its length is checked by
        the schema), 1 to 100 connections. Nothing is ever posted to the URL."""
        url = params["url"]
        if url == "":
            return await self._delete_webhook(params, _)
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise RequestRefused(
                "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        try:
            port = parts.port or 443
        except ValueError:
            raise RequestRefused(
                "Bad Request: bad webhook: Wrong port number specified in the URL"
            ) from None
        if port not in _WEBHOOK_PORTS:
            raise RequestRefused(
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
            raise RequestRefused("Bad Request: secret token contains unallowed characters")
        connections = params.get("max_connections", 40)
        if not 1 <= connections <= 100:
            raise RequestRefused(
                "Bad Request: bad webhook: max_connections must be between 1 and 100"
            )
        if params.get("drop_pending_updates"):
            self._updates = []
        self.webhook = {
            key: copy.deepcopy(value) for key, value in params.items() if key != "certificate"
        }
        self._wake_pollers()
        return True

    async def _delete_webhook(self, params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates = []
        return True

    async def _get_webhook_info(
        self, _params: dict[str, Any], _: Mapping[str, UploadedFile]
    ) -> Any:
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook is not None:
            info["url"] = self.webhook["url"]
            info["max_connections"] = self.webhook.get("max_connections", 40)
            if "allowed_updates" in self.webhook:
                info["allowed_updates"] = self.webhook["allowed_updates"]
            if "ip_address" in self.webhook:
                info["ip_address"] = self.webhook["ip_address"]
        return info

    # -- simple methods ----------------------------------------------------------------------

    async def _return_true(self, _params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        return True

    async def _get_me(self, _params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_chat(self, params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        chat_id = self._target_chat(params["chat_id"], sending=False)
        return {
            **self._chats[chat_id],
            "accent_color_id": 0,
            "max_reaction_count": 11,
            # Not in Bot API 8.1, but required by python-telegram-bot 22 (Bot API 9).
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _send_chat_action(self, params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        self._target_chat(params["chat_id"])
        return True

    # -- commands and menu button ------------------------------------------------------------

    def _scope_key(self, scope: Mapping[str, Any] | None) -> str:
        scope = dict(scope or {"type": "default"})
        if "chat_id" in scope:
            scope["chat_id"] = _as_chat_id(scope["chat_id"])
        return json.dumps(scope, sort_keys=True)

    def _commands_key(self, params: Mapping[str, Any]) -> tuple[str, str]:
        scope = params.get("scope")
        if isinstance(scope, dict) and "chat_id" in scope:
            self._target_chat(scope["chat_id"], sending=False)
        language = str(params.get("language_code", ""))
        if not _LANGUAGE_CODE.fullmatch(language):
            raise RequestRefused.bad_request("LANG_CODE_INVALID")
        return self._scope_key(scope), language

    async def _set_my_commands(self, params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        key = self._commands_key(params)
        commands = params["commands"]
        if len(commands) > 100:
            raise RequestRefused.bad_request("BOT_COMMANDS_TOO_MUCH")
        self._commands[key] = [
            {"command": item["command"], "description": item["description"]} for item in commands
        ]
        return True

    async def _get_my_commands(self, params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    async def _delete_my_commands(
        self, params: dict[str, Any], _: Mapping[str, UploadedFile]
    ) -> Any:
        self._commands.pop(self._commands_key(params), None)
        return True

    async def _set_chat_menu_button(
        self, params: dict[str, Any], _: Mapping[str, UploadedFile]
    ) -> Any:
        chat_id = params.get("chat_id")
        key = None if chat_id is None else self._target_chat(chat_id, sending=False)
        self._menu_buttons[key] = params.get("menu_button", {"type": "default"})
        return True

    async def _get_chat_menu_button(
        self, params: dict[str, Any], _: Mapping[str, UploadedFile]
    ) -> Any:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            button = self._menu_buttons.get(self._target_chat(chat_id, sending=False))
            if button is not None and button.get("type") != "default":
                return copy.deepcopy(button)
        button = self._menu_buttons.get(None)
        if button is not None and button.get("type") != "default":
            return copy.deepcopy(button)
        return {"type": "commands"}

    # -- sending -----------------------------------------------------------------------------

    @staticmethod
    def _format(text: str, parse_mode: Any, entities: Any) -> tuple[str, list[dict[str, Any]]]:
        """Visible text and entities of a text or caption."""
        if isinstance(entities, list):
            return text, entities
        if isinstance(parse_mode, str) and parse_mode.lower() == "html":
            try:
                parsed = parse_html_entities(text)
            except HTMLParseError as exc:  # already checked by the validator
                raise RequestRefused.bad_request(f"can't parse entities: {exc}") from None
            return parsed.text, parsed.entities
        return text, []

    def _caption_content(self, params: Mapping[str, Any]) -> dict[str, Any]:
        caption = params.get("caption")
        if not isinstance(caption, str) or not caption:
            return {}
        visible, entities = self._format(
            caption, params.get("parse_mode"), params.get("caption_entities")
        )
        if not visible:
            return {}
        content: dict[str, Any] = {"caption": visible}
        if entities:
            content["caption_entities"] = entities
        if params.get("show_caption_above_media"):
            content["show_caption_above_media"] = True
        return content

    def _reply_to(self, chat_id: int, params: Mapping[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict):
            return None
        source_chat = chat_id
        if "chat_id" in reply:
            source_chat = self._target_chat(reply["chat_id"], sending=False)
        stored = self._messages.get(source_chat, {}).get(int(reply["message_id"]))
        if stored is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise RequestRefused.bad_request("message to be replied not found")
        replied = copy.deepcopy(stored.data)
        replied.pop("reply_to_message", None)
        return replied

    @staticmethod
    def _markups(params: Mapping[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(inline keyboard, reply keyboard) of ``reply_markup``."""
        markup = params.get("reply_markup")
        if not isinstance(markup, dict):
            return None, None
        if "inline_keyboard" in markup:
            return markup, None
        return None, markup

    def _store_bot_message(
        self,
        chat_id: int,
        content: dict[str, Any],
        params: Mapping[str, Any],
        *,
        raw: str | None = None,
        reply_to: dict[str, Any] | None = None,
        with_markup: bool = True,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "from": self._bot_user(),
            "chat": dict(self._chats[chat_id]),
            "date": self._date(),
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(content)
        if params.get("protect_content"):
            message["has_protected_content"] = True
        inline, keyboard = self._markups(params) if with_markup else (None, None)
        if inline is not None and inline.get("inline_keyboard"):
            message["reply_markup"] = inline
        mode = params.get("parse_mode")
        self._messages.setdefault(chat_id, {})[message["message_id"]] = _Stored(
            data=message,
            from_bot=True,
            raw=raw,
            parse_mode=mode if isinstance(mode, str) else None,
            reply_keyboard=keyboard,
        )
        return copy.deepcopy(message)

    async def _send_message(self, params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        chat_id = self._target_chat(params["chat_id"])
        reply_to = self._reply_to(chat_id, params)
        visible, entities = self._format(
            params["text"], params.get("parse_mode"), params.get("entities")
        )
        content: dict[str, Any] = {"text": visible}
        if entities:
            content["entities"] = entities
        return self._store_bot_message(
            chat_id, content, params, raw=params["text"], reply_to=reply_to
        )

    # -- files -------------------------------------------------------------------------------

    def _register_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int = 0,
        height: int = 0,
    ) -> _StoredFile:
        number = next(self._file_numbers)
        stored = _StoredFile(
            file_id=f"offline-{kind}-{number:06d}",
            file_unique_id=f"AQAD{number:06d}",
            kind=kind,
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self._files[stored.file_id] = stored
        return stored

    def _photo_sizes(self, stored: _StoredFile) -> list[dict[str, Any]]:
        full = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "width": stored.width,
            "height": stored.height,
        }
        if max(stored.width, stored.height) <= 320:
            return [full]
        ratio = 320 / max(stored.width, stored.height)
        thumb = self._register_file(
            "photo",
            stored.data,
            mime_type=stored.mime_type,
            width=max(1, round(stored.width * ratio)),
            height=max(1, round(stored.height * ratio)),
        )
        small = {
            "file_id": thumb.file_id,
            "file_unique_id": thumb.file_unique_id,
            "file_size": len(thumb.data),
            "width": thumb.width,
            "height": thumb.height,
        }
        return [small, full]

    @staticmethod
    def _document_dict(stored: _StoredFile) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            data["file_name"] = stored.file_name
        if stored.mime_type:
            data["mime_type"] = stored.mime_type
        return data

    def _input_file(self, value: Any, kind: str) -> _StoredFile:
        """The file to send: an upload, a known ``file_id`` or an HTTP URL."""
        if isinstance(value, UploadedFile):
            if not value.data:
                raise RequestRefused.bad_request("file must be non-empty")
            if value.size > _MAX_UPLOAD:
                raise RequestRefused("Request Entity Too Large", 413)
            width = height = 0
            if kind == "photo":
                size = _image_size(value.data)
                if size is None:
                    raise RequestRefused.bad_request("IMAGE_PROCESS_FAILED")
                width, height = size
                if value.size > _MAX_PHOTO or width + height > 10_000:
                    raise RequestRefused.bad_request("PHOTO_INVALID_DIMENSIONS")
                if min(width, height) == 0 or max(width, height) / min(width, height) > 20:
                    raise RequestRefused.bad_request("PHOTO_INVALID_DIMENSIONS")
            return self._register_file(
                kind,
                value.data,
                file_name=value.filename,
                mime_type=value.mime_type,
                width=width,
                height=height,
            )
        if not isinstance(value, str) or not value:
            raise RequestRefused.bad_request("wrong file identifier/HTTP URL specified")
        if value.startswith(("http://", "https://")):
            # Telegram would download it; offline, an empty placeholder stands for it.
            return self._register_file(
                kind,
                b"",
                file_name=value.rsplit("/", 1)[-1],
                width=800 if kind == "photo" else 0,
                height=600 if kind == "photo" else 0,
            )
        stored = self._files.get(value)
        if stored is None:
            raise RequestRefused.bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise RequestRefused.bad_request(
                f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}"
            )
        return stored

    def _media_content(self, kind: str, stored: _StoredFile) -> dict[str, Any]:
        if kind == "photo":
            return {"photo": self._photo_sizes(stored)}
        if kind == "document":
            return {"document": self._document_dict(stored)}
        media: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "duration": 1,
        }
        if kind == "video":
            media.update(width=640, height=360)
        if stored.file_name:
            media["file_name"] = stored.file_name
        return {kind: media}

    async def _send_file(self, params: dict[str, Any], kind: str) -> Any:
        chat_id = self._target_chat(params["chat_id"])
        reply_to = self._reply_to(chat_id, params)
        stored = self._input_file(params[kind], kind)
        content = self._media_content(kind, stored)
        if params.get("has_spoiler"):
            content["has_media_spoiler"] = True
        content.update(self._caption_content(params))
        return self._store_bot_message(
            chat_id, content, params, raw=params.get("caption"), reply_to=reply_to
        )

    async def _send_photo(self, params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        return await self._send_file(params, "photo")

    async def _send_document(self, params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        return await self._send_file(params, "document")

    async def _send_media_group(
        self, params: dict[str, Any], files: Mapping[str, UploadedFile]
    ) -> Any:
        chat_id = self._target_chat(params["chat_id"])
        media: list[dict[str, Any]] = params["media"]
        if not 2 <= len(media) <= 10:
            raise RequestRefused.bad_request("media group must include 2-10 items")
        kinds = {item["type"] for item in media}
        if len(kinds) > 1 and kinds & {"document", "audio"}:
            raise RequestRefused.bad_request(
                f"{sorted(kinds & {'document', 'audio'})[0]} can't be mixed with other media "
                "types in an album"
            )
        resolved: list[tuple[str, _StoredFile, dict[str, Any]]] = []
        for item in media:
            value: Any = item["media"]
            if isinstance(value, str) and value.startswith("attach://"):
                name = value.removeprefix("attach://")
                if name not in files:
                    raise RequestRefused.bad_request(f'can\'t find attached file "{name}"')
                value = files[name]
            resolved.append((item["type"], self._input_file(value, item["type"]), item))
        reply_to = self._reply_to(chat_id, params)
        group_id = str(next(self._media_groups))
        results = []
        for kind, stored, item in resolved:
            content = self._media_content(kind, stored)
            content["media_group_id"] = group_id
            if item.get("has_spoiler"):
                content["has_media_spoiler"] = True
            content.update(self._caption_content(item))
            results.append(
                self._store_bot_message(
                    chat_id,
                    content,
                    {**params, "parse_mode": item.get("parse_mode")},
                    raw=item.get("caption"),
                    reply_to=reply_to,
                )
            )
        return results

    async def _get_file(self, params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        stored = self._files.get(params["file_id"])
        if stored is None:
            raise RequestRefused.bad_request("wrong file_id or the file is temporarily unavailable")
        if len(stored.data) > _MAX_DOWNLOAD:
            raise RequestRefused.bad_request("file is too big")
        if stored.file_path is None:
            number = stored.file_id.rsplit("-", 1)[-1]
            if stored.kind == "photo":
                stored.file_path = f"photos/file_{number}.jpg"
            else:
                suffix = ""
                if stored.file_name and "." in stored.file_name:
                    suffix = "." + stored.file_name.rsplit(".", 1)[-1]
                stored.file_path = f"{stored.kind}s/file_{number}{suffix}"
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    # -- copy, forward -------------------------------------------------------------------

    def _source_message(self, params: Mapping[str, Any], action: str) -> _Stored:
        source_chat = self._target_chat(params["from_chat_id"], sending=False)
        stored = self._messages.get(source_chat, {}).get(int(params["message_id"]))
        if stored is None:
            raise RequestRefused.bad_request(f"message to {action} not found")
        return stored

    @staticmethod
    def _copyable(data: Mapping[str, Any]) -> dict[str, Any]:
        keys = ("text", "entities", "caption", "caption_entities", *_MEDIA_KEYS)
        return {key: copy.deepcopy(data[key]) for key in keys if key in data}

    async def _copy_message(self, params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        stored = self._source_message(params, "copy")
        chat_id = self._target_chat(params["chat_id"])
        reply_to = self._reply_to(chat_id, params)
        content = self._copyable(stored.data)
        raw = stored.raw
        if "caption" in params and "text" not in content:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._caption_content(params))
            raw = params["caption"]
        message = self._store_bot_message(chat_id, content, params, raw=raw, reply_to=reply_to)
        return {"message_id": message["message_id"]}

    async def _forward_message(self, params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        stored = self._source_message(params, "forward")
        chat_id = self._target_chat(params["chat_id"])
        content = self._copyable(stored.data)
        sender = stored.data.get("from", self._bot_user())
        content["forward_origin"] = {
            "type": "user",
            "sender_user": copy.deepcopy(sender),
            "date": stored.data["date"],
        }
        return self._store_bot_message(chat_id, content, params, raw=stored.raw, with_markup=False)

    # -- editing, deleting -------------------------------------------------------------------

    def _message_to_edit(self, params: Mapping[str, Any]) -> _Stored:
        if "inline_message_id" in params:
            raise RequestRefused("offline API: inline messages are not emulated", 500)
        if "chat_id" not in params:
            raise RequestRefused.bad_request("chat_id is empty")
        if "message_id" not in params:
            raise RequestRefused.bad_request("message identifier is not specified")
        chat_id = self._target_chat(params["chat_id"])
        stored = self._messages.get(chat_id, {}).get(int(params["message_id"]))
        if stored is None:
            raise RequestRefused.bad_request("message to edit not found")
        if not stored.from_bot:
            raise RequestRefused.bad_request("message can't be edited")
        return stored

    def _apply_edit(
        self, stored: _Stored, changes: dict[str, Any], params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Apply ``changes`` (``None`` values remove keys) and the new markup, or refuse."""
        inline, _ = self._markups(params)
        if inline is not None and not inline.get("inline_keyboard"):
            inline = None
        changes = {**changes, "reply_markup": inline}
        current = {key: stored.data.get(key) for key in changes}
        if current == changes:
            raise RequestRefused.bad_request(_NOT_MODIFIED)
        for key, value in changes.items():
            if value is None:
                stored.data.pop(key, None)
            else:
                stored.data[key] = value
        stored.data["edit_date"] = self._date()
        return copy.deepcopy(stored.data)

    async def _edit_message_text(
        self, params: dict[str, Any], _: Mapping[str, UploadedFile]
    ) -> Any:
        stored = self._message_to_edit(params)
        if "text" not in stored.data:
            raise RequestRefused.bad_request("there is no text in the message to edit")
        visible, entities = self._format(
            params["text"], params.get("parse_mode"), params.get("entities")
        )
        result = self._apply_edit(stored, {"text": visible, "entities": entities or None}, params)
        stored.raw = params["text"]
        mode = params.get("parse_mode")
        stored.parse_mode = mode if isinstance(mode, str) else None
        return result

    async def _edit_message_caption(
        self, params: dict[str, Any], _: Mapping[str, UploadedFile]
    ) -> Any:
        stored = self._message_to_edit(params)
        if not any(key in stored.data for key in _MEDIA_KEYS):
            raise RequestRefused.bad_request("there is no caption in the message to edit")
        content = self._caption_content(params)
        result = self._apply_edit(
            stored,
            {
                "caption": content.get("caption"),
                "caption_entities": content.get("caption_entities"),
            },
            params,
        )
        stored.raw = params.get("caption")
        mode = params.get("parse_mode")
        stored.parse_mode = mode if isinstance(mode, str) else None
        return result

    async def _edit_message_reply_markup(
        self, params: dict[str, Any], _: Mapping[str, UploadedFile]
    ) -> Any:
        stored = self._message_to_edit(params)
        return self._apply_edit(stored, {}, params)

    async def _delete_message(self, params: dict[str, Any], _: Mapping[str, UploadedFile]) -> Any:
        chat_id = self._target_chat(params["chat_id"], sending=False)
        messages = self._messages.get(chat_id, {})
        stored = messages.get(int(params["message_id"]))
        if stored is None:
            raise RequestRefused.bad_request("message to delete not found")
        if self._date() - int(stored.data["date"]) > _DELETE_WINDOW:
            raise RequestRefused.bad_request("message can't be deleted for everyone")
        del messages[int(params["message_id"])]
        return True

    # -- callback queries --------------------------------------------------------------------

    async def _answer_callback_query(
        self, params: dict[str, Any], _: Mapping[str, UploadedFile]
    ) -> Any:
        callback = self._callbacks.get(params["callback_query_id"])
        if callback is None or callback.answered:
            raise RequestRefused.bad_request(_QUERY_INVALID)
        callback.answered = True
        callback.answer = {
            key: value for key, value in params.items() if key != "callback_query_id"
        }
        return True

    def callback_answer(self, update_or_query_id: Update | str) -> dict[str, Any] | None:
        """The bot's answer (``text``, ``show_alert``...) to a callback query, if answered."""
        query_id = update_or_query_id
        if isinstance(update_or_query_id, Update):
            if update_or_query_id.callback_query is None:
                raise ValueError("this update carries no callback query")
            query_id = update_or_query_id.callback_query.id
        callback = self._callbacks.get(str(query_id))
        if callback is None or not callback.answered:
            return None
        return dict(callback.answer or {})
