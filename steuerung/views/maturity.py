"""Potenzialcheck: maturity self-assessment (coordinating office; leadership reads)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from steuerung.extensions import db
from steuerung.forms.base import required
from steuerung.forms.maturity import (
    build_assessment_form,
    comment_field_name,
    rating_field_name,
)
from steuerung.models import RATING_LABELS, MaturityAssessment, MaturityStatement
from steuerung.navigation import add_nav_item
from steuerung.services.common.charts import maturity_by_topic
from steuerung.services.maturity import assessments as service
from steuerung.services.maturity import rules
from steuerung.views.access import permission_required
from steuerung.views.transaction import commit

bp = Blueprint("maturity", __name__, url_prefix="/potenzialcheck")

add_nav_item("maturity.index", "Potenzialcheck", rules.may_read_maturity, order=60)

#: Number of assessments compared in the trend table and chart.
TREND_SIZE = 5


@bp.route("/")
@permission_required(rules.may_read_maturity)
def index() -> str:
    """Assessments over time with the average per topic field."""
    assessments = service.list_assessments()
    shown = list(reversed(assessments[:TREND_SIZE]))
    topics = service.catalogue()
    trend = service.trend(shown, topics)
    figure = (
        maturity_by_topic(
            [t.name for t in topics],
            [
                (f"{a.assessed_on:%d.%m.%Y}", [row.values[i] for row in trend])
                for i, a in enumerate(shown)
            ],
        )
        if shown
        else None
    )
    return render_template(
        "maturity/index.html",
        assessments=assessments,
        overall=service.overall_averages([a.id for a in assessments]),
        shown=shown,
        trend=trend,
        figure=figure,
    )


@bp.route("/neu", methods=["GET", "POST"])
@permission_required(rules.may_assess)
def new() -> ResponseReturnValue:
    """Rate every statement of the catalogue."""
    topics = service.catalogue() or service.ensure_catalogue()
    statements = [s for t in topics for s in t.statements]
    form = build_assessment_form(statements)
    if form.validate_on_submit():
        ratings = {
            s.id: (
                int(form[rating_field_name(s)].data),
                form[comment_field_name(s)].data or "",
            )
            for s in statements
        }
        outcome = commit(
            lambda: service.create_assessment(
                required(form.title.data),
                required(form.assessed_on.data),
                form.note.data or "",
                ratings,
                current_user,
            )
        )
        if outcome.ok and outcome.value is not None:
            flash("Die Einschätzung wurde gespeichert.", "success")
            return redirect(url_for("maturity.detail", assessment_id=outcome.value.id))
    elif request.method == "POST":
        flash("Bitte prüfen Sie die markierten Angaben.", "danger")
    return render_template(
        "maturity/new.html",
        form=form,
        topics=topics,
        rating_field_name=rating_field_name,
        comment_field_name=comment_field_name,
    ), (400 if form.errors else 200)


@bp.route("/<int:assessment_id>")
@permission_required(rules.may_read_maturity)
def detail(assessment_id: int) -> str:
    """One assessment: averages per topic, every statement, first steps for weak ones."""
    assessment = db.session.get(MaturityAssessment, assessment_id) or abort(404)
    topics = service.catalogue()
    averages = service.topic_averages([assessment.id])
    figure = maturity_by_topic(
        [t.name for t in topics],
        [(assessment.title, [averages.get((assessment.id, t.id)) for t in topics])],
    )
    return render_template(
        "maturity/detail.html",
        assessment=assessment,
        topics=topics,
        averages=averages,
        ratings=service.ratings_of(assessment),
        labels=RATING_LABELS,
        weak=service.WEAK_THRESHOLD,
        figure=figure,
        can_propose=rules.may_assess(current_user),
        measures_enabled="measures.detail" in current_app.view_functions,
    )


@bp.route("/<int:assessment_id>/massnahme", methods=["POST"])
@permission_required(rules.may_assess)
def propose(assessment_id: int) -> Response:
    """Create a draft measure from a first step of a weakly rated statement."""
    assessment = db.session.get(MaturityAssessment, assessment_id) or abort(404)
    statement = db.session.get(
        MaturityStatement, request.form.get("statement_id", type=int) or 0
    ) or abort(404)
    step = request.form.get("step", type=int)
    outcome = commit(
        lambda: service.propose_measure(
            assessment, statement, -1 if step is None else step, current_user
        )
    )
    if not outcome.ok or outcome.value is None:
        return redirect(url_for("maturity.detail", assessment_id=assessment.id))
    measure = outcome.value
    flash(f"Entwurf {measure.reference} „{measure.title}“ wurde im Register angelegt.", "success")
    if "measures.detail" in current_app.view_functions:
        return redirect(url_for("measures.detail", measure_id=measure.id))
    return redirect(url_for("maturity.detail", assessment_id=assessment.id))
