"""Claims (sinistres, art. 6): report, the commune's duties, pledge, payment, closing.

Each use case: load in one unit of work, check the person's right and scope, call the
domain (``bot.domain.claims``), write the result, the audit entry and the reminders in
the same transaction, commit. Nothing here formats text for a person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.domain import claims as rules
from bot.domain.claims import (
    ChecklistLine,
    ClaimFacts,
    ClaimKind,
    ClaimState,
    DamageCause,
    Document,
    DossierPiece,
    Duty,
    DutyRecord,
    Indemnity,
    IndemnityPayee,
    Payer,
    PaymentMode,
    PaymentStatus,
    Pledge,
    RecoveryOutcome,
    RecoveryState,
)
from bot.domain.dates import PARIS, local_date, to_utc
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
from bot.domain.directory import (
    ERR_TOO_LONG,
    MAX_LENGTHS,
    cents_to_eur,
    eur_to_cents,
    normalize_asset_tag,
    read_equipment_type,
)
from bot.domain.errors import DomainError
from bot.domain.holds import HoldFacts, check_replacement_allowed
from bot.domain.platforms import TELEGRAM
from bot.domain.roles import Action, require
from bot.domain.text import units
from bot.services import access, audiences, holds, reminders, tickets
from bot.services.audiences import Recipient
from bot.services.tickets import TimelineEntry
from storage.models import (
    Attachment,
    Claim,
    ClaimDuty,
    ClaimItem,
    ClaimRecovery,
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
MAX_SHOWN_WORD = 40  # a refused word is given back at most this long
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
    purpose: str = Document.EVIDENCE.value  # what the sender says it is (a Document)


@dataclass(frozen=True)
class ReportClaim:
    reporter_id: int
    school_id: int
    kind: ClaimKind
    discovered_at: datetime
    description: str
    items: tuple[ItemRequest, ...]
    files: tuple[FileRef, ...] = ()
    damage_cause: DamageCause | None = None  # a damage's cause, as the reporter says it


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
    id: int = 0  # the claim item's id
    recovery_id: int | None = None  # the recovery that found it
    damage: Decimal | None = None  # its damage, as staff assessed it on recovery
    # What it owes: its refund, or its damage when found before the indemnity (0018).
    due: Decimal | None = None
    replacement_tag: str | None = None  # the new item's asset tag, once installed


@dataclass(frozen=True)
class DutyView:
    duty: Duty
    deadline: datetime
    done_at: datetime | None
    reference: str | None
    # Done after its deadline: by how much (None: on time, or not done).
    late_by: timedelta | None = None
    # Not done and past its deadline: for how long (None: not done yet, still in time).
    overdue_by: timedelta | None = None


@dataclass(frozen=True)
class RecoveryView:
    """Items of the claim found again, and where their recovery stands."""

    id: int
    state: RecoveryState
    outcome: RecoveryOutcome | None  # None until staff confirm
    told_at: datetime
    item_ids: tuple[int, ...]
    items: tuple[str, ...]  # their tags (or descriptions)
    damage: Decimal  # the damage of its items, as staff assessed it
    last_day: date | None  # after the indemnity: the last day to ask for the items
    owed_back: Decimal | None  # after the indemnity: what the body owes back to its insurer
    by_body: bool  # reported by the body (staff confirmed, or are to confirm)
    reason: str | None = None  # dismissed: why staff dismissed the body's report


@dataclass(frozen=True)
class PaymentView:
    id: int
    amount: Decimal
    paid_on: date
    payer: Payer
    status: PaymentStatus
    proof_attachment_id: int | None = None


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
    indemnity: Indemnity | None = None
    recoveries: tuple[RecoveryView, ...] = ()
    payments: tuple[PaymentView, ...] = ()
    # The responsible body the claim's duties, pledge and payment go to.
    body_id: int = 0
    body_kind: str = "commune"
    body_name: str = ""
    damage_cause: DamageCause | None = None
    # The complete dossier's pieces (art. 6), each with how many attached files prove it.
    checklist: tuple[ChecklistLine, ...] = ()
    # The school's open security hold (art. 6): replacements wait while it is there.
    hold: HoldFacts | None = None
    hold_id: int | None = None

    @property
    def pending_duties(self) -> tuple[Duty, ...]:
        return tuple(d.duty for d in self.duties if d.done_at is None)

    @property
    def missing_pieces(self) -> tuple[DossierPiece, ...]:
        return rules.missing_pieces(self.checklist)

    @property
    def late_duties(self) -> tuple[DutyView, ...]:
        """Duties done after their deadline."""
        return tuple(d for d in self.duties if d.late_by is not None)

    @property
    def not_replaced(self) -> tuple[ItemView, ...]:
        return tuple(i for i in self.items if i.replaceable is False)

    @property
    def not_recovered(self) -> tuple[ItemView, ...]:
        """Items no recovery has found yet."""
        return tuple(i for i in self.items if i.recovery_id is None)

    @property
    def pending_payments(self) -> tuple[PaymentView, ...]:
        return tuple(p for p in self.payments if p.status is PaymentStatus.PENDING)

    @property
    def pending_total(self) -> Decimal:
        """The body's payments awaiting staff, together."""
        return sum((p.amount for p in self.pending_payments), Decimal("0.00"))


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
    duties: tuple[Duty, ...] = ()  # what the body will owe (per kind and cause)


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
    # A word that cannot be a tag: why (``asset_tag`` is then the word as typed, cut).
    refused: DomainError | None = None


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
            selectinload(Claim.items).selectinload(ClaimItem.recovery),
            selectinload(Claim.items).selectinload(ClaimItem.replacement),
            selectinload(Claim.duties),
            selectinload(Claim.payments),
            selectinload(Claim.recoveries).selectinload(ClaimRecovery.items),
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
        damage_cause=DamageCause(claim.damage_cause) if claim.damage_cause else None,
        duties_done={
            Duty(d.duty): DutyRecord(done_at=d.done_at, reference=d.reference)
            for d in claim.duties
            if d.done_at is not None
        },
        pledge=pledge,
        completed_on=claim.completed_on,
        amount_due=None if claim.amount_due_cents is None else cents_to_eur(claim.amount_due_cents),
        payments_total=cents_to_eur(
            sum(p.amount_cents for p in claim.payments if p.status == PaymentStatus.CONFIRMED)
        ),
        indemnity=_indemnity(claim),
        closed_at=claim.ticket.closed_at,
        close_reason=claim.ticket.close_reason,
    )


def _indemnity(claim: Claim) -> Indemnity | None:
    if claim.indemnity_paid_on is None:
        return None
    return Indemnity(
        paid_on=claim.indemnity_paid_on,
        payee=IndemnityPayee(claim.indemnity_payee or IndemnityPayee.SEM),
        amount=None if claim.indemnity_cents is None else cents_to_eur(claim.indemnity_cents),
    )


def _store(claim: Claim, facts: ClaimFacts, now: datetime) -> None:
    ticket = claim.ticket
    if facts.indemnity is not None:
        claim.indemnity_paid_on = facts.indemnity.paid_on
        claim.indemnity_payee = facts.indemnity.payee.value
        claim.indemnity_cents = (
            None if facts.indemnity.amount is None else eur_to_cents(facts.indemnity.amount)
        )
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


def document(purpose: str) -> Document:
    """What a file is, as the sender said it; anything else is refused."""
    try:
        return Document(purpose)
    except ValueError:
        raise DomainError("claim.error.unknown_document", purpose=purpose) from None


def file_attachment(
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
    uow: UnitOfWork, claim: Claim, now: datetime, *, timeline_for: Person | None = None
) -> ClaimView:
    """The claim as a card shows it; with ``timeline_for``, its timeline as that person may
    see it."""
    facts = facts_of(claim)
    ticket = claim.ticket
    loss_on = local_date(claim.discovered_at, PARIS)
    items = [_item_view(item, loss_on) for item in claim.items]
    known = [i.refund for i in items if i.refund is not None]
    total = sum(known, Decimal("0.00"))
    unknown = len(items) - len(known)
    order = list(Duty)
    duties = tuple(
        DutyView(
            Duty(d.duty),
            d.deadline_at,
            d.done_at,
            d.reference,
            late_by=None if d.done_at is None else rules.lateness(d.deadline_at, d.done_at),
            overdue_by=(
                rules.lateness(d.deadline_at, now)
                if d.done_at is None and facts.closed_at is None
                else None
            ),
        )
        for d in sorted(claim.duties, key=lambda d: order.index(Duty(d.duty)))
    )
    purposes = list(
        await uow.session.scalars(
            select(Attachment.purpose).where(Attachment.ticket_id == ticket.id)
        )
    )
    attachments = len(purposes)
    recent = await holds.flag_claims(uow, ticket.school_id)
    held = await holds.open_hold(uow, ticket.school_id)
    entries: tuple[TimelineEntry, ...] = ()
    if timeline_for is not None:
        entries = await tickets.timeline(uow, ticket, timeline_for)
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
        high_frequency=rules.is_high_frequency(recent, now),
        created_at=ticket.created_at,
        recovery_told_at=claim.recovery_told_at,
        timeline=entries,
        damage_cause=facts.damage_cause,
        checklist=rules.dossier_checklist(facts.kind, facts.damage_cause, purposes),
        hold=None if held is None else holds.facts_of(held),
        hold_id=None if held is None else held.id,
        indemnity=facts.indemnity,
        recoveries=tuple(_recovery_view(claim, r, items) for r in claim.recoveries),
        payments=tuple(
            PaymentView(
                p.id,
                cents_to_eur(p.amount_cents),
                p.paid_on,
                Payer(p.payer),
                PaymentStatus(p.status),
                p.proof_attachment_id,
            )
            for p in claim.payments
        ),
    )


def _known_sum(amounts: Sequence[Decimal | None]) -> Decimal | None:
    """The sum of the amounts, or None if one of them is not known."""
    known = [a for a in amounts if a is not None]
    return None if len(known) < len(amounts) else sum(known, Decimal("0.00"))


def _recovery_view(
    claim: Claim, recovery: ClaimRecovery, items: Sequence[ItemView]
) -> RecoveryView:
    found = [i for i in items if i.recovery_id == recovery.id]
    damage = sum((i.damage or Decimal("0.00") for i in found), Decimal("0.00"))
    outcome = None if recovery.outcome is None else RecoveryOutcome(recovery.outcome)
    after = outcome is RecoveryOutcome.AFTER_INDEMNITY
    owed_back = None
    if after:
        refunds = _known_sum([i.refund for i in found])
        every = _known_sum([i.refund for i in items])
        owed_back = rules.owed_back_to_insurer(
            None if claim.indemnity_cents is None else cents_to_eur(claim.indemnity_cents),
            damage,
            recovered_refunds=refunds,
            all_refunds=every,
            every_item=len(found) == len(items),
        )
    return RecoveryView(
        id=recovery.id,
        state=RecoveryState(recovery.state),
        outcome=outcome,
        told_at=recovery.told_at,
        item_ids=tuple(i.id for i in found),
        items=tuple(i.asset_tag or i.description or "" for i in found),
        damage=damage,
        last_day=rules.recovery_request_last_day(recovery.told_at) if after else None,
        owed_back=owed_back,
        # Staff's own report is confirmed in the same instant; the body's waits for them.
        by_body=recovery.confirmed_at is None or recovery.confirmed_at != recovery.reported_at,
        reason=recovery.note if recovery.state == RecoveryState.DISMISSED else None,
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
        found = await access.schools_for(uow, person)
        return [SchoolRef(s.id, s.name, s.uai) for s in found]


async def _school_in_scope(uow: UnitOfWork, person: Person, school_id: int) -> School:
    return await access.school_in_scope(
        uow, person, school_id, refusal="claim.error.school_out_of_scope"
    )


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


def _typed_tag(typed: str) -> str:
    """An asset tag typed in a chat: as the directory reads it, but refused in words that
    stand alone (the directory's own wording follows « ligne N : » in an import)."""
    try:
        return normalize_asset_tag(typed)
    except DomainError as error:
        word = (typed or "").strip()
        shown = word if len(word) <= MAX_SHOWN_WORD else word[: MAX_SHOWN_WORD - 1] + "…"
        code = "claim.error.typed_tag_too_long" if error.code == ERR_TOO_LONG else None
        raise DomainError(
            code or "claim.error.typed_tag", value=shown, max=MAX_LENGTHS["asset_tag"]
        ) from error


async def check_tags(
    db: Database, person_id: int, school_id: int, tags: Sequence[str]
) -> list[TagCheck]:
    """Typed tags, each judged alone: this school's equipment, unknown ones (to describe),
    another school's, not available, or a word that cannot be a tag (``refused`` says
    why: too long, or a character a tag does not have), which stops none of the others."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        await _school_in_scope(uow, person, school_id)
        checks: list[TagCheck] = []
        for raw in tags:
            try:
                tag = _typed_tag(raw)
            except DomainError as refused:
                checks.append(TagCheck(refused.params["value"], known=False, refused=refused))
                continue
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
    facts = rules.open_claim(cmd.kind, cmd.discovered_at, now, cmd.damage_cause)
    for file in cmd.files:
        document(file.purpose)
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
        facts.duties,
    )


def _item_view(item: ClaimItem, loss_on: date) -> ItemView:
    value = None if item.value_cents is None else cents_to_eur(item.value_cents)
    covered = rules.covered_by_convention(item.equipment.owner if item.equipment else None)
    refund = rules.item_refund(value, item.acquired_on, loss_on) if covered else Decimal("0.00")
    acquired = rules.known_acquisition(item.acquired_on, loss_on)
    return ItemView(
        asset_tag=item.asset_tag,
        description=item.description,
        type=item.equipment.type if item.equipment else None,
        model=item.equipment.model if item.equipment else None,
        known=item.equipment is not None,
        value=value,
        acquired_on=item.acquired_on,
        refund=refund,
        share=(
            rules.refund_share(rules.item_age_years(acquired, loss_on))
            if covered and acquired is not None
            else None
        ),
        replaceable=item.replaceable if covered else None,
        replacement_ordered_on=item.replacement_ordered_on,
        replacement_installed_on=item.replacement_installed_on,
        new_value=None if item.new_value_cents is None else cents_to_eur(item.new_value_cents),
        covered=covered,
        id=item.id or 0,
        recovery_id=item.recovery_id,
        damage=None if item.damage_cents is None else cents_to_eur(item.damage_cents),
        due=_item_due(item, refund),
        replacement_tag=item.replacement.asset_tag if item.replacement is not None else None,
    )


def _found_before_indemnity(item: ClaimItem) -> bool:
    recovery = item.recovery
    return (
        recovery is not None
        and recovery.outcome == RecoveryOutcome.BEFORE_INDEMNITY
        and recovery.state == RecoveryState.CONFIRMED
        and item.damage_cents is not None
    )


def _item_due(item: ClaimItem, refund: Decimal | None) -> Decimal | None:
    """The item's refund, or, found before the indemnity, its damage capped by the refund."""
    if not _found_before_indemnity(item):
        return refund
    assert item.damage_cents is not None
    return rules.due_after_recovery(cents_to_eur(item.damage_cents), refund)


async def report_claim(db: Database, cmd: ReportClaim, now: datetime) -> Reported:
    """Open the claim: number, items with their refund, the commune's duties, reminders."""
    facts = rules.open_claim(cmd.kind, cmd.discovered_at, now, cmd.damage_cause)
    for file in cmd.files:
        document(file.purpose)
    description = cmd.description.strip()
    if not description:
        raise DomainError("claim.error.description_required")
    if units(description) > MAX_DESCRIPTION:
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
            next_deadline=facts.duties_deadline if facts.duties else None,
        )
        claim = Claim(
            ticket_id=ticket.id,
            kind=facts.kind.value,
            discovered_at=facts.discovered_at,
            description=description,
            damage_cause=None if facts.damage_cause is None else facts.damage_cause.value,
        )
        uow.session.add(claim)
        for item in items:
            item.claim_id = ticket.id
            uow.session.add(item)
            new_state = EQUIPMENT_STATE_AFTER[facts.kind]
            if item.equipment is not None and new_state:
                item.equipment.state = new_state
                item.equipment.updated_at = now
        for duty in facts.duties:
            uow.session.add(
                ClaimDuty(claim_id=ticket.id, duty=duty.value, deadline_at=facts.duties_deadline)
            )
        for file in cmd.files:
            uow.session.add(
                file_attachment(ticket.id, file, purpose=file.purpose, person=person, now=now)
            )
        await _plan(uow, ticket.id, plan_duty_reminders(facts.discovered_at, now), now)
        await _plan(uow, ticket.id, plan_pledge_reminders(facts.discovered_at, now), now)
        _audit(
            uow,
            ticket,
            person,
            "claim.reported",
            now,
            kind=facts.kind.value,
            items=len(items),
            **({"cause": facts.damage_cause.value} if facts.damage_cause else {}),
        )
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
        return await _view(uow, claim, now, timeline_for=person if timeline else None)


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


async def correct_damage_cause(
    db: Database, person_id: int, claim_id: int, *, cause: DamageCause, now: datetime
) -> ClaimView:
    """Staff correct a damage's cause: the duties it no longer owes and that were not done
    go (a duty already done stays on record); those it now owes are added, with their
    reminders; the change is in the timeline."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        before = facts_of(claim)
        facts = rules.correct_cause(before, cause)
        owed = set(facts.duties)
        for row in list(claim.duties):
            if Duty(row.duty) not in owed and row.done_at is None:
                claim.duties.remove(row)
                await uow.session.delete(row)
        present = {Duty(row.duty) for row in claim.duties}
        added = [duty for duty in facts.duties if duty not in present]
        for duty in added:
            claim.duties.append(
                ClaimDuty(
                    claim_id=claim.ticket_id, duty=duty.value, deadline_at=facts.duties_deadline
                )
            )
        claim.damage_cause = cause.value
        _store(claim, facts, now)
        if added:
            again = f"{_key(claim.ticket_id)}:cause-{now:%Y%m%d%H%M%S}"
            await _plan(
                uow,
                claim.ticket_id,
                plan_duty_reminders(facts.discovered_at, now),
                now,
                prefix=again,
            )
        _audit(
            uow,
            claim,
            person,
            "claim.cause_corrected",
            now,
            before=None if before.damage_cause is None else before.damage_cause.value,
            cause=cause.value,
        )
        await uow.commit()
        return await _view(uow, await _load_claim(uow, claim.ticket_id), now)


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
    if any(line.due is None for line in lines):
        return None
    return sum((line.due for line in lines if line.due is not None), Decimal("0.00"))


def amount_due_at_completion(view: ClaimView) -> Decimal | None:
    """The amount ``mark_complete`` will fix, for the confirmation shown before it."""
    dues = [item.due for item in view.items]
    if all(due is not None for due in dues):  # refunds by age, or the damage of found items
        return sum((due for due in dues if due is not None), Decimal("0.00"))
    return None if view.pledge is None else view.pledge.amount


async def mark_complete(
    db: Database,
    person_id: int,
    claim_id: int,
    *,
    now: datetime,
    accepted_missing: Sequence[DossierPiece] = (),
) -> ClaimView:
    """Staff: the dossier is complete; the commune has one year from today to pay.

    The pieces the checklist still lacks must be among ``accepted_missing`` (those named
    in the confirmation staff were shown); a piece that went missing since is refused.
    """
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        today = local_date(now, PARIS)
        before = await _view(uow, claim, now)
        missing = before.missing_pieces
        facts = rules.mark_complete(
            facts_of(claim),
            today,
            now,
            amount_due=_amount_due(claim),
            missing=missing,
            accepted_missing=accepted_missing,
        )
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
            **({"missing": [p.value for p in missing]} if missing else {}),
        )
        await uow.commit()
        return await _view(uow, claim, now)


async def record_payment(
    db: Database,
    person_id: int,
    claim_id: int,
    *,
    amount: Decimal,
    paid_on: date,
    now: datetime,
    payer: Payer = Payer.BODY_FUNDS,
) -> tuple[ClaimView, bool]:
    """Staff record a payment and who made it; paid in full closes the claim and its
    reminders. A payment by the insurer is its indemnity, when none was recorded yet."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        rules.check_payment_day(paid_on, local_date(now, PARIS))
        payment = Payment(
            amount_cents=eur_to_cents(rules.to_cents(amount)),
            paid_on=paid_on,
            payer=Payer(payer).value,
            status=PaymentStatus.CONFIRMED.value,
            recorded_by_id=person.id,
            recorded_at=now,
            confirmed_by_id=person.id,
            confirmed_at=now,
        )
        full = await _count_payment(uow, claim, person, payment, now)
        claim.payments.append(payment)
        await uow.commit()
        return await _view(uow, claim, now), full


async def _count_payment(
    uow: UnitOfWork, claim: Claim, person: Person, payment: Payment, now: datetime
) -> bool:
    """A confirmed payment counts toward what is paid: checked, audited, stored; paid in
    full closes the claim. Returns whether it is paid in full."""
    amount = cents_to_eur(payment.amount_cents)
    facts = facts_of(claim)
    outcome = rules.record_payment(facts, amount)
    facts = rules.indemnity_after_payment(
        outcome.claim, Payer(payment.payer), amount, payment.paid_on
    )
    _audit(
        uow,
        claim,
        person,
        "claim.payment",
        now,
        amount=amount,
        paid_on=payment.paid_on,
        payer=payment.payer,
        outstanding=outcome.outstanding,
    )
    if outcome.paid_in_full:
        facts = rules.close(facts, now)
        await reminders.cancel(uow, key_prefix=_key(claim.ticket_id) + ":payment", now=now)
        _audit(uow, claim, person, "claim.closed", now, reason=None)
    _store(claim, facts, now)
    return outcome.paid_in_full


@dataclass(frozen=True)
class BodyPayment:
    claim: ClaimView
    payment_id: int


async def record_body_payment(
    db: Database,
    person_id: int,
    claim_id: int,
    *,
    amount: Decimal,
    paid_on: date,
    payer: Payer,
    proof: FileRef,
    now: datetime,
) -> BodyPayment:
    """The body says it paid, with a proof: a pending payment that counts only once staff
    confirm it. With its other pending payments it may not exceed what is still owed."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.FOLLOW_CLAIM)
        facts = facts_of(claim)
        rules.ensure_open(facts)
        if facts.pledge is None or facts.outstanding is None:
            raise DomainError("claim.error.payment_before_pledge")
        pending = cents_to_eur(
            sum(p.amount_cents for p in claim.payments if p.status == PaymentStatus.PENDING)
        )
        amount = rules.check_body_payment(amount, facts.outstanding, pending)
        rules.check_payment_day(paid_on, local_date(now, PARIS))
        attachment = file_attachment(
            claim.ticket_id, proof, purpose="payment_proof", person=person, now=now
        )
        uow.session.add(attachment)
        await uow.session.flush()
        payment = Payment(
            amount_cents=eur_to_cents(amount),
            paid_on=paid_on,
            payer=Payer(payer).value,
            status=PaymentStatus.PENDING.value,
            proof_attachment_id=attachment.id,
            recorded_by_id=person.id,
            recorded_at=now,
        )
        claim.payments.append(payment)
        await uow.session.flush()
        claim.ticket.updated_at = now
        _audit(
            uow,
            claim,
            person,
            "claim.payment_declared",
            now,
            amount=amount,
            paid_on=paid_on,
            payer=Payer(payer).value,
        )
        await uow.commit()
        return BodyPayment(await _view(uow, claim, now), payment.id)


async def review_payment(
    db: Database,
    person_id: int,
    claim_id: int,
    payment_id: int,
    *,
    confirm: bool,
    reason: str | None = None,
    now: datetime,
) -> tuple[ClaimView, PaymentView, bool]:
    """Staff confirm a payment the body recorded (it then counts; paid in full closes the
    claim; one that would pay more than is still owed is refused: reject it) or reject
    it, with a reason. Returns the claim, the payment, paid in full."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        payment = next((p for p in claim.payments if p.id == payment_id), None)
        if payment is None or payment.status != PaymentStatus.PENDING:
            raise DomainError("claim.error.payment_not_pending")
        full = False
        if confirm:
            # Owed less since it was recorded (recomputed, or paid otherwise): reject it.
            rules.check_payment_confirmation(facts_of(claim), cents_to_eur(payment.amount_cents))
            full = await _count_payment(uow, claim, person, payment, now)
            payment.status = PaymentStatus.CONFIRMED.value
        else:
            why = (reason or "").strip()
            if not why:
                raise DomainError("claim.error.rejection_reason_required")
            payment.status = PaymentStatus.REJECTED.value
            claim.ticket.updated_at = now
            _audit(
                uow,
                claim,
                person,
                "claim.payment_rejected",
                now,
                amount=cents_to_eur(payment.amount_cents),
                reason=why,
            )
        payment.confirmed_by_id, payment.confirmed_at = person.id, now
        await uow.commit()
        view = await _view(uow, claim, now)
        return view, next(p for p in view.payments if p.id == payment_id), full


async def record_indemnity(
    db: Database,
    person_id: int,
    claim_id: int,
    *,
    paid_on: date,
    payee: IndemnityPayee,
    amount: Decimal | None,
    now: datetime,
) -> ClaimView:
    """Staff or the body: the insurer paid its indemnity (to SEM or to the body) on a
    day. Nothing is paid to SEM by this; it decides before/after for a recovery."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.FOLLOW_CLAIM)
        facts = rules.record_indemnity(
            facts_of(claim),
            paid_on=paid_on,
            payee=payee,
            amount=amount,
            today=local_date(now, PARIS),
        )
        _store(claim, facts, now)
        assert facts.indemnity is not None
        _audit(
            uow,
            claim,
            person,
            "claim.indemnity",
            now,
            paid_on=paid_on,
            payee=IndemnityPayee(payee).value,
            amount=facts.indemnity.amount,
        )
        await uow.commit()
        return await _view(uow, claim, now)


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


# The type of the new item when the old one was not in the inventory (described in words).
UNKNOWN_ITEM_TYPE = "other"


@dataclass(frozen=True)
class NewEquipment:
    """The item a replacement puts in the inventory: its asset tag, and its model when it
    differs from the old one's (None: the same)."""

    asset_tag: str
    model: str | None = None
    type: str | None = None  # None: the old one's


async def check_new_tag(db: Database, person_id: int, tag: str) -> str:
    """A new item's asset tag as staff type it: a valid tag no item carries yet."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        require(person.role, Action.MANAGE_CLAIM)
        return await _free_tag(uow, tag)


async def _free_tag(uow: UnitOfWork, typed: str) -> str:
    tag = _typed_tag(typed)
    if await uow.directory.equipment_by_tag(tag) is not None:
        raise DomainError("claim.error.new_tag_taken", tag=tag)
    return tag


async def check_replacement(
    db: Database, person_id: int, claim_id: int, *, now: datetime
) -> ClaimView:
    """Before the replacement dialogue asks anything: refused while the school is held."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        await _not_held(uow, claim)
        return await _view(uow, claim, now)


async def _not_held(uow: UnitOfWork, claim: Claim) -> None:
    held = await holds.open_hold(uow, claim.ticket.school_id)
    check_replacement_allowed(
        None if held is None else holds.facts_of(held),
        school=claim.ticket.school.name if claim.ticket.school else "",
    )


async def record_replacement(
    db: Database,
    person_id: int,
    claim_id: int,
    *,
    item_tag: str,
    ordered_on: date | None = None,
    installed_on: date | None = None,
    new_value: Decimal | None = None,
    new_item: NewEquipment | None = None,
    now: datetime,
) -> ClaimView:
    """Staff: an item's replacement was ordered, or installed with its new value.

    Installed, the new item enters the inventory (its tag, the old one's type and model
    unless changed, the new value, the installation day, SEM's, in service), the claim's
    item points to it, and the old item is retired (``replaced_by``). Refused while the
    school's replacements are held (art. 6, security condition)."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        await _not_held(uow, claim)
        tag = _typed_tag(item_tag)
        item = next((i for i in claim.items if i.asset_tag == tag), None)
        if item is None:
            raise DomainError("claim.error.item_not_in_claim", tag=tag)
        created: Equipment | None = None
        if installed_on is not None:
            if new_value is None:
                raise DomainError("claim.error.new_value_required")
            if new_value < 0:
                raise DomainError("claim.error.negative_amount", amount=new_value)
            if new_item is None:
                raise DomainError("claim.error.new_tag_required")
            if item.replacement_equipment_id is not None:
                raise DomainError(
                    "claim.error.already_replaced",
                    tag=tag,
                    new_tag=item.replacement.asset_tag if item.replacement else "",
                )
            created = await _install(
                uow, claim, item, new_item, installed_on, rules.to_cents(new_value), now
            )
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
            new_tag=None if created is None else created.asset_tag,
            retired_state=(
                None if created is None or item.equipment is None else item.equipment.state
            ),
        )
        await uow.commit()
        return await _view(uow, await _load_claim(uow, claim.ticket_id), now)


async def _install(
    uow: UnitOfWork,
    claim: Claim,
    item: ClaimItem,
    new_item: NewEquipment,
    installed_on: date,
    value: Decimal,
    now: datetime,
) -> Equipment:
    """The new item in the inventory, and the old one retired (decision 0022)."""
    assert claim.ticket.school_id is not None
    old = item.equipment
    model = (new_item.model or "").strip() or (old.model if old else None) or item.description
    if not model:
        raise DomainError("claim.error.new_model_required")
    created = Equipment(
        asset_tag=await _free_tag(uow, new_item.asset_tag),
        school_id=claim.ticket.school_id,
        type=(
            read_equipment_type(new_item.type).value
            if new_item.type
            else old.type
            if old is not None
            else UNKNOWN_ITEM_TYPE
        ),
        model=model[:120],
        serial=None,
        owner="sem",
        # Bought for the replacement: its age (the refund's share) counts from then.
        acquired_on=installed_on,
        installed_on=installed_on,
        value_cents=eur_to_cents(value),
        state="in_service",
        created_at=now,
        updated_at=now,
    )
    uow.session.add(created)
    await uow.session.flush()
    item.replacement_equipment_id = created.id
    item.replacement = created
    if old is not None:
        old.replaced_by_id = created.id
        old.state = rules.state_when_replaced(claim.kind, old.state)
        old.updated_at = now
    return created


@dataclass(frozen=True)
class RecoveryRecorded:
    claim: ClaimView
    recovery: RecoveryView
    # A complete dossier's amount due, before and after (None: unchanged).
    due_changed: tuple[Decimal, Decimal] | None = None
    # Dismissed: the items it named, free again (its view names none any more).
    freed: tuple[str, ...] = ()


def _recovery_of(claim: Claim, recovery_id: int) -> ClaimRecovery:
    recovery = next((r for r in claim.recoveries if r.id == recovery_id), None)
    if recovery is None:
        raise DomainError("claim.error.recovery_not_found")
    return recovery


def _items_to_recover(claim: Claim, item_ids: Sequence[int] | None) -> list[ClaimItem]:
    free = [i for i in claim.items if i.recovery_id is None]
    if item_ids is None:
        chosen = free
    else:
        wanted = set(item_ids)
        chosen = [i for i in free if i.id in wanted]
        if len(chosen) != len(wanted):
            raise DomainError("claim.error.recovery_items_unknown")
    if not chosen:
        raise DomainError("claim.error.recovery_no_items")
    return chosen


async def _result(
    uow: UnitOfWork,
    claim: Claim,
    recovery_id: int,
    now: datetime,
    due_changed: tuple[Decimal, Decimal] | None = None,
) -> RecoveryRecorded:
    view = await _view(uow, claim, now)
    found = next(r for r in view.recoveries if r.id == recovery_id)
    return RecoveryRecorded(view, found, due_changed)


async def report_recovery(
    db: Database,
    person_id: int,
    claim_id: int,
    *,
    item_ids: Sequence[int] | None,
    told_at: datetime,
    now: datetime,
) -> RecoveryRecorded:
    """The body says some items were found: a recovery staff are to confirm."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.FOLLOW_CLAIM)
        told = _told(claim, told_at, now)
        items = _items_to_recover(claim, item_ids)
        recovery = ClaimRecovery(
            claim_id=claim.ticket_id,
            told_at=told,
            state=RecoveryState.REPORTED.value,
            reported_by_id=person.id,
            reported_at=now,
        )
        claim.recoveries.append(recovery)
        await uow.session.flush()
        for item in items:
            item.recovery_id = recovery.id
            item.recovery = recovery
            item.recovered_at = told
        claim.ticket.updated_at = now
        _audit(
            uow,
            claim,
            person,
            "claim.recovery_reported",
            now,
            told_at=told,
            items=[i.asset_tag or i.description for i in items],
        )
        await uow.commit()
        return await _result(uow, claim, recovery.id, now)


async def dismiss_recovery(
    db: Database,
    person_id: int,
    claim_id: int,
    recovery_id: int,
    *,
    reason: str,
    now: datetime,
) -> RecoveryRecorded:
    """Staff: the body reported items found that were not (0027). The recovery is kept,
    dismissed with its reason; its items are free, to be reported again if they turn up.
    Only a recovery still awaiting staff (``reported``) can be dismissed."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        recovery = _recovery_of(claim, recovery_id)
        state, why = rules.dismiss_recovery(RecoveryState(recovery.state), reason)
        items = [i for i in claim.items if i.recovery_id == recovery.id]
        names = tuple(i.asset_tag or i.description or "" for i in items)
        for item in items:
            item.recovery_id, item.recovery, item.recovered_at = None, None, None
        recovery.state, recovery.note = state.value, why
        recovery.decided_at, recovery.decided_by_id = now, person.id
        claim.ticket.updated_at = now
        _audit(uow, claim, person, "claim.recovery_dismissed", now, items=list(names), reason=why)
        await uow.commit()
        result = await _result(uow, claim, recovery.id, now)
        return replace(result, freed=names)


def _told(claim: Claim, told_at: datetime, now: datetime) -> datetime:
    facts = facts_of(claim)
    rules.check_recoverable(facts.kind)
    told = to_utc(told_at, "told_at")
    if told > to_utc(now, "now"):
        raise DomainError("claim.error.recovery_in_future")
    if told < facts.discovered_at:
        raise DomainError("claim.error.recovery_before_discovery")
    return told


def _back_to_school(item: ClaimItem, now: datetime) -> None:
    if item.equipment is None:
        return
    damaged = (item.damage_cents or 0) > 0
    item.equipment.state = rules.EQUIPMENT_BACK_DAMAGED if damaged else rules.EQUIPMENT_BACK_INTACT
    item.equipment.updated_at = now


def _insurer_owns(item: ClaimItem, now: datetime) -> None:
    if item.equipment is not None:
        item.equipment.state = rules.EQUIPMENT_INSURER_OWNED
        item.equipment.updated_at = now


async def record_recovery(
    db: Database,
    person_id: int,
    claim_id: int,
    *,
    told_at: datetime | None = None,
    damages: Mapping[int, Decimal],
    item_ids: Sequence[int] | None = None,
    recovery_id: int | None = None,
    now: datetime,
) -> RecoveryRecorded:
    """Staff: items were found (or staff confirm what the body reported), with each
    item's damage (0 when intact).

    Before the insurer's indemnity the body takes them back: each item's amount due
    comes down to its damage (a complete dossier's amount due is recomputed, in the
    timeline), and the equipment is the school's again. After it, the body has 15 days
    from being told to ask for them (a reminder, then the window's close, are planned).
    """
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        if recovery_id is None:
            assert told_at is not None
            told = _told(claim, told_at, now)
            items = _items_to_recover(claim, item_ids)
            recovery = ClaimRecovery(
                claim_id=claim.ticket_id,
                told_at=told,
                state=RecoveryState.REPORTED.value,
                reported_by_id=person.id,
                reported_at=now,
            )
            claim.recoveries.append(recovery)
            await uow.session.flush()
            for item in items:
                item.recovery_id, item.recovery, item.recovered_at = recovery.id, recovery, told
        else:
            recovery = _recovery_of(claim, recovery_id)
            items = [i for i in claim.items if i.recovery_id == recovery.id]
        state = rules.move_recovery(RecoveryState(recovery.state), RecoveryState.CONFIRMED)
        missing = [i for i in items if i.id not in damages]
        if missing:
            raise DomainError(
                "claim.error.damage_required", tag=missing[0].asset_tag or missing[0].description
            )
        facts = facts_of(claim)
        outcome = rules.recovery_outcome(
            facts.kind,
            indemnity_paid_on=facts.indemnity.paid_on if facts.indemnity else None,
            told_on=local_date(recovery.told_at, PARIS),
        )
        for item in items:
            item.damage_cents = eur_to_cents(rules.check_damage(damages[item.id]))
        recovery.state, recovery.outcome = state.value, outcome.value
        recovery.confirmed_by_id, recovery.confirmed_at = person.id, now
        claim.recovery_told_at = recovery.told_at
        changed = None
        if outcome is RecoveryOutcome.BEFORE_INDEMNITY:
            for item in items:
                _back_to_school(item, now)
            changed = await _recompute_due(uow, claim, person, now)
        else:
            await _plan_recovery_window(uow, claim, recovery, now)
        claim.ticket.updated_at = now
        _audit(
            uow,
            claim,
            person,
            "claim.recovered",
            now,
            outcome=outcome.value,
            told_at=recovery.told_at,
            last_day=rules.recovery_request_last_day(recovery.told_at),
            items={
                i.asset_tag or i.description: str(cents_to_eur(i.damage_cents or 0)) for i in items
            },
            equipment_state=(
                "in_service or out_of_order"
                if outcome is RecoveryOutcome.BEFORE_INDEMNITY
                else None
            ),
        )
        await uow.commit()
        return await _result(uow, claim, recovery.id, now, changed)


async def _recompute_due(
    uow: UnitOfWork, claim: Claim, person: Person, now: datetime
) -> tuple[Decimal, Decimal] | None:
    """A complete dossier's amount due after items found before the indemnity."""
    facts = facts_of(claim)
    if facts.completed_on is None or facts.amount_due is None or facts.closed_at is not None:
        return None  # nothing fixed yet, or settled (staff reopen it first, 0018)
    before = facts.amount_due
    after = _amount_due(claim)
    if after is None:  # the dossier was fixed on the pledge's estimate
        loss_on = local_date(claim.discovered_at, PARIS)
        lines = [_item_view(i, loss_on) for i in claim.items]
        cut = sum(
            (
                line.refund - line.due
                for line in lines
                if line.refund is not None and line.due is not None
            ),
            Decimal("0.00"),
        )
        after = max(before - cut, Decimal("0.00"))
    if after == before:
        return None
    facts = rules.change_amount_due(facts, after)
    _audit(uow, claim, person, "claim.amount_due_changed", now, before=before, after=after)
    if facts.paid_in_full:  # what was paid already covers the new amount: as a payment would
        facts = rules.close(facts, now)
        await reminders.cancel(uow, key_prefix=_key(claim.ticket_id) + ":payment", now=now)
        _audit(uow, claim, person, "claim.closed", now, reason=None)
    _store(claim, facts, now)
    return before, after


async def _plan_recovery_window(
    uow: UnitOfWork, claim: Claim, recovery: ClaimRecovery, now: datetime
) -> None:
    await reminders.plan(
        uow,
        plan_recovery_reminders(recovery.told_at, PARIS, now, recovery_id=recovery.id),
        key_prefix=_recovery_prefix(claim.ticket_id),
        now=now,
        ticket_id=claim.ticket_id,
        payload={"recovery_id": recovery.id},
    )


async def request_recovery(
    db: Database, person_id: int, claim_id: int, recovery_id: int, *, now: datetime
) -> RecoveryRecorded:
    """The body asks to take back items found after the indemnity, within 15 days of
    being told; SEM is then to agree or refuse."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.FOLLOW_CLAIM)
        recovery = _recovery_of(claim, recovery_id)
        if recovery.outcome != RecoveryOutcome.AFTER_INDEMNITY:
            raise DomainError("claim.error.recovery_state", state=RecoveryState(recovery.state))
        rules.check_recovery_request(recovery.told_at, now)
        state = rules.move_recovery(RecoveryState(recovery.state), RecoveryState.REQUESTED)
        recovery.state = state.value
        recovery.requested_at, recovery.requested_by_id = now, person.id
        await reminders.cancel(uow, key_prefix=_recovery_key(claim, recovery), now=now)
        claim.ticket.updated_at = now
        _audit(uow, claim, person, "claim.recovery_requested", now)
        await uow.commit()
        return await _result(uow, claim, recovery.id, now)


def _recovery_prefix(claim_id: int) -> str:
    """The recovery windows' rows (``claim:42-recovery:<recovery id>:…``): outside the
    claim's own prefix, so that closing the claim does not cancel them (the window runs
    after the indemnity, usually on a claim closed as paid)."""
    return f"{_key(claim_id)}-recovery"


def _recovery_key(claim: Claim, recovery: ClaimRecovery) -> str:
    return f"{_recovery_prefix(claim.ticket_id)}:{recovery.id}"


async def decide_recovery(
    db: Database,
    person_id: int,
    claim_id: int,
    recovery_id: int,
    *,
    agree: bool,
    now: datetime,
) -> RecoveryRecorded:
    """Staff: SEM's agreement (« avis conforme »: the body takes the items back against
    the indemnity minus damage, owed to its insurer) or refusal (the insurer keeps them)."""
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id, Action.MANAGE_CLAIM)
        recovery = _recovery_of(claim, recovery_id)
        to = RecoveryState.AGREED if agree else RecoveryState.REFUSED
        recovery.state = rules.move_recovery(RecoveryState(recovery.state), to).value
        recovery.decided_at, recovery.decided_by_id = now, person.id
        for item in claim.items:
            if item.recovery_id == recovery.id:
                (_back_to_school if agree else _insurer_owns)(item, now)
        claim.ticket.updated_at = now
        _audit(uow, claim, person, f"claim.recovery_{to.value}", now)
        await uow.commit()
        return await _result(uow, claim, recovery.id, now)


async def expire_recovery(
    uow: UnitOfWork, claim_id: int, recovery_id: int, now: datetime
) -> RecoveryRecorded | None:
    """The sweep, when a recovery's window closes: without a request the insurer owns the
    items (« passé ce délai, l'assureur devient de plein droit propriétaire »). Commits.
    Returns the recovery once it is the insurer's (again on a retry), else None."""
    claim = await _load_claim(uow, claim_id)
    recovery = next((r for r in claim.recoveries if r.id == recovery_id), None)
    if recovery is None:
        return None
    if recovery.state == RecoveryState.CONFIRMED:
        if rules.can_request_recovery(recovery.told_at, now):
            return None
        recovery.state = rules.move_recovery(
            RecoveryState.CONFIRMED, RecoveryState.INSURER_OWNED
        ).value
        recovery.expired_at = now
        for item in claim.items:
            if item.recovery_id == recovery.id:
                _insurer_owns(item, now)
        _audit(uow, claim, None, "claim.recovery_insurer_owned", now)
        await uow.commit()
    if recovery.state != RecoveryState.INSURER_OWNED:
        return None
    return await _result(uow, claim, recovery.id, now)


async def attach_file(
    db: Database, person_id: int, claim_id: int, file: FileRef, *, purpose: str, now: datetime
) -> ClaimView:
    purpose = document(purpose).value
    async with db.uow() as uow:
        person = await access.person(uow, person_id)
        claim = await _claim_for(uow, person, claim_id)
        uow.session.add(
            file_attachment(claim.ticket_id, file, purpose=purpose, person=person, now=now)
        )
        _audit(
            uow, claim, person, "claim.attachment", now, purpose=purpose, file_name=file.file_name
        )
        await uow.commit()
        return await _view(uow, claim, now)


async def view_for_reminder(uow: UnitOfWork, claim_id: int, now: datetime) -> ClaimView:
    """For a reminder's renderer, inside the sweep's unit of work (no scope: the system)."""
    return await _view(uow, await _load_claim(uow, claim_id), now)
