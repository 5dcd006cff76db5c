"""Journey: the coordinating office filters the register, scores two measures, sees the
ranking change and runs a budget cut-off scenario; axe check on each page."""

from __future__ import annotations

import re

from conftest import PASSWORD, Factory
from playwright.sync_api import expect

from e2e.conftest import browser_login
from steuerung.models import MeasureCategory, MeasureStatus, Role


def _score_all(page, measure_id: int, value: str) -> None:
    page.goto(f"/portfolio/measures/{measure_id}/score")
    selects = page.locator("select[name^='c_']")
    for index in range(selects.count()):
        selects.nth(index).select_option(value)
    page.get_by_role("button", name="Bewertung speichern").click()
    page.wait_for_load_state()


def _ranking(page) -> list[str]:
    page.goto("/portfolio/")
    return page.locator("#rangliste tbody th[scope=row]").all_inner_texts()


def test_coordinator_journey(page, e2e_db, check_a11y):
    factory = Factory(e2e_db.session)
    dept = factory.department("FB 3", "Bürgerservice")
    factory.user(Role.COORDINATOR, dept, username="koord")
    agenda = factory.agenda()
    goal = agenda.action_fields[0].goals[0]
    line = factory.budget_line(dept, amounts={2026: "500000.00"})
    portal = factory.measure(
        dept,
        MeasureStatus.APPROVED,
        "Bürgerportal",
        goals=[goal],
        costs=[(line, 2026, "100000.00")],
    )
    akte = factory.measure(
        dept, MeasureStatus.APPROVED, "E-Akte", goals=[goal], costs=[(line, 2026, "200000.00")]
    )
    factory.measure(
        dept,
        MeasureStatus.IN_PROGRESS,
        "Schul-WLAN",
        category=MeasureCategory.SCHOOL,
        costs=[(line, 2026, "50000.00")],
    )
    factory.measure(dept, MeasureStatus.DRAFT, "Idee im Entwurf")
    e2e_db.session.commit()

    browser_login(page, "koord", PASSWORD)

    # 1. filter the register
    page.get_by_role("link", name="Register", exact=True).first.click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maßnahmenregister")
    check_a11y(page)
    page.get_by_role("listbox", name="Status").select_option(["approved"])
    page.get_by_role("button", name="Filtern").click()
    page.wait_for_load_state()
    assert "status=approved" in page.url
    expect(page.locator("#trefferzahl")).to_contain_text("2 Maßnahmen")
    # once used, the filter panel is one line naming the filters; it opens on demand
    expect(page.locator("#filter-zusammenfassung")).to_have_text("Status: Freigegeben")
    expect(page.get_by_label("Suche in Titel und Beschreibung")).to_be_hidden()
    page.locator(".filter-panel > summary").click()
    page.get_by_label("Suche in Titel und Beschreibung").fill("portal")
    page.get_by_role("button", name="Filtern").click()
    page.wait_for_load_state()
    expect(page.locator("#trefferzahl")).to_contain_text("1 Maßnahme,")
    expect(page.get_by_role("rowheader", name="Bürgerportal")).to_be_visible()
    check_a11y(page)
    # the column chooser: a GET form in a <details>; the choice stays in the URL and links
    page.get_by_text("Spalten wählen").click()
    page.get_by_role("checkbox", name="Kategorie").uncheck()
    page.get_by_role("checkbox", name="Beginn").check()
    page.get_by_role("button", name="Spalten übernehmen").click()
    page.wait_for_load_state()
    assert "spalte=" in page.url and "q=portal" in page.url and "status=approved" in page.url
    headers = page.locator("#register-tabelle thead th").all_inner_texts()
    assert "Kategorie" not in headers and "Beginn" in headers
    page.get_by_role("link", name="Titel", exact=True).click()  # sort: columns stay
    page.wait_for_load_state()
    assert (
        "sort=title" in page.url
        and "Beginn" in page.locator("#register-tabelle thead").inner_text()
    )
    check_a11y(page)
    page.goto("/portfolio/register?status=kaputt")
    expect(page.get_by_text("Die Auswahl konnte nicht ausgeführt werden")).to_be_visible()

    # 2. score two measures; the ranking follows
    _score_all(page, portal.id, "3")
    expect(page.get_by_text("Score 60,00, Klasse B, Rang 1")).to_be_visible()
    check_a11y(page)
    first = _ranking(page)
    assert first[0].startswith("Bürgerportal")
    check_a11y(page)
    _score_all(page, akte.id, "5")
    expect(page.get_by_text("Score 100,00, Klasse A, Rang 1")).to_be_visible()
    second = _ranking(page)
    assert second[0].startswith("E-Akte") and second[1].startswith("Bürgerportal")
    expect(page.locator("#portfolio-blasen .main-svg").first).to_be_visible()

    # 3. cut-off scenario: 250.000 € konsumtiv in 2026; Schul-WLAN (in progress) is fixed
    page.goto("/portfolio/scenario")
    check_a11y(page)
    page.get_by_text("Beträge je Topf selbst festlegen").click()
    page.get_by_label("Verfügbar konsumtiv 2026").fill("250.000,00")
    page.get_by_role("button", name="Szenario berechnen").click()
    page.wait_for_load_state()
    expect(page.locator("#szenario-summen")).to_be_visible()
    summary = page.locator("#szenario-summen").inner_text()
    assert "1 gesetzte, 1 finanzierte und 1 nicht finanzierte" in summary
    pots = page.locator("#szenario-toepfe").inner_text()
    assert "250.000,00" in pots and "50.000,00" in pots  # available, fixed
    rows = page.locator("#szenario-tabelle tbody").inner_text()
    assert rows.index("E-Akte") < rows.index("Bürgerportal")
    missed = page.locator("#knapp + ul").inner_text()
    assert "Bürgerportal" in missed and "100.000,00" in missed  # 250 - 50 - 200 = 0 left
    check_a11y(page)
    page.get_by_label("Name des Szenarios").fill("Ansatz 2026 knapp")
    page.get_by_role("button", name="Szenario speichern").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Szenario „Ansatz 2026 knapp“ gespeichert.")).to_be_visible()
    check_a11y(page)

    # 4. the inbox: one row per measure, the decision opens on demand, nothing preselected
    inbox_measure = factory.measure(dept, MeasureStatus.SUBMITTED, "Antrag im Eingang")
    e2e_db.session.commit()
    page.goto("/portfolio/inbox")
    row = page.get_by_role("row", name=re.compile("Antrag im Eingang"))
    expect(row).to_be_visible()
    row.get_by_text("Entscheiden").click()
    decision = row.get_by_label("Entscheidung", exact=True)
    expect(decision).to_have_value("")
    check_a11y(page)
    row.get_by_role("button", name=re.compile("Ausführen")).click()  # refused by the browser
    assert page.evaluate("document.activeElement.validity.valueMissing") is True
    e2e_db.session.refresh(inbox_measure)
    assert inbox_measure.status == MeasureStatus.SUBMITTED
    decision.select_option("approved")
    row.get_by_role("button", name=re.compile("Ausführen")).click()
    page.wait_for_load_state()
    expect(page.get_by_text("„Antrag im Eingang“: Freigegeben.")).to_be_visible()

    # 5. the other pages of the office pass the axe check as well
    for url in (
        "/portfolio/inbox",
        "/portfolio/criteria",
        "/portfolio/hygiene",
        "/agenda/",
        f"/agenda/versionen/{agenda.id}",
    ):
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        check_a11y(page)

    assert page.console_errors == []
    assert page.foreign_requests == []
