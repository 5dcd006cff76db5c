"""Writes the two sample finance-software exports of the actuals import tests.

Run from the repository root: ``.venv/bin/python tests/data/make_actuals_samples.py``.
Both files describe the same state (Stichtag 30.06.2026) of four budget lines of the test
Kommune, shaped as two different finance systems write them:

* ``hh_haushaltsueberwachung_2026-06.xlsx``: an XLSX "Haushaltsüberwachungsliste" as
  kommunal HKR software (e.g. H&H newsystem) exports it: a title block above the header in
  row 4, Produkt / Kostenstelle / Sachkonto / Investitionsnr. in separate columns, the
  budget year per row, number cells, the order number ("Auftrag") of a measure, a sum row.
* ``sap_fm_ist_obligo_2026-06.csv``: a CSV as an SAP-FM report writes it: Windows-1252,
  semicolons, German numbers with thousands dots, negative amounts with a trailing minus,
  the budget line as one combined key with dots ("1.1.1.05.11050.54310000"), a PSP element
  as the measure key, no year column, a line split over two rows, a sum row.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).parent

XLSX_ROWS = [
    # Produkt, Kostenstelle, Sachkonto, Investitionsnr., Bezeichnung, HHJ, Ansatz,
    # Übertragung VJ, Ist, Obligo, Verfügbar, Auftrag
    ("1.1.1.05", "11050", "054310000", "", "Softwarelizenzen und Pflege", 2026,
     95000, 0, 52734.56, 8000, None, ""),
    ("1.1.1.05", "11050", "054310000", "", "Softwarelizenzen und Pflege", 2026,
     None, None, 8500, 4000, None, "A-2026-0042"),
    ("1.1.1.04", "11040", "054210000", "", "Fortbildung digitale Kompetenzen", 2026,
     25000, 0, 9870.1, 0, None, ""),
    ("1.1.1.04", "11040", "054210000", "", "Gutschrift Schulungsanbieter", 2026,
     None, None, -1200, 0, None, ""),
    ("1.1.1.05", "11050", "078310000", "I-2026-003", "Arbeitsplatzausstattung", 2026,
     150000, 0, 98400, 61750, None, ""),
    ("1.1.1.05", "11050", "078320000", "I-2025-011", "Einführung E-Akte", 2026,
     150000, 40000, 120000, 35500, None, ""),
]  # fmt: skip

CSV_TEXT = """\
Finanzstelle;Haushaltsstelle;Bezeichnung;PSP-Element;Istwerte;Obligo gesamt;Verfügbar
11050;1.1.1.05.11050.54310000;Softwarelizenzen und Pflege;;52.734,56;8.000,00;
11050;1.1.1.05.11050.54310000;Softwarelizenzen und Pflege;A-2026-0042;8.500,00;4.000,00;
11040;1.1.1.04.11040.54210000;Fortbildung digitale Kompetenzen;;9.870,10;0,00;
11040;1.1.1.04.11040.54210000;Gutschrift Schulungsanbieter;;1.200,00-;0,00;
11050;1.1.1.05.11050.78310000.I-2026-003;Arbeitsplatzausstattung;;60.000,00;61.750,00;
11050;1.1.1.05.11050.78310000.I-2026-003;Arbeitsplatzausstattung;;38.400,00;0,00;
11050;1.1.1.05.11050.78320000.I-2025-011;Einführung E-Akte;;120.000,00;35.500,00;
;;Summe;;288.304,66;109.250,00;
"""


def write_xlsx(path: Path) -> None:
    """The H&H-like XLSX export."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Haushaltsüberwachung"
    sheet["A1"] = "Stadt Teststadt – Haushaltsüberwachungsliste"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = "Stand: 30.06.2026 · Haushaltsjahr 2026 · Teilhaushalte 1 und 2"
    header = [
        "Produkt",
        "Kostenstelle",
        "Sachkonto",
        "Investitionsnr.",
        "Bezeichnung",
        "HHJ",
        "Ansatz",
        "Übertragung VJ",
        "Ist (gebucht)",
        "Obligo (Aufträge)",
        "Verfügbar",
        "Auftrag",
    ]
    sheet.append([])
    sheet.append(header)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for row in XLSX_ROWS:
        sheet.append(list(row))
    last = sheet.max_row
    for data_row in range(5, last + 1):
        # Verfügbar as the report computes it (a formula: read as its cached value or empty).
        sheet.cell(data_row, 11).value = f"=G{data_row}+H{data_row}-I{data_row}-J{data_row}"
    sheet.append(
        ["Summe", None, None, None, None, None]
        + [f"=SUM({col}5:{col}{last})" for col in "GHIJK"]
        + [None]
    )
    for row in sheet.iter_rows(min_row=5, min_col=7, max_col=11):
        for cell in row:
            cell.number_format = "#,##0.00"
    workbook.properties.creator = "HKR-Export"
    workbook.save(path)


def write_csv(path: Path) -> None:
    """The SAP-like CSV export (Windows-1252, CRLF)."""
    path.write_bytes(CSV_TEXT.replace("\n", "\r\n").encode("cp1252"))


if __name__ == "__main__":
    write_xlsx(HERE / "hh_haushaltsueberwachung_2026-06.xlsx")
    write_csv(HERE / "sap_fm_ist_obligo_2026-06.csv")
    print("geschrieben:", *sorted(p.name for p in HERE.glob("*_2026-06.*")))
