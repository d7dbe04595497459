"""A call's news delivered to many people, from any front end (decision 0054).

A publication (an extension, a cancellation, the results) may reach thousands: the front
end hands the messages over in a background task and this sends them through the
process's router (each person on their own platform), paced by ``call_notices.deliver``;
a publication's delivery is audited at its end; the author's report is composed here,
the front end says it where the author is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.cards.call_drafts import delivered as delivered_text
from bot.cards.calls import CallCard
from bot.clock import Clock
from bot.i18n import I18n
from bot.services import call_notices
from bot.services import calls as service
from bot.services.calls import CampaignView
from bot.services.delivery import Outgoing, Sender
from storage.uow import Database


@dataclass(frozen=True)
class Delivered:
    delivered: int
    failed: list[int]
    report: str  # to the author, in their language


async def deliver(
    db: Database,
    send: Sender,
    i18n: I18n,
    clock: Clock,
    messages: Sequence[Outgoing],
    *,
    campaign: CampaignView,
    what: str,
    author_id: int,
    author_lang: str,
    record: bool,
    sleep: Callable[[float], Awaitable[None]],
) -> Delivered:
    """Send the messages (paced, flood waits waited out), audit a publication's outcome
    (``record``), and compose what the author hears of it."""
    count, failed = await call_notices.deliver(send, messages, sleep=sleep)
    if record:
        await service.record_delivery(
            db, author_id, campaign.id, delivered=count, failed=failed, now=clock.now()
        )
    report = delivered_text(CallCard(i18n, author_lang), campaign, what, count, len(failed))
    return Delivered(count, failed, report)
