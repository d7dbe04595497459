"""The relay and the staff tools' services on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.clock import FrozenClock
from bot.config import Settings
from bot.domain.dates import PARIS
from bot.domain.roles import Role
from bot.i18n import I18n
from bot.services import announcements, relay, reminders, tickets
from bot.services.announcement_delivery import REPORT_AGAIN, announcement_renderers
from bot.services.announcements import Audience, AudienceKind
from bot.services.claims import FileRef
from bot.services.delivery import Outgoing, Throttled, Unreachable
from bot.services.relay import Audience as Towards
from bot.services.relay import Visibility
from storage.models import (
    Attachment,
    AuditEntry,
    Commune,
    Person,
    PlatformAccount,
    School,
    Ticket,
    TicketMessage,
)
from storage.uow import Database
from tests.helpers import refuses

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@dataclass
class Seed:
    db: Database
    people: dict[str, int]
    tickets: dict[str, int]
    schools: dict[str, int]
    communes: dict[str, int]


@pytest.fixture
async def seed(database_url: str) -> AsyncIterator[Seed]:
    db = Database(database_url)
    async with db.uow() as uow:
        st_etienne = Commune(insee="42218", name="Saint-Étienne", created_at=NOW)
        firminy = Commune(insee="42095", name="Firminy", created_at=NOW)
        uow.session.add_all([st_etienne, firminy])
        await uow.session.flush()
        soleil = School(
            uai="0420001Y", name="École du Soleil", commune_id=st_etienne.id, sector="public",
            created_at=NOW,
        )  # fmt: skip
        lune = School(
            uai="0420002Z", name="École de la Lune", commune_id=st_etienne.id, sector="public",
            created_at=NOW,
        )  # fmt: skip
        forges = School(
            uai="0420003A", name="École des Forges", commune_id=firminy.id, sector="public",
            created_at=NOW,
        )  # fmt: skip
        uow.session.add_all([soleil, lune, forges])
        await uow.session.flush()
        chat = iter(range(5001, 5100))

        def person(name: str, role: Role, **scope: int | None) -> Person:
            account = PlatformAccount(
                platform="telegram", external_user_id=next(chat), chat_id=None, created_at=NOW
            )
            return Person(
                accounts=[account],
                full_name=name,
                role=role.value,
                language="fr",
                active=True,
                created_at=NOW,
                **scope,
            )

        people = {
            "zoe": person("Zoé Martin", Role.TEACHER, school_id=soleil.id),
            "yann": person("Yann Petit", Role.TEACHER, school_id=soleil.id),
            "luc": person("Luc Bon", Role.TEACHER, school_id=lune.id),
            "dir": person("Dora Chef", Role.DIRECTOR, school_id=soleil.id),
            "claude": person("Claude Agent", Role.COMMUNE, commune_id=st_etienne.id),
            "dana": person("Dana Agent", Role.COMMUNE, commune_id=firminy.id),
            "sacha": person("Sacha Sem", Role.STAFF),
            "alex": person("Alex Sem", Role.STAFF),
            "gone": person("Gaston Parti", Role.DIRECTOR, school_id=lune.id),
        }
        people["gone"].active = False
        for p in people.values():
            uow.session.add(p)
        await uow.session.flush()
        for p in people.values():
            p.accounts[0].chat_id = p.accounts[0].external_user_id

        def ticket(number: str, reporter: str, school: School, days: int) -> Ticket:
            return Ticket(
                number=number,
                kind="claim",
                state="reported",
                reporter_id=people[reporter].id,
                school_id=school.id,
                commune_id=school.commune_id,
                created_at=NOW + timedelta(days=days),
                updated_at=NOW + timedelta(days=days),
            )

        tickets = {
            "zoe1": ticket("S-2026-0001", "zoe", soleil, 0),
            "yann1": ticket("S-2026-0002", "yann", soleil, 1),
            "zoe2": ticket("S-2026-0003", "zoe", soleil, 2),
            "luc1": ticket("S-2026-0004", "luc", lune, 3),
            "forges": ticket("S-2026-0005", "dana", forges, 4),
        }
        uow.session.add_all(tickets.values())
        await uow.commit()
        seeded = Seed(
            db,
            {k: p.id for k, p in people.items()},
            {k: t.id for k, t in tickets.items()},
            {"soleil": soleil.id, "lune": lune.id, "forges": forges.id},
            {"st_etienne": st_etienne.id, "firminy": firminy.id},
        )
    yield seeded
    await db.close()


async def _messages(db: Database) -> list[TicketMessage]:
    async with db.uow() as uow:
        return list((await uow.session.scalars(select(TicketMessage))).all())


async def _actions(db: Database) -> list[tuple[str, str, str]]:
    async with db.uow() as uow:
        rows = await uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(a.action, a.object_type, a.object_id) for a in rows]


# --------------------------------------------------------------------------- relay


async def test_a_staff_reply_is_kept_public_audited_and_addressed_to_the_reporter(
    seed: Seed,
) -> None:
    ids = seed.people
    posted = await relay.reply_to_reporter(
        seed.db, ids["sacha"], seed.tickets["zoe1"], "  Bonjour <b>Zoé</b> & co  ", NOW
    )

    assert posted.audience is Towards.REPORTER
    assert [r.person_id for r in posted.recipients] == [ids["zoe"]]
    assert posted.body == "Bonjour <b>Zoé</b> & co"  # stored as typed; escaped when shown
    assert posted.ticket.number == "S-2026-0001" and posted.ticket.place == "École du Soleil"
    [message] = await _messages(seed.db)
    assert (message.visibility, message.author_id, message.body) == (
        "public",
        ids["sacha"],
        "Bonjour <b>Zoé</b> & co",
    )
    assert await _actions(seed.db) == [("relay.reply", "ticket", "S-2026-0001")]


async def test_the_reporter_writes_to_every_staff_member_until_someone_is_assigned(
    seed: Seed,
) -> None:
    ids = seed.people
    posted = await relay.write_on_ticket(seed.db, ids["zoe"], seed.tickets["zoe1"], "Merci", NOW)
    assert posted.audience is Towards.STAFF
    assert sorted(r.person_id for r in posted.recipients) == sorted([ids["sacha"], ids["alex"]])

    async with seed.db.uow() as uow:
        ticket = await uow.session.get(Ticket, seed.tickets["zoe1"])
        assert ticket is not None
        ticket.assignee_id = ids["alex"]
        await uow.commit()
    posted = await relay.write_on_ticket(seed.db, ids["zoe"], seed.tickets["zoe1"], "Et…", NOW)
    assert posted.audience is Towards.ASSIGNEE
    assert [r.person_id for r in posted.recipients] == [ids["alex"]]
    assert [a for a, _, _ in await _actions(seed.db)] == ["relay.message", "relay.message"]


async def test_a_staff_member_replying_to_a_message_writes_to_the_reporter(seed: Seed) -> None:
    posted = await relay.write_on_ticket(
        seed.db, seed.people["alex"], seed.tickets["yann1"], "Bien reçu", NOW
    )
    assert posted.audience is Towards.REPORTER
    assert [r.person_id for r in posted.recipients] == [seed.people["yann"]]


async def test_the_commune_writes_about_its_own_schools_only(seed: Seed) -> None:
    ids = seed.people
    posted = await relay.write_on_ticket(
        seed.db, ids["claude"], seed.tickets["zoe1"], "La plainte est déposée", NOW
    )
    assert posted.audience is Towards.STAFF
    assert posted.author_role == "commune"

    with refuses("relay.error.refused"):
        await relay.write_on_ticket(seed.db, ids["dana"], seed.tickets["zoe1"], "Coucou", NOW)
    with refuses("relay.error.refused"):  # a teacher of another school
        await relay.write_on_ticket(seed.db, ids["luc"], seed.tickets["zoe1"], "Coucou", NOW)
    assert len(await _messages(seed.db)) == 1


async def test_a_teacher_follows_only_the_tickets_they_reported(seed: Seed) -> None:
    ids, zoe1 = seed.people, seed.tickets["zoe1"]
    # Yann teaches in the same school as Zoé: her ticket is not his.
    with refuses("relay.error.not_found"):
        await relay.ticket_thread(seed.db, ids["yann"], zoe1)
    with refuses("relay.error.refused"):
        await relay.write_on_ticket(seed.db, ids["yann"], zoe1, "Coucou", NOW)
    with refuses("relay.error.refused"):
        await relay.write_on_ticket(
            seed.db, ids["yann"], zoe1, "", NOW, file=FileRef("photo", "P", "U")
        )
    with refuses("relay.error.unknown_number"):
        await relay.ticket_by_number(seed.db, ids["yann"], "S-2026-0001")
    assert await _messages(seed.db) == [] and await _actions(seed.db) == []
    # His own ticket, yes; the school's head and the commune's agent reach both.
    assert (await relay.ticket_thread(seed.db, ids["yann"], seed.tickets["yann1"])).entries == ()
    for who in ("dir", "claude"):
        assert (await relay.ticket_thread(seed.db, ids[who], zoe1)).ticket.number == "S-2026-0001"
        posted = await relay.write_on_ticket(seed.db, ids[who], zoe1, "Vu", NOW)
        assert posted.audience is Towards.STAFF
    assert (
        await relay.ticket_by_number(seed.db, ids["dir"], "S-2026-0002") == (seed.tickets["yann1"])
    )


async def test_staff_are_the_hub_each_side_reads_its_own_exchange_only(seed: Seed) -> None:
    ids, ticket = seed.people, seed.tickets["zoe1"]
    at = iter(NOW + timedelta(minutes=m) for m in range(20))
    await relay.write_on_ticket(seed.db, ids["zoe"], ticket, "Zoé à SEM", next(at))
    await relay.write_on_ticket(seed.db, ids["claude"], ticket, "Commune à SEM", next(at))
    await relay.reply_to_reporter(seed.db, ids["sacha"], ticket, "SEM à Zoé", next(at))
    await relay.write_on_ticket(seed.db, ids["alex"], ticket, "SEM à Zoé, bis", next(at))
    await relay.write_on_ticket(seed.db, ids["dir"], ticket, "Direction à SEM", next(at))
    await relay.add_note(seed.db, ids["sacha"], ticket, "Note", next(at))
    await relay.write_on_ticket(
        seed.db, ids["claude"], ticket, "récépissé", next(at), file=FileRef("document", "D", "U")
    )
    await relay.reply_to_reporter(
        seed.db, ids["sacha"], ticket, "devis", next(at), file=FileRef("photo", "P", "V")
    )
    async with seed.db.uow() as uow:  # an entry of the bot's own
        uow.session.add(
            TicketMessage(
                ticket_id=ticket, author_id=None, visibility="system", body="Relance envoyée",
                created_at=next(at),
            )
        )  # fmt: skip
        await uow.commit()

    async def seen(who: str) -> list[str]:
        thread = await relay.ticket_thread(seed.db, ids[who], ticket)
        return [e.body for e in thread.entries]

    assert await seen("zoe") == [
        "Zoé à SEM",
        "SEM à Zoé",
        "SEM à Zoé, bis",
        "devis",
        "Relance envoyée",
    ]
    assert await seen("claude") == ["Commune à SEM", "récépissé", "Relance envoyée"]
    assert await seen("dir") == ["Direction à SEM", "Relance envoyée"]
    assert await seen("alex") == [
        "Zoé à SEM",
        "Commune à SEM",
        "SEM à Zoé",
        "SEM à Zoé, bis",
        "Direction à SEM",
        "Note",
        "récépissé",
        "devis",
        "Relance envoyée",
    ]


async def test_a_cards_timeline_shows_only_the_words_the_viewer_may_read(seed: Seed) -> None:
    """The timeline of a card names who wrote and when: for words the viewer may not read
    (a teacher and « Claude : message à l'équipe »), it shows nothing, as the thread does."""
    ids, ticket = seed.people, seed.tickets["zoe1"]
    at = iter(NOW + timedelta(minutes=m) for m in range(20))
    await relay.write_on_ticket(seed.db, ids["zoe"], ticket, "Zoé à SEM", next(at))
    await relay.write_on_ticket(seed.db, ids["claude"], ticket, "Commune à SEM", next(at))
    await relay.reply_to_reporter(seed.db, ids["sacha"], ticket, "SEM à Zoé", next(at))
    await relay.write_on_ticket(seed.db, ids["dir"], ticket, "Direction à SEM", next(at))
    await relay.add_note(seed.db, ids["sacha"], ticket, "Note", next(at))

    async def timeline(who: str) -> list[tuple[str | None, str]]:
        async with seed.db.uow() as uow:
            viewer = await uow.session.get(Person, ids[who])
            row = await uow.session.get(Ticket, ticket)
            assert viewer is not None and row is not None
            entries = await tickets.timeline(uow, row, viewer)
        return [(e.actor, e.action) for e in entries if e.action.startswith("relay.")]

    assert await timeline("zoe") == [
        ("Zoé Martin", "relay.message"),
        ("Sacha Sem", "relay.reply"),
    ]
    assert await timeline("claude") == [("Claude Agent", "relay.message")]
    assert await timeline("dir") == [("Dora Chef", "relay.message")]
    assert await timeline("yann") == []  # not the reporter: staff's reply is not his
    assert await timeline("alex") == [
        ("Zoé Martin", "relay.message"),
        ("Claude Agent", "relay.message"),
        ("Sacha Sem", "relay.reply"),
        ("Dora Chef", "relay.message"),
    ]


async def test_only_staff_reply_to_reporters_and_keep_notes(seed: Seed) -> None:
    for who in ("zoe", "dir", "claude"):
        with refuses("common.error.forbidden"):
            await relay.reply_to_reporter(
                seed.db, seed.people[who], seed.tickets["zoe1"], "Bonjour", NOW
            )
        with refuses("common.error.forbidden"):
            await relay.add_note(seed.db, seed.people[who], seed.tickets["zoe1"], "Note", NOW)
    assert await _messages(seed.db) == []
    assert await _actions(seed.db) == []


async def test_an_internal_note_reaches_nobody_and_only_staff_see_it(seed: Seed) -> None:
    ids, ticket = seed.people, seed.tickets["zoe1"]
    await relay.write_on_ticket(seed.db, ids["zoe"], ticket, "Armoire réparée", NOW)
    note = await relay.add_note(
        seed.db, ids["sacha"], ticket, "Rappeler la mairie", NOW + timedelta(minutes=1)
    )
    assert note.audience is Towards.NOBODY and note.recipients == ()
    assert note.visibility is Visibility.INTERNAL

    staff_view = await relay.ticket_thread(seed.db, ids["alex"], ticket)
    reporter_view = await relay.ticket_thread(seed.db, ids["zoe"], ticket)
    assert [(e.author_name, e.visibility.value, e.body) for e in staff_view.entries] == [
        ("Zoé Martin", "public", "Armoire réparée"),
        ("Sacha Sem", "internal", "Rappeler la mairie"),
    ]
    assert [e.body for e in reporter_view.entries] == ["Armoire réparée"]
    # The note's audit entry stays off the ticket's timeline (shown to the school too).
    assert await _actions(seed.db) == [
        ("relay.message", "ticket", "S-2026-0001"),
        ("relay.note", "ticket_note", "S-2026-0001"),
    ]


async def test_files_are_kept_as_attachments_and_appear_in_the_thread(seed: Seed) -> None:
    ids, ticket = seed.people, seed.tickets["zoe1"]
    photo = FileRef("photo", "PHOTO-1", "U-1")
    posted = await relay.write_on_ticket(seed.db, ids["zoe"], ticket, "", NOW, file=photo)
    assert posted.file == photo and posted.body == ""
    doc = FileRef("document", "DOC-1", "U-2", "facture.pdf", "application/pdf")
    await relay.reply_to_reporter(
        seed.db, ids["sacha"], ticket, "la facture", NOW + timedelta(minutes=5), file=doc
    )

    async with seed.db.uow() as uow:
        rows = (await uow.session.scalars(select(Attachment).order_by(Attachment.id))).all()
    assert [(a.kind, a.purpose, a.file_id, a.caption, a.uploaded_by_id) for a in rows] == [
        ("photo", "relay", "PHOTO-1", None, ids["zoe"]),
        ("document", "relay", "DOC-1", "la facture", ids["sacha"]),
    ]
    thread = await relay.ticket_thread(seed.db, ids["zoe"], ticket)
    assert [(e.file_kind, e.file_name, e.body) for e in thread.entries] == [
        ("photo", None, ""),
        ("document", "facture.pdf", "la facture"),
    ]
    assert await _messages(seed.db) == []


async def test_a_file_kept_as_an_internal_note_stays_with_staff(seed: Seed) -> None:
    ids, ticket = seed.people, seed.tickets["zoe1"]
    photo = FileRef("photo", "PHOTO-9", "U-9")
    note = await relay.add_note(seed.db, ids["sacha"], ticket, "vu sur place", NOW, file=photo)
    assert note.audience is Towards.NOBODY and note.recipients == ()

    async with seed.db.uow() as uow:
        [row] = (await uow.session.scalars(select(Attachment))).all()
    assert (row.purpose, row.caption, row.uploaded_by_id) == (
        "relay_note",
        "vu sur place",
        ids["sacha"],
    )
    staff_view = await relay.ticket_thread(seed.db, ids["alex"], ticket)
    assert [(e.visibility, e.file_kind, e.body) for e in staff_view.entries] == [
        (Visibility.INTERNAL, "photo", "vu sur place")
    ]
    for who in ("zoe", "dir", "claude"):
        assert (await relay.ticket_thread(seed.db, ids[who], ticket)).entries == ()
    assert await _actions(seed.db) == [("relay.note", "ticket_note", "S-2026-0001")]


async def test_empty_or_too_long_messages_are_refused(seed: Seed) -> None:
    ids, ticket = seed.people, seed.tickets["zoe1"]
    with refuses("relay.error.empty"):
        await relay.write_on_ticket(seed.db, ids["zoe"], ticket, "   ", NOW)
    with refuses("relay.error.too_long") as caught:
        await relay.reply_to_reporter(seed.db, ids["sacha"], ticket, "x" * 3001, NOW)
    assert caught.value.params == {"max": 3000, "length": 3001}


async def test_a_number_is_found_within_the_scope_only(seed: Seed) -> None:
    ids = seed.people
    assert (
        await relay.ticket_by_number(seed.db, ids["sacha"], "s-2026-0004") == (seed.tickets["luc1"])
    )
    with refuses("relay.error.unknown_number") as caught:
        await relay.ticket_by_number(seed.db, ids["zoe"], "S-2026-0004")
    assert caught.value.params == {"number": "S-2026-0004"}
    with refuses("relay.error.unknown_number"):
        await relay.ticket_by_number(seed.db, ids["sacha"], "S-2026-9999")
    assert relay.looks_like_number("S-2026-0042")
    assert not relay.looks_like_number("Bonjour")


async def test_a_thread_outside_the_scope_is_not_found(seed: Seed) -> None:
    with refuses("relay.error.not_found"):
        await relay.ticket_thread(seed.db, seed.people["zoe"], seed.tickets["luc1"])
    with refuses("relay.error.not_found"):
        await relay.ticket_thread(seed.db, seed.people["claude"], seed.tickets["forges"])
    with refuses("relay.error.not_found"):
        await relay.ticket_thread(seed.db, seed.people["sacha"], 999_999)


async def test_my_tickets_follow_the_role_newest_first(seed: Seed) -> None:
    ids = seed.people

    async def numbers(who: str, page: int = 0, per_page: int = 8) -> list[str]:
        listed = await relay.my_tickets(seed.db, ids[who], page, per_page)
        return [line.number for line in listed.lines]

    assert await numbers("zoe") == ["S-2026-0003", "S-2026-0001"]  # her own
    assert await numbers("dir") == ["S-2026-0003", "S-2026-0002", "S-2026-0001"]  # the school
    assert await numbers("claude") == [  # the commune
        "S-2026-0004",
        "S-2026-0003",
        "S-2026-0002",
        "S-2026-0001",
    ]
    assert await numbers("sacha") == []  # nothing assigned to her yet
    page = await relay.my_tickets(seed.db, ids["claude"], 1, 3)
    assert (page.page, page.pages, page.total, page.listing, page.scope_name) == (
        1,
        2,
        4,
        "commune",
        "Saint-Étienne",
    )
    assert [line.number for line in page.lines] == ["S-2026-0001"]
    assert (await relay.my_tickets(seed.db, ids["claude"], 99, 3)).page == 1  # clamped


# --------------------------------------------------------------------------- staff tools


async def test_schools_and_communes_are_found_without_minding_case_or_accents(
    seed: Seed,
) -> None:
    assert [s.uai for s in await announcements.search_schools(seed.db, "lune")] == ["0420002Z"]
    assert [s.name for s in await announcements.search_schools(seed.db, "ecole du s")] == [
        "École du Soleil"
    ]
    assert [s.name for s in await announcements.search_schools(seed.db, "0420003")] == [
        "École des Forges"
    ]
    assert [c.name for c in await announcements.search_communes(seed.db, "ETIENNE")] == [
        "Saint-Étienne"
    ]
    assert [c.name for c in await announcements.search_communes(seed.db, "42095")] == ["Firminy"]
    with refuses("admin.search.too_short"):
        await announcements.search_communes(seed.db, "f")


async def test_an_audience_is_its_active_people_without_the_author(seed: Seed) -> None:
    ids = seed.people

    async def audience(kind: AudienceKind, commune: str | None = None) -> list[int]:
        chosen = Audience(kind, seed.communes[commune] if commune else None)
        done = await announcements.record_announcement(seed.db, ids["sacha"], chosen, "Hi", NOW)
        return sorted(r.person_id for r in done.recipients)

    assert await audience(AudienceKind.DIRECTORS) == [ids["dir"]]  # Gaston left
    assert await audience(AudienceKind.TEACHERS) == sorted([ids["zoe"], ids["yann"], ids["luc"]])
    assert await audience(AudienceKind.COMMUNES) == sorted([ids["claude"], ids["dana"]])
    assert await audience(AudienceKind.COMMUNE, "firminy") == [ids["dana"]]
    everyone = {v for k, v in ids.items() if k not in ("sacha", "gone")}
    assert set(await audience(AudienceKind.EVERYONE)) == everyone


async def test_an_announcement_is_audited_when_sent_and_when_delivered(seed: Seed) -> None:
    """Confirmed: audited and planned in the outbox. The paced lane sends it to each
    person (one of them unreachable), then the author's report, which audits the end."""
    ids = seed.people
    done = await announcements.record_announcement(
        seed.db, ids["sacha"], Audience(AudienceKind.COMMUNES), "  Réunion jeudi  ", NOW
    )
    async with seed.db.uow() as uow:
        dana = await uow.session.get(Person, ids["dana"], options=[selectinload(Person.accounts)])
        assert dana is not None
        dana_chat = dana.accounts[0].chat_id
    sent: list[tuple[int, str]] = []

    async def send(message: Outgoing) -> int:
        if message.chat_id == dana_chat:
            raise Unreachable("Forbidden: bot was blocked by the user")
        sent.append((message.chat_id, message.text))
        return len(sent)

    renderers = announcement_renderers(I18n(PARIS), Settings(_env_file=None))  # type: ignore[call-arg]
    clock = FrozenClock(NOW)
    for _ in range(3):
        await reminders.paced(seed.db, renderers, send, clock=clock, worker="w")
        clock.advance(REPORT_AGAIN)

    assert [text.split("\n\n")[1] for _, text in sent[:-1]] == ["Réunion jeudi"]
    assert sent[-1][1] == "📣 Annonce envoyée à 1 personne, 1 échec."
    async with seed.db.uow() as uow:
        rows = (await uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(a.action, a.object_id, a.actor_id) for a in rows] == [
        ("announcement.send", done.id, ids["sacha"]),
        ("announcement.delivered", done.id, ids["sacha"]),
    ]
    assert rows[0].details == {
        "audience": "communes",
        "commune_id": None,
        "recipients": 2,
        "text": "Réunion jeudi",
    }
    assert rows[1].details == {"delivered": 1, "failed": 1, "failed_people": [ids["dana"]]}


async def test_an_announcement_stopped_midway_resumes_without_sending_twice(seed: Seed) -> None:
    """The bot stops after the first message (here: the messenger asks to wait, and the
    run ends): the rest stays in the outbox; the next run serves only the others."""
    ids = seed.people
    await announcements.record_announcement(
        seed.db, ids["sacha"], Audience(AudienceKind.DIRECTORS), "Réunion", NOW
    )
    await announcements.record_announcement(
        seed.db, ids["sacha"], Audience(AudienceKind.TEACHERS), "Formation", NOW
    )
    sent: list[int] = []

    async def first_then_stop(message: Outgoing) -> int:
        if sent:
            raise Throttled("stopping", timedelta(seconds=1))
        sent.append(message.chat_id)
        return 1

    async def send(message: Outgoing) -> int:
        sent.append(message.chat_id)
        return len(sent)

    renderers = announcement_renderers(I18n(PARIS), Settings(_env_file=None))  # type: ignore[call-arg]
    clock = FrozenClock(NOW)
    await reminders.paced(seed.db, renderers, first_then_stop, clock=clock, worker="old")
    assert len(sent) == 1
    for _ in range(3):
        clock.advance(REPORT_AGAIN)
        await reminders.paced(seed.db, renderers, send, clock=clock, worker="new")

    async with seed.db.uow() as uow:
        sacha = await uow.session.get(Person, ids["sacha"], options=[selectinload(Person.accounts)])
        assert sacha is not None
        sacha_chat = sacha.accounts[0].chat_id
    people = [chat for chat in sent if chat != sacha_chat]
    assert len(people) == len(set(people)) == 4  # Dora; Zoé, Yann, Luc: each once
    assert sent.count(sacha_chat) == 2  # one report per announcement


async def test_only_staff_announce_and_invite(seed: Seed) -> None:
    for who in ("zoe", "dir", "claude"):
        with refuses("common.error.forbidden"):
            await announcements.record_announcement(
                seed.db, seed.people[who], Audience(AudienceKind.EVERYONE), "Hi", NOW
            )
        with refuses("common.error.forbidden"):
            await announcements.invite(
                seed.db,
                seed.people[who],
                role=Role.TEACHER,
                school_id=seed.schools["soleil"],
                commune_id=None,
                validity=timedelta(days=7),
                now=NOW,
            )
    with refuses("admin.error.audience"):
        Audience(AudienceKind.COMMUNE)
    with refuses("admin.announce.empty"):
        await announcements.record_announcement(
            seed.db, seed.people["sacha"], Audience(AudienceKind.EVERYONE), "  ", NOW
        )


async def test_staff_invite_from_the_chat_with_the_school_they_picked(seed: Seed) -> None:
    created = await announcements.invite(
        seed.db,
        seed.people["sacha"],
        role=Role.DIRECTOR,
        school_id=seed.schools["lune"],
        commune_id=None,
        validity=timedelta(days=14),
        now=NOW,
    )
    assert created.scope_name == "École de la Lune (0420002Z)"
    assert created.expires_at == NOW + timedelta(days=14)
    with refuses("admin.error.unknown_school"):
        await announcements.invite(
            seed.db,
            seed.people["sacha"],
            role=Role.DIRECTOR,
            school_id=999_999,
            commune_id=None,
            validity=timedelta(days=14),
            now=NOW,
        )
