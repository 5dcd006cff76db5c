"""Journey (issue 11): the treasury imports actuals, sees the available funds change on the
budget line and on the dashboard, and rolls the year forward with a carry-forward. Every
page passes axe."""

from __future__ import annotations

from datetime import date

from conftest import PASSWORD, Factory
from execution_helpers import CSV_SAMPLE, csv_profile, sample_kommune

from e2e.conftest import browser_login
from steuerung.models import Role
from steuerung.services.budget import actuals

NBSP = "\u00a0"


def test_treasury_imports_actuals_and_carries_forward(page, e2e_db, check_a11y, monkeypatch):
    monkeypatch.setattr(actuals, "today", lambda: date(2026, 11, 30))
    factory = Factory(e2e_db.session)
    dept = factory.department("FB 20", "Finanzen")
    treasury = factory.user(Role.TREASURY, dept, username="kaemmerer")
    data = sample_kommune(factory, {"treasury": treasury})
    csv_profile()
    hardware, eakte = data["lines"]["hardware"], data["lines"]["eakte"]

    browser_login(page, "kaemmerer", PASSWORD)
    # Before the import: the line shows its whole Ansatz as available
    page.goto(f"/haushalt/stellen/{hardware.id}")
    section = page.locator("#vollzug")
    assert "Noch keine Ist-Daten für dieses Jahr importiert" in section.inner_text()
    assert f"150.000,00{NBSP}€" in page.locator("#line-execution").inner_text()
    check_a11y(page)
    page.goto("/dashboard/")
    assert page.locator("#tile-exec-available").inner_text() == f"460.000,00{NBSP}€"
    check_a11y(page)

    # The import: profile, Stichtag, the export as it comes from the finance software
    page.goto("/haushalt/")
    page.get_by_role("link", name="Vollzug", exact=True).click()
    page.wait_for_load_state()
    check_a11y(page)
    page.get_by_role("link", name="Import Ist-Daten").click()
    page.wait_for_load_state()
    page.get_by_label("Importprofil").select_option(label="SAP FM Ist/Obligo (CSV)")
    page.get_by_label("Stichtag (Stand der Zahlen)").fill("2026-06-30")
    page.get_by_label("Haushaltsjahr").fill("2026")
    page.get_by_label("Datei (XLSX oder CSV)").set_input_files(str(CSV_SAMPLE))
    check_a11y(page)
    page.get_by_role("button", name="Prüfen (Vorschau)").click()
    page.wait_for_load_state()
    assert "Alle 7 Zeilen sind fehlerfrei" in page.locator("#import-ok").inner_text()
    check_a11y(page)
    page.get_by_role("button", name="Ist-Daten übernehmen").click()
    page.wait_for_load_state()
    assert "Neuer Stand der Ist-Daten für 2026 übernommen." in page.content()
    check_a11y(page)

    # The line: 150.000 − 98.400 − 61.750 = −10.150, overdrawn
    page.goto(f"/haushalt/stellen/{hardware.id}")
    assert "Stand 30.06.2026" in page.locator("#vollzug").inner_text()
    assert f"Überzogen um 10.150,00{NBSP}€." in page.locator("#vollzug").inner_text()
    assert f"-10.150,00{NBSP}€" in page.locator("#line-execution").inner_text()
    check_a11y(page)
    # The dashboard: 460.000 − 288.304,66 − 109.250 = 62.445,34
    page.goto("/dashboard/")
    assert page.locator("#tile-exec-available").inner_text() == f"62.445,34{NBSP}€"
    page.locator("#chart-vollzug .main-svg").first.wait_for()
    page.get_by_text("Daten als Tabelle: Mittelabfluss 2026").click()
    assert "30.06.2026" in page.locator("#chart-vollzug-tabelle").inner_text()
    check_a11y(page)

    # The year change with a carry-forward: E-Akte has 150.000 + 40.000 − 120.000 = 70.000
    # unused; 50.000 are carried, with a reason
    page.goto("/haushalt/haushaltsjahr")
    assert "Übertragung nicht verbrauchter Ermächtigungen (2026 → 2027)" in page.content()
    check_a11y(page)
    page.get_by_label(f"Übertragen: {eakte.label}").fill("50.000,00")
    page.get_by_label(f"Begründung: {eakte.label}").fill("Scanstraße beauftragt, Abnahme 2027")
    page.get_by_label("Ich habe geprüft").check()
    page.get_by_role("button", name="Haushaltsjahr fortschreiben").click()
    page.wait_for_load_state()
    assert "Das Haushaltsjahr ist jetzt 2027." in page.content()

    page.goto("/haushalt/vollzug/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Haushaltsvollzug 2027")
    carried = page.locator("#carried-table").inner_text()
    assert f"50.000,00{NBSP}€" in carried and "Scanstraße beauftragt" in carried
    row = page.locator("#execution-table").get_by_role("row", name=eakte.label)
    # Ansatz 2027 stays 100.000; the carried 50.000 stand beside it
    assert f"100.000,00{NBSP}€" in row.inner_text() and f"50.000,00{NBSP}€" in row.inner_text()
    check_a11y(page)
    for link in ("Übertragene Ermächtigungen", "Investitionsprogramm", "Importprofile"):
        page.get_by_role("link", name=link, exact=True).click()
        page.wait_for_load_state()
        check_a11y(page)
    page.get_by_role("link", name="Profil „SAP FM Ist/Obligo (CSV)“ bearbeiten").click()
    page.wait_for_load_state()
    check_a11y(page)
    assert page.console_errors == []
    assert page.foreign_requests == []
