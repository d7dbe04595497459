"""Invitation codes: random, single-use, stored hashed, expiring; guessing is slowed down."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from bot.domain.errors import DomainError

# No 0/O, 1/I/L: a code read aloud or copied by hand stays unambiguous.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12  # 31**12 ≈ 2**59 codes
MAX_VALIDITY = timedelta(days=90)

# Wrong codes allowed before the account must wait, and how the wait grows.
FREE_FAILURES = 3
FIRST_LOCKOUT = timedelta(minutes=1)
MAX_LOCKOUT = timedelta(hours=1)
FAILURES_FORGOTTEN_AFTER = timedelta(hours=24)
# Across every account: many new accounts each trying a few codes are a guessing attack
# too. Past GLOBAL_LIMIT wrong codes in a GLOBAL_WINDOW, no code is checked for
# GLOBAL_PAUSE (staff are told); a school's whole staff registering at once stays far
# below it (decision 0069).
GLOBAL_WINDOW = timedelta(minutes=1)
GLOBAL_LIMIT = 30
GLOBAL_PAUSE = timedelta(minutes=5)
KIND_CODE_BURST = "security.code_burst"


def generate_code() -> str:
    """A new code, shown as three groups of four (``K7QX-M2PD-9HTR``): always with a
    digit and a letter, so that a word of twelve letters is never taken for one."""
    while True:
        raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if looks_like_code(raw):
            return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def looks_like_code(normalized: str) -> bool:
    """Whether a normalized text could be one of our codes (a digit and a letter): a
    plain word (« BATEAUXVERTS ») typed by someone is not a wrong code."""
    return any(c.isdigit() for c in normalized) and any(c.isalpha() for c in normalized)


def burst_after(failures_in_window: int) -> bool:
    """Whether this many wrong codes in one window, all accounts together, are a burst."""
    return failures_in_window > GLOBAL_LIMIT


def normalize_code(text: str) -> str:
    """What the person typed, without case, spaces or dashes; '' when it cannot be a code."""
    cleaned = re.sub(r"[\s\-_]", "", text).upper()
    if len(cleaned) != CODE_LENGTH or any(c not in ALPHABET for c in cleaned):
        return ""
    return cleaned


def hash_code(code: str) -> str:
    """The stored form. The code carries ~59 random bits, so a plain SHA-256 is enough."""
    return hashlib.sha256(normalize_code(code).encode("ascii")).hexdigest()


_DURATION = re.compile(
    r"^\s*(\d{1,4})\s*(h|heures?|hours?|d|days?|j|jours?|w|weeks?|sem|semaines?)?\s*$",
    re.IGNORECASE,
)
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "j": timedelta(days=1)}
_UNITS.update({"w": timedelta(weeks=1), "s": timedelta(weeks=1)})


def parse_validity(text: str) -> timedelta:
    """``14d``, ``14j``, ``2w``, ``48h``, « 14 jours », « 2 semaines » or a bare number of
    days; at most ``MAX_VALIDITY`` (``invitation.error.validity_too_long`` beyond)."""
    match = _DURATION.match(text)
    if not match:
        raise DomainError("invitation.error.validity", value=text)
    count = int(match.group(1))
    delta = count * _UNITS[(match.group(2) or "d")[0].lower()]
    if delta <= timedelta(0):
        raise DomainError("invitation.error.validity", value=text)
    if delta > MAX_VALIDITY:
        raise DomainError("invitation.error.validity_too_long", max=MAX_VALIDITY.days)
    return delta


def check_usable(
    *, expires_at: datetime, used_at: datetime | None, revoked_at: datetime | None, now: datetime
) -> None:
    if revoked_at is not None:
        raise DomainError("registration.error.revoked")
    if used_at is not None:
        raise DomainError("registration.error.used")
    if now >= expires_at:
        raise DomainError("registration.error.expired")


def lockout_after(failures: int) -> timedelta | None:
    """How long an account waits after its ``failures``-th wrong code in a row."""
    if failures <= FREE_FAILURES:
        return None
    return min(FIRST_LOCKOUT * 2 ** (failures - FREE_FAILURES - 1), MAX_LOCKOUT)


def deep_link(bot_username: str, code: str) -> str:
    """Telegram's link that opens the bot with the code (``/start CODE``)."""
    return f"https://t.me/{bot_username}?start={code}"
