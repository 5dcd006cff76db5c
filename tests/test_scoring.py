"""Scoring arithmetic: defaults, weights, gates, classes, rank override, criteria admin."""

from __future__ import annotations

from decimal import Decimal

import pytest

from steuerung.models import AuditEntry, CriterionKind, MeasureStatus, Score, ScoringCriterion
from steuerung.services.common.errors import ValidationFailed
from steuerung.services.portfolio.scoring import (
    DEFAULT_CRITERIA,
    ensure_default_criteria,
    priority_class,
    score_measure,
    set_rank_override,
    update_criteria,
)


def _weighted(criteria):
    return {c.name: c for c in criteria if c.kind == CriterionKind.WEIGHTED}


def test_default_criteria_are_idempotent_and_weights_add_up(db):
    first = ensure_default_criteria()
    second = ensure_default_criteria()
    assert len(first) == len(second) == len(DEFAULT_CRITERIA) == 9
    gates = [c for c in first if c.kind == CriterionKind.GATE]
    assert {c.gate_field for c in gates} == {
        "legal_obligation",
        "operation_critical",
        "political_mandate",
    }
    assert sum(c.weight for c in first if c.kind == CriterionKind.WEIGHTED) == Decimal("100")


def test_weighted_score_and_classes(db, factory, users):
    criteria = _weighted(ensure_default_criteria())
    measure = factory.measure(users["submitter"].department)
    all_five = {c.id: 5 for c in criteria.values()}
    score_measure(measure, all_five, users["coordinator"])
    assert measure.score == Decimal("100.00")
    assert measure.priority_class == "A"

    # 25 * 3/5 + 20 * 4/5 + 20 * 2/5 + 15 * 1/5 + 10 * 0/5 + 10 * 5/5 = 15+16+8+3+0+10 = 52
    values = dict(
        zip(
            [c.id for c in criteria.values()],
            [3, 4, 2, 1, 0, 5],
            strict=True,
        )
    )
    score_measure(measure, values, users["coordinator"])
    assert measure.score == Decimal("52.00")
    assert measure.priority_class == "B"
    assert db.session.query(Score).filter_by(measure_id=measure.id).count() == 6


def test_class_boundaries():
    assert priority_class(Decimal("70.00"), False) == "A"
    assert priority_class(Decimal("69.99"), False) == "B"
    assert priority_class(Decimal("45.00"), False) == "B"
    assert priority_class(Decimal("44.99"), False) == "C"
    assert priority_class(Decimal("0"), True) == "A"
    assert priority_class(None, False) is None


def test_gate_makes_class_a_whatever_the_score(db, factory, users):
    criteria = _weighted(ensure_default_criteria())
    measure = factory.measure(users["submitter"].department, political_mandate=True)
    score_measure(measure, {c.id: 1 for c in criteria.values()}, users["coordinator"])
    assert measure.score == Decimal("20.00")
    assert measure.priority_class == "A"


def test_partial_scores_count_missing_as_zero(db, factory, users):
    criteria = _weighted(ensure_default_criteria())
    measure = factory.measure(users["submitter"].department)
    score_measure(measure, {criteria["Strategischer Beitrag"].id: 5}, users["coordinator"])
    assert measure.score == Decimal("25.00")
    assert measure.priority_class == "C"


@pytest.mark.parametrize("bad", [6, -1, "x", "", None, "2.5"])
def test_values_outside_the_scale_are_refused_and_nothing_is_written(db, factory, users, bad):
    criteria = _weighted(ensure_default_criteria())
    measure = factory.measure(users["submitter"].department)
    ids = [c.id for c in criteria.values()]
    with pytest.raises(ValidationFailed):
        score_measure(measure, {ids[0]: 3, ids[1]: bad}, users["coordinator"])
    assert db.session.query(Score).count() == 0
    assert measure.score is None


def test_gate_criterion_cannot_be_scored(db, factory, users):
    gate = next(c for c in ensure_default_criteria() if c.kind == CriterionKind.GATE)
    measure = factory.measure(users["submitter"].department)
    with pytest.raises(ValidationFailed):
        score_measure(measure, {gate.id: 3}, users["coordinator"])


def test_rank_override_needs_reason(db, factory, users):
    measure = factory.measure(users["submitter"].department)
    with pytest.raises(ValidationFailed) as error:
        set_rank_override(measure, 1, "  ", users["coordinator"])
    assert error.value.field == "reason"
    assert measure.rank_override is None
    with pytest.raises(ValidationFailed):
        set_rank_override(measure, 0, "Begründung", users["coordinator"])
    set_rank_override(measure, 1, "Ratsbeschluss vom 12.03.", users["coordinator"])
    assert measure.rank_override == 1
    assert measure.rank_override_reason == "Ratsbeschluss vom 12.03."
    set_rank_override(measure, None, "", users["coordinator"])
    assert measure.rank_override is None and measure.rank_override_reason == ""


def test_scores_and_override_are_audited(db, factory, users):
    criteria = _weighted(ensure_default_criteria())
    measure = factory.measure(users["submitter"].department)
    score_measure(measure, {c.id: 2 for c in criteria.values()}, users["coordinator"])
    set_rank_override(measure, 2, "Dringend", users["coordinator"])
    db.session.commit()
    entries = db.session.query(AuditEntry).filter_by(measure_id=measure.id).all()
    types = {e.entity_type for e in entries}
    assert "scores" in types
    assert any("rank_override" in (e.changes or {}) for e in entries)


def _rows(criteria, **changes):
    rows = []
    for c in criteria:
        row = {
            "id": c.id,
            "name": c.name,
            "description": c.description,
            "kind": c.kind.value,
            "weight": str(c.weight),
            "gate_field": c.gate_field,
            "is_active": c.is_active,
        }
        row.update(changes.get(c.name, {}))
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    "weight",
    ["-5", "101", "abc", "nan", "30"],
)
def test_bad_weights_are_refused(db, weight):
    criteria = ensure_default_criteria()
    db.session.commit()
    with pytest.raises(ValidationFailed) as error:
        update_criteria(_rows(criteria, **{"Strategischer Beitrag": {"weight": weight}}))
    assert error.value.field == "weight"
    db.session.rollback()
    stored = db.session.query(ScoringCriterion).filter_by(name="Strategischer Beitrag").one()
    assert stored.weight == Decimal("25")


def test_changing_weights_recomputes_scores(db, factory, users):
    criteria = ensure_default_criteria()
    weighted = _weighted(criteria)
    measure = factory.measure(users["submitter"].department)
    score_measure(measure, {weighted["Strategischer Beitrag"].id: 5}, users["coordinator"])
    assert measure.score == Decimal("25.00")
    update_criteria(
        _rows(
            criteria,
            **{
                "Strategischer Beitrag": {"weight": "35"},
                "Dringlichkeit": {"weight": "0", "is_active": False},
            },
        )
    )
    assert measure.score == Decimal("35.00")


# --- pages --------------------------------------------------------------------------------


def test_scoring_form_saves_and_shows_rank(db, factory, users, login_as):
    from conftest import post_form

    criteria = _weighted(ensure_default_criteria())
    dept = users["submitter"].department
    first = factory.measure(dept, MeasureStatus.APPROVED, "Erste", score=Decimal("60"))
    first.priority_class = "B"
    second = factory.measure(dept, MeasureStatus.APPROVED, "Zweite")
    db.session.commit()
    client = login_as("coordinator")
    url = f"/portfolio/measures/{second.id}/score"
    data = {f"c_{c.id}": "5" for c in criteria.values()}
    response = post_form(client, url, data)
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "Score 100,00, Klasse A, Rang 1" in html
    db.session.refresh(second)
    assert second.score == Decimal("100.00")


def test_scoring_form_missing_value_is_refused(db, factory, users, login_as):
    from conftest import post_form

    criteria = _weighted(ensure_default_criteria())
    measure = factory.measure(users["submitter"].department, MeasureStatus.SUBMITTED)
    db.session.commit()
    client = login_as("coordinator")
    ids = [c.id for c in criteria.values()]
    data = {f"c_{cid}": "3" for cid in ids[1:]}
    data[f"c_{ids[0]}"] = "9"
    response = post_form(client, f"/portfolio/measures/{measure.id}/score", data)
    assert response.status_code == 400
    assert "Bitte korrigieren Sie" in response.get_data(as_text=True)
    assert db.session.query(Score).count() == 0


def test_rank_override_through_the_page(db, factory, users, login_as):
    from conftest import post_form

    measure = factory.measure(users["submitter"].department, MeasureStatus.APPROVED)
    db.session.commit()
    client = login_as("coordinator")
    url = f"/portfolio/measures/{measure.id}/rank"
    page = f"/portfolio/measures/{measure.id}/score"
    html = post_form(
        client, url, {"rank": "1", "reason": ""}, token_from=page, follow_redirects=True
    )
    assert "Begründung" in html.get_data(as_text=True)
    db.session.refresh(measure)
    assert measure.rank_override is None
    post_form(client, url, {"rank": "1", "reason": "Ratsauftrag"}, token_from=page)
    db.session.refresh(measure)
    assert measure.rank_override == 1
    html = client.get(page).get_data(as_text=True)
    assert "manuell festgelegt: Rang 1" in html and "Ratsauftrag" in html
    assert "Manueller Rang" in html  # history shows the override


def _criteria_form_data(criteria, **changes):
    data = {}
    for index, c in enumerate(criteria):
        prefix = f"row_{index}-"
        row = {
            "criterion_id": str(c.id),
            "name": c.name,
            "description": c.description,
            "kind": c.kind.value,
            "weight": str(c.weight),
            "gate_field": c.gate_field or "",
            "is_active": "y" if c.is_active else "",
        }
        row.update(changes.get(c.name, {}))
        data.update({prefix + k: v for k, v in row.items() if k != "is_active" or v})
    return data


@pytest.mark.parametrize("weight", ["-1", "150", "viel", "26"])
def test_criteria_page_refuses_bad_weights(db, login_as, weight):
    from conftest import post_form

    from steuerung.services.portfolio.scoring import active_and_inactive_criteria

    ensure_default_criteria()
    db.session.commit()
    client = login_as("coordinator")
    criteria = active_and_inactive_criteria()
    data = _criteria_form_data(criteria, **{"Dringlichkeit": {"weight": weight}})
    response = post_form(client, "/portfolio/criteria", data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "nicht gespeichert" in html and "Gewicht" in html
    db.session.expire_all()
    assert db.session.query(ScoringCriterion).filter_by(name="Dringlichkeit").one().weight == 10


def test_criteria_page_saves_valid_weights_and_new_criterion(db, login_as):
    from conftest import post_form

    from steuerung.services.portfolio.scoring import active_and_inactive_criteria

    ensure_default_criteria()
    db.session.commit()
    client = login_as("coordinator")
    criteria = active_and_inactive_criteria()
    data = _criteria_form_data(criteria, **{"Dringlichkeit": {"weight": "5"}})
    data.update(
        {
            "new-name": "Nachnutzbarkeit",
            "new-kind": "weighted",
            "new-weight": "5,0",
            "new-is_active": "y",
        }
    )
    response = post_form(client, "/portfolio/criteria", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 302, html[html.find("<h1") : html.find("<h1") + 1200]
    db.session.expire_all()
    new = db.session.query(ScoringCriterion).filter_by(name="Nachnutzbarkeit").one()
    assert new.weight == Decimal("5")


@pytest.mark.parametrize("role", ["leadership", "submitter", "treasury"])
def test_scoring_pages_only_for_the_office(db, factory, users, login_as, role):
    measure = factory.measure(users["submitter"].department)
    db.session.commit()
    client = login_as(role)
    assert client.get(f"/portfolio/measures/{measure.id}/score").status_code == 403
    assert client.get("/portfolio/criteria").status_code == 403
