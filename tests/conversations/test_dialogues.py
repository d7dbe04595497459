"""Dialogues end: on /annuler (all of them at once), and when the person stops answering."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.roles import Role
from tests.conversations.conftest import World, restarted
from tests.conversations.test_claims import report_two_tablets


async def test_cancel_ends_every_dialogue_the_person_is_in(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    # Staff open two dialogues: closing the claim, then (without finishing) a report.
    await api.tap(staff, api.last(staff.id), "🗂 Clore")
    await api.send_text(staff, "/signaler")

    await api.send_text(staff, "/annuler")
    assert world.last_text(staff) == "C'est annulé. Rien n'a été envoyé."

    # Neither dialogue takes the next message: it is not a close reason.
    await api.send_text(staff, "Une phrase quelconque")
    assert (
        world.last_text(staff) == "Je n'ai pas compris. Tapez /aide pour voir ce que je peux faire."
    )
    await api.send_text(staff, "/annuler")
    assert world.last_text(staff) == "Il n'y a rien en cours à annuler."


async def test_a_step_left_unanswered_is_not_restored_after_a_restart(world: World) -> None:
    """A commune agent leaves the complaint's reference question unanswered; days later the
    bot has restarted and their message must not become the complaint's reference."""
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    await api.tap(agent, api.last(agent.id), "✅ Fait : dépôt de plainte")
    await api.tap(agent, api.last(agent.id), "Maintenant")
    assert world.last_text(agent).startswith("Quelle est la référence de la plainte")

    world.clock.advance(timedelta(days=3))
    async with restarted(world):
        await api.send_text(agent, "Bonjour, la plainte sera déposée lundi")
        assert world.last_text(agent) == (
            "Je n'ai pas compris. Tapez /aide pour voir ce que je peux faire."
        )
        await api.send_text(agent, "/sinistre S-2026-0001")
        assert "⏳ dépôt de plainte" in world.last_text(agent)


async def test_a_recent_step_is_restored_after_a_restart(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    await api.tap(agent, api.last(agent.id), "✅ Fait : dépôt de plainte")
    await api.tap(agent, api.last(agent.id), "Maintenant")

    world.clock.advance(timedelta(minutes=20))
    async with restarted(world):
        await api.send_text(agent, "PV 2026/123")
        assert "(réf. PV 2026/123)" in world.last_text(agent)


async def test_every_dialogue_gives_up_after_its_timeout(world: World) -> None:
    from telegram.ext import ConversationHandler

    from handlers.telegram.dialogues import timeout_of

    dialogues = {
        h.name: h.conversation_timeout
        for handlers in world.app.handlers.values()
        for h in handlers
        if isinstance(h, ConversationHandler)
    }
    assert dialogues == {
        "claim_report": timedelta(hours=24),
        "claim_duty": timedelta(hours=1),
        "claim_pledge": timedelta(hours=1),
        "claim_complete": timedelta(hours=1),
        "claim_payment": timedelta(hours=1),
        "claim_replacement": timedelta(hours=1),
        "claim_recovery": timedelta(hours=1),
        "claim_close": timedelta(hours=1),
        "claim_cause": timedelta(hours=1),
        "claim_attach": timedelta(hours=1),
        "claim_recovery_answer": timedelta(hours=1),
        "claim_indemnity": timedelta(hours=1),
        "claim_body_payment": timedelta(hours=1),
        "claim_payment_review": timedelta(hours=1),
        "staff_write": timedelta(hours=1),
        "staff_invite": timedelta(hours=1),
        "staff_announce": timedelta(hours=1),
        "security_hold": timedelta(hours=1),
        "security_lift": timedelta(hours=1),
        "stock_reassign": timedelta(hours=1),
        "collection_flag": timedelta(hours=1),
        "collection_removal": timedelta(hours=1),
        "collection_withdraw": timedelta(hours=1),
        "round_plan": timedelta(hours=1),
        "round_act": timedelta(hours=1),
        "round_other_date": timedelta(hours=1),
        "notice_works": timedelta(hours=1),
        "notice_fibre": timedelta(hours=1),
        "class_change": timedelta(hours=1),
        "notice_network": timedelta(hours=1),
        "notice_collect": timedelta(hours=1),
        "call_delivery": timedelta(hours=1),
        "certificate_send": timedelta(hours=1),
        "certificate_refuse": timedelta(hours=1),
        "call_create": timedelta(hours=1),
        "call_extend": timedelta(hours=1),
        "call_decide": timedelta(hours=1),
        "call_apply": timedelta(hours=1),
        "call_comment": timedelta(hours=1),
    }
    assert timeout_of("anything_else") == timedelta(hours=1)


async def test_a_restored_step_still_expires_when_its_time_is_up(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    await api.tap(agent, api.last(agent.id), "✅ Fait : dépôt de plainte")
    await api.tap(agent, api.last(agent.id), "Maintenant")

    world.clock.advance(timedelta(minutes=20))  # restored: younger than its hour
    async with restarted(world):
        world.clock.advance(timedelta(days=2))  # ... but nobody answers for two days
        await api.send_text(agent, "Bonjour, la plainte sera déposée lundi")
        assert world.last_text(agent) == (
            "Je n'ai pas compris. Tapez /aide pour voir ce que je peux faire."
        )


async def test_a_reply_about_a_ticket_reaches_its_ticket_even_mid_dialogue(world: World) -> None:
    api = world.api
    zoe = await world.registered("Zoé", Role.TEACHER)
    yann = await world.registered("Yann", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    await report_two_tablets(world, zoe)
    await api.tap(zoe, api.last(zoe.id), "✅ Confirmer l'envoi")
    await api.send_text(staff, "/dossier S-2026-0001")
    await api.tap(staff, api.last(staff.id), "💬 Répondre au déclarant")  # now in a dialogue
    # Meanwhile Yann writes on his own claim, and Sacha answers him with reply-to.
    await api.send_text(yann, "/signaler")
    await api.tap(yann, api.last(yann.id), "Perte")
    await api.send_text(yann, "SEM-0003")
    await api.tap(yann, api.last(yann.id), "✔️ Terminé (1 choisi)")
    await api.send_text(yann, "hier 8h")
    await api.send_text(yann, "Oublié en sortie")
    await api.tap(yann, api.last(yann.id), "✔️ Terminé")
    await api.tap(yann, api.last(yann.id), "✅ Confirmer l'envoi")
    notice = next(m for m in reversed(api.messages(staff.id)) if "S-2026-0002" in (m.text or ""))
    api.clear()

    await api.send_text(
        staff, "Yann, merci pour le signalement", reply_to_message_id=notice.message_id
    )

    assert "Yann, merci pour le signalement" in world.last_text(yann)
    assert api.sent_to(zoe.id) == []


async def test_editing_an_old_message_is_not_an_answer(world: World) -> None:
    api = world.api
    staff = await world.registered("Sacha", Role.STAFF)
    teacher = await world.registered("Zoé", Role.TEACHER)
    await report_two_tablets(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    await api.tap(staff, api.last(staff.id), "🗂 Clore")
    from telegram import Update

    edited = {
        "update_id": 999_999,
        "edited_message": {
            "message_id": 1,
            "date": int(world.clock.now().timestamp()),
            "edit_date": int(world.clock.now().timestamp()),
            "chat": {"id": staff.id, "type": "private", "first_name": "Sacha"},
            "from": {"id": staff.id, "is_bot": False, "first_name": "Sacha"},
            "text": "une correction de frappe",
        },
    }
    await world.app.process_update(Update.de_json(edited, world.app.bot))

    assert world.last_text(staff).startswith("Clore le sinistre S-2026-0001")  # still asking
