"""An in-process Discord for tests and the sandbox: discord.py's real client, no socket.

:class:`OfflineDiscord` plays Discord's side for a real :class:`discord.Client` (or
:class:`discord.ext.commands.Bot`) with its :class:`discord.app_commands.CommandTree`:

- **HTTP**: discord.py sends every request through the one ``aiohttp.ClientSession`` that
  :meth:`discord.http.HTTPClient.static_login` opens, both :meth:`HTTPClient.request` (channel
  messages, commands, threads…) and the webhook adapter that carries the interaction callbacks
  and follow-ups. :meth:`OfflineDiscord.connect` turns the client's ``HTTPClient`` into an
  :class:`OfflineHTTPClient` whose ``static_login`` opens an :class:`OfflineSession` instead:
  discord.py still builds the URLs, the JSON and the multipart bodies, keeps its rate-limit
  buckets, sleeps and retries on 429 and maps statuses to its exceptions; only the socket is
  gone. Each request is checked against Discord's OpenAPI description and the limits Discord
  adds (:mod:`handlers.discord.offline.schema`), then answered with Discord-shaped JSON.
- **Gateway**: no websocket; :meth:`OfflineDiscord.connect` feeds ``READY`` and one
  ``GUILD_CREATE`` per guild into ``client._connection.parsers``, and the players
  (:meth:`slash`, :meth:`tap`, :meth:`choose`, :meth:`submit_modal`, :meth:`say`) feed
  ``INTERACTION_CREATE`` and ``MESSAGE_CREATE`` the same way, then wait until the bot has
  handled them (:meth:`settle`).

Time is the injected :class:`bot.clock.Clock` (a :class:`~bot.clock.FrozenClock` by default):
an interaction must be answered within 3 s of its creation and followed up within 15 min, by
that clock; nothing sleeps. A sketch::

    discord_ = OfflineDiscord(clock)
    school = discord_.guild("École Jules Ferry")
    hall = discord_.text_channel(school, "accueil")
    alice = discord_.user("alice", guild=school)
    bot = MyBot()
    await discord_.connect(bot)
    await bot.tree.sync(guild=discord.Object(school.id))
    await discord_.slash(alice, "ticket open", {"title": "Écran cassé"}, channel=hall)
    assert discord_.last_message(hall).content == "…"
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import discord
from discord.errors import HTTPException, LoginFailure
from discord.http import HTTPClient, Route
from multidict import CIMultiDict, CIMultiDictProxy

from bot.clock import Clock, FrozenClock
from handlers.discord.offline.schema import (
    DiscordSpec,
    FieldError,
    Operation,
    discord_limits,
    invalid_form_body,
    load_spec,
)

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "Fault",
    "InteractionRecord",
    "OfflineDiscord",
    "OfflineHTTPClient",
    "OfflineSession",
    "PostedMessage",
    "RecordedRequest",
    "SentFile",
    "SimChannel",
    "SimGuild",
    "SimUser",
]

DISCORD_EPOCH_MS = 1_420_070_400_000
RESPONSE_WINDOW = timedelta(seconds=3)
"""An interaction's first response must reach Discord within this time of its creation."""
TOKEN_LIFETIME = timedelta(minutes=15)
"""An interaction's token (follow-ups, edits of the original response) lasts this long."""
EPHEMERAL = 1 << 6
LOADING = 1 << 7
CDN = "https://cdn.discordapp.com"

_STATUS_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# Interaction types (discord/types/interactions.py) and the callbacks each accepts.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
_ALLOWED_CALLBACKS: dict[int, tuple[int, ...]] = {
    APPLICATION_COMMAND: (4, 5, 9, 12),
    MESSAGE_COMPONENT: (4, 5, 6, 7, 9, 12),
    MODAL_SUBMIT: (4, 5, 6, 7),
    AUTOCOMPLETE: (8,),
}
_OPTION_TYPES: dict[int, type | tuple[type, ...]] = {3: str, 4: int, 5: bool, 10: (int, float)}
"""Python types of the values of plain slash-command options, by option type."""
_MEMBER_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    add_reactions=True,
    use_application_commands=True,
).value
_BOT_PERMISSIONS = discord.Permissions(
    _MEMBER_PERMISSIONS, manage_messages=True, manage_threads=True
).value


class _Refusal(Exception):
    """Discord's refusal of a request: an HTTP status and its JSON error."""

    def __init__(self, status: int, code: int, message: str, **extra: Any) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.body: dict[str, Any] = {"message": message, "code": code, **extra}


# -- the people, places and records ----------------------------------------------------------


@dataclass
class SimUser:
    """A Discord account played by a test (see :meth:`OfflineDiscord.user`)."""

    id: int
    username: str
    global_name: str | None = None
    locale: str = "fr"
    bot: bool = False
    roles: list[int] = field(default_factory=list)
    permissions: int = _MEMBER_PERMISSIONS

    def to_dict(self) -> dict[str, Any]:
        """The ``User`` object (discord/types/user.py)."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
        }
        if self.bot:
            data["bot"] = True
        return data

    def member_dict(self, joined_at: str) -> dict[str, Any]:
        """The guild ``Member`` object with its user."""
        return {
            "user": self.to_dict(),
            "nick": None,
            "roles": [str(role) for role in self.roles],
            "joined_at": joined_at,
            "deaf": False,
            "mute": False,
            "flags": 0,
        }


@dataclass
class SimChannel:
    """A channel (text, forum, thread or direct messages); ``data`` is Discord's object."""

    id: int
    data: dict[str, Any]

    @property
    def type(self) -> int:
        return int(self.data["type"])

    @property
    def guild_id(self) -> int | None:
        value = self.data.get("guild_id")
        return int(value) if value is not None else None

    @property
    def name(self) -> str | None:
        return self.data.get("name")

    def tag_id(self, name: str) -> int:
        """The id of the forum tag called ``name``."""
        for tag in self.data.get("available_tags", []):
            if tag["name"] == name:
                return int(tag["id"])
        raise KeyError(name)


@dataclass
class SimGuild:
    """A guild (server): its members and channels."""

    id: int
    name: str
    joined_at: str
    members: list[SimUser] = field(default_factory=list)
    channels: list[SimChannel] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SentFile:
    """A file the bot uploaded with a request."""

    field: str
    filename: str
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class RecordedRequest:
    """One request of the bot, as Discord saw it, with what was answered."""

    method: str
    path: str
    route: str | None
    """``"POST /channels/{channel_id}/messages"`` (the description's template), or None."""
    params: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    """The JSON body (``payload_json`` of a multipart one), or None."""
    files: tuple[SentFile, ...]
    status: int
    answer: Any
    at: datetime
    fault: str | None = None
    """``"rate_limit"``, ``"status"`` or ``"timeout"`` when the answer was an injected fault."""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and self.fault is None


@dataclass
class Fault:
    """An injected fault, served to the next ``times`` requests of its route."""

    route: str
    kind: str
    status: int
    times: int
    retry_after: float = 0.0
    is_global: bool = False
    served: int = 0


@dataclass
class InteractionRecord:
    """An interaction a test played, and what the bot answered to it."""

    id: int
    token: str
    type: int
    user: SimUser
    channel_id: int
    guild_id: int | None
    created_at: datetime
    payload: dict[str, Any]
    message_id: int | None = None
    """The message whose component was used (component interactions, modals from them)."""
    response_type: int | None = None
    """The callback type of the initial response (4 message, 5 deferred, 6 deferred update,
    7 update, 9 modal), None while unanswered."""
    response: dict[str, Any] | None = None
    """The body of the initial response."""
    original_id: int | None = None
    """The message of the original response (types 4 and 5)."""
    followup_ids: list[int] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    """The modal shown in response (``data`` of a type 9 callback)."""
    modal_submitted: bool = False
    """The user sent the modal (it is closed: it cannot be sent again)."""


@dataclass(frozen=True)
class PostedMessage:
    """The current state of a message (after its edits), Discord's object in ``data``."""

    data: dict[str, Any]

    @property
    def id(self) -> int:
        return int(self.data["id"])

    @property
    def channel_id(self) -> int:
        return int(self.data["channel_id"])

    @property
    def author_id(self) -> int:
        return int(self.data["author"]["id"])

    @property
    def content(self) -> str:
        return str(self.data.get("content") or "")

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred response still « thinking »."""
        return bool(self.flags & LOADING)

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.data.get("embeds") or [])

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return list(self.data.get("attachments") or [])

    @property
    def components(self) -> list[dict[str, Any]]:
        return list(self.data.get("components") or [])

    def walk(self) -> list[dict[str, Any]]:
        """Every component, rows and their children, depth first."""
        return [node for node in _walk(self.components)]

    @property
    def custom_ids(self) -> list[str]:
        return [node["custom_id"] for node in self.walk() if "custom_id" in node]

    @property
    def buttons(self) -> list[tuple[str | None, str | None]]:
        """``(label, custom_id or url)`` of each button."""
        return [
            (node.get("label"), node.get("custom_id") or node.get("url"))
            for node in self.walk()
            if node.get("type") == 2
        ]

    def component(self, custom_id: str) -> dict[str, Any]:
        for node in self.walk():
            if node.get("custom_id") == custom_id:
                return node
        raise KeyError(custom_id)


def _walk(nodes: Iterable[Any]) -> Iterable[dict[str, Any]]:
    for node in nodes:
        if not isinstance(node, dict):
            continue
        yield node
        if "components" in node:
            yield from _walk(node["components"])
        for key in ("component", "accessory"):
            if isinstance(node.get(key), dict):
                yield from _walk([node[key]])


# -- discord.py's side of the seam -----------------------------------------------------------


class OfflineResponse:
    """What ``session.request`` yields: the parts of ``aiohttp.ClientResponse`` discord.py reads."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.reason = _STATUS_REASONS.get(status, "Unknown")
        raw: CIMultiDict[str] = CIMultiDict(headers or {})
        if body is None:
            self._text = ""
        else:
            self._text = json.dumps(body, ensure_ascii=False)
            raw.setdefault("Content-Type", "application/json")
        self.headers = CIMultiDictProxy(raw)

    async def text(self, encoding: str | None = None) -> str:
        return self._text

    async def json(self) -> Any:
        return json.loads(self._text) if self._text else None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class _PendingRequest:
    """``async with session.request(...) as response``: the request runs on entry."""

    def __init__(self, discord_: OfflineDiscord, method: str, url: str, kwargs: Any) -> None:
        self._discord = discord_
        self._method = method
        self._url = url
        self._kwargs = kwargs

    async def __aenter__(self) -> OfflineResponse:
        return await self._discord._serve(self._method, self._url, **self._kwargs)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class OfflineSession:
    """Stands for the ``aiohttp.ClientSession`` of discord.py's ``HTTPClient``: no socket."""

    def __init__(self, discord_: OfflineDiscord) -> None:
        self._discord = discord_
        self.closed = False

    def request(self, method: str, url: str, **kwargs: Any) -> _PendingRequest:
        if self.closed:
            raise RuntimeError("Session is closed")
        return _PendingRequest(self._discord, method, url, kwargs)

    async def close(self) -> None:
        self.closed = True


class OfflineHTTPClient(HTTPClient):
    """discord.py's ``HTTPClient`` whose login opens an :class:`OfflineSession`.

    Everything else is discord.py's own code: :meth:`HTTPClient.request` (buckets, 429 and
    5xx retries, exceptions), the webhook adapter of interactions (it borrows this session).
    """

    _offline: OfflineDiscord

    async def static_login(self, token: str) -> Any:
        # What HTTPClient.static_login does, with the offline session in place of aiohttp's.
        setattr(self, "_HTTPClient__session", OfflineSession(self._offline))  # noqa: B010
        self._global_over = asyncio.Event()
        self._global_over.set()
        old_token = self.token
        self.token = token
        try:
            data = await self.request(Route("GET", "/users/@me"))
        except HTTPException as exc:
            self.token = old_token
            if exc.status == 401:
                raise LoginFailure("Improper token has been passed.") from exc
            raise
        return data

    async def ws_connect(self, url: str, *, compress: int = 0) -> Any:
        raise RuntimeError(
            "the offline Discord has no gateway socket: OfflineDiscord.connect feeds the events"
        )

    async def get_from_cdn(self, url: str) -> bytes:
        return self._offline.download(url)


# -- the offline Discord ---------------------------------------------------------------------


class OfflineDiscord:
    """Discord's side for one bot application: its guilds, channels, messages, interactions."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        bot_name: str = "pne-bot",
        token: str = "offline.bot.token",  # noqa: S107 - the offline Discord's own
        settle_timeout: float = 10.0,
    ) -> None:
        self.clock: Clock = clock or FrozenClock(datetime.now(UTC))
        self.spec: DiscordSpec = load_spec()
        self.token = token
        self.settle_timeout = settle_timeout
        self._increment = itertools.count()
        self.bot = SimUser(self.snowflake(), bot_name, bot=True, permissions=_BOT_PERMISSIONS)
        self.application_id = self.bot.id
        self.owner = SimUser(self.snowflake(), "owner")
        self.users: dict[int, SimUser] = {self.bot.id: self.bot}
        self.guilds: dict[int, SimGuild] = {}
        self.channels: dict[int, SimChannel] = {}
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._message_channel: dict[int, int] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        """Registered commands per guild id (None: global), as the bulk overwrites left them."""
        self.interactions: dict[int, InteractionRecord] = {}
        self._by_token: dict[str, InteractionRecord] = {}
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self._files: dict[str, bytes] = {}
        self._dms: dict[int, int] = {}
        self.client: discord.Client | None = None

    # -- ids and time ------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def snowflake(self) -> int:
        """A new id, whose timestamp is the clock's (as discord.py reads it back)."""
        millis = int(self.now().timestamp() * 1000) - DISCORD_EPOCH_MS
        return (millis << 22) | (1 << 17) | (next(self._increment) & 0xFFF)

    def _timestamp(self) -> str:
        return self.now().isoformat()

    # -- the world ---------------------------------------------------------------------------

    def user(
        self,
        username: str,
        *,
        guild: SimGuild | None = None,
        global_name: str | None = None,
        locale: str = "fr",
        roles: Sequence[int] = (),
        permissions: int | None = None,
    ) -> SimUser:
        """A person on Discord, a member of ``guild`` if given."""
        user = SimUser(
            self.snowflake(),
            username,
            global_name=global_name,
            locale=locale,
            roles=list(roles),
            permissions=_MEMBER_PERMISSIONS if permissions is None else permissions,
        )
        self.users[user.id] = user
        if guild is not None:
            guild.members.append(user)
        return user

    def guild(self, name: str) -> SimGuild:
        """A guild the bot is in (announced by ``GUILD_CREATE`` if already connected)."""
        guild_id = self.snowflake()
        everyone = {
            "id": str(guild_id),
            "name": "@everyone",
            "permissions": str(_MEMBER_PERMISSIONS),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        guild = SimGuild(guild_id, name, self._timestamp(), members=[self.bot], roles=[everyone])
        self.guilds[guild_id] = guild
        if self.client is not None:
            self._feed("GUILD_CREATE", self._guild_payload(guild))
        return guild

    def role(self, guild: SimGuild, name: str) -> int:
        """A role of ``guild``; give it to a user with ``user(..., roles=[id])``."""
        role_id = self.snowflake()
        guild.roles.append(
            {
                "id": str(role_id),
                "name": name,
                "permissions": "0",
                "position": len(guild.roles),
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": True,
                "flags": 0,
            }
        )
        return role_id

    def _add_channel(self, guild: SimGuild | None, data: dict[str, Any]) -> SimChannel:
        channel = SimChannel(int(data["id"]), data)
        self.channels[channel.id] = channel
        self._messages[channel.id] = {}
        if guild is not None and data["type"] not in (11, 12):
            guild.channels.append(channel)
        return channel

    def text_channel(self, guild: SimGuild, name: str) -> SimChannel:
        """A text channel of ``guild``."""
        data = {
            "id": str(self.snowflake()),
            "type": 0,
            "guild_id": str(guild.id),
            "name": name,
            "position": len(guild.channels),
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        channel = self._add_channel(guild, data)
        if self.client is not None:
            self._feed("CHANNEL_CREATE", copy.deepcopy(data))
        return channel

    def forum_channel(self, guild: SimGuild, name: str, *, tags: Sequence[str] = ()) -> SimChannel:
        """A forum channel of ``guild`` with its available tags."""
        data = {
            "id": str(self.snowflake()),
            "type": 15,
            "guild_id": str(guild.id),
            "name": name,
            "position": len(guild.channels),
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
            "available_tags": [
                {
                    "id": str(self.snowflake()),
                    "name": tag,
                    "moderated": False,
                    "emoji_id": None,
                    "emoji_name": None,
                }
                for tag in tags
            ],
            "default_reaction_emoji": None,
            "default_sort_order": None,
            "default_forum_layout": 0,
            "default_thread_rate_limit_per_user": 0,
        }
        channel = self._add_channel(guild, data)
        if self.client is not None:
            self._feed("CHANNEL_CREATE", copy.deepcopy(data))
        return channel

    def dm_channel(self, user: SimUser) -> SimChannel:
        """The direct-message channel between ``user`` and the bot."""
        existing = self._dms.get(user.id)
        if existing is not None:
            return self.channels[existing]
        data = {
            "id": str(self.snowflake()),
            "type": 1,
            "recipients": [user.to_dict()],
            "last_message_id": None,
            "flags": 0,
        }
        channel = self._add_channel(None, data)
        self._dms[user.id] = channel.id
        return channel

    def file(self, filename: str, data: bytes, content_type: str | None = None) -> dict[str, Any]:
        """An attachment a user uploads (for :meth:`say` or an attachment option)."""
        attachment_id = self.snowflake()
        url = f"{CDN}/attachments/0/{attachment_id}/{filename}"
        self._files[url] = data
        attachment: dict[str, Any] = {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url.replace(CDN, "https://media.discordapp.net"),
        }
        if content_type:
            attachment["content_type"] = content_type
        return attachment

    def download(self, url: str) -> bytes:
        """The bytes behind an attachment's URL (what discord.py's ``Attachment.read`` gets)."""
        try:
            return self._files[url]
        except KeyError:
            raise discord.NotFound(OfflineResponse(404, None), "asset not found") from None

    # -- inspection --------------------------------------------------------------------------

    def messages(self, channel: SimChannel | int) -> list[PostedMessage]:
        """The messages of a channel, oldest first, as they are now (ephemeral ones included)."""
        channel_id = channel if isinstance(channel, int) else channel.id
        return [PostedMessage(copy.deepcopy(m)) for m in self._messages[channel_id].values()]

    def last_message(self, channel: SimChannel | int) -> PostedMessage:
        found = self.messages(channel)
        if not found:
            raise LookupError("no message in this channel")
        return found[-1]

    def message(self, message_id: int) -> PostedMessage:
        channel_id = self._message_channel[message_id]
        return PostedMessage(copy.deepcopy(self._messages[channel_id][message_id]))

    def sent(self, route: str | None = None, *, ok: bool | None = None) -> list[RecordedRequest]:
        """The recorded requests, of one route (``"POST /channels/{channel_id}/messages"``)."""
        return [
            request
            for request in self.requests
            if (route is None or request.route == route) and (ok is None or request.ok == ok)
        ]

    def threads(self, forum: SimChannel) -> list[SimChannel]:
        """The threads (posts) of a forum channel, oldest first."""
        return [
            channel
            for channel in self.channels.values()
            if channel.data.get("parent_id") == str(forum.id) and channel.type in (10, 11, 12)
        ]

    # -- faults ------------------------------------------------------------------------------

    def fail(self, route: str, *, status: int = 500, times: int = 1) -> Fault:
        """Answer the next ``times`` requests of ``route`` with ``status`` (a 5xx, a 403…)."""
        return self._add_fault(Fault(self.spec.operation(route).key, "status", status, times))

    def rate_limit(
        self, route: str, *, retry_after: float = 0.001, times: int = 1, is_global: bool = False
    ) -> Fault:
        """Answer the next ``times`` requests of ``route`` with 429 and ``retry_after`` s."""
        fault = Fault(self.spec.operation(route).key, "rate_limit", 429, times, retry_after)
        fault.is_global = is_global
        return self._add_fault(fault)

    def time_out(self, route: str, *, times: int = 1) -> Fault:
        """Let the next ``times`` requests of ``route`` time out (nothing reaches Discord)."""
        return self._add_fault(Fault(self.spec.operation(route).key, "timeout", 0, times))

    def _add_fault(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def _take_fault(self, route: str) -> Fault | None:
        for fault in self.faults:
            if fault.route == route and fault.served < fault.times:
                fault.served += 1
                return fault
        return None

    # -- connecting a client -----------------------------------------------------------------

    async def connect(self, client: discord.Client) -> discord.Client:
        """Log ``client`` in (its ``setup_hook`` runs) and bring it to ready, offline."""
        http = client.http
        # Same object, so the tree, the state and the views keep their reference to it.
        http.__class__ = OfflineHTTPClient
        assert isinstance(http, OfflineHTTPClient)
        http._offline = self
        if client.is_closed():
            client.clear()
        await client.login(self.token)
        self.client = client
        state = client._connection
        state.guild_ready_timeout = 0.001
        guilds = list(self.guilds.values())
        session = f"offline-{self.snowflake()}"
        self._feed(
            "READY",
            {
                "v": 10,
                "user": self.bot.to_dict(),
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session,
                "resume_gateway_url": "wss://gateway.discord.gg",
                "application": {"id": str(self.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "user_settings": {},
                "shard": [0, 1],
            },
        )
        for guild in guilds:
            self._feed("GUILD_CREATE", self._guild_payload(guild))
        await client.wait_until_ready()
        return client

    def _feed(self, event: str, data: dict[str, Any]) -> None:
        """One gateway dispatch, as the websocket would hand it to discord.py."""
        if self.client is None:
            raise RuntimeError("no client is connected")
        state = self.client._connection
        self.client.dispatch("socket_event_type", event)
        parser = state.parsers[event]
        parser(data)

    def _guild_payload(self, guild: SimGuild) -> dict[str, Any]:
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner.id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": copy.deepcopy(guild.roles),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "fr",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": guild.joined_at,
            "large": False,
            "unavailable": False,
            "member_count": len(guild.members),
            "voice_states": [],
            "members": [member.member_dict(guild.joined_at) for member in guild.members],
            "channels": [copy.deepcopy(channel.data) for channel in guild.channels],
            "threads": [
                copy.deepcopy(channel.data)
                for channel in self.channels.values()
                if channel.guild_id == guild.id and channel.type in (10, 11, 12)
            ],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    # -- playing users -----------------------------------------------------------------------

    async def settle(self) -> None:
        """Wait until the bot has handled what was fed (its tasks done; timers left alone)."""
        current = asyncio.current_task()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settle_timeout
        quiet = 0
        while quiet < 3:
            await asyncio.sleep(0)
            pending = [
                task
                for task in asyncio.all_tasks()
                if task is not current and not task.done() and not _is_background(task)
            ]
            if not pending:
                quiet += 1
                continue
            quiet = 0
            left = deadline - loop.time()
            if left <= 0:
                names = ", ".join(sorted(task.get_name() for task in pending))
                raise TimeoutError(f"the bot is still busy after {self.settle_timeout}s: {names}")
            await asyncio.wait(pending, timeout=left)

    def _interaction(
        self,
        kind: int,
        user: SimUser,
        channel: SimChannel,
        data: dict[str, Any],
        *,
        message: dict[str, Any] | None = None,
    ) -> InteractionRecord:
        interaction_id = self.snowflake()
        token = f"offline-interaction-{interaction_id}"
        guild_id = channel.guild_id
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "token": token,
            "version": 1,
            "channel_id": str(channel.id),
            "channel": copy.deepcopy(channel.data),
            "app_permissions": str(_BOT_PERMISSIONS),
            "locale": user.locale,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)} if guild_id else {},
            "context": 0 if guild_id else 1,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild_id is not None:
            guild = self.guilds[guild_id]
            member = user.member_dict(guild.joined_at)
            member["permissions"] = str(user.permissions)
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = "fr"
            payload["guild"] = {"id": str(guild_id), "locale": "fr", "features": []}
            payload["member"] = member
        else:
            payload["user"] = user.to_dict()
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        record = InteractionRecord(
            id=interaction_id,
            token=token,
            type=kind,
            user=user,
            channel_id=channel.id,
            guild_id=guild_id,
            created_at=self.now(),
            payload=payload,
            message_id=int(message["id"]) if message is not None else None,
        )
        self.interactions[interaction_id] = record
        self._by_token[token] = record
        return record

    async def _play(self, record: InteractionRecord) -> InteractionRecord:
        self._feed("INTERACTION_CREATE", copy.deepcopy(record.payload))
        await self.settle()
        return record

    def _find_command(self, name: str, guild_id: int | None) -> dict[str, Any]:
        for scope in (guild_id, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name and command.get("type", 1) == 1:
                    return command
        raise LookupError(
            f"/{name} is not registered on Discord for this guild: sync the command tree first"
        )

    async def slash(
        self,
        user: SimUser,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        channel: SimChannel,
    ) -> InteractionRecord:
        """``user`` runs ``/command`` (``"ticket open"`` for a subcommand) with ``options``.

        Option values: str, int, float, bool, a :class:`SimUser` (user option), a
        :class:`SimChannel` (channel option), or an attachment from :meth:`file`.
        """
        words = command.split()
        registered = self._find_command(words[0], channel.guild_id)
        resolved: dict[str, dict[str, Any]] = {}
        spec_options: list[dict[str, Any]] = registered.get("options") or []
        leaf: list[dict[str, Any]] = []
        top = leaf
        for word in words[1:]:
            sub = next((o for o in spec_options if o["name"] == word and o["type"] in (1, 2)), None)
            if sub is None:
                raise LookupError(f"/{command}: no subcommand {word!r}")
            inner: list[dict[str, Any]] = []
            leaf.append({"type": sub["type"], "name": word, "options": inner})
            leaf = inner
            spec_options = sub.get("options") or []
        given = dict(options or {})
        for option in spec_options:
            if option["type"] in (1, 2):
                raise LookupError(f"/{command} needs a subcommand")
            if option["name"] not in given:
                if option.get("required"):
                    raise ValueError(f"/{command}: the option {option['name']!r} is required")
                continue
            value = given.pop(option["name"])
            leaf.append(self._option_value(option, value, resolved, channel))
        if given:
            raise LookupError(f"/{command} has no option {sorted(given)}")
        data: dict[str, Any] = {
            "id": registered["id"],
            "name": words[0],
            "type": 1,
            "options": top,
        }
        if registered.get("guild_id"):
            data["guild_id"] = registered["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return await self._play(self._interaction(APPLICATION_COMMAND, user, channel, data))

    def _option_value(
        self,
        option: Mapping[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        channel: SimChannel,
    ) -> dict[str, Any]:
        kind = option["type"]
        out: dict[str, Any] = {"type": kind, "name": option["name"]}
        if kind == 11:
            if not (isinstance(value, dict) and "url" in value):
                raise TypeError("an attachment option takes OfflineDiscord.file(...)")
            resolved.setdefault("attachments", {})[value["id"]] = copy.deepcopy(value)
            out["value"] = value["id"]
        elif kind in (6, 9) and isinstance(value, SimUser):
            resolved.setdefault("users", {})[str(value.id)] = value.to_dict()
            if channel.guild_id is not None:
                member = value.member_dict(self.guilds[channel.guild_id].joined_at)
                member.pop("user")
                member["permissions"] = str(value.permissions)
                resolved.setdefault("members", {})[str(value.id)] = member
            out["value"] = str(value.id)
        elif kind == 7 and isinstance(value, SimChannel):
            partial: dict[str, Any] = {
                key: value.data[key]
                for key in ("id", "type", "name", "parent_id", "guild_id")
                if key in value.data
            }
            partial["permissions"] = str(_MEMBER_PERMISSIONS)
            resolved.setdefault("channels", {})[str(value.id)] = partial
            out["value"] = str(value.id)
        else:
            expected = _OPTION_TYPES.get(kind)
            if expected is None or not isinstance(value, expected):
                raise TypeError(f"option {option['name']!r} of type {kind} cannot take {value!r}")
            choices = option.get("choices")
            if choices and value not in [choice["value"] for choice in choices]:
                raise ValueError(f"{value!r} is not a choice of {option['name']!r}")
            out["value"] = value
        return out

    def _component_of(self, message: PostedMessage | int, custom_id: str) -> tuple[dict, dict]:
        message_id = message if isinstance(message, int) else message.id
        channel_id = self._message_channel.get(message_id)
        if channel_id is None or message_id not in self._messages[channel_id]:
            raise LookupError(f"message {message_id} does not exist (any more)")
        stored = self._messages[channel_id][message_id]
        found = PostedMessage(stored)
        try:
            component = found.component(custom_id)
        except KeyError:
            raise LookupError(
                f"message {message_id} has no component {custom_id!r}: {found.custom_ids}"
            ) from None
        if component.get("disabled"):
            raise LookupError(f"the component {custom_id!r} is disabled")
        return stored, component

    async def tap(
        self, user: SimUser, message: PostedMessage | int, custom_id: str
    ) -> InteractionRecord:
        """``user`` taps the button ``custom_id`` of ``message``."""
        stored, component = self._component_of(message, custom_id)
        if component.get("type") != 2:
            raise LookupError(f"{custom_id!r} is not a button")
        data = {"custom_id": custom_id, "component_type": 2}
        channel = self.channels[int(stored["channel_id"])]
        record = self._interaction(MESSAGE_COMPONENT, user, channel, data, message=stored)
        return await self._play(record)

    async def choose(
        self, user: SimUser, message: PostedMessage | int, custom_id: str, values: Sequence[str]
    ) -> InteractionRecord:
        """``user`` picks ``values`` in the string select ``custom_id`` of ``message``."""
        stored, component = self._component_of(message, custom_id)
        if component.get("type") != 3:
            raise LookupError(f"{custom_id!r} is not a string select")
        offered = [option["value"] for option in component.get("options", [])]
        unknown = [value for value in values if value not in offered]
        if unknown:
            raise ValueError(f"{unknown} are not options of {custom_id!r}: {offered}")
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not low <= len(values) <= high:
            raise ValueError(f"{custom_id!r} takes {low}..{high} values")
        data = {"custom_id": custom_id, "component_type": 3, "values": list(values)}
        channel = self.channels[int(stored["channel_id"])]
        record = self._interaction(MESSAGE_COMPONENT, user, channel, data, message=stored)
        return await self._play(record)

    def shown_modal(self, user: SimUser) -> InteractionRecord:
        """The last interaction of ``user`` answered with a modal."""
        for record in reversed(list(self.interactions.values())):
            if record.user.id == user.id and record.modal is not None:
                return record
        raise LookupError(f"no modal was shown to {user.username}")

    async def submit_modal(
        self,
        user: SimUser,
        values: Mapping[str, str],
        *,
        origin: InteractionRecord | None = None,
    ) -> InteractionRecord:
        """``user`` fills the fields (``custom_id`` → text) of the modal last shown, and sends."""
        origin = origin or self.shown_modal(user)
        modal = origin.modal
        if modal is None:
            raise LookupError("this interaction was not answered with a modal")
        if origin.modal_submitted:
            raise LookupError("this modal was already submitted (Discord closed it)")
        origin.modal_submitted = True
        given = dict(values)
        components: list[dict[str, Any]] = []
        for top in modal["components"]:
            if top.get("type") == 1:
                field_ = top["components"][0]
                components.append({"type": 1, "components": [self._submitted(field_, given)]})
            elif top.get("type") == 18:
                submitted = {"type": 18, "component": self._submitted(top["component"], given)}
                if "id" in top:
                    submitted["id"] = top["id"]
                components.append(submitted)
        if given:
            raise LookupError(f"the modal has no field {sorted(given)}")
        data = {"custom_id": modal["custom_id"], "components": components}
        channel = self.channels[origin.channel_id]
        message = None
        if origin.message_id is not None:
            message = self._messages[self._message_channel[origin.message_id]].get(
                origin.message_id
            )
        record = self._interaction(MODAL_SUBMIT, user, channel, data, message=message)
        return await self._play(record)

    @staticmethod
    def _submitted(component: Mapping[str, Any], given: dict[str, str]) -> dict[str, Any]:
        custom_id = component["custom_id"]
        if component.get("type") != 4:
            raise LookupError(f"the modal field {custom_id!r} is not a text input")
        value = given.pop(custom_id, component.get("value") or "")
        if component.get("required", True) and not value:
            raise ValueError(f"the modal field {custom_id!r} is required")
        low, high = component.get("min_length") or 0, component.get("max_length") or 4000
        if value and not low <= len(value) <= high:
            raise ValueError(f"the modal field {custom_id!r} takes {low}..{high} characters")
        submitted = {"type": 4, "custom_id": custom_id, "value": value}
        if "id" in component:
            submitted["id"] = component["id"]
        return submitted

    async def say(
        self,
        user: SimUser,
        channel: SimChannel,
        content: str = "",
        *,
        attachments: Sequence[dict[str, Any]] = (),
        reply_to: PostedMessage | int | None = None,
    ) -> PostedMessage:
        """``user`` writes ``content`` (with ``attachments`` from :meth:`file`) in ``channel``,
        as Discord's « reply » to the message ``reply_to`` of that channel when given."""
        referenced: dict[str, Any] | None = None
        if reply_to is not None:
            replied_id = reply_to if isinstance(reply_to, int) else reply_to.id
            referenced = copy.deepcopy(self._messages[channel.id][replied_id])
        stored = self._store_message(
            channel,
            author=user,
            content=content,
            attachments=[copy.deepcopy(a) for a in attachments],
        )
        if referenced is not None:
            stored["type"] = 19  # a reply
            stored["message_reference"] = {
                "type": 0,
                "message_id": referenced["id"],
                "channel_id": str(channel.id),
            }
            if channel.guild_id is not None:
                stored["message_reference"]["guild_id"] = str(channel.guild_id)
            stored["referenced_message"] = referenced
        event = copy.deepcopy(stored)
        if channel.guild_id is not None:
            member = user.member_dict(self.guilds[channel.guild_id].joined_at)
            member.pop("user")
            event["member"] = member
            if not self._reads_content(stored):
                for key, empty in (("content", ""), ("attachments", []), ("embeds", [])):
                    event[key] = empty
                event["components"] = []
        self._feed("MESSAGE_CREATE", event)
        await self.settle()
        return PostedMessage(copy.deepcopy(stored))

    def _reads_content(self, message: Mapping[str, Any]) -> bool:
        """Discord sends a guild message's content only with the message-content intent."""
        assert self.client is not None
        if self.client.intents.message_content:
            return True
        return any(int(m["id"]) == self.bot.id for m in message.get("mentions", []))

    # -- messages ----------------------------------------------------------------------------

    def _store_message(
        self,
        channel: SimChannel,
        *,
        author: SimUser,
        content: str = "",
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        flags: int = 0,
        interaction: InteractionRecord | None = None,
        message_id: int | None = None,
        webhook: bool = False,
    ) -> dict[str, Any]:
        message_id = message_id or self.snowflake()
        mentions = [
            self.users[uid].to_dict()
            for uid in self.users
            if f"<@{uid}>" in content or f"<@!{uid}>" in content
        ]
        data: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel.id),
            "author": author.to_dict(),
            "content": content,
            "timestamp": self._timestamp(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": mentions,
            "mention_roles": [],
            "attachments": attachments or [],
            "embeds": embeds or [],
            "pinned": False,
            "type": 0,
            "flags": flags,
            "components": _numbered(components or []),
        }
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        if webhook:
            data["webhook_id"] = str(self.application_id)
            data["application_id"] = str(self.application_id)
        if interaction is not None:
            data["type"] = 20 if interaction.type == APPLICATION_COMMAND else 19
            data["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user.to_dict(),
                "authorizing_integration_owners": interaction.payload[
                    "authorizing_integration_owners"
                ],
            }
            if interaction.type == MESSAGE_COMPONENT and interaction.message_id is not None:
                data["interaction_metadata"]["interacted_message_id"] = str(interaction.message_id)
        self._messages[channel.id][message_id] = data
        self._message_channel[message_id] = channel.id
        channel.data["last_message_id"] = str(message_id)
        return data

    def _echo(self, event: str, message: Mapping[str, Any]) -> None:
        """Discord tells the bot about its own non-ephemeral messages too."""
        if self.client is None or int(message.get("flags") or 0) & EPHEMERAL:
            return
        payload = copy.deepcopy(dict(message))
        if event == "MESSAGE_CREATE" and payload.get("guild_id"):
            payload["member"] = {
                "roles": [],
                "joined_at": self.guilds[int(payload["guild_id"])].joined_at,
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        self._feed(event, payload)

    def _attachments(
        self, channel_id: int, body: Mapping[str, Any], files: Sequence[SentFile]
    ) -> list[dict[str, Any]] | None:
        """The attachments of a message body: the uploaded files, and those it keeps."""
        described = body.get("attachments")
        if described is None and not files:
            return None
        by_field = {sent.field: sent for sent in files}
        out: list[dict[str, Any]] = []
        for index, item in enumerate(described or []):
            ref = str(item.get("id"))
            sent = by_field.pop(f"files[{ref}]", None)
            if sent is None:
                kept = self._kept_attachment(ref)
                if kept is None:
                    raise _Refusal(
                        400,
                        50035,
                        "Invalid Form Body",
                        errors=_tree(
                            ("attachments", index, "id"), "BASE_TYPE_INVALID", "Unknown attachment"
                        ),
                    )
                out.append(kept)
                continue
            out.append(self._upload(channel_id, sent, item))
        for sent in by_field.values():
            out.append(self._upload(channel_id, sent, {}))
        return out

    def _kept_attachment(self, attachment_id: str) -> dict[str, Any] | None:
        for messages in self._messages.values():
            for message in messages.values():
                for attachment in message.get("attachments", []):
                    if attachment["id"] == attachment_id:
                        return copy.deepcopy(attachment)
        return None

    def _upload(self, channel_id: int, sent: SentFile, item: Mapping[str, Any]) -> dict[str, Any]:
        attachment_id = self.snowflake()
        filename = item.get("filename") or sent.filename
        url = f"{CDN}/attachments/{channel_id}/{attachment_id}/{filename}"
        self._files[url] = sent.data
        attachment: dict[str, Any] = {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(sent.data),
            "url": url,
            "proxy_url": url.replace(CDN, "https://media.discordapp.net"),
        }
        if sent.content_type and sent.content_type != "application/octet-stream":
            attachment["content_type"] = sent.content_type
        if item.get("description"):
            attachment["description"] = item["description"]
        return attachment

    def _edit(
        self,
        message: dict[str, Any],
        body: Mapping[str, Any],
        files: Sequence[SentFile],
    ) -> dict[str, Any]:
        """``message`` edited by ``body`` (an edit cannot make a message ephemeral or not)."""
        old_flags = int(message.get("flags") or 0)
        if "content" in body:
            message["content"] = body["content"] or ""
        if "embeds" in body:
            message["embeds"] = list(body["embeds"] or [])
        if "components" in body:
            message["components"] = _numbered(body["components"] or [])
        new_flags = int(body["flags"]) if body.get("flags") is not None else old_flags
        message["flags"] = (new_flags & ~(EPHEMERAL | LOADING)) | (old_flags & EPHEMERAL)
        attachments = self._attachments(int(message["channel_id"]), body, files)
        if attachments is not None:
            message["attachments"] = attachments
        message["edited_timestamp"] = self._timestamp()
        return message

    def _new_message_from_body(
        self,
        channel: SimChannel,
        body: Mapping[str, Any],
        files: Sequence[SentFile],
        *,
        interaction: InteractionRecord | None = None,
        flags: int | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        if flags is None:
            flags = int(body.get("flags") or 0)
        has_body = any(
            body.get(key) for key in ("content", "embeds", "components", "sticker_ids", "poll")
        )
        if not has_body and not files and not flags & LOADING:
            raise _Refusal(400, 50006, "Cannot send an empty message")
        data = self._store_message(
            channel,
            author=self.bot,
            content=body.get("content") or "",
            embeds=list(body.get("embeds") or []),
            components=list(body.get("components") or []),
            attachments=[],
            flags=flags,
            interaction=interaction,
            message_id=message_id,
            webhook=interaction is not None,
        )
        data["attachments"] = self._attachments(channel.id, body, files) or []
        return data

    # -- the HTTP side -----------------------------------------------------------------------

    async def _serve(self, method: str, url: str, **kwargs: Any) -> OfflineResponse:
        parts = urlsplit(url)
        base = urlsplit(Route.BASE)
        if parts.netloc != base.netloc or not parts.path.startswith(base.path):
            raise aiohttp.ClientConnectionError(f"the offline Discord does not serve {url}")
        path = parts.path[len(base.path) :]
        query = dict(parse_qsl(parts.query))
        for key, value in (kwargs.get("params") or {}).items():
            query[key] = str(value).lower() if isinstance(value, bool) else str(value)
        headers = kwargs.get("headers") or {}
        body, files = await _decode(kwargs.get("data"), headers)
        matched = self.spec.match(method, path)
        at = self.now()

        def record(
            status: int,
            answer: Any,
            route: str | None,
            params: Mapping[str, str],
            fault: str | None = None,
        ) -> None:
            self.requests.append(
                RecordedRequest(
                    method=method,
                    path=path,
                    route=route,
                    params=dict(params),
                    query=query,
                    body=body,
                    files=tuple(files),
                    status=status,
                    answer=answer,
                    at=at,
                    fault=fault,
                )
            )

        if matched is None:
            # Discord would answer; the offline one does not know the route: say so.
            answer = {
                "message": f"404: Not Found (the offline Discord does not serve {method} {path}:"
                " add its operation to data/extract.py and answer it in OfflineDiscord)",
                "code": 0,
            }
            record(404, answer, None, {})
            return OfflineResponse(404, answer)
        operation, params = matched
        fault = self._take_fault(operation.key)
        if fault is not None:
            return self._serve_fault(fault, record, operation, params)
        try:
            self._check_auth(operation, params, headers)
            errors = self.spec.validate_query(operation, query)
            if body is not None or operation.bodies:
                kind = (
                    "multipart/form-data"
                    if files or _is_form(kwargs.get("data"))
                    else ("application/json")
                )
                if body is None and kind == "application/json" and operation.bodies:
                    body_errors = (
                        [FieldError((), "BASE_TYPE_REQUIRED", "This field is required")]
                        if operation.method in ("POST", "PUT")
                        else []
                    )
                else:
                    body_errors = self.spec.validate_body(operation, body, kind)
                errors += body_errors + discord_limits(operation, body)
            if errors:
                raise _Refusal(400, 50035, "Invalid Form Body", errors=_errors_tree(errors))
            status, answer = self._answer(operation, params, query, body, files)
        except _Refusal as refusal:
            record(refusal.status, refusal.body, operation.key, params)
            return OfflineResponse(refusal.status, refusal.body)
        record(status, answer, operation.key, params)
        return OfflineResponse(status, answer if status != 204 else None)

    def _serve_fault(
        self, fault: Fault, record: Any, operation: Operation, params: Mapping[str, str]
    ) -> OfflineResponse:
        if fault.kind == "timeout":
            record(0, None, operation.key, params, "timeout")
            raise aiohttp.ServerTimeoutError(f"offline: {operation.key} timed out")
        if fault.kind == "rate_limit":
            answer = {
                "message": "You are being rate limited.",
                "retry_after": fault.retry_after,
                "global": fault.is_global,
            }
            reset = self.now().timestamp() + fault.retry_after
            headers = {
                "Via": "1.1 google",
                "Retry-After": str(max(1, math.ceil(fault.retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{reset:.3f}",
                "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
                "X-RateLimit-Bucket": f"offline{abs(hash(operation.key)):x}",
                "X-RateLimit-Scope": "global" if fault.is_global else "user",
            }
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            record(429, answer, operation.key, params, "rate_limit")
            return OfflineResponse(429, answer, headers)
        answer = {"message": f"{fault.status}: {_STATUS_REASONS.get(fault.status, '')}", "code": 0}
        record(fault.status, answer, operation.key, params, "status")
        return OfflineResponse(fault.status, answer)

    def _check_auth(
        self, operation: Operation, params: Mapping[str, str], headers: Mapping[str, str]
    ) -> None:
        if operation.operation_id == "create_interaction_response":
            return  # the interaction's token is the credential
        if "webhook_token" in params:
            return
        if headers.get("Authorization") != f"Bot {self.token}":
            raise _Refusal(401, 0, "401: Unauthorized")

    def _answer(
        self,
        operation: Operation,
        params: Mapping[str, str],
        query: Mapping[str, str],
        body: Any,
        files: Sequence[SentFile],
    ) -> tuple[int, Any]:
        handler = getattr(self, f"_op_{operation.operation_id}", None)
        if handler is None:
            raise _Refusal(405, 0, "405: Method Not Allowed")
        return handler(params=params, query=query, body=body, files=files)

    # -- operations (named after the description's operationId) --------------------------------

    def _op_get_my_user(self, **_: Any) -> tuple[int, Any]:
        return 200, self.bot.to_dict()

    def _op_get_my_oauth2_application(self, **_: Any) -> tuple[int, Any]:
        return 200, {
            "id": str(self.application_id),
            "name": self.bot.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": self.owner.to_dict(),
            "team": None,
            "bot": self.bot.to_dict(),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "rpc_origins": [],
        }

    def _op_get_bot_gateway(self, **_: Any) -> tuple[int, Any]:
        return 200, {
            "url": "wss://gateway.discord.gg",
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            },
        }

    def _check_application(self, params: Mapping[str, str]) -> None:
        if params.get("application_id") != str(self.application_id):
            raise _Refusal(403, 50001, "Missing Access")

    def _command_scope(self, params: Mapping[str, str]) -> int | None:
        self._check_application(params)
        guild_id = params.get("guild_id")
        if guild_id is None:
            return None
        if int(guild_id) not in self.guilds:
            raise _Refusal(403, 50001, "Missing Access")
        return int(guild_id)

    def _bulk_overwrite(self, params: Mapping[str, str], body: Any) -> tuple[int, Any]:
        scope = self._command_scope(params)
        previous = {c["name"]: c for c in self.commands.get(scope, [])}
        names = [command["name"] for command in body or []]
        if len(names) != len(set(names)):
            raise _Refusal(
                400,
                50035,
                "Invalid Form Body",
                errors=_tree((), "APPLICATION_COMMANDS_DUPLICATE_NAME"),
            )
        stored: list[dict[str, Any]] = []
        for command in body or []:
            kept = previous.get(command["name"])
            data = {
                "type": 1,
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "nsfw": False,
                "name_localizations": None,
                "description_localizations": None,
                "contexts": None,
                "integration_types": [0],
                **copy.deepcopy(command),
                "id": kept["id"] if kept else str(self.snowflake()),
                "application_id": str(self.application_id),
                "version": str(self.snowflake()),
            }
            if scope is not None:
                data["guild_id"] = str(scope)
            stored.append(data)
        self.commands[scope] = stored
        return 200, copy.deepcopy(stored)

    def _op_bulk_set_application_commands(
        self, params: Mapping[str, str], body: Any, **_: Any
    ) -> tuple[int, Any]:
        return self._bulk_overwrite(params, body)

    def _op_bulk_set_guild_application_commands(
        self, params: Mapping[str, str], body: Any, **_: Any
    ) -> tuple[int, Any]:
        return self._bulk_overwrite(params, body)

    def _op_list_application_commands(self, params: Mapping[str, str], **_: Any) -> tuple[int, Any]:
        return 200, copy.deepcopy(self.commands.get(self._command_scope(params), []))

    def _op_list_guild_application_commands(
        self, params: Mapping[str, str], **_: Any
    ) -> tuple[int, Any]:
        return 200, copy.deepcopy(self.commands.get(self._command_scope(params), []))

    # interactions

    def _record_by_token(self, params: Mapping[str, str], id_key: str) -> InteractionRecord:
        token = params.get("interaction_token") or params.get("webhook_token") or ""
        record = self._by_token.get(token)
        if record is None or (
            id_key == "interaction_id" and str(record.id) != params.get("interaction_id")
        ):
            if id_key == "interaction_id":
                raise _Refusal(404, 10062, "Unknown interaction")
            raise _Refusal(404, 10015, "Unknown Webhook")
        if id_key == "webhook_id" and params.get("webhook_id") != str(self.application_id):
            raise _Refusal(404, 10015, "Unknown Webhook")
        return record

    def _op_create_interaction_response(
        self,
        params: Mapping[str, str],
        query: Mapping[str, str],
        body: Any,
        files: Sequence[SentFile],
        **_: Any,
    ) -> tuple[int, Any]:
        record = self._record_by_token(params, "interaction_id")
        if record.response_type is not None:
            raise _Refusal(400, 40060, "Interaction has already been acknowledged.")
        if self.now() - record.created_at > RESPONSE_WINDOW:
            raise _Refusal(404, 10062, "Unknown interaction")
        kind = int(body["type"])
        allowed = _ALLOWED_CALLBACKS.get(record.type, ())
        if kind in (6, 7) and record.message_id is None:
            allowed = tuple(t for t in allowed if t not in (6, 7))
        if kind not in allowed:
            raise _Refusal(
                400,
                50035,
                "Invalid Form Body",
                errors=_tree(
                    ("type",),
                    "INTERACTION_RESPONSE_TYPE_INVALID",
                    f"Value must be one of {allowed}.",
                ),
            )
        data = body.get("data") or {}
        channel = self.channels[record.channel_id]
        message: dict[str, Any] | None = None
        if kind == 4:
            message = self._new_message_from_body(channel, data, files, interaction=record)
            record.original_id = int(message["id"])
        elif kind == 5:
            flags = (int(data.get("flags") or 0) & EPHEMERAL) | LOADING
            message = self._store_message(
                channel, author=self.bot, flags=flags, interaction=record, webhook=True
            )
            record.original_id = int(message["id"])
        elif kind == 7:
            assert record.message_id is not None
            message = self._edit(self._source_message(record), data, files)
        elif kind == 9:
            record.modal = copy.deepcopy(data)
        record.response_type = kind
        record.response = copy.deepcopy(body)
        if message is not None:
            self._echo("MESSAGE_CREATE" if kind in (4, 5) else "MESSAGE_UPDATE", message)
        if query.get("with_response", "false").lower() not in ("1", "true"):
            return 204, None
        interaction: dict[str, Any] = {"id": str(record.id), "type": record.type}
        if message is not None:
            interaction["response_message_id"] = message["id"]
            interaction["response_message_loading"] = kind == 5
            interaction["response_message_ephemeral"] = bool(
                int(message.get("flags") or 0) & EPHEMERAL
            )
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            resource["message"] = copy.deepcopy(message)
        return 200, {"interaction": interaction, "resource": resource}

    def _source_message(self, record: InteractionRecord) -> dict[str, Any]:
        assert record.message_id is not None
        channel_id = self._message_channel[record.message_id]
        try:
            return self._messages[channel_id][record.message_id]
        except KeyError:
            raise _Refusal(404, 10008, "Unknown Message") from None

    def _live_token(self, record: InteractionRecord) -> None:
        if self.now() - record.created_at > TOKEN_LIFETIME:
            raise _Refusal(401, 50027, "Invalid Webhook Token")
        if record.response_type is None:
            raise _Refusal(404, 10015, "Unknown Webhook")

    def _op_execute_webhook(
        self,
        params: Mapping[str, str],
        query: Mapping[str, str],
        body: Any,
        files: Sequence[SentFile],
        **_: Any,
    ) -> tuple[int, Any]:
        record = self._record_by_token(params, "webhook_id")
        self._live_token(record)
        channel = self.channels[record.channel_id]
        original = self._original(record) if record.original_id is not None else None
        if original is not None and original["flags"] & LOADING:
            # The first follow-up of a deferred response replaces its « thinking » message.
            message = self._edit(original, {k: v for k, v in body.items() if k != "flags"}, files)
            self._echo("MESSAGE_UPDATE", message)
        else:
            message = self._new_message_from_body(
                channel, body, files, interaction=record, flags=int(body.get("flags") or 0)
            )
            record.followup_ids.append(int(message["id"]))
            self._echo("MESSAGE_CREATE", message)
        if query.get("wait", "false").lower() in ("1", "true"):
            return 200, copy.deepcopy(message)
        return 204, None

    def _original(self, record: InteractionRecord) -> dict[str, Any]:
        if record.original_id is None:
            if record.response_type in (6, 7) and record.message_id is not None:
                return self._source_message(record)
            raise _Refusal(404, 10008, "Unknown Message")
        channel_id = self._message_channel[record.original_id]
        try:
            return self._messages[channel_id][record.original_id]
        except KeyError:
            raise _Refusal(404, 10008, "Unknown Message") from None

    def _webhook_message(self, record: InteractionRecord, message_id: str) -> dict[str, Any]:
        if message_id == "@original":
            return self._original(record)
        wanted = int(message_id)
        if wanted != record.original_id and wanted not in record.followup_ids:
            raise _Refusal(404, 10008, "Unknown Message")
        channel_id = self._message_channel[wanted]
        try:
            return self._messages[channel_id][wanted]
        except KeyError:
            raise _Refusal(404, 10008, "Unknown Message") from None

    def _op_get_original_webhook_message(
        self, params: Mapping[str, str], **_: Any
    ) -> tuple[int, Any]:
        record = self._record_by_token(params, "webhook_id")
        self._live_token(record)
        return 200, copy.deepcopy(self._original(record))

    def _op_update_original_webhook_message(
        self, params: Mapping[str, str], body: Any, files: Sequence[SentFile], **_: Any
    ) -> tuple[int, Any]:
        record = self._record_by_token(params, "webhook_id")
        self._live_token(record)
        message = self._edit(self._original(record), body or {}, files)
        self._echo("MESSAGE_UPDATE", message)
        return 200, copy.deepcopy(message)

    def _op_delete_original_webhook_message(
        self, params: Mapping[str, str], **_: Any
    ) -> tuple[int, Any]:
        record = self._record_by_token(params, "webhook_id")
        self._live_token(record)
        message = self._original(record)
        self._delete(message)
        return 204, None

    def _op_get_webhook_message(self, params: Mapping[str, str], **_: Any) -> tuple[int, Any]:
        record = self._record_by_token(params, "webhook_id")
        self._live_token(record)
        return 200, copy.deepcopy(self._webhook_message(record, params["message_id"]))

    def _op_update_webhook_message(
        self, params: Mapping[str, str], body: Any, files: Sequence[SentFile], **_: Any
    ) -> tuple[int, Any]:
        record = self._record_by_token(params, "webhook_id")
        self._live_token(record)
        message = self._edit(self._webhook_message(record, params["message_id"]), body or {}, files)
        self._echo("MESSAGE_UPDATE", message)
        return 200, copy.deepcopy(message)

    def _op_delete_webhook_message(self, params: Mapping[str, str], **_: Any) -> tuple[int, Any]:
        record = self._record_by_token(params, "webhook_id")
        self._live_token(record)
        self._delete(self._webhook_message(record, params["message_id"]))
        return 204, None

    # channels and messages

    def _channel(self, params: Mapping[str, str]) -> SimChannel:
        channel = self.channels.get(int(params["channel_id"]))
        if channel is None:
            raise _Refusal(404, 10003, "Unknown Channel")
        return channel

    def _channel_message(self, params: Mapping[str, str]) -> dict[str, Any]:
        channel = self._channel(params)
        message = self._messages[channel.id].get(int(params["message_id"]))
        if message is None:
            raise _Refusal(404, 10008, "Unknown Message")
        return message

    def _delete(self, message: Mapping[str, Any]) -> None:
        channel_id = int(message["channel_id"])
        del self._messages[channel_id][int(message["id"])]
        if self.client is not None and not int(message.get("flags") or 0) & EPHEMERAL:
            event = {"id": message["id"], "channel_id": message["channel_id"]}
            if message.get("guild_id"):
                event["guild_id"] = message["guild_id"]
            self._feed("MESSAGE_DELETE", event)

    def _op_get_channel(self, params: Mapping[str, str], **_: Any) -> tuple[int, Any]:
        return 200, copy.deepcopy(self._channel(params).data)

    def _op_update_channel(self, params: Mapping[str, str], body: Any, **_: Any) -> tuple[int, Any]:
        """A thread's name, archiving or tags (what the bot changes of a forum post); a
        tag must be one of its forum's, as Discord checks."""
        channel = self._channel(params)
        if channel.type not in (10, 11, 12):
            raise _Refusal(403, 50013, "Missing Permissions")
        body = body or {}
        if "applied_tags" in body:
            parent = self.channels.get(int(channel.data.get("parent_id") or 0))
            known = {tag["id"] for tag in (parent.data if parent else {}).get("available_tags", [])}
            tags = [str(tag) for tag in body.get("applied_tags") or []]
            unknown = [index for index, tag in enumerate(tags) if tag not in known]
            if unknown:
                raise _Refusal(
                    400,
                    50035,
                    "Invalid Form Body",
                    errors=_tree(("applied_tags", unknown[0]), "FORUM_TAG_INVALID", "Unknown tag"),
                )
            channel.data["applied_tags"] = tags
        if body.get("name") is not None:
            channel.data["name"] = body["name"]
        metadata = channel.data.setdefault("thread_metadata", {})
        for flag in ("archived", "locked"):
            if body.get(flag) is not None:
                metadata[flag] = bool(body[flag])
        if self.client is not None:
            self._feed("THREAD_UPDATE", copy.deepcopy(channel.data))
        return 200, copy.deepcopy(channel.data)

    def _op_create_message(
        self, params: Mapping[str, str], body: Any, files: Sequence[SentFile], **_: Any
    ) -> tuple[int, Any]:
        channel = self._channel(params)
        if channel.type in (2, 4, 13, 15, 16):
            raise _Refusal(400, 50008, "Cannot send messages in a non-text channel")
        message = self._new_message_from_body(channel, body, files)
        self._echo("MESSAGE_CREATE", message)
        return 200, copy.deepcopy(message)

    def _op_get_message(self, params: Mapping[str, str], **_: Any) -> tuple[int, Any]:
        return 200, copy.deepcopy(self._channel_message(params))

    def _op_update_message(
        self, params: Mapping[str, str], body: Any, files: Sequence[SentFile], **_: Any
    ) -> tuple[int, Any]:
        message = self._channel_message(params)
        if int(message["author"]["id"]) != self.bot.id:
            raise _Refusal(403, 50005, "Cannot edit a message authored by another user")
        self._edit(message, body or {}, files)
        self._echo("MESSAGE_UPDATE", message)
        return 200, copy.deepcopy(message)

    def _op_delete_message(self, params: Mapping[str, str], **_: Any) -> tuple[int, Any]:
        self._delete(self._channel_message(params))
        return 204, None

    def _op_create_thread(
        self, params: Mapping[str, str], body: Any, files: Sequence[SentFile], **_: Any
    ) -> tuple[int, Any]:
        parent = self._channel(params)
        if parent.type not in (0, 5, 15, 16):
            raise _Refusal(400, 50024, "Cannot execute action on this channel type")
        is_forum = parent.type in (15, 16)
        if is_forum and "message" not in body:
            raise _Refusal(
                400, 50035, "Invalid Form Body", errors=_tree(("message",), "BASE_TYPE_REQUIRED")
            )
        tags = [str(tag) for tag in body.get("applied_tags") or []]
        known = {tag["id"] for tag in parent.data.get("available_tags", [])}
        unknown = [index for index, tag in enumerate(tags) if tag not in known]
        if unknown:
            raise _Refusal(
                400,
                50035,
                "Invalid Form Body",
                errors=_tree(("applied_tags", unknown[0]), "FORUM_TAG_INVALID", "Unknown tag"),
            )
        thread_id = self.snowflake()
        data = {
            "id": str(thread_id),
            "type": 11 if is_forum else int(body.get("type") or 11),
            "guild_id": parent.data.get("guild_id"),
            "parent_id": str(parent.id),
            "owner_id": str(self.bot.id),
            "name": body["name"],
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": int(body.get("rate_limit_per_user") or 0),
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": int(body.get("auto_archive_duration") or 4320),
                "archive_timestamp": self._timestamp(),
                "locked": False,
                "create_timestamp": self._timestamp(),
            },
            "applied_tags": tags,
            "flags": 0,
            "total_message_sent": 0,
        }
        thread = self._add_channel(None, data)
        answer = copy.deepcopy(data)
        if self.client is not None:
            self._feed("THREAD_CREATE", {**copy.deepcopy(data), "newly_created": True})
        if is_forum:
            # A forum post's starter message has the thread's id.
            message = self._new_message_from_body(
                thread, body["message"], files, message_id=thread_id
            )
            thread.data["message_count"] = 1
            answer["message"] = copy.deepcopy(message)
            answer["last_message_id"] = message["id"]
            self._echo("MESSAGE_CREATE", message)
        return 200, answer

    def _op_create_dm(self, body: Any, **_: Any) -> tuple[int, Any]:
        recipient = self.users.get(int(body.get("recipient_id") or 0))
        if recipient is None or recipient.bot:
            raise _Refusal(400, 50007, "Cannot send messages to this user")
        return 200, copy.deepcopy(self.dm_channel(recipient).data)


# -- helpers ---------------------------------------------------------------------------------


def _is_background(task: asyncio.Task[Any]) -> bool:
    """Tasks that wait on timers rather than work: a view's time-out, a ``tasks.loop``."""
    name = task.get_name()
    coro = task.get_coro()
    qualname = getattr(coro, "__qualname__", "")
    return (
        name.startswith("discord-ui-view-timeout")
        or "timeout_task_impl" in qualname
        or qualname.startswith("Loop.")
    )


def _numbered(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Components as Discord stores them: each with a numeric ``id`` (1, 2, … if not given)."""
    out = copy.deepcopy(components)
    used = {node["id"] for node in _walk(out) if isinstance(node.get("id"), int)}
    counter = itertools.count(1)
    for node in _walk(out):
        if not isinstance(node.get("id"), int):
            value = next(counter)
            while value in used:
                value = next(counter)
            node["id"] = value
            used.add(value)
    return out


def _tree(path: tuple[str | int, ...], code: str, message: str | None = None) -> dict[str, Any]:
    return _errors_tree([FieldError(path, code, message or code.replace("_", " ").capitalize())])


def _errors_tree(errors: Iterable[FieldError]) -> dict[str, Any]:
    unique: dict[tuple[tuple[str | int, ...], str], FieldError] = {}
    for error in errors:
        unique.setdefault((error.path, error.code), error)
    return dict(invalid_form_body(unique.values())["errors"])


def _is_form(data: Any) -> bool:
    return isinstance(data, aiohttp.FormData)


async def _decode(data: Any, headers: Mapping[str, str]) -> tuple[Any, list[SentFile]]:
    """The JSON body and the uploaded files of what discord.py hands to aiohttp."""
    if data is None:
        return None, []
    if isinstance(data, str | bytes):
        return json.loads(data), []
    if not isinstance(data, aiohttp.FormData):
        raise TypeError(f"unexpected request data {type(data).__name__}")
    payload = data()
    raw = await payload.as_bytes()
    content_type = payload.content_type
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("ascii") + b"\r\n\r\n" + raw
    )
    body: Any = None
    files: list[SentFile] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        assert isinstance(content, bytes)
        if name == "payload_json":
            body = json.loads(content.decode("utf-8"))
            continue
        files.append(
            SentFile(
                field=str(name),
                filename=part.get_filename() or str(name),
                content_type=part.get_content_type(),
                data=content,
            )
        )
    return body, files
