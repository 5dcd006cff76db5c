"""Backup and restore through the CLI: every row comes back (count and checksum per table).

Checked with an independent fingerprint (plain SQL through the driver, all columns, rows
sorted by their text) of the source and the restored database. SQLite always; PostgreSQL when the
suite runs on it (``DATABASE_URL``), in two scratch databases on the same server.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import TestConfig
from steuerung import create_app
from steuerung.extensions import db
from steuerung.services.common.audit import acting_as


def _fingerprint_sqlite(path: Path) -> dict[str, tuple[int, str]]:
    result = {}
    with sqlite3.connect(path) as connection:
        tables = [
            r[0]
            for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            rows = sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
            result[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return result


def _fingerprint_pg(url: str) -> dict[str, tuple[int, str]]:
    import psycopg

    u = make_url(url)
    result = {}
    with psycopg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database
    ) as connection:
        tables = [
            r[0]
            for r in connection.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        for table in tables:
            rows = sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
            result[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return result


def _app(url: str, instance: Path, **extra: Any) -> Flask:
    config = type(
        "BackupConfig",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": url, "JOBS_DIR": str(instance / "jobs"), **extra},
    )
    app = create_app(config)
    app.instance_path = str(instance)
    instance.mkdir(parents=True, exist_ok=True)
    return app


def _fill(app: Flask) -> None:
    """Demo data, an audit trail, an upload, a generated file and the instance secret."""
    from seed.demo import load_demo

    with app.app_context():
        db.create_all()
        with acting_as(None):
            load_demo()
        db.session.commit()
    instance = Path(app.instance_path)
    (instance / "secret_key").write_text(secrets.token_hex(16), encoding="utf-8")
    (instance / "imports").mkdir(exist_ok=True)
    (instance / "imports" / "vorschau.json").write_text('{"rows": []}', encoding="utf-8")
    (instance / "jobs").mkdir(exist_ok=True)
    (instance / "jobs" / "bericht.pdf").write_bytes(b"%PDF-1.7 Probe")


def _cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def _dispose(*apps: Flask) -> None:
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _roundtrip(
    source: Flask, target: Flask, backups: Path, fingerprint: Any, src: Any, dst: Any
) -> None:
    result = _cli(source, "backup", "create", "--to", str(backups))
    assert result.exit_code == 0, result.output
    archive = Path(result.output.strip().splitlines()[-1])
    assert archive.parent == backups and archive.is_file()
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # holds the secret key
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "instance/secret_key", "instance/imports/vorschau.json"} <= names
    assert "instance/jobs/bericht.pdf" in names

    result = _cli(target, "backup", "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "Prüfsumme je Tabelle geprüft" in result.output
    before, after = fingerprint(src), fingerprint(dst)
    assert after == before
    assert before["measures"][0] > 10 and before["audit_log"][0] > 0
    for name in ("secret_key", "imports/vorschau.json", "jobs/bericht.pdf"):
        assert (Path(target.instance_path) / name).read_bytes() == (
            Path(source.instance_path) / name
        ).read_bytes()

    refused = target.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
    assert refused.exit_code != 0
    assert "enthält schon Daten" in refused.output and "--force" in refused.output
    forced = _cli(target, "backup", "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert fingerprint(dst) == before


def test_sqlite_backup_and_restore(tmp_path: Path) -> None:
    source_db, target_db = tmp_path / "quelle.db", tmp_path / "ziel.db"
    source = _app(f"sqlite:///{source_db}", tmp_path / "quelle")
    target = _app(f"sqlite:///{target_db}", tmp_path / "ziel")
    try:
        _fill(source)
        _roundtrip(
            source, target, tmp_path / "sicherungen", _fingerprint_sqlite, source_db, target_db
        )
        with target.app_context():
            assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        _dispose(source, target)


def test_retention_keeps_the_last_backups(tmp_path: Path) -> None:
    source = _app(f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "inst", BACKUP_KEEP=2)
    try:
        _fill(source)
        paths = [
            Path(_cli(source, "backup", "create").output.strip().splitlines()[-1]) for _ in range(3)
        ]
        assert paths[0].parent == tmp_path / "inst" / "backups"  # the default folder
        assert sorted(p.name for p in paths[0].parent.iterdir()) == sorted(
            p.name for p in paths[1:]
        )
    finally:
        _dispose(source)


def test_restore_refuses_another_database_kind_and_bad_files(tmp_path: Path) -> None:
    source = _app(f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "inst")
    try:
        _fill(source)
        bad = tmp_path / "kaputt.tar.gz"
        bad.write_bytes(b"kein Archiv")
        result = source.test_cli_runner().invoke(args=["backup", "restore", "--force", str(bad)])
        assert result.exit_code != 0 and "keine lesbare Sicherung" in result.output
        missing = source.test_cli_runner().invoke(args=["backup", "restore", "/nirgends.tgz"])
        assert missing.exit_code != 0
    finally:
        _dispose(source)


@pytest.fixture()
def pg_databases() -> Iterator[tuple[str, str]]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("nur wenn die Tests auf PostgreSQL laufen (DATABASE_URL)")
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    suffix = secrets.token_hex(4)
    names = [f"backup_src_{suffix}", f"backup_dst_{suffix}"]
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield tuple(  # type: ignore[misc]
            base.set(database=n).render_as_string(hide_password=False) for n in names
        )
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgresql_backup_and_restore(tmp_path: Path, pg_databases: tuple[str, str]) -> None:
    source_url, target_url = pg_databases
    source = _app(source_url, tmp_path / "quelle")
    target = _app(target_url, tmp_path / "ziel")
    try:
        _fill(source)
        _roundtrip(
            source, target, tmp_path / "sicherungen", _fingerprint_pg, source_url, target_url
        )
        # The planner has the restored columns' statistics at once, not after autovacuum.
        engine = create_engine(target_url)
        with engine.connect() as connection:
            columns = connection.execute(
                text("SELECT count(*) FROM pg_stats WHERE tablename = 'measures'")
            ).scalar_one()
        engine.dispose()
        assert columns > 5
    finally:
        _dispose(source, target)
