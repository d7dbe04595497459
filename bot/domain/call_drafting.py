"""What staff type for a new call for interest, read once for every front end: a day and
a time in Paris, the opening and the closing they make, a whole number, a question's
label, a number's bounds and a choice's options (decision 0054).

Telegram reads each as a typed message, Discord as a form's field; both call these, so
the same text is refused with the same words. Pure: instants passed in (aware, UTC).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from bot.domain import calls as rules
from bot.domain.calls import Question, QuestionKind, Window
from bot.domain.dates import PARIS, local_to_utc
from bot.domain.errors import DomainError
from bot.domain.text import units

MAX_LABEL = 200  # a question's label
MAX_CHOICE = 60  # one option of a choice
MOMENT = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2})\s*[:hH]\s*(\d{2})\s*$")
BOUNDS = re.compile(r"^\s*(\d{1,6})\s*(?:-|–|à|a|to|\s)\s*(\d{1,6})\s*$")
_OPTIONS = re.compile(r"[\n;]")


def meaningful(text: str) -> bool:
    """Said in words: at least one letter or digit (« … » is not a title)."""
    return any(c.isalnum() for c in text)


def whole(text: str) -> int | None:
    """« 12 », « 1 200 »: a whole number typed in digits, else None."""
    digits = text.strip().replace(" ", "").replace("\u202f", "").replace("\xa0", "")
    return int(digits) if digits.isdigit() and len(digits) <= 9 else None


def read_whole(text: str) -> int:
    found = whole(text)
    if found is None:
        raise DomainError("ami.staff.error.whole_number")
    return found


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


def opening_now(now: datetime) -> tuple[date, time]:
    """« Dès maintenant »: the present minute, in Paris."""
    local = now.astimezone(PARIS)
    return local.date(), time(local.hour, local.minute)


def check_opening(day: date, at: time, now: datetime) -> None:
    """An opening typed is to come (a minute's grace: « now » typed by hand is already a
    few seconds old)."""
    if local_to_utc(day, at, PARIS) < now.replace(second=0, microsecond=0):
        raise DomainError("ami.staff.error.opens_past", now=now)


def check_closing(opens_on: date, opens_time: time, day: date, at: time, now: datetime) -> Window:
    """A closing to come, after the opening, the window within the domain's bounds."""
    closes_at = local_to_utc(day, at, PARIS)
    if closes_at <= now:
        raise DomainError("ami.staff.error.closes_past")
    if closes_at <= local_to_utc(opens_on, opens_time, PARIS):
        raise DomainError("ami.staff.error.closes_before")
    return rules.window(opens_on, opens_time, day, at)


def read_label(typed: str) -> str:
    label = typed.strip()
    if not meaningful(label) or units(label) > MAX_LABEL:
        raise DomainError("ami.staff.error.label", max=MAX_LABEL)
    return label


def read_bounds(typed: str) -> tuple[int, int]:
    """« 1 30 », « 1-30 », « 1 à 30 »: the smallest and the largest number accepted."""
    match = BOUNDS.match(typed)
    if match is None:
        raise DomainError("ami.staff.error.bounds", max=rules.MAX_NUMBER)
    low, high = int(match[1]), int(match[2])
    if low > high or high > rules.MAX_NUMBER:
        raise DomainError("ami.staff.error.bounds_order", max=rules.MAX_NUMBER)
    return low, high


def read_choices(typed: str) -> list[str]:
    """The options of a choice, one a line or separated by « ; »."""
    options = [o.strip() for o in _OPTIONS.split(typed) if meaningful(o)]
    if any(units(o) > MAX_CHOICE for o in options):
        raise DomainError("ami.staff.error.choice_long", max=MAX_CHOICE)
    if len(set(options)) != len(options):
        raise DomainError("ami.staff.error.choice_twice")
    Question(QuestionKind.CHOICE, "x", tuple(options))
    return options
