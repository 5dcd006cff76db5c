"""Execution figures where people look (issue 11, points 2 and 6): the budget line, the
measure, the execution table, the dashboard tile and chart, the exports and the investment
programme (page and XLSX). Expected figures are computed by hand in the comments."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal as D
from typing import Any

from conftest import login, post_form
from execution_helpers import sample_kommune, snapshot
from openpyxl import load_workbook
from sqlalchemy import select

from steuerung.models import (
    AuditEntry,
    CommitmentAuthorization,
    CostPlanEntry,
    FundingSource,
    Measure,
    MeasureStatus,
)
from steuerung.models.base import utcnow

NBSP = "\u00a0"


def with_actuals(factory: Any, users: dict[str, Any]) -> dict[str, Any]:
    """The sample Kommune with the 30.06.2026 state (and E-Rechnung 2.500 over its plan)."""
    data = sample_kommune(factory, users)
    lines, measures = data["lines"], data["measures"]
    snapshot(
        2026,
        date(2026, 6, 30),
        [
            (lines["lizenzen"], "52734.56", "8000"),
            (lines["lizenzen"], "12500", "4000", measures["erechnung"]),
            (lines["fortbildung"], "8670.10", "0"),
            (lines["hardware"], "98400", "61750", measures["notebooks"]),
            (lines["eakte"], "120000", "35500"),
        ],
    )
    return data


def client_for(app: Any, username: str) -> Any:
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_line_page_shows_available_funds_and_the_measures_burn(app, factory, users, db):
    data = with_actuals(factory, users)
    client = client_for(app, "coordinator")
    html = client.get(f"/haushalt/stellen/{data['lines']['hardware'].id}").get_data(as_text=True)
    assert "Vollzug 2026: verfügbare Mittel" in html
    assert "Stand 30.06.2026" in html
    # 150.000 − 98.400 − 61.750 = −10.150, shown with a sign and a word (not colour alone)
    assert f"überzogen </span>-10.150,00{NBSP}€" in html
    assert f"Überzogen um 10.150,00{NBSP}€." in html
    # Notebooks: plan 140.000, Ist 98.400, Obligo 61.750 -> 160.150 above plan
    assert f"Ist und Obligo (160.150,00{NBSP}€) übersteigen den Plan (140.000,00{NBSP}€)." in html

    html = client.get(f"/haushalt/stellen/{data['lines']['lizenzen'].id}").get_data(as_text=True)
    # 95.000 − 65.234,56 − 12.000 = 17.765,44
    assert f"17.765,44{NBSP}€" in html
    assert f"Mehr ausgegeben als geplant: Ist 12.500,00{NBSP}€ bei Plan 10.000,00{NBSP}€" in html


def test_line_execution_lists_measures_in_pages_warnings_first(
    app, factory, users, db, monkeypatch
):
    from steuerung.views import execution as execution_views

    data = with_actuals(factory, users)
    line = data["lines"]["lizenzen"]
    for amount in ("30000.00", "20000.00"):  # larger plans, no warning: after E-Rechnung
        factory.measure(
            users["submitter"].department, MeasureStatus.IN_PROGRESS, costs=[(line, 2026, amount)]
        )
    db.session.commit()
    on_line = db.session.scalars(
        select(CostPlanEntry.measure_id)
        .join(Measure, Measure.id == CostPlanEntry.measure_id)
        .where(CostPlanEntry.budget_line_id == line.id, CostPlanEntry.year == 2026)
        .distinct()
    ).all()
    assert len(on_line) >= 3
    monkeypatch.setattr(execution_views, "LINE_EXECUTION_PAGE_SIZE", 1)
    client = client_for(app, "coordinator")
    shown = []
    for page in range(1, len(on_line) + 1):
        html = client.get(f"/haushalt/stellen/{line.id}?vseite={page}&page=1").get_data(
            as_text=True
        )
        table = html[html.index('id="line-execution-measures"') : html.index('id="h-measures"')]
        rows = re.findall(r"massnahmen/(\d+)\?tab=kosten", table)
        assert len(rows) == 1
        shown += rows
        assert f"Seite {page} von {len(on_line)}" in table
        # The page links keep the page's other arguments and point back to the table.
        assert f"vseite={page}" in table and "page=1" in table and "#vollzug" in table
    assert sorted(int(i) for i in shown) == sorted(on_line)
    # E-Rechnung spent more than planned: its warning puts it on the first page.
    assert int(shown[0]) == data["measures"]["erechnung"].id
    bad = client.get(f"/haushalt/stellen/{line.id}?vseite=x").get_data(as_text=True)
    assert "Ungültige Seitenzahl „x“: es wird Seite 1 gezeigt." in bad


def test_execution_table_page_and_its_totals(app, factory, users, db):
    with_actuals(factory, users)
    client = client_for(app, "leadership")
    html = client.get("/haushalt/vollzug/").get_data(as_text=True)
    assert "Haushaltsvollzug 2026: verfügbare Mittel" in html
    assert "6 abgelaufenen Monaten" in html
    # free: 17.765,44 + 16.329,90 + 34.500 = 68.595,34; overdrawn 10.150
    summary = re.search(r'id="summen">(.*?)</p>', html, re.S).group(1)
    assert f"68.595,34{NBSP}€" in summary and f"10.150,00{NBSP}€" in summary
    assert "Maßnahmen mit Warnungen (2)" in html
    by_department = client.get("/haushalt/vollzug/?ansicht=fachbereich").get_data(as_text=True)
    assert "FB 1 Bürgerservice" in by_department
    # another year without data: a clear note, no error
    html = client.get("/haushalt/vollzug/?jahr=2025").get_data(as_text=True)
    assert "Noch keine Ist-Daten für 2025" in html


def test_measure_page_shows_plan_spent_committed_to_its_department(app, factory, users, db):
    data = with_actuals(factory, users)
    erechnung = data["measures"]["erechnung"]
    url = f"/massnahmen/{erechnung.id}?tab=kosten"
    # the measure's own department (a submitter) and budget readers see it
    for username in ("submitter", "treasury", "coordinator"):
        html = client_for(app, username).get(url).get_data(as_text=True)
        assert "Vollzug: geplant, ausgegeben, gebunden" in html, username
        assert f"2026: Mehr ausgegeben als geplant: Ist 12.500,00{NBSP}€" in html
        # projection: max(12.500 / 6 × 12 = 25.000, 16.500) = 25.000
        assert f"25.000,00{NBSP}€" in html
    # another department's submitter may read the approved measure, but not its money
    other = client_for(app, "fremd")
    html = other.get(url).get_data(as_text=True)
    assert "Vollzug: geplant" not in html


def test_the_treasury_enters_the_order_key_on_a_measure(app, factory, users, db):
    data = with_actuals(factory, users)
    scan = data["measures"]["scan"]
    url = f"/massnahmen/{scan.id}?tab=kosten"
    treasury = client_for(app, "treasury")
    html = treasury.get(url).get_data(as_text=True)
    assert "Auftrag / Kostenträger in der Finanzsoftware" in html
    target = f"/haushalt/vollzug/massnahmen/{scan.id}/auftrag"
    response = post_form(
        treasury, target, {"order_key": "a-2026-0042", "version_id": str(scan.version_id)},
        token_from=url,
    )  # fmt: skip
    assert response.status_code == 302
    html = treasury.get(url).get_data(as_text=True)
    assert "Dieser Auftrag ist schon M-" in html  # E-Rechnung has A-2026-0042 (any case)
    response = post_form(
        treasury, target, {"order_key": "A-2026-0099", "version_id": str(scan.version_id)},
        token_from=url,
    )  # fmt: skip
    db.session.expire_all()
    assert db.session.get(Measure, scan.id).order_key == "A-2026-0099"
    entry = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_type == "measures", AuditEntry.entity_id == scan.id
        )
    ).all()[-1]
    assert entry.changes["order_key"] == [None, "A-2026-0099"]
    # nobody else: not the measure's department, not the office
    for username in ("submitter", "coordinator"):
        client = client_for(app, username)
        response = post_form(client, target, {"order_key": "X"}, token_from=url)
        assert response.status_code == 403
        assert 'name="order_key"' not in client.get(url).get_data(as_text=True)


def test_dashboard_tile_chart_and_its_table_twin(app, factory, users, db):
    data = with_actuals(factory, users)
    snapshot(2026, date(2026, 5, 31), [(data["lines"]["eakte"], "90000", "10000")])
    client = client_for(app, "coordinator")
    html = client.get("/dashboard/").get_data(as_text=True)
    # authorization 95.000 + 25.000 + 150.000 + 150.000 + 40.000 = 460.000
    # Ist 65.234,56 + 8.670,10 + 98.400 + 120.000 = 292.304,66; Obligo 12.000 + 61.750 + 35.500
    assert f'id="tile-exec-ist">292.304,66{NBSP}€<' in html
    assert f'id="tile-exec-obligo">109.250,00{NBSP}€<' in html
    assert f'id="tile-exec-authorized">460.000,00{NBSP}€<' in html
    # 460.000 − 292.304,66 − 109.250 = 58.445,34
    assert f'id="tile-exec-available">58.445,34{NBSP}€<' in html
    warnings = re.search(r'id="tile-exec-warnings">(.*?)</p>', html, re.S).group(1)
    # Lizenzen (65.234,56 × 2 > 95.000) and E-Akte (240.000 > 190.000) by the year end
    assert warnings == (
        "Überzogen: 1 Haushaltsstelle; laut Hochrechnung bis Jahresende: 2 weitere; "
        "über Plan: 2 Maßnahmen."
    )
    figure = re.search(
        r'class="plotly-figure" data-target="chart-vollzug">(.*?)</script>', html, re.S
    ).group(1)
    traces = json.loads(figure.replace("<\\/", "</"))["data"]
    assert [t["name"] for t in traces][:3] == ["Ist", "Obligo", "Hochrechnung zum Jahresende"]
    assert traces[0]["x"] == ["31.05.2026", "30.06.2026"]
    assert traces[0]["y"] == [90000.0, 292304.66]
    # the twin as a table on the page and as CSV
    assert 'id="chart-vollzug-tabelle"' in html
    body = client.get("/dashboard/daten/vollzug.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0][:3] == ["Stichtag", "Ist", "Obligo"]
    assert rows[2][:6] == [
        "30.06.2026",
        "292304,66",
        "109250,00",
        "401554,66",
        "460000,00",
        "58445,34",
    ]


def test_exports_hold_the_execution_figures(app, factory, users, db):
    with_actuals(factory, users)
    client = client_for(app, "treasury")
    body = client.get("/haushalt/export.csv?tabelle=vollzug").get_data().decode("utf-8-sig")
    rows = {r[0]: r for r in csv.reader(io.StringIO(body), delimiter=";")}
    header = rows["Haushaltsstelle"]
    hardware = dict(zip(header, rows["1.1.1.05 / 11050 / 78310000 / I-2026-003"], strict=True))
    assert hardware["Ansatz"] == "150000,00"
    assert hardware["Übertragene Ermächtigungen"] == "0,00"
    assert hardware["Verfügbar"] == "-10150,00"
    assert hardware["Stand (Stichtag)"] == "30.06.2026"
    eakte = dict(zip(header, rows["1.1.1.05 / 11050 / 78320000 / I-2025-011"], strict=True))
    assert eakte["Übertragene Ermächtigungen"] == "40000,00"
    body = client.get("/haushalt/export.csv?tabelle=vollzug_massnahmen").get_data()
    measures = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    erechnung = next(r for r in measures if r[1] == "E-Rechnung")
    assert erechnung[4:9] == ["A-2026-0042", "2026", "10000,00", "12500,00", "4000,00"]
    workbook = load_workbook(io.BytesIO(client.get("/haushalt/export.xlsx").data))
    sheet = workbook["Vollzug"]
    values = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert values["1.1.1.05 / 11050 / 78310000 / I-2026-003"][9].value == -10150
    assert sheet["J1"].value == "Verfügbar"


def test_investment_programme_by_hand(app, factory, users, db):
    data = with_actuals(factory, users)
    lines, measures = data["lines"], data["measures"]
    snapshot(2025, date(2025, 12, 31), [(lines["eakte"], "150000", "0")])
    scan_row = db.session.scalar(
        select(CostPlanEntry).where(CostPlanEntry.measure_id == measures["scan"].id)
    )
    scan_row.funding_source, scan_row.funding_share = FundingSource.GRANT, D("50")
    notebooks = db.session.get(Measure, measures["notebooks"].id)
    notebooks.cost_plan.append(
        CostPlanEntry(budget_line=lines["hardware"], year=2030, amount=D("20000"))
    )
    factory.measure(
        data["dept"],
        MeasureStatus.DRAFT,
        title="Entwurf ohne Geld",
        costs=[(lines["hardware"], 2031, "99000")],
    )
    for granted, due, amount, archived in (
        (2026, 2027, "60000", False),
        (2026, 2028, "5000", True),
        (2025, 2026, "7000", False),
    ):
        db.session.add(
            CommitmentAuthorization(
                budget_line=lines["hardware"],
                granted_year=granted,
                due_year=due,
                amount=D(amount),
                archived_at=utcnow() if archived else None,
            )
        )
    db.session.commit()
    client = client_for(app, "leadership")
    html = client.get("/haushalt/vollzug/investitionsprogramm").get_data(as_text=True)
    assert "Entwurf ohne Geld" not in html
    workbook = load_workbook(
        io.BytesIO(client.get("/haushalt/vollzug/investitionsprogramm.xlsx").data)
    )
    sheet = workbook["Investitionsprogramm"]
    header = [c.value for c in sheet[1]]
    rows = {
        r[0].value: dict(zip(header, [c.value for c in r], strict=True))
        for r in sheet.iter_rows(min_row=2)
    }
    eakte = rows["I-2025-011"]
    # 150.000 (Ist 2025) + 40.000 carried + 150.000 + 100.000 = 440.000; grant 50 % of 30.000
    assert eakte["Gesamtkosten"] == 440000
    assert eakte["bis Vorjahr (Ist)"] == 150000
    assert eakte["Übertragene Ermächtigungen"] == 40000
    assert (eakte["Förderung"], eakte["Eigenanteil"]) == (15000, 425000)
    assert eakte["verfügbar 2026"] == 34500  # 150.000 + 40.000 − 120.000 − 35.500
    hardware = rows["I-2026-003"]
    # 150.000 + 120.000 + 20.000 (2030, after the horizon); the draft's 99.000 do not count
    assert hardware["Gesamtkosten"] == 290000
    assert hardware["nach 2029"] == 20000
    assert hardware["VE (fällig nach HJ)"] == 60000  # archived and 2026-due VE left out
    assert hardware["verfügbar 2026"] == -10150
    assert "Notebooks für mobiles Arbeiten" in hardware["Maßnahmen"]
    total = [c.value for c in list(sheet.iter_rows())[-1]]
    assert total[4] == "=SUM(E2:E3)"
    assert f"730.000,00{NBSP}€" in html  # 440.000 + 290.000
    # Reused until the data changes, then computed again: a new VE shows at once.
    assert f"730.000,00{NBSP}€" in client.get("/haushalt/vollzug/investitionsprogramm").text
    db.session.add(
        CommitmentAuthorization(
            budget_line=lines["hardware"], granted_year=2026, due_year=2027, amount=D("1000")
        )
    )
    db.session.commit()
    again = load_workbook(
        io.BytesIO(client.get("/haushalt/vollzug/investitionsprogramm.xlsx").data)
    )["Investitionsprogramm"]
    changed = {r[0].value: [c.value for c in r] for r in again.iter_rows(min_row=2)}
    assert changed["I-2026-003"][header.index("VE (fällig nach HJ)")] == 61000
