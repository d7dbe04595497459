"""The rows. SQLAlchemy 2 declarative style; every timestamp aware and stored in UTC.

Money is kept in integer cents (``*_cents``): exact on SQLite and PostgreSQL alike; the
domain works in ``Decimal`` euros and the repositories convert at the boundary.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


# --- directory -------------------------------------------------------------------------


class Commune(Base):
    __tablename__ = "communes"

    id: Mapped[int] = mapped_column(primary_key=True)
    insee: Mapped[str] = mapped_column(String(5), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]

    schools: Mapped[list[School]] = relationship(back_populates="commune")


class ResponsibleBody(Base):
    """Who answers for a school under the convention (art. 1): its commune when public,
    an OGEC or an institute when private. Every commune has its own body
    (code ``commune:<INSEE>``, ``commune_id`` set); an OGEC or an institute has none."""

    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # commune | ogec | institute
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id"), unique=True)
    created_at: Mapped[datetime]

    commune: Mapped[Commune | None] = relationship()


class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    uai: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    sector: Mapped[str] = mapped_column(String(10))  # public | private
    # Its responsible body; left unset, the commune's (storage.bodies fills it in).
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    created_at: Mapped[datetime]

    commune: Mapped[Commune] = relationship(back_populates="schools")
    body: Mapped[ResponsibleBody] = relationship()


class Person(Base):
    """One person, with one role and one scope, reachable through their accounts (at most
    one per platform, decision 0016)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # teacher | director | commune | staff
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id"), index=True)
    # The body an agent (role ``commune``) works for; its commune_id is the body's commune.
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    language: Mapped[str] = mapped_column(String(2), default="fr")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where reminders go when the person has several accounts: the platform they
    # registered on last (``telegram`` | ``discord``).
    preferred_platform: Mapped[str | None] = mapped_column(String(10))
    # Staff only: the plan's assistant, who receives the reimbursement pledges (art. 6).
    assistant: Mapped[bool] = mapped_column(Boolean, default=False)
    # A teacher who chose to hear of the calls for interest (AMI) of their school.
    follows_calls: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]

    school: Mapped[School | None] = relationship()
    commune: Mapped[Commune | None] = relationship()
    body: Mapped[ResponsibleBody | None] = relationship()
    # Loaded with every person (``selectin``): an address is read from them everywhere a
    # person is written to, and a lazy load would fail in async code.
    accounts: Mapped[list[PlatformAccount]] = relationship(
        back_populates="person",
        lazy="selectin",
        order_by="PlatformAccount.id",
        cascade="all, delete-orphan",
    )

    def account(self, platform: str) -> PlatformAccount | None:
        """The person's account on ``platform``, if they have one."""
        return next((a for a in self.accounts if a.platform == platform), None)


class PlatformAccount(Base):
    """A person's account on one messenger: who they are there (``external_user_id``) and
    where the bot writes to them in private (``chat_id``: Telegram's private chat, a
    Discord DM channel; unknown until they first talk to the bot)."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("platform", "external_user_id"),
        UniqueConstraint("person_id", "platform"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    platform: Mapped[str] = mapped_column(String(10))  # telegram | discord
    external_user_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]

    person: Mapped[Person] = relationship(back_populates="accounts")


class Invitation(Base):
    """A single-use registration code; only its hash is kept."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(8))  # first characters, to tell codes apart
    role: Mapped[str] = mapped_column(String(16))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id"))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    # Set for a code that adds an account (another platform) to this registered person,
    # with their role and scope, instead of registering somebody new (decision 0016).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    revoked_at: Mapped[datetime | None]

    school: Mapped[School | None] = relationship()
    commune: Mapped[Commune | None] = relationship()
    body: Mapped[ResponsibleBody | None] = relationship()


class CodeAttempts(Base):
    """Wrong invitation codes per account (platform and user id there), to slow down
    guessing."""

    __tablename__ = "code_attempts"

    platform: Mapped[str] = mapped_column(String(10), primary_key=True)
    external_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]


class Equipment(Base):
    __tablename__ = "equipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_tag: Mapped[str] = mapped_column(String(32), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(120))
    serial: Mapped[str | None] = mapped_column(String(120))
    owner: Mapped[str] = mapped_column(String(8))  # sem | commune
    acquired_on: Mapped[date | None] = mapped_column(Date)
    # When it was installed at the school: the body's yearly list of new equipment is
    # by installation (art. 6: « la liste du matériel installé »), not by acquisition.
    installed_on: Mapped[date | None] = mapped_column(Date)
    value_cents: Mapped[int | None] = mapped_column(Integer)
    # The room or class it is in, when the inventory says (works name their rooms).
    room: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(24), default="in_service", index=True)
    # The item that replaced this one after a claim (art. 6), if any.
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    school: Mapped[School] = relationship()


# --- tickets ---------------------------------------------------------------------------


class TicketSequence(Base):
    """Per kind and year counter behind numbers such as S-2026-0042."""

    __tablename__ = "ticket_sequences"

    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    __tablename__ = "tickets"
    # The committee's review counts a period's claims per commune and school from this
    # index alone (kind and creation date first), and reads the open claims from the
    # partial one (decision 0085).
    __table_args__ = (
        Index("ix_tickets_kind_created_place", "kind", "created_at", "commune_id", "school_id"),
        # The staff's queue: open tickets in the order it lists them, one page read in order.
        Index(
            "ix_tickets_open_queue",
            "next_deadline_at",
            "created_at",
            "id",
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        Index(
            "ix_tickets_open_claims",
            "id",
            sqlite_where=text("kind = 'claim' AND closed_at IS NULL"),
            postgresql_where=text("kind = 'claim' AND closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # claim | collection | ami | notice
    state: Mapped[str] = mapped_column(String(24), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    # Where the school is (the committee's split by commune)…
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    # …and who answers for it: the school's body when the ticket was opened.
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(Text)
    # The nearest deadline still open, whatever the kind (kept by each kind's service):
    # the staff's queue sorts and flags overdue tickets of every kind on it, in SQL.
    next_deadline_at: Mapped[datetime | None]

    reporter: Mapped[Person] = relationship(foreign_keys=[reporter_id])
    assignee: Mapped[Person | None] = relationship(foreign_keys=[assignee_id])
    school: Mapped[School | None] = relationship()
    commune: Mapped[Commune] = relationship()
    body: Mapped[ResponsibleBody] = relationship()
    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket", order_by="TicketMessage.id"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="ticket", order_by="Attachment.id"
    )


class TicketMessage(Base):
    """The ticket's thread: what reporter, commune and staff said, and internal notes."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    visibility: Mapped[str] = mapped_column(String(10))  # public | internal | system
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author: Mapped[Person | None] = relationship()


class MessageRef(Base):
    """Which ticket a message the bot sent is about, so that a reply-to finds it. Chat and
    message ids are the platform's own."""

    __tablename__ = "message_refs"

    platform: Mapped[str] = mapped_column(String(10), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    created_at: Mapped[datetime]


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # photo | document
    purpose: Mapped[str] = mapped_column(String(24), default="evidence")
    # The platform the file was sent on: its file id is meaningless to another one.
    platform: Mapped[str] = mapped_column(String(10))
    file_id: Mapped[str] = mapped_column(String(200))
    file_unique_id: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str | None] = mapped_column(String(200))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    caption: Mapped[str | None] = mapped_column(Text)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")


# --- claims (sinistres, art. 6) --------------------------------------------------------


class Claim(Base):
    __tablename__ = "claims"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # theft | loss | damage
    discovered_at: Mapped[datetime]
    description: Mapped[str] = mapped_column(Text)
    pledge_amount_cents: Mapped[int | None] = mapped_column(Integer)
    pledge_mode: Mapped[str | None] = mapped_column(String(16))
    pledge_planned_on: Mapped[date | None] = mapped_column(Date)
    pledged_at: Mapped[datetime | None]
    completed_on: Mapped[date | None] = mapped_column(Date)
    amount_due_cents: Mapped[int | None] = mapped_column(Integer)
    # The instant the one-year payment window closes (end of its last day, Paris), kept
    # so that the staff's queue can sort and flag overdue claims in SQL.
    payment_due_at: Mapped[datetime | None]
    recovery_told_at: Mapped[datetime | None]
    # Damage only: vandalism | breakage | electrical | water (the last three: accidents,
    # no complaint to file). None on thefts and losses, and on damage reported before.
    damage_cause: Mapped[str | None] = mapped_column(String(12))
    # The insurer's indemnity: when it was paid, to whom (sem | body) and how much. It
    # decides whether a recovery comes before or after the indemnity (art. 6).
    indemnity_paid_on: Mapped[date | None] = mapped_column(Date)
    indemnity_payee: Mapped[str | None] = mapped_column(String(8))
    indemnity_cents: Mapped[int | None] = mapped_column(Integer)

    ticket: Mapped[Ticket] = relationship()
    items: Mapped[list[ClaimItem]] = relationship(back_populates="claim", order_by="ClaimItem.id")
    duties: Mapped[list[ClaimDuty]] = relationship(back_populates="claim", order_by="ClaimDuty.id")
    payments: Mapped[list[Payment]] = relationship(back_populates="claim", order_by="Payment.id")
    recoveries: Mapped[list[ClaimRecovery]] = relationship(
        back_populates="claim", order_by="ClaimRecovery.id"
    )


class ClaimItem(Base):
    __tablename__ = "claim_items"
    # A claim's estimated refunds, summed from the index (the review, decision 0085).
    __table_args__ = (Index("ix_claim_items_claim_refund", "claim_id", "refund_cents"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.ticket_id"), index=True)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"))
    asset_tag: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    value_cents: Mapped[int | None] = mapped_column(Integer)
    acquired_on: Mapped[date | None] = mapped_column(Date)
    refund_cents: Mapped[int | None] = mapped_column(Integer)
    replaceable: Mapped[bool | None] = mapped_column(Boolean)
    replacement_ordered_on: Mapped[date | None] = mapped_column(Date)
    replacement_installed_on: Mapped[date | None] = mapped_column(Date)
    new_value_cents: Mapped[int | None] = mapped_column(Integer)
    # The new item put in the inventory when the replacement was installed.
    replacement_equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"))
    recovered_at: Mapped[datetime | None]
    # The recovery that found this item (some items of a claim may be found, not all), and
    # the damage it suffered, as staff assess it (0 when intact).
    recovery_id: Mapped[int | None] = mapped_column(ForeignKey("claim_recoveries.id"))
    damage_cents: Mapped[int | None] = mapped_column(Integer)

    claim: Mapped[Claim] = relationship(back_populates="items")
    equipment: Mapped[Equipment | None] = relationship(foreign_keys=[equipment_id])
    replacement: Mapped[Equipment | None] = relationship(foreign_keys=[replacement_equipment_id])
    recovery: Mapped[ClaimRecovery | None] = relationship(back_populates="items")


class ClaimRecovery(Base):
    """Items of a claim found again (art. 6 « si les objets volés sont récupérés »).

    Reported by staff or by the body (then confirmed by staff). Before the insurer's
    indemnity the body takes the items back; after it, the body may ask for them within 15
    days of being told, SEM gives its agreement (« avis conforme »), and when the window
    closes without a request the items are the insurer's.
    """

    __tablename__ = "claim_recoveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.ticket_id"), index=True)
    told_at: Mapped[datetime]  # when the body or SEM was told: the window's start
    # before_indemnity | after_indemnity, fixed when staff confirm (None: awaiting them)
    outcome: Mapped[str | None] = mapped_column(String(20))
    # reported | confirmed | requested | agreed | refused | insurer_owned
    state: Mapped[str] = mapped_column(String(16))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reported_at: Mapped[datetime]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    confirmed_at: Mapped[datetime | None]
    requested_at: Mapped[datetime | None]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None]  # SEM's agreement or refusal
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    expired_at: Mapped[datetime | None]  # the window closed without a request
    note: Mapped[str | None] = mapped_column(Text)

    claim: Mapped[Claim] = relationship(back_populates="recoveries")
    items: Mapped[list[ClaimItem]] = relationship(back_populates="recovery")


class ClaimDuty(Base):
    __tablename__ = "claim_duties"
    # The review reads the duties not done and those done late: a few of them each
    # (partial indexes, decision 0085).
    __table_args__ = (
        UniqueConstraint("claim_id", "duty"),
        Index(
            "ix_claim_duties_pending",
            "claim_id",
            "deadline_at",
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
        Index(
            "ix_claim_duties_done_late",
            "done_at",
            "claim_id",
            sqlite_where=text("done_at > deadline_at"),
            postgresql_where=text("done_at > deadline_at"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.ticket_id"))
    duty: Mapped[str] = mapped_column(String(24))
    deadline_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    reference: Mapped[str | None] = mapped_column(String(120))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    confirmed_at: Mapped[datetime | None]

    claim: Mapped[Claim] = relationship(back_populates="duties")


class Payment(Base):
    """A payment to SEM. Who paid: ``insurer`` (the insurer to SEM directly),
    ``body_indemnity`` (the body passing on the indemnity its insurer paid it) or
    ``body_funds`` (the body from its own funds). Staff record confirmed payments; a
    body records ``pending`` ones with a proof, which staff confirm or reject."""

    __tablename__ = "payments"
    # An open claim's confirmed payments, summed from the index (decision 0085).
    __table_args__ = (Index("ix_payments_claim_confirmed", "claim_id", "status", "amount_cents"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.ticket_id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    paid_on: Mapped[date] = mapped_column(Date)
    payer: Mapped[str] = mapped_column(String(16), default="body_funds")
    status: Mapped[str] = mapped_column(String(10), default="confirmed")  # |pending|rejected
    proof_attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[datetime]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    confirmed_at: Mapped[datetime | None]

    claim: Mapped[Claim] = relationship(back_populates="payments")


class SecurityHold(Base):
    """Art. 6: for a school with frequent thefts and damage, SEM may hold replacements
    until its body improves the premises' security. Open while ``lifted_at`` is None."""

    __tablename__ = "security_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    placed_at: Mapped[datetime]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    lifted_at: Mapped[datetime | None]
    lift_note: Mapped[str | None] = mapped_column(Text)

    school: Mapped[School] = relationship()


# --- unused and broken equipment (art. 1, 3 and 4) --------------------------------------


class Collection(Base):
    """A flagging of unused or broken equipment at one school (ticket ``C-2026-0001``):
    where the school gathered it and when someone can hand it over."""

    __tablename__ = "collections"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    place: Mapped[str] = mapped_column(Text)  # where the items are gathered, apart
    # When someone can hand them over: weekdays (« 0,2,4 », Monday = 0), hours in words,
    # and whether the school holidays suit (« pendant les vacances »).
    weekdays: Mapped[str | None] = mapped_column(String(13))
    hours: Mapped[str | None] = mapped_column(String(120))
    in_holidays: Mapped[bool] = mapped_column(Boolean, default=False)

    ticket: Mapped[Ticket] = relationship()
    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection", order_by="CollectionItem.id"
    )


class CollectionRound(Base):
    """A day SEM comes to some schools: to collect (``collection``) or to repair
    (``repair``, a maintenance visit). ``planned`` → ``done``, or ``cancelled``."""

    __tablename__ = "collection_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # collection | repair
    day: Mapped[date] = mapped_column(Date, index=True)
    in_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(10), default="planned")
    note: Mapped[str | None] = mapped_column(Text)
    # The recycling centre's receipt for what this round brought there.
    receipt_ref: Mapped[str | None] = mapped_column(String(80))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]

    stops: Mapped[list[RoundStop]] = relationship(back_populates="round", order_by="RoundStop.id")


class RoundStop(Base):
    """One school's collection in a round; a school may ask for another date."""

    __tablename__ = "round_stops"
    __table_args__ = (UniqueConstraint("round_id", "collection_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("collection_rounds.id"), index=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.ticket_id"), index=True)
    other_date_asked_at: Mapped[datetime | None]
    other_date_note: Mapped[str | None] = mapped_column(Text)

    round: Mapped[CollectionRound] = relationship(back_populates="stops")
    collection: Mapped[Collection] = relationship()


class CollectionItem(Base):
    """One flagged item. ``route``: who handles it (bot.domain.collections.Route).
    ``status``: ``open`` (waiting for a round, a decision or the body), ``planned`` (in a
    round), ``collected``, ``missing`` (not there on the day; open again), ``repaired``,
    ``removed`` (the body removed its own), ``kept`` (the body's unused item: not
    collected), ``withdrawn``. Staff choose ``decision`` for SEM's broken items:
    ``repair`` or ``recycle``."""

    __tablename__ = "collection_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.ticket_id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    condition: Mapped[str] = mapped_column(String(8))  # broken | unused
    note: Mapped[str | None] = mapped_column(Text)
    route: Mapped[str] = mapped_column(String(14))
    decision: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("collection_rounds.id"), index=True)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    missing_note: Mapped[str | None] = mapped_column(Text)
    receipt_ref: Mapped[str | None] = mapped_column(String(80))

    collection: Mapped[Collection] = relationship(back_populates="items")
    equipment: Mapped[Equipment] = relationship()
    round: Mapped[CollectionRound | None] = relationship()


class EquipmentMove(Base):
    """Every change of an item's state or school, with who, when, why (its ticket) and,
    for recycling, the recycling centre's receipt: the item's history."""

    __tablename__ = "equipment_moves"
    # The review's equipment side counts the moves from this index alone (decision 0085).
    __table_args__ = (
        Index(
            "ix_equipment_moves_review",
            "to_state",
            "at",
            "from_state",
            "body_id",
            "equipment_id",
            "ticket_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    from_school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    to_school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    # The body answering for the item after the move (the yearly review counts by body).
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    reference: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)


class Reassignment(Base):
    """An item of SEM's stock sent to another school: ``sent`` until the receiving
    school's head confirms reception (``received``), or ``cancelled``."""

    __tablename__ = "reassignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    from_school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    to_school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="sent")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    received_at: Mapped[datetime | None]
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    equipment: Mapped[Equipment] = relationship()


# --- notices (art. 1 and 2) -------------------------------------------------------------


class Notice(Base):
    """Something a school's body or head tells SEM (ticket ``N-2026-0001``): works, shared
    premises or a move (``works``), fibre news (``fibre``), a class opening or closure
    (``class``); or SEM's request that the body take its own equipment off the school's
    network (``network``). ``subkind``: bot.domain.notices.WorksKind, FibreNews or
    ClassChange."""

    __tablename__ = "notices"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), index=True)
    subkind: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date | None] = mapped_column(Date)  # works' start, a class's date
    ends_on: Mapped[date | None] = mapped_column(Date)  # None: « à partir de »
    rooms: Mapped[str | None] = mapped_column(Text)  # rooms or classes concerned
    class_name: Mapped[str | None] = mapped_column(String(80))
    class_level: Mapped[str | None] = mapped_column(String(20))
    # A move: the school the inventory goes to (or its new address, in words).
    new_school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    new_address: Mapped[str | None] = mapped_column(Text)
    # The collection planned from this notice (a class closure, works).
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collections.ticket_id"))
    # SEM's step (a move confirmed, a migration ordered, an opening weighed)…
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # …and the last one (equipment back in place, disconnected, migration done).
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    ticket: Mapped[Ticket] = relationship()


class TrainingNeed(Base):
    """Teachers of a school to train (art. 1: a new equipment, a change of post, a change
    of the school's structure), listed for the Education Nationale's correspondent."""

    __tablename__ = "training_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))  # bot.domain.notices.TrainingReason
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    school: Mapped[School] = relationship()


# --- calls for expression of interest (AMI, art. 1 and 2) ------------------------------


class CallCampaign(Base):
    """A call for interest SEM publishes: the nature and quantity of the equipment, who may
    apply, when, and the questions schools answer. Not a ticket (it is about no one
    school); each school's application is. ``draft`` → ``published`` → ``decided`` (results
    sent), or ``cancelled``."""

    __tablename__ = "call_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    nature: Mapped[str] = mapped_column(String(40))  # an equipment type's code
    description: Mapped[str] = mapped_column(Text)
    quantity_count: Mapped[int] = mapped_column(Integer)
    kit_size: Mapped[int | None] = mapped_column(Integer)  # set: kits of that many units
    reach: Mapped[str] = mapped_column(String(10))  # bot.domain.calls.Reach
    reach_body_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    reach_levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    # [{kind, label, choices, required, minimum, maximum}] (bot.domain.calls.Question)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    allow_teachers: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]


class CallApplication(Base):
    """One school's application to one campaign (ticket ``A-2026-0001``): its answers,
    and the selection's outcome (``selected`` with a quantity, ``waiting`` with a rank,
    ``declined`` with a reason)."""

    __tablename__ = "call_applications"
    __table_args__ = (UniqueConstraint("campaign_id", "school_id"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("call_campaigns.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sent_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(10))  # bot.domain.calls.Outcome
    quantity_given: Mapped[int | None] = mapped_column(Integer)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    waiting_rank: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    ticket: Mapped[Ticket] = relationship()
    campaign: Mapped[CallCampaign] = relationship()
    school: Mapped[School] = relationship()


class InsuranceCertificate(Base):
    """A responsible body's insurance certificate (art. 6: « lors de toute mise à
    disposition de matériel, la Commune devra fournir … la ou les attestation(s)
    d'assurance »): asked at a delivery (``ticket_id``: the application delivered) or
    again before the one on file ends (``renews_id``), then sent by the body with the days
    it covers, and accepted or refused by staff. ``asked`` → ``sent`` → ``accepted``, or
    ``refused`` (with the reason) → ``sent`` again."""

    __tablename__ = "insurance_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    state: Mapped[str] = mapped_column(String(10), index=True)
    asked_at: Mapped[datetime]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_certificates.id"))
    # The document, on the platform it was sent on (its file id means nothing elsewhere).
    platform: Mapped[str | None] = mapped_column(String(10))
    file_id: Mapped[str | None] = mapped_column(String(200))
    file_unique_id: Mapped[str | None] = mapped_column(String(100))
    file_name: Mapped[str | None] = mapped_column(String(200))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    sent_at: Mapped[datetime | None]
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    refusal_reason: Mapped[str | None] = mapped_column(Text)

    body: Mapped[ResponsibleBody] = relationship()


# --- reminders, audit, persistence -----------------------------------------------------


class Reminder(Base):
    """A deadline's message, due at a given instant: the scheduler's only memory."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # dedupe: planned once
    kind: Mapped[str] = mapped_column(String(48))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    audience: Mapped[str] = mapped_column(String(16))  # commune | staff | reporter | person
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(
        String(10), default="pending"
    )  # pending|sent|skipped|cancelled|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(48))
    object_type: Mapped[str] = mapped_column(String(24))
    object_id: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PersistedData(Base):
    """python-telegram-bot persistence (conversations, user data) kept in the database."""

    __tablename__ = "bot_persistence"

    namespace: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    data: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime]


# --- the default body ------------------------------------------------------------------


def _commune_body(session: Session, commune: Commune) -> ResponsibleBody:
    """The commune's own body: pending in this flush, stored, or made now."""
    for obj in session.new:
        if isinstance(obj, ResponsibleBody) and obj.commune is commune:
            return obj
    if commune.id is not None:
        stored = session.scalar(
            select(ResponsibleBody).where(ResponsibleBody.commune_id == commune.id)
        )
        if stored is not None:
            return stored
    body = ResponsibleBody(
        code=f"commune:{commune.insee}",
        name=commune.name,
        kind="commune",
        commune=commune,
        created_at=commune.created_at,
    )
    session.add(body)
    return body


def _commune_of(
    session: Session, commune: Commune | None, commune_id: int | None
) -> Commune | None:
    if commune is not None:
        return commune
    return session.get(Commune, commune_id) if commune_id is not None else None


@event.listens_for(Session, "before_flush")
def _default_bodies(session: Session, _context: Any, _instances: Any) -> None:
    """Every commune has its body, and a row left without a body gets its commune's.

    The directory import, the invitations and the claims name the body themselves; this
    keeps the rule (« a school is under its commune unless told otherwise », decision
    0013) true for every other writer too, in one place.
    """
    new = list(session.new)
    if not any(isinstance(o, Commune | School | Ticket | Person | Invitation) for o in new):
        return
    with session.no_autoflush:
        for obj in new:
            if isinstance(obj, Commune):
                _commune_body(session, obj)
        for obj in new:
            if isinstance(obj, School) and obj.body_id is None and obj.body is None:
                commune = _commune_of(session, obj.commune, obj.commune_id)
                if commune is not None:
                    obj.body = _commune_body(session, commune)
        for obj in new:
            if isinstance(obj, Ticket) and obj.body_id is None and obj.body is None:
                school = obj.school or (
                    session.get(School, obj.school_id) if obj.school_id is not None else None
                )
                if school is not None and (school.body is not None or school.body_id):
                    if school.body is not None:
                        obj.body = school.body
                    else:
                        obj.body_id = school.body_id
                    continue
                commune = _commune_of(session, obj.commune, obj.commune_id)
                if commune is not None:
                    obj.body = _commune_body(session, commune)
            elif (
                isinstance(obj, Person | Invitation)
                and obj.role == "commune"
                and obj.body_id is None
                and obj.body is None
            ):
                commune = _commune_of(session, obj.commune, obj.commune_id)
                if commune is not None:
                    obj.body = _commune_body(session, commune)
