"""Messenger-neutral delivery: what is said to whom, and how a front end may fail.

A service or a reminder renderer builds :class:`Outgoing` messages: an address (the chat
of one person, or the staff's group), a text in the catalogs' markup (a small HTML subset:
``<b>``, ``<i>``, ``<code>``, ``<a>``; user text already escaped) and rows of
:class:`Button` (a label in the recipient's language and an action id such as
``clm:duty:42:insurer``, which the front end turns into callback data or a ``custom_id``
and which is checked again on arrival).

Each front end has an adapter that renders and sends these, and maps its own failures to
the errors below, so that the reminder sweep, the periodic reports and announcements treat
every messenger alike:

- :class:`Unreachable`: this recipient cannot be served (blocked the bot, chat gone);
  not retried, the other recipients still get the message;
- :class:`Refused`: the message itself is refused (markup, length); no retry helps;
- :class:`Throttled`: the messenger asks to wait ``delay`` before sending again;
- :class:`Uncertain`: no answer came (a time-out once the request was sent): the message
  may have arrived; retried once, not more, so that nobody gets it a third time;
- anything else is transient (network, server error): retried later.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.domain.platforms import TELEGRAM

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Button:
    """One action offered under a message: its label (already translated) and its id."""

    label: str
    action: str


Actions = tuple[tuple[Button, ...], ...]


def actions(rows: Iterable[Iterable[tuple[str, str]]]) -> Actions:
    """Rows of ``(label, action id)`` as :data:`Actions`; empty rows are dropped."""
    built = tuple(tuple(Button(label, action) for label, action in row) for row in rows)
    return tuple(row for row in built if row)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to one address (a chat of ``platform``), in the catalogs' markup, with
    its buttons; about a ticket when ``ticket_id`` is set (a reply to it then reaches the
    ticket's thread)."""

    chat_id: int
    text: str
    actions: Actions = ()
    ticket_id: int | None = None
    platform: str = TELEGRAM


# Sends one message; may return the id of the message sent (recorded as a message
# reference when the message is about a ticket, so that a reply to it finds the ticket).
Sender = Callable[[Outgoing], Awaitable[int | None]]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a caption (the catalogs' markup); ``image``: shown as a picture."""

    data: bytes
    filename: str
    caption: str = ""
    image: bool = False


@dataclass(frozen=True, slots=True)
class Dispatch:
    """A text, then its files, to one address of ``platform``: the periodic reports (a
    review's chart and workbook, a body's yearly list), which the sweep's texts cannot
    carry."""

    chat_id: int
    text: str
    files: tuple[Attachment, ...] = ()
    platform: str = TELEGRAM


# Sends a text and its files; returns the last message's id (None: nothing sent).
FileSender = Callable[[Dispatch], Awaitable[int | None]]
# A file id of the front end's own platform (a Telegram file id, a Discord attachment's
# URL) → the file's bytes, so that a file sent on one platform can be shown on another.
Fetcher = Callable[[str], Awaitable[bytes]]

# The largest file carried from one platform to another: what both take from a bot
# (Discord's uploads are 10 MiB without a boosted server; Telegram's photos 10 MB, its
# downloads 20 MB). A larger one stays where it was sent, and is said to.
MAX_CARRIED = 10 * 1000 * 1000


# ------------------------------------------------------------------------------ failures


class DeliveryError(Exception):
    """A front end's failure, in neutral terms; ``reason`` is what the messenger said."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unreachable(DeliveryError):
    """This recipient cannot be served (blocked the bot, left, chat gone)."""


class Refused(DeliveryError):
    """The message itself is refused (bad markup, too long, a bad button): no retry helps."""


class Uncertain(DeliveryError):
    """No answer came (a time-out): the messenger may have delivered the message."""


class Throttled(DeliveryError):
    """The messenger asks to slow down: try again after ``delay``."""

    def __init__(self, reason: str, delay: timedelta) -> None:
        super().__init__(reason)
        self.delay = delay


class Router:
    """The front ends running in this process, by platform: one sender for every message.

    Each front end registers its sender when it starts (``register``) and withdraws it when
    it stops. A message goes to the front end of its address's platform (a Telegram chat
    id and a Discord channel id may be the same number); a platform with no front end
    running makes it :class:`Unreachable`, as a blocked chat would be.
    """

    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}
        self._file_senders: dict[str, FileSender] = {}
        self._fetchers: dict[str, Fetcher] = {}

    def register(
        self,
        platform: str,
        sender: Sender,
        files: FileSender | None = None,
        fetch: Fetcher | None = None,
    ) -> None:
        self._senders[str(platform)] = sender
        if files is not None:
            self._file_senders[str(platform)] = files
        if fetch is not None:
            self._fetchers[str(platform)] = fetch

    def withdraw(self, platform: str) -> None:
        self._senders.pop(str(platform), None)
        self._file_senders.pop(str(platform), None)
        self._fetchers.pop(str(platform), None)

    @property
    def platforms(self) -> frozenset[str]:
        return frozenset(self._senders)

    async def __call__(self, message: Outgoing) -> int | None:
        sender = self._senders.get(str(message.platform))
        if sender is None:
            raise Unreachable(f"no {message.platform} front end is running")
        return await sender(message)

    async def send_files(self, dispatch: Dispatch) -> int | None:
        """A text and its files, on the front end of the address's platform; the last
        message's id."""
        sender = self._file_senders.get(str(dispatch.platform))
        if sender is None:
            raise Unreachable(f"no {dispatch.platform} front end sends files here")
        return await sender(dispatch)

    async def carry(
        self, platform: str, file_id: str, filename: str, *, caption: str = "", image: bool = False
    ) -> Attachment | None:
        """A file of ``platform`` as bytes for another front end; None when that platform
        runs no front end here, the file cannot be read, or it is larger than
        :data:`MAX_CARRIED` (then it stays where it was sent)."""
        fetch = self._fetchers.get(str(platform))
        if fetch is None:
            return None
        try:
            data = await fetch(file_id)
        except Exception as exc:  # gone, expired, network: the file stays where it is
            log.warning("a %s file could not be fetched: %s", platform, describe(exc))
            return None
        if not data or len(data) > MAX_CARRIED:
            return None
        return Attachment(bytes(data), filename, caption, image)


def describe(exc: BaseException) -> str:
    """``Kind: message`` for a log or a row, without repeating the kind (a messenger's
    403 already says "Forbidden: …"); a :class:`DeliveryError` gives its reason as is."""
    if isinstance(exc, DeliveryError):
        return exc.reason
    name = type(exc).__name__
    message = str(getattr(exc, "message", None) or exc)
    if not message:
        return name
    return message if message.startswith(name) else f"{name}: {message}"


__all__: Sequence[str] = [
    "MAX_CARRIED",
    "Actions",
    "Attachment",
    "Button",
    "DeliveryError",
    "Dispatch",
    "Fetcher",
    "FileSender",
    "Outgoing",
    "Refused",
    "Router",
    "Sender",
    "Throttled",
    "Uncertain",
    "Unreachable",
    "actions",
    "describe",
]
