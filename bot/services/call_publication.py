"""A call written and published from any front end (decision 0054): the draft a dialogue
kept, as the service takes it; the call's news delivered to many people.

A publication (an extension, a cancellation, the results) may reach thousands: the front
end hands the messages over in a background task and this sends them through the
process's router (each person on their own platform), paced by ``call_notices.deliver``;
a publication's delivery is audited at its end; the author's report is composed here,
the front end says it where the author is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from bot.cards.call_drafts import delivered as delivered_text
from bot.cards.calls import CallCard
from bot.clock import Clock
from bot.domain import calls as rules
from bot.domain.calls import Question, QuestionKind, Reach
from bot.i18n import I18n
from bot.services import call_notices
from bot.services import calls as service
from bot.services.calls import CampaignView
from bot.services.delivery import Outgoing, Sender
from storage.uow import Database


def question_of(raw: Mapping[str, Any]) -> Question:
    """A question as a dialogue keeps it (``kind``, ``label``, ``choices``, bounds)."""
    return Question(
        QuestionKind(raw["kind"]),
        raw["label"],
        tuple(raw.get("choices", ())),
        True,
        int(raw.get("minimum", 0)),
        int(raw.get("maximum", rules.MAX_NUMBER)),
    )


def campaign_draft(raw: Mapping[str, Any]) -> service.CampaignDraft:
    """The campaign a dialogue's draft describes (days and times in Paris, ISO-written)."""
    return service.CampaignDraft(
        title=raw["title"],
        nature=raw["nature"],
        description=raw["description"],
        quantity=int(raw["quantity"]),
        kit_size=raw.get("kit_size"),
        reach=Reach(raw["reach"]),
        opens_on=date.fromisoformat(raw["opens_on"]),
        opens_time=time.fromisoformat(raw["opens_time"]),
        closes_on=date.fromisoformat(raw["closes_on"]),
        closes_time=time.fromisoformat(raw["closes_time"]),
        questions=tuple(question_of(q) for q in raw["questions"]),
        body_ids=frozenset(raw["body_ids"]),
        levels=frozenset(raw["levels"]),
        allow_teachers=bool(raw.get("allow_teachers")),
    )


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
