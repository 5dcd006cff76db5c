"""Start pages: figures match the data, links lead to the filtered lists."""

from __future__ import annotations

from steuerung.models import BudgetKind, MeasureStatus


def test_coordinator_start_page_shows_coverage_and_links(login_as, factory, users, db):
    own = users["submitter"].department
    line = factory.budget_line(own, BudgetKind.CONSUMPTIVE, {2026: "1000.00", 2027: "500.00"})
    factory.measure(own, MeasureStatus.APPROVED, costs=[(line, 2026, "1234.56")])
    factory.measure(own, MeasureStatus.IN_PROGRESS, costs=[(line, 2027, "400.00")])
    factory.measure(own, MeasureStatus.SUBMITTED, costs=[(line, 2026, "9999.00")])  # not counted
    db.session.commit()
    html = login_as("coordinator").get("/").get_data(as_text=True)
    # 2026: demand 1.234,56 against 1.000,00 -> gap 234,56; 2027 covered
    assert "1.234,56\xa0€" in html and "1.000,00\xa0€" in html and "234,56\xa0€" in html
    assert "9.999,00" not in html
    assert 'href="/portfolio/register?status=submitted"' in html
    assert 'href="/portfolio/inbox"' in html
    assert "<strong>1 Maßnahme</strong> wartet auf Prüfung" in html  # singular


def test_submitter_start_page_lists_own_department_only(login_as, factory, users, db):
    own = users["submitter"].department
    other = users["other_submitter"].department
    mine = factory.measure(own, MeasureStatus.DRAFT, title="Eigene Maßnahme")
    factory.measure(other, MeasureStatus.DRAFT, title="Fremder Entwurf")
    db.session.commit()
    html = login_as("submitter").get("/").get_data(as_text=True)
    assert f'href="/massnahmen/{mine.id}"' in html
    assert "Fremder Entwurf" not in html
    assert 'href="/massnahmen/?status=draft"' in html or 'href="/massnahmen?status=draft"' in html


def test_admin_start_page_has_no_links_into_areas_it_cannot_open(login_as, factory, users, db):
    factory.measure(users["submitter"].department, MeasureStatus.DRAFT)
    db.session.commit()
    client = login_as("admin")
    html = client.get("/").get_data(as_text=True)
    assert "/portfolio/register" not in html
    import re

    for href in set(re.findall(r'href="(/[^"#]*)"', html)):
        with client.get(href) as response:
            assert response.status_code == 200, href
