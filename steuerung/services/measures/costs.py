"""What a measure costs: the one definition of "cost per measure" used by the register,
the portfolio, the agenda coverage, the dashboard and the exports.

A measure's planned cost over a set of years is the sum of its cost-plan amounts in those
years (every budget line, running costs included), as a SQL subquery so lists can join,
sort and filter by it. Running costs live in one place: inside the horizon as cost rows
flagged ``is_running_cost``, after it as the measure's yearly ``running_cost_after_horizon``.
The investive part is depreciated (AfA) linearly over the measure's useful life.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, select

from steuerung.models import BudgetKind, BudgetLine, CostPlanEntry, Measure

ZERO = Decimal("0.00")


def horizon_costs(
    years: list[int],
    ids: list[int] | None = None,
    *,
    per_year: bool = True,
    where: Sequence[ColumnElement[bool]] = (),
) -> Any:
    """Subquery (measure_id, total[, y<year>...]): planned cost per measure over ``years``.

    ``ids`` restricts it to those measures (a page), ``where`` by conditions on the cost
    rows (a block of measures); ``per_year`` adds one column per year.
    """
    only: list[ColumnElement[bool]] = [CostPlanEntry.measure_id.in_(ids)] if ids is not None else []
    only += where
    yearly = (
        [
            func.sum(case((CostPlanEntry.year == year, CostPlanEntry.amount), else_=0)).label(
                f"y{year}"
            )
            for year in years
        ]
        if per_year
        else []
    )
    return (
        select(
            CostPlanEntry.measure_id.label("measure_id"),
            func.sum(CostPlanEntry.amount).label("total"),
            *yearly,
        )
        .where(CostPlanEntry.year.in_(years), *only)
        .group_by(CostPlanEntry.measure_id)
        .subquery("horizon_cost")
    )


@dataclass(frozen=True)
class CostSummary:
    """A measure's money in one place: gross, grant and own share per year, running costs
    inside and after the horizon, and the depreciation (AfA) of its investive part."""

    years: list[int]
    gross: dict[int, Decimal]
    grant: dict[int, Decimal]
    #: Running costs (cost rows flagged as Folgekosten) per year of the horizon.
    running: dict[int, Decimal]
    #: Folgekosten per year after the horizon.
    running_after: Decimal
    #: All investive cost rows (every year): the base of the depreciation.
    investive_total: Decimal
    useful_life_years: int | None

    @property
    def own(self) -> dict[int, Decimal]:
        """Eigenanteil per year."""
        return {y: self.gross[y] - self.grant[y] for y in self.years}

    @property
    def total_gross(self) -> Decimal:
        """Gross cost over the horizon."""
        return sum(self.gross.values(), ZERO)

    @property
    def total_grant(self) -> Decimal:
        """Grants over the horizon."""
        return sum(self.grant.values(), ZERO)

    @property
    def total_own(self) -> Decimal:
        """Eigenanteil over the horizon."""
        return self.total_gross - self.total_grant

    @property
    def depreciation_per_year(self) -> Decimal | None:
        """AfA per year (linear), burdening the Ergebnishaushalt; None without a useful life."""
        return depreciation(self.investive_total, self.useful_life_years)


def depreciation(investive_total: Decimal, useful_life_years: int | None) -> Decimal | None:
    """Linear AfA per year: the investive cost over the useful life (None without one)."""
    if not useful_life_years or investive_total <= 0:
        return None
    return (investive_total / useful_life_years).quantize(Decimal("0.01"), ROUND_HALF_UP)


def cost_summary(measure: Measure, years: list[int]) -> CostSummary:
    """The cost summary of a loaded measure (cost plan with lines) over ``years``."""
    gross = dict.fromkeys(years, ZERO)
    grant = dict.fromkeys(years, ZERO)
    running = dict.fromkeys(years, ZERO)
    investive = ZERO
    for entry in measure.cost_plan:
        if entry.budget_line.kind == BudgetKind.INVESTIVE:
            investive += entry.amount
        if entry.year in gross:
            gross[entry.year] += entry.amount
            grant[entry.year] += entry.grant
            if entry.is_running_cost:
                running[entry.year] += entry.amount
    return CostSummary(
        years,
        gross,
        grant,
        running,
        measure.running_cost_after_horizon,
        investive,
        measure.useful_life_years,
    )


def investive_totals(ids: list[int] | None = None) -> Any:
    """Subquery (measure_id, investive_total): every investive cost row (base of the AfA)."""
    only = [CostPlanEntry.measure_id.in_(ids)] if ids is not None else []
    return (
        select(
            CostPlanEntry.measure_id.label("measure_id"),
            func.sum(CostPlanEntry.amount).label("investive_total"),
        )
        .join(BudgetLine, BudgetLine.id == CostPlanEntry.budget_line_id)
        .where(BudgetLine.kind == BudgetKind.INVESTIVE, *only)
        .group_by(CostPlanEntry.measure_id)
        .subquery("investive_total")
    )
