"""A year of monthly actuals for a synthetic portfolio (benchmarks: ``make bench``).

``generate_actuals(year)`` writes twelve month-end snapshots of ``year``: one row per
measure and budget line with a plan in that year (approved, in progress or completed) and one
row per line for the spending that belongs to no measure. The money flows out over the year
with some noise; orders (Obligo) are placed early and paid off. Rows go in with the import's
own bulk writer; the snapshots are ORM rows (audited, like an import).
"""

from __future__ import annotations

import calendar
import random
from collections import defaultdict
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import func, select

from steuerung.extensions import db
from steuerung.models import (
    ActualsSnapshot,
    BudgetAmount,
    CostPlanEntry,
    Measure,
)
from steuerung.services.budget.actuals import figures_hash, write_rows
from steuerung.services.budget.execution import EXECUTION_STATUSES

CENT = Decimal("0.01")


def generate_actuals(year: int, months: int = 12, random_seed: int = 7) -> int:
    """Write ``months`` month-end snapshots of ``year``; returns the rows written. Flushes."""
    rng = random.Random(random_seed)
    plans: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    for measure_id, line_id, amount in db.session.execute(
        select(
            CostPlanEntry.measure_id, CostPlanEntry.budget_line_id, func.sum(CostPlanEntry.amount)
        )
        .join(Measure, Measure.id == CostPlanEntry.measure_id)
        .where(CostPlanEntry.year == year, Measure.status.in_(EXECUTION_STATUSES))
        .group_by(CostPlanEntry.measure_id, CostPlanEntry.budget_line_id)
    ):
        plans[(line_id, measure_id)] += Decimal(amount)
    for line_id, amount in db.session.execute(
        select(BudgetAmount.budget_line_id, BudgetAmount.approved_amount).where(
            BudgetAmount.year == year
        )
    ):
        # Spending of the line that belongs to no measure (running operations).
        plans[(line_id, None)] += Decimal(amount) * Decimal("0.3")
    # Each row's own pace: spends 60-125 % of its plan by December, orders early.
    pace = {key: (Decimal(rng.uniform(0.6, 1.25)), Decimal(rng.uniform(0.1, 0.4))) for key in plans}
    written = 0
    for month in range(1, months + 1):
        share = Decimal(month) / 12
        figures = {}
        for key, plan in plans.items():
            total, ordered = pace[key]
            ist = (plan * total * share * Decimal(rng.uniform(0.85, 1.1))).quantize(CENT)
            obligo = max((plan * ordered * (1 - share)).quantize(CENT), Decimal("0.00"))
            figures[key] = (ist, obligo)
        as_of = date(year, month, calendar.monthrange(year, month)[1])
        snapshot = ActualsSnapshot(
            year=year,
            as_of=as_of,
            file_name=f"hkr_export_{as_of:%Y-%m}.csv",
            imported_at=datetime.combine(as_of, time(18), tzinfo=UTC),
            row_count=len(figures),
            total_ist=sum((v[0] for v in figures.values()), Decimal("0")),
            total_obligo=sum((v[1] for v in figures.values()), Decimal("0")),
            content_hash=figures_hash(figures),
        )
        db.session.add(snapshot)
        db.session.flush()
        write_rows(snapshot.id, figures)
        written += len(figures)
    db.session.flush()
    return written
