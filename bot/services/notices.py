"""Notices (art. 1 and 2): works, shared premises and moves; fibre news; class openings
and closures; SEM's request to take the body's own equipment off the school's network;
and the teachers' training needs they bring.

A notice is a ticket of kind ``notice`` (``N-2026-0001``) on the ticket core. Each use
case: one unit of work, the person's right and scope checked, the domain
(``bot.domain.notices``) called, the change, its audit entry and its reminders written
together, then committed. Nothing here formats text for a person: the messages owed are
built in ``bot.services.notice_notices``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.domain import collections as collection_rules
from bot.domain import notices as rules
from bot.domain.collections import Condition, Route
from bot.domain.dates import PARIS, local_date, start_of_local_day
from bot.domain.directory import normalize_uai
from bot.domain.errors import DomainError
from bot.domain.notices import ClassChange, FibreNews, NoticeKind, TrainingReason, WorksKind
from bot.domain.roles import Action, Role, require
from bot.domain.text import cut
from bot.services import access, audiences, claims, collections, equipment_moves, reminders, tickets
from bot.services.audiences import Recipient
from bot.services.claims import FileRef, SchoolRef, TimelineEntry
from storage.models import (
    Attachment,
    Equipment,
    Notice,
    Person,
    School,
    Ticket,
    TrainingNeed,
)
from storage.uow import Database, UnitOfWork

KIND = "notice"
PREFIX = "N"

# A notice's ticket: told (SEM has it), acknowledged (SEM did its part: a move
# confirmed, a migration ordered, an opening weighed), closed (nothing left).
STATE_TOLD = "told"
STATE_ACKNOWLEDGED = "acknowledged"
STATE_CLOSED = "closed"


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class TellWorks:
    reporter_id: int
    school_id: int
    works: WorksKind
    description: str
    starts_on: date
    ends_on: date | None = None  # None: « à partir de »
    rooms: str | None = None
    new_school_uai: str | None = None  # a move to another school
    new_address: str | None = None  # a move to a new address
    files: tuple[FileRef, ...] = ()


@dataclass(frozen=True)
class TellFibre:
    reporter_id: int
    school_id: int
    news: FibreNews
    description: str | None = None


@dataclass(frozen=True)
class TellClassChange:
    reporter_id: int
    school_id: int
    change: ClassChange
    class_name: str
    on: date
    level: str | None = None
    # A closure: the class's SEM equipment to collect before the date, and where it is.
    asset_tags: tuple[str, ...] = ()
    place: str | None = None


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class RoomItem:
    asset_tag: str
    type: str
    model: str
    room: str | None


@dataclass(frozen=True)
class NoticeView:
    id: int
    number: str
    kind: NoticeKind
    subkind: str | None
    state: str
    school_id: int
    school_name: str
    school_uai: str
    commune_name: str
    body_id: int
    body_name: str
    body_kind: str
    reporter_id: int
    reporter_name: str
    created_at: datetime
    closed_at: datetime | None
    description: str
    starts_on: date | None
    ends_on: date | None
    rooms: str | None
    class_name: str | None
    class_level: str | None
    new_school_name: str | None
    new_address: str | None
    collection_id: int | None
    collection_number: str | None
    acknowledged_at: datetime | None
    done_at: datetime | None
    attachments: int = 0
    timeline: tuple[TimelineEntry, ...] = ()
    # Works: the school's SEM equipment in the rooms named (all of it when the inventory
    # names no room), and how many SEM items the school has in all.
    equipment: tuple[RoomItem, ...] = ()
    sem_items: int = 0
    inventory: int = 0  # a move: every item of the school's inventory, which moves with it

    @property
    def recommendations(self) -> tuple[rules.Recommendation, ...]:
        if self.kind is NoticeKind.WORKS and self.subkind:
            return rules.recommendations(self.subkind)
        return ()

    @property
    def is_move(self) -> bool:
        return self.kind is NoticeKind.WORKS and self.subkind == WorksKind.MOVE


@dataclass(frozen=True)
class TrainingNeedView:
    id: int
    school_id: int
    school_name: str
    school_uai: str
    commune_name: str
    reason: TrainingReason
    note: str | None
    number: str | None  # the notice it came from
    created_at: datetime
    done_at: datetime | None
    change: str | None = None  # a class change's notice: opening | closing


# --------------------------------------------------------------------------- helpers


async def load(uow: UnitOfWork, notice_id: int) -> Notice:
    found = await uow.session.scalar(
        select(Notice)
        .where(Notice.ticket_id == notice_id)
        .options(
            selectinload(Notice.ticket).selectinload(Ticket.school).selectinload(School.commune),
            selectinload(Notice.ticket).selectinload(Ticket.body),
            selectinload(Notice.ticket).selectinload(Ticket.reporter),
        )
    )
    if found is None:
        raise DomainError("notice.error.not_found")
    return found


async def notice_for(
    uow: UnitOfWork, person: Person, notice_id: int, action: Action | None = None
) -> Notice:
    """The notice, if the person follows it (and may do ``action``); else not found."""
    if action is not None:
        require(person.role, action)
    notice = await load(uow, notice_id)
    if not access.follows(person, notice.ticket):
        raise DomainError("notice.error.not_found")
    return notice


def reminder_prefix(notice_id: int) -> str:
    return f"notice:{notice_id}"


def _audit(
    uow: UnitOfWork,
    ticket: Ticket,
    actor: Person | None,
    action: str,
    now: datetime,
    **details: Any,
) -> None:
    uow.audit(
        at=now,
        actor_id=actor.id if actor else None,
        action=action,
        object_type="ticket",
        object_id=ticket.number,
        **details,
    )


async def _school_in_scope(uow: UnitOfWork, person: Person, school_id: int) -> School:
    return await access.school_in_scope(
        uow, person, school_id, refusal="notice.error.school_out_of_scope"
    )


def _room_words(rooms: str | None) -> list[str]:
    """The rooms named, as separate words to match: « salle 3, CM1 ; BCD » → 3 names."""
    if not rooms:
        return []
    parts = [p.strip().casefold() for chunk in rooms.split(";") for p in chunk.split(",")]
    return [p for p in parts if p]


async def _equipment_in_rooms(
    uow: UnitOfWork, school_id: int, rooms: str | None
) -> tuple[tuple[RoomItem, ...], int]:
    """The school's SEM equipment in service in the rooms named (matched on the room the
    inventory gives); when the inventory names no room for the school, all of it."""
    rows = (
        await uow.session.scalars(
            select(Equipment)
            .where(
                Equipment.school_id == school_id,
                Equipment.owner == "sem",
                Equipment.state.in_(("in_service", "unused", "out_of_order")),
            )
            .order_by(Equipment.asset_tag)
        )
    ).all()
    wanted = _room_words(rooms)
    named = [e for e in rows if e.room]
    if wanted and named:
        chosen = [
            e
            for e in named
            if any(w in (e.room or "").casefold() or (e.room or "").casefold() in w for w in wanted)
        ]
    else:
        chosen = list(rows)
    return tuple(RoomItem(e.asset_tag, e.type, e.model, e.room) for e in chosen), len(rows)


async def view_of(
    uow: UnitOfWork, notice: Notice, *, timeline_for: Person | None = None
) -> NoticeView:
    ticket = notice.ticket
    school = ticket.school
    assert school is not None
    attachments = await uow.session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.ticket_id == ticket.id)
    )
    new_school = await uow.directory.school(notice.new_school_id) if notice.new_school_id else None
    collection_number = (
        await uow.session.scalar(select(Ticket.number).where(Ticket.id == notice.collection_id))
        if notice.collection_id
        else None
    )
    equipment: tuple[RoomItem, ...] = ()
    sem_items = 0
    inventory = 0
    if notice.kind == NoticeKind.WORKS:
        equipment, sem_items = await _equipment_in_rooms(uow, school.id, notice.rooms)
        if notice.subkind == WorksKind.MOVE:
            inventory = int(
                await uow.session.scalar(
                    select(func.count())
                    .select_from(Equipment)
                    .where(Equipment.school_id == school.id)
                )
                or 0
            )
    return NoticeView(
        id=ticket.id,
        number=ticket.number,
        kind=NoticeKind(notice.kind),
        subkind=notice.subkind,
        state=ticket.state,
        school_id=school.id,
        school_name=school.name,
        school_uai=school.uai,
        commune_name=school.commune.name,
        body_id=ticket.body_id,
        body_name=ticket.body.name,
        body_kind=ticket.body.kind,
        reporter_id=ticket.reporter_id,
        reporter_name=ticket.reporter.full_name,
        created_at=ticket.created_at,
        closed_at=ticket.closed_at,
        description=notice.description,
        starts_on=notice.starts_on,
        ends_on=notice.ends_on,
        rooms=notice.rooms,
        class_name=notice.class_name,
        class_level=notice.class_level,
        new_school_name=new_school.name if new_school else None,
        new_address=notice.new_address,
        collection_id=notice.collection_id,
        collection_number=collection_number,
        acknowledged_at=notice.acknowledged_at,
        done_at=notice.done_at,
        attachments=int(attachments or 0),
        timeline=(await tickets.timeline(uow, ticket, timeline_for) if timeline_for else ()),
        equipment=equipment,
        sem_items=sem_items,
        inventory=inventory,
    )


async def _open(
    uow: UnitOfWork,
    person: Person,
    school: School,
    notice: Notice,
    now: datetime,
    *,
    files: Sequence[FileRef] = (),
    next_deadline: datetime | None = None,
) -> Ticket:
    ticket = await tickets.open_ticket(
        uow,
        kind=KIND,
        prefix=PREFIX,
        state=STATE_TOLD,
        reporter=person,
        school=school,
        now=now,
        next_deadline=next_deadline,
    )
    notice.ticket_id = ticket.id
    uow.session.add(notice)
    for file in files:
        uow.session.add(
            claims.file_attachment(ticket.id, file, purpose="evidence", person=person, now=now)
        )
    return ticket


def _training(
    uow: UnitOfWork,
    school_id: int,
    reason: TrainingReason,
    person: Person,
    now: datetime,
    *,
    ticket_id: int | None = None,
    note: str | None = None,
) -> None:
    uow.session.add(
        TrainingNeed(
            school_id=school_id,
            reason=reason.value,
            ticket_id=ticket_id,
            note=note,
            created_by_id=person.id,
            created_at=now,
        )
    )


async def _close(uow: UnitOfWork, notice: Notice, actor: Person | None, now: datetime) -> None:
    ticket = notice.ticket
    ticket.state = STATE_CLOSED
    ticket.closed_at = now
    ticket.close_reason = "done"
    ticket.next_deadline_at = None
    ticket.updated_at = now
    await reminders.cancel(uow, key_prefix=reminder_prefix(ticket.id), now=now)


def _start_instant(day: date | None) -> datetime | None:
    return start_of_local_day(day, PARIS) if day is not None else None


# --------------------------------------------------------------------------- works


async def notice_schools(db: Database, person_id: int, action: Action) -> list[SchoolRef]:
    """The schools a person may tell of (their own, or their body's)."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        require(person.role, action)
        found = await access.schools_for(uow, person)
        return [SchoolRef(s.id, s.name, s.uai) for s in found]


async def move_target(
    db: Database, person_id: int, typed_uai: str, from_school_id: int
) -> SchoolRef:
    """The school a move's inventory goes to, from its UAI, as the dialogue checks it when
    typed: an existing school other than the one moving (any body's: schools merge)."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        require(person.role, Action.NOTIFY_WORKS)
        uai = normalize_uai(typed_uai)
        target = await uow.directory.school_by_uai(uai)
        if target is None:
            raise DomainError("notice.error.unknown_school", uai=uai)
        if target.id == from_school_id:
            raise DomainError("notice.error.move_target")
        return SchoolRef(target.id, target.name, target.uai)


async def _move_target(
    uow: UnitOfWork, cmd: TellWorks, school: School
) -> tuple[int | None, str | None]:
    if cmd.works is not WorksKind.MOVE:
        return None, None
    address = rules.text_of(cmd.new_address, limit=rules.MAX_ROOMS, code="address", required=False)
    if cmd.new_school_uai:
        target = await uow.directory.school_by_uai(normalize_uai(cmd.new_school_uai))
        if target is None or target.id == school.id:
            raise DomainError("notice.error.move_target")
        return target.id, address
    if address is None:
        raise DomainError("notice.error.address_required")
    return None, address


async def tell_works(db: Database, cmd: TellWorks, now: datetime) -> NoticeView:
    """Works, shared premises or a move, told by the body (or a head): staff will hear of
    it with the equipment in the rooms concerned, the body gets SEM's recommendations,
    the school is reminded a week before and asked after the end."""
    today = local_date(now, PARIS)
    period = rules.check_period(cmd.starts_on, cmd.ends_on, today)
    description = rules.text_of(cmd.description, limit=rules.MAX_DESCRIPTION, code="description")
    rooms = rules.text_of(cmd.rooms, limit=rules.MAX_ROOMS, code="rooms", required=False)
    assert description is not None
    async with db.uow() as uow:
        person = await access.person(uow, cmd.reporter_id)
        require(person.role, Action.NOTIFY_WORKS)
        school = await _school_in_scope(uow, person, cmd.school_id)
        new_school_id, new_address = await _move_target(uow, cmd, school)
        notice = Notice(
            kind=NoticeKind.WORKS.value,
            subkind=cmd.works.value,
            description=description,
            starts_on=period.start,
            ends_on=period.end,
            rooms=rooms,
            new_school_id=new_school_id,
            new_address=new_address,
        )
        ticket = await _open(
            uow,
            person,
            school,
            notice,
            now,
            files=cmd.files,
            next_deadline=_start_instant(period.start if period.start >= today else period.end),
        )
        await reminders.plan(
            uow,
            rules.plan_works_reminders(period, now),
            key_prefix=reminder_prefix(ticket.id),
            now=now,
            ticket_id=ticket.id,
        )
        _audit(uow, ticket, person, "notice.works_told", now, works=cmd.works.value)
        await uow.commit()
        return await view_of(uow, await load(uow, ticket.id))


async def confirm_back_in_place(
    db: Database, person_id: int, notice_id: int, now: datetime
) -> NoticeView:
    """After works: the school (or its body) confirms the equipment is back in place."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        notice = await notice_for(uow, person, notice_id, Action.NOTIFY_WORKS)
        if notice.kind != NoticeKind.WORKS or notice.ticket.closed_at is not None:
            raise DomainError("notice.error.nothing_to_confirm")
        notice.done_at, notice.done_by_id = now, person.id
        _audit(uow, notice.ticket, person, "notice.back_in_place", now)
        await _close(uow, notice, person, now)
        await uow.commit()
        return await view_of(uow, await load(uow, notice_id), timeline_for=person)


async def confirm_move(db: Database, staff_id: int, notice_id: int, now: datetime) -> NoticeView:
    """Staff confirm a move: to another school, the school's inventory moves there (each
    item's history says so, its body follows); to a new address, nothing moves in the
    inventory, the notice is acknowledged."""
    async with db.uow() as uow:
        person = await access.person(uow, staff_id)
        notice = await notice_for(uow, person, notice_id, Action.MANAGE_NOTICES)
        if notice.subkind != WorksKind.MOVE or notice.acknowledged_at is not None:
            raise DomainError("notice.error.nothing_to_confirm")
        moved = 0
        if notice.new_school_id is not None:
            items = (
                await uow.session.scalars(
                    select(Equipment).where(Equipment.school_id == notice.ticket.school_id)
                )
            ).all()
            for item in items:
                await equipment_moves.relocate(
                    uow,
                    item,
                    notice.new_school_id,
                    actor=person,
                    now=now,
                    ticket_id=notice.ticket_id,
                    note="school moved",
                )
                moved += 1
        notice.acknowledged_at, notice.acknowledged_by_id = now, person.id
        notice.ticket.state = STATE_ACKNOWLEDGED
        notice.ticket.updated_at = now
        _audit(uow, notice.ticket, person, "notice.move_confirmed", now, count=moved)
        await uow.commit()
        return await view_of(uow, await load(uow, notice_id), timeline_for=person)


# --------------------------------------------------------------------------- fibre


async def tell_fibre(db: Database, cmd: TellFibre, now: datetime) -> NoticeView:
    """The school is eligible to FTTH, or the fibre is in: a task for staff to order the
    migration (art. 2), reminded every 30 days until it is done."""
    description = rules.text_of(
        cmd.description, limit=rules.MAX_DESCRIPTION, code="description", required=False
    )
    async with db.uow() as uow:
        person = await access.person(uow, cmd.reporter_id)
        require(person.role, Action.NOTIFY_WORKS)
        school = await _school_in_scope(uow, person, cmd.school_id)
        open_one = await uow.session.scalar(
            select(func.count())
            .select_from(Notice)
            .join(Ticket, Ticket.id == Notice.ticket_id)
            .where(
                Notice.kind == NoticeKind.FIBRE.value,
                Ticket.school_id == school.id,
                Ticket.closed_at.is_(None),
            )
        )
        if open_one:
            raise DomainError("notice.error.fibre_already_open")
        notice = Notice(
            kind=NoticeKind.FIBRE.value, subkind=cmd.news.value, description=description or ""
        )
        ticket = await _open(uow, person, school, notice, now)
        await plan_next_fibre_reminder(uow, ticket.id, now, 1, now)
        _audit(uow, ticket, person, "notice.fibre_told", now, news=cmd.news.value)
        await uow.commit()
        return await view_of(uow, await load(uow, ticket.id))


async def plan_next_fibre_reminder(
    uow: UnitOfWork, notice_id: int, since: datetime, number: int, now: datetime
) -> None:
    """The ``number``-th reminder to staff of a fibre migration, 30 days after the last."""
    await reminders.plan(
        uow,
        [rules.plan_fibre_reminder(since, number)],
        key_prefix=reminder_prefix(notice_id),
        now=now,
        ticket_id=notice_id,
        payload={"number": number},
    )


async def fibre_step(db: Database, staff_id: int, notice_id: int, now: datetime) -> NoticeView:
    """Staff's next step on a fibre migration: ordered, then done (the notice closes)."""
    async with db.uow() as uow:
        person = await access.person(uow, staff_id)
        notice = await notice_for(uow, person, notice_id, Action.MANAGE_NOTICES)
        if notice.kind != NoticeKind.FIBRE or notice.ticket.closed_at is not None:
            raise DomainError("notice.error.nothing_to_confirm")
        if notice.acknowledged_at is None:
            notice.acknowledged_at, notice.acknowledged_by_id = now, person.id
            notice.ticket.state = STATE_ACKNOWLEDGED
            notice.ticket.updated_at = now
            _audit(uow, notice.ticket, person, "notice.fibre_ordered", now)
        else:
            notice.done_at, notice.done_by_id = now, person.id
            _audit(uow, notice.ticket, person, "notice.fibre_done", now)
            await _close(uow, notice, person, now)
        await uow.commit()
        return await view_of(uow, await load(uow, notice_id), timeline_for=person)


# --------------------------------------------------------------------------- classes


async def tell_class_change(db: Database, cmd: TellClassChange, now: datetime) -> NoticeView:
    """A class opens or closes. A closure plans the collection of the class's SEM items
    before its date (a flagging of them as unused, through the collections), reminded two
    weeks and two days before; an opening tells staff. Both record a training need."""
    today = local_date(now, PARIS)
    on = rules.check_class_date(cmd.on, cmd.change, today)
    name = rules.text_of(cmd.class_name, limit=rules.MAX_CLASS_NAME, code="class_name")
    level = rules.text_of(cmd.level, limit=20, code="level", required=False)
    closing = cmd.change is ClassChange.CLOSING
    async with db.uow() as uow:
        person = await access.person(uow, cmd.reporter_id)
        require(person.role, Action.NOTIFY_CLASS_CHANGE)
        school = await _school_in_scope(uow, person, cmd.school_id)
        collection_id: int | None = None
        if closing and cmd.asset_tags:
            # The class's SEM items, flagged as unused in the same transaction: the
            # collections' rounds take them before the date.
            collection_id, _ = await collections.open_flagging(
                uow,
                person,
                school,
                collections.FlagEquipment(
                    reporter_id=person.id,
                    school_id=school.id,
                    items=tuple(
                        collections.FlagItem(tag, Condition.UNUSED, f"fermeture : {name}")
                        for tag in cmd.asset_tags
                    ),
                    place=cmd.place or "",
                ),
                now,
            )
        notice = Notice(
            kind=NoticeKind.CLASS.value,
            subkind=cmd.change.value,
            description="",
            starts_on=on,
            class_name=name,
            class_level=level,
            collection_id=collection_id,
        )
        ticket = await _open(
            uow, person, school, notice, now, next_deadline=_start_instant(on) if closing else None
        )
        if closing:
            await reminders.plan(
                uow,
                rules.plan_closure_reminders(on, now),
                key_prefix=reminder_prefix(ticket.id),
                now=now,
                ticket_id=ticket.id,
            )
        reason = rules.training_reason(NoticeKind.CLASS, cmd.change)
        if reason is not None:
            _training(uow, school.id, reason, person, now, ticket_id=ticket.id, note=name)
        _audit(
            uow,
            ticket,
            person,
            f"notice.class_{cmd.change.value}",
            now,
            name=name,
            on=on.isoformat(),
            **({"collection": collection_id} if collection_id else {}),
        )
        await uow.commit()
        return await view_of(uow, await load(uow, ticket.id))


async def acknowledge(db: Database, staff_id: int, notice_id: int, now: datetime) -> NoticeView:
    """Staff take note of a class opening (a need to weigh in the next call for interest)
    or of works: the notice is acknowledged; an opening is then closed."""
    async with db.uow() as uow:
        person = await access.person(uow, staff_id)
        notice = await notice_for(uow, person, notice_id, Action.MANAGE_NOTICES)
        if notice.acknowledged_at is not None or notice.ticket.closed_at is not None:
            raise DomainError("notice.error.nothing_to_confirm")
        if (
            notice.kind not in (NoticeKind.CLASS, NoticeKind.WORKS)
            or notice.subkind == WorksKind.MOVE
        ):
            raise DomainError("notice.error.nothing_to_confirm")
        notice.acknowledged_at, notice.acknowledged_by_id = now, person.id
        _audit(uow, notice.ticket, person, "notice.acknowledged", now)
        if notice.kind == NoticeKind.CLASS and notice.subkind == ClassChange.OPENING:
            await _close(uow, notice, person, now)
        else:
            notice.ticket.state = STATE_ACKNOWLEDGED
            notice.ticket.updated_at = now
        await uow.commit()
        return await view_of(uow, await load(uow, notice_id), timeline_for=person)


# --------------------------------------------------------------------------- network


async def ask_disconnection(
    db: Database, staff_id: int, uai: str, text: str, now: datetime
) -> NoticeView:
    """SEM found the body's own equipment on the school's network and asks the body to
    disconnect it (art. 2): reminded after 15 days, staff alerted after 30."""
    description = rules.text_of(text, limit=rules.MAX_DESCRIPTION, code="description")
    async with db.uow() as uow:
        person = await access.person(uow, staff_id)
        require(person.role, Action.MANAGE_NOTICES)
        school = await uow.directory.school_by_uai(normalize_uai(uai))
        if school is None:
            raise DomainError("notice.error.unknown_school", uai=uai.strip()[:12])
        notice = Notice(kind=NoticeKind.NETWORK.value, description=description or "")
        ticket = await _open(uow, person, school, notice, now)
        await reminders.plan(
            uow,
            rules.plan_network_reminders(now),
            key_prefix=reminder_prefix(ticket.id),
            now=now,
            ticket_id=ticket.id,
        )
        _audit(uow, ticket, person, "notice.network_asked", now)
        await uow.commit()
        return await view_of(uow, await load(uow, ticket.id))


@dataclass(frozen=True)
class NetworkTarget:
    """What ``/reseau`` is about to ask, shown in its confirmation."""

    school_id: int
    school_name: str
    school_uai: str
    commune_name: str
    body_name: str
    text: str


async def network_target(db: Database, staff_id: int, uai: str, text: str) -> NetworkTarget:
    """The school and its body a disconnection request would go to; nothing is written
    (the same checks as :func:`ask_disconnection`, so the confirmation cannot promise
    what the write would refuse)."""
    description = rules.text_of(text, limit=rules.MAX_DESCRIPTION, code="description")
    assert description is not None
    async with db.uow() as uow:
        person = await access.person(uow, staff_id)
        require(person.role, Action.MANAGE_NOTICES)
        school = await uow.directory.school_by_uai(normalize_uai(uai))
        if school is None:
            raise DomainError("notice.error.unknown_school", uai=uai.strip()[:12])
        loaded = await uow.session.scalar(
            select(School)
            .where(School.id == school.id)
            .options(selectinload(School.commune), selectinload(School.body))
        )
        assert loaded is not None
        return NetworkTarget(
            loaded.id,
            loaded.name,
            loaded.uai,
            loaded.commune.name,
            loaded.body.name,
            description,
        )


async def confirm_disconnected(
    db: Database, agent_id: int, notice_id: int, now: datetime
) -> NoticeView:
    """The body says its equipment is off the school's network: the notice closes."""
    async with db.uow() as uow:
        person = await access.person(uow, agent_id)
        notice = await notice_for(uow, person, notice_id, Action.REMOVE_OWN_EQUIPMENT)
        if notice.kind != NoticeKind.NETWORK or notice.ticket.closed_at is not None:
            raise DomainError("notice.error.nothing_to_confirm")
        notice.done_at, notice.done_by_id = now, person.id
        _audit(uow, notice.ticket, person, "notice.disconnected", now)
        await _close(uow, notice, person, now)
        await uow.commit()
        return await view_of(uow, await load(uow, notice_id), timeline_for=person)


# --------------------------------------------------------------------------- collection


@dataclass(frozen=True)
class WorksCollection:
    """A collection planned from a works notice: the notice as it is now, the flagging
    (for the collections' notices), and the school's heads, to be told SEM will come."""

    notice: NoticeView
    flagged: collections.Flagged
    heads: tuple[Recipient, ...]


def _may_collect(notice: Notice) -> None:
    if notice.kind != NoticeKind.WORKS or notice.ticket.closed_at is not None:
        raise DomainError("notice.error.collect_not_works")
    if notice.collection_id is not None:
        raise DomainError("notice.error.collect_already")


async def collectable_items(db: Database, staff_id: int, notice_id: int) -> NoticeView:
    """The works notice whose rooms' SEM items staff may collect (``equipment`` keeps
    those in service only, which are the ones a flagging takes)."""
    async with db.uow() as uow:
        person = await access.person(uow, staff_id)
        notice = await notice_for(uow, person, notice_id, Action.MANAGE_NOTICES)
        _may_collect(notice)
        view = await view_of(uow, notice)
        in_service = set(
            (
                await uow.session.scalars(
                    select(Equipment.asset_tag).where(
                        Equipment.asset_tag.in_([i.asset_tag for i in view.equipment]),
                        Equipment.state.in_(collections.FLAGGABLE_STATES),
                    )
                )
            ).all()
        )
        kept = tuple(i for i in view.equipment if i.asset_tag in in_service)
        if not kept:
            raise DomainError("notice.error.collect_nothing")
        return replace(view, equipment=kept)


def _works_note(description: str) -> str:
    """« travaux : <what> », within a flagged item's note."""
    note = f"travaux : {description}".strip()
    limit = collection_rules.MAX_NOTE
    return cut(note, limit)


async def collection_from_works(
    db: Database,
    staff_id: int,
    notice_id: int,
    asset_tags: Sequence[str],
    place: str,
    now: datetime,
) -> WorksCollection:
    """Staff plan the collection of SEM's items of the rooms before works (art. 1): the
    items, SEM's and in service at the notice's school, are flagged as unused in the
    same transaction (the collections' rounds take them), the notice names the
    collection, and its audit says so."""
    async with db.uow() as uow:
        person = await access.person(uow, staff_id)
        notice = await notice_for(uow, person, notice_id, Action.MANAGE_NOTICES)
        _may_collect(notice)
        school = notice.ticket.school
        assert school is not None
        for tag in asset_tags:
            equipment = await uow.directory.equipment_by_tag(tag.strip().upper())
            if equipment is not None and equipment.owner != "sem":
                raise DomainError("notice.error.collect_not_sem", tag=equipment.asset_tag)
        note = _works_note(notice.description)
        collection_id, routes = await collections.open_flagging(
            uow,
            person,
            school,
            collections.FlagEquipment(
                reporter_id=person.id,
                school_id=school.id,
                items=tuple(
                    collections.FlagItem(tag, Condition.UNUSED, note) for tag in asset_tags
                ),
                place=place,
            ),
            now,
        )
        notice.collection_id = collection_id
        notice.ticket.updated_at = now
        number = await uow.session.scalar(select(Ticket.number).where(Ticket.id == collection_id))
        _audit(
            uow,
            notice.ticket,
            person,
            "notice.collection_planned",
            now,
            collection=number or "",
            count=len(asset_tags),
        )
        await uow.commit()
        collection = await collections.view_of(uow, await collections.load(uow, collection_id))
        agents: tuple[Recipient, ...] = ()
        if Route.BODY_REMOVES in routes or Route.BODY_KEEPS in routes:
            agents = audiences.recipients(
                await uow.people.body_agents(school.body_id), besides=person.id
            )
        heads = await audiences.school_people(uow, school.id)
        view = await view_of(uow, await load(uow, notice_id), timeline_for=person)
        return WorksCollection(view, collections.Flagged(collection, agents), heads)


# --------------------------------------------------------------------------- following


async def notice_view(
    db: Database, person_id: int, notice_id: int, now: datetime, *, timeline: bool = False
) -> NoticeView:
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        return await view_of(
            uow, await notice_for(uow, person, notice_id), timeline_for=person if timeline else None
        )


async def withdraw(
    db: Database, person_id: int, notice_id: int, reason: str, now: datetime
) -> NoticeView:
    """Withdraw a notice told by mistake (its reporter, or staff): its reminders are
    cancelled; a collection planned from it stays (withdraw it there)."""
    why = rules.text_of(reason, limit=rules.MAX_ROOMS, code="reason")
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        notice = await notice_for(uow, person, notice_id)
        if person.role != Role.STAFF and notice.ticket.reporter_id != person.id:
            raise DomainError("common.error.forbidden")
        if notice.ticket.closed_at is not None:
            raise DomainError("notice.error.nothing_to_confirm")
        _audit(uow, notice.ticket, person, "notice.withdrawn", now, reason=why)
        await _close(uow, notice, person, now)
        notice.ticket.close_reason = "withdrawn"
        await uow.commit()
        return await view_of(uow, await load(uow, notice_id), timeline_for=person)


async def reopen_notice(db: Database, person_id: int, notice_id: int, now: datetime) -> NoticeView:
    """A closed notice is not reopened: a new one is told instead."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        notice = await notice_for(uow, person, notice_id, Action.TRIAGE)
        if notice.ticket.closed_at is None:
            return await view_of(uow, notice, timeline_for=person)
        raise DomainError("notice.error.cannot_reopen")


# --------------------------------------------------------------------------- training


async def tell_post_change(db: Database, head_id: int, note: str, now: datetime) -> None:
    """A head tells of a change of post at the school: a training need (art. 1)."""
    text = rules.text_of(note, limit=rules.MAX_ROOMS, code="description")
    async with db.uow() as uow:
        person = await access.person(uow, head_id)
        require(person.role, Action.NOTIFY_CLASS_CHANGE)
        if person.school_id is None:
            raise DomainError("notice.error.school_out_of_scope")
        _training(uow, person.school_id, TrainingReason.POST_CHANGE, person, now, note=text)
        uow.audit(
            at=now,
            actor_id=person.id,
            action="training.post_change",
            object_type="school",
            object_id=person.school_id,
        )
        await uow.commit()


async def training_needs(
    db: Database, staff_id: int, *, open_only: bool = True
) -> list[TrainingNeedView]:
    """The training needs by school (commune, then school), oldest first."""
    async with db.uow() as uow:
        person = await access.person(uow, staff_id)
        require(person.role, Action.MANAGE_NOTICES)
        query = (
            select(TrainingNeed, School, Ticket.number, Notice.subkind)
            .join(School, School.id == TrainingNeed.school_id)
            .outerjoin(Ticket, Ticket.id == TrainingNeed.ticket_id)
            .outerjoin(Notice, Notice.ticket_id == TrainingNeed.ticket_id)
            .options(selectinload(School.commune))
            .order_by(School.name, TrainingNeed.created_at, TrainingNeed.id)
        )
        if open_only:
            query = query.where(TrainingNeed.done_at.is_(None))
        rows = (await uow.session.execute(query)).all()
        return [
            TrainingNeedView(
                need.id,
                school.id,
                school.name,
                school.uai,
                school.commune.name,
                TrainingReason(need.reason),
                need.note,
                number,
                need.created_at,
                need.done_at,
                change,
            )
            for need, school, number, change in rows
        ]


async def training_done(db: Database, staff_id: int, need_id: int, now: datetime) -> None:
    async with db.uow() as uow:
        person = await access.person(uow, staff_id)
        require(person.role, Action.MANAGE_NOTICES)
        need = await uow.session.get(TrainingNeed, need_id)
        if need is None:
            raise DomainError("notice.error.training_not_found")
        if need.done_at is None:
            need.done_at, need.done_by_id = now, person.id
            uow.audit(
                at=now,
                actor_id=person.id,
                action="training.done",
                object_type="school",
                object_id=need.school_id,
                need=need.id,
            )
            await uow.commit()
