"""Staff plan a collection from a works notice (art. 1: « récupérer le matériel »): the
items of the rooms as toggles, where they will be gathered, a confirmation naming them;
then the flagging's card reaches staff and the school's head hears that SEM will come."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.roles import Role
from storage.models import Equipment, Notice
from tests.conversations.conftest import World
from tests.conversations.test_notice_triage import _works


async def _room(world: World, tag: str, room: str) -> None:
    async with world.db.uow() as uow:
        item = await uow.session.scalar(select(Equipment).where(Equipment.asset_tag == tag))
        assert item is not None
        item.room = room
        await uow.commit()


async def test_staff_collect_the_rooms_items_from_a_works_notice(world: World) -> None:
    api = world.api
    await world.registered("Claude", Role.COMMUNE)
    head = await world.registered("Dominique", Role.DIRECTOR)
    staff = await world.registered("Sacha", Role.STAFF)
    await _room(world, "SEM-0005", "salle 2 (fond)")
    async with world.db.uow() as uow:
        visualiser = await uow.session.scalar(
            select(Equipment).where(Equipment.asset_tag == "SEM-0005")
        )
        assert visualiser is not None
        visualiser.model = "IPEVO <V4K> & co"
        await uow.commit()
    await _works(world, "Claude")  # renovation of « salle 2 »: SEM-0004 and SEM-0005

    await api.send_text(staff, "/dossier N-2026-0001")
    card = api.last(staff.id)
    assert "📦 Collecter le matériel des salles" in card.button_texts
    await api.tap(staff, card, "📦 Collecter le matériel des salles")
    assert world.last_text(staff).startswith(
        "📦 N-2026-0001 — École du Soleil : quels objets la SEM doit-elle collecter"
    )
    toggles = api.last(staff.id)
    assert toggles.button_texts == [
        "☑️ SEM-0004 (vidéoprojecteur, Epson EB) — Salle 2",
        "☑️ SEM-0005 (visualiseur, IPEVO <V4K> & co) — salle 2 (fond)",
        "Continuer ▶️ (2 choisis)",
    ]
    await api.tap(staff, toggles, 1)  # the visualiser stays
    assert api.last(staff.id).button_texts[1:] == [
        "⬜ SEM-0005 (visualiseur, IPEVO <V4K> & co) — salle 2 (fond)",
        "Continuer ▶️ (1 choisi)",
    ]
    await api.tap(staff, toggles, 0)
    tapped = await api.tap(staff, toggles, "Continuer ▶️ (0 choisi)")  # none chosen: a word
    assert api.callback_answer(tapped) == {
        "text": "Choisissez au moins un objet.",
        "show_alert": True,
    }
    await api.tap(staff, toggles, 0)
    await api.tap(staff, toggles, "Continuer ▶️ (1 choisi)")
    assert world.last_text(staff).startswith("Où le matériel sera-t-il regroupé")
    await api.send_text(staff, "   ")
    assert world.last_text(staff) == "Dites où le matériel est regroupé dans l'école."
    await api.send_text(staff, "Bureau <direction> & placard")
    assert world.last_text(staff) == (
        "Planifier la collecte de 1 objet de la SEM pour N-2026-0001 — École du Soleil ?\n"
        "• SEM-0004 (vidéoprojecteur, Epson EB) — Salle 2\n"
        "Regroupé : « Bureau <direction> & placard »"
    )
    await api.tap(staff, api.last(staff.id), "✅ Planifier la collecte")

    assert world.last_text(staff) == (
        "📦 N-2026-0001 : collecte C-2026-0001 planifiée, 1 objet."
        " La tournée se prépare avec /tournees."
    )
    flagging = world.texts(staff)[-2]  # the collection's card, with staff's actions
    assert flagging.startswith("📦 Nouveau signalement C-2026-0001 — École du Soleil")
    assert "« travaux : Peinture <et> sols »" in flagging
    assert world.last_text(head) == (
        "📦 N-2026-0001 — École du Soleil : avant les travaux, la SEM va collecter son"
        " matériel des salles concernées (C-2026-0001) :\n"
        "• SEM-0004 (vidéoprojecteur, Epson EB) — Salle 2\n"
        "Merci de le regrouper : « Bureau <direction> & placard ». La date de passage vous"
        " sera proposée."
    )
    async with world.db.uow() as uow:
        notice = await uow.session.scalar(select(Notice))
        projector = await uow.session.scalar(
            select(Equipment).where(Equipment.asset_tag == "SEM-0004")
        )
    assert notice is not None and notice.collection_id is not None
    assert projector is not None and projector.state == "unused"

    # The card no longer offers it; an old button gets a word.
    await api.send_text(staff, "/dossier N-2026-0001")
    dossier = api.last(staff.id)
    assert "📦 Collecter le matériel des salles" not in dossier.button_texts
    assert "Collecte du matériel de la SEM : C-2026-0001" in (dossier.text or "")
    assert "collecte C-2026-0001 planifiée, 1 objet" in (dossier.text or "")
    await api.tap(staff, card, "📦 Collecter le matériel des salles")
    assert world.last_text(staff) == "Une collecte est déjà planifiée pour ce signalement."
    api.assert_no_refusals()


async def test_the_collection_dialogue_is_left_with_annuler(world: World) -> None:
    api = world.api
    await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    view = await _works(world, "Claude")
    await api.forge_callback(staff, 1, f"ntc:collect:{view.id}")
    await api.tap(staff, api.last(staff.id), "Continuer ▶️ (1 choisi)")
    await api.send_text(staff, "/annuler")
    assert world.last_text(staff) == "C'est annulé. Rien n'a été envoyé."
    await api.send_text(staff, "Salle des maîtres")
    assert "Je n'ai pas compris" in world.last_text(staff)
    async with world.db.uow() as uow:
        notice = await uow.session.scalar(select(Notice))
    assert notice is not None and notice.collection_id is None
