"""Staff triage in chat: the queue, overdue tickets, one ticket in full, search, assignment."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.roles import Role
from handlers.telegram.offline import SimUser
from storage.models import Attachment
from tests.conversations.conftest import World
from tests.conversations.test_claims import report_two_tablets


async def _report(world: World, reporter: SimUser, tag: str, kind: str = "Perte") -> None:
    api = world.api
    await api.send_text(reporter, "/signaler")
    await api.tap(reporter, api.last(reporter.id), kind)
    await api.send_text(reporter, tag)
    await api.tap(reporter, api.last(reporter.id), "✔️ Terminé (1 choisi)")
    await api.send_text(reporter, "aujourd'hui 9h")
    await api.send_text(reporter, "Disparu de la salle informatique")
    await api.tap(reporter, api.last(reporter.id), "✔️ Terminé")
    await api.tap(reporter, api.last(reporter.id), "✅ Confirmer l'envoi")


async def test_the_queue_puts_overdue_tickets_first_and_filters_them(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    other = await world.registered("Yann", Role.TEACHER, school="0420003A")
    staff = await world.registered("Sacha", Role.STAFF)
    await _report(world, teacher, "SEM-0003")  # S-2026-0001, Saint-Étienne
    world.clock.advance(timedelta(days=1))
    await _report(world, other, "SEM-0101")  # S-2026-0002, Firminy
    world.clock.advance(timedelta(days=1, hours=2))  # the first one's 48 h have passed

    await api.send_text(staff, "/file")

    queue = api.last(staff.id)
    assert queue.text is not None
    assert queue.text.startswith("Dossiers ouverts : 2 (page 1/1)")
    first, second = (
        queue.text.split("\n\n")[1].split("\n")[0],
        queue.text.split("\n\n")[1].split("\n")[2],
    )
    assert first == "⚠️ S-2026-0001 · sinistre · déclaré, démarches de la commune en cours"
    assert second == "S-2026-0002 · sinistre · déclaré, démarches de la commune en cours"
    details = "École du Soleil (Saint-Étienne) · ouvert il y a 2 j · échéance 12/03/2026 09:00"
    assert f"{details} · non attribué" in queue.text
    assert queue.button_texts[:2] == ["⚠️ S-2026-0001", "S-2026-0002"]

    await api.tap(staff, queue, "⚠️ En retard seulement")
    assert world.last_text(staff).startswith("Dossiers en retard : 1 (page 1/1)")
    await api.send_text(staff, "/retards")
    assert world.last_text(staff).startswith("Dossiers en retard : 1 (page 1/1)")

    await api.tap(staff, api.last(staff.id), "🏘 Par commune")
    assert api.last(staff.id).button_texts == ["Firminy (1)", "Saint-Étienne (1)", "Tout"]
    await api.tap(staff, api.last(staff.id), "Firminy (1)")
    assert world.last_text(staff).startswith("Dossiers ouverts : 1 (page 1/1)")
    assert "S-2026-0002" in world.last_text(staff) and "S-2026-0001" not in world.last_text(staff)
    api.assert_no_refusals()


async def test_a_teacher_cannot_use_the_staff_commands_nor_their_buttons(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    for command in ("/file", "/retards", "/recherche Soleil"):
        await api.send_text(teacher, command)
        assert world.last_text(teacher) == "Vous n'avez pas accès à cette action."
    forged = await api.forge_callback(teacher, api.last(teacher.id).message_id, "tk:take:1")
    assert api.callback_answer(forged) == {
        "text": "Vous n'avez pas accès à cette action.",
        "show_alert": True,
    }
    forged = await api.forge_callback(teacher, api.last(teacher.id).message_id, "tq:0:0:1:-")
    assert api.callback_answer(forged) == {
        "text": "Vous n'avez pas accès à cette action.",
        "show_alert": True,
    }


async def test_a_dossier_in_full_with_assignment_and_files_resent(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    sacha = await world.registered("Sacha", Role.STAFF)
    await world.registered("Lou", Role.STAFF)
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")

    await api.send_text(sacha, "/dossier s-2026-0001")

    dossier = api.last(sacha.id)
    assert dossier.text is not None
    assert dossier.text.startswith(
        "Sinistre S-2026-0001 — Vol\nÉtat : déclaré, démarches de la commune en cours"
    )
    assert "Suivi par : non attribué" in dossier.text
    assert "Pièces jointes : 1" in dossier.text
    assert "sinistre déclaré" in dossier.text  # the timeline
    assert dossier.button_texts[:5] == [
        "🙋 Je le prends",
        "👥 Attribuer",
        "💬 Répondre au déclarant",
        "🔒 Note interne",
        "📎 Renvoyer les pièces (1)",
    ]

    await api.tap(sacha, dossier, "🙋 Je le prends")
    assert world.last_text(sacha) == "👤 Dossier S-2026-0001 attribué à Sacha."
    await api.tap(sacha, dossier, "👥 Attribuer")
    assert api.last(sacha.id).button_texts == ["Sacha", "Lou"]
    await api.tap(sacha, api.last(sacha.id), "Lou")
    assert world.last_text(sacha) == "👤 Dossier S-2026-0001 attribué à Lou."

    await api.tap(sacha, dossier, "📎 Renvoyer les pièces (1)")
    resent = api.last(sacha.id)
    assert resent.photo is not None
    assert resent.caption == "S-2026-0001 — pièce du signalement"

    await api.send_text(sacha, "/dossier S-2026-0001")
    assert "Suivi par : Lou" in world.last_text(sacha)
    assert "dossier attribué" in world.last_text(sacha)
    api.assert_no_refusals()


async def test_a_commune_agent_cannot_open_another_communes_ticket(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Dana", Role.COMMUNE, commune="42095")
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")

    await api.send_text(agent, "/dossier S-2026-0001")

    assert world.last_text(agent) == "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."
    # The reporter, within their scope, does see it, without staff actions.
    await api.send_text(teacher, "/dossier S-2026-0001")
    assert world.last_text(teacher).startswith("Sinistre S-2026-0001 — Vol")
    assert api.last(teacher.id).buttons == []


async def test_search_by_number_asset_tag_school_uai_and_commune(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")

    for needle in ("S-2026-0001", "sem-0002", "Soleil", "0420001Y", "Saint-Étienne", "42218"):
        await api.send_text(staff, f"/recherche {needle}")
        assert world.last_text(staff).startswith(
            f"1 résultat pour « {needle} » :\n• S-2026-0001 · sinistre"
        )
    await api.send_text(staff, "/recherche Lune")
    assert world.last_text(staff) == "Aucun dossier ne correspond à « Lune »."
    await api.send_text(staff, "/recherche x")
    assert world.last_text(staff).startswith("Tapez au moins deux caractères")
    await api.send_text(staff, "/recherche <b>&")
    assert world.last_text(staff) == "Aucun dossier ne correspond à « <b>& »."
    api.assert_no_refusals()


async def test_a_closed_claim_can_be_reopened_by_staff(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    await api.tap(staff, api.last(staff.id), "🗂 Clore")
    await api.send_text(staff, "Erreur de saisie")
    await api.tap(staff, api.last(staff.id), "🗂 Clore")

    await api.send_text(staff, "/dossier S-2026-0001")
    dossier = api.last(staff.id)
    assert "État : clos" in (dossier.text or "")
    await api.tap(staff, dossier, "♻️ Rouvrir")

    assert (
        world.last_text(staff)
        == "♻️ Dossier S-2026-0001 rouvert : déclaré, démarches de la commune en cours."
    )


async def test_the_queue_filters_by_state(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    await _report(world, teacher, "SEM-0003")
    await _report(world, teacher, "SEM-0004")
    # The commune sends the pledge of the second: it becomes « fiche d'engagement reçue ».
    await api.tap(agent, api.last(agent.id), "📝 Envoyer la fiche d'engagement")
    await api.send_text(agent, "100")
    await api.tap(agent, api.last(agent.id), "versement par la commune")
    await api.send_text(agent, "30/06/2026")
    await api.tap(agent, api.last(agent.id), "✅ Envoyer la fiche")

    await api.send_text(staff, "/file")
    await api.tap(staff, api.last(staff.id), "🏷 Par état")
    assert api.last(staff.id).button_texts == [
        "fiche d'engagement reçue (1)",
        "déclaré, démarches de la commune en cours (1)",
        "Tout",
    ]
    await api.tap(staff, api.last(staff.id), "fiche d'engagement reçue (1)")

    queue = world.last_text(staff)
    assert queue.startswith("Dossiers ouverts : 1 (page 1/1)")
    assert "S-2026-0002 · sinistre · fiche d'engagement reçue" in queue
    # A forged state is ignored, not trusted.
    forged = await api.forge_callback(staff, api.last(staff.id).message_id, "tq:0:0:0:hacked")
    assert api.callback_answer(forged) == {}
    assert world.last_text(staff).startswith("Dossiers ouverts : 2 (page 1/1)")
    api.assert_no_refusals()


async def test_staff_reply_to_the_reporter_and_write_a_note_from_the_dossier(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    await _report(world, teacher, "SEM-0003")
    await api.send_text(staff, "/dossier S-2026-0001")
    dossier = api.last(staff.id)

    await api.tap(staff, dossier, "💬 Répondre au déclarant")
    assert world.last_text(staff) == "Tapez votre message au déclarant (ou /annuler) :"
    await api.send_text(staff, "Merci, la police a-t-elle un <numéro> & une date ?")
    assert "Merci, la police a-t-elle un <numéro> & une date ?" in world.last_text(teacher)

    api.clear()
    await api.tap(staff, dossier, "🔒 Note interne")
    await api.send_text(staff, "Troisième vol cette année dans cette école")
    assert api.sent_to(teacher.id) == []

    await api.send_text(staff, "/dossier S-2026-0001")
    text = world.last_text(staff)
    assert "Sacha : Merci, la police a-t-elle un <numéro> & une date ?" in text
    assert "🔒 note interne de Sacha : Troisième vol cette année dans cette école" in text
    await api.send_text(teacher, "/dossier S-2026-0001")
    assert "Troisième vol" not in world.last_text(teacher)
    api.assert_no_refusals()


async def test_files_resent_are_this_platforms_and_the_others_are_counted(world: World) -> None:
    """A file id means something only where it was sent (decision 0016): Telegram is not
    asked for a Discord file; staff are told it exists."""
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    sacha = await world.registered("Sacha", Role.STAFF)
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    async with world.db.uow() as uow:
        ticket = await uow.tickets.by_number("S-2026-0001")
        assert ticket is not None
        for n in (1, 2):
            uow.session.add(
                Attachment(
                    ticket_id=ticket.id,
                    kind="document",
                    purpose="invoice_or_quote",
                    platform="discord",
                    file_id=f"https://cdn.discordapp.com/attachments/{n}",
                    file_unique_id=f"discord-{n}",
                    file_name=f"devis-{n}.pdf",
                    created_at=world.clock.now(),
                )
            )
        await uow.commit()

    await api.send_text(sacha, "/dossier S-2026-0001")
    dossier = api.last(sacha.id)
    api.clear()
    await api.tap(sacha, dossier, "📎 Renvoyer les pièces (3)")
    assert [s.method for s in api.sent if s.method.startswith("send")] == [
        "sendPhoto",
        "sendMessage",
    ]
    photo, told = api.messages(sacha.id)[-2:]
    assert photo.caption == "S-2026-0001 — pièce du signalement"
    assert told.text == (
        "📎 2 pièces du dossier S-2026-0001 ont été reçues sur Discord : "
        "elles ne peuvent pas être renvoyées ici."
    )
    api.assert_no_refusals()
