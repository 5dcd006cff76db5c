"""Journeys: an administrator creates a user; a coordinator records a Potenzialcheck."""

from __future__ import annotations

from conftest import PASSWORD, Factory

from e2e.conftest import browser_login
from steuerung.models import Role
from steuerung.services.maturity.assessments import ensure_catalogue


def test_admin_creates_user_by_keyboard_friendly_form(page, e2e_db, check_a11y):
    factory = Factory(e2e_db.session)
    dept = factory.department("IT", "IT-Service")
    factory.department("FB 3", "Bürgerservice")
    factory.user(Role.ADMIN, dept, username="admin")
    e2e_db.session.commit()

    browser_login(page, "admin", PASSWORD)
    page.get_by_role("link", name="Benutzer", exact=True).click()
    check_a11y(page)
    page.get_by_role("link", name="Neuen Benutzer anlegen").click()
    page.get_by_role("button", name="Speichern").click()
    assert page.get_by_text("Bitte geben Sie einen Benutzernamen ein.").first.is_visible()
    check_a11y(page)
    page.get_by_label("Benutzername").fill("m.meier")
    page.get_by_label("Vor- und Nachname").fill("Maria Meier")
    page.get_by_label("Rolle").select_option(label="Fachbereich")
    page.get_by_label("Fachbereich", exact=True).select_option(label="FB 3 – Bürgerservice")
    page.get_by_label("Erstes Passwort").fill("ein-gutes-passwort")
    page.get_by_role("button", name="Speichern").click()
    assert page.get_by_text("Benutzer „m.meier“ wurde angelegt.").is_visible()
    assert page.get_by_role("link", name="Maria Meier").is_visible()
    assert page.console_errors == []


def test_coordinator_records_potenzialcheck(page, e2e_db, check_a11y):
    factory = Factory(e2e_db.session)
    dept = factory.department("SD", "Stabsstelle Digitalisierung")
    factory.user(Role.COORDINATOR, dept, username="koord")
    statements = [s for t in ensure_catalogue() for s in t.statements]
    e2e_db.session.commit()

    browser_login(page, "koord", PASSWORD)
    page.get_by_role("link", name="Potenzialcheck").click()
    page.get_by_role("link", name="Neue Einschätzung").click()
    check_a11y(page)
    page.get_by_label("Bezeichnung").fill("Check November")
    for index, statement in enumerate(statements):
        value = "1" if index == 0 else "3"
        page.locator(f"input[name='rating_{statement.id}'][value='{value}']").check()
    page.get_by_role("button", name="Einschätzung speichern").click()
    assert page.get_by_text("Die Einschätzung wurde gespeichert.").is_visible()
    page.wait_for_selector("#chart-einschaetzung .main-svg")
    check_a11y(page)
    page.get_by_role("button", name="Als Maßnahme vorschlagen").first.click()
    assert page.get_by_text("wurde im Register angelegt").is_visible()
    page.get_by_role("link", name="Potenzialcheck").click()
    page.wait_for_selector("#chart-reife .main-svg")
    check_a11y(page)
    assert page.console_errors == [] and page.foreign_requests == []
