"""Journey of issue 3: a department submits a measure, the office returns it with a question,
the department answers and resubmits. axe check on every page of the journey."""

from __future__ import annotations

from conftest import PASSWORD, Factory
from playwright.sync_api import expect

from e2e.conftest import browser_login
from steuerung.models import BudgetKind, Measure, MeasureComment, MeasureStatus, Role


def _logout(page):
    """Switch users: the session cookie goes, as after "Abmelden" in the user menu."""
    page.context.clear_cookies()


def test_submit_return_answer_resubmit(page, e2e_db, check_a11y):
    factory = Factory(e2e_db.session)
    dept = factory.department("FB 3", "Bürgerservice")
    office = factory.department("KS", "Koordinationsstelle Digitalisierung")
    factory.user(Role.SUBMITTER, dept, username="anna")
    factory.user(Role.COORDINATOR, office, username="kurt")
    factory.agenda()
    line = factory.budget_line(dept, amounts={2026: "50000.00", 2027: "50000.00"})
    invest = factory.budget_line(dept, BudgetKind.INVESTIVE, amounts={2027: "80000.00"})
    e2e_db.session.commit()

    # the department fills in the form and saves a draft
    browser_login(page, "anna", PASSWORD)
    page.get_by_role("link", name="Maßnahmen", exact=True).click()
    page.wait_for_load_state()
    check_a11y(page)
    page.get_by_role("link", name="Neue Maßnahme erfassen").click()
    page.wait_for_load_state()
    check_a11y(page)
    page.get_by_label("Titel", exact=True).fill("Online-Terminvergabe Bürgerbüro")
    page.get_by_label("Beschreibung", exact=True).fill("Termine online buchen statt Wartemarke.")
    page.get_by_label("Kategorie").select_option("digital_administration")
    page.get_by_label("V-1 – Ziel V-1 (Verwaltung)").check()
    page.get_by_label("B-2 – Ziel B-2 (Bürgerinnen & Bürger)").check()
    page.get_by_label("Verantwortliche Person").select_option(index=1)
    page.get_by_label("Geplanter Beginn").fill("2026-02-01")
    page.get_by_label("Geplantes Ende").fill("2027-06-30")
    page.locator("#cost_plan-0-year").select_option("2026")
    page.locator("#cost_plan-0-budget_line_id").select_option(str(line.id))
    page.locator("#cost_plan-0-amount").fill("12.500,00")
    page.locator("#cost_plan-1-year").select_option("2027")
    page.locator("#cost_plan-1-budget_line_id").select_option(str(invest.id))
    page.locator("#cost_plan-1-amount").fill("30.000,00")
    page.get_by_role("button", name="Kostenzeile hinzufügen").click()  # JS adds a row
    assert page.locator("#cost_plan-3-amount").count() == 1
    assert page.evaluate("document.activeElement.id") == "cost_plan-3-year"
    expect(page.locator("#cost-rows-status")).to_have_text("Kostenzeile 4 hinzugefügt.")
    # each row is a numbered group with its own remove button; removing one renumbers the
    # rest, announces it and puts the focus on the previous row
    page.get_by_role("button", name="Kostenzeile 3 entfernen").click()
    expect(page.locator("#cost-rows legend")).to_have_text(
        ["Kostenzeile 1", "Kostenzeile 2", "Kostenzeile 3"]
    )
    expect(page.locator("#cost-rows .remove-row")).to_have_text(
        ["Kostenzeile 1 entfernen", "Kostenzeile 2 entfernen", "Kostenzeile 3 entfernen"]
    )
    assert page.evaluate("document.activeElement.id") == "cost_plan-1-year"
    expect(page.locator("#cost-rows-status")).to_have_text(
        "Kostenzeile 3 entfernt. Noch 3 Kostenzeilen."
    )
    assert page.locator("#cost_plan-1-amount").input_value() == "30.000,00"
    page.get_by_role("button", name="Meilenstein hinzufügen").click()
    expect(page.get_by_role("group", name="Meilenstein 3")).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name="Als Entwurf speichern").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Die Maßnahme wurde gespeichert.")).to_be_visible()
    expect(page.get_by_text("Entwurf", exact=True).first).to_be_visible()
    check_a11y(page)
    page.get_by_role("link", name="Kostenplan").click()
    page.wait_for_load_state()
    expect(page.get_by_role("cell", name="12.500,00 €").first).to_be_visible()
    expect(page.get_by_role("cell", name="30.000,00 €").first).to_be_visible()
    check_a11y(page)

    # ... and submits it
    page.get_by_role("button", name="Einreichen").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Status geändert: Eingereicht.")).to_be_visible()
    check_a11y(page)
    measure_url = page.url.split("?")[0]
    _logout(page)

    # the coordinating office returns it with a question
    browser_login(page, "kurt", PASSWORD)
    page.goto(measure_url)
    check_a11y(page)
    page.get_by_label("Ihre Frage an den Fachbereich").fill("Sind Lizenzkosten enthalten?")
    page.get_by_role("button", name="Rückfrage stellen").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Status geändert: Rückfrage.")).to_be_visible()
    check_a11y(page)
    _logout(page)

    # the department sees the question, answers and resubmits
    browser_login(page, "anna", PASSWORD)
    page.get_by_role("link", name="Maßnahmen", exact=True).click()
    page.wait_for_load_state()
    expect(page.get_by_text("1 offen")).to_be_visible()
    check_a11y(page)
    page.get_by_role("link", name="Online-Terminvergabe Bürgerbüro").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Rückfrage der Koordinationsstelle")).to_be_visible()
    expect(page.get_by_text("Sind Lizenzkosten enthalten?")).to_be_visible()
    check_a11y(page)
    page.get_by_label("Ihre Antwort").fill("Ja, 12.000 € pro Jahr ab 2027.")
    page.get_by_role("button", name="Antwort speichern").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Ihre Antwort wurde gespeichert.")).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name="Erneut einreichen").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Status geändert: Eingereicht.")).to_be_visible()
    check_a11y(page)
    page.get_by_role("link", name="Verlauf").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Status: Rückfrage → Eingereicht")).to_be_visible()
    check_a11y(page)

    assert page.console_errors == []
    assert page.foreign_requests == []
    e2e_db.session.expire_all()
    measure = e2e_db.session.query(Measure).one()
    assert measure.status == MeasureStatus.SUBMITTED
    assert sorted(g.code for g in measure.goals) == ["B-2", "V-1"]
    assert sorted(e.year for e in measure.cost_plan) == [2026, 2027]
    kinds = {c.kind for c in e2e_db.session.query(MeasureComment)}
    assert kinds == {"question", "answer"}


def test_report_change_request_and_errors_are_accessible(page, e2e_db, check_a11y):
    from datetime import date

    from steuerung.models import KeyFigure, Milestone

    factory = Factory(e2e_db.session)
    dept = factory.department("FB 3", "Bürgerservice")
    office = factory.department("KS", "Koordinationsstelle Digitalisierung")
    anna = factory.user(Role.SUBMITTER, dept, username="anna")
    factory.user(Role.COORDINATOR, office, username="kurt")
    agenda = factory.agenda()
    line = factory.budget_line(dept, amounts={2026: "50000.00"})
    measure = factory.measure(
        dept,
        MeasureStatus.IN_PROGRESS,
        title="Digitale Bauakte",
        owner=anna,
        goals=[agenda.action_fields[0].goals[0]],
        costs=[(line, 2026, "20000.00")],
        start_date=date(2024, 1, 1),
        end_date=date(2027, 12, 31),
    )
    measure.milestones.append(Milestone(title="Pilot", due_date=date(2026, 6, 1)))
    measure.key_figures.append(KeyFigure(name="Online-Anteil", unit="%"))
    e2e_db.session.commit()
    detail = f"/massnahmen/{measure.id}"

    browser_login(page, "anna", PASSWORD)
    page.goto(detail)
    expect(page.get_by_text("überfällig").first).to_be_visible()
    page.get_by_role("button", name="Abhaken: Pilot").click()
    page.wait_for_load_state()
    expect(page.get_by_text("als erreicht markiert")).to_be_visible()
    check_a11y(page)

    # status report: first with an error, then correct
    page.get_by_role("link", name="Statusbericht abgeben").click()
    page.wait_for_load_state()
    check_a11y(page)
    page.get_by_label("Termine").select_option("green")
    page.get_by_label("Kosten", exact=True).select_option("yellow")
    page.get_by_label("Leistungsumfang").select_option("green")
    page.get_by_label("Fortschritt (%)").fill("150")
    page.get_by_role("button", name="Statusbericht speichern").click()
    page.wait_for_load_state()
    expect(page.get_by_text("zwischen 0 und 100").first).to_be_visible()
    check_a11y(page)
    page.get_by_label("Fortschritt (%)").fill("60")
    page.get_by_label("Sachstand").fill("Pilot abgeschlossen.")
    page.get_by_role("button", name="Statusbericht speichern").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Der Statusbericht wurde gespeichert.")).to_be_visible()
    expect(page.get_by_text("Pilot abgeschlossen.")).to_be_visible()
    page.get_by_label("Wert", exact=True).fill("37,5")
    page.get_by_role("button", name="Erfassen").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Der Messwert wurde gespeichert.")).to_be_visible()
    check_a11y(page)

    # edit form with a validation error
    page.goto(f"{detail}/bearbeiten")
    check_a11y(page)
    page.locator("#milestones-1-title").fill("Rollout")
    page.get_by_role("button", name="Als Entwurf speichern").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Bitte geben Sie das Fälligkeitsdatum an.").first).to_be_visible()
    check_a11y(page)

    # change request for the cost plan
    page.goto(detail)
    page.get_by_role("link", name="Änderung des Kostenplans beantragen").click()
    page.wait_for_load_state()
    check_a11y(page)
    page.get_by_label("Begründung der Änderung").fill("Zusätzliche Scanner nötig.")
    page.locator("#cost_plan-0-amount").fill("25.000,00")
    page.get_by_role("button", name="Änderungsantrag stellen").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Ihr Änderungsantrag wurde gestellt.")).to_be_visible()
    check_a11y(page)
    _logout(page)

    browser_login(page, "kurt", PASSWORD)
    page.goto(detail)
    expect(page.get_by_text("offener Änderungsantrag")).to_be_visible()
    page.get_by_role("link", name="Änderungsanträge ansehen").click()
    page.wait_for_load_state()
    check_a11y(page)
    page.get_by_role("button", name="Annehmen und übernehmen").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Änderungsantrag angenommen")).to_be_visible()
    expect(page.get_by_role("cell", name="25.000,00 €").first).to_be_visible()
    page.get_by_role("link", name="Verlauf").click()
    page.wait_for_load_state()
    check_a11y(page)
    assert page.console_errors == []
