"""Security holds (art. 6): staff hold a flagged school's replacements until its body
improves the premises' security; the body is asked, reminded, and told when it is lifted.

Each use case checks the role (``Action.MANAGE_CLAIM``: SEM's side of a claim), loads in
one unit of work, applies ``bot.domain.holds``, writes the hold, its audit entry and its
reminder in the same transaction, and commits. Nothing here formats text for a person
(``bot.services.hold_notices`` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from bot.domain import holds as rules
from bot.domain.claims import (
    HIGH_FREQUENCY_THRESHOLD,
    HIGH_FREQUENCY_WINDOW,
    SECURITY_FLAG_KINDS,
    is_high_frequency,
    recent_claim_count,
)
from bot.domain.deadlines import Audience, PlannedReminder
from bot.domain.errors import DomainError
from bot.domain.holds import KIND_HOLD_REMINDER, HoldFacts
from bot.domain.roles import Action, require
from bot.services import access, reminders
from storage.models import Claim, Commune, Person, School, SecurityHold, Ticket
from storage.uow import Database, UnitOfWork

CLAIM = "claim"  # Ticket.kind of a sinistre


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class HoldView:
    id: int
    school_id: int
    school_name: str
    school_uai: str
    commune_name: str
    body_id: int
    body_name: str
    body_kind: str
    reason: str
    placed_at: datetime
    placed_by: str | None
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_note: str | None = None
    # The school's latest claim: what the body's messages about the hold are "about", so
    # that a reply to one reaches staff in that claim's thread.
    about_ticket_id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.lifted_at is None


@dataclass(frozen=True)
class HoldTarget:
    """A school a hold may be placed on, as the dialogue names it before confirming."""

    school_id: int
    school_name: str
    school_uai: str
    body_name: str
    recent: int  # thefts and damage over the flag's window


@dataclass(frozen=True)
class FlaggedSchool:
    school_id: int
    school_name: str
    school_uai: str
    commune_name: str
    recent: int


@dataclass(frozen=True)
class HoldsOverview:
    open: tuple[HoldView, ...]  # oldest first
    flagged: tuple[FlaggedSchool, ...]  # flagged schools without an open hold


# --------------------------------------------------------------------------- helpers


def facts_of(hold: SecurityHold) -> HoldFacts:
    return HoldFacts(
        school_id=hold.school_id,
        reason=hold.reason,
        placed_at=hold.placed_at,
        lifted_at=hold.lifted_at,
        lift_note=hold.lift_note,
    )


async def open_hold(uow: UnitOfWork, school_id: int | None) -> SecurityHold | None:
    """The school's open hold, if any (at most one is open at a time)."""
    if school_id is None:
        return None
    found: SecurityHold | None = await uow.session.scalar(
        select(SecurityHold)
        .where(SecurityHold.school_id == school_id, SecurityHold.lifted_at.is_(None))
        .order_by(SecurityHold.id.desc())
        .limit(1)
    )
    return found


async def flag_claims(uow: UnitOfWork, school_id: int | None) -> list[tuple[str, datetime]]:
    """Every claim of the school as ``(kind, reported at)``: what the flag is computed on."""
    if school_id is None:
        return []
    rows = await uow.session.execute(
        select(Claim.kind, Ticket.created_at)
        .join(Ticket, Ticket.id == Claim.ticket_id)
        .where(Ticket.kind == CLAIM, Ticket.school_id == school_id)
    )
    return [(kind, at) for kind, at in rows]


async def _latest_claim(uow: UnitOfWork, school_id: int) -> int | None:
    found: int | None = await uow.session.scalar(
        select(Ticket.id)
        .where(Ticket.kind == CLAIM, Ticket.school_id == school_id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    return found


async def _school(uow: UnitOfWork, school_id: int) -> School:
    school = await uow.session.scalar(
        select(School)
        .where(School.id == school_id)
        .options(selectinload(School.commune), selectinload(School.body))
    )
    if school is None:
        raise DomainError("hold.error.school_not_found")
    return school


async def _name(uow: UnitOfWork, person_id: int | None) -> str | None:
    if person_id is None:
        return None
    person = await uow.session.get(Person, person_id)
    return person.full_name if person is not None else None


async def _view(uow: UnitOfWork, hold: SecurityHold) -> HoldView:
    school = await _school(uow, hold.school_id)
    return HoldView(
        id=hold.id,
        school_id=school.id,
        school_name=school.name,
        school_uai=school.uai,
        commune_name=school.commune.name,
        body_id=school.body_id,
        body_name=school.body.name,
        body_kind=school.body.kind,
        reason=hold.reason,
        placed_at=hold.placed_at,
        placed_by=await _name(uow, hold.placed_by_id),
        lifted_at=hold.lifted_at,
        lifted_by=await _name(uow, hold.lifted_by_id),
        lift_note=hold.lift_note,
        about_ticket_id=await _latest_claim(uow, school.id),
    )


async def _staff(uow: UnitOfWork, person_id: int) -> Person:
    person = await access.person(uow, person_id)
    require(person.role, Action.MANAGE_CLAIM)
    return person


def _key(hold_id: int) -> str:
    return f"hold:{hold_id}"


async def plan_reminder(uow: UnitOfWork, hold_id: int, number: int, after: datetime) -> None:
    """The body's ``number``-th reminder of the hold, ``HOLD_REMINDER_EVERY`` after ``after``."""
    await reminders.plan(
        uow,
        [
            PlannedReminder(
                kind=KIND_HOLD_REMINDER,
                due_at=rules.next_reminder_at(after),
                audience=Audience.COMMUNE,
                key=str(number),
            )
        ],
        key_prefix=_key(hold_id),
        now=after,
        payload={"hold_id": hold_id, "number": number},
    )


# --------------------------------------------------------------------------- use cases


async def hold_target(db: Database, person_id: int, school_id: int, now: datetime) -> HoldTarget:
    """The school a hold is about to be placed on; refused at once when it may not be."""
    async with db.uow() as uow:
        await _staff(uow, person_id)
        school = await _school(uow, school_id)
        claims = await flag_claims(uow, school.id)
        held = await open_hold(uow, school.id)
        rules.check_can_place(
            flagged=is_high_frequency(claims, now),
            open_hold=None if held is None else facts_of(held),
        )
        return HoldTarget(
            school_id=school.id,
            school_name=school.name,
            school_uai=school.uai,
            body_name=school.body.name,
            recent=recent_claim_count(claims, now),
        )


async def place_hold(
    db: Database, person_id: int, school_id: int, *, reason: str, now: datetime
) -> HoldView:
    """Staff hold the school's replacements; the body will be asked and reminded."""
    async with db.uow() as uow:
        person = await _staff(uow, person_id)
        school = await _school(uow, school_id)
        held = await open_hold(uow, school.id)
        facts = rules.place_hold(
            school.id,
            reason,
            now,
            flagged=is_high_frequency(await flag_claims(uow, school.id), now),
            open_hold=None if held is None else facts_of(held),
        )
        hold = SecurityHold(
            school_id=school.id,
            reason=facts.reason,
            placed_by_id=person.id,
            placed_at=facts.placed_at,
        )
        uow.session.add(hold)
        await uow.session.flush()
        await plan_reminder(uow, hold.id, 1, now)
        uow.audit(
            at=now,
            actor_id=person.id,
            action="hold.placed",
            object_type="school",
            object_id=school.uai,
            hold=hold.id,
            reason=facts.reason,
        )
        await uow.commit()
        return await _view(uow, hold)


async def _hold(uow: UnitOfWork, hold_id: int) -> SecurityHold:
    hold = await uow.session.get(SecurityHold, hold_id)
    if hold is None:
        raise DomainError("hold.error.not_found")
    return hold


async def hold_to_lift(db: Database, person_id: int, hold_id: int) -> HoldView:
    """The open hold about to be lifted; refused at once when it is no longer open."""
    async with db.uow() as uow:
        await _staff(uow, person_id)
        hold = await _hold(uow, hold_id)
        if hold.lifted_at is not None:
            raise DomainError("hold.error.not_open")
        return await _view(uow, hold)


async def lift_hold(
    db: Database, person_id: int, hold_id: int, *, note: str, now: datetime
) -> HoldView:
    """Staff lift the hold with a note; its reminders stop."""
    async with db.uow() as uow:
        person = await _staff(uow, person_id)
        hold = await _hold(uow, hold_id)
        facts = rules.lift_hold(facts_of(hold), note, now)
        hold.lifted_at, hold.lifted_by_id, hold.lift_note = (
            facts.lifted_at,
            person.id,
            facts.lift_note,
        )
        await reminders.cancel(uow, key_prefix=_key(hold.id), now=now)
        school = await _school(uow, hold.school_id)
        uow.audit(
            at=now,
            actor_id=person.id,
            action="hold.lifted",
            object_type="school",
            object_id=school.uai,
            hold=hold.id,
            note=facts.lift_note,
        )
        await uow.commit()
        return await _view(uow, hold)


async def overview(db: Database, person_id: int, now: datetime) -> HoldsOverview:
    """Staff: the open holds, and the flagged schools that have none."""
    async with db.uow() as uow:
        await _staff(uow, person_id)
        holds = (
            await uow.session.scalars(
                select(SecurityHold)
                .where(SecurityHold.lifted_at.is_(None))
                .order_by(SecurityHold.placed_at, SecurityHold.id)
            )
        ).all()
        views = tuple([await _view(uow, hold) for hold in holds])
        held = {view.school_id for view in views}
        recent = func.count(Ticket.id)
        rows = (
            await uow.session.execute(
                select(School.id, School.name, School.uai, Commune.name, recent)
                .select_from(Ticket)
                .join(Claim, Claim.ticket_id == Ticket.id)
                .join(School, School.id == Ticket.school_id)
                .join(Commune, Commune.id == School.commune_id)
                .where(
                    Ticket.kind == CLAIM,
                    Claim.kind.in_([k.value for k in SECURITY_FLAG_KINDS]),
                    and_(
                        Ticket.created_at >= now - HIGH_FREQUENCY_WINDOW,
                        Ticket.created_at <= now,
                    ),
                )
                .group_by(School.id, School.name, School.uai, Commune.name)
                .having(recent >= HIGH_FREQUENCY_THRESHOLD)
                .order_by(recent.desc(), School.name)
            )
        ).all()
        flagged = tuple(
            FlaggedSchool(sid, name, uai, commune, int(count))
            for sid, name, uai, commune, count in rows
            if sid not in held
        )
        return HoldsOverview(views, flagged)


async def hold_for_reminder(uow: UnitOfWork, hold_id: int) -> HoldView | None:
    """For the reminder's renderer: the hold if it is still open (no scope: the system)."""
    hold = await uow.session.get(SecurityHold, hold_id)
    if hold is None or hold.lifted_at is not None:
        return None
    return await _view(uow, hold)
