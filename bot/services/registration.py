"""Invitations and registration: who may join, with which role and scope."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from bot.domain.bodies import normalize_body_code
from bot.domain.errors import DomainError
from bot.domain.invitations import (
    FAILURES_FORGOTTEN_AFTER,
    GLOBAL_PAUSE,
    GLOBAL_WINDOW,
    KIND_CODE_BURST,
    burst_after,
    check_usable,
    generate_code,
    hash_code,
    lockout_after,
    looks_like_code,
    normalize_code,
)
from bot.domain.platforms import TELEGRAM
from bot.domain.roles import Role, scope_for_invitation
from bot.i18n import normalize_language
from bot.services.access import Actor
from bot.services.audiences import reachable_platform
from storage import watch
from storage.models import (
    CodeAttempts,
    Invitation,
    Person,
    PlatformAccount,
    ResponsibleBody,
    School,
)
from storage.uow import Database, UnitOfWork


@dataclass(frozen=True)
class NewInvitation:
    id: int
    code: str
    role: Role
    expires_at: datetime
    scope_name: str


@dataclass(frozen=True)
class Newcomer:
    """Who uses a code: their account on the platform they wrote from."""

    platform: str
    external_user_id: int
    chat_id: int | None  # their private chat (DM channel) with the bot
    full_name: str
    username: str | None
    language: str  # the bot's default (fr); /langue changes it


async def create_invitation(
    db: Database,
    *,
    role: Role,
    school_uai: str | None = None,
    commune_insee: str | None = None,
    body_code: str | None = None,
    validity: timedelta,
    now: datetime,
    created_by_id: int | None = None,
) -> NewInvitation:
    """Make a single-use code; only its hash is stored, the code is shown once.

    An agent (role ``commune``) works for a responsible body: ``body_code`` names it
    (an OGEC, an institute, or ``commune:<INSEE>``), and ``commune_insee`` is the
    commune's own body."""
    if commune_insee and body_code:
        raise DomainError("registration.error.scope_commune")
    scope_for_invitation(
        role, has_school=bool(school_uai), has_commune=bool(commune_insee or body_code)
    )
    async with db.uow() as uow:
        school_id = commune_id = body_id = None
        scope_name = ""
        if school_uai:
            school = await uow.directory.school_by_uai(school_uai.strip().upper())
            if school is None:
                raise DomainError("directory.error.unknown_school", uai=school_uai)
            school_id, scope_name = school.id, f"{school.name} ({school.uai})"
        if commune_insee:
            commune = await uow.directory.commune_by_insee(commune_insee.strip().upper())
            if commune is None:
                raise DomainError("directory.error.unknown_commune", insee=commune_insee)
            commune_id, scope_name = commune.id, f"{commune.name} ({commune.insee})"
            body_id = await uow.session.scalar(
                select(ResponsibleBody.id).where(ResponsibleBody.commune_id == commune.id)
            )
        if body_code:
            code_of_body = normalize_body_code(body_code)
            body = await uow.session.scalar(
                select(ResponsibleBody).where(ResponsibleBody.code == code_of_body)
            )
            if body is None:
                raise DomainError("directory.error.unknown_body", body=body_code.strip())
            body_id, commune_id = body.id, body.commune_id
            scope_name = f"{body.name} ({body.code})"
        code, invitation = await _issue(
            uow,
            Invitation(
                role=role.value,
                school_id=school_id,
                commune_id=commune_id,
                body_id=body_id,
                created_by_id=created_by_id,
                created_at=now,
                expires_at=now + validity,
            ),
            scope=scope_name,
        )
        await uow.commit()
        return NewInvitation(invitation.id, code, role, invitation.expires_at, scope_name)


async def _issue(uow: UnitOfWork, invitation: Invitation, **audited: Any) -> tuple[str, Invitation]:
    """Give the invitation a fresh random code (only its hash and first characters are
    kept), store it and audit it, in the caller's transaction; the code is returned once."""
    code = generate_code()
    invitation.code_hash = hash_code(code)
    invitation.hint = code[:4]
    uow.session.add(invitation)
    await uow.session.flush()
    uow.audit(
        at=invitation.created_at,
        actor_id=invitation.created_by_id,
        action="invitation.create",
        object_type="invitation",
        object_id=invitation.id,
        role=invitation.role,
        expires_at=invitation.expires_at.isoformat(),
        **audited,
    )
    return code, invitation


async def create_account_code(
    db: Database,
    *,
    person_id: int,
    validity: timedelta,
    now: datetime,
    created_by_id: int | None = None,
) -> NewInvitation:
    """A single-use code that adds one account (on the platform it is used on) to a
    registered person, with their role and scope: how someone registered on Telegram
    becomes reachable on Discord too, or gets a new account after losing theirs."""
    async with db.uow() as uow:
        person = await uow.people.get(person_id)
        if person is None or not person.active:
            raise DomainError("registration.error.not_registered")
        code, invitation = await _issue(
            uow,
            Invitation(
                role=person.role,
                school_id=person.school_id,
                commune_id=person.commune_id,
                body_id=person.body_id,
                person_id=person.id,
                created_by_id=created_by_id,
                created_at=now,
                expires_at=now + validity,
            ),
            person_id=person.id,
        )
        await uow.commit()
        return NewInvitation(
            invitation.id, code, Role(person.role), invitation.expires_at, person.full_name
        )


async def revoke_invitation(
    db: Database, *, code_or_id: str, now: datetime, actor_id: int | None = None
) -> int:
    """Revoke an unused invitation, named by its code or its number."""
    async with db.uow() as uow:
        if code_or_id.isdigit():
            invitation = await uow.invitations.by_id(int(code_or_id))
        else:
            invitation = await uow.invitations.by_hash(hash_code(code_or_id))
        if invitation is None:
            raise DomainError("registration.error.unknown_code")
        check_usable(
            expires_at=invitation.expires_at,
            used_at=invitation.used_at,
            revoked_at=invitation.revoked_at,
            now=now,
        )
        # Only while still unused: a registration committed meanwhile wins.
        revoked = await uow.session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
            .values(revoked_at=now)
        )
        if revoked.rowcount != 1:  # type: ignore[attr-defined]
            raise DomainError("registration.error.used")
        uow.audit(
            at=now,
            actor_id=actor_id,
            action="invitation.revoke",
            object_type="invitation",
            object_id=invitation.id,
        )
        await uow.commit()
        return invitation.id


GLOBAL_PLATFORM, GLOBAL_ID = "*", 0  # the row that counts every account's wrong codes


async def _global_attempts(uow: UnitOfWork) -> CodeAttempts | None:
    return await uow.people.code_attempts(GLOBAL_PLATFORM, GLOBAL_ID)


async def _count_globally(uow: UnitOfWork, now: datetime) -> None:
    """One more wrong code among all accounts, in the current window (``last_failure_at``
    is the window's start); the first one past the limit pauses the checks and plans a
    word to staff, once per burst."""
    from bot.domain.deadlines import Audience, PlannedReminder
    from bot.services import reminders

    counter = await _global_attempts(uow)
    if counter is None:
        counter = CodeAttempts(platform=GLOBAL_PLATFORM, external_user_id=GLOBAL_ID, failures=0)
        uow.session.add(counter)
    if counter.last_failure_at is None or now - counter.last_failure_at >= GLOBAL_WINDOW:
        counter.last_failure_at, counter.failures = now, 0
    counter.failures += 1
    if burst_after(counter.failures) and (
        counter.locked_until is None or counter.locked_until <= now
    ):
        counter.locked_until = now + GLOBAL_PAUSE
        started = counter.last_failure_at
        await reminders.plan(
            uow,
            [PlannedReminder(KIND_CODE_BURST, now, Audience.STAFF, f"{started:%Y%m%d%H%M%S}")],
            key_prefix="security:codes",
            now=now,
            payload={"count": counter.failures, "until": counter.locked_until.isoformat()},
        )


async def _record_failure(db: Database, newcomer: Newcomer, now: datetime) -> None:
    async with db.uow() as uow:
        await _count_globally(uow, now)
        attempts = await uow.people.code_attempts(newcomer.platform, newcomer.external_user_id)
        if attempts is None:
            attempts = CodeAttempts(
                platform=newcomer.platform,
                external_user_id=newcomer.external_user_id,
                failures=0,
            )
            uow.session.add(attempts)
        elif attempts.last_failure_at and now - attempts.last_failure_at > FAILURES_FORGOTTEN_AFTER:
            attempts.failures = 0
        attempts.failures += 1
        attempts.last_failure_at = now
        wait = lockout_after(attempts.failures)
        attempts.locked_until = now + wait if wait else None
        await uow.commit()


async def redeem_invitation(
    db: Database, *, newcomer: Newcomer, code: str, now: datetime
) -> Person:
    """Register the account with the invitation's role and scope, or say why not.

    A code registers one account: a new person with their account on the platform the
    code was used on, which becomes where they are written to (decision 0016).
    Wrong codes are counted per account, and past a few the account must wait before
    trying again (the wait doubles up to an hour), so codes cannot be guessed.
    """
    invitation = await _usable_invitation(db, newcomer=newcomer, code=code, now=now)
    if invitation.person_id is not None:
        return await _bind_account(db, invitation, newcomer=newcomer, now=now)
    async with db.uow() as uow:
        person = Person(
            accounts=[
                PlatformAccount(
                    platform=newcomer.platform,
                    external_user_id=newcomer.external_user_id,
                    chat_id=newcomer.chat_id,
                    created_at=now,
                )
            ],
            preferred_platform=newcomer.platform,
            full_name=newcomer.full_name[:200],
            username=newcomer.username,
            role=invitation.role,
            school_id=invitation.school_id,
            commune_id=invitation.commune_id,
            body_id=invitation.body_id,
            language=normalize_language(newcomer.language),
            active=True,
            created_at=now,
        )
        uow.people.add(person)
        await uow.session.flush()
        await _claim(uow, invitation, newcomer, person_id=person.id, now=now)
        uow.audit(
            at=now,
            actor_id=person.id,
            action="person.register",
            object_type="person",
            object_id=person.id,
            invitation_id=invitation.id,
            role=invitation.role,
            platform=newcomer.platform,
        )
        await uow.commit()
    return await _reloaded(db, person.id)


async def _reloaded(db: Database, person_id: int) -> Person:
    """The person as committed, with their accounts and scope, in a fresh session."""
    async with db.uow() as uow:
        loaded = await uow.people.get(person_id)
        assert loaded is not None
        return loaded


async def _claim(
    uow: UnitOfWork, invitation: Invitation, newcomer: Newcomer, *, person_id: int, now: datetime
) -> None:
    """Mark the invitation used by ``person_id`` and forget the account's wrong codes."""
    # The check made before is repeated in the claim, so what was committed since it
    # (another account's use, a revocation) wins: single use even under a race, and a
    # revoked invitation never registers anybody.
    claimed = await uow.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(used_at=now, used_by_id=person_id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        await uow.rollback()
        # Say why, from what is committed now.
        current = await uow.session.scalar(
            select(Invitation)
            .where(Invitation.id == invitation.id)
            .execution_options(populate_existing=True)
        )
        if current is None:
            raise DomainError("registration.error.unknown_code")
        check_usable(
            expires_at=current.expires_at,
            used_at=current.used_at,
            revoked_at=current.revoked_at,
            now=now,
        )
        # Only if the row went back to usable since the UPDATE: refuse all the same.
        raise DomainError("registration.error.used")  # pragma: no cover
    attempts = await uow.people.code_attempts(newcomer.platform, newcomer.external_user_id)
    if attempts is not None:
        await uow.session.delete(attempts)


async def _bind_account(
    db: Database, invitation: Invitation, *, newcomer: Newcomer, now: datetime
) -> Person:
    """Add the newcomer's account to the person the code was made for; it becomes where
    they are written to. One account per platform: a second one is refused."""
    assert invitation.person_id is not None
    async with db.uow() as uow:
        person = await uow.people.get(invitation.person_id)
        if person is None or not person.active:
            raise DomainError("registration.error.not_registered")
        if person.account(newcomer.platform) is not None:
            raise DomainError("registration.error.platform_taken")
        person.accounts.append(
            PlatformAccount(
                platform=newcomer.platform,
                external_user_id=newcomer.external_user_id,
                chat_id=newcomer.chat_id,
                created_at=now,
            )
        )
        person.preferred_platform = newcomer.platform
        await uow.session.flush()
        await _claim(uow, invitation, newcomer, person_id=person.id, now=now)
        uow.audit(
            at=now,
            actor_id=person.id,
            action="person.account_added",
            object_type="person",
            object_id=person.id,
            invitation_id=invitation.id,
            platform=newcomer.platform,
        )
        await uow.commit()
    return await _reloaded(db, person.id)


async def _usable_invitation(
    db: Database, *, newcomer: Newcomer, code: str, now: datetime
) -> Invitation:
    """The invitation behind ``code`` if this account may redeem it now, or why not (a
    wrong code counts as a failure). Read in its own transaction: ``redeem_invitation``
    claims it in the next one, repeating the conditions."""
    async with db.uow() as uow:
        existing = await uow.people.by_account(newcomer.platform, newcomer.external_user_id)
        if existing is not None:
            raise DomainError("registration.error.already_registered")
        attempts = await uow.people.code_attempts(newcomer.platform, newcomer.external_user_id)
        if attempts and attempts.locked_until and attempts.locked_until > now:
            raise DomainError("registration.error.locked", until=attempts.locked_until)
        paused = await _global_attempts(uow)
        if paused and paused.locked_until and paused.locked_until > now:
            raise DomainError("registration.error.busy", until=paused.locked_until)

        normalized = normalize_code(code)
        invitation = await uow.invitations.by_hash(hash_code(normalized)) if normalized else None
    if invitation is None:
        if looks_like_code(normalized):  # a word of twelve letters is not a guess
            await _record_failure(db, newcomer, now)
        raise DomainError("registration.error.unknown_code")
    try:
        check_usable(
            expires_at=invitation.expires_at,
            used_at=invitation.used_at,
            revoked_at=invitation.revoked_at,
            now=now,
        )
    except DomainError:
        await _record_failure(db, newcomer, now)
        raise
    return invitation


async def set_language(db: Database, *, person_id: int, language: str, now: datetime) -> str:
    language = normalize_language(language)
    async with db.uow() as uow:
        person = await uow.people.get(person_id)
        if person is None:
            raise DomainError("registration.error.not_registered")
        person.language = language
        uow.audit(
            at=now,
            actor_id=person_id,
            action="person.language",
            object_type="person",
            object_id=person_id,
            language=language,
        )
        await uow.commit()
    return language


@dataclass(frozen=True)
class Platforms:
    """Where a person can be written to, and where reminders go (decision 0045)."""

    accounts: tuple[str, ...]  # the platforms with a private chat, Telegram first
    preferred: str | None  # where reminders go now


def _platforms(person: Person) -> Platforms:
    reachable = sorted(
        {a.platform for a in person.accounts if a.chat_id is not None},
        key=lambda p: (p != TELEGRAM, p),
    )
    return Platforms(tuple(reachable), reachable_platform(person))


async def platforms(db: Database, person_id: int) -> Platforms:
    async with db.uow() as uow:
        return _platforms(await _reloaded_in(uow, person_id))


async def set_preferred_platform(
    db: Database, *, person_id: int, platform: str, now: datetime
) -> Platforms:
    """Reminders and notices go to ``platform`` from now on: one the person can be
    written to on (an account with a private chat), else refused."""
    async with db.uow() as uow:
        person = await _reloaded_in(uow, person_id)
        account = person.account(platform)
        if account is None or account.chat_id is None:
            raise DomainError("preferences.error.no_account", platform=platform.capitalize())
        person.preferred_platform = platform
        uow.audit(
            at=now,
            actor_id=person_id,
            action="person.platform",
            object_type="person",
            object_id=person_id,
            platform=platform,
        )
        await uow.commit()
        return _platforms(person)


async def _reloaded_in(uow: UnitOfWork, person_id: int) -> Person:
    person = await uow.people.get(person_id)
    if person is None or not person.active:
        raise DomainError("registration.error.not_registered")
    return person


# The guard's read of the person behind each update, kept (decision 0087): what a front
# end needs to choose its words and menus. Dropped by any write of this process to the
# people, their accounts or the bodies (``storage.watch``); a write by another process
# (``pne-bot admin``) is seen after ``ACTOR_TTL`` at most. Services never use it: each one
# re-reads the person and checks there (``access.person``).
ACTOR_TTL = 10.0  # seconds
_ACTORS_MAX = 10_000
_ACTORS = "registration.actors"


async def find_actor(db: Database, platform: str, external_user_id: int) -> Actor | None:
    """Who is behind an account of ``platform``, as plain data (``None``: a stranger)."""
    key = (platform, external_user_id)
    kept_actors: dict[tuple[str, int], tuple[float, int, Actor | None]]
    kept_actors = db.kept.setdefault(_ACTORS, {})
    now = time.monotonic()
    seen = watch.generation()
    kept = kept_actors.get(key)
    if kept is not None and kept[1] == seen and now - kept[0] < ACTOR_TTL:
        return kept[2]
    actor = await _read_actor(db, platform, external_user_id)
    if watch.generation() == seen:  # nothing was written meanwhile: the read is current
        if len(kept_actors) >= _ACTORS_MAX:
            kept_actors.clear()
        kept_actors[key] = (now, seen, actor)
    return actor


async def _read_actor(db: Database, platform: str, external_user_id: int) -> Actor | None:
    # Plain columns on one connection: no session, no identity map (it runs per update).
    query = (
        select(
            Person.id,
            Person.role,
            Person.full_name,
            Person.language,
            Person.active,
            Person.school_id,
            Person.commune_id,
            Person.body_id,
            ResponsibleBody.kind,
        )
        .join(PlatformAccount, PlatformAccount.person_id == Person.id)
        .outerjoin(ResponsibleBody, ResponsibleBody.id == Person.body_id)
        .where(
            PlatformAccount.platform == platform,
            PlatformAccount.external_user_id == external_user_id,
        )
    )
    async with db.engine.connect() as connection:
        row = (await connection.execute(query)).first()
    if row is None:
        return None
    return Actor(
        id=row[0],
        role=row[1],
        full_name=row[2],
        language=row[3],
        active=row[4],
        school_id=row[5],
        commune_id=row[6],
        body_id=row[7],
        body_kind=row[8],
    )


@dataclass(frozen=True)
class Profile:
    """What /moi shows of a person, and the scope named at registration."""

    name: str
    role: str
    language: str
    since: datetime
    scope: str  # school | body | commune | everything
    school: str | None = None
    uai: str | None = None
    commune: str | None = None
    insee: str | None = None
    body: str | None = None
    body_kind: str | None = None
    body_code: str | None = None


async def profile(db: Database, person_id: int) -> Profile:
    async with db.uow() as uow:
        found = await uow.session.scalar(
            select(Person)
            .where(Person.id == person_id)
            .options(
                selectinload(Person.school).selectinload(School.commune),
                selectinload(Person.commune),
                selectinload(Person.body),
            )
        )
        if found is None:
            raise DomainError("registration.error.not_registered")
        base = Profile(
            name=found.full_name,
            role=found.role,
            language=found.language,
            since=found.created_at,
            scope="everything",
        )
        if found.school is not None:
            return replace(
                base,
                scope="school",
                school=found.school.name,
                uai=found.school.uai,
                commune=found.school.commune.name,
            )
        if found.body is not None and found.body.kind != "commune":
            return replace(
                base,
                scope="body",
                body=found.body.name,
                body_kind=found.body.kind,
                body_code=found.body.code,
            )
        if found.commune is not None:
            return replace(
                base, scope="commune", commune=found.commune.name, insee=found.commune.insee
            )
        return base


async def find_person(db: Database, platform: str, external_user_id: int) -> Person | None:
    """The person behind an account of ``platform``, with their accounts and scope."""
    async with db.uow() as uow:
        return await uow.people.by_account(platform, external_user_id)


@dataclass(frozen=True)
class PersonLine:
    id: int
    accounts: tuple[tuple[str, int], ...]  # (platform, user id there)
    full_name: str
    role: str
    scope: str
    active: bool
    assistant: bool = False  # staff: the plan's assistant, who receives the pledges


async def list_people(db: Database) -> list[PersonLine]:
    """Everyone registered, for the operator (``pne-bot admin people``)."""
    async with db.uow() as uow:
        rows = await uow.session.scalars(
            select(Person)
            .options(
                selectinload(Person.school).selectinload(School.commune),
                selectinload(Person.commune),
                selectinload(Person.body),
            )
            .order_by(Person.role, Person.full_name)
        )
        lines = []
        for person in rows:
            if person.school is not None:
                scope = f"{person.school.name} ({person.school.uai})"
            elif person.body is not None and person.body.commune_id is None:
                scope = f"{person.body.name} ({person.body.code})"
            elif person.commune is not None:
                scope = f"{person.commune.name} ({person.commune.insee})"
            else:
                scope = "—"
            lines.append(
                PersonLine(
                    person.id,
                    tuple((a.platform, a.external_user_id) for a in person.accounts),
                    person.full_name,
                    person.role,
                    scope,
                    person.active,
                    person.assistant,
                )
            )
        return lines


async def set_active(
    db: Database, *, person_id: int, active: bool, now: datetime, actor_id: int | None = None
) -> str:
    """Deactivate someone who left (or a lost account), or bring them back; audited."""
    async with db.uow() as uow:
        person = await uow.people.get(person_id)
        if person is None:
            raise DomainError("registration.error.not_registered")
        person.active = active
        uow.audit(
            at=now,
            actor_id=actor_id,
            action="person.activated" if active else "person.deactivated",
            object_type="person",
            object_id=person.id,
        )
        await uow.commit()
        return person.full_name


async def set_assistant(
    db: Database, *, person_id: int, assistant: bool, now: datetime, actor_id: int | None = None
) -> str:
    """Mark a staff member as the plan's assistant (art. 6: the reimbursement pledges are
    sent « à l'attention de l'assistante »), or no longer; audited."""
    async with db.uow() as uow:
        person = await uow.people.get(person_id)
        if person is None:
            raise DomainError("registration.error.not_registered")
        if assistant and person.role != "staff":
            raise DomainError("registration.error.assistant_not_staff", name=person.full_name)
        person.assistant = assistant
        uow.audit(
            at=now,
            actor_id=actor_id,
            action="person.assistant" if assistant else "person.not_assistant",
            object_type="person",
            object_id=person.id,
        )
        await uow.commit()
        return person.full_name
