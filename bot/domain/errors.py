"""Errors of the domain layer: a message-catalog key plus the values it needs.

No user-facing text lives here: the front ends render ``code`` through the catalog
(fr by default, en on request) with ``params``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Term:
    """A value that is itself words of the catalogs (« numéro d'inventaire »): the front
    end shows the message ``key`` in the reader's language, never the key. ``params``
    fill that message."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Terms:
    """Several terms shown as one list, « numéro d'inventaire, modèle »."""

    items: tuple[Term, ...]


class DomainError(Exception):
    """A rule of the convention (or of the bot) refused an action.

    ``code`` is a catalog key such as ``"claim.error.payment_before_pledge"``;
    ``params`` are the values the message may show (amounts, dates, ...).
    """

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params: dict[str, Any] = params

    def __str__(self) -> str:
        if not self.params:
            return self.code
        shown = ", ".join(f"{k}={v!r}" for k, v in sorted(self.params.items()))
        return f"{self.code} ({shown})"

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, **{self.params!r})"
