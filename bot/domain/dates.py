"""Calendar rules and the reading of a discovery date typed by a person.

Pure: ``now`` is always passed in (aware); nothing here reads the clock.

Readings kept here, one place each:

* ``anniversary``: a period in years ends on the same day of the month; from a
  29 February it ends on 28 February in a common year (Code de procédure civile,
  art. 641: "à défaut d'un quantième identique, le délai expire le dernier jour du
  mois"). Used for the one-year payment deadline and the six-year replacement limit.
* ``local_to_utc``: a wall-clock time that does not exist (spring DST gap) or exists
  twice (autumn overlap) is read as the EARLIEST instant it may mean: the
  conservative choice, since a discovery time starts the 48 h duties (decision 0006).
* ``parse_discovery``: a day without an hour means 00:00 local that day (decision 0006).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.errors import DomainError

PARIS = ZoneInfo("Europe/Paris")

# How far back a discovery may be typed (in calendar years, compared by local date).
DISCOVERY_MAX_AGE_YEARS = 1
# A time typed a few minutes "in the future" (clocks drift) is taken as ``now``.
DISCOVERY_FUTURE_TOLERANCE = timedelta(minutes=5)
# A day typed without an hour is read as this local time (decision 0006).
DAY_WITHOUT_HOUR = time(0, 0)

ERR_UNREADABLE = "date.error.unreadable"
ERR_FUTURE = "date.error.future"
ERR_TOO_OLD = "date.error.too_old"
ERR_NO_SUCH_DAY = "date.error.no_such_day"  # param: day (« 31/02 »)


# --------------------------------------------------------------------------- helpers


def require_aware(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` if it is aware; a naive datetime is a programming error."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")
    return value


def to_utc(value: datetime, name: str = "datetime") -> datetime:
    """An aware datetime converted to UTC (a naive one is refused)."""
    return require_aware(value, name).astimezone(UTC)


def anniversary(start: date, years: int) -> date:
    """The same day ``years`` later (or earlier); 29 February → 28 February if needed."""
    year = start.year + years
    try:
        return start.replace(year=year)
    except ValueError:  # 29 February in a common year: last day of the month
        return date(year, 2, 28)


def local_date(instant: datetime, tz: ZoneInfo = PARIS) -> date:
    """The calendar day of ``instant`` in ``tz``."""
    return require_aware(instant).astimezone(tz).date()


def local_to_utc(day: date, at: time, tz: ZoneInfo = PARIS) -> datetime:
    """The UTC instant of a wall-clock ``day`` ``at`` in ``tz``.

    A time in the DST gap (it never showed on a clock) or in the DST overlap (it showed
    twice) has two candidate instants: the earliest is kept.
    """
    candidates = [
        datetime(
            day.year, day.month, day.day, at.hour, at.minute, at.second, tzinfo=tz, fold=fold
        ).astimezone(UTC)
        for fold in (0, 1)
    ]
    return min(candidates)


def start_of_local_day(day: date, tz: ZoneInfo = PARIS) -> datetime:
    """00:00 of ``day`` in ``tz``, as a UTC instant."""
    return local_to_utc(day, time(0, 0), tz)


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True, slots=True)
class ParsedDiscovery:
    """What ``parse_discovery_detail`` understood.

    ``at`` is aware UTC; ``time_given`` is False when the person gave a day only, so the
    front end can show the hour that was assumed (00:00) and let them correct it.
    """

    at: datetime
    time_given: bool


_RELATIVE_DAYS: dict[str, int] = {
    "aujourd'hui": 0,
    "aujourdhui": 0,
    "aujourd hui": 0,
    "auj": 0,
    "ce jour": 0,
    "today": 0,
    "hier": 1,
    "yesterday": 1,
    "avant-hier": 2,
    "avant hier": 2,
    "avanthier": 2,
    "day before yesterday": 2,
    "the day before yesterday": 2,
}
_NOW_WORDS = frozenset({"maintenant", "a l'instant", "now", "just now", "right now"})

_MONTHS: dict[str, int] = {
    # French (accents are removed before matching)
    "janvier": 1, "janv": 1, "jan": 1,
    "fevrier": 2, "fevr": 2, "fev": 2,
    "mars": 3,
    "avril": 4, "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7, "juil": 7,
    "aout": 8,
    "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
    # English
    "january": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip

_TIME_RE = re.compile(
    r"""
    (?:^|[\s,])                                   # start, or a separator before the time
    (?:(?:a|at|vers|around|le|on)\s+)?            # optional connector: "à 8h", "at 8am"
    (?:
        (?P<h1>\d{1,2})\s*h(?:eures?)?\s*(?P<m1>\d{2})?       # 8h, 8h15, 8 h 30, 8 heures
      | (?P<h2>\d{1,2}):(?P<m2>\d{2})\s*(?P<ap2>am|pm|a\.m\.|p\.m\.)?   # 08:30, 8:30 pm
      | (?P<h3>\d{1,2})\s*(?P<ap3>am|pm|a\.m\.|p\.m\.)        # 8am, 5 pm
      | (?P<word>midi|minuit|noon|midnight)
    )
    $""",
    re.VERBOSE,
)
_NUMERIC_DATE_RE = re.compile(
    r"(?P<d>\d{1,2})\s*(?P<sep>[/.\-])\s*(?P<m>\d{1,2})(?:\s*(?P=sep)\s*(?P<y>\d{4}|\d{2}))?"
)
_ISO_DATE_RE = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
_NAMED_DATE_RE = re.compile(
    r"(?P<d>\d{1,2})(?:er|st|nd|rd|th)?\s+(?P<mon>[a-z]+)\.?(?:\s+(?P<y>\d{4}))?"
)
_DAY_PREFIX_RE = re.compile(r"^(?:le|on|du|the)\s+")


def _normalise(text: str) -> str:
    """Lower case, no accents, one kind of apostrophe and of space, no end punctuation."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower()
    for apostrophe in ("\u2019", "\u2018", "\u02bc", "\u2032", "`", "\u00b4"):
        text = text.replace(apostrophe, "'")
    text = re.sub(r"\s+", " ", text).strip()
    return text.strip(" .,;!")


def _parse_time(match: re.Match[str]) -> time:
    word = match.group("word")
    if word is not None:
        return time(12, 0) if word in ("midi", "noon") else time(0, 0)
    if match.group("h1") is not None:
        hour, minute, ampm = int(match.group("h1")), int(match.group("m1") or 0), None
    elif match.group("h2") is not None:
        hour, minute, ampm = int(match.group("h2")), int(match.group("m2")), match.group("ap2")
    else:
        hour, minute, ampm = int(match.group("h3")), 0, match.group("ap3")
    if ampm is not None:
        if not 1 <= hour <= 12:
            raise DomainError(ERR_UNREADABLE)
        pm = ampm.startswith("p")
        hour = hour % 12 + (12 if pm else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DomainError(ERR_UNREADABLE)
    return time(hour, minute)


# Dates typed by people are of the plan's time; far years are typos (and year 1 or 9999
# would overflow when converted between time zones).
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def _no_such_day(day: int, month: int, year: int | None = None) -> DomainError:
    """« Le 31/02 n'existe pas »: the day as typed, so that the person sees the slip."""
    typed = f"{day:02d}/{month:02d}" + (f"/{year}" if year is not None else "")
    return DomainError(ERR_NO_SUCH_DAY, day=typed)


def _make_date(year: int, month: int, day: int) -> date:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise DomainError(ERR_UNREADABLE)
    try:
        return date(year, month, day)
    except ValueError:  # 31/02, 13th month, ...
        raise _no_such_day(day, month, year) from None


def _day_without_year(month: int, day: int, today: date) -> date:
    """This year's ``day``/``month``, or last year's if this year's is still to come."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise _no_such_day(day, month)
    for year in (today.year, today.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29/02 in a common year: try the year before
            continue
        if candidate <= today:
            return candidate
    raise _no_such_day(day, month)


def _parse_day(text: str, today: date) -> date:
    text = _DAY_PREFIX_RE.sub("", text).strip(" ,")
    if text in _RELATIVE_DAYS:
        return today - timedelta(days=_RELATIVE_DAYS[text])
    if m := _ISO_DATE_RE.fullmatch(text):
        return _make_date(int(m["y"]), int(m["m"]), int(m["d"]))
    if m := _NUMERIC_DATE_RE.fullmatch(text):
        day, month, year = int(m["d"]), int(m["m"]), m["y"]
        if year is None:
            return _day_without_year(month, day, today)
        full_year = int(year) + 2000 if len(year) == 2 else int(year)
        return _make_date(full_year, month, day)
    if m := _NAMED_DATE_RE.fullmatch(text):
        month_number = _MONTHS.get(m["mon"])
        if month_number is None:
            raise DomainError(ERR_UNREADABLE)
        if m["y"] is None:
            return _day_without_year(month_number, int(m["d"]), today)
        return _make_date(int(m["y"]), month_number, int(m["d"]))
    raise DomainError(ERR_UNREADABLE)


def parse_discovery_detail(text: str, now: datetime, tz: ZoneInfo = PARIS) -> ParsedDiscovery:
    """Read when a theft, loss or damage was discovered; see ``parse_discovery``."""
    now_utc = to_utc(now, "now")
    today = now_utc.astimezone(tz).date()
    cleaned = _normalise(text)
    if not cleaned:
        raise DomainError(ERR_UNREADABLE)
    if cleaned in _NOW_WORDS:
        return ParsedDiscovery(at=now_utc.replace(second=0, microsecond=0), time_given=True)

    at_time: time | None = None
    day_text = cleaned
    if m := _TIME_RE.search(cleaned):
        at_time = _parse_time(m)
        day_text = cleaned[: m.start()].strip(" ,")
    if day_text:
        day = _parse_day(day_text, today)
    elif at_time is not None:  # « 8h » alone: today
        day = today
    else:
        raise DomainError(ERR_UNREADABLE)

    at = local_to_utc(day, at_time if at_time is not None else DAY_WITHOUT_HOUR, tz)
    if at > now_utc:
        if at - now_utc > DISCOVERY_FUTURE_TOLERANCE:
            raise DomainError(ERR_FUTURE)
        at = now_utc
    if day < anniversary(today, -DISCOVERY_MAX_AGE_YEARS):
        raise DomainError(ERR_TOO_OLD)
    return ParsedDiscovery(at=at, time_given=at_time is not None)


def parse_discovery(text: str, now: datetime, tz: ZoneInfo = PARIS) -> datetime:
    """The discovery instant typed by a person, as an aware UTC datetime.

    Understood (French and English, case and accents free, ’ or '):
    « aujourd'hui 8h », « aujourd’hui à 8h15 », « hier », « hier 17h30 », « avant-hier »,
    « 12/03 » (this year, or last year if 12 March is still to come), « 12/03/2026 8h30 »,
    « 12/03/26 », « 12-03-2026 », « 12.03.2026 08:30 », « 2026-03-12 », « 12 mars 2026 »,
    « 8h » (today), « midi », « today 8am », « yesterday 17:30 », « 5 pm »,
    « maintenant » / « now ».

    A day without an hour is 00:00 local (decision 0006). Refusals, as ``DomainError``:
    ``date.error.unreadable`` (garbage, 25h), ``date.error.no_such_day`` (31/02, 12/13),
    ``date.error.future`` (after ``now``
    by more than a few minutes), ``date.error.too_old`` (a day more than one year back).
    """
    return parse_discovery_detail(text, now, tz).at


def parse_calendar_day(text: str, today: date, *, future: bool = False) -> date:
    """A day typed by a person: « 15/06/2027 », « 15/06 », « 2027-06-15 », « 15 juin »,
    « aujourd'hui », « hier ».

    Without a year, the nearest such day: the past one (a payment made), or with
    ``future`` the coming one (a planned payment date). Raises ``date.error.unreadable``.
    """
    cleaned = _DAY_PREFIX_RE.sub("", _normalise(text)).strip(" ,")
    if not cleaned:
        raise DomainError(ERR_UNREADABLE)
    if future and (m := _NUMERIC_DATE_RE.fullmatch(cleaned)) and m["y"] is None:
        month, day = int(m["m"]), int(m["d"])
        for year in (today.year, today.year + 1):
            try:
                candidate = date(year, month, day)
            except ValueError:
                continue
            if candidate >= today:
                return candidate
        raise _no_such_day(day, month)
    if future and (m := _NAMED_DATE_RE.fullmatch(cleaned)) and m["y"] is None:
        month_number = _MONTHS.get(m["mon"])
        if month_number is None:
            raise DomainError(ERR_UNREADABLE)
        for year in (today.year, today.year + 1):
            candidate = _make_date(year, month_number, int(m["d"]))
            if candidate >= today:
                return candidate
    return _parse_day(cleaned, today)
