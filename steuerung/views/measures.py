"""Measures area: "Meine Maßnahmen", submission and edit form, detail page with tabs,
lifecycle transitions, status reports, milestones, key figures, answers and change requests.

Every route checks the role (decorator) and then the object (``_measure_or_abort``).
Views are thin: forms validate input, services apply the rules and flush, views commit once.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from steuerung.extensions import db
from steuerung.forms.measures import (
    EMPTY_COST_ROWS,
    EMPTY_MILESTONE_ROWS,
    ChangeRequestForm,
    CommentForm,
    DecisionForm,
    KeyFigureForm,
    KeyFigureValueForm,
    MeasureForm,
    SimpleActionForm,
    StatusReportForm,
    TransitionForm,
)
from steuerung.forms.transparency import PublicationForm
from steuerung.models import (
    ChangeRequest,
    ChangeRequestStatus,
    Department,
    Measure,
    MeasureStatus,
    Milestone,
    StatusChange,
)
from steuerung.navigation import add_nav_item
from steuerung.services.common.settings import get_settings
from steuerung.services.grants.lifecycle import deadlines_for_list
from steuerung.services.measures import editing as svc
from steuerung.services.measures import reports, rules
from steuerung.services.measures.costs import cost_summary
from steuerung.services.measures.rules import (
    can_edit_measure,
    can_view_measure,
    visible_measures_filter,
)
from steuerung.services.measures.workflow import (
    IncompleteMeasure,
    allowed_transitions,
    submit,
    transition,
)
from steuerung.services.transparency import rules as transparency_rules
from steuerung.views import execution as execution_views
from steuerung.views.access import permission_required
from steuerung.views.transaction import Outcome, commit, form_errors_text

bp = Blueprint("measures", __name__, url_prefix="/massnahmen")

TABS = {
    "uebersicht": "Übersicht",
    "kosten": "Kostenplan",
    "berichte": "Statusberichte und Kennzahlen",
    "verlauf": "Verlauf",
}

add_nav_item("measures.index", "Maßnahmen", rules.may_see_measures_menu, order=10)


def _measure_or_abort(measure_id: int, edit: bool = False) -> Measure:
    """Load the measure for its detail page; 404 if unknown, 403 if not allowed."""
    measure = svc.load_measure(measure_id)
    if measure is None:
        abort(404)
    if not can_view_measure(current_user, measure):
        abort(403)
    if edit and not can_edit_measure(current_user, measure):
        abort(403)
    return measure


def _detail_url(measure: Measure, tab: str | None = None) -> str:
    return url_for("measures.detail", measure_id=measure.id, tab=tab)


# --------------------------------------------------------------------------- list


@bp.route("/")
@permission_required(rules.may_open_measures)
def index() -> str:
    """Meine Maßnahmen (departments) or all visible measures (office roles), filterable."""
    status_arg = request.args.get("status", "")
    try:
        status = MeasureStatus(status_arg) if status_arg else None
    except ValueError:
        status = None
    try:
        page = max(int(request.args.get("seite", "1")), 1)
    except ValueError:
        page = 1
    try:
        department_id = int(request.args.get("fachbereich") or 0) or None
    except ValueError:
        department_id = None
    scope = request.args.get("umfang", "")
    own_only = rules.lists_own_department(current_user) and scope != "alle"
    flt = svc.ListFilter(
        status=status,
        department_id=department_id,
        own_only=own_only,
        query=(request.args.get("suche") or "").strip()[:100],
        open_items=request.args.get("offen") == "1",
        page=page,
    )
    settings = get_settings()
    rows, total = svc.list_measures(current_user, flt, visible_measures_filter(current_user))
    today = date.today()
    items = [
        {
            "measure": m,
            "open_questions": questions,
            "open_requests": requests,
            "next_due": reports.next_report_due(m, settings),
            "overdue": reports.is_overdue(m, settings, today),
        }
        for m, questions, requests in rows
    ]
    departments = (
        db.session.execute(select(Department.id, Department.code).order_by(Department.code)).all()
        if rules.may_filter_departments(current_user)
        else []
    )
    pages = max((total + flt.per_page - 1) // flt.per_page, 1)
    return render_template(
        "measures/index.html",
        items=items,
        total=total,
        flt=flt,
        pages=pages,
        statuses=list(MeasureStatus),
        departments=departments,
        scope=scope,
        own_only=own_only,
        may_create=rules.may_write_measures(current_user),
        grant_deadline_list=deadlines_for_list(
            current_user, own_only=own_only, department_id=department_id
        ),
    )


# --------------------------------------------------------------------------- form


def _form_data(measure: Measure) -> dict[str, Any]:
    """Initial data of the edit form from the saved measure."""
    return {
        "version_id": measure.version_id,
        "title": measure.title,
        "description": measure.description,
        "category": measure.category.value,
        "kind": measure.kind.value,
        "goals": [g.id for g in measure.goals],
        "legal_obligation": measure.legal_obligation,
        "legal_basis": measure.legal_basis,
        "legal_deadline": measure.legal_deadline,
        "operation_critical": measure.operation_critical,
        "political_mandate": measure.political_mandate,
        "ozg_leika_key": measure.ozg_leika_key,
        "ozg_service_name": measure.ozg_service_name,
        "ozg_maturity_level": measure.ozg_maturity_level,
        "ozg_implementation": measure.ozg_implementation.value
        if measure.ozg_implementation
        else "",
        "owner_id": measure.owner_id,
        "contact": measure.contact,
        "start_date": measure.start_date,
        "end_date": measure.end_date,
        "running_cost_after_horizon": measure.running_cost_after_horizon,
        "useful_life_years": measure.useful_life_years,
        "contractually_bound": measure.contractually_bound,
        "milestones": [{"title": m.title, "due_date": m.due_date} for m in measure.milestones],
        "cost_plan": [
            {
                "year": e.year,
                "budget_line_id": e.budget_line_id,
                "amount": e.amount,
                "funding_source": e.funding_source.value,
                "funding_programme": e.funding_programme,
                "funding_share": e.funding_share,
                "is_running_cost": e.is_running_cost,
            }
            for e in sorted(measure.cost_plan, key=lambda e: (e.year, e.budget_line_id))
        ],
    }


def _place_error(form: MeasureForm, name: str, message: str, extra: dict[str, str]) -> None:
    """Attach a service error to the form field it names (also rows like cost_plan-0-amount)."""
    parts = name.split("-")
    if len(parts) == 3 and parts[0] in form._fields:
        try:
            sub = form[parts[0]][int(parts[1])].form
            sub[parts[2]].errors = [*sub[parts[2]].errors, message]
            return
        except (IndexError, KeyError, ValueError):
            pass
    if name in form._fields and name not in ("cost_plan", "milestones"):
        field = form[name]
        field.errors = [*(field.errors or []), message]
    else:
        extra[name] = message


def _render_form(
    form: MeasureForm,
    measure: Measure | None,
    extra_errors: dict[str, str] | None = None,
    conflict: dict[str, Any] | None = None,
) -> str:
    department, departments = _new_department() if measure is None else (measure.department, [])
    return render_template(
        "measures/form.html",
        form=form,
        measure=measure,
        department=department,
        departments=departments,
        extra_errors=extra_errors or {},
        conflict=conflict,
        may_submit=measure is None or rules.department_may_edit_freely(measure),
        horizon=get_settings().horizon,
    )


def _new_department() -> tuple[Department, list[Department]]:
    """Department of a new measure: the user's, or the one the office picked (?fachbereich=)."""
    departments = svc.creatable_departments(current_user)
    try:
        wanted = int(request.args.get("fachbereich") or 0)
    except ValueError:
        wanted = 0
    chosen = next((d for d in departments if d.id == wanted), None)
    if chosen is None:
        chosen = next(
            (d for d in departments if d.id == current_user.department_id), departments[0]
        )
    return chosen, departments


def _handle_form(measure: Measure | None) -> str | Response | tuple[str, int]:
    department = _new_department()[0] if measure is None else measure.department
    if measure is None and request.method == "POST":
        # The same new-measure form posted again (Back + save, double click): it edits the
        # measure its first post created, with the version that post left.
        earlier = svc.measure_created_by_form(request.form.get("creation_token"))
        if earlier is not None and rules.can_edit_measure(current_user, earlier):
            return _save_form(earlier, earlier.department, first_version=1)
    return _save_form(measure, department)


def _save_form(
    measure: Measure | None, department: Department, first_version: int | None = None
) -> str | Response | tuple[str, int]:
    choices = svc.form_choices(department, measure)
    locked = rules.locked_fields(measure, current_user)
    if request.method == "POST":
        form = MeasureForm(choices=choices, locked=locked)
    elif measure is not None:
        form = MeasureForm(data=_form_data(measure), choices=choices, locked=locked)
        if "cost_plan" in form._fields:
            form.add_cost_rows(max(EMPTY_COST_ROWS - 1, 1))
        if "milestones" in form._fields:
            form.milestones.append_entry()
    else:
        form = MeasureForm(choices=choices, locked=locked)
        form.creation_token.data = secrets.token_urlsafe(24)
        default_line = svc.default_budget_line_id(department)
        if default_line is not None:
            for row in form.cost_plan:
                row.form.budget_line_id.data = default_line
    if request.method == "POST" and request.form.get("more_rows"):
        # Without JavaScript the "Weitere ..." buttons ask the server for empty rows.
        if request.form["more_rows"] == "milestones" and "milestones" in form._fields:
            for _ in range(EMPTY_MILESTONE_ROWS):
                form.milestones.append_entry()
        else:
            form.add_cost_rows(EMPTY_COST_ROWS)
        return _render_form(form, measure)
    if request.method != "POST" or not form.validate():
        return _render_form(form, measure)

    submitting = bool(form.submit_measure.data) and (
        measure is None or rules.department_may_edit_freely(measure)
    )
    # A re-post of the new-measure form has no version: it was made against version 1.
    expected_version = form.version_id.data or first_version

    def save() -> Measure:
        saved = svc.save_measure(
            measure,
            form.measure_data(),
            current_user,
            choices,
            expected_version,
            department=department if measure is None else None,
            creation_token=form.creation_token.data if measure is None else None,
        )
        if submitting:
            submit(saved, current_user)
        return saved

    outcome = commit(save, announce=False, stale_message=svc.STALE_MESSAGE)
    if outcome.ok:
        if submitting:
            flash("Die Maßnahme wurde eingereicht. Die Koordinationsstelle prüft sie.", "success")
        else:
            flash("Die Maßnahme wurde gespeichert.", "success")
        return redirect(_detail_url(outcome.value))  # type: ignore[arg-type]
    error = outcome.error
    assert error is not None
    if outcome.conflict:
        if measure is None:
            # Lost the race against a simultaneous post of the same form: that one was saved.
            earlier = svc.measure_created_by_form(form.creation_token.data)
            if earlier is not None:
                flash("Diese Maßnahme wurde bereits gespeichert.", "info")
                return redirect(_detail_url(earlier))
            flash(error.message, "danger")
            return _render_form(form, measure)
        return _conflict(form, measure, error.message)
    extra: dict[str, str] = {}
    if isinstance(error, IncompleteMeasure):
        for name, message in error.missing.items():
            _place_error(form, name, message, extra)
        flash(error.message, "danger")
    elif error.field:
        _place_error(form, error.field, error.message, extra)
    else:
        flash(error.message, "danger")
    return _render_form(form, measure, extra)


def _conflict(form: MeasureForm, measure: Measure, message: str) -> tuple[str, int]:
    """Re-show the user's input next to what the other person saved (HTTP 409)."""
    fresh = svc.load_measure(measure.id)
    if fresh is None:
        abort(404)
    form.version_id.data = str(fresh.version_id)
    flash(message, "danger")
    return _render_form(form, fresh, conflict=svc.current_values(fresh)), 409


@bp.route("/neu", methods=["GET", "POST"])
@permission_required(rules.may_write_measures)
def new() -> str | Response | tuple[str, int]:
    """Submission form for a new measure of the user's department."""
    return _handle_form(None)


@bp.route("/<int:measure_id>/bearbeiten", methods=["GET", "POST"])
@permission_required(rules.may_write_measures)
def edit(measure_id: int) -> str | Response | tuple[str, int]:
    """Edit form; fields that may not change in the current state are shown read-only."""
    measure = _measure_or_abort(measure_id, edit=True)
    if not rules.editable_fields(measure, current_user):
        flash(
            f"Im Status „{measure.status.label}“ können Sie die Maßnahme nicht bearbeiten.",
            "warning",
        )
        return redirect(_detail_url(measure))
    return _handle_form(measure)


# --------------------------------------------------------------------------- detail


@bp.route("/<int:measure_id>")
@permission_required(rules.may_open_measures)
def detail(measure_id: int) -> str:
    """Detail page with tabs: overview, cost plan, reports and key figures, history."""
    measure = _measure_or_abort(measure_id)
    tab = request.args.get("tab", "uebersicht")
    return _render_detail(measure, tab if tab in TABS else "uebersicht")[0]


def _render_detail(
    measure: Measure, tab: str = "uebersicht", status: int = 200, **forms: Any
) -> tuple[str, int]:
    """The detail page; ``forms`` replace the empty action forms (input kept after an error)."""
    unsaved = forms.pop("unsaved", "")
    settings = get_settings()
    may_edit = can_edit_measure(current_user, measure)
    context: dict[str, Any] = {
        "measure": measure,
        "tab": tab,
        "tabs": TABS,
        "transitions": allowed_transitions(measure, current_user),
        "transition_form": forms.get("transition_form") or TransitionForm(),
        "question": svc.open_question(measure),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "action_form": SimpleActionForm(),
        "may_edit": may_edit and bool(rules.editable_fields(measure, current_user)),
        "may_write": may_edit,
        "may_answer": rules.may_answer_question(current_user, measure),
        "may_report": rules.may_report(current_user, measure),
        "may_request_change": rules.may_request_change(current_user, measure),
        "next_due": reports.next_report_due(measure, settings),
        "overdue": reports.is_overdue(measure, settings),
        "horizon": settings.horizon,
        "today_iso": date.today().isoformat(),
        "open_requests": svc.open_change_request_count(measure.id),
        "unsaved": unsaved,
        "costs": cost_summary(measure, settings.horizon),
        "publication": transparency_rules.publication_state(measure, settings),
        "publication_form": (
            forms.get("publication_form") or PublicationForm.for_measure(measure)
            if transparency_rules.may_publish(current_user)
            else None
        ),
    }
    if tab == "kosten":
        context["measure_execution"] = execution_views.measure_include(measure)
        context["change_requests"] = svc.change_requests_of(measure.id)
        context["line_labels"] = svc.budget_line_labels(context["change_requests"])
        context["decision_form"] = DecisionForm()
    if tab == "berichte":
        context["key_figure_form"] = forms.get("key_figure_form") or KeyFigureForm()
        context["value_form"] = KeyFigureValueForm()
    if tab == "verlauf":
        context["history"] = svc.history(measure.id)
    return render_template("measures/detail.html", **context), status


def _reshow(
    measure_id: int,
    outcome: Outcome[Any],
    tab: str = "uebersicht",
    unsaved: str = "",
    **forms: Any,
) -> Any:
    """After a refused action: the current state of the measure with the user's input kept
    (in its form if that is still offered, and as ``unsaved`` text in any case)."""
    fresh = _measure_or_abort(measure_id)
    status = 409 if outcome.conflict else 400
    return _render_detail(fresh, tab, status, unsaved=unsaved.strip(), **forms)


# --------------------------------------------------------------------------- actions


@bp.route("/<int:measure_id>/status", methods=["POST"], endpoint="transition")
@permission_required(rules.may_write_measures)
def transition_view(measure_id: int) -> Response | tuple[str, int]:
    """Make a lifecycle transition from the detail page's buttons."""
    measure = _measure_or_abort(measure_id)
    form = TransitionForm()
    if not form.validate():
        flash(form_errors_text(form), "danger")
        return redirect(_detail_url(measure))
    try:
        target = MeasureStatus(form.target.data or "")
    except ValueError:
        flash("Diesen Status gibt es nicht.", "danger")
        return redirect(_detail_url(measure))

    def change() -> StatusChange:
        return transition(
            measure, target, current_user, form.reason.data or "", form.version_id.data
        )

    outcome = commit(change)
    if not outcome.ok:
        return _reshow(measure_id, outcome, unsaved=form.reason.data or "", transition_form=form)
    flash(f"Status geändert: {target.label}.", "success")
    return redirect(_detail_url(measure))


@bp.route("/<int:measure_id>/antwort", methods=["POST"])
@permission_required(rules.may_write_measures)
def comment(measure_id: int) -> str | Response | tuple[str, int]:
    """The department answers the office's question (or anyone with write access notes)."""
    measure = _measure_or_abort(measure_id, edit=True)
    form = CommentForm()
    if not form.validate():
        flash(form_errors_text(form), "danger")
        return redirect(_detail_url(measure))

    def answer() -> object:
        svc.check_version(measure, form.version_id.data)
        return svc.add_comment(measure, form.body.data or "", current_user)

    outcome = commit(answer)
    if not outcome.ok:
        return _reshow(measure_id, outcome, unsaved=form.body.data or "", comment_form=form)
    flash("Ihre Antwort wurde gespeichert.", "success")
    return redirect(_detail_url(measure))


@bp.route("/<int:measure_id>/statusbericht", methods=["GET", "POST"])
@permission_required(rules.may_write_measures)
def report_new(measure_id: int) -> Response | tuple[str, int]:
    """Status report by the owner / department; a report racing another change is refused
    with the typed text kept."""
    measure = _measure_or_abort(measure_id, edit=True)
    if measure.status not in rules.REPORTING_STATUSES:
        flash(
            "Statusberichte gibt es für freigegebene Maßnahmen und Maßnahmen in Umsetzung.",
            "warning",
        )
        return redirect(_detail_url(measure))
    form = StatusReportForm()
    if request.method == "GET":
        form.version_id.data = str(measure.version_id)
    if form.validate_on_submit():

        def report() -> object:
            svc.check_version(measure, form.version_id.data)
            return reports.add_status_report(measure, form.data, current_user)

        outcome = commit(report, form=form)
        if outcome.ok:
            flash("Der Statusbericht wurde gespeichert.", "success")
            return redirect(_detail_url(measure, "berichte"))
        if outcome.conflict:
            fresh = svc.load_measure(measure.id)
            measure = fresh if fresh is not None else measure
            form.version_id.data = str(measure.version_id)
        return render_template("measures/report_form.html", form=form, measure=measure), (
            409 if outcome.conflict else 400
        )
    return render_template("measures/report_form.html", form=form, measure=measure), 200


@bp.route("/<int:measure_id>/meilensteine/<int:milestone_id>", methods=["POST"])
@permission_required(rules.may_write_measures)
def milestone_toggle(measure_id: int, milestone_id: int) -> Response:
    """Tick off a milestone (or undo the tick)."""
    measure = _measure_or_abort(measure_id, edit=True)
    form = SimpleActionForm()
    if not form.validate():
        abort(400)
    if all(m.id != milestone_id for m in measure.milestones):
        abort(404)

    def toggle() -> Milestone:
        svc.check_version(measure, form.version_id.data)
        return svc.toggle_milestone(measure, milestone_id, date.today())

    outcome = commit(toggle)
    if outcome.ok and outcome.value is not None:
        done = "als erreicht markiert." if outcome.value.done_on else "wieder geöffnet."
        flash(f"Meilenstein „{outcome.value.title}“ {done}", "success")
    return redirect(_detail_url(measure))


@bp.route("/<int:measure_id>/kennzahlen", methods=["POST"])
@permission_required(rules.may_write_measures)
def key_figure_new(measure_id: int) -> str | Response | tuple[str, int]:
    """Add a key figure to the measure."""
    measure = _measure_or_abort(measure_id, edit=True)
    form = KeyFigureForm()
    if not form.validate():
        flash("Kennzahl nicht angelegt: " + form_errors_text(form), "danger")
        return redirect(_detail_url(measure, "berichte"))

    def add() -> object:
        svc.check_version(measure, form.version_id.data)
        return svc.add_key_figure(
            measure,
            {
                "name": form.name.data or "",
                "unit": form.unit.data,
                "baseline": form.baseline.decimal,
                "target": form.target.decimal,
            },
        )

    outcome = commit(add)
    if not outcome.ok:
        return _reshow(measure_id, outcome, "berichte", key_figure_form=form)
    flash("Die Kennzahl wurde angelegt.", "success")
    return redirect(_detail_url(measure, "berichte"))


@bp.route("/<int:measure_id>/kennzahlen/<int:key_figure_id>/werte", methods=["POST"])
@permission_required(rules.may_write_measures)
def key_figure_value(measure_id: int, key_figure_id: int) -> Response:
    """Record a measured value of a key figure."""
    measure = _measure_or_abort(measure_id, edit=True)
    form = KeyFigureValueForm()
    if not form.validate() or form.value.decimal is None:
        flash("Wert nicht gespeichert: " + form_errors_text(form), "danger")
        return redirect(_detail_url(measure, "berichte"))
    if all(k.id != key_figure_id for k in measure.key_figures):
        abort(404)
    value = form.value.decimal

    def record() -> object:
        svc.check_version(measure, form.version_id.data)
        return svc.add_key_figure_value(
            measure, key_figure_id, form.measured_on.data or date.today(), value
        )

    if commit(record).ok:
        flash("Der Messwert wurde gespeichert.", "success")
    return redirect(_detail_url(measure, "berichte"))


@bp.route("/<int:measure_id>/aenderungsantrag", methods=["GET", "POST"])
@permission_required(rules.may_write_measures)
def change_request_new(measure_id: int) -> str | Response:
    """After approval: the department requests a changed cost plan."""
    measure = _measure_or_abort(measure_id, edit=True)
    if measure.status not in rules.CHANGE_REQUEST_STATUSES:
        flash(
            "Änderungsanträge gibt es nur für freigegebene Maßnahmen oder solche in Umsetzung.",
            "warning",
        )
        return redirect(_detail_url(measure))
    choices = svc.form_choices(measure.department, measure)
    if request.method == "POST":
        form = ChangeRequestForm(choices=choices)
    else:
        data = _form_data(measure)
        form = ChangeRequestForm(
            data={"cost_plan": data["cost_plan"], "version_id": measure.version_id},
            choices=choices,
        )
    extra: dict[str, str] = {}
    if form.validate_on_submit():

        def request_change() -> object:
            svc.check_version(measure, form.version_id.data)
            return svc.create_change_request(
                measure, form.cost_rows(), form.reason.data or "", current_user, choices
            )

        outcome = commit(request_change, announce=False)
        if outcome.ok:
            flash(
                "Ihr Änderungsantrag wurde gestellt. Die Koordinationsstelle entscheidet darüber.",
                "success",
            )
            return redirect(_detail_url(measure, "kosten"))
        assert outcome.error is not None
        extra[outcome.error.field or "form"] = outcome.error.message
        if outcome.conflict:
            form.version_id.data = str(measure.version_id)
    return render_template(
        "measures/change_request.html", form=form, measure=measure, extra_errors=extra
    )


@bp.route("/<int:measure_id>/aenderungsantrag/<int:request_id>", methods=["POST"])
@permission_required(rules.may_decide_change_requests)
def change_request_decide(measure_id: int, request_id: int) -> Response:
    """The coordinating office accepts (applies) or declines a change request."""
    measure = _measure_or_abort(measure_id, edit=True)
    change = db.session.get(ChangeRequest, request_id)
    if change is None or change.measure_id != measure.id:
        abort(404)
    form = DecisionForm()
    if not form.validate():
        flash("Die Entscheidung konnte nicht gespeichert werden.", "danger")
        return redirect(_detail_url(measure, "kosten"))

    def decide() -> object:
        svc.check_version(measure, form.version_id.data)
        return svc.decide_change_request(
            change, bool(form.accept.data), current_user, form.note.data or ""
        )

    if commit(decide).ok:
        flash(
            "Änderungsantrag angenommen; der Kostenplan wurde übernommen."
            if change.status == ChangeRequestStatus.ACCEPTED
            else "Änderungsantrag abgelehnt.",
            "success",
        )
    return redirect(_detail_url(measure, "kosten"))
