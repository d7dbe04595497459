"""Personal data on Discord (decision 0071), played through the offline Discord:
/mes_donnees answers with the summary and the JSON file, /oublier with its confirmation
(an older offer's button stale), after which the account is a stranger; /confidentialite
for anyone."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.domain.roles import Role
from storage.models import Person
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_discord_claims import _by_label, _text


async def test_mes_donnees_answers_the_summary_then_the_file_seen_by_the_person_only(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    zoe = await side.registered(world, "zoe", Role.TEACHER)

    record = await offline.slash(zoe, "mes_donnees", {}, channel=side.hall)
    await offline.settle()

    assert _text(record).startswith("**Ce que le bot garde sur vous**\n\nNom : zoe\n")
    assert "Comptes : Discord (depuis le " in _text(record)
    assert record.response is not None and record.response["data"]["flags"] & 64  # ephemeral
    (followup,) = (offline.message(i) for i in record.followup_ids)
    assert followup.content == "Vos données, en entier."
    assert followup.ephemeral
    (attachment,) = followup.attachments
    assert attachment["filename"].startswith("mes-donnees-")
    data = json.loads(offline.download(attachment["url"]))
    assert data["person"]["full_name"] == "zoe"
    assert data["accounts"][0]["platform"] == "discord"
    assert data["accounts"][0]["user_id"] == zoe.id
    assert offline.sent(ok=False) == []


async def test_oublier_confirms_then_the_account_is_a_stranger(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline, hall = side.discord, side.hall
    await side.registered(world, "sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    async with world.db.uow() as uow:
        zoe_id = await uow.session.scalar(select(Person.id).where(Person.full_name == "zoe"))

    await offline.slash(zoe, "oublier", {}, channel=hall)
    older = offline.last_message(hall)
    record = await offline.slash(zoe, "oublier", {}, channel=hall)
    offer = offline.last_message(hall)

    assert _text(record).startswith("**Être oublié·e : c'est définitif.**")
    assert f"« Personne anonymisée n°{zoe_id} »" in _text(record)
    assert [label for label, _ in offer.buttons] == ["🗑 Oublier mes données", "✖️ Non, garder"]
    stale = await offline.tap(zoe, older, _by_label(older, "🗑 Oublier mes données"))
    assert _text(stale) == "Ce bouton n'est plus valable."

    done = await offline.tap(zoe, offer, _by_label(offer, "🗑 Oublier mes données"))

    assert done.response_type == 7  # the confirmation replaced, its buttons gone
    assert done.response is not None
    assert done.response["data"]["content"] == (
        "C'est fait : vous êtes anonymisé·e et ce compte n'est plus reconnu. Au revoir !"
    )
    assert done.response["data"]["components"] == []
    async with world.db.uow() as uow:
        row = await uow.session.get(Person, zoe_id)
    assert row is not None and row.full_name == f"Personne anonymisée n°{zoe_id}"
    after = await offline.slash(zoe, "moi", {}, channel=hall)
    assert _text(after).startswith("Bonjour ! Pour utiliser ce bot, inscrivez-vous")
    assert offline.sent(ok=False) == []


async def test_oublier_declined_keeps_everything_and_the_last_staff_is_refused(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline, hall = side.discord, side.hall
    sacha = await side.registered(world, "sacha", Role.STAFF)
    refused = await offline.slash(sacha, "oublier", {}, channel=hall)
    assert _text(refused).startswith("Vous êtes la dernière personne active de l'équipe SEM")
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    await offline.slash(zoe, "oublier", {}, channel=hall)
    offer = offline.last_message(hall)

    kept = await offline.tap(zoe, offer, _by_label(offer, "✖️ Non, garder"))
    assert kept.response is not None
    assert kept.response["data"]["content"] == "Rien n'a changé : vos données sont gardées."

    notice = await offline.slash(side.user("eve"), "confidentialite", {}, channel=hall)
    assert _text(notice).startswith("**Vos données personnelles**")
    async with world.db.uow() as uow:
        names = set((await uow.session.scalars(select(Person.full_name))).all())
    assert names == {"sacha", "zoe"}
