"""Calls for expression of interest (« AMI », art. 1 and 2): campaigns, each school's
application (a ticket of kind ``ami``) and the selection within the quantity.

Messenger-neutral: the functions check the rights and the rules (bot.domain.calls), write,
and return views and the people to tell; call_notices turns them into messages. A
campaign is not a ticket (it is about no one school); its reminders are rows keyed
``call:<id>`` with no ticket, and their renderer re-reads who has applied at send time.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.domain import calls as rules
from bot.domain.calls import Eligibility, Outcome, Quantity, Question, QuestionKind, Reach, Window
from bot.domain.directory import EQUIPMENT_TYPES
from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role, can, require
from bot.domain.text import units
from bot.services import reminders
from bot.services.audiences import Recipient, recipients
from bot.services.tickets import open_ticket
from storage.models import (
    CallApplication,
    CallCampaign,
    Claim,
    Equipment,
    Person,
    ResponsibleBody,
    School,
    Ticket,
    TicketMessage,
)
from storage.uow import Database, UnitOfWork

KIND = "ami"
PREFIX = "A"
MAX_TITLE = 200
MAX_DESCRIPTION = 3000
MAX_REASON = 500
MAX_COMMENT = 1500
CLAIMS_WINDOW = timedelta(days=365)  # « its claims of the last 12 months »


class CampaignState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    DECIDED = "decided"


class ApplicationState(StrEnum):
    """The ticket's state: sent, then the outcome; or withdrawn."""

    SENT = "sent"
    WITHDRAWN = "withdrawn"
    SELECTED = "selected"
    WAITING = "waiting"
    DECLINED = "declined"


class Level(StrEnum):
    MATERNELLE = "maternelle"
    ELEMENTAIRE = "élémentaire"
    PRIMAIRE = "primaire"


def school_level(name: str) -> str:
    """The school's level, read from its name (the directory does not hold it, decision
    0039): « maternelle » → maternelle, « élémentaire » → élémentaire, else primaire."""
    folded = name.casefold()
    if "maternelle" in folded:
        return Level.MATERNELLE.value
    if "élémentaire" in folded or "elementaire" in folded:
        return Level.ELEMENTAIRE.value
    return Level.PRIMAIRE.value


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class CampaignDraft:
    """What staff type for a new campaign (Paris wall-clock days and times)."""

    title: str
    nature: str
    description: str
    quantity: int
    kit_size: int | None
    reach: Reach
    opens_on: date
    opens_time: time
    closes_on: date
    closes_time: time
    questions: Sequence[Question] = ()
    body_ids: frozenset[int] = frozenset()
    levels: frozenset[str] = frozenset()
    allow_teachers: bool = False


@dataclass(frozen=True)
class CampaignView:
    id: int
    title: str
    nature: str
    description: str
    quantity: Quantity
    eligibility: Eligibility
    window: Window
    questions: tuple[Question, ...]
    allow_teachers: bool
    state: str
    created_at: datetime
    published_at: datetime | None
    cancelled_at: datetime | None
    decided_at: datetime | None


@dataclass(frozen=True)
class CampaignLine:
    campaign: CampaignView
    eligible: int
    applied: int
    selected: int


@dataclass(frozen=True)
class Preview:
    campaign: CampaignView
    schools: int
    heads: int
    teachers: int


@dataclass(frozen=True)
class ApplicationView:
    id: int  # the ticket's
    number: str
    campaign: CampaignView
    school_id: int
    school_name: str
    body_id: int
    state: str
    answers: dict[str, Any]
    sent_at: datetime
    updated_at: datetime
    withdrawn_at: datetime | None
    outcome: str | None
    quantity_given: int | None
    decline_reason: str | None
    waiting_rank: int | None
    reporter_id: int
    closed_at: datetime | None
    comments: tuple[str, ...] = ()

    def answer(self, index: int) -> Any:
        return self.answers.get(str(index))


@dataclass(frozen=True)
class OpenCall:
    campaign: CampaignView
    application: ApplicationView | None


@dataclass(frozen=True)
class Applied:
    view: ApplicationView
    created: bool  # False: the school's application existed already (another person's)
    heads: tuple[Recipient, ...] = ()  # the school's heads besides the person, to tell


@dataclass(frozen=True)
class Told:
    """A step and whom to tell of it."""

    campaign: CampaignView
    applicants: tuple[tuple[ApplicationView, tuple[Recipient, ...]], ...] = ()


@dataclass(frozen=True)
class Publication:
    campaign: CampaignView
    recipients: tuple[Recipient, ...]
    reminders_planned: int


@dataclass(frozen=True)
class HeldItem:
    asset_tag: str
    model: str
    age_years: int | None


@dataclass(frozen=True)
class SelectionRow:
    application: ApplicationView
    commune: str
    equipment: tuple[HeldItem, ...]
    claims_last_year: int


@dataclass(frozen=True)
class Selection:
    campaign: CampaignView
    rows: tuple[SelectionRow, ...]
    given: int  # what is given out already (units or kits)
    left: int


@dataclass(frozen=True)
class Results:
    campaign: CampaignView
    applicants: tuple[tuple[ApplicationView, tuple[Recipient, ...]], ...] = field(default=())


# --------------------------------------------------------------------------- reading


def _questions(raw: Sequence[Mapping[str, Any]]) -> tuple[Question, ...]:
    return tuple(
        Question(
            QuestionKind(q["kind"]),
            str(q["label"]),
            tuple(q.get("choices") or ()),
            bool(q.get("required", True)),
            int(q.get("minimum", 0)),
            int(q.get("maximum", rules.MAX_NUMBER)),
        )
        for q in raw
    )


def _question_row(q: Question) -> dict[str, Any]:
    return {
        "kind": q.kind.value,
        "label": q.label,
        "choices": list(q.choices),
        "required": q.required,
        "minimum": q.minimum,
        "maximum": q.maximum,
    }


def campaign_view(row: CallCampaign) -> CampaignView:
    return CampaignView(
        id=row.id,
        title=row.title,
        nature=row.nature,
        description=row.description,
        quantity=Quantity(row.quantity_count, row.kit_size),
        eligibility=Eligibility(
            Reach(row.reach), frozenset(row.reach_body_ids or ()), frozenset(row.reach_levels or ())
        ),
        window=Window(row.opens_at, row.closes_at),
        questions=_questions(row.questions or []),
        allow_teachers=row.allow_teachers,
        state=row.state,
        created_at=row.created_at,
        published_at=row.published_at,
        cancelled_at=row.cancelled_at,
        decided_at=row.decided_at,
    )


def application_view(row: CallApplication, comments: Sequence[str] = ()) -> ApplicationView:
    ticket = row.ticket
    return ApplicationView(
        id=row.ticket_id,
        number=ticket.number,
        campaign=campaign_view(row.campaign),
        school_id=row.school_id,
        school_name=row.school.name,
        body_id=ticket.body_id,
        state=ticket.state,
        answers=dict(row.answers or {}),
        sent_at=row.sent_at,
        updated_at=row.updated_at,
        withdrawn_at=row.withdrawn_at,
        outcome=row.outcome,
        quantity_given=row.quantity_given,
        decline_reason=row.decline_reason,
        waiting_rank=row.waiting_rank,
        reporter_id=ticket.reporter_id,
        closed_at=ticket.closed_at,
        comments=tuple(comments),
    )


def _admits(view: CampaignView, school: School) -> bool:
    return view.eligibility.admits(
        sector=school.sector, body_id=school.body_id, level=school_level(school.name)
    )


async def _person(uow: UnitOfWork, person_id: int) -> Person:
    person = await uow.people.get(person_id)
    if person is None or not person.active:
        raise DomainError("registration.error.not_registered")
    return person


async def _staff(uow: UnitOfWork, person_id: int) -> Person:
    person = await _person(uow, person_id)
    require(person.role, Action.MANAGE_CALLS)
    return person


async def _campaign(uow: UnitOfWork, campaign_id: int) -> CallCampaign:
    row = await uow.session.get(CallCampaign, campaign_id)
    if row is None:
        raise DomainError("call.error.campaign_not_found")
    return row


def _application_query() -> Any:
    return select(CallApplication).options(
        selectinload(CallApplication.ticket),
        selectinload(CallApplication.campaign),
        selectinload(CallApplication.school),
    )


async def load_application(uow: UnitOfWork, ticket_id: int) -> CallApplication:
    row = await uow.session.scalar(
        _application_query().where(CallApplication.ticket_id == ticket_id)
    )
    if row is None:
        raise DomainError("call.error.application_not_found")
    return row


async def _applications(uow: UnitOfWork, campaign_id: int) -> list[CallApplication]:
    rows = await uow.session.scalars(
        _application_query()
        .where(CallApplication.campaign_id == campaign_id)
        .order_by(CallApplication.sent_at, CallApplication.ticket_id)
    )
    return list(rows)


async def _comments(uow: UnitOfWork, ticket_id: int) -> list[str]:
    rows = await uow.session.scalars(
        select(TicketMessage.body)
        .where(TicketMessage.ticket_id == ticket_id, TicketMessage.visibility == "public")
        .order_by(TicketMessage.id)
    )
    return list(rows)


async def eligible_schools(uow: UnitOfWork, view: CampaignView) -> list[School]:
    schools = await uow.session.scalars(select(School).order_by(School.name))
    return [s for s in schools if _admits(view, s)]


AUDIENCE_CHUNK = 5_000  # school ids per query


async def school_audience(
    uow: UnitOfWork, school_ids: Sequence[int], *, allow_teachers: bool = True
) -> tuple[list[Person], list[Person]]:
    """The heads and the following teachers of these schools (active).

    A call may reach every school of France (48,000): the ids go in chunks, under
    SQLite's limit of bound variables."""
    people: list[Person] = []
    for start in range(0, len(school_ids), AUDIENCE_CHUNK):
        people.extend(
            (
                await uow.session.scalars(
                    select(Person).where(
                        Person.active.is_(True),
                        Person.school_id.in_(school_ids[start : start + AUDIENCE_CHUNK]),
                        Person.role.in_([Role.DIRECTOR.value, Role.TEACHER.value]),
                    )
                )
            ).all()
        )
    people.sort(key=lambda p: p.id)
    heads = [p for p in people if p.role == Role.DIRECTOR.value]
    teachers = [p for p in people if p.role == Role.TEACHER.value and p.follows_calls]
    return heads, teachers


async def _applicants(
    uow: UnitOfWork, rows: Sequence[CallApplication]
) -> tuple[tuple[ApplicationView, tuple[Recipient, ...]], ...]:
    """Each application still on (not withdrawn) with its school's heads and reporter."""
    told = []
    for row in rows:
        if row.withdrawn_at is not None:
            continue
        heads = list(await uow.people.school_heads(row.school_id))
        reporter = await uow.people.get(row.ticket.reporter_id)
        if reporter is not None and all(h.id != reporter.id for h in heads):
            heads.append(reporter)
        told.append((application_view(row), recipients(heads)))
    return tuple(told)


# --------------------------------------------------------------------------- staff


def _checked_draft(draft: CampaignDraft, now: datetime) -> tuple[Window, Eligibility, Quantity]:
    title = draft.title.strip()
    if not title or units(title) > MAX_TITLE:
        raise DomainError("call.error.title", max=MAX_TITLE)
    if draft.nature not in EQUIPMENT_TYPES:
        raise DomainError("call.error.nature")
    if not draft.description.strip() or units(draft.description) > MAX_DESCRIPTION:
        raise DomainError("call.error.description", max=MAX_DESCRIPTION)
    levels = {level.value for level in Level}
    if not draft.levels <= levels:
        raise DomainError("call.error.level")
    quantity = Quantity(draft.quantity, draft.kit_size)
    eligibility = Eligibility(draft.reach, draft.body_ids, draft.levels)
    call_window = rules.window(draft.opens_on, draft.opens_time, draft.closes_on, draft.closes_time)
    rules.check_publishable(call_window, now)
    rules.check_questions(draft.questions)
    return call_window, eligibility, quantity


async def create_campaign(
    db: Database, person_id: int, draft: CampaignDraft, now: datetime
) -> CampaignView:
    """A draft campaign, every field checked; nobody hears of it until it is published."""
    call_window, eligibility, quantity = _checked_draft(draft, now)
    async with db.uow() as uow:
        author = await _staff(uow, person_id)
        row = CallCampaign(
            title=draft.title.strip(),
            nature=draft.nature,
            description=draft.description.strip(),
            quantity_count=quantity.count,
            kit_size=quantity.kit_size,
            reach=eligibility.reach.value,
            reach_body_ids=sorted(eligibility.body_ids),
            reach_levels=sorted(eligibility.levels),
            opens_at=call_window.opens_at,
            closes_at=call_window.closes_at,
            questions=[_question_row(q) for q in draft.questions],
            allow_teachers=draft.allow_teachers,
            state=CampaignState.DRAFT.value,
            created_by_id=author.id,
            created_at=now,
        )
        uow.session.add(row)
        await uow.session.flush()
        uow.audit(
            at=now,
            actor_id=author.id,
            action="call.create",
            object_type="call",
            object_id=str(row.id),
            title=row.title,
        )
        await uow.commit()
        return campaign_view(row)


async def preview(db: Database, person_id: int, campaign_id: int) -> Preview:
    """How many schools, heads and following teachers the campaign would reach now."""
    async with db.uow() as uow:
        await _staff(uow, person_id)
        view = campaign_view(await _campaign(uow, campaign_id))
        schools = await eligible_schools(uow, view)
        heads, teachers = await school_audience(uow, [s.id for s in schools])
        return Preview(view, len(schools), len(heads), len(teachers))


def reminder_key(campaign_id: int) -> str:
    return f"call:{campaign_id}"


async def publish(db: Database, person_id: int, campaign_id: int, now: datetime) -> Publication:
    """The draft published: its closing reminders planned, and the people to tell (every
    eligible school's heads and following teachers), for a front end to hand to the
    outbox (``call_publication.send_out``), never in the request."""
    async with db.uow() as uow:
        author = await _staff(uow, person_id)
        row = await _campaign(uow, campaign_id)
        if row.state != CampaignState.DRAFT.value:
            raise DomainError("call.error.not_draft")
        view = campaign_view(row)
        rules.check_publishable(view.window, now)
        schools = await eligible_schools(uow, view)
        heads, teachers = await school_audience(uow, [s.id for s in schools])
        row.state = CampaignState.PUBLISHED.value
        row.published_at = now
        planned = await reminders.plan(
            uow,
            rules.plan_call_reminders(view.window, now),
            key_prefix=reminder_key(row.id),
            now=now,
            payload={"campaign_id": row.id},
        )
        people = recipients([*heads, *teachers])
        uow.audit(
            at=now,
            actor_id=author.id,
            action="call.publish",
            object_type="call",
            object_id=str(row.id),
            schools=len(schools),
            recipients=len(people),
        )
        await uow.commit()
        return Publication(campaign_view(row), people, planned)


def audit_delivery(
    uow: UnitOfWork,
    person_id: int | None,
    campaign_id: int,
    *,
    delivered: int,
    failed: Sequence[int],
    now: datetime,
) -> None:
    """The end of a publication's delivery (the outbox's report): how many received it,
    and the chats it did not reach."""
    uow.audit(
        at=now,
        actor_id=person_id,
        action="call.delivered",
        object_type="call",
        object_id=str(campaign_id),
        delivered=delivered,
        failed=len(failed),
        failed_chats=list(failed),
    )


async def record_delivery(
    db: Database,
    person_id: int,
    campaign_id: int,
    *,
    delivered: int,
    failed: Sequence[int],
    now: datetime,
) -> None:
    """``audit_delivery`` in a transaction of its own."""
    async with db.uow() as uow:
        audit_delivery(uow, person_id, campaign_id, delivered=delivered, failed=failed, now=now)
        await uow.commit()


async def campaigns(db: Database, person_id: int) -> list[CampaignLine]:
    """Every campaign, newest first, with how many schools may apply, have applied (not
    withdrawn) and were selected."""
    async with db.uow() as uow:
        await _staff(uow, person_id)
        rows = (
            await uow.session.scalars(select(CallCampaign).order_by(CallCampaign.id.desc()))
        ).all()
        schools = list(await uow.session.scalars(select(School)))
        lines = []
        for row in rows:
            view = campaign_view(row)
            counts = dict(
                (
                    await uow.session.execute(
                        select(CallApplication.outcome, func.count())
                        .where(
                            CallApplication.campaign_id == row.id,
                            CallApplication.withdrawn_at.is_(None),
                        )
                        .group_by(CallApplication.outcome)
                    )
                ).all()
            )
            lines.append(
                CampaignLine(
                    view,
                    sum(1 for s in schools if _admits(view, s)),
                    sum(counts.values()),
                    counts.get(Outcome.SELECTED.value, 0),
                )
            )
        return lines


async def campaign(db: Database, person_id: int, campaign_id: int) -> CampaignView:
    async with db.uow() as uow:
        await _staff(uow, person_id)
        return campaign_view(await _campaign(uow, campaign_id))


@dataclass(frozen=True)
class BodyRef:
    id: int
    name: str
    code: str


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


async def search_bodies(db: Database, person_id: int, text: str, limit: int = 8) -> list[BodyRef]:
    """The responsible bodies (communes' own, OGECs, institutes) whose name or code holds
    ``text``, ignoring case and accents: those a call for chosen bodies may name."""
    wanted = _fold(text.strip())
    async with db.uow() as uow:
        await _staff(uow, person_id)
        if not any(c.isalnum() for c in wanted):
            return []
        rows = await uow.session.scalars(select(ResponsibleBody).order_by(ResponsibleBody.name))
        found = [b for b in rows if wanted in _fold(b.name) or wanted in _fold(b.code)]
        return [BodyRef(b.id, b.name, b.code) for b in found[:limit]]


async def bodies_named(db: Database, person_id: int, body_ids: Sequence[int]) -> list[BodyRef]:
    """These bodies, those that exist, by name."""
    async with db.uow() as uow:
        await _staff(uow, person_id)
        if not body_ids:
            return []
        rows = await uow.session.scalars(
            select(ResponsibleBody)
            .where(ResponsibleBody.id.in_(list(body_ids)))
            .order_by(ResponsibleBody.name)
        )
        return [BodyRef(b.id, b.name, b.code) for b in rows]


async def extend(
    db: Database,
    person_id: int,
    campaign_id: int,
    closes_on: date,
    closes_time: time,
    now: datetime,
) -> Told:
    """A later closing: the reminders planned again for it, the applicants told."""
    async with db.uow() as uow:
        author = await _staff(uow, person_id)
        row = await _campaign(uow, campaign_id)
        if row.state != CampaignState.PUBLISHED.value:
            raise DomainError("call.error.not_published")
        new_window = rules.extend(campaign_view(row).window, closes_on, closes_time, now)
        row.closes_at = new_window.closes_at
        await reminders.cancel(uow, key_prefix=reminder_key(row.id), now=now)
        await reminders.plan(
            uow,
            rules.plan_call_reminders(new_window, now),
            key_prefix=f"{reminder_key(row.id)}:{new_window.closes_at:%Y%m%d%H%M}",
            now=now,
            payload={"campaign_id": row.id},
        )
        uow.audit(
            at=now,
            actor_id=author.id,
            action="call.extend",
            object_type="call",
            object_id=str(row.id),
            closes_at=new_window.closes_at.isoformat(),
        )
        told = await _applicants(uow, await _applications(uow, row.id))
        await uow.commit()
        return Told(campaign_view(row), told)


async def cancel(db: Database, person_id: int, campaign_id: int, now: datetime) -> Told:
    """The campaign cancelled: its reminders cancelled, its applications closed, the
    applicants told."""
    async with db.uow() as uow:
        author = await _staff(uow, person_id)
        row = await _campaign(uow, campaign_id)
        if row.state not in (CampaignState.DRAFT.value, CampaignState.PUBLISHED.value):
            raise DomainError("call.error.not_cancellable")
        row.state = CampaignState.CANCELLED.value
        row.cancelled_at = now
        await reminders.cancel(uow, key_prefix=reminder_key(row.id), now=now)
        applications = await _applications(uow, row.id)
        told = await _applicants(uow, applications)
        for application in applications:
            if application.ticket.closed_at is None:
                application.ticket.closed_at = now
                application.ticket.close_reason = "call cancelled"
                application.ticket.updated_at = now
        uow.audit(
            at=now,
            actor_id=author.id,
            action="call.cancel",
            object_type="call",
            object_id=str(row.id),
            applications=len(told),
        )
        await uow.commit()
        return Told(campaign_view(row), told)


# --------------------------------------------------------------------------- schools


def _may_apply(person: Person, view: CampaignView) -> None:
    if person.school_id is None:
        raise DomainError("common.error.forbidden")
    if can(person.role, Action.APPLY_CALL) and person.role != Role.STAFF.value:
        return
    if person.role == Role.TEACHER.value and view.allow_teachers:
        return
    raise DomainError("call.error.heads_only")


async def open_calls(db: Database, person_id: int, now: datetime) -> list[OpenCall]:
    """The published calls the person's school may apply to whose window is open, with
    the school's application when it has one."""
    async with db.uow() as uow:
        person = await _person(uow, person_id)
        if person.school_id is None:
            return []
        school = await uow.directory.school(person.school_id)
        assert school is not None
        rows = await uow.session.scalars(
            select(CallCampaign)
            .where(CallCampaign.state == CampaignState.PUBLISHED.value)
            .order_by(CallCampaign.closes_at)
        )
        found = []
        for row in rows:
            view = campaign_view(row)
            if not view.window.is_open(now) or not _admits(view, school):
                continue
            application = await uow.session.scalar(
                _application_query().where(
                    CallApplication.campaign_id == row.id,
                    CallApplication.school_id == school.id,
                )
            )
            found.append(
                OpenCall(view, application_view(application) if application is not None else None)
            )
        return found


def checked_answers(view: CampaignView, raw: Mapping[int, str | None]) -> dict[str, Any]:
    """Each question's answer checked (``check_answer``), keyed by its index."""
    answers: dict[str, Any] = {}
    for index, question in enumerate(view.questions):
        value = rules.check_answer(question, raw.get(index))
        if value is not None:
            answers[str(index)] = value
    return answers


async def _open_campaign_for(
    uow: UnitOfWork, person: Person, campaign_id: int, now: datetime
) -> tuple[CallCampaign, CampaignView, School]:
    row = await _campaign(uow, campaign_id)
    view = campaign_view(row)
    if row.state != CampaignState.PUBLISHED.value:
        raise DomainError("call.error.not_open")
    _may_apply(person, view)
    assert person.school_id is not None
    school = await uow.directory.school(person.school_id)
    if school is None or not _admits(view, school):
        raise DomainError("call.error.not_eligible")
    rules.check_can_apply(view.window, now)
    return row, view, school


async def apply(
    db: Database, person_id: int, campaign_id: int, raw: Mapping[int, str | None], now: datetime
) -> Applied:
    """The school's application sent; when the school has one already (another person
    sent it), that one is returned unchanged (``created`` False)."""
    async with db.uow() as uow:
        person = await _person(uow, person_id)
        row, view, school = await _open_campaign_for(uow, person, campaign_id, now)
        existing = await uow.session.scalar(
            _application_query().where(
                CallApplication.campaign_id == row.id, CallApplication.school_id == school.id
            )
        )
        if existing is not None:
            return Applied(
                application_view(existing, await _comments(uow, existing.ticket_id)), False
            )
        answers = checked_answers(view, raw)
        ticket = await open_ticket(
            uow,
            kind=KIND,
            prefix=PREFIX,
            state=ApplicationState.SENT.value,
            reporter=person,
            school=school,
            now=now,
        )
        application = CallApplication(
            ticket_id=ticket.id,
            campaign_id=row.id,
            school_id=school.id,
            answers=answers,
            sent_at=now,
            updated_at=now,
        )
        uow.session.add(application)
        uow.audit(
            at=now,
            actor_id=person.id,
            action="call.apply",
            object_type="ticket",
            object_id=str(ticket.id),
            campaign_id=row.id,
        )
        await uow.commit()
        heads = recipients(await uow.people.school_heads(school.id), besides=person.id)
        return Applied(application_view(await load_application(uow, ticket.id)), True, heads)


async def _own_application(uow: UnitOfWork, person: Person, ticket_id: int) -> CallApplication:
    row = await load_application(uow, ticket_id)
    if person.role == Role.STAFF.value:
        return row
    if person.school_id != row.school_id:
        raise DomainError("call.error.application_not_found")
    return row


async def application(db: Database, person_id: int, ticket_id: int) -> ApplicationView:
    """An application as its school (any person of it) or staff see it, with its thread."""
    async with db.uow() as uow:
        person = await _person(uow, person_id)
        if person.role == Role.COMMUNE.value:
            row = await load_application(uow, ticket_id)
            if row.ticket.body_id != person.body_id:
                raise DomainError("call.error.application_not_found")
        else:
            row = await _own_application(uow, person, ticket_id)
        return application_view(row, await _comments(uow, row.ticket_id))


async def edit_answers(
    db: Database, person_id: int, ticket_id: int, raw: Mapping[int, str | None], now: datetime
) -> ApplicationView:
    """New answers, until the closing instant (then locked)."""
    async with db.uow() as uow:
        person = await _person(uow, person_id)
        row = await _own_application(uow, person, ticket_id)
        view = campaign_view(row.campaign)
        _may_apply(person, view)
        if row.withdrawn_at is not None:
            raise DomainError("call.error.withdrawn")
        if row.campaign.state != CampaignState.PUBLISHED.value:
            raise DomainError("call.error.not_open")
        rules.check_can_apply(view.window, now)
        row.answers = checked_answers(view, raw)
        row.updated_at = now
        row.ticket.updated_at = now
        uow.audit(
            at=now,
            actor_id=person.id,
            action="call.edit",
            object_type="ticket",
            object_id=str(ticket_id),
        )
        await uow.commit()
        return application_view(row, await _comments(uow, ticket_id))


async def comment(
    db: Database, person_id: int, ticket_id: int, text: str, now: datetime
) -> ApplicationView:
    """A person of the school (a teacher who found the application sent) adds a word to
    its thread, for the head; written as a public message of the ticket."""
    cleaned = text.strip()
    if not cleaned or units(cleaned) > MAX_COMMENT:
        raise DomainError("call.error.comment", max=MAX_COMMENT)
    async with db.uow() as uow:
        person = await _person(uow, person_id)
        row = await _own_application(uow, person, ticket_id)
        uow.session.add(
            TicketMessage(
                ticket_id=ticket_id,
                author_id=person.id,
                visibility="public",
                body=cleaned,
                created_at=now,
            )
        )
        row.ticket.updated_at = now
        uow.audit(
            at=now,
            actor_id=person.id,
            action="call.comment",
            object_type="ticket",
            object_id=str(ticket_id),
        )
        await uow.commit()
        return application_view(row, await _comments(uow, ticket_id))


async def withdraw(db: Database, person_id: int, ticket_id: int, now: datetime) -> ApplicationView:
    """The school withdraws: before the closing; after it, only a selected school giving
    up what it was given (the quantity freed then serves the waiting list)."""
    async with db.uow() as uow:
        person = await _person(uow, person_id)
        row = await _own_application(uow, person, ticket_id)
        view = campaign_view(row.campaign)
        _may_apply(person, view)
        if row.withdrawn_at is not None:
            raise DomainError("call.error.withdrawn")
        if view.window.is_locked(now) and row.outcome != Outcome.SELECTED.value:
            raise DomainError("call.error.closed")
        row.withdrawn_at = now
        row.ticket.state = ApplicationState.WITHDRAWN.value
        row.ticket.closed_at = now
        row.ticket.close_reason = "withdrawn"
        row.ticket.updated_at = now
        uow.audit(
            at=now,
            actor_id=person.id,
            action="call.withdraw",
            object_type="ticket",
            object_id=str(ticket_id),
            given=row.quantity_given,
        )
        await uow.commit()
        return application_view(row)


# --------------------------------------------------------------------------- selection


def _given(rows: Sequence[CallApplication], besides: int | None = None) -> list[int]:
    return [
        r.quantity_given or 0
        for r in rows
        if r.outcome == Outcome.SELECTED.value and r.withdrawn_at is None and r.ticket_id != besides
    ]


async def _closed_campaign(
    uow: UnitOfWork, campaign_id: int, now: datetime, *, decided: bool = False
) -> CallCampaign:
    """A campaign past its closing, still being decided (or, ``decided``, also one whose
    results were sent: a kit given up then still serves the waiting list)."""
    row = await _campaign(uow, campaign_id)
    allowed = {CampaignState.PUBLISHED.value} | (
        {CampaignState.DECIDED.value} if decided else set()
    )
    if row.state not in allowed:
        raise DomainError("call.error.not_published")
    if not campaign_view(row).window.is_locked(now):
        raise DomainError("call.error.still_open")
    return row


def _age(acquired: date | None, today: date) -> int | None:
    if acquired is None:
        return None
    years = today.year - acquired.year - ((today.month, today.day) < (acquired.month, acquired.day))
    return max(years, 0)


async def selection(db: Database, person_id: int, campaign_id: int, now: datetime) -> Selection:
    """The applications side by side (withdrawn ones left out), each with the school's
    SEM equipment of the campaign's nature in service and its age, and its claims of the
    last 12 months."""
    async with db.uow() as uow:
        await _staff(uow, person_id)
        row = await _campaign(uow, campaign_id)
        view = campaign_view(row)
        if not view.window.is_locked(now):
            raise DomainError("call.error.still_open")
        applications = [a for a in await _applications(uow, row.id) if a.withdrawn_at is None]
        today = now.date()
        lines = []
        for application in applications:
            items = (
                await uow.session.scalars(
                    select(Equipment)
                    .where(
                        Equipment.school_id == application.school_id,
                        Equipment.type == view.nature,
                        Equipment.owner == "sem",
                        Equipment.state == "in_service",
                    )
                    .order_by(Equipment.asset_tag)
                )
            ).all()
            claims = await uow.session.scalar(
                select(func.count())
                .select_from(Claim)
                .join(Ticket, Ticket.id == Claim.ticket_id)
                .where(
                    Ticket.school_id == application.school_id,
                    Ticket.created_at >= now - CLAIMS_WINDOW,
                )
            )
            school = await uow.session.scalar(
                select(School)
                .options(selectinload(School.commune))
                .where(School.id == application.school_id)
            )
            assert school is not None
            lines.append(
                SelectionRow(
                    application_view(application),
                    school.commune.name,
                    tuple(
                        HeldItem(i.asset_tag, i.model, _age(i.installed_on or i.acquired_on, today))
                        for i in items
                    ),
                    int(claims or 0),
                )
            )
        given = sum(_given(applications))
        return Selection(view, tuple(lines), given, view.quantity.count - given)


async def _decide(
    db: Database,
    person_id: int,
    ticket_id: int,
    now: datetime,
    outcome: Outcome,
    *,
    quantity: int | None = None,
    reason: str | None = None,
) -> ApplicationView:
    async with db.uow() as uow:
        author = await _staff(uow, person_id)
        row = await load_application(uow, ticket_id)
        campaign_row = await _closed_campaign(uow, row.campaign_id, now)
        if row.withdrawn_at is not None:
            raise DomainError("call.error.withdrawn")
        applications = await _applications(uow, campaign_row.id)
        if outcome is Outcome.SELECTED:
            assert quantity is not None
            rules.check_allocation(
                campaign_view(campaign_row).quantity, _given(applications, row.ticket_id), quantity
            )
            row.quantity_given, row.waiting_rank, row.decline_reason = quantity, None, None
        elif outcome is Outcome.WAITING:
            ranks = [a.waiting_rank or 0 for a in applications if a.ticket_id != row.ticket_id]
            row.quantity_given, row.decline_reason = quantity, None
            row.waiting_rank = max(ranks, default=0) + 1
        else:
            cleaned = (reason or "").strip()
            if not cleaned or units(cleaned) > MAX_REASON:
                raise DomainError("call.error.reason", max=MAX_REASON)
            row.quantity_given, row.waiting_rank, row.decline_reason = None, None, cleaned
        row.outcome = outcome.value
        row.decided_at = now
        row.decided_by_id = author.id
        row.ticket.state = outcome.value
        row.ticket.updated_at = now
        uow.audit(
            at=now,
            actor_id=author.id,
            action=f"call.{outcome.value}",
            object_type="ticket",
            object_id=str(ticket_id),
            quantity=quantity,
            reason=reason,
        )
        await uow.commit()
        return application_view(row)


async def select_application(
    db: Database, person_id: int, ticket_id: int, quantity: int, now: datetime
) -> ApplicationView:
    """Selected with a quantity (units, or kits): never beyond what the call holds."""
    return await _decide(db, person_id, ticket_id, now, Outcome.SELECTED, quantity=quantity)


async def put_on_waiting_list(
    db: Database, person_id: int, ticket_id: int, quantity: int, now: datetime
) -> ApplicationView:
    """On the waiting list, asking ``quantity`` if quantity is freed; last in the order."""
    if quantity < 1:
        raise DomainError("call.error.allocation_positive")
    return await _decide(db, person_id, ticket_id, now, Outcome.WAITING, quantity=quantity)


async def decline(
    db: Database, person_id: int, ticket_id: int, reason: str, now: datetime
) -> ApplicationView:
    """Declined, with the reason told to the school with the results."""
    return await _decide(db, person_id, ticket_id, now, Outcome.DECLINED, reason=reason)


async def serve_waiting_list(
    db: Database, person_id: int, campaign_id: int, now: datetime
) -> Results:
    """What is free (a selected school withdrew, or never all was given) goes to the
    waiting list in its order (``serve_waiting_list``): those served become selected; when
    the results were sent already, they are to be told (call_notices.results)."""
    async with db.uow() as uow:
        author = await _staff(uow, person_id)
        campaign_row = await _closed_campaign(uow, campaign_id, now, decided=True)
        applications = await _applications(uow, campaign_row.id)
        waiting = sorted(
            (
                a
                for a in applications
                if a.outcome == Outcome.WAITING.value and a.withdrawn_at is None
            ),
            key=lambda a: a.waiting_rank or 0,
        )
        served = rules.serve_waiting_list(
            campaign_view(campaign_row).quantity,
            _given(applications),
            [rules.Application(a.ticket_id, a.sent_at, a.quantity_given or 1) for a in waiting],
        )
        by_id = {a.ticket_id: a for a in waiting}
        for chosen in served:
            row = by_id[chosen.id]
            row.outcome = Outcome.SELECTED.value
            row.quantity_given = chosen.asked
            row.waiting_rank = None
            row.decided_at = now
            row.decided_by_id = author.id
            row.ticket.state = ApplicationState.SELECTED.value
            row.ticket.updated_at = now
            uow.audit(
                at=now,
                actor_id=author.id,
                action="call.served",
                object_type="ticket",
                object_id=str(row.ticket_id),
                quantity=chosen.asked,
            )
        told = await _applicants(uow, [by_id[chosen.id] for chosen in served])
        await uow.commit()
        return Results(campaign_view(campaign_row), told)


async def send_results(db: Database, person_id: int, campaign_id: int, now: datetime) -> Results:
    """The campaign decided: every applicant still on is told its outcome (call_notices
    words them); an application left undecided is refused first."""
    async with db.uow() as uow:
        author = await _staff(uow, person_id)
        row = await _closed_campaign(uow, campaign_id, now)
        applications = await _applications(uow, row.id)
        if any(a.outcome is None and a.withdrawn_at is None for a in applications):
            raise DomainError("call.error.undecided")
        row.state = CampaignState.DECIDED.value
        row.decided_at = now
        told = await _applicants(uow, applications)
        for application in applications:
            if (
                application.outcome == Outcome.DECLINED.value
                and application.ticket.closed_at is None
            ):
                application.ticket.closed_at = now
                application.ticket.close_reason = "declined"
        uow.audit(
            at=now,
            actor_id=author.id,
            action="call.results",
            object_type="call",
            object_id=str(row.id),
            applicants=len(told),
        )
        await uow.commit()
        return Results(campaign_view(row), told)


# --------------------------------------------------------------------------- reminders


async def not_applied(uow: UnitOfWork, campaign_id: int) -> tuple[CampaignView, list[Person]]:
    """The heads (and following teachers) of eligible schools that have not applied:
    whom a closing reminder goes to (``needs_reminder``), read at send time."""
    row = await _campaign(uow, campaign_id)
    view = campaign_view(row)
    applied = set(
        (
            await uow.session.scalars(
                select(CallApplication.school_id).where(
                    CallApplication.campaign_id == row.id,
                    CallApplication.withdrawn_at.is_(None),
                )
            )
        ).all()
    )
    schools = [
        s.id
        for s in await eligible_schools(uow, view)
        if rules.needs_reminder(eligible=True, applied=s.id in applied)
    ]
    heads, teachers = await school_audience(uow, schools)
    return view, [*heads, *teachers]


async def still_to_remind(
    uow: UnitOfWork, campaign_id: int, person_id: int
) -> tuple[CampaignView, Person] | None:
    """One person of a closing reminder's crowd, re-read at send time: the campaign and
    the person when they are still owed the reminder (an active head, or a teacher who
    follows calls, of an eligible school that has not applied), else ``None``."""
    row = await uow.session.get(CallCampaign, campaign_id)
    person = await uow.people.get(person_id)
    if row is None or person is None or not person.active or person.school_id is None:
        return None
    if not (
        person.role == Role.DIRECTOR.value
        or (person.role == Role.TEACHER.value and person.follows_calls)
    ):
        return None
    view = campaign_view(row)
    school = await uow.session.get(School, person.school_id)
    if school is None or not _admits(view, school):
        return None
    applied = await uow.session.scalar(
        select(CallApplication.ticket_id)
        .where(
            CallApplication.campaign_id == row.id,
            CallApplication.school_id == school.id,
            CallApplication.withdrawn_at.is_(None),
        )
        .limit(1)
    )
    if not rules.needs_reminder(eligible=True, applied=applied is not None):
        return None
    return view, person


async def reopen_application(
    db: Database, person_id: int, ticket_id: int, now: datetime
) -> ApplicationView:
    """The core's reopening, for staff: an application closed by mistake back on."""
    async with db.uow() as uow:
        author = await _staff(uow, person_id)
        row = await load_application(uow, ticket_id)
        if row.withdrawn_at is not None:
            raise DomainError("call.error.withdrawn")
        row.ticket.closed_at = None
        row.ticket.close_reason = None
        row.ticket.updated_at = now
        uow.audit(
            at=now,
            actor_id=author.id,
            action="call.reopen",
            object_type="ticket",
            object_id=str(ticket_id),
        )
        await uow.commit()
        return application_view(row)
