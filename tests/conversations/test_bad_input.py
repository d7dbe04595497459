"""Bad input is refused with a word before it reaches a dialogue or the database: a
button whose data names an id no record can have (a forged ``clm:pledge:9999999999``,
beyond PostgreSQL's 32-bit ids), a NUL character in a text, a caption or a file name.
On both front ends, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from typing import Any

from bot.domain.roles import Role
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_claim_follow_steps import _reported
from tests.conversations.test_discord_claims import _text

STALE = "Ce bouton n'est plus valable."
NUL = (
    "Ce message contient un caractère nul (invisible) que je ne peux pas enregistrer."
    " Envoyez-le de nouveau sans ce caractère."
)


async def test_a_forged_ten_digit_id_is_a_stale_button(world: World) -> None:
    api = world.api
    _, agent, _ = await _reported(world)
    card = api.last(agent.id)
    for forged in ("clm:pledge:9999999999", "tk:view:99999999999999999999", "clm:view:2147483648"):
        tapped = await api.forge_callback(agent, card.message_id, forged)
        assert api.callback_answer(tapped) == {"text": STALE, "show_alert": True}, forged
    api.assert_no_refusals()


async def test_a_nul_in_a_text_a_caption_or_a_file_name_is_refused(world: World) -> None:
    api = world.api
    zoe = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(zoe, "/signaler")
    before = world.last_text(zoe)
    await api.send_text(zoe, "a\x00b")
    assert world.last_text(zoe) == NUL
    await api.send_document(zoe, b"%PDF-1.4", "plan\x00.pdf", "application/pdf")
    assert world.last_text(zoe) == NUL
    await api.send_document(zoe, b"%PDF-1.4", "plan.pdf", "application/pdf", caption="x\x00")
    assert world.last_text(zoe) == NUL
    # The dialogue is still where it was.
    await api.tap(zoe, api.messages(zoe.id)[-4], "Vol")
    assert world.last_text(zoe) != before
    api.assert_no_refusals()


async def _forged_tap(side: DiscordSide, user: Any, message: Any, custom_id: str) -> Any:
    offline = side.discord
    stored = copy.deepcopy(offline._messages[message.channel_id][message.id])
    stored["components"][0]["components"][0]["custom_id"] = custom_id
    data = {"custom_id": custom_id, "component_type": 2}
    channel = offline.channels[int(stored["channel_id"])]
    return await offline._play(offline._interaction(3, user, channel, data, message=stored))


async def test_on_discord_a_forged_id_and_a_nul_option_are_refused(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    sacha = await side.registered(world, "sacha", Role.STAFF)
    offline = side.discord
    listing = await offline.slash(sacha, "file", channel=side.hall)
    message = offline.last_message(side.hall)
    assert listing is not None and message.custom_ids
    forged = await _forged_tap(side, sacha, message, "clm:pledge:9999999999")
    assert _text(forged) == STALE
    searched = await offline.slash(sacha, "recherche", {"texte": "a\x00b"}, channel=side.hall)
    assert _text(searched) == NUL
