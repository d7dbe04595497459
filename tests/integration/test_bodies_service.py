"""Responsible bodies through the services: the directory import, invitations, the
scope of agents, and the yearly list of new equipment per body (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.domain.roles import Role
from bot.services import reports
from bot.services.claims import reporting_schools
from bot.services.directory import ImportFailed, import_equipment, import_schools
from bot.services.registration import Newcomer, create_invitation, redeem_invitation
from storage.models import Reminder, ResponsibleBody, School
from storage.uow import Database
from tests.helpers import refuses

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

SCHOOLS = (
    "uai,name,commune_insee,commune_name,sector,body_code,body_name,body_kind\n"
    "0429901J,Soleil,42218,Saint-Étienne,public,,,\n"
    "0429903L,Sainte-Marie,42218,Saint-Étienne,private,ogec-sm,OGEC Sainte-Marie,ogec\n"
    "0429908S,Saint-Joseph,42095,Firminy,private,OGEC-SM,OGEC Sainte-Marie,OGEC\n"
    "0429907R,Forges,42095,Firminy,public,,,\n"
)
EQUIPMENT = (
    "asset_tag,school_uai,type,model,serial,owner,acquired_on,value_eur\n"
    "SEM-1,0429901J,tablet,iPad,,sem,2026-02-01,400\n"
    "SEM-2,0429903L,tablet,iPad,,sem,2026-02-01,400\n"
    "SEM-3,0429908S,laptop,ThinkPad,,sem,2026-02-01,900\n"
    "SEM-4,0429907R,laptop,ThinkPad,,sem,2026-02-01,900\n"
)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.close()


async def _bodies_of_schools(db: Database) -> dict[str, str]:
    async with db.uow() as uow:
        rows = await uow.session.execute(
            select(School.uai, ResponsibleBody.code).join(
                ResponsibleBody, ResponsibleBody.id == School.body_id
            )
        )
        return {uai: code for uai, code in rows}


async def test_the_import_puts_public_schools_under_their_commune_and_private_ones_under_their_ogec(
    db: Database,
) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    assert await _bodies_of_schools(db) == {
        "0429901J": "commune:42218",
        "0429903L": "OGEC-SM",
        "0429908S": "OGEC-SM",  # one OGEC, schools in two communes
        "0429907R": "commune:42095",
    }


async def test_a_file_without_body_columns_still_imports_and_keeps_the_ogec_it_named(
    db: Database,
) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    old_format = (
        "uai,name,commune_insee,commune_name,sector\n"
        "0429903L,Sainte-Marie,42218,Saint-Étienne,private\n"
        "0429910U,Mineurs,42189,Roche-la-Molière,private\n"
    )
    await import_schools(db, old_format, now=NOW)
    bodies = await _bodies_of_schools(db)
    assert bodies["0429903L"] == "OGEC-SM"  # known: keeps its body
    assert bodies["0429910U"] == "commune:42189"  # new, no body named: its commune's


async def test_a_public_school_under_an_ogec_is_refused_with_its_line_and_nothing_is_written(
    db: Database,
) -> None:
    wrong = (
        "uai,name,commune_insee,commune_name,sector,body_code,body_name,body_kind\n"
        "0429901J,Soleil,42218,Saint-Étienne,public,,,\n"
        "0429907R,Forges,42095,Firminy,public,OGEC-X,OGEC X,ogec\n"
        "0429903L,Sainte-Marie,42218,Saint-Étienne,private,OGEC-SM,,ogec\n"
        "0429908S,Saint-Joseph,42095,Firminy,private,OGEC-Y,Y,diocèse\n"
    )
    with pytest.raises(ImportFailed) as caught:
        await import_schools(db, wrong, now=NOW)
    assert [(p.line, p.code) for p in caught.value.problems] == [
        (3, "directory.error.body_public"),
        (4, "directory.error.missing"),
        (5, "directory.error.body_kind"),
    ]
    assert await _bodies_of_schools(db) == {}


async def test_an_agent_invited_with_a_body_reaches_its_schools_only(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    invitation = await create_invitation(
        db, role=Role.COMMUNE, body_code="ogec-sm", validity=timedelta(days=1), now=NOW
    )
    assert invitation.scope_name == "OGEC Sainte-Marie (OGEC-SM)"
    newcomer = Newcomer("telegram", 7001, 7001, "Odile", None, "fr")
    agent = await redeem_invitation(db, newcomer=newcomer, code=invitation.code, now=NOW)
    assert sorted(s.uai for s in await reporting_schools(db, agent.id)) == [
        "0429903L",
        "0429908S",
    ]
    commune = await create_invitation(
        db, role=Role.COMMUNE, commune_insee="42218", validity=timedelta(days=1), now=NOW
    )
    newcomer = Newcomer("telegram", 7002, 7002, "Claude", None, "fr")
    commune_agent = await redeem_invitation(db, newcomer=newcomer, code=commune.code, now=NOW)
    assert [s.uai for s in await reporting_schools(db, commune_agent.id)] == ["0429901J"]


async def test_an_unknown_body_is_refused_at_invitation(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    with refuses("directory.error.unknown_body"):
        await create_invitation(
            db, role=Role.COMMUNE, body_code="OGEC-NONE", validity=timedelta(days=1), now=NOW
        )


async def test_the_communes_yearly_list_leaves_out_private_schools_under_an_ogec(
    db: Database,
) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    await import_equipment(db, EQUIPMENT, now=NOW)
    async with db.uow() as uow:
        ids = {
            code: body_id
            for code, body_id in await uow.session.execute(
                select(ResponsibleBody.code, ResponsibleBody.id)
            )
        }
        st_etienne = await uow.directory.commune_by_insee("42218")
        assert st_etienne is not None
    commune_list = await reports.new_equipment_for_commune(db, commune_id=st_etienne.id, year=2026)
    assert [line.asset_tag for line in commune_list] == ["SEM-1"]
    ogec_list = await reports.new_equipment_for_body(db, body_id=ids["OGEC-SM"], year=2026)
    assert sorted(line.asset_tag or "" for line in ogec_list) == ["SEM-2", "SEM-3"]


async def test_each_body_gets_its_own_yearly_list_planned(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    await reports.plan_reports(db, now=datetime(2027, 1, 5, 9, 0, tzinfo=UTC))
    async with db.uow() as uow:
        keys = sorted(
            (
                await uow.session.scalars(
                    select(Reminder.key).where(Reminder.kind == reports.KIND_EQUIPMENT)
                )
            ).all()
        )
        ogec = await uow.session.scalar(
            select(ResponsibleBody.id).where(ResponsibleBody.code == "OGEC-SM")
        )
    assert len(keys) == 3  # two communes and the OGEC
    assert f"report:equipment:2026:body:{ogec}" in keys
