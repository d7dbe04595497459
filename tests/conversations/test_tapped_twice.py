"""A button tapped a second time, once its message has lost its buttons (a double tap, or
an older message's button after the dialogue was started again), is taken as an answer
to the current question: the bot does not ask Telegram to remove buttons that are gone
(Telegram refuses: "message is not modified"), which used to abort the step. And a list
tapped again that does not change is no error for the logs and the staff chat."""

from __future__ import annotations

import logging

import pytest

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
    await api.tap(teacher, api.last(teacher.id), "🔄 Recommencer (effacer le brouillon)")

    tapped = await api.forge_callback(teacher, first.message_id, "clm:kind:theft")

    assert api.callback_answer(tapped) is not None
    api.assert_no_refusals()
    assert not any(INTERNAL_ERROR in text for text in world.texts(teacher))
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
    assert not any(INTERNAL_ERROR in text for text in world.texts(staff))
    assert world.last_text(staff).startswith("Combien de temps l'invitation")


async def test_the_page_of_equipment_shown_tapped_again_changes_nothing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    items = api.last(teacher.id)
    edits = [s.method for s in api.sent if s.method.startswith("edit")]

    tapped = await api.forge_callback(teacher, items.message_id, "clm:page:0")  # shown already

    assert api.callback_answer(tapped) is not None
    assert api.last(teacher.id).text == items.text
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []  # not an error
    # An edit that would change nothing is not sent (Telegram would refuse it).
    assert api.refused == []
    assert [s.method for s in api.sent if s.method.startswith("edit")] == edits


async def test_the_same_language_tapped_twice_is_answered_and_changes_nothing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    api = world.api
    zoe = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(zoe, "/langue")
    menu = api.last(zoe.id)
    await api.tap(zoe, menu, "English")
    edits = [s for s in api.sent if s.method == "editMessageText"]
    again = await api.forge_callback(zoe, menu.message_id, str(menu.buttons[0][1][1]))
    assert api.callback_answer(again) is not None  # answered…
    assert [s for s in api.sent if s.method == "editMessageText"] == edits  # …and ignored
    assert api.refused == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
