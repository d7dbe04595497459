"""Theft, loss and damage ("sinistre"): the rules of article 6 of the convention.

Pure: no I/O, time is passed in (aware datetimes), money is ``Decimal`` euros rounded
to the cent (ROUND_HALF_UP). Refusals are ``DomainError(code, **params)`` with catalog
keys; no user-facing text here.

Every reading of the convention is a module-level constant or table in the block just
below, so that an amendment ("avenant", art. 10) changes one line:

* who owes which duty, per kind ............ ``DUTIES_BY_KIND``      (decision 0003)
* ... and per cause of a damage ............ ``DUTIES_BY_DAMAGE_CAUSE`` (decision 0019)
* the complete dossier's pieces ............ ``DOSSIER_CHECKLIST``   (decision 0020)
* the duties' window, in elapsed hours ..... ``DUTY_WINDOW``         (decision 0005)
* reimbursement by age ..................... ``REFUND_SHARE_BY_AGE`` (decision 0004)
* no replacement after ..................... ``NOT_REPLACED_AFTER_YEARS`` (decision 0004)
* which kinds may be "recovered" ........... ``RECOVERABLE_KINDS``   (decision 0017)
* what a recovery does, per state .......... ``RECOVERY_MOVES``      (decisions 0018, 0027)
* the request window after a recovery ...... ``RECOVERY_REQUEST_WINDOW`` (calendar days)
* the security flag ........................ ``HIGH_FREQUENCY_*``, ``SECURITY_FLAG_KINDS`` (0021)
* the old item once replaced ............... ``STATE_WHEN_REPLACED`` (0022)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

from bot.domain.dates import (
    PARIS,
    anniversary,
    local_date,
    start_of_local_day,
    to_utc,
)
from bot.domain.directory import MAX_LENGTHS, read_equipment_type
from bot.domain.errors import DomainError
from bot.domain.text import units


class ClaimKind(StrEnum):
    THEFT = "theft"
    LOSS = "loss"
    DAMAGE = "damage"


class Duty(StrEnum):
    """What the commune must do after a discovery (informing SEM is the report itself)."""

    INSURER_DECLARATION = "insurer_declaration"
    POLICE_REPORT = "police_report"
    COMPLAINT = "complaint"


class DamageCause(StrEnum):
    """What caused a damage, as the reporter says it (art. 6: « actes de malveillance »
    against « aléas techniques »)."""

    VANDALISM = "vandalism"  # malice: vandalism, sabotage, an attempted theft
    BREAKAGE = "breakage"  # « bris de machines »: dropped, knocked over
    ELECTRICAL = "electrical"  # « courts circuits, pannes électriques, surtension »
    WATER = "water"  # « action des eaux »


class Document(StrEnum):
    """What a file attached to a claim is (``attachments.purpose``).

    ``invoice_or_quote``, ``insurer_letter`` and ``complaint_receipt`` were the values of
    the first « joindre un document » buttons: files already tagged keep counting.
    """

    EVIDENCE = "evidence"  # a photo of the damage, of the forced door, …
    INVOICE_OR_QUOTE = "invoice_or_quote"
    INSURER_DECLARATION = "insurer_declaration"  # the written declaration to the insurer
    INSURER_LETTER = "insurer_letter"  # the insurer's answer (it acknowledges it)
    COMPLAINT_RECEIPT = "complaint_receipt"
    POLICE_REPORT = "police_report"  # the police's report (procès-verbal)
    OTHER = "other"


class DossierPiece(StrEnum):
    """A piece the complete dossier needs (« facture, devis, déclaration de vol, … »)."""

    INVOICE_OR_QUOTE = "invoice_or_quote"
    INSURER_DECLARATION = "insurer_declaration"
    COMPLAINT = "complaint"


class PaymentMode(StrEnum):
    INSURER_DIRECT = "insurer_direct"
    VIA_COMMUNE = "via_commune"


class ClaimState(StrEnum):
    REPORTED = "reported"  # duties pending
    DECLARED = "declared"  # every duty of the kind confirmed
    PLEDGED = "pledged"  # reimbursement pledge ("fiche d'engagement de versement") received
    COMPLETE = "complete"  # staff marked the dossier complete: the one-year clock runs
    PAID = "paid"  # the amount owed is paid in full
    CLOSED = "closed"


class Payer(StrEnum):
    """Who made a payment to SEM."""

    INSURER = "insurer"  # the insurer, to SEM directly
    BODY_INDEMNITY = "body_indemnity"  # the body, passing on the indemnity its insurer paid it
    BODY_FUNDS = "body_funds"  # the body, from its own funds


class PaymentStatus(StrEnum):
    CONFIRMED = "confirmed"  # recorded by staff, or a body's payment staff confirmed
    PENDING = "pending"  # recorded by the body with a proof, awaiting staff
    REJECTED = "rejected"


class IndemnityPayee(StrEnum):
    """Whom the insurer paid its indemnity to."""

    SEM = "sem"
    BODY = "body"


class RecoveryState(StrEnum):
    REPORTED = "reported"  # the body said items were found; staff have not confirmed
    CONFIRMED = "confirmed"  # staff confirmed (after the indemnity: the window runs)
    REQUESTED = "requested"  # the body asked to take the items back, within the window
    AGREED = "agreed"  # SEM's « avis conforme »: the body takes them back
    REFUSED = "refused"  # SEM refused: the items stay the insurer's
    INSURER_OWNED = "insurer_owned"  # the window closed without a request
    DISMISSED = "dismissed"  # staff found the body's report wrong: the items were not found


class RecoveryOutcome(StrEnum):
    # Recovered before the indemnity is paid: the commune takes the items back and the
    # insurer owes only the damage they suffered.
    BEFORE_INDEMNITY = "before_indemnity"
    # Recovered after payment: the commune MAY take them back (with SEM's agreement)
    # against the indemnity minus damage, if it asks within the window; else the
    # insurer owns them.
    AFTER_INDEMNITY = "after_indemnity"


# =========================================================================== readings
# Art. 6: « la Commune ... effectue, par écrit, à l'assureur ..., la déclaration de chaque
# sinistre, au plus tard dans les 48 heures », « prévient la police ou la gendarmerie dans
# les 48 heures qui suivent la constatation du vol, de la perte ou des détériorations »,
# « dépose une plainte ». Reading (0003): all three duties for every kind.
_ALL_DUTIES = (Duty.INSURER_DECLARATION, Duty.POLICE_REPORT, Duty.COMPLAINT)
DUTIES_BY_KIND: Mapping[ClaimKind, tuple[Duty, ...]] = MappingProxyType(
    {
        ClaimKind.THEFT: _ALL_DUTIES,
        ClaimKind.LOSS: _ALL_DUTIES,
        ClaimKind.DAMAGE: _ALL_DUTIES,
    }
)
# Reading (0019): a complaint is against someone; an accident (breakage, electrical, water)
# has nobody to complain about, so no complaint is asked. The 48 h insurer declaration and
# informing the police (« des détériorations ») stay as the convention words them. A damage
# whose cause is unknown (reported before the question existed) keeps every duty of its
# kind (``DUTIES_BY_KIND``).
_NO_COMPLAINT = (Duty.INSURER_DECLARATION, Duty.POLICE_REPORT)
DUTIES_BY_DAMAGE_CAUSE: Mapping[DamageCause, tuple[Duty, ...]] = MappingProxyType(
    {
        DamageCause.VANDALISM: _ALL_DUTIES,
        DamageCause.BREAKAGE: _NO_COMPLAINT,
        DamageCause.ELECTRICAL: _NO_COMPLAINT,
        DamageCause.WATER: _NO_COMPLAINT,
    }
)
# Duties that must carry a reference when confirmed (the complaint receipt number).
DUTIES_NEEDING_REFERENCE: frozenset[Duty] = frozenset({Duty.COMPLAINT})
# « dans les 48 heures »: elapsed time from the discovery, DST-proof (0005).
DUTY_WINDOW = timedelta(hours=48)

# « Les biens étant amortis sur 5 ans »: N 100 %, N-1 80 %, ..., N-4 20 %; the age is the
# number of calendar years between acquisition and loss (0004). Ages beyond the last row
# take the last row's share.
REFUND_SHARE_BY_AGE: Mapping[int, Decimal] = MappingProxyType(
    {
        0: Decimal("1.00"),
        1: Decimal("0.80"),
        2: Decimal("0.60"),
        3: Decimal("0.40"),
        4: Decimal("0.20"),
        5: Decimal("0.00"),
    }
)
# Art. 6 is about « le matériel mis à disposition » by SEM; equipment the commune owns is
# its own affair (art. 3: maintenance and replacement at the commune's charge): it owes SEM
# no refund for it and SEM does not replace it. Unknown equipment is taken as SEM's (it
# carries SEM's label, art. 5) until staff say otherwise.
OWNERS_COVERED: frozenset[str] = frozenset({"sem"})


# « dossier complet (facture, devis, déclaration de vol, ... à produire) » (0020): the quote
# or invoice, the declaration to the insurer, and the complaint's receipt (or the police's
# report) where the claim owes a complaint. Each piece: the documents that prove it, and
# the duty without which it is not asked (None: always asked).
@dataclass(frozen=True, slots=True)
class DossierRule:
    piece: DossierPiece
    proofs: frozenset[Document]
    when_duty: Duty | None = None


DOSSIER_CHECKLIST: tuple[DossierRule, ...] = (
    DossierRule(DossierPiece.INVOICE_OR_QUOTE, frozenset({Document.INVOICE_OR_QUOTE})),
    DossierRule(
        DossierPiece.INSURER_DECLARATION,
        frozenset({Document.INSURER_DECLARATION, Document.INSURER_LETTER}),
        Duty.INSURER_DECLARATION,
    ),
    DossierRule(
        DossierPiece.COMPLAINT,
        frozenset({Document.COMPLAINT_RECEIPT, Document.POLICE_REPORT}),
        Duty.COMPLAINT,
    ),
)

# « les matériels anciens de plus de 6 ans ne seront pas remplacés »: not replaced when the
# loss falls after the 6th anniversary of the acquisition (0004).
NOT_REPLACED_AFTER_YEARS = 6

# « si les objets volés sont récupérés ... »: the text speaks of stolen items; a lost item
# that turns up is in the same position (the insurer paid for it as gone), so losses
# follow the same path (0017). Damaged items never left: nothing to find.
RECOVERABLE_KINDS: frozenset[ClaimKind] = frozenset({ClaimKind.THEFT, ClaimKind.LOSS})
# What a recovery may become (0018): staff confirm what the body reported, or dismiss it
# when the items were not in fact found (0027: its items are free to be reported again);
# after the indemnity the body asks within the window (or the window closes: the
# insurer's), and SEM agrees or refuses; a refusal leaves the items the insurer's.
RECOVERY_MOVES: Mapping[RecoveryState, frozenset[RecoveryState]] = MappingProxyType(
    {
        RecoveryState.REPORTED: frozenset({RecoveryState.CONFIRMED, RecoveryState.DISMISSED}),
        RecoveryState.CONFIRMED: frozenset({RecoveryState.REQUESTED, RecoveryState.INSURER_OWNED}),
        RecoveryState.REQUESTED: frozenset({RecoveryState.AGREED, RecoveryState.REFUSED}),
        RecoveryState.AGREED: frozenset(),
        RecoveryState.REFUSED: frozenset(),
        RecoveryState.INSURER_OWNED: frozenset(),
        RecoveryState.DISMISSED: frozenset(),
    }
)
# The equipment's state once a recovery is settled: back at school (working, or out of
# order when damaged), or the insurer's (0018).
EQUIPMENT_BACK_INTACT = "in_service"
EQUIPMENT_BACK_DAMAGED = "out_of_order"
EQUIPMENT_INSURER_OWNED = "insurer_owned"
# « à condition d'en faire la demande sous quinzaine à partir du jour où la Commune ou
# Saint-Étienne Métropole auront été avisées »: 15 calendar days, the day of the notice not
# counted, ending at 24:00 Paris on the last day (0005).
RECOVERY_REQUEST_WINDOW = timedelta(days=15)

# « En cas de constat d'une fréquence importante de vols et dommages sur une école »:
# the convention gives no figure; the flag is raised at 3 claims within 365 days.
HIGH_FREQUENCY_THRESHOLD = 3
HIGH_FREQUENCY_WINDOW = timedelta(days=365)
# « vols et dommages »: thefts and damage count; losses do not (a lost item says nothing
# of the premises' security) (0021).
SECURITY_FLAG_KINDS: frozenset[ClaimKind] = frozenset({ClaimKind.THEFT, ClaimKind.DAMAGE})
# « SEM commande et suit le remplacement »: the item a replacement retires. A stolen or
# lost item keeps its state (it may still be found, and its recovery has its own path);
# a damaged one is destroyed (0022).
STATE_WHEN_REPLACED: Mapping[ClaimKind, str | None] = MappingProxyType(
    {ClaimKind.THEFT: None, ClaimKind.LOSS: None, ClaimKind.DAMAGE: "destroyed"}
)
# ====================================================================================

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(amount: Decimal) -> Decimal:
    """``amount`` in euros rounded to the cent, halves up (333.335 → 333.34)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- duties


def covered_by_convention(owner: str | None) -> bool:
    """Does a refund to SEM (and SEM's replacement) apply to equipment of this owner?"""
    return owner is None or owner in OWNERS_COVERED


def duties_for(kind: ClaimKind, cause: DamageCause | str | None) -> tuple[Duty, ...]:
    """The duties a claim owes: per kind, and for a damage per cause (None: unknown)."""
    kind = ClaimKind(kind)
    if kind is ClaimKind.DAMAGE and cause is not None:
        return DUTIES_BY_DAMAGE_CAUSE[DamageCause(cause)]
    return DUTIES_BY_KIND[kind]


def check_cause(kind: ClaimKind, cause: DamageCause | str | None) -> DamageCause | None:
    """A cause is said of a damage only (theft and loss have none)."""
    if cause is None:
        return None
    if ClaimKind(kind) is not ClaimKind.DAMAGE:
        raise DomainError("claim.error.cause_not_for_kind", kind=kind)
    return DamageCause(cause)


def lateness(deadline: datetime, done_at: datetime) -> timedelta | None:
    """How late a duty done at ``done_at`` was (None: on time)."""
    late = to_utc(done_at, "done_at") - to_utc(deadline, "deadline")
    return late if late > timedelta(0) else None


def late_units(late: timedelta) -> tuple[str, int]:
    """How a delay reads: minutes under an hour, whole hours under two days, else days
    (each rounded down, never 0): « en retard de 3 h »."""
    minutes = max(int(late.total_seconds() // 60), 1)
    if minutes < 60:
        return "minutes", minutes
    if late < DUTY_WINDOW:
        return "hours", minutes // 60
    return "days", late.days


# --------------------------------------------------------------------------- the dossier


@dataclass(frozen=True, slots=True)
class ChecklistLine:
    piece: DossierPiece
    present: int  # how many attached files prove it


def dossier_pieces(kind: ClaimKind, cause: DamageCause | str | None) -> tuple[DossierPiece, ...]:
    """What the complete dossier of a claim of this kind (and cause) needs."""
    owed = duties_for(kind, cause)
    return tuple(
        rule.piece for rule in DOSSIER_CHECKLIST if rule.when_duty is None or rule.when_duty in owed
    )


def dossier_checklist(
    kind: ClaimKind, cause: DamageCause | str | None, purposes: Sequence[str]
) -> tuple[ChecklistLine, ...]:
    """Each piece the dossier needs, with how many of the attached files prove it."""
    needed = set(dossier_pieces(kind, cause))
    return tuple(
        ChecklistLine(rule.piece, sum(1 for p in purposes if p in rule.proofs))
        for rule in DOSSIER_CHECKLIST
        if rule.piece in needed
    )


def missing_pieces(checklist: Sequence[ChecklistLine]) -> tuple[DossierPiece, ...]:
    return tuple(line.piece for line in checklist if not line.present)


def duties_deadline(discovered_at: datetime) -> datetime:
    """When the duties are due: ``DUTY_WINDOW`` after the discovery, in UTC."""
    return to_utc(discovered_at, "discovered_at") + DUTY_WINDOW


def late_from_the_start(
    kind: ClaimKind,
    discovered_at: datetime,
    reported_at: datetime,
    cause: DamageCause | str | None = None,
) -> bool:
    """Whether the 48 h duties were already overdue when the claim was reported (a
    discovery typed weeks later): the reporter is warned, staff are told at once."""
    return bool(duties_for(kind, cause)) and duties_deadline(discovered_at) <= to_utc(
        reported_at, "reported_at"
    )


# --------------------------------------------------------------------------- refunds


def item_age_years(acquired_on: date, loss_on: date) -> int:
    """Calendar years between acquisition and loss (bought 31/12, lost 1/1 → 1)."""
    if loss_on < acquired_on:
        raise DomainError(
            "claim.error.loss_before_acquisition", acquired_on=acquired_on, loss_on=loss_on
        )
    return loss_on.year - acquired_on.year


def known_acquisition(acquired_on: date | None, loss_on: date) -> date | None:
    """The acquisition date an item's age counts from, or None (« à estimer »): unknown,
    or after the loss. An acquisition after the loss is an error of the inventory (a year
    typed 2030 or 9999), not of the report, which no other discovery date could mend:
    the item is reported all the same, and its amount left for staff to estimate
    (decision 0067)."""
    if acquired_on is None or acquired_on > loss_on:
        return None
    return acquired_on


def refund_share(age: int) -> Decimal:
    """The share of the acquisition value the commune owes for an item of ``age`` years."""
    if age < 0:
        raise DomainError("claim.error.negative_age", age=age)
    return REFUND_SHARE_BY_AGE[min(age, max(REFUND_SHARE_BY_AGE))]


def item_refund(value: Decimal | None, acquired_on: date | None, loss_on: date) -> Decimal | None:
    """What the commune owes for one item, or None when it must be estimated."""
    acquired_on = known_acquisition(acquired_on, loss_on)
    if value is None or acquired_on is None:
        return None
    if value < 0:
        raise DomainError("claim.error.negative_value", value=value)
    return to_cents(value * refund_share(item_age_years(acquired_on, loss_on)))


def is_replaceable(acquired_on: date | None, loss_on: date) -> bool | None:
    """False when the item was more than 6 years old on the loss date; None if unknown.

    On the 6th anniversary itself the item is exactly 6 years old: still replaced. From an
    acquisition on 29 February the anniversary in a common year is 28 February.
    """
    acquired_on = known_acquisition(acquired_on, loss_on)
    if acquired_on is None:
        return None
    return loss_on <= anniversary(acquired_on, NOT_REPLACED_AFTER_YEARS)


@dataclass(frozen=True, slots=True)
class ClaimItemFacts:
    """One item of a claim as reported (an unknown tag is described in words)."""

    asset_tag: str | None
    description: str | None
    value_eur: Decimal | None
    acquired_on: date | None


@dataclass(frozen=True, slots=True)
class RefundLine:
    item: ClaimItemFacts
    age_years: int | None
    share: Decimal | None
    amount: Decimal | None  # None: « à estimer »
    replaceable: bool | None


@dataclass(frozen=True, slots=True)
class RefundEstimate:
    lines: tuple[RefundLine, ...]
    total: Decimal  # sum of the known (already rounded) amounts
    unknown_count: int  # items whose amount is « à estimer »

    @property
    def is_complete(self) -> bool:
        return self.unknown_count == 0


def estimate_refund(items: Sequence[ClaimItemFacts], loss_on: date) -> RefundEstimate:
    lines: list[RefundLine] = []
    for item in items:
        acquired = known_acquisition(item.acquired_on, loss_on)
        age = None if acquired is None else item_age_years(acquired, loss_on)
        lines.append(
            RefundLine(
                item=item,
                age_years=age,
                share=None if age is None else refund_share(age),
                amount=item_refund(item.value_eur, item.acquired_on, loss_on),
                replaceable=is_replaceable(item.acquired_on, loss_on),
            )
        )
    known = [line.amount for line in lines if line.amount is not None]
    return RefundEstimate(
        lines=tuple(lines),
        total=to_cents(sum(known, ZERO)),
        unknown_count=len(lines) - len(known),
    )


# --------------------------------------------------------------------------- state machine


@dataclass(frozen=True, slots=True)
class DutyRecord:
    done_at: datetime  # aware UTC
    reference: str | None = None  # the complaint's number, the insurer's file number, ...


@dataclass(frozen=True, slots=True)
class Pledge:
    amount: Decimal
    mode: PaymentMode
    planned_on: date
    received_at: datetime  # aware UTC


@dataclass(frozen=True, slots=True)
class Indemnity:
    """The insurer's indemnity: paid on a day, to SEM or to the body, of an amount (None
    when the body told the day but not the amount)."""

    paid_on: date
    payee: IndemnityPayee
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """A frozen snapshot of a claim, enough to check every transition."""

    kind: ClaimKind
    discovered_at: datetime  # aware UTC
    state: ClaimState = ClaimState.REPORTED
    damage_cause: DamageCause | None = None  # a damage's cause; None: not said
    duties_done: Mapping[Duty, DutyRecord] = field(default_factory=dict)
    pledge: Pledge | None = None
    completed_on: date | None = None
    amount_due: Decimal | None = None  # fixed when the dossier is complete
    payments_total: Decimal = ZERO  # confirmed payments only (pending ones do not count)
    indemnity: Indemnity | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None

    @property
    def duties_deadline(self) -> datetime:
        return duties_deadline(self.discovered_at)

    @property
    def pending_duties(self) -> tuple[Duty, ...]:
        return tuple(d for d in self.duties if d not in self.duties_done)

    @property
    def duties(self) -> tuple[Duty, ...]:
        return duties_for(self.kind, self.damage_cause)

    @property
    def late_duties(self) -> tuple[Duty, ...]:
        """Duties confirmed as done after the deadline."""
        deadline = self.duties_deadline
        done = self.duties_done
        return tuple(d for d in self.duties if d in done and done[d].done_at > deadline)

    @property
    def amount_owed(self) -> Decimal | None:
        """The amount due once complete, the pledged amount before; None before a pledge."""
        if self.amount_due is not None:
            return self.amount_due
        return None if self.pledge is None else self.pledge.amount

    @property
    def outstanding(self) -> Decimal | None:
        owed = self.amount_owed
        return None if owed is None else owed - self.payments_total

    @property
    def paid_in_full(self) -> bool:
        """Something was owed and paid; a pledge of 0 € is not "paid" (nothing to pay)."""
        return self.outstanding == ZERO and self.payments_total > ZERO


# The transitions the front ends may offer, one step each. The state itself is derived
# from the facts (``derive_state``): each function below checks its own rule, then that
# the resulting move is in this table.
TRANSITIONS: Mapping[ClaimState, frozenset[ClaimState]] = MappingProxyType(
    {
        ClaimState.REPORTED: frozenset(
            {ClaimState.DECLARED, ClaimState.PLEDGED, ClaimState.CLOSED}
        ),
        ClaimState.DECLARED: frozenset({ClaimState.PLEDGED, ClaimState.CLOSED}),
        ClaimState.PLEDGED: frozenset({ClaimState.COMPLETE, ClaimState.PAID, ClaimState.CLOSED}),
        ClaimState.COMPLETE: frozenset({ClaimState.PAID, ClaimState.CLOSED}),
        ClaimState.PAID: frozenset({ClaimState.CLOSED}),
        ClaimState.CLOSED: frozenset(
            {
                ClaimState.REPORTED,
                ClaimState.DECLARED,
                ClaimState.PLEDGED,
                ClaimState.COMPLETE,
                ClaimState.PAID,
            }
        ),
    }
)


def allowed_transitions(state: ClaimState) -> frozenset[ClaimState]:
    return TRANSITIONS[state]


def derive_state(claim: ClaimFacts) -> ClaimState:
    """The state the facts imply (the stored ``state`` is only a cache of this)."""
    if claim.closed_at is not None:
        return ClaimState.CLOSED
    if claim.paid_in_full:
        return ClaimState.PAID
    if claim.completed_on is not None:
        return ClaimState.COMPLETE
    if claim.pledge is not None:
        return ClaimState.PLEDGED
    if not claim.pending_duties:
        return ClaimState.DECLARED
    return ClaimState.REPORTED


def _moved(before: ClaimFacts, after: ClaimFacts) -> ClaimFacts:
    new_state = derive_state(after)
    if new_state != before.state and new_state not in TRANSITIONS[before.state]:
        raise DomainError(
            "claim.error.transition_not_allowed", from_state=before.state, to_state=new_state
        )
    return replace(after, state=new_state)


def ensure_open(claim: ClaimFacts) -> None:
    """Refuse any change to a closed claim."""
    _ensure_open(claim)


def _ensure_open(claim: ClaimFacts) -> None:
    if claim.state is ClaimState.CLOSED:
        raise DomainError("claim.error.closed")


def _money(amount: Decimal) -> Decimal:
    return to_cents(amount)


def open_claim(
    kind: ClaimKind,
    discovered_at: datetime,
    now: datetime,
    cause: DamageCause | str | None = None,
) -> ClaimFacts:
    """A new claim; the discovery cannot be in the future; only a damage has a cause."""
    discovered = to_utc(discovered_at, "discovered_at")
    if discovered > to_utc(now, "now"):
        raise DomainError("claim.error.discovery_in_future")
    return ClaimFacts(
        kind=ClaimKind(kind), discovered_at=discovered, damage_cause=check_cause(kind, cause)
    )


def correct_cause(claim: ClaimFacts, cause: DamageCause | str) -> ClaimFacts:
    """Staff correct a damage's cause (the reporter got it wrong): the duties follow it.

    A correction of the facts, not a step of the procedure: the state is derived again
    whatever it was (vandalism after an accident brings the complaint back as pending).
    """
    _ensure_open(claim)
    if claim.kind is not ClaimKind.DAMAGE:
        raise DomainError("claim.error.cause_only_damage", kind=claim.kind)
    new = DamageCause(cause)
    if new is claim.damage_cause:
        raise DomainError("claim.error.cause_unchanged", cause=new)
    after = replace(claim, damage_cause=new)
    return replace(after, state=derive_state(after))


def check_duty_time(
    duty: Duty, done_at: datetime, *, discovered_at: datetime, now: datetime
) -> datetime:
    """A duty's date, as the commune types it: not in the future, not before the discovery.

    Returns it in UTC. Checked as the date is typed, and again when the duty is written.
    """
    done = to_utc(done_at, "done_at")
    if done > to_utc(now, "now"):
        raise DomainError("claim.error.duty_in_future", duty=duty)
    discovered = to_utc(discovered_at, "discovered_at")
    if done < discovered:
        raise DomainError("claim.error.duty_before_discovery", duty=duty, discovered_at=discovered)
    return done


def confirm_duty(
    claim: ClaimFacts,
    duty: Duty,
    done_at: datetime,
    now: datetime,
    reference: str | None = None,
) -> ClaimFacts:
    """The commune confirms a duty; confirming it again corrects the record."""
    _ensure_open(claim)
    if duty not in claim.duties:
        raise DomainError("claim.error.duty_not_for_kind", duty=duty, kind=claim.kind)
    done = check_duty_time(duty, done_at, discovered_at=claim.discovered_at, now=now)
    ref = (reference or "").strip() or None
    if duty in DUTIES_NEEDING_REFERENCE and ref is None:
        raise DomainError("claim.error.reference_required", duty=duty)
    duties = dict(claim.duties_done)
    duties[duty] = DutyRecord(done_at=done, reference=ref)
    return _moved(claim, replace(claim, duties_done=duties))


def check_pledge_date(planned_on: date, today: date) -> date:
    """A pledge's planned payment day: today or later (a plan, not a payment made).

    Checked as the date is typed, and again when the pledge is written."""
    if planned_on < today:
        raise DomainError("claim.error.pledge_date_past", planned_on=planned_on, today=today)
    return planned_on


def record_pledge(
    claim: ClaimFacts,
    amount: Decimal,
    mode: PaymentMode,
    planned_on: date | None,
    now: datetime,
    tz: ZoneInfo = PARIS,
) -> ClaimFacts:
    """The reimbursement pledge arrives (any time before completion; a new one replaces it)."""
    _ensure_open(claim)
    if claim.completed_on is not None:
        raise DomainError("claim.error.pledge_after_complete")
    if claim.state is ClaimState.PAID:
        raise DomainError("claim.error.already_paid")
    if amount < 0:
        raise DomainError("claim.error.negative_amount", amount=amount)
    if planned_on is None:
        raise DomainError("claim.error.pledge_date_required")
    check_pledge_date(planned_on, local_date(to_utc(now, "now"), tz))
    amount = _money(amount)
    if amount < claim.payments_total:
        raise DomainError(
            "claim.error.pledge_below_payments", amount=amount, paid=claim.payments_total
        )
    pledge = Pledge(
        amount=amount,
        mode=PaymentMode(mode),
        planned_on=planned_on,
        received_at=to_utc(now, "now"),
    )
    return _moved(claim, replace(claim, pledge=pledge))


def mark_complete(
    claim: ClaimFacts,
    completed_on: date,
    now: datetime,
    amount_due: Decimal | None = None,
    tz: ZoneInfo = PARIS,
    *,
    missing: Sequence[DossierPiece] = (),
    accepted_missing: Sequence[DossierPiece] = (),
) -> ClaimFacts:
    """Staff mark the dossier complete: the one-year payment clock starts on ``completed_on``.

    ``amount_due`` defaults to the pledged amount. ``missing`` are the pieces the
    checklist still lacks: staff must have accepted each of them (``accepted_missing``,
    the pieces named in the confirmation they were shown), else it is refused.
    """
    _ensure_open(claim)
    unaccepted = [p for p in missing if p not in set(accepted_missing)]
    if unaccepted:
        raise DomainError(
            "claim.error.dossier_missing", missing=",".join(p.value for p in unaccepted)
        )
    if claim.pledge is None:
        raise DomainError("claim.error.complete_without_pledge")
    if claim.completed_on is not None:
        raise DomainError("claim.error.already_complete", completed_on=claim.completed_on)
    if completed_on > local_date(to_utc(now, "now"), tz):
        raise DomainError("claim.error.complete_in_future", completed_on=completed_on)
    if completed_on < local_date(claim.discovered_at, tz):
        raise DomainError("claim.error.complete_before_discovery", completed_on=completed_on)
    due = claim.pledge.amount if amount_due is None else _money(amount_due)
    if due < 0:
        raise DomainError("claim.error.negative_amount", amount=due)
    if due < claim.payments_total:
        raise DomainError("claim.error.due_below_payments", amount=due, paid=claim.payments_total)
    return _moved(claim, replace(claim, completed_on=completed_on, amount_due=due))


def change_amount_due(claim: ClaimFacts, due: Decimal) -> ClaimFacts:
    """A complete dossier's amount due, recomputed (items found before the indemnity owe
    only their damage). Before completion nothing is fixed yet: the claim is unchanged."""
    _ensure_open(claim)
    if claim.completed_on is None:
        return claim
    due = _money(due)
    if due < 0:
        raise DomainError("claim.error.negative_amount", amount=due)
    if due < claim.payments_total:
        raise DomainError("claim.error.due_below_payments", amount=due, paid=claim.payments_total)
    return _moved(claim, replace(claim, amount_due=due))


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    claim: ClaimFacts
    paid_in_full: bool
    outstanding: Decimal


def check_payment_amount(amount: Decimal, outstanding: Decimal) -> Decimal:
    """A payment's amount, to the cent: more than 0 and no more than what is still owed.

    Checked as the amount is typed, and again when the payment is written.
    """
    amount = _money(amount)
    if amount <= 0:
        raise DomainError("claim.error.payment_not_positive", amount=amount)
    if amount > outstanding:
        raise DomainError("claim.error.overpayment", amount=amount, outstanding=outstanding)
    return amount


def check_body_payment(amount: Decimal, outstanding: Decimal, pending: Decimal) -> Decimal:
    """A payment the body records (pending until staff confirm it): like any payment, and
    together with the body's other pending payments no more than what is still owed (0027).

    Checked as the amount is typed, and again when the payment is written.
    """
    amount = _money(amount)
    pending = _money(pending)
    if amount > 0 and pending > 0 and amount > outstanding - pending:
        raise DomainError(
            "claim.error.overpayment_pending",
            amount=amount,
            outstanding=outstanding,
            pending=pending,
            left=max(outstanding - pending, ZERO),
        )
    return check_payment_amount(amount, outstanding)


def left_beyond_pending(outstanding: Decimal, pending: Decimal) -> Decimal:
    """What the body may still declare: what is owed minus its payments awaiting staff."""
    return max(_money(outstanding) - _money(pending), ZERO)


def check_payment_confirmation(claim: ClaimFacts, amount: Decimal) -> None:
    """Staff confirm a payment the body recorded: refused when it would pay more than is
    still owed (the amount due was recomputed down, or another payment counted first);
    such a payment is to be rejected instead, with its reason (0027)."""
    outstanding = claim.outstanding
    amount = _money(amount)
    if outstanding is not None and amount > outstanding:
        raise DomainError(
            "claim.error.confirm_overpayment", amount=amount, outstanding=max(outstanding, ZERO)
        )


def check_payment_day(paid_on: date, today: date) -> date:
    """A payment's day: it was made, so not after today (local calendar day)."""
    if paid_on > today:
        raise DomainError("claim.error.payment_in_future", paid_on=paid_on)
    return paid_on


def record_payment(claim: ClaimFacts, amount: Decimal) -> PaymentOutcome:
    """A payment to SEM: refused before a pledge, if not positive, or beyond what is owed."""
    _ensure_open(claim)
    outstanding = claim.outstanding
    if claim.pledge is None or outstanding is None:
        raise DomainError("claim.error.payment_before_pledge")
    amount = check_payment_amount(amount, outstanding)
    after = _moved(claim, replace(claim, payments_total=claim.payments_total + amount))
    return PaymentOutcome(
        claim=after, paid_in_full=after.paid_in_full, outstanding=outstanding - amount
    )


def close(claim: ClaimFacts, now: datetime, reason: str | None = None) -> ClaimFacts:
    """Close the claim. With money still owed (or unknown), staff must give a reason."""
    _ensure_open(claim)
    outstanding = claim.outstanding
    why = (reason or "").strip() or None
    if (outstanding is None or outstanding > 0) and why is None:
        raise DomainError("claim.error.close_reason_required", outstanding=outstanding)
    return _moved(claim, replace(claim, closed_at=to_utc(now, "now"), close_reason=why))


def reopen(claim: ClaimFacts) -> ClaimFacts:
    """Reopen a closed claim: it returns to the state its facts imply."""
    if claim.state is not ClaimState.CLOSED:
        raise DomainError("claim.error.not_closed", state=claim.state)
    return _moved(claim, replace(claim, closed_at=None, close_reason=None))


# --------------------------------------------------------------------------- recovery


def check_recoverable(kind: ClaimKind) -> None:
    """Only what was taken or lost can be found again (``RECOVERABLE_KINDS``)."""
    if ClaimKind(kind) not in RECOVERABLE_KINDS:
        raise DomainError("claim.error.recovery_not_for_kind", kind=kind)


def recovery_outcome(
    kind: ClaimKind, *, indemnity_paid_on: date | None, told_on: date
) -> RecoveryOutcome:
    """Before or after the indemnity: decided by the **insurer's** payment (its day against
    the day the body or SEM was told of the recovery), never by payments to SEM. An
    indemnity paid on the day of the notice counts as paid before it."""
    check_recoverable(kind)
    if indemnity_paid_on is not None and indemnity_paid_on <= told_on:
        return RecoveryOutcome.AFTER_INDEMNITY
    return RecoveryOutcome.BEFORE_INDEMNITY


def check_indemnity(
    paid_on: date,
    amount: Decimal | None,
    *,
    discovered_at: datetime,
    today: date,
    tz: ZoneInfo = PARIS,
) -> None:
    """The insurer's indemnity as it is typed: paid by today, not before the discovery,
    and a positive amount (when known). Checked as it is typed, and again when written."""
    if paid_on > today:
        raise DomainError("claim.error.indemnity_in_future", paid_on=paid_on)
    if paid_on < local_date(discovered_at, tz):
        raise DomainError("claim.error.indemnity_before_discovery", paid_on=paid_on)
    if amount is not None and amount <= 0:
        raise DomainError("claim.error.payment_not_positive", amount=amount)


def record_indemnity(
    claim: ClaimFacts,
    *,
    paid_on: date,
    payee: IndemnityPayee,
    amount: Decimal | None,
    today: date,
    tz: ZoneInfo = PARIS,
) -> ClaimFacts:
    """The insurer paid its indemnity (to SEM or to the body) on ``paid_on``; kept once."""
    if claim.indemnity is not None:
        raise DomainError("claim.error.indemnity_known", paid_on=claim.indemnity.paid_on)
    check_indemnity(paid_on, amount, discovered_at=claim.discovered_at, today=today, tz=tz)
    indemnity = Indemnity(
        paid_on=paid_on,
        payee=IndemnityPayee(payee),
        amount=None if amount is None else _money(amount),
    )
    return replace(claim, indemnity=indemnity)


def indemnity_after_payment(
    claim: ClaimFacts, payer: Payer, amount: Decimal, paid_on: date
) -> ClaimFacts:
    """A payment by the insurer to SEM is its indemnity, when none was recorded yet."""
    if Payer(payer) is not Payer.INSURER or claim.indemnity is not None:
        return claim
    return replace(claim, indemnity=Indemnity(paid_on, IndemnityPayee.SEM, _money(amount)))


def move_recovery(state: RecoveryState, to: RecoveryState) -> RecoveryState:
    """A recovery's next state, if ``RECOVERY_MOVES`` allows it."""
    if RecoveryState(to) not in RECOVERY_MOVES[RecoveryState(state)]:
        raise DomainError("claim.error.recovery_state", state=RecoveryState(state))
    return RecoveryState(to)


def dismiss_recovery(state: RecoveryState, reason: str | None) -> tuple[RecoveryState, str]:
    """Staff dismiss a recovery the body reported wrongly (the items were not in fact
    found): only while it awaits them, and with a reason the body is told (0027)."""
    to = move_recovery(state, RecoveryState.DISMISSED)
    why = (reason or "").strip()
    if not why or why in {"-", "—"}:
        raise DomainError("claim.error.dismiss_reason_required")
    return to, why


def check_damage(amount: Decimal) -> Decimal:
    """An item's damage as staff assess it: 0 (intact) or more, to the cent."""
    amount = _money(amount)
    if amount < 0:
        raise DomainError("claim.error.negative_amount", amount=amount)
    return amount


def due_after_recovery(damage: Decimal, refund: Decimal | None) -> Decimal:
    """Found before the indemnity: « l'assureur ne sera tenu qu'au paiement des
    détériorations »: the item's amount due comes down to its damage, never above what
    its age made it owe (its refund, when known)."""
    damage = check_damage(damage)
    return damage if refund is None else min(damage, refund)


def owed_back_to_insurer(
    indemnity: Decimal | None,
    damage: Decimal,
    *,
    recovered_refunds: Decimal | None,
    all_refunds: Decimal | None,
    every_item: bool,
) -> Decimal | None:
    """What the body pays back to its insurer to take items found after the indemnity:
    « le remboursement de l'indemnité, sous déduction des détériorations ».

    The indemnity of the items found is the whole indemnity when every item was found;
    for some of them, its share in proportion to their refund by age (0018). None when
    that is not known (no amount of indemnity, or refunds to estimate). Never below 0.
    """
    if indemnity is None:
        return None
    if every_item:
        share = indemnity
    elif recovered_refunds is None or not all_refunds:
        return None
    else:
        share = to_cents(indemnity * recovered_refunds / all_refunds)
    return max(share - check_damage(damage), ZERO)


def check_recovery_request(told_at: datetime, now: datetime, tz: ZoneInfo = PARIS) -> None:
    """The body asks to take the items back: « sous quinzaine »; later, refused with the
    last day named."""
    if not can_request_recovery(told_at, now, tz):
        raise DomainError(
            "claim.error.recovery_request_late", last_day=recovery_request_last_day(told_at, tz)
        )


def recovery_request_last_day(told_at: datetime, tz: ZoneInfo = PARIS) -> date:
    """The last day the commune may ask to take recovered items back."""
    return local_date(to_utc(told_at, "told_at"), tz) + RECOVERY_REQUEST_WINDOW


def recovery_request_deadline(told_at: datetime, tz: ZoneInfo = PARIS) -> datetime:
    """The instant the window closes: 24:00 Paris on the last day, as UTC."""
    return start_of_local_day(recovery_request_last_day(told_at, tz) + timedelta(days=1), tz)


def can_request_recovery(told_at: datetime, now: datetime, tz: ZoneInfo = PARIS) -> bool:
    return to_utc(now, "now") < recovery_request_deadline(told_at, tz)


def read_new_model(typed: str) -> tuple[str | None, str]:
    """The new item's model as staff type it (« iPad 10 »), with its type before a colon
    when it changes too (« ordinateur portable : ThinkPad E14 »): ``(type or None, model)``.
    A colon not after a known type is part of the model."""
    text = (typed or "").strip()
    kind: str | None = None
    head, colon, tail = text.partition(":")
    if colon:
        try:
            written = read_equipment_type(head)
        except DomainError:
            written = None
        if written is not None and written.known:
            kind, text = written.value, tail.strip()
    if not text or units(text) > MAX_LENGTHS["model"]:
        raise DomainError("claim.error.new_model", max=MAX_LENGTHS["model"])
    return kind, text


def state_when_replaced(kind: ClaimKind | str, current: str) -> str:
    """The state of a claim's item once its replacement is installed."""
    return STATE_WHEN_REPLACED[ClaimKind(kind)] or current


# --------------------------------------------------------------------------- security flag


def counts_toward_security_flag(kind: ClaimKind | str) -> bool:
    """Does a claim of this kind count in a school's frequency of thefts and damage?"""
    return ClaimKind(kind) in SECURITY_FLAG_KINDS


def recent_claim_count(claims: Sequence[tuple[ClaimKind | str, datetime]], now: datetime) -> int:
    """Thefts and damage (``(kind, reported at)``) in the window ending at ``now`` (both
    ends included; later ones ignored; losses not counted)."""
    end = to_utc(now, "now")
    start = end - HIGH_FREQUENCY_WINDOW
    return sum(
        1
        for kind, at in claims
        if counts_toward_security_flag(kind) and start <= to_utc(at, "claim date") <= end
    )


def is_high_frequency(claims: Sequence[tuple[ClaimKind | str, datetime]], now: datetime) -> bool:
    """True when a school (or commune) shows a high frequency of thefts and damage."""
    return recent_claim_count(claims, now) >= HIGH_FREQUENCY_THRESHOLD
