"""What staff are told of an attack on the bot: a burst of wrong invitation codes across
accounts (someone may be guessing codes; the checks are paused for a few minutes)."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.i18n import I18n
from bot.services import audiences
from bot.services.audiences import StaffRoom
from bot.services.delivery import Outgoing
from bot.services.reminders import Renderer
from storage.models import Reminder
from storage.uow import UnitOfWork


def code_burst_renderer(i18n: I18n, settings: Settings) -> Renderer:
    async def render(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
        until = datetime.fromisoformat(str(row.payload["until"]))
        staff = await audiences.staff(uow, StaffRoom.of(settings), forum=False)
        return [
            Outgoing(
                who.chat_id,
                i18n.t(
                    who.language,
                    "security.code_burst",
                    count=int(row.payload["count"]),
                    until=i18n.datetime(who.language, until, short=True),
                ),
                (),
                None,
                who.platform,
            )
            for who in staff
        ]

    return render
