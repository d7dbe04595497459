"""What a call's closing reminder says, to whom — re-read at send time.

A reminder row of a campaign has no ticket (a campaign is about no one school): its
payload names the campaign. At send time the renderer reads who may apply and who has
applied, and writes only to the heads and following teachers of eligible schools that
have not (``needs_reminder``); nothing once the campaign is no longer published or has
closed. A school that applied meanwhile is simply not written to.
"""

from __future__ import annotations

from datetime import datetime

from bot.cards.calls import CallCard
from bot.config import Settings
from bot.domain.calls import KIND_CALL_REMINDER
from bot.domain.errors import DomainError
from bot.i18n import I18n
from bot.services import calls
from bot.services.audiences import recipients
from bot.services.certificates import CERTIFICATE_REMINDER_KINDS, certificate_renderers
from bot.services.delivery import Outgoing
from bot.services.reminders import Renderer, Renderers
from storage.models import Reminder
from storage.uow import UnitOfWork


def _closing(i18n: I18n) -> Renderer:
    async def render(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
        campaign_id = (reminder.payload or {}).get("campaign_id")
        if not isinstance(campaign_id, int):
            return []
        try:
            view, people = await calls.not_applied(uow, campaign_id)
        except DomainError:
            return []
        if view.state != calls.CampaignState.PUBLISHED.value or view.window.is_locked(now):
            return []
        messages = []
        for target in recipients(people):
            card = CallCard(i18n, target.language)
            messages.append(
                Outgoing(
                    target.chat_id,
                    card.reminder(view),
                    card.apply_actions(view),
                    None,
                    target.platform,
                )
            )
        return messages

    return render


CALL_REMINDER_KINDS = (KIND_CALL_REMINDER, *CERTIFICATE_REMINDER_KINDS)


def call_renderers(i18n: I18n, settings: Settings) -> Renderers:
    renderers = Renderers()
    renderers.register(KIND_CALL_REMINDER, _closing(i18n))
    # The insurance certificate a delivery asks of the body (decision 0043).
    for kind in CERTIFICATE_REMINDER_KINDS:
        renderer = certificate_renderers(i18n, settings).get(kind)
        assert renderer is not None
        renderers.register(kind, renderer)
    return renderers
