"""Agenda: coverage of goals (uncovered flagged), revision keeps the old version, adoption."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import post_form

from steuerung.models import ActionField, Agenda, AgendaStatus, Goal, MeasureStatus
from steuerung.services.agenda.versions import (
    add_action_field,
    add_goal,
    adopt,
    goal_coverage,
    remove_goal,
    revise,
)
from steuerung.services.common.errors import ValidationFailed

S = MeasureStatus


@pytest.fixture()
def agenda_data(db, factory, users):
    dept = users["submitter"].department
    agenda = factory.agenda()  # V-1, V-2, B-1, B-2
    v1, v2 = agenda.action_fields[0].goals
    b1, _b2 = agenda.action_fields[1].goals
    line = factory.budget_line(dept)
    factory.measure(dept, S.APPROVED, "Portal", goals=[v1, b1], costs=[(line, 2026, "1000.00")])
    factory.measure(dept, S.IN_PROGRESS, "E-Akte", goals=[v1], costs=[(line, 2027, "500.00")])
    factory.measure(dept, S.REJECTED, "Abgelehnt", goals=[v2])
    db.session.commit()
    return agenda


def _coverage_by_code(agenda, user):
    return {g.goal.code: g for _field, goals in goal_coverage(agenda, user) for g in goals}


def test_coverage_lists_measures_and_flags_uncovered_goals(agenda_data, users):
    cov = _coverage_by_code(agenda_data, users["coordinator"])
    assert [c.measure.title for c in cov["V-1"].measures] == ["Portal", "E-Akte"]
    assert cov["V-1"].total == 1500
    assert not cov["V-2"].covered  # only a rejected measure
    assert cov["B-1"].covered and not cov["B-2"].covered


def test_revision_copies_and_keeps_old_version(agenda_data, users, db):
    draft = revise(agenda_data, "Digitale Agenda 2027")
    db.session.commit()
    assert draft.status == AgendaStatus.DRAFT and draft.version_no == 2
    assert draft.predecessor_id == agenda_data.id
    assert [g.code for f in draft.action_fields for g in f.goals] == ["V-1", "V-2", "B-1", "B-2"]
    old_goal_ids = {g.id for f in agenda_data.action_fields for g in f.goals}
    assert not old_goal_ids & {g.id for f in draft.action_fields for g in f.goals}
    with pytest.raises(ValidationFailed):
        revise(agenda_data)  # only one draft at a time
    field = draft.action_fields[0]
    add_goal(field, "V-3", "Neues Ziel")
    new_field = add_action_field(draft, "S", "Smart City")
    add_goal(new_field, "S-1", "Sensorik")
    remove_goal(next(g for g in field.goals if g.code == "V-2"))
    with pytest.raises(ValidationFailed):
        add_goal(field, "v-1", "doppelt")
    adopt(draft, date(2027, 2, 1))
    db.session.commit()
    db.session.refresh(agenda_data)
    assert agenda_data.status == AgendaStatus.SUPERSEDED
    assert draft.status == AgendaStatus.ADOPTED and draft.adopted_on == date(2027, 2, 1)
    # the old version is unchanged and cannot be edited any more
    assert [g.code for f in agenda_data.action_fields for g in f.goals] == [
        "V-1",
        "V-2",
        "B-1",
        "B-2",
    ]
    with pytest.raises(ValidationFailed):
        add_goal(agenda_data.action_fields[0], "V-9", "zu spät")
    # links stay on the old goals; coverage of the new version follows the stable codes
    cov = _coverage_by_code(draft, users["coordinator"])
    assert {c.measure.title for c in cov["V-1"].measures} == {"Portal", "E-Akte"}
    assert all(c.via_version == 1 for c in cov["V-1"].measures)
    assert not cov["V-3"].covered and not cov["S-1"].covered
    assert "V-2" not in cov


def test_goal_with_measures_cannot_be_removed(agenda_data, db, factory, users):
    draft = revise(agenda_data)
    new_goal = draft.action_fields[0].goals[0]
    factory.measure(users["submitter"].department, goals=[new_goal])
    with pytest.raises(ValidationFailed) as error:
        remove_goal(new_goal)
    assert "zugeordnet" in error.value.message
    # goals of the adopted version are refused anyway (not a draft)
    with pytest.raises(ValidationFailed):
        remove_goal(agenda_data.action_fields[0].goals[1])


def test_only_draft_can_be_adopted(agenda_data):
    with pytest.raises(ValidationFailed):
        adopt(agenda_data, date(2026, 1, 1))


# --- pages --------------------------------------------------------------------------------


def test_agenda_page_for_submitter_is_read_only(agenda_data, login_as):
    html = login_as("submitter").get("/agenda/").get_data(as_text=True)
    assert "V-1" in html and "Portal" in html
    assert "Keine Maßnahme verfolgt dieses Ziel." in html
    assert "Fortschreibung anlegen" not in html


def test_agenda_refused_for_treasury(agenda_data, login_as):
    assert login_as("treasury").get("/agenda/").status_code == 403


def test_revise_and_adopt_through_the_pages(agenda_data, login_as, db):
    client = login_as("coordinator")
    url = f"/agenda/versionen/{agenda_data.id}/fortschreiben"
    response = post_form(client, url, {"title": "Agenda 2.0"}, token_from="/agenda/")
    assert response.status_code == 302
    draft = db.session.query(Agenda).filter_by(version_no=2).one()
    page = client.get(f"/agenda/versionen/{draft.id}").get_data(as_text=True)
    assert "Entwurf" in page and "Ziel hinzufügen" in page
    field = db.session.query(ActionField).filter_by(agenda_id=draft.id).first()
    response = post_form(
        client,
        f"/agenda/versionen/{draft.id}/ziele",
        {"action_field_id": str(field.id), "code": "V-7", "title": "Papierlos bis 2028"},
        token_from=f"/agenda/versionen/{draft.id}",
    )
    assert response.status_code == 302
    assert db.session.query(Goal).filter_by(code="V-7").count() == 1
    # bad date: refused, still a draft
    post_form(
        client,
        f"/agenda/versionen/{draft.id}/beschliessen",
        {"adopted_on": "kein Datum"},
        token_from=f"/agenda/versionen/{draft.id}",
    )
    db.session.refresh(draft)
    assert draft.status == AgendaStatus.DRAFT
    post_form(
        client,
        f"/agenda/versionen/{draft.id}/beschliessen",
        {"adopted_on": "2027-01-15"},
        token_from=f"/agenda/versionen/{draft.id}",
    )
    db.session.refresh(draft)
    db.session.refresh(agenda_data)
    assert draft.status == AgendaStatus.ADOPTED
    assert agenda_data.status == AgendaStatus.SUPERSEDED
    old = client.get(f"/agenda/versionen/{agenda_data.id}").get_data(as_text=True)
    assert "Abgelöst" in old and "V-2" in old
    current = client.get("/agenda/").get_data(as_text=True)
    assert "V-7" in current and "Version 2" in current


def test_a_measure_linked_in_two_versions_counts_once_and_names_the_newest(
    agenda_data, db, factory, users
):
    """Coverage of the new version: measures linked to the old or the new goal of the same
    code count once (total once), the newest link names the version; beyond the listed
    measures the count and total still cover all; a change shows at once."""
    dept = users["submitter"].department
    line = factory.budget_line(dept)
    draft = revise(agenda_data)
    db.session.commit()
    new_v1 = next(g for g in draft.action_fields[0].goals if g.code == "V-1")
    old_v1 = agenda_data.action_fields[0].goals[0]
    factory.measure(
        dept, S.APPROVED, "Beide", goals=[old_v1, new_v1], costs=[(line, 2026, "100.00")]
    )
    many = [
        factory.measure(dept, S.APPROVED, f"Neu {i}", goals=[new_v1], costs=[(line, 2028, "10")])
        for i in range(12)
    ]
    db.session.commit()
    cov = _coverage_by_code(draft, users["coordinator"])["V-1"]
    # Portal 1000 + E-Akte 500 (old links) + Beide 100 (once) + 12 x 10
    assert cov.count == 15 and cov.total == 1720
    assert len(cov.measures) == 10 and cov.more == 5
    listed = {c.measure.title: c.via_version for c in cov.measures}
    assert listed["Portal"] == 1 and listed["Beide"] == 2 and listed["Neu 0"] == 2
    assert cov.goal_ids == {old_v1.id, new_v1.id}
    # The cached coverage follows a change at once.
    many[0].status = S.CANCELLED
    db.session.commit()
    cov = _coverage_by_code(draft, users["coordinator"])["V-1"]
    assert cov.count == 14 and cov.total == 1710
    # A draft counts for those who may read it only (the result is cached per scope).
    factory.measure(dept, S.DRAFT, "Entwurf", goals=[new_v1])
    db.session.commit()
    assert _coverage_by_code(draft, users["coordinator"])["V-1"].count == 15
    assert _coverage_by_code(draft, users["other_submitter"])["V-1"].count == 14
