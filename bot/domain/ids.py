"""Ids a person's device sends back (a button's callback data, a Discord custom id, an
option) are never trusted: a number beyond what the database's integer ids hold (a forged
``clm:pledge:9999999999``) is refused as a stale button, not carried to PostgreSQL, where
it would overflow its 32-bit ``integer``; a NUL character, which PostgreSQL's text cannot
hold, is refused as bad input."""

from __future__ import annotations

MAX_ID = 2**31 - 1  # PostgreSQL's integer, the type of every id


def parse_id(text: str) -> int | None:
    """A database id written in ``text`` (digits only, 1 … MAX_ID), else ``None``."""
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def forged_number(action: str) -> bool:
    """Whether a part of ``action`` (``ns:verb:42``) is a number no id can be."""
    for part in action.split(":"):
        if part.isascii() and part.isdigit() and (len(part) > 10 or int(part) > MAX_ID):
            return True
    return False


def has_nul(*texts: str | None) -> bool:
    """Whether any of ``texts`` holds a NUL character."""
    return any(text is not None and "\x00" in text for text in texts)
