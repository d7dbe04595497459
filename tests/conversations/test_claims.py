"""A theft from report to closing, played through the offline Bot API, and its refusals."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain.roles import Role
from bot.services import outbox, reminders
from bot.services.reminders import RENDERERS_KEY
from handlers.telegram.offline import SimUser
from storage.models import ClaimDuty, Equipment, Reminder, School
from tests.conversations.conftest import World


async def sweep(world: World) -> reminders.SweepReport:
    """What the job queue does at the clock's instant: the sweep, then the paced lane."""
    services = world.app.bot_data["services"]
    # Through the process's router: each person on their own platform (decision 0045).
    renderers, send = services.extra[RENDERERS_KEY], services.router
    report = await reminders.sweep(world.db, renderers, send, now=world.clock.now(), worker="test")
    report.merge(await reminders.paced(world.db, renderers, send, clock=world.clock, worker="test"))
    return report


async def report_two_tablets(
    world: World, teacher: SimUser, *, when: str = "aujourd'hui 8h"
) -> str:
    api = world.api
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    items = api.last(teacher.id)
    await api.tap(teacher, items, "SEM-0001 · tablette iPad 9")
    await api.tap(teacher, items, "✅ SEM-0001 · tablette iPad 9")  # untick…
    await api.tap(teacher, items, "SEM-0001 · tablette iPad 9")  # …and tick again
    await api.tap(teacher, items, "SEM-0002 · tablette iPad 9")
    await api.tap(teacher, items, "✔️ Terminé (2 choisis)")
    await api.send_text(teacher, when)
    await api.send_text(
        teacher, "Armoire de la classe fracturée <b>pendant</b> le week-end & rien d'autre"
    )
    await api.send_photo(teacher, caption="l'armoire")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    return world.last_text(teacher)


async def test_a_theft_from_report_to_closing(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    other_agent = await world.registered("Dana", Role.COMMUNE, commune="42095")
    staff = await world.registered("Sacha", Role.STAFF)

    # The teacher reports; the summary shows the refund and the exact 48 h deadline.
    summary = await report_two_tablets(world, teacher)
    assert "Vol — École du Soleil" in summary
    assert "Constaté le mardi 10 mars 2026 à 08:00" in summary
    assert "SEM-0001 tablette — iPad 9 : valeur 400,00\xa0€, 80 % → 320,00\xa0€" in summary
    assert "Remboursement estimé : 640,00\xa0€" in summary
    assert "avant le jeudi 12 mars 2026 à 08:00" in summary
    assert "Armoire de la classe fracturée <b>pendant</b> le week-end & rien d'autre" in summary
    assert "Pièces jointes : 1" in summary
    assert "&lt;b&gt;pendant&lt;/b&gt; le week-end &amp; rien" in (
        api.last(teacher.id).raw_text or ""
    )

    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    assert world.last_text(teacher).startswith("✅ Sinistre S-2026-0001 enregistré.")

    # The commune's agent gets the duties, the deadline and a button per duty.
    notice = api.last(agent.id)
    assert (
        notice.text is not None
        and "Vos démarches, avant le jeudi 12 mars 2026 à 08:00" in notice.text
    )
    assert notice.button_texts == [
        "✅ Fait : déclaration écrite à l'assureur",
        "✅ Fait : information de la police ou de la gendarmerie",
        "✅ Fait : dépôt de plainte",
        "📝 Envoyer la fiche d'engagement",
        "📎 Voir les pièces jointes (1)",
        "📎 Joindre un document",
    ]
    # Staff are told; the other commune hears nothing.
    assert world.last_text(staff).startswith(
        "🆕 Sinistre S-2026-0001 (vol) — École du Soleil, Saint-Étienne"
    )
    assert api.sent_to(other_agent.id) == []
    # The stolen tablets are no longer in service.
    async with world.db.uow() as uow:
        states = set(
            (
                await uow.session.scalars(
                    select(Equipment.state).where(Equipment.asset_tag.in_(["SEM-0001", "SEM-0002"]))
                )
            ).all()
        )
    assert states == {"stolen"}

    # The commune confirms two duties.
    world.clock.advance(timedelta(hours=3))
    await api.tap(agent, notice, "✅ Fait : déclaration écrite à l'assureur")
    await api.tap(agent, api.last(agent.id), "Maintenant")
    assert "✅ déclaration écrite à l'assureur — le mardi 10 mars 2026 à 13:00" in world.last_text(
        agent
    )
    await api.tap(agent, api.last(agent.id), "✅ Fait : dépôt de plainte")
    await api.send_text(agent, "hier 20h")  # before the discovery: refused
    assert (
        world.last_text(agent) == "Une démarche ne peut pas précéder la constatation du sinistre."
    )
    await api.tap(agent, notice, "✅ Fait : dépôt de plainte")
    await api.send_text(agent, "aujourd'hui 12h")
    await api.send_text(agent, "PV 2026/123")
    assert (
        "✅ dépôt de plainte — le mardi 10 mars 2026 à 12:00 (réf. PV 2026/123)"
        in world.last_text(agent)
    )

    # +24 h: reminder to the commune; +44 h: reminder about the third duty only.
    world.clock.set(world.clock.now().replace(hour=7) + timedelta(days=1))  # 11/03 08:00 Paris
    report = await sweep(world)
    assert report.sent == 1
    world.clock.advance(timedelta(hours=20))  # 12/03 04:00 Paris = +44 h
    api.clear()
    report = await sweep(world)
    assert report.sent == 1
    reminder = api.last(agent.id)
    assert reminder.text == (
        "⏰ Sinistre S-2026-0001 (École du Soleil) : "
        "démarches à faire avant le jeudi 12 mars 2026 à 08:00 :\n"
        "✅ déclaration écrite à l'assureur — le mardi 10 mars 2026 à 13:00\n"
        "⏳ information de la police ou de la gendarmerie\n"
        "✅ dépôt de plainte — le mardi 10 mars 2026 à 12:00 (réf. PV 2026/123)"
    )
    assert [s.chat_id for s in api.sent if s.method == "sendMessage"] == [agent.id]

    # +48 h: staff are alerted, the commune is not.
    world.clock.advance(timedelta(hours=4))
    api.clear()
    report = await sweep(world)
    assert report.sent == 1
    assert world.last_text(staff) == (
        "🚨 Délai de 48 h dépassé pour le sinistre S-2026-0001 (École du Soleil, Saint-Étienne) : "
        "démarches non confirmées : information de la police ou de la gendarmerie."
    )
    assert [s.chat_id for s in api.sent if s.method == "sendMessage"] == [staff.id]
    # Nothing is sent twice.
    assert (await sweep(world)).sent == 0

    # The pledge, pre-filled with the computed refund.
    await api.tap(agent, api.last(agent.id), "📝 Envoyer la fiche d'engagement")
    await api.tap(agent, api.last(agent.id), "Retenir 640,00\xa0€")
    await api.tap(agent, api.last(agent.id), "versement par la commune")
    await api.send_text(agent, "15/06/2026")
    assert world.last_text(agent) == (
        "Envoyer la fiche d'engagement du sinistre S-2026-0001 ?\nMontant : 640,00\xa0€\n"
        "Mode : versement par la commune\nVersement prévu le lundi 15 juin 2026"
    )
    await api.tap(agent, api.last(agent.id), "✅ Envoyer la fiche")
    assert world.last_text(agent).startswith(
        "📝 Fiche d'engagement du sinistre S-2026-0001 envoyée"
    )
    pledged = api.last(staff.id)
    # No assistant is marked: the staff get the pledge, its mode and planned date.
    assert pledged.text == (
        "📝 Fiche d'engagement de versement reçue — sinistre S-2026-0001 (École du Soleil,"
        " Saint-Étienne)\n"
        "Montant estimé : 640,00\xa0€\n"
        "Mode de paiement : versement par la commune\n"
        "Date prévisionnelle du versement : lundi 15 juin 2026"
    )

    # Staff mark the dossier complete: one year from today.
    await api.tap(staff, pledged, "📁 Dossier complet")
    await api.tap(staff, api.last(staff.id), "✅ Oui, complet malgré tout")
    assert world.last_text(staff).startswith(
        "📁 Dossier S-2026-0001 complet. "
        "Remboursement attendu au plus tard le vendredi 12 mars 2027"
    )
    assert "au plus tard le vendredi 12 mars 2027" in world.last_text(agent)
    async with world.db.uow() as uow:
        payment_keys = sorted(
            (
                await uow.session.scalars(
                    select(Reminder.key).where(Reminder.key.like("%payment%"))
                )
            ).all()
        )
    assert payment_keys == [f"claim:1:payment:{k}" for k in ("d-30", "d-60", "d-7", "escalation")]

    # A payment, then the rest: paid in full closes the claim.
    await api.tap(staff, pledged, "💶 Enregistrer un paiement")
    await api.send_text(staff, "300")
    await api.tap(staff, api.last(staff.id), "Aujourd'hui")
    await api.tap(staff, api.last(staff.id), "la commune, sur ses fonds propres")
    await api.tap(staff, api.last(staff.id), "✅ Enregistrer le paiement")
    assert (
        world.last_text(staff)
        == "💶 Paiement enregistré pour le sinistre S-2026-0001. Reste dû : 340,00\xa0€."
    )
    await api.tap(staff, pledged, "💶 Enregistrer un paiement")
    await api.tap(staff, api.last(staff.id), "Retenir 340,00\xa0€")
    await api.tap(staff, api.last(staff.id), "Aujourd'hui")
    await api.tap(staff, api.last(staff.id), "la commune, sur ses fonds propres")
    await api.tap(staff, api.last(staff.id), "✅ Enregistrer le paiement")
    assert (
        world.last_text(staff)
        == "✅ Le sinistre S-2026-0001 est remboursé intégralement : il est clos."
    )
    assert world.last_text(agent).startswith(
        "✅ Le sinistre S-2026-0001 (École du Soleil) est remboursé intégralement et clos."
    )

    # The timeline tells the whole story.
    await api.send_text(teacher, "/sinistre S-2026-0001")
    card = world.last_text(teacher)
    assert "État : clos" in card
    for step in (
        "sinistre déclaré",
        "démarche confirmée",
        "fiche d'engagement reçue",
        "dossier complet",
        "paiement enregistré",
        "sinistre clos",
    ):
        assert step in card
    api.assert_no_refusals()


async def test_closing_with_money_owed_needs_a_reason(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")

    await api.tap(staff, api.last(staff.id), "🗂 Clore")
    await api.send_text(staff, "-")
    await api.tap(staff, api.last(staff.id), "🗂 Clore")

    assert world.last_text(staff).startswith("Il reste de l'argent dû")
    await api.send_text(staff, "/sinistre S-2026-0001")
    assert "État : déclaré, démarches de la commune en cours" in world.last_text(staff)

    # With a reason, it closes, and its reminders are cancelled.
    await api.tap(staff, api.last(staff.id), "🗂 Clore")
    await api.send_text(staff, "Doublon du sinistre S-2026-0002")
    await api.tap(staff, api.last(staff.id), "🗂 Clore")
    assert world.last_text(staff) == "🗂 Sinistre S-2026-0001 clos. Ses relances sont annulées."
    async with world.db.uow() as uow:
        # Every reminder is cancelled; the notices already sent (outbox rows) stay sent.
        states = set(
            (
                await uow.session.scalars(
                    select(Reminder.state).where(Reminder.kind != outbox.KIND_NOTICE)
                )
            ).all()
        )
    assert states == {"cancelled"}


async def test_a_teacher_cannot_see_another_schools_claim_nor_forge_a_button(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    stranger_teacher = await world.registered("Yann", Role.TEACHER, school="0420003A")
    other_agent = await world.registered("Dana", Role.COMMUNE, commune="42095")
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")

    await api.send_text(stranger_teacher, "/sinistre S-2026-0001")
    assert (
        world.last_text(stranger_teacher)
        == "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."
    )

    # An agent of another commune forges the duty button of this claim.
    await api.send_text(other_agent, "/aide")
    await api.forge_callback(
        other_agent, api.last(other_agent.id).message_id, "clm:duty:1:complaint"
    )
    assert (
        world.last_text(other_agent) == "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."
    )
    # A teacher forges a staff button: refused by role.
    forged = await api.forge_callback(teacher, api.last(teacher.id).message_id, "clm:pay:1")
    assert api.callback_answer(forged) == {
        "text": "Vous n'avez pas accès à cette action.",
        "show_alert": True,
    }
    # Garbage data matches no handler: the button is said to be stale.
    forged = await api.forge_callback(teacher, api.last(teacher.id).message_id, "clm:duty:1:<b>")
    assert api.callback_answer(forged) == {
        "text": "Ce bouton n'est plus valable.",
        "show_alert": True,
    }
    async with world.db.uow() as uow:
        done = (await uow.session.scalars(select(ClaimDuty.done_at))).all()
    assert done == [None, None, None]  # nothing changed by the forgeries
    api.assert_no_refusals()


async def test_a_teacher_cannot_add_equipment_of_another_school(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Perte")
    await api.send_text(teacher, "SEM-0101")
    assert (
        world.texts(teacher)[-2]
        == "L'étiquette SEM-0101 appartient à une autre école : je ne peux pas l'ajouter."
    )
    items = api.last(teacher.id)
    async with world.db.uow() as uow:
        other = await uow.directory.equipment_by_tag("SEM-0101")
    assert other is not None
    forged = await api.forge_callback(teacher, items.message_id, f"clm:item:{other.id}")
    assert api.callback_answer(forged) == {
        "text": "Ce matériel n'est plus disponible.",
        "show_alert": True,
    }
    assert "SEM-0101" not in world.last_text(teacher)


async def test_an_unknown_tag_is_accepted_with_a_description_and_shown_to_estimate(
    world: World,
) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Dégradation")
    await api.tap(teacher, api.last(teacher.id), "Vandalisme (acte de malveillance)")
    await api.send_text(teacher, "XYZ-9 SEM-0004")
    assert world.last_text(teacher).startswith("L'étiquette XYZ-9 n'est pas dans l'inventaire")
    await api.send_text(teacher, "Enceinte Bluetooth JBL")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (2 choisis)")
    await api.send_text(teacher, "hier")
    await api.send_text(teacher, "Chute du chariot")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    summary = world.last_text(teacher)
    assert "XYZ-9 Enceinte Bluetooth JBL : à estimer" in summary
    assert (
        "SEM-0004 vidéoprojecteur — Epson EB : valeur 600,00\xa0€, 0 % → 0,00\xa0€\n"
        "  ⚠️ plus de 6 ans : ne sera pas remplacé" in summary
    )
    assert "⚠️ 1 élément sans valeur ou date d'achat connue" in summary
    assert "(heure non précisée : minuit retenu, corrigez si besoin)" in summary


async def test_a_discovery_in_the_future_is_refused_and_asked_again(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    await api.send_text(teacher, "SEM-0003")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (1 choisi)")

    await api.send_text(teacher, "demain 8h")
    assert world.texts(teacher)[-2].startswith("Je n'ai pas compris cette date.")
    await api.send_text(teacher, "12/03/2026 9h")
    assert world.texts(teacher)[-2].startswith("Cette date est dans le futur : tapez le moment")
    assert world.last_text(teacher).startswith("Quand le problème a-t-il été constaté ?")


async def test_a_description_over_the_limit_is_refused_without_a_bot_api_error(
    world: World,
) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    await api.send_text(teacher, "SEM-0003")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "hier 8h")

    await api.send_text(teacher, "é" * 4000)

    assert world.last_text(teacher).startswith("C'est trop long : 3000 caractères au plus.")
    await api.send_text(teacher, ("Une longue description & des <détails>. " * 70)[:2990])
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    # The summary is longer than one message: it is split, the buttons on the last part.
    summary_parts = api.messages(teacher.id)[-2:]
    assert all(len(m.text or "") <= 4096 for m in summary_parts)
    assert summary_parts[-1].button_texts == ["✅ Confirmer l'envoi", "✏️ Corriger", "✖️ Annuler"]
    api.assert_no_refusals()


async def test_cancel_leaves_at_any_step_and_nothing_is_sent(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    await api.send_text(teacher, "SEM-0003")

    await api.send_text(teacher, "/annuler")

    assert world.last_text(teacher) == "C'est annulé. Rien n'a été envoyé."
    assert api.sent_to(agent.id) == []
    await api.send_text(teacher, "SEM-0001")
    assert (
        world.last_text(teacher)
        == "Je n'ai pas compris. Tapez /aide pour voir ce que je peux faire."
    )


async def test_correcting_the_date_from_the_summary(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await report_two_tablets(world, teacher, when="hier")
    await api.tap(teacher, api.last(teacher.id), "✏️ Corriger")
    await api.tap(teacher, api.last(teacher.id), "La date de constatation")
    await api.send_text(teacher, "hier 18h")
    assert "Constaté le lundi 9 mars 2026 à 18:00" in world.last_text(teacher)
    assert "avant le mercredi 11 mars 2026 à 18:00" in world.last_text(teacher)


async def test_a_long_summary_in_several_parts_is_still_valid_html(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Dégradation")
    await api.tap(teacher, api.last(teacher.id), "Vandalisme (acte de malveillance)")
    tags = [f"INCONNU-{n:02d}" for n in range(12)]
    await api.send_text(teacher, " ".join(tags))
    for n in range(12):
        await api.send_text(teacher, f"Matériel n° {n} décrit <ici> & là, " + "x" * 200)
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (12 choisis)")
    await api.send_text(teacher, "hier 8h")
    await api.send_text(teacher, "\n".join(f"Ligne {n} : dégâts & <traces>" * 3 for n in range(25)))
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")

    api.assert_no_refusals()
    parts = [m for m in api.messages(teacher.id) if m.raw_text and "Récapitulatif" in m.raw_text]
    summary = api.messages(teacher.id)[api.messages(teacher.id).index(parts[0]) :]
    assert len(summary) >= 2
    assert summary[-1].button_texts == ["✅ Confirmer l'envoi", "✏️ Corriger", "✖️ Annuler"]
    await api.tap(teacher, summary[-1], "✅ Confirmer l'envoi")
    assert world.last_text(teacher).startswith("✅ Sinistre S-2026-0001 enregistré.")


async def test_an_agent_who_blocked_the_bot_does_not_stop_the_others_being_told(
    world: World,
) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    blocked = await world.registered("Bloqué", Role.COMMUNE)
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    blocked.blocked = True

    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")

    assert world.last_text(agent).startswith("🚨 Sinistre S-2026-0001 (vol) — École du Soleil")
    assert world.last_text(staff).startswith("🆕 Sinistre S-2026-0001")
    assert world.last_text(teacher).startswith("✅ Sinistre S-2026-0001 enregistré.")
    assert [r.method for r in api.refused] == ["sendMessage"]  # the blocked one, once


async def test_the_amount_due_is_the_refund_by_age_not_a_lower_pledge(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    await api.tap(agent, api.last(agent.id), "📝 Envoyer la fiche d'engagement")
    await api.send_text(agent, "100")
    await api.tap(agent, api.last(agent.id), "versement direct par l'assureur")
    await api.send_text(agent, "30/06/2026")
    await api.tap(agent, api.last(agent.id), "✅ Envoyer la fiche")

    await api.tap(staff, api.last(staff.id), "📁 Dossier complet")
    assert "un an pour verser 640,00\xa0€" in world.last_text(staff)
    assert "fiche d'engagement (100,00\xa0€)" in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), "✅ Oui, complet malgré tout")

    await api.send_text(staff, "/sinistre S-2026-0001")
    assert "Dû : 640,00\xa0€ — payé : 0,00\xa0€ — reste : 640,00\xa0€" in world.last_text(staff)


async def test_a_teacher_follows_their_own_claims_not_a_colleagues(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    colleague = await world.registered("Yves", Role.TEACHER)  # same school
    director = await world.registered("Dominique", Role.DIRECTOR)
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")

    await api.send_text(colleague, "/sinistre S-2026-0001")
    assert (
        world.last_text(colleague) == "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."
    )
    await api.send_text(director, "/sinistre S-2026-0001")
    assert world.last_text(director).startswith("Sinistre S-2026-0001 — Vol")


async def test_equipment_already_reported_stolen_cannot_be_reported_again(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")

    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Dégradation")
    await api.tap(teacher, api.last(teacher.id), "Vandalisme (acte de malveillance)")
    await api.send_text(teacher, "SEM-0001")

    assert world.texts(teacher)[-2] == (
        "Le matériel SEM-0001 n'est plus en service (déjà signalé volé ou perdu, enlevé ou "
        "recyclé) : je ne peux pas l'ajouter."
    )
    assert "SEM-0001" not in world.last_text(teacher).split("Votre choix :")[1]


async def test_a_commune_agent_picks_the_school_and_staff_search_among_many(world: World) -> None:
    api = world.api
    agent = await world.registered("Claude", Role.COMMUNE)
    await api.send_text(agent, "/signaler")
    await api.tap(agent, api.last(agent.id), "Vol")
    assert api.last(agent.id).button_texts == [
        "École de la Lune (0420002Z)",
        "École du Soleil (0420001Y)",
    ]
    await api.tap(agent, api.last(agent.id), "École du Soleil (0420001Y)")
    assert world.last_text(agent).startswith("Quel matériel ? (École du Soleil)")

    async with world.db.uow() as uow:
        commune = await uow.directory.commune_by_insee("42218")
        assert commune is not None
        for n in range(10):
            uow.session.add(
                School(
                    uai=f"04200{n + 10}A",
                    name=f"École annexe {n}",
                    commune_id=commune.id,
                    sector="public",
                    created_at=world.clock.now(),
                )
            )
        await uow.commit()
    staff = await world.registered("Sacha", Role.STAFF)
    await api.send_text(staff, "/signaler")
    await api.tap(staff, api.last(staff.id), "Perte")
    assert world.last_text(staff) == (
        "Dans quelle école ? Vous en suivez 13 : tapez une partie de son nom ou son UAI."
    )
    await api.send_text(staff, "annexe")
    assert world.last_text(staff) == "10 écoles correspondent : précisez un peu plus."
    await api.send_text(staff, "forges")
    assert api.last(staff.id).button_texts == ["École des Forges (0420003A)"]
    await api.tap(staff, api.last(staff.id), "École des Forges (0420003A)")
    assert world.last_text(staff).startswith("Quel matériel ? (École des Forges)")
