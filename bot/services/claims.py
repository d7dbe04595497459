"""Claims (sinistres, art. 6): report, the commune's duties, pledge, payment, closing.

Each use case: load in one unit of work, check the person's right and scope, call the
domain (``bot.domain.claims``), write the result, the audit entry and the reminders in
the same transaction, commit. Nothing here formats text for a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.domain import claims as rules
from bot.domain.claims import (
    ClaimFacts,
    ClaimKind,
    ClaimState,
    Duty,
    DutyRecord,
    PaymentMode,
    Pledge,
)
from bot.domain.dates import PARIS, local_date
from bot.domain.deadlines import (
    PlannedReminder,
    earliest,
    payment_deadline,
    payment_due_at,
    plan_duty_reminders,
    plan_payment_reminders,
    plan_pledge_reminders,
    plan_recovery_reminders,
)
from bot.domain.directory import cents_to_eur, eur_to_cents, normalize_asset_tag
from bot.domain.errors import DomainError
from bot.domain.platforms import TELEGRAM
from bot.domain.roles import Action, Role, require
from bot.services import access, audiences, reminders, tickets
from bot.services.audiences import Recipient
from storage.models import (
    Attachment,
    AuditEntry,
    Claim,
    ClaimDuty,
    ClaimItem,
    Equipment,
    Payment,
    Person,
    ResponsibleBody,
    School,
    Ticket,
)
from storage.uow import Database, UnitOfWork

KIND = "claim"  # Ticket.kind of a sinistre
PREFIX = "S"  # claim numbers: S-2026-0042
MAX_ITEMS = 30
MAX_DESCRIPTION = 3000
# Equipment that can still be stolen, lost or damaged: not what was already reported
# stolen or lost, nor what was collected, reassigned or recycled.
REPORTABLE_STATES = frozenset({"in_service", "unused", "out_of_order", "awaiting_collection"})
EQUIPMENT_STATE_AFTER: dict[ClaimKind, str | None] = {
    ClaimKind.THEFT: "stolen",
    ClaimKind.LOSS: "lost",
    ClaimKind.DAMAGE: None,  # damaged items stay where they are until SEM assesses them
}


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class ItemRequest:
    asset_tag: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class FileRef:
    kind: str  # photo | document
    file_id: str
    file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None
    platform: str = TELEGRAM  # where file_id means something


@dataclass(frozen=True)
class ReportClaim:
    reporter_id: int
    school_id: int
    kind: ClaimKind
    discovered_at: datetime
    description: str
    items: tuple[ItemRequest, ...]
    files: tuple[FileRef, ...] = ()


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class ItemView:
    asset_tag: str | None
    description: str | None
    type: str | None
    model: str | None
    known: bool
    value: Decimal | None
    acquired_on: date | None
    refund: Decimal | None
    share: Decimal | None
    replaceable: bool | None
    replacement_ordered_on: date | None = None
    replacement_installed_on: date | None = None
    new_value: Decimal | None = None
    covered: bool = True  # False: the commune's own equipment, outside the refund


@dataclass(frozen=True)
class DutyView:
    duty: Duty
    deadline: datetime
    done_at: datetime | None
    reference: str | None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str | None
    action: str
    details: dict[str, Any]


@dataclass(frozen=True)
class ClaimView:
    id: int
    number: str
    kind: ClaimKind
    state: ClaimState
    school_id: int | None
    school_name: str
    school_uai: str
    commune_id: int
    commune_name: str
    reporter_name: str
    reporter_id: int
    discovered_at: datetime
    deadline: datetime
    description: str
    items: tuple[ItemView, ...]
    total_refund: Decimal
    unknown_count: int
    duties: tuple[DutyView, ...]
    pledge: Pledge | None
    completed_on: date | None
    payment_deadline: date | None
    amount_due: Decimal | None
    paid: Decimal
    outstanding: Decimal | None
    closed_reason: str | None
    attachments: int
    high_frequency: bool
    created_at: datetime
    recovery_told_at: datetime | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    # The responsible body the claim's duties, pledge and payment go to.
    body_id: int = 0
    body_kind: str = "commune"
    body_name: str = ""

    @property
    def pending_duties(self) -> tuple[Duty, ...]:
        return tuple(d.duty for d in self.duties if d.done_at is None)

    @property
    def not_replaced(self) -> tuple[ItemView, ...]:
        return tuple(i for i in self.items if i.replaceable is False)


@dataclass(frozen=True)
class Reported:
    claim: ClaimView
    body_agents: tuple[Recipient, ...]  # the agents of the school's responsible body


@dataclass(frozen=True)
class Preview:
    items: tuple[ItemView, ...]
    total: Decimal
    unknown_count: int
    deadline: datetime
    body_kind: str = "commune"  # the school's body, for the summary's wording


@dataclass
class TagCheck:
    """What a typed asset tag is: one of this school's, unknown, or someone else's."""

    asset_tag: str
    known: bool
    type: str | None = None  # type (a code of the list, or as imported) and model, when known
    model: str | None = None
    equipment_id: int | None = None
    other_school: bool = False
    unavailable: bool = False  # already reported stolen or lost, collected, recycled…
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


async def _load_claim(uow: UnitOfWork, claim_id: int) -> Claim:
    claim = await uow.session.scalar(
        select(Claim)
        .where(Claim.ticket_id == claim_id)
        .options(
            selectinload(Claim.ticket).selectinload(Ticket.school).selectinload(School.commune),
            selectinload(Claim.ticket).selectinload(Ticket.commune),
            selectinload(Claim.ticket).selectinload(Ticket.body),
            selectinload(Claim.ticket).selectinload(Ticket.reporter),
            selectinload(Claim.items).selectinload(ClaimItem.equipment),
            selectinload(Claim.duties),
            selectinload(Claim.payments),
        )
    )
    if claim is None:
        raise DomainError("claim.error.not_found")
    return claim


async def _claim_for(
    uow: UnitOfWork, person: Person, claim_id: int, action: Action | None = None
) -> Claim:
    """The claim, if this person may see it (and do ``action`` on it); else not found.

    A claim outside the person's scope is reported as not found, so that numbers of
    other schools' claims cannot be probed.
    """
    if action is not None:
        require(person.role, action)
    claim = await _load_claim(uow, claim_id)
    if not access.follows(person, claim.ticket):
        raise DomainError("claim.error.not_found")
    return claim


def facts_of(claim: Claim) -> ClaimFacts:
    """The domain's snapshot of a stored claim."""
    pledge = None
    if claim.pledge_amount_cents is not None and claim.pledge_mode and claim.pledge_planned_on:
        pledge = Pledge(
            amount=cents_to_eur(claim.pledge_amount_cents),
            mode=PaymentMode(claim.pledge_mode),
            planned_on=claim.pledge_planned_on,
            received_at=claim.pledged_at or claim.ticket.created_at,
        )
    return ClaimFacts(
        kind=ClaimKind(claim.kind),
        discovered_at=claim.discovered_at,
        state=ClaimState(claim.ticket.state),
        duties_done={
            Duty(d.duty): DutyRecord(done_at=d.done_at, reference=d.reference)
            for d in claim.duties
            if d.done_at is not None
        },
        pledge=pledge,
        completed_on=claim.completed_on,
        amount_due=None if claim.amount_due_cents is None else cents_to_eur(claim.amount_due_cents),
        payments_total=cents_to_eur(sum(p.amount_cents for p in claim.payments)),
        closed_at=claim.ticket.closed_at,
        close_reason=claim.ticket.close_reason,
    )


def _store(claim: Claim, facts: ClaimFacts, now: datetime) -> None:
    ticket = claim.ticket
    ticket.state = facts.state.value
    ticket.updated_at = now
    ticket.closed_at = facts.closed_at
    ticket.close_reason = facts.close_reason
    if facts.pledge is not None:
        claim.pledge_amount_cents = eur_to_cents(facts.pledge.amount)
        claim.pledge_mode = facts.pledge.mode.value
        claim.pledge_planned_on = facts.pledge.planned_on
        claim.pledged_at = facts.pledge.received_at
    claim.completed_on = facts.completed_on
    claim.payment_due_at = (
        None if facts.completed_on is None else payment_due_at(facts.completed_on, PARIS)
    )
    claim.amount_due_cents = None if facts.amount_due is None else eur_to_cents(facts.amount_due)
    # The queue's order: the nearest open duty (48 h), else the end of the payment window.
    ticket.next_deadline_at = (
        None
        if facts.closed_at is not None
        else earliest(
            *(d.deadline_at for d in claim.duties if d.done_at is None), claim.payment_due_at
        )
    )


def _audit(
    uow: UnitOfWork,
    claim: Claim | Ticket,
    actor: Person | None,
    action: str,
    now: datetime,
    **details: Any,
) -> None:
    ticket = claim.ticket if isinstance(claim, Claim) else claim
    uow.audit(
        at=now,
        actor_id=actor.id if actor else None,
        action=action,
        object_type="ticket",
        object_id=ticket.number,
        **{k: _jsonable(v) for k, v in details.items()},
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _key(claim_id: int) -> str:
    return f"claim:{claim_id}"


async def _plan(
    uow: UnitOfWork,
    ticket_id: int,
    planned: Sequence[PlannedReminder],
    now: datetime,
    *,
    prefix: str | None = None,
) -> None:
    """Store the claim's reminders, keyed under the claim so that closing cancels them."""
    await reminders.plan(
        uow, planned, key_prefix=prefix or _key(ticket_id), now=now, ticket_id=ticket_id
    )


def _attachment(
    ticket_id: int, file: FileRef, *, purpose: str, person: Person, now: datetime
) -> Attachment:
    return Attachment(
        ticket_id=ticket_id,
        kind=file.kind,
        purpose=purpose,
        platform=file.platform,
        file_id=file.file_id,
        file_unique_id=file.file_unique_id,
        file_name=file.file_name,
        mime_type=file.mime_type,
        uploaded_by_id=person.id,
        created_at=now,
    )


async def _view(
    uow: UnitOfWork, claim: Claim, now: datetime, *, timeline: bool = False
) -> ClaimView:
    facts = facts_of(claim)
    ticket = claim.ticket
    loss_on = local_date(claim.discovered_at, PARIS)
    items = [_item_view(item, loss_on) for item in claim.items]
    known = [i.refund for i in items if i.refund is not None]
    total = sum(known, Decimal("0.00"))
    unknown = len(items) - len(known)
    duties = tuple(
        DutyView(Duty(d.duty), d.deadline_at, d.done_at, d.reference)
        for d in sorted(
            claim.duties, key=lambda d: rules.duties_for(facts.kind).index(Duty(d.duty))
        )
    )
    attachments = await uow.session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.ticket_id == ticket.id)
    )
    recent = await uow.session.scalars(
        select(Ticket.created_at).where(
            Ticket.kind == "claim",
            Ticket.school_id == ticket.school_id,
        )
    )
    entries: tuple[TimelineEntry, ...] = ()
    if timeline:
        rows = await uow.session.execute(
            select(AuditEntry, Person.full_name)
            .outerjoin(Person, Person.id == AuditEntry.actor_id)
            .where(AuditEntry.object_type == "ticket", AuditEntry.object_id == ticket.number)
            .order_by(AuditEntry.id)
        )
        entries = tuple(
            TimelineEntry(entry.at, name, entry.action, dict(entry.details)) for entry, name in rows
        )
    school = ticket.school
    return ClaimView(
        id=claim.ticket_id,
        number=ticket.number,
        kind=facts.kind,
        state=facts.state,
        school_id=ticket.school_id,
        school_name=school.name if school else "",
        school_uai=school.uai if school else "",
        commune_id=ticket.commune_id,
        commune_name=ticket.commune.name,
        body_id=ticket.body_id,
        body_kind=ticket.body.kind,
        body_name=ticket.body.name,
        reporter_name=ticket.reporter.full_name,
        reporter_id=ticket.reporter_id,
        discovered_at=claim.discovered_at,
        deadline=facts.duties_deadline,
        description=claim.description,
        items=tuple(items),
        total_refund=total,
        unknown_count=unknown,
        duties=duties,
        pledge=facts.pledge,
        completed_on=facts.completed_on,
        payment_deadline=payment_deadline(facts.completed_on) if facts.completed_on else None,
        amount_due=facts.amount_owed,
        paid=facts.payments_total,
        outstanding=facts.outstanding,
        closed_reason=facts.close_reason,
        attachments=int(attachments or 0),
        high_frequency=rules.is_high_frequency(list(recent), now),
        created_at=ticket.created_at,
        recovery_told_at=claim.recovery_told_at,
        timeline=entries,
    )


# --------------------------------------------------------------------------- reporting


@dataclass(frozen=True)
class SchoolRef:
    id: int
    name: str
    uai: str


async def reporting_schools(db: Database, person_id: int) -> list[SchoolRef]:
    """The schools a person may report for: their own, or every school of their body."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        require(person.role, Action.REPORT_CLAIM)
        if person.school_id is not None:
            school = await uow.directory.school(person.school_id)
            found = [school] if school else []
        else:
            query = select(School).order_by(School.name)
            if person.role == Role.COMMUNE:
                query = query.where(School.body_id == person.body_id)
            found = list((await uow.session.scalars(query)).all())
        return [SchoolRef(s.id, s.name, s.uai) for s in found]


async def _school_in_scope(uow: UnitOfWork, person: Person, school_id: int) -> School:
    school = await uow.directory.school(school_id)
    if school is None or not access.scope(person).reaches(
        school_id=school.id, commune_id=school.commune_id, body_id=school.body_id
    ):
        raise DomainError("claim.error.school_out_of_scope")
    return school


async def inventory_page(
    db: Database, person_id: int, school_id: int, page: int, per_page: int = 8
) -> tuple[list[Equipment], int]:
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        await _school_in_scope(uow, person, school_id)
        rows, total = await uow.directory.equipment_of_school(
            school_id, offset=max(page, 0) * per_page, limit=per_page
        )
        return list(rows), total


async def check_tags(
    db: Database, person_id: int, school_id: int, tags: Sequence[str]
) -> list[TagCheck]:
    """Typed tags: this school's equipment, unknown ones (to describe), or refused."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        await _school_in_scope(uow, person, school_id)
        checks: list[TagCheck] = []
        for raw in tags:
            tag = normalize_asset_tag(raw)
            equipment = await uow.directory.equipment_by_tag(tag)
            if equipment is None:
                checks.append(TagCheck(tag, known=False))
            elif equipment.school_id != school_id:
                checks.append(TagCheck(tag, known=True, other_school=True))
            elif equipment.state not in REPORTABLE_STATES:
                checks.append(TagCheck(tag, known=True, unavailable=True))
            else:
                checks.append(
                    TagCheck(
                        tag,
                        known=True,
                        type=equipment.type,
                        model=equipment.model,
                        equipment_id=equipment.id,
                    )
                )
        return checks


async def _claim_items(
    uow: UnitOfWork, school_id: int, requests: Sequence[ItemRequest], loss_on: date
) -> list[ClaimItem]:
    if not requests:
        raise DomainError("claim.error.no_items")
    if len(requests) > MAX_ITEMS:
        raise DomainError("claim.error.too_many_items", max=MAX_ITEMS)
    items: list[ClaimItem] = []
    seen: set[str] = set()
    for request in requests:
        tag = normalize_asset_tag(request.asset_tag) if request.asset_tag else None
        if tag:
            if tag in seen:
                continue
            seen.add(tag)
        equipment = await uow.directory.equipment_by_tag(tag) if tag else None
        if equipment is not None and equipment.school_id != school_id:
            raise DomainError("claim.error.tag_other_school", tag=tag)
        if equipment is not None and equipment.state not in REPORTABLE_STATES:
            raise DomainError("claim.error.tag_unavailable", tag=tag)
        description = (request.description or "").strip() or None
        if equipment is None and description is None:
            raise DomainError("claim.error.unknown_tag_needs_description", tag=tag or "")
        covered = rules.covered_by_convention(equipment.owner if equipment else None)
        value = (
            None
            if equipment is None or equipment.value_cents is None
            else cents_to_eur(equipment.value_cents)
        )
        acquired = equipment.acquired_on if equipment else None
        refund = rules.item_refund(value, acquired, loss_on) if covered else Decimal("0.00")
        items.append(
            ClaimItem(
                equipment_id=equipment.id if equipment else None,
                asset_tag=tag,
                description=description,
                value_cents=equipment.value_cents if equipment else None,
                acquired_on=acquired,
                refund_cents=None if refund is None else eur_to_cents(refund),
                replaceable=rules.is_replaceable(acquired, loss_on) if covered else None,
                equipment=equipment,
            )
        )
    return items


async def preview_claim(db: Database, cmd: ReportClaim, now: datetime) -> Preview:
    """What the summary shows before confirming: items, refund estimate, 48 h deadline.

    Nothing is written: the session is closed without a commit.
    """
    rules.open_claim(cmd.kind, cmd.discovered_at, now)
    loss_on = local_date(cmd.discovered_at, PARIS)
    async with db.uow() as uow:
        person = await access.person(uow, cmd.reporter_id)
        require(person.role, Action.REPORT_CLAIM)
        school = await _school_in_scope(uow, person, cmd.school_id)
        body = await uow.session.get(ResponsibleBody, school.body_id)
        items = await _claim_items(uow, cmd.school_id, cmd.items, loss_on)
        views = [_item_view(item, loss_on) for item in items]
    known = [v.refund for v in views if v.refund is not None]
    return Preview(
        tuple(views),
        sum(known, Decimal("0.00")),
        len(views) - len(known),
        rules.duties_deadline(cmd.discovered_at),
        body.kind if body is not None else "commune",
    )


def _item_view(item: ClaimItem, loss_on: date) -> ItemView:
    value = None if item.value_cents is None else cents_to_eur(item.value_cents)
    covered = rules.covered_by_convention(item.equipment.owner if item.equipment else None)
    return ItemView(
        asset_tag=item.asset_tag,
        description=item.description,
        type=item.equipment.type if item.equipment else None,
        model=item.equipment.model if item.equipment else None,
        known=item.equipment is not None,
        value=value,
        acquired_on=item.acquired_on,
        refund=(
            rules.item_refund(value, item.acquired_on, loss_on) if covered else Decimal("0.00")
        ),
        share=(
            rules.refund_share(rules.item_age_years(item.acquired_on, loss_on))
            if covered and item.acquired_on is not None
            else None
        ),
        replaceable=item.replaceable if covered else None,
        replacement_ordered_on=item.replacement_ordered_on,
        replacement_installed_on=item.replacement_installed_on,
        new_value=None if item.new_value_cents is None else cents_to_eur(item.new_value_cents),
        covered=covered,
    )


async def report_claim(db: Database, cmd: ReportClaim, now: datetime) -> Reported:
    """Open the claim: number, items with their refund, the commune's duties, reminders."""
    facts = rules.open_claim(cmd.kind, cmd.discovered_at, now)
    description = cmd.description.strip()
    if not description:
        raise DomainError("claim.error.description_required")
    if len(description) > MAX_DESCRIPTION:
        raise DomainError("claim.error.description_too_long", max=MAX_DESCRIPTION)
    async with db.uow() as uow:
        person = await access.person(uow, cmd.reporter_id)
        require(person.role, Action.REPORT_CLAIM)
        school = await _school_in_scope(uow, person, cmd.school_id)
        loss_on = local_date(facts.discovered_at, PARIS)
        items = await _claim_items(uow, school.id, cmd.items, loss_on)
        ticket = await tickets.open_ticket(
            uow,
            kind=KIND,
            prefix=PREFIX,
            state=facts.state.value,
            reporter=person,
            school=school,
            now=now,
            next_deadline=facts.duties_deadline if rules.duties_for(facts.kind) else None,
        )
        claim = Claim(
            ticket_id=ticket.id,
            kind=facts.kind.value,
            discovered_at=facts.discovered_at,
            description=description,
        )
        uow.session.add(claim)
        for item in items:
            item.claim_id = ticket.id
            uow.session.add(item)
            new_state = EQUIPMENT_STATE_AFTER[facts.kind]
            if item.equipment is not None and new_state:
                item.equipment.state = new_state
                item.equipment.updated_at = now
        for duty in rules.duties_for(facts.kind):
            uow.session.add(
                ClaimDuty(claim_id=ticket.id, duty=duty.value, deadline_at=facts.duties_deadline)
            )
        for file in cmd.files:
            uow.session.add(
                _attachment(ticket.id, file, purpose="evidence", person=person, now=now)
            )
        await _plan(uow, ticket.id, plan_duty_reminders(facts.discovered_at, now), now)
        await _plan(uow, ticket.id, plan_pledge_reminders(facts.discovered_at, now), now)
        _audit(uow, ticket, person, "claim.reported", now, kind=facts.kind.value, items=len(items))
        await uow.commit()
        agents = await uow.people.body_agents(school.body_id)
        view = await _view(uow, await _load_claim(uow, ticket.id), now)
    # Staff are told through their room (group or members): claim_notices.after_report.
    return Reported(view, audiences.recipients(agents))


# --------------------------------------------------------------------------- following


async def claim_view(
    db: Database, person_id: int, claim_id: int, now: datetime, *, timeline: bool = False
) -> ClaimView:
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id)
        return await _view(uow, claim, now, timeline=timeline)


async def find_claim_id(db: Database, person_id: int, number: str) -> int:
    """A claim's id from its number (S-2026-0042), within the person's scope."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        ticket = await uow.tickets.by_number(number.strip())
        if ticket is None or ticket.kind != "claim" or not access.follows(person, ticket):
            raise DomainError("claim.error.not_found")
        return ticket.id


async def confirm_duty(
    db: Database,
    person_id: int,
    claim_id: int,
    duty: Duty,
    *,
    done_at: datetime,
    reference: str | None,
    now: datetime,
) -> ClaimView:
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.FOLLOW_CLAIM)
        facts = rules.confirm_duty(facts_of(claim), Duty(duty), done_at, now, reference)
        record = facts.duties_done[Duty(duty)]
        row = next(d for d in claim.duties if d.duty == duty)
        row.done_at, row.reference = record.done_at, record.reference
        row.confirmed_by_id, row.confirmed_at = person.id, now
        _store(claim, facts, now)
        _audit(
            uow,
            claim,
            person,
            "claim.duty_confirmed",
            now,
            duty=duty.value,
            done_at=record.done_at,
            reference=record.reference,
        )
        await uow.commit()
        return await _view(uow, claim, now)


async def check_duty_time(
    db: Database, person_id: int, claim_id: int, duty: Duty, *, done_at: datetime, now: datetime
) -> None:
    """Refuse a duty's date at once (before asking for its reference); writes nothing."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.FOLLOW_CLAIM)
        rules.confirm_duty(facts_of(claim), Duty(duty), done_at, now, reference="(checking)")


async def record_pledge(
    db: Database,
    person_id: int,
    claim_id: int,
    *,
    amount: Decimal,
    mode: PaymentMode,
    planned_on: date,
    now: datetime,
) -> ClaimView:
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.FOLLOW_CLAIM)
        facts = rules.record_pledge(facts_of(claim), amount, mode, planned_on, now)
        _store(claim, facts, now)
        _audit(
            uow,
            claim,
            person,
            "claim.pledged",
            now,
            amount=facts.pledge.amount if facts.pledge else None,
            mode=mode.value,
            planned_on=planned_on,
        )
        await uow.commit()
        return await _view(uow, claim, now)


def _amount_due(claim: Claim) -> Decimal | None:
    """What the commune owes SEM: the refund by age (art. 6) when every item's value and
    date are known; otherwise the pledge's estimate (None lets the domain take it)."""
    loss_on = local_date(claim.discovered_at, PARIS)
    lines = [_item_view(item, loss_on) for item in claim.items]
    if any(line.refund is None for line in lines):
        return None
    return sum((line.refund for line in lines if line.refund is not None), Decimal("0.00"))


def amount_due_at_completion(view: ClaimView) -> Decimal | None:
    """The amount ``mark_complete`` will fix, for the confirmation shown before it."""
    if view.unknown_count == 0:
        return view.total_refund
    return None if view.pledge is None else view.pledge.amount


async def mark_complete(db: Database, person_id: int, claim_id: int, *, now: datetime) -> ClaimView:
    """Staff: the dossier is complete; the commune has one year from today to pay."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        today = local_date(now, PARIS)
        facts = rules.mark_complete(facts_of(claim), today, now, amount_due=_amount_due(claim))
        _store(claim, facts, now)
        await _plan(uow, claim.ticket_id, plan_payment_reminders(today, PARIS, now), now)
        _audit(
            uow,
            claim,
            person,
            "claim.completed",
            now,
            completed_on=today,
            amount_due=facts.amount_due,
            pay_by=payment_deadline(today),
        )
        await uow.commit()
        return await _view(uow, claim, now)


async def record_payment(
    db: Database, person_id: int, claim_id: int, *, amount: Decimal, paid_on: date, now: datetime
) -> tuple[ClaimView, bool]:
    """Staff record a payment; paid in full closes the claim and its reminders."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        rules.check_payment_day(paid_on, local_date(now, PARIS))
        outcome = rules.record_payment(facts_of(claim), amount)
        claim.payments.append(
            Payment(
                amount_cents=eur_to_cents(rules.to_cents(amount)),
                paid_on=paid_on,
                recorded_by_id=person.id,
                recorded_at=now,
            )
        )
        facts = outcome.claim
        _audit(
            uow,
            claim,
            person,
            "claim.payment",
            now,
            amount=rules.to_cents(amount),
            paid_on=paid_on,
            outstanding=outcome.outstanding,
        )
        if outcome.paid_in_full:
            facts = rules.close(facts, now)
            await reminders.cancel(uow, key_prefix=_key(claim.ticket_id) + ":payment", now=now)
            _audit(uow, claim, person, "claim.closed", now, reason=None)
        _store(claim, facts, now)
        await uow.commit()
        return await _view(uow, claim, now), outcome.paid_in_full


async def close_claim(
    db: Database, person_id: int, claim_id: int, *, reason: str | None, now: datetime
) -> ClaimView:
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        facts = rules.close(facts_of(claim), now, reason)
        _store(claim, facts, now)
        await reminders.cancel(uow, key_prefix=_key(claim.ticket_id), now=now)
        _audit(uow, claim, person, "claim.closed", now, reason=facts.close_reason)
        await uow.commit()
        return await _view(uow, claim, now)


async def reopen_claim(db: Database, person_id: int, claim_id: int, *, now: datetime) -> ClaimView:
    """Staff reopen a closed claim; what is still owed is reminded again."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        facts = rules.reopen(facts_of(claim))
        _store(claim, facts, now)
        # The reminders cancelled at closing stay cancelled; fresh keys plan what is
        # still ahead (renderers re-check at send time, so nothing stale is sent).
        again = f"{_key(claim.ticket_id)}:reopened-{now:%Y%m%d%H%M%S}"
        planned = (
            list(plan_duty_reminders(facts.discovered_at, now)) if facts.pending_duties else []
        )
        if facts.pledge is None:
            planned += plan_pledge_reminders(facts.discovered_at, now)
        if facts.completed_on is not None and not facts.paid_in_full:
            planned += plan_payment_reminders(facts.completed_on, PARIS, now)
        await _plan(uow, claim.ticket_id, planned, now, prefix=again)
        _audit(uow, claim, person, "claim.reopened", now)
        await uow.commit()
        return await _view(uow, claim, now)


async def record_replacement(
    db: Database,
    person_id: int,
    claim_id: int,
    *,
    item_tag: str,
    ordered_on: date | None = None,
    installed_on: date | None = None,
    new_value: Decimal | None = None,
    now: datetime,
) -> ClaimView:
    """Staff: an item's replacement was ordered, or installed with its new value."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        tag = normalize_asset_tag(item_tag)
        item = next((i for i in claim.items if i.asset_tag == tag), None)
        if item is None:
            raise DomainError("claim.error.item_not_in_claim", tag=tag)
        if installed_on is not None:
            if new_value is None:
                raise DomainError("claim.error.new_value_required")
            if new_value < 0:
                raise DomainError("claim.error.negative_amount", amount=new_value)
            item.replacement_installed_on = installed_on
            item.new_value_cents = eur_to_cents(rules.to_cents(new_value))
            item.replacement_ordered_on = item.replacement_ordered_on or ordered_on or installed_on
        elif ordered_on is not None:
            item.replacement_ordered_on = ordered_on
        else:
            raise DomainError("claim.error.replacement_date_required")
        claim.ticket.updated_at = now
        _audit(
            uow,
            claim,
            person,
            "claim.replacement",
            now,
            tag=tag,
            ordered_on=item.replacement_ordered_on,
            installed_on=item.replacement_installed_on,
            new_value=None if item.new_value_cents is None else cents_to_eur(item.new_value_cents),
        )
        await uow.commit()
        return await _view(uow, claim, now)


async def record_recovery(
    db: Database, person_id: int, claim_id: int, *, told_at: datetime, now: datetime
) -> tuple[ClaimView, rules.RecoveryOutcome]:
    """Stolen items were found: before payment the commune takes them back; after it,
    the commune has 15 days from being told to ask for them (a reminder is planned)."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        facts = facts_of(claim)
        outcome = rules.recovery_outcome(facts.kind, indemnity_paid=facts.payments_total > 0)
        claim.recovery_told_at = told_at
        for item in claim.items:
            item.recovered_at = told_at
            if outcome is rules.RecoveryOutcome.BEFORE_INDEMNITY and item.equipment is not None:
                # The commune takes the items back: they are the school's again.
                item.equipment.state = "in_service"
                item.equipment.updated_at = now
        if outcome is rules.RecoveryOutcome.AFTER_INDEMNITY:
            await _plan(uow, claim.ticket_id, plan_recovery_reminders(told_at, PARIS, now), now)
        _audit(
            uow,
            claim,
            person,
            "claim.recovered",
            now,
            outcome=outcome.value,
            told_at=told_at,
            last_day=rules.recovery_request_last_day(told_at),
        )
        await uow.commit()
        return await _view(uow, claim, now), outcome


async def attach_file(
    db: Database, person_id: int, claim_id: int, file: FileRef, *, purpose: str, now: datetime
) -> ClaimView:
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id)
        uow.session.add(_attachment(claim.ticket_id, file, purpose=purpose, person=person, now=now))
        _audit(
            uow, claim, person, "claim.attachment", now, purpose=purpose, file_name=file.file_name
        )
        await uow.commit()
        return await _view(uow, claim, now)


async def view_for_reminder(uow: UnitOfWork, claim_id: int, now: datetime) -> ClaimView:
    """For a reminder's renderer, inside the sweep's unit of work (no scope: the system)."""
    return await _view(uow, await _load_claim(uow, claim_id), now)
