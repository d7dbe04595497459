"""Invitations and registration against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.domain.errors import DomainError
from bot.domain.roles import Role
from bot.services import registration
from storage.models import AuditEntry, Commune, Invitation, Person, PlatformAccount, School
from storage.uow import Database
from tests.helpers import refuses

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    async with database.uow() as uow:
        commune = Commune(insee="42218", name="Saint-Étienne", created_at=NOW)
        uow.session.add(commune)
        await uow.session.flush()
        uow.session.add(
            School(
                uai="0420001Y",
                name="École A",
                commune_id=commune.id,
                sector="public",
                created_at=NOW,
            )
        )
        await uow.commit()
    yield database
    await database.close()


def newcomer(user_id: int = 501) -> registration.Newcomer:
    return registration.Newcomer(
        platform="telegram",
        external_user_id=user_id,
        chat_id=user_id,
        full_name="Zoé Test",
        username=None,
        language="fr",
    )


async def invite(
    db: Database, role: Role = Role.TEACHER, **kwargs: object
) -> registration.NewInvitation:
    scope: dict[str, object] = (
        {"school_uai": "0420001Y"} if role in (Role.TEACHER, Role.DIRECTOR) else {}
    )
    if role is Role.COMMUNE:
        scope = {"commune_insee": "42218"}
    scope.update(kwargs)
    return await registration.create_invitation(
        db,
        role=role,
        validity=timedelta(days=14),
        now=NOW,
        **scope,  # type: ignore[arg-type]
    )


async def test_only_the_hash_of_the_code_is_stored(db: Database) -> None:
    created = await invite(db)
    async with db.uow() as uow:
        row = await uow.session.scalar(select(Invitation))
    assert row is not None
    assert created.code.replace("-", "") not in row.code_hash
    assert row.hint == created.code[:4]
    assert row.expires_at == NOW + timedelta(days=14)


async def test_redeeming_registers_with_the_role_and_scope_of_the_invitation(db: Database) -> None:
    created = await invite(db, Role.DIRECTOR)
    person = await registration.redeem_invitation(
        db, newcomer=newcomer(), code=created.code, now=NOW
    )
    assert person.role == "director"
    assert person.school is not None and person.school.uai == "0420001Y"
    assert person.school.commune.name == "Saint-Étienne"
    async with db.uow() as uow:
        actions = (await uow.session.scalars(select(AuditEntry.action))).all()
    assert actions == ["invitation.create", "person.register"]


async def test_a_code_works_once(db: Database) -> None:
    created = await invite(db)
    await registration.redeem_invitation(db, newcomer=newcomer(1), code=created.code, now=NOW)
    with refuses("registration.error.used"):
        await registration.redeem_invitation(db, newcomer=newcomer(2), code=created.code, now=NOW)


async def test_two_accounts_racing_for_one_code_register_only_one(db: Database) -> None:
    created = await invite(db)
    results = await asyncio.gather(
        *(
            registration.redeem_invitation(
                db, newcomer=newcomer(10 + i), code=created.code, now=NOW
            )
            for i in range(2)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Person) for r in results) == 1
    assert sum(isinstance(r, DomainError) for r in results) == 1
    async with db.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Person)) == 1


async def test_an_expired_code_is_refused(db: Database) -> None:
    created = await invite(db)
    with refuses("registration.error.expired"):
        await registration.redeem_invitation(
            db, newcomer=newcomer(), code=created.code, now=NOW + timedelta(days=14)
        )


async def test_a_revoked_code_is_refused(db: Database) -> None:
    created = await invite(db)
    await registration.revoke_invitation(db, code_or_id=created.code, now=NOW)
    with refuses("registration.error.revoked"):
        await registration.redeem_invitation(db, newcomer=newcomer(), code=created.code, now=NOW)


def between_check_and_claim(
    monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[int], Awaitable[None]]
) -> None:
    """Run ``meanwhile(invitation id)``, committed, after redeem_invitation has found the
    invitation usable and before it claims it: a deterministic interleaving."""
    check = registration._usable_invitation

    async def checked_then_changed(db: Database, **kwargs: Any) -> Invitation:
        invitation = await check(db, **kwargs)
        await meanwhile(invitation.id)
        return invitation

    monkeypatch.setattr(registration, "_usable_invitation", checked_then_changed)


async def nobody_registered_with(db: Database, invitation_id: int) -> Invitation:
    async with db.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Person)) == 0
        row = await uow.session.get(Invitation, invitation_id)
    assert row is not None
    assert row.used_at is None and row.used_by_id is None
    return row


async def test_a_code_revoked_after_the_check_does_not_register(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = await invite(db)
    revoked_at = NOW - timedelta(seconds=1)

    async def revoke(invitation_id: int) -> None:
        await registration.revoke_invitation(db, code_or_id=str(invitation_id), now=revoked_at)

    between_check_and_claim(monkeypatch, revoke)
    with refuses("registration.error.revoked"):
        await registration.redeem_invitation(db, newcomer=newcomer(), code=created.code, now=NOW)
    row = await nobody_registered_with(db, created.id)
    assert row.revoked_at == revoked_at
    async with db.uow() as uow:
        actions = (await uow.session.scalars(select(AuditEntry.action))).all()
    assert actions == ["invitation.create", "invitation.revoke"]


async def test_a_code_shortened_after_the_check_is_refused_as_expired(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = await invite(db)

    async def shorten(invitation_id: int) -> None:
        async with db.uow() as uow:
            await uow.session.execute(
                update(Invitation).where(Invitation.id == invitation_id).values(expires_at=NOW)
            )
            await uow.commit()

    between_check_and_claim(monkeypatch, shorten)
    with refuses("registration.error.expired"):
        await registration.redeem_invitation(db, newcomer=newcomer(), code=created.code, now=NOW)
    await nobody_registered_with(db, created.id)


async def test_a_code_used_by_another_account_after_the_check_is_refused_as_used(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = await invite(db)

    async def use(invitation_id: int) -> None:
        async with db.uow() as uow:
            other = Person(
                accounts=[
                    PlatformAccount(
                        platform="telegram", external_user_id=900, chat_id=900, created_at=NOW
                    )
                ],
                full_name="Quelqu'un d'autre",
                role="teacher",
                language="fr",
                created_at=NOW,
            )
            uow.session.add(other)
            await uow.session.flush()
            await uow.session.execute(
                update(Invitation)
                .where(Invitation.id == invitation_id)
                .values(used_at=NOW, used_by_id=other.id)
            )
            await uow.commit()

    between_check_and_claim(monkeypatch, use)
    with refuses("registration.error.used"):
        await registration.redeem_invitation(db, newcomer=newcomer(), code=created.code, now=NOW)
    async with db.uow() as uow:
        people = (await uow.session.scalars(select(PlatformAccount.external_user_id))).all()
    assert people == [900]


async def test_revoking_by_number_works_and_a_used_code_cannot_be_revoked(db: Database) -> None:
    first = await invite(db)
    assert await registration.revoke_invitation(db, code_or_id=str(first.id), now=NOW) == first.id
    second = await invite(db)
    await registration.redeem_invitation(db, newcomer=newcomer(), code=second.code, now=NOW)
    with refuses("registration.error.used"):
        await registration.revoke_invitation(db, code_or_id=second.code, now=NOW)


async def test_wrong_codes_lock_the_account_for_a_while_then_let_it_try_again(db: Database) -> None:
    created = await invite(db)
    for _ in range(4):
        with refuses("registration.error.unknown_code"):
            await registration.redeem_invitation(
                db, newcomer=newcomer(), code="AAAA-BBBB-CC23", now=NOW
            )
    # Locked for a minute, even with the right code.
    with pytest.raises(DomainError) as caught:
        await registration.redeem_invitation(db, newcomer=newcomer(), code=created.code, now=NOW)
    assert caught.value.code == "registration.error.locked"
    assert caught.value.params["until"] == NOW + timedelta(minutes=1)
    person = await registration.redeem_invitation(
        db, newcomer=newcomer(), code=created.code, now=NOW + timedelta(minutes=1)
    )
    assert person.role == "teacher"


async def test_an_account_registers_only_once(db: Database) -> None:
    first, second = await invite(db), await invite(db)
    await registration.redeem_invitation(db, newcomer=newcomer(), code=first.code, now=NOW)
    with refuses("registration.error.already_registered"):
        await registration.redeem_invitation(db, newcomer=newcomer(), code=second.code, now=NOW)


async def test_invitations_need_a_known_school_or_commune(db: Database) -> None:
    with refuses("directory.error.unknown_school"):
        await invite(db, Role.TEACHER, school_uai="0429999Z")
    with refuses("directory.error.unknown_commune"):
        await invite(db, Role.COMMUNE, commune_insee="42999")


async def test_language_choice_is_kept(db: Database) -> None:
    created = await invite(db, Role.STAFF)
    person = await registration.redeem_invitation(
        db, newcomer=newcomer(), code=created.code, now=NOW
    )
    await registration.set_language(db, person_id=person.id, language="en", now=NOW)
    found = await registration.find_person(db, "telegram", 501)
    assert found is not None and found.language == "en"


def discord_newcomer(user_id: int = 8_001) -> registration.Newcomer:
    return registration.Newcomer(
        platform="discord",
        external_user_id=user_id,
        chat_id=user_id + 1,
        full_name="zoe#0001",
        username="zoe",
        language="fr",
    )


async def test_a_code_registers_one_account_on_the_platform_it_is_used_on(db: Database) -> None:
    created = await invite(db)
    person = await registration.redeem_invitation(
        db, newcomer=newcomer(), code=created.code, now=NOW
    )
    assert [(a.platform, a.external_user_id, a.chat_id) for a in person.accounts] == [
        ("telegram", 501, 501)
    ]
    assert person.preferred_platform == "telegram"
    assert await registration.find_person(db, "discord", 501) is None


async def test_an_account_code_adds_the_other_platform_to_the_same_person(db: Database) -> None:
    created = await invite(db, Role.DIRECTOR)
    zoe = await registration.redeem_invitation(db, newcomer=newcomer(), code=created.code, now=NOW)

    code = await registration.create_account_code(
        db, person_id=zoe.id, validity=timedelta(days=2), now=NOW
    )
    assert (code.role, code.scope_name) == (Role.DIRECTOR, "Zoé Test")
    bound = await registration.redeem_invitation(
        db, newcomer=discord_newcomer(), code=code.code, now=NOW
    )

    assert bound.id == zoe.id and bound.role == "director"
    assert bound.school is not None and bound.school.uai == "0420001Y"
    assert sorted((a.platform, a.external_user_id, a.chat_id) for a in bound.accounts) == [
        ("discord", 8_001, 8_002),
        ("telegram", 501, 501),
    ]
    assert bound.preferred_platform == "discord"  # the platform registered on last
    found = await registration.find_person(db, "discord", 8_001)
    assert found is not None and found.id == zoe.id
    async with db.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Person)) == 1
        actions = (await uow.session.scalars(select(AuditEntry.action))).all()
    assert actions[-1] == "person.account_added"
    with refuses("registration.error.used"):
        await registration.redeem_invitation(
            db, newcomer=discord_newcomer(9_001), code=code.code, now=NOW
        )


async def test_an_account_code_never_adds_a_second_account_on_one_platform(
    db: Database,
) -> None:
    created = await invite(db)
    zoe = await registration.redeem_invitation(db, newcomer=newcomer(), code=created.code, now=NOW)
    code = await registration.create_account_code(
        db, person_id=zoe.id, validity=timedelta(days=2), now=NOW
    )
    with refuses("registration.error.platform_taken"):
        await registration.redeem_invitation(db, newcomer=newcomer(502), code=code.code, now=NOW)
    assert await registration.find_person(db, "telegram", 502) is None


async def test_wrong_codes_are_counted_per_platform_account(db: Database) -> None:
    for _ in range(3):
        with refuses("registration.error.unknown_code"):
            await registration.redeem_invitation(
                db, newcomer=newcomer(), code="AAAA-BBBB-CC23", now=NOW
            )
    async with db.uow() as uow:
        telegram = await uow.people.code_attempts("telegram", 501)
        discord = await uow.people.code_attempts("discord", 501)
    assert telegram is not None and telegram.failures == 3
    assert discord is None


async def test_many_accounts_guessing_together_pause_the_checks_and_staff_are_told_once(
    db: Database,
) -> None:
    """50 new accounts trying 4 codes each (200 guesses in a minute) are stopped by the
    limit across accounts, not only each by its own: past 30 wrong codes in a minute no
    code is checked for 5 minutes, even a right one; staff get one word of the burst."""
    from bot.domain.invitations import GLOBAL_LIMIT, GLOBAL_PAUSE
    from storage.models import Reminder

    created = await invite(db)
    checked = 0
    for account in range(50):
        for attempt in range(4):
            try:
                await registration.redeem_invitation(
                    db,
                    newcomer=newcomer(10_000 + account),
                    code=f"AAAA-BBBB-{2 + account % 8}{2 + attempt}ZZ",
                    now=NOW + timedelta(seconds=account),
                )
            except DomainError as error:
                if error.code == "registration.error.unknown_code":
                    checked += 1
    assert checked == GLOBAL_LIMIT + 1  # the first past the limit is still checked
    with refuses("registration.error.busy"):
        await registration.redeem_invitation(
            db, newcomer=newcomer(), code=created.code, now=NOW + timedelta(minutes=1)
        )
    async with db.uow() as uow:
        told = (
            await uow.session.scalars(
                select(Reminder).where(Reminder.kind == "security.code_burst")
            )
        ).all()
    assert [(r.audience, r.payload["count"]) for r in told] == [("staff", GLOBAL_LIMIT + 1)]
    # The sweep tells them, in their group.
    from bot.bootstrap import bootstrap
    from bot.clock import FrozenClock
    from bot.config import Settings
    from bot.services import reminders
    from bot.services.delivery import Outgoing

    settings = Settings(
        telegram_token=None, database_url=db.url, staff_chat_id=-100_7, _env_file=None
    )  # type: ignore[call-arg]
    services = bootstrap(settings, db, clock=FrozenClock(NOW + timedelta(minutes=1)))
    sent: list[Outgoing] = []

    async def send(message: Outgoing) -> int:
        sent.append(message)
        return len(sent)

    await reminders.drain(
        db,
        services.renderers,
        send,
        clock=services.clock,
        worker="w",
        as_of=NOW + timedelta(hours=1),
    )
    assert [(m.chat_id, m.text) for m in sent] == [
        (
            -100_7,
            "🚨 <b>31 codes d'invitation erronés</b> en une minute, de comptes différents :"
            " quelqu'un essaie peut-être de deviner des codes. Les inscriptions par code"
            " sont suspendues jusqu'au 29/11/2026 10:05.",
        )
    ]
    later = NOW + timedelta(seconds=GLOBAL_LIMIT) + GLOBAL_PAUSE
    person = await registration.redeem_invitation(
        db, newcomer=newcomer(), code=created.code, now=later
    )
    assert person.role == "teacher"


async def test_a_plain_word_of_twelve_letters_is_not_a_wrong_code(db: Database) -> None:
    for _ in range(10):
        with refuses("registration.error.unknown_code"):
            await registration.redeem_invitation(
                db, newcomer=newcomer(), code="BATEAUXVERTS", now=NOW
            )
    async with db.uow() as uow:
        assert await uow.people.code_attempts("telegram", 501) is None
        assert await uow.people.code_attempts("*", 0) is None
