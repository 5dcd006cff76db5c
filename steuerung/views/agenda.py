"""Digitale Agenda: coverage of the goals, versions, revision and adoption."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from steuerung.extensions import db
from steuerung.forms.agenda import ActionFieldForm, AdoptForm, GoalForm, ReviseForm
from steuerung.forms.base import required
from steuerung.models import AgendaStatus, Goal
from steuerung.models.agenda import AGENDA_STATUS_LABELS
from steuerung.navigation import add_nav_item
from steuerung.services.agenda import rules
from steuerung.services.agenda import versions as agenda_service
from steuerung.views.access import permission_required
from steuerung.views.transaction import commit, form_errors_text

bp = Blueprint("agenda", __name__, url_prefix="/agenda")

add_nav_item("agenda.index", "Agenda", rules.may_read_agenda, order=30)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    def measure_url(measure_id: int) -> str | None:
        if "measures.detail" in current_app.view_functions:
            return url_for("measures.detail", measure_id=measure_id)
        return None

    return {
        "measure_url": measure_url,
        "AgendaStatus": AgendaStatus,
        "status_labels": AGENDA_STATUS_LABELS,
    }


def _load(agenda_id: int) -> Any:
    agenda = agenda_service.load_agenda(agenda_id)
    if agenda is None:
        abort(404)
    return agenda


def _flash_errors(form: Any) -> None:
    flash("Nicht gespeichert: " + form_errors_text(form), "danger")


@bp.route("/")
@permission_required(rules.may_read_agenda)
def index() -> str | Response:
    """Coverage of the adopted agenda's goals by measures; goals without measures flagged."""
    agenda = agenda_service.adopted_agenda()
    if agenda is None:
        return render_template(
            "agenda/index.html",
            agenda=None,
            versions=agenda_service.all_versions(),
            revise_form=ReviseForm(),
        )
    return _render_version(agenda_service.load_agenda(agenda.id))


def _render_version(agenda: Any) -> str:
    coverage = agenda_service.goal_coverage(agenda, current_user)
    goals = [g for _f, goals in coverage for g in goals]
    goal_form = GoalForm()
    goal_form.action_field_id.choices = [
        (str(f.id), f"{f.code} – {f.name}") for f in agenda.action_fields
    ]
    return render_template(
        "agenda/index.html",
        agenda=agenda,
        coverage=coverage,
        uncovered=[g for g in goals if not g.covered],
        goal_count=len(goals),
        versions=agenda_service.all_versions(),
        revise_form=ReviseForm(data={"title": agenda.title}),
        adopt_form=AdoptForm(),
        field_form=ActionFieldForm(),
        goal_form=goal_form,
    )


@bp.route("/versionen/<int:agenda_id>")
@permission_required(rules.may_read_agenda)
def version(agenda_id: int) -> str:
    """One version (also superseded ones) with the coverage of its goals."""
    return _render_version(_load(agenda_id))


@bp.route("/neu", methods=["POST"])
@permission_required(rules.may_edit_agenda)
def create() -> ResponseReturnValue:
    """Create the first (empty) draft when no agenda exists yet."""
    form = ReviseForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for("agenda.index"))
    outcome = commit(lambda: agenda_service.new_agenda(form.title.data or ""))
    if not outcome.ok or outcome.value is None:
        return redirect(url_for("agenda.index"))
    agenda = outcome.value
    flash("Entwurf angelegt. Bitte Handlungsfelder und Ziele ergänzen.", "success")
    return redirect(url_for("agenda.version", agenda_id=agenda.id))


@bp.route("/versionen/<int:agenda_id>/fortschreiben", methods=["POST"])
@permission_required(rules.may_edit_agenda)
def revise(agenda_id: int) -> ResponseReturnValue:
    """Copy the version into a new draft (the old version stays as it is)."""
    agenda = _load(agenda_id)
    form = ReviseForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for("agenda.version", agenda_id=agenda.id))
    outcome = commit(lambda: agenda_service.revise(agenda, form.title.data))
    if not outcome.ok or outcome.value is None:
        return redirect(url_for("agenda.version", agenda_id=agenda.id))
    draft = outcome.value
    flash(
        f"Fortschreibung angelegt: Version {draft.version_no} (Entwurf). "
        f"Version {agenda.version_no} bleibt unverändert.",
        "success",
    )
    return redirect(url_for("agenda.version", agenda_id=draft.id))


@bp.route("/versionen/<int:agenda_id>/beschliessen", methods=["POST"])
@permission_required(rules.may_edit_agenda)
def adopt(agenda_id: int) -> ResponseReturnValue:
    """Adopt a draft; the previously adopted version is superseded."""
    agenda = _load(agenda_id)
    form = AdoptForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for("agenda.version", agenda_id=agenda.id))
    if not commit(lambda: agenda_service.adopt(agenda, required(form.adopted_on.data))).ok:
        return redirect(url_for("agenda.version", agenda_id=agenda.id))
    flash(f"Version {agenda.version_no} ist beschlossen.", "success")
    return redirect(url_for("agenda.index"))


@bp.route("/versionen/<int:agenda_id>/handlungsfelder", methods=["POST"])
@permission_required(rules.may_edit_agenda)
def add_field(agenda_id: int) -> ResponseReturnValue:
    """Add a field of action to a draft."""
    agenda = _load(agenda_id)
    form = ActionFieldForm()
    if form.validate_on_submit():
        outcome = commit(
            lambda: agenda_service.add_action_field(
                agenda, form.code.data or "", form.name.data or "", form.description.data or ""
            )
        )
        if outcome.ok:
            flash("Handlungsfeld hinzugefügt.", "success")
    else:
        _flash_errors(form)
    return redirect(url_for("agenda.version", agenda_id=agenda.id))


@bp.route("/versionen/<int:agenda_id>/ziele", methods=["POST"])
@permission_required(rules.may_edit_agenda)
def add_goal(agenda_id: int) -> ResponseReturnValue:
    """Add a goal to a field of action of a draft."""
    agenda = _load(agenda_id)
    form = GoalForm()
    form.action_field_id.choices = [(str(f.id), f.name) for f in agenda.action_fields]
    if form.validate_on_submit():
        field = next(f for f in agenda.action_fields if str(f.id) == form.action_field_id.data)
        outcome = commit(
            lambda: agenda_service.add_goal(
                field, form.code.data or "", form.title.data or "", form.description.data or ""
            )
        )
        if outcome.ok:
            flash("Ziel hinzugefügt.", "success")
    else:
        _flash_errors(form)
    return redirect(url_for("agenda.version", agenda_id=agenda.id))


@bp.route("/ziele/<int:goal_id>/loeschen", methods=["POST"])
@permission_required(rules.may_edit_agenda)
def delete_goal(goal_id: int) -> ResponseReturnValue:
    """Remove a goal from a draft (refused while measures are linked to it)."""
    goal = db.session.get(Goal, goal_id)
    if goal is None:
        abort(404)
    agenda_id = goal.action_field.agenda_id
    # The CSRF token is checked for every POST by the app-wide CSRFProtect.
    if commit(lambda: agenda_service.remove_goal(goal)).ok:
        flash("Ziel entfernt.", "success")
    return redirect(url_for("agenda.version", agenda_id=agenda_id))
