"""A process-wide count of the writes to the directory's people, for caches of them.

The front ends read the person behind every update (``registration.find_actor``); a cache
of that read is only right while nobody changed a person, an account or a body. Every
connection of this process, whichever ``Database`` it comes from, bumps ``generation()``
when it writes one of those tables: when the statement is sent (so a read under
way is not kept), and again at the commit (so a read made between the two, which saw the
old row, is not kept either). Writes by another process (the ``pne-bot admin`` commands)
are not seen here: a cache of them must expire on its own (decision 0087).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

# The tables of the people, their accounts and the bodies (``storage.models``).
WATCHED = frozenset({"people", "accounts", "bodies"})
_WRITES = ("INSERT", "UPDATE", "DELETE")
_NAMES = re.compile(r"\b(?:" + "|".join(sorted(WATCHED)) + r")\b", re.IGNORECASE)
_CHANGED = "pne.people_changed"

_generation = 0


def generation() -> int:
    """Changes whenever a connection of this process writes a watched table."""
    return _generation


def _bump() -> None:
    global _generation
    _generation += 1


# At the level of the statements sent, so that the ORM's flushes, Core statements and plain
# SQL are all seen, on every engine of the process.
@event.listens_for(Engine, "before_cursor_execute")
def _before(
    connection: Connection,
    _cursor: Any,
    statement: str,
    _parameters: Any,
    _context: Any,
    _many: bool,
) -> None:
    if statement.lstrip()[:6].upper() in _WRITES and _NAMES.search(statement):
        _bump()
        connection.info[_CHANGED] = True


@event.listens_for(Engine, "commit")
def _committed(connection: Connection) -> None:
    if connection.info.pop(_CHANGED, False):
        _bump()


@event.listens_for(Engine, "rollback")
def _rolled_back(connection: Connection) -> None:
    connection.info.pop(_CHANGED, None)
