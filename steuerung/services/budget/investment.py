"""Investment programme (Investitionsprogramm): the council's table per Investitionsnummer.

One row per Investitionsnummer (its investive budget lines added up; one number may have
several lines, e.g. for several Sachkonten):

* **bis Vorjahr (Ist)**: what was spent in earlier years, from each earlier year's latest
  actuals snapshot;
* **übertragene Ermächtigungen** carried into the budget year (to be spent from earlier
  authorizations);
* **Ansatz** of the budget year and **Planung** of the three planning years (the budget's
  figures, not the measures' demand);
* **nach dem Planungszeitraum**: the cost-plan amounts on these lines for years after the
  horizon (the budget has no figures there yet) of the measures that are approved, in
  progress or completed (as everywhere below: drafts and proposals are no programme);
* **Gesamtkosten** = bis Vorjahr + übertragen + Ansatz + Planungen + nach dem Zeitraum;
* **Förderung**: the grants these measures' cost plans expect on these lines (all years);
  **Eigenanteil** = Gesamtkosten − Förderung;
* **VE**: open Verpflichtungsermächtigungen on these lines falling due after the budget year;
* **Ist**, **Obligo** and **verfügbar** of the budget year (execution, as everywhere:
  ``services.budget.execution``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select

from steuerung.extensions import db
from steuerung.models import (
    ActualRow,
    ActualsSnapshot,
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    CarryForward,
    CommitmentAuthorization,
    CostPlanEntry,
    Department,
    Measure,
)
from steuerung.models.measure import measure_reference
from steuerung.services.budget.coverage import grant_expr
from steuerung.services.budget.execution import EXECUTION_STATUSES, ZERO, cents
from steuerung.services.budget.exports import Sheet, write_xlsx, year_caption
from steuerung.services.common.cache import cached

#: Measures named per Investitionsnummer (page and XLSX); the rest are counted.
MEASURES_NAMED = 10


@dataclass
class InvestmentRow:
    """One Investitionsnummer with its figures."""

    number: str
    names: list[str]
    departments: list[str]
    line_ids: list[int]
    earlier_ist: Decimal = ZERO
    carried: Decimal = ZERO
    planned: dict[int, Decimal] = field(default_factory=dict)
    after_horizon: Decimal = ZERO
    grants: Decimal = ZERO
    ve: Decimal = ZERO
    ist: Decimal = ZERO
    obligo: Decimal = ZERO
    #: The first measures (by number) planning on these lines; ``measure_count`` has all.
    measures: list[tuple[int, str]] = field(default_factory=list)
    measure_count: int = 0

    @property
    def total(self) -> Decimal:
        """Gesamtkosten."""
        return (
            self.earlier_ist + self.carried + sum(self.planned.values(), ZERO) + self.after_horizon
        )

    @property
    def own_share(self) -> Decimal:
        """Eigenanteil = Gesamtkosten − Förderung."""
        return self.total - self.grants

    @property
    def available(self) -> Decimal:
        """verfügbar im Haushaltsjahr = Ansatz + übertragen − Ist − Obligo."""
        # The budget year is the first year of the horizon.
        budget = self.planned[min(self.planned)] if self.planned else ZERO
        return budget + self.carried - self.ist - self.obligo

    @property
    def more_measures(self) -> int:
        """Measures on these lines beyond the ones named."""
        return self.measure_count - len(self.measures)

    @property
    def measure_text(self) -> str:
        """``M-0001 Titel; M-0002 Titel`` (and how many more)."""
        text = "; ".join(f"{measure_reference(i)} {t}" for i, t in self.measures)
        if self.more_measures:
            text += f" und {self.more_measures} weitere"
        return text


@dataclass
class InvestmentProgramme:
    """The programme for a budget year's horizon, with its total row."""

    budget_year: int
    years: list[int]
    rows: list[InvestmentRow]

    @property
    def total(self) -> InvestmentRow:
        """Sum over all rows."""
        total = InvestmentRow("Summe", [], [], [], planned=dict.fromkeys(self.years, ZERO))
        for row in self.rows:
            total.earlier_ist += row.earlier_ist
            total.carried += row.carried
            for year in self.years:
                total.planned[year] += row.planned.get(year, ZERO)
            total.after_horizon += row.after_horizon
            total.grants += row.grants
            total.ve += row.ve
            total.ist += row.ist
            total.obligo += row.obligo
        return total


def _latest_snapshots(years_below: int) -> dict[int, int]:
    """Year -> id of its latest snapshot, for all years before ``years_below``."""
    latest: dict[int, int] = {}
    for snap_id, year in db.session.execute(
        select(ActualsSnapshot.id, ActualsSnapshot.year)
        .where(ActualsSnapshot.year < years_below)
        .order_by(ActualsSnapshot.year, ActualsSnapshot.as_of, ActualsSnapshot.id)
    ):
        latest[year] = snap_id
    return latest


def investment_programme(years: list[int]) -> InvestmentProgramme:
    """The investment programme for the horizon ``years`` (budget year first), computed with
    nine queries and reused until the data changes (shared: read-only)."""
    return cached(
        "budget.investment_programme", tuple(years), lambda: _investment_programme(list(years))
    )


def _investment_programme(years: list[int]) -> InvestmentProgramme:
    budget_year, last_year = years[0], years[-1]
    rows: dict[str, InvestmentRow] = {}
    line_number: dict[int, str] = {}
    for line in db.session.execute(
        select(BudgetLine.id, BudgetLine.investment_number, BudgetLine.name, Department.code)
        .join(Department, Department.id == BudgetLine.department_id)
        .where(BudgetLine.kind == BudgetKind.INVESTIVE, BudgetLine.investment_number != "")
        .order_by(BudgetLine.investment_number, BudgetLine.id)
    ):
        row = rows.setdefault(
            line.investment_number,
            InvestmentRow(line.investment_number, [], [], [], planned=dict.fromkeys(years, ZERO)),
        )
        row.line_ids.append(line.id)
        if line.name not in row.names:
            row.names.append(line.name)
        if line.code not in row.departments:
            row.departments.append(line.code)
        line_number[line.id] = line.investment_number
    if not rows:
        return InvestmentProgramme(budget_year, years, [])
    ids = list(line_number)

    def target(line_id: int) -> InvestmentRow:
        return rows[line_number[line_id]]

    for line_id, year, amount in db.session.execute(
        select(BudgetAmount.budget_line_id, BudgetAmount.year, BudgetAmount.approved_amount).where(
            BudgetAmount.budget_line_id.in_(ids), BudgetAmount.year.in_(years)
        )
    ):
        target(line_id).planned[year] += cents(amount)
    earlier = _latest_snapshots(budget_year)
    if earlier:
        for line_id, ist in db.session.execute(
            select(ActualRow.budget_line_id, func.sum(ActualRow.ist))
            .where(
                ActualRow.snapshot_id.in_(list(earlier.values())), ActualRow.budget_line_id.in_(ids)
            )
            .group_by(ActualRow.budget_line_id)
        ):
            target(line_id).earlier_ist += cents(ist)
    current = db.session.scalar(
        select(ActualsSnapshot.id)
        .where(ActualsSnapshot.year == budget_year)
        .order_by(ActualsSnapshot.as_of.desc(), ActualsSnapshot.id.desc())
        .limit(1)
    )
    if current is not None:
        for line_id, ist, obligo in db.session.execute(
            select(ActualRow.budget_line_id, func.sum(ActualRow.ist), func.sum(ActualRow.obligo))
            .where(ActualRow.snapshot_id == current, ActualRow.budget_line_id.in_(ids))
            .group_by(ActualRow.budget_line_id)
        ):
            target(line_id).ist += cents(ist)
            target(line_id).obligo += cents(obligo)
    for line_id, amount in db.session.execute(
        select(CarryForward.budget_line_id, func.sum(CarryForward.amount))
        .where(CarryForward.to_year == budget_year, CarryForward.budget_line_id.in_(ids))
        .group_by(CarryForward.budget_line_id)
    ):
        target(line_id).carried += cents(amount)
    # Per line and measure in one pass: cost after the horizon, grants, the measures named.
    seen: set[tuple[str, int]] = set()
    for line_id, measure_id, title, after, grants in db.session.execute(
        select(
            CostPlanEntry.budget_line_id,
            Measure.id,
            Measure.title,
            func.sum(case((CostPlanEntry.year > last_year, CostPlanEntry.amount), else_=0)),
            func.sum(grant_expr()),
        )
        .join(Measure, Measure.id == CostPlanEntry.measure_id)
        .where(CostPlanEntry.budget_line_id.in_(ids), Measure.status.in_(EXECUTION_STATUSES))
        .group_by(CostPlanEntry.budget_line_id, Measure.id, Measure.title)
        .order_by(Measure.id)
    ):
        row = target(line_id)
        row.after_horizon += cents(after)
        row.grants += cents(grants)
        if (row.number, measure_id) not in seen:
            seen.add((row.number, measure_id))
            row.measure_count += 1
            if len(row.measures) < MEASURES_NAMED:
                row.measures.append((measure_id, title))
    for line_id, amount in db.session.execute(
        select(CommitmentAuthorization.budget_line_id, func.sum(CommitmentAuthorization.amount))
        .where(
            CommitmentAuthorization.budget_line_id.in_(ids),
            CommitmentAuthorization.archived_at.is_(None),
            CommitmentAuthorization.due_year > budget_year,
        )
        .group_by(CommitmentAuthorization.budget_line_id)
    ):
        target(line_id).ve += cents(amount)
    return InvestmentProgramme(budget_year, years, list(rows.values()))


COLUMNS_FIXED = ["Investitionsnummer", "Bezeichnung", "Fachbereich", "Maßnahmen"]


def programme_sheet(programme: InvestmentProgramme) -> Sheet:
    """The programme as one sheet (numbers with euro format, sum row)."""
    columns = [
        *COLUMNS_FIXED,
        "Gesamtkosten",
        "bis Vorjahr (Ist)",
        "Übertragene Ermächtigungen",
        *[
            ("Ansatz " if y == programme.budget_year else "Planung ")
            + year_caption(y, programme.budget_year)
            for y in programme.years
        ],
        f"nach {programme.years[-1]}",
        "Förderung",
        "Eigenanteil",
        "VE (fällig nach HJ)",
        f"Ist {programme.budget_year}",
        f"Obligo {programme.budget_year}",
        f"verfügbar {programme.budget_year}",
    ]
    rows = [
        [
            row.number,
            "; ".join(row.names),
            ", ".join(row.departments),
            row.measure_text,
            row.total,
            row.earlier_ist,
            row.carried,
            *[row.planned.get(y, ZERO) for y in programme.years],
            row.after_horizon,
            row.grants,
            row.own_share,
            row.ve,
            row.ist,
            row.obligo,
            row.available,
        ]
        for row in programme.rows
    ]
    money = set(range(len(COLUMNS_FIXED), len(columns)))
    return Sheet(
        title="Investitionsprogramm",
        columns=columns,
        rows=rows,
        money_columns=money,
        widths={0: 18, 1: 36, 2: 12, 3: 40, **{i: 16 for i in money}},
    )


def programme_xlsx(programme: InvestmentProgramme, *, who: str, exported_at: datetime) -> bytes:
    """The investment programme as XLSX with a parameter sheet explaining the columns."""
    parameters: list[tuple[str, object]] = [
        ("Export", "Investitionsprogramm"),
        ("Exportiert am", exported_at),
        ("Exportiert von", who),
        ("Haushaltsjahr", programme.budget_year),
        ("Planungszeitraum", f"{programme.years[0]}–{programme.years[-1]}"),
        (
            "Gesamtkosten",
            "bis Vorjahr (Ist aus dem letzten Stand der Ist-Daten jedes früheren Jahres) + "
            "übertragene Ermächtigungen + Ansatz und Planungen + Kosten der Maßnahmen nach dem "
            "Planungszeitraum",
        ),
        ("Förderung", "erwartete Fördermittel laut Kostenplänen der Maßnahmen (alle Jahre)"),
        ("Eigenanteil", "Gesamtkosten − Förderung"),
        ("VE", "offene Verpflichtungsermächtigungen, fällig nach dem Haushaltsjahr"),
        ("verfügbar", "Ansatz + übertragene Ermächtigungen − Ist − Obligo"),
    ]
    return write_xlsx([programme_sheet(programme)], parameters)
