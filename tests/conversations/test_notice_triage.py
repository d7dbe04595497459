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
