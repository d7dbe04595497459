"""The relay: a ticket's thread between its reporter, the commune and SEM's staff.

- Staff write to the reporter (``/repondre``, or a reply to any message about the ticket);
- the reporter and the commune's agents write to staff the same way (to the ticket's
  assignee, or to every staff member when nobody is assigned);
- staff keep internal notes (``/note``, or a reply in the staff group) that never reach
  the reporter;
- photos and documents travel like text and are kept as the ticket's attachments;
- ``/mes_dossiers``: the tickets a person follows, and one ticket's thread.

Who follows a ticket (sees it, writes on it): a teacher the tickets they reported, a school
head the school's, a commune agent the commune's, staff all (``_follows``). Staff are the
hub of a thread: a non-staff person reads their own messages, the staff's replies when they
are the reporter (staff write to the reporter only), and the system's entries; never the
commune's words to staff when they are the reporter, nor the reporter's when they are the
commune (``_shown_to``). Internal notes are for staff only.

Each use case loads the person and the ticket in one unit of work, checks the role and the
scope (a ticket outside the person's scope is refused, never shown), writes the message,
its audit entry and the ticket's ``updated_at`` in the same transaction, and returns what
the front end needs to deliver it. Nothing here formats text for a person, nor sends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import selectinload

from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role, require
from bot.domain.search import LIKE_ESCAPE, contains_pattern
from bot.domain.text import units
from bot.domain.visibility import Visibility, shown_to
from bot.services import access, audiences
from bot.services.audiences import Recipient, StaffRoom
from bot.services.claims import FileRef
from storage.models import Attachment, Person, Ticket, TicketMessage
from storage.uow import Database, UnitOfWork

MAX_BODY = 3000  # with our header it still fits one Telegram message (4096)
MAX_CAPTION = 900  # a caption may not exceed 1024 visible characters
PER_PAGE = 8
RELAY_PURPOSE = "relay"  # Attachment.purpose of the files sent through the relay
RELAY_NOTE_PURPOSE = "relay_note"  # ... and of the files kept as internal notes
NOTE_OBJECT = "ticket_note"  # audit object type of internal notes (kept off the timeline)
_NUMBER = re.compile(r"^[A-Za-z]{1,4}-\d{4}-\d{1,6}$")


class Audience(StrEnum):
    """Who receives what was just written on a ticket."""

    REPORTER = "reporter"  # staff wrote: the reporter only
    ASSIGNEE = "assignee"  # the reporter or the commune wrote, and someone is assigned
    STAFF = "staff"  # ... nobody is: every staff member (or the staff group)
    NOBODY = "nobody"  # an internal note


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class TicketInfo:
    id: int
    number: str
    kind: str
    state: str
    school_name: str | None
    commune_name: str
    created_at: datetime
    reporter_name: str
    # The kind of the ticket's body: its agents are a commune's or an OGEC's, an institute's.
    body_kind: str = "commune"

    @property
    def place(self) -> str:
        """Where the ticket is: its school, or its commune when it has no school."""
        return self.school_name or self.commune_name


@dataclass(frozen=True)
class Posted:
    """A message (or a file) written on a ticket, and whom to deliver it to."""

    ticket: TicketInfo
    author_id: int
    author_name: str
    author_role: str
    body: str
    file: FileRef | None
    visibility: Visibility
    audience: Audience
    recipients: tuple[Recipient, ...]


@dataclass(frozen=True)
class TicketLine:
    id: int
    number: str
    kind: str
    state: str
    place: str
    created_at: datetime
    body_kind: str = "commune"  # the ticket's body, for the wording of its state


@dataclass(frozen=True)
class TicketPage:
    lines: tuple[TicketLine, ...]
    page: int  # 0-based, clamped to the pages there are
    pages: int
    total: int
    listing: str  # own | school | commune | assigned: whose tickets these are
    scope_name: str  # the school's or the body's name, for the title
    scope_kind: str = "commune"  # an agent's body kind: « commune de … » or the body's name


@dataclass(frozen=True)
class ThreadEntry:
    at: datetime
    author_name: str | None  # None: the system
    author_role: str | None
    visibility: Visibility
    body: str
    file_kind: str | None = None  # photo | document, for a file sent through the relay
    file_name: str | None = None


@dataclass(frozen=True)
class TicketThread:
    ticket: TicketInfo
    entries: tuple[ThreadEntry, ...]
    for_staff: bool  # internal notes included


# --------------------------------------------------------------------------- helpers


def said_after(posted: Posted, delivered: int, later: int = 0) -> str:
    """The catalog key (``number``, ``name``) telling the writer what became of what they
    wrote: delivered, left to the sweep for a few minutes, or reaching nobody."""
    reply = posted.audience is Audience.REPORTER
    if delivered:
        return "relay.reply.sent" if reply else "relay.message.sent"
    if later:
        return "relay.reply.later" if reply else "relay.message.later"
    return "relay.reply.not_delivered" if reply else "relay.message.saved"


def looks_like_number(text: str) -> bool:
    """``S-2026-0042`` and the like: a ticket number, not the first word of a message."""
    return bool(_NUMBER.match(text.strip()))


def _followed(person: Person) -> tuple[str, ColumnElement[bool]]:
    """``_follows`` as a query: the listing's name and the tickets' condition."""
    role = Role(person.role)
    if role is Role.TEACHER:
        return "own", and_(Ticket.reporter_id == person.id, Ticket.school_id == person.school_id)
    if role is Role.DIRECTOR:
        return "school", Ticket.school_id == person.school_id
    if role is Role.COMMUNE:
        return "commune", Ticket.body_id == person.body_id
    # Staff follow everything; their list is what is assigned to them or opened by them.
    return "assigned", or_(Ticket.assignee_id == person.id, Ticket.reporter_id == person.id)


def _shown_to(
    viewer: Person, ticket: Ticket, author: Person | None, visibility: Visibility
) -> bool:
    """Is this entry of the thread shown to the viewer (``visibility.shown_to``)?"""
    return shown_to(
        viewer_id=viewer.id,
        viewer_role=viewer.role,
        reporter_id=ticket.reporter_id,
        author_id=author.id if author else None,
        author_role=author.role if author else None,
        visibility=visibility,
    )


async def _ticket(uow: UnitOfWork, ticket_id: int) -> Ticket | None:
    return await uow.session.scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .options(
            selectinload(Ticket.school),
            selectinload(Ticket.commune),
            selectinload(Ticket.reporter),
            selectinload(Ticket.assignee),
            selectinload(Ticket.body),
        )
    )


def _info(ticket: Ticket) -> TicketInfo:
    return TicketInfo(
        id=ticket.id,
        number=ticket.number,
        kind=ticket.kind,
        state=ticket.state,
        school_name=ticket.school.name if ticket.school else None,
        commune_name=ticket.commune.name,
        created_at=ticket.created_at,
        reporter_name=ticket.reporter.full_name,
        body_kind=ticket.body.kind,
    )


def _checked_body(body: str, file: FileRef | None) -> str:
    text = body.strip()
    if not text and file is None:
        raise DomainError("relay.error.empty")
    limit = MAX_CAPTION if file is not None else MAX_BODY
    if units(text) > limit:
        raise DomainError("relay.error.too_long", max=limit, length=units(text))
    return text


async def _post(
    uow: UnitOfWork,
    author: Person,
    ticket: Ticket,
    body: str,
    file: FileRef | None,
    *,
    visibility: Visibility,
    audience: Audience,
    recipients: tuple[Recipient, ...],
    action: str,
    now: datetime,
) -> Posted:
    """Write the message (or the file) on the ticket, with its audit entry; commit."""
    details: dict[str, object] = {"recipients": len(recipients)}
    if file is None:
        message = TicketMessage(
            ticket_id=ticket.id,
            author_id=author.id,
            visibility=visibility.value,
            body=body,
            created_at=now,
        )
        uow.session.add(message)
        await uow.session.flush()
        details.update(kind="text", message_id=message.id)
    else:
        attachment = Attachment(
            ticket_id=ticket.id,
            kind=file.kind,
            purpose=RELAY_NOTE_PURPOSE if visibility is Visibility.INTERNAL else RELAY_PURPOSE,
            platform=file.platform,
            file_id=file.file_id,
            file_unique_id=file.file_unique_id,
            file_name=file.file_name,
            mime_type=file.mime_type,
            caption=body or None,
            uploaded_by_id=author.id,
            created_at=now,
        )
        uow.session.add(attachment)
        await uow.session.flush()
        details.update(kind=file.kind, attachment_id=attachment.id)
    ticket.updated_at = now
    uow.audit(
        at=now,
        actor_id=author.id,
        action=action,
        object_type=NOTE_OBJECT if visibility is Visibility.INTERNAL else "ticket",
        object_id=ticket.number,
        **details,
    )
    await uow.commit()
    return Posted(
        ticket=_info(ticket),
        author_id=author.id,
        author_name=author.full_name,
        author_role=author.role,
        body=body,
        file=file,
        visibility=visibility,
        audience=audience,
        recipients=recipients,
    )


async def _staff_reply(
    uow: UnitOfWork, staff: Person, ticket: Ticket, body: str, file: FileRef | None, now: datetime
) -> Posted:
    reporter = audiences.recipient(ticket.reporter) if ticket.reporter_id != staff.id else None
    return await _post(
        uow,
        staff,
        ticket,
        body,
        file,
        visibility=Visibility.PUBLIC,
        audience=Audience.REPORTER,
        recipients=(reporter,) if reporter else (),
        action="relay.reply",
        now=now,
    )


# --------------------------------------------------------------------------- use cases


async def ticket_by_number(db: Database, person_id: int, number: str) -> int:
    """A ticket's id from its number, within the person's scope (else: unknown number)."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        ticket = await uow.tickets.by_number(number.strip())
        if ticket is None or not access.follows(person, ticket):
            raise DomainError("relay.error.unknown_number", number=number.strip().upper())
        return ticket.id


async def reply_to_reporter(
    db: Database,
    staff_id: int,
    ticket_id: int,
    body: str,
    now: datetime,
    *,
    file: FileRef | None = None,
) -> Posted:
    """Staff write to the reporter (``/repondre``)."""
    text = _checked_body(body, file)
    async with db.uow() as uow:
        staff = await access.person(uow, staff_id)
        require(staff.role, Action.TRIAGE)
        ticket = await _ticket(uow, ticket_id)
        if ticket is None:
            raise DomainError("relay.error.not_found")
        return await _staff_reply(uow, staff, ticket, text, file, now)


async def add_note(
    db: Database,
    staff_id: int,
    ticket_id: int,
    body: str,
    now: datetime,
    *,
    file: FileRef | None = None,
) -> Posted:
    """An internal note (a text, or a file with its caption): kept in the thread for staff,
    sent to nobody. A reply in the staff group is one too."""
    text = _checked_body(body, file)
    async with db.uow() as uow:
        staff = await access.person(uow, staff_id)
        require(staff.role, Action.TRIAGE)
        ticket = await _ticket(uow, ticket_id)
        if ticket is None:
            raise DomainError("relay.error.not_found")
        return await _post(
            uow,
            staff,
            ticket,
            text,
            file,
            visibility=Visibility.INTERNAL,
            audience=Audience.NOBODY,
            recipients=(),
            action="relay.note",
            now=now,
        )


async def write_on_ticket(
    db: Database,
    person_id: int,
    ticket_id: int,
    body: str,
    now: datetime,
    *,
    file: FileRef | None = None,
    room: StaffRoom | None = None,
) -> Posted:
    """A reply to a message about the ticket.

    From staff it goes to the reporter. From anyone else who follows the ticket (its
    reporter, the school's head, the commune's agents) it goes to the assignee or, when
    nobody is assigned, to the staff (``room``: their group when configured, else every
    staff member but the writer); a ticket the writer does not follow is
    refused and nothing is kept (a reference to an old message may outlive a change of
    role or of school, or be forged).
    """
    text = _checked_body(body, file)
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        ticket = await _ticket(uow, ticket_id)
        if ticket is None or not access.follows(person, ticket):
            raise DomainError("relay.error.refused")
        if person.role == Role.STAFF:
            return await _staff_reply(uow, person, ticket, text, file, now)
        assignee = audiences.recipient(ticket.assignee)
        recipients: tuple[Recipient, ...]
        if assignee is not None and assignee.person_id != person.id:
            audience, recipients = Audience.ASSIGNEE, (assignee,)
        else:
            audience = Audience.STAFF
            if room is not None and room.chat_id is not None:
                recipients = await audiences.staff(uow, room)
            else:
                recipients = audiences.recipients(await uow.people.staff(), besides=person.id)
        return await _post(
            uow,
            person,
            ticket,
            text,
            file,
            visibility=Visibility.PUBLIC,
            audience=audience,
            recipients=recipients,
            action="relay.message",
            now=now,
        )


async def my_tickets(
    db: Database, person_id: int, page: int = 0, per_page: int = PER_PAGE
) -> TicketPage:
    """The tickets a person follows, newest first: a teacher's own, a school head's whole
    school, a commune agent's whole commune, a staff member's assigned (or own) ones."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        listing, where = _followed(person)
        scope_name = ""
        scope_kind = "commune"
        if listing == "school":
            scope_name = person.school.name if person.school else ""
        elif listing == "commune":
            # An agent follows its body's tickets: a commune's, an OGEC's, an institute's.
            scope_name = person.body.name if person.body else ""
            scope_kind = person.body.kind if person.body else "commune"
        total = int(
            await uow.session.scalar(select(func.count()).select_from(Ticket).where(where)) or 0
        )
        pages = max(1, -(-total // per_page))
        page = min(max(page, 0), pages - 1)
        rows = await uow.session.scalars(
            select(Ticket)
            .where(where)
            .options(
                selectinload(Ticket.school), selectinload(Ticket.commune), selectinload(Ticket.body)
            )
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .offset(page * per_page)
            .limit(per_page)
        )
        lines = tuple(
            TicketLine(
                id=t.id,
                number=t.number,
                kind=t.kind,
                state=t.state,
                place=t.school.name if t.school else t.commune.name,
                created_at=t.created_at,
                body_kind=t.body.kind,
            )
            for t in rows
        )
        return TicketPage(lines, page, pages, total, listing, scope_name, scope_kind)


async def ticket_thread(db: Database, person_id: int, ticket_id: int) -> TicketThread:
    """A ticket and its thread, as the person may read it (``_shown_to``): all of it for
    staff; for anyone else their own messages, the staff's replies when they are the
    reporter, and the system's entries. A ticket the person does not follow is "not
    found", so that ids of other people's tickets cannot be probed."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        ticket = await _ticket(uow, ticket_id)
        if ticket is None or not access.follows(person, ticket):
            raise DomainError("relay.error.not_found")
        staff = person.role == Role.STAFF
        messages = await uow.session.scalars(
            select(TicketMessage)
            .where(
                TicketMessage.ticket_id == ticket.id,
                TicketMessage.visibility.in_([v.value for v in Visibility]),
            )
            .options(selectinload(TicketMessage.author))
            .order_by(TicketMessage.id)
        )
        files = await uow.session.execute(
            select(Attachment, Person)
            .outerjoin(Person, Person.id == Attachment.uploaded_by_id)
            .where(
                Attachment.ticket_id == ticket.id,
                Attachment.purpose.in_([RELAY_PURPOSE, RELAY_NOTE_PURPOSE]),
            )
            .order_by(Attachment.id)
        )
        entries = [
            ThreadEntry(
                at=m.created_at,
                author_name=m.author.full_name if m.author else None,
                author_role=m.author.role if m.author else None,
                visibility=Visibility(m.visibility),
                body=m.body,
            )
            for m in messages
            if _shown_to(person, ticket, m.author, Visibility(m.visibility))
        ]
        for a, p in files:
            seen = Visibility.INTERNAL if a.purpose == RELAY_NOTE_PURPOSE else Visibility.PUBLIC
            if not _shown_to(person, ticket, p, seen):
                continue
            entries.append(
                ThreadEntry(
                    at=a.created_at,
                    author_name=p.full_name if p else None,
                    author_role=p.role if p else None,
                    visibility=seen,
                    body=a.caption or "",
                    file_kind=a.kind,
                    file_name=a.file_name,
                )
            )
        entries.sort(key=lambda e: e.at)  # stable: same instant keeps messages first
        return TicketThread(_info(ticket), tuple(entries), staff)


async def followed_numbers(
    db: Database, person_id: int, typed: str = "", *, limit: int = 25
) -> list[str]:
    """The numbers of the tickets the person follows (``access.follows``: a teacher's own,
    a school head's school's, an agent's body's, every ticket for staff) that contain what
    was typed, newest first: what a front end may offer to complete a number, never the
    number of a ticket the person may not see."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        query = select(Ticket.number)
        if person.role != Role.STAFF:
            query = query.where(_followed(person)[1])
        needle = typed.strip()
        if needle:
            query = query.where(Ticket.number.ilike(contains_pattern(needle), escape=LIKE_ESCAPE))
        rows = await uow.session.scalars(
            query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
        )
        return list(rows)
