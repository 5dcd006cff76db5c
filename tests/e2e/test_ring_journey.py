"""Journey: the treasury sets the base load of a licence line and declares a Deckungsring;
the totals of the budget table change exactly as computed by hand; axe on every page."""

from __future__ import annotations

from conftest import PASSWORD, Factory
from playwright.sync_api import expect

from e2e.conftest import browser_login
from steuerung.models import MeasureStatus, Role


def _totals_2026(page) -> tuple[str, str]:
    """Sum of gaps and sum of free amounts of 2026 in the table's "Gesamt" row."""
    cells = page.locator("#coverage-total-row td").all_inner_texts()
    return cells[0].replace("▲", "").replace("Lücke", "").strip(), cells[1].strip()


def test_treasury_sets_base_load_and_a_ring(page, e2e_db, check_a11y):
    factory = Factory(e2e_db.session)
    dept = factory.department("FB 2", "Finanzen")
    factory.user(Role.TREASURY, dept, username="kaemmerin")
    licences = factory.budget_line(dept, amounts={2026: "50000.00"})
    services = factory.budget_line(dept, amounts={2026: "30000.00"})
    factory.measure(
        dept, MeasureStatus.APPROVED, "Fachverfahren", costs=[(licences, 2026, "40000.00")]
    )
    factory.measure(
        dept, MeasureStatus.APPROVED, "Online-Dienst", costs=[(services, 2026, "10000.00")]
    )
    e2e_db.session.commit()

    browser_login(page, "kaemmerin", PASSWORD)
    page.goto("/haushalt/")
    check_a11y(page)
    # Licences 50.000 for 40.000 (free 10.000), services 30.000 for 10.000 (free 20.000).
    assert _totals_2026(page) == ("0,00\u00a0€", "30.000,00\u00a0€")

    # 1. 35.000 of the licence line pay for running systems: 15.000 left for 40.000.
    page.goto(f"/haushalt/stellen/{licences.id}/bearbeiten")
    check_a11y(page)
    page.get_by_label("davon gebunden für laufenden Betrieb 2026").fill("35.000,00")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_load_state()
    expect(page.get_by_text("wurde gespeichert")).to_be_visible()
    check_a11y(page)
    page.goto("/haushalt/")
    # Gap 25.000 on the licences; the 20.000 free on the other line do not cover it.
    assert _totals_2026(page) == ("25.000,00\u00a0€", "20.000,00\u00a0€")
    expect(page.locator("#coverage-total-row")).to_contain_text("teilweise gedeckt")

    # 2. Both lines declared mutually coverable for 2026: 45.000 for 50.000 -> gap 5.000.
    page.get_by_role("link", name="Deckungsringe", exact=True).click()
    page.wait_for_load_state()
    check_a11y(page)
    page.get_by_role("link", name="Neuer Deckungsring").click()
    page.wait_for_load_state()
    check_a11y(page)
    page.get_by_label("Name").fill("IT-Betrieb")
    page.get_by_label("Haushaltsjahr").select_option("2026")
    page.get_by_label(licences.label, exact=False).check()
    page.get_by_label(services.label, exact=False).check()
    page.get_by_role("button", name="Deckungsring speichern").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Deckungsring „IT-Betrieb“ wurde gespeichert.")).to_be_visible()
    check_a11y(page)
    page.goto("/haushalt/")
    assert _totals_2026(page) == ("5.000,00\u00a0€", "0,00\u00a0€")
    page.get_by_role("link", name="Nach Deckungsring").click()
    page.wait_for_load_state()
    expect(page.get_by_role("rowheader", name="Deckungsring „IT-Betrieb“")).to_be_visible()
    check_a11y(page)
    assert page.console_errors == []
    assert page.foreign_requests == []
