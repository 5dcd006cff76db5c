"""Mid-term budget coverage (Deckung): what the measures need against what is approved.

One place for the question "per year and budget line, what do the counting measures need
and how much of it is approved". Demand is the sum of the cost-plan amounts of measures in
``COUNTING_STATUSES`` (approved, in progress), optionally also ``SCENARIO_STATUSES``
(submitted, under review) as a scenario. Approved is the sum of ``BudgetAmount``.

Everything is computed with SQL aggregates (``GROUP BY``) in a constant number of queries;
Python only combines the aggregated rows (a few per budget line and year).

What "approved" means per rollup
--------------------------------
Approved amounts belong to budget lines. For rollups that are made of whole budget lines
(budget line, department = the line's Teilhaushalt, kind = konsumtiv/investiv, total) the
approved figure is the exact sum of the lines' amounts. For rollups by a property of the
*measure* (field of action, category, funding source) or when such a filter is applied,
a budget line's approved amount is shared by all measures on it, so the figure shown is the
**allocated** approved amount: each budget line and year covers its demand with the ratio
``min(1, approved / demand of all counting measures on the line)``, and a group gets that
share of its own demand on the line. Such rows never show more approved than demand
(surplus on a line belongs to nobody), and their gaps add up to the lines' gaps.
A measure linked to goals of two fields of action counts in both fields.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Numeric, case, func, select, type_coerce
from sqlalchemy.sql import ColumnElement

from steuerung.extensions import db
from steuerung.models import (
    ActionField,
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    CostPlanEntry,
    Department,
    FundingSource,
    Goal,
    Measure,
    MeasureCategory,
    MeasureStatus,
    measure_goals,
)
from steuerung.services.measures.rules import (
    COUNTING_STATUSES,
    SCENARIO_STATUSES,
    measure_reference,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
_MONEY = Numeric(14, 2, asdecimal=True)


def _money(value: object) -> Decimal:
    """An aggregate result as a Decimal with cents (SQL SUM of nothing is NULL)."""
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT)


class CoverageStatus(enum.StrEnum):
    """Whether the approved amounts cover the demand."""

    COVERED = "covered"
    PARTLY = "partly"
    UNCOVERED = "uncovered"

    @property
    def label(self) -> str:
        """German name."""
        return COVERAGE_STATUS_LABELS[self]


COVERAGE_STATUS_LABELS = {
    CoverageStatus.COVERED: "gedeckt",
    CoverageStatus.PARTLY: "teilweise gedeckt",
    CoverageStatus.UNCOVERED: "ungedeckt",
}


class Grouping(enum.StrEnum):
    """Rows of a coverage table."""

    TOTAL = "total"
    BUDGET_LINE = "budget_line"
    DEPARTMENT = "department"
    KIND = "kind"
    ACTION_FIELD = "action_field"
    CATEGORY = "category"
    FUNDING_SOURCE = "funding_source"

    @property
    def label(self) -> str:
        """German name of the view."""
        return GROUPING_LABELS[self]

    @property
    def by_line(self) -> bool:
        """True if every row consists of whole budget lines (exact approved amounts)."""
        return self in LINE_GROUPINGS


GROUPING_LABELS = {
    Grouping.TOTAL: "Gesamt",
    Grouping.BUDGET_LINE: "Haushaltsstelle",
    Grouping.DEPARTMENT: "Teilhaushalt / Fachbereich",
    Grouping.KIND: "Art (konsumtiv / investiv)",
    Grouping.ACTION_FIELD: "Handlungsfeld",
    Grouping.CATEGORY: "Kategorie",
    Grouping.FUNDING_SOURCE: "Finanzierungsquelle",
}
LINE_GROUPINGS = (Grouping.TOTAL, Grouping.BUDGET_LINE, Grouping.DEPARTMENT, Grouping.KIND)


@dataclass
class YearCoverage:
    """Demand against approved amount for one year (or the horizon's total)."""

    year: int | None
    demand: Decimal
    approved: Decimal
    #: Deckungslücke: demand minus approved where positive; for a total, the sum of the
    #: yearly gaps (a surplus in one year does not cover another year).
    gap: Decimal
    #: Approved in percent of demand (may exceed 100); None without demand.
    ratio: Decimal | None
    status: CoverageStatus

    @property
    def label(self) -> str:
        """German name of the status (alias used in templates)."""
        return self.status.label


def make_year_coverage(
    year: int | None, demand: Decimal, approved: Decimal, gap: Decimal | None = None
) -> YearCoverage:
    """Build a :class:`YearCoverage`, deriving gap, ratio and status."""
    demand, approved = _money(demand), _money(approved)
    if gap is None:
        gap = max(demand - approved, ZERO)
    gap = _money(gap)
    ratio = (approved * 100 / demand).quantize(Decimal("0.1")) if demand > 0 else None
    if demand <= 0 or gap <= 0:
        status = CoverageStatus.COVERED
    elif gap >= demand:
        status = CoverageStatus.UNCOVERED
    else:
        status = CoverageStatus.PARTLY
    return YearCoverage(year, demand, approved, gap, ratio, status)


def total_coverage(years: Iterable[YearCoverage]) -> YearCoverage:
    """The horizon's total of yearly figures (gap = sum of the yearly gaps)."""
    items = list(years)
    return make_year_coverage(
        None,
        sum((y.demand for y in items), ZERO),
        sum((y.approved for y in items), ZERO),
        sum((y.gap for y in items), ZERO),
    )


@dataclass
class MeasureDemand:
    """A measure's demand on one budget line, per year (rows of the expandable details)."""

    measure_id: int
    title: str
    department_code: str
    status: MeasureStatus
    budget_line_id: int
    amounts: dict[int, Decimal]
    #: Part of the amounts financed by grants or third parties.
    external: Decimal
    #: Funding sources used (labels), and programme names.
    funding: str

    @property
    def reference(self) -> str:
        """Human-readable id, e.g. ``M-0042`` (same as ``Measure.reference``)."""
        return measure_reference(self.measure_id)

    @property
    def total(self) -> Decimal:
        """Sum over the years."""
        return sum(self.amounts.values(), ZERO)


@dataclass
class CoverageRow:
    """One row of a coverage table: a budget line, department, kind, field, ..."""

    key: object
    label: str
    years: dict[int, YearCoverage]
    total: YearCoverage
    #: Demand financed by grants or third parties over the horizon.
    external: Decimal = ZERO
    #: Extra description (e.g. the budget line's name and department).
    detail: str = ""
    measures: list[MeasureDemand] = field(default_factory=list)
    #: Number of measures on the line (``measures`` may hold only the first ones).
    measure_count: int = 0

    @property
    def own(self) -> Decimal:
        """Demand financed from own funds (Eigenmittel) over the horizon."""
        return self.total.demand - self.external

    @property
    def external_share(self) -> Decimal | None:
        """Share of grants / third-party funds in percent of the demand."""
        if self.total.demand <= 0:
            return None
        return (self.external * 100 / self.total.demand).quantize(Decimal("0.1"))


@dataclass
class CoverageTable:
    """A coverage table: rows by one grouping, year columns and a total row."""

    grouping: Grouping
    years: list[int]
    include_submitted: bool
    rows: list[CoverageRow]
    total: CoverageRow
    #: True when approved amounts are allocated to rows (see the module docstring).
    allocated: bool


def statuses_for(include_submitted: bool) -> list[MeasureStatus]:
    """The measure states whose cost counts (the scenario adds submitted ones)."""
    statuses = list(COUNTING_STATUSES)
    if include_submitted:
        statuses += list(SCENARIO_STATUSES)
    return statuses


def _external_expr() -> ColumnElement[Decimal]:
    """Part of a cost-plan amount financed from outside (grants, third parties)."""
    return case(
        (
            CostPlanEntry.funding_source != FundingSource.OWN,
            CostPlanEntry.amount * CostPlanEntry.funding_share / 100,
        ),
        else_=0,
    )


def _measure_filters(
    action_field_id: int | None, category: MeasureCategory | None
) -> list[ColumnElement[bool]]:
    """SQL conditions on the measure (field of action through its goals, category)."""
    conditions: list[ColumnElement[bool]] = []
    if action_field_id is not None:
        in_field = (
            select(measure_goals.c.measure_id)
            .join(Goal, Goal.id == measure_goals.c.goal_id)
            .where(Goal.action_field_id == action_field_id)
        )
        conditions.append(Measure.id.in_(in_field))
    if category is not None:
        conditions.append(Measure.category == category)
    return conditions


def _group_column(grouping: Grouping) -> ColumnElement[object] | None:
    """The measure-side column a grouping needs in the demand query (None for line groupings)."""
    if grouping == Grouping.CATEGORY:
        return Measure.category
    if grouping == Grouping.FUNDING_SOURCE:
        return CostPlanEntry.funding_source
    return None


def coverage_table(
    years: list[int],
    grouping: Grouping = Grouping.BUDGET_LINE,
    *,
    include_submitted: bool = False,
    department_id: int | None = None,
    action_field_id: int | None = None,
    category: MeasureCategory | None = None,
    with_measures: bool = False,
    measures_limit: int | None = None,
) -> CoverageTable:
    """Coverage rolled up by ``grouping`` for ``years`` (see the module docstring).

    ``department_id`` restricts to the budget lines of that department (Teilhaushalt);
    ``action_field_id`` and ``category`` restrict the measures (approved then allocated).
    ``with_measures`` (budget-line grouping) adds each line's measures with their amounts
    (the first ``measures_limit`` per line if given; ``measure_count`` has the full number).
    Rows without demand and without approved amounts are left out.
    """
    years = sorted(years)
    statuses = statuses_for(include_submitted)
    measure_filters = _measure_filters(action_field_id, category)
    allocated = bool(measure_filters) or not grouping.by_line

    line_query = select(
        BudgetLine.id,
        BudgetLine.product,
        BudgetLine.cost_center,
        BudgetLine.account,
        BudgetLine.investment_number,
        BudgetLine.name,
        BudgetLine.kind,
        BudgetLine.department_id,
        Department.code,
        Department.name,
    ).join(Department, Department.id == BudgetLine.department_id)
    if department_id is not None:
        line_query = line_query.where(BudgetLine.department_id == department_id)
    lines = {row[0]: row for row in db.session.execute(line_query)}

    approved_query = (
        select(
            BudgetAmount.budget_line_id, BudgetAmount.year, func.sum(BudgetAmount.approved_amount)
        )
        .join(BudgetLine, BudgetLine.id == BudgetAmount.budget_line_id)
        .where(BudgetAmount.year.in_(years))
        .group_by(BudgetAmount.budget_line_id, BudgetAmount.year)
    )
    if department_id is not None:
        approved_query = approved_query.where(BudgetLine.department_id == department_id)
    approved: dict[tuple[int, int], Decimal] = {
        (line_id, year): _money(amount)
        for line_id, year, amount in db.session.execute(approved_query)
    }

    def demand_query(*group_cols: ColumnElement[object], filtered: bool) -> object:
        query = (
            select(
                *group_cols,
                CostPlanEntry.budget_line_id,
                CostPlanEntry.year,
                type_coerce(func.sum(CostPlanEntry.amount), _MONEY),
                type_coerce(func.sum(_external_expr()), _MONEY),
            )
            .join(Measure, Measure.id == CostPlanEntry.measure_id)
            .join(BudgetLine, BudgetLine.id == CostPlanEntry.budget_line_id)
            .where(Measure.status.in_(statuses), CostPlanEntry.year.in_(years))
            .group_by(*group_cols, CostPlanEntry.budget_line_id, CostPlanEntry.year)
        )
        if department_id is not None:
            query = query.where(BudgetLine.department_id == department_id)
        if filtered:
            query = query.where(*measure_filters)
        return query

    # Demand of all counting measures per line and year (the line's own coverage) ...
    line_demand: dict[tuple[int, int], Decimal] = {}
    line_external: dict[tuple[int, int], Decimal] = {}
    for line_id, year, amount, ext in db.session.execute(demand_query(filtered=False)):
        line_demand[(line_id, year)] = _money(amount)
        line_external[(line_id, year)] = _money(ext)
    # ... and of the measures selected by the filters (the same without filters).
    if measure_filters:
        selected_demand: dict[tuple[int, int], Decimal] = {}
        selected_external: dict[tuple[int, int], Decimal] = {}
        for line_id, year, amount, ext in db.session.execute(demand_query(filtered=True)):
            selected_demand[(line_id, year)] = _money(amount)
            selected_external[(line_id, year)] = _money(ext)
    else:
        selected_demand, selected_external = line_demand, line_external

    def line_group(line_id: int) -> tuple[object, str, str]:
        """Key, label and detail of the row a budget line belongs to."""
        line = lines[line_id]
        if grouping == Grouping.BUDGET_LINE:
            label = " / ".join(p for p in (line[1], line[2], line[3], line[4]) if p)
            return line_id, label, f"{line[5]} ({line[8]})"
        if grouping == Grouping.DEPARTMENT:
            return line[7], f"{line[8]} {line[9]}", ""
        if grouping == Grouping.KIND:
            return line[6], BudgetKind(line[6]).label, ""
        return "total", "Gesamt", ""

    # Group demand (and allocated approved) per row key and year.
    demand: dict[object, dict[int, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    covered: dict[object, dict[int, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    external: dict[object, Decimal] = defaultdict(lambda: ZERO)
    labels: dict[object, tuple[str, str]] = {}

    def share_covered(line_id: int, year: int, amount: Decimal) -> Decimal:
        total = line_demand.get((line_id, year), ZERO)
        if total <= 0:
            return amount
        ratio = min(Decimal(1), approved.get((line_id, year), ZERO) / total)
        return (amount * ratio).quantize(CENT)

    if not allocated:
        for (line_id, year), amount in line_demand.items():
            key, label, detail = line_group(line_id)
            labels[key] = (label, detail)
            demand[key][year] += amount
            external[key] += line_external[(line_id, year)]
        for (line_id, year), amount in approved.items():
            key, label, detail = line_group(line_id)
            labels[key] = (label, detail)
            covered[key][year] += amount
    else:
        rows_iter: Iterable[tuple[object, ...]]
        group_col = _group_column(grouping)
        if grouping == Grouping.ACTION_FIELD:
            pairs = (
                select(
                    measure_goals.c.measure_id.label("measure_id"),
                    Goal.action_field_id.label("action_field_id"),
                )
                .join(Goal, Goal.id == measure_goals.c.goal_id)
                .distinct()
                .subquery()
            )
            query = (
                select(
                    pairs.c.action_field_id,
                    CostPlanEntry.budget_line_id,
                    CostPlanEntry.year,
                    type_coerce(func.sum(CostPlanEntry.amount), _MONEY),
                    type_coerce(func.sum(_external_expr()), _MONEY),
                )
                .join(Measure, Measure.id == CostPlanEntry.measure_id)
                .join(BudgetLine, BudgetLine.id == CostPlanEntry.budget_line_id)
                .outerjoin(pairs, pairs.c.measure_id == Measure.id)
                .where(Measure.status.in_(statuses), CostPlanEntry.year.in_(years))
                .where(*measure_filters)
                .group_by(pairs.c.action_field_id, CostPlanEntry.budget_line_id, CostPlanEntry.year)
            )
            if department_id is not None:
                query = query.where(BudgetLine.department_id == department_id)
            field_labels = {
                fid: f"{code} {name}"
                for fid, code, name in db.session.execute(
                    select(ActionField.id, ActionField.code, ActionField.name)
                )
            }
            rows_iter = db.session.execute(query)
        elif group_col is not None:
            rows_iter = db.session.execute(demand_query(group_col, filtered=True))
        else:
            rows_iter = (
                (None, line_id, year, amount, selected_external[(line_id, year)])
                for (line_id, year), amount in selected_demand.items()
            )
        for group_value, line_id, year, amount, ext in rows_iter:
            amount = _money(amount)
            if grouping == Grouping.ACTION_FIELD:
                key = group_value
                label = field_labels.get(group_value, "ohne Handlungsfeld")  # type: ignore[arg-type]
                detail = ""
            elif grouping == Grouping.CATEGORY:
                key, label, detail = group_value, MeasureCategory(group_value).label, ""
            elif grouping == Grouping.FUNDING_SOURCE:
                key, label, detail = group_value, FundingSource(group_value).label, ""
            else:
                key, label, detail = line_group(line_id)
            labels[key] = (label, detail)
            demand[key][year] += amount
            covered[key][year] += share_covered(line_id, year, amount)
            external[key] += _money(ext)

    rows: list[CoverageRow] = []
    for key, (label, detail) in labels.items():
        per_year = {y: make_year_coverage(y, demand[key][y], covered[key][y]) for y in years}
        rows.append(
            CoverageRow(
                key=key,
                label=label,
                detail=detail,
                years=per_year,
                total=total_coverage(per_year.values()),
                external=external[key],
            )
        )
    rows.sort(key=lambda r: (r.label == "ohne Handlungsfeld", r.label))

    if with_measures and grouping == Grouping.BUDGET_LINE:
        by_line, counts = _measures_by_line(
            years,
            include_submitted=include_submitted,
            department_id=department_id,
            action_field_id=action_field_id,
            category=category,
            limit_per_line=measures_limit,
        )
        for row in rows:
            row.measures = by_line.get(row.key, [])  # type: ignore[call-overload]
            row.measure_count = counts.get(row.key, 0)  # type: ignore[call-overload]

    # The total row: the selected lines and measures, each (line, year) counted once.
    total_demand: dict[int, Decimal] = defaultdict(lambda: ZERO)
    total_approved: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for (line_id, year), amount in selected_demand.items():
        total_demand[year] += amount
        if allocated:
            total_approved[year] += share_covered(line_id, year, amount)
    if not allocated:
        for (_, year), amount in approved.items():
            total_approved[year] += amount
    total_years = {y: make_year_coverage(y, total_demand[y], total_approved[y]) for y in years}
    total = CoverageRow(
        key="total",
        label="Summe",
        years=total_years,
        total=total_coverage(total_years.values()),
        external=sum(selected_external.values(), ZERO),
    )
    return CoverageTable(grouping, years, include_submitted, rows, total, allocated)


def demand_vs_approved_by_year(
    years: list[int],
    *,
    include_submitted: bool = False,
    department_id: int | None = None,
    action_field_id: int | None = None,
    category: MeasureCategory | None = None,
) -> list[YearCoverage]:
    """Demand against approved amount per year (the "Gesamt" row of the coverage table).

    Demand: cost-plan amounts of measures in ``COUNTING_STATUSES`` (plus
    ``SCENARIO_STATUSES`` if ``include_submitted``). Approved: without filters, the sum of
    all budget lines' approved amounts; with ``department_id``, the approved amounts of that
    department's budget lines (and demand on those lines, whichever department submitted
    the measure). With ``action_field_id`` or ``category`` the approved figure is the
    allocated share of the budget lines these measures use (see the module docstring), so
    a line shared with other measures is not counted in full.
    """
    table = coverage_table(
        years,
        Grouping.TOTAL,
        include_submitted=include_submitted,
        department_id=department_id,
        action_field_id=action_field_id,
        category=category,
    )
    return [table.total.years[y] for y in sorted(years)]


def _funding_text(min_source: str, max_source: str, programme: str | None) -> str:
    """ "Eigenmittel", "Fördermittel (Programm)" or "gemischt" for a measure on a line."""
    text = "gemischt" if min_source != max_source else FundingSource(min_source).label
    if programme:
        text += f" ({programme})"
    return text


def measures_by_line(
    years: list[int],
    *,
    include_submitted: bool = False,
    department_id: int | None = None,
    action_field_id: int | None = None,
    category: MeasureCategory | None = None,
    line_ids: Iterable[int] | None = None,
) -> dict[int, list[MeasureDemand]]:
    """Each budget line's measures with their amounts per year, in one query.

    Filters as in :func:`coverage_table`. Measures within a line are ordered by reference.
    """
    measures, _ = _measures_by_line(
        years,
        include_submitted=include_submitted,
        department_id=department_id,
        action_field_id=action_field_id,
        category=category,
        line_ids=line_ids,
    )
    return measures


def _measures_by_line(
    years: list[int],
    *,
    include_submitted: bool = False,
    department_id: int | None = None,
    action_field_id: int | None = None,
    category: MeasureCategory | None = None,
    line_ids: Iterable[int] | None = None,
    limit_per_line: int | None = None,
) -> tuple[dict[int, list[MeasureDemand]], dict[int, int]]:
    """Measures per line (the ``limit_per_line`` largest of each) and the count per line.

    The limit is applied in SQL with ``ROW_NUMBER() OVER (PARTITION BY line)``, so a page
    that shows a few measures per line does not load every measure.
    """
    years = sorted(years)
    year_sums = [
        type_coerce(
            func.sum(case((CostPlanEntry.year == y, CostPlanEntry.amount), else_=0)), _MONEY
        ).label(f"y{i}")
        for i, y in enumerate(years)
    ]
    # Aggregate on ids only; titles and departments are joined to the (few) rows kept.
    query = (
        select(
            CostPlanEntry.budget_line_id.label("line_id"),
            CostPlanEntry.measure_id.label("measure_id"),
            type_coerce(func.sum(_external_expr()), _MONEY).label("external"),
            func.min(CostPlanEntry.funding_source).label("min_source"),
            func.max(CostPlanEntry.funding_source).label("max_source"),
            func.max(CostPlanEntry.funding_programme).label("programme"),
            *year_sums,
        )
        .join(Measure, Measure.id == CostPlanEntry.measure_id)
        .join(BudgetLine, BudgetLine.id == CostPlanEntry.budget_line_id)
        .where(Measure.status.in_(statuses_for(include_submitted)), CostPlanEntry.year.in_(years))
        .where(*_measure_filters(action_field_id, category))
        .group_by(CostPlanEntry.budget_line_id, CostPlanEntry.measure_id)
    )
    if department_id is not None:
        query = query.where(BudgetLine.department_id == department_id)
    if line_ids is not None:
        query = query.where(CostPlanEntry.budget_line_id.in_(list(line_ids)))
    if limit_per_line is not None:
        # Window functions run after GROUP BY: rank the measures per line by demand.
        query = query.add_columns(
            func.count().over(partition_by=CostPlanEntry.budget_line_id).label("line_count"),
            func.row_number()
            .over(
                partition_by=CostPlanEntry.budget_line_id,
                order_by=(func.sum(CostPlanEntry.amount).desc(), CostPlanEntry.measure_id),
            )
            .label("position"),
        )
    sub = query.subquery()
    outer = (
        select(
            sub,
            Measure.title.label("title"),
            Measure.status.label("status"),
            Department.code.label("dept_code"),
        )
        .join(Measure, Measure.id == sub.c.measure_id)
        .join(Department, Department.id == Measure.department_id)
    )
    if limit_per_line is None:
        outer = outer.order_by(sub.c.line_id, sub.c.measure_id)
    else:
        outer = outer.where(sub.c.position <= limit_per_line).order_by(
            sub.c.line_id, sub.c.position
        )
    result: dict[int, list[MeasureDemand]] = defaultdict(list)
    counts: dict[int, int] = defaultdict(int)
    for row in db.session.execute(outer):
        line_id = row.line_id
        if limit_per_line is None:
            counts[line_id] += 1
        else:
            counts[line_id] = row.line_count
        result[line_id].append(
            MeasureDemand(
                measure_id=row.measure_id,
                title=row.title,
                department_code=row.dept_code,
                status=MeasureStatus(row.status),
                budget_line_id=line_id,
                amounts={y: _money(getattr(row, f"y{i}")) for i, y in enumerate(years)},
                external=_money(row.external),
                funding=_funding_text(str(row.min_source), str(row.max_source), row.programme),
            )
        )
    return dict(result), dict(counts)
