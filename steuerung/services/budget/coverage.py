"""Mid-term budget coverage (Deckung) under the municipal cover rules: the one definition.

Every page, tile, chart, report, export and API answer that speaks of coverage uses this
module. It has two layers, kept apart so the rules can be read and tested without a database:

* :func:`load_facts` reads, per budget line and year, in a fixed number of SQL aggregates:
  the Ansatz/Planung, the part bound by running operations, the VE falling due, and the
  demand of the measures that count (gross, grant, own share).
* :func:`compute` applies the rules to those plain figures and returns named results.

The rules (GemHVO Deckungsgrundsätze; see DOMAIN.md)
-----------------------------------------------------
Per budget line and year:

* **verfügbar** (available for measures) = Ansatz/Planung − gebunden für laufenden Betrieb
  (base load) − VE falling due in that year. It can be negative (over-committed line).
* **Bedarf** (demand) = the cost-plan amounts of the measures that count: approved and in
  progress (``COUNTING_STATUSES``); the scenario adds submitted and under review ones.
  Shown as gross cost, grant (``amount x share``) and **Eigenanteil** (own share = gross −
  grant). The own share is the decisive figure: grants are income, budgeted as such.
* **Lücke** (gap) = max(own share − available, 0); **frei** (free) = max(available − own, 0).

Each line is bound to its purpose: a surplus on one line never covers another line's gap.
Only the lines of a **Deckungsring** (declared mutually coverable for a year, always of one
budget part) are summed first; the ring then has one gap or one free amount. Konsumtiv
(Ergebnishaushalt) and investiv (Finanzhaushalt) money never nets: rings never mix them and
totals are sums of gaps and sums of free amounts, never a difference.

A total therefore shows two figures, the sum of the gaps and the sum of the free amounts of
its lines and rings, and its status is "gedeckt" only when no line or ring has a gap.

Rows that group lines (department, budget part) add their lines' figures. A ring's gap or
free amount is shared among its member lines in proportion to their own gaps or free
amounts, so that the lines of any grouping add up exactly to the rings' and lines' totals.
Rows that group measures (field of action, category, funding source) show the demand of
their measures and the share of each line's gap that their own share causes; they have no
free amount of their own (a surplus on a line belongs to nobody).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Numeric, case, func, select, type_coerce
from sqlalchemy.sql import ColumnElement

from steuerung.extensions import db
from steuerung.formatting import money as format_money
from steuerung.models import (
    ActionField,
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    CommitmentAuthorization,
    CostPlanEntry,
    CoverageRing,
    CoverageRingMember,
    Department,
    FundingSource,
    Goal,
    Measure,
    MeasureCategory,
    MeasureStatus,
    PlanAmount,
    PlanLine,
    measure_goals,
)
from steuerung.services.common.audit import (
    AGENDA_TABLES,
    CORE,
    LINE_MONEY_PART,
    TEXT,
    shared_parts,
)
from steuerung.services.common.cache import Blocks, cached, summed_by_block, top_by_block
from steuerung.services.measures.editing import measure_titles
from steuerung.services.measures.rules import (
    COUNTING_STATUSES,
    SCENARIO_STATUSES,
    measure_reference,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MONEY_TYPE = Numeric(14, 2, asdecimal=True)


def money(value: object) -> Decimal:
    """An amount (or an SQL aggregate, NULL for nothing) as a Decimal with cents."""
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class CoverageStatus(enum.StrEnum):
    """Whether the available money covers the own share."""

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
    RING = "ring"
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
    def by_measure(self) -> bool:
        """True if rows group measures (demand and caused gap only, no budget figures)."""
        return self in MEASURE_GROUPINGS


GROUPING_LABELS = {
    Grouping.TOTAL: "Gesamt",
    Grouping.BUDGET_LINE: "Haushaltsstelle",
    Grouping.RING: "Deckungsring / Haushaltsstelle",
    Grouping.DEPARTMENT: "Teilhaushalt / Fachbereich",
    Grouping.KIND: "Haushaltsteil (konsumtiv / investiv)",
    Grouping.ACTION_FIELD: "Handlungsfeld",
    Grouping.CATEGORY: "Kategorie",
    Grouping.FUNDING_SOURCE: "Finanzierungsquelle",
}
MEASURE_GROUPINGS = (Grouping.ACTION_FIELD, Grouping.CATEGORY, Grouping.FUNDING_SOURCE)
#: German names of the budget parts.
PART_LABELS = {
    BudgetKind.CONSUMPTIVE: "Ergebnishaushalt (konsumtiv)",
    BudgetKind.INVESTIVE: "Finanzhaushalt (investiv)",
}


# --------------------------------------------------------------------------- results


def coverage_status(own: Decimal, gap: Decimal) -> CoverageStatus:
    """gedeckt without a gap; ungedeckt when the gap is the whole own share (or more)."""
    if gap <= 0:
        return CoverageStatus.COVERED
    if gap >= own:
        return CoverageStatus.UNCOVERED
    return CoverageStatus.PARTLY


@dataclass(frozen=True)
class Figures:
    """Coverage of one line, ring, group or total in one year (or summed over years).

    ``planned``, ``base_load``, ``ve_due`` and ``available`` are None for rows that group
    measures (they own no budget money).
    """

    planned: Decimal | None
    base_load: Decimal | None
    ve_due: Decimal | None
    available: Decimal | None
    gross: Decimal
    grant: Decimal
    gap: Decimal
    free: Decimal

    @property
    def own(self) -> Decimal:
        """Eigenanteil: gross cost minus grants."""
        return self.gross - self.grant

    @property
    def status(self) -> CoverageStatus:
        """gedeckt / teilweise gedeckt / ungedeckt."""
        return coverage_status(self.own, self.gap)

    @property
    def ratio(self) -> Decimal | None:
        """Covered part of the own share in percent (None without own share)."""
        if self.own <= 0:
            return None
        return ((self.own - self.gap) * 100 / self.own).quantize(Decimal("0.1"))

    @property
    def grant_share(self) -> Decimal | None:
        """Grants in percent of the gross cost (None without cost)."""
        if self.gross <= 0:
            return None
        return (self.grant * 100 / self.gross).quantize(Decimal("0.1"))

    def cells(self, *, by_measure: bool, detailed: bool) -> list[tuple[str, bool]]:
        """The money cells of a coverage table row in the order of its column headers
        (``templates/budget/_macros.html``): German text, and whether the cell is a gap."""
        shown: list[Decimal | None] = []
        if not by_measure:
            if detailed:
                shown += [self.planned, self.base_load, self.ve_due]
            shown.append(self.available)
        if detailed or by_measure:
            shown += [self.gross, self.grant]
        cells = [("–" if v is None else format_money(v), False) for v in shown]
        cells += [(format_money(self.own), False), (format_money(self.gap), self.gap > 0)]
        if not by_measure:
            cells.append((format_money(self.free), False))
        return cells

    def __add__(self, other: Figures) -> Figures:
        def add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
            return None if a is None or b is None else a + b

        return Figures(
            add(self.planned, other.planned),
            add(self.base_load, other.base_load),
            add(self.ve_due, other.ve_due),
            add(self.available, other.available),
            self.gross + other.gross,
            self.grant + other.grant,
            self.gap + other.gap,
            self.free + other.free,
        )


#: Neutral element of ``Figures + Figures`` for rows that own budget money.
NOTHING = Figures(ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO)
#: Neutral element for rows that group measures.
NO_BUDGET = Figures(None, None, None, None, ZERO, ZERO, ZERO, ZERO)


def total_of(items: Iterable[Figures], start: Figures = NOTHING) -> Figures:
    """The sum of several figures (years of a row, lines of a group)."""
    result = start
    for item in items:
        result = result + item
    return result


def line_figures(
    planned: Decimal, base_load: Decimal, ve_due: Decimal, gross: Decimal, grant: Decimal
) -> Figures:
    """A line standing alone: available, gap and free amount from its plain figures."""
    available = planned - base_load - ve_due
    own = gross - grant
    return Figures(
        planned,
        base_load,
        ve_due,
        available,
        gross,
        grant,
        gap=max(own - available, ZERO),
        free=max(available - own, ZERO),
    )


def share_out(total: Decimal, weights: Mapping[Any, Decimal]) -> dict[Any, Decimal]:
    """Split ``total`` into cents proportionally to ``weights``; the parts add up exactly."""
    weight_sum = sum(weights.values(), ZERO)
    if total <= 0 or weight_sum <= 0:
        return dict.fromkeys(weights, ZERO)
    exact = {key: total * w / weight_sum for key, w in weights.items()}
    parts = {key: value.quantize(CENT, rounding="ROUND_DOWN") for key, value in exact.items()}
    left = int((total - sum(parts.values(), ZERO)) / CENT)
    by_remainder = sorted(exact, key=lambda key: exact[key] - parts[key], reverse=True)
    for key in by_remainder[:left]:
        parts[key] += CENT
    return parts


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class LineInfo:
    """The identifying columns of a budget line."""

    id: int
    label: str
    name: str
    kind: BudgetKind
    department_id: int
    department_code: str
    department_name: str


@dataclass(frozen=True)
class LineYear:
    """Plain figures of one line in one year, as stored."""

    planned: Decimal = ZERO
    base_load: Decimal = ZERO
    ve_due: Decimal = ZERO
    gross: Decimal = ZERO
    grant: Decimal = ZERO


@dataclass(frozen=True)
class RingInfo:
    """A Deckungsring of one year with its member lines."""

    id: int
    name: str
    year: int
    kind: BudgetKind
    line_ids: tuple[int, ...]


@dataclass
class BudgetFacts:
    """Everything :func:`compute` needs, loaded by :func:`load_facts` (or built in a test)."""

    years: list[int]
    lines: dict[int, LineInfo]
    figures: dict[tuple[int, int], LineYear]
    rings: list[RingInfo] = field(default_factory=list)
    #: Demand of the measure groups (measure groupings and measure filters):
    #: group key -> (line id, year) -> (gross, grant). None: no measure selection.
    groups: dict[Any, dict[tuple[int, int], tuple[Decimal, Decimal]]] | None = None
    #: Labels of the measure groups.
    group_labels: dict[Any, str] = field(default_factory=dict)
    #: Show only this department's lines (the rules still see every line: rings may span
    #: departments).
    department_id: int | None = None

    def shown(self, line_id: int) -> bool:
        """Whether a line belongs to the selection shown."""
        return self.department_id is None or self.lines[line_id].department_id == self.department_id


# --------------------------------------------------------------------------- calculation


@dataclass
class UnitResult:
    """A ring or a line standing alone, in one year: the unit the rules compare."""

    year: int
    ring: RingInfo | None
    line_ids: tuple[int, ...]
    figures: Figures

    @property
    def label(self) -> str:
        """The ring's name or the line's key."""
        return f"Deckungsring „{self.ring.name}“" if self.ring else ""


@dataclass
class Coverage:
    """The result of :func:`compute`.

    ``lines[(line, year)]`` are the lines' figures with a ring's gap and free amount shared
    among its members (they add up to the units); ``standalone[(line, year)]`` are the
    lines' figures as if they stood alone; ``units[year]`` are the rings and lone lines.
    """

    years: list[int]
    info: dict[int, LineInfo]
    lines: dict[tuple[int, int], Figures]
    standalone: dict[tuple[int, int], Figures]
    units: dict[int, list[UnitResult]]
    ring_of: dict[tuple[int, int], RingInfo]

    def total(
        self, year: int, kind: BudgetKind | None = None, line_ids: Iterable[int] | None = None
    ) -> Figures:
        """Sum over the lines (ring shares included) of a year: equal to the sum over the
        rings and lone lines; of one budget part if ``kind`` is given, of some lines if
        ``line_ids`` is given."""
        ids = self.info if line_ids is None else line_ids
        return total_of(
            self.lines[(i, year)]
            for i in ids
            if (i, year) in self.lines and (kind is None or self.info[i].kind == kind)
        )


def compute(facts: BudgetFacts) -> Coverage:
    """Apply the cover rules (module docstring) to ``facts``; no database needed."""
    standalone: dict[tuple[int, int], Figures] = {}
    for (line_id, year), f in facts.figures.items():
        if line_id in facts.lines and year in facts.years:
            standalone[(line_id, year)] = line_figures(
                f.planned, f.base_load, f.ve_due, f.gross, f.grant
            )
    ring_of: dict[tuple[int, int], RingInfo] = {}
    for ring in facts.rings:
        if ring.year in facts.years:
            for line_id in ring.line_ids:
                if line_id in facts.lines:
                    ring_of[(line_id, ring.year)] = ring
    lines: dict[tuple[int, int], Figures] = {}
    units: dict[int, list[UnitResult]] = defaultdict(list)
    members: dict[tuple[int, int], list[int]] = defaultdict(list)
    for (line_id, year), figures in standalone.items():
        in_ring = ring_of.get((line_id, year))
        if in_ring is None:
            lines[(line_id, year)] = figures
            units[year].append(UnitResult(year, None, (line_id,), figures))
        else:
            members[(in_ring.id, year)].append(line_id)
    for ring in facts.rings:
        ids = sorted(members.get((ring.id, ring.year), []))
        if not ids:
            continue
        summed = total_of(standalone[(i, ring.year)] for i in ids)
        own, available = summed.own, summed.available or ZERO
        ring_figures = replace(
            summed, gap=max(own - available, ZERO), free=max(available - own, ZERO)
        )
        units[ring.year].append(UnitResult(ring.year, ring, tuple(ids), ring_figures))
        gaps = share_out(ring_figures.gap, {i: standalone[(i, ring.year)].gap for i in ids})
        frees = share_out(ring_figures.free, {i: standalone[(i, ring.year)].free for i in ids})
        for i in ids:
            lines[(i, ring.year)] = replace(standalone[(i, ring.year)], gap=gaps[i], free=frees[i])
    for year in units:
        units[year].sort(key=lambda u: (u.ring is None, u.ring.name if u.ring else "", u.line_ids))
    return Coverage(facts.years, facts.lines, lines, standalone, dict(units), ring_of)


def group_figures(
    coverage: Coverage,
    demand: Mapping[tuple[int, int], tuple[Decimal, Decimal]],
) -> dict[int, Figures]:
    """Per year: the demand of a group of measures and the part of the gaps it causes.

    The gap of each line (ring share included) is attributed to the group in proportion to
    the group's own share of the line's own share. Groups have no free amount.
    """
    result: dict[int, Figures] = {}
    for year in coverage.years:
        gross = grant = gap = ZERO
        for (line_id, y), (g_gross, g_grant) in demand.items():
            if y != year or (line_id, year) not in coverage.lines:
                continue
            line = coverage.lines[(line_id, year)]
            gross += g_gross
            grant += g_grant
            if line.own > 0 and line.gap > 0:
                gap += money(line.gap * min(Decimal(1), (g_gross - g_grant) / line.own))
        result[year] = Figures(None, None, None, None, gross, grant, gap, ZERO)
    return result


# --------------------------------------------------------------------------- loading


def statuses_for(include_submitted: bool) -> list[MeasureStatus]:
    """The measure states whose cost counts (the scenario adds submitted ones)."""
    statuses = list(COUNTING_STATUSES)
    if include_submitted:
        statuses += list(SCENARIO_STATUSES)
    return statuses


def grant_expr() -> ColumnElement[Decimal]:
    """SQL: a cost row's grant or third-party part (``amount x share``, rounded per row)."""
    return case(
        (
            CostPlanEntry.funding_source != FundingSource.OWN,
            func.round(CostPlanEntry.amount * CostPlanEntry.funding_share / 100, 2),
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


def _demand_rows(
    years: list[int],
    statuses: list[MeasureStatus],
    line_condition: list[ColumnElement[bool]],
    measure_conditions: list[ColumnElement[bool]],
    *group_cols: Any,
) -> Any:
    """Gross and grant per (group columns, line, year) of the counting measures."""
    query = (
        select(
            *group_cols,
            CostPlanEntry.budget_line_id,
            CostPlanEntry.year,
            type_coerce(func.sum(CostPlanEntry.amount), MONEY_TYPE),
            type_coerce(func.sum(grant_expr()), MONEY_TYPE),
        )
        .join(Measure, Measure.id == CostPlanEntry.measure_id)
        .where(Measure.status.in_(statuses), CostPlanEntry.year.in_(years), *measure_conditions)
        .group_by(*group_cols, CostPlanEntry.budget_line_id, CostPlanEntry.year)
    )
    if line_condition:
        query = query.join(BudgetLine, BudgetLine.id == CostPlanEntry.budget_line_id).where(
            *line_condition
        )
    return db.session.execute(query)


def demand_per_line(
    years: list[int], statuses: list[MeasureStatus]
) -> dict[tuple[int, int], tuple[Decimal, Decimal]]:
    """Gross and grant per (line, year) of the measures in ``statuses``, kept per block of
    measures: after a change only the changed measures' block is read again."""

    def rows(blocks: Blocks) -> Any:
        measure_id = CostPlanEntry.measure_id
        return _demand_rows(years, statuses, [], blocks.only(measure_id), blocks.of(measure_id))

    return summed_by_block(
        "coverage.demand_per_line",
        (tuple(years), tuple(sorted(statuses))),
        rows,
        keys=2,
        reads=(CORE,),
    )


#: What the lines and the money on them read (budget lines, departments, Ansatz, base load,
#: VE, rings, plan versions).
LINE_PARTS = (*shared_parts("budget_lines", "departments"), LINE_MONEY_PART)
#: What the figures per line read besides the measures' own data (block group ``CORE``):
#: lines, departments, the agenda (groupings by field of action), money on lines
#: (Ansatz, base load, VE, rings, plan versions).
FACTS_PARTS = (*shared_parts("budget_lines", "departments", *AGENDA_TABLES), LINE_MONEY_PART)


def load_facts(
    years: list[int],
    *,
    include_submitted: bool = False,
    department_id: int | None = None,
    action_field_id: int | None = None,
    category: MeasureCategory | None = None,
    group_by: Grouping | None = None,
    plan_version_id: int | None = None,
) -> BudgetFacts:
    """The figures per line and year, cached until data they read changes (read-only
    result); see :func:`_load_facts`."""
    return cached(
        "coverage.facts",
        (
            tuple(years),
            include_submitted,
            department_id,
            action_field_id,
            category,
            group_by,
            plan_version_id,
        ),
        lambda: _load_facts(
            years,
            include_submitted=include_submitted,
            department_id=department_id,
            action_field_id=action_field_id,
            category=category,
            group_by=group_by,
            plan_version_id=plan_version_id,
        ),
        parts=FACTS_PARTS,
        reads=(CORE,),
    )


def _load_facts(
    years: list[int],
    *,
    include_submitted: bool = False,
    department_id: int | None = None,
    action_field_id: int | None = None,
    category: MeasureCategory | None = None,
    group_by: Grouping | None = None,
    plan_version_id: int | None = None,
) -> BudgetFacts:
    """Read the figures per line and year (six aggregate queries whatever the portfolio,
    one more with a plan version).

    ``department_id`` keeps the lines of that department (Teilhaushalt). ``action_field_id``
    and ``category`` select measures, ``group_by`` (a measure grouping) groups them: their
    demand is loaded as ``groups`` besides the lines' full demand, which the rules need.
    ``plan_version_id`` takes the planned amounts from that plan version (Anmeldung, Entwurf,
    ..., see ``services.planning``) instead of the stored Ansatz/Planung: a line the version
    does not name plans nothing; base load and VE stay as recorded.
    """
    years = sorted(years)
    statuses = statuses_for(include_submitted)
    shared_lines, money_on_lines, rings = cached(
        "coverage.line_money",
        (tuple(years), plan_version_id),
        lambda: _line_money(years, plan_version_id),
        parts=LINE_PARTS,
        reads=(),
    )
    lines = dict(shared_lines)  # the cached part is shared: read-only
    figures: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(dict)
    for key, values in money_on_lines.items():
        figures[key].update(values)
    for (line_id, year), (gross, grant) in demand_per_line(years, statuses).items():
        figures[(line_id, year)].update(gross=money(gross), grant=money(grant))

    facts = BudgetFacts(
        years=years,
        lines=lines,
        figures={key: LineYear(**values) for key, values in figures.items() if key[0] in lines},
        rings=list(rings),
        department_id=department_id,
    )
    measure_conditions = _measure_filters(action_field_id, category)
    if measure_conditions or (group_by is not None and group_by.by_measure):
        department = [BudgetLine.department_id == department_id] if department_id else []
        _load_groups(facts, statuses, department, measure_conditions, group_by)
    return facts


def _line_money(
    years: list[int], plan_version_id: int | None
) -> tuple[dict[int, LineInfo], dict[tuple[int, int], dict[str, Decimal]], list[RingInfo]]:
    """The lines, the money on them per (line, year) (Ansatz/Planung or the plan version's,
    base load, VE due) and the rings: what the coverage reads besides the measures (cached
    by these tables' parts, so a change to a measure reads none of it again)."""
    # Every line is loaded: a ring may span departments, and the rules need all its lines.
    line_condition: list[ColumnElement[bool]] = []

    line_query = select(
        BudgetLine.id,
        BudgetLine.product,
        BudgetLine.cost_center,
        BudgetLine.account,
        BudgetLine.investment_number,
        BudgetLine.name,
        BudgetLine.kind,
        BudgetLine.department_id,
        Department.code.label("department_code"),
        Department.name.label("department_name"),
    ).join(Department, Department.id == BudgetLine.department_id)
    lines = {
        row.id: LineInfo(
            row.id,
            " / ".join(
                p for p in (row.product, row.cost_center, row.account, row.investment_number) if p
            ),
            row.name,
            BudgetKind(row.kind),
            row.department_id,
            row.department_code,
            row.department_name,
        )
        for row in db.session.execute(line_query.where(*line_condition))
    }

    figures: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(dict)
    amount_query = (
        select(
            BudgetAmount.budget_line_id,
            BudgetAmount.year,
            BudgetAmount.approved_amount,
            BudgetAmount.base_load,
        )
        .join(BudgetLine, BudgetLine.id == BudgetAmount.budget_line_id)
        .where(BudgetAmount.year.in_(years), *line_condition)
    )
    for line_id, year, planned, base_load in db.session.execute(amount_query):
        figures[(line_id, year)].update(planned=money(planned), base_load=money(base_load))
    if plan_version_id is not None:
        _use_plan_version(figures, plan_version_id, years)
    ve_query = (
        select(
            CommitmentAuthorization.budget_line_id,
            CommitmentAuthorization.due_year,
            type_coerce(func.sum(CommitmentAuthorization.amount), MONEY_TYPE),
        )
        .join(BudgetLine, BudgetLine.id == CommitmentAuthorization.budget_line_id)
        .where(
            CommitmentAuthorization.due_year.in_(years),
            CommitmentAuthorization.archived_at.is_(None),
            *line_condition,
        )
        .group_by(CommitmentAuthorization.budget_line_id, CommitmentAuthorization.due_year)
    )
    for line_id, year, amount in db.session.execute(ve_query):
        figures[(line_id, year)]["ve_due"] = money(amount)

    ring_members: dict[int, list[int]] = defaultdict(list)
    ring_rows = db.session.execute(
        select(CoverageRing.id, CoverageRing.name, CoverageRing.year, CoverageRing.kind).where(
            CoverageRing.year.in_(years)
        )
    ).all()
    for ring_id, line_id in db.session.execute(
        select(CoverageRingMember.ring_id, CoverageRingMember.budget_line_id).where(
            CoverageRingMember.year.in_(years)
        )
    ):
        ring_members[ring_id].append(line_id)
    rings = [
        RingInfo(r.id, r.name, r.year, BudgetKind(r.kind), tuple(sorted(ring_members[r.id])))
        for r in ring_rows
    ]
    return lines, dict(figures), rings


def _use_plan_version(
    figures: dict[tuple[int, int], dict[str, Decimal]], plan_version_id: int, years: list[int]
) -> None:
    """Replace the planned amounts by those of a plan version (one query)."""
    for values in figures.values():
        values["planned"] = ZERO
    query = (
        select(PlanLine.budget_line_id, PlanAmount.year, PlanAmount.amount)
        .join(PlanAmount, PlanAmount.plan_line_id == PlanLine.id)
        .where(
            PlanLine.plan_version_id == plan_version_id,
            PlanLine.budget_line_id.is_not(None),
            PlanAmount.year.in_(years),
        )
    )
    for line_id, year, amount in db.session.execute(query):
        if line_id is not None:  # always (see the query); narrows the nullable column's type
            figures[(line_id, year)]["planned"] = money(amount)


def _load_groups(
    facts: BudgetFacts,
    statuses: list[MeasureStatus],
    line_condition: list[ColumnElement[bool]],
    measure_conditions: list[ColumnElement[bool]],
    group_by: Grouping | None,
) -> None:
    """Demand of the selected measures, per group of ``group_by`` (or one group)."""
    groups: dict[Any, dict[tuple[int, int], tuple[Decimal, Decimal]]] = defaultdict(dict)
    labels: dict[Any, str] = {}
    if group_by == Grouping.ACTION_FIELD:
        pairs = (
            select(
                measure_goals.c.measure_id.label("measure_id"),
                Goal.action_field_id.label("action_field_id"),
            )
            .join(Goal, Goal.id == measure_goals.c.goal_id)
            .distinct()
            .subquery()
        )
        rows = db.session.execute(
            select(
                pairs.c.action_field_id,
                CostPlanEntry.budget_line_id,
                CostPlanEntry.year,
                type_coerce(func.sum(CostPlanEntry.amount), MONEY_TYPE),
                type_coerce(func.sum(grant_expr()), MONEY_TYPE),
            )
            .join(Measure, Measure.id == CostPlanEntry.measure_id)
            .join(BudgetLine, BudgetLine.id == CostPlanEntry.budget_line_id)
            .outerjoin(pairs, pairs.c.measure_id == Measure.id)
            .where(
                Measure.status.in_(statuses),
                CostPlanEntry.year.in_(facts.years),
                *line_condition,
                *measure_conditions,
            )
            .group_by(pairs.c.action_field_id, CostPlanEntry.budget_line_id, CostPlanEntry.year)
        )
        names = {
            row.id: f"{row.code} {row.name}"
            for row in db.session.execute(
                select(ActionField.id, ActionField.code, ActionField.name)
            )
        }
        for key, line_id, year, gross, grant in rows:
            groups[key][(line_id, year)] = (money(gross), money(grant))
            labels[key] = names.get(key, "ohne Handlungsfeld")
    else:
        column: Any = {
            Grouping.CATEGORY: Measure.category,
            Grouping.FUNDING_SOURCE: CostPlanEntry.funding_source,
        }.get(group_by)  # type: ignore[arg-type]
        cols = [column] if column is not None else []
        for row in _demand_rows(facts.years, statuses, line_condition, measure_conditions, *cols):
            key = row[0] if cols else "selection"
            line_id, year, gross, grant = row[-4:]
            groups[key][(line_id, year)] = (money(gross), money(grant))
            if group_by == Grouping.CATEGORY:
                labels[key] = MeasureCategory(key).label
            elif group_by == Grouping.FUNDING_SOURCE:
                labels[key] = FundingSource(key).label
            else:
                labels[key] = "Auswahl"
    facts.groups = dict(groups)
    facts.group_labels = labels


# --------------------------------------------------------------------------- tables


@dataclass
class MeasureDemand:
    """A measure's demand on one budget line, per year (rows of the expandable details)."""

    measure_id: int
    title: str
    department_code: str
    status: MeasureStatus
    budget_line_id: int
    amounts: dict[int, Decimal]
    #: Part of the amounts financed by grants or third parties (over the years shown).
    grant: Decimal
    #: Funding sources used (labels), and programme names.
    funding: str

    @property
    def reference(self) -> str:
        """Human-readable id, e.g. ``M-0042``."""
        return measure_reference(self.measure_id)

    @property
    def total(self) -> Decimal:
        """Gross cost over the years."""
        return sum(self.amounts.values(), ZERO)

    @property
    def own(self) -> Decimal:
        """Eigenanteil over the years."""
        return self.total - self.grant

    def cells(self, years: list[int]) -> list[tuple[str, bool]]:
        """Amount of each year, gross total and Eigenanteil as German money cells (text,
        never a gap)."""
        amounts = (*(self.amounts.get(y) for y in years), self.total, self.own)
        return [(format_money(v), False) for v in amounts]


@dataclass
class CoverageRow:
    """One row of a coverage table: a line, ring, department, budget part, field, ..."""

    key: Any
    label: str
    years: dict[int, Figures]
    #: Extra description (the line's name and department, the ring's members ...).
    detail: str = ""
    #: The budget part of the row (lines, rings, budget-part rows), if it has one.
    kind: BudgetKind | None = None
    #: The Deckungsring a line belongs to in each year (budget-line rows).
    rings: dict[int, str] = field(default_factory=dict)
    #: The line's own figures before its ring shares gap and surplus (budget-line rows).
    standalone: dict[int, Figures] = field(default_factory=dict)
    measures: list[MeasureDemand] = field(default_factory=list)
    #: Number of measures on the line (``measures`` may hold only the first ones).
    measure_count: int = 0

    @property
    def total(self) -> Figures:
        """The horizon: yearly figures added (a surplus in one year covers no other year)."""
        start = NO_BUDGET if any(f.available is None for f in self.years.values()) else NOTHING
        return total_of(self.years.values(), start)

    def cells(
        self, years: list[int], *, by_measure: bool, detailed: bool
    ) -> list[tuple[str, bool]]:
        """The money cells of the row: each year's, then the horizon's (see ``Figures.cells``)."""
        shown = [*(self.years[y] for y in years), self.total]
        return [c for f in shown for c in f.cells(by_measure=by_measure, detailed=detailed)]

    @property
    def has_gap(self) -> bool:
        """True if the row has a gap in any year."""
        return any(f.gap > 0 for f in self.years.values())


@dataclass
class CoverageTable:
    """A coverage table: rows by one grouping, year columns, totals per budget part."""

    grouping: Grouping
    years: list[int]
    include_submitted: bool
    rows: list[CoverageRow]
    #: The total row: every line and ring of the selection.
    total: CoverageRow
    #: One total row per budget part (konsumtiv, investiv) that has figures.
    parts: list[CoverageRow]

    @property
    def by_measure(self) -> bool:
        """True when rows group measures (no budget figures of their own)."""
        return self.grouping.by_measure


def _line_rows(coverage: Coverage, facts: BudgetFacts) -> list[CoverageRow]:
    rows = []
    for line_id, info in facts.lines.items():
        if not facts.shown(line_id):
            continue
        years = {
            y: coverage.lines[(line_id, y)] for y in facts.years if (line_id, y) in coverage.lines
        }
        if not years:
            continue
        rows.append(
            CoverageRow(
                key=line_id,
                label=info.label,
                detail=f"{info.name} ({info.department_code})",
                kind=info.kind,
                years={y: years.get(y, NOTHING) for y in facts.years},
                rings={
                    y: coverage.ring_of[(line_id, y)].name
                    for y in facts.years
                    if (line_id, y) in coverage.ring_of
                },
                standalone={
                    y: coverage.standalone[(line_id, y)]
                    for y in facts.years
                    if (line_id, y) in coverage.standalone
                },
            )
        )
    return rows


def _grouped(rows: list[CoverageRow], key_of: Any, years: list[int]) -> list[CoverageRow]:
    """Rows of lines added up by ``key_of(row) -> (key, label, kind)``."""
    grouped: dict[Any, CoverageRow] = {}
    for row in rows:
        key, label, kind = key_of(row)
        target = grouped.setdefault(
            key, CoverageRow(key=key, label=label, kind=kind, years=dict.fromkeys(years, NOTHING))
        )
        for year in years:
            target.years[year] = target.years[year] + row.years[year]
    return list(grouped.values())


def _unit_rows(coverage: Coverage, facts: BudgetFacts) -> list[CoverageRow]:
    rows: dict[Any, CoverageRow] = {}
    for year, units in coverage.units.items():
        for unit in units:
            if not any(facts.shown(i) for i in unit.line_ids):
                continue
            if unit.ring is not None:
                key: Any = ("ring", unit.ring.name)
                members = ", ".join(facts.lines[i].label for i in unit.line_ids)
                label, detail = f"Deckungsring „{unit.ring.name}“", members
            else:
                key = ("line", unit.line_ids[0])
                info = facts.lines[unit.line_ids[0]]
                label, detail = info.label, f"{info.name} ({info.department_code})"
            row = rows.setdefault(
                key,
                CoverageRow(
                    key=key,
                    label=label,
                    detail=detail,
                    kind=facts.lines[unit.line_ids[0]].kind,
                    years=dict.fromkeys(facts.years, NOTHING),
                ),
            )
            row.years[year] = unit.figures
    return sorted(rows.values(), key=lambda r: (r.key[0] != "ring", r.label))


def build_table(
    facts: BudgetFacts, grouping: Grouping, include_submitted: bool = False
) -> CoverageTable:
    """The coverage table of ``facts`` by ``grouping`` (pure: no database)."""
    coverage = compute(facts)
    years = facts.years
    line_rows = _line_rows(coverage, facts)
    if facts.groups is not None:
        demand_all: dict[tuple[int, int], tuple[Decimal, Decimal]] = defaultdict(
            lambda: (ZERO, ZERO)
        )
        for demand in facts.groups.values():
            for key, (gross, grant) in demand.items():
                g, r = demand_all[key]
                demand_all[key] = (g + gross, r + grant)
        selection = group_figures(coverage, demand_all)
        total = CoverageRow(key="total", label="Summe", years=selection)
        parts = []
    else:
        shown = [i for i in facts.lines if facts.shown(i)]
        total = CoverageRow(
            key="total", label="Summe", years={y: coverage.total(y, line_ids=shown) for y in years}
        )
        parts = [
            CoverageRow(
                key=kind,
                label=PART_LABELS[kind],
                kind=kind,
                years={y: coverage.total(y, kind, shown) for y in years},
            )
            for kind in BudgetKind
            if any(facts.lines[i].kind == kind for i in shown)
        ]
    if grouping == Grouping.BUDGET_LINE:
        rows = line_rows
    elif grouping == Grouping.RING:
        rows = _unit_rows(coverage, facts)
    elif grouping == Grouping.DEPARTMENT:
        info = facts.lines
        rows = _grouped(
            line_rows,
            lambda r: (
                info[r.key].department_id,
                f"{info[r.key].department_code} {info[r.key].department_name}",
                None,
            ),
            years,
        )
    elif grouping == Grouping.KIND:
        rows = _grouped(line_rows, lambda r: (r.kind, PART_LABELS[r.kind], r.kind), years)
    elif grouping.by_measure and facts.groups is not None:
        rows = [
            CoverageRow(
                key=key,
                label=facts.group_labels.get(key, str(key)),
                years=group_figures(coverage, demand),
            )
            for key, demand in facts.groups.items()
        ]
    else:
        rows = []
    rows.sort(key=lambda r: (r.label == "ohne Handlungsfeld", r.label))
    if grouping == Grouping.RING:
        rows.sort(key=lambda r: (r.key[0] != "ring", r.label))
    return CoverageTable(grouping, years, include_submitted, rows, total, parts)


def coverage_table(
    years: list[int],
    grouping: Grouping = Grouping.BUDGET_LINE,
    *,
    include_submitted: bool = False,
    department_id: int | None = None,
    action_field_id: int | None = None,
    category: MeasureCategory | None = None,
    with_measures: bool = False,
    measures_limit: int = 10,
    plan_version_id: int | None = None,
) -> CoverageTable:
    """Coverage by ``grouping`` for ``years`` (see the module docstring for the rules).

    ``department_id`` keeps that department's lines; ``action_field_id`` and ``category``
    select measures. ``with_measures`` (budget-line grouping) adds each line's measures
    (the ``measures_limit`` largest per line; ``measure_count`` has the full number).
    ``plan_version_id``: planned amounts of that plan version (see :func:`load_facts`).
    Cached until data it reads changes (with measures: their titles too): the table is
    shared, read-only.
    """
    return cached(
        "coverage.table",
        (
            tuple(years),
            grouping,
            include_submitted,
            department_id,
            action_field_id,
            category,
            with_measures,
            measures_limit,
            plan_version_id,
        ),
        lambda: _coverage_table(
            years,
            grouping,
            include_submitted=include_submitted,
            department_id=department_id,
            action_field_id=action_field_id,
            category=category,
            with_measures=with_measures,
            measures_limit=measures_limit,
            plan_version_id=plan_version_id,
        ),
        parts=FACTS_PARTS,
        reads=(CORE, TEXT) if with_measures else (CORE,),
    )


def _coverage_table(
    years: list[int],
    grouping: Grouping,
    *,
    include_submitted: bool,
    department_id: int | None,
    action_field_id: int | None,
    category: MeasureCategory | None,
    with_measures: bool,
    measures_limit: int,
    plan_version_id: int | None,
) -> CoverageTable:
    facts = load_facts(
        years,
        include_submitted=include_submitted,
        department_id=department_id,
        action_field_id=action_field_id,
        category=category,
        group_by=grouping,
        plan_version_id=plan_version_id,
    )
    table = build_table(facts, grouping, include_submitted)
    if with_measures and grouping == Grouping.BUDGET_LINE:
        by_line, counts = _measures_by_line(
            table.years,
            include_submitted=include_submitted,
            department_id=department_id,
            action_field_id=action_field_id,
            category=category,
            limit_per_line=measures_limit,
        )
        for row in table.rows:
            row.measures = by_line.get(row.key, [])
            row.measure_count = counts.get(row.key, 0)
    return table


@dataclass(frozen=True)
class YearCoverage:
    """The totals of one year: what pages, tiles, charts, reports and exports show."""

    year: int
    figures: Figures
    #: Totals of the budget parts (konsumtiv, investiv) in that year.
    parts: dict[BudgetKind, Figures]

    @property
    def gap(self) -> Decimal:
        """Sum of the gaps of all lines and rings."""
        return self.figures.gap

    @property
    def free(self) -> Decimal:
        """Sum of the free amounts of all lines and rings."""
        return self.figures.free

    @property
    def status(self) -> CoverageStatus:
        """gedeckt only when no line or ring has a gap."""
        return self.figures.status


def coverage_by_year(
    years: list[int],
    *,
    include_submitted: bool = False,
    department_id: int | None = None,
    action_field_id: int | None = None,
    category: MeasureCategory | None = None,
    plan_version_id: int | None = None,
) -> list[YearCoverage]:
    """The totals per year (start page, dashboard, council report, leadership summary);
    with ``plan_version_id`` for the planned amounts of that plan version."""
    table = coverage_table(
        years,
        Grouping.TOTAL,
        include_submitted=include_submitted,
        department_id=department_id,
        action_field_id=action_field_id,
        category=category,
        plan_version_id=plan_version_id,
    )
    return [
        YearCoverage(
            year,
            table.total.years[year],
            {part.kind: part.years[year] for part in table.parts if part.kind is not None},
        )
        for year in table.years
    ]


def _funding_text(min_source: str, max_source: str, programme: str | None) -> str:
    """ "Eigenmittel", "Fördermittel (Programm)" or "gemischt" for a measure on a line."""
    text = "gemischt" if min_source != max_source else FundingSource(min_source).label
    if programme:
        text += f" ({programme})"
    return text


def _line_measure_ids(line_id: int, years: list[int], include_submitted: bool) -> Any:
    """The ids of the counting measures with cost rows on a line in ``years`` (distinct)."""
    return (
        select(CostPlanEntry.measure_id)
        .join(Measure, Measure.id == CostPlanEntry.measure_id)
        .where(
            CostPlanEntry.budget_line_id == line_id,
            CostPlanEntry.year.in_(years),
            Measure.status.in_(statuses_for(include_submitted)),
        )
        .distinct()
    )


def count_line_measures(line_id: int, years: list[int], *, include_submitted: bool) -> int:
    """How many counting measures plan costs on a line in ``years`` (counted in SQL)."""
    ids = _line_measure_ids(line_id, years, include_submitted).subquery()
    return db.session.scalar(select(func.count()).select_from(ids)) or 0


def line_measures_page(
    line_id: int, years: list[int], *, include_submitted: bool, offset: int, limit: int
) -> list[MeasureDemand]:
    """One page of a line's counting measures (by number) with their amounts per year: a
    line can carry thousands of measures, the page reads ``limit`` of them."""
    years = sorted(years)
    page_ids = (
        _line_measure_ids(line_id, years, include_submitted)
        .order_by(CostPlanEntry.measure_id)
        .offset(offset)
        .limit(limit)
    )
    sub = (
        _demand_sums(years, include_submitted)
        .where(
            CostPlanEntry.budget_line_id == line_id,
            CostPlanEntry.measure_id.in_(page_ids.scalar_subquery()),
        )
        .subquery()
    )
    rows = db.session.execute(_with_measure_columns(sub).order_by(sub.c.measure_id))
    return [_demand(row, years) for row in rows]


def _measures_by_line(
    years: list[int],
    *,
    include_submitted: bool = False,
    department_id: int | None = None,
    action_field_id: int | None = None,
    category: MeasureCategory | None = None,
    limit_per_line: int,
) -> tuple[dict[int, list[MeasureDemand]], dict[int, int]]:
    """Measures per line (the ``limit_per_line`` largest of each) and the count per line,
    kept per block of measures (``services.common.cache.top_by_block``)."""
    years = sorted(years)

    def query(*conditions: ColumnElement[bool]) -> Any:
        query = (
            _demand_sums(years, include_submitted)
            .join(BudgetLine, BudgetLine.id == CostPlanEntry.budget_line_id)
            .where(*_measure_filters(action_field_id, category), *conditions)
        )
        if department_id is not None:
            query = query.where(BudgetLine.department_id == department_id)
        return query

    def block_rows(blocks: Blocks) -> Any:
        # The limit is applied in SQL with ROW_NUMBER() per block and line, so a page that
        # shows a few measures per line does not load every measure.
        block = blocks.of(CostPlanEntry.measure_id)
        window = (block, CostPlanEntry.budget_line_id)
        sub = (
            query(*blocks.only(CostPlanEntry.measure_id))
            .add_columns(
                block.label("block"),
                type_coerce(func.sum(CostPlanEntry.amount), MONEY_TYPE).label("size"),
                func.count().over(partition_by=window).label("line_count"),
                func.row_number()
                .over(
                    partition_by=window,
                    order_by=(func.sum(CostPlanEntry.amount).desc(), CostPlanEntry.measure_id),
                )
                .label("position"),
            )
            .subquery()
        )
        # Without titles: a new title reads no block again (fetched below by id).
        columns = (
            _with_measure_columns(sub, title=False)
            .where(sub.c.position <= limit_per_line)
            .subquery()
        )
        first = ("block", "line_id", "line_count")  # what top_by_block reads by position
        return db.session.connection().execute(
            select(
                *(columns.c[name] for name in first),
                *(column for column in columns.c if column.key not in first),
            )
        )

    def largest_first(row: Any) -> tuple[Decimal, int]:
        return (-row.size, row.measure_id)

    tops = top_by_block(
        "coverage.measures_by_line",
        (tuple(years), include_submitted, department_id, action_field_id, category),
        block_rows,
        limit=limit_per_line,
        order=largest_first,
        groups=1,
        shared_parts=shared_parts("budget_lines", "departments", *AGENDA_TABLES),
        reads=(CORE,),
    )
    ordered = sorted(tops.items(), key=lambda item: item[0])
    titles = measure_titles(row.measure_id for _, (_, rows) in ordered for row in rows)
    result = {
        line_id: [_demand(row, years, titles.get(row.measure_id, "")) for row in rows]
        for (line_id,), (_, rows) in ordered
    }
    counts = {line_id: count for (line_id,), (count, _) in ordered}
    return result, counts


def _demand_sums(years: list[int], include_submitted: bool) -> Any:
    """Per budget line and counting measure: amount per year (``y0``...), grant, funding
    sources and programme (grouped query; callers add filters and window columns)."""
    year_sums = [
        type_coerce(
            func.sum(case((CostPlanEntry.year == y, CostPlanEntry.amount), else_=0)), MONEY_TYPE
        ).label(f"y{i}")
        for i, y in enumerate(years)
    ]
    return (
        select(
            CostPlanEntry.budget_line_id.label("line_id"),
            CostPlanEntry.measure_id.label("measure_id"),
            type_coerce(func.sum(grant_expr()), MONEY_TYPE).label("grant"),
            func.min(CostPlanEntry.funding_source).label("min_source"),
            func.max(CostPlanEntry.funding_source).label("max_source"),
            func.max(CostPlanEntry.funding_programme).label("programme"),
            *year_sums,
        )
        .join(Measure, Measure.id == CostPlanEntry.measure_id)
        .where(Measure.status.in_(statuses_for(include_submitted)), CostPlanEntry.year.in_(years))
        .group_by(CostPlanEntry.budget_line_id, CostPlanEntry.measure_id)
    )


def _with_measure_columns(sub: Any, *, title: bool = True) -> Any:
    """``sub`` (from :func:`_demand_sums`) with each measure's status, department and
    (``title``) title."""
    return (
        select(
            sub,
            *([Measure.title.label("title")] if title else []),
            Measure.status.label("status"),
            Department.code.label("dept_code"),
        )
        .join(Measure, Measure.id == sub.c.measure_id)
        .join(Department, Department.id == Measure.department_id)
    )


def _demand(row: Any, years: list[int], title: str | None = None) -> MeasureDemand:
    return MeasureDemand(
        measure_id=row.measure_id,
        title=row.title if title is None else title,
        department_code=row.dept_code,
        status=MeasureStatus(row.status),
        budget_line_id=row.line_id,
        amounts={y: money(getattr(row, f"y{i}")) for i, y in enumerate(years)},
        grant=money(row.grant),
        funding=_funding_text(str(row.min_source), str(row.max_source), row.programme),
    )


def iter_measure_demands(years: list[int], *, include_submitted: bool) -> Iterator[MeasureDemand]:
    """Every counting measure's demand per budget line, ordered by measure and line key,
    read in batches (the full export: memory does not grow with the portfolio)."""
    years = sorted(years)
    sub = _demand_sums(years, include_submitted).subquery()
    query = (
        _with_measure_columns(sub)
        .join(BudgetLine, BudgetLine.id == sub.c.line_id)
        .order_by(sub.c.measure_id, BudgetLine.product, BudgetLine.cost_center, BudgetLine.account)
        .execution_options(yield_per=2000)
    )
    for row in db.session.execute(query):
        yield _demand(row, years)
