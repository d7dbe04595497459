"""Discord's delivery adapter: renders neutral messages, sends them, maps its errors.

The services and the reminder sweep speak in :mod:`bot.services.delivery` terms; this is
the only place where a Discord error becomes ``Unreachable``, ``Refused`` or
``Throttled``. A message goes to ``Outgoing.chat_id``: a person's DM channel
(``accounts.chat_id`` of their Discord account, opened with :func:`dm_channel_id` when
they register) or a staff room's text channel.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import discord
from discord.http import handle_message_parameters

from bot.domain.platforms import DISCORD
from bot.services.delivery import (
    Dispatch,
    Fetcher,
    FileSender,
    Outgoing,
    Refused,
    Sender,
    Throttled,
    Uncertain,
    Unreachable,
    describe,
)
from handlers.discord.render import components, markdown, split

log = logging.getLogger(__name__)

_T = TypeVar("_T")

# Discord's JSON error codes that say the address itself cannot be served, whatever the
# status they come with: the user's DMs are closed or they share no server with the bot
# (50007), the bot lost access to the channel (50001) or may not post there (50013), the
# channel or the user is gone (10003, 10013).
UNREACHABLE_CODES = frozenset({50007, 50001, 50013, 10003, 10013})
# When a 429 escapes discord.py's own retries without a usable header.
DEFAULT_THROTTLE = timedelta(seconds=5)

# A user's text never pings: no @everyone, no role, no user, not even a reply's author.
NO_PINGS = discord.AllowedMentions.none()


def retry_after(exc: discord.HTTPException) -> timedelta:
    """How long a 429 asks to wait: its ``X-RateLimit-Reset-After`` (seconds, with a
    fraction), else ``Retry-After`` (whole seconds), else :data:`DEFAULT_THROTTLE`."""
    headers = getattr(exc.response, "headers", None) or {}
    for name in ("X-RateLimit-Reset-After", "Retry-After"):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value)
        except ValueError:
            continue
        if seconds >= 0:
            return timedelta(seconds=seconds)
    return DEFAULT_THROTTLE


async def neutral_errors(call: Callable[[], Awaitable[_T]]) -> _T:
    """Await ``call`` and raise Discord's refusals as the neutral delivery errors.

    - a 429 that discord.py's own retries did not absorb, or its ``RateLimited`` (a wait
      longer than ``max_ratelimit_timeout``): :class:`Throttled`;
    - 403 (Forbidden), 404 (NotFound) and the codes of :data:`UNREACHABLE_CODES`:
      :class:`Unreachable`;
    - another 4xx (50035 « Invalid Form Body », 50006 « Cannot send an empty message »…):
      :class:`Refused`;
    - a time-out: :class:`Uncertain` (Discord may have posted the message);
    - 5xx and network errors pass through unchanged: they are transient.
    """
    try:
        return await call()
    except TimeoutError as exc:
        raise Uncertain(describe(exc)) from exc
    except discord.RateLimited as exc:
        raise Throttled(describe(exc), timedelta(seconds=exc.retry_after)) from exc
    except discord.DiscordServerError:
        raise
    except discord.HTTPException as exc:
        if exc.status == 429:
            raise Throttled(describe(exc), retry_after(exc)) from exc
        if exc.code in UNREACHABLE_CODES or exc.status in (403, 404):
            raise Unreachable(describe(exc)) from exc
        if 400 <= exc.status < 500:
            raise Refused(describe(exc)) from exc
        raise


async def _post(
    client: discord.Client, channel_id: int, text: str, view: discord.ui.View | None
) -> int:
    """One message through discord.py's HTTP client (buckets, retries, errors).

    Not ``channel.send``: that would store the view for discord.py to dispatch, one per
    message sent, for ever (``timeout=None``); the front end dispatches taps by custom id.
    """
    with handle_message_parameters(
        content=text,
        view=view if view is not None else discord.utils.MISSING,
        allowed_mentions=NO_PINGS,
    ) as params:
        data = await client.http.send_message(channel_id, params=params)
    return int(data["id"])


def discord_sender(client: discord.Client) -> Sender:
    """Send an :class:`Outgoing` to its channel as markdown, split when longer than
    2,000 characters (the buttons go with the last part); returns the last part's id."""

    async def sender(message: Outgoing) -> int | None:
        if message.platform != DISCORD:
            # Another front end's address: a Discord channel of the same number is
            # somebody else's, or nobody's.
            raise Unreachable(f"not a Discord address ({message.platform})")
        try:
            view = components(message.actions)
        except ValueError as exc:
            # More buttons than Discord takes, an id too long: no retry changes that.
            raise Refused(f"buttons: {exc}") from exc
        parts = split(markdown(message.text))
        if not parts:
            raise Refused("empty message")

        async def send() -> int:
            from handlers.discord import forum

            if message.chat_id == forum.forum_id(client):
                # The staff's forum: the ticket's own post (decision 0050).
                return await forum.post(client, message, parts, view)  # type: ignore[arg-type]
            sent = 0
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                sent = await _post(client, message.chat_id, part, view if last else None)
            return sent

        return await neutral_errors(send)

    return sender


MAX_FILES = 10  # attachments in one Discord message


def file_sender(client: discord.Client) -> FileSender:
    """A report's text (split within 2,000 characters), then its files, each with its
    caption, to one channel (a person's DM channel): the periodic reports on Discord."""

    async def sender(dispatch: Dispatch) -> int | None:
        if dispatch.platform != DISCORD:
            raise Unreachable(f"not a Discord address ({dispatch.platform})")

        async def send() -> int | None:
            last: int | None = None
            for part in split(markdown(dispatch.text)) if dispatch.text else []:
                last = await _post(client, dispatch.chat_id, part, None)
            for file in dispatch.files:
                attachment = discord.File(io.BytesIO(file.data), filename=file.filename)
                caption = markdown(file.caption) if file.caption else None
                with handle_message_parameters(
                    content=caption or discord.utils.MISSING,
                    file=attachment,
                    allowed_mentions=NO_PINGS,
                ) as params:
                    data = await client.http.send_message(dispatch.chat_id, params=params)
                last = int(data["id"])
            return last

        return await neutral_errors(send)

    return sender


def file_fetcher(client: discord.Client) -> Fetcher:
    """A Discord attachment's bytes by its URL (the CDN, through discord.py's client)."""

    async def fetch(url: str) -> bytes:
        return await client.http.get_from_cdn(url)

    return fetch


async def dm_channel_id(client: discord.Client, user_id: int) -> int:
    """The id of the DM channel between the bot and this Discord user, opened if need be
    (``POST /users/@me/channels``): what is stored as ``accounts.chat_id`` at
    registration. A user the bot cannot write to raises :class:`Unreachable`."""
    channel = await neutral_errors(lambda: client.create_dm(discord.Object(id=user_id)))
    return channel.id


__all__ = [
    "DEFAULT_THROTTLE",
    "NO_PINGS",
    "UNREACHABLE_CODES",
    "discord_sender",
    "dm_channel_id",
    "file_fetcher",
    "file_sender",
    "neutral_errors",
    "retry_after",
]
