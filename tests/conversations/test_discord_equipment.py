"""Staff's equipment and notice tools on Discord, over the same services as Telegram's:
/suspensions (hold a flagged school's replacements, the reason and the lift's note in a
modal, the body's agent told on their own platform), /formations (« ✅ Fait », the
export), /reseau (the unplug request to the school's body). Each refuses a person who is
not staff with Telegram's text, and each bad input is answered, never with a failure."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.domain.roles import Role
from handlers.discord.offline.api import InteractionRecord, PostedMessage
from handlers.discord.render import markdown
from storage.models import SecurityHold
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_security_holds import _three_claims_at_soleil

EPHEMERAL = 1 << 6
FORBIDDEN = "Vous n'avez pas accès à cette action."


def _messages(side: DiscordSide, record: InteractionRecord) -> list[PostedMessage]:
    ids = [i for i in [record.original_id, *record.followup_ids] if i is not None]
    return [side.discord.message(i) for i in ids]


def _text(side: DiscordSide, record: InteractionRecord) -> str:
    if record.response_type == 4 and record.response is not None and not record.followup_ids:
        return str(record.response["data"].get("content") or "")
    return "\n".join(m.content for m in _messages(side, record))


def _buttons(message: PostedMessage) -> dict[str, str]:
    """custom id → label of every button of a message."""
    found: dict[str, str] = {}
    for row in message.data.get("components") or []:
        for component in row.get("components") or []:
            if component.get("type") == 2:
                found[component["custom_id"]] = component["label"]
    return found


def _button(message: PostedMessage, prefix: str) -> str:
    (found,) = [c for c in _buttons(message) if c.startswith(prefix)]
    return found


async def _staff(world: World, side: DiscordSide) -> Any:
    return await side.registered(world, "sacha", Role.STAFF)


# --- /suspensions ----------------------------------------------------------------------------


async def test_staff_hold_a_flagged_school_from_discord_and_lift_it(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    _, agent, _ = await _three_claims_at_soleil(world)
    sacha = await _staff(world, side)
    offline = side.discord

    listed = await offline.slash(sacha, "suspensions", channel=side.hall)
    assert _text(side, listed) == markdown(
        "<b>Sécurisation des locaux (art. 6)</b>\n"
        "\n🚨 <b>Écoles au-dessus du seuil, sans suspension</b>\n"
        "• École du Soleil (0420001Y, Saint-Étienne) : 3 vols et dommages en 12 mois"
    )
    (shown,) = _messages(side, listed)
    assert shown.ephemeral
    place = f"hold:place:{world.ids['soleil']}"
    assert _buttons(shown) == {place: "⛔ Suspendre : École du Soleil"}

    # The reason in a modal; an empty one is refused with Telegram's text, and offered again.
    asked = await offline.tap(sacha, shown, place)
    assert asked.modal is not None and asked.modal["title"] == "⛔ Suspendre : École du Soleil"
    empty = await offline.submit_modal(sacha, {"reason": "   "})
    assert _text(side, empty) == "Écrivez le motif de la suspension, en quelques mots."
    (refused,) = _messages(side, empty)
    again = await offline.tap(sacha, refused, place)
    assert again.modal is not None
    written = await offline.submit_modal(sacha, {"reason": "Trois effractions par la cour"})
    assert _text(side, written) == markdown(
        "Suspendre tout remplacement de matériel pour l'école <b>École du Soleil</b> (0420001Y) ?"
        "\nMotif : Trois effractions par la cour\nLes agents de l'organisme responsable seront"
        " invités à améliorer la sécurisation des locaux, avec un rappel tous les 30 jours tant"
        " que la suspension dure."
    )
    (confirm,) = _messages(side, written)
    ok = _button(confirm, "hold:ok:")
    assert _buttons(confirm)[ok] == "✅ Suspendre les remplacements"
    done = await offline.tap(sacha, confirm, ok)
    assert _text(side, done) == (
        "⛔ Remplacements suspendus pour l'école École du Soleil."
        " Les agents de Saint-Étienne en ont été informés."
    )
    # The body's agent, on Telegram, got it through the router.
    assert world.last_text(agent).startswith(
        "🔒 Remplacement du matériel suspendu — École du Soleil (0420001Y)"
    )
    # The same « Confirmer » twice holds nothing more.
    twice = await offline.tap(sacha, confirm, ok)
    assert _text(side, twice) == world.app.bot_data["services"].i18n.t("fr", "common.stale_button")
    async with world.db.uow() as uow:
        held = list((await uow.session.scalars(select(SecurityHold))).all())
    assert [(h.reason, h.lifted_at) for h in held] == [("Trois effractions par la cour", None)]

    # Lifting: the note in a modal, the confirmation, the agent told.
    listed = await offline.slash(sacha, "suspensions", channel=side.hall)
    (shown,) = _messages(side, listed)
    lift = f"hold:lift:{held[0].id}"
    assert _buttons(shown) == {lift: "🔓 Lever : École du Soleil"}
    assert "Trois effractions par la cour" in shown.content
    await offline.tap(sacha, shown, lift)
    too_long = await offline.submit_modal(sacha, {"note": "x" * 1001})
    assert _text(side, too_long).startswith("Ce texte est trop long")
    await offline.tap(sacha, _messages(side, too_long)[0], lift)
    noted = await offline.submit_modal(sacha, {"note": "Alarme posée"})
    assert _text(side, noted) == markdown(
        "Lever la suspension des remplacements de l'école <b>École du Soleil</b> ?"
        "\nNote : Alarme posée"
    )
    (confirm,) = _messages(side, noted)
    lifted = await offline.tap(sacha, confirm, _button(confirm, "hold:ok:"))
    assert _text(side, lifted) == (
        "🔓 Suspension levée pour l'école École du Soleil. Les agents de Saint-Étienne en ont été"
        " informés."
    )
    assert world.last_text(agent).startswith("🔓 La suspension est levée")
    # An old « Lever » button: the service says it is lifted already.
    late = await offline.tap(sacha, shown, lift)
    assert _text(side, late) == "Cette suspension est déjà levée."


async def test_suspensions_refuse_who_is_not_staff_and_unknown_ids(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    await _three_claims_at_soleil(world)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    refused = await side.discord.slash(zoe, "suspensions", channel=side.hall)
    assert _text(side, refused) == FORBIDDEN
    sacha = await _staff(world, side)
    listed = await side.discord.slash(sacha, "suspensions", channel=side.hall)
    (shown,) = _messages(side, listed)
    place = f"hold:place:{world.ids['soleil']}"
    # The teacher taps staff's button (ids are never trusted): refused.
    tapped = await side.discord.tap(zoe, shown, place)
    assert _text(side, tapped) == FORBIDDEN and tapped.modal is None
    # A school that is not flagged cannot be held; an id of nothing is stale.
    lune = await _forged(side, sacha, f"hold:place:{world.ids['lune']}")
    assert _text(side, lune) == (
        "Cette école ne dépasse pas le seuil de fréquence des vols et dommages (3 en 12 mois) :"
        " ses remplacements ne peuvent pas être suspendus."
    )
    assert lune.modal is None
    nothing = await _forged(side, sacha, "hold:lift:999999")
    assert _text(side, nothing) == "Cette suspension est introuvable."
    junk = await _forged(side, sacha, "hold:ok:zz")
    assert _text(side, junk) == world.app.bot_data["services"].i18n.t("fr", "common.stale_button")
    async with world.db.uow() as uow:
        assert list((await uow.session.scalars(select(SecurityHold))).all()) == []


async def _forged(side: DiscordSide, user: Any, custom_id: str) -> InteractionRecord:
    """A button the bot never offered this person (an old or forged id), tapped."""
    offline = side.discord
    stored = offline._store_message(
        offline.dm_channel(user),
        author=offline.bot,
        content="…",
        components=[
            {
                "type": 1,
                "components": [{"type": 2, "style": 2, "label": "x", "custom_id": custom_id}],
            }
        ],
    )
    return await offline.tap(user, int(stored["id"]), custom_id)
