"""Coordinating office: register, review inbox, scoring, criteria, portfolio, scenarios, hygiene."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased, contains_eager, selectinload
from sqlalchemy.orm.exc import StaleDataError

from steuerung.extensions import db
from steuerung.forms.portfolio import (
    RankOverrideForm,
    SaveScenarioForm,
    ScenarioForm,
    TransitionForm,
    criteria_form_class,
    parse_money,
    score_form_class,
)
from steuerung.models import (
    AuditEntry,
    BudgetScenario,
    CriterionKind,
    Measure,
    MeasureCategory,
    MeasureStatus,
    Role,
    User,
)
from steuerung.navigation import add_nav_item
from steuerung.services import charts
from steuerung.services import portfolio as portfolio_service
from steuerung.services.errors import TransitionNotAllowed, ValidationFailed
from steuerung.services.jobs import args_to_params
from steuerung.services.permissions import can_view_measure, visible_measures_filter
from steuerung.services.register import (
    NO_OWNER,
    NO_REPORT,
    SORT_COLUMNS,
    filter_options,
    parse_register_args,
    search_register,
)
from steuerung.services.reports import overdue_clause
from steuerung.services.scoring import (
    GATE_FIELDS,
    active_and_inactive_criteria,
    ensure_default_criteria,
    gates_met,
    score_measure,
    scores_of,
    set_rank_override,
    update_criteria,
)
from steuerung.services.settings import get_settings
from steuerung.services.workflow import allowed_transitions, transition
from steuerung.views.access import role_required
from steuerung.views.jobs import job_response

bp = Blueprint("portfolio", __name__, url_prefix="/portfolio")

REGISTER_ROLES = (Role.COORDINATOR, Role.LEADERSHIP, Role.TREASURY)
PORTFOLIO_ROLES = (Role.COORDINATOR, Role.LEADERSHIP)
OFFICE = (Role.COORDINATOR,)
PORTFOLIO_PAGE_SIZE = 50
HYGIENE_LIMIT = 200
#: Scenario table: this many measures are listed on each side of the budget line.
SCENARIO_WINDOW = 50
CLOSED = (MeasureStatus.COMPLETED, MeasureStatus.REJECTED, MeasureStatus.CANCELLED)

add_nav_item("portfolio.inbox", "Prüfung", OFFICE, order=15)
add_nav_item("portfolio.register", "Register", REGISTER_ROLES, order=20)
add_nav_item("portfolio.index", "Portfolio", PORTFOLIO_ROLES, order=25)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    def measure_url(measure_id: int) -> str | None:
        if "measures.detail" in current_app.view_functions:
            return url_for("measures.detail", measure_id=measure_id)
        return None

    return {"measure_url": measure_url, "Role": Role, "eur": eur}


def eur(value: Decimal | float | int | None) -> str:
    """Euro amount as the ``money`` filter writes it (``1.234,50 €``), without Babel's cost.

    Long tables call this hundreds of times per page; Babel needs ~50 µs per call.
    """
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{abs(amount):,.2f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return ("-" if amount < 0 else "") + text + "\u00a0€"


def _measure_or_abort(measure_id: int) -> Measure:
    measure = db.session.get(Measure, measure_id)
    if measure is None:
        abort(404)
    if not can_view_measure(current_user, measure):
        abort(403)
    return measure


# --------------------------------------------------------------------------- register


@bp.route("/register")
@role_required(*REGISTER_ROLES)
def register() -> str:
    """The central register: filters, search, sort and pages from the URL (GET form)."""
    params = parse_register_args(request.args)
    result = search_register(current_user, params)
    return render_template(
        "portfolio/register.html",
        result=result,
        params=params,
        options=filter_options(current_user),
        sort_columns=SORT_COLUMNS,
        statuses=list(MeasureStatus),
        categories=list(MeasureCategory),
        no_owner=NO_OWNER,
        no_report=NO_REPORT,
        export_args=params.url_args(page=None, per_page=None),
    )


@bp.route("/register.csv")
@role_required(*REGISTER_ROLES)
def register_csv() -> Response:
    """The current selection (all pages) as German CSV (background job, cached)."""
    return job_response("register_csv", {"args": args_to_params(request.args)})


@bp.route("/register.xlsx")
@role_required(*REGISTER_ROLES)
def register_xlsx() -> Response:
    """The selection (all pages) as XLSX with numbers, sums and a parameter sheet (job)."""
    return job_response("register_xlsx", {"args": args_to_params(request.args)})


# --------------------------------------------------------------------------- review inbox

INBOX_STATUSES = (MeasureStatus.SUBMITTED, MeasureStatus.UNDER_REVIEW)


def _transition_form(measure: Measure) -> TransitionForm:
    form = TransitionForm(prefix=f"m{measure.id}")
    form.target.choices = [
        (t.target.value, t.label + (" (Begründung nötig)" if t.reason_required else ""))
        for t in allowed_transitions(measure, current_user)
    ]
    if request.method == "GET":
        form.version_id.data = str(measure.version_id)
    return form


@bp.route("/inbox")
@role_required(*OFFICE)
def inbox() -> str:
    """Submitted and under-review measures, oldest submission first, with decisions."""
    owner = aliased(User)
    measures = list(
        db.session.scalars(
            select(Measure)
            .outerjoin(owner, Measure.owner_id == owner.id)
            .options(contains_eager(Measure.owner.of_type(owner)), selectinload(Measure.goals))
            .where(visible_measures_filter(current_user), Measure.status.in_(INBOX_STATUSES))
            .order_by(
                Measure.submitted_at.is_(None),
                Measure.submitted_at.asc(),
                Measure.id.asc(),
            )
        ).unique()
    )
    forms = {m.id: _transition_form(m) for m in measures}
    return render_template("portfolio/inbox.html", measures=measures, forms=forms)


@bp.route("/inbox/<int:measure_id>/transition", methods=["POST"])
@role_required(*OFFICE)
def inbox_transition(measure_id: int) -> Response:
    """Apply one workflow decision; refused transitions change nothing."""
    measure = _measure_or_abort(measure_id)
    form = _transition_form(measure)
    if not form.validate_on_submit():
        messages = [e for errors in form.errors.values() for e in errors]
        flash(
            f"{measure.reference}: " + (" ".join(map(str, messages)) or "Ungültige Eingabe."),
            "danger",
        )
        return redirect(url_for("portfolio.inbox"))
    if form.version_id.data and form.version_id.data != str(measure.version_id):
        flash(
            f"{measure.reference} wurde inzwischen geändert. Bitte prüfen Sie die Angaben erneut.",
            "warning",
        )
        return redirect(url_for("portfolio.inbox"))
    try:
        change = transition(
            measure, MeasureStatus(form.target.data), current_user, form.reason.data or ""
        )
        db.session.commit()
    except TransitionNotAllowed as error:
        db.session.rollback()
        flash(f"{measure.reference}: {error.message}", "danger")
        return redirect(url_for("portfolio.inbox"))
    except StaleDataError:
        db.session.rollback()
        flash(f"{measure.reference} wurde inzwischen geändert. Bitte erneut versuchen.", "warning")
        return redirect(url_for("portfolio.inbox"))
    flash(f"{measure.reference} „{measure.title}“: {change.to_status.label}.", "success")
    return redirect(url_for("portfolio.inbox"))


# --------------------------------------------------------------------------- scoring


def _score_history(measure: Measure) -> list[AuditEntry]:
    entries = db.session.scalars(
        select(AuditEntry)
        .options(selectinload(AuditEntry.user))
        .where(
            AuditEntry.measure_id == measure.id,
            AuditEntry.entity_type.in_(("scores", "measures")),
        )
        .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
        .limit(200)
    )
    wanted = {"value", "score", "priority_class", "rank_override", "rank_override_reason"}
    return [
        e for e in entries if e.entity_type == "scores" or wanted & set((e.changes or {}).keys())
    ][:50]


@bp.route("/measures/<int:measure_id>/score", methods=["GET", "POST"])
@role_required(*OFFICE)
def score(measure_id: int) -> str | Response:
    """Scoring form of one measure, gates, manual rank and the scoring history."""
    measure = _measure_or_abort(measure_id)
    criteria = active_and_inactive_criteria()
    if not criteria:
        criteria = ensure_default_criteria()
        db.session.commit()
    active = [c for c in criteria if c.is_active]
    weighted = [c for c in active if c.kind == CriterionKind.WEIGHTED]
    form_class = score_form_class(active)
    stored = scores_of(measure)
    form = form_class()
    if request.method == "GET":
        for c in weighted:
            if c.id in stored:
                form[f"c_{c.id}"].data = str(stored[c.id].value)
                form[f"k_{c.id}"].data = stored[c.id].comment
    override = RankOverrideForm(
        data={"rank": measure.rank_override, "reason": measure.rank_override_reason}
    )
    status = 200
    if form.validate_on_submit():
        values = {c.id: int(form[f"c_{c.id}"].data) for c in weighted}
        comments = {c.id: form[f"k_{c.id}"].data or "" for c in weighted}
        try:
            score_measure(measure, values, current_user, comments)
            db.session.commit()
        except ValidationFailed as error:
            db.session.rollback()
            flash(error.message, "danger")
            status = 400
        else:
            rank = portfolio_service.rank_of(current_user, measure.id)
            score_text = f"{measure.score:.2f}".replace(".", ",")
            rank_text = f", Rang {rank}" if rank else ""
            flash(
                f"Bewertung gespeichert: Score {score_text}, "
                f"Klasse {measure.priority_class or '–'}{rank_text}.",
                "success",
            )
            return redirect(url_for("portfolio.score", measure_id=measure.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "portfolio/score.html",
        measure=measure,
        form=form,
        override=override,
        weighted=weighted,
        gates=[c for c in active if c.kind == CriterionKind.GATE],
        met={c.id for c in gates_met(measure, active)},
        gate_fields=GATE_FIELDS,
        rank=portfolio_service.rank_of(current_user, measure.id),
        history=_score_history(measure),
        criteria_by_id={c.id: c for c in criteria},
    ), status


@bp.route("/measures/<int:measure_id>/rank", methods=["POST"])
@role_required(*OFFICE)
def rank_override(measure_id: int) -> str | Response:
    """Set or remove the manual rank (reason required when set)."""
    measure = _measure_or_abort(measure_id)
    form = RankOverrideForm()
    if form.validate_on_submit():
        try:
            set_rank_override(measure, form.rank.data, form.reason.data or "", current_user)
            db.session.commit()
        except ValidationFailed as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            if measure.rank_override is None:
                flash("Die manuelle Rangfestlegung wurde aufgehoben.", "success")
            else:
                flash(f"Manueller Rang {measure.rank_override} gespeichert.", "success")
        return redirect(url_for("portfolio.score", measure_id=measure.id))
    messages = [str(e) for errors in form.errors.values() for e in errors]
    flash("Rang nicht gespeichert: " + " ".join(messages), "danger")
    return redirect(url_for("portfolio.score", measure_id=measure.id))


@bp.route("/criteria", methods=["GET", "POST"])
@role_required(*OFFICE)
def criteria() -> str | Response:
    """Configure the scoring criteria; weights of active weighted ones must add up to 100."""
    existing = active_and_inactive_criteria()
    if not existing:
        existing = ensure_default_criteria()
        db.session.commit()
    form = criteria_form_class(len(existing))()
    if request.method == "GET":
        for index, c in enumerate(existing):
            row = form[f"row_{index}"]
            row["criterion_id"].data = str(c.id)
            row["name"].data = c.name
            row["description"].data = c.description
            row["kind"].data = c.kind.value
            row["weight"].data = f"{c.weight.normalize():f}".replace(".", ",")
            row["gate_field"].data = c.gate_field or ""
            row["is_active"].data = c.is_active
        form.new["kind"].data = CriterionKind.WEIGHTED.value
        form.new["weight"].data = "0"
        form.new["is_active"].data = True
    error_message = None
    if form.validate_on_submit():
        rows = []
        for index in range(len(existing)):
            row = form[f"row_{index}"]
            rows.append(_criterion_row(row, int(existing[index].id)))
        if (form.new["name"].data or "").strip():
            rows.append(_criterion_row(form.new, None))
        try:
            update_criteria(rows, by=current_user)
            db.session.commit()
        except ValidationFailed as error:
            db.session.rollback()
            error_message = error.message
        else:
            flash(
                "Die Kriterien wurden gespeichert; alle Bewertungen sind neu berechnet.", "success"
            )
            return redirect(url_for("portfolio.criteria"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "portfolio/criteria.html",
        form=form,
        rows=[form[f"row_{i}"] for i in range(len(existing))],
        error_message=error_message,
    ), status


def _criterion_row(row: Any, criterion_id: int | None) -> dict[str, Any]:
    return {
        "id": criterion_id,
        "name": row["name"].data,
        "description": row["description"].data,
        "kind": row["kind"].data,
        "weight": (row["weight"].data or "").strip() or "0",
        "gate_field": row["gate_field"].data or None,
        "is_active": bool(row["is_active"].data),
    }


# --------------------------------------------------------------------------- portfolio


@bp.route("/")
@role_required(*PORTFOLIO_ROLES)
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
@role_required(*PORTFOLIO_ROLES)
def scenario() -> str:
    """Budget cut-off: which measures fit into an amount for a year, in rank order."""
    form = _scenario_form()
    result = None
    status = 200
    if request.args and form.validate():
        available = parse_money(form.available.data) or Decimal("0")
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
@role_required(*OFFICE)
def scenario_save() -> Response:
    """Recompute the scenario with the posted parameters and store it under a name."""
    form = SaveScenarioForm()
    if not form.validate_on_submit():
        messages = [str(e) for errors in form.errors.values() for e in errors]
        flash("Szenario nicht gespeichert: " + " ".join(messages), "danger")
        return redirect(url_for("portfolio.scenario"))
    available = parse_money(form.available.data)
    year = form.year.data or ""
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
@role_required(*PORTFOLIO_ROLES)
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
@role_required(*OFFICE)
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
@role_required(*PORTFOLIO_ROLES)
def hygiene() -> str:
    """Open measures without an active owner, and measures with overdue status reports."""
    owner = aliased(User)
    base = (
        select(Measure)
        .outerjoin(owner, Measure.owner_id == owner.id)
        .options(contains_eager(Measure.owner.of_type(owner)))
        .where(visible_measures_filter(current_user))
    )
    orphaned = list(
        db.session.scalars(
            base.where(
                Measure.status.not_in(CLOSED),
                or_(Measure.owner_id.is_(None), owner.is_active_user.is_(False)),
            )
            .order_by(Measure.department_id, Measure.id)
            .limit(HYGIENE_LIMIT + 1)
        ).unique()
    )
    overdue = list(
        db.session.scalars(
            base.where(and_(overdue_clause(date.today())))
            .order_by(Measure.last_report_on.is_(None).desc(), Measure.last_report_on, Measure.id)
            .limit(HYGIENE_LIMIT + 1)
        ).unique()
    )
    return render_template(
        "portfolio/hygiene.html",
        orphaned=orphaned[:HYGIENE_LIMIT],
        orphaned_more=len(orphaned) > HYGIENE_LIMIT,
        overdue=overdue[:HYGIENE_LIMIT],
        overdue_more=len(overdue) > HYGIENE_LIMIT,
        limit=HYGIENE_LIMIT,
    )
