"""Compare any two plan versions, per line and per department.

Lines are matched by their key (the budget line, or the proposal a line started as). A line
appears in the comparison only when something changed: it is new (added), gone (removed),
or an amount of some year differs. Per line the comparison says what was there before
(e.g. requested in the Anmeldung), what is there now, the difference per year, the reason of
the first version and the reasons given on the way: of the second version and, when it lies
later in the same year's chain, of every stage in between (a cut made in the Entwurf is
explained there, not in the Beschluss that followed it).

Per department it adds up what was there before, what was cut, what was added, and what is
there now; cuts and additions are summed per line and year (a cut on one line is never
netted with an addition on another).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from steuerung.extensions import db
from steuerung.models import BudgetKind, PlanLine, PlanVersion
from steuerung.services.planning.versions import line_label, line_name, load_lines

ZERO = Decimal("0.00")

#: What happened to a line between the two versions.
ADDED = "neu"
REMOVED = "entfallen"
CUT = "gekürzt"
RAISED = "erhöht"
SHIFTED = "umgeschichtet"


@dataclass
class LineChange:
    """A line that differs between the two versions."""

    key: str
    label: str
    name: str
    department_id: int
    department_code: str
    kind: BudgetKind
    years: list[int]
    before: dict[int, Decimal] | None
    after: dict[int, Decimal] | None
    reason_before: str
    reason_after: str
    proposal: bool
    #: (stage, reason) of the stages after the first up to the second that gave a reason.
    reasons: list[tuple[str, str]] = field(default_factory=list)

    def amount_before(self, year: int) -> Decimal:
        """Amount of ``year`` in the first version (0 if the line was not there)."""
        return (self.before or {}).get(year, ZERO)

    def amount_after(self, year: int) -> Decimal:
        """Amount of ``year`` in the second version (0 if the line is gone)."""
        return (self.after or {}).get(year, ZERO)

    def diff(self, year: int) -> Decimal:
        """Second minus first version in ``year``."""
        return self.amount_after(year) - self.amount_before(year)

    @property
    def total_before(self) -> Decimal:
        """Sum over the years, first version."""
        return sum((self.amount_before(y) for y in self.years), ZERO)

    @property
    def total_after(self) -> Decimal:
        """Sum over the years, second version."""
        return sum((self.amount_after(y) for y in self.years), ZERO)

    @property
    def cut(self) -> Decimal:
        """Sum of the decreases over the years (positive number)."""
        return sum((-self.diff(y) for y in self.years if self.diff(y) < 0), ZERO)

    @property
    def added(self) -> Decimal:
        """Sum of the increases over the years."""
        return sum((self.diff(y) for y in self.years if self.diff(y) > 0), ZERO)

    @property
    def change(self) -> str:
        """neu, entfallen, gekürzt, erhöht or umgeschichtet (some years up, others down)."""
        if self.before is None:
            return ADDED
        if self.after is None:
            return REMOVED
        if self.cut and self.added:
            return SHIFTED
        return CUT if self.cut else RAISED


@dataclass
class DepartmentChange:
    """A department's totals over the horizon: before, cut, added, after."""

    id: int
    code: str
    name: str
    before: Decimal = ZERO
    cut: Decimal = ZERO
    added: Decimal = ZERO
    after: Decimal = ZERO
    changed_lines: int = 0

    @property
    def diff(self) -> Decimal:
        """After minus before."""
        return self.after - self.before


@dataclass
class Comparison:
    """The changes from ``first`` to ``second``."""

    first: PlanVersion
    second: PlanVersion
    years: list[int]
    lines: list[LineChange]
    departments: list[DepartmentChange] = field(default_factory=list)

    @property
    def before(self) -> Decimal:
        """Total of the departments shown, first version."""
        return sum((d.before for d in self.departments), ZERO)

    @property
    def after(self) -> Decimal:
        """Total of the departments shown, second version."""
        return sum((d.after for d in self.departments), ZERO)

    @property
    def cut(self) -> Decimal:
        """All cuts."""
        return sum((d.cut for d in self.departments), ZERO)

    @property
    def added(self) -> Decimal:
        """All additions."""
        return sum((d.added for d in self.departments), ZERO)


def _by_key(lines: list[PlanLine]) -> dict[str, PlanLine]:
    return {line.key: line for line in lines}


def reasons_on_the_way(first: PlanVersion, second: PlanVersion) -> dict[str, list[tuple[str, str]]]:
    """key -> (stage, reason) of the versions after ``first`` up to ``second`` (same year,
    in order); only ``second``'s own reasons when it does not follow ``first``."""
    if first.budget_year == second.budget_year and first.position < second.position:
        low, high = first.position + 1, second.position
    else:
        low = high = second.position
    rows = db.session.execute(
        select(PlanLine.key, PlanLine.reason, PlanVersion.id)
        .join(PlanVersion, PlanVersion.id == PlanLine.plan_version_id)
        .where(
            PlanVersion.budget_year == second.budget_year,
            PlanVersion.position.between(low, high),
            PlanLine.reason != "",
        )
        .order_by(PlanVersion.position, PlanLine.id)
    )
    labels: dict[int, str] = {}
    result: dict[str, list[tuple[str, str]]] = {}
    for key, reason, version_id in rows:
        if version_id not in labels:
            version = db.session.get(PlanVersion, version_id)
            labels[version_id] = version.stage_label if version is not None else ""
        result.setdefault(key, []).append((labels[version_id], reason))
    return result


def compare(
    first: PlanVersion, second: PlanVersion, department_ids: set[int] | None = None
) -> Comparison:
    """What changed from ``first`` to ``second`` (only ``department_ids`` if given)."""
    years = sorted(set(first.years) | set(second.years))
    old = _by_key(load_lines(first))
    new = _by_key(load_lines(second))
    departments: dict[int, DepartmentChange] = {}
    changes: list[LineChange] = []
    on_the_way = reasons_on_the_way(first, second)
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        shown = b or a
        assert shown is not None
        if department_ids is not None and shown.department_id not in department_ids:
            continue
        change = LineChange(
            key=key,
            label=line_label(shown),
            name=line_name(shown),
            department_id=shown.department_id,
            department_code=shown.department.code,
            kind=shown.kind,
            years=years,
            before={y: a.amount_of(y) for y in years} if a is not None else None,
            after={y: b.amount_of(y) for y in years} if b is not None else None,
            reason_before=a.reason if a is not None else "",
            reason_after=b.reason if b is not None else "",
            proposal=shown.is_proposal,
            reasons=on_the_way.get(key, []),
        )
        dept = departments.setdefault(
            shown.department_id,
            DepartmentChange(shown.department_id, shown.department.code, shown.department.name),
        )
        dept.before += change.total_before
        dept.after += change.total_after
        dept.cut += change.cut
        dept.added += change.added
        if a is None or b is None or any(change.diff(y) for y in years):
            dept.changed_lines += 1
            changes.append(change)
    changes.sort(key=lambda c: (c.department_code, c.label, c.key))
    return Comparison(
        first,
        second,
        years,
        changes,
        sorted(departments.values(), key=lambda d: d.code),
    )
