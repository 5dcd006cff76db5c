"""Times of the operations work on a filled database: ``python -m bench.ops_timing``.

Uses ``DATABASE_URL`` (default: the SQLite database of the last load run). Measures the council
PDF as a job run at once (cold), the same PDF again (from the cache), and for SQLite files
``flask backup create`` and ``flask backup restore`` into an empty database.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.run import BENCH_PASSWORD
from config import TestConfig
from steuerung import create_app
from steuerung.extensions import db
from steuerung.models import Measure, Role, User

ROOT = Path(__file__).resolve().parent


def main() -> None:
    """Print the timings."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'results/load/load.db'}"
    tmp = Path(tempfile.mkdtemp(prefix="steuerung-ops-timing-"))
    config = type(
        "TimingConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "JOBS_DIR": str(tmp / "files"),
            "WTF_CSRF_ENABLED": False,
            "COUNT_QUERIES": False,
        },
    )
    app = create_app(config)
    app.instance_path = str(tmp / "instance")
    Path(app.instance_path).mkdir()
    with app.app_context():
        measures = db.session.scalar(select(func.count(Measure.id)))
        user = db.session.scalar(select(User).where(User.role == Role.COORDINATOR).limit(1))
        user.set_password(BENCH_PASSWORD)
        username = user.username
        db.session.commit()
    client = app.test_client()
    client.post("/auth/login", data={"username": username, "password": BENCH_PASSWORD})
    for label in ("PDF als Auftrag (kalt)", "PDF erneut (Cache)"):
        started = time.perf_counter()
        response = client.get("/dashboard/sachstandsbericht.pdf")
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
        print(f"{label}: {time.perf_counter() - started:.2f} s ({measures} Maßnahmen)")
    runner = app.test_cli_runner()
    started = time.perf_counter()
    result = runner.invoke(args=["backup", "create", "--to", str(tmp / "backups")])
    archive = result.output.strip().splitlines()[-1]
    size = Path(archive).stat().st_size / 1e6
    print(f"flask backup create: {time.perf_counter() - started:.2f} s ({size:.1f} MB)")
    if url.startswith("sqlite"):
        target = type(
            "TargetConfig", (config,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'ziel.db'}"}
        )
        restore_app = create_app(target)
        restore_app.instance_path = str(tmp / "ziel")
        started = time.perf_counter()
        result = restore_app.test_cli_runner().invoke(args=["backup", "restore", archive])
        elapsed = time.perf_counter() - started
        print(f"flask backup restore: {elapsed:.2f} s; {result.output.strip()}")


if __name__ == "__main__":
    main()
