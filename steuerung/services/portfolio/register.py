"""The central register: THE query over all measures (filters, search, sort, pagination).

``search_register`` is used by the register page and by its CSV/XLSX export, so both always
show the same selection. Filter values come from the URL (``parse_register_args``); values
that do not parse are reported as German messages and give an empty result, never an error.

Query budget per call, independent of the number of measures:
one ``COUNT``, one page query (department and owner joined), one batch query for the page's
cost per planning year and the overall traffic light of the latest status report.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from steuerung.extensions import db
from steuerung.models import (
    ActionField,
    Agenda,
    CostPlanEntry,
    Department,
    Goal,
    Measure,
    MeasureCategory,
    MeasureKind,
    MeasureStatus,
    StatusReport,
    TrafficLight,
    User,
    measure_goals,
)
from steuerung.services.common.cache import cached
from steuerung.services.common.columns import (
    ColumnChoice,
    TableColumn,
    choose_columns,
    columns_from_args,
)
from steuerung.services.common.settings import planning_horizon
from steuerung.services.measures.costs import horizon_costs
from steuerung.services.measures.reports import latest_reports
from steuerung.services.measures.rules import (
    measure_reference,
    no_active_owner_clause,
    visibility_scope,
    visible_measures_filter,
)

PAGE_SIZES = (50, 100)
DEFAULT_PAGE_SIZE = 50
MAX_SEARCH_LENGTH = 200
#: Value of the traffic-light filter for measures without any status report.
NO_REPORT = "none"
#: Value of the owner filter for measures without an owner.
NO_OWNER = "none"

#: Sortable columns: URL name -> German header. The SQL expression is in ``_sort_expression``.
SORT_COLUMNS: dict[str, str] = {
    "id": "Nr.",
    "title": "Titel",
    "department": "Fachbereich",
    "owner": "Verantwortlich",
    "category": "Kategorie",
    "status": "Status",
    "light": "Ampel",
    "score": "Score",
    "class": "Klasse",
    "cost": "Kosten (Planungszeitraum)",
    "start": "Beginn",
    "end": "Ende",
}
DEFAULT_SORT = "score"

#: Columns of the register page (the chooser offers all but the title). Same keys as the
#: sortable columns. Start and end are hidden by default so the table fits a 1366 px laptop
#: screen; the chooser's summary says which columns are hidden.
REGISTER_COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("id", "Nr."),
    TableColumn("title", "Titel", required=True),
    TableColumn("department", "Fachbereich"),
    TableColumn("owner", "Verantwortlich"),
    TableColumn("category", "Kategorie"),
    TableColumn("status", "Status"),
    TableColumn("light", "Ampel"),
    TableColumn("score", "Score"),
    TableColumn("class", "Klasse"),
    TableColumn("cost", "Kosten im Planungszeitraum"),
    TableColumn("start", "Beginn", default=False),
    TableColumn("end", "Ende", default=False),
)


@dataclass
class RegisterParams:
    """Parsed filter, search, sort and page state of the register (from the URL)."""

    departments: list[int] = field(default_factory=list)
    action_fields: list[int] = field(default_factory=list)
    goals: list[int] = field(default_factory=list)
    categories: list[MeasureCategory] = field(default_factory=list)
    statuses: list[MeasureStatus] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)
    without_owner: bool = False
    year: int | None = None
    legal_obligation: bool | None = None
    lights: list[str] = field(default_factory=list)
    q: str = ""
    sort: str = DEFAULT_SORT
    direction: str = "desc"
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE
    #: German messages about values that could not be read; non-empty -> empty result.
    errors: list[str] = field(default_factory=list)
    #: Columns shown on the page (not a filter: exports always have every column).
    columns: ColumnChoice = field(default_factory=lambda: choose_columns(REGISTER_COLUMNS, None))

    def url_args(self, **overrides: Any) -> dict[str, Any]:
        """The state as URL arguments (for links: sort headers, pages, export)."""
        args: dict[str, Any] = {
            "department": self.departments,
            "field": self.action_fields,
            "goal": self.goals,
            "category": [c.value for c in self.categories],
            "status": [s.value for s in self.statuses],
            "owner": [*self.owners, *([NO_OWNER] if self.without_owner else [])],
            "year": self.year,
            "legal": None if self.legal_obligation is None else int(self.legal_obligation),
            "light": self.lights,
            "q": self.q or None,
            "sort": self.sort if self.sort != DEFAULT_SORT else None,
            "dir": self.direction
            if (self.sort, self.direction) != (DEFAULT_SORT, "desc")
            else None,
            "page": self.page if self.page != 1 else None,
            "per_page": self.per_page if self.per_page != DEFAULT_PAGE_SIZE else None,
            **self.columns.url_args(),
        }
        args.update(overrides)
        return {k: v for k, v in args.items() if v not in (None, [], "")}


@dataclass
class RegisterRow:
    """One measure of the result with its cost per planning year and latest traffic light."""

    measure: RegisterMeasure
    costs: dict[int, Decimal]
    total: Decimal
    light: TrafficLight | None


@dataclass
class RegisterResult:
    """A page (or, for exports, all) of the selection."""

    rows: list[RegisterRow]
    total: int
    params: RegisterParams
    horizon: list[int]

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.params.per_page))

    @property
    def first_index(self) -> int:
        """1-based position of the first row on the page (0 if empty)."""
        if not self.rows:
            return 0
        return (self.params.page - 1) * self.params.per_page + 1

    @property
    def last_index(self) -> int:
        """1-based position of the last row on the page."""
        return self.first_index + len(self.rows) - 1 if self.rows else 0


def _getlist(args: Mapping[str, Any], name: str) -> list[str]:
    if hasattr(args, "getlist"):
        values = args.getlist(name)
    else:
        raw = args.get(name)
        values = raw if isinstance(raw, list | tuple) else ([] if raw is None else [raw])
    return [str(v).strip() for v in values if str(v).strip() != ""]


def _ints(values: list[str], label: str, errors: list[str]) -> list[int]:
    result = []
    for value in values:
        if value.isdigit() and len(value) <= 9:
            result.append(int(value))
        else:
            errors.append(f"Ungültiger Wert für „{label}“: „{value[:40]}“.")
    return result


def parse_register_args(args: Mapping[str, Any]) -> RegisterParams:
    """Read the register state from URL arguments; bad values become German messages."""
    errors: list[str] = []
    params = RegisterParams(errors=errors)
    params.departments = _ints(_getlist(args, "department"), "Fachbereich", errors)
    params.action_fields = _ints(_getlist(args, "field"), "Handlungsfeld", errors)
    params.goals = _ints(_getlist(args, "goal"), "Ziel", errors)
    for value in _getlist(args, "category"):
        try:
            params.categories.append(MeasureCategory(value))
        except ValueError:
            errors.append(f"Unbekannte Kategorie: „{value[:40]}“.")
    for value in _getlist(args, "status"):
        try:
            params.statuses.append(MeasureStatus(value))
        except ValueError:
            errors.append(f"Unbekannter Status: „{value[:40]}“.")
    owners = _getlist(args, "owner")
    params.without_owner = NO_OWNER in owners
    params.owners = _ints([o for o in owners if o != NO_OWNER], "Verantwortlich", errors)
    years = _getlist(args, "year")
    if years:
        if len(years) == 1 and years[0].isdigit() and 2000 <= int(years[0]) <= 2100:
            params.year = int(years[0])
        else:
            errors.append(f"Ungültiges Haushaltsjahr: „{years[0][:40]}“.")
    legal = _getlist(args, "legal")
    if legal:
        if legal[0] in ("1", "0") and len(legal) == 1:
            params.legal_obligation = legal[0] == "1"
        else:
            errors.append(f"Ungültiger Wert für „Rechtliche Verpflichtung“: „{legal[0][:40]}“.")
    allowed_lights = {t.value for t in TrafficLight} | {NO_REPORT}
    for value in _getlist(args, "light"):
        if value in allowed_lights:
            params.lights.append(value)
        else:
            errors.append(f"Unbekannte Ampelfarbe: „{value[:40]}“.")
    q = " ".join(_getlist(args, "q"))
    if len(q) > MAX_SEARCH_LENGTH:
        errors.append(f"Der Suchbegriff darf höchstens {MAX_SEARCH_LENGTH} Zeichen lang sein.")
        q = q[:MAX_SEARCH_LENGTH]
    params.q = q
    params.columns = columns_from_args(REGISTER_COLUMNS, args)
    sort = (_getlist(args, "sort") or [DEFAULT_SORT])[0]
    if sort in SORT_COLUMNS:
        params.sort = sort
    else:
        errors.append(f"Nach „{sort[:40]}“ kann nicht sortiert werden.")
    default_dir = "desc" if params.sort == DEFAULT_SORT else "asc"
    direction = (_getlist(args, "dir") or [default_dir])[0]
    if direction in ("asc", "desc"):
        params.direction = direction
    else:
        errors.append(f"Ungültige Sortierrichtung: „{direction[:40]}“.")
    page = (_getlist(args, "page") or ["1"])[0]
    if page.isdigit() and 1 <= int(page) <= 1_000_000:
        params.page = int(page)
    else:
        errors.append(f"Ungültige Seitenzahl: „{page[:40]}“.")
    per_page = (_getlist(args, "per_page") or [str(DEFAULT_PAGE_SIZE)])[0]
    if per_page.isdigit() and int(per_page) in PAGE_SIZES:
        params.per_page = int(per_page)
    else:
        errors.append(
            f"Ungültige Zahl von Zeilen je Seite: „{per_page[:40]}“ (erlaubt: 50 oder 100)."
        )
    return params


def filter_conditions(user: User, params: RegisterParams) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the selection (permission first)."""
    conditions: list[ColumnElement[bool]] = [visible_measures_filter(user)]
    if params.errors:
        conditions.append(false())
        return conditions
    if params.departments:
        conditions.append(Measure.department_id.in_(params.departments))
    if params.goals:
        conditions.append(
            exists().where(
                measure_goals.c.measure_id == Measure.id,
                measure_goals.c.goal_id.in_(params.goals),
            )
        )
    if params.action_fields:
        conditions.append(
            exists().where(
                measure_goals.c.measure_id == Measure.id,
                measure_goals.c.goal_id == Goal.id,
                Goal.action_field_id.in_(params.action_fields),
            )
        )
    if params.categories:
        conditions.append(Measure.category.in_(params.categories))
    if params.statuses:
        conditions.append(Measure.status.in_(params.statuses))
    owner_conditions: list[ColumnElement[bool]] = []
    if params.owners:
        owner_conditions.append(Measure.owner_id.in_(params.owners))
    if params.without_owner:
        owner_conditions.append(no_active_owner_clause())
    if owner_conditions:
        conditions.append(or_(*owner_conditions))
    if params.year is not None:
        conditions.append(
            exists().where(
                CostPlanEntry.measure_id == Measure.id,
                CostPlanEntry.year == params.year,
                CostPlanEntry.amount > 0,
            )
        )
    if params.legal_obligation is not None:
        conditions.append(Measure.legal_obligation.is_(params.legal_obligation))
    if params.lights:
        latest = latest_reports()
        colours = [v for v in params.lights if v != NO_REPORT]
        light_conditions: list[ColumnElement[bool]] = (
            [Measure.id.in_(select(latest.c.measure_id).where(latest.c.overall.in_(colours)))]
            if colours
            else []
        )
        if NO_REPORT in params.lights:
            light_conditions.append(~exists().where(StatusReport.measure_id == Measure.id))
        conditions.append(or_(*light_conditions))
    for term in params.q.split():
        conditions.append(
            or_(
                Measure.title.icontains(term, autoescape=True),
                Measure.description.icontains(term, autoescape=True),
            )
        )
    return conditions


def _ordered_ids(
    conditions: list[ColumnElement[bool]], params: RegisterParams, horizon: list[int]
) -> Select[Any]:
    """``SELECT measures.id`` in the chosen order; NULLs always last; id breaks ties.

    Only the columns needed for sorting are joined, so the database sorts narrow rows.
    """
    stmt = select(Measure.id).where(*conditions)
    column: Any
    if params.sort == "department":
        stmt = stmt.join(Department, Department.id == Measure.department_id)
        column = Department.code
    elif params.sort == "owner":
        owner = aliased(User)
        stmt = stmt.outerjoin(owner, owner.id == Measure.owner_id)
        column = func.lower(owner.full_name)
    elif params.sort == "light":
        latest = latest_reports()
        stmt = stmt.outerjoin(latest, latest.c.measure_id == Measure.id)
        column = case(
            (latest.c.overall == TrafficLight.RED.value, 3),
            (latest.c.overall == TrafficLight.YELLOW.value, 2),
            (latest.c.overall == TrafficLight.GREEN.value, 1),
            else_=None,
        )
    elif params.sort == "cost":
        costs = horizon_costs(horizon)
        stmt = stmt.outerjoin(costs, costs.c.measure_id == Measure.id)
        column = func.coalesce(costs.c.total, 0)
    else:
        column = {
            "id": Measure.id,
            "title": func.lower(Measure.title),
            "category": Measure.category,
            "status": Measure.status,
            "score": Measure.score,
            "class": Measure.priority_class,
            "start": Measure.start_date,
            "end": Measure.end_date,
        }[params.sort]
    descending = params.direction == "desc"
    if params.sort == "id":
        return stmt.order_by(Measure.id.desc() if descending else Measure.id.asc())
    ordered = column.desc() if descending else column.asc()
    return stmt.order_by(case((column.is_(None), 1), else_=0), ordered, Measure.id.asc())


@dataclass(frozen=True)
class RegisterDepartment:
    """The department columns shown in the register."""

    code: str
    name: str


@dataclass(frozen=True)
class RegisterOwner:
    """The owner columns shown in the register."""

    full_name: str
    is_active_user: bool


@dataclass
class RegisterMeasure:
    """The columns of a measure the register shows and exports (no ORM object per row)."""

    id: int
    title: str
    category: MeasureCategory
    kind: MeasureKind
    status: MeasureStatus
    score: Decimal | None
    priority_class: str | None
    rank_override: int | None
    rank_override_reason: str
    legal_obligation: bool
    start_date: date | None
    end_date: date | None
    department: RegisterDepartment
    owner: RegisterOwner | None

    @property
    def reference(self) -> str:
        """Human-readable id, e.g. ``M-0042``."""
        return measure_reference(self.id)


_MEASURE_COLUMNS = (
    Measure.id,
    Measure.title,
    Measure.category,
    Measure.kind,
    Measure.status,
    Measure.score,
    Measure.priority_class,
    Measure.rank_override,
    Measure.rank_override_reason,
    Measure.legal_obligation,
    Measure.start_date,
    Measure.end_date,
)


def register_rows(ids: list[int] | Select[Any], horizon: list[int], few: bool) -> list[RegisterRow]:
    """One query: the shown columns, cost per horizon year and latest light of measures.

    Cost and light come from joined aggregates; with ``few`` (a page, ``ids`` a list) they
    are restricted to those measures, otherwise computed once over all entries and reports.
    """
    owner = aliased(User)
    only = ids if few and isinstance(ids, list) else None
    latest = latest_reports(ids=only)
    costs = horizon_costs(horizon, only)
    stmt = (
        select(
            *_MEASURE_COLUMNS,
            Department.code.label("department_code"),
            Department.name.label("department_name"),
            owner.full_name.label("owner_name"),
            owner.is_active_user.label("owner_active"),
            latest.c.overall.label("light"),
            *[costs.c[f"y{year}"] for year in horizon],
        )
        .outerjoin(latest, latest.c.measure_id == Measure.id)
        .outerjoin(costs, costs.c.measure_id == Measure.id)
    )
    stmt = (
        stmt.join(Department, Department.id == Measure.department_id)
        .outerjoin(owner, owner.id == Measure.owner_id)
        .where(Measure.id.in_(ids))
    )
    n = len(_MEASURE_COLUMNS)
    rows = []
    for row in db.session.execute(stmt):
        measure = RegisterMeasure(
            id=row.id,
            title=row.title,
            category=row.category,
            kind=row.kind,
            status=row.status,
            score=row.score,
            priority_class=row.priority_class,
            rank_override=row.rank_override,
            rank_override_reason=row.rank_override_reason,
            legal_obligation=row.legal_obligation,
            start_date=row.start_date,
            end_date=row.end_date,
            department=RegisterDepartment(code=row.department_code, name=row.department_name),
            owner=RegisterOwner(row.owner_name, bool(row.owner_active))
            if row.owner_name is not None
            else None,
        )
        costs_by_year = {
            year: Decimal(row[n + 5 + i] or 0).quantize(Decimal("0.01"))
            for i, year in enumerate(horizon)
        }
        rows.append(
            RegisterRow(
                measure=measure,
                costs=costs_by_year,
                total=sum(costs_by_year.values(), Decimal("0.00")),
                light=TrafficLight(row.light) if row.light else None,
            )
        )
    return rows


def _id_array(stmt: Any) -> array[int]:
    """The ids ``stmt`` selects, in its order, as a compact array (read through the Core
    connection in chunks: no ORM result objects for 100,000 ids)."""
    ids: array[int] = array("i")
    result = db.session.connection().execute(stmt)
    for chunk in result.scalars().partitions(10_000):
        ids.extend(chunk)
    return ids


def search_register(user: User, params: RegisterParams, paginate: bool = True) -> RegisterResult:
    """The register selection for ``user``: one page (page view) or everything (export).

    Sorted by the chosen column (default: score descending, unscored last, then id).
    Two queries: the ordered ids of the whole selection (narrow; cached until the data
    changes), the rows' columns of the page with cost per year and latest traffic light
    (department and owner joined).
    """
    horizon = planning_horizon()
    conditions = filter_conditions(user, params)
    if params.errors:
        return RegisterResult(rows=[], total=0, params=params, horizon=horizon)
    stmt = _ordered_ids(conditions, params, horizon)
    if paginate:
        # The selection in order, as compact ids, reused for every page until the data
        # changes: paging and counting do not filter and sort the portfolio again.
        key = (
            tuple(
                sorted((k, str(v)) for k, v in params.url_args(page=None, per_page=None).items())
            ),
            visibility_scope(user),
            tuple(horizon),
        )
        ordered = cached("register.ids", key, lambda: _id_array(stmt))
        total = len(ordered)
        if total and params.page > -(-total // params.per_page):
            params.errors.append(f"Seite {params.page} gibt es nicht.")
            return RegisterResult(rows=[], total=total, params=params, horizon=horizon)
        start = (params.page - 1) * params.per_page
        ids = list(ordered[start : start + params.per_page])
    else:
        ids = list(db.session.scalars(stmt))
        total = len(ids)
    if not ids:
        return RegisterResult(rows=[], total=total, params=params, horizon=horizon)
    source: list[int] | Select[Any] = ids if paginate else select(Measure.id).where(*conditions)
    by_id = {row.measure.id: row for row in register_rows(source, horizon, few=paginate)}
    rows = [by_id[i] for i in ids if i in by_id]
    return RegisterResult(rows=rows, total=total, params=params, horizon=horizon)


@dataclass(frozen=True)
class Choice:
    """One option of a filter select: value and German label."""

    id: int
    label: str


@dataclass
class FilterOptions:
    """Choices of the register's filter form (from the database)."""

    departments: list[Choice]
    action_fields: list[Choice]
    goals: list[Choice]
    owners: list[Choice]
    years: list[int]


def filter_options(user: User) -> FilterOptions:
    """Departments, fields of action and goals of every agenda version (newest first),
    the people who own measures, and the years (cached until the data changes; the owners
    come from every measure, which at 100,000 measures is the costly part)."""
    return cached("register.options", (), _filter_options)


def _filter_options() -> FilterOptions:
    departments = [
        Choice(row.id, f"{row.code} – {row.name}")
        for row in db.session.execute(
            select(Department.id, Department.code, Department.name).order_by(Department.code)
        )
    ]
    goals: list[Choice] = []
    fields: dict[int, Choice] = {}
    for row in db.session.execute(
        select(
            Goal.id,
            Goal.code,
            Goal.title,
            ActionField.id.label("field_id"),
            ActionField.code.label("field_code"),
            ActionField.name.label("field_name"),
            Agenda.version_no,
        )
        .join(ActionField, ActionField.id == Goal.action_field_id)
        .join(Agenda, Agenda.id == ActionField.agenda_id)
        .order_by(Agenda.version_no.desc(), ActionField.position, Goal.position, Goal.id)
    ):
        title = row.title if len(row.title) <= 50 else row.title[:49] + "…"
        goals.append(Choice(row.id, f"{row.code} – {title} (V{row.version_no})"))
        fields.setdefault(
            row.field_id,
            Choice(row.field_id, f"{row.field_code} – {row.field_name} (Version {row.version_no})"),
        )
    owners = [
        Choice(row.id, row.full_name)
        for row in db.session.execute(
            select(User.id, User.full_name)
            .where(User.id.in_(select(Measure.owner_id).where(Measure.owner_id.is_not(None))))
            .order_by(User.full_name)
        )
    ]
    horizon = planning_horizon()
    years = sorted({*horizon, horizon[0] - 1})
    return FilterOptions(
        departments=departments,
        action_fields=list(fields.values()),
        goals=goals,
        owners=owners,
        years=years,
    )


#: Columns of the register export (before the per-year cost columns).
EXPORT_COLUMNS = [
    "Nr.",
    "Titel",
    "Fachbereich",
    "Verantwortlich",
    "Kategorie",
    "Art",
    "Status",
    "Ampel",
    "Score",
    "Klasse",
    "Rang (manuell)",
    "Rechtliche Verpflichtung",
    "Beginn",
    "Ende",
]


def export_table(result: RegisterResult) -> tuple[list[str], list[list[object]], set[int]]:
    """Columns, rows and money column indexes of an export of ``result`` (all rows)."""
    columns = [
        *EXPORT_COLUMNS,
        *[f"HJ {y}" if i == 0 else f"HJ+{i} {y}" for i, y in enumerate(result.horizon)],
        "Summe",
    ]
    money = set(range(len(EXPORT_COLUMNS), len(columns)))
    rows: list[list[object]] = []
    for row in result.rows:
        m = row.measure
        rows.append(
            [
                m.reference,
                m.title,
                m.department.code,
                m.owner.full_name if m.owner else "",
                m.category.label,
                m.kind.label,
                m.status.label,
                row.light.label if row.light else "",
                m.score,
                m.priority_class or "",
                m.rank_override,
                "ja" if m.legal_obligation else "nein",
                m.start_date,
                m.end_date,
                *[row.costs[y] for y in result.horizon],
                row.total,
            ]
        )
    return columns, rows, money


def export_parameters(params: RegisterParams, result: RegisterResult) -> list[tuple[str, object]]:
    """Human-readable description of the selection for the export's "Parameter" sheet."""
    described: list[tuple[str, object]] = [("Anzahl Maßnahmen", result.total)]
    for key, value in params.url_args(page=None, per_page=None, spalte=None).items():
        described.append(
            (f"Filter {key}", ", ".join(map(str, value)) if isinstance(value, list) else value)
        )
    return described


def active_filters(params: RegisterParams, options: FilterOptions) -> list[tuple[str, str]]:
    """The filters in use as (German name, readable value) pairs, for the one-line summary
    of the collapsed filter panel. Sort order, page and columns are not filters."""

    def names(choices: list[Choice], ids: list[int], short: bool = False) -> str:
        by_id = {c.id: c.label for c in choices}
        labels = [by_id.get(i, str(i)) for i in ids]
        return ", ".join(label.split(" – ")[0] if short else label for label in labels)

    light_names = {t.value: t.label for t in TrafficLight} | {NO_REPORT: "kein Bericht"}
    described: list[tuple[str, str]] = []
    if params.q:
        described.append(("Suche", f"„{params.q}“"))
    if params.departments:
        described.append(("Fachbereich", names(options.departments, params.departments, True)))
    if params.statuses:
        described.append(("Status", ", ".join(s.label for s in params.statuses)))
    if params.categories:
        described.append(("Kategorie", ", ".join(c.label for c in params.categories)))
    if params.action_fields:
        described.append(
            ("Handlungsfeld", names(options.action_fields, params.action_fields, True))
        )
    if params.goals:
        described.append(("Ziel", names(options.goals, params.goals, True)))
    if params.owners or params.without_owner:
        owners = [names(options.owners, params.owners)] if params.owners else []
        if params.without_owner:
            owners.append("ohne aktive Verantwortliche/n")
        described.append(("Verantwortlich", ", ".join(owners)))
    if params.year is not None:
        described.append(("Kosten im Haushaltsjahr", str(params.year)))
    if params.legal_obligation is not None:
        described.append(("Rechtliche Verpflichtung", "ja" if params.legal_obligation else "nein"))
    if params.lights:
        described.append(("Ampel", ", ".join(light_names[v] for v in params.lights)))
    return described
