"""The ranked portfolio, the bubble chart data and the budget cut-off scenario.

Rank order (documented once, here):

1. The *natural order* is priority class (A, B, C, unscored), then score descending, then id.
   Gates make a measure class A (see ``services.scoring``), so must-measures come first.
2. A manual rank override (with reason) puts the measure at that position (1 = first);
   the other measures fill the remaining positions in natural order. Two overrides with the
   same number keep their natural order; an override beyond the end puts the measure last.

Cut-off scenario: for one year and an available amount, the measures with cost in that year
are walked in rank order and their cost in that year is cumulated. The line is drawn at the
first measure whose cumulated cost exceeds the amount: it and every measure after it fall
below the line (a strict line: a cheaper measure further down does not jump the queue).
A cumulated cost exactly equal to the amount still fits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from steuerung.extensions import db
from steuerung.models import (
    ActionField,
    BudgetScenario,
    Department,
    Goal,
    Measure,
    MeasureStatus,
    User,
    measure_goals,
)
from steuerung.services.common.columns import TableColumn
from steuerung.services.common.errors import ValidationFailed
from steuerung.services.common.settings import planning_horizon
from steuerung.services.measures.costs import horizon_costs
from steuerung.services.measures.rules import (
    COUNTING_STATUSES,
    measure_reference,
    visible_measures_filter,
)
from steuerung.services.portfolio.register import register_rows
from steuerung.services.portfolio.rules import PORTFOLIO_STATUSES

ZERO = Decimal("0.00")
#: Order of the priority classes in the ranking.
CLASS_ORDER = {"A": 0, "B": 1, "C": 2}
#: Colour and name for measures without any goal.
NO_FIELD = ("–", "ohne Handlungsfeld", "#6c757d")
MAX_AMOUNT = Decimal("999999999999.99")

#: Columns of the ranking table on the portfolio page ("years" = one column per planning
#: year). Rank and measure are always shown; the chooser offers the others.
RANKING_COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("rank", "Rang", required=True),
    TableColumn("reference", "Nr."),
    TableColumn("title", "Maßnahme", required=True),
    TableColumn("department", "Fachbereich"),
    TableColumn("field", "Handlungsfeld"),
    TableColumn("status", "Status"),
    TableColumn("score", "Score"),
    TableColumn("class", "Klasse"),
    TableColumn("years", "Kosten je Jahr"),
    TableColumn("total", "Summe"),
    TableColumn("cumulated", "Kumuliert"),
)


@dataclass
class PortfolioItem:
    """The columns of a measure the ranking needs (light: no ORM object per measure)."""

    id: int
    title: str
    status: MeasureStatus
    score: Decimal | None
    priority_class: str | None
    rank_override: int | None
    rank_override_reason: str
    department: str
    legal_obligation: bool = False
    #: Planned cost per year of the years asked for.
    costs: dict[int, Decimal] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        """Human-readable id, e.g. ``M-0042``."""
        return measure_reference(self.id)


def _items(condition: Any, years: list[int]) -> list[PortfolioItem]:
    """One query: ranking columns and cost per year (of ``years``) of the measures."""
    costs = horizon_costs(years)
    stmt = (
        select(
            Measure.id,
            Measure.title,
            Measure.status,
            Measure.score,
            Measure.priority_class,
            Measure.rank_override,
            Measure.rank_override_reason,
            Department.code,
            Measure.legal_obligation,
            *[costs.c[f"y{year}"] for year in years],
        )
        .join(Department, Department.id == Measure.department_id)
        .outerjoin(costs, costs.c.measure_id == Measure.id)
        .where(condition)
    )
    items = []
    cent = Decimal("0.01")
    for row in db.session.connection().execute(stmt):
        item = PortfolioItem(*row[:9])
        item.costs = {year: (row[9 + i] or ZERO).quantize(cent) for i, year in enumerate(years)}
        items.append(item)
    return items


class RankKey(NamedTuple):
    """What the ranking needs of a measure, plus its cost over the planning horizon."""

    id: int
    priority_class: str | None
    score: Decimal | None
    rank_override: int | None
    total: Decimal


@dataclass
class RankedMeasure:
    """A measure at its place in the ranking, with cost per year of the horizon."""

    rank: int
    #: Ranking key (id, class, score, override) or, after ``load_details``, the register's
    #: view of the measure (title, status, department, ...).
    measure: Any
    costs: dict[int, Decimal]
    total: Decimal
    cumulated: Decimal = ZERO
    field_code: str = NO_FIELD[0]
    field_name: str = NO_FIELD[1]
    field_color: str = NO_FIELD[2]

    @property
    def overridden(self) -> bool:
        """True when the rank was set by hand."""
        return self.measure.rank_override is not None


def natural_key(measure: Any) -> tuple[int, int, float, int]:
    """Sort key of the natural order: class, scored first, score descending, id.

    Scores have two decimals, so a float orders them exactly and sorts much faster.
    """
    score = measure.score
    return (
        CLASS_ORDER.get(measure.priority_class or "", 3),
        0 if score is not None else 1,
        -float(score) if score is not None else 0.0,
        measure.id,
    )


def rank_measures(measures: list[Any]) -> list[Any]:
    """Order ``measures`` by rank: overrides at their position, the rest in natural order.

    Works on anything with ``id``, ``priority_class``, ``score`` and ``rank_override``.
    """
    natural = sorted(measures, key=natural_key)
    overrides = sorted(
        (m for m in natural if m.rank_override is not None),
        key=lambda m: m.rank_override or 0,
    )
    rest = [m for m in natural if m.rank_override is None]
    ordered: list[Any] = []
    oi = ri = 0
    while oi < len(overrides) or ri < len(rest):
        position = len(ordered) + 1
        if oi < len(overrides) and (
            (overrides[oi].rank_override or 0) <= position or ri >= len(rest)
        ):
            ordered.append(overrides[oi])
            oi += 1
        else:
            ordered.append(rest[ri])
            ri += 1
    return ordered


def _first_fields(condition: Any) -> dict[int, tuple[str, str, str]]:
    """One query: the action field (code, name, colour) of each measure's first goal."""
    fields: dict[int, tuple[str, str, str]] = {}
    stmt = (
        select(measure_goals.c.measure_id, ActionField.code, ActionField.name, ActionField.color)
        .join(Goal, Goal.id == measure_goals.c.goal_id)
        .join(ActionField, ActionField.id == Goal.action_field_id)
        .join(Measure, Measure.id == measure_goals.c.measure_id)
        .where(condition)
        .order_by(measure_goals.c.measure_id, ActionField.position, Goal.position, Goal.id)
    )
    for measure_id, code, name, color in db.session.execute(stmt):
        fields.setdefault(measure_id, (code, name, color))
    return fields


def portfolio_statuses(include_submitted: bool = True) -> tuple[MeasureStatus, ...]:
    """States in the ranking: counting ones, plus submitted / under review if asked."""
    if include_submitted:
        return PORTFOLIO_STATUSES
    return (*COUNTING_STATUSES,)


def ranked_portfolio(
    user: User,
    statuses: tuple[MeasureStatus, ...] = PORTFOLIO_STATUSES,
    details: bool = True,
) -> tuple[list[RankedMeasure], list[int]]:
    """The ranked portfolio visible to ``user`` with cumulated cost, and the horizon years.

    One narrow query (ranking columns and the cost over the horizon) ranks everything.
    With ``details`` every entry also gets its columns and cost per year (one more query);
    pages pass ``details=False`` and call ``load_details`` for the shown slice only.
    """
    years = planning_horizon()
    condition = and_(visible_measures_filter(user), Measure.status.in_(statuses))
    totals = horizon_costs(years, per_year=False)
    keys = [
        RankKey(*row)
        for row in db.session.connection().execute(
            select(
                Measure.id,
                Measure.priority_class,
                Measure.score,
                Measure.rank_override,
                func.coalesce(totals.c.total, 0),
            )
            .outerjoin(totals, totals.c.measure_id == Measure.id)
            .where(condition)
        )
    ]
    ranked: list[RankedMeasure] = []
    cumulated = ZERO
    for rank, key in enumerate(rank_measures(keys), start=1):
        total = Decimal(key.total)
        cumulated += total
        ranked.append(
            RankedMeasure(rank=rank, measure=key, costs={}, total=total, cumulated=cumulated)
        )
    if details:
        load_details(ranked, years)
    return ranked, years


def load_details(ranked: list[RankedMeasure], years: list[int]) -> None:
    """Replace the ranking keys of ``ranked`` by the measures' columns and cost per year."""
    if not ranked:
        return
    rows = {
        row.measure.id: row
        for row in register_rows([item.measure.id for item in ranked], years, few=True)
    }
    for item in ranked:
        row = rows.get(item.measure.id)
        if row is not None:
            item.measure = row.measure
            item.costs = row.costs


def attach_fields(ranked: list[RankedMeasure]) -> None:
    """Fill in the field of action (of the first goal) for ``ranked``; one query."""
    fields = _first_fields(Measure.id.in_([item.measure.id for item in ranked]))
    for item in ranked:
        item.field_code, item.field_name, item.field_color = fields.get(item.measure.id, NO_FIELD)


def class_counts(ranked: list[RankedMeasure]) -> dict[str, dict[str, Any]]:
    """Number of measures and total cost per A/B/C class (and unscored)."""
    counts: dict[str, dict[str, Any]] = {
        k: {"count": 0, "total": ZERO} for k in ("A", "B", "C", "–")
    }
    for item in ranked:
        bucket = counts[item.measure.priority_class or "–"]
        bucket["count"] += 1
        bucket["total"] += item.total
    return counts


def bubble_points(ranked: list[RankedMeasure]) -> list[dict[str, Any]]:
    """Data for the bubble chart (scored measures): benefit = score, effort = horizon cost."""
    return [
        {
            "reference": item.measure.reference,
            "title": item.measure.title,
            "score": float(item.measure.score),
            "total": float(item.total),
            "field": item.field_name,
            "color": item.field_color,
            "rank": item.rank,
        }
        for item in ranked
        if item.measure.score is not None
    ]


@dataclass
class ScenarioLine:
    """One measure in a cut-off scenario."""

    rank: int
    measure_id: int
    reference: str
    title: str
    department: str
    priority_class: str
    amount: Decimal
    cumulated: Decimal
    fits: bool


@dataclass
class ScenarioResult:
    """Outcome of a cut-off scenario."""

    year: int
    available: Decimal
    include_submitted: bool
    lines: list[ScenarioLine] = field(default_factory=list)

    @property
    def above(self) -> list[ScenarioLine]:
        """Measures above the line (funded)."""
        return [line for line in self.lines if line.fits]

    @property
    def below(self) -> list[ScenarioLine]:
        """Measures below the line (not funded with this amount)."""
        return [line for line in self.lines if not line.fits]

    @property
    def funded(self) -> Decimal:
        """Sum of the cost in the year of the measures above the line."""
        return sum((line.amount for line in self.above), ZERO)

    @property
    def demand(self) -> Decimal:
        """Sum of the cost in the year of all measures in the scenario."""
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def remaining(self) -> Decimal:
        """Available amount not used by the measures above the line."""
        return self.available - self.funded

    @property
    def gap(self) -> Decimal:
        """Deckungslücke: what is missing to fund every measure (0 if none)."""
        return max(ZERO, self.demand - self.available)

    @property
    def next_gap(self) -> Decimal:
        """Extra amount needed to bring the first measure below the line above it."""
        below = self.below
        if not below:
            return ZERO
        return below[0].cumulated - self.available

    def to_json(self) -> str:
        """Snapshot stored with a saved scenario."""
        return json.dumps(
            {
                "year": self.year,
                "available": str(self.available),
                "include_submitted": self.include_submitted,
                "funded": str(self.funded),
                "demand": str(self.demand),
                "gap": str(self.gap),
                "remaining": str(self.remaining),
                "lines": [
                    {
                        "rank": line.rank,
                        "measure_id": line.measure_id,
                        "reference": line.reference,
                        "title": line.title,
                        "department": line.department,
                        "class": line.priority_class,
                        "amount": str(line.amount),
                        "cumulated": str(line.cumulated),
                        "fits": line.fits,
                    }
                    for line in self.lines
                ],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> ScenarioResult:
        """Rebuild a stored snapshot."""
        data = json.loads(text or "{}")
        result = cls(
            year=int(data.get("year", 0)),
            available=Decimal(data.get("available", "0")),
            include_submitted=bool(data.get("include_submitted")),
        )
        for raw in data.get("lines", []):
            result.lines.append(
                ScenarioLine(
                    rank=int(raw["rank"]),
                    measure_id=int(raw["measure_id"]),
                    reference=raw["reference"],
                    title=raw["title"],
                    department=raw.get("department", ""),
                    priority_class=raw.get("class", ""),
                    amount=Decimal(raw["amount"]),
                    cumulated=Decimal(raw["cumulated"]),
                    fits=bool(raw["fits"]),
                )
            )
        return result


def validate_scenario_input(year: int, available: Decimal) -> None:
    """Refuse years outside 2000-2100 and negative or absurd amounts."""
    if not 2000 <= year <= 2100:
        raise ValidationFailed("Bitte ein Haushaltsjahr zwischen 2000 und 2100 wählen.", "year")
    if available < 0:
        raise ValidationFailed("Der verfügbare Betrag darf nicht negativ sein.", "available")
    if available > MAX_AMOUNT:
        raise ValidationFailed("Der verfügbare Betrag ist zu groß.", "available")


def cutoff_scenario(
    user: User, year: int, available: Decimal, include_submitted: bool = True
) -> ScenarioResult:
    """Which measures fit into ``available`` for ``year`` in rank order (see module doc)."""
    validate_scenario_input(year, available)
    available = available.quantize(Decimal("0.01"))
    statuses = portfolio_statuses(include_submitted)
    condition = and_(visible_measures_filter(user), Measure.status.in_(statuses))
    measures = _items(condition, [year])
    result = ScenarioResult(year=year, available=available, include_submitted=include_submitted)
    cumulated = ZERO
    line_drawn = False
    rank = 0
    for measure in rank_measures(measures):
        amount = measure.costs[year]
        if amount <= 0:
            continue
        rank += 1
        cumulated += amount
        fits = not line_drawn and cumulated <= available
        if not fits:
            line_drawn = True
        result.lines.append(
            ScenarioLine(
                rank=rank,
                measure_id=measure.id,
                reference=measure.reference,
                title=measure.title,
                department=measure.department,
                priority_class=measure.priority_class or "–",
                amount=amount,
                cumulated=cumulated,
                fits=fits,
            )
        )
    return result


def save_scenario(name: str, result: ScenarioResult, by: User | None) -> BudgetScenario:
    """Store ``result`` under ``name`` (required, max. 120 characters); flushes."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Bitte geben Sie dem Szenario einen Namen.", "name")
    if len(name) > 120:
        raise ValidationFailed("Der Name darf höchstens 120 Zeichen lang sein.", "name")
    scenario = BudgetScenario(
        name=name,
        year=result.year,
        available_amount=result.available,
        include_submitted=result.include_submitted,
        result_json=result.to_json(),
        created_by_id=by.id if by is not None else None,
    )
    db.session.add(scenario)
    db.session.flush()
    return scenario


def saved_scenarios() -> list[BudgetScenario]:
    """All saved scenarios, newest first."""
    return list(
        db.session.scalars(
            select(BudgetScenario)
            .options(joinedload(BudgetScenario.created_by))
            .order_by(BudgetScenario.created_at.desc(), BudgetScenario.id.desc())
        )
    )


@dataclass
class ComparisonRow:
    """One measure across the compared scenarios: above (True), below (False) or absent (None)."""

    reference: str
    title: str
    placements: list[bool | None]

    @property
    def differs(self) -> bool:
        """True if the measure is not placed the same way in every scenario."""
        return len(set(self.placements)) > 1


def compare_scenarios(
    scenarios: list[BudgetScenario],
) -> tuple[list[ScenarioResult], list[ComparisonRow]]:
    """Results of ``scenarios`` and, per measure, where it lies in each."""
    results = [ScenarioResult.from_json(s.result_json) for s in scenarios]
    order: dict[int, tuple[str, str]] = {}
    for result in results:
        for line in result.lines:
            order.setdefault(line.measure_id, (line.reference, line.title))
    rows = []
    for measure_id, (reference, title) in order.items():
        placements: list[bool | None] = []
        for result in results:
            match = next((line for line in result.lines if line.measure_id == measure_id), None)
            placements.append(match.fits if match else None)
        rows.append(ComparisonRow(reference=reference, title=title, placements=placements))
    return results, rows


def rank_of(user: User, measure_id: int) -> int | None:
    """Position of a measure in the full ranking (None if not in the portfolio)."""
    condition = and_(visible_measures_filter(user), Measure.status.in_(PORTFOLIO_STATUSES))
    rows = db.session.execute(
        select(Measure.id, Measure.priority_class, Measure.score, Measure.rank_override).where(
            condition
        )
    ).all()
    for position, row in enumerate(rank_measures(rows), start=1):
        if row.id == measure_id:
            return position
    return None
