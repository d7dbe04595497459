"""The ticket kinds: what the core needs to know of each, declared once per kind.

Claims, collections, notices and calls for interest share one ticket core (number,
reporter, school, thread, attachments, audit, assignment, next deadline). What differs —
the prefix of their numbers, their card, the actions offered to staff and to the body's
agents, their reminders, how they are searched and reopened — each kind declares in a
:class:`TicketKind`; the queue, ``/dossier``, the search, the relay and the exports of
every front end go through the :class:`Kinds` registry rather than naming a kind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select

from bot.config import Settings
from bot.domain.errors import DomainError
from bot.i18n import I18n
from bot.services.delivery import Actions
from bot.services.reminders import Renderers
from storage.uow import Database


class TicketView(Protocol):
    """What the core reads of any kind's view (plain data returned by the kind's service)."""

    @property
    def id(self) -> int: ...

    @property
    def number(self) -> str: ...


# (db, person id, ticket id, now) → the kind's view, if the person may see it; else the
# kind raises DomainError("…not_found") (a ticket out of scope is reported as not found).
ViewLoader = Callable[[Database, int, int, datetime], Awaitable[Any]]
# (i18n, language, view) → text in the catalogs' markup, or rows of actions.
CardRenderer = Callable[[I18n, str, Any], str]
ActionsRenderer = Callable[[I18n, str, Any], Actions]
# (db, person id, ticket id, now) → the view after reopening (staff only, checked inside).
Reopener = Callable[[Database, int, int, datetime], Awaitable[Any]]
# A LIKE pattern (escaped with bot.domain.search.LIKE_ESCAPE) → a SELECT of the ids of
# tickets of this kind matching it by the kind's own fields (asset tags of a claim's
# items, …), for the staff's search.
SearchIds = Callable[[str], Select[Any]]


@dataclass(frozen=True)
class TicketKind:
    name: str  # Ticket.kind: "claim"
    prefix: str  # numbers: "S" → S-2026-0042
    namespace: str  # of its action ids: "clm" → clm:pay:42
    view: ViewLoader
    card: CardRenderer  # the whole card, with its timeline
    staff_actions: ActionsRenderer
    body_actions: ActionsRenderer  # for the agents of the school's body
    is_closed: Callable[[Any], bool]
    reopen: Reopener
    renderers: Callable[[I18n, Settings], Renderers]  # its reminders
    search_ids: SearchIds | None = None
    # What a person is told of a number of this kind that does not exist or is not
    # theirs: the same words for both, so that numbers of others cannot be probed.
    not_found: str = "ticket.error.not_found"

    def state_key(self, state: str) -> str:
        """The catalog key naming one of this kind's states."""
        return f"{self.name}.state.{state}"


class Kinds:
    """The registry of ticket kinds, by name and by number prefix."""

    def __init__(self, *kinds: TicketKind) -> None:
        self._by_name: dict[str, TicketKind] = {}
        self._by_prefix: dict[str, TicketKind] = {}
        for kind in kinds:
            self.register(kind)

    def register(self, kind: TicketKind) -> TicketKind:
        if kind.name in self._by_name:
            raise ValueError(f"ticket kind {kind.name!r} is already registered")
        if kind.prefix in self._by_prefix:
            raise ValueError(f"number prefix {kind.prefix!r} is already taken")
        self._by_name[kind.name] = kind
        self._by_prefix[kind.prefix] = kind
        return kind

    def get(self, name: str) -> TicketKind:
        """The kind of that name; an unknown kind is a ticket nobody can open."""
        kind = self._by_name.get(name)
        if kind is None:
            raise DomainError("ticket.error.not_found")
        return kind

    def by_prefix(self, prefix: str) -> TicketKind | None:
        return self._by_prefix.get(prefix)

    def not_found(self, number: str) -> DomainError:
        """The refusal for a typed number that leads nowhere (absent, or out of scope)."""
        kind = self.by_prefix(number.strip().split("-", 1)[0].upper())
        return DomainError(kind.not_found if kind is not None else "ticket.error.not_found")

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[TicketKind]:
        return iter(self._by_name.values())

    def names(self) -> list[str]:
        return list(self._by_name)

    def renderers(self, i18n: I18n, settings: Settings) -> Renderers:
        """Every kind's reminder renderers in one registry (a kind's twice is an error)."""
        merged = Renderers()
        for kind in self:
            merged.merge(kind.renderers(i18n, settings))
        return merged
