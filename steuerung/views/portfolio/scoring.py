"""Scoring: criteria, a measure's scores and its manual rank."""

from __future__ import annotations

from typing import Any

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from steuerung.extensions import db
from steuerung.forms.portfolio import (
    RankOverrideForm,
    criteria_form_class,
    score_form_class,
)
from steuerung.models import (
    CriterionKind,
)
from steuerung.services.measures.editing import check_version
from steuerung.services.portfolio import ranking as portfolio_service
from steuerung.services.portfolio import rules
from steuerung.services.portfolio.scoring import (
    GATE_FIELDS,
    active_and_inactive_criteria,
    ensure_default_criteria,
    gates_met,
    score_history,
    score_measure,
    scores_of,
    set_rank_override,
    update_criteria,
)
from steuerung.views.access import permission_required
from steuerung.views.portfolio._common import bp, measure_or_abort
from steuerung.views.transaction import commit

# --------------------------------------------------------------------------- scoring


@bp.route("/measures/<int:measure_id>/score", methods=["GET", "POST"])
@permission_required(rules.may_score)
def score(measure_id: int) -> ResponseReturnValue:
    """Scoring form of one measure, gates, manual rank and the scoring history."""
    measure = measure_or_abort(measure_id)
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
        form.version_id.data = str(measure.version_id)
        for c in weighted:
            if c.id in stored:
                form[f"c_{c.id}"].data = str(stored[c.id].value)
                form[f"k_{c.id}"].data = stored[c.id].comment
    override = RankOverrideForm(
        data={
            "rank": measure.rank_override,
            "reason": measure.rank_override_reason,
            "version_id": measure.version_id,
        }
    )
    status = 200
    if form.validate_on_submit():
        values = {c.id: int(form[f"c_{c.id}"].data) for c in weighted}
        comments = {c.id: form[f"k_{c.id}"].data or "" for c in weighted}

        def save_scores() -> None:
            check_version(measure, form.version_id.data)
            score_measure(measure, values, current_user, comments)

        outcome = commit(save_scores)
        if outcome.ok:
            rank = portfolio_service.rank_of(current_user, measure.id)
            score_text = f"{measure.score:.2f}".replace(".", ",")
            rank_text = f", Rang {rank}" if rank else ""
            flash(
                f"Bewertung gespeichert: Score {score_text}, "
                f"Klasse {measure.priority_class or '–'}{rank_text}.",
                "success",
            )
            return redirect(url_for("portfolio.score", measure_id=measure.id))
        status = 409 if outcome.conflict else 400
        form.version_id.data = str(measure.version_id)
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
        history=score_history(measure),
        criteria_by_id={c.id: c for c in criteria},
    ), status


@bp.route("/measures/<int:measure_id>/rank", methods=["POST"])
@permission_required(rules.may_score)
def rank_override(measure_id: int) -> ResponseReturnValue:
    """Set or remove the manual rank (reason required when set)."""
    measure = measure_or_abort(measure_id)
    form = RankOverrideForm()
    if form.validate_on_submit():

        def save_rank() -> None:
            check_version(measure, form.version_id.data)
            set_rank_override(measure, form.rank.data, form.reason.data or "", current_user)

        if commit(save_rank).ok:
            if measure.rank_override is None:
                flash("Die manuelle Rangfestlegung wurde aufgehoben.", "success")
            else:
                flash(f"Manueller Rang {measure.rank_override} gespeichert.", "success")
        return redirect(url_for("portfolio.score", measure_id=measure.id))
    messages = [str(e) for errors in form.errors.values() for e in errors]
    flash("Rang nicht gespeichert: " + " ".join(messages), "danger")
    return redirect(url_for("portfolio.score", measure_id=measure.id))


@bp.route("/criteria", methods=["GET", "POST"])
@permission_required(rules.may_score)
def criteria() -> ResponseReturnValue:
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
        outcome = commit(lambda: update_criteria(rows, by=current_user), announce=False)
        if outcome.ok:
            flash(
                "Die Kriterien wurden gespeichert; alle Bewertungen sind neu berechnet.", "success"
            )
            return redirect(url_for("portfolio.criteria"))
        assert outcome.error is not None
        error_message = outcome.error.message
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
