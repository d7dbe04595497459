"""Starting a dialogue ends the others the person is in: the answer to the new question
reaches the new dialogue, not the one left behind; a refused start ends nothing."""

from __future__ import annotations

from telegram.ext import ConversationHandler

from bot.domain.roles import Role
from handlers.telegram.offline import SimUser
from tests.conversations.conftest import World


def _open(world: World, user: SimUser) -> list[tuple[str | None, object]]:
    return [
        (h.name, h._conversations[(user.id, user.id)])
        for hs in world.app.handlers.values()
        for h in hs
        if isinstance(h, ConversationHandler) and (user.id, user.id) in h._conversations
    ]


async def test_a_report_left_for_an_invitation_does_not_take_its_answers(world: World) -> None:
    api = world.api
    staff = await world.registered("Sacha", Role.STAFF)
    await api.send_text(staff, "/signaler")  # left at its first question
    await api.send_text(staff, "/inviter")
    await api.tap(staff, api.last(staff.id), "direction d'école")

    await api.send_text(staff, "lune")

    found = api.last(staff.id)
    assert found.text == "Écoles trouvées pour « lune » : choisissez-en une, ou tapez autre chose."
    assert _open(world, staff) == [("staff_invite", "inv_school")]
    api.assert_no_refusals()


async def test_a_refused_start_leaves_the_report_in_progress(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")

    await api.send_text(teacher, "/inviter")  # not for a teacher

    assert _open(world, teacher) == [("claim_report", "kind")]
