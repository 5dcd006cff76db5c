"""What a measure costs: the one definition of "cost per measure" used by the register,
the portfolio, the agenda coverage, the dashboard and the exports.

A measure's planned cost over a set of years is the sum of its cost-plan amounts in those
years (every budget line, running costs included), as a SQL subquery so lists can join,
sort and filter by it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from steuerung.models import CostPlanEntry


def horizon_costs(years: list[int], ids: list[int] | None = None, *, per_year: bool = True) -> Any:
    """Subquery (measure_id, total[, y<year>...]): planned cost per measure over ``years``.

    ``ids`` restricts it to those measures (a page); ``per_year`` adds one column per year.
    """
    only = [CostPlanEntry.measure_id.in_(ids)] if ids is not None else []
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
