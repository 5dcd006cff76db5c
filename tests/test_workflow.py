"""Every lifecycle transition through the web: allowed ones change and record, refused ones
change nothing and show a German message."""

from __future__ import annotations

import pytest
from conftest import page_after, post_form
from measures_helpers import logout, make_measure, world_fixture  # noqa: F401

from steuerung.extensions import db as _db
from steuerung.models import Measure, MeasureComment, MeasureStatus, Role, StatusChange
from steuerung.services.measures.workflow import TRANSITIONS, allowed_transitions

ROLE_KEYS = {Role.SUBMITTER: "submitter", Role.COORDINATOR: "coordinator"}


def _transition(client, measure_id, target, reason=""):
    """Post a decision as a page showing the measure's current version would."""
    detail = f"/massnahmen/{measure_id}"
    version = _db.session.get(Measure, measure_id).version_id
    return post_form(
        client,
        f"{detail}/status",
        {"target": target.value, "reason": reason, "version_id": str(version)},
        token_from=detail,
    )


def _status(db, measure_id):
    db.session.expire_all()
    return db.session.get(Measure, measure_id).status


CASES = [
    pytest.param(t, role, id=f"{t.source.value}->{t.target.value}-{role.value}")
    for t in TRANSITIONS
    for role in t.roles
]


@pytest.mark.parametrize(("rule", "role"), CASES)
def test_allowed_transition_changes_status_and_is_recorded(
    login_as, world, factory, db, rule, role
):
    measure = make_measure(factory, world, rule.source)
    db.session.commit()
    client = login_as(ROLE_KEYS[role])
    page = client.get(f"/massnahmen/{measure.id}").get_data(as_text=True)
    assert f'value="{rule.target.value}"' in page  # the button is offered
    response = _transition(client, measure.id, rule.target, "Weil es nötig ist.")
    assert response.status_code == 302
    assert _status(db, measure.id) == rule.target
    change = db.session.query(StatusChange).one()
    assert change.from_status == rule.source and change.to_status == rule.target
    assert change.changed_by_id == world.users[ROLE_KEYS[role]].id
    assert change.changed_at is not None
    assert change.reason == "Weil es nötig ist."
    history = client.get(f"/massnahmen/{measure.id}?tab=verlauf").get_data(as_text=True)
    assert f"{rule.source.label} → {rule.target.label}" in history


REASON_CASES = [
    pytest.param(t, id=f"{t.source.value}->{t.target.value}")
    for t in TRANSITIONS
    if t.reason_required
]


@pytest.mark.parametrize("rule", REASON_CASES)
def test_transition_without_required_reason_is_refused(login_as, world, factory, db, rule):
    measure = make_measure(factory, world, rule.source)
    db.session.commit()
    client = login_as(ROLE_KEYS[rule.roles[-1]])
    response = _transition(client, measure.id, rule.target, "   ")
    assert response.status_code == 400
    page = page_after(client, response)
    assert "ist eine Begründung erforderlich" in page
    assert _status(db, measure.id) == rule.source
    assert db.session.query(StatusChange).count() == 0


DEPT_REFUSED = [
    pytest.param(t, id=f"{t.source.value}->{t.target.value}")
    for t in TRANSITIONS
    if Role.SUBMITTER not in t.roles
]


@pytest.mark.parametrize("rule", DEPT_REFUSED)
def test_department_cannot_make_office_transitions(login_as, world, factory, db, rule):
    measure = make_measure(factory, world, rule.source)
    db.session.commit()
    client = login_as("submitter")
    page = client.get(f"/massnahmen/{measure.id}").get_data(as_text=True)
    assert f'name="target" value="{rule.target.value}"' not in page
    response = _transition(client, measure.id, rule.target, "Grund")
    assert response.status_code == 400
    page = page_after(client, response)
    assert "Sie dürfen den Status nicht" in page
    assert _status(db, measure.id) == rule.source
    assert db.session.query(StatusChange).count() == 0


def _undefined_pairs():
    defined = {(t.source, t.target) for t in TRANSITIONS}
    for source in MeasureStatus:
        for target in MeasureStatus:
            if source != target and (source, target) not in defined:
                yield pytest.param(source, target, id=f"{source.value}->{target.value}")


@pytest.mark.parametrize(("source", "target"), list(_undefined_pairs()))
def test_undefined_transitions_are_refused_even_for_the_office(
    login_as, world, factory, db, source, target
):
    measure = make_measure(factory, world, source)
    db.session.commit()
    client = login_as("coordinator")
    response = _transition(client, measure.id, target, "Grund")
    assert response.status_code == 400
    page = page_after(client, response)
    assert "Grund" in page  # the typed reason is kept
    assert "ist nicht vorgesehen" in page
    assert _status(db, measure.id) == source


@pytest.mark.parametrize("role", ["leadership", "treasury", "admin"])
def test_read_only_roles_cannot_post_transitions(login_as, world, factory, db, role):
    measure = make_measure(factory, world, MeasureStatus.SUBMITTED)
    db.session.commit()
    client = login_as(role)
    detail = f"/massnahmen/{measure.id}"
    from conftest import csrf_token

    token = csrf_token(client, "/")
    response = client.post(
        f"{detail}/status", data={"csrf_token": token, "target": "approved", "reason": ""}
    )
    assert response.status_code == 403
    assert _status(db, measure.id) == MeasureStatus.SUBMITTED


def test_unknown_target_and_other_department(login_as, world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.DRAFT)
    approved = make_measure(factory, world, MeasureStatus.APPROVED)
    db.session.commit()
    client = login_as("submitter")
    response = _transition(client, measure.id, MeasureStatus.SUBMITTED)
    assert response.status_code == 302
    detail = f"/massnahmen/{measure.id}"
    response = post_form(client, f"{detail}/status", {"target": "fertig"}, token_from=detail)
    assert "Diesen Status gibt es nicht." in page_after(client, response)
    logout(client)
    client = login_as("other_submitter")
    # another department's approved measure is readable but its lifecycle is not theirs
    response = _transition(client, approved.id, MeasureStatus.IN_PROGRESS)
    page = page_after(client, response)
    assert "Sie dürfen den Status nicht" in page
    assert _status(db, approved.id) == MeasureStatus.APPROVED
    # a draft of another department is not even visible
    assert _transition_status(client, measure.id) == 403


def _transition_status(client, measure_id):
    from conftest import csrf_token

    token = csrf_token(client, "/")
    return client.post(
        f"/massnahmen/{measure_id}/status", data={"csrf_token": token, "target": "submitted"}
    ).status_code


def test_incomplete_measure_cannot_be_submitted(login_as, world, factory, db):
    measure = factory.measure(world.users["submitter"].department, MeasureStatus.DRAFT)
    db.session.commit()
    client = login_as("submitter")
    response = _transition(client, measure.id, MeasureStatus.SUBMITTED)
    page = page_after(client, response)
    assert "noch nicht vollständig" in page
    assert _status(db, measure.id) == MeasureStatus.DRAFT


def test_return_with_question_answer_and_resubmit(login_as, world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.SUBMITTED)
    db.session.commit()
    office = login_as("coordinator")
    _transition(office, measure.id, MeasureStatus.RETURNED, "Wie hoch sind die Lizenzkosten?")
    assert _status(db, measure.id) == MeasureStatus.RETURNED
    question = db.session.query(MeasureComment).one()
    assert question.kind == "question" and question.resolved_at is None

    logout(office)
    client = login_as("submitter")
    page = client.get(f"/massnahmen/{measure.id}").get_data(as_text=True)
    assert "Rückfrage der Koordinationsstelle" in page
    assert "Wie hoch sind die Lizenzkosten?" in page
    listing = client.get("/massnahmen/").get_data(as_text=True)
    assert "1 offen" in listing
    detail = f"/massnahmen/{measure.id}"
    response = post_form(
        client, f"{detail}/antwort", {"body": "12.000 € pro Jahr."}, token_from=detail
    )
    assert response.status_code == 302
    answer = db.session.query(MeasureComment).filter_by(kind="answer").one()
    assert answer.body == "12.000 € pro Jahr."
    page = client.get(detail).get_data(as_text=True)
    assert "12.000 € pro Jahr." in page
    _transition(client, measure.id, MeasureStatus.SUBMITTED)
    assert _status(db, measure.id) == MeasureStatus.SUBMITTED
    db.session.expire_all()
    assert db.session.get(MeasureComment, question.id).resolved_at is not None
    assert "1 offen" not in client.get("/massnahmen/").get_data(as_text=True)


def test_empty_answer_is_refused(login_as, world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.RETURNED)
    db.session.commit()
    client = login_as("submitter")
    detail = f"/massnahmen/{measure.id}"
    response = post_form(client, f"{detail}/antwort", {"body": ""}, token_from=detail)
    assert "Bitte schreiben Sie einen Text." in page_after(client, response)
    assert db.session.query(MeasureComment).count() == 0


def test_allowed_transitions_per_role(world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.SUBMITTED)
    office = {t.target for t in allowed_transitions(measure, world.users["coordinator"])}
    assert office == {
        MeasureStatus.UNDER_REVIEW,
        MeasureStatus.APPROVED,
        MeasureStatus.RETURNED,
        MeasureStatus.DEFERRED,
        MeasureStatus.REJECTED,
    }
    assert allowed_transitions(measure, world.users["submitter"]) == []
    assert allowed_transitions(measure, world.users["leadership"]) == []
