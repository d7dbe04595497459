"""What is told of a security hold, to whom, for every front end: the body's agents are
asked to improve the premises' security when it is placed, reminded while it is open,
and told when it is lifted. The reminder's renderer re-checks at send time."""

from __future__ import annotations

from datetime import datetime

from bot.domain.holds import KIND_HOLD_REMINDER
from bot.i18n import I18n
from bot.services import audiences, holds
from bot.services.delivery import Outgoing
from bot.services.holds import HoldView
from bot.services.reminders import Renderer
from storage.models import Reminder
from storage.uow import Database, UnitOfWork


def _messages(
    i18n: I18n, hold: HoldView, key: str, agents: tuple[audiences.Recipient, ...]
) -> list[Outgoing]:
    messages = []
    for agent in agents:
        lang = agent.language
        text = i18n.t(
            lang,
            key,
            school=hold.school_name,
            uai=hold.school_uai,
            reason=hold.reason,
            since=i18n.date(lang, hold.placed_at.astimezone(i18n.tz).date()),
            note=hold.lift_note or "",
        )
        messages.append(Outgoing(agent.chat_id, text, (), hold.about_ticket_id, agent.platform))
    return messages


async def _agents(db: Database, hold: HoldView) -> tuple[audiences.Recipient, ...]:
    async with db.uow() as uow:
        return await audiences.body_agents(uow, hold.body_id)


async def placed(db: Database, i18n: I18n, hold: HoldView) -> list[Outgoing]:
    """The body is asked to improve the school's security; replacements wait."""
    return _messages(i18n, hold, "hold.notify.placed", await _agents(db, hold))


async def lifted(db: Database, i18n: I18n, hold: HoldView) -> list[Outgoing]:
    """The body learns that replacements go ahead again, and why."""
    return _messages(i18n, hold, "hold.notify.lifted", await _agents(db, hold))


def hold_renderer(i18n: I18n) -> Renderer:
    """The body's reminder while the hold is open; each one plans the next."""

    async def render(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
        payload = reminder.payload or {}
        hold = await holds.hold_for_reminder(uow, int(payload.get("hold_id", 0)))
        if hold is None:
            return []  # lifted meanwhile: nothing is asked any more
        # The next one, a cadence after this one goes (a retry of this row plans it once).
        await holds.plan_reminder(uow, hold.id, int(payload.get("number", 1)) + 1, now)
        await uow.commit()
        agents = await audiences.body_agents(uow, hold.body_id)
        return _messages(i18n, hold, KIND_HOLD_REMINDER, agents)

    return render
