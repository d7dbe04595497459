"""Tickets of every kind: which message is about which ticket, the staff's queue, search,
assignment, internal notes, closing and reopening.

The claim-specific rules stay in ``bot.services.claims``; this module is what staff
triage needs whatever the kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from bot.domain.dates import PARIS, local_date
from bot.domain.errors import DomainError
from bot.domain.platforms import TELEGRAM
from bot.domain.roles import Action, require
from bot.domain.search import LIKE_ESCAPE, contains_pattern, fold
from bot.domain.visibility import WORDS, Visibility, shown_to
from bot.services import access
from bot.services.delivery import Dispatch, Outgoing, Router, Sender
from bot.services.kinds import TicketKind
from storage.models import (
    Attachment,
    AuditEntry,
    ClaimDuty,
    Commune,
    MessageRef,
    Person,
    ResponsibleBody,
    School,
    Ticket,
    TicketMessage,
)
from storage.sql import insert_ignoring_duplicates
from storage.types import as_utc
from storage.uow import Database, UnitOfWork


async def open_ticket(
    uow: UnitOfWork,
    *,
    kind: str,
    prefix: str,
    state: str,
    reporter: Person,
    school: School,
    now: datetime,
    next_deadline: datetime | None = None,
) -> Ticket:
    """A new ticket of any kind, in the caller's transaction (not committed): its number
    (the kind's prefix, the Paris year, the next of the sequence), its reporter, its school
    with the school's commune and responsible body at this moment, its next deadline."""
    number = await uow.tickets.next_number(prefix, local_date(now, PARIS).year)
    ticket = Ticket(
        number=number,
        kind=kind,
        state=state,
        reporter_id=reporter.id,
        school_id=school.id,
        commune_id=school.commune_id,
        body_id=school.body_id,
        created_at=now,
        updated_at=now,
        next_deadline_at=next_deadline,
    )
    uow.session.add(ticket)
    await uow.session.flush()
    return ticket


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str | None
    action: str
    details: dict[str, Any]


async def timeline(uow: UnitOfWork, ticket: Ticket, viewer: Person) -> tuple[TimelineEntry, ...]:
    """What happened to a ticket, oldest first, as ``viewer`` may see it: its audit entries
    with who did them, without the words (a reply, a message to the team) the viewer may
    not read, nor that they were written (``visibility.shown_to``, as in the thread)."""
    author = aliased(Person)
    rows = await uow.session.execute(
        select(AuditEntry, author.full_name, author.role)
        .outerjoin(author, author.id == AuditEntry.actor_id)
        .where(AuditEntry.object_type == "ticket", AuditEntry.object_id == ticket.number)
        .order_by(AuditEntry.id)
    )
    return tuple(
        TimelineEntry(e.at, name, e.action, dict(e.details))
        for e, name, role in rows
        if e.action not in WORDS
        or shown_to(
            viewer_id=viewer.id,
            viewer_role=viewer.role,
            reporter_id=ticket.reporter_id,
            author_id=e.actor_id,
            author_role=role,
            visibility=Visibility.PUBLIC,
        )
    )


async def remember_messages(
    db: Database,
    ticket_id: int,
    refs: Sequence[tuple[int, int]],
    now: datetime,
    *,
    platform: str,
) -> None:
    """Note that these (chat id, message id) of ``platform`` are about the ticket, so a
    reply finds it."""
    if not refs:
        return
    async with db.uow() as uow:
        for chat_id, message_id in refs:
            await uow.session.execute(
                insert_ignoring_duplicates(
                    uow.session,
                    MessageRef.__table__,
                    {
                        "platform": platform,
                        "chat_id": chat_id,
                        "message_id": message_id,
                        "ticket_id": ticket_id,
                        "created_at": now,
                    },
                    conflict=["platform", "chat_id", "message_id"],
                )
            )
        await uow.commit()


async def forum_thread(db: Database, platform: str, ticket_id: int) -> int | None:
    """The ticket's post in the staff's forum on ``platform``: on Discord a post's id is
    its first message's id, so it is the reference whose chat and message are one."""
    async with db.uow() as uow:
        found: int | None = await uow.session.scalar(
            select(MessageRef.chat_id)
            .where(
                MessageRef.platform == platform,
                MessageRef.ticket_id == ticket_id,
                MessageRef.chat_id == MessageRef.message_id,
            )
            .order_by(MessageRef.created_at)
            .limit(1)
        )
        return found


async def send_about(db: Database, sender: Sender, message: Outgoing, now: datetime) -> int | None:
    """Send a message about a ticket through ``sender`` (the process's router: each person
    on their own platform) and remember it on its platform, so that a reply finds the
    ticket. Delivery errors pass through, for the caller to log or count."""
    sent = await sender(message)
    if sent is not None and message.ticket_id is not None:
        await remember_messages(
            db, message.ticket_id, [(message.chat_id, sent)], now, platform=message.platform
        )
    return sent


async def send_files_about(
    db: Database, router: Router, dispatch: Dispatch, ticket_id: int, now: datetime
) -> int | None:
    """A file carried to another platform, remembered there as a message about the ticket,
    so that a reply to it finds the ticket as a reply to the text would."""
    sent = await router.send_files(dispatch)
    if sent is not None:
        await remember_messages(
            db, ticket_id, [(dispatch.chat_id, sent)], now, platform=dispatch.platform
        )
    return sent


async def ticket_for_message(
    db: Database, platform: str, chat_id: int, message_id: int
) -> int | None:
    """The ticket a message of the bot (on ``platform``) was about, if it was about one."""
    async with db.uow() as uow:
        return await uow.session.scalar(
            select(MessageRef.ticket_id).where(
                MessageRef.platform == platform,
                MessageRef.chat_id == chat_id,
                MessageRef.message_id == message_id,
            )
        )


# --------------------------------------------------------------------------- the queue


@dataclass(frozen=True)
class QueueRow:
    id: int
    number: str
    kind: str
    state: str
    school: str | None
    commune: str
    created_at: datetime
    assignee: str | None
    next_deadline: datetime | None
    overdue: bool
    body_kind: str = "commune"  # the ticket's body, for the wording of its state
    # A claim whose 48 h duties were done after their deadline: the longest delay.
    late_by: timedelta | None = None


@dataclass(frozen=True)
class QueueFilter:
    kind: str | None = None
    commune_id: int | None = None
    state: str | None = None
    overdue_only: bool = False


async def queue(
    db: Database,
    person_id: int,
    *,
    now: datetime,
    where: QueueFilter = QueueFilter(),
    page: int = 0,
    per_page: int = 8,
) -> tuple[list[QueueRow], int]:
    """Open tickets of every kind, most urgent first: overdue deadlines, then the nearest,
    then the oldest.

    A ticket's next deadline is stored on it by its kind's service; the sorting and the
    filters run in SQL, only one page comes back.
    """
    async with db.uow() as uow:
        await _staff(uow, person_id)
        # Each kind keeps its tickets' nearest deadline (claims: the open duties, then the
        # payment window): one column, for every kind.
        next_deadline = Ticket.next_deadline_at
        conditions: list[ColumnElement[bool]] = [Ticket.closed_at.is_(None)]
        if where.kind:
            conditions.append(Ticket.kind == where.kind)
        if where.commune_id:
            conditions.append(Ticket.commune_id == where.commune_id)
        if where.state:
            conditions.append(Ticket.state == where.state)
        if where.overdue_only:
            # Past a deadline now, or (a claim) a 48 h duty done after its deadline.
            done_late = exists().where(
                ClaimDuty.claim_id == Ticket.id,
                ClaimDuty.done_at.is_not(None),
                ClaimDuty.done_at > ClaimDuty.deadline_at,
            )
            conditions.append(or_(next_deadline < now, and_(Ticket.kind == "claim", done_late)))
        total = await uow.session.scalar(
            select(func.count()).select_from(Ticket).where(*conditions)
        )
        # Overdue deadlines are the earliest ones, so "overdue first, then the nearest" is
        # the deadline ascending; undated tickets follow. Two reads, each in the order of
        # the partial index on open tickets (deadline, creation, id): no sort of them all.
        offset = max(page, 0) * per_page
        dated = [*conditions, next_deadline.is_not(None)]
        rows = list(
            await uow.session.execute(
                _queue_page(now, dated, (next_deadline, Ticket.created_at, Ticket.id))
                .offset(offset)
                .limit(per_page)
            )
        )
        if len(rows) < per_page:
            dated_count = int(
                await uow.session.scalar(select(func.count()).select_from(Ticket).where(*dated))
                or 0
            )
            undated = [*conditions, next_deadline.is_(None)]
            rows += await uow.session.execute(
                _queue_page(now, undated, (Ticket.created_at, Ticket.id))
                .offset(max(offset - dated_count, 0))
                .limit(per_page - len(rows))
            )
        result = [
            QueueRow(
                id=r[0],
                number=r[1],
                kind=r[2],
                state=r[3],
                school=r[4],
                commune=r[5],
                created_at=r[6],
                assignee=r[7],
                next_deadline=_aware(r[8]),
                overdue=bool(r[9]),
                body_kind=r[10],
            )
            for r in rows
        ]
        return await _with_late_duties(uow, result), int(total or 0)


def _queue_page(
    now: datetime, conditions: list[ColumnElement[bool]], order: tuple[Any, ...]
) -> Select[Any]:
    assignee = aliased(Person)
    next_deadline = Ticket.next_deadline_at
    return (
        select(
            Ticket.id,
            Ticket.number,
            Ticket.kind,
            Ticket.state,
            School.name,
            Commune.name,
            Ticket.created_at,
            assignee.full_name,
            next_deadline.label("next_deadline"),
            case((next_deadline < now, 1), else_=0).label("overdue"),
            ResponsibleBody.kind,
        )
        .join(Commune, Commune.id == Ticket.commune_id)
        .join(ResponsibleBody, ResponsibleBody.id == Ticket.body_id)
        .outerjoin(School, School.id == Ticket.school_id)
        .outerjoin(assignee, assignee.id == Ticket.assignee_id)
        .where(*conditions)
        .order_by(*order)
    )


async def _with_late_duties(uow: UnitOfWork, rows: list[QueueRow]) -> list[QueueRow]:
    """The page's claims, each with its longest delay of a duty done late."""
    ids = [r.id for r in rows if r.kind == "claim"]
    if not ids:
        return rows
    late: dict[int, timedelta] = {}
    duties = await uow.session.execute(
        select(ClaimDuty.claim_id, ClaimDuty.deadline_at, ClaimDuty.done_at).where(
            ClaimDuty.claim_id.in_(ids), ClaimDuty.done_at.is_not(None)
        )
    )
    for claim_id, deadline_at, done_at in duties:
        if done_at is None:
            continue
        delay = as_utc(done_at) - as_utc(deadline_at)
        if delay > timedelta(0) and delay > late.get(claim_id, timedelta(0)):
            late[claim_id] = delay
    return [replace(r, late_by=late.get(r.id)) for r in rows]


def _aware(value: datetime | str | None) -> datetime | None:
    return None if value is None else as_utc(value)


async def communes_with_open_tickets(db: Database, person_id: int) -> list[tuple[int, str, int]]:
    async with db.uow() as uow:
        await _staff(uow, person_id)
        rows = await uow.session.execute(
            select(Commune.id, Commune.name, func.count(Ticket.id))
            .join(Ticket, Ticket.commune_id == Commune.id)
            .where(Ticket.closed_at.is_(None))
            .group_by(Commune.id, Commune.name)
            .order_by(Commune.name)
        )
        return [(r[0], r[1], int(r[2])) for r in rows]


async def states_of_open_tickets(db: Database, person_id: int) -> list[tuple[str, str, int]]:
    """(kind, state, count) of the open tickets, for the queue's filter."""
    async with db.uow() as uow:
        await _staff(uow, person_id)
        rows = await uow.session.execute(
            select(Ticket.kind, Ticket.state, func.count(Ticket.id))
            .where(Ticket.closed_at.is_(None))
            .group_by(Ticket.kind, Ticket.state)
            .order_by(Ticket.kind, Ticket.state)
        )
        return [(r[0], r[1], int(r[2])) for r in rows]


# --------------------------------------------------------------------------- search


@dataclass(frozen=True)
class Found:
    id: int
    number: str
    kind: str
    state: str
    school: str | None
    commune: str
    created_at: datetime
    body_kind: str = "commune"  # the ticket's body, for the wording of its state


async def search(
    db: Database,
    person_id: int,
    text: str,
    *,
    kinds: Iterable[TicketKind] = (),
    limit: int = 10,
) -> list[Found]:
    """Tickets by number, school name or UAI, commune (name or INSEE), or by what each
    kind of ``kinds`` searches in its own fields (a claim: its items' asset tags).

    Accents and case are ignored in names (« saint-etienne », « ecole »); ``%`` and ``_``
    are plain characters, never wildcards.
    """
    needle = text.strip()
    if len(needle) < 2:
        raise DomainError("ticket.error.search_too_short")
    pattern = contains_pattern(needle)
    folded = fold(needle)
    async with db.uow() as uow:
        await _staff(uow, person_id)
        own = [k.search_ids(pattern) for k in kinds if k.search_ids is not None]
        by_kind = [Ticket.id.in_(query) for query in own]
        # The directory is small (schools and communes of one metropolis): names are
        # compared folded here, the same way on SQLite and PostgreSQL.
        schools = [
            school_id
            for school_id, name in (await uow.session.execute(select(School.id, School.name)))
            if folded in fold(name)
        ]
        communes = [
            commune_id
            for commune_id, name in (await uow.session.execute(select(Commune.id, Commune.name)))
            if folded in fold(name)
        ]
        rows = await uow.session.execute(
            select(
                Ticket.id,
                Ticket.number,
                Ticket.kind,
                Ticket.state,
                School.name,
                Commune.name,
                Ticket.created_at,
                ResponsibleBody.kind,
            )
            .join(Commune, Commune.id == Ticket.commune_id)
            .join(ResponsibleBody, ResponsibleBody.id == Ticket.body_id)
            .outerjoin(School, School.id == Ticket.school_id)
            .where(
                or_(
                    Ticket.number.ilike(pattern, escape=LIKE_ESCAPE),
                    *by_kind,
                    School.id.in_(schools),
                    School.uai.ilike(pattern, escape=LIKE_ESCAPE),
                    Commune.id.in_(communes),
                    Commune.insee == needle,
                )
            )
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(limit)
        )
        return [Found(*r) for r in rows]


# --------------------------------------------------------------------------- assignment


async def _staff(uow: UnitOfWork, person_id: int) -> Person:
    person = await uow.people.get(person_id)
    if person is None or not person.active:
        raise DomainError("registration.error.not_registered")
    require(person.role, Action.TRIAGE)
    return person


async def staff_members(db: Database, person_id: int) -> list[tuple[int, str]]:
    async with db.uow() as uow:
        await _staff(uow, person_id)
        return [(p.id, p.full_name) for p in await uow.people.staff()]


async def assign(
    db: Database, person_id: int, ticket_id: int, assignee_id: int, *, now: datetime
) -> tuple[str, str]:
    """Give a ticket to a staff member (oneself to take it); returns (number, name)."""
    async with db.uow() as uow:
        actor = await _staff(uow, person_id)
        ticket = await uow.session.get(Ticket, ticket_id)
        if ticket is None:
            raise DomainError("ticket.error.not_found")
        assignee = await uow.people.get(assignee_id)
        if assignee is None or assignee.role != "staff" or not assignee.active:
            raise DomainError("ticket.error.not_staff")
        ticket.assignee_id = assignee.id
        ticket.updated_at = now
        uow.audit(
            at=now,
            actor_id=actor.id,
            action="ticket.assigned",
            object_type="ticket",
            object_id=ticket.number,
            assignee=assignee.full_name,
        )
        await uow.commit()
        return ticket.number, assignee.full_name


# --------------------------------------------------------------------------- the dossier


@dataclass(frozen=True)
class ThreadMessage:
    at: datetime
    author: str | None
    visibility: str
    body: str


@dataclass(frozen=True)
class AttachmentRef:
    id: int
    kind: str
    purpose: str
    file_id: str
    file_name: str | None
    platform: str = TELEGRAM


@dataclass(frozen=True)
class Dossier:
    id: int
    number: str
    kind: str
    assignee: str | None
    thread: tuple[ThreadMessage, ...]
    attachments: tuple[AttachmentRef, ...]
    assignee_id: int | None = None


async def dossier(db: Database, person_id: int, ticket_id: int) -> Dossier:
    """What staff see beyond the claim's card: assignee, thread (notes too), attachments."""
    async with db.uow() as uow:
        await _staff(uow, person_id)
        ticket = await uow.session.get(Ticket, ticket_id)
        if ticket is None:
            raise DomainError("ticket.error.not_found")
        assignee = await uow.people.get(ticket.assignee_id) if ticket.assignee_id else None
        messages = await uow.session.execute(
            select(TicketMessage, Person.full_name)
            .outerjoin(Person, Person.id == TicketMessage.author_id)
            .where(TicketMessage.ticket_id == ticket_id)
            .order_by(TicketMessage.id)
        )
        files = await uow.session.scalars(
            select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)
        )
        return Dossier(
            id=ticket.id,
            number=ticket.number,
            kind=ticket.kind,
            assignee=assignee.full_name if assignee else None,
            assignee_id=assignee.id if assignee else None,
            thread=tuple(
                ThreadMessage(m.created_at, name, m.visibility, m.body) for m, name in messages
            ),
            attachments=tuple(
                AttachmentRef(a.id, a.kind, a.purpose, a.file_id, a.file_name, a.platform)
                for a in files
            ),
        )


@dataclass(frozen=True)
class Attachments:
    id: int
    number: str
    files: tuple[AttachmentRef, ...]


async def attachments(db: Database, person_id: int, ticket_id: int) -> Attachments:
    """A ticket's photos and documents, to send again: for staff, and for the agents of
    the ticket's body, on their body's tickets only (the id comes from a button: never
    trusted)."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        require(person.role, Action.FOLLOW_CLAIM)
        ticket = await uow.session.get(Ticket, ticket_id)
        if ticket is None or not access.follows(person, ticket):
            raise DomainError("ticket.error.not_found")
        files = await uow.session.scalars(
            select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)
        )
        return Attachments(
            ticket.id,
            ticket.number,
            tuple(
                AttachmentRef(a.id, a.kind, a.purpose, a.file_id, a.file_name, a.platform)
                for a in files
            ),
        )


async def find_ticket_id(db: Database, number: str) -> int:
    async with db.uow() as uow:
        ticket = await uow.tickets.by_number(number.strip())
        if ticket is None:
            raise DomainError("ticket.error.not_found")
        return ticket.id


@dataclass(frozen=True)
class TicketRef:
    id: int
    number: str
    kind: str
    state: str = ""
    closed: bool = False


async def ticket_ref(db: Database, *, ticket_id: int | None = None, number: str = "") -> TicketRef:
    """A ticket's id, number and kind, by id or by number; whether the person may see it
    is the kind's view to decide (out of scope reads as not found there too)."""
    async with db.uow() as uow:
        if ticket_id is not None:
            ticket = await uow.session.get(Ticket, ticket_id)
        else:
            ticket = await uow.tickets.by_number(number.strip().upper())
        if ticket is None:
            raise DomainError("ticket.error.not_found")
        return TicketRef(
            ticket.id, ticket.number, ticket.kind, ticket.state, ticket.closed_at is not None
        )
