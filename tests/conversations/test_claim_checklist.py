"""Article 6 through the real bot: a damage's reporter says whether it is vandalism or an
accident (no complaint then); each file says what it is, and the card shows what the
complete dossier has and lacks; « Dossier complet » names what is missing; a duty done
after its 48 h reads « en retard » on the card, in /retards and in /bilan."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain.roles import Role
from handlers.telegram.offline import SimUser
from storage.models import Attachment, Claim, ClaimDuty
from tests.conversations.conftest import World
from tests.conversations.test_claim_follow_steps import _pledged, _reported, _step

PDF = b"%PDF-1.4\n%%EOF\n"


async def _start_a_damage(world: World, teacher: SimUser) -> None:
    await world.api.send_text(teacher, "/signaler")
    await world.api.tap(teacher, world.api.last(teacher.id), "Dégradation")


async def test_an_accidental_breakage_owes_no_complaint_from_summary_to_the_bodys_notice(
    world: World,
) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    await _start_a_damage(world, teacher)
    assert world.last_text(teacher).startswith("Qu'est-ce qui a causé la dégradation ?")
    assert api.last(teacher.id).button_texts == [
        "Vandalisme (acte de malveillance)",
        "Accident : casse",
        "Accident : panne électrique, surtension",
        "Accident : dégât des eaux",
        "✖️ Annuler",
    ]

    # A typed answer is not one of the causes: said, and the question stays open.
    causes = api.last(teacher.id)
    await api.send_text(teacher, "un accident")
    assert world.last_text(teacher).startswith("Ce n'est pas ce que j'attends à cette étape.")
    assert _step(world, "claim_report", teacher) == "cause"

    await api.tap(teacher, causes, "Accident : casse")
    await api.send_text(teacher, "SEM-0003")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Tablette tombée du chariot")
    await api.send_document(teacher, PDF, "devis.pdf", "application/pdf")
    received = api.last(teacher.id)
    assert received.button_texts == [
        "Photo du sinistre",
        "Facture ou devis",
        "Déclaration à l'assureur",
        "Récépissé de plainte",
        "Procès-verbal de police",
        "✔️ Terminé",
    ]
    await api.tap(teacher, received, "Facture ou devis")
    assert world.last_text(teacher) == (
        "📎 Noté : Facture ou devis. Envoyez d'autres pièces ou touchez « Terminé »."
    )
    await api.send_photo(teacher)  # left untagged: a photo of the damage
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")

    summary = world.last_text(teacher)
    assert "Dégradation (casse accidentelle) — École du Soleil" in summary
    assert summary.endswith(
        "(48 h après la constatation), déclarer le sinistre par écrit à son assureur et "
        "prévenir la police ou la gendarmerie."
    )
    assert "plainte" not in summary
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")

    notice = api.last(agent.id)
    assert "Sinistre S-2026-0001 (dégradation : casse accidentelle)" in (notice.text or "")
    assert "dépôt de plainte" not in (notice.text or "")
    assert notice.button_texts[:2] == [
        "✅ Fait : déclaration écrite à l'assureur",
        "✅ Fait : information de la police ou de la gendarmerie",
    ]
    assert "✅ Fait : dépôt de plainte" not in notice.button_texts
    assert "✅ Devis ou facture" in (notice.text or "")
    assert "❌ Déclaration à l'assureur : manquant" in (notice.text or "")
    assert "Récépissé" not in (notice.text or "")
    async with world.db.uow() as uow:
        claim = await uow.session.scalar(select(Claim))
        duties = (await uow.session.scalars(select(ClaimDuty.duty))).all()
        purposes = (await uow.session.scalars(select(Attachment.purpose))).all()
    assert claim is not None and claim.damage_cause == "breakage"
    assert sorted(duties) == ["insurer_declaration", "police_report"]
    assert sorted(purposes) == ["evidence", "invoice_or_quote"]
    api.assert_no_refusals()


async def test_vandalism_keeps_the_complaint(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await _start_a_damage(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "Vandalisme (acte de malveillance)")
    await api.send_text(teacher, "SEM-0003")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Écran rayé au cutter")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    summary = world.last_text(teacher)
    assert "Dégradation (vandalisme) — École du Soleil" in summary
    assert summary.endswith(
        "déclarer le sinistre par écrit à son assureur, prévenir la police ou la "
        "gendarmerie et déposer plainte."
    )


async def test_correcting_the_kind_asks_the_cause_again(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await _start_a_damage(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "Accident : dégât des eaux")
    await api.send_text(teacher, "SEM-0003")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Fuite du plafond")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    await api.tap(teacher, api.last(teacher.id), "✏️ Corriger")
    await api.tap(teacher, api.last(teacher.id), 0)  # the kind
    await api.tap(teacher, api.last(teacher.id), "Dégradation")
    await api.tap(teacher, api.last(teacher.id), "Accident : panne électrique, surtension")
    assert "Dégradation (panne électrique ou surtension)" in world.last_text(teacher)
    await api.tap(teacher, api.last(teacher.id), "✏️ Corriger")
    await api.tap(teacher, api.last(teacher.id), 0)
    await api.tap(teacher, api.last(teacher.id), "Vol")  # a theft has no cause
    summary = world.last_text(teacher)
    assert "<b>Vol</b> — " in (api.last(teacher.id).raw_text or "")
    assert "déposer plainte" in summary


async def test_annuler_at_the_cause_leaves_the_report(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await _start_a_damage(world, teacher)
    causes = api.last(teacher.id)
    await api.send_text(teacher, "/annuler")
    assert _step(world, "claim_report", teacher) is None
    # A cause tapped afterwards on the old question starts nothing.
    await api.tap(teacher, causes, "Accident : casse")
    assert _step(world, "claim_report", teacher) is None
    async with world.db.uow() as uow:
        assert await uow.session.scalar(select(Claim)) is None


async def test_dossier_complet_names_what_is_missing_and_confirms_anyway(world: World) -> None:
    api = world.api
    _, _, staff = await _pledged(world)
    await api.tap(staff, api.last(staff.id), "📁 Dossier complet")

    asked = world.last_text(staff)
    assert asked.startswith(
        "⚠️ Il manque au dossier le devis ou la facture, la déclaration à l'assureur et le "
        "récépissé de plainte (ou le procès-verbal).\n"
        "❌ Devis ou facture : manquant\n"
    )
    assert asked.endswith("Le marquer complet malgré tout ?")
    assert api.last(staff.id).button_texts == ["✅ Oui, complet malgré tout", "✖️ Annuler"]
    await api.tap(staff, api.last(staff.id), "✅ Oui, complet malgré tout")
    assert world.last_text(staff).startswith("📁 Dossier S-2026-0001 complet.")
    async with world.db.uow() as uow:
        claim = await uow.session.scalar(select(Claim))
    assert claim is not None and claim.completed_on == world.clock.now().date()


async def _attach(world: World, agent: SimUser, purpose: str, name: str) -> None:
    api = world.api
    await api.send_text(agent, "/sinistre S-2026-0001")
    await api.tap(agent, api.last(agent.id), "📎 Joindre un document")
    await api.tap(agent, api.last(agent.id), purpose)
    await api.send_document(agent, PDF, name, "application/pdf")


async def test_a_dossier_with_every_piece_is_confirmed_as_before(world: World) -> None:
    api = world.api
    _, agent, staff = await _pledged(world)
    await _attach(world, agent, "Facture ou devis", "devis.pdf")
    await _attach(world, agent, "Facture ou devis", "facture.pdf")
    await _attach(world, agent, "Déclaration à l'assureur", "declaration.pdf")
    await _attach(world, agent, "Procès-verbal de police", "pv.pdf")
    await api.send_text(agent, "/sinistre S-2026-0001")
    card = world.last_text(agent)
    assert (
        "Pièces du dossier complet (art. 6)\n"
        "✅ Devis ou facture (2 pièces)\n"
        "✅ Déclaration à l'assureur\n"
        "✅ Récépissé de plainte ou procès-verbal"
    ) in card
    assert "manquant" not in card

    await api.send_text(staff, "/sinistre S-2026-0001")
    await api.tap(staff, api.last(staff.id), "📁 Dossier complet")
    assert world.last_text(staff).startswith("Marquer le dossier du sinistre S-2026-0001")
    await api.tap(staff, api.last(staff.id), "✅ Oui, dossier complet")
    assert world.last_text(staff).startswith("📁 Dossier S-2026-0001 complet.")


async def test_a_duty_done_after_48_hours_reads_late_on_the_card_in_retards_and_in_bilan(
    world: World,
) -> None:
    api = world.api
    _, agent, staff = await _reported(world)  # discovered on 10 March at 8:00
    world.clock.advance(timedelta(days=3))
    await api.send_text(agent, "/sinistre S-2026-0001")
    assert "⏳ dépôt de plainte — ⚠️ délai dépassé de 26 h" in world.last_text(agent)

    await api.tap(agent, api.last(agent.id), "✅ Fait : déclaration écrite à l'assureur")
    await api.send_text(agent, "12/03/2026 11h")  # the deadline was 12 March at 8:00
    assert (
        "✅ déclaration écrite à l'assureur — le jeudi 12 mars 2026 à 11:00 — en retard de 3 h"
        in (world.last_text(agent))
    )

    await api.send_text(staff, "/retards")
    queue = world.last_text(staff)
    assert "S-2026-0001" in queue and "démarches faites en retard de 3 h" in queue

    await api.send_text(staff, "/bilan")
    summary = next(t for t in reversed(world.texts(staff)) if t.startswith("📊"))
    assert "Démarches faites après les 48 h pendant la période : 1 démarche (S-2026-0001)" in (
        summary
    )
    api.assert_no_refusals()


async def _an_accident(world: World) -> tuple[SimUser, SimUser, SimUser]:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    await _start_a_damage(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "Accident : casse")
    await api.send_text(teacher, "SEM-0003")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Écran fissuré")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    return teacher, agent, staff


async def test_staff_correct_an_accident_to_vandalism_and_the_complaint_is_asked(
    world: World,
) -> None:
    api = world.api
    _, agent, staff = await _an_accident(world)
    await api.send_text(staff, "/sinistre S-2026-0001")
    await api.tap(staff, api.last(staff.id), "🔧 Corriger la cause")
    assert world.last_text(staff) == (
        "Quelle est la cause de la dégradation du sinistre S-2026-0001 ? "
        "Cause enregistrée : casse accidentelle."
    )
    assert api.last(staff.id).button_texts == [
        "Vandalisme (acte de malveillance)",
        "Accident : panne électrique, surtension",
        "Accident : dégât des eaux",
    ]
    causes = api.last(staff.id)
    await api.send_text(staff, "vandalisme")  # typed: the buttons are expected
    assert _step(world, "claim_cause", staff) == "cause_pick"
    await api.tap(staff, causes, "Vandalisme (acte de malveillance)")
    assert world.last_text(staff) == (
        "Corriger la cause de la dégradation du sinistre S-2026-0001 : casse accidentelle → "
        "vandalisme ?\nDémarches dues ensuite : déclarer le sinistre par écrit à son assureur, "
        "prévenir la police ou la gendarmerie et déposer plainte."
    )
    await api.tap(staff, api.last(staff.id), "✅ Corriger la cause")
    assert world.last_text(staff).startswith(
        "🔧 Cause du sinistre S-2026-0001 corrigée : vandalisme.\n"
    )
    assert "⏳ dépôt de plainte" in world.last_text(staff)
    assert world.last_text(agent).startswith(
        "🔧 Sinistre S-2026-0001 (École du Soleil) : l'équipe du Plan numérique a corrigé "
        "la cause de la dégradation : vandalisme."
    )
    await api.send_text(agent, "/sinistre S-2026-0001")
    assert "✅ Fait : dépôt de plainte" in api.last(agent.id).button_texts
    assert "Récépissé de plainte ou procès-verbal : manquant" in world.last_text(agent)
    api.assert_no_refusals()


async def test_annuler_leaves_the_correction_of_the_cause(world: World) -> None:
    api = world.api
    _, _, staff = await _an_accident(world)
    await api.send_text(staff, "/sinistre S-2026-0001")
    await api.tap(staff, api.last(staff.id), "🔧 Corriger la cause")
    await api.send_text(staff, "/annuler")
    assert _step(world, "claim_cause", staff) is None
    async with world.db.uow() as uow:
        claim = await uow.session.scalar(select(Claim))
    assert claim is not None and claim.damage_cause == "breakage"
