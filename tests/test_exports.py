"""Exports: XLSX re-opened with openpyxl cell by cell, CSV parsed back with the csv module."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from steuerung.models import BudgetKind, FundingSource, MeasureStatus
from steuerung.services.budget.exports import MONEY_FORMAT, Sheet, neutralise, write_csv, write_xlsx

D = Decimal


# --- generic writers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+49 30 123", "'+49 30 123"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("Bürgerservice", "Bürgerservice"),
        ("", ""),
        (D("-5.50"), D("-5.50")),
        (-3, -3),
        (None, None),
        (BudgetKind.INVESTIVE, "investiv"),
    ],
)
def test_neutralise(value: object, expected: object) -> None:
    assert neutralise(value) == expected


def test_write_csv_reads_back_with_csv_module() -> None:
    data = write_csv(
        ["Titel", "Betrag", "Datum", "Anzahl", "Quote"],
        [
            ['=HYPERLINK("http://x")', D("1234.50"), date(2026, 3, 1), 7, 12.5],
            ["Zeile; mit Semikolon", D("-0.10"), None, 0, 0.1],
        ],
    )
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == ["Titel", "Betrag", "Datum", "Anzahl", "Quote"]
    assert rows[1] == ['\'=HYPERLINK("http://x")', "1234,50", "01.03.2026", "7", "12,5"]
    assert rows[2] == ["Zeile; mit Semikolon", "-0,10", "", "0", "0,1"]


def test_write_xlsx_layout_formulas_and_numbers() -> None:
    rows = [
        ["M-0001", "=cmd|' /C calc'!A0", D("1000.50"), D("10.00"), date(2026, 1, 2)],
        ["M-0002", "Normal", D("2000.00"), D("0.00"), None],
        ["M-0003", "@evil", D("0.25"), D("5.75"), None],
    ]
    data = write_xlsx(
        [Sheet("Test", ["Nr.", "Titel", "Betrag", "Zweiter", "Datum"], rows, {2, 3})],
        [("Haushaltsjahr", 2026), ("Wer", "=Kämmerei")],
    )
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Test", "Parameter"]
    ws = wb["Test"]
    assert [c.value for c in ws[1]] == ["Nr.", "Titel", "Betrag", "Zweiter", "Datum"]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E4"
    assert ws.column_dimensions["B"].width >= 10
    # Numbers are numbers with the euro format, text is neutralised.
    assert ws["C2"].value == pytest.approx(1000.50)
    assert isinstance(ws["C2"].value, int | float)
    assert ws["C2"].number_format == MONEY_FORMAT
    assert ws["B2"].value == "'=cmd|' /C calc'!A0"
    assert ws["B2"].data_type == "s"
    assert ws["B4"].value == "'@evil"
    assert ws["E2"].value.date() == date(2026, 1, 2)
    assert ws["E2"].number_format == "DD.MM.YYYY"
    # Sum row with formulas under the money columns.
    assert ws["A5"].value == "Summe"
    assert ws["C5"].value == "=SUM(C2:C4)"
    assert ws["D5"].value == "=SUM(D2:D4)"
    assert ws["C5"].font.b
    assert ws["E5"].value is None
    parameters = wb["Parameter"]
    assert [(r[0].value, r[1].value) for r in parameters.iter_rows(min_row=2)] == [
        ("Haushaltsjahr", 2026),
        ("Wer", "'=Kämmerei"),
    ]


def test_write_xlsx_parts_are_well_formed_xml() -> None:
    import zipfile
    from xml.etree import ElementTree

    data = write_xlsx(
        [
            Sheet(
                "A & B <Test>",
                ['Spalte "1"', "x"],
                [["a\x01b & <c>", float("nan")], ["investive", 1], [BudgetKind.INVESTIVE, 2]],
                {1},
            )
        ],
        [("Wer", "O'Brien & Co")],
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(archive.read(name))  # raises if malformed
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    assert ws.title == "A & B <Test>"
    assert ws["A2"].value == "ab & <c>"  # control character dropped
    assert ws["B2"].value is None
    assert [ws["A3"].value, ws["A4"].value] == ["investive", "investiv"]
    assert wb.defined_names is not None


def test_write_xlsx_empty_sheet_and_long_titles() -> None:
    data = write_xlsx(
        [
            Sheet("Eine/sehr:lange*Überschrift mit vielen Zeichen", ["A", "B"], [], {1}),
            Sheet("Eine/sehr:lange*Überschrift mit vielen Zeichen", ["A"], [], set()),
        ],
        [],
    )
    wb = load_workbook(io.BytesIO(data))
    assert len(wb.sheetnames) == 3
    assert all(len(name) <= 31 for name in wb.sheetnames)
    assert wb.worksheets[0]["B2"].value == 0  # sum row right under the header


# --- budget exports over HTTP -------------------------------------------------------------


@pytest.fixture()
def budget_data(factory: Any, db: Any, users: dict[str, Any]) -> dict[str, Any]:
    fb1 = users["treasury"].department
    fb2 = users["other_submitter"].department
    line_a = factory.budget_line(fb1, amounts={2026: "1000.00", 2027: "1000.00"})
    line_b = factory.budget_line(fb2, BudgetKind.INVESTIVE, amounts={2026: "300.00"})
    m1 = factory.measure(
        fb1,
        MeasureStatus.APPROVED,
        title='=HYPERLINK("http://evil","klick")',
        costs=[(line_a, 2026, "400.00"), (line_a, 2027, "1500.00"), (line_b, 2026, "500.00")],
    )
    m2 = factory.measure(
        fb2, MeasureStatus.IN_PROGRESS, title="Bauantrag digital", costs=[(line_a, 2026, "100.25")]
    )
    m3 = factory.measure(
        fb2, MeasureStatus.SUBMITTED, title="Kita-Anmeldung", costs=[(line_b, 2028, "77.00")]
    )
    m1.cost_plan[2].funding_source = FundingSource.GRANT
    m1.cost_plan[2].funding_share = D("50")
    db.session.commit()
    return {"lines": [line_a, line_b], "measures": [m1, m2, m3]}


def _sheet_dicts(ws: Any) -> list[dict[str, Any]]:
    header = [c.value for c in ws[1]]
    return [
        dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)
    ]


def test_budget_xlsx_export_cell_by_cell(login_as: Any, budget_data: dict[str, Any]) -> None:
    client = login_as("treasury")
    response = client.get("/haushalt/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == [
        "Summen",
        "Nach Haushaltsstelle",
        "Nach Deckungsring",
        "Nach Fachbereich",
        "Nach Haushaltsteil",
        "Nach Handlungsfeld",
        "Nach Finanzierung",
        "Maßnahmen",
        "VE",
        "Vollzug",
        "Vollzug Maßnahmen",
        "Parameter",
    ]
    m1, m2, _ = budget_data["measures"]
    line_a, line_b = budget_data["lines"]

    ws = wb["Maßnahmen"]
    rows = _sheet_dicts(ws)
    data_rows, sum_row = rows[:-1], rows[-1]
    # One row per measure x budget line, submitted measure not counted.
    assert sorted((r["Maßnahme"], r["Produkt"]) for r in data_rows) == sorted(
        [
            (m1.reference, line_a.product),
            (m1.reference, line_b.product),
            (m2.reference, line_a.product),
        ]
    )
    assert [r["Maßnahme"] for r in data_rows] == [m1.reference, m1.reference, m2.reference]

    def find(measure: Any, line: Any) -> dict[str, Any]:
        return next(
            r
            for r in data_rows
            if r["Maßnahme"] == measure.reference and r["Produkt"] == line.product
        )

    first = find(m1, line_a)
    assert first["Titel"] == '\'=HYPERLINK("http://evil","klick")'
    assert first["Fachbereich"] == "FB 1"
    assert first["Kostenstelle"] == line_a.cost_center
    assert first["Sachkonto"] == line_a.account
    assert first["Investitionsnummer"] is None  # empty text cell
    assert first["Art"] == "konsumtiv"
    assert first["HJ 2026"] == 400 and first["HJ+1 2027"] == 1500
    assert first["HJ+2 2028"] == 0 and first["Gesamt brutto"] == 1900
    assert first["Förderung"] == 0 and first["Eigenanteil"] == 1900
    assert first["Finanzierung"] == "Eigenmittel"
    # Line A: 2026 500.25 vs 1000 (free), 2027 1500 vs 1000 (gap 500) -> partly.
    assert first["Deckung der Haushaltsstelle"] == "teilweise gedeckt"
    grant = find(m1, line_b)
    assert grant["Investitionsnummer"] == line_b.investment_number
    assert grant["Art"] == "investiv"
    assert grant["Finanzierung"] == "Fördermittel"
    assert grant["Förderung"] == 250 and grant["Eigenanteil"] == 250
    for row in data_rows:
        for column in ("HJ 2026", "HJ+1 2027", "HJ+2 2028", "HJ+3 2029", "Gesamt brutto"):
            assert isinstance(row[column], int | float), (column, row[column])
    # Sum row: formulas over exactly the data rows; their values add up.
    assert sum_row["Maßnahme"] == "Summe"
    last = len(data_rows) + 1
    assert sum_row["HJ 2026"] == f"=SUM(J2:J{last})"
    assert sum(r["HJ 2026"] for r in data_rows) == pytest.approx(1000.25)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:R{last}"
    assert ws["J2"].number_format == MONEY_FORMAT

    by_line = _sheet_dicts(wb["Nach Haushaltsstelle"])
    row_a = next(r for r in by_line if r["Haushaltsstelle"] == line_a.label)
    assert row_a["Eigenanteil HJ 2026"] == pytest.approx(500.25)
    assert row_a["Ansatz/Planung HJ 2026"] == 1000 and row_a["Verfügbar HJ 2026"] == 1000
    assert row_a["Lücke HJ 2026"] == 0 and row_a["Frei HJ 2026"] == pytest.approx(499.75)
    assert row_a["Lücke HJ+1 2027"] == 500
    assert row_a["Deckung"] == "teilweise gedeckt"
    row_b = next(r for r in by_line if r["Haushaltsstelle"] == line_b.label)
    # Line B: 500 gross, 50 % grant -> own 250 against 300 -> free 50.
    assert (row_b["Bedarf brutto HJ 2026"], row_b["Förderung HJ 2026"]) == (500, 250)
    assert row_b["Frei HJ 2026"] == 50 and row_b["Förderquote %"] == 50
    assert by_line[-1]["Haushaltsstelle"] == "Summe"
    assert str(by_line[-1]["Lücke gesamt"]).startswith("=SUM(")
    # The totals sheet: gaps and free amounts per budget part, never netted.
    totals = _sheet_dicts(wb["Summen"])
    overall = next(
        r for r in totals if r["Haushaltsteil"].startswith("Gesamt") and r["Jahr"] == "HJ 2026"
    )
    assert (overall["Lücke"], overall["Frei"]) == (0, pytest.approx(549.75))
    later = next(
        r for r in totals if r["Haushaltsteil"].startswith("Gesamt") and r["Jahr"] == "HJ+1 2027"
    )
    assert (later["Lücke"], later["Frei"], later["Deckung"]) == (500, 0, "teilweise gedeckt")

    params = dict((r[0].value, r[1].value) for r in wb["Parameter"].iter_rows(min_row=2))
    assert params["Haushaltsjahr"] == 2026
    assert params["Planungszeitraum"] == "2026–2029"
    assert "nur freigegebene" in params["Szenario"]
    assert "Kämmerei" in params["Exportiert von"]
    assert params["Exportiert am"] is not None


def test_budget_xlsx_scenario_includes_submitted(
    login_as: Any, budget_data: dict[str, Any]
) -> None:
    client = login_as("coordinator")
    response = client.get("/haushalt/export.xlsx?szenario=1")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.data))
    refs = [r["Maßnahme"] for r in _sheet_dicts(wb["Maßnahmen"])[:-1]]
    assert budget_data["measures"][2].reference in refs
    params = dict((r[0].value, r[1].value) for r in wb["Parameter"].iter_rows(min_row=2))
    assert "eingereichten" in params["Szenario"]


def test_budget_csv_exports_parse_back(login_as: Any, budget_data: dict[str, Any]) -> None:
    client = login_as("leadership")
    response = client.get("/haushalt/export.csv?tabelle=massnahmen")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(
        csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"), newline=""), delimiter=";")
    )
    assert len(rows) == 3
    assert rows[0]["Titel"] == '\'=HYPERLINK("http://evil","klick")'
    assert sorted(r["HJ+1 2027"] for r in rows) == ["0,00", "0,00", "1500,00"]
    assert rows[2]["HJ 2026"] == "100,25"
    total = sum(D(r["Gesamt brutto"].replace(",", ".")) for r in rows)
    assert total == D("2500.25")

    response = client.get("/haushalt/export.csv?tabelle=fachbereich")
    rows = list(
        csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""), delimiter=";")
    )
    assert rows[0][0] == "Teilhaushalt / Fachbereich"
    assert {r[0] for r in rows[1:]} == {"FB 1 Bürgerservice", "FB 2 Bauen"}
    assert client.get("/haushalt/export.csv?tabelle=unbekannt").status_code == 404


def test_exports_need_a_reading_role(login_as: Any, budget_data: dict[str, Any]) -> None:
    client = login_as("submitter")
    assert client.get("/haushalt/export.xlsx").status_code == 403
    assert client.get("/haushalt/export.csv").status_code == 403
