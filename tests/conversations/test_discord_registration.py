"""Registration and a person's settings on Discord, beside Telegram on the same services.

The real discord.py client on the offline Discord (handlers/discord/offline): a person
runs /inscription with the single-use code from SEM's staff in the server's channel; the
bot opens their private channel (where reminders go), answers only them (ephemeral), and
shows the help of their role; /moi, /langue, /preferences; a person on both platforms
chooses where reminders go and gets one message, not two.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.platforms import DISCORD, TELEGRAM
from bot.domain.roles import Role
from bot.services import registration
from storage.models import Person
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_claims import report_two_tablets, sweep

EPHEMERAL = 1 << 6


def _text(record: object) -> str:
    response = getattr(record, "response", None) or {}
    return str(response.get("data", response).get("content") or "")


async def test_a_code_registers_a_discord_account_and_opens_its_private_channel(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    zoe = side.user("zoe")
    code = await world.invite(Role.TEACHER, school="0420001Y")
    # A wrong code first: refused in French, nothing registered.
    wrong = await side.discord.slash(zoe, "inscription", {"code": "ABCD-EFGH"}, channel=side.hall)
    assert "code" in _text(wrong).lower()
    assert await registration.find_person(world.db, DISCORD, zoe.id) is None

    done = await side.discord.slash(zoe, "inscription", {"code": code}, channel=side.hall)
    text = _text(done)
    assert done.response is not None
    assert done.response["data"]["flags"] & EPHEMERAL  # seen by Zoé only, in the channel
    assert "École du Soleil" in text and "/moi — " in text
    person = await registration.find_person(world.db, DISCORD, zoe.id)
    assert person is not None and person.role == "teacher"
    account = person.account(DISCORD)
    assert account is not None and account.chat_id == side.discord.dm_channel(zoe).id
    assert person.preferred_platform == DISCORD

    # Single use: a second person with the same code is refused.
    other = side.user("noe")
    again = await side.discord.slash(other, "inscription", {"code": code}, channel=side.hall)
    assert await registration.find_person(world.db, DISCORD, other.id) is None
    assert _text(again) != text
    # Already registered: said so, nothing else.
    twice = await side.discord.slash(zoe, "inscription", {"code": code}, channel=side.hall)
    assert "déjà" in _text(twice)


async def test_help_profile_and_language_on_discord(both: tuple[World, DiscordSide]) -> None:
    world, side = both
    stranger = side.user("inconnu")
    shown = await side.discord.slash(stranger, "aide", channel=side.hall)
    assert "/inscription" in _text(shown) and "/signaler" not in _text(shown)
    zoe = await side.registered(world, "zoe", Role.DIRECTOR)
    profile = await side.discord.slash(zoe, "moi", channel=side.hall)
    assert "École du Soleil" in _text(profile) and "0420001Y" in _text(profile)
    english = await side.discord.slash(zoe, "langue", {"langue": "en"}, channel=side.hall)
    assert "English" in _text(english)
    helped = await side.discord.slash(zoe, "aide", channel=side.hall)
    assert "/me — " in _text(helped) and "/moi" not in _text(helped)


async def test_a_person_on_both_platforms_chooses_where_reminders_go(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    # Claude, the commune's agent, registered on Telegram, links a Discord account.
    claude_tg = await world.registered("Claude", Role.COMMUNE)
    teacher = await world.registered("Zoé", Role.TEACHER)
    person = await registration.find_person(world.db, TELEGRAM, claude_tg.id)
    assert person is not None
    link = await registration.create_account_code(
        world.db, person_id=person.id, validity=timedelta(days=1), now=world.clock.now()
    )
    claude = side.user("claude")
    await side.discord.slash(claude, "inscription", {"code": link.code}, channel=side.hall)
    # Registered on Discord last: reminders go there now.
    shown = await side.discord.slash(claude, "preferences", channel=side.hall)
    assert "Discord" in _text(shown) and "Telegram, Discord" in _text(shown)

    await report_two_tablets(world, teacher)
    await world.api.tap(teacher, world.api.last(teacher.id), "✅ Confirmer l'envoi")
    on_telegram = len(world.api.messages(claude_tg.id))
    world.clock.advance(timedelta(hours=24))
    assert (await sweep(world)).sent >= 1
    dm = side.discord.dm_channel(claude)
    reminder = side.discord.last_message(dm)
    assert "S-2026-0001" in reminder.content
    assert len(reminder.custom_ids) >= 3  # the duty buttons, joined into Discord's rows
    assert len(world.api.messages(claude_tg.id)) == on_telegram  # one message, not two

    # Back to Telegram: the next reminder goes there only.
    chosen = await side.discord.slash(
        claude, "preferences", {"plateforme": "telegram"}, channel=side.hall
    )
    assert "Telegram" in _text(chosen)
    async with world.db.uow() as uow:
        found = await uow.people.get(person.id)
        assert isinstance(found, Person) and found.preferred_platform == TELEGRAM
    before = len(side.discord.messages(dm))
    world.clock.advance(timedelta(hours=20))
    await sweep(world)
    assert any("S-2026-0001" in (m.text or "") for m in world.api.messages(claude_tg.id))
    assert len(side.discord.messages(dm)) == before


async def test_on_telegram_too_a_person_chooses_where_reminders_go(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    claude_tg = await world.registered("Claude", Role.COMMUNE)
    person = await registration.find_person(world.db, TELEGRAM, claude_tg.id)
    assert person is not None
    # Telegram only: nothing to choose.
    await world.api.send_text(claude_tg, "/preferences")
    assert world.last_text(claude_tg) == (
        "Vos rappels et messages arrivent sur Telegram. Vos comptes : Telegram."
    )
    assert world.api.last(claude_tg.id).button_texts == []
    link = await registration.create_account_code(
        world.db, person_id=person.id, validity=timedelta(days=1), now=world.clock.now()
    )
    await side.discord.slash(
        side.user("claude"), "inscription", {"code": link.code}, channel=side.hall
    )
    await world.api.send_text(claude_tg, "/preferences")
    assert world.last_text(claude_tg) == (
        "Vos rappels et messages arrivent sur Discord. Vos comptes : Telegram, Discord."
    )
    await world.api.tap(claude_tg, world.api.last(claude_tg.id), "Recevoir sur Telegram")
    assert world.last_text(claude_tg) == (
        "✅ C'est noté : vos rappels et messages arriveront désormais sur Telegram, et"
        " seulement là."
    )
    assert (await registration.platforms(world.db, person.id)).preferred == TELEGRAM
    world.api.assert_no_refusals()


async def test_a_rule_changed_in_the_domain_shows_the_same_on_both_fronts(
    both: tuple[World, DiscordSide], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The slow-down after wrong invitation codes is one rule (bot.domain.invitations):
    changed there, both front ends refuse at the same attempt with the same words."""
    from bot.domain import invitations

    world, side = both
    monkeypatch.setattr(invitations, "FREE_FAILURES", 1)  # was 3
    locked = "Trop de codes erronés. Par sécurité, réessayez après le"
    wrong = "ZZZZ-ZZZZ-ZZ22"

    eve_tg = world.user("Eve")
    telegram: list[str] = []
    for _ in range(3):
        await world.api.send_text(eve_tg, f"/start {wrong}")
        telegram.append(world.last_text(eve_tg))
    eve_dc = side.user("eve")
    discord_: list[str] = []
    for _ in range(3):
        record = await side.discord.slash(eve_dc, "inscription", {"code": wrong}, channel=side.hall)
        discord_.append(_text(record))
    assert [locked in t for t in telegram] == [False, False, True]
    assert [locked in t for t in discord_] == [False, False, True]
    assert telegram[0] != telegram[2] and discord_[0] != discord_[2]
