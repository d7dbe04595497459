"""Art. 6 on Telegram: items found again, before or after the insurer's indemnity, and
the payments a body records with a proof. Staff and the body's agent play it through."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain.roles import Role
from handlers.telegram.offline import SimUser
from storage.models import Attachment, Equipment, Payment
from tests.conversations.conftest import World
from tests.conversations.test_claim_follow_steps import _pledged, _report_a_laptop, _step
from tests.conversations.test_claims import sweep


async def _states(world: World) -> dict[str, str]:
    async with world.db.uow() as uow:
        rows = await uow.session.execute(
            select(Equipment.asset_tag, Equipment.state).where(
                Equipment.asset_tag.in_(["SEM-0001", "SEM-0002"])
            )
        )
        return {tag: state for tag, state in rows}


async def _open(world: World, user: SimUser, number: str = "S-2026-0001") -> None:
    await world.api.send_text(user, f"/dossier {number}")


async def _indemnity_to_the_commune(world: World, agent: SimUser, amount: str = "600") -> None:
    api = world.api
    await _open(world, agent)
    await api.tap(agent, api.last(agent.id), "🛡 Indemnité de l'assureur versée")
    assert world.last_text(agent) == (
        "Indemnité de l'assureur pour le sinistre S-2026-0001 : à qui a-t-elle été versée ?"
    )
    await api.tap(agent, api.last(agent.id), "à la commune")
    await api.send_text(agent, "12/03/2026")  # not yet
    assert world.last_text(agent) == (
        "Le jeudi 12 mars 2026 n'est pas encore passé : "
        "indiquez le jour où l'assureur a versé l'indemnité."
    )
    await api.tap(agent, api.messages(agent.id)[-2], "Aujourd'hui")  # the question's button
    await api.send_text(agent, amount)
    await api.tap(agent, api.last(agent.id), "✅ Enregistrer l'indemnité")
    assert (
        world.last_text(agent)
        == "🛡 Indemnité de l'assureur enregistrée pour le sinistre S-2026-0001."
    )


async def test_one_tablet_found_before_the_indemnity_owes_only_its_damage(world: World) -> None:
    api = world.api
    _, agent, staff = await _pledged(world)
    await api.tap(staff, api.last(staff.id), "📁 Dossier complet")
    await api.tap(staff, api.last(staff.id), "✅ Oui, complet malgré tout")

    await _open(world, staff)
    await api.tap(staff, api.last(staff.id), "🔙 Objets retrouvés")
    assert world.last_text(staff).endswith("Objets choisis : SEM-0001, SEM-0002")
    await api.tap(staff, api.last(staff.id), "✅ SEM-0002")  # only SEM-0001 was found
    assert world.last_text(staff).endswith("Objets choisis : SEM-0001")
    await api.tap(staff, api.last(staff.id), "✔️ Terminé")
    await api.tap(staff, api.last(staff.id), "Maintenant")
    assert world.last_text(staff) == (
        "Détériorations de SEM-0001 ? Tapez le montant en euros (0 s'il est intact)."
    )
    await api.send_text(staff, "-5")
    assert _step(world, "claim_recovery", staff) == "recov_damage"
    await api.send_text(staff, "45,50")
    assert world.last_text(staff) == (
        "Enregistrer les objets retrouvés du sinistre S-2026-0001 : SEM-0001 "
        "(avis du mardi 10 mars 2026 à 10:00) ?\nDétériorations :\n• SEM-0001 : 45,50\xa0€"
    )
    await api.tap(staff, api.last(staff.id), "✅ Enregistrer")

    told = [m.text or "" for m in api.messages(agent.id)[-2:]]
    assert told[0].startswith(
        "🔙 Objets du sinistre S-2026-0001 (École du Soleil) retrouvés avant le paiement "
        "de l'indemnité : SEM-0001. Ils reviennent à l'école ; l'assureur ne doit que les "
        "détériorations (45,50\xa0€)."
    )
    assert told[1] == (
        "💶 Sinistre S-2026-0001 (École du Soleil) : après la récupération, le montant dû "
        "à SEM passe de 640,00\xa0€ à 365,50\xa0€."
    )
    assert await _states(world) == {"SEM-0001": "out_of_order", "SEM-0002": "stolen"}
    await _open(world, staff)
    card = world.last_text(staff)
    assert "🔙 Retrouvé : détériorations 45,50\xa0€, dû à SEM 45,50\xa0€" in card
    assert "Dû : 365,50\xa0€" in card
    assert "montant dû recalculé : 640,00\xa0€ → 365,50\xa0€" in card
    assert "🔙 Objets retrouvés" in api.last(staff.id).button_texts  # SEM-0002 may still be


async def test_the_body_reports_found_items_and_staff_confirm_them(world: World) -> None:
    api = world.api
    _, agent, staff = await _pledged(world)
    await _open(world, agent)
    await api.tap(agent, api.last(agent.id), "🔙 Objets retrouvés")
    await api.tap(agent, api.last(agent.id), "✅ SEM-0001")
    await api.tap(agent, api.last(agent.id), "✅ SEM-0002")
    await api.tap(agent, api.last(agent.id), "✔️ Terminé")
    assert world.last_text(agent) == "Choisissez au moins un objet retrouvé."
    assert _step(world, "claim_recovery", agent) == "recov_items"
    await api.tap(agent, api.messages(agent.id)[-2], "▫️ SEM-0001")
    await api.tap(agent, api.last(agent.id), "▫️ SEM-0002")
    await api.tap(agent, api.last(agent.id), "✔️ Terminé")
    await api.tap(agent, api.last(agent.id), "Maintenant")
    assert world.last_text(agent).startswith(
        "Signaler à SEM les objets retrouvés du sinistre S-2026-0001 : SEM-0001, SEM-0002"
    )
    await api.tap(agent, api.last(agent.id), "✅ Signaler à SEM")
    assert world.last_text(agent) == (
        "🔙 Objets retrouvés signalés à SEM pour le sinistre S-2026-0001 : SEM va les confirmer."
    )
    notice = api.last(staff.id)
    assert (notice.text or "").startswith("🔙 ")
    assert "signale des objets retrouvés pour le sinistre S-2026-0001" in (notice.text or "")
    assert await _states(world) == {"SEM-0001": "stolen", "SEM-0002": "stolen"}

    await api.tap(staff, notice, "✅ Confirmer les objets retrouvés (SEM-0001, SEM-0002)")
    await api.tap(staff, api.last(staff.id), "Intact (0 €)")
    await api.tap(staff, api.last(staff.id), "Intact (0 €)")
    await api.tap(staff, api.last(staff.id), "✅ Enregistrer")
    assert "retrouvés avant le paiement de l'indemnité" in world.last_text(agent)
    assert await _states(world) == {"SEM-0001": "in_service", "SEM-0002": "in_service"}
    await _open(world, staff)
    assert (
        "🔙 Objets retrouvés (SEM-0001, SEM-0002), avis du mardi 10 mars 2026 à 10:00 : "
        "avant l'indemnité, repris par la commune"
    ) in world.last_text(staff)


async def test_after_the_indemnity_the_body_asks_in_time_and_sem_agrees(world: World) -> None:
    api = world.api
    _, agent, staff = await _pledged(world)
    await _indemnity_to_the_commune(world, agent)
    assert world.last_text(staff) == (
        "Sinistre S-2026-0001 (École du Soleil) : 🛡 Indemnité de l'assureur : 600,00\xa0€, "
        "versée à la commune le mardi 10 mars 2026."
    )
    # No payment to SEM at all: the insurer's indemnity alone makes it "after".
    world.clock.advance(timedelta(days=1))
    await _open(world, staff)
    await api.tap(staff, api.last(staff.id), "🔙 Objets retrouvés")
    await api.tap(staff, api.last(staff.id), "✔️ Terminé")
    await api.tap(staff, api.last(staff.id), "Maintenant")
    await api.send_text(staff, "50")
    await api.tap(staff, api.last(staff.id), "Intact (0 €)")
    await api.tap(staff, api.last(staff.id), "✅ Enregistrer")

    told = api.last(agent.id)
    assert (told.text or "").startswith(
        "🔙 Objets du sinistre S-2026-0001 (École du Soleil) retrouvés après le paiement de "
        "l'indemnité : SEM-0001, SEM-0002. Pour les reprendre, demandez-le au plus tard le "
        "jeudi 26 mars 2026"
    )
    assert "la commune rembourse à son assureur 550,00\xa0€ (l'indemnité moins 50,00\xa0€" in (
        told.text or ""
    )
    await api.tap(agent, told, "🔙 Demander à reprendre les objets")
    await api.send_text(agent, "/annuler")  # the request can wait…
    assert _step(world, "claim_recovery_answer", agent) is None
    await api.tap(agent, told, "🔙 Demander à reprendre les objets")  # …within the window
    await api.tap(agent, api.last(agent.id), "🔙 Demander à reprendre les objets")
    assert world.last_text(agent) == (
        "🔙 Demande de reprise transmise à SEM pour le sinistre S-2026-0001."
    )
    request = api.last(staff.id)
    assert "demande à reprendre les objets retrouvés du sinistre S-2026-0001" in (
        request.text or ""
    )
    await api.tap(staff, request, "👍 Avis conforme")
    assert world.last_text(staff).startswith(
        "Donner l'avis conforme de SEM : la commune reprend les objets du sinistre S-2026-0001"
    )
    await api.tap(staff, api.last(staff.id), "👍 Avis conforme")
    assert world.last_text(agent).startswith(
        "👍 SEM donne son accord : vous reprenez les objets du sinistre S-2026-0001"
    )
    assert "550,00\xa0€" in world.last_text(agent)
    assert await _states(world) == {"SEM-0001": "out_of_order", "SEM-0002": "in_service"}


async def test_without_a_request_in_fifteen_days_the_items_are_the_insurers(
    world: World,
) -> None:
    api = world.api
    _, agent, staff = await _pledged(world)
    await _open(world, staff)
    await api.tap(staff, api.last(staff.id), "🛡 Indemnité de l'assureur versée")
    await api.tap(staff, api.last(staff.id), "à SEM")
    await api.tap(staff, api.last(staff.id), "Aujourd'hui")
    await api.send_text(staff, "0")
    assert world.last_text(staff) == (
        "Le montant doit être supérieur à 0 € : tapez un montant en euros "
        "(ex. « 120 » ou « 120,50 »)."
    )
    await api.send_text(staff, "640")
    await api.tap(staff, api.last(staff.id), "✅ Enregistrer l'indemnité")
    assert "versée à SEM le mardi 10 mars 2026" in world.last_text(agent)
    await _open(world, staff)
    await api.tap(staff, api.last(staff.id), "🔙 Objets retrouvés")
    await api.tap(staff, api.last(staff.id), "✔️ Terminé")
    await api.tap(staff, api.last(staff.id), "Maintenant")
    await api.tap(staff, api.last(staff.id), "Intact (0 €)")
    await api.tap(staff, api.last(staff.id), "Intact (0 €)")
    await api.tap(staff, api.last(staff.id), "✅ Enregistrer")
    request_button = api.last(agent.id)

    # Told on Tuesday 10 March: the last day is 25 March; the window closes at midnight,
    # and staff and the body hear of it at 08:00 (quiet hours), not in the night.
    world.clock.advance(timedelta(days=15, hours=15))
    assert ("claim:1-recovery:1:expiry", staff.id) not in (await sweep(world)).deliveries
    world.clock.advance(timedelta(hours=8))
    report = await sweep(world)
    assert ("claim:1-recovery:1:expiry", staff.id) in report.deliveries
    assert world.last_text(agent) == (
        "⌛ Sinistre S-2026-0001 (École du Soleil) : le délai pour demander la reprise des "
        "objets retrouvés (SEM-0001, SEM-0002) a pris fin le mercredi 25 mars 2026 ; "
        "l'assureur en est désormais propriétaire."
    )
    assert "n'a pas demandé à reprendre les objets retrouvés" in world.last_text(staff)
    assert await _states(world) == {"SEM-0001": "insurer_owned", "SEM-0002": "insurer_owned"}

    await api.tap(agent, request_button, "🔙 Demander à reprendre les objets")
    await api.tap(agent, api.last(agent.id), "🔙 Demander à reprendre les objets")
    assert world.last_text(agent) == (
        "La demande de reprise devait être faite au plus tard le mercredi 25 mars 2026 : "
        "le délai de quinze jours est passé et l'assureur est propriétaire des objets."
    )


async def test_a_lost_laptop_that_turns_up_can_be_recovered(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    await _report_a_laptop(world, teacher)
    await _open(world, staff, "S-2026-0001")
    assert "🔙 Objets retrouvés" in api.last(staff.id).button_texts


async def _declare_a_payment(world: World, agent: SimUser) -> None:
    api = world.api
    await _open(world, agent)
    await api.tap(agent, api.last(agent.id), "💶 Déclarer un paiement fait")
    await api.tap(agent, api.last(agent.id), "Retenir 640,00\xa0€")
    await api.tap(agent, api.last(agent.id), "Aujourd'hui")
    assert world.last_text(agent) == "Qui a payé ?"
    await api.tap(agent, api.last(agent.id), "la commune, sur ses fonds propres")
    await api.send_text(agent, "le voici")
    assert world.last_text(agent).startswith("Envoyez la preuve du paiement")
    await api.send_document(agent, b"%PDF-1.4 virement", "virement.pdf", "application/pdf")
    assert world.last_text(agent) == (
        "Transmettre à SEM le paiement de 640,00\xa0€ fait le mardi 10 mars 2026 pour le "
        "sinistre S-2026-0001, payé par la commune, sur ses fonds propres ?"
    )
    await api.tap(agent, api.last(agent.id), "✅ Envoyer à SEM")
    assert world.last_text(agent) == (
        "💶 Paiement transmis à SEM pour le sinistre S-2026-0001 : il comptera une fois confirmé."
    )


async def test_the_body_records_a_payment_with_its_proof_and_staff_confirm_it(
    world: World,
) -> None:
    api = world.api
    _, agent, staff = await _pledged(world)
    await _declare_a_payment(world, agent)

    notice, proof = api.messages(staff.id)[-2:]
    assert "déclare un paiement pour le sinistre S-2026-0001" in (notice.text or "")
    assert "640,00\xa0€ le mardi 10 mars 2026, par la commune, sur ses fonds propres" in (
        notice.text or ""
    )
    assert proof.data.get("document") is not None
    async with world.db.uow() as uow:
        payment = await uow.session.scalar(select(Payment))
        assert payment is not None and payment.status == "pending"
        attachment = await uow.session.get(Attachment, payment.proof_attachment_id)
        assert attachment is not None and attachment.purpose == "payment_proof"
    await _open(world, staff)
    assert "payé : 0,00\xa0€ — reste : 640,00\xa0€" in world.last_text(staff)  # not yet
    assert "à confirmer par SEM" in world.last_text(staff)

    await api.tap(staff, notice, "✅ Confirmer le paiement de 640,00\xa0€")
    await api.tap(staff, api.last(staff.id), "✅ Confirmer le paiement")
    assert world.last_text(staff) == (
        "✅ Le sinistre S-2026-0001 est remboursé intégralement : il est clos."
    )
    assert world.last_text(agent).startswith(
        "✅ Le sinistre S-2026-0001 (École du Soleil) est remboursé intégralement et clos."
    )


async def test_staff_reject_a_payment_with_a_reason_the_body_is_told(world: World) -> None:
    api = world.api
    _, agent, staff = await _pledged(world)
    await _declare_a_payment(world, agent)
    notice = api.messages(staff.id)[-2]

    await api.tap(staff, notice, "✖️ Rejeter le paiement")
    await api.send_text(staff, "-")
    assert world.last_text(staff) == (
        "Indiquez pourquoi le paiement est rejeté (le motif sera transmis)."
    )
    assert _step(world, "claim_payment_review", staff) == "review_reason"
    await api.send_text(staff, "Virement introuvable")
    await api.tap(staff, api.last(staff.id), "✖️ Rejeter le paiement")
    assert world.last_text(agent) == (
        "✖️ SEM rejette votre paiement de 640,00\xa0€ du mardi 10 mars 2026 pour le sinistre "
        "S-2026-0001 (École du Soleil). Motif : Virement introuvable"
    )
    async with world.db.uow() as uow:
        assert await uow.session.scalar(select(Payment.status)) == "rejected"


async def test_each_new_dialogue_ends_on_cancel(world: World) -> None:
    api = world.api
    _, agent, staff = await _pledged(world)
    for user, data, name in [
        (agent, "clm:indem:1", "claim_indemnity"),
        (agent, "clm:bpay:1", "claim_body_payment"),
        (agent, "clm:recov:1", "claim_recovery"),
        (staff, "clm:prej:1:1", "claim_payment_review"),
    ]:
        if data == "clm:prej:1:1":  # a payment to reject (then nothing is left to declare)
            await _declare_a_payment(world, agent)
        await api.forge_callback(user, api.last(user.id).message_id, data)
        assert _step(world, name, user) is not None, data
        await api.send_text(user, "/annuler")
        assert world.last_text(user) == "C'est annulé. Rien n'a été envoyé."
        assert _step(world, name, user) is None
    api.assert_no_refusals()


async def _report_first_found(world: World, agent: SimUser) -> None:
    """The body's agent reports SEM-0001 found (SEM-0002 is still missing)."""
    api = world.api
    await _open(world, agent)
    await api.tap(agent, api.last(agent.id), "🔙 Objets retrouvés")
    await api.tap(agent, api.last(agent.id), "✅ SEM-0002")
    await api.tap(agent, api.last(agent.id), "✔️ Terminé")
    await api.tap(agent, api.last(agent.id), "Maintenant")
    await api.tap(agent, api.last(agent.id), "✅ Signaler à SEM")


async def test_staff_dismiss_a_wrong_report_of_found_items_and_the_body_is_told(
    world: World,
) -> None:
    api = world.api
    _, agent, staff = await _pledged(world)
    await _report_first_found(world, agent)
    notice = api.last(staff.id)
    assert "✖️ Écarter" in notice.button_texts
    assert (notice.text or "").endswith(
        "Confirmez-les en indiquant leurs détériorations, ou écartez le signalement s'ils ne "
        "sont pas retrouvés."
    )

    await api.tap(staff, notice, "✖️ Écarter")
    assert world.last_text(staff) == (
        "Pourquoi écarter le signalement des objets retrouvés du sinistre S-2026-0001 "
        "(SEM-0001) ? Tapez le motif ; il sera transmis."
    )
    await api.send_text(staff, "-")  # no reason: asked again, the dialogue stays open
    assert world.last_text(staff) == (
        "Indiquez pourquoi le signalement est écarté (par exemple « objets d'une autre "
        "école ») ; le motif sera transmis."
    )
    assert _step(world, "claim_recovery_answer", staff) == "dismiss_reason"
    await api.send_text(staff, "/annuler")
    assert world.last_text(staff) == "C'est annulé. Rien n'a été envoyé."
    assert _step(world, "claim_recovery_answer", staff) is None

    await api.tap(staff, notice, "✖️ Écarter")
    await api.send_text(staff, "La tablette retrouvée est celle d'une autre école")
    assert world.last_text(staff) == (
        "Écarter le signalement des objets retrouvés du sinistre S-2026-0001 : SEM-0001 ? "
        "Rien ne sera compté comme retrouvé, et les objets pourront être signalés de "
        "nouveau.\nMotif : La tablette retrouvée est celle d'une autre école"
    )
    await api.tap(staff, api.last(staff.id), "✖️ Écarter le signalement")
    assert world.last_text(staff) == (
        "✖️ Signalement écarté pour le sinistre S-2026-0001 (SEM-0001) : rien n'est compté "
        "comme retrouvé, et le motif est transmis."
    )
    assert world.last_text(agent) == (
        "✖️ SEM écarte votre signalement d'objets retrouvés pour le sinistre S-2026-0001 "
        "(École du Soleil) : SEM-0001. Motif : La tablette retrouvée est celle d'une autre "
        "école\nRien n'est compté comme retrouvé ; si les objets sont bien retrouvés, "
        "signalez-les de nouveau depuis le dossier."
    )
    assert await _states(world) == {"SEM-0001": "stolen", "SEM-0002": "stolen"}

    # The old buttons find it dismissed: neither confirmed nor dismissed again.
    for button in ("✅ Confirmer les objets retrouvés (SEM-0001)", "✖️ Écarter"):
        await api.tap(staff, notice, button)
        assert world.last_text(staff) == (
            "Cette récupération n'est plus à cette étape : ouvrez le dossier S-2026-0001 "
            "pour voir où elle en est."
        )
    await _open(world, staff)
    card = world.last_text(staff)
    assert (
        "✖️ Signalement d'objets retrouvés (avis du mardi 10 mars 2026 à 10:00) écarté par "
        "SEM : La tablette retrouvée est celle d'une autre école"
    ) in card
    assert (
        "signalement d'objets retrouvés écarté (SEM-0001) : La tablette retrouvée est celle "
        "d'une autre école"
    ) in card
    assert "✖️ Écarter" not in api.last(staff.id).button_texts
    # SEM-0001 may be reported again.
    await _open(world, agent)
    await api.tap(agent, api.last(agent.id), "🔙 Objets retrouvés")
    assert world.last_text(agent).endswith("Objets choisis : SEM-0001, SEM-0002")
    api.assert_no_refusals()


async def test_a_second_pending_payment_fits_in_what_the_first_leaves(world: World) -> None:
    api = world.api
    _, agent, _ = await _pledged(world)
    await _open(world, agent)
    await api.tap(agent, api.last(agent.id), "💶 Déclarer un paiement fait")
    await api.send_text(agent, "400")
    await api.tap(agent, api.last(agent.id), "Aujourd'hui")
    await api.tap(agent, api.last(agent.id), "la commune, sur ses fonds propres")
    await api.send_document(agent, b"%PDF-1.4 virement", "virement.pdf", "application/pdf")
    await api.tap(agent, api.last(agent.id), "✅ Envoyer à SEM")

    await _open(world, agent)
    await api.tap(agent, api.last(agent.id), "💶 Déclarer un paiement fait")
    assert world.last_text(agent) == (
        "Paiement fait à SEM pour le sinistre S-2026-0001. Quel montant ? (reste dû : "
        "640,00\xa0€, dont 400,00\xa0€ déjà transmis et en attente de confirmation : "
        "au plus 240,00\xa0€)"
    )
    await api.send_text(agent, "300")  # 400 € + 300 € > 640 €: refused, asked again
    assert world.last_text(agent) == (
        "Avec les paiements déjà transmis et en attente de confirmation (400,00\xa0€), ce "
        "paiement de 300,00\xa0€ dépasserait ce qui reste dû (640,00\xa0€) : tapez un "
        "montant au plus égal à 240,00\xa0€."
    )
    assert _step(world, "claim_body_payment", agent) == "bpay_amount"
    await api.send_text(agent, "/annuler")
    assert world.last_text(agent) == "C'est annulé. Rien n'a été envoyé."
    assert _step(world, "claim_body_payment", agent) is None

    await _open(world, agent)
    await api.tap(agent, api.last(agent.id), "💶 Déclarer un paiement fait")
    await api.tap(agent, api.last(agent.id), "Retenir 240,00\xa0€")
    await api.tap(agent, api.last(agent.id), "Aujourd'hui")
    await api.tap(agent, api.last(agent.id), "la commune, sur ses fonds propres")
    await api.send_document(agent, b"%PDF-1.4 virement", "virement-2.pdf", "application/pdf")
    await api.tap(agent, api.last(agent.id), "✅ Envoyer à SEM")
    async with world.db.uow() as uow:
        amounts = sorted((await uow.session.scalars(select(Payment.amount_cents))).all())
    assert amounts == [24000, 40000]
    # Together they cover what is owed: a third is not even asked.
    await _open(world, agent)
    await api.tap(agent, api.last(agent.id), "💶 Déclarer un paiement fait")
    assert world.last_text(agent) == (
        "Les paiements transmis pour le sinistre S-2026-0001 et en attente de confirmation "
        "(640,00\xa0€) couvrent déjà ce qui reste dû (640,00\xa0€) : attendez que SEM les "
        "confirme ou les rejette."
    )
    assert _step(world, "claim_body_payment", agent) is None
    api.assert_no_refusals()


async def test_confirming_a_payment_that_would_overpay_is_refused_staff_reject_it(
    world: World,
) -> None:
    api = world.api
    _, agent, staff = await _pledged(world)
    await _declare_a_payment(world, agent)  # 640 €, pending
    notice = api.messages(staff.id)[-2]
    # Meanwhile staff record 300 € the insurer paid SEM: 340 € are left to pay.
    await _open(world, staff)
    await api.tap(staff, api.last(staff.id), "💶 Enregistrer un paiement")
    await api.send_text(staff, "300")
    await api.tap(staff, api.last(staff.id), "Aujourd'hui")
    await api.tap(staff, api.last(staff.id), "l'assureur, directement à SEM")
    await api.tap(staff, api.last(staff.id), "✅ Enregistrer le paiement")

    await api.tap(staff, notice, "✅ Confirmer le paiement de 640,00\xa0€")
    refusal = api.last(staff.id)
    assert refusal.text == (
        "Ce paiement de 640,00\xa0€ dépasse ce qui reste dû (340,00\xa0€) : il ne peut pas "
        "être confirmé. Rejetez-le en indiquant le motif (par exemple, le montant dû a été "
        "recalculé) ; un paiement du bon montant pourra être déclaré."
    )
    assert _step(world, "claim_payment_review", staff) is None
    await api.tap(staff, refusal, "✖️ Rejeter le paiement")
    await api.send_text(staff, "L'assureur a déjà payé 300 €")
    await api.tap(staff, api.last(staff.id), "✖️ Rejeter le paiement")
    assert world.last_text(agent).startswith(
        "✖️ SEM rejette votre paiement de 640,00\xa0€ du mardi 10 mars 2026"
    )
    async with world.db.uow() as uow:
        statuses = sorted((await uow.session.scalars(select(Payment.status))).all())
    assert statuses == ["confirmed", "rejected"]
    api.assert_no_refusals()
