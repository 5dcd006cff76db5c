"""Grants (Fördermittel) of a measure: application, decision, calls for funds, proof of use;
and the overview of every grant with its deadline.

Every route checks the area (decorator) and then the measure: its readers see its grants,
its editors and the treasury change them (``services.grants.rules``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from steuerung.extensions import db
from steuerung.forms.grants import CallForm, GrantForm, ReceivedForm, RemoveCallForm
from steuerung.models import Grant, GrantCall, GrantStatus, Measure
from steuerung.navigation import add_nav_item
from steuerung.services.common.clock import today
from steuerung.services.grants import lifecycle as svc
from steuerung.services.grants import rules
from steuerung.services.measures.rules import visible_measures_filter
from steuerung.views.access import permission_required
from steuerung.views.transaction import commit

bp = Blueprint("grants", __name__)

add_nav_item("grants.overview", "Fördermittel", rules.may_see_grants_menu, 42)

GRANT_FIELDS = (
    "programme",
    "funding_body",
    "applied_on",
    "applied_amount",
    "decision_date",
    "file_number",
    "approval_from",
    "approval_to",
    "eligible_cost",
    "grant_amount",
    "proof_due_on",
    "proof_submitted_on",
    "note",
)


def _measure_or_abort(measure_id: int, edit: bool = False) -> Measure:
    measure = db.session.get(Measure, measure_id) or abort(404)
    if not rules.may_view_grants(current_user, measure):
        abort(403)
    if edit and not rules.may_edit_grants(current_user, measure):
        abort(403)
    return measure


def _grant_or_abort(measure: Measure, grant_id: int) -> Grant:
    grant = db.session.get(Grant, grant_id)
    if grant is None or grant.measure_id != measure.id:
        abort(404)
    return grant


def _call_or_abort(measure: Measure, call_id: int) -> GrantCall:
    call = db.session.get(GrantCall, call_id)
    if call is None or call.grant.measure_id != measure.id:
        abort(404)
    return call


def call_prefix(grant_id: int) -> str:
    """Field prefix of a grant's call form (several on one page, each with its own ids)."""
    return f"abruf{grant_id}"


def _page_url(measure: Measure, grant_id: int | None = None) -> str:
    anchor = f"#foerderung-{grant_id}" if grant_id else ""
    return url_for("grants.index", measure_id=measure.id) + anchor


def _data(form: GrantForm) -> svc.GrantData:
    return svc.GrantData(
        status=GrantStatus(form.status.data),
        **{
            name: form[name].data if form[name].data is not None else _empty(name)
            for name in GRANT_FIELDS
        },
    )


def _empty(name: str) -> Any:
    """What an empty field means for the service: "" for texts, None for dates and amounts."""
    return "" if name in ("programme", "funding_body", "file_number", "note") else None


def _page(measure: Measure, status: int = 200, **forms: Any) -> tuple[str, int]:
    grants = svc.grants_of(measure.id)
    now = today()
    may_edit = rules.may_edit_grants(current_user, measure)
    return (
        render_template(
            "grants/index.html",
            measure=measure,
            grants=grants,
            states={g.id: rules.deadline_state(g, now) for g in grants},
            may_edit=may_edit,
            call_forms={
                g.id: forms.get(f"call_form_{g.id}")
                or CallForm(
                    formdata=None, prefix=call_prefix(g.id), data={"version_id": g.version_id}
                )
                for g in grants
            },
            received_form=ReceivedForm(formdata=None),
            remove_form=RemoveCallForm(formdata=None),
            planned_grant=svc.planned_grant(measure.id),
            due_days=rules.DUE_WITHIN_DAYS,
            today=now,
        ),
        status,
    )


@bp.route("/massnahmen/<int:measure_id>/foerderung")
@permission_required(rules.may_open_grants)
def index(measure_id: int) -> tuple[str, int]:
    """A measure's grants with their calls for funds and deadlines."""
    return _page(_measure_or_abort(measure_id))


@bp.route("/massnahmen/<int:measure_id>/foerderung/neu", methods=["GET", "POST"])
@bp.route("/massnahmen/<int:measure_id>/foerderung/<int:grant_id>", methods=["GET", "POST"])
@permission_required(rules.may_open_grants)
def edit(measure_id: int, grant_id: int | None = None) -> str | Response | tuple[str, int]:
    """Record a grant or change it (application, decision, proof of use)."""
    measure = _measure_or_abort(measure_id, edit=True)
    grant = _grant_or_abort(measure, grant_id) if grant_id is not None else None
    if grant is not None:
        data = {name: getattr(grant, name) for name in GRANT_FIELDS}
        data.update(status=grant.status.value, version_id=str(grant.version_id))
        form = GrantForm(data=data)
    else:
        suggestions = svc.programme_suggestions(measure.id)
        form = GrantForm(data={"programme": suggestions[0] if len(suggestions) == 1 else ""})
    status = 200
    if form.validate_on_submit():
        outcome = commit(
            lambda: svc.save_grant(
                measure,
                _data(form),
                by=current_user,
                grant=grant,
                expected_version=form.version_id.data,
            ),
            form=form,
        )
        if outcome.ok and outcome.value is not None:
            flash(f"Die Förderung „{outcome.value.programme}“ wurde gespeichert.", "success")
            return redirect(_page_url(measure, outcome.value.id))
        if grant is not None:
            fresh = db.session.get(Grant, grant.id)
            form.version_id.data = str(fresh.version_id) if fresh is not None else ""
        status = 409 if outcome.conflict else 400
    elif request.method == "POST":
        status = 400
    return (
        render_template(
            "grants/form.html",
            measure=measure,
            grant=grant,
            form=form,
            suggestions=svc.programme_suggestions(measure.id),
        ),
        status,
    )


@bp.route("/massnahmen/<int:measure_id>/foerderung/<int:grant_id>/abruf", methods=["POST"])
@permission_required(rules.may_open_grants)
def call_add(measure_id: int, grant_id: int) -> Response | tuple[str, int]:
    """Record a call for funds."""
    measure = _measure_or_abort(measure_id, edit=True)
    grant = _grant_or_abort(measure, grant_id)
    form = CallForm(prefix=call_prefix(grant.id))
    if form.validate_on_submit():
        outcome = commit(
            lambda: svc.add_call(
                grant,
                form.called_on.data,
                form.amount.data,
                by=current_user,
                expected_version=form.version_id.data,
                received_on=form.received_on.data,
                note=form.note.data or "",
            ),
            form=form,
        )
        if outcome.ok:
            flash("Der Mittelabruf wurde erfasst.", "success")
            return redirect(_page_url(measure, grant.id))
        status = 409 if outcome.conflict else 400
    else:
        status = 400
    db.session.expire_all()
    return _page(_measure_or_abort(measure_id), status, **{f"call_form_{grant_id}": form})


@bp.route("/massnahmen/<int:measure_id>/foerderung/abruf/<int:call_id>/eingang", methods=["POST"])
@permission_required(rules.may_open_grants)
def call_received(measure_id: int, call_id: int) -> Response:
    """Record that the money of a call arrived."""
    measure = _measure_or_abort(measure_id, edit=True)
    call = _call_or_abort(measure, call_id)
    grant_id = call.grant_id
    form = ReceivedForm()
    if not form.validate_on_submit():
        flash("Bitte ein gültiges Datum des Zahlungseingangs angeben.", "danger")
        return redirect(_page_url(measure, grant_id))
    outcome = commit(
        lambda: svc.mark_received(
            call, form.received_on.data, by=current_user, expected_version=form.version_id.data
        )
    )
    if outcome.ok:
        flash("Der Zahlungseingang wurde gespeichert.", "success")
    return redirect(_page_url(measure, grant_id))


@bp.route("/massnahmen/<int:measure_id>/foerderung/abruf/<int:call_id>/loeschen", methods=["POST"])
@permission_required(rules.may_open_grants)
def call_remove(measure_id: int, call_id: int) -> Response:
    """Remove a call recorded by mistake."""
    measure = _measure_or_abort(measure_id, edit=True)
    call = _call_or_abort(measure, call_id)
    grant_id = call.grant_id
    form = RemoveCallForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = commit(
        lambda: svc.remove_call(call, by=current_user, expected_version=form.version_id.data)
    )
    if outcome.ok:
        flash("Der Mittelabruf wurde gelöscht.", "success")
    return redirect(_page_url(measure, grant_id))


@bp.route("/foerderung/")
@permission_required(rules.may_read_grant_overview)
def overview() -> str:
    """Every grant of the measures the user reads, deadlines first."""
    now = today()
    return render_template(
        "grants/overview.html",
        rows=svc.overview([visible_measures_filter(current_user)], now),
        deadlines=svc.deadlines([visible_measures_filter(current_user)], now),
        due_days=rules.DUE_WITHIN_DAYS,
    )
