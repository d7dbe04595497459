"""A private school under an OGEC: its claims go to the OGEC's agents, never to the
commune's, from the report to the reminders (art. 1: one convention per body)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.domain.roles import Role
from handlers.telegram import reports
from handlers.telegram.offline import SimUser
from storage.models import Equipment, Reminder, ResponsibleBody, School
from tests.conversations.conftest import World
from tests.conversations.test_admin_tools import announcements_sent, audit
from tests.conversations.test_claims import sweep

OGEC = "OGEC-SAINTE-MARIE"


async def _private_school_under_an_ogec(world: World) -> None:
    now = world.clock.now()
    async with world.db.uow() as uow:
        ogec = ResponsibleBody(code=OGEC, name="OGEC Sainte-Marie", kind="ogec", created_at=now)
        school = School(
            uai="0420009G",
            name="École Sainte-Marie",
            commune_id=world.ids["st_etienne"],
            sector="private",
            body=ogec,
            created_at=now,
        )
        uow.session.add_all([ogec, school])
        await uow.session.flush()
        uow.session.add(
            Equipment(
                asset_tag="SEM-0201",
                school_id=school.id,
                type="tablet",
                model="iPad 9",
                owner="sem",
                acquired_on=date(2025, 9, 1),
                value_cents=40000,
                state="in_service",
                created_at=now,
                updated_at=now,
            )
        )
        await uow.commit()


async def _report_a_theft(world: World, teacher: SimUser) -> None:
    api = world.api
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    items = api.last(teacher.id)
    await api.tap(teacher, items, "SEM-0201 · tablette iPad 9")
    await api.tap(teacher, items, "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Tablette disparue de la classe")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")


async def test_a_claim_at_a_private_school_reaches_the_ogecs_agents_not_the_communes(
    world: World,
) -> None:
    await _private_school_under_an_ogec(world)
    api = world.api
    teacher = await world.registered("Inès", Role.TEACHER, school="0420009G")
    commune_agent = await world.registered("Claude", Role.COMMUNE, commune="42218")
    ogec_agent = await world.registered("Odile", Role.COMMUNE, body=OGEC)

    await _report_a_theft(world, teacher)
    # The reporter is told that the school's body (not « la commune ») has the duties.
    assert world.last_text(teacher).startswith(
        "✅ Sinistre S-2026-0001 enregistré. L'organisme gestionnaire de l'école et l'équipe"
    )

    # The OGEC's agent gets the duties with their buttons; the commune's agent nothing.
    notice = api.last(ogec_agent.id)
    assert notice.text is not None
    assert "Vos démarches, avant le jeudi 12 mars 2026 à 08:00" in notice.text
    assert "✅ Fait : déclaration écrite à l'assureur" in notice.button_texts
    assert api.sent_to(commune_agent.id) == []

    # +24 h: the sweep's reminder goes to the OGEC's agent only.
    world.clock.set(datetime(2026, 3, 11, 7, 0, tzinfo=UTC))
    api.clear()
    assert (await sweep(world)).sent == 1
    assert [s.chat_id for s in api.sent if s.method == "sendMessage"] == [ogec_agent.id]
    assert world.last_text(ogec_agent).startswith("⏰ Sinistre S-2026-0001 (École Sainte-Marie)")

    # The OGEC's agent follows the claim and sees whose duties they are; the commune's
    # agent cannot even find it.
    await api.send_text(ogec_agent, "/sinistre S-2026-0001")
    card = world.last_text(ogec_agent)
    assert "Organisme gestionnaire : OGEC Sainte-Marie" in card
    assert "Démarches de l'organisme gestionnaire (48 h)" in card
    await api.send_text(commune_agent, "/sinistre S-2026-0001")
    assert world.last_text(commune_agent) == (
        "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."
    )


async def test_a_claim_at_a_public_school_still_reaches_the_communes_agents(world: World) -> None:
    await _private_school_under_an_ogec(world)
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    commune_agent = await world.registered("Claude", Role.COMMUNE, commune="42218")
    ogec_agent = await world.registered("Odile", Role.COMMUNE, body=OGEC)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    items = api.last(teacher.id)
    await api.tap(teacher, items, "SEM-0001 · tablette iPad 9")
    await api.tap(teacher, items, "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Tablette disparue")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    assert world.last_text(teacher).startswith(
        "✅ Sinistre S-2026-0001 enregistré. La commune et l'équipe"
    )
    assert "Vos démarches" in world.last_text(commune_agent)
    assert api.sent_to(ogec_agent.id) == []


async def test_an_ogecs_claim_followed_to_payment_reads_organisme_gestionnaire_throughout(
    world: World,
) -> None:
    """Every message the OGEC's agent receives, from the duties to the payment and the
    recovery, names « l'organisme gestionnaire », never « la commune » or « votre commune »;
    the staff read the OGEC's name where they read the commune's for a public school."""
    await _private_school_under_an_ogec(world)
    api = world.api
    teacher = await world.registered("Inès", Role.TEACHER, school="0420009G")
    ogec_agent = await world.registered("Odile", Role.COMMUNE, body=OGEC)
    commune_agent = await world.registered("Claude", Role.COMMUNE, commune="42218")
    staff = await world.registered("Sacha", Role.STAFF)

    # The summary before sending already says whose duties they will be.
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    items = api.last(teacher.id)
    await api.tap(teacher, items, "SEM-0201 · tablette iPad 9")
    await api.tap(teacher, items, "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Tablette disparue de la classe")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    assert "Dès l'envoi, l'organisme gestionnaire de l'école devra" in world.last_text(teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    assert "Démarches de l'organisme gestionnaire (OGEC Sainte-Marie) avant le" in (
        world.last_text(staff)
    )
    staff_notice = api.last(staff.id)
    notice = api.last(ogec_agent.id)
    # The staff's queue and search word the state for the OGEC too.
    await api.send_text(staff, "/file")
    assert "S-2026-0001 · sinistre · déclaré, démarches de l'organisme gestionnaire en cours" in (
        world.last_text(staff)
    )
    await api.send_text(staff, "/recherche Sainte-Marie")
    assert "déclaré, démarches de l'organisme gestionnaire en cours" in world.last_text(staff)

    # +48 h without the duties: the staff's alert names the OGEC.
    world.clock.set(datetime(2026, 3, 12, 8, 0, tzinfo=UTC))
    await sweep(world)
    assert world.last_text(staff) == (
        "🚨 Délai de 48 h dépassé pour le sinistre S-2026-0001 (École Sainte-Marie, "
        "Saint-Étienne ; organisme gestionnaire : OGEC Sainte-Marie) : démarches non "
        "confirmées : déclaration écrite à l'assureur, information de la police ou de la "
        "gendarmerie, dépôt de plainte."
    )

    # The pledge: the OGEC pays, not « la commune ».
    await api.tap(ogec_agent, notice, "📝 Envoyer la fiche d'engagement")
    await api.tap(ogec_agent, api.last(ogec_agent.id), "Retenir 320,00\xa0€")
    modes = api.last(ogec_agent.id).button_texts
    assert "versement par l'organisme gestionnaire" in modes
    assert "versement par la commune" not in modes
    await api.tap(ogec_agent, api.last(ogec_agent.id), "versement par l'organisme gestionnaire")
    await api.send_text(ogec_agent, "15/06/2026")
    assert "Mode : versement par l'organisme gestionnaire" in world.last_text(ogec_agent)
    await api.tap(ogec_agent, api.last(ogec_agent.id), "✅ Envoyer la fiche")
    pledged = api.last(staff.id)
    assert pledged.text == (
        "📝 Fiche d'engagement de versement reçue — sinistre S-2026-0001 (École Sainte-Marie,"
        " Saint-Étienne ; organisme gestionnaire : OGEC Sainte-Marie)\n"
        "Montant estimé : 320,00\xa0€\n"
        "Mode de paiement : versement par l'organisme gestionnaire\n"
        "Date prévisionnelle du versement : lundi 15 juin 2026"
    )

    # Completion: the staff are told the OGEC has a year, and the OGEC is told.
    await api.tap(staff, pledged, "📁 Dossier complet")
    assert "l'organisme gestionnaire (OGEC Sainte-Marie) aura un an pour verser" in (
        world.last_text(staff)
    )
    await api.tap(staff, api.last(staff.id), "✅ Oui, complet malgré tout")
    assert world.last_text(staff).endswith(
        "; l'organisme gestionnaire (OGEC Sainte-Marie) est prévenu et sera relancé."
    )
    assert "au plus tard le vendredi 12 mars 2027" in world.last_text(ogec_agent)

    # The replacement installed: its list goes to the OGEC.
    await api.tap(staff, staff_notice, "🔁 Remplacement")
    await api.tap(staff, api.last(staff.id), "SEM-0201")
    await api.tap(staff, api.last(staff.id), "Installé")
    await api.tap(staff, api.last(staff.id), "Aujourd'hui")
    await api.send_text(staff, "429,90")
    await api.send_text(staff, "SEM-0301")  # the new item's tag
    await api.tap(staff, api.last(staff.id), "Même modèle : iPad 9")
    await api.tap(staff, api.last(staff.id), "✅ Ajouter à l'inventaire")
    assert world.last_text(ogec_agent).startswith("📦 Remplacement du sinistre S-2026-0001")

    # Paid in full, then the stolen tablet turns up: the OGEC may take it back.
    await api.tap(staff, pledged, "💶 Enregistrer un paiement")
    await api.tap(staff, api.last(staff.id), "Retenir 320,00\xa0€")
    await api.tap(staff, api.last(staff.id), "Aujourd'hui")
    await api.tap(staff, api.last(staff.id), "l'assureur, directement à SEM")
    await api.tap(staff, api.last(staff.id), "✅ Enregistrer le paiement")
    assert world.last_text(ogec_agent).startswith(
        "✅ Le sinistre S-2026-0001 (École Sainte-Marie) est remboursé intégralement et clos."
    )
    await api.send_text(staff, "/dossier S-2026-0001")
    await api.tap(staff, api.last(staff.id), "🔙 Objets retrouvés")
    await api.tap(staff, api.last(staff.id), "✔️ Terminé")
    assert world.last_text(staff) == (
        "Objets du sinistre S-2026-0001 retrouvés. Quand l'organisme gestionnaire "
        "(OGEC Sainte-Marie) ou SEM en ont-ils été avisés ?"
    )
    await api.tap(staff, api.last(staff.id), "Maintenant")
    await api.tap(staff, api.last(staff.id), "Intact (0 €)")
    await api.tap(staff, api.last(staff.id), "✅ Enregistrer")
    assert world.last_text(staff) == (
        "🔙 Récupération enregistrée pour le sinistre S-2026-0001 ; "
        "l'organisme gestionnaire (OGEC Sainte-Marie) est prévenu."
    )
    assert "l'organisme gestionnaire rembourse à son assureur 320,00\xa0€" in (
        world.last_text(ogec_agent)
    )
    async with world.db.uow() as uow:
        due = await uow.session.scalar(
            select(Reminder.due_at).where(Reminder.key == "claim:1-recovery:1:d-3")
        )
    assert due is not None
    world.clock.set(due)
    await sweep(world)
    assert "l'organisme gestionnaire doit le demander au plus tard le" in (
        world.last_text(ogec_agent)
    )

    # Their own profile, list and card say the same.
    await api.send_text(ogec_agent, "/moi")
    profile = world.last_text(ogec_agent)
    assert "Rôle : agent d'organisme gestionnaire" in profile
    assert "Périmètre : OGEC Sainte-Marie (organisme gestionnaire, code OGEC-SAINTE-MARIE)" in (
        profile
    )
    await api.send_text(ogec_agent, "/mes_dossiers")
    assert "Dossiers — OGEC Sainte-Marie" in world.last_text(ogec_agent)
    await api.send_text(ogec_agent, "/sinistre S-2026-0001")
    assert "Mode : versement par l'organisme gestionnaire" not in world.last_text(ogec_agent)
    assert "versement par l'organisme gestionnaire" in world.last_text(ogec_agent)

    received = world.texts(ogec_agent)
    assert len(received) >= 10
    for text in received:
        assert "commune" not in text.lower(), text
    assert api.sent_to(commune_agent.id) == []
    staff_texts = "\n".join(world.texts(staff))
    assert "la commune" not in staff_texts
    assert "Démarches de la commune" not in staff_texts
    api.assert_no_refusals()


async def test_a_public_schools_claim_still_reads_commune(world: World) -> None:
    await _private_school_under_an_ogec(world)
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    commune_agent = await world.registered("Claude", Role.COMMUNE, commune="42218")
    staff = await world.registered("Sacha", Role.STAFF)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    items = api.last(teacher.id)
    await api.tap(teacher, items, "SEM-0001 · tablette iPad 9")
    await api.tap(teacher, items, "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Tablette disparue")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    assert "Dès l'envoi, la commune devra" in world.last_text(teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    assert "Démarches de la commune avant le" in world.last_text(staff)

    await api.tap(commune_agent, api.last(commune_agent.id), "📝 Envoyer la fiche d'engagement")
    await api.send_text(commune_agent, "300")
    modes = api.last(commune_agent.id).button_texts
    assert "versement par la commune" in modes
    await api.tap(commune_agent, api.last(commune_agent.id), "versement par la commune")
    await api.send_text(commune_agent, "15/06/2026")
    await api.tap(commune_agent, api.last(commune_agent.id), "✅ Envoyer la fiche")
    pledged = api.last(staff.id)
    assert pledged.text.startswith(
        "📝 Fiche d'engagement de versement reçue — sinistre S-2026-0001 (École du Soleil,"
        " Saint-Étienne)\nMontant estimé : 300,00\xa0€\n"
    )
    await api.tap(staff, pledged, "📁 Dossier complet")
    assert "la commune aura un an pour verser" in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), "✅ Oui, complet malgré tout")
    assert world.last_text(staff).endswith("; la commune est prévenue et sera relancée.")

    await api.send_text(commune_agent, "/moi")
    assert "Rôle : agent de commune" in world.last_text(commune_agent)
    await api.send_text(commune_agent, "/mes_dossiers")
    assert "Dossiers — commune de " in world.last_text(commune_agent)
    await api.send_text(commune_agent, "/sinistre S-2026-0001")
    card = world.last_text(commune_agent)
    assert "Démarches de la commune (48 h)" in card
    assert "versement par la commune" in card


@pytest.mark.filterwarnings(
    # Offline, the application is not started: its tasks are awaited by the test.
    "ignore:Tasks created via `Application.create_task`:telegram.warnings.PTBUserWarning"
)
async def test_an_announcement_to_one_ogecs_agents_reaches_them_and_not_the_communes(
    world: World,
) -> None:
    await _private_school_under_an_ogec(world)
    api = world.api
    sacha = await world.registered("Sacha", Role.STAFF)
    ogec_agent = await world.registered("Odile", Role.COMMUNE, body=OGEC)
    commune_agent = await world.registered("Claude", Role.COMMUNE, commune="42218")
    director = await world.registered("Dora", Role.DIRECTOR, school="0420009G")

    await api.send_text(sacha, "/annonce")
    await api.tap(
        sacha, api.last(sacha.id), "Les agents d'un organisme gestionnaire (OGEC, institut)…"
    )
    await api.send_text(sacha, "saint-etienne")  # a commune's own body is not offered
    assert world.last_text(sacha) == (
        "Aucun organisme gestionnaire ne correspond à « saint-etienne ». "
        "Essayez une autre partie du nom, ou son code."
    )
    await api.send_text(sacha, "sainte-marie")
    assert api.last(sacha.id).button_texts == [
        "OGEC Sainte-Marie (OGEC-SAINTE-MARIE)",
        "✖️ Annuler",
    ]
    await api.tap(sacha, api.last(sacha.id), "OGEC Sainte-Marie (OGEC-SAINTE-MARIE)")
    assert world.last_text(sacha).startswith(
        "Annonce pour les agents de l'organisme gestionnaire OGEC Sainte-Marie (1 personne)."
    )
    await api.send_text(sacha, "Inventaire des tablettes")
    await api.tap(sacha, api.last(sacha.id), "📣 Envoyer")
    await announcements_sent(world)
    assert world.last_text(ogec_agent).endswith("Inventaire des tablettes\n\n— Sacha")
    assert api.sent_to(commune_agent.id) == []
    assert api.sent_to(director.id) == []
    sent, _ = await audit(world, "announcement")
    assert (sent.details["audience"], sent.details["recipients"]) == ("body", 1)

    # The commune's agents are its own body's: the OGEC's agent, whose school is in
    # Saint-Étienne, is not one of them.
    api.clear()
    await api.send_text(sacha, "/annonce")
    await api.tap(sacha, api.last(sacha.id), "Les agents d'une commune…")
    await api.send_text(sacha, "saint-etienne")
    await api.tap(sacha, api.last(sacha.id), "Saint-Étienne (42218)")
    assert world.last_text(sacha).startswith(
        "Annonce pour les agents de la commune de Saint-Étienne (1 personne)."
    )
    await api.send_text(sacha, "Collecte le 3 avril")
    await api.tap(sacha, api.last(sacha.id), "📣 Envoyer")
    await announcements_sent(world)
    assert world.last_text(commune_agent).endswith("Collecte le 3 avril\n\n— Sacha")
    assert api.sent_to(ogec_agent.id) == []

    # « All agents » still reaches both.
    api.clear()
    await api.send_text(sacha, "/annonce")
    await api.tap(
        sacha, api.last(sacha.id), "Tous les agents (communes et organismes gestionnaires)"
    )
    assert world.last_text(sacha).startswith(
        "Annonce pour tous les agents des communes et des organismes gestionnaires (2 personnes)."
    )
    api.assert_no_refusals()


async def test_an_ogecs_yearly_list_names_the_organisme_gestionnaire(world: World) -> None:
    await _private_school_under_an_ogec(world)
    api = world.api
    ogec_agent = await world.registered("Odile", Role.COMMUNE, body=OGEC)
    async with world.db.uow() as uow:
        school = await uow.directory.school_by_uai("0420009G")
        assert school is not None
        uow.session.add(
            Equipment(
                asset_tag="SEM-0202",
                school_id=school.id,
                type="tablet",
                model="iPad 10",
                owner="sem",
                acquired_on=date(2026, 9, 1),
                installed_on=date(2026, 9, 3),  # the list is by installation (decision 0022)
                value_cents=45000,
                state="in_service",
                created_at=world.clock.now(),
                updated_at=world.clock.now(),
            )
        )
        await uow.commit()
    world.clock.set(datetime(2027, 1, 15, 7, 0, tzinfo=UTC))
    await reports.run_reports(world.app, worker="test")

    lists = [t for t in world.texts(ogec_agent) if t.startswith("📋")]
    assert lists == [
        "📋 Nouveaux équipements installés en 2026 dans les écoles de l'organisme gestionnaire "
        "OGEC Sainte-Marie : 1 équipement, valeur totale 450,00\xa0€.\n"
        "La liste jointe sert à mettre à jour vos contrats d'assurance "
        "(article 6 de la convention)."
    ]
    upload = next(s for s in api.sent if s.method == "sendDocument" and s.chat_id == ogec_agent.id)
    sheet = load_workbook(io.BytesIO(upload.params["document"].data))["Nouveaux équipements"]
    notes = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("dans les écoles de l'organisme gestionnaire OGEC Sainte-Marie" in n for n in notes)
    assert "tablette" in notes and "tablet" not in notes  # the type in words, not its code
