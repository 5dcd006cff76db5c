"""The ranked portfolio and the bubble chart data (the cut-off scenario: ``scenario``).

Rank order (documented once, here):

1. The *natural order* is priority class (A, B, C, unscored), then score descending, then id.
   Gates make a measure class A (see ``services.scoring``), so must-measures come first.
2. A manual rank override (with reason) puts the measure at that position (1 = first);
   the other measures fill the remaining positions in natural order. Two overrides with the
   same number keep their natural order; an override beyond the end puts the measure last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from typing import Any, NamedTuple

from sqlalchemy import Integer, and_, case, cast, func, select

from steuerung.extensions import db
from steuerung.models import (
    ActionField,
    CostPlanEntry,
    Measure,
    MeasureStatus,
    User,
    measure_goals,
)
from steuerung.services.agenda.rules import primary_fields
from steuerung.services.common.audit import CORE
from steuerung.services.common.cache import Blocks, by_block, cached
from steuerung.services.common.columns import TableColumn
from steuerung.services.common.settings import planning_horizon
from steuerung.services.measures.costs import horizon_costs
from steuerung.services.measures.rules import (
    COUNTING_STATUSES,
    visibility_scope,
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


class RankKey(NamedTuple):
    """What the ranking needs of a measure, plus its cost over the planning horizon."""

    id: int
    priority_class: str | None
    score: Decimal | None
    rank_override: int | None
    #: Cost over the horizon in cents (integers add up exactly and fast).
    cents: int

    @property
    def total(self) -> Decimal:
        """Cost over the horizon in euros."""
        return _euros(self.cents)


def _euros(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


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


def rank_order() -> list[Any]:
    """:func:`natural_key` in SQL: class A/B/C, scored first, score descending, number."""
    return [
        case(
            *((Measure.priority_class == klass, pos) for klass, pos in CLASS_ORDER.items()),
            else_=len(CLASS_ORDER),
        ),
        Measure.score.is_(None),
        Measure.score.desc(),
        Measure.id,
    ]


def rank_measures(measures: Sequence[Any]) -> list[Any]:
    """Order ``measures`` by rank: overrides at their position, the rest in natural order.

    Works on anything with ``id``, ``priority_class``, ``score`` and ``rank_override``.
    """
    return place_overrides(sorted(measures, key=natural_key))


def place_overrides(natural: list[Any]) -> list[Any]:
    """The rank order from measures already in natural order (e.g. sorted by SQL with
    :func:`rank_order`): overrides moved to their positions."""
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


def _first_fields(ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """One query: the action field (code, name, colour) of each measure's first goal."""
    fields = primary_fields(measure_goals.c.measure_id.in_(ids))
    stmt = select(fields.c.measure_id, ActionField.code, ActionField.name, ActionField.color).join(
        ActionField, ActionField.id == fields.c.field_id
    )
    return {
        measure_id: (code, name, color)
        for measure_id, code, name, color in db.session.execute(stmt)
    }


def portfolio_statuses(include_submitted: bool = True) -> tuple[MeasureStatus, ...]:
    """States in the ranking: counting ones, plus submitted / under review if asked."""
    if include_submitted:
        return PORTFOLIO_STATUSES
    return (*COUNTING_STATUSES,)


@dataclass(frozen=True)
class Ranking:
    """The whole ranked portfolio of one reading scope, computed once per data generation.

    Immutable and shared between requests: pages take a slice and build their own
    :class:`RankedMeasure` objects from it.
    """

    years: tuple[int, ...]
    keys: tuple[RankKey, ...]
    #: Cumulated cost over the horizon (cents) up to and including each position.
    cumulated_cents: tuple[int, ...]
    #: Number of measures and total cost per A/B/C class (and "–" for unscored).
    classes: dict[str, dict[str, Any]]
    #: Measure id -> rank (1-based).
    positions: dict[int, int]

    def entries(self, start: int = 0, stop: int | None = None) -> list[RankedMeasure]:
        """Fresh :class:`RankedMeasure` objects for positions ``start`` to ``stop``."""
        stop = len(self.keys) if stop is None else min(stop, len(self.keys))
        return [
            RankedMeasure(
                rank=i + 1,
                measure=self.keys[i],
                costs={},
                total=self.keys[i].total,
                cumulated=_euros(self.cumulated_cents[i]),
            )
            for i in range(start, stop)
        ]

    @property
    def grand_total(self) -> Decimal:
        """Cost over the horizon of the whole ranked portfolio."""
        return _euros(self.cumulated_cents[-1]) if self.cumulated_cents else ZERO


def ranking(user: User, statuses: tuple[MeasureStatus, ...] = PORTFOLIO_STATUSES) -> Ranking:
    """The ranked portfolio visible to ``user`` (cached until the data changes).

    One narrow query (ranking columns and the cost over the horizon) ranks everything.
    """
    years = tuple(planning_horizon())
    return cached(
        "portfolio.ranking",
        (visibility_scope(user), statuses, years),
        lambda: _compute_ranking(user, statuses, years),
    )


def _compute_ranking(
    user: User, statuses: tuple[MeasureStatus, ...], years: tuple[int, ...]
) -> Ranking:
    """The ranking columns and the cost over the horizon are read per block of measures
    (after an edit only its block); the blocks' rows are merged in natural order and the
    overrides placed in one pass."""
    condition = and_(visible_measures_filter(user), Measure.status.in_(statuses))

    def compute(blocks: Blocks) -> dict[int, list[tuple[Any, RankKey]]]:
        totals = horizon_costs(
            list(years), per_year=False, where=blocks.only(CostPlanEntry.measure_id)
        )
        cents_sql = cast(func.round(func.coalesce(totals.c.total, 0) * 100), Integer)
        parts: dict[int, list[tuple[Any, RankKey]]] = {}
        for (
            block,
            measure_id,
            priority_class,
            score,
            override,
            cents,
        ) in db.session.connection().execute(
            select(
                blocks.of(Measure.id),
                Measure.id,
                Measure.priority_class,
                Measure.score,
                Measure.rank_override,
                cents_sql.label("cents"),
            )
            .outerjoin(totals, totals.c.measure_id == Measure.id)
            .where(condition, *blocks.only(Measure.id))
        ):
            key = RankKey(measure_id, priority_class, score, override, cents)
            parts.setdefault(block, []).append((natural_key(key), key))
        return parts

    def combine(
        state: Any, removed: list[Any], added: list[Any], parts: dict[int, Any]
    ) -> tuple[Any, Ranking]:
        # state: (natural key, RankKey) of every measure, in natural order. The natural key
        # ends with the id, so no two are equal and sorting never compares the RankKeys.
        if state is None:
            entries = sorted(entry for part in parts.values() for entry in part)
        else:
            gone = {key.id for part in removed for _, key in part}
            entries = [entry for entry in state if entry[1].id not in gone]
            entries.extend(entry for part in added for entry in part)
            entries.sort()  # two sorted runs: linear
        return entries, _ranking_of([key for _, key in entries], years)

    result: Ranking = by_block(
        "portfolio.ranking.blocks",
        (visibility_scope(user), statuses, years),
        compute,
        combine,
        reads=(CORE,),
    )
    return result


def _ranking_of(natural: list[RankKey], years: tuple[int, ...]) -> Ranking:
    """The ranking from the measures in natural order: overrides placed, costs cumulated."""
    ordered: list[RankKey] = place_overrides(natural)
    cumulated = tuple(accumulate(key.cents for key in ordered))
    classes: dict[str, dict[str, Any]] = {k: {"count": 0, "cents": 0} for k in ("A", "B", "C", "–")}
    for key in ordered:
        bucket = classes[key.priority_class or "–"]
        bucket["count"] += 1
        bucket["cents"] += key.cents
    return Ranking(
        years=years,
        keys=tuple(ordered),
        cumulated_cents=cumulated,
        classes={k: {"count": v["count"], "total": _euros(v["cents"])} for k, v in classes.items()},
        positions={key.id: rank for rank, key in enumerate(ordered, start=1)},
    )


def ranked_portfolio(
    user: User,
    statuses: tuple[MeasureStatus, ...] = PORTFOLIO_STATUSES,
    details: bool = True,
) -> tuple[list[RankedMeasure], list[int]]:
    """The ranked portfolio visible to ``user`` with cumulated cost, and the horizon years.

    With ``details`` every entry also gets its columns and cost per year (one more query);
    pages use :func:`ranking` and call ``load_details`` for the shown slice only.
    """
    result = ranking(user, statuses)
    ranked = result.entries()
    if details:
        load_details(ranked, list(result.years))
    return ranked, list(result.years)


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
    fields = _first_fields([item.measure.id for item in ranked])
    for item in ranked:
        item.field_code, item.field_name, item.field_color = fields.get(item.measure.id, NO_FIELD)


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


def rank_of(user: User, measure_id: int) -> int | None:
    """Position of a measure in the full ranking (None if not in the portfolio)."""
    return ranking(user, PORTFOLIO_STATUSES).positions.get(measure_id)
