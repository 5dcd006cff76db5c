"""Potenzialcheck: catalogue, assessment form, averages, measures from first steps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from conftest import post_form
from sqlalchemy import func, select

from steuerung.models import (
    AuditEntry,
    MaturityAssessment,
    MaturityRating,
    MaturityStatement,
    Measure,
    MeasureStatus,
)
from steuerung.services.maturity import assessments as service


@pytest.fixture()
def statements(db):
    topics = service.ensure_catalogue()
    db.session.commit()
    return [s for t in topics for s in t.statements]


def _form_data(statements, value_for):
    data = {"title": "Herbst 2026", "assessed_on": "2026-11-20", "note": "Leitungsrunde"}
    for s in statements:
        data[f"rating_{s.id}"] = str(value_for(s))
        data[f"comment_{s.id}"] = ""
    return data


def test_catalogue_is_idempotent_and_covers_the_source_fields(db, statements):
    count = len(statements)
    service.ensure_catalogue()
    db.session.commit()
    assert db.session.scalar(select(func.count(MaturityStatement.id))) == count
    codes = {s.topic.name for s in statements}
    assert {"Führung und Strategie", "Steuerung und Struktur"} <= codes
    assert count >= 20


@pytest.mark.parametrize("role", ["submitter", "treasury"])
def test_departments_and_treasury_cannot_open_the_check(login_as, role):
    assert login_as(role).get("/potenzialcheck/").status_code == 403


def test_leadership_reads_but_cannot_create(login_as, statements):
    client = login_as("leadership")
    assert client.get("/potenzialcheck/").status_code == 200
    assert client.get("/potenzialcheck/neu").status_code == 403


def test_coordinator_records_assessment_and_averages_are_right(login_as, db, statements, users):
    client = login_as("coordinator")
    values = {s.id: (i % 4) + 1 for i, s in enumerate(statements)}
    response = post_form(
        client, "/potenzialcheck/neu", _form_data(statements, lambda s: values[s.id])
    )
    assert response.status_code == 302
    assessment = db.session.scalar(select(MaturityAssessment))
    assert assessment.assessed_on == date(2026, 11, 20)
    averages = service.topic_averages([assessment.id])
    for topic in {s.topic for s in statements}:
        mine = [values[s.id] for s in statements if s.topic_id == topic.id]
        expected = (Decimal(sum(mine)) / len(mine)).quantize(Decimal("0.01"))
        assert averages[(assessment.id, topic.id)] == expected
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Herbst 2026" in page and "Handlungsfeld" in page
    assert 'class="plotly-figure"' in page and "<caption>Mittelwert je Themenfeld" in page
    audit = db.session.scalar(
        select(AuditEntry).where(AuditEntry.entity_type == "maturity_assessments")
    )
    assert audit.user_id == users["coordinator"].id


def test_missing_and_invalid_ratings_are_refused_without_writing(login_as, db, statements):
    client = login_as("coordinator")
    data = _form_data(statements, lambda s: 3)
    del data[f"rating_{statements[0].id}"]
    data[f"rating_{statements[1].id}"] = "9"
    data["assessed_on"] = "31.02.2026"
    response = post_form(client, "/potenzialcheck/neu", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Bitte bewerten Sie diese Aussage." in html
    assert "Bitte geben Sie ein gültiges Datum an." in html
    assert f'aria-describedby="rating_{statements[0].id}-fehler"' in html
    assert db.session.scalar(select(func.count(MaturityRating.id))) == 0


def test_weak_statement_step_becomes_draft_measure(login_as, db, statements, users):
    client = login_as("coordinator")
    weak = statements[0]
    post_form(
        client, "/potenzialcheck/neu", _form_data(statements, lambda s: 1 if s.id == weak.id else 4)
    )
    assessment = db.session.scalar(select(MaturityAssessment))
    token_page = f"/potenzialcheck/{assessment.id}"
    response = post_form(
        client,
        f"/potenzialcheck/{assessment.id}/massnahme",
        {"statement_id": weak.id, "step": 0},
        token_from=token_page,
    )
    assert response.status_code == 302
    measure = db.session.scalar(select(Measure))
    assert measure.status == MeasureStatus.DRAFT
    assert measure.title == weak.first_step_list[0]
    assert measure.department_id == users["coordinator"].department_id
    assert weak.code in measure.description

    strong = statements[1]
    post_form(
        client,
        f"/potenzialcheck/{assessment.id}/massnahme",
        {"statement_id": strong.id, "step": 0},
        token_from=token_page,
    )
    post_form(
        client,
        f"/potenzialcheck/{assessment.id}/massnahme",
        {"statement_id": weak.id, "step": 99},
        token_from=token_page,
    )
    assert db.session.scalar(select(func.count(Measure.id))) == 1
    assert client.get("/potenzialcheck/999999").status_code == 404


def test_index_shows_trend_table(login_as, db, statements):
    client = login_as("coordinator")
    for day, value in (("2025-11-01", 2), ("2026-11-01", 3)):
        data = _form_data(statements, lambda s, v=value: v)
        data["assessed_on"], data["title"] = day, f"Check {day}"
        assert post_form(client, "/potenzialcheck/neu", data).status_code == 302
    html = client.get("/potenzialcheck/").get_data(as_text=True)
    assert "01.11.2025" in html and "01.11.2026" in html
    assert "2,00" in html and "3,00" in html
