"""Journey: log in, see the start page; accessibility of both pages."""

from __future__ import annotations

from conftest import PASSWORD, Factory

from e2e.conftest import browser_login
from steuerung.models import MeasureStatus, Role


def test_login_and_start_page(page, e2e_db, check_a11y):
    factory = Factory(e2e_db.session)
    dept = factory.department("FB 3", "Bürgerservice")
    factory.user(Role.SUBMITTER, dept, username="anna")
    factory.measure(dept, MeasureStatus.DRAFT, title="Online-Terminvergabe")
    e2e_db.session.commit()

    page.goto("/")
    assert "/auth/login" in page.url
    check_a11y(page)

    page.get_by_label("Benutzername").fill("anna")
    page.get_by_label("Passwort").fill("falsch-falsch")
    page.get_by_role("button", name="Anmelden").click()
    assert page.get_by_text("Benutzername oder Passwort ist falsch").is_visible()

    browser_login(page, "anna", PASSWORD)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Guten Tag")
    assert page.get_by_role("cell", name="Online-Terminvergabe").is_visible()
    check_a11y(page)
    assert page.console_errors == []
    assert page.foreign_requests == []

    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Zum Inhalt springen" in focused
