"""A line of typed tags with one word too long, and an item whose acquisition date is an
inventory's typing error, on Telegram and Discord (decision 0067)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import update

from bot.domain.roles import Role
from storage.models import Equipment
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_discord_claims import _id, _modal_fields, _text

LONG = "SEM-" + "0" * 40  # 44 characters: longer than a tag may be (32)
SAID = (
    "« SEM-00000000000000000000000000000000000… » est trop long pour un numéro "
    "d'étiquette : 32 caractères au plus, comme SEM-0042."
)


def _labels(message: Any) -> list[str]:
    return [text for row in message.buttons for text, _ in row]


async def test_a_word_too_long_in_a_typed_line_is_refused_and_the_other_tags_kept(
    world: World,
) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    await api.send_text(teacher, f"SEM-0001, {LONG} SEM-0002")
    assert SAID in world.texts(teacher)
    labels = _labels(api.last(teacher.id))
    assert "✅ SEM-0001 · tablette iPad 9" in labels
    assert "✅ SEM-0002 · tablette iPad 9" in labels
    assert "✔️ Terminé (2 choisis)" in labels
    api.assert_no_refusals()


async def test_an_item_acquired_in_9999_is_reported_with_its_amount_to_estimate(
    world: World,
) -> None:
    async with world.db.uow() as uow:
        await uow.session.execute(
            update(Equipment)
            .where(Equipment.asset_tag == "SEM-0002")
            .values(acquired_on=date(9999, 12, 31))
        )
        await uow.commit()
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    await api.send_text(teacher, "SEM-0002")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Armoire fracturée")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    summary = api.last(teacher.id)
    assert "✅ Confirmer l'envoi" in _labels(summary), world.texts(teacher)[-3:]
    assert "SEM-0002" in (summary.text or "") and "estimer" in (summary.text or "")
    await api.tap(teacher, summary, "✅ Confirmer l'envoi")
    assert "S-2026-0001" in world.last_text(teacher)
    api.assert_no_refusals()


async def test_on_discord_a_word_too_long_is_refused_and_the_other_tags_kept(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline, hall = side.discord, side.hall
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    started = await offline.slash(
        zoe, "signaler", {"materiel": f"SEM-0001, {LONG}, SEM-0002"}, channel=hall
    )
    assert _text(started) == SAID + "\n\nQue s'est-il passé ?"
    menu = offline.last_message(hall)
    form = await offline.choose(zoe, menu, _id(menu, "clm:rk:"), ["theft"])
    assert _modal_fields(form)["tags"] == "SEM-0001, SEM-0002"

    # Typed again in the form: refused with its reason, the form keeps the others.
    refused = await offline.submit_modal(
        zoe,
        {"tags": f"SEM-0001 {LONG}", "when": "aujourd'hui 8h", "what": "Armoire fracturée"},
        origin=form,
    )
    assert _text(refused) == SAID
    refusal = offline.last_message(hall)
    fix = [custom_id for label, custom_id in refusal.buttons if label == "✏️ Corriger"]
    again = await offline.tap(zoe, refusal, fix[0])
    assert _modal_fields(again)["tags"] == "SEM-0001"
