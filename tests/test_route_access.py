"""Every route x every role (and logged out) x own / other object, generated from the URL map.

Who may call a route is declared once, by its decorator (``permission_required(rule)`` or
``public`` in views/access.py); this test reads that declaration and asks the rule for each
role. A route without one fails here, so a new route cannot ship without a permission check.
Object rules are asked from ``services/measures/rules.py`` (never restated): another
department's draft must stay closed to a submitter, and a sub-object (milestone, key figure,
change request) must belong to the measure named in the same URL.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from conftest import CSRF_RE, Factory, login
from sqlalchemy import func, select

from config import TestConfig
from steuerung import create_app
from steuerung.extensions import db as _db
from steuerung.models import (
    ActualsFileType,
    ActualsProfile,
    ActualsSnapshot,
    ApiToken,
    AuditEntry,
    BudgetKind,
    BudgetScenario,
    ChangeRequest,
    CommitmentAuthorization,
    CoverageRing,
    Grant,
    GrantCall,
    GrantStatus,
    Job,
    KeyFigure,
    MaturityAssessment,
    Measure,
    MeasureStatus,
    Milestone,
    PlanStage,
    PlanVersion,
    PlanVersionStatus,
    Role,
    User,
)
from steuerung.services.api.rules import may_revoke_token
from steuerung.services.api.tokens import create_token
from steuerung.services.budget import rules as budget_rules
from steuerung.services.grants import rules as grant_rules
from steuerung.services.jobs.records import can_see
from steuerung.services.measures import rules as measure_rules
from steuerung.services.planning import rules as planning_rules
from steuerung.views.access import PUBLIC, route_permission

#: Flask's own static route cannot carry a decorator; it serves files from static/ only.
BUILT_IN_PUBLIC = {"static"}
#: Sample values for URL parts that are not object ids.
PLAIN_VALUES = {
    "key": "deckung",
    "fmt": "csv",
    "filename": "bootstrap.min.css",
    "package": "bootstrap",
}
#: Routes on a measure whose object rule is not "may edit the measure" (asked from the
#: service rules, never restated): the treasury's order key of the finance software.
MEASURE_OBJECT_RULES: dict[str, Any] = {
    "execution.order_key": lambda user, measure: budget_rules.may_set_order_key(user),
    "grants.index": grant_rules.may_view_grants,
    "grants.edit": grant_rules.may_edit_grants,
    "grants.call_add": grant_rules.may_edit_grants,
    "grants.call_received": grant_rules.may_edit_grants,
    "grants.call_remove": grant_rules.may_edit_grants,
}
#: Routes of the budget planning whose object rule depends on the plan version and the
#: department in the URL (asked from services/planning/rules.py).
PLAN_OBJECT_RULES: dict[str, Any] = {
    "planning.key_figures": lambda user, plan, dept: planning_rules.may_set_key_figures(user, plan),
    "planning.line_add": lambda user, plan, dept: planning_rules.may_edit_lines(
        user, plan, dept, False
    ),
    "planning.register_from_cost_plans": lambda user, plan, dept: (
        planning_rules.may_read_department(user, dept)
    ),
    "planning.hand_in": lambda user, plan, dept: planning_rules.may_read_department(user, dept),
    "planning.reopen": lambda user, plan, dept: planning_rules.may_read_department(user, dept),
}
#: Parameters that name a part of the measure in the same URL.
MEASURE_PARTS = {"milestone_id", "key_figure_id", "request_id", "grant_id", "call_id"}


def _rules() -> list[Any]:
    app = create_app(TestConfig)
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


RULES = _rules()


def _methods(rule: Any) -> list[str]:
    return sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS"))


@pytest.fixture()
def world(factory: Factory, users: dict[str, User], db: Any) -> dict[str, dict[str, int]]:
    """For each kind of id an object of the users' department ("own") and of another one."""
    own_dept = users["submitter"].department
    other_dept = users["other_submitter"].department
    agenda = factory.agenda()
    line_own = factory.budget_line(own_dept, amounts={2026: "1000.00"})
    line_other = factory.budget_line(other_dept, amounts={2026: "1000.00"})
    measures = {
        "own": factory.measure(own_dept, MeasureStatus.DRAFT, owner=users["submitter"]),
        "other": factory.measure(other_dept, MeasureStatus.DRAFT, owner=users["other_submitter"]),
    }
    parts: dict[str, dict[str, int]] = {name: {} for name in MEASURE_PARTS}
    for which, measure in measures.items():
        milestone = Milestone(measure_id=measure.id, title="Go-live", due_date=date(2026, 6, 1))
        figure = KeyFigure(measure_id=measure.id, name="Online-Anteil", unit="%")
        request = ChangeRequest(measure_id=measure.id, reason="mehr Geld", payload={})
        db.session.add_all([milestone, figure, request])
        db.session.flush()
        grant = Grant(measure_id=measure.id, programme="DigitalPakt", status=GrantStatus.APPROVED)
        db.session.add(grant)
        db.session.flush()
        call = GrantCall(grant_id=grant.id, called_on=date(2026, 3, 1), amount=Decimal("10"))
        db.session.add(call)
        db.session.flush()
        parts["milestone_id"][which] = milestone.id
        parts["key_figure_id"][which] = figure.id
        parts["request_id"][which] = request.id
        parts["grant_id"][which] = grant.id
        parts["call_id"][which] = call.id
    commitments = {}
    for which, line in (("own", line_own), ("other", line_other)):
        commitment = CommitmentAuthorization(
            budget_line_id=line.id, granted_year=2026, due_year=2027, amount=Decimal("10")
        )
        db.session.add(commitment)
        db.session.flush()
        commitments[which] = commitment.id
    assessment = MaturityAssessment(title="Runde 1", assessed_on=date(2026, 1, 10))
    scenario = BudgetScenario(
        name="Szenario", budget_year=2026, params_json="{}", result_json="{}", created_by_id=None
    )
    jobs = {
        which: Job(public_id=f"{which}-job", user_id=users[name].id, kind="budget_xlsx")
        for which, name in (("own", "submitter"), ("other", "other_submitter"))
    }
    ring = CoverageRing(name="IT-Betrieb", year=2026, kind=BudgetKind.CONSUMPTIVE, note="")
    plan = PlanVersion(
        budget_year=2027,
        stage=PlanStage.REGISTRATION,
        position=1,
        status=PlanVersionStatus.OPEN,
    )
    profile = ActualsProfile(name="Finanzsoftware", file_type=ActualsFileType.CSV, col_ist="Ist")
    snapshot = ActualsSnapshot(year=2026, as_of=date(2026, 6, 30), file_name="ist.csv")
    db.session.add_all([assessment, scenario, ring, profile, snapshot, plan, *jobs.values()])
    api_tokens = {
        which: create_token(users[name], f"Token {which}", 30).token
        for which, name in (("own", "submitter"), ("other", "other_submitter"))
    }
    db.session.commit()
    goal = agenda.action_fields[0].goals[0]
    return {
        "measure_id": {k: m.id for k, m in measures.items()},
        **parts,
        "line_id": {"own": line_own.id, "other": line_other.id},
        "commitment_id": commitments,
        "agenda_id": {"own": agenda.id, "other": agenda.id},
        "goal_id": {"own": goal.id, "other": goal.id},
        "assessment_id": {"own": assessment.id, "other": assessment.id},
        "scenario_id": {"own": scenario.id, "other": scenario.id},
        "user_id": {"own": users["submitter"].id, "other": users["other_submitter"].id},
        "department_id": {"own": own_dept.id, "other": other_dept.id},
        "public_id": {k: job.public_id for k, job in jobs.items()},
        "ring_id": {"own": ring.id, "other": ring.id},
        "profile_id": {"own": profile.id, "other": profile.id},
        "snapshot_id": {"own": snapshot.id, "other": snapshot.id},
        "version_id": {"own": plan.id, "other": plan.id},
        "token_id": {k: token.id for k, token in api_tokens.items()},
    }


def _values(rule: Any, world: dict[str, dict[str, int]], which: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        if name in PLAIN_VALUES:
            values[name] = PLAIN_VALUES[name]
        elif name in world:
            values[name] = world[name][which]
        else:
            pytest.fail(f"{rule.rule}: no sample value for <{name}>; add one to this test")
    for name in MEASURE_PARTS & set(rule.arguments):
        # A part of the *own* measure in the "own" case, of the other measure otherwise.
        values[name] = world[name][which]
    if rule.defaults:
        values.update({k: v for k, v in rule.defaults.items() if k in rule.arguments})
        if any(v is None for v in rule.defaults.values()):
            return {k: v for k, v in values.items() if k not in rule.defaults}
    return values


def _token(client: Any) -> str:
    """The client's CSRF token (one per session), fetched from a light page once."""
    if not hasattr(client, "csrf"):
        page = client.get("/auth/password")
        if page.status_code != 200:
            page = client.get("/auth/login")
        match = CSRF_RE.search(page.get_data(as_text=True))
        client.csrf = match.group(1) if match else ""
    return client.csrf


def _request(client: Any, method: str, url: str) -> Any:
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={"csrf_token": _token(client)})


def _audit_rows(db: Any) -> int:
    """Every write to an audited table adds a row; an unchanged count means nothing changed."""
    return db.session.scalar(select(func.count(AuditEntry.id)))


def _object_allowed(
    user: User,
    rule: Any,
    method: str,
    measure: Measure | None,
    job: Job | None,
    values: dict[str, Any] | None = None,
) -> bool:
    """The rules' answer for the measure, job or plan version in the URL."""
    if job is not None:
        return can_see(job, user)
    if "token_id" in (values or {}):
        # A token is its holder's alone: anyone else's request finds nothing.
        token = _db.session.get(ApiToken, values["token_id"])  # type: ignore[index]
        return token is not None and may_revoke_token(user, token)
    if rule.endpoint in PLAN_OBJECT_RULES:
        values = values or {}
        plan = _db.session.get(PlanVersion, values["version_id"])
        return PLAN_OBJECT_RULES[rule.endpoint](user, plan, values.get("department_id"))
    if measure is None:
        return True
    if rule.endpoint in MEASURE_OBJECT_RULES:
        return MEASURE_OBJECT_RULES[rule.endpoint](user, measure)
    if method == "GET" and "POST" not in rule.methods:
        return measure_rules.can_view_measure(user, measure)
    return measure_rules.can_edit_measure(user, measure)


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.endpoint}:{r.rule}" for r in RULES])
def test_route_access(app, rule, world, users, db):
    view = app.view_functions[rule.endpoint]
    declared = PUBLIC if rule.endpoint in BUILT_IN_PUBLIC else route_permission(view)
    assert declared is not None, (
        f"{rule.rule} ({rule.endpoint}) declares no access: decorate it with "
        "@permission_required(rule) or @public (steuerung/views/access.py)"
    )
    url_own = rule.build(_values(rule, world, "own"), append_unknown=False)[1]
    if rule.endpoint.startswith("api.") and declared != PUBLIC:
        # The REST API answers to tokens only (tests/test_api.py has its role matrix): a
        # browser session, logged in or not, is refused with 401 problem details.
        for role in [None, *Role]:
            client = app.test_client()
            if role is not None:
                assert login(client, role.value).status_code == 302
            for method in _methods(rule):
                response = _request(client, method, url_own)
                assert response.status_code == 401, (role, method, url_own)
                assert response.mimetype == "application/problem+json"
        return
    if declared == PUBLIC:
        for method in _methods(rule):
            response = _request(app.test_client(), method, url_own)
            assert response.status_code < 500 and response.status_code != 403
            response.close()
        return

    for method in _methods(rule):
        anonymous = _request(app.test_client(), method, url_own)
        assert anonymous.status_code == 302, (method, url_own)
        assert "/auth/login" in anonymous.headers["Location"]

    for role in Role:
        client = app.test_client()
        assert login(client, role.value).status_code == 302
        user = db.session.get(User, users[role.value].id)
        for method in _methods(rule):
            for which in ("own", "other"):
                if which == "other" and not (set(rule.arguments) & set(world)):
                    continue
                url = rule.build(_values(rule, world, which), append_unknown=False)[1]
                response = _request(client, method, url)
                status = response.status_code
                where = f"{role.value} {method} {url} ({which})"
                assert status < 500, where
                if not declared(user):
                    assert status == 403, where
                    continue
                measure_id = _values(rule, world, which).get("measure_id")
                if which == "other" and MEASURE_PARTS & set(rule.arguments):
                    # own measure in the URL with a part of another measure: never found
                    url = rule.build(
                        {
                            **_values(rule, world, "other"),
                            "measure_id": world["measure_id"]["own"],
                        },
                        append_unknown=False,
                    )[1]
                    audit_before = _audit_rows(db)
                    mixed = _request(client, method, url).status_code
                    # Refused outright, or the (empty) form was sent back unsaved.
                    assert mixed in (302, 400, 403, 404), f"{where}: part of another measure"
                    assert _audit_rows(db) == audit_before, f"{where}: wrote to another measure"
                measure = db.session.get(Measure, measure_id) if measure_id else None
                public_id = _values(rule, world, which).get("public_id")
                job = (
                    db.session.scalar(select(Job).where(Job.public_id == public_id))
                    if public_id
                    else None
                )
                values = _values(rule, world, which)
                if _object_allowed(user, rule, method, measure, job, values):
                    assert status != 403, where
                else:
                    assert status in (403, 404), where
                db.session.rollback()
                if rule.endpoint == "auth.logout" and method == "POST":
                    login(client, role.value)
                    del client.csrf
