"""Personal data against a real database (SQLite and PostgreSQL): what /mes_donnees
exports, what /oublier changes and keeps, and the daily retention pass with its time
injected (decision 0071)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.domain.errors import DomainError
from bot.i18n import I18n
from bot.services import drafts, privacy, registration
from storage.models import (
    AuditEntry,
    Commune,
    MessageRef,
    PersistedData,
    Person,
    PlatformAccount,
    Reminder,
    School,
    Ticket,
    TicketMessage,
)
from storage.uow import Database
from tests.helpers import refuses

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
I18N = I18n()


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
                name="École du Soleil",
                commune_id=commune.id,
                sector="public",
                created_at=NOW,
            )
        )
        await uow.commit()
    yield database
    await database.close()


async def person(
    db: Database, name: str, role: str = "teacher", *, user_id: int, since: datetime = NOW
) -> int:
    async with db.uow() as uow:
        school = await uow.session.scalar(select(School))
        assert school is not None
        row = Person(
            full_name=name,
            username=name.lower(),
            role=role,
            school_id=school.id if role in ("teacher", "director") else None,
            language="fr",
            preferred_platform="telegram",
            follows_calls=role == "teacher",
            created_at=since,
        )
        row.accounts.append(
            PlatformAccount(
                platform="telegram", external_user_id=user_id, chat_id=user_id, created_at=since
            )
        )
        uow.session.add(row)
        await uow.commit()
        return row.id


async def ticket(
    db: Database,
    number: str,
    reporter_id: int,
    *,
    created: datetime,
    closed: datetime | None = None,
    assignee_id: int | None = None,
) -> int:
    async with db.uow() as uow:
        school = await uow.session.scalar(select(School))
        assert school is not None
        row = Ticket(
            number=number,
            kind="claim",
            state="closed" if closed else "reported",
            reporter_id=reporter_id,
            school_id=school.id,
            commune_id=school.commune_id,
            assignee_id=assignee_id,
            created_at=created,
            updated_at=closed or created,
            closed_at=closed,
        )
        uow.session.add(row)
        await uow.commit()
        return row.id


async def message(
    db: Database, ticket_id: int, author_id: int, body: str, at: datetime, visibility: str
) -> None:
    async with db.uow() as uow:
        uow.session.add(
            TicketMessage(
                ticket_id=ticket_id,
                author_id=author_id,
                visibility=visibility,
                body=body,
                created_at=at,
            )
        )
        await uow.commit()


async def test_the_export_holds_the_persons_row_accounts_tickets_own_texts_and_drafts(
    db: Database,
) -> None:
    zoe = await person(db, "Zoé", user_id=501)
    sacha = await person(db, "Sacha", "staff", user_id=601)
    mine = await ticket(db, "S-2026-0001", zoe, created=NOW - timedelta(days=3))
    other = await ticket(db, "S-2026-0002", sacha, created=NOW - timedelta(days=2))
    await message(db, mine, zoe, "La vitre est brisée.", NOW - timedelta(days=3), "public")
    await message(db, mine, sacha, "Note de l'équipe", NOW - timedelta(days=2), "internal")
    await message(db, other, sacha, "Pas à Zoé", NOW - timedelta(days=1), "public")
    await drafts.save(db, "discord:claim_report", str(zoe), {"what": "Tablette"}, NOW)

    found = await privacy.export(db, I18N, zoe, "fr", NOW)

    data = json.loads(found.file.data.decode("utf-8"))
    assert found.file.filename == "mes-donnees-2026-12-04.json"
    assert data["person"] == {
        "id": zoe,
        "full_name": "Zoé",
        "username": "zoé",
        "role": "teacher",
        "school": "École du Soleil",
        "school_uai": "0420001Y",
        "commune": None,
        "body": None,
        "active": True,
        "registered_at": "2026-12-04T09:00:00+00:00",
    }
    assert data["accounts"] == [
        {
            "platform": "telegram",
            "user_id": 501,
            "chat_id": 501,
            "since": "2026-12-04T09:00:00+00:00",
        }
    ]
    assert data["preferences"] == {
        "language": "fr",
        "preferred_platform": "telegram",
        "follows_calls": True,
        "assistant": False,
    }
    # Only her ticket, and only what she wrote on it: staff's internal note is not hers.
    assert [t["number"] for t in data["tickets"]] == ["S-2026-0001"]
    assert data["tickets"][0]["your_part"] == ["author", "reporter"]
    assert data["tickets"][0]["your_messages"] == [
        {"at": "2026-12-01T09:00:00+00:00", "visibility": "public", "text": "La vitre est brisée."}
    ]
    assert data["drafts"] == [
        {
            "what": "discord:claim_report",
            "updated_at": "2026-12-04T09:00:00+00:00",
            "data": {"what": "Tablette"},
        }
    ]
    assert "S-2026-0001" in found.text and "S-2026-0002" not in found.text
    assert "Nom : Zoé" in found.text
    assert "Messages et notes que vous avez écrits : 1" in found.text
    # Staff's own internal note is in staff's export.
    staff_data = json.loads((await privacy.export(db, I18N, sacha, "en", NOW)).file.data)
    notes = [m for t in staff_data["tickets"] for m in t["your_messages"]]
    assert {m["text"] for m in notes} == {"Note de l'équipe", "Pas à Zoé"}


async def test_forgetting_anonymises_the_person_and_keeps_the_tickets_whole(db: Database) -> None:
    zoe = await person(db, "Zoé", user_id=501)
    await person(db, "Sacha", "staff", user_id=601)
    mine = await ticket(db, "S-2026-0001", zoe, created=NOW - timedelta(days=3))
    await message(db, mine, zoe, "La vitre est brisée.", NOW - timedelta(days=3), "public")
    await drafts.save(db, "discord:claim_report", str(zoe), {"what": "Tablette"}, NOW)
    async with db.uow() as uow:
        uow.session.add(
            Reminder(
                key="test:zoe",
                kind="call_follow",
                audience="person",
                person_id=zoe,
                payload={},
                due_at=NOW + timedelta(days=1),
                next_attempt_at=NOW + timedelta(days=1),
                created_at=NOW,
            )
        )
        uow.session.add(
            MessageRef(
                platform="telegram", chat_id=501, message_id=7, ticket_id=mine, created_at=NOW
            )
        )
        # The messenger's stored data of that user: their user data, a dialogue's state.
        for namespace, key in (("user_data", "501"), ("conversation:report", "[501, 501]")):
            uow.session.add(PersistedData(namespace=namespace, key=key, data={}, updated_at=NOW))
        uow.session.add(PersistedData(namespace="user_data", key="777", data={}, updated_at=NOW))
        await uow.commit()

        for name in ("Zoé", "Sacha"):  # assignments name their staff member
            uow.audit(
                at=NOW,
                actor_id=None,
                action="ticket.assigned",
                object_type="ticket",
                object_id="S-2026-0001",
                assignee=name,
            )
        await uow.commit()

    first = await privacy.offer_to_forget(db, zoe, NOW)
    second = await privacy.offer_to_forget(db, zoe, NOW)
    with refuses("common.stale_button"):
        await privacy.forget(db, I18N, zoe, first, NOW)
    await privacy.forget(db, I18N, zoe, second, NOW)
    with refuses("common.stale_button"):
        await privacy.forget(db, I18N, zoe, second, NOW)

    assert await registration.find_actor(db, "telegram", 501) is None
    async with db.uow() as uow:
        row = await uow.session.get(Person, zoe)
        assert row is not None
        assert row.full_name == f"Personne anonymisée n°{zoe}"
        assert (row.username, row.preferred_platform, row.follows_calls, row.active) == (
            None,
            None,
            False,
            False,
        )
        assert row.accounts == []
        accounts = await uow.session.scalar(
            select(func.count())
            .select_from(PlatformAccount)
            .where(PlatformAccount.person_id == zoe)
        )
        assert accounts == 0
        assert await uow.session.scalar(select(func.count()).select_from(MessageRef)) == 0
        stored = (await uow.session.scalars(select(PersistedData.key))).all()
        assert stored == ["777"]  # someone else's
        reminder = await uow.session.scalar(select(Reminder).where(Reminder.key == "test:zoe"))
        assert reminder is not None and reminder.state == "cancelled"
        kept = await uow.session.get(Ticket, mine)
        assert kept is not None and kept.reporter_id == zoe and kept.state == "reported"
        texts = (await uow.session.scalars(select(TicketMessage.body))).all()
        assert texts == ["La vitre est brisée."]
        audit = await uow.session.scalar(
            select(AuditEntry).where(AuditEntry.action == privacy.ANONYMISED)
        )
        assert audit is not None and audit.details == {"reason": "request"}
        assignments = (
            await uow.session.scalars(
                select(AuditEntry.details)
                .where(AuditEntry.action == "ticket.assigned")
                .order_by(AuditEntry.id)
            )
        ).all()
        assert assignments == [{"assignee": f"Personne anonymisée n°{zoe}"}, {"assignee": "Sacha"}]
    assert await drafts.drop_all(db, str(zoe)) == 0
    async with db.uow() as uow:
        assert await privacy.anonymised_ids(uow) == {zoe}


async def test_the_last_active_staff_member_cannot_be_forgotten(db: Database) -> None:
    sacha = await person(db, "Sacha", "staff", user_id=601)
    with refuses("privacy.error.last_staff"):
        await privacy.offer_to_forget(db, sacha, NOW)
    await person(db, "Camille", "staff", user_id=602)
    nonce = await privacy.offer_to_forget(db, sacha, NOW)
    await privacy.forget(db, I18N, sacha, nonce, NOW)
    assert await registration.find_actor(db, "telegram", 601) is None


async def test_retention_anonymises_only_those_whose_tickets_closed_long_ago_and_who_left(
    db: Database,
) -> None:
    long_ago = NOW - timedelta(days=6 * 365)
    old = await person(db, "Ancien", user_id=501, since=long_ago)
    recent_close = await person(db, "Récent", user_id=502, since=long_ago)
    still_open = await person(db, "Ouvert", user_id=503, since=long_ago)
    came_back = await person(db, "Revenu", user_id=504, since=long_ago)
    assignee = await person(db, "Suivi", "staff", user_id=601, since=long_ago)
    newcomer = await person(db, "Nouveau", user_id=505, since=NOW - timedelta(days=30))
    await ticket(db, "S-2020-0001", old, created=long_ago, closed=long_ago + timedelta(days=20))
    await ticket(
        db, "S-2020-0002", recent_close, created=long_ago, closed=NOW - timedelta(days=4 * 365)
    )
    await ticket(db, "S-2020-0003", still_open, created=long_ago)
    gone = await ticket(
        db, "S-2020-0004", came_back, created=long_ago, closed=long_ago + timedelta(days=1)
    )
    await message(db, gone, came_back, "Toujours là", NOW - timedelta(days=10), "public")
    # Staff assigned to an old ticket: the only staff member, never anonymised.
    await ticket(db, "S-2020-0005", old, created=long_ago, closed=long_ago, assignee_id=assignee)
    async with db.uow() as uow:
        due = await privacy.due_for_retention(uow, NOW, 5)
    assert due == [old]

    done = await privacy.retention_pass(db, I18N, now=NOW, years=5)
    assert done == [old]
    assert await privacy.retention_pass(db, I18N, now=NOW + timedelta(hours=3), years=5) is None
    async with db.uow() as uow:
        names = {p.id: p.full_name for p in (await uow.session.scalars(select(Person))).all()}
        day = await uow.session.scalar(select(Reminder).where(Reminder.kind == "retention"))
    assert names[old] == f"Personne anonymisée n°{old}"
    assert names[recent_close] == "Récent" and names[newcomer] == "Nouveau"
    assert day is not None and day.key == "retention:2026-12-04" and day.state == "sent"
    assert day.payload == {"years": 5, "anonymised": 1}

    # Two years later the recent one's ticket is old enough too; the first is not redone.
    later = NOW + timedelta(days=2 * 365)
    assert await privacy.retention_pass(db, I18N, now=later, years=5) == [recent_close]
    # A shorter setting reaches further back at once; a ticket still open keeps its
    # reporter whatever the setting.
    async with db.uow() as uow:
        assert await privacy.due_for_retention(uow, later, 1) == [came_back, newcomer]


def test_the_cut_off_counts_calendar_years() -> None:
    assert privacy.retention_cutoff(NOW, 5) == datetime(2021, 12, 4, 9, 0, tzinfo=UTC)
    leap = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    assert privacy.retention_cutoff(leap, 5) == datetime(2023, 2, 28, 12, 0, tzinfo=UTC)


async def test_an_unknown_person_has_nothing_to_export(db: Database) -> None:
    with pytest.raises(DomainError):
        await privacy.export(db, I18N, 999, "fr", NOW)
