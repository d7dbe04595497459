"""Who may read what was written on a ticket: one rule for the thread (``/fil``) and for
the timeline of a card, so that neither shows a message, nor that it was written, to
someone who may not read it."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.roles import Role


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    SYSTEM = "system"


# The timeline's entries that are someone's words (the rest are changes of the ticket,
# which everyone who follows it may see): staff's reply to the reporter, and a message of
# the reporter or the body to the team.
WORDS = frozenset({"relay.reply", "relay.message"})


def shown_to(
    *,
    viewer_id: int,
    viewer_role: Role | str,
    reporter_id: int | None,
    author_id: int | None,
    author_role: Role | str | None,
    visibility: Visibility,
) -> bool:
    """Staff see everything. Anyone else: the system's entries, their own words, and (the
    reporter only) the staff's replies, which are written to the reporter alone; never an
    internal note, never the words of the other side (the body's for the reporter, the
    reporter's for the body), never words whose author is gone."""
    if Role(viewer_role) is Role.STAFF:
        return True
    if visibility is Visibility.SYSTEM:
        return True
    if visibility is Visibility.INTERNAL or author_id is None:
        return False
    if author_id == viewer_id:
        return True
    return (
        author_role is not None and Role(author_role) is Role.STAFF and (reporter_id == viewer_id)
    )
