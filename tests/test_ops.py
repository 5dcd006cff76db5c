"""Operations through the app: /healthz, request ids, JSON request log lines."""

from __future__ import annotations

import gc
import json
import logging
import re
from typing import Any

import pytest
from flask import request

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

    @logged.before_request
    def _collect() -> None:
        # A collection of the cyclic garbage collector inside a request is in its line.
        if request.args.get("gc"):
            gc.collect()

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
        collected = logged.test_client().get("/healthz?gc=1")
    finally:
        del handler.emit
        with logged.app_context():
            db.engine.dispose()  # this second app's own pool (PostgreSQL warns otherwise)
    assert response.status_code == 200
    record = json.loads(lines[-3])
    assert record["event"] == "request" and record["request_id"] == "abc-1"
    assert record["method"] == "GET" and record["path"] == "/auth/login"
    assert record["status"] == 200 and record["duration_ms"] >= 0
    assert record["user_id"] is None and "geheim" not in lines[-3]
    # The health check asks the database: its statements and their time are in its line.
    checked = json.loads(lines[-2])
    assert health.status_code == 200 and checked["path"] == "/healthz"
    assert checked["queries"] >= 1 and 0 <= checked["db_ms"] <= checked["duration_ms"]
    assert checked["gc_ms"] >= 0
    with_collection = json.loads(lines[-1])
    assert collected.status_code == 200 and with_collection["path"] == "/healthz"
    assert 0 < with_collection["gc_ms"] <= with_collection["duration_ms"]


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


def test_worker_preparation_compiles_templates_and_freezes_the_heap(app: Any, db: Any) -> None:
    """gunicorn's post_worker_init hook (and the job worker) compile every template and take
    the loaded app out of the collector's full passes (gc.freeze); in a web worker full
    collections then run only after a response, every FULL_COLLECTION_EVERY collections of
    the middle generation (gunicorn's post_request hook)."""
    import runpy
    from pathlib import Path
    from types import SimpleNamespace

    from steuerung.services.ops.warmup import FULL_COLLECTION_EVERY

    app.jinja_env.cache.clear()
    hooks = runpy.run_path(str(Path(__file__).parents[1] / "gunicorn.conf.py"))
    thresholds = gc.get_threshold()
    try:
        hooks["post_worker_init"](SimpleNamespace(wsgi=app))
        assert gc.get_freeze_count() > 10_000
        compiled = {name for _, name in app.jinja_env.cache}
        assert {"budget/line_detail.html", "dashboard/index.html", "base.html"} <= compiled
        assert len(compiled) == len(
            app.jinja_env.list_templates(filter_func=lambda n: n.endswith((".html", ".txt")))
        )
        # No automatic full collection any more ...
        assert gc.get_threshold()[:2] == thresholds[:2]
        assert gc.get_threshold()[2] > 1_000_000
        gc.collect()
        for _ in range(FULL_COLLECTION_EVERY - 1):
            gc.collect(1)
        hooks["post_request"](None, None, {}, None)
        assert gc.get_count()[2] == FULL_COLLECTION_EVERY - 1  # not due yet
        gc.collect(1)
        hooks["post_request"](None, None, {}, None)
        assert gc.get_count()[2] == 0  # ... but one after the response once due
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    assert gc.get_freeze_count() == 0


def test_warm_up_computes_the_summaries_before_the_first_visit(
    app: Any, db: Any, factory: Any, users: dict[str, Any], login_as: Any
) -> None:
    """A starting web worker renders the summarising pages once (post_worker_init): the
    first visit then finds every aggregate computed, shows the same figures as a visit that
    computed them itself, and the warm-up wrote nothing."""
    from steuerung.models import MeasureStatus as S
    from steuerung.services.common import cache
    from steuerung.services.common.audit import data_generation
    from steuerung.views.warmup import WARM_PAGES, warm_summaries

    department = users["submitter"].department
    for status in (S.APPROVED, S.IN_PROGRESS, S.SUBMITTED):
        factory.measure(department, status)
    db.session.commit()
    client = login_as("leadership")
    client.get("/")  # shows the welcome message once
    cache.clear()
    cold_page = client.get("/dashboard/")
    cold = int(cold_page.headers["X-Query-Count"])  # statements (test configuration)
    cache.clear()
    generation = data_generation(db.session)
    db.session.commit()
    assert warm_summaries(app) == len(WARM_PAGES)
    assert data_generation(db.session) == generation
    warm_page = client.get("/dashboard/")
    warm = int(warm_page.headers["X-Query-Count"])
    assert warm < cold - 5, (warm, cold)
    # The same page; only the logout form's CSRF token carries the second it was made in.
    token = re.compile(r'name="csrf_token" value="[^"]*"')
    assert token.sub("", warm_page.get_data(as_text=True)) == token.sub(
        "", cold_page.get_data(as_text=True)
    )


def test_warm_up_renders_each_page_as_a_user_who_may_open_it(
    app: Any, db: Any, factory: Any, users: dict[str, Any]
) -> None:
    """An administrator reads all measures but may not open the dashboards or the register:
    those pages are rendered as the next reading user allowed to, the leadership view (office
    and leadership only) is left out when there is none."""
    from steuerung.models import Role
    from steuerung.views.warmup import WARM_PAGES, warm_summaries

    for key in ("coordinator", "leadership", "treasury"):
        users[key].is_active_user = False
    factory.user(Role.TREASURY, users["admin"].department, username="kaemmerei-2")
    db.session.commit()
    assert users["admin"].id < max(u.id for u in users.values())
    assert warm_summaries(app) == len(WARM_PAGES) - 1


def test_warm_up_without_a_reading_user_does_nothing(app: Any, db: Any) -> None:
    from steuerung.views.warmup import warm_summaries

    assert warm_summaries(app) == 0
