"""Backup and restore: one archive with the database, the instance files and the secret.

Archive (``steuerung-backup-YYYYMMDD-HHMMSS.tar.gz``, mode 600):

- ``manifest.json``: format, time, database kind, schema revision, rows and checksum per table;
- ``database.sqlite`` (SQLite online backup API, checked with ``PRAGMA integrity_check``) or
  ``database.pgdump`` (``pg_dump --format=custom`` in the same snapshot as the checksums);
- ``instance/``: the instance folder (secret key, import uploads, generated job files)
  without the database itself, the queue file and the backups.

Restore goes into the configured database of the same kind and refuses a database that
holds data unless ``force`` is given; afterwards every table's rows and checksum are compared
with the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Connection, create_engine, inspect, select, text
from sqlalchemy.engine import URL, make_url

from steuerung.extensions import db
from steuerung.models import Base
from steuerung.services.common.dml import refresh_statistics

FORMAT = 1
PREFIX = "steuerung-backup-"
#: Instance entries never copied into a backup (the database goes in through its own tools).
SKIP_INSTANCE = re.compile(r"^(backups|jobs-queue\.db.*|.*\.db|.*\.db-(wal|shm)|.*\.sqlite)$")


class BackupError(Exception):
    """A German message: the backup or restore could not be done."""


@dataclass
class RestoreResult:
    """What a restore brought back."""

    tables: int
    rows: int
    files: int


# --- Fingerprints -----------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def table_fingerprints(connection: Connection) -> dict[str, dict[str, Any]]:
    """Rows and a SHA-256 over every row (ordered by primary key) of each model table."""
    result: dict[str, dict[str, Any]] = {}
    existing = set(inspect(connection).get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in existing:
            continue
        digest = hashlib.sha256()
        count = 0
        order = list(table.primary_key.columns) or list(table.columns)
        for row in connection.execute(select(table).order_by(*order)):
            values = [_canonical(v) for v in row]
            digest.update(json.dumps(values, sort_keys=True, default=str).encode("utf-8"))
            digest.update(b"\n")
            count += 1
        result[table.name] = {"rows": count, "sha256": digest.hexdigest()}
    return result


def _revision(connection: Connection) -> str | None:
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


# --- Helpers ----------------------------------------------------------------------------


def backup_dir(app: Flask, target: str | Path | None = None) -> Path:
    """The folder for backups: ``target``, ``BACKUP_DIR`` or ``instance/backups``."""
    folder = Path(target or app.config.get("BACKUP_DIR") or Path(app.instance_path) / "backups")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("Eine SQLite-Datenbank im Arbeitsspeicher kann nicht gesichert werden.")
    return Path(url.database)


def _pg_env(url: URL) -> tuple[list[str], dict[str, str]]:
    """libpq arguments and environment (the password never on the command line)."""
    args = ["--dbname", url.database or "postgres"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _pg_tool(name: str, server_version: int) -> str:
    """``pg_dump``/``pg_restore`` whose major version is at least the server's."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    found = shutil.which(name)
    paths = [str(p) for p in candidates] + ([found] if found else [])
    for path in paths:
        output = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
        match = re.search(r"(\d+)(?:\.(\d+))?", output)
        if match and int(match.group(1)) >= server_version // 10000:
            return path
    raise BackupError(
        f"{name} für PostgreSQL {server_version // 10000} fehlt (Debian-Paket "
        f"postgresql-client-{server_version // 10000})."
    )


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, env=env)
    if completed.returncode != 0:
        raise BackupError(
            f"{Path(command[0]).name} ist fehlgeschlagen: {completed.stderr.strip()[-500:]}"
        )


def _instance_files(app: Flask) -> list[Path]:
    root = Path(app.instance_path)
    files: list[Path] = []
    if not root.is_dir():
        return files
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if SKIP_INSTANCE.match(relative.parts[0]) or not path.is_file():
            continue
        files.append(path)
    jobs_dir = app.config.get("JOBS_DIR")
    if jobs_dir and Path(jobs_dir).is_dir() and not _inside(Path(jobs_dir), root):
        files.extend(p for p in sorted(Path(jobs_dir).rglob("*")) if p.is_file())
    return files


def _inside(path: Path, root: Path) -> bool:
    resolved, base = path.resolve(), root.resolve()
    return resolved == base or base in resolved.parents


def _arcname(app: Flask, path: Path) -> str:
    root = Path(app.instance_path).resolve()
    if _inside(path, root):
        return "instance/" + path.resolve().relative_to(root).as_posix()
    return "jobs/" + path.resolve().relative_to(Path(app.config["JOBS_DIR"]).resolve()).as_posix()


# --- Create -----------------------------------------------------------------------------


def create_backup(app: Flask, target: str | Path | None = None) -> Path:
    """Write a backup archive; returns its path. Applies the retention setting afterwards."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    folder = backup_dir(app, target)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    archive = folder / f"{PREFIX}{stamp}.tar.gz"
    n = 1
    while archive.exists():
        n += 1
        archive = folder / f"{PREFIX}{stamp}-{n}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="steuerung-backup-") as tmp:
        staging = Path(tmp)
        if url.get_backend_name() == "sqlite":
            database_file, manifest = _backup_sqlite(url, staging)
        elif url.get_backend_name() == "postgresql":
            database_file, manifest = _backup_postgresql(url, staging)
        else:
            raise BackupError(f"Datenbank {url.get_backend_name()} wird nicht unterstützt.")
        files = _instance_files(app)
        manifest.update(
            format=FORMAT,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            files=len(files),
        )
        (staging / "manifest.json").write_text(
            json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8"
        )
        partial = archive.with_name(archive.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.add(staging / "manifest.json", arcname="manifest.json")
            tar.add(database_file, arcname=database_file.name)
            for path in files:
                tar.add(path, arcname=_arcname(app, path))
        partial.replace(archive)
    apply_retention(folder, int(app.config.get("BACKUP_KEEP") or 0))
    return archive


def _backup_sqlite(url: URL, staging: Path) -> tuple[Path, dict[str, Any]]:
    source_path = _sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"Die Datenbankdatei {source_path.name} gibt es nicht.")
    copy = staging / "database.sqlite"
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(copy)
    try:
        with target:
            source.backup(target)  # online: consistent while others read and write
        check = target.execute("PRAGMA integrity_check").fetchall()
        if check != [("ok",)]:
            raise BackupError("Die Kopie der Datenbank ist beschädigt (integrity_check).")
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()
    engine = create_engine(f"sqlite:///{copy}")
    try:
        with engine.connect() as connection:
            manifest = {
                "database": "sqlite",
                "revision": _revision(connection),
                "tables": table_fingerprints(connection),
            }
    finally:
        engine.dispose()
    return copy, manifest


def _backup_postgresql(url: URL, staging: Path) -> tuple[Path, dict[str, Any]]:
    dump = staging / "database.pgdump"
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            version = int(connection.execute(text("SHOW server_version_num")).scalar_one())
            tool = _pg_tool("pg_dump", version)
            connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar()
            # Checksums and dump see the same snapshot: the manifest describes the dump.
            manifest = {
                "database": "postgresql",
                "server_version": version,
                "revision": _revision(connection),
                "tables": table_fingerprints(connection),
            }
            args, env = _pg_env(url)
            _run(
                [
                    tool,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    "--file",
                    str(dump),
                    *args,
                ],
                env,
            )
            connection.rollback()
    finally:
        engine.dispose()
    return dump, manifest


def apply_retention(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups in ``folder`` (0 keeps all)."""
    if keep <= 0:
        return []
    backups = sorted(folder.glob(f"{PREFIX}*.tar.gz"), key=lambda p: (p.stat().st_mtime, p.name))
    removed = backups[:-keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


# --- Restore ----------------------------------------------------------------------------


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in tar.getmembers():
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"Die Sicherung enthält einen unzulässigen Eintrag: {member.name}")
        members.append(member)
    return members


def database_has_data(connection: Connection) -> bool:
    """True if any model table holds a row."""
    existing = set(inspect(connection).get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name in existing and connection.execute(select(table).limit(1)).first():
            return True
    return False


def restore_backup(app: Flask, archive: str | Path, *, force: bool = False) -> RestoreResult:
    """Restore ``archive`` into the configured database and instance folder."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"Die Sicherung {archive} gibt es nicht.")
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    with tempfile.TemporaryDirectory(prefix="steuerung-restore-") as tmp:
        staging = Path(tmp)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(staging, members=_safe_members(tar), filter="data")
            manifest = json.loads((staging / "manifest.json").read_text(encoding="utf-8"))
        except (tarfile.TarError, OSError, ValueError) as exc:
            raise BackupError("Die Datei ist keine lesbare Sicherung von Steuerung.") from exc
        if manifest.get("format") != FORMAT:
            raise BackupError("Das Format der Sicherung wird nicht unterstützt.")
        kind = url.get_backend_name()
        if manifest.get("database") != kind:
            raise BackupError(
                f"Die Sicherung stammt aus {manifest.get('database')}, konfiguriert ist {kind}. "
                "Bitte in eine Datenbank derselben Art zurückspielen."
            )
        db.session.remove()
        db.engine.dispose()
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                if database_has_data(connection) and not force:
                    raise BackupError(
                        "Die Datenbank enthält schon Daten. Zum Überschreiben "
                        "„flask backup restore --force …“ verwenden."
                    )
        finally:
            engine.dispose()
        if kind == "sqlite":
            _restore_sqlite(url, staging / "database.sqlite")
        else:
            _restore_postgresql(url, staging / "database.pgdump")
        files = _restore_files(app, staging)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            restored = table_fingerprints(connection)
    finally:
        engine.dispose()
    expected = manifest["tables"]
    wrong = sorted(name for name in expected if restored.get(name) != expected[name])
    if wrong:
        raise BackupError(
            "Nach dem Zurückspielen stimmen diese Tabellen nicht mit der Sicherung überein: "
            + ", ".join(wrong)
        )
    return RestoreResult(
        tables=len(expected), rows=sum(t["rows"] for t in expected.values()), files=files
    )


def _restore_sqlite(url: URL, copy: Path) -> None:
    path = _sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(copy)
    target = sqlite3.connect(path, timeout=30)
    try:
        source.backup(target)  # replaces the whole target database page by page
        target.execute("PRAGMA journal_mode=WAL")
        if target.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
            raise BackupError("Die zurückgespielte Datenbank ist beschädigt (integrity_check).")
    finally:
        target.close()
        source.close()


def _restore_postgresql(url: URL, dump: Path) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            version = int(connection.execute(text("SHOW server_version_num")).scalar_one())
            names = inspect(connection).get_table_names()
            for name in names:
                connection.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
            # Functions of the schema (the audit log's append-only trigger function) come
            # back with the dump; extension functions stay.
            functions = connection.execute(
                text(
                    "SELECT p.oid::regprocedure::text FROM pg_proc p "
                    "JOIN pg_namespace n ON n.oid = p.pronamespace "
                    "WHERE n.nspname = current_schema() AND p.prokind = 'f' AND NOT EXISTS "
                    "(SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
                )
            ).scalars()
            for signature in list(functions):
                connection.execute(text(f"DROP FUNCTION IF EXISTS {signature} CASCADE"))
    finally:
        engine.dispose()
    args, env = _pg_env(url)
    _run(
        [
            _pg_tool("pg_restore", version),
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(dump),
        ],
        env,
    )
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            refresh_statistics(connection)  # pg_restore leaves the planner without numbers
    finally:
        engine.dispose()


def _restore_files(app: Flask, staging: Path) -> int:
    count = 0
    targets = {"instance": Path(app.instance_path)}
    if app.config.get("JOBS_DIR"):
        targets["jobs"] = Path(app.config["JOBS_DIR"])
    for prefix, root in targets.items():
        source = staging / prefix
        if not source.is_dir():
            continue
        for path in source.rglob("*"):
            if path.is_file():
                destination = root / path.relative_to(source)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, destination)
                count += 1
    return count
