"""Generic spreadsheet writers (XLSX, CSV) shared by every export of the application.

Both writers neutralise text against formula injection (OWASP "CSV injection"): a text
cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading apostrophe, so Excel and LibreOffice show it as text instead of evaluating it.
Numbers stay numbers: only ``str`` values are touched.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

#: First characters that make a spreadsheet treat text as a formula (or DDE payload).
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: Excel number format for euros; shown with German separators in a German locale.
MONEY_FORMAT = '#,##0.00 "€"'
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"

#: Excel limits the sheet title to 31 characters and forbids some characters.
_SHEET_TITLE_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})
#: How many data rows are looked at to guess a column's width.
_WIDTH_SAMPLE = 300


def neutralise(value: object) -> object:
    """Return ``value`` safe for a spreadsheet cell: dangerous text gets a leading ``'``.

    Numbers, dates and ``None`` are returned unchanged; enums with a German ``label``
    are written as that label.
    """
    if isinstance(value, enum.Enum) and hasattr(value, "label"):
        value = value.label
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def _csv_text(value: object) -> str:
    """Format one value for the German CSV dialect."""
    value = neutralise(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f").replace(".", ",")
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def write_csv(columns: list[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV as German spreadsheets expect it: UTF-8 with BOM, ``;``, decimal comma, CRLF.

    Dates are written as ``dd.mm.yyyy``; there is no thousands separator, so the file
    reads back as numbers in Excel and LibreOffice with a German locale.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quotechar='"', lineterminator="\r\n")
    writer.writerow([_csv_text(c) for c in columns])
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@dataclass
class Sheet:
    """One worksheet of an XLSX export (one per view of the data)."""

    title: str
    columns: list[str]
    rows: Iterable[Sequence[object]]
    #: 0-based indexes of the columns holding euro amounts (number format, sum row).
    money_columns: set[int]
    #: Write a row with ``=SUM(...)`` formulas under the money columns.
    sum_row: bool = True
    #: Column widths in characters by 0-based index; guessed from the content if None.
    widths: dict[int, float] | None = None


def _sheet_title(title: str, used: set[str]) -> str:
    """A valid, unique sheet title (max. 31 characters)."""
    base = (title.translate(_SHEET_TITLE_FORBIDDEN).strip() or "Tabelle")[:31]
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def _guess_widths(sheet: Sheet, rows: list[Sequence[object]]) -> dict[int, float]:
    """Column widths from the header and a sample of the rows, between 8 and 60 characters."""
    widths: dict[int, float] = {}
    for index, name in enumerate(sheet.columns):
        longest = len(str(name))
        for row in rows[:_WIDTH_SAMPLE]:
            if index < len(row) and row[index] is not None:
                value = row[index]
                if isinstance(value, int | float | Decimal):
                    length = len(f"{value:,.2f}") + 3
                elif isinstance(value, date):
                    length = 10
                else:
                    length = len(str(neutralise(value)))
                longest = max(longest, length)
        widths[index] = float(min(max(longest + 2, 8), 60))
    return widths


def _write_sheet(workbook: Workbook, sheet: Sheet, title: str) -> None:
    """Stream one sheet: header, data rows, sum row, autofilter and layout."""
    ws = workbook.create_sheet(title)
    rows = list(sheet.rows)
    widths = sheet.widths or _guess_widths(sheet, rows)
    for index, width in widths.items():
        ws.column_dimensions[get_column_letter(index + 1)].width = width
    ws.freeze_panes = "A2"

    bold = Font(bold=True)
    header = []
    for name in sheet.columns:
        cell = WriteOnlyCell(ws, value=neutralise(name))
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    ws.append(header)

    n_cols = len(sheet.columns)
    money = sheet.money_columns
    for row in rows:
        out: list[object] = []
        for index, value in enumerate(row):
            value = neutralise(value)
            if index in money and isinstance(value, int | float | Decimal):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = MONEY_FORMAT
                out.append(cell)
            elif isinstance(value, datetime):
                cell = WriteOnlyCell(ws, value=value.replace(tzinfo=None))
                cell.number_format = DATETIME_FORMAT
                out.append(cell)
            elif isinstance(value, date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = DATE_FORMAT
                out.append(cell)
            else:
                out.append(value)
        ws.append(out)

    last_data_row = len(rows) + 1
    if n_cols:
        ws.auto_filter.ref = f"A1:{get_column_letter(n_cols)}{last_data_row}"
    if sheet.sum_row and money:
        label_index = next((i for i in range(n_cols) if i not in money), None)
        sums: list[object] = []
        for index in range(n_cols):
            letter = get_column_letter(index + 1)
            if index in money:
                formula = f"=SUM({letter}2:{letter}{last_data_row})" if rows else 0
                cell = WriteOnlyCell(ws, value=formula)
                cell.number_format = MONEY_FORMAT
                cell.font = bold
                sums.append(cell)
            elif index == label_index:
                cell = WriteOnlyCell(ws, value="Summe")
                cell.font = bold
                sums.append(cell)
            else:
                sums.append(None)
        ws.append(sums)


def write_xlsx(sheets: list[Sheet], parameters: list[tuple[str, object]]) -> bytes:
    """An XLSX workbook with one sheet per view and a final sheet "Parameter".

    Real numbers (``Decimal`` kept as numbers) with a euro format, bold and frozen header,
    autofilter over the data rows, column widths and a sum row with ``SUM`` formulas.
    The workbook is written in openpyxl's streaming (write-only) mode to keep memory low.
    ``parameters`` are (name, value) pairs describing the export (date, budget year,
    scenario, who).
    """
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for sheet in sheets:
        _write_sheet(workbook, sheet, _sheet_title(sheet.title, used))
    _write_sheet(
        workbook,
        Sheet(
            title="Parameter",
            columns=["Parameter", "Wert"],
            rows=[(name, value) for name, value in parameters],
            money_columns=set(),
            sum_row=False,
            widths={0: 28, 1: 48},
        ),
        _sheet_title("Parameter", used),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Budget exports (coverage tables and the measures' budget rows) -------------------------

#: The coverage views exported as sheets, in this order.
COVERAGE_SHEETS = (
    ("budget_line", "Nach Haushaltsstelle"),
    ("department", "Nach Fachbereich"),
    ("kind", "Nach Art"),
    ("action_field", "Nach Handlungsfeld"),
    ("funding_source", "Nach Finanzierung"),
)


def year_caption(year: int, budget_year: int) -> str:
    """``HJ 2026`` for the budget year, ``HJ+2 2028`` for planning years."""
    offset = year - budget_year
    return f"HJ {year}" if offset == 0 else f"HJ{offset:+d} {year}"


def coverage_sheet(table: object, title: str, budget_year: int) -> Sheet:
    """One sheet of a coverage table: demand, approved and gap per year, totals, funding."""
    from steuerung.services.coverage import CoverageTable

    assert isinstance(table, CoverageTable)
    approved_word = "Ansatz zugeordnet" if table.allocated else "Ansatz"
    columns = [table.grouping.label, "Bezeichnung"]
    for year in table.years:
        caption = year_caption(year, budget_year)
        columns += [f"Bedarf {caption}", f"{approved_word} {caption}", f"Lücke {caption}"]
    columns += [
        "Bedarf gesamt",
        f"{approved_word} gesamt",
        "Lücke gesamt",
        "Deckungsgrad %",
        "Deckung",
        "Eigenmittel",
        "Förder-/Drittmittel",
    ]
    money = {
        i for i, name in enumerate(columns) if i >= 2 and name not in ("Deckungsgrad %", "Deckung")
    }

    def rows() -> list[list[object]]:
        out: list[list[object]] = []
        for row in table.rows:
            values: list[object] = [row.label, row.detail]
            for year in table.years:
                cov = row.years[year]
                values += [cov.demand, cov.approved, cov.gap]
            values += [
                row.total.demand,
                row.total.approved,
                row.total.gap,
                row.total.ratio,
                row.total.status.label,
                row.own,
                row.external,
            ]
            out.append(values)
        return out

    return Sheet(title=title, columns=columns, rows=rows(), money_columns=money)


MEASURE_COLUMNS_FIXED = [
    "Maßnahme",
    "Titel",
    "Fachbereich",
    "Status",
    "Produkt",
    "Kostenstelle",
    "Sachkonto",
    "Investitionsnummer",
    "Art",
]


def measures_sheet(years: list[int], budget_year: int, *, include_submitted: bool) -> Sheet:
    """All counting measures, one row per measure x budget line (DOMAIN.md columns).

    Coverage status is the budget line's status over the horizon (gaps summed per year).
    Three queries: lines, the line coverage, the measures' amounts.
    """
    from steuerung.services.budget import budget_line_keys
    from steuerung.services.coverage import Grouping, coverage_table, measures_by_line

    table = coverage_table(years, Grouping.BUDGET_LINE, include_submitted=include_submitted)
    line_status = {row.key: row.total.status.label for row in table.rows}
    lines = budget_line_keys()
    by_line = measures_by_line(years, include_submitted=include_submitted)
    columns = MEASURE_COLUMNS_FIXED + [year_caption(y, budget_year) for y in years]
    columns += [
        "Gesamt",
        "Finanzierung",
        "davon Förder-/Drittmittel",
        "Deckung der Haushaltsstelle",
    ]
    first_money = len(MEASURE_COLUMNS_FIXED)
    money = set(range(first_money, first_money + len(years) + 1)) | {first_money + len(years) + 2}

    keyed: list[tuple[tuple[object, ...], list[object]]] = []
    for line_id, measures in by_line.items():
        key = lines[line_id]
        for m in measures:
            sort_key = (m.measure_id, key.product, key.cost_center, key.account)
            keyed.append(
                (
                    sort_key,
                    [
                        m.reference,
                        m.title,
                        m.department_code,
                        m.status.label,
                        key.product,
                        key.cost_center,
                        key.account,
                        key.investment_number,
                        key.kind.label,
                        *[m.amounts[y] for y in years],
                        m.total,
                        m.funding,
                        m.external,
                        line_status.get(line_id, ""),
                    ],
                )
            )
    keyed.sort(key=lambda item: item[0])
    rows = [row for _, row in keyed]
    return Sheet(title="Maßnahmen", columns=columns, rows=rows, money_columns=money)


def budget_parameters(
    budget_year: int, include_submitted: bool, who: str, exported_at: datetime
) -> list[tuple[str, object]]:
    """The "Parameter" sheet of a budget export."""
    from steuerung.models.settings import PLANNING_YEARS

    return [
        ("Exportiert am", exported_at),
        ("Exportiert von", who),
        ("Haushaltsjahr", budget_year),
        ("Planungszeitraum", f"{budget_year}–{budget_year + PLANNING_YEARS}"),
        (
            "Szenario",
            "mit eingereichten Maßnahmen (Eingereicht, In Prüfung)"
            if include_submitted
            else "nur freigegebene Maßnahmen und Maßnahmen in Umsetzung",
        ),
        (
            "Hinweis",
            "Lücke = Bedarf minus Ansatz, je Jahr; die Gesamtlücke ist die Summe der "
            "Jahreslücken. Bei Handlungsfeld und Finanzierung ist der Ansatz anteilig "
            "zugeordnet; eine Maßnahme in zwei Handlungsfeldern zählt in beiden.",
        ),
    ]


def budget_workbook(
    years: list[int], budget_year: int, *, include_submitted: bool, who: str, exported_at: datetime
) -> bytes:
    """The full budget export: one sheet per coverage view, the measures, the parameters."""
    from steuerung.services.coverage import Grouping, coverage_table

    sheets = [
        coverage_sheet(
            coverage_table(years, Grouping(key), include_submitted=include_submitted),
            title,
            budget_year,
        )
        for key, title in COVERAGE_SHEETS
    ]
    sheets.append(measures_sheet(years, budget_year, include_submitted=include_submitted))
    return write_xlsx(sheets, budget_parameters(budget_year, include_submitted, who, exported_at))


def budget_csv(years: list[int], budget_year: int, view: str, *, include_submitted: bool) -> bytes:
    """One view as CSV: ``measures`` or one of the coverage views of ``COVERAGE_SHEETS``."""
    from steuerung.services.coverage import Grouping, coverage_table

    if view == "measures":
        sheet = measures_sheet(years, budget_year, include_submitted=include_submitted)
    else:
        title = dict(COVERAGE_SHEETS)[view]
        table = coverage_table(years, Grouping(view), include_submitted=include_submitted)
        sheet = coverage_sheet(table, title, budget_year)
    return write_csv(sheet.columns, sheet.rows)
