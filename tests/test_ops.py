"""Operations through the app: /healthz, request ids, JSON request log lines."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from steuerung.services.ops import requestlog


def test_healthz_without_login(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_reports_an_unreachable_queue_without_internals(app: Any, client: Any) -> None:
    from steuerung.services.jobs import get_queue

    queue = get_queue(app)
    original = queue.ping

    def broken() -> None:
        raise ConnectionError("redis://geheim:6379 nicht erreichbar")

    queue.ping = broken  # type: ignore[method-assign]
    try:
        response = client.get("/healthz")
    finally:
        queue.ping = original  # type: ignore[method-assign]
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "fehler",
        "checks": {"database": "ok", "queue": "fehler"},
    }
    assert "geheim" not in response.get_data(as_text=True)


def test_request_id_is_taken_or_made_and_echoed(client: Any) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "proxy-123.abc"})
    assert given.headers["X-Request-ID"] == "proxy-123.abc"
    made = client.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 80})
    assert "<" not in made.headers["X-Request-ID"]
    assert len(made.headers["X-Request-ID"]) == 32
    assert client.get("/healthz").headers["X-Request-ID"] != made.headers["X-Request-ID"]


def test_json_request_log_line(app: Any, db: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from steuerung import create_app
    from tests.conftest import _Config

    config = type("LogConfig", (_Config,), {"REQUEST_LOG": True})
    logged = create_app(config)
    handler = next(
        h
        for h in logging.getLogger(requestlog.LOGGER_NAME).handlers
        if getattr(h, "_steuerung", False)
    )
    lines: list[str] = []
    handler.emit = lambda record: lines.append(handler.format(record))  # type: ignore[method-assign]
    try:
        response = logged.test_client().get(
            "/auth/login?next=/geheim", headers={"X-Request-ID": "abc-1"}
        )
        health = logged.test_client().get("/healthz")
    finally:
        del handler.emit
        with logged.app_context():
            db.engine.dispose()  # this second app's own pool (PostgreSQL warns otherwise)
    assert response.status_code == 200
    record = json.loads(lines[-2])
    assert record["event"] == "request" and record["request_id"] == "abc-1"
    assert record["method"] == "GET" and record["path"] == "/auth/login"
    assert record["status"] == 200 and record["duration_ms"] >= 0
    assert record["user_id"] is None and "geheim" not in lines[-2]
    # The health check asks the database: its statements and their time are in its line.
    checked = json.loads(lines[-1])
    assert health.status_code == 200 and checked["path"] == "/healthz"
    assert checked["queries"] >= 1 and 0 <= checked["db_ms"] <= checked["duration_ms"]


def _supervise(*commands: str) -> Any:
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "steuerung.services.ops.supervise", *commands],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_supervisor_stops_everything_on_ctrl_c(tmp_path: Any) -> None:
    import signal
    import time

    marker = tmp_path / "pids"
    script = f"sh -c 'echo $$ >> {marker}; exec sleep 60'"
    process = _supervise(script, script)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (
        not marker.exists() or len(marker.read_text().split()) < 2
    ):
        time.sleep(0.05)
    pids = [int(p) for p in marker.read_text().split()]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    for pid in pids:
        try:
            import os

            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        raise AssertionError(f"process {pid} still running")


def test_supervisor_ends_when_one_command_ends() -> None:
    process = _supervise("sh -c 'exit 3'", "sleep 60")
    assert process.wait(timeout=30) == 3


def test_worker_preparation_compiles_templates_and_freezes_the_heap(app: Any) -> None:
    """gunicorn's post_worker_init hook (and the job worker) compile every template and take
    the loaded app out of the collector's full passes (gc.freeze)."""
    import gc
    import runpy
    from pathlib import Path
    from types import SimpleNamespace

    app.jinja_env.cache.clear()
    hooks = runpy.run_path(str(Path(__file__).parents[1] / "gunicorn.conf.py"))
    try:
        hooks["post_worker_init"](SimpleNamespace(wsgi=app))
        assert gc.get_freeze_count() > 10_000
        compiled = {name for _, name in app.jinja_env.cache}
        assert {"budget/line_detail.html", "dashboard/index.html", "base.html"} <= compiled
        assert len(compiled) == len(
            app.jinja_env.list_templates(filter_func=lambda n: n.endswith((".html", ".txt")))
        )
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
