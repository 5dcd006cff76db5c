"""Dashboard figures for the coordinating office and leadership: all aggregates in SQL.

Every tile and chart has its own dataclass with a ``table()`` that yields the same data as a
:class:`DataTable` – the accessible twin on the page and the CSV download use that table.
The number of queries does not depend on the number of measures (each figure is one or two
``GROUP BY`` queries; per-measure details are only read for a fixed number of measures).

Definitions (shown on the page, too):

* **Filters** apply to every figure. *Fachbereich*: the measure's submitting department.
  *Handlungsfeld*: the measure is linked to at least one goal of that field.
  *Kategorie*: the measure's category. *Jahr*: the measure's runtime touches that year
  (measures without start or end date count as touching it); the money figures use that
  year instead of the budget year.
* **Handlungsfeld of a measure** (stacked bars, report, portfolio): a measure linked to goals
  of several fields counts once, for the field of its first goal in agenda order (field
  position, goal position), the same rule as the portfolio; measures without a goal count
  under "ohne Handlungsfeld".
* **Ampel**: the latest status report (latest ``reported_on``, then latest entry) of each
  measure that owes reports (approved or in progress); its overall light is the worst of the
  three lights; "rot" = at least one red light.
* **Ohne Verantwortliche/n**: measures not completed, rejected or cancelled whose owner is
  missing or deactivated.
* **Rank**: the portfolio's (``services.portfolio.rank_measures``): manual ranks at their
  position, the rest by class A/B/C, then score, then number.
* **Roadmap**: approved and in-progress measures with start and end date, the
  ``ROADMAP_LIMIT`` highest ranked.
* **Portfolio**: scored measures in the portfolio's states, the ``PORTFOLIO_LIMIT`` highest
  ranked.
* **Money** comes from ``services.budget.coverage.coverage_by_year`` with its rules: the own
  share of approved and in-progress measures against the money available on each line
  (Ansatz minus base load minus VE due), gaps never offset by another line's surplus except
  inside a Deckungsring; a total shows the sum of the gaps and the sum of the free amounts.
  With the department filter: that department's lines (Teilhaushalt); with field of action
  or category: those measures' demand and the part of the lines' gaps it causes.
  The year filter does not restrict the money figures by runtime, only picks the year.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    or_,
    select,
    true,
)

from steuerung.extensions import db
from steuerung.formatting import NUMERIC_KINDS, cell
from steuerung.formatting import money as format_money
from steuerung.models import (
    ActionField,
    Agenda,
    AgendaStatus,
    Department,
    Goal,
    Measure,
    MeasureCategory,
    MeasureStatus,
    Milestone,
    TrafficLight,
    User,
    measure_goals,
)
from steuerung.models.budget import MAX_YEAR, MIN_YEAR
from steuerung.services.agenda.rules import primary_fields
from steuerung.services.budget.coverage import YearCoverage, coverage_by_year
from steuerung.services.common.audit import AGENDA_TABLES, CORE, REPORTS, shared_parts
from steuerung.services.common.cache import Blocks, cached, summed_by_block, top_by_block
from steuerung.services.common.settings import get_settings
from steuerung.services.measures.costs import depreciation, horizon_costs, investive_totals
from steuerung.services.measures.editing import measure_titles
from steuerung.services.measures.reports import latest_overall
from steuerung.services.measures.rules import (
    COUNTING_STATUSES,
    REPORTING_STATUSES,
    lacks_owner_clause,
    measure_reference,
    visibility_scope,
    visible_measures_filter,
)
from steuerung.services.portfolio.ranking import (
    PORTFOLIO_STATUSES,
    natural_key,
    rank_measures,
    rank_order,
)

#: How many measures the roadmap shows at most.
ROADMAP_LIMIT = 30
#: How many measures the portfolio bubble chart shows at most.
PORTFOLIO_LIMIT = 100
#: How many red measures the leadership summary names.
SUMMARY_NAMES = 5
#: Status groups of the goal coverage matrix (rejected and cancelled measures cover nothing).
GOAL_GROUPS: list[tuple[str, tuple[MeasureStatus, ...]]] = [
    (
        "in Planung",
        (
            MeasureStatus.DRAFT,
            MeasureStatus.SUBMITTED,
            MeasureStatus.UNDER_REVIEW,
            MeasureStatus.RETURNED,
            MeasureStatus.DEFERRED,
        ),
    ),
    ("freigegeben / in Umsetzung", (MeasureStatus.APPROVED, MeasureStatus.IN_PROGRESS)),
    ("abgeschlossen", (MeasureStatus.COMPLETED,)),
]
#: Label of measures without a linked goal.
NO_FIELD = "ohne Handlungsfeld"
#: Label of reporting measures without any status report.
NO_REPORT = "kein Bericht"


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    """A column of a data table; ``kind`` tells the page how to format it."""

    label: str
    #: "text", "int", "money", "percent" or "date".
    kind: str = "text"

    @property
    def numeric(self) -> bool:
        """True for numbers (right-aligned)."""
        return self.kind in NUMERIC_KINDS


@dataclass
class DataTable:
    """The twin of a chart: the same data as rows (page table and CSV download)."""

    columns: list[Column]
    rows: list[list[Any]]

    @property
    def headers(self) -> list[str]:
        """Column labels."""
        return [c.label for c in self.columns]

    def cells(self) -> list[list[tuple[str, bool]]]:
        """The rows as shown on a page: per cell its German text and whether it is a
        number (right-aligned); formatted here, not cell by cell in the template."""
        kinds = [(c.kind, c.numeric) for c in self.columns]
        return [
            [(cell(v, kind), numeric) for v, (kind, numeric) in zip(row, kinds, strict=False)]
            for row in self.rows
        ]


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class DashboardFilters:
    """The filters of the dashboard (all optional); they live in the URL."""

    department_id: int | None = None
    action_field_id: int | None = None
    category: MeasureCategory | None = None
    year: int | None = None

    @property
    def active(self) -> bool:
        """True if any filter is set."""
        return any(
            v is not None
            for v in (self.department_id, self.action_field_id, self.category, self.year)
        )

    def as_args(self) -> dict[str, str]:
        """URL query arguments for links (CSV downloads, report)."""
        args: dict[str, str] = {}
        if self.department_id is not None:
            args["fachbereich"] = str(self.department_id)
        if self.action_field_id is not None:
            args["handlungsfeld"] = str(self.action_field_id)
        if self.category is not None:
            args["kategorie"] = self.category.value
        if self.year is not None:
            args["jahr"] = str(self.year)
        return args


@dataclass
class FilterOptions:
    """Choices of the filter form."""

    departments: list[tuple[int, str]]
    action_fields: list[tuple[int, str]]
    categories: list[tuple[str, str]]
    years: list[int]


def filter_options(budget_year: int) -> FilterOptions:
    """Departments, fields of action of the current agenda, categories and years (2 queries)."""
    departments = [
        (row.id, f"{row.code} – {row.name}")
        for row in db.session.execute(
            select(Department.id, Department.code, Department.name).order_by(Department.code)
        )
    ]
    agenda_id = current_agenda_id_subquery()
    fields = [
        (row.id, row.name)
        for row in db.session.execute(
            select(ActionField.id, ActionField.name)
            .where(ActionField.agenda_id == agenda_id)
            .order_by(ActionField.position, ActionField.id)
        )
    ]
    categories = [(c.value, c.label) for c in MeasureCategory]
    years = [budget_year - 1 + i for i in range(5)]
    return FilterOptions(departments, fields, categories, years)


def parse_filters(
    args: Mapping[str, str], options: FilterOptions
) -> tuple[DashboardFilters, dict[str, str]]:
    """Read the filters from URL arguments; invalid values are dropped with a German message.

    Returns the valid filters and a dict ``{argument: message}`` of the rejected ones.
    """
    errors: dict[str, str] = {}

    def _int(name: str) -> int | None:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            return None

    department_id = _int("fachbereich")
    if (args.get("fachbereich") or "").strip() and department_id not in {
        d for d, _ in options.departments
    }:
        errors["fachbereich"] = "Diesen Fachbereich gibt es nicht."
        department_id = None

    action_field_id = _int("handlungsfeld")
    if (args.get("handlungsfeld") or "").strip() and action_field_id not in {
        f for f, _ in options.action_fields
    }:
        errors["handlungsfeld"] = "Dieses Handlungsfeld gibt es in der aktuellen Agenda nicht."
        action_field_id = None

    category: MeasureCategory | None = None
    raw_category = (args.get("kategorie") or "").strip()
    if raw_category:
        try:
            category = MeasureCategory(raw_category)
        except ValueError:
            errors["kategorie"] = "Diese Kategorie gibt es nicht."

    year = _int("jahr")
    if (args.get("jahr") or "").strip() and (year is None or not MIN_YEAR <= year <= MAX_YEAR):
        errors["jahr"] = f"Bitte ein Jahr zwischen {MIN_YEAR} und {MAX_YEAR} angeben."
        year = None

    return DashboardFilters(department_id, action_field_id, category, year), errors


def measure_conditions(filters: DashboardFilters, user: User | None) -> list[ColumnElement[bool]]:
    """SQL conditions on ``Measure`` for the filters (and what ``user`` may read)."""
    conditions: list[ColumnElement[bool]] = [
        visible_measures_filter(user) if user is not None else true()
    ]
    if filters.department_id is not None:
        conditions.append(Measure.department_id == filters.department_id)
    if filters.category is not None:
        conditions.append(Measure.category == filters.category)
    if filters.action_field_id is not None:
        conditions.append(
            exists(
                select(measure_goals.c.goal_id)
                .join(Goal, Goal.id == measure_goals.c.goal_id)
                .where(
                    measure_goals.c.measure_id == Measure.id,
                    Goal.action_field_id == filters.action_field_id,
                )
            )
        )
    if filters.year is not None:
        conditions.append(
            and_(
                or_(Measure.start_date.is_(None), Measure.start_date <= date(filters.year, 12, 31)),
                or_(Measure.end_date.is_(None), Measure.end_date >= date(filters.year, 1, 1)),
            )
        )
    return conditions


class _Row(NamedTuple):
    """A (field, status, number of measures) row of :func:`status_by_field`."""

    field_id: int | None
    status: str
    measures: int


def measure_fields(
    where: Sequence[ColumnElement[bool]], goal_where: Sequence[ColumnElement[bool]]
) -> Any:
    """Subquery ``(id, field_id)``: the measures matching ``where`` with the field of action
    of their first goal (None without goals); ``goal_where`` narrows the goal links read
    (the same measures, as conditions on ``measure_goals.c.measure_id``)."""
    fields = primary_fields(*goal_where)
    return (
        select(Measure.id.label("id"), fields.c.field_id)
        .outerjoin(fields, fields.c.measure_id == Measure.id)
        .where(*where)
        .subquery("measure_fields")
    )


def ranked_ids(
    key: Hashable, conditions: list[ColumnElement[bool]], limit: int
) -> tuple[int, list[int]]:
    """How many measures match ``conditions``, and the ids of the ``limit`` highest ranked.

    The rank is the portfolio's (``services.portfolio.rank_measures``: manual ranks at their
    position, the rest in natural order). Only the measures with a manual rank and the first
    ``limit`` of the natural order are needed: the first ``limit`` ranks depend on no others.
    Both are kept per block of measures (``key`` names ``conditions`` in the cache).
    """
    columns = (Measure.id, Measure.priority_class, Measure.score, Measure.rank_override)

    def overridden_rows(blocks: Blocks) -> Any:
        return db.session.execute(
            select(blocks.of(Measure.id), func.count().over(partition_by=blocks.of(Measure.id)))
            .add_columns(*columns)
            .where(*conditions, *blocks.only(Measure.id), Measure.rank_override.is_not(None))
        )

    def natural_rows(blocks: Blocks) -> Any:
        block = blocks.of(Measure.id).label("block")
        inner = (
            select(
                block,
                func.count().over(partition_by=block).label("count"),
                *columns,
                func.row_number().over(partition_by=block, order_by=rank_order()).label("n"),
            )
            .where(*conditions, *blocks.only(Measure.id), Measure.rank_override.is_(None))
            .subquery()
        )
        return db.session.execute(select(inner).where(inner.c.n <= limit))

    overridden = top_by_block(
        "dashboard.ranked.overridden",
        key,
        overridden_rows,
        limit=None,
        order=lambda row: (row.rank_override, row.id),
        shared_parts=shared_parts(*AGENDA_TABLES),
        reads=(CORE,),
    ).get((), (0, []))
    natural = top_by_block(
        "dashboard.ranked.natural",
        (key, limit),
        natural_rows,
        limit=limit,
        order=natural_key,
        shared_parts=shared_parts(*AGENDA_TABLES),
        reads=(CORE,),
    ).get((), (0, []))
    ranked = rank_measures([*overridden[1], *natural[1]])[:limit]
    return overridden[0] + natural[0], [row.id for row in ranked]


# --------------------------------------------------------------------------- tiles


@dataclass
class Tiles:
    """The key figures at the top of the dashboard."""

    total: int
    status_counts: dict[MeasureStatus, int]
    red_lights: int
    overdue_reports: int
    without_owner: int
    year: int
    #: The coverage totals of ``year`` (the one definition of the coverage service).
    coverage: YearCoverage

    @property
    def status_list(self) -> list[tuple[MeasureStatus, int]]:
        """States with at least one measure, in lifecycle order."""
        return [(s, self.status_counts[s]) for s in MeasureStatus if self.status_counts.get(s)]

    def table(self) -> DataTable:
        """The tiles as rows (Kennzahl, Wert)."""
        rows: list[list[Any]] = [["Maßnahmen insgesamt", self.total]]
        rows += [[f"Status: {s.label}", self.status_counts.get(s, 0)] for s in MeasureStatus]
        rows += [
            ["Maßnahmen mit roter Ampel", self.red_lights],
            ["Überfällige Statusberichte", self.overdue_reports],
            ["Maßnahmen ohne Verantwortliche/n", self.without_owner],
            [f"Verfügbar {self.year}", self.coverage.figures.available],
            [f"Bedarf brutto {self.year}", self.coverage.figures.gross],
            [f"Förderung {self.year}", self.coverage.figures.grant],
            [f"Eigenanteil {self.year}", self.coverage.figures.own],
            [f"Summe der Lücken {self.year}", self.coverage.gap],
            [f"Summe der freien Beträge {self.year}", self.coverage.free],
            [f"Deckungsstatus {self.year}", self.coverage.status.label],
        ]
        return DataTable([Column("Kennzahl"), Column("Wert")], rows)


def _coverage_rows(filters: DashboardFilters, years: list[int]) -> list[YearCoverage]:
    return list(
        coverage_by_year(
            years,
            department_id=filters.department_id,
            action_field_id=filters.action_field_id,
            category=filters.category,
        )
    )


def tiles(
    filters: DashboardFilters,
    user: User | None,
    today: date | None = None,
    *,
    coverage: list[YearCoverage] | None = None,
    lights: LightsByDepartment | None = None,
) -> Tiles:
    """Counts by status, red lights, overdue reports, measures without owner, money of the year.

    ``coverage`` (rows of the coverage service including the tile's year) and ``lights``
    may be handed in when the caller has them already (the dashboard), saving queries.
    """
    from steuerung.services.measures.reports import intervals_in_use, overdue_clause

    today = today or date.today()
    settings = get_settings()
    year = filters.year or settings.budget_year

    def block_rows(blocks: Blocks) -> Any:
        block = blocks.of(Measure.id)
        return db.session.execute(
            select(
                block,
                Measure.status,
                func.count(Measure.id),
                func.sum(case((overdue_clause(today), 1), else_=0)),
                func.sum(case((lacks_owner_clause(), 1), else_=0)),
            )
            .where(*measure_conditions(filters, user), *blocks.only(Measure.id))
            .group_by(block, Measure.status)
        )

    # The overdue rule depends on the day and on the report intervals in use.
    key = (filters, visibility_scope(user), today, intervals_in_use())
    counts: dict[MeasureStatus, int] = {}
    overdue = no_owner = 0
    for (status,), (count, overdue_count, no_owner_count) in summed_by_block(
        "dashboard.tiles",
        key,
        block_rows,
        keys=1,
        shared_parts=shared_parts("users", "settings", *AGENDA_TABLES),
        reads=(CORE, REPORTS),
    ).items():
        counts[MeasureStatus(status)] = count
        overdue += int(overdue_count or 0)
        no_owner += int(no_owner_count or 0)
    if lights is None:
        lights = lights_by_department(filters, user)
    red = sum(per.get(TrafficLight.RED.value, 0) for per in lights.counts.values())
    rows = coverage if coverage is not None else _coverage_rows(filters, [year])
    this_year = next(row for row in rows if row.year == year)
    return Tiles(
        total=sum(counts.values()),
        status_counts=counts,
        red_lights=red,
        overdue_reports=overdue,
        without_owner=no_owner,
        year=year,
        coverage=this_year,
    )


# --------------------------------------------------------------------------- charts


@dataclass
class StatusByField:
    """Measures per field of action (first goal's field) and status: stacked bars."""

    #: (field label, colour) in agenda order, "ohne Handlungsfeld" last if present.
    fields: list[tuple[str, str]]
    statuses: list[MeasureStatus]
    #: counts[field label][status] = number of measures.
    counts: dict[str, dict[MeasureStatus, int]]

    def table(self) -> DataTable:
        """One row per field, one column per status, and the total."""
        columns = [Column("Handlungsfeld")]
        columns += [Column(s.label, "int") for s in self.statuses]
        columns.append(Column("Summe", "int"))
        rows = []
        for label, _colour in self.fields:
            values = [self.counts.get(label, {}).get(s, 0) for s in self.statuses]
            rows.append([label, *values, sum(values)])
        return DataTable(columns, rows)


def status_by_field(filters: DashboardFilters, user: User | None) -> StatusByField:
    """Stacked bars data: one GROUP BY over the measures with their primary field."""

    def block_rows(blocks: Blocks) -> Any:
        fields = primary_fields(*blocks.only(measure_goals.c.measure_id))
        inner = (
            select(
                blocks.of(Measure.id).label("block"),
                Measure.status.label("status"),
                fields.c.field_id,
            )
            .outerjoin(fields, fields.c.measure_id == Measure.id)
            .where(*measure_conditions(filters, user), *blocks.only(Measure.id))
            .subquery("measure_fields")
        )
        return db.session.execute(
            select(inner.c.block, inner.c.field_id, inner.c.status, func.count()).group_by(
                inner.c.block, inner.c.field_id, inner.c.status
            )
        )

    totals = summed_by_block(
        "dashboard.status_by_field",
        (filters, visibility_scope(user)),
        block_rows,
        keys=2,
        shared_parts=shared_parts(*AGENDA_TABLES),
        reads=(CORE,),
    )
    rows = [_Row(field_id, status, count) for (field_id, status), (count,) in totals.items()]
    field_ids = {row.field_id for row in rows if row.field_id is not None}
    info = {
        row.id: (row.name, row.color, row.position, row.agenda_id)
        for row in db.session.execute(
            select(
                ActionField.id,
                ActionField.name,
                ActionField.color,
                ActionField.position,
                ActionField.agenda_id,
            ).where(ActionField.id.in_(field_ids or {-1}))
        )
    }
    ordered = sorted(field_ids, key=lambda i: (-info[i][3], info[i][2], i))
    labels: dict[int | None, str] = {}
    used: set[str] = set()
    fields: list[tuple[str, str]] = []
    for field_id in ordered:
        label = info[field_id][0]
        if label in used:  # same name in another agenda version: keep them apart
            label = f"{label} (Agenda-ID {info[field_id][3]})"
        used.add(label)
        labels[field_id] = label
        fields.append((label, info[field_id][1]))
    if any(row.field_id is None for row in rows):
        labels[None] = NO_FIELD
        fields.append((NO_FIELD, "#6c757d"))
    counts: dict[str, dict[MeasureStatus, int]] = {}
    for row in rows:
        counts.setdefault(labels[row.field_id], {})[MeasureStatus(row.status)] = row.measures
    present = {s for per in counts.values() for s in per}
    statuses = [s for s in MeasureStatus if s in present]
    return StatusByField(fields, statuses, counts)


@dataclass
class CoverageChart:
    """Money available against own share per year, with the sums of gaps and free amounts."""

    #: Totals per year from the coverage service.
    years: list[YearCoverage]

    def table(self) -> DataTable:
        """One row per year."""
        return DataTable(
            [
                Column("Jahr"),
                Column("Verfügbar", "money"),
                Column("Bedarf brutto", "money"),
                Column("Förderung", "money"),
                Column("Eigenanteil", "money"),
                Column("Summe der Lücken", "money"),
                Column("Summe der freien Beträge", "money"),
                Column("Status"),
            ],
            [
                [
                    str(row.year),
                    row.figures.available,
                    row.figures.gross,
                    row.figures.grant,
                    row.figures.own,
                    row.gap,
                    row.free,
                    row.status.label,
                ]
                for row in self.years
            ],
        )


def coverage_chart(filters: DashboardFilters) -> CoverageChart:
    """Coverage over the horizon (or the filtered year) from the coverage service."""
    years = [filters.year] if filters.year else get_settings().horizon
    return CoverageChart(_coverage_rows(filters, years))


@dataclass
class LightsByDepartment:
    """Overall light of the latest report per department (reporting measures only)."""

    departments: list[str]
    #: counts[department][light value or NO_REPORT].
    counts: dict[str, dict[str, int]]

    #: Column order: the lights, then measures without a report.
    keys = (TrafficLight.GREEN.value, TrafficLight.YELLOW.value, TrafficLight.RED.value, NO_REPORT)

    def table(self) -> DataTable:
        """One row per department."""
        labels = {light.value: light.label for light in TrafficLight}
        labels[NO_REPORT] = "Kein Bericht"
        columns = [Column("Fachbereich")] + [Column(labels[k], "int") for k in self.keys]
        rows = [
            [dept, *[self.counts.get(dept, {}).get(k, 0) for k in self.keys]]
            for dept in self.departments
        ]
        return DataTable(columns, rows)


def lights_by_department(filters: DashboardFilters, user: User | None) -> LightsByDepartment:
    """One GROUP BY: department x overall light of the latest report (or no report)."""

    def block_rows(blocks: Blocks) -> Any:
        lights = (
            select(
                blocks.of(Measure.id).label("block"),
                Department.code.label("code"),
                Department.name.label("name"),
                func.coalesce(latest_overall(), NO_REPORT).label("light"),
            )
            .join(Department, Department.id == Measure.department_id)
            .where(
                Measure.status.in_(REPORTING_STATUSES),
                *measure_conditions(filters, user),
                *blocks.only(Measure.id),
            )
            .subquery("lights")
        )
        return db.session.execute(
            select(
                lights.c.block, lights.c.code, lights.c.name, lights.c.light, func.count()
            ).group_by(lights.c.block, lights.c.code, lights.c.name, lights.c.light)
        )

    totals = summed_by_block(
        "dashboard.lights_by_department",
        (filters, visibility_scope(user)),
        block_rows,
        keys=3,
        shared_parts=shared_parts("departments", *AGENDA_TABLES),
        reads=(CORE, REPORTS),
    )
    departments: list[str] = []
    counts: dict[str, dict[str, int]] = {}
    for (code, name, light), (count,) in sorted(totals.items(), key=lambda item: item[0]):
        label = f"{code} – {name}"
        if label not in counts:
            departments.append(label)
            counts[label] = {}
        counts[label][str(light)] = count
    return LightsByDepartment(departments, counts)


@dataclass
class RoadmapMilestone:
    """A milestone on the roadmap."""

    title: str
    due_date: date
    done_on: date | None


@dataclass
class RoadmapItem:
    """One measure on the roadmap."""

    id: int
    reference: str
    title: str
    department: str
    status: MeasureStatus
    start_date: date
    end_date: date
    milestones: list[RoadmapMilestone] = field(default_factory=list)


@dataclass
class Roadmap:
    """Timeline of the highest-ranked approved / in-progress measures with milestones."""

    items: list[RoadmapItem]
    #: Matching measures in total (the roadmap shows at most ``limit``).
    total: int
    limit: int = ROADMAP_LIMIT

    def table(self) -> DataTable:
        """One row per measure; milestones as text."""
        rows = []
        for item in self.items:
            stones = "; ".join(
                f"{m.title} ({m.due_date:%d.%m.%Y}"
                + (f", erreicht {m.done_on:%d.%m.%Y})" if m.done_on else ")")
                for m in item.milestones
            )
            rows.append(
                [
                    item.reference,
                    item.title,
                    item.department,
                    item.status.label,
                    item.start_date,
                    item.end_date,
                    stones,
                ]
            )
        return DataTable(
            [
                Column("Nr."),
                Column("Maßnahme"),
                Column("Fachbereich"),
                Column("Status"),
                Column("Beginn", "date"),
                Column("Ende", "date"),
                Column("Meilensteine"),
            ],
            rows,
        )


def roadmap(filters: DashboardFilters, user: User | None, limit: int = ROADMAP_LIMIT) -> Roadmap:
    """The ``limit`` highest-ranked measures with dates, and their milestones (3 queries)."""
    conditions = [
        *measure_conditions(filters, user),
        Measure.status.in_(COUNTING_STATUSES),
        Measure.start_date.is_not(None),
        Measure.end_date.is_not(None),
    ]
    total, ids = ranked_ids(("roadmap", filters, visibility_scope(user)), conditions, limit)
    rows = {
        row.id: row
        for row in db.session.execute(
            select(
                Measure.id,
                Measure.title,
                Measure.status,
                Measure.start_date,
                Measure.end_date,
                Department.code,
            )
            .join(Department, Department.id == Measure.department_id)
            .where(Measure.id.in_(ids or [-1]))
        )
    }
    items = [
        RoadmapItem(
            id=row.id,
            reference=measure_reference(row.id),
            title=row.title,
            department=row.code,
            status=MeasureStatus(row.status),
            start_date=row.start_date,
            end_date=row.end_date,
        )
        for row in (rows[i] for i in ids)
    ]
    by_id = {item.id: item for item in items}
    if by_id:
        for stone in db.session.execute(
            select(Milestone.measure_id, Milestone.title, Milestone.due_date, Milestone.done_on)
            .where(Milestone.measure_id.in_(by_id))
            .order_by(Milestone.due_date, Milestone.id)
        ):
            by_id[stone.measure_id].milestones.append(
                RoadmapMilestone(stone.title, stone.due_date, stone.done_on)
            )
    return Roadmap(items, total, limit)


@dataclass
class GoalRow:
    """One goal of the agenda with its measure counts per status group."""

    code: str
    title: str
    field: str
    counts: list[int]

    @property
    def total(self) -> int:
        """Measures linked to the goal (all groups)."""
        return sum(self.counts)


@dataclass
class GoalCoverage:
    """Goals of the current agenda x number of linked measures per status group."""

    groups: list[str]
    goals: list[GoalRow]

    def table(self) -> DataTable:
        """One row per goal."""
        columns = [Column("Ziel"), Column("Bezeichnung"), Column("Handlungsfeld")]
        columns += [Column(g, "int") for g in self.groups]
        columns.append(Column("Summe", "int"))
        rows = [[g.code, g.title, g.field, *g.counts, g.total] for g in self.goals]
        return DataTable(columns, rows)

    @property
    def uncovered(self) -> list[GoalRow]:
        """Goals without any measure."""
        return [g for g in self.goals if g.total == 0]


def goal_coverage(filters: DashboardFilters, user: User | None) -> GoalCoverage:
    """Goals (current agenda; only the filtered field if set) x linked measures (2 queries)."""
    goal_rows = db.session.execute(
        select(Goal.id, Goal.code, Goal.title, ActionField.name)
        .join(ActionField, ActionField.id == Goal.action_field_id)
        .where(
            ActionField.agenda_id == current_agenda_id_subquery(),
            ActionField.id == filters.action_field_id
            if filters.action_field_id is not None
            else true(),
        )
        .order_by(ActionField.position, ActionField.id, Goal.position, Goal.code)
    ).all()
    group_of = {s: i for i, (_, statuses) in enumerate(GOAL_GROUPS) for s in statuses}
    counts: dict[int, list[int]] = {row.id: [0] * len(GOAL_GROUPS) for row in goal_rows}

    def block_rows(blocks: Blocks) -> Any:
        block = blocks.of(Measure.id)
        return db.session.execute(
            select(block, measure_goals.c.goal_id, Measure.status, func.count(Measure.id))
            .join(Measure, Measure.id == measure_goals.c.measure_id)
            .where(
                Measure.status.in_(group_of),
                *measure_conditions(filters, user),
                *blocks.only(Measure.id),
            )
            .group_by(block, measure_goals.c.goal_id, Measure.status)
        )

    if counts:
        # Counted for every goal (the agenda is shared data: changing it recounts all).
        totals = summed_by_block(
            "dashboard.goal_coverage",
            (filters, visibility_scope(user)),
            block_rows,
            keys=2,
            shared_parts=shared_parts(*AGENDA_TABLES),
            reads=(CORE,),
        )
        for (goal_id, status), (count,) in totals.items():
            if goal_id in counts:
                counts[goal_id][group_of[MeasureStatus(status)]] += count
    return GoalCoverage(
        [label for label, _ in GOAL_GROUPS],
        [GoalRow(row.code, row.title, row.name, counts[row.id]) for row in goal_rows],
    )


def current_agenda_id_subquery() -> Any:
    """Scalar subquery: the agenda the dashboard refers to (latest adopted, else latest)."""
    return (
        select(Agenda.id)
        .order_by((Agenda.status == AgendaStatus.ADOPTED).desc(), Agenda.version_no.desc())
        .limit(1)
        .scalar_subquery()
    )


@dataclass
class PortfolioPoint:
    """A measure in the portfolio bubble chart."""

    rank: int
    reference: str
    title: str
    score: Decimal
    #: Cost over the planning horizon (all cost plan entries in the horizon years).
    cost: Decimal
    #: Folgekosten per year after the horizon.
    running_costs: Decimal
    #: Yearly depreciation (AfA) of the investive part; None without a useful life.
    depreciation: Decimal | None
    priority_class: str
    status: MeasureStatus
    field: str
    color: str


@dataclass
class Portfolio:
    """Score vs cost of the highest-ranked scored measures of the portfolio."""

    points: list[PortfolioPoint]
    total: int
    horizon: list[int]
    limit: int = PORTFOLIO_LIMIT

    def table(self) -> DataTable:
        """One row per measure."""
        return DataTable(
            [
                Column("Rang", "int"),
                Column("Nr."),
                Column("Maßnahme"),
                Column("Handlungsfeld"),
                Column("Status"),
                Column("Klasse"),
                Column("Score", "int"),
                Column(f"Kosten {self.horizon[0]}–{self.horizon[-1]}", "money"),
                Column(f"Folgekosten pro Jahr ab {self.horizon[-1] + 1}", "money"),
                Column("Abschreibung pro Jahr", "money"),
            ],
            [
                [
                    p.rank,
                    p.reference,
                    p.title,
                    p.field,
                    p.status.label,
                    p.priority_class,
                    p.score,
                    p.cost,
                    p.running_costs,
                    p.depreciation,
                ]
                for p in self.points
            ],
        )

    def bubble_points(self) -> list[dict[str, Any]]:
        """The points in the form of ``services.portfolio.bubble_points`` (shared chart)."""
        return [
            {
                "reference": p.reference,
                "title": p.title,
                "score": float(p.score),
                "total": float(p.cost),
                "field": p.field,
                "color": p.color,
                "rank": p.rank,
            }
            for p in self.points
        ]


def portfolio(
    filters: DashboardFilters, user: User | None, limit: int = PORTFOLIO_LIMIT
) -> Portfolio:
    """Scored measures of the portfolio (its states), the ``limit`` highest ranked (4 queries).

    The rank is the position among the scored portfolio measures of the filtered view.
    """
    horizon = get_settings().horizon
    conditions = [
        *measure_conditions(filters, user),
        Measure.score.is_not(None),
        Measure.status.in_(PORTFOLIO_STATUSES),
    ]
    total, ids = ranked_ids(("portfolio", filters, visibility_scope(user)), conditions, limit)
    cost = horizon_costs(horizon, ids or [-1], per_year=False)
    investive = investive_totals(ids or [-1])
    inner = measure_fields(
        [Measure.id.in_(ids or [-1])], [measure_goals.c.measure_id.in_(ids or [-1])]
    )
    rows = {
        row.id: row
        for row in db.session.execute(
            select(
                Measure.id,
                Measure.title,
                Measure.score,
                Measure.running_cost_after_horizon,
                Measure.useful_life_years,
                Measure.priority_class,
                Measure.status,
                func.coalesce(cost.c.total, 0).label("cost"),
                func.coalesce(investive.c.investive_total, 0).label("investive"),
                ActionField.name.label("field_name"),
                ActionField.color.label("field_color"),
            )
            .join(inner, inner.c.id == Measure.id)
            .outerjoin(cost, cost.c.measure_id == Measure.id)
            .outerjoin(investive, investive.c.measure_id == Measure.id)
            .outerjoin(ActionField, ActionField.id == inner.c.field_id)
        )
    }
    points = [
        PortfolioPoint(
            rank=rank,
            reference=measure_reference(row.id),
            title=row.title,
            score=Decimal(row.score),
            cost=Decimal(row.cost).quantize(Decimal("0.01")),
            running_costs=Decimal(row.running_cost_after_horizon),
            depreciation=depreciation(Decimal(row.investive), row.useful_life_years),
            priority_class=row.priority_class or "–",
            status=MeasureStatus(row.status),
            field=row.field_name or NO_FIELD,
            color=row.field_color or "#6c757d",
        )
        for rank, row in enumerate((rows[i] for i in ids), start=1)
    ]
    return Portfolio(points, total, horizon, limit)


# --------------------------------------------------------------------------- summary


@dataclass
class RedMeasure:
    """A measure whose latest report has a red light."""

    reference: str
    title: str
    department: str


@dataclass
class Summary:
    """The short text for leadership at the top of the dashboard."""

    total: int
    in_progress: int
    red: list[RedMeasure]
    red_count: int
    overdue: int
    without_owner: int
    #: Coverage totals of the tile's year.
    coverage: YearCoverage | None = None

    @property
    def text(self) -> str:
        """E.g. "12 von 40 Maßnahmen in Umsetzung, 3 mit roter Ampel: A, B, C."."""
        text = f"{self.in_progress} von {self.total} Maßnahmen in Umsetzung"
        if self.red_count:
            names = ", ".join(f"{m.title} ({m.department})" for m in self.red)
            more = self.red_count - len(self.red)
            text += f", {self.red_count} mit roter Ampel: {names}"
            if more > 0:
                text += f" und {more} weitere"
        else:
            text += ", keine mit roter Ampel"
        text += "."
        if self.overdue == 1:
            text += " 1 Statusbericht ist überfällig."
        elif self.overdue:
            text += f" {self.overdue} Statusberichte sind überfällig."
        if self.without_owner == 1:
            text += " 1 Maßnahme hat keine verantwortliche Person."
        elif self.without_owner:
            text += f" {self.without_owner} Maßnahmen haben keine verantwortliche Person."
        if self.coverage is not None:
            cov = self.coverage
            text += f" Deckung {cov.year}: {cov.status.label}"
            if cov.gap > 0:
                text += f", Summe der Lücken {format_money(cov.gap)}"
            text += f", frei {format_money(cov.free)}."
        return text


def summary(filters: DashboardFilters, user: User | None, tile_data: Tiles) -> Summary:
    """Leadership summary built on the tiles plus the names of red measures (1 query)."""

    def block_rows(blocks: Blocks) -> Any:
        block = blocks.of(Measure.id)
        ranked = (
            select(
                block.label("block"),
                func.count().over(partition_by=block).label("count"),
                Measure.id,
                Department.code,
                Measure.priority_class,
                Measure.score,
                func.row_number().over(partition_by=block, order_by=rank_order()).label("n"),
            )
            .join(Department, Department.id == Measure.department_id)
            .where(
                Measure.status.in_(REPORTING_STATUSES),
                *measure_conditions(filters, user),
                *blocks.only(Measure.id),
                latest_overall() == TrafficLight.RED,
            )
            .subquery()
        )
        return db.session.execute(select(ranked).where(ranked.c.n <= SUMMARY_NAMES))

    _, rows = top_by_block(
        "dashboard.summary.red",
        (filters, visibility_scope(user)),
        block_rows,
        limit=SUMMARY_NAMES,
        order=natural_key,
        shared_parts=shared_parts("departments", *AGENDA_TABLES),
        reads=(CORE, REPORTS),
    ).get((), (0, []))
    # Titles by id, not kept per block: a new title reads no block again.
    titles = measure_titles(row.id for row in rows)
    red = [RedMeasure(measure_reference(row.id), titles.get(row.id, ""), row.code) for row in rows]
    return Summary(
        total=tile_data.total,
        in_progress=tile_data.status_counts.get(MeasureStatus.IN_PROGRESS, 0),
        red=red,
        red_count=tile_data.red_lights,
        overdue=tile_data.overdue_reports,
        without_owner=tile_data.without_owner,
        coverage=tile_data.coverage,
    )


# --------------------------------------------------------------------------- the page


@dataclass
class Dashboard:
    """Everything the dashboard page shows."""

    filters: DashboardFilters
    budget_year: int
    tiles: Tiles
    status_by_field: StatusByField
    coverage: CoverageChart
    lights: LightsByDepartment
    roadmap: Roadmap
    goals: GoalCoverage
    portfolio: Portfolio
    summary: Summary | None = None


#: Keys of the downloadable data sets, with their German names (CSV file name stem).
CHARTS: dict[str, str] = {
    "kennzahlen": "Kennzahlen",
    "status-handlungsfeld": "Maßnahmen nach Status und Handlungsfeld",
    "deckung": "Bedarf und Ansatz je Jahr",
    "ampeln": "Ampeln nach Fachbereich",
    "roadmap": "Roadmap",
    "ziele": "Zielabdeckung der Agenda",
    "portfolio": "Portfolio",
    "vollzug": "Mittelabfluss (Ist und Obligo)",
}


def _execution_overview(filters: DashboardFilters) -> Any:
    """Ist and Obligo per Stichtag of the year (``services.budget.execution``)."""
    from steuerung.services.budget.execution import execution_overview

    year = filters.year or get_settings().budget_year
    return execution_overview(year, department_id=filters.department_id)


def chart_table(key: str, filters: DashboardFilters, user: User | None) -> DataTable:
    """The data of one chart (for the CSV download); only that chart's queries run."""
    builders: dict[str, Any] = {
        "kennzahlen": lambda: tiles(filters, user),
        "status-handlungsfeld": lambda: status_by_field(filters, user),
        "deckung": lambda: coverage_chart(filters),
        "ampeln": lambda: lights_by_department(filters, user),
        "roadmap": lambda: roadmap(filters, user),
        "ziele": lambda: goal_coverage(filters, user),
        "portfolio": lambda: portfolio(filters, user),
        "vollzug": lambda: _execution_overview(filters),
    }
    if key not in builders:
        raise KeyError(key)
    return cached(
        "dashboard.chart_table",
        (key, filters, visibility_scope(user), date.today()),
        lambda: builders[key]().table(),
    )


def build_dashboard(
    filters: DashboardFilters,
    user: User | None,
    *,
    with_summary: bool = False,
    today: date | None = None,
) -> Dashboard:
    """Collect every figure of the dashboard for ``filters`` (cached until the data changes;
    the result is shared, read-only)."""
    today = today or date.today()
    return cached(
        "dashboard",
        (filters, visibility_scope(user), with_summary, today),
        lambda: _build_dashboard(filters, user, with_summary=with_summary, today=today),
    )


def _build_dashboard(
    filters: DashboardFilters, user: User | None, *, with_summary: bool, today: date
) -> Dashboard:
    settings = get_settings()
    coverage = coverage_chart(filters)
    lights = lights_by_department(filters, user)
    year = filters.year or settings.budget_year
    in_chart = any(row.year == year for row in coverage.years)
    tile_data = tiles(
        filters,
        user,
        today,
        coverage=coverage.years if in_chart else None,
        lights=lights,
    )
    return Dashboard(
        filters=filters,
        budget_year=settings.budget_year,
        tiles=tile_data,
        status_by_field=status_by_field(filters, user),
        coverage=coverage,
        lights=lights,
        roadmap=roadmap(filters, user),
        goals=goal_coverage(filters, user),
        portfolio=portfolio(filters, user),
        summary=summary(filters, user, tile_data) if with_summary else None,
    )
