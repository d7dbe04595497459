"""A private school under an OGEC: its claims go to the OGEC's agents, never to the
commune's, from the report to the reminders (art. 1: one convention per body)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain.roles import Role
from handlers.telegram.offline import SimUser
from storage.models import Equipment, ResponsibleBody, School
from tests.conversations.conftest import World
from tests.conversations.test_claims import sweep

OGEC = "OGEC-SAINTE-MARIE"


async def _private_school_under_an_ogec(world: World) -> None:
    now = world.clock.now()
    async with world.db.uow() as uow:
        ogec = ResponsibleBody(code=OGEC, name="OGEC Sainte-Marie", kind="ogec", created_at=now)
        school = School(
            uai="0420009G",
            name="École Sainte-Marie",
            commune_id=world.ids["st_etienne"],
            sector="private",
            body=ogec,
            created_at=now,
        )
        uow.session.add_all([ogec, school])
        await uow.session.flush()
        uow.session.add(
            Equipment(
                asset_tag="SEM-0201",
                school_id=school.id,
                type="tablet",
                model="iPad 9",
                owner="sem",
                acquired_on=date(2025, 9, 1),
                value_cents=40000,
                state="in_service",
                created_at=now,
                updated_at=now,
            )
        )
        await uow.commit()


async def _report_a_theft(world: World, teacher: SimUser) -> None:
    api = world.api
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    items = api.last(teacher.id)
    await api.tap(teacher, items, "SEM-0201 · tablet iPad 9")
    await api.tap(teacher, items, "✔️ Terminé (1 choisi·s)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Tablette disparue de la classe")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")


async def test_a_claim_at_a_private_school_reaches_the_ogecs_agents_not_the_communes(
    world: World,
) -> None:
    await _private_school_under_an_ogec(world)
    api = world.api
    teacher = await world.registered("Inès", Role.TEACHER, school="0420009G")
    commune_agent = await world.registered("Claude", Role.COMMUNE, commune="42218")
    ogec_agent = await world.registered("Odile", Role.COMMUNE, body=OGEC)

    await _report_a_theft(world, teacher)
    # The reporter is told that the school's body (not « la commune ») has the duties.
    assert world.last_text(teacher).startswith(
        "✅ Sinistre S-2026-0001 enregistré. L'organisme gestionnaire de l'école et l'équipe"
    )

    # The OGEC's agent gets the duties with their buttons; the commune's agent nothing.
    notice = api.last(ogec_agent.id)
    assert notice.text is not None
    assert "Vos démarches, avant le jeudi 12 mars 2026 à 08:00" in notice.text
    assert "✅ Fait : déclaration écrite à l'assureur" in notice.button_texts
    assert api.sent_to(commune_agent.id) == []

    # +24 h: the sweep's reminder goes to the OGEC's agent only.
    world.clock.set(datetime(2026, 3, 11, 7, 0, tzinfo=UTC))
    api.clear()
    assert (await sweep(world)).sent == 1
    assert [s.chat_id for s in api.sent if s.method == "sendMessage"] == [ogec_agent.id]
    assert world.last_text(ogec_agent).startswith("⏰ Sinistre S-2026-0001 (École Sainte-Marie)")

    # The OGEC's agent follows the claim and sees whose duties they are; the commune's
    # agent cannot even find it.
    await api.send_text(ogec_agent, "/sinistre S-2026-0001")
    card = world.last_text(ogec_agent)
    assert "Organisme gestionnaire : OGEC Sainte-Marie" in card
    assert "Démarches de l'organisme gestionnaire (48 h)" in card
    await api.send_text(commune_agent, "/sinistre S-2026-0001")
    assert world.last_text(commune_agent) == (
        "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."
    )


async def test_a_claim_at_a_public_school_still_reaches_the_communes_agents(world: World) -> None:
    await _private_school_under_an_ogec(world)
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    commune_agent = await world.registered("Claude", Role.COMMUNE, commune="42218")
    ogec_agent = await world.registered("Odile", Role.COMMUNE, body=OGEC)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    items = api.last(teacher.id)
    await api.tap(teacher, items, "SEM-0001 · tablet iPad 9")
    await api.tap(teacher, items, "✔️ Terminé (1 choisi·s)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Tablette disparue")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    assert world.last_text(teacher).startswith(
        "✅ Sinistre S-2026-0001 enregistré. La commune et l'équipe"
    )
    assert "Vos démarches" in world.last_text(commune_agent)
    assert api.sent_to(ogec_agent.id) == []
