"""Budget execution (Haushaltsvollzug): available funds, burn and projection, the one rule.

Every page, tile, chart and export that speaks of Ist, Obligo or "verfügbar" in execution
uses this module. The planning figures of :mod:`services.budget.coverage` (Ansatz against
the measures' demand) stay a separate figure set; nothing here changes them.

As in the coverage service, loading (a fixed number of SQL aggregates) and the rules (pure
functions on plain figures, testable without a database) are kept apart.

The rules
---------
The figures of a year are those of its **latest actuals snapshot** (latest Stichtag, then
latest import); older snapshots stay readable and draw the burn chart.

Per budget line and year:

* **Ermächtigung** (authorization) = Ansatz + übertragene Ermächtigungen (carry-forwards
  decided into this year; shown in their own column, never added into the Ansatz).
* **verfügbar** = Ansatz + übertragene Ermächtigungen − Ist − Obligo. It can be negative:
  the line is **überzogen** (overdrawn).
* **Hochrechnung** (year-end projection of what will have been spent) =
  max(Ist ÷ m × 12, Ist + Obligo), where m is the number of whole months elapsed at the
  Stichtag (a month counts once its last day is reached; a Stichtag after the year counts
  12). Money spent so far is assumed to keep flowing at its rate, and committed money
  (Obligo) will be paid in any case, so the larger of the two is expected. With m = 0 (a
  Stichtag in the first month) only Ist + Obligo is known.
* **voraussichtlicher Rest** = Ermächtigung − Hochrechnung; below zero the line **will be
  overdrawn** by the year end.

Per measure and year (the same formulas, with its cost plan as budget):

* **Plan** = the gross amount of its cost plan in that year (all lines, or one line);
  **Ist** and **Obligo** = the snapshot rows that name the measure (by its order key, or by
  the Investitionsnummer of a line only this measure uses; see ``services.budget.actuals``).
* warnings: **mehr ausgegeben als geplant** (Ist > Plan), **Ist und Obligo über Plan**
  (Ist + Obligo > Plan), **Hochrechnung über Plan**.

Lines of a Deckungsring (for that year) may cover each other in execution too: an overdrawn
line whose ring still has money left is flagged as "gedeckt im Deckungsring".

Totals never net one line's overdraft against another line's rest: a total shows the sum of
the available amounts of the lines that have money left (``free``) and the sum of the
overdrafts (``overdrawn``), like the coverage totals.
"""

from __future__ import annotations

import calendar
import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, String, case, cast, func, or_, select, type_coerce

from steuerung.extensions import db
from steuerung.formatting import money as money_text
from steuerung.models import (
    ActualRow,
    ActualsSnapshot,
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    CarryForward,
    CostPlanEntry,
    CoverageRing,
    CoverageRingMember,
    Department,
    Measure,
    MeasureStatus,
)
from steuerung.models.measure import measure_reference
from steuerung.services.common.audit import (
    ACTUALS_PART,
    CORE,
    LINE_MONEY_PART,
    SHARED_PART,
    shared_parts,
)
from steuerung.services.common.cache import Blocks, cached, top_by_block

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
#: States whose measures are shown in execution with their plan even without actuals.
EXECUTION_STATUSES = (MeasureStatus.APPROVED, MeasureStatus.IN_PROGRESS, MeasureStatus.COMPLETED)
#: German names of the budget parts.
PART_LABELS = {
    BudgetKind.CONSUMPTIVE: "Ergebnishaushalt (konsumtiv)",
    BudgetKind.INVESTIVE: "Finanzhaushalt (investiv)",
}


def cents(value: object) -> Decimal:
    """An amount (or SQL aggregate; NULL is nothing) as a Decimal with cents."""
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- the rules


def months_elapsed(as_of: date | None, year: int) -> int:
    """Whole months of ``year`` elapsed at the Stichtag ``as_of`` (0-12; see the rules)."""
    if as_of is None or as_of.year < year:
        return 0
    if as_of.year > year:
        return 12
    last_day = calendar.monthrange(as_of.year, as_of.month)[1]
    return as_of.month if as_of.day == last_day else as_of.month - 1


def projection(ist: Decimal, obligo: Decimal, months: int) -> Decimal:
    """Year-end projection of Ist: max(Ist ÷ months × 12, Ist + Obligo)."""
    committed = ist + obligo
    if months <= 0:
        return committed
    linear = (ist * 12 / months).quantize(CENT, rounding=ROUND_HALF_UP)
    return max(linear, committed)


class Severity(enum.StrEnum):
    """How serious a warning is (danger: already happened; warning: expected)."""

    DANGER = "danger"
    WARNING = "warning"


@dataclass(frozen=True)
class ExecutionWarning:
    """A warning about a line or a measure, in German."""

    severity: Severity
    text: str


@dataclass(frozen=True)
class Burn:
    """Execution figures of a line, measure or group in one year.

    ``budget`` is the Ansatz (lines) or the Plan (measures); ``carried`` the carry-forwards
    into the year (lines only). ``free`` and ``overdrawn`` are kept per row so that totals
    add them up instead of netting one line's overdraft against another's rest.
    """

    budget: Decimal = ZERO
    carried: Decimal = ZERO
    ist: Decimal = ZERO
    obligo: Decimal = ZERO
    projected: Decimal = ZERO
    free: Decimal = ZERO
    overdrawn: Decimal = ZERO
    projected_short: Decimal = ZERO

    @property
    def authorized(self) -> Decimal:
        """Ermächtigung: Ansatz (or Plan) plus carried-forward authorizations."""
        return self.budget + self.carried

    @property
    def available(self) -> Decimal:
        """verfügbar = Ansatz + übertragen − Ist − Obligo (for a total: the arithmetic sum)."""
        return self.authorized - self.ist - self.obligo

    @property
    def bound(self) -> Decimal:
        """Ist + Obligo: spent or committed."""
        return self.ist + self.obligo

    @property
    def projected_rest(self) -> Decimal:
        """Ermächtigung minus Hochrechnung (below zero: overdrawn by the year end)."""
        return self.authorized - self.projected

    @property
    def spent_percent(self) -> Decimal | None:
        """Ist in percent of the authorization (None without authorization)."""
        if self.authorized <= 0:
            return None
        return (self.ist * 100 / self.authorized).quantize(Decimal("0.1"))

    @property
    def bound_percent(self) -> Decimal | None:
        """Ist + Obligo in percent of the authorization."""
        if self.authorized <= 0:
            return None
        return (self.bound * 100 / self.authorized).quantize(Decimal("0.1"))

    def __add__(self, other: Burn) -> Burn:
        return Burn(
            self.budget + other.budget,
            self.carried + other.carried,
            self.ist + other.ist,
            self.obligo + other.obligo,
            self.projected + other.projected,
            self.free + other.free,
            self.overdrawn + other.overdrawn,
            self.projected_short + other.projected_short,
        )


NOTHING = Burn()


def burn(budget: Decimal, carried: Decimal, ist: Decimal, obligo: Decimal, months: int) -> Burn:
    """The figures of one line or measure from its plain amounts (see the rules)."""
    projected = projection(ist, obligo, months)
    available = budget + carried - ist - obligo
    rest = budget + carried - projected
    return Burn(
        budget=budget,
        carried=carried,
        ist=ist,
        obligo=obligo,
        projected=projected,
        free=max(available, ZERO),
        overdrawn=max(-available, ZERO),
        projected_short=max(-rest, ZERO),
    )


def sum_burns(items: Iterable[Burn]) -> Burn:
    """The total of several figures (lines of a group, measures of a line)."""
    result = NOTHING
    for item in items:
        result = result + item
    return result


def line_warnings(
    figures: Burn, ring_name: str = "", ring_available: Decimal | None = None
) -> list[ExecutionWarning]:
    """Warnings of a line: overdrawn now, or overdrawn by the year end (projection)."""
    warnings = []
    if figures.overdrawn > 0:
        text = f"Überzogen um {money_text(figures.overdrawn)}"
        if ring_name and ring_available is not None and ring_available >= 0:
            text += (
                f", gedeckt im Deckungsring „{ring_name}“ (dort noch "
                f"{money_text(ring_available)} verfügbar)"
            )
        warnings.append(ExecutionWarning(Severity.DANGER, text + "."))
    elif figures.projected_short > 0:
        warnings.append(
            ExecutionWarning(
                Severity.WARNING,
                f"Droht überzogen zu werden: die Hochrechnung ({money_text(figures.projected)}) "
                f"übersteigt die Ermächtigung um {money_text(figures.projected_short)}.",
            )
        )
    return warnings


def measure_warnings(figures: Burn) -> list[ExecutionWarning]:
    """Warnings of a measure: spent, bound or projected above its plan."""
    plan = figures.budget
    if figures.ist > plan:
        return [
            ExecutionWarning(
                Severity.DANGER,
                f"Mehr ausgegeben als geplant: Ist {money_text(figures.ist)} bei Plan "
                f"{money_text(plan)} (+{money_text(figures.ist - plan)}).",
            )
        ]
    if figures.bound > plan:
        return [
            ExecutionWarning(
                Severity.WARNING,
                f"Ist und Obligo ({money_text(figures.bound)}) übersteigen den Plan "
                f"({money_text(plan)}).",
            )
        ]
    if figures.projected > plan:
        return [
            ExecutionWarning(
                Severity.WARNING,
                f"Die Hochrechnung ({money_text(figures.projected)}) übersteigt den Plan "
                f"({money_text(plan)}).",
            )
        ]
    return []


# --------------------------------------------------------------------------- snapshots


@dataclass(frozen=True)
class SnapshotInfo:
    """An actuals snapshot as pages show it."""

    id: int
    year: int
    as_of: date
    file_name: str
    imported_by: str
    imported_at: Any
    row_count: int
    total_ist: Decimal
    total_obligo: Decimal
    profile_name: str


def _snapshot_order() -> tuple[Any, ...]:
    return (ActualsSnapshot.as_of.desc(), ActualsSnapshot.id.desc())


def latest_snapshot_id(year: int) -> int | None:
    """The snapshot whose figures count for ``year`` (None before the first import)."""
    return db.session.scalar(
        select(ActualsSnapshot.id)
        .where(ActualsSnapshot.year == year)
        .order_by(*_snapshot_order())
        .limit(1)
    )


def snapshots(year: int | None = None) -> list[SnapshotInfo]:
    """Snapshots (of one year, or all), newest first; one query."""
    from steuerung.models import ActualsProfile, User

    query = (
        select(
            ActualsSnapshot.id,
            ActualsSnapshot.year,
            ActualsSnapshot.as_of,
            ActualsSnapshot.file_name,
            ActualsSnapshot.imported_at,
            ActualsSnapshot.row_count,
            ActualsSnapshot.total_ist,
            ActualsSnapshot.total_obligo,
            User.full_name,
            ActualsProfile.name.label("profile_name"),
        )
        .outerjoin(User, User.id == ActualsSnapshot.imported_by_id)
        .outerjoin(ActualsProfile, ActualsProfile.id == ActualsSnapshot.profile_id)
        .order_by(ActualsSnapshot.year.desc(), *_snapshot_order())
    )
    if year is not None:
        query = query.where(ActualsSnapshot.year == year)
    return [
        SnapshotInfo(
            id=row.id,
            year=row.year,
            as_of=row.as_of,
            file_name=row.file_name,
            imported_by=row.full_name or "",
            imported_at=row.imported_at,
            row_count=row.row_count,
            total_ist=cents(row.total_ist),
            total_obligo=cents(row.total_obligo),
            profile_name=row.profile_name or "",
        )
        for row in db.session.execute(query)
    ]


def snapshot_info(snapshot_id: int | None) -> SnapshotInfo | None:
    """One snapshot (None if missing)."""
    if snapshot_id is None:
        return None
    snap = db.session.get(ActualsSnapshot, snapshot_id)
    if snap is None:
        return None
    return SnapshotInfo(
        id=snap.id,
        year=snap.year,
        as_of=snap.as_of,
        file_name=snap.file_name,
        imported_by=snap.imported_by.full_name if snap.imported_by else "",
        imported_at=snap.imported_at,
        row_count=snap.row_count,
        total_ist=cents(snap.total_ist),
        total_obligo=cents(snap.total_obligo),
        profile_name=snap.profile.name if snap.profile else "",
    )


def years_with_actuals() -> list[int]:
    """Years that have at least one snapshot, newest first."""
    return list(
        db.session.scalars(
            select(ActualsSnapshot.year).distinct().order_by(ActualsSnapshot.year.desc())
        )
    )


# --------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class LineInfo:
    """Identifying columns of a budget line."""

    id: int
    label: str
    name: str
    kind: BudgetKind
    transferable: bool
    investment_number: str
    department_id: int
    department_code: str
    department_name: str


@dataclass
class LineExecution:
    """Execution of one budget line in one year."""

    info: LineInfo
    figures: Burn
    warnings: list[ExecutionWarning] = field(default_factory=list)
    ring: str = ""

    @property
    def id(self) -> int:
        """The line's id."""
        return self.info.id


@dataclass
class ExecutionFacts:
    """Plain figures of the lines of one year, loaded by :func:`load_lines`."""

    year: int
    snapshot: SnapshotInfo | None
    lines: dict[int, LineInfo]
    budget: dict[int, Decimal]
    carried: dict[int, Decimal]
    ist: dict[int, Decimal]
    obligo: dict[int, Decimal]
    #: Deckungsring of a line in that year: line id -> (ring id, ring name).
    rings: dict[int, tuple[int, str]] = field(default_factory=dict)

    @property
    def months(self) -> int:
        """Whole months elapsed at the snapshot's Stichtag."""
        return months_elapsed(self.snapshot.as_of if self.snapshot else None, self.year)


def _line_label(product: str, cost_center: str, account: str, investment_number: str) -> str:
    return " / ".join(p for p in (product, cost_center, account, investment_number) if p)


def load_lines(
    year: int, *, department_id: int | None = None, line_ids: Iterable[int] | None = None
) -> ExecutionFacts:
    """Ansatz, carry-forwards, Ist and Obligo per line of ``year`` in five queries.

    Lines without any of them in that year are left out.
    """
    ids = list(line_ids) if line_ids is not None else None
    snapshot = snapshot_info(latest_snapshot_id(year))

    def restrict(query: Any, column: Any) -> Any:
        if ids is not None:
            query = query.where(column.in_(ids))
        if department_id is not None:
            query = query.where(
                column.in_(select(BudgetLine.id).where(BudgetLine.department_id == department_id))
            )
        return query

    budget = {
        line_id: cents(amount)
        for line_id, amount in db.session.execute(
            restrict(
                select(BudgetAmount.budget_line_id, BudgetAmount.approved_amount).where(
                    BudgetAmount.year == year
                ),
                BudgetAmount.budget_line_id,
            )
        )
    }
    carried = {
        line_id: cents(amount)
        for line_id, amount in db.session.execute(
            restrict(
                select(CarryForward.budget_line_id, func.sum(CarryForward.amount))
                .where(CarryForward.to_year == year)
                .group_by(CarryForward.budget_line_id),
                CarryForward.budget_line_id,
            )
        )
        if cents(amount) > 0
    }
    ist: dict[int, Decimal] = {}
    obligo: dict[int, Decimal] = {}
    if snapshot is not None:
        for line_id, line_ist, line_obligo in db.session.execute(
            restrict(
                select(
                    ActualRow.budget_line_id, func.sum(ActualRow.ist), func.sum(ActualRow.obligo)
                )
                .where(ActualRow.snapshot_id == snapshot.id)
                .group_by(ActualRow.budget_line_id),
                ActualRow.budget_line_id,
            )
        ):
            ist[line_id] = cents(line_ist)
            obligo[line_id] = cents(line_obligo)
    wanted = set(budget) | set(carried) | set(ist)
    lines: dict[int, LineInfo] = {}
    if wanted:
        query = (
            select(
                BudgetLine.id,
                BudgetLine.product,
                BudgetLine.cost_center,
                BudgetLine.account,
                BudgetLine.investment_number,
                BudgetLine.name,
                BudgetLine.kind,
                BudgetLine.transferable,
                BudgetLine.department_id,
                Department.code,
                Department.name.label("department_name"),
            )
            .join(Department, Department.id == BudgetLine.department_id)
            .order_by(BudgetLine.product, BudgetLine.cost_center, BudgetLine.account)
        )
        query = restrict(query, BudgetLine.id)
        for row in db.session.execute(query):
            if row.id in wanted:
                lines[row.id] = LineInfo(
                    id=row.id,
                    label=_line_label(
                        row.product, row.cost_center, row.account, row.investment_number
                    ),
                    name=row.name,
                    kind=BudgetKind(row.kind),
                    transferable=bool(row.transferable),
                    investment_number=row.investment_number,
                    department_id=row.department_id,
                    department_code=row.code,
                    department_name=row.department_name,
                )
    rings = {
        line_id: (ring_id, name)
        for line_id, ring_id, name in db.session.execute(
            select(CoverageRingMember.budget_line_id, CoverageRing.id, CoverageRing.name)
            .join(CoverageRing, CoverageRing.id == CoverageRingMember.ring_id)
            .where(CoverageRingMember.year == year)
        )
    }
    return ExecutionFacts(year, snapshot, lines, budget, carried, ist, obligo, rings)


def compute_lines(facts: ExecutionFacts) -> list[LineExecution]:
    """Figures and warnings of every line of ``facts`` (pure: no database)."""
    months = facts.months
    result = []
    for line_id, info in facts.lines.items():
        figures = burn(
            facts.budget.get(line_id, ZERO),
            facts.carried.get(line_id, ZERO),
            facts.ist.get(line_id, ZERO),
            facts.obligo.get(line_id, ZERO),
            months,
        )
        result.append(LineExecution(info, figures))
    # Deckungsringe: the ring's members summed decide whether an overdraft is covered.
    by_ring: dict[int, list[LineExecution]] = defaultdict(list)
    for item in result:
        ring = facts.rings.get(item.id)
        if ring is not None:
            by_ring[ring[0]].append(item)
            item.ring = ring[1]
    ring_available = {
        ring_id: sum((i.figures.available for i in members), ZERO)
        for ring_id, members in by_ring.items()
    }
    for item in result:
        ring = facts.rings.get(item.id)
        item.warnings = line_warnings(
            item.figures,
            ring[1] if ring else "",
            ring_available.get(ring[0]) if ring else None,
        )
    return result


# --------------------------------------------------------------------------- measures


@dataclass
class MeasureExecution:
    """Plan, Ist, Obligo and projection of a measure (on one line, or on all its lines)."""

    measure_id: int
    title: str
    status: MeasureStatus
    department_code: str
    figures: Burn
    warnings: list[ExecutionWarning] = field(default_factory=list)
    order_key: str = ""

    @property
    def reference(self) -> str:
        """``M-0042``."""
        return measure_reference(self.measure_id)


def _measure_rows(
    year: int,
    snapshot_id: int | None,
    *,
    by_line: bool,
    line_ids: list[int] | None = None,
    measure_ids: list[int] | None = None,
    department_id: int | None = None,
) -> tuple[dict[Any, Decimal], dict[Any, tuple[Decimal, Decimal]]]:
    """Plan and (Ist, Obligo) per measure, or per (measure, line) with ``by_line``."""
    plan_cols = [CostPlanEntry.measure_id]
    act_cols = [ActualRow.measure_id]
    if by_line:
        plan_cols.append(CostPlanEntry.budget_line_id)
        act_cols.append(ActualRow.budget_line_id)
    plan_query = (
        select(*plan_cols, func.sum(CostPlanEntry.amount))
        .where(CostPlanEntry.year == year)
        .group_by(*plan_cols)
    )
    act_query = (
        select(*act_cols, func.sum(ActualRow.ist), func.sum(ActualRow.obligo))
        .where(ActualRow.snapshot_id == snapshot_id, ActualRow.measure_id.is_not(None))
        .group_by(*act_cols)
    )
    if line_ids is not None:
        plan_query = plan_query.where(CostPlanEntry.budget_line_id.in_(line_ids))
        act_query = act_query.where(ActualRow.budget_line_id.in_(line_ids))
    if measure_ids is not None:
        plan_query = plan_query.where(CostPlanEntry.measure_id.in_(measure_ids))
        act_query = act_query.where(ActualRow.measure_id.in_(measure_ids))
    if department_id is not None:
        plan_query = plan_query.where(
            CostPlanEntry.measure_id.in_(
                select(Measure.id).where(Measure.department_id == department_id)
            )
        )
        act_query = act_query.where(
            ActualRow.measure_id.in_(
                select(Measure.id).where(Measure.department_id == department_id)
            )
        )

    def key(row: Any) -> Any:
        return (row[0], row[1]) if by_line else row[0]

    width = len(plan_cols)
    planned = {key(row): cents(row[width]) for row in db.session.execute(plan_query)}
    actual: dict[Any, tuple[Decimal, Decimal]] = {}
    if snapshot_id is not None:
        actual = {
            key(row): (cents(row[width]), cents(row[width + 1]))
            for row in db.session.execute(act_query)
        }
    return planned, actual


def _measure_info(ids: Iterable[int]) -> dict[int, Any]:
    wanted = sorted(set(ids))
    info: dict[int, Any] = {}
    for part in range(0, len(wanted), 900):
        for row in db.session.execute(
            select(
                Measure.id,
                Measure.title,
                # as plain text: the enum conversion per row costs more than the query
                type_coerce(Measure.status, String).label("status"),
                Measure.order_key,
                Department.code,
            )
            .join(Department, Department.id == Measure.department_id)
            .where(Measure.id.in_(wanted[part : part + 900]))
        ):
            info[row.id] = row
    return info


def measures_execution(
    year: int,
    *,
    line_id: int | None = None,
    measure_ids: list[int] | None = None,
    department_id: int | None = None,
    snapshot: SnapshotInfo | None = None,
) -> list[MeasureExecution]:
    """Plan against Ist and Obligo per measure in ``year`` (on ``line_id`` only, if given).

    Measures appear with a plan in that year (in the states of ``EXECUTION_STATUSES``) or
    with actuals; ordered by warnings first, then by plan. A few queries, whatever the
    number of measures (pages that only list the measures with warnings use
    :func:`measures_with_warnings`).
    """
    snap = snapshot if snapshot is not None else snapshot_info(latest_snapshot_id(year))
    months = months_elapsed(snap.as_of if snap else None, year)
    planned, actual = _measure_rows(
        year,
        snap.id if snap else None,
        by_line=False,
        line_ids=[line_id] if line_id is not None else None,
        measure_ids=measure_ids,
        department_id=department_id,
    )
    figures: dict[int, Burn] = {}
    for measure_id in set(planned) | set(actual):
        ist, obligo = actual.get(measure_id, (ZERO, ZERO))
        figures[measure_id] = burn(planned.get(measure_id, ZERO), ZERO, ist, obligo, months)
    info = _measure_info(figures)
    result = []
    for measure_id, row in info.items():
        status = MeasureStatus(row.status)
        if measure_id not in actual and status not in EXECUTION_STATUSES:
            continue
        result.append(
            MeasureExecution(
                measure_id=measure_id,
                title=row.title,
                status=status,
                department_code=row.code,
                figures=figures[measure_id],
                warnings=measure_warnings(figures[measure_id]),
                order_key=row.order_key or "",
            )
        )
    result.sort(key=lambda m: (not m.warnings, -m.figures.budget, m.measure_id))
    return result


@dataclass
class MeasureYear:
    """A measure's execution in one year (the measure page's include)."""

    year: int
    snapshot: SnapshotInfo | None
    figures: Burn
    warnings: list[ExecutionWarning]
    #: Per line: (line label, figures).
    lines: list[tuple[str, Burn]]


def measure_years(measure_id: int, years: Iterable[int]) -> list[MeasureYear]:
    """Plan, Ist, Obligo and projection of one measure per year (years with plan or Ist)."""
    result = []
    labels = {
        row.id: _line_label(row.product, row.cost_center, row.account, row.investment_number)
        for row in db.session.execute(
            select(
                BudgetLine.id,
                BudgetLine.product,
                BudgetLine.cost_center,
                BudgetLine.account,
                BudgetLine.investment_number,
            ).where(
                BudgetLine.id.in_(
                    select(CostPlanEntry.budget_line_id).where(
                        CostPlanEntry.measure_id == measure_id
                    )
                )
                | BudgetLine.id.in_(
                    select(ActualRow.budget_line_id).where(ActualRow.measure_id == measure_id)
                )
            )
        )
    }
    for year in years:
        snap = snapshot_info(latest_snapshot_id(year))
        months = months_elapsed(snap.as_of if snap else None, year)
        planned, actual = _measure_rows(
            year, snap.id if snap else None, by_line=True, measure_ids=[measure_id]
        )
        keys = sorted(set(planned) | set(actual), key=lambda k: labels.get(k[1], ""))
        if not keys:
            continue
        lines = []
        for key in keys:
            ist, obligo = actual.get(key, (ZERO, ZERO))
            lines.append(
                (
                    labels.get(key[1], str(key[1])),
                    burn(planned.get(key, ZERO), ZERO, ist, obligo, months),
                )
            )
        total = burn(
            sum((planned.get(k, ZERO) for k in keys), ZERO),
            ZERO,
            sum((actual.get(k, (ZERO, ZERO))[0] for k in keys), ZERO),
            sum((actual.get(k, (ZERO, ZERO))[1] for k in keys), ZERO),
            months,
        )
        result.append(MeasureYear(year, snap, total, measure_warnings(total), lines))
    return result


def _cents_sql(value: Any) -> Any:
    """SQL: an amount as whole cents (exact comparisons on SQLite's floating sums too)."""
    return cast(func.round(value * 100), BigInteger)


def measures_with_warnings(
    year: int,
    *,
    snapshot: SnapshotInfo | None = None,
    department_id: int | None = None,
    limit: int | None = None,
) -> tuple[list[MeasureExecution], int]:
    """:func:`_measures_with_warnings`, reused until the data changes (shared: read-only)."""
    return cached(
        "execution.measure_warnings",
        (year, snapshot.id if snapshot is not None else None, department_id, limit),
        lambda: _measures_with_warnings(
            year, snapshot=snapshot, department_id=department_id, limit=limit
        ),
    )


def _measures_with_warnings(
    year: int,
    *,
    snapshot: SnapshotInfo | None = None,
    department_id: int | None = None,
    limit: int | None = None,
) -> tuple[list[MeasureExecution], int]:
    """The measures of ``year`` with a warning (the ``limit`` largest overruns) and how
    many there are, decided in SQL: the SQL form of :func:`measure_warnings`.

    A measure has a warning when Ist > Plan, Ist + Obligo > Plan or the projection (the
    larger of Ist ÷ months × 12, rounded to cents, and Ist + Obligo) > Plan; only measures
    with actuals can have one. One query plus the figures of the listed measures.
    """
    snap = snapshot if snapshot is not None else snapshot_info(latest_snapshot_id(year))
    if snap is None:
        return [], 0
    months = months_elapsed(snap.as_of, year)

    def rows(blocks: Blocks) -> Any:
        plan = (
            select(
                CostPlanEntry.measure_id.label("measure_id"),
                func.sum(CostPlanEntry.amount).label("plan"),
            )
            .where(CostPlanEntry.year == year, *blocks.only(CostPlanEntry.measure_id))
            .group_by(CostPlanEntry.measure_id)
            .subquery()
        )
        spent = (
            select(
                ActualRow.measure_id.label("measure_id"),
                func.sum(ActualRow.ist).label("ist"),
                func.sum(ActualRow.obligo).label("obligo"),
            )
            .where(
                ActualRow.snapshot_id == snap.id,
                ActualRow.measure_id.is_not(None),
                *blocks.only(ActualRow.measure_id),
            )
            .group_by(ActualRow.measure_id)
            .subquery()
        )
        ist = _cents_sql(spent.c.ist)
        bound = ist + _cents_sql(spent.c.obligo)
        planned = _cents_sql(func.coalesce(plan.c.plan, 0))
        conditions = [ist > planned, bound > planned]
        if months > 0:
            conditions.append(cast(func.round(ist * 12.0 / months), BigInteger) > planned)
        block = blocks.of(spent.c.measure_id).label("block")
        overrun = (bound - planned).label("overrun")
        query = (
            select(
                block,
                func.count().over(partition_by=block).label("count"),
                spent.c.measure_id,
                overrun,
                func.row_number()
                .over(partition_by=block, order_by=(overrun.desc(), spent.c.measure_id))
                .label("n"),
            )
            .outerjoin(plan, plan.c.measure_id == spent.c.measure_id)
            .where(or_(*conditions))
        )
        if department_id is not None:
            query = query.where(
                spent.c.measure_id.in_(
                    select(Measure.id).where(Measure.department_id == department_id)
                )
            )
        if limit is None:
            return db.session.execute(query)
        inner = query.subquery()
        # At least one row per block: it carries the block's count.
        return db.session.execute(select(inner).where(inner.c.n <= max(limit, 1)))

    # Kept per block of measures: after an edit only its block is read again.
    count, listed = top_by_block(
        "execution.warnings",
        (year, snap.id, department_id, limit),
        rows,
        limit=limit,
        order=lambda row: (-row.overrun, row.measure_id),
        shared_parts=(SHARED_PART, ACTUALS_PART),
        reads=(CORE,),
    ).get((), (0, []))
    if limit == 0 or not listed:
        return [], count
    ids = [row.measure_id for row in listed]
    figures = {m.measure_id: m for m in measures_execution(year, measure_ids=ids, snapshot=snap)}
    return [figures[i] for i in ids if i in figures], count


# --------------------------------------------------------------------------- tables


class ExecutionGrouping(enum.StrEnum):
    """Rows of the execution table."""

    LINE = "line"
    DEPARTMENT = "department"
    KIND = "kind"

    @property
    def label(self) -> str:
        """German name."""
        return {
            ExecutionGrouping.LINE: "Haushaltsstelle",
            ExecutionGrouping.DEPARTMENT: "Teilhaushalt / Fachbereich",
            ExecutionGrouping.KIND: "Haushaltsteil",
        }[self]


@dataclass
class ExecutionRow:
    """A row of the execution table: a line or a group of lines."""

    key: Any
    label: str
    detail: str
    figures: Burn
    kind: BudgetKind | None = None
    warnings: list[ExecutionWarning] = field(default_factory=list)
    ring: str = ""
    #: Line rows: the line's name and department code.
    name: str = ""
    department: str = ""


@dataclass
class ExecutionTable:
    """Execution of one year by lines, departments or budget parts, with totals per part."""

    year: int
    grouping: ExecutionGrouping
    snapshot: SnapshotInfo | None
    months: int
    rows: list[ExecutionRow]
    parts: list[ExecutionRow]
    total: ExecutionRow

    @property
    def warnings(self) -> list[tuple[str, ExecutionWarning]]:
        """(row label, warning) of every row."""
        return [(row.label, w) for row in self.rows for w in row.warnings]


def build_table(facts: ExecutionFacts, grouping: ExecutionGrouping) -> ExecutionTable:
    """The execution table of ``facts`` (pure)."""
    lines = compute_lines(facts)
    line_rows = [
        ExecutionRow(
            key=item.id,
            label=item.info.label,
            detail=f"{item.info.name} ({item.info.department_code})",
            figures=item.figures,
            kind=item.info.kind,
            warnings=item.warnings,
            ring=item.ring,
            name=item.info.name,
            department=item.info.department_code,
        )
        for item in lines
    ]
    if grouping == ExecutionGrouping.LINE:
        rows = line_rows
    else:
        grouped: dict[Any, ExecutionRow] = {}
        for item, row in zip(lines, line_rows, strict=True):
            if grouping == ExecutionGrouping.DEPARTMENT:
                key: Any = item.info.department_id
                label = f"{item.info.department_code} {item.info.department_name}"
                kind = None
            else:
                key, label, kind = item.info.kind, PART_LABELS[item.info.kind], item.info.kind
            target = grouped.setdefault(key, ExecutionRow(key, label, "", NOTHING, kind))
            target.figures = target.figures + row.figures
        rows = sorted(grouped.values(), key=lambda r: r.label)
    parts = [
        ExecutionRow(
            kind,
            PART_LABELS[kind],
            "",
            sum_burns(r.figures for r in line_rows if r.kind == kind),
            kind,
        )
        for kind in BudgetKind
        if any(r.kind == kind for r in line_rows)
    ]
    total = ExecutionRow("total", "Summe", "", sum_burns(r.figures for r in line_rows))
    return ExecutionTable(facts.year, grouping, facts.snapshot, facts.months, rows, parts, total)


def execution_table(
    year: int,
    grouping: ExecutionGrouping = ExecutionGrouping.LINE,
    *,
    department_id: int | None = None,
) -> ExecutionTable:
    """Execution of ``year`` by ``grouping`` (see the module docstring for the rules);
    reused until the data changes (shared: read-only)."""
    return cached(
        "execution.table",
        (year, grouping, department_id),
        lambda: build_table(load_lines(year, department_id=department_id), grouping),
    )


def line_execution(
    line_id: int, year: int
) -> tuple[LineExecution | None, list[MeasureExecution], SnapshotInfo | None]:
    """One line in ``year``: its figures and warnings, its measures (plan on this line
    against the Ist and Obligo booked for them on it), the snapshot used; reused until the
    data changes (shared: read-only)."""
    return cached("execution.line", (line_id, year), lambda: _line_execution(line_id, year))


def _line_execution(
    line_id: int, year: int
) -> tuple[LineExecution | None, list[MeasureExecution], SnapshotInfo | None]:
    facts = load_lines(year, line_ids=[line_id])
    # The ring decides whether an overdraft is covered: load the ring's other members too.
    ring = db.session.execute(
        select(CoverageRingMember.ring_id).where(
            CoverageRingMember.budget_line_id == line_id, CoverageRingMember.year == year
        )
    ).scalar()
    if ring is not None:
        members = list(
            db.session.scalars(
                select(CoverageRingMember.budget_line_id).where(CoverageRingMember.ring_id == ring)
            )
        )
        facts = load_lines(year, line_ids=members)
    lines = {item.id: item for item in compute_lines(facts)}
    measures = measures_execution(year, line_id=line_id, snapshot=facts.snapshot)
    return lines.get(line_id), measures, facts.snapshot


# --------------------------------------------------------------------------- dashboard


@dataclass(frozen=True)
class BurnPoint:
    """Ist and Obligo of one snapshot of the year (a point of the burn chart)."""

    as_of: date
    ist: Decimal
    obligo: Decimal


@dataclass
class ExecutionOverview:
    """The dashboard's tile and chart: the year's totals and how the money flowed out."""

    year: int
    snapshot: SnapshotInfo | None
    total: Burn
    parts: dict[BudgetKind, Burn]
    points: list[BurnPoint]
    lines_overdrawn: int
    lines_at_risk: int
    measures_over_plan: int

    @property
    def has_data(self) -> bool:
        """True when there is a snapshot or an authorization in that year."""
        return self.snapshot is not None or self.total.authorized > 0

    def table(self) -> Any:
        """The chart's twin: one row per snapshot and the projection."""
        from steuerung.services.dashboard.data import Column, DataTable

        authorized = self.total.authorized
        rows: list[list[Any]] = []
        for point in self.points:
            rows.append(
                [
                    point.as_of,
                    point.ist,
                    point.obligo,
                    point.ist + point.obligo,
                    authorized,
                    authorized - point.ist - point.obligo,
                    (point.ist * 100 / authorized).quantize(Decimal("0.1"))
                    if authorized > 0
                    else None,
                ]
            )
        return DataTable(
            [
                Column("Stichtag", "date"),
                Column("Ist", "money"),
                Column("Obligo", "money"),
                Column("Ist + Obligo", "money"),
                Column("Ansatz + übertragene Ermächtigungen", "money"),
                Column("verfügbar", "money"),
                Column("Abfluss (Ist) in %", "percent"),
            ],
            rows,
        )


#: What the overview reads besides the measures' own data (warnings: block group ``CORE``):
#: lines, departments, money on lines (Ansatz, carry-forwards, rings) and the actuals.
OVERVIEW_PARTS = (
    *shared_parts("budget_lines", "departments"),
    LINE_MONEY_PART,
    ACTUALS_PART,
)


def execution_overview(year: int, *, department_id: int | None = None) -> ExecutionOverview:
    """Totals, warnings counted and the burn per snapshot of ``year`` (dashboard); reused
    until the data changes (shared: read-only)."""
    return cached(
        "execution.overview",
        (year, department_id),
        lambda: _execution_overview(year, department_id=department_id),
        parts=OVERVIEW_PARTS,
        reads=(CORE,),
    )


def _lines_and_burn(year: int, department_id: int | None) -> tuple[ExecutionFacts, list[BurnPoint]]:
    """The lines' figures and the burn per snapshot: no measure data (kept by the parts of
    lines, money on lines and actuals, so a change to a measure reads none of it again)."""
    facts = load_lines(year, department_id=department_id)
    if department_id is None:
        points = [
            BurnPoint(row.as_of, cents(row.total_ist), cents(row.total_obligo))
            for row in db.session.execute(
                select(
                    ActualsSnapshot.as_of, ActualsSnapshot.total_ist, ActualsSnapshot.total_obligo
                )
                .where(ActualsSnapshot.year == year)
                .order_by(ActualsSnapshot.as_of, ActualsSnapshot.id)
            )
        ]
    else:
        points = [
            BurnPoint(row.as_of, cents(row.ist), cents(row.obligo))
            for row in db.session.execute(
                select(
                    ActualsSnapshot.as_of,
                    func.sum(ActualRow.ist).label("ist"),
                    func.sum(ActualRow.obligo).label("obligo"),
                )
                .join(ActualRow, ActualRow.snapshot_id == ActualsSnapshot.id)
                .join(BudgetLine, BudgetLine.id == ActualRow.budget_line_id)
                .where(ActualsSnapshot.year == year, BudgetLine.department_id == department_id)
                .group_by(ActualsSnapshot.id, ActualsSnapshot.as_of)
                .order_by(ActualsSnapshot.as_of, ActualsSnapshot.id)
            )
        ]
    return facts, points


def _execution_overview(year: int, *, department_id: int | None = None) -> ExecutionOverview:
    facts, points = cached(
        "execution.lines_and_burn",
        (year, department_id),
        lambda: _lines_and_burn(year, department_id),
        parts=OVERVIEW_PARTS,
        reads=(),
    )
    lines = compute_lines(facts)
    total = sum_burns(item.figures for item in lines)
    parts = {
        kind: sum_burns(i.figures for i in lines if i.info.kind == kind)
        for kind in BudgetKind
        if any(i.info.kind == kind for i in lines)
    }
    # Several imports with the same Stichtag: the last one counts (as for the figures).
    by_day: dict[date, BurnPoint] = {}
    for point in points:
        by_day[point.as_of] = point
    _listed, over_plan = measures_with_warnings(
        year, snapshot=facts.snapshot, department_id=department_id, limit=0
    )
    return ExecutionOverview(
        year=year,
        snapshot=facts.snapshot,
        total=total,
        parts=parts,
        points=list(by_day.values()),
        lines_overdrawn=sum(1 for i in lines if i.figures.overdrawn > 0),
        lines_at_risk=sum(
            1 for i in lines if i.figures.overdrawn == 0 and i.figures.projected_short > 0
        ),
        measures_over_plan=over_plan,
    )


@dataclass(frozen=True)
class SnapshotLine:
    """A line's figures in one snapshot, with the part booked for measures."""

    line_id: int
    label: str
    name: str
    kind: BudgetKind
    ist: Decimal
    obligo: Decimal
    measure_ist: Decimal
    measures: int


def snapshot_lines(snapshot_id: int) -> list[SnapshotLine]:
    """The figures of a snapshot per line, as imported (older snapshots stay readable)."""
    query = (
        select(
            ActualRow.budget_line_id,
            func.sum(ActualRow.ist).label("ist"),
            func.sum(ActualRow.obligo).label("obligo"),
            func.sum(case((ActualRow.measure_id.is_not(None), ActualRow.ist), else_=0)).label(
                "measure_ist"
            ),
            func.count(ActualRow.measure_id.distinct()).label("measures"),
            BudgetLine.product,
            BudgetLine.cost_center,
            BudgetLine.account,
            BudgetLine.investment_number,
            BudgetLine.name,
            BudgetLine.kind,
        )
        .join(BudgetLine, BudgetLine.id == ActualRow.budget_line_id)
        .where(ActualRow.snapshot_id == snapshot_id)
        .group_by(
            ActualRow.budget_line_id,
            BudgetLine.product,
            BudgetLine.cost_center,
            BudgetLine.account,
            BudgetLine.investment_number,
            BudgetLine.name,
            BudgetLine.kind,
        )
        .order_by(BudgetLine.product, BudgetLine.cost_center, BudgetLine.account)
    )
    return [
        SnapshotLine(
            line_id=row.budget_line_id,
            label=_line_label(row.product, row.cost_center, row.account, row.investment_number),
            name=row.name,
            kind=BudgetKind(row.kind),
            ist=cents(row.ist),
            obligo=cents(row.obligo),
            measure_ist=cents(row.measure_ist),
            measures=row.measures,
        )
        for row in db.session.execute(query)
    ]
