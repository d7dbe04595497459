"""What is told to whom as a notice moves on (works, fibre, class changes, the school
network), for every front end: neutral :class:`Outgoing` messages about the notice."""

from __future__ import annotations

from collections.abc import Callable

from bot.cards.notices import NoticeCard
from bot.config import Settings
from bot.domain.notices import NoticeKind
from bot.i18n import I18n
from bot.services import audiences
from bot.services.audiences import Recipient, StaffRoom
from bot.services.delivery import Actions, Outgoing
from bot.services.notices import NoticeView, RoomItem, WorksCollection
from storage.models import Person
from storage.uow import Database, UnitOfWork


async def _staff(uow: UnitOfWork, settings: Settings) -> tuple[Recipient, ...]:
    return await audiences.staff(uow, StaffRoom.of(settings))


async def school_people(uow: UnitOfWork, view: NoticeView) -> tuple[Recipient, ...]:
    """The school's heads and the notice's reporter (when not an agent of the body)."""
    reporter = await uow.session.get(Person, view.reporter_id)
    if reporter is not None and reporter.role != "director":
        reporter = None
    return await audiences.school_people(uow, view.school_id, reporter=reporter)


def _to(
    targets: tuple[Recipient, ...],
    i18n: I18n,
    view: NoticeView,
    text_of: Callable[[NoticeCard], str],
    actions_of: Callable[[NoticeCard], Actions] | None = None,
) -> list[Outgoing]:
    messages = []
    for target in targets:
        card = NoticeCard(i18n, target.language)
        messages.append(
            Outgoing(
                target.chat_id,
                text_of(card),
                actions_of(card) if actions_of else (),
                view.id,
                target.platform,
            )
        )
    return messages


async def after_telling(
    db: Database, i18n: I18n, settings: Settings, view: NoticeView
) -> list[Outgoing]:
    """A new notice: staff get its card with their actions; for works, every agent of the
    body gets SEM's recommendations to forward; the body hears of a network request."""
    async with db.uow() as uow:
        messages: list[Outgoing] = []
        if view.kind is not NoticeKind.NETWORK:
            messages += _to(
                await _staff(uow, settings),
                i18n,
                view,
                lambda c: c.card(view),
                lambda c: c.staff_actions(view),
            )
        agents = await audiences.body_agents(uow, view.body_id)
        if view.kind is NoticeKind.CLASS:
            # A class change told by the body: the school's heads hear of it too.
            heads = tuple(
                h
                for h in audiences.recipients(await uow.people.school_heads(view.school_id))
                if h.person_id != view.reporter_id
            )
            messages += _to(
                heads, i18n, view, lambda c: c.card(view), lambda c: c.school_actions(view)
            )
        if view.kind is NoticeKind.WORKS:
            messages += _to(agents, i18n, view, lambda c: c.recommendations(view))
        elif view.kind is NoticeKind.NETWORK:
            messages += _to(
                agents,
                i18n,
                view,
                lambda c: c.t(
                    "notice.network.asked",
                    number=view.number,
                    school=view.school_name,
                    text=view.description,
                ),
                lambda c: c.body_actions(view),
            )
        return messages


async def to_staff(
    db: Database, i18n: I18n, settings: Settings, view: NoticeView, key: str, who: str
) -> list[Outgoing]:
    """A step the school or the body took (equipment back, disconnected): staff told."""
    async with db.uow() as uow:
        return _to(
            await _staff(uow, settings),
            i18n,
            view,
            lambda c: c.t(key, number=view.number, school=view.school_name, who=who),
        )


async def to_school_and_body(
    db: Database, i18n: I18n, view: NoticeView, key: str
) -> list[Outgoing]:
    """A step SEM took (a move confirmed, a migration ordered or done): the body's agents
    and the school's heads told."""
    async with db.uow() as uow:
        targets = await audiences.body_agents(uow, view.body_id) + await school_people(uow, view)
        seen: set[tuple[str, int]] = set()
        unique = []
        for target in targets:
            if (target.platform, target.chat_id) not in seen:
                seen.add((target.platform, target.chat_id))
                unique.append(target)
        return _to(
            tuple(unique),
            i18n,
            view,
            lambda c: c.t(key, number=view.number, school=view.school_name),
        )


def collection_planned(i18n: I18n, done: WorksCollection, place: str) -> list[Outgoing]:
    """A collection planned from works: the school's heads told SEM will collect the
    items (each with its room), gathered where staff said."""
    rooms = {item.asset_tag: item.room for item in done.notice.equipment}
    items = [
        RoomItem(i.asset_tag, i.type, i.model, rooms.get(i.asset_tag))
        for i in done.flagged.view.items
    ]
    view = done.notice
    return _to(
        done.heads,
        i18n,
        view,
        lambda c: c.collect_told(
            view.number, view.school_name, done.flagged.view.number, items, place
        ),
    )
