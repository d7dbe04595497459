"""A notice in the staff's triage, like any ticket: the queue, the dossier with SEM's
equipment of the rooms concerned, the body's view with its own actions."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.domain.notices import WorksKind
from bot.domain.roles import Role
from bot.services import notices
from storage.models import Equipment, Person, School
from tests.conversations.conftest import World


async def _works(world: World, reporter_name: str) -> notices.NoticeView:
    async with world.db.uow() as uow:
        reporter = await uow.session.scalar(select(Person).where(Person.full_name == reporter_name))
        school = await uow.session.scalar(select(School).where(School.uai == "0420001Y"))
        projector = await uow.session.scalar(
            select(Equipment).where(Equipment.asset_tag == "SEM-0004")
        )
        assert reporter is not None and school is not None and projector is not None
        projector.room = "Salle 2"
        await uow.commit()
        reporter_id, school_id = reporter.id, school.id
    return await notices.tell_works(
        world.db,
        notices.TellWorks(
            reporter_id,
            school_id,
            WorksKind.RENOVATION,
            "Peinture <et> sols",
            date(2026, 4, 13),
            date(2026, 4, 24),
            rooms="salle 2",
        ),
        world.clock.now(),
    )


async def test_staff_and_the_body_read_a_works_notice_in_full(world: World) -> None:
    api = world.api
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    view = await _works(world, "Claude")
    assert view.number == "N-2026-0001"

    await api.send_text(staff, "/file")
    assert "N-2026-0001 · signalement de travaux ou de changement · signalé à la SEM" in (
        world.last_text(staff)
    )
    await api.send_text(staff, "/dossier N-2026-0001")
    dossier = api.last(staff.id)
    text = dossier.text or ""
    assert text.startswith("🏗 N-2026-0001 — Travaux : rénovation")
    assert "Du lundi 13 avril 2026 au vendredi 24 avril 2026" in text
    assert "Matériel de la SEM concerné : 1 sur 5" in text
    assert "SEM-0004 (vidéoprojecteur, Epson EB) — Salle 2" in text
    assert "« Peinture <et> sols »" in text
    assert "👍 Pris en compte" in dossier.button_texts

    await api.send_text(agent, "/dossier N-2026-0001")
    seen = api.last(agent.id)
    assert "✅ Matériel remis en place" in seen.button_texts
    api.assert_no_refusals()


async def _move(world: World, reporter_name: str) -> notices.NoticeView:
    async with world.db.uow() as uow:
        reporter = await uow.session.scalar(select(Person).where(Person.full_name == reporter_name))
        school = await uow.session.scalar(select(School).where(School.uai == "0420001Y"))
        assert reporter is not None and school is not None
        reporter_id, school_id = reporter.id, school.id
    return await notices.tell_works(
        world.db,
        notices.TellWorks(
            reporter_id,
            school_id,
            WorksKind.MOVE,
            "L'école rejoint le groupe scolaire des Forges",
            date(2026, 7, 6),
            date(2026, 7, 31),
            new_school_uai="0420003A",
        ),
        world.clock.now(),
    )


async def test_staff_confirm_a_move_naming_what_moves_and_the_body_is_told(world: World) -> None:
    api = world.api
    agent = await world.registered("Claude", Role.COMMUNE)
    teacher = await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    view = await _move(world, "Claude")

    # A teacher's forged tap is refused in words; the move is not made.
    forged = await api.forge_callback(teacher, 1, f"ntc:moveok:{view.id}")
    assert api.callback_answer(forged) == {
        "text": "Vous n'avez pas accès à cette action.",
        "show_alert": True,
    }
    await api.send_text(staff, "/dossier N-2026-0001")
    await api.tap(staff, api.last(staff.id), "🚚 Confirmer le déménagement")
    assert world.last_text(staff) == (
        "Confirmer le déménagement de N-2026-0001 : les 5 objets de l'inventaire de"
        " École du Soleil passent à celui de École des Forges ?"
    )
    await api.tap(staff, api.last(staff.id), "✅ Confirmer le déménagement de N-2026-0001")
    assert "🚚 N-2026-0001 : déménagement enregistré." in world.texts(staff)
    assert world.last_text(agent) == (
        "🚚 N-2026-0001 — École du Soleil : la SEM a enregistré le déménagement."
    )
    # A second tap on the old confirmation: a word, nothing moves twice.
    await api.send_text(staff, "/dossier N-2026-0001")
    assert "État : pris en compte par la SEM" in world.last_text(staff)
    forged = await api.forge_callback(staff, 1, f"ntc:moveok:{view.id}")
    assert world.last_text(staff) == "Il n'y a plus rien à confirmer sur ce signalement."
    api.assert_no_refusals()


async def test_another_body_cannot_tap_a_notice_of_this_one(world: World) -> None:
    api = world.api
    await world.registered("Claude", Role.COMMUNE)
    other = await world.registered("Ines", Role.COMMUNE, commune="42095")
    view = await _works(world, "Claude")
    await api.forge_callback(other, 1, f"ntc:back:{view.id}")
    assert world.last_text(other) == "Je ne trouve pas ce signalement."
    await api.forge_callback(other, 1, "ntc:back:999999999")
    assert world.last_text(other) == "Je ne trouve pas ce signalement."
