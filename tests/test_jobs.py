"""Background jobs through the app: queue, progress, file, cache, cancel, errors, rights."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import event, func, select

from steuerung.models import Job, JobStatus, MeasureStatus
from steuerung.models.base import utcnow
from steuerung.services import jobs
from steuerung.services.common.audit import acting_as, data_generation
from tests.conftest import CSRF_RE

PDF_URL = "/dashboard/sachstandsbericht.pdf"
JOB_RE = re.compile(r"/auftraege/([A-Za-z0-9_-]+)$")


def _text(response: Any) -> str:
    return " ".join(response.get_data(as_text=True).split())


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture()
def queued(app: Any) -> Iterator[Any]:
    """Jobs go to the real (SQLite file) queue and wait there until the test runs them."""
    huey = jobs.get_queue(app).huey
    huey.immediate = False
    huey.storage.flush_all()
    try:
        yield huey
    finally:
        huey.storage.flush_all()
        huey.immediate = True


def _work(huey: Any) -> int:
    """Run every queued task as a worker thread would; returns how many ran."""
    count = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        count += 1
    return count


@pytest.fixture()
def report_data(factory: Any, users: dict[str, Any], db: Any) -> Any:
    dept = users["coordinator"].department
    measure = factory.measure(dept, MeasureStatus.IN_PROGRESS, title="E-Akte einführen")
    db.session.commit()
    return measure


def test_job_waits_runs_and_delivers_its_file(
    report_data: Any, login_as: Any, queued: Any, db: Any
) -> None:
    client = login_as("coordinator")
    response = client.get(PDF_URL)
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert JOB_RE.search(job_url)

    page = client.get(job_url)
    html = _text(page)
    assert page.status_code == 200
    assert "Sachstandsbericht (PDF)" in html and "In der Warteschlange" in html
    assert '<meta http-equiv="refresh" content="2">' in html
    assert "Aktualisieren" in html and "Auftrag abbrechen" in html
    state = client.get(job_url + "/status.json").get_json()
    assert state["status"] == "queued" and state["active"] and state["download_url"] is None

    # The same request again joins the waiting job instead of starting a second one.
    assert client.get(PDF_URL).headers["Location"] == job_url
    assert _work(queued) == 1

    state = client.get(job_url + "/status.json").get_json()
    assert state["status"] == "done" and state["percent"] == 100 and not state["active"]
    page = _text(client.get(job_url))
    assert "Fertig" in page and "herunterladen" in page and "http-equiv" not in page
    pdf = client.get(state["download_url"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "E-Akte einführen" in _pdf_text(pdf.data)
    assert db.session.scalar(select(func.count(Job.id))) == 1


def test_progress_is_written_step_by_step(
    app: Any, login_as: Any, users: dict[str, Any], factory: Any, db: Any
) -> None:
    """The import reports each chunk; the progress updates are real UPDATEs of the job row."""
    from tests.test_imports import HEADER, _apply, _key, _upload, _xlsx

    line = factory.budget_line(users["treasury"].department)
    db.session.commit()
    client = login_as("treasury")
    preview = _upload(client, _xlsx([[*_key(line), year, 10 * year] for year in range(2026, 2030)]))
    assert preview.status_code == 200
    seen: list[int] = []

    def record(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if statement.startswith("UPDATE jobs SET progress_percent"):
            seen.append(
                params[0] if isinstance(params, tuple | list) else params["progress_percent"]
            )

    app.config["IMPORT_CHUNK_ROWS"] = 1
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = _apply(client, preview)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
        app.config["IMPORT_CHUNK_ROWS"] = 2000
    assert HEADER
    assert seen == [5, 10, 31, 52, 73, 95]
    page = _text(client.get(response.headers["Location"]))
    assert "Import übernommen: 4 Beträge geändert oder neu" in page


def test_cached_pdf_is_reused_and_rebuilt_after_a_change(
    report_data: Any, login_as: Any, db: Any
) -> None:
    client = login_as("coordinator")
    first = client.get(PDF_URL)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    generation = data_generation(db.session)
    second = client.get(PDF_URL)
    assert second.data == first.data
    assert db.session.scalar(select(func.count(Job.id))) == 1  # served from the cache

    with acting_as(None):
        report_data.title = "E-Akte im ganzen Haus"
        db.session.commit()
    assert data_generation(db.session) == generation + 1
    third = client.get(PDF_URL)
    assert third.status_code == 200
    assert db.session.scalar(select(func.count(Job.id))) == 2
    text = _pdf_text(third.data)
    assert "E-Akte im ganzen Haus" in text and "E-Akte einführen" not in text
    # Another filter is another result.
    client.get(PDF_URL + "?kategorie=smart_city")
    assert db.session.scalar(select(func.count(Job.id))) == 3


def test_cache_is_per_user(report_data: Any, app: Any, users: dict[str, Any], db: Any) -> None:
    from tests.conftest import login

    for key in ("coordinator", "leadership"):
        client = app.test_client()
        login(client, users[key].username)
        assert client.get(PDF_URL).status_code == 200
    owners = set(db.session.scalars(select(Job.user_id)))
    assert owners == {users["coordinator"].id, users["leadership"].id}


def test_only_the_owner_or_an_admin_sees_a_job(
    report_data: Any, app: Any, users: dict[str, Any], queued: Any
) -> None:
    from tests.conftest import login

    def client_for(key: str) -> Any:
        client = app.test_client()
        login(client, users[key].username)
        return client

    owner = client_for("coordinator")
    job_url = owner.get(PDF_URL).headers["Location"]
    _work(queued)
    other = client_for("leadership")
    for suffix in ("", "/status.json", "/datei"):
        assert other.get(job_url + suffix).status_code == 403
    assert "Sachstandsbericht" not in _text(other.get("/auftraege/"))
    admin = client_for("admin")
    assert admin.get(job_url).status_code == 200
    assert admin.get(job_url + "/datei").status_code == 200
    assert "Sachstandsbericht (PDF)" in _text(admin.get("/auftraege/"))
    assert app.test_client().get(job_url).status_code == 302  # to the login
    assert owner.get("/auftraege/unbekannt").status_code == 404


def test_cancel_a_waiting_job(report_data: Any, login_as: Any, queued: Any, db: Any) -> None:
    client = login_as("coordinator")
    job_url = client.get(PDF_URL).headers["Location"]
    html = client.get(job_url).get_data(as_text=True)
    token = CSRF_RE.search(html).group(1)  # type: ignore[union-attr]
    assert client.post(job_url + "/abbrechen", data={}).status_code == 400  # no CSRF token
    response = client.post(job_url + "/abbrechen", data={"csrf_token": token})
    assert response.status_code == 302
    assert "wird abgebrochen" in _text(client.get(job_url))
    _work(queued)  # the worker finds the job cancelled and leaves it
    job = db.session.scalar(select(Job))
    db.session.refresh(job)
    assert job.status == JobStatus.CANCELLED and job.result_path == ""
    assert "abgebrochen" in _text(client.get(job_url))
    # A new request starts a new job (a cancelled one is never reused).
    assert client.get(PDF_URL).headers["Location"] != job_url


def test_failing_import_job_shows_a_german_error(
    app: Any, login_as: Any, users: dict[str, Any], db: Any
) -> None:
    from tests.test_imports import TOKEN_RE, _apply, _key, _upload, _xlsx

    client = login_as("treasury")
    line = (
        __import__("tests.conftest", fromlist=["Factory"])
        .Factory(db.session)
        .budget_line(users["treasury"].department)
    )
    db.session.commit()
    preview = _upload(client, _xlsx([[*_key(line), 2026, 5]]))
    token = TOKEN_RE.search(preview.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    stored = Path(app.instance_path) / "imports" / f"{token}.json"
    payload = json.loads(stored.read_text(encoding="utf-8"))
    payload["rows"] = [{"kaputt": 1}]  # a damaged preview: unexpected error in the worker
    stored.write_text(json.dumps(payload), encoding="utf-8")
    response = _apply(client, preview)
    page = _text(client.get(response.headers["Location"]))
    assert "Der Auftrag ist fehlgeschlagen." in page
    assert "unerwarteter Fehler aufgetreten" in page
    assert "Traceback" not in page and "TypeError" not in page


def test_expired_files_are_purged(report_data: Any, login_as: Any, db: Any) -> None:
    client = login_as("coordinator")
    assert client.get(PDF_URL).status_code == 200
    job = db.session.scalar(select(Job))
    path = jobs.result_file(job)
    assert path is not None and path.is_file()
    job.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    counts = jobs.purge_jobs()
    assert counts["files"] == 1 and not path.exists()
    job_url = f"/auftraege/{job.public_id}"
    response = client.get(job_url + "/datei")
    assert response.status_code == 302
    assert "Die Datei ist abgelaufen" in _text(client.get(job_url))
    # Asking for the report again builds it anew.
    assert client.get(PDF_URL).status_code == 200
    assert db.session.scalar(select(func.count(Job.id))) == 2


def test_periodic_clean_up_is_registered(app: Any) -> None:
    queue = jobs.get_queue(app)
    assert "steuerung.purge_jobs" in queue.periodic
    names = list(queue.huey._registry._registry)
    assert any(n.endswith("steuerung.run_job") for n in names)
    assert any(n.endswith("steuerung.purge_jobs") for n in names)


def test_jobs_interrupted_by_a_worker_restart_fail_clearly(
    report_data: Any, login_as: Any, queued: Any, db: Any
) -> None:
    from steuerung.services.jobs.runner import fail_interrupted_jobs

    client = login_as("coordinator")
    job_url = client.get(PDF_URL).headers["Location"]
    job = db.session.scalar(select(Job))
    job.status = JobStatus.RUNNING  # the worker died while running it
    db.session.commit()
    assert client.get(PDF_URL).headers["Location"] == job_url  # joined while "running"
    assert fail_interrupted_jobs() == 1
    page = _text(client.get(job_url))
    assert "Der Auftrag wurde nicht beendet" in page and "erneut" in page
    assert client.get(PDF_URL).headers["Location"] != job_url  # a new job, not the lost one
