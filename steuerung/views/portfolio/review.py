"""Review inbox: submitted measures and the office's decisions."""

from __future__ import annotations

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from steuerung.forms.portfolio import (
    TransitionForm,
)
from steuerung.models import (
    Measure,
    MeasureStatus,
)
from steuerung.services.measures.workflow import allowed_transitions, transition
from steuerung.services.portfolio import rules
from steuerung.services.portfolio.review import INBOX_PAGE_SIZE, inbox_count, inbox_measures
from steuerung.views.access import permission_required
from steuerung.views.paging import page_from_args
from steuerung.views.portfolio._common import bp, measure_or_abort
from steuerung.views.transaction import commit

# --------------------------------------------------------------------------- review inbox


def _transition_form(measure: Measure) -> TransitionForm:
    form = TransitionForm(prefix=f"m{measure.id}")
    # No decision is preselected: one hurried click must not approve (empty first option,
    # refused by the form's DataRequired).
    form.target.choices = [("", "Bitte wählen")] + [
        (t.target.value, t.label + (" (Begründung nötig)" if t.reason_required else ""))
        for t in allowed_transitions(measure, current_user)
    ]
    if request.method == "GET":
        form.version_id.data = str(measure.version_id)
    return form


@bp.route("/inbox")
@permission_required(rules.may_review)
def inbox() -> str:
    """Submitted and under-review measures, oldest submission first, with decisions."""
    total = inbox_count(current_user)
    page, pages, message = page_from_args(total, INBOX_PAGE_SIZE)
    measures = inbox_measures(current_user, page)
    forms = {m.id: _transition_form(m) for m in measures}
    return render_template(
        "portfolio/inbox.html",
        measures=measures,
        forms=forms,
        total=total,
        page=page,
        pages=pages,
        message=message,
    )


@bp.route("/inbox/<int:measure_id>/transition", methods=["POST"])
@permission_required(rules.may_review)
def inbox_transition(measure_id: int) -> ResponseReturnValue:
    """Apply one workflow decision; refused transitions change nothing."""
    measure = measure_or_abort(measure_id)
    form = _transition_form(measure)
    if not form.validate_on_submit():
        messages = [e for errors in form.errors.values() for e in errors]
        flash(
            f"{measure.reference}: " + (" ".join(map(str, messages)) or "Ungültige Eingabe."),
            "danger",
        )
        return redirect(url_for("portfolio.inbox"))
    target = MeasureStatus(form.target.data)
    outcome = commit(
        lambda: transition(
            measure, target, current_user, form.reason.data or "", form.version_id.data
        ),
        announce=False,
    )
    if not outcome.ok:
        assert outcome.error is not None
        flash(f"{measure.reference}: {outcome.error.message}", "warning")
        return redirect(url_for("portfolio.inbox"))
    change = outcome.value
    assert change is not None
    flash(f"{measure.reference} „{measure.title}“: {change.to_status.label}.", "success")
    return redirect(url_for("portfolio.inbox"))
