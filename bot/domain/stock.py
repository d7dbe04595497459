"""SEM's stock of reusable equipment and its reassignment to schools that need it
(convention art. 1: « réattribuer le matériel non utilisé »; DOMAIN.md section 2).

Pure: no I/O, the day injected. The readings are the block below (decision 0032).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.domain.errors import DomainError

# =========================================================================== readings
# A school « asked » for equipment when (1) it has an open claim (theft or loss) whose item
# of the same type was neither replaced nor found again, or (2) someone wrote in the
# public thread of one of its collection or claim tickets, within ``NEED_WINDOW``, a
# sentence with one of ``NEED_WORDS``. Calls for interest (a later issue) add their
# applicants. Those words are matched case-insensitively as substrings (ASCII only, so
# that SQLite and PostgreSQL match alike).
NEED_CLAIM_KINDS: frozenset[str] = frozenset({"theft", "loss"})
NEED_TICKET_KINDS: frozenset[str] = frozenset({"claim", "collection"})
NEED_WORDS: tuple[str, ...] = (
    "besoin",
    "manque",
    "il nous faut",
    "il nous faudrait",
    "nous faudrait",
    "need",
)
NEED_WINDOW = timedelta(days=365)
# The stock's pages, and how many schools are offered as buttons for one item.
PAGE_SIZE = 8
MAX_CANDIDATES = 8
# ====================================================================================


class ReassignmentState(StrEnum):
    SENT = "sent"  # on its way: the receiving school's head has not confirmed yet
    RECEIVED = "received"
    CANCELLED = "cancelled"  # before reception: back in SEM's stock


class Asked(StrEnum):
    """Why a school is shown first for an item."""

    CLAIM = "claim"  # an item of this type stolen or lost, not replaced
    MESSAGE = "message"  # a need written in one of its tickets' threads


def age_years(acquired_on: date | None, today: date) -> int | None:
    """Full years since acquisition (bought 15/09/2023, on 14/09/2026 → 2); None when the
    acquisition date is unknown, 0 for a date in the future (a typing error)."""
    if acquired_on is None:
        return None
    years = today.year - acquired_on.year
    if (today.month, today.day) < (acquired_on.month, acquired_on.day):
        years -= 1
    return max(years, 0)


def mentions_need(text: str | None) -> bool:
    """Does a message of a ticket's thread say the school needs something?"""
    folded = (text or "").casefold()
    return any(word in folded for word in NEED_WORDS)


@dataclass(frozen=True, slots=True)
class CandidateFacts:
    school_id: int
    name: str
    asked: frozenset[Asked] = frozenset()


def rank_candidates(
    schools: Iterable[CandidateFacts], *, exclude: int | None = None
) -> list[CandidateFacts]:
    """The schools to offer: those that asked first (a claim before a message: a stolen
    item is a known gap), then by name; ``exclude`` is the school the item came from."""

    def key(school: CandidateFacts) -> tuple[int, str, int]:
        rank = 0 if Asked.CLAIM in school.asked else 1 if school.asked else 2
        return (rank, school.name.casefold(), school.school_id)

    return sorted((s for s in schools if s.school_id != exclude), key=key)


def check_reassignable(tag: str, state: str, *, from_school_id: int, to_school_id: int) -> None:
    """Only an item of the stock is reassigned (a recycled, stolen or lost one never is),
    and to another school than the one it came from."""
    if state != "in_stock":
        raise DomainError("stock.error.not_in_stock", tag=tag, state=state)
    if from_school_id == to_school_id:
        raise DomainError("stock.error.same_school")


def check_open(state: str) -> ReassignmentState:
    """A reassignment may be received or cancelled while it is on its way."""
    current = ReassignmentState(state)
    if current is ReassignmentState.CANCELLED:
        raise DomainError("stock.error.cancelled")
    return current


def parse_reassign_args(args: Sequence[str]) -> tuple[str, str]:
    """``/reattribuer <tag> <UAI>``: the two words, else the usage."""
    if len(args) != 2 or not all(a.strip() for a in args):
        raise DomainError("stock.error.usage")
    return args[0].strip(), args[1].strip()
