"""Portfolio ranking, cut-off scenarios and owner hygiene."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from steuerung.extensions import db
from steuerung.forms.portfolio import SaveScenarioForm, scenario_form
from steuerung.models import BudgetKind, BudgetScenario
from steuerung.services import jobs
from steuerung.services.common import charts
from steuerung.services.common.columns import columns_from_args
from steuerung.services.common.errors import PermissionDenied, ValidationFailed
from steuerung.services.common.numbers import NumberError, parse_amount
from steuerung.services.common.settings import get_settings
from steuerung.services.jobs import args_to_params
from steuerung.services.portfolio import ranking as portfolio_service
from steuerung.services.portfolio import rules
from steuerung.services.portfolio import scenario as scenario_service
from steuerung.services.portfolio.hygiene import orphaned_measures, overdue_measures
from steuerung.services.portfolio.scenario import Pot, pot_from_key, pot_key
from steuerung.views.access import permission_required
from steuerung.views.paging import page_from_args
from steuerung.views.portfolio._common import bp
from steuerung.views.transaction import commit, form_errors_text

PORTFOLIO_PAGE_SIZE = 50
HYGIENE_LIMIT = 200

# --------------------------------------------------------------------------- portfolio


@bp.route("/")
@permission_required(rules.may_read_portfolio)
def index() -> str:
    """Ranked portfolio with cost and cumulated cost, A/B/C classes and the bubble chart."""
    include_submitted = request.args.get("nur_freigegeben") != "1"
    result = portfolio_service.ranking(
        current_user, portfolio_service.portfolio_statuses(include_submitted)
    )
    total = len(result.keys)
    page, pages, message = page_from_args(total, PORTFOLIO_PAGE_SIZE)
    years = list(result.years)
    shown = result.entries((page - 1) * PORTFOLIO_PAGE_SIZE, page * PORTFOLIO_PAGE_SIZE)
    portfolio_service.load_details(shown, years)
    portfolio_service.attach_fields(shown)
    figure = charts.portfolio_bubble(portfolio_service.bubble_points(shown))
    return render_template(
        "portfolio/index.html",
        ranked=shown,
        total_count=total,
        years=years,
        classes=result.classes,
        grand_total=result.grand_total,
        figure=figure,
        page=page,
        pages=pages,
        page_size=PORTFOLIO_PAGE_SIZE,
        include_submitted=include_submitted,
        message=message,
        columns=columns_from_args(portfolio_service.RANKING_COLUMNS, request.args),
    )


def _pots_text(overrides: dict[Pot, Decimal]) -> str:
    """Hand-set pot amounts as one hidden field (``consumptive:2026=1000.00;...``)."""
    return ";".join(f"{pot_key(pot)}={amount}" for pot, amount in sorted(overrides.items()))


def _pots_from_text(text: str) -> dict[Pot, Decimal]:
    result: dict[Pot, Decimal] = {}
    for part in (text or "").split(";"):
        if part:
            key, _, amount = part.partition("=")
            result[pot_from_key(key)] = parse_amount(amount)
    return result


@bp.route("/scenario")
@permission_required(rules.may_read_portfolio)
def scenario() -> ResponseReturnValue:
    """Cut-off scenario per budget part and year: which measures the budget can carry."""
    settings = get_settings()
    form = scenario_form(settings.horizon, request.args)
    if not request.args:
        form.include_submitted.data = True
    result = None
    status = 200
    overrides: dict[Pot, Decimal] = {}
    if not request.args or form.validate():
        typed = form.overrides() if request.args else {}
        overrides = {
            Pot(BudgetKind(kind), year): amount
            for (kind, year), amount in typed.items()
            if amount is not None
        }
        include_submitted = bool(form.include_submitted.data)
        try:
            scenario_service.validate_overrides(dict(overrides))
            if scenario_service.runs_in_background(current_user, include_submitted):
                params = {
                    "args": args_to_params(request.args),
                    "include_submitted": include_submitted,
                    "overrides": {pot_key(pot): str(v) for pot, v in overrides.items()},
                }
                job = jobs.request_job("scenario", params, current_user)
                found = jobs.result_file(job) if jobs.is_ready(job) else None
                if found is None:
                    return redirect(url_for("jobs.detail", public_id=job.public_id))
                result = scenario_service.ScenarioView.from_json(found.read_text("utf-8"))
            else:
                result = scenario_service.ScenarioView.of(
                    scenario_service.cutoff_scenario(current_user, include_submitted, overrides),
                    scenario_service.PAGE_ROWS,
                )
        except ValidationFailed as error:
            form.submit.errors = [error.message]
            status = 400
        except PermissionDenied as error:
            flash(error.message, "danger")
            return redirect(url_for("jobs.index"))
    else:
        status = 400
    save_form = SaveScenarioForm()
    if result is not None:
        save_form.include_submitted.data = "1" if result.include_submitted else ""
        save_form.overrides.data = _pots_text(overrides)
    return render_template(
        "portfolio/scenario.html",
        form=form,
        result=result,
        shown=result.shown if result else [],
        hidden=result.hidden if result else 0,
        save_form=save_form,
        saved=scenario_service.saved_scenarios(),
    ), status


@bp.route("/scenario/save", methods=["POST"])
@permission_required(rules.may_manage_scenarios)
def scenario_save() -> ResponseReturnValue:
    """Recompute the scenario with the posted parameters and store it under a name."""
    form = SaveScenarioForm()
    if not form.validate_on_submit():
        flash("Szenario nicht gespeichert: " + form_errors_text(form), "danger")
        return redirect(url_for("portfolio.scenario"))
    try:
        overrides = _pots_from_text(form.overrides.data or "")
    except (NumberError, ValueError):
        flash("Szenario nicht gespeichert: ungültige Parameter.", "danger")
        return redirect(url_for("portfolio.scenario"))

    def save() -> BudgetScenario:
        result = scenario_service.cutoff_scenario(
            current_user, form.include_submitted.data == "1", dict(overrides)
        )
        return scenario_service.save_scenario(form.name.data or "", result, current_user, overrides)

    outcome = commit(save)
    if not outcome.ok or outcome.value is None:
        return redirect(url_for("portfolio.scenario"))
    flash(f"Szenario „{outcome.value.name}“ gespeichert.", "success")
    return redirect(url_for("portfolio.scenarios", id=outcome.value.id))


@bp.route("/scenarios")
@permission_required(rules.may_read_portfolio)
def scenarios() -> str:
    """Saved scenarios; choose two or more (``?id=1&id=2``) to compare them side by side."""
    saved = scenario_service.saved_scenarios()
    raw_ids = request.args.getlist("id")
    message = None
    ids = [int(i) for i in raw_ids if i.isdigit()]
    if len(ids) != len(raw_ids):
        message = "Ungültige Auswahl von Szenarien."
        ids = []
    chosen = [s for s in saved if s.id in ids]
    if ids and len(chosen) != len(set(ids)):
        message = "Mindestens ein gewähltes Szenario gibt es nicht."
    results, rows = scenario_service.compare_scenarios(chosen)
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
def scenario_delete(scenario_id: int) -> ResponseReturnValue:
    """Delete a saved scenario (CSRF-protected POST; the audit log keeps it)."""
    scenario = db.session.get(BudgetScenario, scenario_id)
    if scenario is None:
        abort(404)
    name = scenario.name
    if commit(lambda: db.session.delete(scenario)).ok:
        flash(f"Szenario „{name}“ gelöscht.", "success")
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
