"""Rules in one place: views and templates ask the rules modules, they never compare roles.

The matrix below is the specification of who may do what; the rules modules must answer
exactly so, and every route names the rule that guards it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from steuerung.models import Measure, MeasureStatus, Role, User
from steuerung.services.measures import rules as measure_rules
from steuerung.views.access import ABILITIES, PUBLIC, Abilities, route_permission

ROOT = Path(__file__).resolve().parent.parent / "steuerung"
#: A role compared in code or a template: ``.role ==``, ``.role in``, ``Role.ADMIN``,
#: ``role.value == ...``.
ROLE_COMPARISON = re.compile(
    r"\.role(\.value)?\s*(==|!=|\bin\b|\bnot\s+in\b)|\bRole\.[A-Z]+|\bin\s+\(Role\b"
)

R = Role
#: ability -> roles that have it (the specification).
EXPECTED: dict[str, set[Role]] = {
    "administer": {R.ADMIN},
    "decide_change_requests": {R.COORDINATOR},
    "edit_agenda": {R.COORDINATOR},
    "edit_budget": {R.TREASURY},
    "manage_scenarios": {R.COORDINATOR},
    "read_budget": {R.TREASURY, R.COORDINATOR, R.LEADERSHIP, R.ADMIN},
    "read_dashboard": {R.COORDINATOR, R.LEADERSHIP, R.TREASURY},
    "read_portfolio": {R.COORDINATOR, R.LEADERSHIP},
    "read_register": {R.COORDINATOR, R.LEADERSHIP, R.TREASURY},
    "review": {R.COORDINATOR},
    "score": {R.COORDINATOR},
    "write_measures": {R.SUBMITTER, R.COORDINATOR},
    "filter_departments": {R.COORDINATOR, R.LEADERSHIP, R.TREASURY, R.ADMIN},
    "list_own_department": {R.SUBMITTER},
    "roll_budget_year": {R.TREASURY, R.ADMIN},
    "assess": {R.COORDINATOR},
    "switch_dashboard_views": {R.COORDINATOR},
    "read_execution": {R.TREASURY, R.COORDINATOR, R.LEADERSHIP, R.ADMIN},
    "import_actuals": {R.TREASURY},
    "decide_carry_forward": {R.TREASURY},
    "set_order_key": {R.TREASURY},
}


def _sources(pattern: str) -> list[Path]:
    return sorted(p for p in ROOT.glob(pattern) if p.is_file())


@pytest.mark.parametrize(
    "path", _sources("views/**/*.py") + _sources("templates/**/*.html"), ids=lambda p: p.name
)
def test_no_view_or_template_compares_roles(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
        for m in ROLE_COMPARISON.finditer(text)
    ]
    assert not found, "Rollen werden direkt verglichen statt über die Regeln:\n" + "\n".join(found)


def test_the_checker_finds_a_role_comparison() -> None:
    for sample in (
        "if current_user.role == Role.ADMIN:",
        "{% if current_user.role.value == 'treasury' %}",
        "if user.role in (Role.COORDINATOR,):",
    ):
        assert ROLE_COMPARISON.search(sample), sample
    assert not ROLE_COMPARISON.search('<td>{{ u.role.label }}</td> role="alert"')


def test_every_route_names_its_rule(app: Flask) -> None:
    """A route is either ``@public`` or guarded by ``permission_required(rule)``."""
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"  # Flask's own; serves files from static/ only
        and not (
            callable(route_permission(app.view_functions[rule.endpoint]))
            or route_permission(app.view_functions[rule.endpoint]) == PUBLIC
        )
    ]
    assert not missing, f"Routen ohne Regel: {missing}"
    public = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if route_permission(app.view_functions[rule.endpoint]) == PUBLIC
    }
    # Public routes are few and named here, so a new one is a deliberate decision.
    assert public == {
        "vendor",
        "favicon",
        "auth.login",
        "healthz",
        "api.openapi",
        "api.docs",
        # The transparency page and its open data (404 while the Kommune's switch is off).
        "transparency.index",
        "transparency.data_csv",
        "transparency.data_json",
    }, public


def test_abilities_match_the_specification() -> None:
    assert set(ABILITIES) == set(EXPECTED), "each ability needs its line in the specification"
    for name, roles in EXPECTED.items():
        for role in Role:
            user = User(role=role, department_id=1, is_active_user=True)
            assert getattr(Abilities(user), name) is (role in roles), (name, role)


def test_abilities_are_false_when_logged_out() -> None:
    class Anonymous:
        is_authenticated = False

    assert not Abilities(Anonymous()).administer
    with pytest.raises(AttributeError):
        _ = Abilities(Anonymous()).fly


@pytest.mark.parametrize("status", list(MeasureStatus))
def test_measure_rules_per_state(db: Any, status: MeasureStatus) -> None:
    own = User(role=Role.SUBMITTER, department_id=1, id=10)
    other = User(role=Role.SUBMITTER, department_id=2, id=11)
    office = User(role=Role.COORDINATOR, department_id=3, id=12)
    treasury = User(role=Role.TREASURY, department_id=4, id=13)
    measure = Measure(status=status, department_id=1)
    free = status in (MeasureStatus.DRAFT, MeasureStatus.RETURNED)
    closed = status in (MeasureStatus.COMPLETED, MeasureStatus.REJECTED, MeasureStatus.CANCELLED)
    after_approval = status in (MeasureStatus.APPROVED, MeasureStatus.IN_PROGRESS)
    assert measure_rules.department_may_edit_freely(measure) is free
    assert measure_rules.may_answer_question(own, measure) is (status == MeasureStatus.RETURNED)
    assert not measure_rules.may_answer_question(other, measure)
    assert measure_rules.may_report(own, measure) is after_approval
    assert measure_rules.may_report(office, measure) is after_approval
    assert not measure_rules.may_report(treasury, measure)
    assert measure_rules.may_request_change(own, measure) is after_approval
    assert not measure_rules.may_request_change(office, measure)
    office_fields = measure_rules.editable_fields(measure, office)
    assert office_fields == (frozenset() if closed else measure_rules.ALL_FIELDS)
    own_fields = measure_rules.editable_fields(measure, own)
    if closed:
        assert own_fields == frozenset()
    elif free:
        assert own_fields == measure_rules.ALL_FIELDS
    elif after_approval:
        assert "cost_plan" not in own_fields and "description" in own_fields
    else:
        assert own_fields == {"owner_id", "contact"}
    assert measure_rules.editable_fields(measure, other) == frozenset()
    assert measure_rules.editable_fields(measure, treasury) == frozenset()


def test_owner_rule_in_python_and_sql_agree(db: Any, factory: Any) -> None:
    from sqlalchemy import select

    dept = factory.department()
    active = factory.user(Role.SUBMITTER, dept)
    gone = factory.user(Role.SUBMITTER, dept)
    gone.is_active_user = False
    measures = [
        factory.measure(dept, status, owner=owner)
        for status in (MeasureStatus.DRAFT, MeasureStatus.IN_PROGRESS, MeasureStatus.COMPLETED)
        for owner in (None, active, gone)
    ]
    db.session.flush()
    in_sql = set(db.session.scalars(select(Measure.id).where(measure_rules.lacks_owner_clause())))
    in_python = {m.id for m in measures if measure_rules.lacks_owner(m)}
    assert in_sql == in_python
    # Open measures without an owner or with a deactivated one: 2 states x 2 owners.
    assert len(in_python) == 4


def test_overall_light_in_python_and_sql_agree(db: Any, factory: Any) -> None:
    from datetime import date

    from sqlalchemy import select

    from steuerung.models import StatusReport, TrafficLight

    dept = factory.department()
    measure = factory.measure(dept, MeasureStatus.IN_PROGRESS)
    lights = list(TrafficLight)
    for i, (a, b, c) in enumerate((a, b, c) for a in lights for b in lights for c in lights):
        measure.status_reports.append(
            StatusReport(
                reported_on=date(2026, 1, 1),
                schedule_light=a,
                cost_light=b,
                scope_light=c,
                progress_percent=i,
            )
        )
    db.session.flush()
    for report_id, overall in db.session.execute(
        select(StatusReport.id, StatusReport.overall_light)
    ):
        report = db.session.get(StatusReport, report_id)
        expected = (
            "red"
            if "red" in {report.schedule_light, report.cost_light, report.scope_light}
            else "yellow"
            if "yellow" in {report.schedule_light, report.cost_light, report.scope_light}
            else "green"
        )
        assert overall == expected == report.overall_light


def test_reference_format() -> None:
    assert measure_rules.measure_reference(7) == "M-0007"
    assert Measure(id=42).reference == "M-0042"
