"""Journey: a coordinator opens "Mein Konto" from the user menu and switches e-mails off."""

from __future__ import annotations

from conftest import PASSWORD, Factory
from sqlalchemy import select

from e2e.conftest import browser_login
from steuerung.models import Role, User


def test_coordinator_switches_reminders_and_digest_off(page, e2e_db, check_a11y):
    factory = Factory(e2e_db.session)
    dept = factory.department("SD", "Stabsstelle Digitalisierung")
    user = factory.user(Role.COORDINATOR, dept, username="koord")
    user.email = "koord@lindenfeld.example"
    e2e_db.session.commit()

    browser_login(page, "koord", PASSWORD)
    page.get_by_role("button", name=user.full_name).click()
    with page.expect_navigation():
        page.get_by_role("link", name="Mein Konto").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Mein Konto"
    assert page.get_by_text("koord@lindenfeld.example").is_visible()
    check_a11y(page)

    reminders = page.get_by_label("Erinnerungen zu meinen Maßnahmen per E-Mail")
    digest = page.get_by_label("Wöchentliche Übersicht der Koordinationsstelle per E-Mail")
    assert reminders.is_checked() and digest.is_checked()
    digest.uncheck()
    with page.expect_navigation():  # POST, then redirect to the same address
        page.get_by_role("button", name="Einstellungen speichern").click()
    assert page.get_by_text("Ihre E-Mail-Einstellungen wurden gespeichert.").is_visible()
    assert page.get_by_label("Erinnerungen zu meinen Maßnahmen per E-Mail").is_checked()
    assert not page.get_by_label(
        "Wöchentliche Übersicht der Koordinationsstelle per E-Mail"
    ).is_checked()
    check_a11y(page)
    assert page.console_errors == [] and page.foreign_requests == []

    e2e_db.session.expire_all()
    saved = e2e_db.session.scalar(select(User).where(User.username == "koord"))
    assert (saved.notify_reminders, saved.notify_digest) == (True, False)
