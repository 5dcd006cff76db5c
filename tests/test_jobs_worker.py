"""A real worker process (``flask jobs worker``) against the real queue storage.

The app and the worker share a SQLite database file (WAL); the queue is the SQLite queue
file and, when ``redis-server`` is installed (CI installs it), a Redis server started here
on a free loopback port.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from config import TestConfig
from scripts.servers import redis_binary, redis_server
from steuerung import create_app
from steuerung.extensions import db
from steuerung.models import (
    Department,
    Measure,
    MeasureCategory,
    MeasureStatus,
    Role,
    Settings,
    User,
)
from steuerung.services.common.audit import acting_as
from tests.conftest import PASSWORD, login

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server on a free loopback port for this module."""
    if redis_binary() is None:
        pytest.skip("redis-server ist nicht installiert (apt-get install redis-server)")
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def _seed() -> None:
    with acting_as(None):
        db.session.add(Settings(id=1, budget_year=2026, kommune_name="Arbeiterstadt"))
        dept = Department(code="SD", name="Stabsstelle Digitalisierung")
        user = User(username="koordination", full_name="Kora Koordination", role=Role.COORDINATOR)
        user.department = dept
        user.set_password(PASSWORD)
        db.session.add_all([dept, user])
        db.session.add(
            Measure(
                title="Bürgerkonto im Hintergrund",
                description="Test",
                department=dept,
                category=MeasureCategory.DIGITAL_ADMINISTRATION,
                status=MeasureStatus.IN_PROGRESS,
            )
        )
        db.session.commit()


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_worker_process_builds_the_pdf(tmp_path: Path, backend: str, request: Any) -> None:
    redis = request.getfixturevalue("redis_url") if backend == "redis" else "redis://unused"
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.db'}",
        "JOBS_BACKEND": backend,
        "JOBS_QUEUE_FILE": str(tmp_path / "queue.db"),
        "JOBS_DIR": str(tmp_path / "files"),
        "REDIS_URL": redis,
    }
    config = type("WorkerTestConfig", (TestConfig,), {**settings, "JOBS_IMMEDIATE": False})
    app = create_app(config)
    with app.app_context():
        db.create_all()
        _seed()
    env = {
        **os.environ,
        "STEUERUNG_CONFIG": "production",
        "SECRET_KEY": "worker-test",
        "FLASK_APP": "wsgi",
        "DATABASE_URL": settings["SQLALCHEMY_DATABASE_URI"],
        "JOBS_BACKEND": backend,
        "JOBS_QUEUE_FILE": settings["JOBS_QUEUE_FILE"],
        "JOBS_DIR": settings["JOBS_DIR"],
        "REDIS_URL": redis,
        "REQUEST_LOG": "0",
    }
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "jobs", "worker", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        client = app.test_client()
        assert login(client, "koordination").status_code == 302
        response = client.get("/dashboard/sachstandsbericht.pdf")
        assert response.status_code == 302  # not done yet: to the progress page
        job_url = response.headers["Location"]
        state: dict[str, Any] = {}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = client.get(job_url + "/status.json").get_json()
            if not state["active"] or worker.poll() is not None:
                break
            time.sleep(0.25)
        assert state.get("status") == "done", (state, (tmp_path / "worker.log").read_text())
        # Background work yields the cores to requests: the worker and every thread it
        # started (the one that built the PDF included) run in the idle class, niced.
        if hasattr(os, "SCHED_IDLE"):
            threads = [int(t) for t in os.listdir(f"/proc/{worker.pid}/task")]
            assert len(threads) > 1
            assert {os.sched_getscheduler(t) for t in threads} == {os.SCHED_IDLE}
            assert {os.getpriority(os.PRIO_PROCESS, t) for t in threads} == {10}
        pdf = client.get(state["download_url"])
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
        assert "Bürgerkonto im Hintergrund" in text and "Arbeiterstadt" in text
        # The second request is served from the cache at once.
        again = client.get("/dashboard/sachstandsbericht.pdf")
        assert again.status_code == 200 and again.data == pdf.data
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        jobs_queue = app.extensions["steuerung_jobs"].huey
        jobs_queue.storage.close() if hasattr(jobs_queue.storage, "close") else None
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()
