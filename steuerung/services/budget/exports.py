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
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from steuerung.services.budget.coverage import (
    CoverageTable,
    Figures,
    Grouping,
    coverage_table,
    iter_measure_demands,
)

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
    if type(value) is str:
        return "'" + value if value.startswith(DANGEROUS_PREFIXES) else value
    if isinstance(value, Decimal):
        return f"{value:f}".replace(".", ",")
    value = neutralise(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
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
    writer.writerows([_csv_text(v) for v in row] for row in rows)
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


# --- XLSX writer -----------------------------------------------------------------------------
#
# openpyxl without lxml (not a dependency here) serialises about 60 µs per cell: 23,000
# measure rows x 17 columns took 24 s, far above the 3 s goal. This writer produces the same
# SpreadsheetML subset directly (workbook, styles, worksheets with inline strings, frozen
# header, autofilter, column widths, SUM formulas, page setup for printing) and streams each
# sheet into the zip, about twenty times faster. The files are read back with openpyxl in the
# tests.

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_BOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_REL_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_REL_SHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_REL_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"

#: Print layout of every sheet: A4 landscape, all columns on one page width (as many pages
#: down as needed), narrow margins (inches), sheet name and page number in the footer. The
#: header row repeats on every printed page (print titles, see ``write_xlsx``).
_PAGE_SETUP = (
    '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
    '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
    "<headerFooter><oddFooter>&amp;L&amp;A&amp;RSeite &amp;P von &amp;N</oddFooter></headerFooter>"
)

#: Cell style indexes of ``_STYLES`` (cellXfs).
_S_HEADER, _S_MONEY, _S_MONEY_BOLD, _S_DATE, _S_DATETIME, _S_BOLD = 1, 2, 3, 4, 5, 6
_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{_NS_MAIN}">
<numFmts count="3"><numFmt numFmtId="164" formatCode="{escape(MONEY_FORMAT, {'"': "&quot;"})}"/>
<numFmt numFmtId="165" formatCode="{DATE_FORMAT}"/>
<numFmt numFmtId="166" formatCode="{DATETIME_FORMAT}"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill>
<fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="7">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">
<alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="164" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Standard" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
#: Characters XML 1.0 does not allow (control characters except tab, LF, CR).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = date(1899, 12, 30)


def _xml_text(text: str) -> str:
    return escape(_ILLEGAL_XML.sub("", text))


def _excel_serial(value: date) -> str:
    """Excel's day number of a date (with time as a fraction for datetimes)."""
    if isinstance(value, datetime):
        day = (value.date() - _EPOCH).days
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return repr(day + seconds / 86400)
    return str((value - _EPOCH).days)


def _cell_xml(ref: str, value: object, money: bool, texts: dict[str, str]) -> str:
    """One ``<c>`` element; '' for empty cells. ``texts`` caches escaped strings."""
    if isinstance(value, str):
        if type(value) is not str:  # enums: their German label
            value = str(neutralise(value))
        if not value:
            return ""
        escaped = texts.get(value)
        if escaped is None:
            escaped = texts[value] = _xml_text(str(neutralise(value)))
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escaped}</t></is></c>'
    if isinstance(value, Decimal):
        if not value.is_finite():
            return ""
        if money:
            return f'<c r="{ref}" s="{_S_MONEY}"><v>{value:f}</v></c>'
        return f'<c r="{ref}"><v>{value:f}</v></c>'
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return ""
        style = f' s="{_S_MONEY}"' if money else ""
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    if isinstance(value, datetime):
        return f'<c r="{ref}" s="{_S_DATETIME}"><v>{_excel_serial(value)}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_S_DATE}"><v>{_excel_serial(value)}</v></c>'
    text = neutralise(value)
    if text is None or text == "":
        return ""
    return _cell_xml(ref, str(text), money, texts)


def _write_sheet(archive: zipfile.ZipFile, index: int, sheet: Sheet) -> str | None:
    """Stream one worksheet into the archive; returns the autofilter range (or None).

    The rows are consumed one by one (only the first ones are held, to guess widths)."""
    iterator = iter(sheet.rows)
    sample = list(islice(iterator, _WIDTH_SAMPLE))
    widths = sheet.widths or _guess_widths(sheet, sample)
    rows = chain(sample, iterator)
    n_cols = len(sheet.columns)
    letters = [get_column_letter(i + 1) for i in range(max(n_cols, 1))]
    money = sheet.money_columns
    with archive.open(f"xl/worksheets/sheet{index}.xml", "w") as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        out.write(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
            # fitToPage: the fitToWidth/fitToHeight of <pageSetup> apply (scale to fit).
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            '<sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
            "</sheetView></sheetViews>"
            '<sheetFormatPr defaultRowHeight="15"/>'
        )
        if widths:
            out.write("<cols>")
            for col, width in sorted(widths.items()):
                out.write(f'<col min="{col + 1}" max="{col + 1}" width="{width}" customWidth="1"/>')
            out.write("</cols>")
        out.write('<sheetData><row r="1">')
        for col, name in enumerate(sheet.columns):
            text = _xml_text(str(neutralise(name)))
            out.write(
                f'<c r="{letters[col]}1" s="{_S_HEADER}" t="inlineStr">'
                f'<is><t xml:space="preserve">{text}</t></is></c>'
            )
        out.write("</row>")
        row_no = 1
        texts: dict[str, str] = {}
        is_money = [col in money for col in range(max(n_cols, 1))]
        for row in rows:
            row_no += 1
            cells = "".join(
                [
                    _cell_xml(f"{letters[col]}{row_no}", value, is_money[col], texts)
                    for col, value in enumerate(row)
                ]
            )
            out.write(f'<row r="{row_no}">{cells}</row>')
        last_data_row = row_no
        if sheet.sum_row and money:
            row_no += 1
            label_index = next((i for i in range(n_cols) if i not in money), None)
            sum_cells = []
            for col in range(n_cols):
                ref = f"{letters[col]}{row_no}"
                if col in money:
                    if last_data_row > 1:
                        formula = f"SUM({letters[col]}2:{letters[col]}{last_data_row})"
                        sum_cells.append(f'<c r="{ref}" s="{_S_MONEY_BOLD}"><f>{formula}</f></c>')
                    else:
                        sum_cells.append(f'<c r="{ref}" s="{_S_MONEY_BOLD}"><v>0</v></c>')
                elif col == label_index:
                    sum_cells.append(
                        f'<c r="{ref}" s="{_S_BOLD}" t="inlineStr"><is><t>Summe</t></is></c>'
                    )
            out.write(f'<row r="{row_no}">{"".join(sum_cells)}</row>')
        out.write("</sheetData>")
        filter_ref = f"A1:{letters[n_cols - 1]}{last_data_row}" if n_cols else None
        if filter_ref:
            out.write(f'<autoFilter ref="{filter_ref}"/>')
        out.write(_PAGE_SETUP + "</worksheet>")
        out.flush()
        out.detach()
    return filter_ref


def write_xlsx(sheets: list[Sheet], parameters: list[tuple[str, object]]) -> bytes:
    """An XLSX workbook with one sheet per view and a final sheet "Parameter".

    Real numbers (``Decimal`` written as exact numbers) with a euro format, bold and frozen
    header, autofilter over the data rows, column widths and a sum row with ``SUM`` formulas.
    ``parameters`` are (name, value) pairs describing the export (date, budget year,
    scenario, who).
    """
    used: set[str] = set()
    all_sheets = [
        *sheets,
        Sheet(
            title="Parameter",
            columns=["Parameter", "Wert"],
            rows=[(name, value) for name, value in parameters],
            money_columns=set(),
            sum_row=False,
            widths={0: 28, 1: 60},
        ),
    ]
    titles = [_sheet_title(sheet.title, used) for sheet in all_sheets]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=5) as archive:
        filters = [_write_sheet(archive, index, sheet) for index, sheet in enumerate(all_sheets, 1)]
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT_SHEET}"/>'
            for i in range(1, len(all_sheets) + 1)
        )
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT_BOOK}"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT_STYLES}"/>'
            f"{overrides}</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_NS_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL_DOC}" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        sheet_rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL_SHEET}" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(all_sheets) + 1)
        )
        styles_id = len(all_sheets) + 1
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_NS_PKG_REL}">{sheet_rels}'
            f'<Relationship Id="rId{styles_id}" Type="{_REL_STYLES}" Target="styles.xml"/>'
            "</Relationships>",
        )
        sheet_entries = "".join(
            f'<sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
            for i, title in enumerate(titles, 1)
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{escape(_quoted_range(titles[i], ref))}</definedName>"
            for i, ref in enumerate(filters)
            if ref
        ) + "".join(
            # Print titles: the header row on every printed page.
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
            f"{escape(_quoted_title(title))}!$1:$1</definedName>"
            for i, title in enumerate(titles)
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheet_entries}</sheets>"
            + (f"<definedNames>{names}</definedNames>" if names else "")
            + "</workbook>",
        )
        archive.writestr("xl/styles.xml", _STYLES)
    return buffer.getvalue()


def _quoted_title(title: str) -> str:
    """``'Sheet name'`` as used in formulas and defined names."""
    return "'" + title.replace("'", "''") + "'"


def _quoted_range(title: str, ref: str) -> str:
    """``'Sheet name'!$A$1:$Q$100`` for a defined name."""
    start, end = ref.split(":")
    absolute = ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in (start, end))
    return _quoted_title(title) + "!" + absolute


# --- Budget exports (coverage tables and the measures' budget rows) -------------------------

#: The coverage views exported as sheets, in this order.
COVERAGE_SHEETS = (
    ("budget_line", "Nach Haushaltsstelle"),
    ("ring", "Nach Deckungsring"),
    ("department", "Nach Fachbereich"),
    ("kind", "Nach Haushaltsteil"),
    ("action_field", "Nach Handlungsfeld"),
    ("funding_source", "Nach Finanzierung"),
)
#: Per year and in total: the columns of a line-based coverage sheet.
LINE_FIGURES = (
    ("planned", "Ansatz/Planung"),
    ("base_load", "Gebunden (Betrieb)"),
    ("ve_due", "VE fällig"),
    ("available", "Verfügbar"),
    ("gross", "Bedarf brutto"),
    ("grant", "Förderung"),
    ("own", "Eigenanteil"),
    ("gap", "Lücke"),
    ("free", "Frei"),
)
#: The same for sheets that group measures (no budget money of their own).
MEASURE_FIGURES = (
    ("gross", "Bedarf brutto"),
    ("grant", "Förderung"),
    ("own", "Eigenanteil"),
    ("gap", "Lücke (verursacht)"),
)


def year_caption(year: int, budget_year: int) -> str:
    """``HJ 2026`` for the budget year, ``HJ+2 2028`` for planning years."""
    offset = year - budget_year
    return f"HJ {year}" if offset == 0 else f"HJ{offset:+d} {year}"


def coverage_sheet(table: CoverageTable, title: str, budget_year: int) -> Sheet:
    """One sheet of a coverage table: the figures per year and over the horizon.

    Gaps and free amounts of lines in a Deckungsring are their shares of the ring's, so the
    sheet's sums equal the totals of every page (no line's surplus covers another line).
    """
    figures = MEASURE_FIGURES if table.by_measure else LINE_FIGURES
    columns = [table.grouping.label, "Bezeichnung"]
    if table.grouping == Grouping.BUDGET_LINE:
        columns.append("Deckungsring")
    fixed = len(columns)
    for year in [*table.years, None]:
        caption = "gesamt" if year is None else year_caption(year, budget_year)
        columns += [f"{name} {caption}" for _, name in figures]
    columns += ["Deckung", "Förderquote %"]
    money = set(range(fixed, len(columns) - 2))

    def values(figs: Figures) -> list[object]:
        return [getattr(figs, key) for key, _ in figures]

    def rows() -> list[list[object]]:
        out: list[list[object]] = []
        for row in table.rows:
            line: list[object] = [row.label, row.detail]
            if table.grouping == Grouping.BUDGET_LINE:
                line.append(", ".join(sorted(set(row.rings.values()))))
            for year in table.years:
                line += values(row.years[year])
            total = row.total
            line += [*values(total), total.status.label, total.grant_share]
            out.append(line)
        return out

    return Sheet(title=title, columns=columns, rows=rows(), money_columns=money)


def totals_sheet(table: CoverageTable, budget_year: int) -> Sheet:
    """The totals per budget part and year: sum of gaps, sum of free amounts, status."""
    columns = ["Haushaltsteil", "Jahr", *[name for _, name in LINE_FIGURES], "Deckung"]
    rows: list[list[object]] = []
    for part in [*table.parts, table.total]:
        label = part.label if part is not table.total else "Gesamt (beide Haushaltsteile)"
        for year in table.years:
            figs = part.years[year]
            rows.append(
                [
                    label,
                    year_caption(year, budget_year),
                    *[getattr(figs, key) for key, _ in LINE_FIGURES],
                    figs.status.label,
                ]
            )
    money = set(range(2, 2 + len(LINE_FIGURES)))
    return Sheet(title="Summen", columns=columns, rows=rows, money_columns=money, sum_row=False)


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


def measures_sheet(
    years: list[int],
    budget_year: int,
    *,
    include_submitted: bool,
    line_table: CoverageTable | None = None,
) -> Sheet:
    """All counting measures, one row per measure x budget line (DOMAIN.md columns).

    Coverage status is the budget line's status over the horizon (ring shares included).
    Three queries: lines, the line coverage, the measures' amounts.
    """
    from steuerung.services.budget.lines import budget_line_keys

    table = line_table or coverage_table(
        years, Grouping.BUDGET_LINE, include_submitted=include_submitted
    )
    line_status = {row.key: row.total.status.label for row in table.rows}
    lines = budget_line_keys()
    columns = MEASURE_COLUMNS_FIXED + [year_caption(y, budget_year) for y in years]
    columns += [
        "Gesamt brutto",
        "Förderung",
        "Eigenanteil",
        "Finanzierung",
        "Deckung der Haushaltsstelle",
    ]
    first_money = len(MEASURE_COLUMNS_FIXED)
    money = set(range(first_money, first_money + len(years) + 3))

    def rows() -> Iterator[list[object]]:
        for m in iter_measure_demands(years, include_submitted=include_submitted):
            key = lines[m.budget_line_id]
            yield [
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
                m.grant,
                m.own,
                m.funding,
                line_status.get(m.budget_line_id, ""),
            ]

    return Sheet(title="Maßnahmen", columns=columns, rows=rows(), money_columns=money)


def commitments_sheet(budget_year: int) -> Sheet:
    """Every VE (archived ones marked) with its line, years, amount and measure."""
    from steuerung.services.budget.lines import commitment_rows

    columns = [
        "Haushaltsstelle",
        "Bezeichnung",
        "Art",
        "Erteilt im Jahr",
        "Fällig im Jahr",
        "Betrag",
        "Maßnahme",
        "Zweck",
        "Archiviert",
    ]
    rows = [
        [
            ve.line_label,
            ve.line_name,
            ve.kind.label,
            ve.granted_year,
            ve.due_year,
            ve.amount,
            ve.measure_reference,
            ve.purpose,
            "ja" if ve.archived else "nein",
        ]
        for ve in commitment_rows()
    ]
    return Sheet(title="VE", columns=columns, rows=rows, money_columns={5}, sum_row=False)


#: Columns of the execution sheets: (attribute of ``execution.Burn``, German header).
EXECUTION_FIGURES = (
    ("budget", "Ansatz"),
    ("carried", "Übertragene Ermächtigungen"),
    ("ist", "Ist"),
    ("obligo", "Obligo"),
    ("available", "Verfügbar"),
    ("projected", "Hochrechnung 31.12."),
    ("projected_rest", "Voraussichtlicher Rest"),
)


def execution_sheet(year: int) -> Sheet:
    """Execution per budget line in ``year`` (``services.budget.execution``), warnings as text."""
    from steuerung.services.budget.execution import execution_table

    table = execution_table(year)
    columns = ["Haushaltsstelle", "Bezeichnung", "Fachbereich", "Art", "Jahr"]
    fixed = len(columns)
    columns += [name for _, name in EXECUTION_FIGURES] + ["Stand (Stichtag)", "Warnung"]
    stand = table.snapshot.as_of if table.snapshot else None
    rows = [
        [
            row.label,
            row.name,
            row.department,
            row.kind,
            year,
            *[getattr(row.figures, key) for key, _ in EXECUTION_FIGURES],
            stand,
            " ".join(w.text for w in row.warnings),
        ]
        for row in table.rows
    ]
    money = set(range(fixed, fixed + len(EXECUTION_FIGURES)))
    return Sheet(title="Vollzug", columns=columns, rows=rows, money_columns=money)


def execution_measures_sheet(year: int) -> Sheet:
    """Plan, Ist, Obligo and projection of every measure in ``year``, warnings as text."""
    from steuerung.services.budget.execution import measures_execution

    columns = ["Maßnahme", "Titel", "Fachbereich", "Status", "Auftrag", "Jahr"]
    figures = [("budget", "Plan"), *EXECUTION_FIGURES[2:]]
    fixed = len(columns)
    columns += [name for _, name in figures] + ["Warnung"]
    rows = [
        [
            m.reference,
            m.title,
            m.department_code,
            m.status.label,
            m.order_key,
            year,
            *[getattr(m.figures, key) for key, _ in figures],
            " ".join(w.text for w in m.warnings),
        ]
        for m in sorted(measures_execution(year), key=lambda m: m.measure_id)
    ]
    money = set(range(fixed, fixed + len(figures)))
    return Sheet(title="Vollzug Maßnahmen", columns=columns, rows=rows, money_columns=money)


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
            "Verfügbar",
            "Ansatz bzw. Planung abzüglich Bindung für den laufenden Betrieb und der im Jahr "
            "fälligen Verpflichtungsermächtigungen (VE).",
        ),
        (
            "Lücke / Frei",
            "Je Haushaltsstelle und Jahr: Eigenanteil (Bedarf brutto minus Förderung) minus "
            "verfügbar, bzw. umgekehrt. Eine Lücke wird nie mit freien Mitteln einer anderen "
            "Haushaltsstelle verrechnet, außer innerhalb eines Deckungsrings (dort sind Lücke "
            "und freier Betrag des Rings anteilig auf seine Haushaltsstellen verteilt). "
            "Konsumtive und investive Mittel werden nie verrechnet. Summen sind Summen der "
            "Lücken und Summen der freien Beträge.",
        ),
        (
            "Vollzug",
            "Blätter „Vollzug“ und „Vollzug Maßnahmen“: Haushaltsjahr, letzter Stand der "
            "Ist-Daten. Verfügbar = Ansatz + übertragene Ermächtigungen − Ist − Obligo; "
            "Hochrechnung = der größere Wert aus Ist ÷ abgelaufene Monate × 12 und Ist + "
            "Obligo. Übertragene Ermächtigungen sind nicht im Ansatz enthalten.",
        ),
        (
            "Handlungsfeld / Finanzierung",
            "Bedarf dieser Maßnahmen und der Teil der Lücken ihrer Haushaltsstellen, den ihr "
            "Eigenanteil verursacht; eine Maßnahme in zwei Handlungsfeldern zählt in beiden.",
        ),
    ]


def budget_workbook(
    years: list[int], budget_year: int, *, include_submitted: bool, who: str, exported_at: datetime
) -> bytes:
    """The full budget export: totals, one sheet per coverage view, measures, VE, parameters."""
    tables = {
        key: coverage_table(years, Grouping(key), include_submitted=include_submitted)
        for key, _ in COVERAGE_SHEETS
    }
    sheets = [totals_sheet(tables["budget_line"], budget_year)]
    sheets += [coverage_sheet(tables[key], title, budget_year) for key, title in COVERAGE_SHEETS]
    sheets.append(
        measures_sheet(
            years,
            budget_year,
            include_submitted=include_submitted,
            line_table=tables["budget_line"],
        )
    )
    sheets.append(commitments_sheet(budget_year))
    sheets += [execution_sheet(budget_year), execution_measures_sheet(budget_year)]
    return write_xlsx(sheets, budget_parameters(budget_year, include_submitted, who, exported_at))


def budget_csv(years: list[int], budget_year: int, view: str, *, include_submitted: bool) -> bytes:
    """One view as CSV: ``measures``, ``totals``, ``commitments``, ``execution``,
    ``execution_measures`` or a coverage view of ``COVERAGE_SHEETS``."""
    if view == "measures":
        sheet = measures_sheet(years, budget_year, include_submitted=include_submitted)
    elif view == "totals":
        table = coverage_table(years, Grouping.BUDGET_LINE, include_submitted=include_submitted)
        sheet = totals_sheet(table, budget_year)
    elif view == "commitments":
        sheet = commitments_sheet(budget_year)
    elif view == "execution":
        sheet = execution_sheet(budget_year)
    elif view == "execution_measures":
        sheet = execution_measures_sheet(budget_year)
    else:
        title = dict(COVERAGE_SHEETS)[view]
        table = coverage_table(years, Grouping(view), include_submitted=include_submitted)
        sheet = coverage_sheet(table, title, budget_year)
    return write_csv(sheet.columns, sheet.rows)
