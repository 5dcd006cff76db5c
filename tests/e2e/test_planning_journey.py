"""Journey: the budget cycle of 2027. The Kämmerei opens the round; a department derives its
Anmeldung from its cost plans, raises a line with a reason and hands in; the Kämmerei freezes
it, cuts the line in the Entwurf, records an Eckwert, and enters the council's Beschluss, which
becomes the Ansatz; the comparison shows exactly the changed line with both reasons. Axe on
every page."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from conftest import PASSWORD, Factory
from playwright.sync_api import expect

from e2e.conftest import browser_login
from steuerung.models import MeasureStatus, Role
from steuerung.services.common.clock import frozen


def _logout(page) -> None:
    page.get_by_role("button", name=re.compile("Sachbearbeitung|Kämmerin")).click()
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_load_state()


def _click(page, role: str, name: str | re.Pattern[str]) -> None:
    exact = isinstance(name, str)
    page.get_by_role(role, name=name, exact=exact or None).first.click()
    page.wait_for_load_state()


def test_department_registers_treasury_drafts_sets_eckwerte_and_adopts(page, e2e_db, check_a11y):
    factory = Factory(e2e_db.session)
    finance = factory.department("FB 2", "Finanzen")
    citizens = factory.department("FB 3", "Bürgerservice")
    treasurer = factory.user(Role.TREASURY, finance, username="kaemmerin")
    treasurer.full_name = "Kämmerin Klein"
    clerk = factory.user(Role.SUBMITTER, citizens, username="fb3")
    clerk.full_name = "Sachbearbeitung Bürgerservice"
    # Line of FB 3: 5.000 bound for running systems in 2027; an approved measure plans 20.000.
    line = factory.budget_line(citizens, amounts={2027: "30000.00"})
    line.amounts[0].base_load = Decimal("5000.00")
    factory.measure(
        citizens, MeasureStatus.APPROVED, "Online-Terminvergabe", costs=[(line, 2027, "20000.00")]
    )
    e2e_db.session.commit()

    with frozen(date(2026, 12, 10)):
        # 1. The Kämmerei opens the planning round 2027.
        browser_login(page, "kaemmerin", PASSWORD)
        page.goto("/haushaltsplanung/")
        expect(page.get_by_role("heading", name="Haushaltsplanung 2027")).to_be_visible()
        check_a11y(page)
        _click(page, "button", "Planungsrunde 2027 eröffnen")
        expect(page.get_by_text("Die Planungsrunde 2027 ist eröffnet.")).to_be_visible()
        check_a11y(page)
        _logout(page)

        # 2. FB 3 derives its needs from the cost plans: 5.000 + 20.000 = 25.000 in 2027.
        browser_login(page, "fb3", PASSWORD)
        _click(page, "link", "Haushaltsanmeldung")
        check_a11y(page)
        _click(page, "link", "Anmeldung")
        _click(page, "button", "Bedarf aus den Kostenplänen übernehmen")
        expect(page.get_by_text("1 Zeile wurde aus den Kostenplänen übernommen")).to_be_visible()
        row = page.locator(f"#lines-{citizens.id} tbody tr").first
        expect(row).to_contain_text("25.000,00")
        check_a11y(page)
        _click(page, "link", re.compile("^Ändern"))
        check_a11y(page)
        page.get_by_label("Ansatz 2027").fill("28.000,00")
        _click(page, "button", "Zeile speichern")
        expect(page.locator("#reason-fehler")).to_contain_text(
            "Bitte begründen Sie die Abweichung."
        )
        expect(page.get_by_label("Ansatz 2027")).to_have_value("28.000,00")  # nothing lost
        check_a11y(page)
        page.get_by_label("Begründung").fill("Zweiter Standort ab Sommer 2027")
        _click(page, "button", "Zeile speichern")
        expect(page.get_by_text("wurde gespeichert")).to_be_visible()
        _click(page, "button", "Anmeldung abgeben")
        expect(page.get_by_text("Die Anmeldung von FB 3 ist abgegeben.")).to_be_visible()
        check_a11y(page)
        _logout(page)

        # 3. The Kämmerei freezes the Anmeldung and cuts the line in the Entwurf.
        browser_login(page, "kaemmerin", PASSWORD)
        page.goto("/haushaltsplanung/?hj=2027")
        _click(page, "link", "Anmeldung")
        expect(page.locator("#anmeldungen")).to_contain_text("abgegeben am")
        _click(page, "link", "Anmeldung festschreiben")
        check_a11y(page)
        _click(page, "button", "Anmeldung festschreiben")
        expect(page.get_by_text("Der Stand „Anmeldung 2027“ ist festgeschrieben.")).to_be_visible()
        _click(page, "button", "Nächsten Stand anlegen: Entwurf")
        expect(page.get_by_text("Der Stand „Entwurf 2027“ ist angelegt.")).to_be_visible()
        check_a11y(page)
        _click(page, "link", re.compile("^Ändern"))
        page.get_by_label("Ansatz 2027").fill("24000")
        page.get_by_label("Begründung").fill("Haushaltssicherung: zweiter Standort erst 2028")
        _click(page, "button", "Zeile speichern")
        _click(page, "link", "Entwurf festschreiben")
        _click(page, "button", "Entwurf festschreiben")
        _click(page, "button", "Nächsten Stand anlegen: Eckwerte")

        # 4. The Eckwert of FB 3 for 2027: 25.000; the Entwurf's 24.000 stay within it.
        _click(page, "link", "Eckwerte festlegen")
        check_a11y(page)
        page.get_by_label("Eckwert FB 3 Bürgerservice 2027").fill("25.000,00")
        _click(page, "button", "Eckwerte speichern")
        expect(page.get_by_text("Die Eckwerte wurden gespeichert.")).to_be_visible()
        block = page.locator(f"#lines-{citizens.id}")
        expect(block.locator("tfoot")).to_contain_text("25.000,00")
        check_a11y(page)
        _click(page, "link", "Eckwerte festschreiben")
        _click(page, "button", "Eckwerte festschreiben")
        _click(page, "button", "Nächsten Stand anlegen: Beschluss")

        # 5. The council adopts: date and Drucksache; the figures become the Ansatz.
        _click(page, "link", "Beschluss eintragen und festschreiben")
        check_a11y(page)
        _click(page, "button", "Beschluss festschreiben")
        expect(
            page.get_by_text("Bitte das Datum des Ratsbeschlusses angeben.").first
        ).to_be_visible()
        check_a11y(page)
        page.get_by_label("Datum des Ratsbeschlusses").fill("2026-12-09")
        page.get_by_label("Drucksache").fill("DS 2026/117")
        _click(page, "button", "Beschluss festschreiben")
        expect(
            page.get_by_text("Die beschlossenen Beträge stehen jetzt als Ansatz")
        ).to_be_visible()
        expect(page.get_by_text("09.12.2026, Drucksache DS 2026/117")).to_be_visible()
        check_a11y(page)
        page.goto(f"/haushalt/stellen/{line.id}")
        amounts = page.get_by_role("row", name=re.compile("^2027"))
        expect(amounts.first).to_contain_text("24.000,00")

        # 6. Compare the Anmeldung with the Beschluss: exactly the one line, both reasons.
        page.goto("/haushaltsplanung/?hj=2027")
        page.get_by_label("von").select_option(label="Anmeldung 2027")
        page.get_by_label("zu").select_option(label="Beschluss 2027")
        _click(page, "button", "Vergleichen")
        expect(page.get_by_role("heading", name="Geänderte Zeilen (1)")).to_be_visible()
        changed = page.locator("#compare-lines tbody tr")
        expect(changed).to_have_count(1)
        expect(changed).to_contain_text("28.000,00 € → 24.000,00 €")
        expect(changed).to_contain_text("Haushaltssicherung: zweiter Standort erst 2028")
        expect(changed).to_contain_text("Zweiter Standort ab Sommer 2027")
        check_a11y(page)
    # The two refused forms answer 400 (Chromium reports that as a console error); nothing else.
    assert (
        page.console_errors
        == ["Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"] * 2
    )
    assert page.foreign_requests == []
