"""Benchmarks: ``make bench`` (``python -m bench.run --measures 10000``).

Builds (once, then reused) a SQLite database with N synthetic measures in ``bench/results/``,
then runs every ``bench/bench_*.py`` module's ``run(ctx)``. Server time is measured inside the
app (``X-Server-Time-Ms``: from before_request to after_request) and the number of SQL
statements per request is counted (``X-Query-Count``). Results go to the terminal and to
``bench/results/latest-<measures>.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, inspect, select, update

import bench
from config import TestConfig
from steuerung import create_app
from steuerung.extensions import db
from steuerung.models import DataGeneration, Measure, PartGeneration, Role, User
from steuerung.services.common.audit import (
    BLOCK_SIZE,
    CORE,
    LINE_MONEY_PART,
    REPORTS,
    SHARED_PART,
    SHARED_TABLE_PARTS,
    TEXT,
    acting_as,
    block_part,
)
from steuerung.services.ops.warmup import prepare_process

RESULTS = Path(__file__).parent / "results"
BENCH_PASSWORD = "bench-passwort-2026"


@dataclass
class BenchContext:
    """What a benchmark module gets: logged-in clients and a timer."""

    app: Flask
    measures: int
    _clients: dict[Role, FlaskClient] = field(default_factory=dict)

    def client(self, role: str | Role) -> FlaskClient:
        """A test client logged in as the first user with ``role``."""
        role = Role(role)
        if role not in self._clients:
            with self.app.app_context():
                user = db.session.scalar(select(User).where(User.role == role).limit(1))
                if user is None:
                    raise RuntimeError(f"Kein Benutzer mit Rolle {role} in der Bench-Datenbank")
                user.set_password(BENCH_PASSWORD)
                username = user.username
                db.session.commit()
            client = self.app.test_client()
            response = client.post(
                "/auth/login", data={"username": username, "password": BENCH_PASSWORD}
            )
            if response.status_code != 302:
                raise RuntimeError(f"Anmeldung als {username} fehlgeschlagen")
            self._clients[role] = client
        return self._clients[role]

    def timed(self, name: str, client: FlaskClient, url: str, n: int = 30) -> dict[str, Any]:
        """Request ``url`` ``n`` times (after 2 warm-ups); median and p95 server time."""
        for _ in range(2):
            client.get(url).close()
        server, wall, queries, size, status = [], [], set(), 0, 200
        for _ in range(n):
            start = time.perf_counter()
            response = client.get(url)
            body = response.get_data()
            wall.append((time.perf_counter() - start) * 1000)
            server.append(float(response.headers.get("X-Server-Time-Ms", "nan")))
            queries.add(int(response.headers.get("X-Query-Count", "-1")))
            size, status = len(body), response.status_code
            response.close()
        server.sort()
        return {
            "name": name,
            "url": url,
            "status": status,
            "median_ms": round(statistics.median(server), 2),
            "p95_ms": round(server[max(0, int(len(server) * 0.95) - 1)], 2),
            "wall_median_ms": round(statistics.median(wall), 2),
            "queries": sorted(queries),
            "bytes": size,
        }

    def cold(
        self, name: str, client: FlaskClient, url: str, n: int = 3, change: str = "measure"
    ) -> dict[str, Any]:
        """Request ``url`` right after a data change (the cache must recompute), ``n`` times:
        what the first visitor after an edit waits. Median server time.

        ``change``: an edit of one measure in the middle of the portfolio (``measure``: its
        block of measures is read again; ``text``: only its title; ``report``: a status
        report on it), of money on a budget line (``line_money``: an
        Ansatz, a VE), of a budget line itself (``line``: what joins the lines is read
        again) or a bulk write (``shared``: everything is read again)."""
        server, wall, queries = [], [], set()
        middle = (db.session.scalar(select(func.max(Measure.id))) or 0) // 2
        part = {
            "measure": block_part(middle // BLOCK_SIZE, CORE),
            "text": block_part(middle // BLOCK_SIZE, TEXT),
            "report": block_part(middle // BLOCK_SIZE, REPORTS),
            "line_money": LINE_MONEY_PART,
            "line": SHARED_TABLE_PARTS["budget_lines"],
            "shared": SHARED_PART,
        }[change]
        for _ in range(n):
            # What a committed edit does: raise the data generation and the part generation
            # of what it changed. The test client's requests share the benchmark's app
            # context (and session), so this commit also ends their read transaction, as
            # the end of a real request would.
            raised = db.session.execute(
                update(DataGeneration).values(value=DataGeneration.value + 1)
            )
            if not raised.rowcount:  # type: ignore[attr-defined]
                db.session.add(DataGeneration(id=1, value=1))
            raised = db.session.execute(
                update(PartGeneration)
                .where(PartGeneration.part == part)
                .values(value=PartGeneration.value + 1)
            )
            if not raised.rowcount:  # type: ignore[attr-defined]
                db.session.add(PartGeneration(part=part, value=1))
            db.session.commit()
            start = time.perf_counter()
            response = client.get(url)
            response.get_data()
            wall.append((time.perf_counter() - start) * 1000)
            server.append(float(response.headers.get("X-Server-Time-Ms", "nan")))
            queries.add(int(response.headers.get("X-Query-Count", "-1")))
            response.close()
        return {
            "name": f"{name} (nach Änderung {CHANGE_NAMES[change]})",
            "url": url,
            "median_ms": round(statistics.median(server), 2),
            "p95_ms": round(max(server), 2),
            "wall_median_ms": round(statistics.median(wall), 2),
            "queries": sorted(queries),
        }


def _schema_matches() -> bool:
    """The benchmark database has every table, column and index of the current models
    (a database built by an older version is rebuilt)."""
    inspector = inspect(db.engine)
    for table in db.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            return False
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        if not {c.name for c in table.columns} <= columns:
            return False
        if not {i.name for i in table.indexes} <= indexes:
            return False
    return True


#: How the benchmark names the kinds of change (see ``BenchContext.cold``).
CHANGE_NAMES = {
    "measure": "einer Maßnahme",
    "text": "des Titels einer Maßnahme",
    "report": "durch einen Statusbericht",
    "line_money": "eines Haushaltsansatzes",
    "line": "einer Haushaltsstelle",
    "shared": "durch einen Massenimport",
}


def build_app(measures: int) -> Flask:
    """An app on the benchmark database, filled with ``measures`` synthetic measures."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"bench-{measures}.db"

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"
        SQLALCHEMY_ENGINE_OPTIONS: dict = {}
        WTF_CSRF_ENABLED = False

    app = create_app(BenchConfig)
    with app.app_context():
        db.create_all()
        have = db.session.scalar(select(func.count(Measure.id))) or 0
        if have != measures or not _schema_matches():
            db.session.remove()
            db.drop_all()
            db.create_all()
            from seed.synthetic import generate

            started = time.perf_counter()
            with acting_as(None):
                generate(measures)
            db.session.commit()
            print(
                f"Synthetische Daten: {measures} Maßnahmen in "
                f"{time.perf_counter() - started:.1f} s erzeugt"
            )
    return app


def main(argv: list[str] | None = None) -> int:
    """Run all benchmark modules (or those named with --only)."""
    parser = argparse.ArgumentParser(description="Steuerung-Benchmarks")
    parser.add_argument("--measures", type=int, default=10_000)
    parser.add_argument("--only", nargs="*", help="Modulnamen, z. B. bench_core")
    args = parser.parse_args(argv)

    app = build_app(args.measures)
    # As a web worker starts (gunicorn.conf.py): templates compiled, the loaded app out of
    # the garbage collector's full passes; without it a full collection (140-200 ms in this
    # process, which also built the data) lands on random measurements.
    prepare_process(app)
    ctx = BenchContext(app=app, measures=args.measures)
    results: list[dict[str, Any]] = []
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if not info.name.startswith("bench_") or (args.only and info.name not in args.only):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        with app.app_context():
            for row in module.run(ctx):
                row["module"] = info.name
                results.append(row)
                print(
                    f"{row['name']:<45} median {row.get('median_ms', '-'):>8} ms  "
                    f"p95 {row.get('p95_ms', '-'):>8} ms  queries {row.get('queries', '-')}  "
                    f"{row.get('extra', '')}",
                    flush=True,
                )
    out = RESULTS / f"latest-{args.measures}.json"
    out.write_text(json.dumps({"measures": args.measures, "results": results}, indent=2))
    print(f"Ergebnisse: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
