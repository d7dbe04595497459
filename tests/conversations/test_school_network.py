"""The school network (art. 2), played on Telegram: staff's /reseau asks the body to take
its own equipment off a school's network; the body is reminded after 15 days, staff are
alerted after 30, the body confirms and staff hear of it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.domain.roles import Role
from storage.models import Notice
from tests.conversations.conftest import World
from tests.conversations.test_claims import sweep

USAGE = "Pour demander à l'organisme de débrancher son matériel du réseau d'une école"


async def _notices(world: World) -> int:
    async with world.db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Notice)) or 0)


async def test_staff_ask_the_body_to_unplug_and_follow_it_until_it_is_done(world: World) -> None:
    api = world.api
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)

    await api.send_text(staff, "/reseau 0420001y Chaudière <mairie> & caméra sur le switch")
    confirm = api.last(staff.id)
    text = confirm.text or ""
    assert text.startswith(
        "🔌 Demander à l'organisme responsable de l'école (Saint-Étienne) de débrancher"
    )
    assert "son matériel du réseau de École du Soleil (0420001Y, Saint-Étienne) ?" in (text)
    assert "« Chaudière <mairie> & caméra sur le switch »" in text
    assert await _notices(world) == 0  # nothing written before the confirmation
    await api.tap(staff, confirm, "✅ Demander le débranchement")

    assert world.last_text(staff) == (
        "🔌 N-2026-0001 : demande envoyée à Saint-Étienne (1 agent prévenu)."
    )
    asked = api.last(agent.id)
    assert (asked.text or "").startswith("🔌 N-2026-0001 — École du Soleil : la SEM a trouvé")
    assert "« Chaudière <mairie> & caméra sur le switch »" in (asked.text or "")
    assert "🔌 Matériel débranché" in asked.button_texts

    # 15 days on, the body is reminded; 30 days on, staff are alerted.
    api.clear()
    world.clock.advance(timedelta(days=15, minutes=1))
    await sweep(world)
    assert world.last_text(agent).startswith("⏰ N-2026-0001 — École du Soleil : le matériel")
    assert api.sent_to(staff.id) == []
    world.clock.advance(timedelta(days=15))
    await sweep(world)
    assert world.last_text(staff).startswith("⚠️ N-2026-0001 — École du Soleil : 30 jours")

    # The body confirms; staff are told; the notice is done and a second tap says so.
    await api.tap(agent, api.last(agent.id), "🔌 Matériel débranché")
    assert "🔌 Merci : N-2026-0001 est terminé, la SEM est informée." in world.texts(agent)
    assert world.last_text(staff) == (
        "🔌 N-2026-0001 — École du Soleil : Claude confirme que le matériel de l'organisme"
        " est débranché du réseau de l'école."
    )
    await api.tap(agent, asked, "🔌 Matériel débranché")
    assert world.last_text(agent) == "Il n'y a plus rien à confirmer sur ce signalement."
    api.assert_no_refusals()


async def test_reseau_without_arguments_or_with_bad_ones_shows_its_usage(world: World) -> None:
    api = world.api
    staff = await world.registered("Sacha", Role.STAFF)
    for typed in ("/reseau", "/reseau 0420001Y", "/network bonjour tout le monde", "/reseau 42 x"):
        await api.send_text(staff, typed)
        assert world.last_text(staff).startswith(USAGE), typed
        assert "<code>/reseau 0421234A" in (api.sent_to(staff.id)[-1].params["text"])
    await api.send_text(staff, "/reseau 0429999Q Caméra")
    assert world.last_text(staff) == "Je ne trouve pas d'école de code UAI « 0429999Q »."
    await api.send_text(staff, "/reseau 0420001Y " + "x" * 3000)
    assert world.last_text(staff).startswith("Description trop longue")
    assert await _notices(world) == 0
    api.assert_no_refusals()


async def test_a_teacher_and_a_bodys_agent_may_not_use_reseau(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    for user in (teacher, agent):
        await api.send_text(user, "/reseau 0420001Y Caméra")
        assert world.last_text(user) == "Vous n'avez pas accès à cette action."
    assert await _notices(world) == 0


async def test_a_cancelled_or_stale_confirmation_writes_nothing(world: World) -> None:
    api = world.api
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    await api.send_text(staff, "/reseau 0420001Y Caméra")
    first = api.last(staff.id)
    await api.send_text(staff, "/reseau 0420001Y Chaudière")
    await api.tap(staff, first, "✅ Demander le débranchement")  # the older one
    assert await _notices(world) == 0
    await api.tap(staff, api.last(staff.id), "✖️ Annuler")
    assert world.last_text(staff) == "C'est annulé. Rien n'a été envoyé."
    assert await _notices(world) == 0 and api.sent_to(agent.id) == []
    api.assert_no_refusals()
