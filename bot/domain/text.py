"""How long a text is, the way the messengers count it.

Telegram counts a message's length in UTF-16 code units (an emoji outside the Basic
Multilingual Plane, « 😀 », is two), Discord in characters; a UTF-16 count is never
smaller than the character count, so every limit the bot checks on a person's text is
counted in UTF-16 units (``units``) and holds on both platforms. Python's ``len`` counts
code points and would let 2,040 emoji through a 4,096 limit that Telegram then refuses.
"""

from __future__ import annotations


def units(text: str) -> int:
    """The length of ``text`` in UTF-16 code units (Telegram's count)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def within(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` units (never half an emoji)."""
    total = 0
    for index, char in enumerate(text):
        total += 2 if ord(char) > 0xFFFF else 1
        if total > limit:
            return index
    return len(text)


def cut(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` within ``limit`` units, shortened with an ellipsis when it is longer."""
    if units(text) <= limit:
        return text
    return text[: within(text, limit - units(ellipsis))].rstrip() + ellipsis
