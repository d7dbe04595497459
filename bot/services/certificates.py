"""The responsible bodies' insurance certificates (art. 6: « lors de toute mise à
disposition de matériel, la Commune devra fournir … la ou les attestation(s)
d'assurance »; DOMAIN.md section 3; decisions 0038 and 0043).

A certificate is asked of a body when new equipment is delivered to one of its schools
(unless an accepted one covers that day), and again 30 days before the one on file ends.
The body's agent sends the document with the days it covers; staff accept it, or refuse
it with a reason the body is told. Each request is one ``insurance_certificates`` row
with a weekly reminder to the body until it is accepted, and an alert to staff a month
after it was asked; every deadline is a reminder row keyed ``cert:<id>:…``.

Messenger-neutral: the functions check the rights and the rules, write, and return views
and the :class:`Outgoing` messages owed to others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.cards.certificates import CertificateCard
from bot.config import Settings
from bot.domain import calls as rules
from bot.domain.calls import (
    KIND_CERTIFICATE_ESCALATION,
    KIND_CERTIFICATE_REMINDER,
    KIND_CERTIFICATE_RENEWAL,
    Certificate,
)
from bot.domain.dates import PARIS, local_date
from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role, require
from bot.domain.text import units
from bot.i18n import I18n
from bot.services import access, audiences, reminders
from bot.services.audiences import Recipient, StaffRoom
from bot.services.claims import FileRef
from bot.services.delivery import Outgoing
from bot.services.reminders import Renderer, Renderers
from storage.models import InsuranceCertificate, Person, Reminder, ResponsibleBody, Ticket
from storage.uow import Database, UnitOfWork

ASKED, SENT, ACCEPTED, REFUSED = "asked", "sent", "accepted", "refused"
AWAITED = (ASKED, SENT, REFUSED)  # not accepted yet: the body is still owed one
MAX_REASON = 500
CERTIFICATE_REMINDER_KINDS = (
    KIND_CERTIFICATE_REMINDER,
    KIND_CERTIFICATE_ESCALATION,
    KIND_CERTIFICATE_RENEWAL,
)


@dataclass(frozen=True)
class CertificateView:
    id: int
    body_id: int
    body_name: str
    state: str
    asked_at: datetime
    ticket_id: int | None
    ticket_number: str | None
    renews_id: int | None
    valid_from: date | None
    valid_until: date | None
    sent_at: datetime | None
    decided_at: datetime | None
    refusal_reason: str | None
    file_name: str | None
    file_id: str | None
    platform: str | None


@dataclass(frozen=True)
class BodyCertificates:
    """A body's certificates, the newest request first."""

    body_id: int
    body_name: str
    certificates: tuple[CertificateView, ...]


@dataclass(frozen=True)
class Decided:
    """A step on a certificate and what is owed to others because of it."""

    view: CertificateView
    messages: tuple[Outgoing, ...] = ()


def reminder_key(certificate_id: int) -> str:
    return f"cert:{certificate_id}"


# --------------------------------------------------------------------------- reading


async def _number(uow: UnitOfWork, ticket_id: int | None) -> str | None:
    if ticket_id is None:
        return None
    return await uow.session.scalar(select(Ticket.number).where(Ticket.id == ticket_id))


async def view_of(uow: UnitOfWork, row: InsuranceCertificate) -> CertificateView:
    body = (
        row.body if "body" in row.__dict__ else await uow.session.get(ResponsibleBody, row.body_id)
    )
    assert body is not None
    return CertificateView(
        id=row.id,
        body_id=row.body_id,
        body_name=body.name,
        state=row.state,
        asked_at=row.asked_at,
        ticket_id=row.ticket_id,
        ticket_number=await _number(uow, row.ticket_id),
        renews_id=row.renews_id,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        sent_at=row.sent_at,
        decided_at=row.decided_at,
        refusal_reason=row.refusal_reason,
        file_name=row.file_name,
        file_id=row.file_id,
        platform=row.platform,
    )


async def _load(uow: UnitOfWork, certificate_id: int) -> InsuranceCertificate:
    row = await uow.session.scalar(
        select(InsuranceCertificate)
        .options(selectinload(InsuranceCertificate.body))
        .where(InsuranceCertificate.id == certificate_id)
    )
    if row is None:
        raise DomainError("cert.error.not_found")
    return row


def _may_see(person: Person, row: InsuranceCertificate) -> None:
    """Staff see every body's; an agent their own body's; the others none (a certificate
    of another body reads as not found, so that ids cannot be probed)."""
    require(person.role, Action.SEND_CERTIFICATE)
    if person.role != Role.STAFF and person.body_id != row.body_id:
        raise DomainError("cert.error.not_found")


async def covering(uow: UnitOfWork, body_id: int, day: date) -> InsuranceCertificate | None:
    """An accepted certificate of the body that covers ``day``, the one ending last."""
    rows = await uow.session.scalars(
        select(InsuranceCertificate)
        .where(
            InsuranceCertificate.body_id == body_id,
            InsuranceCertificate.state == ACCEPTED,
            InsuranceCertificate.valid_from <= day,
            InsuranceCertificate.valid_until >= day,
        )
        .order_by(InsuranceCertificate.valid_until.desc(), InsuranceCertificate.id.desc())
    )
    return rows.first()


async def awaited_request(uow: UnitOfWork, body_id: int) -> InsuranceCertificate | None:
    """The body's request still awaiting an accepted certificate, if any (one at a time)."""
    rows = await uow.session.scalars(
        select(InsuranceCertificate)
        .options(selectinload(InsuranceCertificate.body))
        .where(InsuranceCertificate.body_id == body_id, InsuranceCertificate.state.in_(AWAITED))
        .order_by(InsuranceCertificate.asked_at.desc(), InsuranceCertificate.id.desc())
    )
    return rows.first()


# --------------------------------------------------------------------------- asking


@dataclass(frozen=True)
class Asked:
    """What a delivery did about the body's certificate."""

    certificate: CertificateView | None  # the request (new or already open); None: covered
    created: bool
    covered_until: date | None = None  # the accepted one on file that covers the day


async def _plan_chain(uow: UnitOfWork, row: InsuranceCertificate, now: datetime) -> None:
    await reminders.plan(
        uow,
        rules.plan_certificate_reminders(row.asked_at, 1),
        key_prefix=reminder_key(row.id),
        now=now,
        ticket_id=row.ticket_id,
        payload={"certificate_id": row.id, "number": 1},
    )


async def ask(
    uow: UnitOfWork,
    body_id: int,
    *,
    now: datetime,
    actor_id: int | None,
    ticket_id: int | None = None,
    renews_id: int | None = None,
) -> Asked:
    """In the caller's transaction: the body is asked for its certificate, unless an
    accepted one covers today (nothing asked) or a request is already open (that one is
    kept: one request at a time, its reminders already run)."""
    today = local_date(now, PARIS)
    on_file = await covering(uow, body_id, today)
    if on_file is not None and renews_id is None:
        return Asked(None, False, on_file.valid_until)
    open_one = await awaited_request(uow, body_id)
    if open_one is not None:
        return Asked(await view_of(uow, open_one), False)
    row = InsuranceCertificate(
        body_id=body_id, state=ASKED, asked_at=now, ticket_id=ticket_id, renews_id=renews_id
    )
    uow.session.add(row)
    await uow.session.flush()
    await _plan_chain(uow, row, now)
    uow.audit(
        at=now,
        actor_id=actor_id,
        action="certificate.ask",
        object_type="certificate",
        object_id=str(row.id),
        body_id=body_id,
        ticket_id=ticket_id,
        renews_id=renews_id,
    )
    return Asked(await view_of(uow, row), True)


# --------------------------------------------------------------------------- messages


def _to(
    i18n: I18n, people: Sequence[Recipient], text: object, actions: object = None
) -> list[Outgoing]:
    """One message to each of ``people``; ``text`` and ``actions`` are functions of the
    card (its language)."""
    out = []
    for target in people:
        card = CertificateCard(i18n, target.language)
        out.append(
            Outgoing(
                target.chat_id,
                text(card),  # type: ignore[operator]
                actions(card) if actions is not None else (),  # type: ignore[operator]
                None,
                target.platform,
            )
        )
    return out


# --------------------------------------------------------------------------- the body


def checked_days(valid_from: date, valid_until: date, today: date) -> Certificate:
    """The days a certificate covers: in order, and not ended already."""
    certificate = Certificate(valid_from, valid_until)  # call.error.certificate_dates
    if valid_until < today:
        raise DomainError("cert.error.expired")
    return certificate


async def _agent(uow: UnitOfWork, person_id: int) -> Person:
    person = await access.person(uow, person_id)
    require(person.role, Action.SEND_CERTIFICATE)
    return person


async def my_certificates(db: Database, person_id: int) -> BodyCertificates:
    """An agent's body and its certificates (refused for a role that sends none)."""
    async with db.uow() as uow:
        person = await _agent(uow, person_id)
        if person.role == Role.STAFF or person.body_id is None:
            raise DomainError("cert.error.no_body")
        body = await uow.session.get(ResponsibleBody, person.body_id)
        assert body is not None
        return await _body_certificates(uow, body)


async def _body_certificates(uow: UnitOfWork, body: ResponsibleBody) -> BodyCertificates:
    rows = await uow.session.scalars(
        select(InsuranceCertificate)
        .options(selectinload(InsuranceCertificate.body))
        .where(InsuranceCertificate.body_id == body.id)
        .order_by(InsuranceCertificate.asked_at.desc(), InsuranceCertificate.id.desc())
    )
    return BodyCertificates(body.id, body.name, tuple([await view_of(uow, r) for r in rows.all()]))


async def send(
    db: Database,
    i18n: I18n,
    settings: Settings,
    person_id: int,
    file: FileRef,
    valid_from: date,
    valid_until: date,
    now: datetime,
    *,
    body_id: int | None = None,
) -> Decided:
    """The body's agent sends its certificate (a document) and the days it covers: the
    open request gets it (or, when none is open, a new one is made); staff are told, with
    « Accepter » and « Refuser ». ``body_id`` is for staff recording one received by
    e-mail; an agent sends only their own body's."""
    checked_days(valid_from, valid_until, local_date(now, PARIS))
    async with db.uow() as uow:
        person = await _agent(uow, person_id)
        if person.role == Role.STAFF:
            if body_id is None:
                raise DomainError("cert.error.no_body")
            target = body_id
        else:
            if person.body_id is None or (body_id is not None and body_id != person.body_id):
                raise DomainError("cert.error.not_your_body")
            target = person.body_id
        row = await awaited_request(uow, target)
        if row is None:
            row = InsuranceCertificate(body_id=target, state=ASKED, asked_at=now)
            uow.session.add(row)
            await uow.session.flush()
            await _plan_chain(uow, row, now)
            row = await _load(uow, row.id)
        row.state = SENT
        row.platform = file.platform
        row.file_id = file.file_id
        row.file_unique_id = file.file_unique_id
        row.file_name = file.file_name
        row.mime_type = file.mime_type
        row.valid_from = valid_from
        row.valid_until = valid_until
        row.sent_at = now
        row.sent_by_id = person.id
        row.refusal_reason = None
        uow.audit(
            at=now,
            actor_id=person.id,
            action="certificate.send",
            object_type="certificate",
            object_id=str(row.id),
            valid_from=valid_from.isoformat(),
            valid_until=valid_until.isoformat(),
        )
        view = await view_of(uow, row)
        staff = await audiences.staff(uow, StaffRoom.of(settings))
        await uow.commit()
    messages = _to(
        i18n,
        staff,
        lambda c: c.sent_to_staff(view, person.full_name),
        lambda c: c.staff_actions(view),
    )
    return Decided(view, tuple(messages))


# --------------------------------------------------------------------------- staff


async def _staff(uow: UnitOfWork, person_id: int) -> Person:
    person = await access.person(uow, person_id)
    require(person.role, Action.MANAGE_CALLS)
    return person


async def certificate(db: Database, person_id: int, certificate_id: int) -> CertificateView:
    """One certificate, for staff or an agent of its body."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        row = await _load(uow, certificate_id)
        _may_see(person, row)
        return await view_of(uow, row)


async def listing(db: Database, person_id: int) -> list[BodyCertificates]:
    """Staff: every body that was asked or sent one, by name, each with its certificates
    (validity dates, state)."""
    async with db.uow() as uow:
        await _staff(uow, person_id)
        bodies = (
            await uow.session.scalars(
                select(ResponsibleBody)
                .where(ResponsibleBody.id.in_(select(InsuranceCertificate.body_id).distinct()))
                .order_by(ResponsibleBody.name, ResponsibleBody.id)
            )
        ).all()
        return [await _body_certificates(uow, body) for body in bodies]


async def _sent_one(
    uow: UnitOfWork, person_id: int, certificate_id: int
) -> tuple[Person, InsuranceCertificate]:
    person = await _staff(uow, person_id)
    row = await _load(uow, certificate_id)
    if row.state != SENT:
        raise DomainError(f"cert.error.not_sent.{row.state}")
    return person, row


async def accept(
    db: Database, i18n: I18n, person_id: int, certificate_id: int, now: datetime
) -> Decided:
    """Staff accept a certificate sent: the body's reminders stop, the renewal is planned
    30 days before it ends, and the body is told."""
    async with db.uow() as uow:
        person, row = await _sent_one(uow, person_id, certificate_id)
        assert row.valid_from is not None and row.valid_until is not None
        row.state = ACCEPTED
        row.decided_at = now
        row.decided_by_id = person.id
        await reminders.cancel(uow, key_prefix=reminder_key(row.id), now=now)
        await reminders.plan(
            uow,
            rules.plan_certificate_renewal(Certificate(row.valid_from, row.valid_until), now),
            key_prefix=reminder_key(row.id),
            now=now,
            payload={"certificate_id": row.id},
        )
        uow.audit(
            at=now,
            actor_id=person.id,
            action="certificate.accept",
            object_type="certificate",
            object_id=str(row.id),
        )
        view = await view_of(uow, row)
        agents = await audiences.body_agents(uow, row.body_id)
        await uow.commit()
    return Decided(view, tuple(_to(i18n, agents, lambda c: c.accepted(view))))


def checked_reason(text: str) -> str:
    cleaned = (text or "").strip()
    if not any(c.isalnum() for c in cleaned):
        raise DomainError("cert.error.reason_required")
    if units(cleaned) > MAX_REASON:
        raise DomainError("cert.error.reason_too_long", max=MAX_REASON)
    return cleaned


async def refuse(
    db: Database, i18n: I18n, person_id: int, certificate_id: int, reason: str, now: datetime
) -> Decided:
    """Staff refuse a certificate sent, with the reason the body is told; it stays asked
    (the weekly reminder goes on) until one is accepted."""
    cleaned = checked_reason(reason)
    async with db.uow() as uow:
        person, row = await _sent_one(uow, person_id, certificate_id)
        row.state = REFUSED
        row.refusal_reason = cleaned
        row.decided_at = now
        row.decided_by_id = person.id
        uow.audit(
            at=now,
            actor_id=person.id,
            action="certificate.refuse",
            object_type="certificate",
            object_id=str(row.id),
            reason=cleaned,
        )
        view = await view_of(uow, row)
        agents = await audiences.body_agents(uow, row.body_id)
        await uow.commit()
    return Decided(view, tuple(_to(i18n, agents, lambda c: c.refused(view))))


# --------------------------------------------------------------------------- reminders


async def _reminded(uow: UnitOfWork, reminder: Reminder) -> InsuranceCertificate | None:
    certificate_id = (reminder.payload or {}).get("certificate_id")
    if not isinstance(certificate_id, int):
        return None
    try:
        return await _load(uow, certificate_id)
    except DomainError:
        return None


def _weekly(i18n: I18n) -> Renderer:
    async def render(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
        row = await _reminded(uow, reminder)
        if row is None or row.state == ACCEPTED:
            return []
        # The next week's, a cadence on (a retry of this row plans it once: same key).
        number = int((reminder.payload or {}).get("number", 1)) + 1
        await reminders.plan(
            uow,
            rules.plan_certificate_reminders(row.asked_at, number)[:1],
            key_prefix=reminder_key(row.id),
            now=now,
            ticket_id=row.ticket_id,
            payload={"certificate_id": row.id, "number": number},
        )
        await uow.commit()
        if row.state == SENT:  # with staff: nothing to ask the body this week
            return []
        view = await view_of(uow, row)
        agents = await audiences.body_agents(uow, row.body_id)
        return _to(i18n, agents, lambda c: c.reminder(view, now))

    return render


def _escalation(i18n: I18n, settings: Settings) -> Renderer:
    async def render(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
        row = await _reminded(uow, reminder)
        if row is None or row.state == ACCEPTED:
            return []
        view = await view_of(uow, row)
        staff = await audiences.staff(uow, StaffRoom.of(settings))
        return _to(
            i18n,
            staff,
            lambda c: c.escalation(view, now),
            lambda c: c.staff_actions(view),
        )

    return render


def _renewal(i18n: I18n) -> Renderer:
    async def render(uow: UnitOfWork, reminder: Reminder, now: datetime) -> list[Outgoing]:
        row = await _reminded(uow, reminder)
        if row is None or row.state != ACCEPTED or row.valid_until is None:
            return []
        later = await uow.session.scalar(
            select(InsuranceCertificate.id).where(
                InsuranceCertificate.body_id == row.body_id,
                InsuranceCertificate.state == ACCEPTED,
                InsuranceCertificate.valid_until > row.valid_until,
            )
        )
        if later is not None:  # a newer one is on file already
            return []
        asked = await ask(uow, row.body_id, now=now, actor_id=None, renews_id=row.id)
        await uow.commit()
        view = await view_of(uow, row)
        agents = await audiences.body_agents(uow, row.body_id)
        del asked
        return _to(i18n, agents, lambda c: c.renewal(view))

    return render


def certificate_renderers(i18n: I18n, settings: Settings) -> Renderers:
    renderers = Renderers()
    renderers.register(KIND_CERTIFICATE_REMINDER, _weekly(i18n))
    renderers.register(KIND_CERTIFICATE_ESCALATION, _escalation(i18n, settings))
    renderers.register(KIND_CERTIFICATE_RENEWAL, _renewal(i18n))
    return renderers
