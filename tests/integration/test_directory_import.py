"""Importing the directory from CSV, and the demo data, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.domain.directory import column_term, field_term, uai_check_letter
from bot.domain.errors import Terms
from bot.services.directory import (
    DEMO_PEOPLE,
    ImportFailed,
    ImportProblem,
    ImportReport,
    demo_file,
    import_equipment,
    import_schools,
    seed_demo,
)
from storage.models import AuditEntry, Commune, Equipment, Person, School
from storage.uow import Database

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

SCHOOLS = """uai,name,commune_insee,commune_name,sector
0421001A,École du Soleil,42218,Saint-Étienne,public
0421002B,École des Tilleuls,42218,Saint-Étienne,privé
0421003C,École du Pilat,42207,Saint-Chamond,public
"""

EQUIPMENT = """asset_tag;school_uai;type;model;serial;owner;acquired_on;value_eur
SEM-0001;0421001A;laptop;ThinkPad L14;SN1;sem;2024-09-02;459,90
SEM-0002;0421001A;tablette;iPad;;sem;2019-01-10;1 234,50 €
COM-0003;0421003C;ENI;Speechi 75;SN3;commune;;
"""


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.close()


async def _count(db: Database, model: type) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def _problems(pending: Awaitable[object]) -> list[ImportProblem]:
    with pytest.raises(ImportFailed) as caught:
        await pending
    return caught.value.problems


def _codes(problems: list[ImportProblem]) -> list[tuple[int, str]]:
    return [(problem.line, problem.code) for problem in problems]


# --------------------------------------------------------------------------- schools


async def test_import_creates_communes_and_schools(db: Database) -> None:
    report = await import_schools(db, SCHOOLS, now=NOW)

    assert report == ImportReport(created=3, updated=0, unchanged=0)
    async with db.uow() as uow:
        school = await uow.directory.school_by_uai("0421002B")
        assert school is not None
        assert school.name == "École des Tilleuls"
        assert school.sector == "private"
        assert school.commune.insee == "42218"
        assert school.commune.name == "Saint-Étienne"
        assert school.created_at == NOW
        audit = (await uow.session.scalars(select(AuditEntry))).all()
    assert await _count(db, Commune) == 2
    assert [(a.action, a.details["created"], a.details["communes_created"]) for a in audit] == [
        ("directory.import_schools", 3, 2)
    ]


async def test_reimport_updates_the_rows_that_changed(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    changed = """uai,name,commune_insee,commune_name,sector
0421001A,École du Soleil,42218,Saint-Étienne,public
0421002B,École des Tilleuls renommée,42218,Saint-Étienne,public
0421003C,École du Pilat,42095,Firminy,public
0421004D,École nouvelle,42207,Saint-Chamond (ville),public
"""
    report = await import_schools(db, changed, now=NOW + timedelta(days=1), actor_id=None)

    assert report == ImportReport(created=1, updated=2, unchanged=1)
    async with db.uow() as uow:
        renamed = await uow.directory.school_by_uai("0421002B")
        moved = await uow.directory.school_by_uai("0421003C")
        chamond = await uow.directory.commune_by_insee("42207")
    assert renamed is not None and renamed.name == "École des Tilleuls renommée"
    assert renamed.sector == "public"
    assert moved is not None and moved.commune.name == "Firminy"
    assert chamond is not None and chamond.name == "Saint-Chamond (ville)"
    assert await _count(db, School) == 4
    assert await _count(db, Commune) == 3


async def test_every_bad_school_row_is_reported_with_its_line(db: Database) -> None:
    bad = """uai,name,commune_insee,commune_name,sector
0421001A,École du Soleil,42218,Saint-Étienne,public
042100B,École courte,42218,Saint-Étienne,public
0421003C,,42218,Saint-Étienne,public
0421004D,École sans commune,4221,Saint-Étienne,public
0421005E,École anonyme,42218,,public

0421006F,École associative,42218,Saint-Étienne,associatif
0421001A,École en double,42218,Saint-Étienne,public
0421007G,École ailleurs,42218,Saint-Etienne,public
0421008H,École trop longue,42218,Saint-Étienne,public,en trop
"""
    problems = await _problems(import_schools(db, bad, now=NOW))

    assert _codes(problems) == [
        (3, "directory.error.uai"),
        (4, "directory.error.missing"),
        (5, "directory.error.insee"),
        (6, "directory.error.missing"),
        (8, "directory.error.sector"),
        (9, "directory.error.duplicate"),
        (10, "directory.error.commune_name_conflict"),
        (11, "directory.error.columns"),
    ]
    assert problems[1].params == {"field": field_term("name")}
    assert problems[3].params == {"field": field_term("commune_name")}
    assert problems[5].params == {"value": "0421001A", "first_line": 2}
    assert problems[6].params == {"insee": "42218", "name": "Saint-Étienne", "first_line": 2}
    assert problems[7].params == {"expected": 5, "found": 6}
    # Nothing written, not even the good first row, nor an audit entry.
    assert await _count(db, School) == 0
    assert await _count(db, Commune) == 0
    assert await _count(db, AuditEntry) == 0


async def test_a_refused_reimport_leaves_the_directory_as_it_was(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    half_bad = """uai,name,commune_insee,commune_name,sector
0421001A,École du Soleil renommée,42218,Saint-Étienne,public
0421009J,École nouvelle,42218,Saint-Étienne,semi-public
"""
    problems = await _problems(import_schools(db, half_bad, now=NOW))

    assert _codes(problems) == [(3, "directory.error.sector")]
    async with db.uow() as uow:
        school = await uow.directory.school_by_uai("0421001A")
    assert school is not None and school.name == "École du Soleil"
    assert await _count(db, School) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(1, "directory.error.header")]),
        ("uai,name,sector\n0421001A,École,public\n", [(1, "directory.error.header")]),
        ("uai,name,commune_insee,commune_name,sector\n", [(1, "directory.error.empty")]),
        ("uai,name,commune_insee,commune_name,sector\n\n\n", [(1, "directory.error.empty")]),
    ],
)
async def test_a_file_without_header_or_rows_is_refused(
    db: Database, text: str, expected: list[tuple[int, str]]
) -> None:
    problems = await _problems(import_schools(db, text, now=NOW))
    assert _codes(problems) == expected


async def test_missing_columns_are_named(db: Database) -> None:
    problems = await _problems(import_schools(db, "uai;name;sector\n", now=NOW))
    assert problems[0].params == {
        "missing": Terms((column_term("commune_insee"), column_term("commune_name")))
    }


async def test_semicolon_file_with_bom_crlf_and_columns_in_another_order(db: Database) -> None:
    text = (
        "\ufeffSector;UAI;Name;Commune_Name;Commune_INSEE;comment\r\n"
        "Privé;0421001a;École du Soleil, annexe;Saint-Étienne;42218;ignored\r\n"
        'public;0421002B;"École ""des"" Tilleuls";Firminy;42095;\r\n'
    )
    report = await import_schools(db, text, now=NOW)

    assert report.created == 2
    async with db.uow() as uow:
        annexe = await uow.directory.school_by_uai("0421001A")
        quoted = await uow.directory.school_by_uai("0421002B")
    assert annexe is not None and annexe.name == "École du Soleil, annexe"
    assert annexe.sector == "private"
    assert quoted is not None and quoted.name == 'École "des" Tilleuls'


async def test_bytes_with_bom_are_read_as_utf8(db: Database) -> None:
    report = await import_schools(db, SCHOOLS.encode("utf-8-sig"), now=NOW)
    assert report.created == 3
    async with db.uow() as uow:
        school = await uow.directory.school_by_uai("0421001A")
    assert school is not None and school.commune.name == "Saint-Étienne"


async def test_bytes_that_are_not_utf8_are_read_as_windows_1252(db: Database) -> None:
    # Excel's « CSV (séparateur : point-virgule) » in France (decision 0067).
    report = await import_schools(db, SCHOOLS.encode("cp1252"), now=NOW)
    assert report.created == 3
    async with db.uow() as uow:
        school = await uow.directory.school_by_uai("0421001A")
    assert school is not None and school.commune.name == "Saint-Étienne"


# --------------------------------------------------------------------------- equipment


async def test_equipment_import_reads_french_amounts_types_and_empty_cells(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    report = await import_equipment(db, EQUIPMENT, now=NOW, actor_id=None)

    assert report == ImportReport(created=3, updated=0, unchanged=0)
    async with db.uow() as uow:
        laptop = await uow.directory.equipment_by_tag("SEM-0001")
        tablet = await uow.directory.equipment_by_tag("SEM-0002")
        screen = await uow.directory.equipment_by_tag("COM-0003")
        audit = await uow.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "directory.import_equipment")
        )
    assert laptop is not None and tablet is not None and screen is not None
    assert (laptop.type, laptop.value_cents, laptop.acquired_on) == (
        "laptop",
        45990,
        date(2024, 9, 2),
    )
    assert (tablet.type, tablet.value_cents, tablet.serial) == ("tablet", 123450, None)
    assert (screen.type, screen.owner, screen.value_cents, screen.acquired_on) == (
        "interactive_screen",
        "commune",
        None,
        None,
    )
    assert laptop.state == "in_service"
    assert laptop.created_at == laptop.updated_at == NOW
    assert audit is not None and audit.details["created"] == 3


async def test_comma_file_needs_the_french_amount_quoted(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    header = "asset_tag,school_uai,type,model,serial,owner,acquired_on,value_eur\n"
    quoted = header + 'SEM-0001,0421001A,laptop,ThinkPad,,sem,2024-09-02,"459,90"\n'
    unquoted = header + "SEM-0002,0421001A,laptop,ThinkPad,,sem,2024-09-02,459,90\n"

    assert (await import_equipment(db, quoted, now=NOW)).created == 1
    problems = await _problems(import_equipment(db, unquoted, now=NOW))
    assert _codes(problems) == [(2, "directory.error.columns")]
    async with db.uow() as uow:
        item = await uow.directory.equipment_by_tag("SEM-0001")
    assert item is not None and item.value_cents == 45990


async def test_a_type_outside_the_list_is_kept_as_written_and_named_in_the_report(
    db: Database,
) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    text = """asset_tag;school_uai;type;model;serial;owner;acquired_on;value_eur
SEM-0001;0421001A;Tablettes;iPad;;sem;;
SEM-0002;0421001A;imprimante;HP 4100;;sem;;
SEM-0003;0421001A;Écran interactif;Speechi;;sem;;
SEM-0004;0421001A;enceinte;JBL Go;;sem;;
SEM-0005;0421001A;Imprimante;HP 4200;;sem;;
SEM-0006;0421001A;Projector;Epson;;sem;;
SEM-0007;0421001A;printer;Canon;;sem;;
"""
    report = await import_equipment(db, text, now=NOW)

    assert report.created == 7
    assert report.unknown_types == ("imprimante", "enceinte", "printer")
    async with db.uow() as uow:
        types = {
            tag: (await uow.directory.equipment_by_tag(tag)).type  # type: ignore[union-attr]
            for tag in ("SEM-0001", "SEM-0002", "SEM-0003", "SEM-0004", "SEM-0005", "SEM-0006")
        }
    assert types == {
        "SEM-0001": "tablet",
        "SEM-0002": "imprimante",
        "SEM-0003": "interactive_screen",
        "SEM-0004": "enceinte",
        "SEM-0005": "Imprimante",
        "SEM-0006": "projector",
    }


async def test_equipment_needs_a_school_of_the_directory(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    text = """asset_tag;school_uai;type;model;serial;owner;acquired_on;value_eur
SEM-0001;0421001A;laptop;ThinkPad;;sem;2024-09-02;459,90
SEM-0002;0429999Z;laptop;ThinkPad;;sem;2024-09-02;459,90
"""
    problems = await _problems(import_equipment(db, text, now=NOW))

    assert problems == [ImportProblem(3, "directory.error.unknown_school", {"uai": "0429999Z"})]
    assert await _count(db, Equipment) == 0


async def test_every_bad_equipment_row_is_reported_with_its_line(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    text = """asset_tag;school_uai;type;model;serial;owner;acquired_on;value_eur
SEM-0001;0421001A;laptop;ThinkPad;;sem;2024-09-02;459,90
SEM#2;0421001A;laptop;ThinkPad;;sem;;
SEM-0003;0421001;laptop;ThinkPad;;sem;;
SEM-0004;0421001A;grille-pain à quatre fentes et minuterie réglable;Toaster;;sem;;
SEM-0005;0421001A;laptop;;;sem;;
SEM-0006;0421001A;laptop;ThinkPad;;département;;
SEM-0007;0421001A;laptop;ThinkPad;;sem;02/09/2024;
SEM-0008;0421001A;laptop;ThinkPad;;sem;;-459,90
sem-0001;0421001A;laptop;ThinkPad;;sem;;
;0421001A;laptop;ThinkPad;;sem;;
"""
    problems = await _problems(import_equipment(db, text, now=NOW))

    assert _codes(problems) == [
        (3, "directory.error.asset_tag"),
        (4, "directory.error.uai"),
        (5, "directory.error.too_long"),
        (6, "directory.error.missing"),
        (7, "directory.error.owner"),
        (8, "directory.error.date"),
        (9, "directory.error.amount"),
        (10, "directory.error.duplicate"),
        (11, "directory.error.missing"),
    ]
    assert problems[3].params == {"field": field_term("model")}
    assert problems[7].params == {"value": "SEM-0001", "first_line": 2}
    assert problems[8].params == {"field": field_term("asset_tag")}
    assert await _count(db, Equipment) == 0


async def test_one_row_may_carry_several_problems(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    text = """asset_tag,school_uai,type,model,serial,owner,acquired_on,value_eur
SEM-0001,0421999X,fridge,ThinkPad,,nobody,2024-13-01,lots
"""
    problems = await _problems(import_equipment(db, text, now=NOW))
    assert {problem.line for problem in problems} == {2}
    assert [problem.code for problem in problems] == [
        "directory.error.unknown_school",
        "directory.error.owner",
        "directory.error.date",
        "directory.error.amount",
    ]


async def test_equipment_reimport_updates_and_empty_cells_keep_what_is_known(
    db: Database,
) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    await import_equipment(db, EQUIPMENT, now=NOW)
    later = NOW + timedelta(days=30)
    text = """asset_tag;school_uai;type;model;serial;owner;acquired_on;value_eur
sem-0001;0421003C;laptop;ThinkPad L14;;sem;;
SEM-0002;0421001A;tablet;iPad;;sem;2019-01-10;1234,5
COM-0003;0421003C;ENI;Speechi 75;SN3;commune;2020-06-29;2 990
"""
    report = await import_equipment(db, text, now=later)

    assert report == ImportReport(created=0, updated=2, unchanged=1)
    async with db.uow() as uow:
        moved = await uow.directory.equipment_by_tag("SEM-0001")
        same = await uow.directory.equipment_by_tag("SEM-0002")
        dated = await uow.directory.equipment_by_tag("COM-0003")
        pilat = await uow.directory.school_by_uai("0421003C")
    assert moved is not None and same is not None and dated is not None and pilat is not None
    assert moved.school_id == pilat.id
    assert (moved.serial, moved.acquired_on, moved.value_cents) == ("SN1", date(2024, 9, 2), 45990)
    assert moved.updated_at == later and moved.created_at == NOW
    assert same.updated_at == NOW
    assert (dated.acquired_on, dated.value_cents) == (date(2020, 6, 29), 299000)
    assert await _count(db, Equipment) == 3


async def test_a_refused_equipment_file_writes_nothing(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    await import_equipment(db, EQUIPMENT, now=NOW)
    text = """asset_tag;school_uai;type;model;serial;owner;acquired_on;value_eur
SEM-0001;0421001A;laptop;ThinkPad renamed;;sem;;
SEM-0009;0421001A;laptop;ThinkPad;;sem;;
SEM-0010;0421001A;laptop;ThinkPad;;sem;;12,345
"""
    problems = await _problems(import_equipment(db, text, now=NOW))

    assert _codes(problems) == [(4, "directory.error.amount")]
    async with db.uow() as uow:
        item = await uow.directory.equipment_by_tag("SEM-0001")
    assert item is not None and item.model == "ThinkPad L14"
    assert await _count(db, Equipment) == 3


async def test_a_naive_now_is_a_programming_error(db: Database) -> None:
    with pytest.raises(ValueError, match="aware"):
        await import_schools(db, SCHOOLS, now=NOW.replace(tzinfo=None))


# --------------------------------------------------------------------------- demo


def test_demo_schools_have_correct_check_letters_and_are_labelled() -> None:
    lines = demo_file("schools.csv").strip().splitlines()[1:]
    assert 8 <= len(lines) <= 12
    for line in lines:
        uai, name, *_ = line.split(",")
        assert uai.startswith("042")
        assert uai[7] == uai_check_letter(uai[:7])
        assert "(démo)" in name


async def test_seed_demo_loads_once_then_refuses(db: Database) -> None:
    assert await seed_demo(db, now=NOW) is True

    async with db.uow() as uow:
        people = {
            p.accounts[0].external_user_id: p
            for p in (await uow.session.scalars(select(Person))).all()
        }
        first = await uow.session.scalar(select(School).where(School.uai == "0429901J"))
        owners = set((await uow.session.scalars(select(Equipment.owner))).all())
        years = set((await uow.session.scalars(select(Equipment.acquired_on))).all())
        unknown_values = await uow.session.scalar(
            select(func.count()).select_from(Equipment).where(Equipment.value_cents.is_(None))
        )
    assert first is not None
    assert await _count(db, School) == 10
    assert await _count(db, Commune) == 6
    assert 35 <= await _count(db, Equipment) <= 45
    assert owners == {"sem", "commune"}
    ages = {2026 - day.year for day in years if day is not None}
    assert set(range(9)) <= ages
    assert None in years and unknown_values
    assert set(people) == {p.telegram_id for p in DEMO_PEOPLE} == {900001, 900002, 900003, 900004}
    teacher, director, agent, staff = (people[i] for i in (900001, 900002, 900003, 900004))
    assert (teacher.role, teacher.school_id, teacher.full_name) == (
        "teacher",
        first.id,
        "Camille Martin (démo)",
    )
    assert (director.role, director.school_id) == ("director", first.id)
    assert (agent.role, agent.commune_id, agent.school_id) == ("commune", first.commune_id, None)
    assert (staff.role, staff.school_id, staff.commune_id) == ("staff", None, None)
    assert all(
        [(a.platform, a.chat_id) for a in p.accounts] == [("telegram", user_id)]
        and p.preferred_platform == "telegram"
        and p.language == "fr"
        for user_id, p in people.items()
    )

    before = await _count(db, AuditEntry)
    assert await seed_demo(db, now=NOW) is False
    assert await _count(db, Person) == 4
    assert await _count(db, AuditEntry) == before


async def test_seed_demo_does_nothing_when_schools_exist(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    assert await seed_demo(db, now=NOW) is False
    assert await _count(db, School) == 3
    assert await _count(db, Person) == 0


async def test_equipment_may_carry_its_installation_date_in_an_optional_column(
    db: Database,
) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    await import_equipment(db, EQUIPMENT, now=NOW)  # without the column: unknown
    async with db.uow() as uow:
        before = await uow.directory.equipment_by_tag("SEM-0001")
    assert before is not None and before.installed_on is None
    text = """asset_tag;school_uai;type;model;serial;owner;acquired_on;value_eur;installed_on
SEM-0001;0421001A;laptop;ThinkPad L14;SN1;sem;2024-09-02;459,90;2024-09-20
SEM-0002;0421001A;tablet;iPad;;sem;2019-01-10;1234,5;
"""
    await import_equipment(db, text, now=NOW)
    async with db.uow() as uow:
        dated = await uow.directory.equipment_by_tag("SEM-0001")
        undated = await uow.directory.equipment_by_tag("SEM-0002")
    assert dated is not None and undated is not None
    assert (dated.installed_on, undated.installed_on) == (date(2024, 9, 20), None)

    wrong = text.replace("2024-09-20", "20/09/2024")
    with pytest.raises(ImportFailed) as refused:
        await import_equipment(db, wrong, now=NOW)
    assert [(p.line, p.code) for p in refused.value.problems] == [(2, "directory.error.date")]


async def test_equipment_may_name_its_room_in_an_optional_column(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    text = """asset_tag;school_uai;type;model;serial;owner;acquired_on;value_eur;room
SEM-0001;0421001A;laptop;ThinkPad L14;SN1;sem;2024-09-02;459,90;Salle 3 (CM1)
SEM-0002;0421001A;tablet;iPad;;sem;2019-01-10;1234,5;
"""
    await import_equipment(db, text, now=NOW)
    async with db.uow() as uow:
        placed = await uow.directory.equipment_by_tag("SEM-0001")
        unplaced = await uow.directory.equipment_by_tag("SEM-0002")
    assert placed is not None and unplaced is not None
    assert (placed.room, unplaced.room) == ("Salle 3 (CM1)", None)
    # A later file without the room leaves it as it was.
    await import_equipment(db, EQUIPMENT, now=NOW)
    async with db.uow() as uow:
        again = await uow.directory.equipment_by_tag("SEM-0001")
    assert again is not None and again.room == "Salle 3 (CM1)"
    too_long = text.replace("Salle 3 (CM1)", "x" * 81)
    with pytest.raises(ImportFailed) as refused:
        await import_equipment(db, too_long, now=NOW)
    assert [(p.line, p.code) for p in refused.value.problems] == [(2, "directory.error.too_long")]
