"""Sachstandsbericht: data compared with independent figures, printable page, PDF sections."""

from __future__ import annotations

import io
from collections import defaultdict

import pytest
from dashboard_helpers import TODAY, build_demo, latest, primary_field, selected
from pypdf import PdfReader

from steuerung.models import MeasureCategory, MeasureStatus
from steuerung.services.dashboard import council_report as svc
from steuerung.services.dashboard.data import DashboardFilters
from steuerung.services.measures.rules import INTERNAL_STATUSES


@pytest.fixture()
def demo(factory, users, db):
    data = build_demo(factory, users)
    db.session.commit()
    return data


def _expected_sections(demo, filters):
    """{field: {reference: (status, overall light or None)}} without internal states."""
    result: dict[str, dict[str, tuple]] = defaultdict(dict)
    for m in demo.measures:
        if selected(m, filters) and m.status not in INTERNAL_STATUSES:
            report = latest(m)
            result[primary_field(m)][m.reference] = (
                m.status,
                report.overall_light if report else None,
            )
    return dict(result)


@pytest.mark.parametrize(
    "make_filters",
    [
        lambda demo: DashboardFilters(),
        lambda demo: DashboardFilters(department_id=demo.departments[0].id),
        lambda demo: DashboardFilters(category=MeasureCategory.SMART_CITY),
        lambda demo: DashboardFilters(action_field_id=demo.agenda.action_fields[1].id, year=2026),
    ],
)
def test_sections_match_independent_grouping(demo, users, make_filters):
    filters = make_filters(demo)
    report = svc.build_council_report(filters, users["leadership"], today=TODAY)
    got = {
        s.name: {m.reference: (m.status, m.overall_light) for m in s.measures}
        for s in report.sections
    }
    assert got == _expected_sections(demo, filters)
    assert report.listed == report.total == sum(len(v) for v in got.values())


def test_report_lists_lights_and_summary(demo, users):
    report = svc.build_council_report(DashboardFilters(), users["leadership"], today=TODAY)
    e_akte = next(m for s in report.sections for m in s.measures if m.title == "E-Akte")
    assert (e_akte.schedule_light.value, e_akte.cost_light.value, e_akte.scope_light.value) == (
        "green",
        "red",
        "yellow",
    )
    assert e_akte.progress == 60
    assert report.summary.text.startswith("3 von 14 Maßnahmen in Umsetzung, 2 mit roter Ampel")
    assert [r.year for r in report.coverage.years] == [2026, 2027, 2028, 2029]
    titles = [m.title for s in report.sections for m in s.measures]
    assert "Entwurf ohne Alles" not in titles and "Rückfrage" not in titles


def test_report_is_limited_and_says_so(demo, users):
    sections, listed, total = svc.measure_sections(DashboardFilters(), users["leadership"], 3)
    assert listed == 3 and total == 12
    assert sum(len(s.measures) for s in sections) == 3


def test_printable_page(demo, login_as):
    client = login_as("leadership")
    response = client.get("/dashboard/sachstandsbericht")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for heading in (
        "Sachstandsbericht Digitalisierung",
        "1. Zusammenfassung",
        "2. Haushalt: Bedarf und Deckung",
        "3. Maßnahmen nach Handlungsfeld",
    ):
        assert heading in html
    assert "<svg" in html and "sachstandsbericht.pdf" in html
    assert '<td class="light light-red">Rot</td>' in html


def _pdf_text(response):
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    body = response.get_data()
    assert body.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(body))
    assert len(reader.pages) >= 1
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_has_the_sections(demo, login_as):
    client = login_as("coordinator")
    text = _pdf_text(client.get("/dashboard/sachstandsbericht.pdf"))
    for expected in (
        "Sachstandsbericht Digitalisierung",
        "Teststadt",
        "1. Zusammenfassung",
        "3 von 14 Maßnahmen in Umsetzung",
        "2. Haushalt: Bedarf und Deckung",
        "2026",
        "3. Maßnahmen nach Handlungsfeld",
        "Verwaltung",
        "Bürgerinnen & Bürger",
        "ohne Handlungsfeld",
        "E-Akte",
        "Kita-Anmeldung online",
        "Seite 1 von",
    ):
        assert expected in text, expected
    assert "Entwurf ohne Alles" not in text


def test_pdf_with_filter_and_bad_filter(demo, login_as):
    client = login_as("coordinator")
    text = _pdf_text(client.get("/dashboard/sachstandsbericht.pdf?kategorie=smart_city"))
    assert "Kategorie Smart City" in text
    assert "Sensorik Parkplätze" in text and "E-Akte" not in text
    bad = client.get("/dashboard/sachstandsbericht.pdf?jahr=abc")
    assert bad.status_code == 400
    assert client.get("/dashboard/sachstandsbericht?jahr=abc").status_code == 400


def test_pdf_with_empty_register(db, login_as):
    client = login_as("coordinator")
    text = _pdf_text(client.get("/dashboard/sachstandsbericht.pdf"))
    assert "Keine Maßnahmen für diese Auswahl." in text


def test_pdf_escapes_user_text(demo, factory, db, login_as):
    factory.measure(
        demo.departments[0], MeasureStatus.APPROVED, title='<img src="http://example.org/x.png">'
    )
    db.session.commit()
    client = login_as("coordinator")
    text = _pdf_text(client.get("/dashboard/sachstandsbericht.pdf"))
    assert '<img src="http://example.org/x.png">' in text
