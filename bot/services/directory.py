"""The directory: importing schools and equipment from CSV, and the demo data.

Imports are all-or-nothing (decision 0002): every row is checked first, every problem
is reported with its line number, and nothing is written unless the whole file is
right. Then one transaction writes the rows and one audit entry.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.domain.bodies import (
    BodyKind,
    check_school_body,
    normalize_body_code,
    normalize_body_kind,
)
from bot.domain.dates import PARIS, local_date, to_utc
from bot.domain.directory import (
    ERR_MISSING,
    ERR_UNKNOWN_SCHOOL,
    column_term,
    eur_to_cents,
    field_term,
    normalize_asset_tag,
    normalize_insee,
    normalize_uai,
    optional_text,
    parse_amount_eur,
    parse_iso_date,
    parse_owner,
    parse_sector,
    read_equipment_type,
    require_text,
    same_equipment_type,
)
from bot.domain.errors import DomainError, Terms
from bot.domain.platforms import TELEGRAM
from bot.domain.roles import Role
from storage.models import (
    Commune,
    Equipment,
    Person,
    PlatformAccount,
    ResponsibleBody,
    School,
)
from storage.uow import Database, UnitOfWork

SCHOOL_COLUMNS: tuple[str, ...] = ("uai", "name", "commune_insee", "commune_name", "sector")
# Optional: the school's responsible body (decision 0013). Left empty, a new school is
# under its commune's body and a known school keeps its body.
BODY_COLUMNS: tuple[str, ...] = ("body_code", "body_name", "body_kind")
ERR_BODY_CONFLICT = "directory.error.body_conflict"  # params: code, first_line
EQUIPMENT_COLUMNS: tuple[str, ...] = (
    "asset_tag",
    "school_uai",
    "type",
    "model",
    "serial",
    "owner",
    "acquired_on",
    "value_eur",
)
# Optional: the day an item was installed at its school (the body's yearly list of new
# equipment is by installation, decision 0022), and the room or class it is in (works
# name their rooms). Left out or empty: unknown.
EQUIPMENT_OPTIONAL_COLUMNS: tuple[str, ...] = ("installed_on", "room")

ERR_ENCODING = "directory.error.encoding"
ERR_HEADER = "directory.error.header"  # params: missing (Terms: the columns in words)
ERR_DUPLICATE_COLUMN = "directory.error.duplicate_column"  # params: column (Term)
ERR_CELL = "directory.error.cell_too_long"  # params: column (Term), max
ERR_UNREADABLE = "directory.error.unreadable_row"
ERR_ACQUIRED_FUTURE = "directory.error.acquired_future"  # params: value, today
ERR_EMPTY = "directory.error.empty"
ERR_COLUMNS = "directory.error.columns"  # params: expected, found
ERR_DUPLICATE = "directory.error.duplicate"  # params: value, first_line
ERR_COMMUNE_NAME = "directory.error.commune_name_conflict"  # params: insee, name, first_line

# Bulk look-ups are split so as to stay far below the bind-parameter limits.
_CHUNK = 500


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong in an imported file: the line (header = 1) and a catalog key."""

    line: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)


class ImportFailed(Exception):
    """The file was refused: nothing was written. ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the imported file")
        self.problems: list[ImportProblem] = list(problems)


@dataclass(frozen=True)
class ImportReport:
    """What an import did: rows created, rows changed, rows already as in the file, and
    the equipment types outside the known list, kept as written (first spelling met)."""

    created: int
    updated: int
    unchanged: int = 0
    unknown_types: tuple[str, ...] = ()


# --------------------------------------------------------------------------- CSV reading


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, str]


# The encodings a file may come in, by its byte-order mark (Excel's « CSV UTF-8 » and
# « Texte Unicode » exports carry one). Without a mark: strict UTF-8, else Windows-1252
# (Excel's « CSV (séparateur : point-virgule) » in France), decision 0067.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its mark starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_FALLBACK_ENCODING = "cp1252"

# Longest cell read: far above every field (the longest, a school's name, takes 200
# characters), far below what would flood a refusal. A longer cell refuses its row.
MAX_CELL = 1_000


def _decode(text: str | bytes) -> str:
    """A file's text: its byte-order mark first, then strict UTF-8, else Windows-1252;
    bytes none of them reads refuse the file in one line."""
    if isinstance(text, str):
        return text.removeprefix("\ufeff")
    encodings = [encoding for mark, encoding in _BOMS if text.startswith(mark)][:1]
    if not encodings:
        encodings = ["utf-8", _FALLBACK_ENCODING]
    for encoding in encodings:
        try:
            return text.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError:
            continue
    raise ImportFailed([ImportProblem(1, ERR_ENCODING)])


def _records(content: str, delimiter: str) -> Iterator[tuple[int, list[str] | None]]:
    """Each record of the file with the line it starts on; None for a record the csv
    module cannot read. No field is too large for the reader: the
    cells are measured afterwards, row by row (``MAX_CELL``)."""
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    while True:
        line = reader.line_num + 1  # where the next record starts
        # The csv module's field limit is one global number: raised only while this
        # reader reads (no await in between, so no other import runs meanwhile).
        previous = csv.field_size_limit(max(len(content) + 1, csv.field_size_limit()))
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:
            record = None
        finally:
            csv.field_size_limit(previous)
        yield line, record


def _read_csv(
    text: str | bytes, columns: Sequence[str], optional: Sequence[str] = ()
) -> tuple[list[_Row], list[ImportProblem]]:
    """The file's rows as dicts keyed by column name, with their line numbers, and the
    rows that could not be read (their number of fields differs from the header's, a
    cell of the ``columns`` or ``optional`` ones is longer than ``MAX_CELL``, a NUL
    character).

    The header is required (any order; extra columns are ignored; a column read twice
    refuses the file); the delimiter is ``;`` when the header has one, else ``,``. Blank
    lines are skipped. A file without header, or without any row, raises
    ``ImportFailed`` at once.
    """
    content = _decode(text)
    first_line = content.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line else ","
    records = _records(content, delimiter)
    header = next(records, None)
    if header is None or header[1] is None:
        raise ImportFailed([_missing(columns)])
    names = [name.strip().lower() for name in header[1]]
    missing = [column for column in columns if column not in names]
    if missing:
        raise ImportFailed([_missing(missing)])
    read = [*columns, *optional]
    duplicated = [column for column in read if names.count(column) > 1]
    if duplicated:
        raise ImportFailed(
            [
                ImportProblem(1, ERR_DUPLICATE_COLUMN, {"column": column_term(column)})
                for column in duplicated
            ]
        )

    rows: list[_Row] = []
    problems: list[ImportProblem] = []
    for line, record in records:
        if record is None or any("\x00" in cell for cell in record):
            # A NUL never belongs in a cell (PostgreSQL's text refuses it).
            problems.append(ImportProblem(line, ERR_UNREADABLE))
            continue
        if not record or all(not cell.strip() for cell in record):
            continue  # blank line
        if len(record) != len(names):
            problems.append(
                ImportProblem(line, ERR_COLUMNS, {"expected": len(names), "found": len(record)})
            )
            continue
        values = dict(zip(names, record, strict=True))
        huge = [column for column in read if len(values.get(column) or "") > MAX_CELL]
        if huge:
            problems.extend(
                ImportProblem(line, ERR_CELL, {"column": column_term(column), "max": MAX_CELL})
                for column in huge
            )
            continue
        rows.append(_Row(line, values))
    if not rows and not problems:
        raise ImportFailed([ImportProblem(1, ERR_EMPTY)])
    return rows, problems


def _missing(columns: Sequence[str]) -> ImportProblem:
    """The header lacks ``columns``: named in words, with the name to write."""
    return ImportProblem(
        1, ERR_HEADER, {"missing": Terms(tuple(column_term(column) for column in columns))}
    )


def read_rows(
    text: str | bytes, columns: Sequence[str], optional: Sequence[str] = ()
) -> tuple[list[_Row], list[ImportProblem]]:
    """The imports' CSV reader for another file of rows (a supplier's delivery note):
    the same header, delimiter, encoding and line rules."""
    return _read_csv(text, columns, optional)


T = TypeVar("T")


def _check(
    problems: list[ImportProblem], line: int, parse: Callable[..., T], *args: Any
) -> T | None:
    """Run one field's rule; a refusal becomes a problem of that line and None."""
    try:
        return parse(*args)
    except DomainError as error:
        problems.append(ImportProblem(line, error.code, dict(error.params)))
        return None


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


async def _by_key(uow: UnitOfWork, column: Any, keys: Sequence[str]) -> dict[str, Any]:
    """Rows whose ``column`` is one of ``keys``, by that key (looked up in chunks)."""
    model = column.class_
    found: dict[str, Any] = {}
    for chunk in _chunks(keys):
        rows = await uow.session.scalars(select(model).where(column.in_(chunk)))
        found.update({getattr(row, column.key): row for row in rows})
    return found


async def _communes_by_insee(uow: UnitOfWork, insees: Sequence[str]) -> dict[str, Commune]:
    return await _by_key(uow, Commune.insee, insees)


async def _schools_by_uai(uow: UnitOfWork, uais: Sequence[str]) -> dict[str, School]:
    return await _by_key(uow, School.uai, uais)


async def _equipment_by_tag(uow: UnitOfWork, tags: Sequence[str]) -> dict[str, Equipment]:
    return await _by_key(uow, Equipment.asset_tag, tags)


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True when something changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


# --------------------------------------------------------------------------- schools


@dataclass(frozen=True)
class _SchoolLine:
    line: int
    uai: str
    name: str
    insee: str
    commune_name: str
    sector: str
    body: _BodyLine | None = None  # None: the default (see BODY_COLUMNS)


@dataclass(frozen=True)
class _BodyLine:
    kind: BodyKind
    code: str  # empty for a commune's own body
    name: str


def _validate_body(
    problems: list[ImportProblem], n: int, v: dict[str, str], sector: str | None, insee: str | None
) -> _BodyLine | None:
    """The body columns of one line, or None when they are all empty (the default)."""
    raw = {column: (v.get(column) or "").strip() for column in BODY_COLUMNS}
    if not any(raw.values()):
        return None
    if not raw["body_kind"]:
        problems.append(ImportProblem(n, ERR_MISSING, {"field": field_term("body_kind")}))
        return None
    kind = _check(problems, n, normalize_body_kind, raw["body_kind"])
    if kind is None:
        return None
    code = ""
    if raw["body_code"]:
        code = _check(problems, n, normalize_body_code, raw["body_code"]) or ""
        if not code:
            return None
    if kind is BodyKind.COMMUNE:
        name = raw["body_name"]
    else:
        if not code:
            problems.append(ImportProblem(n, ERR_MISSING, {"field": field_term("body_code")}))
            return None
        name = _check(problems, n, require_text, raw["body_name"], "body_name") or ""
        if not name:
            return None
    if sector is None or insee is None:
        return None
    try:
        check_school_body(sector=sector, kind=kind, code=code, commune_insee=insee)
    except DomainError as error:
        problems.append(ImportProblem(n, error.code, dict(error.params)))
        return None
    return _BodyLine(kind, "" if kind is BodyKind.COMMUNE else code, name)


def _validate_schools(
    rows: Sequence[_Row], unreadable: Sequence[ImportProblem]
) -> list[_SchoolLine]:
    problems: list[ImportProblem] = list(unreadable)
    valid: list[_SchoolLine] = []
    first_uai: dict[str, int] = {}
    commune_names: dict[str, tuple[str, int]] = {}
    bodies: dict[str, tuple[_BodyLine, int]] = {}
    for row in rows:
        v, n = row.values, row.line
        uai = _check(problems, n, normalize_uai, v["uai"])
        name = _check(problems, n, require_text, v["name"], "name")
        insee = _check(problems, n, normalize_insee, v["commune_insee"])
        commune_name = _check(problems, n, require_text, v["commune_name"], "commune_name")
        sector = _check(problems, n, parse_sector, v["sector"])
        body = _validate_body(problems, n, v, sector, insee)
        if body is not None and body.code:
            known_body = bodies.setdefault(body.code, (body, n))
            if known_body[0] != body:
                problems.append(
                    ImportProblem(
                        n, ERR_BODY_CONFLICT, {"code": body.code, "first_line": known_body[1]}
                    )
                )
                continue
        if uai is not None:
            if uai in first_uai:
                problems.append(
                    ImportProblem(n, ERR_DUPLICATE, {"value": uai, "first_line": first_uai[uai]})
                )
                continue
            first_uai[uai] = n
        if insee is not None and commune_name is not None:
            known = commune_names.setdefault(insee, (commune_name, n))
            if known[0] != commune_name:
                problems.append(
                    ImportProblem(
                        n,
                        ERR_COMMUNE_NAME,
                        {"insee": insee, "name": known[0], "first_line": known[1]},
                    )
                )
                continue
        if (
            uai is not None
            and name is not None
            and insee is not None
            and commune_name is not None
            and sector is not None
        ):
            valid.append(_SchoolLine(n, uai, name, insee, commune_name, sector, body))
    if problems:
        raise ImportFailed(sorted(problems, key=lambda problem: problem.line))
    return valid


async def _write_schools(
    uow: UnitOfWork, lines: Sequence[_SchoolLine], *, now: datetime, actor_id: int | None
) -> ImportReport:
    communes = await _communes_by_insee(uow, sorted({line.insee for line in lines}))
    communes_created = communes_updated = 0
    for line in lines:
        commune = communes.get(line.insee)
        if commune is None:
            commune = Commune(insee=line.insee, name=line.commune_name, created_at=now)
            uow.session.add(commune)
            communes[line.insee] = commune
            communes_created += 1
        elif _assign(commune, {"name": line.commune_name}):
            communes_updated += 1
    await uow.session.flush()  # new communes get their ids, and their own bodies

    commune_bodies = {
        body.commune_id: body
        for body in await uow.session.scalars(
            select(ResponsibleBody).where(
                ResponsibleBody.commune_id.in_([c.id for c in communes.values()])
            )
        )
    }
    for commune in communes.values():
        _assign(commune_bodies[commune.id], {"name": commune.name})  # follows a renaming
    named = {line.body.code: line.body for line in lines if line.body and line.body.code}
    bodies = await _by_key(uow, ResponsibleBody.code, sorted(named))
    for code, wanted in named.items():
        values_of_body = {"name": wanted.name, "kind": wanted.kind.value}
        found = bodies.get(code)
        if found is None:
            bodies[code] = ResponsibleBody(code=code, created_at=now, **values_of_body)
            uow.session.add(bodies[code])
        else:
            _assign(found, values_of_body)
    await uow.session.flush()  # new bodies get their ids

    schools = await _schools_by_uai(uow, [line.uai for line in lines])
    created = updated = unchanged = 0
    for line in lines:
        commune = communes[line.insee]
        values: dict[str, Any] = {
            "name": line.name,
            "commune_id": commune.id,
            "sector": line.sector,
        }
        school = schools.get(line.uai)
        if line.body is not None and line.body.code:
            values["body_id"] = bodies[line.body.code].id
        elif line.body is not None or school is None or line.sector == "public":
            # Named as the commune's, new, or public: the commune's own body.
            values["body_id"] = commune_bodies[commune.id].id
        # else: a known private school without body columns keeps its body.
        if school is None:
            uow.session.add(School(uai=line.uai, created_at=now, **values))
            created += 1
        elif _assign(school, values):
            updated += 1
        else:
            unchanged += 1
    uow.audit(
        at=now,
        actor_id=actor_id,
        action="directory.import_schools",
        object_type="directory",
        object_id="schools",
        rows=len(lines),
        created=created,
        updated=updated,
        unchanged=unchanged,
        communes_created=communes_created,
        communes_updated=communes_updated,
    )
    await uow.session.flush()
    return ImportReport(created=created, updated=updated, unchanged=unchanged)


async def _import_schools(
    uow: UnitOfWork, text: str | bytes, *, now: datetime, actor_id: int | None
) -> ImportReport:
    lines = _validate_schools(*_read_csv(text, SCHOOL_COLUMNS, BODY_COLUMNS))
    return await _write_schools(uow, lines, now=now, actor_id=actor_id)


async def import_schools(
    db: Database, text: str | bytes, *, now: datetime, actor_id: int | None = None
) -> ImportReport:
    """Create or update communes (by INSEE) and schools (by UAI) from a CSV file.

    Columns ``uai,name,commune_insee,commune_name,sector`` (header required, any
    order, ``,`` or ``;``, in an encoding ``_decode`` reads). Raises ``ImportFailed`` with
    every problem, and writes nothing, if any row is wrong.
    """
    now = to_utc(now, "now")
    async with db.uow() as uow:
        report = await _import_schools(uow, text, now=now, actor_id=actor_id)
        await uow.commit()
    return report


# --------------------------------------------------------------------------- equipment


@dataclass(frozen=True)
class _EquipmentLine:
    line: int
    asset_tag: str
    school_uai: str
    type: str
    model: str
    serial: str | None
    owner: str
    acquired_on: date | None
    value_cents: int | None
    installed_on: date | None = None
    room: str | None = None


def _validate_equipment(
    rows: Sequence[_Row], unreadable: Sequence[ImportProblem], known_uais: set[str], today: date
) -> tuple[list[_EquipmentLine], list[str]]:
    """The file's valid lines and the types outside the list (kept as written), or every
    problem as ``ImportFailed``. An acquisition after ``today`` (the import's day in
    Paris) is a typing error (2030, 9999): refused, decision 0067."""
    problems: list[ImportProblem] = list(unreadable)
    unknown: list[str] = []
    valid: list[_EquipmentLine] = []
    first_tag: dict[str, int] = {}
    for row in rows:
        v, n = row.values, row.line
        before = len(problems)
        tag = _check(problems, n, normalize_asset_tag, v["asset_tag"])
        uai = _check(problems, n, normalize_uai, v["school_uai"])
        if uai is not None and uai not in known_uais:
            problems.append(ImportProblem(n, ERR_UNKNOWN_SCHOOL, {"uai": uai}))
        kind = _check(problems, n, read_equipment_type, v["type"])
        model = _check(problems, n, require_text, v["model"], "model")
        serial = _check(problems, n, optional_text, v["serial"], "serial")
        owner = _check(problems, n, parse_owner, v["owner"])
        # Empty date or value: unknown.
        acquired_on = (
            _check(problems, n, parse_iso_date, v["acquired_on"])
            if v["acquired_on"].strip()
            else None
        )
        if acquired_on is not None and acquired_on > today:
            problems.append(
                ImportProblem(
                    n, ERR_ACQUIRED_FUTURE, {"value": v["acquired_on"].strip(), "today": today}
                )
            )
        value = _check(problems, n, _cents, v["value_eur"]) if v["value_eur"].strip() else None
        installed = (v.get("installed_on") or "").strip()
        installed_on = _check(problems, n, parse_iso_date, installed) if installed else None
        room = _check(problems, n, optional_text, v.get("room") or "", "room")
        if tag is not None:
            if tag in first_tag:
                problems.append(
                    ImportProblem(n, ERR_DUPLICATE, {"value": tag, "first_line": first_tag[tag]})
                )
                continue
            first_tag[tag] = n
        if len(problems) > before:
            continue
        assert tag is not None and uai is not None and kind is not None
        assert model is not None and owner is not None
        valid.append(
            _EquipmentLine(
                n,
                tag,
                uai,
                kind.value,
                model,
                serial,
                owner,
                acquired_on,
                value,
                installed_on,
                room,
            )
        )
        if not kind.known and not any(same_equipment_type(kind.value, t) for t in unknown):
            unknown.append(kind.value)
    if problems:
        raise ImportFailed(sorted(problems, key=lambda problem: problem.line))
    return valid, unknown


async def _import_equipment(
    uow: UnitOfWork, text: str | bytes, *, now: datetime, actor_id: int | None
) -> ImportReport:
    rows, unreadable = _read_csv(text, EQUIPMENT_COLUMNS, EQUIPMENT_OPTIONAL_COLUMNS)
    uais = sorted({_safe_uai(row.values["school_uai"]) for row in rows} - {""})
    schools = await _schools_by_uai(uow, uais)
    today = local_date(now, PARIS)
    lines, unknown_types = _validate_equipment(rows, unreadable, set(schools), today)

    existing = await _equipment_by_tag(uow, [line.asset_tag for line in lines])
    created = updated = unchanged = 0
    for line in lines:
        values: dict[str, Any] = {
            "school_id": schools[line.school_uai].id,
            "type": line.type,
            "model": line.model,
            "owner": line.owner,
        }
        # An empty optional cell means "unknown": it never erases what is stored.
        optional = {
            "serial": line.serial,
            "acquired_on": line.acquired_on,
            "value_cents": line.value_cents,
            "installed_on": line.installed_on,
            "room": line.room,
        }
        item = existing.get(line.asset_tag)
        if item is None:
            uow.session.add(
                Equipment(
                    asset_tag=line.asset_tag,
                    state="in_service",
                    created_at=now,
                    updated_at=now,
                    **values,
                    **optional,
                )
            )
            created += 1
            continue
        values.update({name: value for name, value in optional.items() if value is not None})
        if _assign(item, values):
            item.updated_at = now
            updated += 1
        else:
            unchanged += 1
    uow.audit(
        at=now,
        actor_id=actor_id,
        action="directory.import_equipment",
        object_type="directory",
        object_id="equipment",
        rows=len(lines),
        created=created,
        updated=updated,
        unchanged=unchanged,
        unknown_types=unknown_types,
    )
    await uow.session.flush()
    return ImportReport(
        created=created, updated=updated, unchanged=unchanged, unknown_types=tuple(unknown_types)
    )


def _cents(text: str) -> int:
    return eur_to_cents(parse_amount_eur(text))


def _safe_uai(text: str) -> str:
    try:
        return normalize_uai(text)
    except DomainError:
        return ""


async def import_equipment(
    db: Database, text: str | bytes, *, now: datetime, actor_id: int | None = None
) -> ImportReport:
    """Create or update equipment (by asset tag) from a CSV file.

    Columns ``asset_tag,school_uai,type,model,serial,owner,acquired_on,value_eur``;
    the school must already be in the directory; ``serial``, ``acquired_on``
    (``YYYY-MM-DD``, not after the import's day) and ``value_eur`` (``459,90`` or
    ``459.90``) may be empty, meaning unknown (an empty cell leaves a stored value as it
    is). With the ``,`` delimiter a
    French-comma amount must be quoted. A type outside the list is kept as written and
    named in the report's ``unknown_types``. All-or-nothing, like ``import_schools``.
    """
    now = to_utc(now, "now")
    async with db.uow() as uow:
        report = await _import_equipment(uow, text, now=now, actor_id=actor_id)
        await uow.commit()
    return report


# --------------------------------------------------------------------------- demo


@dataclass(frozen=True)
class DemoPerson:
    """A fake Telegram account of the demo (the sandbox's users); its scope is the first
    demo school (or its commune)."""

    telegram_id: int
    role: Role
    full_name: str


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(900001, Role.TEACHER, "Camille Martin (démo)"),
    DemoPerson(900002, Role.DIRECTOR, "Dominique Bernard (démo)"),
    DemoPerson(900003, Role.COMMUNE, "Claude Petit (démo)"),
    DemoPerson(900004, Role.STAFF, "Sacha Moreau (démo, SEM)"),
)


def demo_file(name: str) -> str:
    """The text of one of the demo CSV files shipped in ``bot/demo``."""
    return resources.files("bot.demo").joinpath(name).read_text(encoding="utf-8-sig")


async def seed_demo(db: Database, *, now: datetime) -> bool:
    """Load the demo schools, equipment and people into an empty directory.

    One transaction. Returns False, and writes nothing, when the directory already has
    schools (or a demo account already exists).
    """
    now = to_utc(now, "now")
    schools_csv = demo_file("schools.csv")
    equipment_csv = demo_file("equipment.csv")
    first_uai = normalize_uai(_read_csv(schools_csv, SCHOOL_COLUMNS)[0][0].values["uai"])
    ids = [person.telegram_id for person in DEMO_PEOPLE]
    try:
        async with db.uow() as uow:
            if not await uow.directory.is_empty():
                return False
            taken = await uow.session.scalar(
                select(PlatformAccount.id)
                .where(
                    PlatformAccount.platform == TELEGRAM,
                    PlatformAccount.external_user_id.in_(ids),
                )
                .limit(1)
            )
            if taken is not None:
                return False
            await _import_schools(uow, schools_csv, now=now, actor_id=None)
            await _import_equipment(uow, equipment_csv, now=now, actor_id=None)
            school = await uow.directory.school_by_uai(first_uai)
            assert school is not None  # just imported
            for demo in DEMO_PEOPLE:
                at_school = demo.role in (Role.TEACHER, Role.DIRECTOR)
                uow.people.add(
                    Person(
                        accounts=[
                            PlatformAccount(
                                platform=TELEGRAM,
                                external_user_id=demo.telegram_id,
                                chat_id=demo.telegram_id,  # a private chat's id is the user's
                                created_at=now,
                            )
                        ],
                        preferred_platform=TELEGRAM,
                        full_name=demo.full_name,
                        role=demo.role.value,
                        school_id=school.id if at_school else None,
                        commune_id=school.commune_id if demo.role is Role.COMMUNE else None,
                        body_id=school.body_id if demo.role is Role.COMMUNE else None,
                        language="fr",
                        active=True,
                        created_at=now,
                    )
                )
            uow.audit(
                at=now,
                actor_id=None,
                action="directory.seed_demo",
                object_type="directory",
                object_id="demo",
                people=len(DEMO_PEOPLE),
            )
            await uow.commit()
    except IntegrityError:
        # Another process seeded at the same moment: its data is there, not ours.
        return False
    return True


async def demo_person_ids(db: Database) -> dict[int, int]:
    """The demo people's ids, by their demo Telegram id (the sandbox plays them)."""
    ids = [demo.telegram_id for demo in DEMO_PEOPLE]
    async with db.uow() as uow:
        rows = await uow.session.execute(
            select(PlatformAccount.external_user_id, PlatformAccount.person_id).where(
                PlatformAccount.platform == TELEGRAM, PlatformAccount.external_user_id.in_(ids)
            )
        )
        return {int(user): int(person) for user, person in rows.all()}


async def bind_demo_accounts(
    db: Database, platform: str, accounts: Mapping[int, tuple[int, int]], *, now: datetime
) -> None:
    """The sandbox's demo people get an account of ``platform`` (user id, private chat),
    replacing the one an earlier sandbox run gave them, and hear from the bot there."""
    async with db.uow() as uow:
        for person_id, (user_id, chat_id) in accounts.items():
            person = await uow.people.get(person_id)
            if person is None:
                continue
            person.accounts[:] = [a for a in person.accounts if a.platform != platform]
            await uow.session.flush()
            person.accounts.append(
                PlatformAccount(
                    platform=platform, external_user_id=user_id, chat_id=chat_id, created_at=now
                )
            )
            person.preferred_platform = platform
        await uow.commit()
