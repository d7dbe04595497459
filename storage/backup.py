"""Backups of the database and their restoration (``pne-bot admin backup|restore``).

SQLite: SQLite's online backup API, both ways, so a backup taken while the bot writes is
consistent and a restore never leaves a stale ``-wal`` file beside the database. The backup
file is a plain SQLite database marked as ours (``application_id``) with the minute it was
taken (``user_version``, minutes since 1970).

PostgreSQL: ``pg_dump -Fc`` and ``pg_restore --clean --if-exists`` in one transaction, the
connection given as arguments and the password through ``PGPASSWORD`` only.

The messages of :class:`BackupError` are for the operator, in French, like the rest of the
command line. Running the migrations after a restore is the caller's part.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from storage.db import create_engine
from storage.migrate import alembic_config

#: ``PRAGMA application_id`` of a backup file written by pne-bot ("PNEB").
APPLICATION_ID = 0x504E4542
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_MAGIC = b"PGDMP"
#: How long a PostgreSQL restore waits for a table another connection holds (a running bot).
LOCK_TIMEOUT = "20s"


class BackupError(Exception):
    """A backup or a restore that cannot be done; the message says why, in French."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds, read before anything is overwritten."""

    taken_at: datetime | None  # UTC; None for a SQLite copy not written by pne-bot
    file_date: datetime  # the file's modification time (UTC)
    revision: str  # the Alembic revision of the saved schema


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def describe(url: str) -> str:
    """The database a URL names, for the operator: « la base SQLite /chemin » …"""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"la base SQLite {_sqlite_path(parsed)}"
    where = parsed.host or "socket local"
    if parsed.port:
        where += f":{parsed.port}"
    return f"la base PostgreSQL « {parsed.database} » ({where})"


def backup(url: str, destination: Path, *, now: datetime) -> None:
    """Write a backup of the database of ``url`` into ``destination``.

    The backup is written beside the destination and renamed into place when complete:
    a failed backup never replaces an older good one with half a file."""
    partial = destination.with_name(destination.name + ".partial")
    try:
        if is_sqlite(url):
            _sqlite_backup(_sqlite_path(make_url(url)), partial, now=now)
        else:
            _pg_dump(make_url(url), partial)
        partial.chmod(0o600)  # people's names and accounts: for the bot's user alone
        os.replace(partial, destination)
    except OSError as exc:
        raise BackupError(f"Impossible d'écrire {destination} : {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)


def inspect(url: str, file: Path) -> BackupInfo:
    """Read a backup file; refuse one that is not a pne-bot backup for this kind of base."""
    if not file.is_file():
        raise BackupError(f"{file} n'existe pas (ou n'est pas un fichier).")
    info = _sqlite_inspect(file) if is_sqlite(url) else _pg_inspect(file)
    if info.revision not in _known_revisions():
        raise BackupError(
            f"{file} est une sauvegarde faite par une version plus récente du bot "
            f"(révision « {info.revision} » inconnue) : mettez le bot à jour avant de la "
            "restaurer. Rien n'a été modifié."
        )
    return info


async def restore(url: str, file: Path) -> None:
    """Overwrite the database of ``url`` with the backup ``file`` (already inspected).

    For the command line: the copy blocks the event loop (nothing else runs there)."""
    if is_sqlite(url):
        _sqlite_restore(file, _sqlite_path(make_url(url)))
    else:
        await _pg_restore(url, file)


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("Une base SQLite en mémoire ne se sauvegarde pas.")
    return Path(url.database)


def _read_only(path: Path) -> sqlite3.Connection:
    """A connection that reads ``path`` without writing anything beside it."""
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1", uri=True)


def _sqlite_backup(database: Path, destination: Path, *, now: datetime) -> None:
    if not database.is_file():
        raise BackupError(f"La base SQLite {database} n'existe pas : rien à sauvegarder.")
    destination.unlink(missing_ok=True)
    source = sqlite3.connect(database)
    try:
        target = sqlite3.connect(destination)
        try:
            source.backup(target)
            # One self-contained file (no -wal beside it), marked as ours, with its minute.
            target.execute("PRAGMA journal_mode=DELETE")
            target.execute(f"PRAGMA application_id={APPLICATION_ID}")
            target.execute(f"PRAGMA user_version={int(now.timestamp()) // 60}")
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise BackupError(f"La sauvegarde de {database} a échoué : {exc}") from None
    finally:
        source.close()


def _sqlite_inspect(file: Path) -> BackupInfo:
    refused = BackupError(
        f"{file} n'est pas une sauvegarde SQLite de pne-bot. Rien n'a été modifié."
    )
    with file.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise refused
    user_version = int.from_bytes(header[60:64], "big", signed=True)
    application_id = int.from_bytes(header[68:72], "big", signed=False)
    try:
        connection = _read_only(file)
        try:
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        raise refused from None
    if revision is None:
        raise refused
    taken_at = (
        datetime.fromtimestamp(user_version * 60, UTC)
        if application_id == APPLICATION_ID and user_version > 0
        else None
    )
    return BackupInfo(taken_at, _mtime(file), str(revision[0]))


def _sqlite_restore(file: Path, database: Path) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        source = _read_only(file)
        try:
            target = sqlite3.connect(database, timeout=30)
            try:
                source.backup(target)
                # The live base is no backup: a plain copy of it must not pass for one.
                target.execute("PRAGMA application_id=0")
                target.execute("PRAGMA user_version=0")
                target.execute("PRAGMA journal_mode=WAL")
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"La restauration dans {database} a échoué : {exc}") from None


# --- PostgreSQL --------------------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} est introuvable (il n'est pas dans le PATH) : installez le client "
            "PostgreSQL de la version du serveur (Debian : apt install postgresql-client-15) "
            "ou ajoutez son dossier (par exemple /usr/lib/postgresql/15/bin) au PATH."
        )
    return path


def _connection(url: URL) -> tuple[list[str], dict[str, str]]:
    """The arguments naming the base, and the environment holding the password."""
    args: list[str] = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    args += ["--dbname", url.database or ""]
    env = {**os.environ, "TZ": "UTC"}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    ssl = url.query.get("sslmode") or url.query.get("ssl")
    if isinstance(ssl, str):
        env["PGSSLMODE"] = ssl
    return args, env


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The argv is a list (no shell) of the tool's full path and the URL's own parts.
    return subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603


def _pg_dump(url: URL, destination: Path) -> None:
    args, env = _connection(url)
    done = _run([_tool("pg_dump"), "--format=custom", "--file", str(destination), *args], env)
    if done.returncode != 0:
        raise BackupError(f"pg_dump a échoué : {done.stderr.strip()}")


def _pg_inspect(file: Path) -> BackupInfo:
    refused = BackupError(
        f"{file} n'est pas une sauvegarde PostgreSQL de pne-bot (pg_dump -Fc). "
        "Rien n'a été modifié."
    )
    with file.open("rb") as handle:
        if handle.read(len(_PG_MAGIC)) != _PG_MAGIC:
            raise refused
    env = {**os.environ, "TZ": "UTC"}
    listing = _run([_tool("pg_restore"), "--list", str(file)], env)
    if listing.returncode != 0 or "alembic_version" not in _tables(listing.stdout):
        raise refused
    taken_at = None
    for line in listing.stdout.splitlines():
        if line.startswith("; Archive created at "):
            stamp = line.removeprefix("; Archive created at ").strip()
            try:
                taken_at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S %Z").replace(tzinfo=UTC)
            except ValueError:
                taken_at = None
    data = _run(
        [_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(file)],
        env,
    )
    revision = _copied_value(data.stdout)
    if data.returncode != 0 or revision is None:
        raise refused
    return BackupInfo(taken_at, _mtime(file), revision)


def _copied_value(script: str) -> str | None:
    """The first value of the ``COPY … FROM stdin`` block of a plain SQL script."""
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("COPY "):
            value = next(lines, "\\.")
            return None if value == "\\." else value.split("\t")[0]
    return None


def _tables(listing: str) -> set[str]:
    """The tables of a ``pg_restore --list``: « 215; 1259 16390 TABLE public schools pne »."""
    tables = set()
    for line in listing.splitlines():
        words = line.split()
        if not line.startswith(";") and len(words) >= 6 and words[3:5] == ["TABLE", "public"]:
            tables.add(words[5])
    return tables


async def _pg_restore(url: str, file: Path) -> None:
    parsed = make_url(url)
    tool = _tool("pg_restore")
    # Tables of a newer schema than the backup's would survive `--clean` (it drops only
    # what the backup holds) and stop the migrations that create them again.
    dumped = _tables(_run([tool, "--list", str(file)], {**os.environ}).stdout)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            live = (
                await conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            ).scalars()
            for table in sorted(set(live) - dumped):
                await conn.execute(text(f'DROP TABLE IF EXISTS public."{table}" CASCADE'))
    except Exception as exc:
        raise BackupError(_restore_failed(str(exc))) from None
    finally:
        await engine.dispose()
    args, env = _connection(parsed)
    env["PGOPTIONS"] = f"-c lock_timeout={LOCK_TIMEOUT}"
    done = _run(
        [
            tool,
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            *args,
            str(file),
        ],
        env,
    )
    if done.returncode != 0:
        raise BackupError(_restore_failed(done.stderr.strip()))


def _restore_failed(reason: str) -> str:
    return (
        f"La restauration a échoué : {reason}\nLe bot tourne-t-il encore ? Arrêtez-le "
        "(systemctl stop pne-bot) puis recommencez."
    )


def _mtime(file: Path) -> datetime:
    return datetime.fromtimestamp(file.stat().st_mtime, UTC)
