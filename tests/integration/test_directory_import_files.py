"""Files as spreadsheets really save them, and files gone wrong: each refusal is one
sentence per row in French (and English), never a traceback (decision 0067)."""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, date, datetime

import pytest

from bot.cards.call_staff import StaffCallCard
from bot.i18n import I18n
from bot.services import call_delivery
from bot.services.directory import (
    MAX_CELL,
    ImportFailed,
    ImportProblem,
    import_equipment,
    import_schools,
)
from storage.uow import Database

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # 2 March 2026 in Paris

SCHOOLS = (
    "uai;name;commune_insee;commune_name;sector\r\n"
    "0421001A;École du Soleil;42218;Saint-Étienne;public\r\n"
    "0421002B;École Notre-Dame « Œuvre »;42218;Saint-Étienne;privé\r\n"
)
HEADER = "asset_tag;school_uai;type;model;serial;owner;acquired_on;value_eur\r\n"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.close()


async def _refused(pending: Awaitable[object]) -> ImportFailed:
    with pytest.raises(ImportFailed) as caught:
        await pending
    return caught.value


def _lines(failed: ImportFailed, lang: str = "fr") -> list[str]:
    """What staff read: « Ligne 4 : … » once per refused row."""
    text = StaffCallCard(I18n(), lang).refused_rows(failed)
    return text.splitlines()[1:]


def _codes(problems: list[ImportProblem]) -> list[tuple[int, str]]:
    return [(problem.line, problem.code) for problem in problems]


async def _school_names(db: Database) -> list[str]:
    async with db.uow() as uow:
        found = [await uow.directory.school_by_uai(uai) for uai in ("0421001A", "0421002B")]
    return [school.name for school in found if school is not None]


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(SCHOOLS.encode("cp1252"), id="excel-csv-semicolon-cp1252"),
        pytest.param(SCHOOLS.replace("Œ", "O").encode("latin-1"), id="latin-1"),
        pytest.param(SCHOOLS.encode("utf-8-sig"), id="excel-csv-utf8-bom"),
        pytest.param(codecs.BOM_UTF16_LE + SCHOOLS.encode("utf-16-le"), id="excel-unicode-le"),
        pytest.param(codecs.BOM_UTF16_BE + SCHOOLS.encode("utf-16-be"), id="utf-16-be"),
        pytest.param(SCHOOLS.encode("utf-8"), id="utf-8"),
    ],
)
async def test_excels_usual_exports_import_with_their_accents(db: Database, data: bytes) -> None:
    report = await import_schools(db, data, now=NOW)
    assert report.created == 2
    names = await _school_names(db)
    assert names[0] == "École du Soleil"
    assert names[1] in ("École Notre-Dame « Œuvre »", "École Notre-Dame « Ouvre »")


async def test_bytes_that_no_encoding_reads_are_refused_in_one_line(db: Database) -> None:
    # Not UTF-8, and 0x81 is a byte Windows-1252 leaves undefined.
    failed = await _refused(import_schools(db, SCHOOLS.encode("cp1252") + b"\x81\n", now=NOW))
    assert _codes(failed.problems) == [(1, "directory.error.encoding")]
    assert _lines(failed) == [
        "Ligne 1 : je ne reconnais pas l'encodage du fichier (enregistrez-le en « CSV UTF-8 »)"
    ]


# --------------------------------------------------------------------------- the header


async def test_a_column_named_twice_is_named_in_words(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    text = (
        "asset_tag;school_uai;type;model;serial;owner;acquired_on;value_eur;asset_tag\n"
        "SEM-1;0421001A;laptop;L14;;sem;;;SEM-2\n"
    )
    failed = await _refused(import_equipment(db, text, now=NOW))
    assert _codes(failed.problems) == [(1, "directory.error.duplicate_column")]
    [line] = _lines(failed)
    assert "numéro d'inventaire (colonne asset_tag)" in line
    assert "deux fois" in line
    [english] = _lines(failed, "en")
    assert "asset tag (column asset_tag)" in english


async def test_an_optional_column_named_twice_is_refused_too(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    text = HEADER.strip() + ";room;Room\nSEM-1;0421001A;laptop;L14;;sem;;;CM1;CM2\n"
    failed = await _refused(import_equipment(db, text, now=NOW))
    assert _codes(failed.problems) == [(1, "directory.error.duplicate_column")]
    assert "salle (colonne room)" in _lines(failed)[0]


async def test_missing_columns_are_listed_in_words_not_as_a_list(db: Database) -> None:
    failed = await _refused(import_schools(db, "uai;name;sector\n0421001A;A;public\n", now=NOW))
    assert _lines(failed) == [
        "Ligne 1 : colonnes manquantes dans l'en-tête : "
        "code INSEE de la commune (colonne commune_insee), "
        "nom de la commune (colonne commune_name)"
    ]
    [english] = _lines(failed, "en")
    assert "commune's INSEE code (column commune_insee)" in english


# --------------------------------------------------------------------------- rows


async def test_a_huge_field_refuses_its_row_and_the_others_are_still_read(
    db: Database,
) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    huge = "x" * 140_000  # more than the csv module's own field limit (131,072)
    text = (
        HEADER + "SEM-1;0421001A;laptop;L14;;sem;;\r\n"
        f"SEM-2;0421001A;laptop;{huge};;sem;;\r\n"
        f'SEM-3;0421001A;laptop;"{huge}\r\nstill the model";;sem;;\r\n'
        "SEM-4;0421001A;laptop;L14;;lune;;\r\n"
        "SEM-5;0421001A;laptop;L14;;sem;;\r\n"
    )
    failed = await _refused(import_equipment(db, text, now=NOW))
    assert _codes(failed.problems) == [
        (3, "directory.error.cell_too_long"),
        (4, "directory.error.cell_too_long"),
        (6, "directory.error.owner"),
    ]
    lines = _lines(failed)
    assert lines[:2] == [
        f"Ligne {n} : la colonne modèle (colonne model) dépasse {MAX_CELL} caractères : "
        "ligne non lue"
        for n in (3, 4)
    ]
    assert lines[2] == "Ligne 6 : propriétaire invalide « lune » (sem ou commune)"


async def test_a_line_with_a_nul_character_is_refused_alone(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    text = HEADER + "SEM-1;0421001A;laptop;L\x0014;;sem;;\nSEM-2;0421001A;laptop;L14;;sem;;\n"
    failed = await _refused(import_equipment(db, text, now=NOW))
    assert _codes(failed.problems) == [(2, "directory.error.unreadable_row")]


async def test_every_refusal_names_its_field_in_words(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    text = HEADER + f"{'A' * 33};0421001A;laptop;;;sem;;\n"
    failed = await _refused(import_equipment(db, text, now=NOW))
    [line] = _lines(failed)
    assert "champ trop long : numéro d'inventaire (32 caractères au plus)" in line
    assert "champ obligatoire vide : modèle" in line
    assert "asset_tag" not in line and "model" not in line
    [english] = _lines(failed, "en")
    assert "field too long: asset tag (32 characters at most)" in english
    assert "required field empty: model" in english


@pytest.mark.parametrize("acquired", ["2030-01-01", "9999-12-31", "2026-03-03"])
async def test_an_acquisition_after_the_day_of_the_import_is_refused(
    db: Database, acquired: str
) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    text = HEADER + "SEM-1;0421001A;laptop;L14;;sem;2026-03-02;459\n"
    text += f"SEM-2;0421001A;laptop;L14;;sem;{acquired};459\n"
    failed = await _refused(import_equipment(db, text, now=NOW))
    assert _codes(failed.problems) == [(3, "directory.error.acquired_future")]
    [line] = _lines(failed)
    assert line.startswith(f"Ligne 3 : date d'achat {acquired} postérieure au jour de l'import")
    assert "2 mars 2026" in line


async def test_an_acquisition_on_the_day_of_the_import_is_taken(db: Database) -> None:
    await import_schools(db, SCHOOLS, now=NOW)
    text = HEADER + "SEM-1;0421001A;laptop;L14;;sem;2026-03-02;459\n"
    assert (await import_equipment(db, text, now=NOW)).created == 1
    async with db.uow() as uow:
        item = await uow.directory.equipment_by_tag("SEM-1")
    assert item is not None and item.acquired_on == date(2026, 3, 2)


# --------------------------------------------------------------------------- delivery notes


def test_a_delivery_note_saved_by_excel_in_cp1252_is_read() -> None:
    note = "asset_tag;serial;value_eur;installed_on;room\r\nSEM-9;SN;459,90;2026-03-01;Salle é\r\n"
    [item] = call_delivery.read_csv(note.encode("cp1252"), date(2026, 3, 2))
    assert (item.asset_tag, item.room) == ("SEM-9", "Salle é")


def test_a_delivery_note_with_a_column_twice_is_refused_in_words() -> None:
    note = "asset_tag;serial;value_eur;installed_on;model;model\nSEM-9;;459;2026-03-01;A;B\n"
    with pytest.raises(ImportFailed) as caught:
        call_delivery.read_csv(note.encode(), date(2026, 3, 2))
    assert "modèle (colonne model)" in _lines(caught.value)[0]
