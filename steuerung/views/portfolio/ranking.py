"""Portfolio ranking, cut-off scenarios and owner hygiene."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from steuerung.extensions import db
from steuerung.forms.portfolio import (
    SaveScenarioForm,
    ScenarioForm,
)
from steuerung.models import (
    BudgetScenario,
)
from steuerung.services.common import charts
from steuerung.services.common.columns import columns_from_args
from steuerung.services.common.errors import ValidationFailed
from steuerung.services.common.numbers import NumberError, parse_amount
from steuerung.services.common.settings import get_settings
from steuerung.services.portfolio import ranking as portfolio_service
from steuerung.services.portfolio import rules
from steuerung.services.portfolio.hygiene import orphaned_measures, overdue_measures
from steuerung.views.access import permission_required
from steuerung.views.portfolio._common import bp

PORTFOLIO_PAGE_SIZE = 50
HYGIENE_LIMIT = 200
#: Scenario table: this many measures are listed on each side of the budget line.
SCENARIO_WINDOW = 50

# --------------------------------------------------------------------------- portfolio


@bp.route("/")
@permission_required(rules.may_read_portfolio)
def index() -> str:
    """Ranked portfolio with cost and cumulated cost, A/B/C classes and the bubble chart."""
    include_submitted = request.args.get("nur_freigegeben") != "1"
    ranked, years = portfolio_service.ranked_portfolio(
        current_user, portfolio_service.portfolio_statuses(include_submitted), details=False
    )
    page_arg = request.args.get("page", "1")
    pages = max(1, -(-len(ranked) // PORTFOLIO_PAGE_SIZE))
    message = None
    if not page_arg.isdigit() or not 1 <= int(page_arg) <= pages:
        message = f"Ungültige Seitenzahl „{page_arg[:20]}“: es wird Seite 1 gezeigt."
        page = 1
    else:
        page = int(page_arg)
    shown = ranked[(page - 1) * PORTFOLIO_PAGE_SIZE : page * PORTFOLIO_PAGE_SIZE]
    portfolio_service.load_details(shown, years)
    portfolio_service.attach_fields(shown)
    figure = charts.portfolio_bubble(portfolio_service.bubble_points(shown))
    return render_template(
        "portfolio/index.html",
        ranked=shown,
        total_count=len(ranked),
        years=years,
        classes=portfolio_service.class_counts(ranked),
        grand_total=ranked[-1].cumulated if ranked else Decimal("0"),
        figure=figure,
        page=page,
        pages=pages,
        page_size=PORTFOLIO_PAGE_SIZE,
        include_submitted=include_submitted,
        message=message,
        columns=columns_from_args(portfolio_service.RANKING_COLUMNS, request.args),
    )


def _scenario_form() -> ScenarioForm:
    settings = get_settings()
    form = ScenarioForm(request.args)
    form.year.choices = [(str(y), str(y)) for y in settings.horizon]
    if not request.args:
        form.year.data = str(settings.budget_year)
        form.include_submitted.data = True
    return form


@bp.route("/scenario")
@permission_required(rules.may_read_portfolio)
def scenario() -> str:
    """Budget cut-off: which measures fit into an amount for a year, in rank order."""
    form = _scenario_form()
    result = None
    status = 200
    if request.args and form.validate():
        available = parse_amount(form.available.data)
        try:
            result = portfolio_service.cutoff_scenario(
                current_user, int(form.year.data), available, bool(form.include_submitted.data)
            )
        except ValidationFailed as error:
            form.available.errors = [error.message]
            status = 400
    elif request.args:
        status = 400
    save_form = SaveScenarioForm()
    shown, hidden_before, hidden_after = [], 0, 0
    if result is not None:
        cut = len(result.above)
        start = max(0, cut - SCENARIO_WINDOW)
        end = min(len(result.lines), cut + SCENARIO_WINDOW)
        shown, hidden_before, hidden_after = (
            result.lines[start:end],
            start,
            len(result.lines) - end,
        )
        save_form.year.data = str(result.year)
        save_form.available.data = str(result.available)
        save_form.include_submitted.data = "1" if result.include_submitted else ""
    return render_template(
        "portfolio/scenario.html",
        form=form,
        result=result,
        shown=shown,
        hidden_before=hidden_before,
        hidden_after=hidden_after,
        save_form=save_form,
        saved=portfolio_service.saved_scenarios(),
    ), status


@bp.route("/scenario/save", methods=["POST"])
@permission_required(rules.may_manage_scenarios)
def scenario_save() -> Response:
    """Recompute the scenario with the posted parameters and store it under a name."""
    form = SaveScenarioForm()
    if not form.validate_on_submit():
        messages = [str(e) for errors in form.errors.values() for e in errors]
        flash("Szenario nicht gespeichert: " + " ".join(messages), "danger")
        return redirect(url_for("portfolio.scenario"))
    year = form.year.data or ""
    try:
        available = parse_amount(form.available.data)
    except NumberError:
        available = None
    if available is None or not year.isdigit():
        flash("Szenario nicht gespeichert: ungültige Parameter.", "danger")
        return redirect(url_for("portfolio.scenario"))
    try:
        result = portfolio_service.cutoff_scenario(
            current_user, int(year), available, form.include_submitted.data == "1"
        )
        scenario = portfolio_service.save_scenario(form.name.data or "", result, current_user)
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        flash(f"Szenario nicht gespeichert: {error.message}", "danger")
        return redirect(url_for("portfolio.scenario"))
    flash(f"Szenario „{scenario.name}“ gespeichert.", "success")
    return redirect(url_for("portfolio.scenarios", id=scenario.id))


@bp.route("/scenarios")
@permission_required(rules.may_read_portfolio)
def scenarios() -> str:
    """Saved scenarios; choose two or more (``?id=1&id=2``) to compare them side by side."""
    saved = portfolio_service.saved_scenarios()
    raw_ids = request.args.getlist("id")
    message = None
    ids = [int(i) for i in raw_ids if i.isdigit()]
    if len(ids) != len(raw_ids):
        message = "Ungültige Auswahl von Szenarien."
        ids = []
    chosen = [s for s in saved if s.id in ids]
    if ids and len(chosen) != len(set(ids)):
        message = "Mindestens ein gewähltes Szenario gibt es nicht."
    results, rows = portfolio_service.compare_scenarios(chosen)
    return render_template(
        "portfolio/scenarios.html",
        saved=saved,
        chosen=chosen,
        results=results,
        rows=rows,
        message=message,
        ids=ids,
    )


@bp.route("/scenarios/<int:scenario_id>/delete", methods=["POST"])
@permission_required(rules.may_manage_scenarios)
def scenario_delete(scenario_id: int) -> Response:
    """Delete a saved scenario (CSRF-protected POST)."""
    # The CSRF token is checked for every POST by the app-wide CSRFProtect.
    scenario = db.session.get(BudgetScenario, scenario_id)
    if scenario is None:
        abort(404)
    db.session.delete(scenario)
    db.session.commit()
    flash(f"Szenario „{scenario.name}“ gelöscht.", "success")
    return redirect(url_for("portfolio.scenarios"))


# --------------------------------------------------------------------------- owner hygiene


@bp.route("/hygiene")
@permission_required(rules.may_read_portfolio)
def hygiene() -> str:
    """Open measures without an active owner, and measures with overdue status reports."""
    orphaned = orphaned_measures(current_user, HYGIENE_LIMIT + 1)
    overdue = overdue_measures(current_user, date.today(), HYGIENE_LIMIT + 1)
    return render_template(
        "portfolio/hygiene.html",
        orphaned=orphaned[:HYGIENE_LIMIT],
        orphaned_more=len(orphaned) > HYGIENE_LIMIT,
        overdue=overdue[:HYGIENE_LIMIT],
        overdue_more=len(overdue) > HYGIENE_LIMIT,
        limit=HYGIENE_LIMIT,
    )
