"""Dashboard of the coordinating office and leadership, CSV twins and the council report."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from steuerung.navigation import add_nav_item
from steuerung.services.budget.exports import write_csv
from steuerung.services.common import charts
from steuerung.services.common.settings import get_settings
from steuerung.services.dashboard import rules
from steuerung.services.dashboard.council_report import build_council_report
from steuerung.services.dashboard.data import (
    CHARTS,
    DashboardFilters,
    FilterOptions,
    build_dashboard,
    chart_table,
    filter_options,
    measure_conditions,
    parse_filters,
)
from steuerung.services.grants.lifecycle import deadlines
from steuerung.services.jobs import args_to_params
from steuerung.views import execution as execution_views
from steuerung.views.access import permission_required
from steuerung.views.jobs import job_response

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

add_nav_item("dashboard.index", "Dashboard", rules.may_read_dashboard, order=5)


def _filters() -> tuple[DashboardFilters, FilterOptions, dict[str, str]]:
    """Filters from the URL; invalid values are dropped and reported."""
    options = filter_options(get_settings().budget_year)
    filters, errors = parse_filters(request.args, options)
    return filters, options, errors


def _render_dashboard(leadership_view: bool) -> tuple[str, int]:
    filters, options, errors = _filters()
    board = build_dashboard(filters, current_user, with_summary=leadership_view)
    figures = {
        "status": charts.dashboard_status_by_field(board.status_by_field),
        "coverage": charts.dashboard_coverage(board.coverage),
        "lights": charts.dashboard_lights(board.lights),
        "roadmap": charts.dashboard_roadmap(board.roadmap),
        "goals": charts.dashboard_goal_matrix(board.goals),
        "portfolio": charts.portfolio_bubble(board.portfolio.bubble_points()),
    }
    execution = execution_views.dashboard_include(
        board.budget_year if filters.year is None else filters.year, filters.department_id
    )
    if execution is not None:
        figures["execution"] = execution[1]
    html = render_template(
        "dashboard/index.html",
        board=board,
        figures=figures,
        options=options,
        errors=errors,
        filter_args=filters.as_args(),
        leadership_view=leadership_view,
        charts_meta=CHARTS,
        execution=execution[0] if execution is not None else None,
        grant_deadline_list=deadlines(measure_conditions(filters, current_user), limit=10),
    )
    return html, 400 if errors else 200


@bp.route("/")
@permission_required(rules.may_read_dashboard)
def index() -> tuple[str, int]:
    """The dashboard; leadership sees the short summary on top."""
    return _render_dashboard(leadership_view=rules.sees_leadership_summary(current_user))


@bp.route("/leitung")
@permission_required(rules.may_read_leadership_view)
def leadership() -> tuple[str, int]:
    """Read-only leadership view: the same dashboard with a textual summary at the top."""
    return _render_dashboard(leadership_view=True)


@bp.route("/daten/<key>.csv")
@permission_required(rules.may_read_dashboard)
def csv(key: str) -> Response:
    """CSV download of one chart's data with the filters of the URL."""
    if key not in CHARTS:
        abort(404)
    filters, _options, errors = _filters()
    if errors:
        return Response(
            "Ungültiger Filter: " + " ".join(errors.values()),
            status=400,
            mimetype="text/plain",
        )
    table = chart_table(key, filters, current_user)
    body = write_csv(table.headers, table.rows)
    filename = f"dashboard-{key}-{date.today():%Y-%m-%d}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/sachstandsbericht")
@permission_required(rules.may_read_dashboard)
def council_report() -> tuple[str, int]:
    """Printable status report for the council (HTML)."""
    filters, options, errors = _filters()
    report = build_council_report(filters, current_user)
    # Typed as Any: url_for's own keyword options (_external, ...) are typed, query args are not.
    pdf_args: dict[str, Any] = filters.as_args()
    html = render_template(
        "dashboard/council_report.html",
        report=report,
        errors=errors,
        filter_args=filters.as_args(),
        pdf_url=url_for("dashboard.council_report_pdf", **pdf_args),
    )
    return html, 400 if errors else 200


@bp.route("/sachstandsbericht.pdf")
@permission_required(rules.may_read_dashboard)
def council_report_pdf() -> ResponseReturnValue:
    """The council report as PDF (WeasyPrint), made by a background job and cached."""
    filters, _options, errors = _filters()
    if errors:
        return Response(
            "Ungültiger Filter: " + " ".join(errors.values()),
            status=400,
            mimetype="text/plain",
        )
    return job_response("council_pdf", {"args": args_to_params(request.args)})
