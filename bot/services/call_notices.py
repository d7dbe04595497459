"""What is told to whom as a call for interest moves on, for every front end: neutral
:class:`Outgoing` messages, and the paced delivery of a publication to many people.

A publication may reach thousands of heads. It is never sent inside the request: the
front end hands the messages to :func:`deliver` in a background task (as /annonce does,
bot.services.announcements), which goes through the front end's sender and its rate
limiter and waits out flood waits. The reminder sweep is its own job with its own sends,
so a claim's deadline reminder is never queued behind a publication (decision 0039).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.cards.calls import CallCard
from bot.i18n import I18n
from bot.services.calls import ApplicationView, Applied, Publication, Results, Told
from bot.services.delivery import Outgoing

log = logging.getLogger(__name__)


def publication(i18n: I18n, published: Publication) -> list[Outgoing]:
    """Every eligible school's heads and following teachers: the call, with « Candidater »."""
    messages = []
    for target in published.recipients:
        card = CallCard(i18n, target.language)
        messages.append(
            Outgoing(
                target.chat_id,
                card.publication(published.campaign),
                card.apply_actions(published.campaign),
                None,
                target.platform,
            )
        )
    return messages


def _each(
    i18n: I18n,
    told: Told | Results,
    text: Callable[[CallCard, ApplicationView], str],
) -> list[Outgoing]:
    messages = []
    for application, people in told.applicants:
        for target in people:
            card = CallCard(i18n, target.language)
            messages.append(
                Outgoing(
                    target.chat_id, text(card, application), (), application.id, target.platform
                )
            )
    return messages


def extension(i18n: I18n, told: Told) -> list[Outgoing]:
    """The applicants hear of the later closing."""
    return _each(i18n, told, lambda card, a: card.extended(a))


def cancellation(i18n: I18n, told: Told) -> list[Outgoing]:
    """The applicants hear the call is cancelled."""
    return _each(i18n, told, lambda card, a: card.cancelled(a))


def results(i18n: I18n, decided: Results) -> list[Outgoing]:
    """Every applicant hears its outcome; a declined one with the reason staff chose."""
    return _each(i18n, decided, lambda card, a: card.result(a))


def applied(i18n: I18n, done: Applied, person_name: str) -> list[Outgoing]:
    """The school's other heads hear who sent its application."""
    if not done.created:
        return []
    return [
        Outgoing(
            head.chat_id,
            CallCard(i18n, head.language).sent_by(done.view, person_name),
            (),
            done.view.id,
            head.platform,
        )
        for head in done.heads
    ]


__all__ = [
    "applied",
    "cancellation",
    "extension",
    "publication",
    "results",
]
