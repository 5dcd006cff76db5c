"""Journey: leadership opens the dashboard; every chart is drawn by the local plotly.js,
no console errors, no request to another host, axe passes; filter via the form; the
data tables are reachable by keyboard; the council report page passes axe too."""

from __future__ import annotations

from conftest import PASSWORD, Factory
from dashboard_helpers import build_demo

from e2e.conftest import browser_login
from steuerung.models import Role

CHART_IDS = (
    "chart-status",
    "chart-deckung",
    "chart-ampeln",
    "chart-roadmap",
    "chart-ziele",
    "chart-portfolio",
)


def _demo(e2e_db):
    factory = Factory(e2e_db.session)
    fb1 = factory.department("FB 1", "Bürgerservice")
    fb2 = factory.department("FB 2", "Bauen")
    users = {
        "coordinator": factory.user(Role.COORDINATOR, fb1, username="koordination"),
        "leadership": factory.user(Role.LEADERSHIP, fb1, username="leitung"),
        "submitter": factory.user(Role.SUBMITTER, fb1, username="anna"),
        "other_submitter": factory.user(Role.SUBMITTER, fb2, username="bert"),
    }
    build_demo(factory, users, extra=12)
    e2e_db.session.commit()


def _wait_for_charts(page):
    for chart_id in CHART_IDS:
        page.wait_for_selector(f"#{chart_id} .main-svg", timeout=15000)


def test_dashboard_draws_all_charts_accessibly(page, e2e_db, check_a11y):
    _demo(e2e_db)
    browser_login(page, "leitung", PASSWORD)
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Lagebild für die Behördenleitung"
    _wait_for_charts(page)
    assert "Maßnahmen in Umsetzung" in page.locator("#zusammenfassung").inner_text()
    check_a11y(page)

    # the twin tables open by keyboard
    summary = page.locator("summary", has_text="Daten als Tabelle: Ampeln nach Fachbereich")
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("#chart-ampeln-tabelle").is_visible()
    assert page.locator("#chart-ampeln-tabelle caption").inner_text().startswith("Gesamtampel")

    # filter through the GET form: the URL carries the filter, the charts are drawn again
    page.get_by_label("Kategorie").select_option("smart_city")
    page.get_by_role("button", name="Filtern").click()
    page.wait_for_load_state()
    assert "kategorie=smart_city" in page.url
    _wait_for_charts(page)
    assert page.locator("#tile-total").inner_text() == "3"
    check_a11y(page)

    assert page.console_errors == []
    assert page.foreign_requests == []


def test_council_report_page_is_accessible(page, e2e_db, check_a11y):
    _demo(e2e_db)
    browser_login(page, "koordination", PASSWORD)
    page.goto("/dashboard/")
    _wait_for_charts(page)
    page.get_by_role("link", name="Sachstandsbericht für den Rat").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Sachstandsbericht Digitalisierung"
    assert page.get_by_role("heading", name="3. Maßnahmen nach Handlungsfeld").is_visible()
    check_a11y(page)
    assert page.console_errors == []
    assert page.foreign_requests == []
