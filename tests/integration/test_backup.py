"""`pne-bot admin backup` and `restore`, run as an operator would, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Table, delete, select, update
from sqlalchemy.engine import make_url

import storage.backup
from bot.__main__ import main
from bot.domain.claims import ClaimKind
from bot.domain.roles import Role
from bot.services import claims, directory, registration
from storage.backup import APPLICATION_ID
from storage.migrate import alembic_config, downgrade
from storage.models import Base, Invitation, School
from storage.uow import Database

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def operator(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[str]]:
    """The bot's settings name the test database; each answer typed is recorded."""
    monkeypatch.setenv("PNE_DATABASE_URL", database_url)
    monkeypatch.delenv("PNE_TELEGRAM_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    prompts: list[str] = []
    answers = iter(["non"])

    def typed(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("builtins.input", typed)
    yield prompts


async def _cli(*argv: str) -> int:
    """``main`` runs its own event loop: off the test's loop, in a thread."""
    return await asyncio.to_thread(main, list(argv))


async def _fill(db: Database) -> None:
    """Rows in many tables: the demo directory, people, a claim, its reminders, a code."""
    assert await directory.seed_demo(db, now=NOW)
    async with db.uow() as uow:
        teacher = await uow.people.by_account("telegram", 900001)
        assert teacher is not None
    schools = await claims.reporting_schools(db, teacher.id)
    await claims.report_claim(
        db,
        claims.ReportClaim(
            reporter_id=teacher.id,
            school_id=schools[0].id,
            kind=ClaimKind.THEFT,
            discovered_at=NOW - timedelta(hours=2),
            description="Vol d'une tablette",
            items=(claims.ItemRequest("XYZ-1", "tablette"),),
        ),
        NOW,
    )
    await registration.create_invitation(db, role=Role.STAFF, validity=timedelta(days=14), now=NOW)


async def _everything(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the Alembic revision too), in a stable order."""
    tables: list[Table] = [*Base.metadata.sorted_tables]
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with db.engine.connect() as conn:
        for table in tables:
            result = await conn.execute(select(table))
            rows[table.name] = sorted((tuple(row) for row in result), key=repr)
        version = await conn.exec_driver_sql("SELECT version_num FROM alembic_version")
        rows["alembic_version"] = [tuple(row) for row in version]
    return rows


async def _change(db: Database) -> None:
    """What happens after a backup: rows changed, deleted and added."""
    async with db.engine.begin() as conn:
        await conn.execute(update(School).values(name="Renommée après la sauvegarde"))
        await conn.execute(delete(Invitation))
    await registration.create_invitation(
        db, role=Role.STAFF, validity=timedelta(days=2), now=NOW + timedelta(days=1)
    )


def _target(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"la base SQLite {url.database}"
    return f"la base PostgreSQL « {url.database} » ({url.host}:{url.port})"


async def test_a_restore_brings_back_every_row_of_every_table(
    database_url: str,
    operator: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = Database(database_url)
    try:
        await _fill(db)
        saved = await _everything(db)
        assert sum(len(rows) for rows in saved.values()) > 30
        assert len([name for name, rows in saved.items() if rows]) >= 8

        file = tmp_path / "sauvegarde.bak"
        assert await _cli("admin", "backup", str(file)) == 0
        assert f"écrite dans {file}" in capsys.readouterr().out

        await _change(db)
        changed = await _everything(db)
        assert changed["schools"] != saved["schools"]
        assert changed["invitations"] != saved["invitations"]
        await db.close()  # the bot is stopped before a restore

        assert await _cli("admin", "restore", "--yes", str(file)) == 0
        out = capsys.readouterr().out
        restored = _target(database_url).replace("la base", "La base", 1)
        assert f"{restored} est restaurée depuis la sauvegarde du " in out
        assert operator == []  # --yes: no question asked

        db = Database(database_url)
        assert await _everything(db) == saved
    finally:
        await db.close()


async def test_the_question_names_the_base_and_the_date_and_a_no_changes_nothing(
    database_url: str,
    operator: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = Database(database_url)
    try:
        await _fill(db)
        file = tmp_path / "sauvegarde.bak"
        assert await _cli("admin", "backup", str(file)) == 0
        await _change(db)
        before = await _everything(db)
        capsys.readouterr()

        assert await _cli("admin", "restore", str(file)) == 1
        out, err = capsys.readouterr()
        assert operator == ["Tapez « oui » pour confirmer : "]
        assert f"dans {_target(database_url)} ?" in out
        assert re.search(r"sauvegarde du \d\d/\d\d/\d{4} à \d\d:\d\d \(Europe/Paris\)", out)
        assert "Restauration annulée : rien n'a été modifié." in err
        assert await _everything(db) == before
    finally:
        await db.close()


async def test_a_restore_without_a_terminal_asks_and_stops(
    database_url: str,
    operator: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file = tmp_path / "sauvegarde.bak"
    assert await _cli("admin", "backup", str(file)) == 0

    def no_terminal(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", no_terminal)
    assert await _cli("admin", "restore", str(file)) == 1
    assert "Restauration annulée" in capsys.readouterr().err


async def test_a_file_that_is_not_a_backup_of_this_kind_is_refused(
    database_url: str,
    operator: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = Database(database_url)
    try:
        await _fill(db)
        before = await _everything(db)
    finally:
        await db.close()
    sqlite = make_url(database_url).get_backend_name() == "sqlite"
    text = tmp_path / "notes.txt"
    text.write_text("Ceci n'est pas une sauvegarde.\n" * 10, encoding="utf-8")
    # The other engine's kind of backup: a PostgreSQL dump's magic, a SQLite database.
    other = tmp_path / "autre.bak"
    if sqlite:
        other.write_bytes(b"PGDMP" + bytes(200))
    else:
        _sqlite_file(other, "CREATE TABLE alembic_version (version_num TEXT)")
    foreign = tmp_path / "etrangere.sqlite3"  # a SQLite database, but not a pne-bot one
    _sqlite_file(foreign, "CREATE TABLE t (x)")

    kind = "SQLite" if sqlite else "PostgreSQL"
    for file in (text, other, foreign, tmp_path / "absente.bak"):
        assert await _cli("admin", "restore", "--yes", str(file)) == 1, file
        err = capsys.readouterr().err
        if file.exists():
            assert f"{file} n'est pas une sauvegarde {kind} de pne-bot" in err
        else:
            assert f"{file} n'existe pas" in err
    assert operator == []  # refused before any question

    db = Database(database_url)
    try:
        assert await _everything(db) == before
    finally:
        await db.close()


def _sqlite_file(path: Path, statement: str) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


async def test_an_older_backup_is_brought_up_to_date(
    database_url: str, operator: list[str], tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        await downgrade(db.engine, "0010")
        file = tmp_path / "ancienne.bak"
        assert await _cli("admin", "backup", str(file)) == 0
        await db.close()
        assert await _cli("migrate") == 0

        assert await _cli("admin", "restore", "--yes", str(file)) == 0
        db = Database(database_url)
        rows = await _everything(db)  # every table of the models is there
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert rows["alembic_version"] == [(head,)]  # brought to the latest revision
    finally:
        await db.close()


async def test_a_sqlite_backup_is_one_file_marked_with_its_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'pne.sqlite3'}"
    db = Database(url)
    try:
        from storage.migrate import upgrade

        await upgrade(db.engine)
        await _fill(db)
        file = tmp_path / "b.sqlite3"
        storage.backup.backup(url, file, now=NOW)
        # Taken while the base is open and in WAL mode: still one whole file.
        assert _files(tmp_path) == ["b.sqlite3", *_live("pne.sqlite3")]
        info = storage.backup.inspect(url, file)
        assert info.taken_at == NOW
        header = file.read_bytes()[:100]
        assert int.from_bytes(header[68:72], "big") == APPLICATION_ID
        assert file.stat().st_mode & 0o777 == 0o600

        await db.close()
        await storage.backup.restore(url, file)
        # The live base is no backup: a plain copy of it does not pass for one.
        live = (tmp_path / "pne.sqlite3").read_bytes()[:100]
        assert int.from_bytes(live[60:64], "big") == 0
        assert int.from_bytes(live[68:72], "big") == 0
    finally:
        await db.close()


def _live(name: str) -> list[str]:
    return [name, f"{name}-shm", f"{name}-wal"]


def _files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


async def test_the_password_goes_through_the_environment_never_the_command_line(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if make_url(database_url).get_backend_name() == "sqlite":
        pytest.skip("PostgreSQL only: SQLite has no password")
    # The test cluster trusts local connections: any password is accepted.
    url = make_url(database_url).set(password="mot-de-passe-secret")
    with_password = url.render_as_string(hide_password=False)
    seen: list[tuple[list[str], dict[str, str]]] = []
    real = storage.backup._run

    def spy(argv: list[str], env: dict[str, str]) -> Any:
        seen.append((argv, env))
        return real(argv, env)

    monkeypatch.setattr(storage.backup, "_run", spy)
    file = tmp_path / "b.dump"
    storage.backup.backup(with_password, file, now=NOW)
    storage.backup.inspect(with_password, file)
    await storage.backup.restore(with_password, file)

    commands = [argv for argv, _ in seen]
    assert [Path(argv[0]).name for argv in commands][:1] == ["pg_dump"]
    assert "pg_restore" in {Path(argv[0]).name for argv in commands}
    for argv, _env in seen:
        assert not any("mot-de-passe-secret" in arg for arg in argv), argv
    dump_env = seen[0][1]
    assert dump_env["PGPASSWORD"] == "mot-de-passe-secret"
    assert ["--host", url.host] == commands[0][commands[0].index("--host") :][:2]
    assert ["--dbname", url.database] == commands[0][commands[0].index("--dbname") :][:2]


async def test_without_pg_dump_on_the_path_the_operator_is_told_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PNE_DATABASE_URL", "postgresql://pne:secret@localhost/pne")
    monkeypatch.delenv("PNE_TELEGRAM_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing there
    assert await _cli("admin", "backup", str(tmp_path / "b.dump")) == 1
    err = capsys.readouterr().err
    assert "pg_dump est introuvable (il n'est pas dans le PATH)" in err
    assert "postgresql-client" in err
    assert not (tmp_path / "b.dump").exists()
