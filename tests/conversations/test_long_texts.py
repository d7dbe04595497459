"""Texts as long as a person may type them, counted the way Telegram counts them.

Telegram counts a message in UTF-16 units: « 😀 » is two. Each case below was met: the
person got no reply (the bot's answer was refused as too long), a long note broke the
ticket's /dossier from then on, a long reply was recorded but never delivered. Every one
now gets an answer Telegram accepts, and no request is refused.
"""

from __future__ import annotations

from bot.domain.text import units
from tests.conversations.conftest import World
from tests.conversations.test_claim_follow_steps import _reported

EMOJI = "😀"


async def test_a_pledge_amount_of_two_thousand_emoji_is_answered(world: World) -> None:
    api = world.api
    _, agent, _ = await _reported(world)
    await api.tap(agent, api.last(agent.id), "📝 Envoyer la fiche d'engagement")
    before = len(api.messages(agent.id))
    await api.send_text(agent, EMOJI * 2_040)
    api.assert_no_refusals()
    assert len(api.messages(agent.id)) > before  # answered, the dialogue kept open


async def test_a_search_of_two_thousand_emoji_is_answered(world: World) -> None:
    api = world.api
    _, _, staff = await _reported(world)
    await api.send_text(staff, "/recherche " + EMOJI * 2_035)
    api.assert_no_refusals()
    assert world.last_text(staff)


async def test_a_note_too_long_in_telegrams_count_is_refused_and_the_dossier_still_opens(
    world: World,
) -> None:
    api = world.api
    _, _, staff = await _reported(world)
    await api.send_text(staff, "/note S-2026-0001 " + EMOJI * 1_700)
    api.assert_no_refusals()
    refusal = world.last_text(staff)
    assert "trop long" in refusal, refusal
    await api.send_text(staff, "/note S-2026-0001 " + EMOJI * 900)  # within the limit
    api.assert_no_refusals()
    await api.send_text(staff, "/dossier S-2026-0001")
    api.assert_no_refusals()
    assert any("S-2026-0001" in (m.text or "") for m in api.messages(staff.id)[-3:])


async def test_a_reply_too_long_in_telegrams_count_is_refused_not_lost(world: World) -> None:
    api = world.api
    teacher, _, staff = await _reported(world)
    before = len(api.messages(teacher.id))
    await api.send_text(staff, "/repondre S-2026-0001 " + EMOJI * 1_700)
    api.assert_no_refusals()
    refusal = world.last_text(staff)
    assert "trop long" in refusal, refusal
    assert len(api.messages(teacher.id)) == before  # nothing recorded as sent
    await api.send_text(staff, "/repondre S-2026-0001 " + EMOJI * 1_400)
    api.assert_no_refusals()
    delivered = api.messages(teacher.id)[-1].text or ""
    assert units(delivered) <= 4_096 and EMOJI * 1_400 in delivered
