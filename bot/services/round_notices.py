"""What is told to whom as rounds are planned, moved or called off, for every front end:
neutral :class:`Outgoing` messages. A school hears of its stop (its flagging's reporter
and its heads), with « Demander une autre date »; staff hear when a school asks for one."""

from __future__ import annotations

from datetime import date

from bot.cards.rounds import RoundCard
from bot.config import Settings
from bot.i18n import I18n
from bot.services import audiences, collections, rounds
from bot.services.audiences import StaffRoom
from bot.services.delivery import Outgoing
from bot.services.rounds import OtherDateAsked, RoundView, StopView
from storage.uow import Database, UnitOfWork


async def school_recipients(uow: UnitOfWork, stop: StopView) -> tuple[audiences.Recipient, ...]:
    collection = await collections.load(uow, stop.collection_id)
    return audiences.recipients(await rounds.school_people(uow, collection))


async def to_schools(
    db: Database, i18n: I18n, view: RoundView, what: str, **extra: object
) -> list[Outgoing]:
    """Each school of the round told (``what``: planned, moved, cancelled)."""
    messages: list[Outgoing] = []
    async with db.uow() as uow:
        for stop in view.stops:
            for target in await school_recipients(uow, stop):
                card = RoundCard(i18n, target.language)
                shown = {k: card.day(v) if isinstance(v, date) else v for k, v in extra.items()}
                messages.append(
                    Outgoing(
                        target.chat_id,
                        card.school_notice(view, stop, what, **shown),
                        card.school_actions(stop) if what != "cancelled" else (),
                        stop.collection_id,
                        target.platform,
                    )
                )
    return messages


async def other_date_asked(
    db: Database, i18n: I18n, settings: Settings, asked: OtherDateAsked
) -> list[Outgoing]:
    """Staff told that a school asks for another date, with its note."""
    async with db.uow() as uow:
        targets = await audiences.staff(uow, StaffRoom.of(settings))
    messages = []
    for target in targets:
        card = RoundCard(i18n, target.language)
        messages.append(
            Outgoing(
                target.chat_id,
                card.other_date_notice(asked.round, asked.stop, asked.asked_by),
                card.staff_round_actions(asked.round),
                asked.stop.collection_id,
                target.platform,
            )
        )
    return messages
