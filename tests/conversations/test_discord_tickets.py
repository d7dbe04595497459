"""Tickets on Discord beside Telegram, on the same services: a person's own tickets
(/mes_dossiers, /dossier with the numbers they may see completed), the staff's triage
(/file, /retards, /recherche, /repondre, /note) and the buttons under them; the refusals;
and replies between staff and reporters across the two platforms."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from bot.domain.claims import ClaimKind
from bot.domain.platforms import DISCORD, TELEGRAM
from bot.domain.roles import Role
from bot.services import claims, registration
from tests.conversations.conftest import DiscordSide, World

EPHEMERAL = 1 << 6
FORBIDDEN = "Vous n'avez pas accès à cette action."
NOT_A_CLAIM = "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."


def _text(record: Any) -> str:
    response = getattr(record, "response", None) or {}
    return str(response.get("data", response).get("content") or "")


def _answers(side: DiscordSide, record: Any) -> list[Any]:
    """The messages answering an interaction: the original response, then follow-ups."""
    ids = ([record.original_id] if record.original_id else []) + list(record.followup_ids)
    return [side.discord.message(i) for i in ids]


async def _pid(world: World, platform: str, user: Any) -> int:
    person = await registration.find_person(world.db, platform, user.id)
    assert person is not None
    return person.id


async def _claim(world: World, reporter_id: int, school: str = "soleil") -> str:
    """A damage claim made through the service (no messages): its number."""
    reported = await claims.report_claim(
        world.db,
        claims.ReportClaim(
            reporter_id=reporter_id,
            school_id=world.ids[school],
            kind=ClaimKind.DAMAGE,
            discovered_at=world.clock.now() - timedelta(hours=1),
            description="Écran fissuré",
            items=(claims.ItemRequest(None, "un écran"),),
        ),
        world.clock.now(),
    )
    return reported.claim.number


async def _complete(side: DiscordSide, user: Any, command: str, typed: str) -> list[str]:
    """What Discord offers while ``user`` types ``typed`` in the ``numero`` option."""
    offline = side.discord
    registered = offline._find_command(command, side.hall.guild_id)
    data: dict[str, Any] = {
        "id": registered["id"],
        "name": command,
        "type": 1,
        "options": [{"type": 3, "name": "numero", "value": typed, "focused": True}],
    }
    if registered.get("guild_id"):
        data["guild_id"] = registered["guild_id"]
    record = await offline._play(offline._interaction(4, user, side.hall, data))
    assert record.response is not None and record.response["type"] == 8
    return [choice["value"] for choice in record.response["data"]["choices"]]


# --- a person's own tickets ----------------------------------------------------------------


async def test_a_teacher_lists_and_opens_her_own_tickets_never_a_colleagues(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    yann = await side.registered(world, "yann", Role.TEACHER)
    mine = await _claim(world, await _pid(world, DISCORD, zoe))
    theirs = await _claim(world, await _pid(world, DISCORD, yann))
    assert (mine, theirs) == ("S-2026-0001", "S-2026-0002")

    listing = await side.discord.slash(zoe, "mes_dossiers", channel=side.hall)
    assert listing.response is not None and listing.response["data"]["flags"] & EPHEMERAL
    assert _text(listing) == (
        "📂 **Vos dossiers** — 1 au total, page 1/1\n\n"
        "**S-2026-0001** · Sinistre · déclaré, démarches de la commune en cours\n"
        "École du Soleil · 10/03/2026\n\n"
        "Touchez un numéro pour ouvrir le dossier."
    )
    shown = _answers(side, listing)[0]
    assert shown.custom_ids == ["tk:open:1"]

    opened = await side.discord.tap(zoe, shown, "tk:open:1")
    card, thread = (m.content for m in _answers(side, opened))
    assert card.startswith("**Sinistre S-2026-0001** — Dégradation")
    assert thread.startswith("💬 **Échanges sur le dossier S-2026-0001**")

    # Completion offers her number only; a colleague's number reads as one that does not
    # exist, with the claim's own words.
    assert await _complete(side, zoe, "dossier", "") == ["S-2026-0001"]
    assert await _complete(side, zoe, "dossier", "0002") == []
    assert await _complete(side, yann, "dossier", "S-2026") == ["S-2026-0002"]
    own = await side.discord.slash(zoe, "dossier", {"numero": "s-2026-0001"}, channel=side.hall)
    assert _text(own).startswith("**Sinistre S-2026-0001**")
    other = await side.discord.slash(zoe, "dossier", {"numero": theirs}, channel=side.hall)
    missing = await side.discord.slash(zoe, "dossier", {"numero": "S-2026-0099"}, channel=side.hall)
    assert _text(other) == _text(missing) == NOT_A_CLAIM
    nonsense = await side.discord.slash(zoe, "dossier", {"numero": "n'importe"}, channel=side.hall)
    assert _text(nonsense) == "Je ne trouve pas ce dossier."


async def test_a_school_head_sees_the_school_and_an_agent_the_commune_only(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    head = await side.registered(world, "hélène", Role.DIRECTOR)
    firminy = await side.registered(world, "fabien", Role.COMMUNE, commune="42095")
    zoe = await world.registered("Zoé", Role.TEACHER)
    forges_teacher = await world.registered("Félix", Role.TEACHER, school="0420003A")
    soleil = await _claim(world, await _pid(world, TELEGRAM, zoe))
    forges = await _claim(world, await _pid(world, TELEGRAM, forges_teacher), "forges")

    listing = await side.discord.slash(head, "mes_dossiers", channel=side.hall)
    assert "S-2026-0001" in _text(listing) and "S-2026-0002" not in _text(listing)
    assert "École du Soleil" in _text(listing)
    assert await _complete(side, head, "dossier", "S") == [soleil]
    assert await _complete(side, firminy, "dossier", "S") == [forges]

    agent = await side.discord.slash(firminy, "dossier", {"numero": forges}, channel=side.hall)
    assert _text(agent).startswith("**Sinistre S-2026-0002**")
    assert _answers(side, agent)[0].custom_ids  # the body's own actions
    # Another school's ticket, for the head and for the other commune's agent.
    for user, number in ((head, forges), (firminy, soleil)):
        refused = await side.discord.slash(user, "dossier", {"numero": number}, channel=side.hall)
        assert _text(refused) == NOT_A_CLAIM


async def test_a_forged_button_opens_nothing_out_of_scope(both: tuple[World, DiscordSide]) -> None:
    world, side = both
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    yann = await world.registered("Yann", Role.TEACHER)
    await _claim(world, await _pid(world, DISCORD, zoe))
    await _claim(world, await _pid(world, TELEGRAM, yann))
    listing = _answers(side, await side.discord.slash(zoe, "mes_dossiers", channel=side.hall))[0]
    forged = await _forged_tap(side, zoe, listing, "tk:open:2")
    assert _text(forged) == "Dossier introuvable, ou hors de votre périmètre."
    for action in ("tk:view:2", "tq:0:0:0:-", "tk:take:2", "tk:reply:2"):
        assert _text(await _forged_tap(side, zoe, listing, action)) == FORBIDDEN


async def _forged_tap(side: DiscordSide, user: Any, message: Any, custom_id: str) -> Any:
    """A tap whose custom id was doctored on the way (never offered to this person)."""
    offline = side.discord
    stored = copy.deepcopy(offline._messages[message.channel_id][message.id])
    stored["components"][0]["components"][0]["custom_id"] = custom_id
    data = {"custom_id": custom_id, "component_type": 2}
    channel = offline.channels[int(stored["channel_id"])]
    return await offline._play(offline._interaction(3, user, channel, data, message=stored))
