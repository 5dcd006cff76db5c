"""Journey: the treasury opens the budget table, switches to the scenario, downloads the XLSX."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import PASSWORD, Factory
from openpyxl import load_workbook

from e2e.conftest import browser_login
from steuerung.models import BudgetKind, MeasureStatus, Role


def test_treasury_budget_table_scenario_and_download(page, e2e_db, check_a11y, tmp_path):
    factory = Factory(e2e_db.session)
    dept = factory.department("FB 20", "Finanzen")
    factory.user(Role.TREASURY, dept, username="kaemmerer")
    line = factory.budget_line(dept, amounts={2026: "10000.00", 2027: "5000.00"})
    invest = factory.budget_line(dept, BudgetKind.INVESTIVE, amounts={2026: "20000.00"})
    factory.measure(
        dept,
        MeasureStatus.APPROVED,
        title="E-Rechnung",
        costs=[(line, 2026, "8000.00"), (invest, 2026, "25000.00")],
    )
    factory.measure(
        dept, MeasureStatus.SUBMITTED, title="Kita-Anmeldung online", costs=[(line, 2027, "6000")]
    )
    e2e_db.session.commit()

    browser_login(page, "kaemmerer", PASSWORD)
    page.get_by_role("link", name="Haushalt", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Mittelfristige Deckung")
    table = page.get_by_role("table").first
    assert "E-Rechnung" not in table.inner_text()  # inside the closed <details>
    page.get_by_text("1 Maßnahme auf").first.click()
    assert page.get_by_role("cell", name="E-Rechnung").first.is_visible()
    assert "Kita-Anmeldung online" not in page.content()
    check_a11y(page)

    page.get_by_role("link", name="Szenario mit eingereichten Maßnahmen").click()
    page.wait_for_load_state()
    assert "szenario=1" in page.url
    caption = page.locator("#coverage-table > caption").inner_text()
    assert "Szenario mit eingereichten Maßnahmen" in caption
    assert "Kita-Anmeldung online" in page.content()
    assert "teilweise gedeckt" in page.content()
    check_a11y(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export Excel (XLSX)").click()
    download = download_info.value
    assert download.suggested_filename == "haushalt_2026_szenario.xlsx"
    target = Path(tmp_path) / download.suggested_filename
    download.save_as(target)
    workbook = load_workbook(io.BytesIO(target.read_bytes()))
    assert "Maßnahmen" in workbook.sheetnames
    titles = [row[1].value for row in workbook["Maßnahmen"].iter_rows(min_row=2)]
    assert "Kita-Anmeldung online" in titles

    for view in ("Nach Fachbereich", "Nach Haushaltsteil", "Nach Deckungsring"):
        page.get_by_role("link", name=view).click()
        page.wait_for_load_state()
        check_a11y(page)
    page.get_by_role("link", name="Haushaltsstellen").click()
    page.wait_for_load_state()
    check_a11y(page)
    page.get_by_role("link", name=line.label).click()
    page.wait_for_load_state()
    assert "E-Rechnung" in page.content()
    check_a11y(page)
    page.get_by_role("link", name="Bearbeiten (Stammdaten, Ansatz und Planungen)").click()
    page.wait_for_load_state()
    check_a11y(page)
    page.get_by_role("link", name="Import", exact=True).click()
    page.wait_for_load_state()
    check_a11y(page)
    assert page.console_errors == []
    assert page.foreign_requests == []
