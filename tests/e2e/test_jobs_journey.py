"""Journey: the council PDF as a background job. The progress page passes axe, its locally
served script polls the status (no inline script, no console error, no other host) and shows
the download once a worker has run the job."""

from __future__ import annotations

from conftest import PASSWORD, Factory

from e2e.conftest import browser_login
from steuerung.models import MeasureStatus, Role
from steuerung.services.jobs import get_queue


def test_progress_page_updates_and_offers_the_file(page, e2e_app, e2e_db, check_a11y, tmp_path):
    factory = Factory(e2e_db.session)
    dept = factory.department("SD", "Stabsstelle")
    factory.user(Role.COORDINATOR, dept, username="koordination")
    factory.measure(dept, MeasureStatus.IN_PROGRESS, title="Digitale Akte")
    e2e_db.session.commit()
    huey = get_queue(e2e_app).huey
    e2e_app.config["JOBS_DIR"] = str(tmp_path / "files")
    huey.storage_kwargs["filename"] = str(tmp_path / "queue.db")
    huey.immediate = False
    try:
        browser_login(page, "koordination", PASSWORD)
        page.goto("/dashboard/sachstandsbericht")
        page.get_by_role("link", name="Als PDF herunterladen").click()
        page.wait_for_load_state()
        assert "/auftraege/" in page.url
        assert page.get_by_role("heading", level=1).inner_text() == "Sachstandsbericht (PDF)"
        assert "In der Warteschlange" in page.locator("#auftrag-status").inner_text()
        assert page.get_by_role("button", name="Auftrag abbrechen").is_visible()
        check_a11y(page)

        task = huey.dequeue()
        huey.execute(task)  # what the worker does

        link = page.locator("#auftrag-datei")
        link.wait_for(timeout=15000)  # the polling script reloads the finished page
        assert "herunterladen" in link.inner_text()
        assert "Fertig" in page.locator("#auftrag-status").inner_text()
        check_a11y(page)
        response = page.request.get(link.get_attribute("href"))
        assert response.headers["content-type"] == "application/pdf"
        assert response.body().startswith(b"%PDF")
    finally:
        huey.immediate = True
    assert page.console_errors == []
    assert page.foreign_requests == []
