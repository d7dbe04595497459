"""The committee's reports (art. 6): the thefts-and-damage review, the yearly list of new
equipment for the communes' insurance, and the staff's export of tickets.

Every figure is aggregated by the database (``GROUP BY`` / ``COUNT`` / ``SUM``): only
aggregated rows come back, never the claims themselves, so a review over 100,000 claims
costs the same memory as one over ten (``bench/bench_report.py``). The lists that do come
back per claim (refunds in progress, overdue duties) are bounded by a ``LIMIT``.

The periodic pushes are reminder rows (``reminders.plan``) of their own kinds, delivered by
the reports job (``handlers/telegram/reports.py``), which sends documents and photos: see
docs/decisions/0009-periodic-reports.md. The lease logic for those rows is here.

Readings kept here, one place each:

* the review's period is the claims' *report* instant (``Ticket.created_at``), in
  ``[start, end)``; the frequency is claims per calendar month of the period;
* the security flag: ``HIGH_FREQUENCY_THRESHOLD`` thefts and damage
  (``SECURITY_FLAG_KINDS``) within ``HIGH_FREQUENCY_WINDOW`` ending at ``now`` (all in
  ``bot.domain.claims``), counted on the same instant;
* refunds in progress, overdue duties and overdue payments are a snapshot at ``now``,
  whatever the period: a procedure opened before the period is still in progress;
* duties *done late* (confirmed after their 48 h) are those confirmed during the period
  (``ClaimDuty.done_at`` in ``[start, end)``), of any claim, open or closed (0020);
* "newly installed during the year": an ``Equipment`` row owned by SEM *installed* that
  year (``installed_on``, a calendar date; a claim's replacement is such a row, marked
  with its claim), plus the claim replacements recorded before they entered the inventory
  (``replacement_installed_on``). Never the row's ``created_at``, which is the day it was
  imported: the first bulk import would list the whole inventory. SEM's equipment without
  an installation date is listed apart, in its own section, when it may belong to the
  year (acquired that year, or acquisition unknown), never left out silently
  (docs/decisions/0022, replacing that part of 0009);
* the equipment side (decision 0033): the items' moves (``EquipmentMove.at``) in the same
  ``[start, end)``, by the body answering for the item after the move, each item counted
  once per kind of movement (``COUNT(DISTINCT equipment_id)``): *flagged* broken or unused
  = a move out of service (``in_service`` → ``out_of_order`` / ``unused``) of a flagging
  (a ticket of kind ``collection``); *collected* = a move to ``collected``; *in stock*,
  *reassigned* = a move to that state; a move to ``recycled`` is SEM's recycling for SEM's
  items and the body's own removal for the body's (art. 4: each removes its own); the
  body's unused items, which are not moved (its own business), are counted from the
  flaggings of the period (``collection_items``, route ``body_keeps``);
* the schedule: the review on the 1st of every other month at 08:00 Paris covering the two
  previous months; the yearly list on 15 January at 08:00 Paris for the previous year.
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, case, distinct, func, or_, select, text, update
from sqlalchemy.orm import aliased

from bot.domain.claims import (
    HIGH_FREQUENCY_THRESHOLD,
    HIGH_FREQUENCY_WINDOW,
    SECURITY_FLAG_KINDS,
    ClaimKind,
)
from bot.domain.collections import ItemState, Route
from bot.domain.dates import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    PARIS,
    anniversary,
    local_date,
    local_to_utc,
    start_of_local_day,
    to_utc,
)
from bot.domain.deadlines import (
    PAYMENT_DEADLINE_YEARS,
    Audience,
    PlannedReminder,
    payment_deadline,
)
from bot.domain.directory import cents_to_eur
from bot.domain.errors import DomainError
from bot.services import audiences, reminders
from bot.services.audiences import Recipient, StaffRoom
from storage.models import (
    Claim,
    ClaimDuty,
    ClaimItem,
    CollectionItem,
    Commune,
    Equipment,
    EquipmentMove,
    Payment,
    Person,
    Reminder,
    ResponsibleBody,
    School,
    Ticket,
)
from storage.types import as_utc
from storage.uow import Database

# ----------------------------------------------------------------------- readings (one place)
CLAIM = "claim"  # Ticket.kind of a sinistre
COLLECTION = "collection"  # Ticket.kind of a flagging of unused or broken equipment
SEM_OWNER = "sem"  # Equipment.owner of what SEM insures through the communes (art. 6)
REFUND_LIST_LIMIT = 100  # claims listed under "refunds in progress" (the totals count all)
OVERDUE_LIST_LIMIT = 50  # claims listed under "overdue duties" (the totals count all)
# The committee's review: 1st of Jan, Mar, May, Jul, Sep, Nov at 08:00 Paris, covering the
# two calendar months before.
REVIEW_MONTHS: tuple[int, ...] = (1, 3, 5, 7, 9, 11)
REVIEW_SPAN_MONTHS = 2
REVIEW_LOCAL_TIME = time(8, 0)
# Each commune's list of new equipment: 15 January at 08:00 Paris, for the previous year.
EQUIPMENT_LIST_MONTH = 1
EQUIPMENT_LIST_DAY = 15
EQUIPMENT_LIST_LOCAL_TIME = time(8, 0)
# A push missed while the bot was down is still sent if it is at most this late; an older
# one (e.g. at the first deployment) is not planned at all.
MISSED_REPORT_GRACE = timedelta(days=14)
# -------------------------------------------------------------------------------------------

KIND_REVIEW = "report.push.review"  # reminder kinds, also the catalog keys of the texts
KIND_EQUIPMENT = "report.push.equipment"
REPORT_KINDS: tuple[str, ...] = (KIND_REVIEW, KIND_EQUIPMENT)
REVIEW_PREFIX = "report:review"
EQUIPMENT_PREFIX = "report:equipment"

# Report rows are ordinary reminder rows of their own kinds; the reminder sweep leaves these
# kinds to the reports job (``Renderers.handled_elsewhere``), which takes them with the same
# lease as the sweep's (see decision 0009).
REPORT_OWNER = "reports"
REPORT_LEASE = timedelta(minutes=10)

_R = cast(Table, Reminder.__table__)
_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")


# ================================================================================ the review


@dataclass(frozen=True)
class CommuneLine:
    commune_id: int
    insee: str
    name: str
    count: int  # claims in the period
    by_kind: Mapping[str, int]  # ClaimKind value → claims in the period
    recent: int  # thefts and damage over the HIGH_FREQUENCY_WINDOW ending at ``now``
    refund_estimate: Decimal  # SUM of the items' estimated refunds (known ones)
    unknown_items: int  # items whose refund is still to estimate


@dataclass(frozen=True)
class SchoolLine:
    school_id: int
    uai: str
    name: str
    commune_name: str
    count: int  # claims in the period
    recent: int  # thefts and damage over the HIGH_FREQUENCY_WINDOW ending at ``now``
    flagged: bool  # recent >= HIGH_FREQUENCY_THRESHOLD: replacement may be conditional


@dataclass(frozen=True)
class RefundCommuneLine:
    commune_id: int
    name: str
    count: int
    owed: Decimal
    paid: Decimal
    outstanding: Decimal


@dataclass(frozen=True)
class RefundClaimLine:
    number: str
    school_name: str
    commune_name: str
    state: str
    completed_on: date | None
    pay_by: date | None
    owed: Decimal
    paid: Decimal
    outstanding: Decimal


@dataclass(frozen=True)
class RefundsInProgress:
    """Open claims with a pledge or an amount due: what the communes owe SEM."""

    count: int
    owed: Decimal
    paid: Decimal
    outstanding: Decimal
    by_commune: tuple[RefundCommuneLine, ...]
    claims: tuple[RefundClaimLine, ...]  # at most REFUND_LIST_LIMIT, largest outstanding first

    @property
    def truncated(self) -> bool:
        return len(self.claims) < self.count


@dataclass(frozen=True)
class OverdueDutyLine:
    number: str
    school_name: str
    commune_name: str
    deadline: datetime
    pending: int  # duties not confirmed


@dataclass(frozen=True)
class OverdueDuties:
    claims: int  # open claims with at least one duty past its deadline
    duties: int  # duties past their deadline
    lines: tuple[OverdueDutyLine, ...]  # at most OVERDUE_LIST_LIMIT, oldest deadline first
    # Duties confirmed during the period, but after their deadline (done late).
    done_late: int = 0
    done_late_claims: int = 0
    done_late_numbers: tuple[str, ...] = ()  # at most OVERDUE_LIST_LIMIT, by number

    @property
    def numbers(self) -> tuple[str, ...]:
        return tuple(line.number for line in self.lines)

    @property
    def truncated(self) -> bool:
        return len(self.lines) < self.claims


@dataclass(frozen=True)
class OverduePaymentLine:
    number: str
    commune_name: str
    completed_on: date
    pay_by: date
    outstanding: Decimal


@dataclass(frozen=True)
class OverduePayments:
    count: int
    outstanding: Decimal
    lines: tuple[OverduePaymentLine, ...]  # at most OVERDUE_LIST_LIMIT, oldest first

    @property
    def numbers(self) -> tuple[str, ...]:
        return tuple(line.number for line in self.lines)

    @property
    def truncated(self) -> bool:
        return len(self.lines) < self.count


# The equipment side's movements, in the order the review shows them (decision 0033).
FLAGGED_BROKEN = "flagged_broken"  # flagged « hors d'usage »
FLAGGED_UNUSED = "flagged_unused"  # flagged « non utilisé » (moved: SEM's items)
KEPT_BY_BODY = "kept_by_body"  # the body's unused items: flagged, left to the body
COLLECTED = "collected"
RECYCLED = "recycled"  # SEM's items taken to recycling
REMOVED_BY_BODY = "removed_by_body"  # the body's broken items it removed itself (art. 4)
IN_STOCK = "in_stock"
REASSIGNED = "reassigned"
MOVEMENTS: tuple[str, ...] = (
    FLAGGED_BROKEN,
    FLAGGED_UNUSED,
    KEPT_BY_BODY,
    COLLECTED,
    RECYCLED,
    REMOVED_BY_BODY,
    IN_STOCK,
    REASSIGNED,
)


@dataclass(frozen=True)
class EquipmentBodyLine:
    """One body's items per kind of movement over the period."""

    body_id: int | None  # None: moves recorded without a body (never expected)
    code: str
    name: str
    kind: str  # commune | ogec | institute
    counts: Mapping[str, int]  # every MOVEMENTS key, zeros included

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class EquipmentMovements:
    """The review's equipment side: bodies with at least one movement, most first."""

    bodies: tuple[EquipmentBodyLine, ...] = ()

    @property
    def totals(self) -> Mapping[str, int]:
        """Per movement, the sum of the bodies' lines (an item moved under two bodies in
        the period counts under each)."""
        return MappingProxyType({m: sum(line.counts[m] for line in self.bodies) for m in MOVEMENTS})

    @property
    def total(self) -> int:
        return sum(line.total for line in self.bodies)


@dataclass(frozen=True)
class ClaimsReview:
    start: datetime  # aware UTC, included
    end: datetime  # aware UTC, excluded
    now: datetime
    first_day: date  # the period in Paris calendar days, both included
    last_day: date
    months: Decimal  # calendar months in the period
    total: int
    per_month: Decimal  # claims per month, to the cent
    by_kind: Mapping[str, int]  # every ClaimKind, in the enum's order, zeros included
    communes: tuple[CommuneLine, ...]  # most claims first
    schools: tuple[SchoolLine, ...]  # with claims in the period, or flagged
    refunds: RefundsInProgress
    overdue_duties: OverdueDuties
    overdue_payments: OverduePayments
    threshold: int = HIGH_FREQUENCY_THRESHOLD
    window_days: int = HIGH_FREQUENCY_WINDOW.days
    equipment: EquipmentMovements = field(default_factory=EquipmentMovements)

    @property
    def flagged_schools(self) -> tuple[SchoolLine, ...]:
        return tuple(s for s in self.schools if s.flagged)

    @property
    def refund_estimate(self) -> Decimal:
        return sum((c.refund_estimate for c in self.communes), _ZERO)


def _eur(cents: Any) -> Decimal:
    """A SUM of cents (None when nothing was summed; Decimal on PostgreSQL) in euros."""
    return cents_to_eur(int(cents or 0))


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def period_months(first: date, end: date) -> Decimal:
    """Calendar months from ``first`` (included) to ``end`` (excluded): whole months, plus
    the remaining days as a share of the next month (1 Jan → 1 Mar = 2; 1 → 16 Jan ≈ 0.48)."""
    if end <= first:
        return Decimal(0)
    whole = 0
    while _add_months(first, whole + 1) <= end:
        whole += 1
    rest_start = _add_months(first, whole)
    rest = (end - rest_start).days
    if rest == 0:
        return Decimal(whole)
    month_days = (_add_months(first, whole + 1) - rest_start).days
    return Decimal(whole) + Decimal(rest) / Decimal(month_days)


def per_month(count: int, months: Decimal) -> Decimal:
    if months <= 0:
        return _ZERO
    return (Decimal(count) / months).quantize(_CENT, rounding=ROUND_HALF_UP)


async def claims_review(
    db: Database, *, start: datetime, end: datetime, now: datetime
) -> ClaimsReview:
    """The thefts-and-damage review of the claims reported in ``[start, end)``.

    A few queries, each reading only what it counts (decision 0085): the period's claims
    by commune, school and kind; the frequency window's thefts and damage, on their own
    (OR-ed into the period's query, the window made a two-month review read a year and
    more); the items' refunds; then the open claims alone for what is a snapshot at
    ``now``, and the equipment side.
    """
    start, end, now = to_utc(start, "start"), to_utc(end, "end"), to_utc(now, "now")
    first_day = local_date(start, PARIS)
    # The last day that has a moment in the period (``end`` itself is excluded).
    end_day = local_date(end - timedelta(microseconds=1), PARIS) + timedelta(days=1)
    months = period_months(first_day, end_day)

    async with db.uow() as uow:
        session = uow.session
        if db.dialect == "postgresql":
            # These aggregations take tens of milliseconds; compiling them (JIT, for plans
            # its cost model calls expensive) took up to 400 ms more than it saved.
            await session.execute(text("SET LOCAL jit = off"))
        communes, schools, by_kind = await _claim_counts(session, start, end, now)
        refunds, overdue_payments = await _open_claims(session, now)
        overdue_duties = await _overdue_duties(session, now, start, end)
        equipment = await _equipment_movements(session, start, end)

    total = sum(by_kind.values())
    return ClaimsReview(
        start=start,
        end=end,
        now=now,
        first_day=first_day,
        last_day=end_day - timedelta(days=1),
        months=months,
        total=total,
        per_month=per_month(total, months),
        by_kind=by_kind,
        communes=tuple(communes),
        schools=tuple(schools),
        refunds=refunds,
        overdue_duties=overdue_duties,
        overdue_payments=overdue_payments,
        equipment=equipment,
    )


async def _claim_counts(
    session: Any, start: datetime, end: datetime, now: datetime
) -> tuple[list[CommuneLine], list[SchoolLine], dict[str, int]]:
    """The period's claims per commune and per school, split by kind, with the frequency
    window's thefts and damage beside them.

    Both counts are grouped by (commune, school) together, once each, and summed here:
    a commune's line counts its claims with or without a school, a school's line its
    own. The names are read afterwards for the communes and schools found.
    """
    is_claim = Ticket.kind == CLAIM
    kinds = [k.value for k in ClaimKind]
    period_rows = (
        await session.execute(
            select(Ticket.commune_id, Ticket.school_id, Claim.kind, func.count())
            .select_from(Ticket)
            .join(Claim, Claim.ticket_id == Ticket.id)
            .where(is_claim, Ticket.created_at >= start, Ticket.created_at < end)
            .group_by(Ticket.commune_id, Ticket.school_id, Claim.kind)
        )
    ).all()
    # The flag's count: thefts and damage only (decision 0021), over the window ending at
    # ``now`` (both ends included), whatever the period.
    window_rows = (
        await session.execute(
            select(Ticket.commune_id, Ticket.school_id, func.count())
            .select_from(Ticket)
            .join(Claim, Claim.ticket_id == Ticket.id)
            .where(
                is_claim,
                Ticket.created_at >= now - HIGH_FREQUENCY_WINDOW,
                Ticket.created_at <= now,
                Claim.kind.in_([k.value for k in SECURITY_FLAG_KINDS]),
            )
            .group_by(Ticket.commune_id, Ticket.school_id)
        )
    ).all()
    commune_kinds: dict[int, dict[str, int]] = {}
    commune_count: dict[int, int] = {}
    school_count: dict[int, int] = {}
    for commune_id, school_id, kind, count in period_rows:
        by_kind = commune_kinds.setdefault(commune_id, dict.fromkeys(kinds, 0))
        if kind in by_kind:
            by_kind[kind] += int(count)
        commune_count[commune_id] = commune_count.get(commune_id, 0) + int(count)
        if school_id is not None:
            school_count[school_id] = school_count.get(school_id, 0) + int(count)
    commune_recent: dict[int, int] = {}
    school_recent: dict[int, int] = {}
    for commune_id, school_id, count in window_rows:
        commune_recent[commune_id] = commune_recent.get(commune_id, 0) + int(count)
        if school_id is not None:
            school_recent[school_id] = school_recent.get(school_id, 0) + int(count)
    # Flagged schools are listed even without a claim in the period.
    school_ids = set(school_count) | {
        sid for sid, recent in school_recent.items() if recent >= HIGH_FREQUENCY_THRESHOLD
    }

    refunds_of: dict[int, tuple[Decimal, int]] = {}
    commune_names: dict[int, tuple[str, str]] = {}
    school_names: dict[int, tuple[str, str, str]] = {}
    if commune_count:
        # The items' estimated refunds, per commune, in the period.
        refund_rows = (
            await session.execute(
                select(
                    Ticket.commune_id,
                    func.sum(ClaimItem.refund_cents),
                    func.count() - func.count(ClaimItem.refund_cents),
                )
                .select_from(Ticket)
                .join(ClaimItem, ClaimItem.claim_id == Ticket.id)
                .where(is_claim, Ticket.created_at >= start, Ticket.created_at < end)
                .group_by(Ticket.commune_id)
            )
        ).all()
        refunds_of = {cid: (_eur(cents), int(unknown)) for cid, cents, unknown in refund_rows}
        commune_names = {
            cid: (insee, name)
            for cid, insee, name in (
                await session.execute(
                    select(Commune.id, Commune.insee, Commune.name).where(
                        Commune.id.in_(list(commune_count))
                    )
                )
            ).all()
        }
    if school_ids:
        school_names = {
            sid: (uai, name, commune_name)
            for sid, uai, name, commune_name in (
                await session.execute(
                    select(School.id, School.uai, School.name, Commune.name)
                    .join(Commune, Commune.id == School.commune_id)
                    .where(School.id.in_(sorted(school_ids)))
                )
            ).all()
        }

    communes = sorted(
        (
            CommuneLine(
                commune_id=cid,
                insee=commune_names[cid][0],
                name=commune_names[cid][1],
                count=count,
                by_kind=commune_kinds[cid],
                recent=commune_recent.get(cid, 0),
                refund_estimate=refunds_of.get(cid, (_ZERO, 0))[0],
                unknown_items=refunds_of.get(cid, (_ZERO, 0))[1],
            )
            for cid, count in commune_count.items()
        ),
        key=lambda c: (-c.count, c.name, c.commune_id),
    )
    schools = sorted(
        (
            SchoolLine(
                school_id=sid,
                uai=school_names[sid][0],
                name=school_names[sid][1],
                commune_name=school_names[sid][2],
                count=school_count.get(sid, 0),
                recent=school_recent.get(sid, 0),
                flagged=school_recent.get(sid, 0) >= HIGH_FREQUENCY_THRESHOLD,
            )
            for sid in school_ids
        ),
        key=lambda s: (not s.flagged, -s.count, -s.recent, s.name, s.school_id),
    )
    by_kind = {kind: sum(c[kind] for c in commune_kinds.values()) for kind in kinds}
    return communes, schools, by_kind


async def equipment_movements(
    db: Database, *, start: datetime, end: datetime
) -> EquipmentMovements:
    """The review's equipment side alone, for ``[start, end)`` (``claims_review`` has it)."""
    start, end = to_utc(start, "start"), to_utc(end, "end")
    async with db.uow() as uow:
        return await _equipment_movements(uow.session, start, end)


async def _equipment_movements(session: Any, start: datetime, end: datetime) -> EquipmentMovements:
    """The items moved in ``[start, end)`` per body and kind of movement: two ``GROUP BY``
    queries (the moves; the body's unused items, which do not move), then the bodies' names
    for the few bodies found. The readings are in the module's docstring (decision 0033)."""
    move = EquipmentMove
    # The ticket's kind and the item's owner are read only for the moves that need them
    # (a CASE evaluates its branches in order): no join over every move.
    ticket_kind = select(Ticket.kind).where(Ticket.id == move.ticket_id).scalar_subquery()
    owner = select(Equipment.owner).where(Equipment.id == move.equipment_id).scalar_subquery()
    flagged = and_(move.from_state == ItemState.IN_SERVICE.value, ticket_kind == COLLECTION)
    recycled = move.to_state == ItemState.RECYCLED.value
    movement = case(
        (and_(move.to_state == ItemState.OUT_OF_ORDER.value, flagged), FLAGGED_BROKEN),
        (and_(move.to_state == ItemState.UNUSED.value, flagged), FLAGGED_UNUSED),
        (move.to_state == ItemState.COLLECTED.value, COLLECTED),
        (and_(recycled, owner == SEM_OWNER), RECYCLED),
        (recycled, REMOVED_BY_BODY),
        (move.to_state == ItemState.IN_STOCK.value, IN_STOCK),
        (move.to_state == ItemState.REASSIGNED.value, REASSIGNED),
        else_=None,
    )
    counted_states = [
        s.value
        for s in (
            ItemState.OUT_OF_ORDER,
            ItemState.UNUSED,
            ItemState.COLLECTED,
            ItemState.RECYCLED,
            ItemState.IN_STOCK,
            ItemState.REASSIGNED,
        )
    ]
    # The movement as a subquery's column, then grouped on: the CASE is not repeated in
    # the GROUP BY (PostgreSQL would see its bound labels as other expressions).
    moved = (
        select(
            move.body_id.label("body_id"),
            move.equipment_id.label("equipment_id"),
            movement.label("movement"),
        )
        .where(move.at >= start, move.at < end, move.to_state.in_(counted_states))
        .subquery("moved")
    )
    rows = (
        await session.execute(
            select(moved.c.body_id, moved.c.movement, func.count(distinct(moved.c.equipment_id)))
            .where(moved.c.movement.is_not(None))
            .group_by(moved.c.body_id, moved.c.movement)
        )
    ).all()
    kept = (
        await session.execute(
            select(Ticket.body_id, func.count(distinct(CollectionItem.equipment_id)))
            .select_from(CollectionItem)
            .join(Ticket, Ticket.id == CollectionItem.collection_id)
            .where(
                Ticket.kind == COLLECTION,
                Ticket.created_at >= start,
                Ticket.created_at < end,
                CollectionItem.route == Route.BODY_KEEPS.value,
            )
            .group_by(Ticket.body_id)
        )
    ).all()
    counts: dict[int | None, dict[str, int]] = {}
    for body_id, kind, count in rows:
        counts.setdefault(body_id, dict.fromkeys(MOVEMENTS, 0))[str(kind)] = int(count)
    for body_id, count in kept:
        counts.setdefault(body_id, dict.fromkeys(MOVEMENTS, 0))[KEPT_BY_BODY] = int(count)
    named = [b for b in counts if b is not None]
    bodies = (
        {
            row.id: row
            for row in (
                await session.scalars(select(ResponsibleBody).where(ResponsibleBody.id.in_(named)))
            ).all()
        }
        if named
        else {}
    )
    lines = []
    for body_id, by_movement in counts.items():
        found = bodies.get(body_id) if body_id is not None else None
        lines.append(
            EquipmentBodyLine(
                body_id=body_id,
                code=found.code if found else "",
                name=found.name if found else "",
                kind=found.kind if found else "",
                counts=MappingProxyType(by_movement),
            )
        )
    lines.sort(key=lambda line: (-line.total, line.name, line.body_id or 0))
    return EquipmentMovements(tuple(lines))


def _paid_per_claim() -> Any:
    """SUM(payments) per claim, as a subquery to join (one row per claim with payments).
    Only confirmed payments count: a body's payment awaiting staff, or one they rejected,
    is not paid."""
    return (
        select(Payment.claim_id.label("claim_id"), func.sum(Payment.amount_cents).label("paid"))
        .where(Payment.status == "confirmed")
        .group_by(Payment.claim_id)
        .subquery("paid")
    )


def _open_claims_owing() -> Any:
    """The open claims with a pledge or an amount due, one row each with what is owed
    and what was paid (confirmed payments only, as in ``_paid_per_claim``).

    The payments are summed for these claims alone, each through the index on
    ``(claim_id, status, amount_cents)``, rather than grouped over every payment ever
    made and joined. ``MATERIALIZED``: each claim's sum is taken once however many
    times the query reads it (SQLite and PostgreSQL would otherwise repeat it).
    """
    owed = func.coalesce(Claim.amount_due_cents, Claim.pledge_amount_cents)
    paid = (
        select(func.coalesce(func.sum(Payment.amount_cents), 0))
        .where(Payment.claim_id == Claim.ticket_id, Payment.status == "confirmed")
        .scalar_subquery()
    )
    return (
        select(
            Ticket.id.label("id"),
            Ticket.number.label("number"),
            Ticket.state.label("state"),
            Ticket.commune_id.label("commune_id"),
            Ticket.school_id.label("school_id"),
            Claim.completed_on.label("completed_on"),
            owed.label("owed"),
            paid.label("paid"),
        )
        .select_from(Ticket)
        .join(Claim, Claim.ticket_id == Ticket.id)
        .where(Ticket.kind == CLAIM, Ticket.closed_at.is_(None), owed.is_not(None))
        .cte("owing")
        .prefix_with("MATERIALIZED")
    )


async def _open_claims(session: Any, now: datetime) -> tuple[RefundsInProgress, OverduePayments]:
    """Refunds in progress and overdue payments, both read from the open claims that owe:
    one ``GROUP BY`` commune for the totals of both, then each bounded list.

    Overdue: complete, open claims whose one-year deadline has passed with money still
    owed. The deadline (``payment_deadline(completed_on)``, an anniversary) is awkward to
    compute alike on SQLite and PostgreSQL; rather than fetching the complete unpaid
    claims and filtering them in Python, the rule is turned into one date computed in
    Python (``overdue_cutoff``): overdue means ``completed_on < cutoff``, a plain
    comparison the database does. So the count and the sum stay in SQL, and only a
    bounded list comes back.
    """
    cutoff = overdue_cutoff(local_date(now, PARIS))
    owing = _open_claims_owing()
    outstanding = owing.c.owed - owing.c.paid
    overdue = and_(
        owing.c.completed_on.is_not(None), owing.c.completed_on < cutoff, outstanding > 0
    )
    per_commune = (
        await session.execute(
            select(
                Commune.id,
                Commune.name,
                func.count(),
                func.sum(owing.c.owed),
                func.sum(owing.c.paid),
                func.sum(case((overdue, 1), else_=0)),
                func.sum(case((overdue, owing.c.owed), else_=0)),
                func.sum(case((overdue, owing.c.paid), else_=0)),
            )
            .select_from(owing)
            .join(Commune, Commune.id == owing.c.commune_id)
            .group_by(Commune.id, Commune.name)
        )
    ).all()
    by_commune = sorted(
        (
            RefundCommuneLine(
                commune_id=cid,
                name=name,
                count=int(count),
                owed=_eur(owed_cents),
                paid=_eur(paid_cents),
                outstanding=_eur(owed_cents) - _eur(paid_cents),
            )
            for cid, name, count, owed_cents, paid_cents, *_ in per_commune
        ),
        key=lambda line: (-line.outstanding, line.name, line.commune_id),
    )
    listed = (
        await session.execute(
            select(
                owing.c.number,
                School.name,
                Commune.name,
                owing.c.state,
                owing.c.completed_on,
                owing.c.owed,
                owing.c.paid,
            )
            .select_from(owing)
            .join(Commune, Commune.id == owing.c.commune_id)
            .outerjoin(School, School.id == owing.c.school_id)
            .order_by(outstanding.desc(), owing.c.number)
            .limit(REFUND_LIST_LIMIT)
        )
    ).all()
    claims = tuple(
        RefundClaimLine(
            number=number,
            school_name=school_name or "",
            commune_name=commune_name,
            state=state,
            completed_on=completed_on,
            pay_by=payment_deadline(completed_on) if completed_on else None,
            owed=_eur(owed_cents),
            paid=_eur(paid_cents),
            outstanding=_eur(owed_cents) - _eur(paid_cents),
        )
        for number, school_name, commune_name, state, completed_on, owed_cents, paid_cents in listed
    )
    total_owed = sum((line.owed for line in by_commune), _ZERO)
    total_paid = sum((line.paid for line in by_commune), _ZERO)
    refunds = RefundsInProgress(
        count=sum(line.count for line in by_commune),
        owed=total_owed,
        paid=total_paid,
        outstanding=total_owed - total_paid,
        by_commune=tuple(by_commune),
        claims=claims,
    )

    overdue_count = sum(int(row[5] or 0) for row in per_commune)
    overdue_owed = sum((_eur(row[6]) for row in per_commune), _ZERO)
    overdue_paid = sum((_eur(row[7]) for row in per_commune), _ZERO)
    rows = (
        (
            await session.execute(
                select(
                    owing.c.number,
                    Commune.name,
                    owing.c.completed_on,
                    owing.c.owed,
                    owing.c.paid,
                )
                .select_from(owing)
                .join(Commune, Commune.id == owing.c.commune_id)
                .where(overdue)
                .order_by(owing.c.completed_on, owing.c.number)
                .limit(OVERDUE_LIST_LIMIT)
            )
        ).all()
        if overdue_count
        else []
    )
    payments = OverduePayments(
        count=overdue_count,
        outstanding=overdue_owed - overdue_paid,
        lines=tuple(
            OverduePaymentLine(
                number=number,
                commune_name=commune_name,
                completed_on=completed_on,
                pay_by=payment_deadline(completed_on),
                outstanding=_eur(line_owed) - _eur(line_paid),
            )
            for number, commune_name, completed_on, line_owed, line_paid in rows
        ),
    )
    return refunds, payments


async def _overdue_duties(
    session: Any, now: datetime, start: datetime, end: datetime
) -> OverdueDuties:
    """Duties of open claims past their deadline, and duties done late in the period.

    Each is one query: the claims grouped with their duties, the totals beside them as
    window functions (``COUNT(*) OVER ()`` counts the claims, ``SUM(COUNT(*)) OVER ()``
    their duties, before the ``LIMIT``), the names read for the listed claims only.
    The partial indexes on pending duties and on duties done late hold what each reads.
    """
    per_claim = (
        select(
            Ticket.id.label("id"),
            Ticket.number.label("number"),
            Ticket.school_id.label("school_id"),
            Ticket.commune_id.label("commune_id"),
            func.min(ClaimDuty.deadline_at).label("deadline"),
            func.count().label("pending"),
            func.count().over().label("claims"),
            func.sum(func.count()).over().label("duties"),
        )
        .select_from(ClaimDuty)
        .join(Ticket, Ticket.id == ClaimDuty.claim_id)
        .where(
            Ticket.kind == CLAIM,
            Ticket.closed_at.is_(None),
            ClaimDuty.done_at.is_(None),
            ClaimDuty.deadline_at < now,
        )
        .group_by(Ticket.id, Ticket.number, Ticket.school_id, Ticket.commune_id)
        .order_by(func.min(ClaimDuty.deadline_at), Ticket.number)
        .limit(OVERDUE_LIST_LIMIT)
        .subquery("overdue")
    )
    rows = (
        await session.execute(
            select(
                per_claim.c.number,
                School.name,
                Commune.name,
                per_claim.c.deadline,
                per_claim.c.pending,
                per_claim.c.claims,
                per_claim.c.duties,
            )
            .select_from(per_claim)
            .join(Commune, Commune.id == per_claim.c.commune_id)
            .outerjoin(School, School.id == per_claim.c.school_id)
            .order_by(per_claim.c.deadline, per_claim.c.number)
        )
    ).all()
    # Done late: confirmed during the period, after the deadline (the comparison the
    # partial index is defined by, so that both databases use it). Grouped per claim
    # first, then joined: PostgreSQL cannot estimate the comparison, and given the
    # whole join to plan it walked every claim by number to find a handful.
    late_per_claim = (
        select(ClaimDuty.claim_id.label("claim_id"), func.count().label("duties"))
        .where(
            ClaimDuty.done_at > ClaimDuty.deadline_at,
            ClaimDuty.done_at >= start,
            ClaimDuty.done_at < end,
        )
        .group_by(ClaimDuty.claim_id)
        .cte("late")
        .prefix_with("MATERIALIZED")
    )
    late = (
        await session.execute(
            select(Ticket.number, func.count().over(), func.sum(late_per_claim.c.duties).over())
            .select_from(late_per_claim)
            .join(Ticket, Ticket.id == late_per_claim.c.claim_id)
            .where(Ticket.kind == CLAIM)
            .order_by(Ticket.number)
            .limit(OVERDUE_LIST_LIMIT)
        )
    ).all()
    return OverdueDuties(
        claims=int(rows[0][5]) if rows else 0,
        duties=int(rows[0][6]) if rows else 0,
        done_late=int(late[0][2]) if late else 0,
        done_late_claims=int(late[0][1]) if late else 0,
        done_late_numbers=tuple(number for number, *_ in late),
        lines=tuple(
            OverdueDutyLine(
                number=number,
                school_name=school_name or "",
                commune_name=commune_name,
                deadline=_aware(at),
                pending=int(pending),
            )
            for number, school_name, commune_name, at, pending, *_ in rows
        ),
    )


_aware = as_utc


def overdue_cutoff(today: date) -> date:
    """The first completion day whose payment is not overdue on ``today``.

    ``payment_deadline`` (an anniversary: from 29 February, 28 February) never decreases
    as the completion day grows, so the claims overdue today are exactly those completed
    before this day. Found near the anniversary, then checked against
    ``payment_deadline`` itself, so that the reading stays in ``bot.domain.deadlines``.
    """
    cutoff = anniversary(today, -PAYMENT_DEADLINE_YEARS)
    while payment_deadline(cutoff - timedelta(days=1)) >= today:
        cutoff -= timedelta(days=1)
    while payment_deadline(cutoff) < today:
        cutoff += timedelta(days=1)
    return cutoff


# ================================================================ periods typed by staff


@dataclass(frozen=True)
class Period:
    """Calendar days in Paris, both included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return start_of_local_day(self.first, PARIS)

    @property
    def end(self) -> datetime:
        return start_of_local_day(self.last + timedelta(days=1), PARIS)


def last_two_months(today: date) -> Period:
    """The two months up to today included (on 10 March: 11 January to 10 March), what
    /bilan without a period shows: a claim filed today is in it. The bimonthly push
    covers the two completed calendar months instead (``plan_reports``)."""
    return Period(_add_months(today, -REVIEW_SPAN_MONTHS) + timedelta(days=1), today)


_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$|^(\d{1,2})/(\d{4})$")
_DAY = r"(\d{1,2})/(\d{1,2})/(\d{4})"
_RANGE = re.compile(rf"^{_DAY}\s*(?:-|–|au|to)\s*{_DAY}$")


def parse_period(text: str | None, today: date) -> Period:
    """``""`` (the two months up to today), ``2026``, ``2026-03`` or ``03/2026``, or
    ``01/01/2026-31/03/2026``; anything else is refused with ``report.error.period``."""
    period = _parse_period(text, today)
    if not (
        EARLIEST_YEAR <= period.first.year <= LATEST_YEAR
        and EARLIEST_YEAR <= period.last.year <= LATEST_YEAR
    ):
        raise DomainError("report.error.period")  # a typo (and year 1 or 9999 overflow)
    return period


def _parse_period(text: str | None, today: date) -> Period:
    raw = " ".join((text or "").split()).lower()
    if not raw:
        return last_two_months(today)
    try:
        if match := _YEAR.match(raw):
            year = int(match.group(1))
            return Period(date(year, 1, 1), date(year, 12, 31))
        if match := _MONTH.match(raw):
            year = int(match.group(1) or match.group(4))
            month = int(match.group(2) or match.group(3))
            return Period(date(year, month, 1), date(year, month, monthrange(year, month)[1]))
        if match := _RANGE.match(raw):
            d1, m1, y1, d2, m2, y2 = (int(g) for g in match.groups())
            first, last = date(y1, m1, d1), date(y2, m2, d2)
            if last < first:
                raise DomainError("report.error.period_reversed")
            return Period(first, last)
    except ValueError as exc:  # 31/02, month 13, year 0…
        raise DomainError("report.error.period") from exc
    raise DomainError("report.error.period")


# =================================================================== new equipment (yearly)


@dataclass(frozen=True)
class NewEquipmentLine:
    # "new" (installed, SEM-owned) | "replacement" (after a claim) | "undated" (SEM-owned,
    # no installation date: listed apart, to be dated in the inventory)
    source: str
    school_name: str
    school_uai: str
    asset_tag: str | None
    type: str | None
    model: str | None
    serial: str | None
    installed_on: date | None  # the day it was installed; None when undated
    acquired_on: date | None
    value: Decimal | None
    claim_number: str | None = None

    @property
    def undated(self) -> bool:
        return self.installed_on is None


async def new_equipment_for_commune(
    db: Database, *, commune_id: int, year: int
) -> list[NewEquipmentLine]:
    """The yearly list of the commune's own body: its public schools (and the private ones
    no OGEC or institute answers for yet), never a private school under an OGEC."""
    body = await commune_body(db, commune_id)
    return [] if body is None else await new_equipment_for_body(db, body_id=body.id, year=year)


# Equipment states in which an item is no longer at the school it is listed under: the
# body's yearly list leaves them out.
NOT_AT_THE_SCHOOL = ("collected", "in_stock", "reassigned", "recycled")


async def new_equipment_for_body(
    db: Database, *, body_id: int, year: int
) -> list[NewEquipmentLine]:
    """What SEM installed during ``year`` in the schools a responsible body answers for
    (art. 6: the yearly list the body needs for its insurance), with values.

    SEM's equipment counts in the year of its installation date (``installed_on``), not of
    its acquisition nor of its import into the bot (``created_at``); a claim's replacement
    is marked with its claim. Replacements recorded before they entered the inventory count
    in the year they were installed. Then, apart (``undated``, at the end): SEM's equipment
    with no installation date that may belong to the year (acquired that year, or with no
    acquisition date either), not already replaced."""
    first_day, last_day = date(year, 1, 1), date(year, 12, 31)
    async with db.uow() as uow:
        installed = (
            await uow.session.execute(
                select(
                    School.name,
                    School.uai,
                    Equipment.asset_tag,
                    Equipment.type,
                    Equipment.model,
                    Equipment.serial,
                    Equipment.installed_on,
                    Equipment.acquired_on,
                    Equipment.value_cents,
                    Ticket.number,
                )
                .select_from(Equipment)
                .join(School, School.id == Equipment.school_id)
                .outerjoin(ClaimItem, ClaimItem.replacement_equipment_id == Equipment.id)
                .outerjoin(Ticket, Ticket.id == ClaimItem.claim_id)
                .where(
                    School.body_id == body_id,
                    Equipment.owner == SEM_OWNER,
                    # Not at the school any more: in SEM's stock, on its way to another
                    # school, collected or recycled (decision 0032).
                    Equipment.state.not_in(NOT_AT_THE_SCHOOL),
                    # NULL installation dates fail both comparisons: listed apart below.
                    Equipment.installed_on >= first_day,
                    Equipment.installed_on <= last_day,
                )
            )
        ).all()
        replaced = aliased(Equipment)
        replacements = (
            await uow.session.execute(
                select(
                    School.name,
                    School.uai,
                    ClaimItem.asset_tag,
                    replaced.type,
                    func.coalesce(replaced.model, ClaimItem.description),
                    ClaimItem.replacement_installed_on,
                    ClaimItem.new_value_cents,
                    Ticket.number,
                )
                .select_from(ClaimItem)
                .join(Ticket, Ticket.id == ClaimItem.claim_id)
                .join(School, School.id == Ticket.school_id)
                .outerjoin(replaced, replaced.id == ClaimItem.equipment_id)
                .where(
                    School.body_id == body_id,
                    # Recorded before replacements entered the inventory (listed above).
                    ClaimItem.replacement_equipment_id.is_(None),
                    # SEM replaces its own equipment only (the commune's own is its affair).
                    or_(replaced.owner.is_(None), replaced.owner == SEM_OWNER),
                    ClaimItem.replacement_installed_on >= first_day,
                    ClaimItem.replacement_installed_on <= last_day,
                )
            )
        ).all()
        undated = (
            await uow.session.execute(
                select(
                    School.name,
                    School.uai,
                    Equipment.asset_tag,
                    Equipment.type,
                    Equipment.model,
                    Equipment.serial,
                    Equipment.acquired_on,
                    Equipment.value_cents,
                )
                .select_from(Equipment)
                .join(School, School.id == Equipment.school_id)
                .where(
                    School.body_id == body_id,
                    Equipment.owner == SEM_OWNER,
                    Equipment.installed_on.is_(None),
                    Equipment.replaced_by_id.is_(None),
                    Equipment.state.not_in(NOT_AT_THE_SCHOOL),
                    or_(
                        Equipment.acquired_on.is_(None),
                        and_(Equipment.acquired_on >= first_day, Equipment.acquired_on <= last_day),
                    ),
                )
            )
        ).all()
    lines = [
        NewEquipmentLine(
            source="new" if number is None else "replacement",
            school_name=school,
            school_uai=uai,
            asset_tag=tag,
            type=kind,
            model=model,
            serial=serial,
            installed_on=installed_on,
            acquired_on=acquired_on,
            value=None if cents is None else cents_to_eur(cents),
            claim_number=number,
        )
        for school, uai, tag, kind, model, serial, installed_on, acquired_on, cents, number in (
            installed
        )
    ]
    lines += [
        NewEquipmentLine(
            source="replacement",
            school_name=school,
            school_uai=uai,
            asset_tag=tag,
            type=kind,
            model=model,
            serial=None,
            installed_on=installed_on,
            acquired_on=installed_on,
            value=None if cents is None else cents_to_eur(cents),
            claim_number=number,
        )
        for school, uai, tag, kind, model, installed_on, cents, number in replacements
    ]
    lines.sort(
        key=lambda e: (e.school_name, e.installed_on or first_day, e.asset_tag or "", e.source)
    )
    apart = [
        NewEquipmentLine(
            source="undated",
            school_name=school,
            school_uai=uai,
            asset_tag=tag,
            type=kind,
            model=model,
            serial=serial,
            installed_on=None,
            acquired_on=acquired_on,
            value=None if cents is None else cents_to_eur(cents),
        )
        for school, uai, tag, kind, model, serial, acquired_on, cents in undated
    ]
    apart.sort(key=lambda e: (e.school_name, e.asset_tag or ""))
    return lines + apart


@dataclass(frozen=True)
class CommuneRef:
    id: int
    insee: str
    name: str


@dataclass(frozen=True)
class BodyRef:
    """A responsible body, as the reports name it."""

    id: int
    code: str
    name: str
    kind: str
    commune_id: int | None

    @property
    def short_code(self) -> str:
        """For file names: a commune's INSEE code, else the body's code."""
        return self.code.removeprefix("commune:")


def _body_ref(row: ResponsibleBody) -> BodyRef:
    return BodyRef(row.id, row.code, row.name, row.kind, row.commune_id)


async def commune_body(db: Database, commune_id: int) -> BodyRef | None:
    async with db.uow() as uow:
        row = await uow.session.scalar(
            select(ResponsibleBody).where(ResponsibleBody.commune_id == commune_id)
        )
        return None if row is None else _body_ref(row)


async def body(db: Database, body_id: int) -> BodyRef | None:
    async with db.uow() as uow:
        row = await uow.session.get(ResponsibleBody, body_id)
        return None if row is None else _body_ref(row)


async def body_of_list(db: Database, payload: dict[str, Any]) -> BodyRef | None:
    """The body a yearly list row is for: ``body_id`` in its payload, or (rows planned
    before bodies existed) the body of its ``commune_id``."""
    if payload.get("body_id") is not None:
        return await body(db, int(payload["body_id"]))
    return await commune_body(db, int(payload["commune_id"]))


async def commune(db: Database, commune_id: int) -> CommuneRef | None:
    async with db.uow() as uow:
        row = await uow.session.get(Commune, commune_id)
        return None if row is None else CommuneRef(row.id, row.insee, row.name)


async def commune_by_insee(db: Database, insee: str) -> CommuneRef | None:
    async with db.uow() as uow:
        row = await uow.directory.commune_by_insee(insee)
        return None if row is None else CommuneRef(row.id, row.insee, row.name)


# ========================================================================== staff export


OPEN = "open"  # pseudo-state for the export: every ticket not closed


@dataclass(frozen=True)
class ExportRow:
    number: str
    kind: str
    state: str
    school_name: str
    school_uai: str
    commune_name: str
    commune_insee: str
    reporter: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    # claims only
    claim_kind: str | None = None
    discovered_at: datetime | None = None
    refund_estimate: Decimal | None = None  # None: nothing estimated yet
    amount_due: Decimal | None = None  # the amount due, or the pledge before completion
    paid: Decimal | None = None
    damage_cause: str | None = None  # a damage's cause (vandalism, breakage, …)


@dataclass(frozen=True)
class ExportFilter:
    kind: str | None = None
    insee: str | None = None
    state: str | None = None


# The words staff may type after /export (accents and case ignored).
EXPORT_KIND_WORDS: Mapping[str, str] = {
    **dict.fromkeys(("sinistres", "sinistre", "claims", "claim"), "claim"),
    **dict.fromkeys(("collectes", "collecte", "collections", "collection"), "collection"),
    **dict.fromkeys(("ami", "amis", "calls", "call"), "ami"),
    **dict.fromkeys(("avis", "travaux", "notices", "notice"), "notice"),
}
EXPORT_STATE_WORDS: Mapping[str, str] = {
    **dict.fromkeys(("ouverts", "ouvert", "ouvertes", "open"), OPEN),
    **dict.fromkeys(("signales", "signale", "reported"), "reported"),
    **dict.fromkeys(("declares", "declare", "declared"), "declared"),
    **dict.fromkeys(("engages", "engage", "pledged"), "pledged"),
    **dict.fromkeys(("complets", "complet", "complete"), "complete"),
    **dict.fromkeys(("payes", "paye", "paid"), "paid"),
    **dict.fromkeys(("clos", "fermes", "ferme", "closed"), "closed"),
}
_INSEE = re.compile(r"^(\d{5}|2[ab]\d{3})$")


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if c.isalnum())


def parse_export_filter(words: Sequence[str]) -> ExportFilter:
    """``/export [sinistres] [commune 42218] [ouverts|clos|payés…]`` in any order."""
    kind = insee = state = None
    for word in words:
        folded = _fold(word)
        if not folded or folded == "commune":
            continue
        if folded in EXPORT_KIND_WORDS and kind is None:
            kind = EXPORT_KIND_WORDS[folded]
        elif folded in EXPORT_STATE_WORDS and state is None:
            state = EXPORT_STATE_WORDS[folded]
        elif _INSEE.match(folded) and insee is None:
            insee = folded.upper()
        else:
            raise DomainError("report.error.export_usage", word=word)
    return ExportFilter(kind=kind, insee=insee, state=state)


async def export_tickets(
    db: Database,
    *,
    kind: str | None = None,
    commune_id: int | None = None,
    state: str | None = None,
) -> list[ExportRow]:
    """Tickets for the staff's spreadsheet, oldest first (``state="open"``: not closed)."""
    items_sq = (
        select(
            ClaimItem.claim_id.label("claim_id"),
            func.sum(ClaimItem.refund_cents).label("refund"),
        )
        .group_by(ClaimItem.claim_id)
        .subquery("refunds")
    )
    paid_sq = _paid_per_claim()
    reporter = aliased(Person)
    conditions: list[ColumnElement[bool]] = []
    if kind is not None:
        conditions.append(Ticket.kind == kind)
    if commune_id is not None:
        conditions.append(Ticket.commune_id == commune_id)
    if state == OPEN:
        conditions.append(Ticket.closed_at.is_(None))
    elif state is not None:
        conditions.append(Ticket.state == state)
    query = (
        select(
            Ticket.number,
            Ticket.kind,
            Ticket.state,
            School.name,
            School.uai,
            Commune.name,
            Commune.insee,
            reporter.full_name,
            Ticket.created_at,
            Ticket.updated_at,
            Ticket.closed_at,
            Ticket.close_reason,
            Claim.kind,
            Claim.discovered_at,
            items_sq.c.refund,
            func.coalesce(Claim.amount_due_cents, Claim.pledge_amount_cents),
            paid_sq.c.paid,
            Claim.damage_cause,
        )
        .select_from(Ticket)
        .join(Commune, Commune.id == Ticket.commune_id)
        .outerjoin(School, School.id == Ticket.school_id)
        .join(reporter, reporter.id == Ticket.reporter_id)
        .outerjoin(Claim, Claim.ticket_id == Ticket.id)
        .outerjoin(items_sq, items_sq.c.claim_id == Ticket.id)
        .outerjoin(paid_sq, paid_sq.c.claim_id == Ticket.id)
        .where(*conditions)
        .order_by(Ticket.created_at, Ticket.id)
    )
    async with db.uow() as uow:
        rows = (await uow.session.execute(query)).all()
    return [
        ExportRow(
            number=r[0],
            kind=r[1],
            state=r[2],
            school_name=r[3] or "",
            school_uai=r[4] or "",
            commune_name=r[5],
            commune_insee=r[6],
            reporter=r[7],
            created_at=r[8],
            updated_at=r[9],
            closed_at=r[10],
            close_reason=r[11],
            claim_kind=r[12],
            discovered_at=r[13],
            refund_estimate=None if r[14] is None else _eur(r[14]),
            amount_due=None if r[15] is None else _eur(r[15]),
            paid=None if r[12] is None else _eur(r[16]),
            damage_cause=r[17],
        )
        for r in rows
    ]


# ============================================================ the periodic pushes (rows)


def review_due(year: int, month: int) -> datetime:
    return local_to_utc(date(year, month, 1), REVIEW_LOCAL_TIME, PARIS)


def review_period(year: int, month: int) -> Period:
    """The months a review due on the 1st of ``month`` covers: the two before."""
    due_day = date(year, month, 1)
    return Period(_add_months(due_day, -REVIEW_SPAN_MONTHS), due_day - timedelta(days=1))


def equipment_list_due(year: int) -> datetime:
    """When the list of ``year``'s new equipment goes out (15 January of the next year)."""
    return local_to_utc(
        date(year + 1, EQUIPMENT_LIST_MONTH, EQUIPMENT_LIST_DAY), EQUIPMENT_LIST_LOCAL_TIME, PARIS
    )


def _wanted(candidates: Iterable[tuple[datetime, Any]], now: datetime) -> list[Any]:
    """The next occurrence after ``now``, and the last one if it is late by the grace at most."""
    ordered = sorted(candidates, key=lambda c: c[0])
    chosen = [value for due, value in ordered if due > now][:1]
    past = [(due, value) for due, value in ordered if due <= now]
    if past and now - past[-1][0] <= MISSED_REPORT_GRACE:
        chosen.insert(0, past[-1][1])
    return chosen


def reviews_to_plan(now: datetime) -> list[tuple[int, int]]:
    """(year, month) of the reviews that should exist as rows at ``now``."""
    year = local_date(now, PARIS).year
    candidates = [
        (review_due(y, m), (y, m)) for y in (year - 1, year, year + 1) for m in REVIEW_MONTHS
    ]
    return cast(list[tuple[int, int]], _wanted(candidates, now))


def equipment_years_to_plan(now: datetime) -> list[int]:
    """The years whose lists should exist as rows at ``now``."""
    year = local_date(now, PARIS).year
    candidates = [(equipment_list_due(y), y) for y in (year - 2, year - 1, year)]
    return cast(list[int], _wanted(candidates, now))


def review_key(year: int, month: int) -> str:
    return f"{REVIEW_PREFIX}:{year:04d}-{month:02d}"


def equipment_key(year: int, commune_id: int) -> str:
    """The key of a commune's yearly list (unchanged since before the bodies, so that a
    list planned or sent then is not planned again)."""
    return f"{EQUIPMENT_PREFIX}:{year:04d}:{commune_id}"


def body_equipment_key(year: int, body_id: int) -> str:
    """The key of the yearly list of an OGEC or an institute."""
    return f"{EQUIPMENT_PREFIX}:{year:04d}:body:{body_id}"


async def plan_reports(db: Database, *, now: datetime) -> int:
    """Make sure the next review and the next yearly lists exist as rows.

    Idempotent (keys are unique; existing ones are left alone, sent or not), so the
    reports job calls it at every run. Returns how many rows were added.
    """
    async with db.uow() as uow:
        wanted: dict[str, tuple[PlannedReminder, str, dict[str, Any]]] = {}
        for year, month in reviews_to_plan(now):
            period = review_period(year, month)
            wanted[review_key(year, month)] = (
                PlannedReminder(KIND_REVIEW, review_due(year, month), Audience.STAFF, ""),
                REVIEW_PREFIX,
                {"first": period.first.isoformat(), "last": period.last.isoformat()},
            )
        years = equipment_years_to_plan(now)
        if years:
            # One list per responsible body: a commune's for its schools, an OGEC's or an
            # institute's for theirs (art. 6; decision 0013).
            bodies = (
                await uow.session.execute(
                    select(ResponsibleBody.id, ResponsibleBody.commune_id).order_by(
                        ResponsibleBody.id
                    )
                )
            ).all()
            for year in years:
                for body_id, commune_id in bodies:
                    # A commune's list keeps the key and payload it had before the
                    # bodies; an OGEC's or an institute's names its body.
                    payload: dict[str, Any] = {"year": year}
                    if commune_id is not None:
                        key = equipment_key(year, commune_id)
                        payload["commune_id"] = commune_id
                    else:
                        key = body_equipment_key(year, body_id)
                        payload["body_id"] = body_id
                    wanted[key] = (
                        PlannedReminder(
                            KIND_EQUIPMENT, equipment_list_due(year), Audience.COMMUNE, ""
                        ),
                        f"{EQUIPMENT_PREFIX}:{year:04d}",
                        payload,
                    )
        if not wanted:
            return 0
        existing = set(
            (
                await uow.session.scalars(
                    select(Reminder.key).where(Reminder.key.in_(list(wanted)))
                )
            ).all()
        )
        added = 0
        for key, (planned, prefix, payload) in wanted.items():
            if key in existing:
                continue
            suffix = key.removeprefix(prefix + ":")
            added += await reminders.plan(
                uow,
                [PlannedReminder(planned.kind, planned.due_at, planned.audience, suffix)],
                key_prefix=prefix,
                now=now,
                payload=payload,
            )
        await uow.commit()
    return added


@dataclass
class ReportJob:
    """A report row claimed by the reports job."""

    id: int
    key: str
    kind: str
    audience: str
    payload: dict[str, Any]
    due_at: datetime
    attempts: int
    owner: str
    delivered: list[int] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def report_owner(worker: str) -> str:
    return f"{REPORT_OWNER}:{worker}"[:64]


async def claim_reports(
    db: Database, *, now: datetime, worker: str, lease: timedelta = REPORT_LEASE, batch: int = 20
) -> list[ReportJob]:
    """Take the due report rows for ``worker``, the way ``reminders.claim`` takes reminders.

    One ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING``: two bot
    processes never take the same row; a crashed run's rows come back when its lease
    expires.
    """
    owner = report_owner(worker)
    due = (
        select(_R.c.id)
        .where(
            _R.c.kind.in_(REPORT_KINDS),
            _R.c.state == reminders.PENDING,
            _R.c.next_attempt_at <= now,
            or_(_R.c.lease_until.is_(None), _R.c.lease_until < now),
        )
        .order_by(_R.c.next_attempt_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(_R)
        .where(_R.c.id.in_(due.scalar_subquery()))
        .values(
            lease_owner=owner,
            lease_until=now + lease,
            attempts=_R.c.attempts + 1,
        )
        .returning(
            _R.c.id, _R.c.key, _R.c.kind, _R.c.audience, _R.c.payload, _R.c.due_at, _R.c.attempts
        )
    )
    async with db.uow() as uow:
        rows = (await uow.session.execute(statement)).all()
        await uow.commit()
    jobs = []
    for row_id, key, kind, audience, payload, due_at, attempts in rows:
        data = dict(payload or {})
        jobs.append(
            ReportJob(
                id=row_id,
                key=key,
                kind=kind,
                audience=audience,
                payload=data,
                due_at=due_at,
                attempts=attempts,
                owner=owner,
                delivered=[int(c) for c in data.get(reminders.DELIVERED, [])],
                failed={str(k): str(v) for k, v in data.get(reminders.FAILED, {}).items()},
            )
        )
    jobs.sort(key=lambda j: (j.due_at, j.id))
    return jobs


async def _fenced_write(db: Database, job: ReportJob, **values: Any) -> bool:
    """Write on the row only if it is still ours and pending (a cancel stops us)."""
    async with db.uow() as uow:
        result = await uow.session.execute(
            update(_R)
            .where(
                _R.c.id == job.id, _R.c.lease_owner == job.owner, _R.c.state == reminders.PENDING
            )
            .values(**values)
        )
        await uow.commit()
    return getattr(result, "rowcount", 0) == 1


def _payload(job: ReportJob) -> dict[str, Any]:
    payload = dict(job.payload)
    payload[reminders.DELIVERED] = list(job.delivered)
    if job.failed:
        payload[reminders.FAILED] = dict(job.failed)
    return payload


async def record_delivery(db: Database, job: ReportJob, chat_id: int) -> bool:
    """This chat has its files: committed at once, so a retry never sends them again."""
    job.delivered.append(chat_id)
    return await _fenced_write(db, job, payload=_payload(job))


async def record_unreachable(db: Database, job: ReportJob, chat_id: int, reason: str) -> bool:
    job.failed[str(chat_id)] = reason
    return await _fenced_write(db, job, payload=_payload(job))


async def finish_report(db: Database, job: ReportJob, *, now: datetime) -> str:
    """Mark the row sent (someone got it), dead (nobody reachable) or skipped (nobody to
    send to), and release it. Returns the state written."""
    if job.delivered:
        state = reminders.SENT
    elif job.failed:
        state = reminders.DEAD
    else:
        state = reminders.SKIPPED
    last_error = "; ".join(f"{chat}: {why}" for chat, why in job.failed.items()) or None
    ok = await _fenced_write(
        db,
        job,
        payload=_payload(job),
        state=state,
        sent_at=now if state == reminders.SENT else None,
        last_error=last_error,
        lease_owner=None,
        lease_until=None,
    )
    return state if ok else "lost"


async def retry_report(db: Database, job: ReportJob, *, at: datetime, error: str) -> str:
    """Try again at ``at`` (backoff, or Telegram's RetryAfter), or give up after
    ``reminders.MAX_ATTEMPTS``. Returns the state written."""
    if job.attempts >= reminders.MAX_ATTEMPTS:
        ok = await _fenced_write(
            db,
            job,
            state=reminders.DEAD,
            last_error=f"{error} (after {job.attempts} attempts)",
            lease_owner=None,
            lease_until=None,
        )
        return reminders.DEAD if ok else "lost"
    ok = await _fenced_write(
        db,
        job,
        next_attempt_at=at,
        last_error=error,
        lease_owner=None,
        lease_until=None,
    )
    return reminders.PENDING if ok else "lost"


async def report_recipients(db: Database, job: ReportJob, room: StaffRoom) -> list[Recipient]:
    """Staff for the review (the staff chat when configured, else each staff member);
    the agents of the list's responsible body only for its list of new equipment."""
    async with db.uow() as uow:
        if job.kind == KIND_REVIEW:  # not the forum: its posts are about one ticket each
            return list(await audiences.staff(uow, room, forum=False))
        target = await body_of_list(db, job.payload)
        return [] if target is None else list(await audiences.body_agents(uow, target.id))


__all__: Sequence[str] = [
    "ClaimsReview",
    "CommuneLine",
    "EquipmentBodyLine",
    "EquipmentMovements",
    "ExportRow",
    "NewEquipmentLine",
    "Period",
    "ReportJob",
    "SchoolLine",
    "claim_reports",
    "claims_review",
    "equipment_movements",
    "export_tickets",
    "finish_report",
    "new_equipment_for_body",
    "new_equipment_for_commune",
    "parse_period",
    "plan_reports",
    "record_delivery",
    "report_recipients",
    "retry_report",
]
