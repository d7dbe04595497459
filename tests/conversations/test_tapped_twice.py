"""A button tapped a second time, once its message has lost its buttons (a double tap, or
an older message's button after the dialogue was started again), is taken as an answer
to the current question, not an internal error: the bot does not ask Telegram to remove
buttons that are gone, which Telegram refuses ("message is not modified")."""

from __future__ import annotations

from bot.domain.roles import Role
from tests.conversations.conftest import World

INTERNAL_ERROR = "Désolé, une erreur s'est produite de mon côté."


async def test_a_kind_tapped_again_on_an_older_report_goes_on(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    first = api.last(teacher.id)
    await api.tap(teacher, first, "Vol")  # its buttons are gone
    await api.send_text(teacher, "/signaler")  # a new report, at its first question

    tapped = await api.forge_callback(teacher, first.message_id, "clm:kind:theft")

    assert api.callback_answer(tapped) is not None
    api.assert_no_refusals()
    assert INTERNAL_ERROR not in world.texts(teacher)
    assert world.last_text(teacher).startswith("Quel matériel ?")


async def test_a_role_tapped_again_on_an_older_invitation_goes_on(world: World) -> None:
    api = world.api
    staff = await world.registered("Sacha", Role.STAFF)
    await api.send_text(staff, "/inviter")
    first = api.last(staff.id)
    await api.tap(staff, first, "équipe SEM du Plan numérique")
    await api.send_text(staff, "/inviter")

    tapped = await api.forge_callback(staff, first.message_id, "inv:role:staff")

    assert api.callback_answer(tapped) is not None
    api.assert_no_refusals()
    assert INTERNAL_ERROR not in world.texts(staff)
    assert world.last_text(staff).startswith("Combien de temps l'invitation")
