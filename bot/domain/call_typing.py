"""What staff type for a call for interest, read the same way by every front end: a
moment (« 15/04/2026 08:30 », Paris wall clock) and a whole number (« 12 »)."""

from __future__ import annotations

import re
from datetime import date, time

from bot.domain.errors import DomainError

MOMENT = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2})\s*[:hH]\s*(\d{2})\s*$")


def read_moment(typed: str) -> tuple[date, time]:
    """« 15/04/2026 08:30 » (or « 8h30 »): a Paris wall-clock day and time."""
    match = MOMENT.match(typed)
    if match is None:
        raise DomainError("ami.staff.error.moment")
    day_, month, year, hour, minute = (int(g) for g in match.groups())
    try:
        return date(year, month, day_), time(hour, minute)
    except ValueError:
        raise DomainError("ami.staff.error.no_such_moment", typed=typed.strip()) from None


def whole(text: str) -> int | None:
    """A whole number typed in digits (spaces between thousands allowed), else None."""
    digits = text.strip().replace(" ", "").replace("\u202f", "").replace("\xa0", "")
    return int(digits) if digits.isdigit() and len(digits) <= 9 else None
