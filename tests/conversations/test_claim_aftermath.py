"""After the report: documents, replacement with its new value, recovery of stolen items."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.domain.roles import Role
from handlers.telegram.offline import SimUser
from storage.models import Attachment, Reminder
from tests.conversations.conftest import World
from tests.conversations.test_claims import report_two_tablets, sweep


async def _reported(world: World) -> tuple[SimUser, SimUser, SimUser]:
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    await report_two_tablets(world, teacher)
    await world.api.tap(teacher, world.api.last(teacher.id), "✅ Confirmer l'envoi")
    return teacher, agent, staff


async def test_the_commune_attaches_the_complaint_receipt(world: World) -> None:
    api = world.api
    _, agent, _ = await _reported(world)
    notice = api.last(agent.id)

    await api.tap(agent, notice, "📎 Joindre un document")
    assert api.last(agent.id).button_texts == [
        "Facture ou devis",
        "Déclaration à l'assureur",
        "Courrier de l'assureur",
        "Récépissé de plainte",
        "Procès-verbal de police",
        "Photo du sinistre",
        "Autre document",
    ]
    await api.tap(agent, api.last(agent.id), "Récépissé de plainte")
    await api.send_text(agent, "voici")
    assert world.last_text(agent) == "Envoyez le fichier (photo ou document)."
    await api.send_document(agent, b"%PDF-1.4 recu", "recepisse.pdf", "application/pdf")

    assert world.last_text(agent) == "📎 Récépissé de plainte joint au sinistre S-2026-0001."
    async with world.db.uow() as uow:
        files = (await uow.session.scalars(select(Attachment).order_by(Attachment.id))).all()
    assert [(f.kind, f.purpose, f.file_name) for f in files] == [
        ("photo", "evidence", None),
        ("document", "complaint_receipt", "recepisse.pdf"),
    ]


async def test_replacement_ordered_then_installed_and_the_commune_gets_the_new_value(
    world: World,
) -> None:
    api = world.api
    _, agent, staff = await _reported(world)
    staff_notice = api.last(staff.id)

    await api.tap(staff, staff_notice, "🔁 Remplacement")
    await api.tap(staff, api.last(staff.id), "SEM-0001")
    await api.tap(staff, api.last(staff.id), "Commandé")
    await api.tap(staff, api.last(staff.id), "Aujourd'hui")
    assert (
        world.last_text(staff) == "🔁 Remplacement de SEM-0001 enregistré (sinistre S-2026-0001)."
    )

    world.clock.advance(timedelta(days=20))
    await api.tap(staff, staff_notice, "🔁 Remplacement")
    await api.tap(staff, api.last(staff.id), "SEM-0001")
    await api.tap(staff, api.last(staff.id), "Installé")
    await api.send_text(staff, "25/03/2026")
    await api.send_text(staff, "429,90")
    # The new item enters the inventory: its tag (checked), its model (the old one's
    # unless changed), then a confirmation naming what is written.
    assert world.last_text(staff).startswith("Étiquette du nouveau matériel ?")
    await api.send_text(staff, "SEM-0002")  # another tablet's tag: refused, asked again
    assert world.last_text(staff) == (
        "L'étiquette SEM-0002 est déjà celle d'un autre matériel : écrivez l'étiquette du nouveau."
    )
    await api.send_text(staff, "sem 0420")
    await api.tap(staff, api.last(staff.id), "Même modèle : iPad 9")
    assert world.last_text(staff) == (
        "Remplacement installé pour le sinistre S-2026-0001 :\n"
        "• ancien matériel : SEM-0001 (retiré de l'inventaire)\n"
        "• nouveau matériel : SEM0420, iPad 9, propriété de SEM\n"
        "• installé le mercredi 25 mars 2026, valeur 429,90\xa0€\n"
        "L'ajouter à l'inventaire ?"
    )
    await api.tap(staff, api.last(staff.id), "✅ Ajouter à l'inventaire")

    assert world.last_text(staff) == (
        "🔁 SEM-0001 est remplacé par SEM0420, ajouté à l'inventaire (sinistre S-2026-0001)."
    )
    assert world.last_text(agent) == (
        "📦 Remplacement du sinistre S-2026-0001 (École du Soleil) — matériel installé :\n"
        "• SEM-0001 remplacé par SEM0420, installé le mercredi 25 mars 2026, nouvelle valeur"
        " 429,90\xa0€\n"
        "Valeur totale : 429,90\xa0€ (à reporter dans vos contrats d'assurance)."
    )
    async with world.db.uow() as uow:
        new = await uow.directory.equipment_by_tag("SEM0420")
        old = await uow.directory.equipment_by_tag("SEM-0001")
    assert new is not None and old is not None
    assert (new.type, new.model, new.owner, new.state, new.installed_on, new.value_cents) == (
        "tablet",
        "iPad 9",
        "sem",
        "in_service",
        date(2026, 3, 25),
        42990,
    )
    assert (old.state, old.replaced_by_id) == ("stolen", new.id)
    await api.send_text(staff, "/sinistre S-2026-0001")
    assert "SEM-0001 remplacé par SEM0420" in world.last_text(staff)


async def test_a_replacement_of_another_type_is_typed_before_the_model(world: World) -> None:
    api = world.api
    _, _, staff = await _reported(world)
    await api.tap(staff, api.last(staff.id), "🔁 Remplacement")
    await api.tap(staff, api.last(staff.id), "SEM-0002")
    await api.tap(staff, api.last(staff.id), "Installé")
    await api.tap(staff, api.last(staff.id), "Aujourd'hui")
    await api.send_text(staff, "899")
    await api.send_text(staff, "SEM-0777")
    await api.send_text(staff, "tablette :")  # a type and no model: asked again
    assert world.last_text(staff) == (
        "Écrivez le modèle du nouveau matériel (120 caractères au plus), par exemple : iPad 10."
    )
    await api.send_text(staff, "ordinateur portable : ThinkPad E14")
    assert (
        "• nouveau matériel : SEM-0777, ThinkPad E14 (type : ordinateur portable), propriété de SEM"
    ) in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), "✅ Ajouter à l'inventaire")
    async with world.db.uow() as uow:
        new = await uow.directory.equipment_by_tag("SEM-0777")
    assert new is not None and (new.type, new.model) == ("laptop", "ThinkPad E14")


async def test_items_recovered_after_the_claim_was_paid_open_a_15_day_window_with_a_reminder(
    world: World,
) -> None:
    api = world.api
    _, agent, staff = await _reported(world)
    notice = api.last(agent.id)
    await api.tap(agent, notice, "📝 Envoyer la fiche d'engagement")
    await api.send_text(agent, "640")
    await api.tap(agent, api.last(agent.id), "versement direct par l'assureur")
    await api.send_text(agent, "30/04")
    await api.tap(agent, api.last(agent.id), "✅ Envoyer la fiche")
    pledged = api.last(staff.id)
    await api.tap(staff, pledged, "💶 Enregistrer un paiement")
    await api.send_text(staff, "640")
    await api.tap(staff, api.last(staff.id), "Aujourd'hui")
    await api.tap(staff, api.last(staff.id), "l'assureur, directement à SEM")
    await api.tap(staff, api.last(staff.id), "✅ Enregistrer le paiement")
    assert world.last_text(staff) == (
        "✅ Le sinistre S-2026-0001 est remboursé intégralement : il est clos."
    )

    # The insurer paid and the claim closed; then the stolen items turn up.
    await api.send_text(staff, "/dossier S-2026-0001")
    await api.tap(staff, api.last(staff.id), "🔙 Objets retrouvés")
    await api.tap(staff, api.last(staff.id), "✔️ Terminé")
    await api.tap(staff, api.last(staff.id), "Maintenant")
    await api.tap(staff, api.last(staff.id), "Intact (0 €)")
    await api.tap(staff, api.last(staff.id), "Intact (0 €)")
    await api.tap(staff, api.last(staff.id), "✅ Enregistrer")

    assert "retrouvés après le paiement de l'indemnité" in world.last_text(agent)
    assert "demandez-le au plus tard le mercredi 25 mars 2026" in world.last_text(agent)
    async with world.db.uow() as uow:
        due = await uow.session.scalar(
            select(Reminder.due_at).where(Reminder.key == "claim:1-recovery:1:d-3")
        )
    assert due is not None
    # Told on Tuesday 10 March: last day 25 March; the reminder on 22 March, 09:00 Paris.
    assert (
        world.settings.tz
        and due.astimezone(world.settings.tz).strftime("%d/%m %H:%M") == "22/03 09:00"
    )
    world.clock.set(due)
    report = await sweep(world)
    assert ("claim:1-recovery:1:d-3", agent.id) in report.deliveries
    assert world.last_text(agent).startswith(
        "⏰ Sinistre S-2026-0001 (École du Soleil) : pour reprendre les objets retrouvés, "
        "la commune doit le demander au plus tard le mercredi 25 mars 2026"
    )
    assert api.last(agent.id).button_texts == ["🔙 Demander à reprendre les objets"]


async def test_the_communes_own_equipment_is_shown_outside_the_refund(world: World) -> None:
    api = world.api
    async with world.db.uow() as uow:
        item = await uow.directory.equipment_by_tag("SEM-0003")
        assert item is not None
        item.owner = "commune"
        await uow.commit()
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    await api.send_text(teacher, "SEM-0003 SEM-0001")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (2 choisis)")
    await api.send_text(teacher, "hier 8h")
    await api.send_text(teacher, "Vol avec effraction")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")

    summary = world.last_text(teacher)
    assert (
        "SEM-0003 ordinateur portable — ThinkPad E14 : propriété de la commune :"
        " hors remboursement à SEM" in summary
    )
    assert "Remboursement estimé : 320,00\xa0€" in summary
    assert "à estimer" not in summary


async def test_a_missing_pledge_is_reminded_and_a_sent_one_is_not(world: World) -> None:
    api = world.api
    _, agent, _ = await _reported(world)
    world.clock.advance(timedelta(days=30))
    report = await sweep(world)
    assert ("claim:1:pledge:reminder", agent.id) in report.deliveries
    assert "la fiche d'engagement de versement n'a pas encore été envoyée" in world.last_text(agent)

    await api.tap(agent, api.last(agent.id), "📝 Envoyer la fiche d'engagement")
    await api.tap(agent, api.last(agent.id), "Retenir 640,00\xa0€")
    await api.tap(agent, api.last(agent.id), "versement par la commune")
    await api.send_text(agent, "30/06/2026")
    await api.tap(agent, api.last(agent.id), "✅ Envoyer la fiche")
    world.clock.advance(timedelta(days=31))
    report = await sweep(world)
    assert not [key for key, _ in report.deliveries if key == "claim:1:pledge:escalation"]
