"""The cut-off scenario: which measures the budget can carry, in the order of the portfolio.

The money is split into pots: one per budget part (Ergebnishaushalt / konsumtiv,
Finanzhaushalt / investiv) and year of the horizon, because the two parts never net. A pot
holds what the budget lines of that part have available for measures in that year
(Ansatz/Planung − base load − VE due; the coverage service's definition), unless the
treasury sets another amount for the scenario.

What a measure needs is its **own share** (gross cost minus grants) per pot.

1. Measures in progress or contractually bound are **fixed**: they are above the line
   whatever their rank, and their needs are taken from the pots first.
2. The other measures follow in the portfolio's rank order. A measure is **funded** only
   if its need fits into the rest of *every* pot it needs money from; then it is taken from
   them. If it does not fit, it is **missed** (with the amount missing per pot) and the
   next one is tried, so no money stays unused because one large measure did not fit.

The calculation (:func:`fit`) is pure; :func:`cutoff_scenario` loads the figures.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import String, and_, func, select, type_coerce

from steuerung.extensions import db
from steuerung.models import (
    BudgetKind,
    BudgetLine,
    BudgetScenario,
    CostPlanEntry,
    Department,
    Measure,
    MeasureStatus,
    User,
)
from steuerung.services.budget.coverage import MONEY_TYPE, grant_expr, load_facts, money
from steuerung.services.common.errors import ValidationFailed
from steuerung.services.common.numbers import MAX_AMOUNT
from steuerung.services.common.settings import get_settings
from steuerung.services.measures.rules import (
    COUNTING_STATUSES,
    measure_reference,
    visible_measures_filter,
)
from steuerung.services.portfolio.ranking import portfolio_statuses, rank_measures

ZERO = Decimal("0.00")
#: How many missed measures the page names as "just missing".
JUST_MISSED = 5
#: The page lists the first measures in rank order (the rest are counted).
PAGE_ROWS = 100
PART_NAMES = {BudgetKind.CONSUMPTIVE: "konsumtiv", BudgetKind.INVESTIVE: "investiv"}


class Pot(NamedTuple):
    """A pot: budget part (konsumtiv / investiv) and year."""

    part: BudgetKind
    year: int

    @property
    def label(self) -> str:
        """``konsumtiv 2026``."""
        return f"{PART_NAMES[self.part]} {self.year}"


def pot_key(pot: Pot) -> str:
    """``consumptive:2026``: a pot as text (URLs, JSON)."""
    part, year = pot
    return f"{part.value}:{year}"


def pot_from_key(text: str) -> Pot:
    """The inverse of :func:`pot_key`."""
    kind, year = text.split(":")
    return Pot(BudgetKind(kind), int(year))


@dataclass(frozen=True)
class Candidate:
    """A measure in the scenario with its own share per pot."""

    measure_id: int
    title: str
    department: str
    priority_class: str
    status: MeasureStatus
    fixed: bool
    needs: dict[Pot, Decimal]

    @property
    def reference(self) -> str:
        """``M-0042``."""
        return measure_reference(self.measure_id)

    @property
    def total(self) -> Decimal:
        """Own share over all pots."""
        return sum(self.needs.values(), ZERO)


@dataclass
class ScenarioLine:
    """A measure's place in the result."""

    rank: int
    candidate: Candidate
    #: "fixed", "funded" or "missed".
    placement: str
    #: For missed measures: what is missing per pot.
    shortfall: dict[Pot, Decimal] = field(default_factory=dict)

    @property
    def above(self) -> bool:
        """Fixed or funded."""
        return self.placement != "missed"

    @property
    def placement_label(self) -> str:
        """German word for the placement."""
        return PLACEMENT_LABELS[self.placement]


PLACEMENT_LABELS = {
    "fixed": "gesetzt (in Umsetzung / vertraglich gebunden)",
    "funded": "finanziert",
    "missed": "nicht finanziert",
}


@dataclass
class PotResult:
    """One pot: what is available, what fixed and funded measures take, what is left."""

    pot: Pot
    available: Decimal
    fixed: Decimal = ZERO
    funded: Decimal = ZERO
    #: True if the treasury set the amount for this scenario (not from the budget lines).
    overridden: bool = False

    @property
    def remaining(self) -> Decimal:
        """Left for further measures (negative: the fixed ones alone exceed the pot)."""
        return self.available - self.fixed - self.funded

    @property
    def label(self) -> str:
        """E.g. "konsumtiv 2026"."""
        return self.pot.label


@dataclass
class ScenarioResult:
    """Outcome of a cut-off scenario."""

    budget_year: int
    years: list[int]
    include_submitted: bool
    pots: dict[Pot, PotResult]
    lines: list[ScenarioLine]

    @property
    def fixed(self) -> list[ScenarioLine]:
        """Measures in progress or contractually bound."""
        return [line for line in self.lines if line.placement == "fixed"]

    @property
    def funded(self) -> list[ScenarioLine]:
        """Measures the scenario can fund."""
        return [line for line in self.lines if line.placement == "funded"]

    @property
    def missed(self) -> list[ScenarioLine]:
        """Measures that do not fit."""
        return [line for line in self.lines if line.placement == "missed"]

    @property
    def just_missed(self) -> list[ScenarioLine]:
        """The first missed measures in rank order, with what they lack."""
        return self.missed[:JUST_MISSED]

    @property
    def pot_list(self) -> list[PotResult]:
        """Pots by budget part, then year."""
        return [self.pots[Pot(kind, year)] for kind in BudgetKind for year in self.years]

    def to_json(self, params: dict[str, Any] | None = None) -> str:
        """Snapshot stored with a saved scenario."""
        return json.dumps(
            {
                "budget_year": self.budget_year,
                "years": self.years,
                "include_submitted": self.include_submitted,
                "pots": _pots_json(self.pot_list),
                "lines": [_line_json(line) for line in self.lines],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> ScenarioResult:
        """Rebuild a stored snapshot (also those saved before scenarios had pots)."""
        data = json.loads(text or "{}")
        if "pots" not in data:
            return _legacy(data)
        years = [int(y) for y in data["years"]]
        pots = _pots_from_json(data["pots"])
        lines = [_line_from_json(raw) for raw in data["lines"]]
        return cls(int(data["budget_year"]), years, bool(data["include_submitted"]), pots, lines)


def _pots_json(pots: list[PotResult]) -> list[dict[str, Any]]:
    return [
        {
            "pot": pot_key(p.pot),
            "available": str(p.available),
            "fixed": str(p.fixed),
            "funded": str(p.funded),
            "overridden": p.overridden,
        }
        for p in pots
    ]


def _pots_from_json(raw_pots: list[dict[str, Any]]) -> dict[Pot, PotResult]:
    return {
        pot_from_key(raw["pot"]): PotResult(
            pot_from_key(raw["pot"]),
            Decimal(raw["available"]),
            Decimal(raw["fixed"]),
            Decimal(raw["funded"]),
            bool(raw.get("overridden")),
        )
        for raw in raw_pots
    }


def _line_json(line: ScenarioLine) -> dict[str, Any]:
    return {
        "rank": line.rank,
        "measure_id": line.candidate.measure_id,
        "title": line.candidate.title,
        "department": line.candidate.department,
        "class": line.candidate.priority_class,
        "status": line.candidate.status.value,
        "fixed": line.candidate.fixed,
        "needs": {pot_key(k): str(v) for k, v in line.candidate.needs.items()},
        "placement": line.placement,
        "shortfall": {pot_key(k): str(v) for k, v in line.shortfall.items()},
    }


def _line_from_json(raw: dict[str, Any]) -> ScenarioLine:
    return ScenarioLine(
        rank=int(raw["rank"]),
        candidate=Candidate(
            measure_id=int(raw["measure_id"]),
            title=raw["title"],
            department=raw.get("department", ""),
            priority_class=raw.get("class", "–"),
            status=MeasureStatus(raw["status"]),
            fixed=bool(raw["fixed"]),
            needs={pot_from_key(k): Decimal(v) for k, v in raw["needs"].items()},
        ),
        placement=raw["placement"],
        shortfall={pot_from_key(k): Decimal(v) for k, v in raw["shortfall"].items()},
    )


@dataclass
class ScenarioView:
    """What the scenario page shows: pots, counts, the measures that just miss and the first
    ``rows`` lines. Small enough to keep as a job's result for any portfolio size."""

    budget_year: int
    years: list[int]
    include_submitted: bool
    pots: dict[Pot, PotResult]
    counts: dict[str, int]
    just_missed: list[ScenarioLine]
    shown: list[ScenarioLine]
    total_lines: int

    @property
    def pot_list(self) -> list[PotResult]:
        """Pots by budget part, then year."""
        return [self.pots[Pot(kind, year)] for kind in BudgetKind for year in self.years]

    @property
    def hidden(self) -> int:
        """Lines not listed on the page."""
        return self.total_lines - len(self.shown)

    @classmethod
    def of(cls, result: ScenarioResult, rows: int) -> ScenarioView:
        """The page of a computed scenario."""
        counts = {"fixed": 0, "funded": 0, "missed": 0}
        for line in result.lines:
            counts[line.placement] += 1
        return cls(
            result.budget_year,
            result.years,
            result.include_submitted,
            result.pots,
            counts,
            result.just_missed,
            result.lines[:rows],
            len(result.lines),
        )

    def to_json(self) -> str:
        """The page as JSON (the background job's result)."""
        return json.dumps(
            {
                "budget_year": self.budget_year,
                "years": self.years,
                "include_submitted": self.include_submitted,
                "pots": _pots_json(self.pot_list),
                "counts": self.counts,
                "just_missed": [_line_json(line) for line in self.just_missed],
                "shown": [_line_json(line) for line in self.shown],
                "total_lines": self.total_lines,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> ScenarioView:
        """The inverse of :meth:`to_json`."""
        data = json.loads(text)
        return cls(
            int(data["budget_year"]),
            [int(y) for y in data["years"]],
            bool(data["include_submitted"]),
            _pots_from_json(data["pots"]),
            {k: int(v) for k, v in data["counts"].items()},
            [_line_from_json(raw) for raw in data["just_missed"]],
            [_line_from_json(raw) for raw in data["shown"]],
            int(data["total_lines"]),
        )


def _legacy(data: dict[str, Any]) -> ScenarioResult:
    """A snapshot of the first version (one year, one amount, both parts in one pot)."""
    year = int(data.get("year", 0))
    pot = Pot(BudgetKind.CONSUMPTIVE, year)
    result = PotResult(pot, Decimal(data.get("available", "0")), overridden=True)
    lines = []
    for raw in data.get("lines", []):
        amount = Decimal(raw["amount"])
        if raw["fits"]:
            result.funded += amount
        lines.append(
            ScenarioLine(
                rank=int(raw["rank"]),
                candidate=Candidate(
                    int(raw["measure_id"]),
                    raw["title"],
                    raw.get("department", ""),
                    raw.get("class", "–"),
                    MeasureStatus.APPROVED,
                    False,
                    {pot: amount},
                ),
                placement="funded" if raw["fits"] else "missed",
            )
        )
    return ScenarioResult(
        year,
        [year],
        bool(data.get("include_submitted")),
        {
            pot: result,
            Pot(BudgetKind.INVESTIVE, year): PotResult(Pot(BudgetKind.INVESTIVE, year), ZERO),
        },
        lines,
    )


def fit(
    candidates: list[Candidate],
    available: dict[Pot, Decimal],
    *,
    budget_year: int,
    years: list[int],
    include_submitted: bool,
    overridden: set[Pot] | None = None,
) -> ScenarioResult:
    """Apply the scenario rules (module docstring) to candidates in rank order (pure)."""
    pots = {
        Pot(kind, year): PotResult(
            Pot(kind, year),
            available.get(Pot(kind, year), ZERO),
            overridden=Pot(kind, year) in (overridden or set()),
        )
        for kind in BudgetKind
        for year in years
    }
    for candidate in candidates:
        if candidate.fixed:
            for pot, need in candidate.needs.items():
                pots[pot].fixed += need
    lines: list[ScenarioLine] = []
    for rank, candidate in enumerate(candidates, start=1):
        if candidate.fixed:
            lines.append(ScenarioLine(rank, candidate, "fixed"))
            continue
        shortfall = {
            pot: need - pots[pot].remaining
            for pot, need in candidate.needs.items()
            if need > 0 and need > pots[pot].remaining
        }
        if shortfall:
            lines.append(ScenarioLine(rank, candidate, "missed", shortfall))
            continue
        for pot, need in candidate.needs.items():
            pots[pot].funded += need
        lines.append(ScenarioLine(rank, candidate, "funded"))
    return ScenarioResult(budget_year, years, include_submitted, pots, lines)


def available_per_pot(years: list[int]) -> dict[Pot, Decimal]:
    """Money available for measures per budget part and year, from the budget lines."""
    facts = load_facts(years)
    pots: dict[Pot, Decimal] = defaultdict(lambda: ZERO)
    for (line_id, year), figures in facts.figures.items():
        kind = facts.lines[line_id].kind
        pots[Pot(kind, year)] += figures.planned - figures.base_load - figures.ve_due
    return dict(pots)


def validate_overrides(overrides: Mapping[Pot, Decimal | None]) -> dict[Pot, Decimal]:
    """Drop empty overrides; refuse negative or absurd amounts."""
    clean = {}
    for key, amount in overrides.items():
        pot = Pot(*key)
        if amount is None:
            continue
        if amount < 0 or amount > MAX_AMOUNT:
            raise ValidationFailed(
                "Der verfügbare Betrag darf nicht negativ oder größer als 999.999.999.999,99 sein.",
                f"pot_{pot.part.value}_{pot.year}",
            )
        clean[pot] = amount
    return clean


#: Above this many measures the scenario is computed by the job system (it reads every
#: measure's cost plan: about 0.1 s per 1,000 measures on one core).
INLINE_LIMIT = 3000


def runs_in_background(user: User, include_submitted: bool) -> bool:
    """True when the scenario would keep a page waiting for more than about half a second."""
    statuses = {*portfolio_statuses(include_submitted), *COUNTING_STATUSES}
    count = db.session.scalar(
        select(func.count(Measure.id)).where(
            visible_measures_filter(user), Measure.status.in_(statuses)
        )
    )
    return (count or 0) > INLINE_LIMIT


def load_candidates(user: User, years: list[int], include_submitted: bool) -> list[Candidate]:
    """Measures of the scenario in rank order with their own share per pot (three queries).

    Fixed: in progress, or contractually bound in any of the scenario's states.
    """
    statuses = {*portfolio_statuses(include_submitted), *COUNTING_STATUSES}
    condition = and_(visible_measures_filter(user), Measure.status.in_(statuses))
    # Core rows with enum columns read as their text: at 100,000 measures the ORM's row and
    # enum processing took most of the time.
    connection = db.session.connection()
    rows = connection.execute(
        select(
            Measure.id,
            Measure.priority_class,
            Measure.score,
            Measure.rank_override,
            Measure.title,
            type_coerce(Measure.status, String).label("status"),
            Measure.contractually_bound,
            Department.code,
        )
        .join(Department, Department.id == Measure.department_id)
        .where(condition)
    ).all()
    pots = {(kind.value, year): Pot(kind, year) for kind in BudgetKind for year in years}
    needs: dict[int, dict[Pot, Decimal]] = defaultdict(dict)
    for measure_id, kind, year, gross, grant in connection.execute(
        select(
            CostPlanEntry.measure_id,
            type_coerce(BudgetLine.kind, String),
            CostPlanEntry.year,
            type_coerce(func.sum(CostPlanEntry.amount), MONEY_TYPE),
            type_coerce(func.sum(grant_expr()), MONEY_TYPE),
        )
        .join(BudgetLine, BudgetLine.id == CostPlanEntry.budget_line_id)
        .join(Measure, Measure.id == CostPlanEntry.measure_id)
        .where(condition, CostPlanEntry.year.in_(years))
        .group_by(CostPlanEntry.measure_id, BudgetLine.kind, CostPlanEntry.year)
    ):
        needs[measure_id][pots[(kind, year)]] = money(gross) - money(grant)
    status_of = {status.value: status for status in MeasureStatus}
    candidates = []
    for row in rank_measures(rows):
        need = needs.get(row.id)
        if not need:
            continue
        status = status_of[row.status]
        candidates.append(
            Candidate(
                measure_id=row.id,
                title=row.title,
                department=row.code,
                priority_class=row.priority_class or "–",
                status=status,
                fixed=status == MeasureStatus.IN_PROGRESS or bool(row.contractually_bound),
                needs=need,
            )
        )
    return candidates


def cutoff_scenario(
    user: User,
    include_submitted: bool = True,
    overrides: Mapping[Pot, Decimal | None] | None = None,
) -> ScenarioResult:
    """The scenario for the horizon of the current budget year (see the module docstring)."""
    settings = get_settings()
    years = settings.horizon
    clean = validate_overrides(overrides or {})
    available = {**available_per_pot(years), **clean}
    return fit(
        load_candidates(user, years, include_submitted),
        available,
        budget_year=settings.budget_year,
        years=years,
        include_submitted=include_submitted,
        overridden=set(clean),
    )


def save_scenario(
    name: str,
    result: ScenarioResult,
    by: User | None,
    overrides: dict[Pot, Decimal] | None = None,
) -> BudgetScenario:
    """Store ``result`` under ``name`` (required, max. 120 characters); flushes."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Bitte geben Sie dem Szenario einen Namen.", "name")
    if len(name) > 120:
        raise ValidationFailed("Der Name darf höchstens 120 Zeichen lang sein.", "name")
    scenario = BudgetScenario(
        name=name,
        budget_year=result.budget_year,
        include_submitted=result.include_submitted,
        params_json=json.dumps(
            {"available": {pot_key(k): str(v) for k, v in (overrides or {}).items()}}
        ),
        result_json=result.to_json(),
        created_by_id=by.id if by is not None else None,
    )
    db.session.add(scenario)
    db.session.flush()
    return scenario


def saved_scenarios() -> list[BudgetScenario]:
    """All saved scenarios, newest first."""
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            select(BudgetScenario)
            .options(joinedload(BudgetScenario.created_by))
            .order_by(BudgetScenario.created_at.desc(), BudgetScenario.id.desc())
        )
    )


@dataclass
class ComparisonRow:
    """One measure across the compared scenarios: its placement in each (None: absent)."""

    reference: str
    title: str
    placements: list[str | None]

    @property
    def differs(self) -> bool:
        """True if the measure is not placed the same way in every scenario."""
        above = {None if p is None else p != "missed" for p in self.placements}
        return len(above) > 1

    @property
    def labels(self) -> list[str]:
        """German words per scenario."""
        return [PLACEMENT_LABELS[p] if p else "–" for p in self.placements]


def compare_scenarios(
    scenarios: list[BudgetScenario],
) -> tuple[list[ScenarioResult], list[ComparisonRow]]:
    """Results of ``scenarios`` and, per measure, where it lies in each."""
    results = [ScenarioResult.from_json(s.result_json) for s in scenarios]
    order: dict[int, tuple[str, str]] = {}
    for result in results:
        for line in result.lines:
            order.setdefault(
                line.candidate.measure_id, (line.candidate.reference, line.candidate.title)
            )
    placed = [{line.candidate.measure_id: line.placement for line in r.lines} for r in results]
    rows = [
        ComparisonRow(reference, title, [p.get(measure_id) for p in placed])
        for measure_id, (reference, title) in order.items()
    ]
    return results, rows
