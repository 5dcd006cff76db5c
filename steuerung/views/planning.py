"""Budget planning (Haushaltsplanung): the stages of a budget year from the departments'
Anmeldung to Beschluss and Nachtrag, each a frozen version, and the comparison of any two.

Departments work on their own lines of the Anmeldung and read their own lines of every
stage; the treasury runs the stages; the coordinating office, leadership and administration
read. Every route checks the area (decorator) and then the version and department.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from steuerung.extensions import db
from steuerung.forms.planning import (
    ActionForm,
    AddLineForm,
    AssignForm,
    FreezeForm,
    LineForm,
    OpenRoundForm,
    key_figures_form,
    with_years,
)
from steuerung.models import BudgetKind, Department, PlanLine, PlanVersion
from steuerung.navigation import add_nav_item
from steuerung.services.budget.coverage import coverage_by_year
from steuerung.services.budget.exports import year_caption
from steuerung.services.budget.rules import may_read_budget
from steuerung.services.common.settings import get_settings
from steuerung.services.planning import compare as compare_service
from steuerung.services.planning import registration, rules, stages
from steuerung.services.planning import versions as svc
from steuerung.views.access import permission_required
from steuerung.views.transaction import commit

bp = Blueprint("planning", __name__, url_prefix="/haushaltsplanung")

add_nav_item("planning.index", "Haushaltsanmeldung", rules.may_see_planning_menu, 45)


def _departments_shown() -> set[int] | None:
    """None: every department; else the user's own (departments read only their lines)."""
    if rules.reads_all_departments(current_user):
        return None
    return {current_user.department_id}


def _version_or_abort(version_id: int) -> PlanVersion:
    return db.session.get(PlanVersion, version_id) or abort(404)


def _line_or_abort(version: PlanVersion, line_id: int) -> PlanLine:
    line = db.session.get(PlanLine, line_id)
    if line is None or line.plan_version_id != version.id:
        abort(404)
    if not rules.may_read_department(current_user, line.department_id):
        abort(403)
    return line


def _department_or_abort(department_id: int) -> Department:
    department = db.session.get(Department, department_id) or abort(404)
    if not rules.may_read_department(current_user, department.id):
        abort(403)
    return department


def _active_departments() -> list[Department]:
    return list(
        db.session.scalars(
            select(Department).where(Department.is_active.is_(True)).order_by(Department.code)
        )
    )


def _version_url(version: PlanVersion, anchor: str = "") -> str:
    return url_for("planning.version", version_id=version.id) + anchor


def _frozen_redirect(plan: PlanVersion) -> Response | None:
    """A link to change a frozen version (bookmark, old tab) leads back with the reason."""
    if not plan.is_frozen:
        return None
    flash(svc.frozen_message(plan), "info")
    return redirect(_version_url(plan))


def _year_arg() -> int:
    settings = get_settings()
    year = request.args.get("hj", type=int) or settings.budget_year + 1
    if not 2000 <= year <= 2100:
        year = settings.budget_year + 1
    return year


# --------------------------------------------------------------------------- overview


@bp.route("/")
@permission_required(rules.may_open_planning)
def index() -> str:
    """The stages of a budget year, the actions that come next, and the comparison."""
    year = _year_arg()
    versions = svc.versions_of_year(year)
    latest = versions[-1] if versions else None
    years = sorted({*svc.planned_years(), *stages.round_years(), year}, reverse=True)
    manage = rules.may_manage_planning(current_user)
    open_form = None
    if manage and latest is None and year in stages.round_years():
        open_form = OpenRoundForm(data={"budget_year": year})
        open_form.budget_year.choices = [(year, str(year))]
    derive_form = None
    if manage and latest is not None and latest.is_frozen:
        derive_form = ActionForm(data={"version_id": latest.version_id})
    shown = _departments_shown()
    totals = {v.id: svc.version_view(v, shown).totals.get(v.budget_year) for v in versions}
    return render_template(
        "planning/index.html",
        year=year,
        years=years,
        versions=versions,
        latest=latest,
        totals=totals,
        open_form=open_form,
        derive_form=derive_form,
        next_label=rules.next_stage_label(latest),
        own_department=None if shown is None else current_user.department,
    )


@bp.route("/runde", methods=["POST"])
@permission_required(rules.may_manage_planning)
def open_round() -> Response:
    """Open the planning round of a budget year (its Anmeldung)."""
    form = OpenRoundForm()
    form.budget_year.choices = [(y, str(y)) for y in stages.round_years()]
    if not form.validate_on_submit():
        flash("Bitte ein Haushaltsjahr wählen.", "danger")
        return redirect(url_for("planning.index"))
    outcome = commit(lambda: stages.open_round(form.budget_year.data, by=current_user))
    if outcome.ok and outcome.value is not None:
        flash(
            f"Die Planungsrunde {form.budget_year.data} ist eröffnet. Die Fachbereiche können "
            "jetzt ihren Bedarf anmelden.",
            "success",
        )
        return redirect(_version_url(outcome.value))
    return redirect(url_for("planning.index", hj=form.budget_year.data))


# --------------------------------------------------------------------------- one version


@bp.route("/stand/<int:version_id>")
@permission_required(rules.may_open_planning)
def version(version_id: int) -> str:
    """A stage: lines by department with totals and Eckwerte, coverage, actions."""
    plan = _version_or_abort(version_id)
    shown = _departments_shown()
    view = svc.version_view(plan, shown)
    scenario = request.args.get("szenario", "1") != "0"
    coverage = None
    if may_read_budget(current_user):
        coverage = coverage_by_year(plan.years, include_submitted=scenario, plan_version_id=plan.id)
    editable = {
        block.id: rules.may_edit_lines(current_user, plan, block.id, block.handed_in is not None)
        for block in view.departments
    }
    states = []
    if rules.is_registration(plan) and shown is None:
        handed = {s.department_id: s for s in plan.department_states}
        states = [(d, handed.get(d.id)) for d in _active_departments()]
    latest = svc.latest_version(plan.budget_year)
    other_departments = []
    if rules.may_assign_line(current_user, plan):
        present = {block.id for block in view.departments}
        other_departments = [d for d in _active_departments() if d.id not in present]
    return render_template(
        "planning/version.html",
        other_departments=other_departments,
        plan=plan,
        view=view,
        coverage=coverage,
        scenario=scenario,
        captions={y: year_caption(y, plan.budget_year) for y in plan.years},
        editable=editable,
        may_register={
            block.id: rules.may_register(current_user, plan, block.id, block.handed_in is not None)
            for block in view.departments
        },
        states=states,
        manage=rules.may_manage_planning(current_user),
        may_freeze=rules.may_freeze(current_user, plan),
        may_set_key_figures=rules.may_set_key_figures(current_user, plan),
        may_reopen=rules.may_reopen_registration(current_user, plan),
        may_assign=rules.may_assign_line(current_user, plan),
        may_derive=rules.may_manage_planning(current_user)
        and plan.is_frozen
        and latest is not None
        and latest.id == plan.id,
        next_label=rules.next_stage_label(plan),
        action_form=ActionForm(data={"version_id": plan.version_id}),
        line_action=ActionForm(),
        is_decision=rules.is_decision(plan),
        is_registration=rules.is_registration(plan),
    )


@bp.route("/stand/<int:version_id>/naechster", methods=["POST"])
@permission_required(rules.may_manage_planning)
def derive_next(version_id: int) -> Response:
    """Derive the next stage from this frozen one."""
    plan = _version_or_abort(version_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = commit(
        lambda: stages.derive_next(plan, by=current_user, expected_version=form.version_id.data)
    )
    if outcome.ok and outcome.value is not None:
        flash(f"Der Stand „{outcome.value.label}“ ist angelegt.", "success")
        return redirect(_version_url(outcome.value))
    return redirect(_version_url(plan))


@bp.route("/stand/<int:version_id>/festschreiben", methods=["GET", "POST"])
@permission_required(rules.may_manage_planning)
def freeze(version_id: int) -> str | Response | tuple[str, int]:
    """Freeze a stage; Beschluss and Nachtrag with date and Drucksache (and adoption)."""
    plan = _version_or_abort(version_id)
    if (frozen := _frozen_redirect(plan)) is not None:
        return frozen
    form = FreezeForm(data={"version_id": plan.version_id})
    status = 200
    if form.validate_on_submit():
        outcome = commit(
            lambda: stages.freeze(
                plan,
                by=current_user,
                expected_version=form.version_id.data,
                decision_date=form.decision_date.data,
                decision_reference=form.decision_reference.data or "",
                note=form.note.data or "",
            ),
            form=form,
        )
        if outcome.ok:
            text = f"Der Stand „{plan.label}“ ist festgeschrieben."
            if rules.is_decision(plan):
                text += " Die beschlossenen Beträge stehen jetzt als Ansatz und Planung in den "
                text += "Haushaltsstellen."
            flash(text, "success")
            return redirect(_version_url(plan))
        plan = _version_or_abort(version_id)
        form.version_id.data = str(plan.version_id)
        status = 409 if outcome.conflict else 400
    elif request.method == "POST":
        status = 400
    view = svc.version_view(plan)
    missing = []
    if rules.is_registration(plan):
        handed = {s.department_id for s in plan.department_states}
        missing = [b for b in view.departments if b.id not in handed]
    return (
        render_template(
            "planning/freeze.html",
            plan=plan,
            form=form,
            view=view,
            is_decision=rules.is_decision(plan),
            missing=missing,
        ),
        status,
    )


# --------------------------------------------------------------------------- lines


@bp.route("/stand/<int:version_id>/zeile/<int:line_id>", methods=["GET", "POST"])
@permission_required(rules.may_open_planning)
def line_edit(version_id: int, line_id: int) -> str | Response | tuple[str, int]:
    """Change a line's amounts and reason (the department in its Anmeldung, the treasury in
    later stages)."""
    plan = _version_or_abort(version_id)
    line = _line_or_abort(plan, line_id)
    if (frozen := _frozen_redirect(plan)) is not None:
        return frozen
    state = svc.handed_in(plan, line.department_id)
    if not rules.may_edit_lines(current_user, plan, line.department_id, state is not None):
        abort(403)
    data: dict[str, Any] = {f"amount_{y}": line.amount_of(y) for y in plan.years}
    data.update(reason=line.reason, version_id=str(line.version_id))
    form = with_years(LineForm, plan.years, plan.budget_year, data=data)
    status = 200
    if form.validate_on_submit():
        outcome = commit(
            lambda: svc.save_line(
                line,
                {y: f.data for y, f in form.amount_fields()},
                form.reason.data,
                by=current_user,
                expected_version=form.version_id.data,
            ),
            form=form,
        )
        if outcome.ok:
            flash(f"Die Zeile {svc.line_label(line)} wurde gespeichert.", "success")
            return redirect(_version_url(plan, f"#fb-{line.department_id}"))
        line = _line_or_abort(_version_or_abort(version_id), line_id)
        plan = line.plan_version
        if outcome.conflict:
            form.version_id.data = str(line.version_id)
        status = 409 if outcome.conflict else 400
    elif request.method == "POST":
        status = 400
    base = svc.amounts_by_key(plan.based_on) if plan.based_on_id is not None else None
    return (
        render_template(
            "planning/line_form.html",
            plan=plan,
            line=line,
            form=form,
            label=svc.line_label(line),
            name=svc.line_name(line),
            reference=svc.reference_amounts(line, base),
            remove_form=ActionForm(data={"version_id": line.version_id})
            if rules.is_registration(plan)
            else None,
        ),
        status,
    )


@bp.route("/stand/<int:version_id>/zeile/<int:line_id>/entfernen", methods=["POST"])
@permission_required(rules.may_open_planning)
def line_remove(version_id: int, line_id: int) -> Response:
    """Remove a line from the open Anmeldung."""
    plan = _version_or_abort(version_id)
    line = _line_or_abort(plan, line_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    label, department_id = svc.line_label(line), line.department_id
    outcome = commit(
        lambda: svc.remove_line(line, by=current_user, expected_version=form.version_id.data)
    )
    if outcome.ok:
        flash(f"Die Zeile {label} wurde entfernt.", "success")
    return redirect(_version_url(plan, f"#fb-{department_id}"))


@bp.route("/stand/<int:version_id>/zeile/<int:line_id>/zuordnen", methods=["GET", "POST"])
@permission_required(rules.may_manage_planning)
def line_assign(version_id: int, line_id: int) -> str | Response | tuple[str, int]:
    """Link a proposed line to the budget line created for it."""
    plan = _version_or_abort(version_id)
    line = _line_or_abort(plan, line_id)
    if (frozen := _frozen_redirect(plan)) is not None:
        return frozen
    if not line.is_proposal or not rules.may_assign_line(current_user, plan):
        abort(403)
    form = AssignForm(data={"version_id": line.version_id})
    form.budget_line_id.choices = [
        (bl.id, f"{bl.label} – {bl.name} ({bl.department.code})")
        for bl in svc.assignable_lines(line)
    ]
    status = 200
    if form.validate_on_submit():
        outcome = commit(
            lambda: svc.assign_budget_line(
                line,
                form.budget_line_id.data,
                by=current_user,
                expected_version=form.version_id.data,
            ),
            form=form,
        )
        if outcome.ok:
            flash("Der Vorschlag ist der Haushaltsstelle zugeordnet.", "success")
            return redirect(_version_url(plan, f"#fb-{line.department_id}"))
        line = _line_or_abort(_version_or_abort(version_id), line_id)
        status = 409 if outcome.conflict else 400
    elif request.method == "POST":
        status = 400
    return render_template("planning/assign.html", plan=plan, line=line, form=form), status


@bp.route("/stand/<int:version_id>/fachbereich/<int:department_id>/neu", methods=["GET", "POST"])
@permission_required(rules.may_open_planning)
def line_add(version_id: int, department_id: int) -> str | Response | tuple[str, int]:
    """Add a line: one of the department's budget lines, or a proposed one."""
    plan = _version_or_abort(version_id)
    department = _department_or_abort(department_id)
    if (frozen := _frozen_redirect(plan)) is not None:
        return frozen
    state = svc.handed_in(plan, department.id)
    if not rules.may_edit_lines(current_user, plan, department.id, state is not None):
        abort(403)
    form = with_years(AddLineForm, plan.years, plan.budget_year)
    form.budget_line_id.choices = [("", "– noch anzulegen (Vorschlag) –")] + [
        (str(bl.id), f"{bl.label} – {bl.name} ({bl.kind.label})")
        for bl in svc.addable_lines(plan, department.id)
    ]
    status = 200
    if form.validate_on_submit():
        chosen = form.budget_line_id.data
        data = svc.ProposalData(
            budget_line_id=int(chosen) if chosen else None,
            kind=BudgetKind(form.kind.data) if form.kind.data else None,
            product=form.product.data or "",
            cost_center=form.cost_center.data or "",
            account=form.account.data or "",
            investment_number=form.investment_number.data or "",
            name=form.name.data or "",
        )
        outcome = commit(
            lambda: svc.add_line(
                plan,
                department.id,
                data,
                {y: f.data for y, f in form.amount_fields()},
                form.reason.data,
                by=current_user,
            ),
            form=form,
        )
        if outcome.ok:
            flash("Die Zeile wurde hinzugefügt.", "success")
            return redirect(_version_url(plan, f"#fb-{department.id}"))
        status = 409 if outcome.conflict else 400
    elif request.method == "POST":
        status = 400
    return (
        render_template("planning/line_add.html", plan=plan, department=department, form=form),
        status,
    )


@bp.route("/stand/<int:version_id>/fachbereich/<int:department_id>/ableiten", methods=["POST"])
@permission_required(rules.may_open_planning)
def register_from_cost_plans(version_id: int, department_id: int) -> Response:
    """Derive the department's lines of the Anmeldung from the measures' cost plans."""
    plan = _version_or_abort(version_id)
    department = _department_or_abort(department_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    outcome = commit(
        lambda: registration.register_from_cost_plans(plan, department.id, by=current_user)
    )
    if outcome.ok:
        count = outcome.value or 0
        if count:
            flash(
                f"{count} {'Zeile wurde' if count == 1 else 'Zeilen wurden'} aus den "
                "Kostenplänen übernommen oder aktualisiert.",
                "success",
            )
        else:
            flash("Aus den Kostenplänen ergibt sich nichts Neues.", "info")
    return redirect(_version_url(plan, f"#fb-{department.id}"))


@bp.route("/stand/<int:version_id>/fachbereich/<int:department_id>/abgeben", methods=["POST"])
@permission_required(rules.may_open_planning)
def hand_in(version_id: int, department_id: int) -> Response:
    """The department hands in its Anmeldung."""
    plan = _version_or_abort(version_id)
    department = _department_or_abort(department_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    outcome = commit(lambda: registration.hand_in(plan, department.id, by=current_user))
    if outcome.ok:
        flash(
            f"Die Anmeldung von {department.code} ist abgegeben. Die Kämmerei übernimmt sie in "
            "den Entwurf.",
            "success",
        )
    return redirect(_version_url(plan, f"#fb-{department.id}"))


@bp.route("/stand/<int:version_id>/fachbereich/<int:department_id>/zurueckgeben", methods=["POST"])
@permission_required(rules.may_manage_planning)
def reopen(version_id: int, department_id: int) -> Response:
    """The treasury gives a handed-in Anmeldung back to its department."""
    plan = _version_or_abort(version_id)
    department = _department_or_abort(department_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    outcome = commit(lambda: registration.reopen(plan, department.id, by=current_user))
    if outcome.ok:
        flash(f"Die Anmeldung von {department.code} ist zur Bearbeitung zurückgegeben.", "success")
    return redirect(_version_url(plan, "#anmeldungen"))


# --------------------------------------------------------------------------- Eckwerte


def _key_figure_rows() -> list[tuple[str, str, svc.Scope]]:
    """(field prefix, label, scope) of every Eckwert row: departments, then budget parts."""
    rows: list[tuple[str, str, svc.Scope]] = [
        (f"kf_d{d.id}", f"{d.code} {d.name}", ("department", d.id)) for d in _active_departments()
    ]
    rows += [(f"kf_{k.value}", k.label, ("kind", k)) for k in BudgetKind]
    return rows


@bp.route("/stand/<int:version_id>/eckwerte", methods=["GET", "POST"])
@permission_required(rules.may_manage_planning)
def key_figures(version_id: int) -> str | Response | tuple[str, int]:
    """Record the Eckwerte per department (Teilhaushalt) and per budget part."""
    plan = _version_or_abort(version_id)
    if (frozen := _frozen_redirect(plan)) is not None:
        return frozen
    if not rules.may_set_key_figures(current_user, plan):
        abort(403)
    rows = _key_figure_rows()
    data: dict[str, Any] = {"version_id": str(plan.version_id)}
    for figure in plan.key_figures:
        scope: svc.Scope = (
            ("department", figure.department_id)
            if figure.department_id is not None
            else ("kind", figure.kind)
        )
        data[svc.key_figure_field(scope, figure.year)] = figure.amount
    form = key_figures_form([(p, label) for p, label, _ in rows], plan.years, data=data)
    status = 200
    if form.validate_on_submit():
        figures = {
            (scope, year): form[f"{prefix}_{year}"].data
            for prefix, _label, scope in rows
            for year in plan.years
        }
        outcome = commit(
            lambda: svc.set_key_figures(
                plan, figures, by=current_user, expected_version=form.version_id.data
            ),
            form=form,
        )
        if outcome.ok:
            flash("Die Eckwerte wurden gespeichert.", "success")
            return redirect(_version_url(plan, "#eckwerte"))
        plan = _version_or_abort(version_id)
        form.version_id.data = str(plan.version_id)
        status = 409 if outcome.conflict else 400
    elif request.method == "POST":
        status = 400
    view = svc.version_view(plan)
    dept_totals = {b.id: b.totals for b in view.departments}
    part_totals = {p.kind: p.totals for p in view.parts}
    table = [
        (
            label,
            [form[f"{prefix}_{y}"] for y in plan.years],
            dept_totals.get(scope[1]) if scope[0] == "department" else part_totals.get(scope[1]),
        )
        for prefix, label, scope in rows
    ]
    return (
        render_template("planning/key_figures.html", plan=plan, form=form, table=table),
        status,
    )


# --------------------------------------------------------------------------- comparison


@bp.route("/vergleich")
@permission_required(rules.may_open_planning)
def compare() -> str | tuple[str, int]:
    """Compare two versions (``von``, ``zu``): only the changed lines, with reasons."""
    first = db.session.get(PlanVersion, request.args.get("von", type=int) or 0)
    second = db.session.get(PlanVersion, request.args.get("zu", type=int) or 0)
    if first is None or second is None:
        abort(404)
    result = compare_service.compare(first, second, _departments_shown())
    choices = svc.versions_of_year(second.budget_year)
    if first.budget_year != second.budget_year:
        choices = [*svc.versions_of_year(first.budget_year), *choices]
    return render_template(
        "planning/compare.html",
        result=result,
        choices=choices,
        captions={y: year_caption(y, second.budget_year) for y in result.years},
    )
