"""The follow-up dialogues check each answer as it is typed: a refusal says why and the
same question stays open. A confirmation button confirms only the draft it was sent for.
Each dialogue ends on /annuler. A step of the retired single dialogue does not crash the
bot after the upgrade: the person is told it was interrupted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from telegram.ext import ConversationHandler

from bot.domain.roles import Role
from handlers.telegram.offline import SimUser
from storage.models import Claim, Payment, PersistedData, Ticket
from tests.conversations.conftest import World, restarted
from tests.conversations.test_claims import report_two_tablets

NOT_UNDERSTOOD = "Je n'ai pas compris. Tapez /aide pour voir ce que je peux faire."


async def _reported(world: World) -> tuple[SimUser, SimUser, SimUser]:
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    await report_two_tablets(world, teacher)
    await world.api.tap(teacher, world.api.last(teacher.id), "✅ Confirmer l'envoi")
    return teacher, agent, staff


async def _report_a_laptop(world: World, teacher: SimUser) -> None:
    """A second claim (S-2026-0002), by the same teacher."""
    api = world.api
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Perte")
    await api.send_text(teacher, "SEM-0003")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Oublié en sortie scolaire")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")


async def _pledged(world: World) -> tuple[SimUser, SimUser, SimUser]:
    api = world.api
    teacher, agent, staff = await _reported(world)
    await api.tap(agent, api.last(agent.id), "📝 Envoyer la fiche d'engagement")
    await api.tap(agent, api.last(agent.id), "Retenir 640,00\xa0€")
    await api.tap(agent, api.last(agent.id), "versement par la commune")
    await api.send_text(agent, "15/06/2026")
    await api.tap(agent, api.last(agent.id), "✅ Envoyer la fiche")
    return teacher, agent, staff


async def _payments(world: World) -> list[int]:
    async with world.db.uow() as uow:
        return list((await uow.session.scalars(select(Payment.amount_cents))).all())


def _step(world: World, name: str, user: SimUser) -> object:
    """The step ``user`` is at in dialogue ``name`` in their private chat (None: none)."""
    handler = next(
        h
        for hs in world.app.handlers.values()
        for h in hs
        if isinstance(h, ConversationHandler) and h.name == name
    )
    return handler._conversations.get((user.id, user.id))


async def test_a_payment_of_nothing_is_refused_and_the_amount_asked_again(world: World) -> None:
    api = world.api
    _, _, staff = await _pledged(world)
    await api.tap(staff, api.last(staff.id), "💶 Enregistrer un paiement")

    await api.send_text(staff, "0")

    assert world.last_text(staff).startswith(
        "Le montant doit être supérieur à 0 € : tapez un montant"
    )
    assert _step(world, "claim_payment", staff) == "pay_amount"
    await api.send_text(staff, "1000")  # more than the 640 € owed: refused as well
    assert world.last_text(staff).startswith("Ce paiement dépasse ce qui reste dû : tapez")
    await api.send_text(staff, "300")
    assert world.last_text(staff) == "Date du paiement ?"
    await api.tap(staff, api.last(staff.id), "Aujourd'hui")
    await api.tap(staff, api.last(staff.id), "la commune, sur ses fonds propres")
    await api.tap(staff, api.last(staff.id), "✅ Enregistrer le paiement")
    assert world.last_text(staff) == (
        "💶 Paiement enregistré pour le sinistre S-2026-0001. Reste dû : 340,00\xa0€."
    )
    assert await _payments(world) == [30000]
    api.assert_no_refusals()


async def test_a_payment_dated_in_the_future_is_refused_and_the_date_asked_again(
    world: World,
) -> None:
    api = world.api
    _, _, staff = await _pledged(world)
    await api.tap(staff, api.last(staff.id), "💶 Enregistrer un paiement")
    await api.send_text(staff, "300")

    await api.send_text(staff, "11/03/2026")  # tomorrow

    assert world.last_text(staff).startswith(
        "La date du paiement ne peut pas être dans le futur : tapez"
    )
    assert _step(world, "claim_payment", staff) == "pay_date"
    await api.send_text(staff, "09/03/2026")
    assert world.last_text(staff) == "Qui a payé ?"
    await api.tap(staff, api.last(staff.id), "la commune, sur ses fonds propres")
    assert world.last_text(staff) == (
        "Enregistrer un paiement de 300,00\xa0€ reçu le lundi 9 mars 2026 "
        "pour le sinistre S-2026-0001, payé par la commune, sur ses fonds propres ?"
    )
    await api.tap(staff, api.last(staff.id), "✅ Enregistrer le paiement")
    assert await _payments(world) == [30000]


async def test_a_duty_dated_before_the_discovery_is_refused_and_the_date_asked_again(
    world: World,
) -> None:
    api = world.api
    _, agent, _ = await _reported(world)
    await api.tap(agent, api.last(agent.id), "✅ Fait : dépôt de plainte")

    await api.send_text(agent, "hier 20h")  # the theft was discovered today at 8:00

    assert (
        world.last_text(agent) == "Une démarche ne peut pas précéder la constatation du sinistre."
    )
    assert _step(world, "claim_duty", agent) == "duty_when"
    await api.send_text(agent, "aujourd'hui 9h")
    assert world.last_text(agent).startswith("Quelle est la référence de la plainte")
    await api.send_text(agent, "PV 2026/123")
    assert "✅ dépôt de plainte — le mardi 10 mars 2026 à 09:00 (réf. PV 2026/123)" in (
        world.last_text(agent)
    )
    assert _step(world, "claim_duty", agent) is None


async def test_a_stale_confirmation_never_confirms_another_claims_draft(world: World) -> None:
    api = world.api
    teacher, agent, _ = await _reported(world)
    await _report_a_laptop(world, teacher)
    notice_a = next(
        m for m in api.messages(agent.id) if "S-2026-0001" in (m.text or "") and m.buttons
    )
    notice_b = api.last(agent.id)
    assert "S-2026-0002" in (notice_b.text or "")

    # The pledge of claim A up to its confirmation, left there.
    await api.tap(agent, notice_a, "📝 Envoyer la fiche d'engagement")
    await api.send_text(agent, "500")
    await api.tap(agent, api.last(agent.id), "versement par la commune")
    await api.send_text(agent, "15/06/2026")
    confirm_a = api.last(agent.id)
    # Then the pledge of claim B, up to its confirmation.
    await api.tap(agent, notice_b, "📝 Envoyer la fiche d'engagement")
    await api.send_text(agent, "200")
    await api.tap(agent, api.last(agent.id), "versement direct par l'assureur")
    await api.send_text(agent, "30/06/2026")
    confirm_b = api.last(agent.id)
    assert all(len(data or "") <= 64 for row in confirm_b.buttons for _, data in row)

    tapped = await api.tap(agent, confirm_a, "✅ Envoyer la fiche")

    assert api.callback_answer(tapped) == {
        "text": "Ce bouton confirmait une autre démarche : rien n'a été enregistré. La démarche "
        "en cours porte sur le sinistre S-2026-0002 : confirmez-la avec le bouton de son "
        "dernier message.",
        "show_alert": True,
    }
    async with world.db.uow() as uow:
        pledged = (await uow.session.scalars(select(Claim.pledge_amount_cents))).all()
    assert pledged == [None, None]
    # Its « Annuler » does not drop B's draft either; B's own button confirms B.
    await api.tap(agent, confirm_a, "✖️ Annuler")
    await api.tap(agent, confirm_b, "✅ Envoyer la fiche")
    assert world.last_text(agent).startswith("📝 Fiche d'engagement du sinistre S-2026-0002")
    async with world.db.uow() as uow:
        rows = (await uow.session.execute(select(Claim.ticket_id, Claim.pledge_amount_cents))).all()
    assert sorted(rows) == [(1, None), (2, 20000)]


async def test_a_confirmation_button_sent_before_the_upgrade_confirms_nothing(
    world: World,
) -> None:
    api = world.api
    _, _, staff = await _pledged(world)
    await api.tap(staff, api.last(staff.id), "💶 Enregistrer un paiement")
    await api.send_text(staff, "300")
    await api.tap(staff, api.last(staff.id), "Aujourd'hui")
    await api.tap(staff, api.last(staff.id), "la commune, sur ses fonds propres")

    old = await api.forge_callback(staff, api.last(staff.id).message_id, "clm:ok")

    assert (api.callback_answer(old) or {}).get("show_alert") is True
    assert await _payments(world) == []
    assert _step(world, "claim_payment", staff) == "confirm"


# Each dialogue, started from the data its button carries, up to its first question.
STARTS = [
    ("claim_duty", "agent", "clm:duty:1:complaint", "Maintenant"),
    ("claim_pledge", "agent", "clm:pledge:1", "Montant estimé du remboursement"),
    ("claim_attach", "agent", "clm:attach:1", "Quel document joignez-vous"),
    ("claim_complete", "staff", "clm:complete:1", "Marquer le dossier"),
    ("claim_payment", "staff", "clm:pay:1", "Paiement reçu"),
    ("claim_replacement", "staff", "clm:repl:1", "Remplacement pour le sinistre"),
    ("claim_recovery", "staff", "clm:recov:1", "Objets du sinistre S-2026-0001 retrouvés"),
    ("claim_close", "staff", "clm:close:1", "Clore le sinistre"),
]


@pytest.mark.parametrize(("name", "who", "data", "asked"), STARTS, ids=[s[0] for s in STARTS])
async def test_cancel_leaves_each_follow_up_dialogue(
    world: World, name: str, who: str, data: str, asked: str
) -> None:
    api = world.api
    _, agent, staff = await _pledged(world)
    user = agent if who == "agent" else staff
    await api.forge_callback(user, api.last(user.id).message_id, data)
    question = api.last(user.id)
    assert asked in (question.text or "") or asked in question.button_texts
    assert _step(world, name, user) is not None

    await api.send_text(user, "/annuler")

    assert world.last_text(user) == "C'est annulé. Rien n'a été envoyé."
    assert _step(world, name, user) is None
    await api.send_text(user, "300")
    assert world.last_text(user) == NOT_UNDERSTOOD
    api.assert_no_refusals()


async def test_starting_a_follow_up_ends_the_one_left_behind(world: World) -> None:
    api = world.api
    _, _, staff = await _pledged(world)
    await api.forge_callback(staff, api.last(staff.id).message_id, "clm:close:1")
    await api.forge_callback(staff, api.last(staff.id).message_id, "clm:pay:1")

    await api.send_text(staff, "300")

    assert world.last_text(staff) == "Date du paiement ?"
    assert _step(world, "claim_close", staff) is None


async def _a_step_of_the_retired_dialogue(world: World, user: SimUser, number: str) -> None:
    """What the bot of before decision 0014 left in the database mid-payment."""
    async with world.db.uow() as uow:
        uow.session.add(
            PersistedData(
                namespace="conversation:claim_follow",
                key=f"[{user.id}, {user.id}]",
                data="pay_amount",
                updated_at=world.clock.now(),
            )
        )
        row = await uow.session.get(PersistedData, ("user_data", str(user.id)))
        draft = {"claim_id": 1, "number": number, "action": "pay", "suggested": "640.00"}
        if row is None:
            uow.session.add(
                PersistedData(
                    namespace="user_data",
                    key=str(user.id),
                    data={"claim_follow": draft},
                    updated_at=world.clock.now(),
                )
            )
        else:
            row.data = {**row.data, "claim_follow": draft}
        await uow.commit()


async def test_a_step_of_the_retired_dialogue_is_told_interrupted_after_the_upgrade(
    world: World,
) -> None:
    api = world.api
    _, _, staff = await _pledged(world)
    await _a_step_of_the_retired_dialogue(world, staff, "S-2026-0001")

    world.clock.advance(timedelta(minutes=10))
    async with restarted(world):
        await api.send_text(staff, "300")  # the answer to the old question
        assert world.last_text(staff) == (
            "Le bot a été mis à jour pendant votre démarche sur le sinistre S-2026-0001 : "
            "elle est interrompue et rien n'a été enregistré. Reprenez-la avec le bouton du "
            "sinistre (ou /sinistre S-2026-0001)."
        )
        assert await _payments(world) == []
        # Told once; the claim's button starts the payment afresh.
        await api.send_text(staff, "300")
        assert world.last_text(staff) == NOT_UNDERSTOOD
        await api.forge_callback(staff, api.last(staff.id).message_id, "clm:pay:1")
        await api.send_text(staff, "300")
        assert world.last_text(staff) == "Date du paiement ?"
        async with world.db.uow() as uow:
            old = await uow.session.get(
                PersistedData, ("conversation:claim_follow", f"[{staff.id}, {staff.id}]")
            )
        assert old is None
    api.assert_no_refusals()


async def test_a_card_button_tapped_mid_retired_step_starts_its_dialogue(world: World) -> None:
    api = world.api
    _, _, staff = await _pledged(world)
    await _a_step_of_the_retired_dialogue(world, staff, "S-2026-0001")

    async with restarted(world):
        await api.tap(staff, api.last(staff.id), "🗂 Clore")
        assert world.texts(staff)[-2].startswith("Le bot a été mis à jour")
        assert world.last_text(staff).startswith("Clore le sinistre S-2026-0001")


async def test_an_expired_step_of_the_retired_dialogue_is_dropped_silently(world: World) -> None:
    api = world.api
    _, _, staff = await _pledged(world)
    await _a_step_of_the_retired_dialogue(world, staff, "S-2026-0001")

    world.clock.advance(timedelta(hours=3))
    async with restarted(world):
        await api.send_text(staff, "300")
        assert world.last_text(staff) == NOT_UNDERSTOOD


async def test_staffs_close_of_one_claim_never_records_a_payment_of_another(
    world: World,
) -> None:
    """Staff take « Clore » of S-2026-0001 up to its confirmation, then a payment of
    S-2026-0002 up to its own; the first button closes what it names, or nothing: never the
    payment pending in the other dialogue."""
    api = world.api
    teacher, agent, staff = await _reported(world)
    await _report_a_laptop(world, teacher)
    notice_b = api.last(agent.id)
    await api.tap(agent, notice_b, "📝 Envoyer la fiche d'engagement")
    await api.send_text(agent, "200")
    await api.tap(agent, api.last(agent.id), "versement par la commune")
    await api.send_text(agent, "30/06/2026")
    await api.tap(agent, api.last(agent.id), "✅ Envoyer la fiche")

    await api.forge_callback(staff, api.last(staff.id).message_id, "clm:close:1")
    await api.send_text(staff, "Doublon")
    close_a = api.last(staff.id)
    assert "S-2026-0001" in (close_a.text or "")
    await api.forge_callback(staff, api.last(staff.id).message_id, "clm:pay:2")
    await api.send_text(staff, "150")
    await api.tap(staff, api.last(staff.id), "Aujourd'hui")
    await api.tap(staff, api.last(staff.id), "la commune, sur ses fonds propres")
    pay_b = api.last(staff.id)
    assert "S-2026-0002" in (pay_b.text or "")

    tapped = await api.tap(staff, close_a, "🗂 Clore")

    assert (api.callback_answer(tapped) or {}).get("text") == (
        "Ce bouton confirmait une autre démarche : rien n'a été enregistré. La démarche "
        "en cours porte sur le sinistre S-2026-0002 : confirmez-la avec le bouton de son "
        "dernier message."
    )
    assert await _payments(world) == []
    async with world.db.uow() as uow:
        closed = (await uow.session.scalars(select(Ticket.closed_at))).all()
    assert closed == [None, None]
    # The payment's own button still records it, on S-2026-0002.
    await api.tap(staff, pay_b, "✅ Enregistrer le paiement")
    assert await _payments(world) == [15000]
    assert "S-2026-0002" in world.last_text(staff)
    api.assert_no_refusals()
