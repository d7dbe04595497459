"""A flagging of unused or broken equipment in the staff's triage, like any ticket: the
queue, the dossier, the search by asset tag, the reporter's own list."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.collections import Condition
from bot.domain.roles import Role
from bot.services import collections
from storage.models import Person, School
from tests.conversations.conftest import World


async def _flag(world: World, reporter_name: str) -> collections.CollectionView:
    async with world.db.uow() as uow:
        reporter = await uow.session.scalar(select(Person).where(Person.full_name == reporter_name))
        school = await uow.session.scalar(select(School).where(School.uai == "0420001Y"))
        assert reporter is not None and school is not None
        reporter_id, school_id = reporter.id, school.id
    flagged = await collections.flag_equipment(
        world.db,
        collections.FlagEquipment(
            reporter_id,
            school_id,
            (
                collections.FlagItem("SEM-0004", Condition.BROKEN, "Lampe grillée"),
                collections.FlagItem("SEM-0005", Condition.UNUSED),
            ),
            place="Local du rez-de-chaussée <porte bleue>",
            availability=collections.Availability(frozenset({0, 3}), None, True),
        ),
        world.clock.now(),
    )
    return flagged.view


async def test_staff_find_a_flagging_in_the_queue_the_dossier_and_the_search(world: World) -> None:
    api = world.api
    await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    view = await _flag(world, "Zoé")
    assert view.number == "C-2026-0001"

    await api.send_text(staff, "/file")
    queue = world.last_text(staff)
    assert "C-2026-0001 · matériel inutilisé ou en panne · en attente" in queue

    await api.send_text(staff, "/dossier c-2026-0001")
    dossier = api.last(staff.id)
    text = dossier.text or ""
    assert text.startswith("📦 C-2026-0001 — matériel inutilisé ou en panne")
    assert "Lieu de regroupement : Local du rez-de-chaussée <porte bleue>" in text
    assert "Remise possible : lundi, jeudi · pendant les vacances" in text
    assert "SEM-0004 (vidéoprojecteur, Epson EB) — hors d'usage — réparation ou recyclage" in text
    assert "« Lampe grillée »" in text
    assert "SEM-0005 (visualiseur, IPEVO V4K) — non utilisé — en attente" in text
    assert "matériel signalé" in text  # the timeline
    item = view.items[0].id
    data = [d for row in dossier.buttons for _, d in row]
    assert f"col:dec:{item}:repair" in data and f"col:dec:{item}:recycle" in data
    assert "🔧 Réparer SEM-0004" in dossier.button_texts
    # The user's text came back escaped (the offline API parses the HTML as Telegram does).
    assert "&lt;porte bleue&gt;" in (dossier.raw_text or "")
    api.assert_no_refusals()

    await api.send_text(staff, "/recherche sem-0005")
    assert world.last_text(staff).startswith(
        "1 résultat pour « sem-0005 » :\n• C-2026-0001 · matériel inutilisé ou en panne"
    )


async def test_the_reporter_sees_the_flagging_and_another_school_does_not(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    other = await world.registered("Yann", Role.DIRECTOR, school="0420003A")
    await _flag(world, "Zoé")
    await api.send_text(teacher, "/mes_dossiers")
    assert "C-2026-0001" in world.last_text(teacher)
    assert "Collecte" in world.last_text(teacher)
    await api.send_text(other, "/dossier C-2026-0001")
    assert world.last_text(other) == "Je ne trouve pas ce signalement."


async def test_staff_are_reminded_through_telegram_of_items_unplanned_after_60_days(
    world: World,
) -> None:
    from datetime import timedelta

    from tests.conversations.test_claims import sweep

    api = world.api
    await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    await _flag(world, "Zoé")
    world.clock.advance(timedelta(days=59))
    assert (await sweep(world)).sent == 0
    world.clock.advance(timedelta(days=2))
    assert (await sweep(world)).sent == 1
    reminder = api.last(staff.id)
    assert (reminder.text or "").startswith(
        "⏰ C-2026-0001 — École du Soleil : signalé il y a 60 jours, 2 objets de la SEM ne sont"
    )
    assert "🔧 Réparer SEM-0004" in reminder.button_texts
    api.assert_no_refusals()


async def test_the_reporter_withdraws_a_flagging_from_its_card(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    view = await _flag(world, "Zoé")
    await api.forge_callback(teacher, 1, f"col:view:{view.id}")
    card = api.last(teacher.id)
    assert card.button_texts == ["🗑 Retirer le signalement"]
    await api.tap(teacher, card, "🗑 Retirer le signalement")
    assert world.last_text(teacher).startswith("Pourquoi retirer C-2026-0001 ?")
    await api.send_text(teacher, " … ")
    assert world.last_text(teacher) == "Dites en quelques mots pourquoi le signalement est retiré."
    await api.send_text(teacher, "Le vidéoprojecteur <remarche>")
    assert world.last_text(teacher) == (
        "Retirer C-2026-0001 ? 2 objets reviennent en service et sortent des tournées :"
        " SEM-0004, SEM-0005.\nRaison : « Le vidéoprojecteur <remarche> »"
    )
    await api.tap(teacher, api.last(teacher.id), "🗑 Oui, retirer C-2026-0001")
    assert world.last_text(teacher) == (
        "Le signalement C-2026-0001 est retiré : son matériel est de nouveau en service."
    )
    assert world.last_text(staff).startswith(
        "🗑 C-2026-0001 — École du Soleil : signalement retiré par Zoé."
    )
    # Withdrawn: the card offers it no more, and a stale tap gets a word.
    await api.forge_callback(teacher, 1, f"col:wd:{view.id}")
    assert world.last_text(teacher) == (
        "Ce signalement ne peut plus être retiré : tout son matériel est déjà traité."
    )
    api.assert_no_refusals()


async def test_another_teacher_cannot_withdraw_it(world: World) -> None:
    api = world.api
    await world.registered("Zoé", Role.TEACHER)
    other = await world.registered("Yves", Role.TEACHER)
    view = await _flag(world, "Zoé")
    await api.forge_callback(other, 1, f"col:wd:{view.id}")
    assert world.last_text(other) == "Je ne trouve pas ce signalement."
