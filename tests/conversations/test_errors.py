"""Whatever fails, the person is answered: a refused request (``BadRequest``, which
python-telegram-bot counts among the network errors) included, in the person's language,
in the tap's own alert when a button was tapped; staff get one digest of the failures,
not a message each."""

from __future__ import annotations

from bot.domain.roles import Role
from handlers.telegram.errors import digest_job
from tests.conversations.conftest import World

SORRY = (
    "Désolé, une erreur s'est produite de mon côté. Rien n'a été perdu de ce qui était déjà"
    " enregistré ; réessayez dans un instant."
)
TOO_LONG = "Bad Request: message is too long"


async def test_a_refused_reply_still_gets_the_person_an_answer(world: World) -> None:
    api = world.api
    zoe = await world.registered("Zoé", Role.TEACHER)
    api.fail("sendMessage", status=400, description=TOO_LONG)
    await api.send_text(zoe, "/aide")
    assert world.last_text(zoe) == SORRY
    assert [(f.status, f.description) for f in api.faults_served] == [(400, TOO_LONG)]


async def test_the_answer_is_in_the_persons_language(world: World) -> None:
    api = world.api
    sam = await world.registered("Sam", Role.TEACHER)
    await api.send_text(sam, "/langue")
    await api.tap(sam, api.last(sam.id), "English")
    api.fail("sendMessage", status=400, description=TOO_LONG)
    await api.send_text(sam, "/aide")
    assert world.last_text(sam).startswith("Sorry")


async def test_a_tap_whose_handling_fails_after_its_answer_gets_a_message(
    world: World,
) -> None:
    api = world.api
    zoe = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(zoe, "/langue")
    menu = api.last(zoe.id)
    api.fail("editMessageText", status=400, description=TOO_LONG)
    update = await api.tap(zoe, menu, "English")
    assert api.callback_answer(update) == {}  # the tap was answered before the failure
    assert world.last_text(zoe).startswith("Sorry, something went wrong on my side.")


async def test_staff_get_one_digest_of_the_failures(world: World) -> None:
    api = world.api
    services = world.app.bot_data["services"]
    staff_chat = -100_500
    api.group(staff_chat, "Équipe SEM")
    services.settings = services.settings.model_copy(update={"staff_chat_id": staff_chat})
    zoe = await world.registered("Zoé", Role.TEACHER)
    for _ in range(3):
        api.fail("sendMessage", status=400, description=TOO_LONG)
        await api.send_text(zoe, "/aide")
    api.fail("sendMessage", status=500, description="Internal Server Error")
    await api.send_text(zoe, "/aide")
    assert api.messages(staff_chat) == []  # not one message each

    class _Context:
        application = world.app
        bot = world.app.bot

    await digest_job(_Context())  # type: ignore[arg-type]
    [digest] = api.messages(staff_chat)
    lines = (digest.text or "").splitlines()
    assert lines[0].startswith("⚠️ 4 erreurs du bot depuis le ")
    assert lines[1].startswith("• BadRequest: Message is too long × 3 (dernière le ")
    assert lines[2].startswith("• NetworkError: Internal Server Error × 1")
    assert "Zoé" not in (digest.text or "")  # nothing of who or what was written
    await digest_job(_Context())  # type: ignore[arg-type]
    assert len(api.messages(staff_chat)) == 1  # nothing new: no digest
