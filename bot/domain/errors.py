"""Errors of the domain layer: a message-catalog key plus the values it needs.

No user-facing text lives here: the front ends render ``code`` through the catalog
(fr by default, en on request) with ``params``.
"""

from __future__ import annotations

from typing import Any


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
