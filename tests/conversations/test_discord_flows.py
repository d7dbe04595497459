"""The other ticket kinds on Discord, over the same services as Telegram.

/collecte: a teacher on Discord flags a tablet (tag suggested from her school only, its
condition in a select, a summary naming it, the form for the place and a note), staff on
Telegram hear of it through the router; a bad tag, a blank place, a stale select are
refused with the domain's French messages.
"""

from __future__ import annotations

from typing import Any

from bot.domain.roles import Role
from handlers.discord.offline.api import AUTOCOMPLETE, InteractionRecord, SimUser
from storage.models import Equipment
from tests.conversations.conftest import DiscordSide, World

EPHEMERAL = 1 << 6


def _text(record: InteractionRecord) -> str:
    response = record.response or {}
    return str(response.get("data", response).get("content") or "")


def _posted(side: DiscordSide, record: InteractionRecord) -> Any:
    """The message the bot answered the interaction with."""
    assert record.original_id is not None
    return side.discord.message(record.original_id)


async def _suggest(side: DiscordSide, user: SimUser, command: str, option: str, typed: str) -> Any:
    """``user`` types ``typed`` in the option ``option`` of ``/command``: the choices
    the bot suggests (an autocomplete interaction, as Discord sends it)."""
    offline = side.discord
    registered = offline._find_command(command, side.guild.id)
    data = {
        "id": registered["id"],
        "name": command,
        "type": 1,
        "options": [{"type": 3, "name": option, "value": typed, "focused": True}],
    }
    if registered.get("guild_id"):
        data["guild_id"] = registered["guild_id"]
    record = await offline._play(offline._interaction(AUTOCOMPLETE, user, side.hall, data))
    assert record.response_type == 8, record.response
    return [c["value"] for c in record.response["data"]["choices"]]


async def test_a_teacher_flags_a_broken_tablet_from_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    staff = await world.registered("Sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    hall = side.hall

    # The tags suggested are her school's equipment in service, never another school's.
    assert await _suggest(side, zoe, "collecte", "materiel", "sem-0") == [
        "SEM-0001", "SEM-0002", "SEM-0003", "SEM-0004", "SEM-0005",
    ]  # fmt: skip
    assert await _suggest(side, zoe, "collecte", "materiel", "0101") == []
    stranger = side.user("inconnu")
    assert await _suggest(side, stranger, "collecte", "materiel", "SEM") == []

    # Bad tags: each refused with the domain's message, only to her.
    other = await side.discord.slash(zoe, "collecte", {"materiel": "SEM-0101"}, channel=hall)
    assert _text(other) == "SEM-0101 appartient à l'inventaire d'une autre école."
    assert other.response is not None and other.response["data"]["flags"] & EPHEMERAL
    unknown = await side.discord.slash(zoe, "collecte", {"materiel": "SEM-9999"}, channel=hall)
    assert _text(unknown) == (
        "SEM-9999 n'est pas dans l'inventaire : vérifiez le numéro sur l'étiquette."
    )
    unreadable = await side.discord.slash(zoe, "collecte", {"materiel": "§§ ?"}, channel=hall)
    assert _text(unreadable).startswith("« §§ ? » n'est pas un numéro d'inventaire lisible")
    refused = await side.discord.slash(stranger, "collecte", {"materiel": "SEM-0001"}, channel=hall)
    assert _text(refused) == "Vous n'avez pas accès à cette action."

    # The tag as typed on the label: its condition asked in a select.
    asked = await side.discord.slash(zoe, "collecte", {"materiel": "sem-0001"}, channel=hall)
    assert _text(asked) == "Objet 1 sur 1 : `SEM-0001 (tablette, iPad 9)`\nDans quel état est-il ?"
    [select_id] = _posted(side, asked).custom_ids
    assert select_id.startswith("colf:cond:")
    chosen = await side.discord.choose(zoe, asked.original_id, select_id, ["broken"])
    summary = _text(chosen)
    assert summary.startswith("📦 **Votre signalement** — École du Soleil\n\n")
    assert "• `SEM-0001 (tablette, iPad 9)` — hors d'usage" in summary
    assert "la SEM choisit de le réparer ou de le recycler" in summary
    assert _posted(side, chosen).buttons == [
        ("✅ Envoyer le signalement (1 objet)", select_id.replace("cond", "form") + ":broken"),
        ("✖️ Annuler", "colf:abort"),
    ]

    # The form: a blank place is refused with the domain's message, the form offered again.
    opened = await side.discord.tap(
        zoe, chosen.original_id, select_id.replace("cond", "form") + ":broken"
    )
    assert opened.modal is not None and opened.modal["title"] == "Signaler SEM-0001"
    blank = await side.discord.submit_modal(zoe, {"place": "   ", "note": "écran fissuré"})
    assert _text(blank) == "Dites où le matériel est regroupé dans l'école."
    assert [b[0] for b in _posted(side, blank).buttons] == [
        "✏️ Reprendre le formulaire", "✖️ Annuler",
    ]  # fmt: skip
    assert not any("C-2026" in t for t in world.texts(staff))
    again = await side.discord.tap(zoe, blank.original_id, _posted(side, blank).custom_ids[0])
    assert again.modal is not None
    done = await side.discord.submit_modal(
        zoe, {"place": "Salle 12, armoire du fond", "note": "Écran fissuré", "hours": "lundi 8 h"}
    )
    assert _text(done) == (
        "✅ Signalement **C-2026-0001** envoyé : 1 objet.\n\n"
        "La SEM est informée. Elle passera collecter son matériel (ou réparer celui qui peut "
        "l'être), de préférence pendant les vacances scolaires ; l'école sera prévenue de la "
        "date."
    )
    assert _posted(side, done).buttons == [("📄 Voir le signalement", "col:view:1")]
    # Staff, on Telegram, hear of it through the router, with their decision buttons.
    notice = world.api.last(staff.id)
    assert notice.text is not None and notice.text.startswith(
        "📦 Nouveau signalement C-2026-0001 — École du Soleil (Saint-Étienne), par zoe\n"
    )
    assert "« Écran fissuré »" in notice.text and "Lieu : Salle 12, armoire du fond" in notice.text
    assert "Remise : lundi 8 h" in notice.text
    async with world.db.uow() as uow:
        tablet = await uow.directory.equipment_by_tag("SEM-0001")
        assert isinstance(tablet, Equipment) and tablet.state == "out_of_order"

    # The old select, chosen again: re-checked, the tablet is no longer in service.
    stale = await side.discord.choose(zoe, asked.original_id, select_id, ["unused"])
    assert _text(stale) == (
        "SEM-0001 n'est pas en service (déjà signalé, volé, en stock…) : il ne peut pas être"
        " signalé."
    )
    twice = await side.discord.slash(zoe, "collecte", {"materiel": "SEM-0001"}, channel=hall)
    assert _text(twice) == _text(stale)
    cancelled = await side.discord.tap(zoe, chosen.original_id, "colf:abort")
    assert _text(cancelled) == "C'est annulé. Rien n'a été envoyé."
