"""One figure, one value: the sums of gaps and of free amounts per year are the same on the
start page, the dashboard, the council report (page and PDF), the budget table, the XLSX and
the CSV, for the demo Kommune and for a synthetic portfolio.

The expected totals are computed here from the ORM rows by the cover rules as written in
DOMAIN.md (no call into the coverage service): per line and year, available = Ansatz - base
load - VE due, own share = gross - grant (rounded per cost row); a Deckungsring sums its
lines first; gap = own - available where positive, free = the opposite; totals add up the
gaps and the free amounts of the lines and rings, never netting one against the other.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from conftest import login
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from seed.demo import DEMO_PASSWORD, load_demo
from seed.synthetic import generate
from steuerung.models import (
    BudgetAmount,
    BudgetLine,
    CommitmentAuthorization,
    CostPlanEntry,
    CoverageRing,
    CoverageRingMember,
    FundingSource,
    Measure,
    MeasureStatus,
    Settings,
)

CENT = Decimal("0.01")
MONEY = re.compile(r"-?\d{1,3}(?:\.\d{3})*,\d{2}")
COUNTING = (MeasureStatus.APPROVED, MeasureStatus.IN_PROGRESS)


# ------------------------------------------------------------------ independent figures


def expected_totals(db: Any) -> tuple[list[int], dict[int, tuple[Decimal, Decimal]]]:
    """{year: (sum of gaps, sum of free amounts)} over the horizon, from the ORM rows."""
    session = db.session
    settings = session.scalar(select(Settings))
    years = settings.horizon
    available: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    own: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    kinds = {line.id: line.kind for line in session.scalars(select(BudgetLine))}
    for amount in session.scalars(select(BudgetAmount).where(BudgetAmount.year.in_(years))):
        key = (amount.budget_line_id, amount.year)
        available[key] += amount.approved_amount - (amount.base_load or 0)
    for ve in session.scalars(select(CommitmentAuthorization)):
        if ve.archived_at is None and ve.due_year in years:
            available[(ve.budget_line_id, ve.due_year)] -= ve.amount
    for entry in session.scalars(select(CostPlanEntry).join(Measure)):
        if entry.measure.status not in COUNTING or entry.year not in years:
            continue
        grant = Decimal(0)
        if entry.funding_source != FundingSource.OWN and entry.funding_share:
            grant = (entry.amount * entry.funding_share / 100).quantize(CENT, ROUND_HALF_UP)
        own[(entry.budget_line_id, entry.year)] += entry.amount - grant

    # Units: a ring (its lines summed first) or a line on its own.
    unit_of: dict[tuple[int, int], tuple[str, int, int]] = {}
    for member in session.scalars(select(CoverageRingMember)):
        ring = session.get(CoverageRing, member.ring_id)
        assert ring is not None and kinds[member.budget_line_id] == ring.kind
        unit_of[(member.budget_line_id, member.year)] = ("ring", ring.id, member.year)
    unit_available: dict[tuple[str, int, int], Decimal] = defaultdict(Decimal)
    unit_own: dict[tuple[str, int, int], Decimal] = defaultdict(Decimal)
    for key in set(available) | set(own):
        unit = unit_of.get(key, ("line", *key))
        unit_available[unit] += available[key]
        unit_own[unit] += own[key]
    totals = {year: (Decimal(0), Decimal(0)) for year in years}
    for unit, avail in unit_available.items():
        year = unit[2]
        if year not in totals:
            continue
        difference = unit_own[unit] - avail
        gap, free = totals[year]
        totals[year] = (gap + max(difference, Decimal(0)), free + max(-difference, Decimal(0)))
    return years, totals


# ------------------------------------------------------------------------ reading outputs


def german(text: str) -> Decimal:
    """``1.234,56`` -> Decimal('1234.56')."""
    return Decimal(text.replace(".", "").replace(",", "."))


class Tables(HTMLParser):
    """Every table of a page: its id, header texts and rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, Any]] = []
        self._stack: list[dict[str, Any]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._row_id: str | None = None
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table":
            self._stack.append({"id": attributes.get("id"), "rows": [], "row_ids": []})
        elif tag == "tr" and self._stack:
            self._row, self._row_id = [], attributes.get("id")
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "span" and "aria-hidden" in attributes:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
        elif tag == "tr" and self._row is not None and self._stack:
            self._stack[-1]["rows"].append(self._row)
            self._stack[-1]["row_ids"].append(self._row_id)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "span" and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._hidden:
            self._cell.append(data)


def tables_of(html: str) -> list[dict[str, Any]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def year_table(html: str, gap_header: str, free_header: str) -> dict[int, tuple[Decimal, Decimal]]:
    """From the one table with a "Jahr" column and the two headers: {year: (gap, free)}."""
    found = [
        t
        for t in tables_of(html)
        if t["rows"] and gap_header in t["rows"][0] and free_header in t["rows"][0]
    ]
    assert len(found) == 1, [t["rows"][0] for t in tables_of(html) if t["rows"]]
    header, *rows = found[0]["rows"]
    gap_at, free_at = header.index(gap_header), header.index(free_header)
    return {
        int(row[0]): (german(MONEY.search(row[gap_at])[0]), german(MONEY.search(row[free_at])[0]))
        for row in rows
    }


def start_page(client: Any) -> dict[int, tuple[Decimal, Decimal]]:
    html = client.get("/").get_data(as_text=True)
    return year_table(html, "Summe der Lücken", "Summe frei")


def dashboard(client: Any) -> dict[int, tuple[Decimal, Decimal]]:
    html = client.get("/dashboard/").get_data(as_text=True)
    return year_table(html, "Summe der Lücken", "Summe der freien Beträge")


def council_page(client: Any) -> dict[int, tuple[Decimal, Decimal]]:
    html = client.get("/dashboard/sachstandsbericht").get_data(as_text=True)
    return year_table(html, "Summe der Lücken", "Summe der freien Beträge")


def council_pdf(client: Any, years: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """The PDF's table: the line that starts with the year holds its amounts in column order
    (verfügbar, brutto, Förderung, Eigenanteil, Lücken, frei)."""
    response = client.get("/dashboard/sachstandsbericht.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    result = {}
    for year in years:
        lines = [
            line for line in text.splitlines() if line.startswith(str(year)) and MONEY.search(line)
        ]
        assert lines, (year, text[:2000])
        amounts = [german(m) for m in MONEY.findall(lines[0])]
        result[year] = (amounts[4], amounts[5])
    return result


def budget_table(client: Any, view: str) -> dict[int, tuple[Decimal, Decimal]]:
    """The totals row above the coverage table: per year gap, free, status."""
    html = client.get(f"/haushalt/?ansicht={view}").get_data(as_text=True)
    (table,) = [t for t in tables_of(html) if "coverage-total-row" in t["row_ids"]]
    header = table["rows"][0]
    row = table["rows"][table["row_ids"].index("coverage-total-row")]
    years = [int(re.search(r"\d{4}", h)[0]) for h in header[1:]]
    cells = row[1:]
    return {
        year: (german(MONEY.search(cells[3 * i])[0]), german(MONEY.search(cells[3 * i + 1])[0]))
        for i, year in enumerate(years)
    }


def xlsx(client: Any) -> dict[int, tuple[Decimal, Decimal]]:
    response = client.get("/haushalt/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["Summen"]
    header = [c.value for c in sheet[1]]
    result = {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[0] == "Gesamt (beide Haushaltsteile)":
            year = int(re.search(r"\d{4}", str(row[1]))[0])
            gap = Decimal(str(row[header.index("Lücke")])).quantize(CENT)
            free = Decimal(str(row[header.index("Frei")])).quantize(CENT)
            result[year] = (gap, free)
    return result


def csv_totals(client: Any) -> dict[int, tuple[Decimal, Decimal]]:
    response = client.get("/haushalt/export.csv?tabelle=summen")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    gap_at, free_at = header.index("Lücke"), header.index("Frei")
    return {
        int(re.search(r"\d{4}", row[1])[0]): (german(row[gap_at]), german(row[free_at]))
        for row in rows[1:]
        if row and row[0] == "Gesamt (beide Haushaltsteile)"
    }


# ---------------------------------------------------------------------------------- tests


def _check_every_output(client: Any, db: Any) -> dict[int, tuple[Decimal, Decimal]]:
    years, expected = expected_totals(db)
    outputs = {
        "Startseite": start_page(client),
        "Dashboard": dashboard(client),
        "Sachstandsbericht": council_page(client),
        "Sachstandsbericht (PDF)": council_pdf(client, years),
        "XLSX": xlsx(client),
        "CSV": csv_totals(client),
        **{f"Haushalt ({view})": budget_table(client, view) for view in ("stelle", "ring", "art")},
    }
    for name, figures in outputs.items():
        assert figures == expected, name
    return expected


@pytest.mark.parametrize("dataset", ["demo", "synthetic"])
def test_gap_and_free_totals_agree_everywhere(db: Any, client: Any, dataset: str) -> None:
    if dataset == "demo":
        assert load_demo(only_if_empty=False) is True
    else:
        generate(120, random_seed=7)
    db.session.commit()
    login(client, "koordination", DEMO_PASSWORD)
    expected = _check_every_output(client, db)
    # The figures are not trivial: both data sets have gaps and free amounts.
    assert any(gap for gap, _ in expected.values())
    assert any(free for _, free in expected.values())
