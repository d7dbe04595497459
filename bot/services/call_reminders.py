"""What a call's closing reminder says, to whom — re-read at send time.

A closing reminder row of a campaign has no ticket (a campaign is about no one school):
its payload names the campaign. It goes to thousands of people, so it is a fan-out
(decision 0042): at its due instant the paced lane lists the heads and following
teachers of eligible schools that have not applied (``needs_reminder``) and stores one
row per person; each is then re-checked and sent by the paced lane, beside the sweep,
never ahead of a deadline's reminder. Nothing goes out once the campaign is no longer
published or has closed; a school that applied meanwhile is simply not written to.
"""

from __future__ import annotations

from datetime import datetime

from bot.cards.calls import CallCard
from bot.config import Settings
from bot.domain.calls import KIND_CALL_REMINDER, KIND_CALL_REMINDER_PERSON
from bot.domain.errors import DomainError
from bot.i18n import I18n
from bot.services import calls
from bot.services.audiences import recipient
from bot.services.certificates import CERTIFICATE_REMINDER_KINDS, certificate_renderers
from bot.services.delivery import Outgoing
from bot.services.reminders import Child, Expander, Renderer, Renderers
from storage.models import Reminder
from storage.uow import UnitOfWork


def _campaign_id(reminder: Reminder) -> int | None:
    campaign_id = (reminder.payload or {}).get("campaign_id")
    return campaign_id if isinstance(campaign_id, int) else None


def _still_open(view: calls.CampaignView, now: datetime) -> bool:
    return view.state == calls.CampaignState.PUBLISHED.value and not view.window.is_locked(now)


async def _crowd(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Child]:
    """The closing reminder's people, one child row each, read at its due instant."""
    campaign_id = _campaign_id(reminder)
    if campaign_id is None:
        return []
    try:
        view, people = await calls.not_applied(uow, campaign_id)
    except DomainError:
        return []
    if not _still_open(view, now):
        return []
    return [
        Child(f"p{person.id}", KIND_CALL_REMINDER_PERSON, person.id, {"campaign_id": campaign_id})
        for person in people
    ]


def _one(i18n: I18n) -> Renderer:
    async def render(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
        campaign_id = _campaign_id(reminder)
        if campaign_id is None or reminder.person_id is None:
            return []
        found = await calls.still_to_remind(uow, campaign_id, reminder.person_id)
        if found is None:
            return []
        view, person = found
        target = recipient(person)
        if target is None or not _still_open(view, now):
            return []
        card = CallCard(i18n, target.language)
        return [
            Outgoing(
                target.chat_id,
                card.reminder(view),
                card.apply_actions(view),
                None,
                target.platform,
            )
        ]

    return render


CALL_REMINDER_KINDS = (KIND_CALL_REMINDER, KIND_CALL_REMINDER_PERSON, *CERTIFICATE_REMINDER_KINDS)


def call_renderers(i18n: I18n, settings: Settings) -> Renderers:
    renderers = Renderers()
    crowd: Expander = _crowd
    renderers.register_fanout(KIND_CALL_REMINDER, crowd)
    renderers.register_paced(KIND_CALL_REMINDER_PERSON, _one(i18n))
    # The insurance certificate a delivery asks of the body (decision 0043).
    for kind in CERTIFICATE_REMINDER_KINDS:
        renderer = certificate_renderers(i18n, settings).get(kind)
        assert renderer is not None
        renderers.register(kind, renderer)
    return renderers
