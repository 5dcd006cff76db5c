"""Journey: a citizen reads the public transparency page without logging in (axe, also at
320 px), follows a goal and downloads the CSV; the coordinating office publishes a measure on
its detail page and withdraws it again, and the public page follows at once; the
administration switches the page off."""

from __future__ import annotations

from datetime import date

from conftest import PASSWORD, Factory
from playwright.sync_api import expect

from e2e.conftest import assert_no_sideways_scroll, browser_login
from steuerung.models import MeasureStatus, Role, Settings, StatusReport, TrafficLight


def _world(db):
    factory = Factory(db.session)
    dept = factory.department("FB 3", "Bürgerservice und Ordnung")
    factory.user(Role.COORDINATOR, dept, username="koord")
    factory.user(Role.ADMIN, dept, username="verwaltung")
    agenda = factory.agenda()
    goal = agenda.action_fields[1].goals[0]
    line = factory.budget_line(dept, amounts={2026: "500000.00"})
    running = factory.measure(
        dept,
        MeasureStatus.IN_PROGRESS,
        "Online-Terminvergabe im Bürgerbüro",
        goals=[goal],
        costs=[(line, 2026, "14500.00"), (line, 2027, "4800.00")],
        published=True,
        public_description="Termine im Bürgerbüro lassen sich online buchen.",
        description="Intern: Anbieterwechsel prüfen",
    )
    running.status_reports.append(
        StatusReport(
            reported_on=date(2026, 9, 25),
            schedule_light=TrafficLight.GREEN,
            cost_light=TrafficLight.GREEN,
            scope_light=TrafficLight.GREEN,
            progress_percent=85,
        )
    )
    approved = factory.measure(
        dept,
        MeasureStatus.APPROVED,
        "Videoberatung im Bürgerservice",
        goals=[goal],
        costs=[(line, 2027, "30000.00")],
    )
    factory.measure(dept, MeasureStatus.DRAFT, "Idee im Entwurf", published=True)
    db.session.get(Settings, 1).transparency_enabled = True
    db.session.commit()
    return running, approved


def test_public_page_and_the_office_publishing(page, e2e_db, check_a11y, tmp_path):
    running, approved = _world(e2e_db)

    # a citizen, not logged in
    page.goto("/transparenz/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Digitalisierung in Teststadt: veröffentlichte Maßnahmen"
    )
    expect(page.get_by_role("heading", name="Online-Terminvergabe im Bürgerbüro")).to_be_visible()
    expect(page.get_by_text("85 % (Statusbericht vom 25.09.2026)")).to_be_visible()
    body = page.locator("main").inner_text()
    assert "Idee im Entwurf" not in body and "Videoberatung" not in body
    assert "Intern: Anbieterwechsel" not in body
    check_a11y(page)
    page.get_by_role("link", name="B-1", exact=True).click()
    assert page.url.endswith("#ziel-b-1")
    expect(page.locator("#ziel-b-1")).to_contain_text("1")
    with page.expect_download() as download:
        page.get_by_role("link", name="Maßnahmen als CSV-Datei").click()
    saved = tmp_path / "massnahmen.csv"
    download.value.save_as(saved)
    text = saved.read_bytes().decode("utf-8")
    assert text.startswith("\ufeffNummer;Maßnahme;")
    assert "14500,00;4800,00;0,00;0,00;19300,00" in text
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/transparenz/")
    assert_no_sideways_scroll(page)
    check_a11y(page)
    page.set_viewport_size({"width": 1366, "height": 768})

    # the login page leads there, too
    page.goto("/auth/login")
    page.get_by_role("link", name="Transparenzseite (öffentlich)").click()
    page.wait_for_load_state()
    assert page.url.endswith("/transparenz/")

    # the office publishes the approved measure
    browser_login(page, "koord", PASSWORD)
    page.goto(f"/massnahmen/{approved.id}")
    expect(page.get_by_text("Nicht auf der Transparenzseite veröffentlicht.")).to_be_visible()
    page.get_by_label("Auf der Transparenzseite veröffentlichen").check()
    page.get_by_label("Öffentliche Kurzbeschreibung").fill("Beratung per Video statt im Amt.")
    check_a11y(page)
    page.get_by_role("button", name="Veröffentlichung speichern").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Auf der Transparenzseite veröffentlicht.").first).to_be_visible()
    check_a11y(page)
    page.goto("/transparenz/")
    expect(page.get_by_role("heading", name="Videoberatung im Bürgerservice")).to_be_visible()
    expect(page.get_by_text("Beratung per Video statt im Amt.")).to_be_visible()

    # ... and withdraws it again: gone with the next request
    page.goto(f"/massnahmen/{approved.id}")
    page.get_by_label("Auf der Transparenzseite veröffentlichen").uncheck()
    page.get_by_role("button", name="Veröffentlichung speichern").click()
    page.wait_for_load_state()
    page.goto("/transparenz/")
    assert "Videoberatung" not in page.locator("main").inner_text()
    check_a11y(page)

    # the administration switches the page off: gone, and so is the footer link
    page.context.clear_cookies()
    browser_login(page, "verwaltung", PASSWORD)
    page.goto("/verwaltung/einstellungen")
    check_a11y(page)
    page.get_by_label("Transparenzseite öffentlich zugänglich (ohne Anmeldung)").uncheck()
    page.get_by_role("button", name="Einstellungen speichern").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Die Einstellungen wurden gespeichert.")).to_be_visible()
    expect(page.get_by_role("link", name="Transparenzseite (öffentlich)")).to_have_count(0)
    assert page.request.get("/transparenz/").status == 404
    assert page.console_errors == []
    assert page.foreign_requests == []
