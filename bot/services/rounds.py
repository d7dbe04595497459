"""Collection rounds and maintenance visits (art. 1, 3 and 4): staff plan a day at some
schools to collect SEM's unused items and its broken ones to recycle (``collection``), or
to repair its broken ones (``repair``); on the day they mark what was collected, then the
recycling centre's receipt, or each repair's outcome.

Each use case: one unit of work, staff's right checked (``Action.MANAGE_EQUIPMENT``), the
domain's rules called (``bot.domain.collections``, ``bot.domain.rounds``), every change of
an item's state through ``equipment_moves.move``, an audit entry on each ticket concerned,
the schools' reminders as rows under the collection's prefix (closing the ticket cancels
them), then :func:`collections.settle` on each collection touched, then commit. What is
told to whom is in ``bot.services.round_notices``. Ids arriving from a button are never
trusted: the round, the stop and the item are loaded and checked again here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from bot.domain import collections as rules
from bot.domain.calendar import SchoolCalendar, ZoneACalendar
from bot.domain.collections import Condition, Decision, ItemState, ItemStatus, RoundKind, Route
from bot.domain.dates import PARIS, local_date
from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role, require
from bot.domain.rounds import (
    MAX_OTHER_DATE_NOTE,
    check_round_day,
    propose_day,
    shared_weekdays,
)
from bot.domain.text import units
from bot.services import access, collections, equipment_moves, reminders
from bot.services.collections import CollectionItemView, item_view
from storage.models import (
    Collection,
    CollectionItem,
    CollectionRound,
    Commune,
    Equipment,
    Person,
    ResponsibleBody,
    RoundStop,
    School,
    Ticket,
)
from storage.uow import Database, UnitOfWork

ROUND_PLANNED = "planned"
ROUND_DONE = "done"
ROUND_CANCELLED = "cancelled"

# One calendar per process: the packages' data, no I/O after the first look-up.
CALENDAR: SchoolCalendar = ZoneACalendar()

WAITING = (ItemStatus.OPEN.value, ItemStatus.MISSING.value)


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class PendingSchool:
    """One flagging with SEM's items still to plan."""

    collection_id: int
    number: str
    school_id: int
    school_name: str
    school_uai: str
    commune_name: str
    broken: int
    unused: int
    to_collect: int  # plannable into a collection round
    to_repair: int  # plannable into a repair visit
    to_decide: int  # broken, staff have not chosen repair or recycling yet
    missing: int  # not there on an earlier round's day
    flagged_at: datetime
    age_days: int
    weekdays: frozenset[int]
    hours: str | None
    in_holidays: bool

    def plannable(self, kind: RoundKind) -> int:
        return self.to_collect if kind is RoundKind.COLLECTION else self.to_repair


@dataclass(frozen=True)
class PendingBody:
    body_id: int
    body_name: str
    schools: tuple[PendingSchool, ...]


@dataclass(frozen=True)
class Proposal:
    kind: RoundKind
    day: date
    in_holidays: bool
    schools: tuple[str, ...]
    weekdays: frozenset[int]  # the weekdays the schools share (empty: none to follow)


@dataclass(frozen=True)
class StopView:
    id: int
    collection_id: int
    number: str
    school_id: int
    school_name: str
    school_uai: str
    place: str
    hours: str | None
    items: tuple[CollectionItemView, ...]  # the items of this round at this school
    other_date_asked_at: datetime | None
    other_date_note: str | None

    @property
    def planned(self) -> tuple[CollectionItemView, ...]:
        return tuple(i for i in self.items if i.status is ItemStatus.PLANNED)

    @property
    def marked(self) -> bool:
        """Nothing of this round waits here any more (collected, missing, repaired)."""
        return not self.planned


@dataclass(frozen=True)
class RoundView:
    id: int
    kind: RoundKind
    day: date
    in_holidays: bool
    state: str
    note: str | None
    receipt_ref: str | None
    stops: tuple[StopView, ...]

    @property
    def to_recycle(self) -> tuple[CollectionItemView, ...]:
        """Broken items taken away and not at the recycling centre yet."""
        return tuple(
            i
            for s in self.stops
            for i in s.items
            if i.status is ItemStatus.COLLECTED and i.equipment_state == ItemState.COLLECTED
        )


@dataclass(frozen=True)
class Planned:
    round: RoundView
    outside_holidays: bool  # allowed, but staff were warned


# --------------------------------------------------------------------------- helpers


async def _staff(uow: UnitOfWork, staff_id: int) -> Person:
    person = await access.person(uow, staff_id)
    require(person.role, Action.MANAGE_EQUIPMENT)
    return person


def _today(now: datetime) -> date:
    return local_date(now, PARIS)


def _text(value: str | None, *, limit: int, error: str, required: bool = False) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise DomainError(f"round.error.{error}_required")
        return None
    if units(cleaned) > limit:
        raise DomainError(f"round.error.{error}_too_long", max=limit)
    return cleaned


def stop_prefix(collection_id: int, round_id: int) -> str:
    """The reminders of one school's stop: under its collection's prefix, so that closing
    the ticket cancels them too."""
    return f"{collections.reminder_prefix(collection_id)}:round:{round_id}"


async def load_round(uow: UnitOfWork, round_id: int) -> CollectionRound:
    found = await uow.session.scalar(
        select(CollectionRound)
        .where(CollectionRound.id == round_id)
        .options(selectinload(CollectionRound.stops))
    )
    if found is None:
        raise DomainError("round.error.not_found")
    return found


async def _collections_of(uow: UnitOfWork, ids: Iterable[int]) -> list[Collection]:
    return [await collections.load(uow, i) for i in ids]


def _round_items(collection: Collection, round_id: int) -> list[CollectionItem]:
    return [i for i in collection.items if i.round_id == round_id]


async def round_view(uow: UnitOfWork, round_: CollectionRound) -> RoundView:
    stops: list[StopView] = []
    for stop in round_.stops:
        collection = await collections.load(uow, stop.collection_id)
        school = collection.ticket.school
        assert school is not None
        stops.append(
            StopView(
                id=stop.id,
                collection_id=collection.ticket_id,
                number=collection.ticket.number,
                school_id=school.id,
                school_name=school.name,
                school_uai=school.uai,
                place=collection.place,
                hours=collection.hours,
                items=tuple(item_view(i) for i in _round_items(collection, round_.id)),
                other_date_asked_at=stop.other_date_asked_at,
                other_date_note=stop.other_date_note,
            )
        )
    return RoundView(
        id=round_.id,
        kind=RoundKind(round_.kind),
        day=round_.day,
        in_holidays=round_.in_holidays,
        state=round_.state,
        note=round_.note,
        receipt_ref=round_.receipt_ref,
        stops=tuple(stops),
    )


async def _fresh_view(uow: UnitOfWork, round_id: int) -> RoundView:
    uow.session.expire_all()
    return await round_view(uow, await load_round(uow, round_id))


def _audit_all(
    uow: UnitOfWork,
    found: Iterable[Collection],
    actor: Person,
    action: str,
    now: datetime,
    **details: object,
) -> None:
    for collection in found:
        collections.audit(uow, collection.ticket, actor, action, now, **details)


async def _plan_reminders(
    uow: UnitOfWork, round_: CollectionRound, stop: RoundStop, now: datetime
) -> None:
    key = f"stop:{stop.id}:{now.strftime('%Y%m%d%H%M%S')}"
    await reminders.plan(
        uow,
        rules.plan_round_reminders(round_.day, CALENDAR, now, key=key),
        key_prefix=stop_prefix(stop.collection_id, round_.id),
        now=now,
        ticket_id=stop.collection_id,
        payload={"round_id": round_.id, "stop_id": stop.id, "day": round_.day.isoformat()},
    )


async def _finish_if_done(uow: UnitOfWork, round_: CollectionRound, now: datetime) -> None:
    """A round is done when nothing of it waits at any of its stops."""
    waiting = await uow.session.scalar(
        select(CollectionItem.id).where(
            CollectionItem.round_id == round_.id,
            CollectionItem.status == ItemStatus.PLANNED.value,
        )
    )
    if waiting is None and round_.state == ROUND_PLANNED:
        round_.state = ROUND_DONE
        round_.done_at = now


# --------------------------------------------------------------------------- the list


async def pending(db: Database, staff_id: int, now: datetime) -> list[PendingBody]:
    """Flaggings with SEM's items still to plan (open, or missing on an earlier day), by
    body and school, with their counts and age. One query for every school."""
    async with db.uow() as uow:
        await _staff(uow, staff_id)
        rows = (
            await uow.session.execute(
                select(
                    CollectionItem.condition,
                    CollectionItem.decision,
                    CollectionItem.route,
                    CollectionItem.status,
                    Ticket.id,
                    Ticket.number,
                    Ticket.created_at,
                    School.id,
                    School.name,
                    School.uai,
                    Commune.name,
                    ResponsibleBody.id,
                    ResponsibleBody.name,
                    Collection.weekdays,
                    Collection.hours,
                    Collection.in_holidays,
                )
                .join(Collection, Collection.ticket_id == CollectionItem.collection_id)
                .join(Ticket, Ticket.id == Collection.ticket_id)
                .join(School, School.id == Ticket.school_id)
                .join(Commune, Commune.id == School.commune_id)
                .join(ResponsibleBody, ResponsibleBody.id == Ticket.body_id)
                .where(
                    CollectionItem.route == Route.SEM_COLLECTS.value,
                    CollectionItem.status.in_(WAITING),
                    Ticket.closed_at.is_(None),
                )
                .order_by(ResponsibleBody.name, School.name, Ticket.id)
            )
        ).all()
    today = _today(now)
    schools: dict[int, dict[str, object]] = {}
    bodies: dict[int, tuple[str, list[int]]] = {}
    for row in rows:
        (condition, decision, route, status, tid, number, created, sid, sname, uai) = row[:10]
        (commune, bid, bname, weekdays, hours, holidays) = row[10:]
        entry = schools.get(tid)
        if entry is None:
            entry = schools[tid] = {
                "head": (number, sid, sname, uai, commune, created, weekdays, hours, holidays),
                "broken": 0,
                "unused": 0,
                "collect": 0,
                "repair": 0,
                "decide": 0,
                "missing": 0,
            }
            bodies.setdefault(bid, (bname, []))[1].append(tid)

        def add(name: str, entry: dict[str, object] = entry) -> None:
            value = entry[name]
            assert isinstance(value, int)
            entry[name] = value + 1

        add("broken" if condition == Condition.BROKEN else "unused")
        if rules.plannable(condition, route, decision, RoundKind.COLLECTION):
            add("collect")
        if rules.plannable(condition, route, decision, RoundKind.REPAIR):
            add("repair")
        if rules.needs_decision(condition, route, decision):
            add("decide")
        if status == ItemStatus.MISSING:
            add("missing")
    found: list[PendingBody] = []
    for bid, (bname, ids) in bodies.items():
        listed: list[PendingSchool] = []
        for tid in ids:
            entry = schools[tid]
            head = entry["head"]
            assert isinstance(head, tuple)
            number, sid, sname, uai, commune, created, weekdays, hours, holidays = head
            counts = {k: v for k, v in entry.items() if isinstance(v, int)}
            listed.append(
                PendingSchool(
                    collection_id=tid,
                    number=number,
                    school_id=sid,
                    school_name=sname,
                    school_uai=uai,
                    commune_name=commune,
                    broken=counts["broken"],
                    unused=counts["unused"],
                    to_collect=counts["collect"],
                    to_repair=counts["repair"],
                    to_decide=counts["decide"],
                    missing=counts["missing"],
                    flagged_at=created,
                    age_days=max((today - local_date(created, PARIS)).days, 0),
                    weekdays=rules.parse_weekdays(weekdays),
                    hours=hours,
                    in_holidays=bool(holidays),
                )
            )
        found.append(PendingBody(bid, bname, tuple(listed)))
    return found


def _plannable_items(collection: Collection, kind: RoundKind) -> list[CollectionItem]:
    return [
        i
        for i in collection.items
        if i.status in WAITING and rules.plannable(i.condition, i.route, i.decision, kind)
    ]


async def _checked_collections(
    uow: UnitOfWork, collection_ids: Sequence[int], kind: RoundKind
) -> list[Collection]:
    ids = list(dict.fromkeys(collection_ids))
    if not ids:
        raise DomainError("round.error.no_school")
    found = await _collections_of(uow, ids)
    for collection in found:
        if collection.ticket.closed_at is not None or not _plannable_items(collection, kind):
            school = collection.ticket.school
            raise DomainError(
                f"round.error.nothing_to_plan_{kind.value}",
                school=school.name if school else collection.ticket.number,
            )
    return found


# --------------------------------------------------------------------------- planning


async def propose(
    db: Database,
    staff_id: int,
    collection_ids: Sequence[int],
    kind: RoundKind | str,
    now: datetime,
) -> Proposal:
    """The day proposed for a round at these schools: from tomorrow (Paris), the first
    working day in the zone A school holidays, on a weekday every school can (those that
    said none, or only « pendant les vacances », limit nothing); the first working day
    when no holiday is near, said so."""
    round_kind = RoundKind(kind)
    async with db.uow() as uow:
        await _staff(uow, staff_id)
        found = await _checked_collections(uow, collection_ids, round_kind)
        wishes = [rules.parse_weekdays(c.weekdays) for c in found]
        proposed = propose_day(_today(now), CALENDAR, wishes)
        return Proposal(
            kind=round_kind,
            day=proposed.day,
            in_holidays=proposed.in_school_holidays,
            schools=tuple(c.ticket.school.name for c in found if c.ticket.school),
            weekdays=shared_weekdays(wishes),
        )


def check_day(day: date, now: datetime) -> bool:
    """A day staff typed: refused in words when it cannot be a round's; True when it is
    inside the school holidays (else staff are warned)."""
    return check_round_day(day, _today(now), CALENDAR).in_school_holidays


async def plan_round(
    db: Database,
    staff_id: int,
    collection_ids: Sequence[int],
    kind: RoundKind | str,
    day: date,
    now: datetime,
    note: str | None = None,
) -> Planned:
    """Plan a round on ``day`` at these schools: their plannable items go into it (for a
    collection, the equipment is then awaiting collection; a repair visit leaves it out
    of order), each school's reminders are planned, each ticket settled."""
    round_kind = RoundKind(kind)
    checked = check_round_day(day, _today(now), CALENDAR)
    cleaned = _text(note, limit=rules.MAX_NOTE, error="note")
    async with db.uow() as uow:
        person = await _staff(uow, staff_id)
        found = await _checked_collections(uow, collection_ids, round_kind)
        round_ = CollectionRound(
            kind=round_kind.value,
            day=checked.day,
            in_holidays=checked.in_school_holidays,
            state=ROUND_PLANNED,
            note=cleaned,
            created_by_id=person.id,
            created_at=now,
        )
        uow.session.add(round_)
        await uow.session.flush()
        for collection in found:
            stop = RoundStop(round_id=round_.id, collection_id=collection.ticket_id)
            uow.session.add(stop)
            await uow.session.flush()
            items = _plannable_items(collection, round_kind)
            for item in items:
                item.status = ItemStatus.PLANNED.value
                item.round = round_
                if (
                    round_kind is RoundKind.COLLECTION
                    and item.equipment.state != ItemState.AWAITING_COLLECTION
                ):
                    await equipment_moves.move(
                        uow,
                        item.equipment,
                        ItemState.AWAITING_COLLECTION,
                        actor=person,
                        now=now,
                        ticket_id=collection.ticket_id,
                        note=f"round {round_.id}",
                    )
            await _plan_reminders(uow, round_, stop, now)
            collections.audit(
                uow,
                collection.ticket,
                person,
                "collection.round_planned",
                now,
                round=round_.id,
                kind=round_kind.value,
                day=checked.day.isoformat(),
                items=len(items),
            )
            await collections.settle(uow, collection, person, now)
        await uow.commit()
        view = await _fresh_view(uow, round_.id)
    return Planned(view, outside_holidays=not checked.in_school_holidays)


async def planned_rounds(db: Database, staff_id: int) -> list[RoundView]:
    """The rounds still open, nearest first: planned, or done with broken items taken away
    and waiting for the recycling receipt."""
    awaiting_receipt = (
        select(CollectionItem.round_id)
        .join(Equipment, Equipment.id == CollectionItem.equipment_id)
        .where(
            CollectionItem.status == ItemStatus.COLLECTED.value,
            Equipment.state == ItemState.COLLECTED.value,
            CollectionItem.round_id.is_not(None),
        )
    )
    async with db.uow() as uow:
        await _staff(uow, staff_id)
        found = (
            await uow.session.scalars(
                select(CollectionRound)
                .where(
                    or_(
                        CollectionRound.state == ROUND_PLANNED,
                        and_(
                            CollectionRound.state == ROUND_DONE,
                            CollectionRound.id.in_(awaiting_receipt),
                        ),
                    )
                )
                .options(selectinload(CollectionRound.stops))
                .order_by(CollectionRound.day, CollectionRound.id)
            )
        ).all()
        return [await round_view(uow, r) for r in found]


async def round_detail(db: Database, staff_id: int, round_id: int) -> RoundView:
    async with db.uow() as uow:
        await _staff(uow, staff_id)
        return await round_view(uow, await load_round(uow, round_id))


def _planned_round(round_: CollectionRound) -> None:
    if round_.state != ROUND_PLANNED:
        raise DomainError(f"round.error.already_{round_.state}")


async def move_round(
    db: Database, staff_id: int, round_id: int, day: date, now: datetime
) -> Planned:
    """Another day for a planned round: the schools' reminders planned again for it."""
    checked = check_round_day(day, _today(now), CALENDAR)
    async with db.uow() as uow:
        person = await _staff(uow, staff_id)
        round_ = await load_round(uow, round_id)
        _planned_round(round_)
        if round_.day == checked.day:
            raise DomainError("round.error.same_day", day=checked.day)
        before = round_.day
        round_.day = checked.day
        round_.in_holidays = checked.in_school_holidays
        found = await _collections_of(uow, [s.collection_id for s in round_.stops])
        for stop, collection in zip(round_.stops, found, strict=True):
            await reminders.cancel(
                uow, key_prefix=stop_prefix(stop.collection_id, round_.id), now=now
            )
            stop.other_date_asked_at = None
            stop.other_date_note = None
            await _plan_reminders(uow, round_, stop, now)
            collections.audit(
                uow,
                collection.ticket,
                person,
                "collection.round_moved",
                now,
                round=round_.id,
                kind=round_.kind,
                day=checked.day.isoformat(),
                before=before.isoformat(),
            )
            await uow.session.flush()
            await collections.settle(uow, collection, person, now)
        await uow.commit()
        view = await _fresh_view(uow, round_id)
    return Planned(view, outside_holidays=not checked.in_school_holidays)


async def cancel_round(db: Database, staff_id: int, round_id: int, now: datetime) -> RoundView:
    """A planned round called off: its items not yet handled go back as they were flagged
    (open, the equipment unused or out of order), its reminders are cancelled."""
    async with db.uow() as uow:
        person = await _staff(uow, staff_id)
        round_ = await load_round(uow, round_id)
        _planned_round(round_)
        found = await _collections_of(uow, [s.collection_id for s in round_.stops])
        round_.state = ROUND_CANCELLED
        for stop, collection in zip(round_.stops, found, strict=True):
            back = 0
            for item in _round_items(collection, round_.id):
                if item.status != ItemStatus.PLANNED:
                    continue
                item.status = ItemStatus.OPEN.value
                item.round = None
                back += 1
                if item.equipment.state == ItemState.AWAITING_COLLECTION:
                    await equipment_moves.move(
                        uow,
                        item.equipment,
                        rules.flagged_state(item.condition),
                        actor=person,
                        now=now,
                        ticket_id=collection.ticket_id,
                        note=f"round {round_.id} cancelled",
                    )
            await reminders.cancel(
                uow, key_prefix=stop_prefix(stop.collection_id, round_.id), now=now
            )
            collections.audit(
                uow,
                collection.ticket,
                person,
                "collection.round_cancelled",
                now,
                round=round_.id,
                kind=round_.kind,
                day=round_.day.isoformat(),
                items=back,
            )
            await uow.session.flush()
            await collections.settle(uow, collection, person, now)
        await uow.commit()
        return await _fresh_view(uow, round_id)


# --------------------------------------------------------------------------- on the day


def _stop_of(round_: CollectionRound, collection_id: int) -> RoundStop:
    stop = next((s for s in round_.stops if s.collection_id == collection_id), None)
    if stop is None:
        raise DomainError("round.error.school_not_in_round")
    return stop


async def mark_collected(
    db: Database,
    staff_id: int,
    round_id: int,
    collection_id: int,
    missing: Mapping[int, str | None],
    now: datetime,
) -> RoundView:
    """The day's collection at one school: every planned item collected but the ones
    ``missing`` names (each with a note), which stay open for a later round. Collected
    broken items wait for the recycling receipt; unused ones go into SEM's stock."""
    async with db.uow() as uow:
        person = await _staff(uow, staff_id)
        round_ = await load_round(uow, round_id)
        _planned_round(round_)
        if round_.kind != RoundKind.COLLECTION:
            raise DomainError("round.error.not_a_collection")
        _stop_of(round_, collection_id)
        collection = await collections.load(uow, collection_id)
        planned = [i for i in _round_items(collection, round_.id) if i.status == ItemStatus.PLANNED]
        if not planned:
            raise DomainError("round.error.stop_done")
        ids = {i.id for i in planned}
        if set(missing) - ids:
            raise DomainError("round.error.item_not_in_round")
        notes = {k: _text(v, limit=rules.MAX_NOTE, error="note") for k, v in missing.items()}
        collected: list[str] = []
        absent: list[str] = []
        for item in planned:
            tag = item.equipment.asset_tag
            if item.id in notes:
                item.status = ItemStatus.MISSING.value
                item.missing_note = notes[item.id]
                absent.append(tag)
                continue
            await equipment_moves.move(
                uow,
                item.equipment,
                ItemState.COLLECTED,
                actor=person,
                now=now,
                ticket_id=collection_id,
                note=f"round {round_.id}",
            )
            after = rules.after_collection(item.condition)
            if after is not ItemState.COLLECTED:
                await equipment_moves.move(
                    uow,
                    item.equipment,
                    after,
                    actor=person,
                    now=now,
                    ticket_id=collection_id,
                    note="SEM's stock",
                )
            item.status = ItemStatus.COLLECTED.value
            item.done_at = now
            item.done_by_id = person.id
            collected.append(tag)
        collections.audit(
            uow,
            collection.ticket,
            person,
            "collection.round_collected",
            now,
            round=round_.id,
            collected=len(collected),
            missing=len(absent),
            tags=collected,
            **({"missing_tags": absent} if absent else {}),
        )
        await uow.session.flush()
        await _finish_if_done(uow, round_, now)
        await collections.settle(uow, collection, person, now)
        await uow.commit()
        return await _fresh_view(uow, round_id)


async def record_recycling(
    db: Database, staff_id: int, round_id: int, receipt_ref: str, now: datetime
) -> RoundView:
    """The recycling centre's receipt for the broken items this round took away: they
    become ``recycled``, the receipt kept in their history and on each item."""
    ref = _text(receipt_ref, limit=rules.MAX_REFERENCE, error="receipt", required=True)
    async with db.uow() as uow:
        person = await _staff(uow, staff_id)
        round_ = await load_round(uow, round_id)
        if round_.state == ROUND_CANCELLED:
            raise DomainError("round.error.already_cancelled")
        found = await _collections_of(uow, [s.collection_id for s in round_.stops])
        done = 0
        for collection in found:
            tags: list[str] = []
            for item in _round_items(collection, round_.id):
                if (
                    item.status != ItemStatus.COLLECTED
                    or item.equipment.state != ItemState.COLLECTED
                ):
                    continue
                await equipment_moves.move(
                    uow,
                    item.equipment,
                    ItemState.RECYCLED,
                    actor=person,
                    now=now,
                    ticket_id=collection.ticket_id,
                    reference=ref,
                    note=f"round {round_.id}",
                )
                item.receipt_ref = ref
                tags.append(item.equipment.asset_tag)
            if tags:
                done += len(tags)
                collections.audit(
                    uow,
                    collection.ticket,
                    person,
                    "collection.recycled",
                    now,
                    round=round_.id,
                    reference=ref,
                    tags=tags,
                )
                await collections.settle(uow, collection, person, now)
        if not done:
            raise DomainError("round.error.nothing_to_recycle")
        round_.receipt_ref = ref
        await uow.commit()
        return await _fresh_view(uow, round_id)


async def record_repair(
    db: Database,
    staff_id: int,
    item_id: int,
    repaired: bool,
    now: datetime,
    note: str | None = None,
) -> RoundView:
    """A repair visit's outcome for one item: repaired, back in service; or beyond
    repair, taken away (collected, to recycle with the round's receipt)."""
    cleaned = _text(note, limit=rules.MAX_NOTE, error="note")
    async with db.uow() as uow:
        person = await _staff(uow, staff_id)
        item = await uow.session.get(CollectionItem, item_id)
        if item is None or item.round_id is None or item.status != ItemStatus.PLANNED:
            raise DomainError("round.error.item_not_in_round")
        round_ = await load_round(uow, item.round_id)
        _planned_round(round_)
        if round_.kind != RoundKind.REPAIR:
            raise DomainError("round.error.not_a_repair")
        collection = await collections.load(uow, item.collection_id)
        item = next(i for i in collection.items if i.id == item_id)
        if repaired:
            await equipment_moves.move(
                uow,
                item.equipment,
                ItemState.IN_SERVICE,
                actor=person,
                now=now,
                ticket_id=collection.ticket_id,
                note=cleaned or "repaired",
            )
            item.status = ItemStatus.REPAIRED.value
        else:
            await equipment_moves.move(
                uow,
                item.equipment,
                ItemState.COLLECTED,
                actor=person,
                now=now,
                ticket_id=collection.ticket_id,
                note=cleaned or "beyond repair, taken away",
            )
            item.decision = Decision.RECYCLE.value
            item.status = ItemStatus.COLLECTED.value
        item.done_at = now
        item.done_by_id = person.id
        collections.audit(
            uow,
            collection.ticket,
            person,
            "collection.repaired" if repaired else "collection.beyond_repair",
            now,
            round=round_.id,
            tag=item.equipment.asset_tag,
            **({"note": cleaned} if cleaned else {}),
        )
        await uow.session.flush()
        await _finish_if_done(uow, round_, now)
        await collections.settle(uow, collection, person, now)
        await uow.commit()
        return await _fresh_view(uow, round_.id)


# --------------------------------------------------------------------------- the school


@dataclass(frozen=True)
class OtherDateAsked:
    round: RoundView
    stop: StopView
    asked_by: str


async def _stop_for_school(
    uow: UnitOfWork, person: Person, stop_id: int
) -> tuple[RoundStop, Collection]:
    """The stop, if this person is its flagging's reporter or a head of its school;
    else not found (stops of other schools cannot be probed)."""
    stop = await uow.session.get(RoundStop, stop_id)
    if stop is None:
        raise DomainError("round.error.stop_not_found")
    collection = await collections.load(uow, stop.collection_id)
    ticket = collection.ticket
    is_head = person.role == Role.DIRECTOR and person.school_id == ticket.school_id
    if not (person.active and (ticket.reporter_id == person.id or is_head)):
        raise DomainError("round.error.stop_not_found")
    return stop, collection


async def other_date_target(
    db: Database, person_id: int, stop_id: int
) -> tuple[RoundView, StopView]:
    """The stop a school asks another date for (checked before the note is asked)."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        stop, _ = await _stop_for_school(uow, person, stop_id)
        round_ = await load_round(uow, stop.round_id)
        _planned_round(round_)
        view = await round_view(uow, round_)
        return view, next(s for s in view.stops if s.id == stop_id)


async def ask_other_date(
    db: Database, person_id: int, stop_id: int, note: str, now: datetime
) -> OtherDateAsked:
    """A school asks for another date: its note kept on the stop, staff told."""
    cleaned = _text(note, limit=MAX_OTHER_DATE_NOTE, error="other_note", required=True)
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        stop, collection = await _stop_for_school(uow, person, stop_id)
        round_ = await load_round(uow, stop.round_id)
        _planned_round(round_)
        stop.other_date_asked_at = now
        stop.other_date_note = cleaned
        collections.audit(
            uow,
            collection.ticket,
            person,
            "collection.other_date_asked",
            now,
            round=round_.id,
            day=round_.day.isoformat(),
            note=cleaned or "",
        )
        name = person.full_name
        await uow.commit()
        view = await _fresh_view(uow, round_.id)
    return OtherDateAsked(view, next(s for s in view.stops if s.id == stop_id), name)


async def school_people(uow: UnitOfWork, collection: Collection) -> list[Person]:
    """Who hears of a round at a school: the flagging's reporter and the school's heads."""
    ticket = collection.ticket
    heads = (
        await uow.session.scalars(
            select(Person).where(
                Person.school_id == ticket.school_id,
                Person.role == Role.DIRECTOR.value,
                Person.active.is_(True),
            )
        )
    ).all()
    people = [ticket.reporter, *heads]
    return list({p.id: p for p in people}.values())


__all__ = [
    "CALENDAR",
    "CollectionRound",
    "OtherDateAsked",
    "PendingBody",
    "PendingSchool",
    "Planned",
    "Proposal",
    "RoundView",
    "StopView",
    "ask_other_date",
    "cancel_round",
    "check_day",
    "load_round",
    "mark_collected",
    "move_round",
    "other_date_target",
    "pending",
    "plan_round",
    "planned_rounds",
    "propose",
    "record_recycling",
    "record_repair",
    "round_detail",
    "round_view",
    "school_people",
]
