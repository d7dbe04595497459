"""Log lines as JSON objects (``PNE_LOG_FORMAT=json``), with what is known of the update.

The front ends set ``update_id`` (Telegram) or ``interaction_id`` (Discord) and
``person_id`` where an update enters. The ticket an update or a reminder row is about is
named by its id and its number (``ticket``: S-2026-0001, what staff and reporters quote):
the sweep sets it for the row it handles, and every ticket read or written while an update
is handled names itself (:func:`follow_tickets`); an update that reads several tickets (a
queue, a review) names none. A line carries ids only: never a name, never what someone
wrote (the messages themselves follow that rule, decision 0065; decision 0090).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

update_id: ContextVar[int | None] = ContextVar("update_id", default=None)
interaction_id: ContextVar[int | None] = ContextVar("interaction_id", default=None)
person_id: ContextVar[int | None] = ContextVar("person_id", default=None)

_CONTEXT = (
    ("update_id", update_id),
    ("interaction_id", interaction_id),
    ("person_id", person_id),
)


@dataclass(frozen=True, slots=True)
class _Ticket:
    """The ticket the lines are about; ``id`` None once several were seen (named by none)."""

    id: int | None
    number: str | None = None


_ticket: ContextVar[_Ticket | None] = ContextVar("ticket", default=None)


def about_ticket(ticket: int, number: str | None = None) -> None:
    """A ticket is read or written: the lines that follow name it, unless another one was
    met before in the same update (then they name none: a list is about no one ticket)."""
    current = _ticket.get()
    if current is None:
        _ticket.set(_Ticket(ticket, number))
    elif current.id == ticket:
        if number is not None and current.number is None:
            _ticket.set(_Ticket(ticket, number))
    elif current.id is not None:
        _ticket.set(_Ticket(None))


@contextmanager
def ticket_row(ticket: int | None) -> Iterator[None]:
    """One reminder row is handled: its lines name its ticket (or none), whatever the row
    before was about; put back after."""
    token = _ticket.set(None if ticket is None else _Ticket(ticket))
    try:
        yield
    finally:
        _ticket.reset(token)


@contextmanager
def update_context(update: int | None = None, *, interaction: int | None = None) -> Iterator[None]:
    """An update (or a Discord interaction) is handled: its id on every line, its person
    and ticket not known yet; all put back after."""
    tokens = (
        update_id.set(update),
        interaction_id.set(interaction),
        person_id.set(None),
        _ticket.set(None),
    )
    try:
        yield
    finally:
        _ticket.reset(tokens[3])
        person_id.reset(tokens[2])
        interaction_id.reset(tokens[1])
        update_id.reset(tokens[0])


def context_fields() -> dict[str, Any]:
    """The ids known where a line is written."""
    fields: dict[str, Any] = {}
    for name, var in _CONTEXT:
        value = var.get()
        if value is not None:
            fields[name] = value
    ticket = _ticket.get()
    if ticket is not None and ticket.id is not None:
        fields["ticket_id"] = ticket.id
        if ticket.number is not None:
            fields["ticket"] = ticket.number
    return fields


def follow_tickets() -> None:
    """Every ticket loaded or inserted through the ORM names itself in the log context
    (:func:`about_ticket`). Idempotent; the bootstrap calls it."""
    from sqlalchemy import event

    from storage.models import Ticket

    if event.contains(Ticket, "load", _loaded):
        return
    event.listen(Ticket, "load", _loaded)
    event.listen(Ticket, "after_insert", _inserted)


def _loaded(target: Any, _context: Any) -> None:
    about_ticket(target.id, target.number)


def _inserted(_mapper: Any, _connection: Any, target: Any) -> None:
    about_ticket(target.id, target.number)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the ids of
    the update, person and ticket when known, and the traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(context_fields())
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc_info"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


# Libraries that write what they send and receive (names, texts) in their DEBUG lines.
# httpx writes the token in the addresses it calls: never below WARNING.
_CHATTY = ("telegram", "discord", "aiohttp")


def configure(level: str, fmt: str = "text", *, stream: IO[str] | None = None) -> None:
    """The root logger for the command line: readable lines, or JSON ones.

    In JSON (lines meant for a log store, kept and searched) the messengers' libraries
    stay at INFO or above even at ``DEBUG``: their debug lines carry whole updates."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    floor = logging.getLevelName(level)
    # aiosqlite writes every statement with its parameters (names, texts) at DEBUG.
    for noisy in ("httpx", "alembic", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, floor))
    if fmt == "json":
        for chatty in _CHATTY:
            logging.getLogger(chatty).setLevel(max(logging.INFO, floor))
