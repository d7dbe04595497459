"""Unused and broken equipment (art. 1, 3 and 4): the flagging, its routing by owner,
staff's repair-or-recycle choice, the body's own removals, and the ticket's view.

A flagging is a ticket of kind ``collection`` (``C-2026-0001``) on the ticket core. Each
use case: one unit of work, the person's right and scope checked, the domain
(``bot.domain.collections``) called, the change, its audit entry, the item's history
(``equipment_moves``) and its reminders written together, then committed. Rounds are in
``bot.services.rounds``, the stock and reassignments in ``bot.services.stock``: both call
:func:`settle` after changing items, so that the ticket's state and next deadline stay
true. Nothing here formats text for a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.domain import collections as rules
from bot.domain.collections import Condition, Decision, ItemState, ItemStatus, Route
from bot.domain.dates import PARIS, start_of_local_day
from bot.domain.directory import MAX_LENGTHS, normalize_asset_tag
from bot.domain.errors import DomainError
from bot.domain.roles import Action, require
from bot.domain.text import units
from bot.services import access, audiences, claims, equipment_moves, reminders, tickets
from bot.services.audiences import Recipient
from bot.services.claims import FileRef, SchoolRef, TimelineEntry
from storage.models import (
    Attachment,
    Collection,
    CollectionItem,
    CollectionRound,
    Equipment,
    Person,
    ResponsibleBody,
    School,
    Ticket,
)
from storage.uow import Database, UnitOfWork

KIND = "collection"
PREFIX = "C"

# A flagging's ticket: open (something waits for SEM or the body), planned (everything
# SEM still has to do is in a round), closed (every item settled).
STATE_OPEN = "open"
STATE_PLANNED = "planned"
STATE_CLOSED = "closed"

# The equipment states an item may be flagged from.
FLAGGABLE_STATES = frozenset({ItemState.IN_SERVICE.value})


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class FlagItem:
    asset_tag: str
    condition: Condition
    note: str | None = None


@dataclass(frozen=True)
class Availability:
    """When someone at the school can hand the items over."""

    weekdays: frozenset[int] = frozenset()  # Monday = 0 … Friday = 4; empty: not said
    hours: str | None = None  # « 8 h 30 – 11 h 30 », in the school's words
    in_holidays: bool = False  # « pendant les vacances »


@dataclass(frozen=True)
class FlagEquipment:
    reporter_id: int
    school_id: int
    items: tuple[FlagItem, ...]
    place: str  # where the items are gathered, broken and unused apart (art. 4)
    availability: Availability = Availability()
    files: tuple[FileRef, ...] = ()


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class FlagTag:
    """A typed tag, as the flagging dialogue needs to know it."""

    asset_tag: str
    known: bool
    equipment_id: int | None = None
    type: str | None = None
    model: str | None = None
    owner: str | None = None
    other_school: bool = False
    unavailable: bool = False  # not in service (stolen, already flagged, in stock…)
    state: str | None = None
    unreadable: bool = False  # not an asset tag at all (too long, odd characters)


@dataclass(frozen=True)
class CollectionItemView:
    id: int
    equipment_id: int
    asset_tag: str
    type: str
    model: str
    owner: str
    condition: Condition
    note: str | None
    route: Route
    decision: Decision | None
    status: ItemStatus
    equipment_state: str
    round_id: int | None = None
    round_day: date | None = None
    round_kind: str | None = None
    missing_note: str | None = None
    receipt_ref: str | None = None

    @property
    def needs_decision(self) -> bool:
        return self.status is ItemStatus.OPEN and rules.needs_decision(
            self.condition, self.route, self.decision
        )


@dataclass(frozen=True)
class CollectionView:
    id: int
    number: str
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
    place: str
    availability: Availability
    items: tuple[CollectionItemView, ...]
    attachments: int = 0
    timeline: tuple[TimelineEntry, ...] = ()
    next_deadline: datetime | None = None

    def by_route(self, route: Route) -> tuple[CollectionItemView, ...]:
        return tuple(i for i in self.items if i.route is route)

    @property
    def to_remove(self) -> tuple[CollectionItemView, ...]:
        """The body's broken items it has not removed yet."""
        return tuple(
            i for i in self.items if i.route is Route.BODY_REMOVES and i.status is ItemStatus.OPEN
        )

    @property
    def pending(self) -> tuple[CollectionItemView, ...]:
        """The items still to be done: what withdrawing the flagging takes back."""
        return tuple(i for i in self.items if i.status in rules.PENDING)

    @property
    def awaiting_decision(self) -> tuple[CollectionItemView, ...]:
        return tuple(i for i in self.items if i.needs_decision)

    @property
    def unplanned(self) -> tuple[CollectionItemView, ...]:
        """SEM's items still waiting for a round (or a decision)."""
        return tuple(
            i
            for i in self.items
            if i.route is Route.SEM_COLLECTS and i.status in (ItemStatus.OPEN, ItemStatus.MISSING)
        )


@dataclass(frozen=True)
class Flagged:
    view: CollectionView
    body_agents: tuple[Recipient, ...]  # told when the body has items of its own to see


# --------------------------------------------------------------------------- helpers


async def load(uow: UnitOfWork, collection_id: int) -> Collection:
    """The collection with its ticket, school, body, items and their equipment and round."""
    found = await uow.session.scalar(
        select(Collection)
        .where(Collection.ticket_id == collection_id)
        .options(
            selectinload(Collection.ticket)
            .selectinload(Ticket.school)
            .selectinload(School.commune),
            selectinload(Collection.ticket).selectinload(Ticket.body),
            selectinload(Collection.ticket).selectinload(Ticket.reporter),
            selectinload(Collection.items).selectinload(CollectionItem.equipment),
            selectinload(Collection.items).selectinload(CollectionItem.round),
        )
    )
    if found is None:
        raise DomainError("collection.error.not_found")
    return found


async def collection_for(
    uow: UnitOfWork, person: Person, collection_id: int, action: Action | None = None
) -> Collection:
    """The collection, if this person follows it (and may do ``action``); else not found,
    so that numbers of other schools' tickets cannot be probed."""
    if action is not None:
        require(person.role, action)
    collection = await load(uow, collection_id)
    if not access.follows(person, collection.ticket):
        raise DomainError("collection.error.not_found")
    return collection


def audit(
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


def reminder_prefix(collection_id: int) -> str:
    return f"collection:{collection_id}"


def _text(value: str | None, *, limit: int, error: str, required: bool = False) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise DomainError(f"collection.error.{error}_required")
        return None
    if units(cleaned) > limit:
        raise DomainError(f"collection.error.{error}_too_long", max=limit)
    return cleaned


async def _school_in_scope(uow: UnitOfWork, person: Person, school_id: int) -> School:
    return await access.school_in_scope(
        uow, person, school_id, refusal="collection.error.school_out_of_scope"
    )


def _typed_tag(typed: str) -> str:
    try:
        return normalize_asset_tag(typed)
    except DomainError as error:
        raise DomainError(
            "collection.error.typed_tag",
            value=(typed or "").strip()[:40],
            max=MAX_LENGTHS["asset_tag"],
        ) from error


def item_view(item: CollectionItem) -> CollectionItemView:
    equipment = item.equipment
    round_ = item.round
    return CollectionItemView(
        id=item.id,
        equipment_id=equipment.id,
        asset_tag=equipment.asset_tag,
        type=equipment.type,
        model=equipment.model,
        owner=equipment.owner,
        condition=Condition(item.condition),
        note=item.note,
        route=Route(item.route),
        decision=Decision(item.decision) if item.decision else None,
        status=ItemStatus(item.status),
        equipment_state=equipment.state,
        round_id=item.round_id,
        round_day=round_.day if round_ is not None else None,
        round_kind=round_.kind if round_ is not None else None,
        missing_note=item.missing_note,
        receipt_ref=item.receipt_ref,
    )


async def view_of(
    uow: UnitOfWork, collection: Collection, *, timeline_for: Person | None = None
) -> CollectionView:
    ticket = collection.ticket
    school = ticket.school
    assert school is not None
    attachments = await uow.session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.ticket_id == ticket.id)
    )
    return CollectionView(
        id=ticket.id,
        number=ticket.number,
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
        place=collection.place,
        availability=Availability(
            rules.parse_weekdays(collection.weekdays), collection.hours, collection.in_holidays
        ),
        items=tuple(item_view(i) for i in collection.items),
        attachments=int(attachments or 0),
        timeline=(await tickets.timeline(uow, ticket, timeline_for) if timeline_for else ()),
        next_deadline=ticket.next_deadline_at,
    )


async def settle(
    uow: UnitOfWork, collection: Collection, actor: Person | None, now: datetime
) -> None:
    """Keep the ticket true to its items: closed when every item is settled (its
    reminders cancelled), planned when all SEM still has to do is in a round, else open.
    The next deadline is the nearest round day of its items (the queue sorts on it)."""
    ticket = collection.ticket
    statuses = [ItemStatus(i.status) for i in collection.items]
    if all(s in rules.SETTLED for s in statuses):
        if ticket.closed_at is None:
            ticket.state = STATE_CLOSED
            ticket.closed_at = now
            ticket.close_reason = "settled"
            ticket.next_deadline_at = None
            await reminders.cancel(uow, key_prefix=reminder_prefix(ticket.id), now=now)
            audit(uow, ticket, actor, "collection.closed", now)
        ticket.updated_at = now
        return
    waiting_sem = [
        i
        for i in collection.items
        if i.route == Route.SEM_COLLECTS and i.status in (ItemStatus.OPEN, ItemStatus.MISSING)
    ]
    ticket.state = STATE_OPEN if waiting_sem else STATE_PLANNED
    days = [
        i.round.day
        for i in collection.items
        if i.status == ItemStatus.PLANNED and i.round is not None
    ]
    ticket.next_deadline_at = start_of_local_day(min(days), PARIS) if days else None
    ticket.updated_at = now


# --------------------------------------------------------------------------- flagging


async def flagging_schools(db: Database, person_id: int) -> list[SchoolRef]:
    """The schools a person may flag equipment for: their own, or their body's schools."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        require(person.role, Action.FLAG_EQUIPMENT)
        found = await access.schools_for(uow, person)
        return [SchoolRef(s.id, s.name, s.uai) for s in found]


async def inventory_page(
    db: Database, person_id: int, school_id: int, page: int, per_page: int = 8
) -> tuple[list[Equipment], int]:
    """A page of the school's equipment in service, to pick items from."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        require(person.role, Action.FLAG_EQUIPMENT)
        await _school_in_scope(uow, person, school_id)
        rows, total = await uow.directory.equipment_of_school(
            school_id, offset=max(page, 0) * per_page, limit=per_page
        )
        return list(rows), total


async def check_tags(
    db: Database, person_id: int, school_id: int, tags: Sequence[str]
) -> list[FlagTag]:
    """Typed tags, each judged alone: this school's equipment in service, unknown,
    another school's, not in service (already flagged, stolen, in stock…), or not a tag at
    all (``unreadable``, given back as typed, cut to 40 characters)."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        require(person.role, Action.FLAG_EQUIPMENT)
        await _school_in_scope(uow, person, school_id)
        found: list[FlagTag] = []
        for raw in tags:
            try:
                tag = normalize_asset_tag(raw)
            except DomainError:
                found.append(FlagTag((raw or "").strip()[:40], known=False, unreadable=True))
                continue
            equipment = await uow.directory.equipment_by_tag(tag)
            if equipment is None:
                found.append(FlagTag(tag, known=False))
            elif equipment.school_id != school_id:
                found.append(FlagTag(tag, known=True, other_school=True))
            else:
                found.append(
                    FlagTag(
                        tag,
                        known=True,
                        equipment_id=equipment.id,
                        type=equipment.type,
                        model=equipment.model,
                        owner=equipment.owner,
                        unavailable=equipment.state not in FLAGGABLE_STATES,
                        state=equipment.state,
                    )
                )
        return found


@dataclass(frozen=True)
class Preview:
    """What the summary shows before confirming: each item with its route."""

    items: tuple[tuple[FlagItem, FlagTag, Route], ...]
    body_kind: str

    def count(self, route: Route) -> int:
        return sum(1 for _, _, r in self.items if r is route)


async def _checked_items(
    uow: UnitOfWork, school_id: int, items: Sequence[FlagItem]
) -> list[tuple[FlagItem, Equipment, Route]]:
    if not items:
        raise DomainError("collection.error.no_items")
    if len(items) > rules.MAX_ITEMS:
        raise DomainError("collection.error.too_many_items", max=rules.MAX_ITEMS)
    checked: list[tuple[FlagItem, Equipment, Route]] = []
    seen: set[str] = set()
    for item in items:
        tag = _typed_tag(item.asset_tag)
        if tag in seen:
            raise DomainError("collection.error.duplicate_tag", tag=tag)
        seen.add(tag)
        equipment = await uow.directory.equipment_by_tag(tag)
        if equipment is None:
            raise DomainError("collection.error.unknown_tag", tag=tag)
        if equipment.school_id != school_id:
            raise DomainError("collection.error.tag_other_school", tag=tag)
        if equipment.state not in FLAGGABLE_STATES:
            raise DomainError("collection.error.tag_unavailable", tag=tag)
        _text(item.note, limit=rules.MAX_NOTE, error="note")
        checked.append((item, equipment, rules.route(equipment.owner, item.condition)))
    return checked


async def preview_flagging(db: Database, cmd: FlagEquipment) -> Preview:
    """The summary before confirming; nothing is written."""
    _text(cmd.place, limit=rules.MAX_PLACE, error="place", required=True)
    _text(cmd.availability.hours, limit=rules.MAX_HOURS, error="hours")
    async with db.uow() as uow:
        person = await access.person(uow, cmd.reporter_id)
        require(person.role, Action.FLAG_EQUIPMENT)
        school = await _school_in_scope(uow, person, cmd.school_id)
        checked = await _checked_items(uow, school.id, cmd.items)
        body_kind = await uow.session.scalar(
            select(ResponsibleBody.kind).where(ResponsibleBody.id == school.body_id)
        )
        return Preview(
            tuple(
                (
                    item,
                    FlagTag(
                        e.asset_tag,
                        True,
                        e.id,
                        e.type,
                        e.model,
                        e.owner,
                        state=e.state,
                    ),
                    r,
                )
                for item, e, r in checked
            ),
            body_kind or "commune",
        )


async def open_flagging(
    uow: UnitOfWork, person: Person, school: School, cmd: FlagEquipment, now: datetime
) -> tuple[int, list[Route]]:
    """The flagging written in the caller's transaction (not committed), for a person
    whose right and scope were checked: its ticket id and its items' routes. A class
    closure (bot.services.notices) opens one in its own transaction this way."""
    place = _text(cmd.place, limit=rules.MAX_PLACE, error="place", required=True)
    hours = _text(cmd.availability.hours, limit=rules.MAX_HOURS, error="hours")
    assert place is not None
    checked = await _checked_items(uow, school.id, cmd.items)
    ticket = await tickets.open_ticket(
        uow,
        kind=KIND,
        prefix=PREFIX,
        state=STATE_OPEN,
        reporter=person,
        school=school,
        now=now,
    )
    uow.session.add(
        Collection(
            ticket_id=ticket.id,
            place=place,
            weekdays=rules.format_weekdays(set(cmd.availability.weekdays)),
            hours=hours,
            in_holidays=cmd.availability.in_holidays,
        )
    )
    for item, equipment, item_route in checked:
        uow.session.add(
            CollectionItem(
                collection_id=ticket.id,
                equipment_id=equipment.id,
                condition=item.condition.value,
                note=_text(item.note, limit=rules.MAX_NOTE, error="note"),
                route=item_route.value,
                status=rules.initial_status(item_route).value,
            )
        )
        if item_route is not Route.BODY_KEEPS:
            await equipment_moves.move(
                uow,
                equipment,
                rules.flagged_state(item.condition),
                actor=person,
                now=now,
                ticket_id=ticket.id,
            )
    for file in cmd.files:
        uow.session.add(
            claims.file_attachment(ticket.id, file, purpose="evidence", person=person, now=now)
        )
    routes = [r for _, _, r in checked]
    await reminders.plan(
        uow,
        rules.plan_flag_reminders(now, routes),
        key_prefix=reminder_prefix(ticket.id),
        now=now,
        ticket_id=ticket.id,
    )
    audit(
        uow,
        ticket,
        person,
        "collection.flagged",
        now,
        items=len(checked),
        broken=sum(1 for i, _, _ in checked if i.condition is Condition.BROKEN),
        unused=sum(1 for i, _, _ in checked if i.condition is Condition.UNUSED),
    )
    await uow.session.flush()
    await settle(uow, await load(uow, ticket.id), person, now)
    return ticket.id, routes


async def flag_equipment(db: Database, cmd: FlagEquipment, now: datetime) -> Flagged:
    """Open the flagging: one ticket for the school, each item routed by its owner and
    moved to its flagged state (the body's unused items are left as they are), the
    reminders planned."""
    async with db.uow() as uow:
        person = await access.person(uow, cmd.reporter_id)
        require(person.role, Action.FLAG_EQUIPMENT)
        school = await _school_in_scope(uow, person, cmd.school_id)
        ticket_id, routes = await open_flagging(uow, person, school, cmd, now)
        await uow.commit()
        view = await view_of(uow, await load(uow, ticket_id))
        agents: tuple[Recipient, ...] = ()
        if Route.BODY_REMOVES in routes or Route.BODY_KEEPS in routes:
            agents = audiences.recipients(
                await uow.people.body_agents(school.body_id), besides=person.id
            )
    return Flagged(view, agents)


# --------------------------------------------------------------------------- following


async def collection_view(
    db: Database, person_id: int, collection_id: int, now: datetime, *, timeline: bool = False
) -> CollectionView:
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        collection = await collection_for(uow, person, collection_id)
        return await view_of(uow, collection, timeline_for=person if timeline else None)


async def find_collection_id(db: Database, person_id: int, number: str) -> int:
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        ticket = await uow.tickets.by_number(number.strip().upper())
        if ticket is None or ticket.kind != KIND or not access.follows(person, ticket):
            raise DomainError("collection.error.not_found")
        return ticket.id


def _item(collection: Collection, item_id: int) -> CollectionItem:
    item = next((i for i in collection.items if i.id == item_id), None)
    if item is None:
        raise DomainError("collection.error.item_not_found")
    return item


async def _item_in_scope(
    uow: UnitOfWork, person: Person, item_id: int, action: Action
) -> tuple[Collection, CollectionItem]:
    require(person.role, action)
    collection_id = await uow.session.scalar(
        select(CollectionItem.collection_id).where(CollectionItem.id == item_id)
    )
    if collection_id is None:
        raise DomainError("collection.error.not_found")
    collection = await collection_for(uow, person, collection_id)
    return collection, _item(collection, item_id)


async def decide(
    db: Database, staff_id: int, item_id: int, decision: Decision | str, now: datetime
) -> CollectionView:
    """Staff choose repair or recycling for SEM's broken item, until it is planned."""
    choice = Decision(decision)
    async with db.uow() as uow:
        person = await access.person(uow, staff_id)
        collection, item = await _item_in_scope(uow, person, item_id, Action.MANAGE_EQUIPMENT)
        if (
            item.route != Route.SEM_COLLECTS
            or item.condition != Condition.BROKEN
            or item.status not in (ItemStatus.OPEN, ItemStatus.MISSING)
        ):
            raise DomainError("collection.error.no_decision_here", tag=item.equipment.asset_tag)
        if item.decision == choice:
            return await view_of(uow, collection, timeline_for=person)
        item.decision = choice.value
        audit(
            uow,
            collection.ticket,
            person,
            "collection.decided",
            now,
            tag=item.equipment.asset_tag,
            decision=choice.value,
        )
        await settle(uow, collection, person, now)
        await uow.commit()
        return await view_of(uow, await load(uow, collection.ticket_id), timeline_for=person)


async def confirm_removal(
    db: Database,
    agent_id: int,
    collection_id: int,
    item_ids: Sequence[int] | None,
    now: datetime,
    *,
    reference: str | None = None,
) -> CollectionView:
    """The body says it removed and recycled its own broken items (art. 4): all those
    still open, or the ones named; the recycling centre's receipt when it has one."""
    ref = _text(reference, limit=rules.MAX_REFERENCE, error="reference")
    async with db.uow() as uow:
        person = await access.person(uow, agent_id)
        collection = await collection_for(uow, person, collection_id, Action.REMOVE_OWN_EQUIPMENT)
        open_items = [
            i
            for i in collection.items
            if i.route == Route.BODY_REMOVES and i.status == ItemStatus.OPEN
        ]
        if item_ids is not None:
            wanted = set(item_ids)
            chosen = [i for i in open_items if i.id in wanted]
            if len(chosen) != len(wanted):
                raise DomainError("collection.error.nothing_to_remove")
        else:
            chosen = open_items
        if not chosen:
            raise DomainError("collection.error.nothing_to_remove")
        for item in chosen:
            await equipment_moves.move(
                uow,
                item.equipment,
                ItemState.RECYCLED,
                actor=person,
                now=now,
                ticket_id=collection.ticket_id,
                reference=ref,
                note="removed by its body",
            )
            item.status = ItemStatus.REMOVED.value
            item.done_at = now
            item.done_by_id = person.id
            item.receipt_ref = ref
        audit(
            uow,
            collection.ticket,
            person,
            "collection.removed",
            now,
            tags=[i.equipment.asset_tag for i in chosen],
            **({"reference": ref} if ref else {}),
        )
        await settle(uow, collection, person, now)
        await uow.commit()
        return await view_of(uow, await load(uow, collection_id), timeline_for=person)


async def reopen_collection(
    db: Database, person_id: int, collection_id: int, now: datetime
) -> CollectionView:
    """Reopening a settled collection: nothing left to do, so it is refused in words."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        collection = await collection_for(uow, person, collection_id, Action.TRIAGE)
        if collection.ticket.closed_at is None:
            return await view_of(uow, collection, timeline_for=person)
        raise DomainError("collection.error.cannot_reopen")


async def withdraw(
    db: Database, person_id: int, collection_id: int, reason: str, now: datetime
) -> CollectionView:
    """Withdraw a flagging (a mistake, the item works again): its reporter, a head of the
    school, or staff. What is not collected yet goes back in service and leaves its
    rounds; what is done stays in the history. Refused when nothing is left to withdraw."""
    why = _text(reason, limit=rules.MAX_NOTE, error="reason", required=True)
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        collection = await collection_for(uow, person, collection_id, Action.FLAG_EQUIPMENT)
        pending = [
            i
            for i in collection.items
            if i.status in (ItemStatus.OPEN, ItemStatus.MISSING, ItemStatus.PLANNED)
        ]
        if collection.ticket.closed_at is not None or not pending:
            raise DomainError("collection.error.cannot_withdraw")
        await withdraw_open_items(uow, collection, person, now)
        audit(uow, collection.ticket, person, "collection.withdrawn", now, reason=why)
        await settle(uow, collection, person, now)
        await uow.commit()
        return await view_of(uow, await load(uow, collection_id), timeline_for=person)


async def withdraw_open_items(
    uow: UnitOfWork, collection: Collection, actor: Person | None, now: datetime
) -> None:
    """Closing a flagging by hand: the items not yet collected go back in service."""
    for item in collection.items:
        if item.status in (ItemStatus.OPEN, ItemStatus.MISSING, ItemStatus.PLANNED):
            if item.equipment.state == ItemState.AWAITING_COLLECTION:
                await equipment_moves.move(
                    uow,
                    item.equipment,
                    rules.flagged_state(item.condition),
                    actor=actor,
                    now=now,
                    ticket_id=collection.ticket_id,
                    note="flagging withdrawn",
                )
            if item.equipment.state != ItemState.IN_SERVICE:
                await equipment_moves.move(
                    uow,
                    item.equipment,
                    ItemState.IN_SERVICE,
                    actor=actor,
                    now=now,
                    ticket_id=collection.ticket_id,
                    note="flagging withdrawn",
                )
            item.status = ItemStatus.WITHDRAWN.value
            item.round_id = None


__all__ = [
    "KIND",
    "PREFIX",
    "Availability",
    "CollectionItemView",
    "CollectionRound",
    "CollectionView",
    "FlagEquipment",
    "FlagItem",
    "FlagTag",
    "Flagged",
    "Preview",
    "check_tags",
    "collection_view",
    "confirm_removal",
    "decide",
    "find_collection_id",
    "flag_equipment",
    "flagging_schools",
    "inventory_page",
    "load",
    "open_flagging",
    "preview_flagging",
    "settle",
    "withdraw",
]
