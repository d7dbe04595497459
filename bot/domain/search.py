"""How typed search text is compared: accents and case ignored, no wildcard of its own."""

from __future__ import annotations

import unicodedata

LIKE_ESCAPE = "\\"


def fold(text: str) -> str:
    """``text`` without accents or case: « Saint-Étienne » and « saint-etienne » meet."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def contains_pattern(text: str) -> str:
    """A LIKE pattern for « contains ``text`` », where ``%`` and ``_`` typed by a person are
    plain characters (escaped with :data:`LIKE_ESCAPE`), not wildcards."""
    escaped = (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"
