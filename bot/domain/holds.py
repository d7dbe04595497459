"""The security condition of article 6: replacements held until a school is made safer.

« En cas de constat d'une fréquence importante de vols et dommages sur une école,
Saint-Étienne Métropole pourra conditionner le remplacement des équipements à une
amélioration par la Commune de la sécurisation des locaux. »

Pure: no I/O, time is passed in. A hold is placed by staff on a school whose frequency of
thefts and damage raised the flag (``bot.domain.claims.is_high_frequency``); while it is
open no replacement is recorded for a claim of that school; the school's body is asked to
improve security and reminded every ``HOLD_REMINDER_EVERY``; staff lift it with a note.

Readings kept here (decision 0021): a hold needs the flag (the convention conditions on
« une fréquence importante »); it holds every replacement of the school, ordered or
installed; the body is reminded every 30 days while it is open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.dates import to_utc
from bot.domain.errors import DomainError
from bot.domain.text import units

# ------------------------------------------------------------------ readings (one place)
HOLD_REMINDER_EVERY = timedelta(days=30)
MAX_HOLD_TEXT = 1000  # the reason, and the note when lifting
# -------------------------------------------------------------------------------------

KIND_HOLD_REMINDER = "hold.reminder"  # reminder kind, also its catalog key


@dataclass(frozen=True, slots=True)
class HoldFacts:
    """A hold as the rules see it."""

    school_id: int
    reason: str
    placed_at: datetime  # aware UTC
    lifted_at: datetime | None = None
    lift_note: str | None = None

    @property
    def is_open(self) -> bool:
        return self.lifted_at is None


def hold_text(typed: str | None, *, code: str) -> str:
    """A reason or a lifting note: something said, at most ``MAX_HOLD_TEXT`` characters."""
    text = (typed or "").strip()
    if not text:
        raise DomainError(code)
    if units(text) > MAX_HOLD_TEXT:
        raise DomainError("hold.error.too_long", max=MAX_HOLD_TEXT)
    return text


def check_can_place(*, flagged: bool, open_hold: HoldFacts | None) -> None:
    """A hold may be placed on a flagged school that has none open."""
    if open_hold is not None and open_hold.is_open:
        raise DomainError("hold.error.already_open", since=open_hold.placed_at)
    if not flagged:
        raise DomainError("hold.error.not_flagged")


def place_hold(
    school_id: int,
    reason: str,
    now: datetime,
    *,
    flagged: bool,
    open_hold: HoldFacts | None,
) -> HoldFacts:
    check_can_place(flagged=flagged, open_hold=open_hold)
    return HoldFacts(
        school_id=school_id,
        reason=hold_text(reason, code="hold.error.reason_required"),
        placed_at=to_utc(now, "now"),
    )


def lift_hold(hold: HoldFacts, note: str, now: datetime) -> HoldFacts:
    """Staff lift the hold (the body improved security, or SEM decides so), with a note."""
    if not hold.is_open:
        raise DomainError("hold.error.not_open")
    at = to_utc(now, "now")
    return HoldFacts(
        school_id=hold.school_id,
        reason=hold.reason,
        placed_at=hold.placed_at,
        lifted_at=at,
        lift_note=hold_text(note, code="hold.error.note_required"),
    )


def check_replacement_allowed(hold: HoldFacts | None, *, school: str) -> None:
    """No replacement is recorded for a claim of a school whose hold is open."""
    if hold is not None and hold.is_open:
        raise DomainError(
            "hold.error.replacement_held", school=school, since=hold.placed_at, reason=hold.reason
        )


def next_reminder_at(sent_at: datetime) -> datetime:
    """The next reminder to the body: ``HOLD_REMINDER_EVERY`` after the last one went (or
    after the hold was placed), so a catch-up after an outage does not send several."""
    return to_utc(sent_at, "sent_at") + HOLD_REMINDER_EVERY
