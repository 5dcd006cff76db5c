"""Journey: an administrator resets a password and ends the sessions; the person must choose
an own password at the next login; a weak one is refused with the reason (accessible)."""

from __future__ import annotations

from conftest import PASSWORD, Factory

from e2e.conftest import browser_login
from steuerung.models import Role


def test_admin_reset_forces_new_password_and_ends_sessions(
    browser, live_server, e2e_db, check_a11y
):
    factory = Factory(e2e_db.session)
    dept = factory.department("FB 1", "Zentrale Dienste")
    factory.user(Role.ADMIN, dept, username="ines")
    person = factory.user(Role.TREASURY, dept, username="tina")
    e2e_db.session.commit()

    tina_context = browser.new_context(locale="de-DE", base_url=live_server)
    tina = tina_context.new_page()
    browser_login(tina, "tina", PASSWORD)
    assert tina.get_by_role("heading", level=1).inner_text().startswith("Guten Tag")

    admin_context = browser.new_context(locale="de-DE", base_url=live_server)
    admin = admin_context.new_page()
    browser_login(admin, "ines", PASSWORD)
    admin.goto(f"/verwaltung/benutzer/{person.id}")
    assert admin.get_by_text("Angemeldet in 1 Sitzung(en).").is_visible()
    check_a11y(admin)
    admin.get_by_label("Neues Passwort").fill("passwort1234")
    admin.get_by_role("button", name="Passwort setzen").click()
    assert admin.get_by_text("zu leicht zu erraten").first.is_visible()
    admin.get_by_label("Neues Passwort").fill("Fahrrad-Ampel-Wolke-73")
    admin.get_by_role("button", name="Passwort setzen").click()
    assert admin.get_by_text("alle Sitzungen wurden beendet").is_visible()

    # Tina's open browser is logged out at its next click.
    tina.goto("/haushalt/")
    assert "/auth/login" in tina.url
    assert tina.get_by_text("Ihre Sitzung wurde beendet").is_visible()

    browser_login(tina, "tina", "Fahrrad-Ampel-Wolke-73")
    assert tina.url.endswith("/auth/password")
    check_a11y(tina)
    tina.get_by_label("Bisheriges Passwort").fill("Fahrrad-Ampel-Wolke-73")
    tina.get_by_label("Neues Passwort", exact=True).fill("aaaaaaaaaaaa")
    tina.get_by_label("Neues Passwort wiederholen").fill("aaaaaaaaaaaa")
    tina.get_by_role("button", name="Passwort ändern").click()
    assert tina.get_by_text("Wiederholungen").first.is_visible()
    check_a11y(tina)
    tina.get_by_label("Bisheriges Passwort").fill("Fahrrad-Ampel-Wolke-73")
    tina.get_by_label("Neues Passwort", exact=True).fill("Kastanie-Rathaus-Fluss-58")
    tina.get_by_label("Neues Passwort wiederholen").fill("Kastanie-Rathaus-Fluss-58")
    tina.get_by_role("button", name="Passwort ändern").click()
    assert tina.get_by_text("Ihr Passwort wurde geändert.").is_visible()
    tina.goto("/haushalt/")
    assert tina.url.endswith("/haushalt/")
    tina_context.close()
    admin_context.close()
