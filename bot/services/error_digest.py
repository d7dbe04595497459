"""The errors the bot could not handle, gathered for staff: one digest, not a message each.

A front end's error handler adds each failure (``ErrorDigest.add``); a periodic job takes
what was gathered (``take``) and sends one message to the staff chat. The same failure
(type and first line of its message) is counted, not repeated. Nothing of the person's
text is kept: only the error's type, its message's first line (cut), and how often.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.i18n import I18n, Safe

MAX_KINDS = 10  # distinct failures listed in one digest (the others are counted)
MAX_TEXT = 160  # characters of a failure's message kept


@dataclass
class _Kind:
    count: int
    last_at: datetime


@dataclass
class ErrorDigest:
    """Failures gathered since the last digest, by type and message."""

    kinds: dict[str, _Kind] = field(default_factory=dict)
    since: datetime | None = None

    def add(self, error: BaseException | None, at: datetime) -> None:
        key = describe_error(error)
        if self.since is None:
            self.since = at
        kind = self.kinds.get(key)
        if kind is None:
            self.kinds[key] = _Kind(1, at)
        else:
            kind.count += 1
            kind.last_at = at

    def take(self, i18n: I18n, lang: str | None) -> str | None:
        """The digest of what was gathered (then forgotten); ``None``: nothing since."""
        if not self.kinds or self.since is None:
            return None
        ordered = sorted(self.kinds.items(), key=lambda item: (-item[1].count, item[0]))
        lines = [
            i18n.t(
                lang,
                "errors.digest.line",
                error=key,
                count=kind.count,
                at=i18n.datetime(lang, kind.last_at, short=True),
            )
            for key, kind in ordered[:MAX_KINDS]
        ]
        others = sum(kind.count for _, kind in ordered[MAX_KINDS:])
        if others:
            lines.append(i18n.t(lang, "errors.digest.others", count=others))
        total = sum(kind.count for kind in self.kinds.values())
        text = i18n.t(
            lang,
            "errors.digest",
            count=total,
            since=i18n.datetime(lang, self.since, short=True),
            lines=Safe("\n".join(lines)),
        )
        self.kinds.clear()
        self.since = None
        return text


DIGEST_KEY = "errors.digest"


def digest_of(extra: dict[str, Any]) -> ErrorDigest:
    """The process's digest, kept in the services' ``extra``: every front end adds to it,
    one job sends it."""
    digest = extra.get(DIGEST_KEY)
    if not isinstance(digest, ErrorDigest):
        digest = extra[DIGEST_KEY] = ErrorDigest()
    return digest


def describe_error(error: BaseException | None) -> str:
    """« BadRequest: Message is too long »: the type and the first line of the message."""
    if error is None:
        return "?"
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
