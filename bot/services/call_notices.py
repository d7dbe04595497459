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
from collections.abc import Awaitable, Callable, Sequence

from bot.cards.calls import CallCard
from bot.i18n import I18n
from bot.services.calls import ApplicationView, Applied, Publication, Results, Told
from bot.services.delivery import Outgoing, Refused, Sender, Throttled, Unreachable, describe

log = logging.getLogger(__name__)

SEND_RETRIES = 3  # after the messenger asks to slow down, per message


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


async def deliver(
    send: Sender,
    messages: Sequence[Outgoing],
    *,
    sleep: Callable[[float], Awaitable[None]],
    retries: int = SEND_RETRIES,
) -> tuple[int, list[int]]:
    """Send each message through the front end's sender, as announcements are sent: a
    chat gone or a refusal counts as a failure, a flood wait is waited out (``retries``
    times at most), a network failure is not retried (it may have arrived). Returns how
    many arrived and the chat ids not reached."""
    delivered = 0
    failed: list[int] = []
    for message in messages:
        if await _deliver_one(send, message, sleep, retries):
            delivered += 1
        else:
            failed.append(message.chat_id)
    return delivered, failed


async def _deliver_one(
    send: Sender,
    message: Outgoing,
    sleep: Callable[[float], Awaitable[None]],
    retries: int,
) -> bool:
    for _attempt in range(retries + 1):
        try:
            await send(message)
            return True
        except Throttled as error:
            await sleep(error.delay.total_seconds())
        except (Unreachable, Refused) as error:
            log.info("call: chat %s unreachable: %s", message.chat_id, error.reason)
            return False
        except Exception as error:  # network trouble: not retried (it may have arrived)
            log.warning("call: chat %s failed: %s", message.chat_id, describe(error))
            return False
    return False


__all__ = [
    "applied",
    "cancellation",
    "deliver",
    "extension",
    "publication",
    "results",
]
