"""What the API reads, built on the services the pages use (so both always agree).

* measures list: ``portfolio.register.search_register`` (the register's query: the same
  visibility rule, filters, sort and cost per year; three queries whatever the page size);
* one measure: ``measures.editing.load_measure`` plus the register's row of that measure
  (cost per year and latest light computed the same way as in the list);
* agenda: ``agenda.versions.goal_coverage`` (the agenda page's coverage);
* budget: ``budget.lines.budget_lines`` and ``budget.coverage.coverage_table``;
* dashboard: ``dashboard.data.build_dashboard``.

Functions return API models (``services.api.schemas``); ``None`` means "does not exist",
:class:`~steuerung.services.common.errors.PermissionDenied` "exists, but not for this user".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from steuerung.models import Measure, MeasureStatus, User
from steuerung.models.agenda import AGENDA_STATUS_LABELS, Agenda
from steuerung.models.settings import PLANNING_YEARS
from steuerung.services.agenda import versions as agenda_service
from steuerung.services.api import schemas as s
from steuerung.services.api.rules import sees_scores
from steuerung.services.budget import lines as budget_service
from steuerung.services.budget.coverage import (
    CoverageRow,
    CoverageTable,
    Figures,
    Grouping,
    coverage_table,
)
from steuerung.services.common.errors import PermissionDenied
from steuerung.services.common.settings import get_settings, planning_horizon
from steuerung.services.dashboard.data import (
    GOAL_GROUPS,
    Dashboard,
    DashboardFilters,
    LightsByDepartment,
    build_dashboard,
)
from steuerung.services.measures import editing, reports
from steuerung.services.measures import rules as measure_rules
from steuerung.services.portfolio.register import (
    NO_REPORT,
    RegisterParams,
    RegisterRow,
    register_rows,
    search_register,
)

# --------------------------------------------------------------------------- measures


def register_params(query: s.MeasureQuery) -> RegisterParams:
    """The register's parameters for the API's measure filters."""
    return RegisterParams(
        departments=list(query.department),
        action_fields=list(query.action_field),
        goals=list(query.goal),
        categories=list(query.category),
        statuses=list(query.status),
        owners=list(query.owner),
        without_owner=query.without_owner,
        year=query.year,
        legal_obligation=query.legal_obligation,
        lights=[light.value for light in query.light],
        q=query.q,
        sort=query.sort.value,
        direction=query.direction.value,
        page=query.page,
        per_page=query.per_page,
    )


def _item_fields(row: RegisterRow, horizon: list[int], show_scores: bool) -> dict[str, Any]:
    m = row.measure
    return {
        "id": m.id,
        "reference": m.reference,
        "title": m.title,
        "department": s.DepartmentRef(code=m.department.code, name=m.department.name),
        "owner": s.OwnerRef(name=m.owner.full_name, active=m.owner.is_active_user)
        if m.owner
        else None,
        "category": m.category,
        "category_label": m.category.label,
        "kind": m.kind,
        "kind_label": m.kind.label,
        "status": m.status,
        "status_label": m.status.label,
        "light": row.light,
        "light_label": row.light.label if row.light else None,
        "score": m.score if show_scores else None,
        "priority_class": m.priority_class if show_scores else None,
        "legal_obligation": m.legal_obligation,
        "start_date": m.start_date,
        "end_date": m.end_date,
        "costs": [s.YearAmount(year=y, amount=row.costs[y]) for y in horizon],
        "cost_total": row.total,
    }


def list_measures(user: User, query: s.MeasureQuery) -> s.MeasurePage:
    """A page of the measures ``user`` may see, filtered and sorted as asked."""
    params = register_params(query)
    result = search_register(user, params)
    show = sees_scores(user)
    return s.MeasurePage(
        items=[s.MeasureItem(**_item_fields(row, result.horizon, show)) for row in result.rows],
        total=result.total,
        page=query.page,
        per_page=query.per_page,
        pages=max(1, -(-result.total // query.per_page)),
    )


def visible_measure(user: User, measure_id: int) -> Measure | None:
    """The measure with its details (None if unknown); PermissionDenied if not visible."""
    measure = editing.load_measure(measure_id)
    if measure is None:
        return None
    if not measure_rules.can_view_measure(user, measure):
        raise PermissionDenied("Diese Maßnahme dürfen Sie nicht sehen.")
    return measure


def measure_detail(user: User, measure: Measure, today: date | None = None) -> s.MeasureDetail:
    """One measure as the API shows it (``measure`` loaded by :func:`visible_measure`)."""
    horizon = planning_horizon()
    settings = get_settings()
    row = register_rows([measure.id], horizon, few=True)[0]
    return s.MeasureDetail(
        **_item_fields(row, horizon, sees_scores(user)),
        version=measure.version_id,
        description=measure.description,
        contact=measure.contact,
        legal_basis=measure.legal_basis,
        legal_deadline=measure.legal_deadline,
        ozg_leika_key=measure.ozg_leika_key,
        ozg_service_name=measure.ozg_service_name,
        ozg_maturity_level=measure.ozg_maturity_level,
        ozg_implementation=measure.ozg_implementation,
        goals=[
            s.GoalRef(id=g.id, code=g.code, title=g.title, action_field=g.action_field.name)
            for g in measure.goals
        ],
        milestones=[
            s.MilestoneOut(id=m.id, title=m.title, due_date=m.due_date, done_on=m.done_on)
            for m in measure.milestones
        ],
        next_report_due=reports.next_report_due(measure, settings, today),
        report_overdue=reports.is_overdue(measure, settings, today),
        may_report=measure_rules.may_report(user, measure),
        may_record_values=measure_rules.can_edit_measure(user, measure),
    )


def status_report(report: Any) -> s.StatusReportOut:
    """One status report."""
    return s.StatusReportOut(
        id=report.id,
        reported_on=report.reported_on,
        created_at=report.created_at,
        author=report.author.full_name if report.author else None,
        schedule_light=report.schedule_light,
        cost_light=report.cost_light,
        scope_light=report.scope_light,
        overall_light=report.overall_light,
        overall_light_label=report.overall_light.label,
        progress_percent=report.progress_percent,
        text=report.text,
        next_steps=report.next_steps,
        risks=report.risks,
    )


def status_reports(measure: Measure) -> s.StatusReportList:
    """The measure's reports, newest first (the detail page's order)."""
    return s.StatusReportList(
        measure_id=measure.id,
        measure_version=measure.version_id,
        items=[status_report(r) for r in measure.status_reports],
    )


def key_figure_value(value: Any) -> s.KeyFigureValueOut:
    """One measured value."""
    return s.KeyFigureValueOut(id=value.id, measured_on=value.measured_on, value=value.value)


def key_figures(measure: Measure) -> s.KeyFigureList:
    """The measure's key figures with their values (by date)."""
    return s.KeyFigureList(
        measure_id=measure.id,
        measure_version=measure.version_id,
        items=[
            s.KeyFigureOut(
                id=k.id,
                name=k.name,
                unit=k.unit,
                baseline=k.baseline,
                target=k.target,
                values=[key_figure_value(v) for v in k.values],
            )
            for k in sorted(measure.key_figures, key=lambda k: k.id)
        ],
    )


# --------------------------------------------------------------------------- agenda


def agenda_version(agenda: Agenda) -> s.AgendaVersion:
    """A version's head data."""
    return s.AgendaVersion(
        id=agenda.id,
        version_no=agenda.version_no,
        title=agenda.title,
        status=agenda.status,
        status_label=AGENDA_STATUS_LABELS[agenda.status],
        adopted_on=agenda.adopted_on,
    )


def agenda_versions() -> s.AgendaVersionList:
    """Every version, newest first."""
    return s.AgendaVersionList(items=[agenda_version(a) for a in agenda_service.all_versions()])


def agenda(user: User, agenda_id: int | None) -> s.AgendaOut | None:
    """A version (the adopted one if ``agenda_id`` is None) with its goals' coverage."""
    if agenda_id is None:
        adopted = agenda_service.adopted_agenda()
        if adopted is None:
            return None
        agenda_id = adopted.id
    loaded = agenda_service.load_agenda(agenda_id)
    if loaded is None:
        return None
    coverage = agenda_service.goal_coverage(loaded, user)
    return s.AgendaOut(
        **agenda_version(loaded).model_dump(),
        action_fields=[
            s.ActionFieldOut(
                id=field.id,
                code=field.code,
                name=field.name,
                description=field.description,
                goals=[
                    s.GoalOut(
                        id=g.goal.id,
                        code=g.goal.code,
                        title=g.goal.title,
                        description=g.goal.description,
                        covered=g.covered,
                        measure_count=g.count,
                        measure_cost=g.total,
                        measure_ids=[c.measure.id for c in g.measures],
                    )
                    for g in goals
                ],
            )
            for field, goals in coverage
        ],
    )


# --------------------------------------------------------------------------- budget


def budget_lines() -> s.BudgetLineList:
    """All budget lines with amounts and VE (the lines page's data)."""
    return s.BudgetLineList(
        budget_year=get_settings().budget_year,
        items=[
            s.BudgetLineOut(
                id=line.id,
                label=line.label,
                product=line.product,
                cost_center=line.cost_center,
                account=line.account,
                investment_number=line.investment_number,
                name=line.name,
                kind=line.kind,
                kind_label=line.kind.label,
                department=s.DepartmentRef(code=line.department.code, name=line.department.name),
                is_active=line.is_active,
                version=line.version_id,
                amounts=[
                    s.BudgetAmountOut(
                        year=a.year, approved_amount=a.approved_amount, base_load=a.base_load
                    )
                    for a in line.amounts
                ],
                commitments=[
                    s.CommitmentOut(
                        id=c.id,
                        granted_year=c.granted_year,
                        due_year=c.due_year,
                        amount=c.amount,
                        purpose=c.purpose,
                        measure_id=c.measure_id,
                        archived=c.archived_at is not None,
                    )
                    for c in sorted(line.commitments, key=lambda c: (c.due_year, c.id))
                ],
            )
            for line in budget_service.budget_lines()
        ],
    )


def figures(f: Figures) -> s.Figures:
    """Coverage figures of the coverage service in the API's shape."""
    return s.Figures(
        planned=f.planned,
        base_load=f.base_load,
        ve_due=f.ve_due,
        available=f.available,
        gross=f.gross,
        grant=f.grant,
        own=f.own,
        gap=f.gap,
        free=f.free,
        ratio=f.ratio,
        status=f.status,
        status_label=f.status.label,
    )


def _row_key(key: Any) -> str:
    if isinstance(key, tuple):
        return ":".join(str(part) for part in key)
    return str(key.value if hasattr(key, "value") else key)


def _coverage_row(row: CoverageRow, years: list[int]) -> s.CoverageRowOut:
    return s.CoverageRowOut(
        key=_row_key(row.key),
        label=row.label,
        detail=row.detail,
        kind=row.kind,
        years=[s.YearFigures(year=y, figures=figures(row.years[y])) for y in years],
        total=figures(row.total),
    )


def coverage(query: s.CoverageQuery) -> s.CoverageOut:
    """The coverage table of the budget page for the asked year, view and scenario."""
    budget_year = query.budget_year or get_settings().budget_year
    years = [budget_year + i for i in range(PLANNING_YEARS + 1)]
    table: CoverageTable = coverage_table(years, query.view, include_submitted=query.scenario)
    return s.CoverageOut(
        budget_year=budget_year,
        years=years,
        view=query.view,
        scenario=query.scenario,
        totals=[s.YearFigures(year=y, figures=figures(table.total.years[y])) for y in years],
        parts=[_coverage_row(part, years) for part in table.parts],
        rows=[] if query.view == Grouping.TOTAL else [_coverage_row(r, years) for r in table.rows],
    )


# --------------------------------------------------------------------------- dashboard


def _lights(lights: LightsByDepartment) -> list[s.LightCounts]:
    return [
        s.LightCounts(
            department=dept,
            green=lights.counts[dept].get("green", 0),
            yellow=lights.counts[dept].get("yellow", 0),
            red=lights.counts[dept].get("red", 0),
            no_report=lights.counts[dept].get(NO_REPORT, 0),
        )
        for dept in lights.departments
    ]


def _status_counts(counts: dict[MeasureStatus, int], statuses: list[MeasureStatus]) -> list[Any]:
    return [
        s.StatusCount(status=st, status_label=st.label, count=counts.get(st, 0)) for st in statuses
    ]


def dashboard(user: User, query: s.DashboardQuery) -> s.DashboardOut:
    """The dashboard's figures for ``user`` with the asked filters (the page's data)."""
    filters = DashboardFilters(
        department_id=query.department,
        action_field_id=query.action_field,
        category=query.category,
        year=query.year,
    )
    board: Dashboard = build_dashboard(filters, user)
    tiles = board.tiles
    assert len(GOAL_GROUPS) == 3  # the three columns of GoalCount
    return s.DashboardOut(
        budget_year=board.budget_year,
        tiles=s.TilesOut(
            total=tiles.total,
            status_counts=_status_counts(tiles.status_counts, list(MeasureStatus)),
            red_lights=tiles.red_lights,
            overdue_reports=tiles.overdue_reports,
            without_owner=tiles.without_owner,
            year=tiles.year,
            coverage=figures(tiles.coverage.figures),
        ),
        coverage=[
            s.YearFigures(year=y.year, figures=figures(y.figures)) for y in board.coverage.years
        ],
        lights=_lights(board.lights),
        status_by_field=[
            s.FieldStatusCounts(
                action_field=label,
                counts=_status_counts(
                    board.status_by_field.counts.get(label, {}), board.status_by_field.statuses
                ),
                total=sum(board.status_by_field.counts.get(label, {}).values()),
            )
            for label, _colour in board.status_by_field.fields
        ],
        goals=[
            s.GoalCount(
                code=g.code,
                title=g.title,
                action_field=g.field,
                in_planning=g.counts[0],
                approved_or_running=g.counts[1],
                completed=g.counts[2],
                total=g.total,
            )
            for g in board.goals.goals
        ],
        roadmap=[
            s.RoadmapItemOut(
                id=item.id,
                reference=item.reference,
                title=item.title,
                department=item.department,
                status=item.status,
                start_date=item.start_date,
                end_date=item.end_date,
                milestones=[
                    s.RoadmapMilestone(title=m.title, due_date=m.due_date, done_on=m.done_on)
                    for m in item.milestones
                ],
            )
            for item in board.roadmap.items
        ],
        roadmap_total=board.roadmap.total,
        portfolio=[
            s.PortfolioPointOut(
                rank=p.rank,
                reference=p.reference,
                title=p.title,
                action_field=p.field,
                status=p.status,
                priority_class=p.priority_class,
                score=p.score,
                cost=p.cost,
                running_costs=p.running_costs,
                depreciation=p.depreciation,
            )
            for p in board.portfolio.points
        ],
        portfolio_total=board.portfolio.total,
    )
