"""What is told to whom as a flagging of unused or broken equipment moves on, for every
front end: neutral :class:`Outgoing` messages about the ticket, which a front end sends."""

from __future__ import annotations

from bot.cards.collections import CollectionCard
from bot.config import Settings
from bot.domain.collections import Route
from bot.i18n import I18n
from bot.services import audiences
from bot.services.audiences import Recipient, StaffRoom
from bot.services.collections import CollectionView, Flagged
from bot.services.delivery import Outgoing
from storage.uow import Database


async def staff_room(db: Database, settings: Settings) -> tuple[Recipient, ...]:
    async with db.uow() as uow:
        return await audiences.staff(uow, StaffRoom.of(settings))


async def after_flagging(
    db: Database, i18n: I18n, settings: Settings, flagged: Flagged
) -> list[Outgoing]:
    """Staff hear of SEM's items (with the repair-or-recycle buttons); the body's agents
    hear of their own items (broken to remove, unused its own business)."""
    view = flagged.view
    messages: list[Outgoing] = []
    if view.by_route(Route.SEM_COLLECTS):
        for target in await staff_room(db, settings):
            card = CollectionCard(i18n, target.language)
            messages.append(
                Outgoing(
                    target.chat_id,
                    card.staff_notice(view),
                    card.staff_actions(view),
                    view.id,
                    target.platform,
                )
            )
    for agent in flagged.body_agents:
        card = CollectionCard(i18n, agent.language)
        messages.append(
            Outgoing(
                agent.chat_id,
                card.body_notice(view),
                card.body_actions(view),
                view.id,
                agent.platform,
            )
        )
    return messages


async def after_removal(
    db: Database, i18n: I18n, settings: Settings, view: CollectionView, agent_name: str
) -> list[Outgoing]:
    """Staff hear that the body removed its own broken items (art. 4)."""
    messages: list[Outgoing] = []
    for target in await staff_room(db, settings):
        card = CollectionCard(i18n, target.language)
        removed = [i for i in view.items if i.route is Route.BODY_REMOVES]
        messages.append(
            Outgoing(
                target.chat_id,
                card.t(
                    "collection.notify.removed",
                    number=view.number,
                    school=view.school_name,
                    body=view.body_name,
                    who=agent_name,
                    items=", ".join(i.asset_tag for i in removed),
                ),
                (),
                view.id,
                target.platform,
            )
        )
    return messages


async def after_withdrawal(
    db: Database,
    i18n: I18n,
    settings: Settings,
    view: CollectionView,
    who: str,
    reason: str,
    *,
    besides: int | None = None,
) -> list[Outgoing]:
    """Staff hear that a flagging was withdrawn (its items back in service, out of their
    rounds); so do the body's agents when it had items of its own in it."""
    messages: list[Outgoing] = []
    targets = list(await staff_room(db, settings))
    if any(i.route is not Route.SEM_COLLECTS for i in view.items):
        async with db.uow() as uow:
            targets += audiences.recipients(
                await uow.people.body_agents(view.body_id), besides=besides
            )
    for target in targets:
        if target.person_id is not None and target.person_id == besides:
            continue
        card = CollectionCard(i18n, target.language)
        messages.append(
            Outgoing(
                target.chat_id,
                card.t(
                    "collection.notify.withdrawn",
                    number=view.number,
                    school=view.school_name,
                    who=who,
                    reason=reason,
                ),
                (),
                view.id,
                target.platform,
            )
        )
    return messages
