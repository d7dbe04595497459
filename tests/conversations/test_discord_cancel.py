"""/annuler on Discord: every dialogue of the person left unfinished is dropped at once.

On Telegram /annuler ends the dialogue in progress; on Discord a dialogue is a draft row
between two interactions (decision 0047): /annuler drops the person's drafts, so that the
summary's « Confirmer » answers that it is no longer valid, and says when there was nothing.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.domain.roles import Role
from storage.models import Ticket
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_discord_claims import _by_label, _id, _text


async def test_annuler_drops_the_summary_waiting_for_its_confirmation(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline, hall = side.discord, side.hall
    stranger = side.user("inconnu")
    refused = await offline.slash(stranger, "annuler", {}, channel=hall)
    assert _text(refused).startswith("Bonjour ! Pour utiliser ce bot, inscrivez-vous")
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    nothing = await offline.slash(zoe, "annuler", {}, channel=hall)
    assert _text(nothing) == "Il n'y a rien en cours à annuler."

    await offline.slash(zoe, "signaler", {"materiel": "SEM-0001"}, channel=hall)
    menu = offline.last_message(hall)
    form = await offline.choose(zoe, menu, _id(menu, "clm:rk:"), ["theft"])
    await offline.submit_modal(zoe, {"when": "aujourd'hui 8h", "what": "Vitre brisée"}, origin=form)
    summary = offline.last_message(hall)

    cancelled = await offline.slash(zoe, "annuler", {}, channel=hall)
    assert _text(cancelled) == "C'est annulé. Rien n'a été envoyé."
    stale = await offline.tap(zoe, summary, _by_label(summary, "✅ Confirmer l'envoi"))
    assert _text(stale) == "Ce bouton n'est plus valable."
    again = await offline.slash(zoe, "annuler", {}, channel=hall)
    assert _text(again) == "Il n'y a rien en cours à annuler."
    async with world.db.uow() as uow:  # nothing was reported
        assert await uow.session.scalar(select(func.count()).select_from(Ticket)) == 0
