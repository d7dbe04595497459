"""Log lines as JSON objects (``PNE_LOG_FORMAT=json``), with what is known of the update.

The front ends set ``update_id`` and ``person_id`` where an update enters; the sweep sets
``ticket_id`` for the row it handles. A line carries ids only: never a name, never what
someone wrote (the messages themselves follow that rule, decision 0065).
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

update_id: ContextVar[int | None] = ContextVar("update_id", default=None)
person_id: ContextVar[int | None] = ContextVar("person_id", default=None)
ticket_id: ContextVar[int | None] = ContextVar("ticket_id", default=None)

_CONTEXT = (("update_id", update_id), ("person_id", person_id), ("ticket_id", ticket_id))


def entering_update(update: int | None) -> None:
    """A new update starts being handled: its id is known, its person not yet."""
    update_id.set(update)
    person_id.set(None)
    ticket_id.set(None)


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
        for name, var in _CONTEXT:
            value = var.get()
            if value is not None:
                line[name] = value
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
    for noisy in ("httpx", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, floor))
    if fmt == "json":
        for chatty in _CHATTY:
            logging.getLogger(chatty).setLevel(max(logging.INFO, floor))
