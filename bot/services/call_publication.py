"""A call written and published from any front end (decision 0054): the draft a dialogue
kept, as the service takes it; the call's news delivered to many people.

A publication (an extension, a cancellation, the results) may reach thousands: the front
end hands the messages to the outbox (``send_out``), which the paced lane sends, each
person on their own platform; the author hears the count at the end, and a publication's
delivery is audited then (decision 0077).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from bot.cards.call_drafts import delivered as delivered_text
from bot.cards.calls import CallCard
from bot.domain import calls as rules
from bot.domain.calls import Question, QuestionKind, Reach
from bot.i18n import I18n
from bot.services import calls as service
from bot.services import outbox
from bot.services.calls import CampaignView
from bot.services.delivery import Outgoing
from storage.uow import Database, UnitOfWork


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


REPORT = "call"  # the outbox's report of a call's delivery


async def send_out(
    db: Database,
    messages: Sequence[Outgoing],
    *,
    campaign: CampaignView,
    what: str,
    author_id: int,
    record: bool,
    now: datetime,
) -> int:
    """Hand the messages to the outbox (decision 0077): the paced lane sends them, each
    person on their own platform, then tells the author how many received it and, for a
    publication (``record``), audits the delivery. Returns how many are on their way."""
    if not messages:
        return 0
    key = f"call:{campaign.id}:{what}:{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    report = outbox.Report(
        author_id,
        REPORT,
        {
            "campaign_id": campaign.id,
            "title": campaign.title,
            "what": what,
            "record": record,
            "author_id": author_id,
        },
    )
    async with db.uow() as uow:
        await outbox.enqueue(uow, messages, key=key, now=now, report=report)
        await uow.commit()
    return len(messages)


def report_text(
    i18n: I18n, lang: str, payload: Mapping[str, Any], people: int, failures: int
) -> str:
    """To the author at a delivery's end: how many received it, how many failed."""
    return delivered_text(
        CallCard(i18n, lang), str(payload["title"]), str(payload["what"]), people, failures
    )


async def report_end(
    uow: UnitOfWork, payload: Mapping[str, Any], delivered: int, failed: list[int], now: datetime
) -> None:
    """A publication's delivery is audited at its end (who it did not reach)."""
    if not payload.get("record"):
        return
    author = payload.get("author_id")
    service.audit_delivery(
        uow,
        int(author) if isinstance(author, int) else None,
        int(payload["campaign_id"]),
        delivered=delivered,
        failed=failed,
        now=now,
    )
