"""Dashboard: every tile and chart compared with figures computed independently in Python,
unfiltered and filtered; filters in the URL; CSV twins; roles; constant query count."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import login
from dashboard_helpers import (
    TODAY,
    add_measures,
    build_demo,
    expected_goals,
    expected_lights,
    expected_money,
    expected_portfolio,
    expected_roadmap,
    expected_status_by_field,
    expected_tiles,
)

from steuerung.models import MeasureCategory, MeasureStatus
from steuerung.services.common.audit import acting_as
from steuerung.services.common.settings import get_settings
from steuerung.services.dashboard import data as svc
from steuerung.services.dashboard.data import DashboardFilters


@pytest.fixture()
def demo(factory, users, db):
    data = build_demo(factory, users)
    db.session.commit()
    return data


def _views(demo):
    """Unfiltered and several filtered views."""
    fb1, fb2, _fb3 = demo.departments
    field_v, field_b = demo.agenda.action_fields
    return [
        DashboardFilters(),
        DashboardFilters(department_id=fb1.id),
        DashboardFilters(department_id=fb2.id, year=2026),
        DashboardFilters(action_field_id=field_b.id),
        DashboardFilters(category=MeasureCategory.SMART_CITY),
        DashboardFilters(action_field_id=field_v.id, category=MeasureCategory.SMART_CITY),
        DashboardFilters(year=2027),
    ]


def test_tiles_match_independent_counts(demo, users, db):
    settings = get_settings()
    for filters in _views(demo):
        got = svc.tiles(filters, users["coordinator"], today=TODAY)
        want = expected_tiles(demo, filters, settings)
        assert got.total == want["total"], filters
        assert got.status_counts == want["status_counts"], filters
        assert got.red_lights == want["red"], filters
        assert got.overdue_reports == want["overdue"], filters
        assert got.without_owner == want["without_owner"], filters
        year = filters.year or settings.budget_year
        available, own, gap, free = expected_money(demo, [year], filters, db.session)[year]
        cov = got.coverage.figures
        assert (cov.available, cov.own, cov.gap, cov.free) == (available, own, gap, free), filters


def test_unfiltered_tiles_have_the_known_values(demo, users):
    """A sanity anchor independent of the helper: the demo's figures by hand."""
    got = svc.tiles(DashboardFilters(), users["coordinator"], today=TODAY)
    assert got.total == 14
    assert got.red_lights == 2  # E-Akte (cost red), WLAN Schulen (scope red)
    # Kita (report 1.12.2025 + 91 days), Sensorik (no report), WLAN (30-day interval, start 2027
    # but last report 12.6. -> not overdue) -> 2
    assert got.overdue_reports == 2
    assert got.coverage.figures.own == 36000  # 6000 + 25000 + 2000 + 3000 in 2026
    assert got.coverage.figures.available == 30000
    # Line 1: 10.000 for 6.000 + 2.000 + 3.000 (gap 1.000); line 2: 20.000 for 25.000
    # (gap 5.000). The lines' gaps add up; nothing nets.
    assert (got.coverage.gap, got.coverage.free) == (6000, 0)
    assert got.coverage.status.label == "teilweise gedeckt"


def test_status_by_field_matches(demo, users):
    for filters in _views(demo):
        got = svc.status_by_field(filters, users["coordinator"])
        assert got.counts == expected_status_by_field(demo, filters), filters
        table = got.table()
        assert sum(row[-1] for row in table.rows) == sum(
            sum(v.values()) for v in got.counts.values()
        )


def test_multi_field_measure_counts_once_for_its_first_goal(demo, users):
    got = svc.status_by_field(DashboardFilters(), users["coordinator"])
    # "Kita-Anmeldung online" has goals V-2 and B-1: counted once, under Verwaltung (the
    # first field of the agenda), like the E-Akte.
    assert got.counts["Verwaltung"][MeasureStatus.IN_PROGRESS] == 2
    assert MeasureStatus.IN_PROGRESS not in got.counts["Bürgerinnen & Bürger"]
    assert got.counts[svc.NO_FIELD][MeasureStatus.IN_PROGRESS] == 1


def test_coverage_chart_matches(demo, users, db):
    horizon = get_settings().horizon
    for filters in _views(demo):
        got = svc.coverage_chart(filters)
        years = [filters.year] if filters.year else horizon
        want = expected_money(demo, years, filters, db.session)
        assert [(r.year, r.figures.available, r.figures.own, r.gap, r.free) for r in got.years] == [
            (y, *want[y]) for y in years
        ], filters


def test_lights_by_department_match(demo, users):
    for filters in _views(demo):
        got = svc.lights_by_department(filters, users["coordinator"])
        assert got.counts == expected_lights(demo, filters), filters


def test_roadmap_matches_and_is_limited(demo, users):
    for filters in _views(demo):
        got = svc.roadmap(filters, users["coordinator"])
        refs, total = expected_roadmap(demo, filters, svc.ROADMAP_LIMIT)
        assert [i.reference for i in got.items] == refs, filters
        assert got.total == total
    small = svc.roadmap(DashboardFilters(), users["coordinator"], limit=2)
    assert [i.reference for i in small.items] == expected_roadmap(demo, DashboardFilters(), 2)[0]
    assert small.total == 5
    e_akte = next(i for i in svc.roadmap(DashboardFilters(), None).items if i.title == "E-Akte")
    assert [m.title for m in e_akte.milestones] == ["Pilot", "Rollout"]


def test_goal_coverage_matches(demo, users):
    for filters in _views(demo):
        got = svc.goal_coverage(filters, users["coordinator"])
        assert {g.code: g.counts for g in got.goals} == expected_goals(demo, filters), filters


def test_portfolio_matches(demo, users):
    horizon = get_settings().horizon
    for filters in _views(demo):
        got = svc.portfolio(filters, users["coordinator"])
        assert [(p.reference, p.score, p.cost) for p in got.points] == expected_portfolio(
            demo, filters, horizon, svc.PORTFOLIO_LIMIT
        ), filters


def test_leadership_summary_text(demo, users):
    tiles = svc.tiles(DashboardFilters(), users["leadership"], today=TODAY)
    text = svc.summary(DashboardFilters(), users["leadership"], tiles).text
    assert text.startswith("3 von 14 Maßnahmen in Umsetzung, 2 mit roter Ampel: ")
    assert "E-Akte (FB 1)" in text and "WLAN Schulen (FB 3)" in text
    assert "2 Statusberichte sind überfällig." in text
    assert text.endswith(
        "Deckung 2026: teilweise gedeckt, Summe der Lücken 6.000,00\u00a0€, frei 0,00\u00a0€."
    )


def test_dashboard_page_renders_all_charts_and_twins(demo, login_as):
    client = login_as("coordinator")
    response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for chart_id in (
        "chart-status",
        "chart-deckung",
        "chart-ampeln",
        "chart-roadmap",
        "chart-ziele",
        "chart-portfolio",
        "chart-vollzug",
    ):
        assert f'id="{chart_id}"' in html
        assert f'id="{chart_id}-tabelle"' in html
    for key in svc.CHARTS:
        assert f"/dashboard/daten/{key}.csv" in html
    assert "Sachstandsbericht" in html
    assert html.count('class="plotly-figure"') == 7
    # Figures are valid JSON
    import re

    for blob in re.findall(r'class="plotly-figure" data-target="[^"]+">(.*?)</script>', html):
        json.loads(blob.replace("<\\/", "</"))
    assert 'id="tile-red">2<' in html
    # The coverage twin: the year as row header, German money right-aligned, the status
    # as text (the 2026 gap of the demo is 6,000 €, see the leadership summary).
    start = html.index('id="chart-deckung-tabelle"')
    table = html[start : html.index("</table>", start)]
    row = table[table.index('<th scope="row">2026</th>') :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">6.000,00\xa0€</td>' in row
    assert row.endswith("<td>teilweise gedeckt</td>")


def test_filters_live_in_the_url_and_reach_the_page(demo, login_as):
    client = login_as("coordinator")
    smart = client.get("/dashboard/?kategorie=smart_city").get_data(as_text=True)
    assert 'id="tile-total">3<' in smart
    assert '<option value="smart_city" selected>' in smart
    assert "kategorie=smart_city" in smart  # CSV and report links keep the filter


@pytest.mark.parametrize(
    "query",
    [
        "fachbereich=abc",
        "fachbereich=99999",
        "handlungsfeld=-1",
        "kategorie=%3Cscript%3E",
        "jahr=20226",
        "jahr=zwei",
    ],
)
def test_invalid_filters_give_a_message_not_500(demo, login_as, query):
    client = login_as("coordinator")
    response = client.get(f"/dashboard/?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "ungültig" in html
    assert 'aria-describedby="filterfehler"' in html
    assert "<script>" not in html.split("</main>")[0].split('id="inhalt"')[1]
    assert client.get(f"/dashboard/daten/ampeln.csv?{query}").status_code == 400


def _client(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_roles(demo, app, users):
    for role, code in (
        ("coordinator", 200),
        ("leadership", 200),
        ("treasury", 200),
        ("submitter", 403),
        ("admin", 403),
    ):
        client = _client(app, role)
        for url in (
            "/dashboard/",
            "/dashboard/daten/roadmap.csv",
            "/dashboard/sachstandsbericht",
            "/dashboard/sachstandsbericht.pdf",
        ):
            assert client.get(url).status_code == code, (role, url)
    assert _client(app, "treasury").get("/dashboard/leitung").status_code == 403
    assert app.test_client().get("/dashboard/").status_code == 302


def test_leadership_sees_the_summary_on_top(demo, login_as, app):
    client = login_as("leadership")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "Lagebild für die Behördenleitung" in html
    assert "3 von 14 Maßnahmen in Umsetzung, 2 mit roter Ampel" in html
    assert '<form method="post"' not in html.split('id="inhalt"')[1].split("</main>")[0]
    coordinator = _client(app, "coordinator")
    assert "Zusammenfassung" not in coordinator.get("/dashboard/").get_data(as_text=True)
    assert "Zusammenfassung" in coordinator.get("/dashboard/leitung").get_data(as_text=True)


def test_nav_entry_for_dashboard_roles(demo, app):
    assert 'href="/dashboard/"' in _client(app, "treasury").get("/").get_data(as_text=True)
    assert 'href="/dashboard/"' not in _client(app, "submitter").get("/").get_data(as_text=True)


def _csv(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_csv_downloads_hold_the_chart_data(demo, login_as, users):
    client = login_as("coordinator")
    for key in svc.CHARTS:
        rows = _csv(client.get(f"/dashboard/daten/{key}.csv"))
        table = svc.chart_table(key, DashboardFilters(), users["coordinator"])
        assert rows[0] == table.headers
        assert len(rows) == len(table.rows) + 1, key
    lights = _csv(client.get("/dashboard/daten/ampeln.csv"))
    assert lights[0] == ["Fachbereich", "Grün", "Gelb", "Rot", "Kein Bericht"]
    coverage = _csv(client.get("/dashboard/daten/deckung.csv?jahr=2026"))
    assert coverage[0][:2] == ["Jahr", "Verfügbar"]
    assert coverage[1][:2] == ["2026", "30000,00"]
    assert coverage[1][4:7] == ["36000,00", "6000,00", "0,00"]
    assert client.get("/dashboard/daten/gibtsnicht.csv").status_code == 404
    fb2 = demo.departments[1]
    filtered = _csv(client.get(f"/dashboard/daten/kennzahlen.csv?fachbereich={fb2.id}"))
    assert filtered[1] == ["Maßnahmen insgesamt", "4"]


def _query_count(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return int(response.headers["X-Query-Count"])


def _counts(client, urls, db):
    """Query counts of ``urls``, each after a warm-up request on a fresh (expired) session,
    so that objects cached by the test's own session do not change the count."""
    counts = []
    for url in urls:
        db.session.commit()
        client.get(url)
        counts.append(_query_count(client, url))
    return counts


def test_query_count_does_not_grow_with_measures(factory, users, db, login_as):
    demo = build_demo(factory, users)
    db.session.commit()
    client = login_as("coordinator")
    urls = [
        "/dashboard/",
        "/dashboard/leitung",
        "/dashboard/?kategorie=digital_administration&jahr=2026",
        "/dashboard/daten/roadmap.csv",
        "/dashboard/sachstandsbericht",
    ]
    small = _counts(client, urls, db)
    with acting_as(None):
        add_measures(factory, demo, users["submitter"], 80)
    db.session.commit()
    large = _counts(client, urls, db)
    assert small == large
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "Gezeigt werden die 30 ranghöchsten von 59 freigegebenen" in html
    start = html.index('id="chart-roadmap-tabelle"')
    table = html[start : html.index("</table>", start)]
    assert table.count("<tr>") == 31  # header + 30 measures
