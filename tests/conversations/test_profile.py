"""/moi and the welcome name the person's scope: a school, a commune, a body, or all."""

from __future__ import annotations

from bot.domain.roles import Role
from tests.conversations.conftest import World
from tests.conversations.test_bodies import OGEC, _private_school_under_an_ogec


async def test_an_ogec_agent_sees_the_ogec_as_their_scope(world: World) -> None:
    await _private_school_under_an_ogec(world)
    agent = world.user("Olga")
    code = await world.invite(Role.COMMUNE, body=OGEC)
    await world.api.send_text(agent, f"/start {code}")
    welcome = world.texts(agent)[0]
    assert "OGEC Sainte-Marie (organisme gestionnaire, code OGEC-SAINTE-MARIE)" in welcome
    await world.api.send_text(agent, "/moi")
    profile = world.last_text(agent)
    scope = "Périmètre : OGEC Sainte-Marie (organisme gestionnaire, code OGEC-SAINTE-MARIE)"
    assert scope in profile
    assert "toutes les écoles" not in profile


async def test_each_role_reads_its_own_scope(world: World) -> None:
    expected = {
        Role.TEACHER: "Périmètre : École du Soleil (UAI 0420001Y), Saint-Étienne",
        Role.COMMUNE: "Périmètre : commune de Saint-Étienne (INSEE 42218)",
        Role.STAFF: "Périmètre : toutes les écoles du plan",
    }
    for role, line in expected.items():
        user = await world.registered(role.value, role)
        await world.api.send_text(user, "/moi")
        assert line in world.last_text(user), role
