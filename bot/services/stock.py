"""SEM's stock of reusable equipment and its reassignment to other schools (art. 1:
« réattribuer le matériel non utilisé »; DOMAIN.md section 2).

Items collected unused come into the stock (``in_stock``, still at the school they came
from). Staff send one to another school (:func:`reassign`): the item moves at once to the
receiving school (``reassigned``), so its inventory and its responsible body follow; the
school's head confirms reception (:func:`confirm_reception`), which puts the item back in
service with the reception day as its installation day, so that the body's yearly list of
installed equipment (``reports.new_equipment_for_body``, by ``installed_on``) includes it.
Before reception staff may cancel (:func:`cancel_reassignment`): back in stock at the
school it came from. Every change of the item goes through ``equipment_moves.move``.

The stock's summary is aggregated by the database (``GROUP BY`` type) and its items come
in pages, so the list costs the same with 100,000 items in stock as with ten. The readings
(which schools « asked ») are in ``bot.domain.stock`` (decision 0032). Messenger-neutral:
the use cases that tell people return :class:`~bot.services.delivery.Outgoing` messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, selectinload

from bot.domain import stock as rules
from bot.domain.collections import ItemState
from bot.domain.dates import PARIS, local_date
from bot.domain.directory import normalize_asset_tag, normalize_uai
from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role, require
from bot.domain.stock import Asked, CandidateFacts, ReassignmentState
from bot.i18n import I18n
from bot.services import access, audiences, equipment_moves
from bot.services.audiences import Recipient, StaffRoom
from bot.services.delivery import Outgoing, actions
from storage.models import (
    Claim,
    ClaimItem,
    Equipment,
    Person,
    Reassignment,
    School,
    SecurityHold,
    Ticket,
    TicketMessage,
)
from storage.uow import Database, UnitOfWork

SEM_OWNER = "sem"
IN_STOCK = ItemState.IN_STOCK.value

# The action ids of the buttons (the front ends turn them into callback data).
PICK = "stk:pick:{}"  # staff: reassign this item (equipment id)
RECEIVED = "stk:recv:{}"  # the receiving head: « ✅ Reçu » (reassignment id)
UNDO = "stk:undo:{}"  # staff: cancel the reassignment before reception


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class TypeCount:
    """One type of equipment in stock: how many, and the ages of the oldest and the
    youngest (full years since acquisition; None when no item of it is dated)."""

    type: str
    count: int
    oldest: int | None
    youngest: int | None
    undated: int = 0


@dataclass(frozen=True)
class StockItem:
    equipment_id: int
    asset_tag: str
    type: str
    model: str
    age: int | None  # full years since acquisition; None: not known
    school_name: str  # the school it came from
    school_uai: str


@dataclass(frozen=True)
class SentItem:
    """An item on its way to a school, not received yet."""

    reassignment_id: int
    asset_tag: str
    type: str
    to_school_name: str
    to_school_uai: str
    sent_at: datetime


@dataclass(frozen=True)
class StockView:
    types: tuple[TypeCount, ...]
    total: int
    page: int  # from 0
    pages: int
    items: tuple[StockItem, ...]
    sent: tuple[SentItem, ...] = ()  # the oldest ones on their way (first page only)
    sent_total: int = 0


@dataclass(frozen=True)
class Candidate:
    school_id: int
    name: str
    uai: str
    commune_name: str
    asked: frozenset[Asked] = frozenset()
    held: bool = False  # an open security hold (art. 6): staff are warned, not refused


@dataclass(frozen=True)
class Offer:
    item: StockItem
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class ReassignPreview:
    """What the confirmation names before anything is written."""

    item: StockItem
    to: Candidate


@dataclass(frozen=True)
class ReassignmentView:
    id: int
    equipment_id: int
    asset_tag: str
    type: str
    model: str
    from_school_name: str
    from_school_uai: str
    to_school_id: int
    to_school_name: str
    to_school_uai: str
    state: ReassignmentState
    created_at: datetime
    created_by: str | None
    received_at: datetime | None = None
    received_by: str | None = None
    installed_on: date | None = None


@dataclass(frozen=True)
class Outcome:
    """A reassignment after a use case, what is owed to others, and whether nothing
    changed (``already``: received or cancelled before, a second tap)."""

    view: ReassignmentView
    messages: tuple[Outgoing, ...] = ()
    already: bool = False
    heads_told: int = 0
    staff_told: int = 0


# --------------------------------------------------------------------------- helpers


async def _staff(uow: UnitOfWork, person_id: int) -> Person:
    person = await access.person(uow, person_id)
    require(person.role, Action.MANAGE_EQUIPMENT)
    return person


def _tag(typed: str) -> str:
    try:
        return normalize_asset_tag(typed)
    except DomainError as error:
        raise DomainError("stock.error.tag", value=(typed or "").strip()[:40]) from error


def _uai(typed: str) -> str:
    try:
        return normalize_uai(typed)
    except DomainError as error:
        raise DomainError("stock.error.uai", value=(typed or "").strip()[:40]) from error


def _stock_item(equipment: Equipment, school: School, today: date) -> StockItem:
    return StockItem(
        equipment_id=equipment.id,
        asset_tag=equipment.asset_tag,
        type=equipment.type,
        model=equipment.model,
        age=rules.age_years(equipment.acquired_on, today),
        school_name=school.name,
        school_uai=school.uai,
    )


def _in_stock(equipment: Equipment | None, tag: str) -> Equipment:
    if equipment is None:
        raise DomainError("stock.error.unknown_tag", tag=tag)
    if equipment.state != IN_STOCK or equipment.owner != SEM_OWNER:
        raise DomainError(
            "stock.error.not_in_stock", tag=equipment.asset_tag, state=equipment.state
        )
    return equipment


async def _school(uow: UnitOfWork, school_id: int) -> School:
    school = await uow.directory.school(school_id)
    if school is None:
        raise DomainError("stock.error.unknown_school", uai="?")
    return school


async def _asked(uow: UnitOfWork, type_: str, now: datetime) -> dict[int, set[Asked]]:
    """The schools that asked for equipment (decision 0032), by the reason why."""
    found: dict[int, set[Asked]] = {}
    claimed = await uow.session.scalars(
        select(Ticket.school_id)
        .select_from(ClaimItem)
        .join(Claim, Claim.ticket_id == ClaimItem.claim_id)
        .join(Ticket, Ticket.id == Claim.ticket_id)
        .join(Equipment, Equipment.id == ClaimItem.equipment_id)
        .where(
            Ticket.kind == "claim",
            Ticket.closed_at.is_(None),
            Ticket.school_id.is_not(None),
            Claim.kind.in_(sorted(rules.NEED_CLAIM_KINDS)),
            Equipment.type == type_,
            ClaimItem.replacement_installed_on.is_(None),
            ClaimItem.replacement_equipment_id.is_(None),
            ClaimItem.recovered_at.is_(None),
        )
        .distinct()
    )
    for school_id in claimed:
        if school_id is not None:
            found.setdefault(school_id, set()).add(Asked.CLAIM)
    body = func.lower(TicketMessage.body)
    written = await uow.session.scalars(
        select(Ticket.school_id)
        .select_from(TicketMessage)
        .join(Ticket, Ticket.id == TicketMessage.ticket_id)
        .join(Person, Person.id == TicketMessage.author_id)
        .where(
            Ticket.kind.in_(sorted(rules.NEED_TICKET_KINDS)),
            Ticket.school_id.is_not(None),
            TicketMessage.visibility == "public",
            # The school's people, not staff asking whether something is needed.
            Person.role != Role.STAFF.value,
            TicketMessage.created_at >= now - rules.NEED_WINDOW,
            or_(*(body.like(f"%{word}%") for word in rules.NEED_WORDS)),
        )
        .distinct()
    )
    for school_id in written:
        if school_id is not None:
            found.setdefault(school_id, set()).add(Asked.MESSAGE)
    return found


async def _held(uow: UnitOfWork, school_ids: Sequence[int]) -> set[int]:
    if not school_ids:
        return set()
    rows = await uow.session.scalars(
        select(SecurityHold.school_id).where(
            SecurityHold.school_id.in_(list(school_ids)), SecurityHold.lifted_at.is_(None)
        )
    )
    return set(rows)


def _candidate(school: School, asked: set[Asked] | None, held: set[int]) -> Candidate:
    return Candidate(
        school_id=school.id,
        name=school.name,
        uai=school.uai,
        commune_name=school.commune.name,
        asked=frozenset(asked or ()),
        held=school.id in held,
    )


async def _name(uow: UnitOfWork, person_id: int | None) -> str | None:
    if person_id is None:
        return None
    person = await uow.session.get(Person, person_id)
    return person.full_name if person is not None else None


async def _view(uow: UnitOfWork, row: Reassignment) -> ReassignmentView:
    equipment = await uow.session.get(Equipment, row.equipment_id)
    origin = await _school(uow, row.from_school_id)
    target = await _school(uow, row.to_school_id)
    assert equipment is not None
    return ReassignmentView(
        id=row.id,
        equipment_id=equipment.id,
        asset_tag=equipment.asset_tag,
        type=equipment.type,
        model=equipment.model,
        from_school_name=origin.name,
        from_school_uai=origin.uai,
        to_school_id=target.id,
        to_school_name=target.name,
        to_school_uai=target.uai,
        state=ReassignmentState(row.state),
        created_at=row.created_at,
        created_by=await _name(uow, row.created_by_id),
        received_at=row.received_at,
        received_by=await _name(uow, row.received_by_id),
        installed_on=equipment.installed_on,
    )


async def _heads(uow: UnitOfWork, school_id: int) -> tuple[Recipient, ...]:
    """The receiving school's heads (its directors) who can be written to."""
    people = await uow.session.scalars(
        select(Person)
        .where(
            Person.school_id == school_id,
            Person.role == Role.DIRECTOR.value,
            Person.active.is_(True),
        )
        .order_by(Person.id)
    )
    return audiences.recipients(people.all())


async def _staff_besides(uow: UnitOfWork, room: StaffRoom, actor_id: int) -> tuple[Recipient, ...]:
    """The staff's copy: their group, or each other staff member in private."""
    return tuple(r for r in await audiences.staff(uow, room) if r.person_id != actor_id)


def _words(i18n: I18n, lang: str, view: ReassignmentView) -> dict[str, str]:
    return {
        "tag": view.asset_tag,
        "type": i18n.equipment_type(lang, view.type),
        "model": view.model,
        "school": view.to_school_name,
        "uai": view.to_school_uai,
        "from_school": view.from_school_name,
        "from_uai": view.from_school_uai,
    }


def _to(
    i18n: I18n,
    recipients: Sequence[Recipient],
    key: str,
    view: ReassignmentView,
    button: tuple[str, str] | None = None,
    **params: str,
) -> list[Outgoing]:
    out: list[Outgoing] = []
    for r in recipients:
        rows = [[(i18n.t(r.language, button[0]), button[1])]] if button else []
        text = i18n.t(r.language, key, **_words(i18n, r.language, view), **params)
        out.append(Outgoing(r.chat_id, text, actions(rows), None, r.platform))
    return out


# --------------------------------------------------------------------------- the stock


async def stock(db: Database, staff_id: int, now: datetime, page: int = 0) -> StockView:
    """Staff: SEM's reusable items in stock, counted by type (with the ages of the oldest
    and the youngest), a page of the items, and the first items on their way."""
    today = local_date(now, PARIS)
    where = (Equipment.state == IN_STOCK, Equipment.owner == SEM_OWNER)
    async with db.uow() as uow:
        await _staff(uow, staff_id)
        grouped = (
            await uow.session.execute(
                select(
                    Equipment.type,
                    func.count(Equipment.id),
                    func.min(Equipment.acquired_on),
                    func.max(Equipment.acquired_on),
                    func.count(Equipment.acquired_on),
                )
                .where(*where)
                .group_by(Equipment.type)
                .order_by(func.count(Equipment.id).desc(), Equipment.type)
            )
        ).all()
        types = tuple(
            TypeCount(
                type=kind,
                count=int(count),
                oldest=rules.age_years(first, today),
                youngest=rules.age_years(last, today),
                undated=int(count) - int(dated),
            )
            for kind, count, first, last, dated in grouped
        )
        total = sum(t.count for t in types)
        pages = max(1, -(-total // rules.PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        rows = (
            await uow.session.execute(
                select(Equipment, School)
                .join(School, School.id == Equipment.school_id)
                .where(*where)
                # In the inventory's order: the index on the state gives it without a
                # sort, so the last page of 100,000 items costs what the first does.
                .order_by(Equipment.id)
                .offset(page * rules.PAGE_SIZE)
                .limit(rules.PAGE_SIZE)
            )
        ).all()
        items = tuple(_stock_item(e, s, today) for e, s in rows)
        sent: tuple[SentItem, ...] = ()
        sent_total = 0
        if page == 0:
            sent_total = int(
                await uow.session.scalar(
                    select(func.count())
                    .select_from(Reassignment)
                    .where(Reassignment.state == ReassignmentState.SENT.value)
                )
                or 0
            )
            target = aliased(School)
            on_way = (
                await uow.session.execute(
                    select(Reassignment, Equipment, target)
                    .join(Equipment, Equipment.id == Reassignment.equipment_id)
                    .join(target, target.id == Reassignment.to_school_id)
                    .where(Reassignment.state == ReassignmentState.SENT.value)
                    .order_by(Reassignment.created_at, Reassignment.id)
                    .limit(rules.PAGE_SIZE)
                )
            ).all()
            sent = tuple(
                SentItem(r.id, e.asset_tag, e.type, s.name, s.uai, r.created_at)
                for r, e, s in on_way
            )
        return StockView(types, total, page, pages, items, sent, sent_total)


async def candidates(
    db: Database,
    staff_id: int,
    equipment_id: int,
    now: datetime,
    *,
    search: str | None = None,
) -> Offer:
    """The schools to offer for an item of the stock: those that asked for equipment of
    its type first (decision 0032), marked so; with ``search`` (a UAI or part of a name),
    the schools matching it, those that asked still first."""
    today = local_date(now, PARIS)
    async with db.uow() as uow:
        await _staff(uow, staff_id)
        equipment = await uow.session.get(Equipment, equipment_id)
        if equipment is None or equipment.state != IN_STOCK or equipment.owner != SEM_OWNER:
            raise DomainError("stock.error.item_gone")
        origin = await _school(uow, equipment.school_id)
        asked = await _asked(uow, equipment.type, now)
        if search is not None and search.strip():
            schools = list(
                await uow.directory.search_schools(search, limit=rules.MAX_CANDIDATES + 1)
            )
        else:
            schools = list(
                (
                    await uow.session.scalars(
                        select(School)
                        .where(School.id.in_(list(asked)))
                        .options(selectinload(School.commune))
                        .order_by(School.name)
                    )
                ).all()
            )
        facts = {
            s.id: CandidateFacts(s.id, s.name, frozenset(asked.get(s.id, ()))) for s in schools
        }
        ranked = rules.rank_candidates(facts.values(), exclude=origin.id)[: rules.MAX_CANDIDATES]
        by_id = {s.id: s for s in schools}
        held = await _held(uow, [f.school_id for f in ranked])
        return Offer(
            _stock_item(equipment, origin, today),
            tuple(_candidate(by_id[f.school_id], asked.get(f.school_id), held) for f in ranked),
        )


async def _checked(
    uow: UnitOfWork, tag: str, uai: str, now: datetime
) -> tuple[Equipment, School, School, set[Asked]]:
    typed_tag = _tag(tag)
    equipment = _in_stock(await uow.directory.equipment_by_tag(typed_tag), typed_tag)
    code = _uai(uai)
    target = await uow.directory.school_by_uai(code)
    if target is None:
        raise DomainError("stock.error.unknown_school", uai=code)
    origin = await _school(uow, equipment.school_id)
    rules.check_reassignable(
        equipment.asset_tag, equipment.state, from_school_id=origin.id, to_school_id=target.id
    )
    asked = (await _asked(uow, equipment.type, now)).get(target.id, set())
    return equipment, origin, target, asked


async def preview(
    db: Database, staff_id: int, tag: str, uai: str, now: datetime
) -> ReassignPreview:
    """What the confirmation names (the item, the school); refused here when it would be
    at the write, so that a wrong tag or UAI is said before anything is asked."""
    async with db.uow() as uow:
        await _staff(uow, staff_id)
        equipment, origin, target, asked = await _checked(uow, tag, uai, now)
        held = await _held(uow, [target.id])
        return ReassignPreview(
            _stock_item(equipment, origin, local_date(now, PARIS)),
            _candidate(target, asked, held),
        )


async def reassign(
    db: Database,
    staff_id: int,
    tag: str,
    uai: str,
    now: datetime,
    *,
    i18n: I18n,
    room: StaffRoom,
) -> Outcome:
    """Send an item of the stock to another school: a reassignment (``sent``), the item
    moved to the school (``reassigned``: its inventory and body follow), audited; the
    receiving school's heads are told what is coming, with « ✅ Reçu », and the staff get
    a copy with a way to cancel."""
    async with db.uow() as uow:
        person = await _staff(uow, staff_id)
        equipment, origin, target, _ = await _checked(uow, tag, uai, now)
        row = Reassignment(
            equipment_id=equipment.id,
            from_school_id=origin.id,
            to_school_id=target.id,
            state=ReassignmentState.SENT.value,
            created_by_id=person.id,
            created_at=now,
        )
        uow.session.add(row)
        await uow.session.flush()
        await equipment_moves.move(
            uow,
            equipment,
            ItemState.REASSIGNED,
            actor=person,
            now=now,
            to_school_id=target.id,
            note=f"reassignment {row.id}",
        )
        uow.audit(
            at=now,
            actor_id=person.id,
            action="stock.reassigned",
            object_type="equipment",
            object_id=equipment.asset_tag,
            reassignment=row.id,
            from_school=origin.uai,
            to_school=target.uai,
        )
        await uow.commit()
        view = await _view(uow, row)
        heads = await _heads(uow, target.id)
        staff = await _staff_besides(uow, room, person.id)
    messages = _to(
        i18n, heads, "stock.notify.coming", view, ("stock.button.received", RECEIVED.format(row.id))
    )
    messages += _to(
        i18n,
        staff,
        "stock.notify.staff_sent",
        view,
        ("stock.button.undo", UNDO.format(row.id)),
        by=person.full_name,
    )
    return Outcome(view, tuple(messages), heads_told=len(heads), staff_told=len(staff))


async def _reassignment(uow: UnitOfWork, reassignment_id: int) -> Reassignment:
    row = await uow.session.get(Reassignment, reassignment_id)
    if row is None:
        raise DomainError("stock.error.not_found")
    return row


async def confirm_reception(
    db: Database,
    person_id: int,
    reassignment_id: int,
    now: datetime,
    *,
    i18n: I18n,
    room: StaffRoom,
) -> Outcome:
    """The receiving school's head (or staff) confirms the item arrived: in service at
    the school, installed on the reception day (Paris), so that the body's yearly list
    includes it; staff are told. A second confirmation changes nothing (``already``)."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        require(person.role, Action.RECEIVE_EQUIPMENT)
        row = await _reassignment(uow, reassignment_id)
        if person.role != Role.STAFF and person.school_id != row.to_school_id:
            # Another school's head reads the same as an unknown reassignment.
            raise DomainError("stock.error.not_found")
        if rules.check_open(row.state) is ReassignmentState.RECEIVED:
            return Outcome(await _view(uow, row), already=True)
        equipment = await uow.session.get(Equipment, row.equipment_id)
        assert equipment is not None
        await equipment_moves.move(
            uow,
            equipment,
            ItemState.IN_SERVICE,
            actor=person,
            now=now,
            note=f"reassignment {row.id} received",
        )
        equipment.installed_on = local_date(now, PARIS)
        row.state = ReassignmentState.RECEIVED.value
        row.received_at = now
        row.received_by_id = person.id
        uow.audit(
            at=now,
            actor_id=person.id,
            action="stock.received",
            object_type="equipment",
            object_id=equipment.asset_tag,
            reassignment=row.id,
            installed_on=equipment.installed_on.isoformat(),
        )
        await uow.commit()
        view = await _view(uow, row)
        staff = await _staff_besides(uow, room, person.id)
    day = i18n.date
    messages = [
        *(
            Outgoing(
                r.chat_id,
                i18n.t(
                    r.language,
                    "stock.notify.staff_received",
                    **_words(i18n, r.language, view),
                    by=person.full_name,
                    day=day(r.language, view.installed_on or local_date(now, PARIS)),
                ),
                (),
                None,
                r.platform,
            )
            for r in staff
        )
    ]
    return Outcome(view, tuple(messages), staff_told=len(staff))


async def cancel_reassignment(
    db: Database,
    staff_id: int,
    reassignment_id: int,
    now: datetime,
    *,
    i18n: I18n,
    room: StaffRoom,
) -> Outcome:
    """Staff cancel a reassignment before reception: the item is back in stock at the
    school it came from; the receiving school's heads are told it is not coming. Once
    received it cannot be cancelled (the item is in service there: flag it again)."""
    async with db.uow() as uow:
        person = await _staff(uow, staff_id)
        row = await _reassignment(uow, reassignment_id)
        if row.state == ReassignmentState.CANCELLED:
            return Outcome(await _view(uow, row), already=True)
        if row.state == ReassignmentState.RECEIVED:
            raise DomainError("stock.error.already_received")
        equipment = await uow.session.get(Equipment, row.equipment_id)
        assert equipment is not None
        await equipment_moves.move(
            uow,
            equipment,
            ItemState.IN_STOCK,
            actor=person,
            now=now,
            to_school_id=row.from_school_id,
            note=f"reassignment {row.id} cancelled",
        )
        row.state = ReassignmentState.CANCELLED.value
        uow.audit(
            at=now,
            actor_id=person.id,
            action="stock.cancelled",
            object_type="equipment",
            object_id=equipment.asset_tag,
            reassignment=row.id,
        )
        await uow.commit()
        view = await _view(uow, row)
        heads = await _heads(uow, row.to_school_id)
        staff = await _staff_besides(uow, room, person.id)
    messages = _to(i18n, heads, "stock.notify.cancelled", view)
    messages += _to(i18n, staff, "stock.notify.staff_cancelled", view, by=person.full_name)
    return Outcome(view, tuple(messages), heads_told=len(heads), staff_told=len(staff))


async def reassignment_view(db: Database, person_id: int, reassignment_id: int) -> ReassignmentView:
    """Staff: one reassignment, to name it before cancelling."""
    async with db.uow() as uow:
        await _staff(uow, person_id)
        return await _view(uow, await _reassignment(uow, reassignment_id))


__all__ = [
    "Candidate",
    "Offer",
    "Outcome",
    "ReassignPreview",
    "ReassignmentView",
    "SentItem",
    "StockItem",
    "StockView",
    "TypeCount",
    "cancel_reassignment",
    "candidates",
    "confirm_reception",
    "preview",
    "reassign",
    "reassignment_view",
    "stock",
]
