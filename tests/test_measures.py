"""Submission form, editing with optimistic locking, validation, list and detail pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from conftest import post_form
from measures_helpers import form_payload, make_measure, world_fixture  # noqa: F401
from sqlalchemy import select

from steuerung.models import (
    AuditEntry,
    ChangeRequest,
    ChangeRequestStatus,
    CostPlanEntry,
    Measure,
    MeasureStatus,
    StatusChange,
)


def _count(db, model):
    return db.session.query(model).count()


def test_new_form_shows_sections_and_choices(login_as, world):
    client = login_as("submitter")
    html = client.get("/massnahmen/neu").get_data(as_text=True)
    for section in ("1. Was", "2. Warum", "3. Wer", "4. Wann", "5. Geld"):
        assert section in html
    assert "V-1 – Ziel V-1" in html
    assert world.line.label in html
    assert "Kostenzeile 3" in html  # fixed empty rows: works without JavaScript
    assert 'for="cost_plan-0-amount"' in html


def test_save_draft_creates_measure_with_goals_cost_plan_and_audit(login_as, world, db):
    client = login_as("submitter")
    response = post_form(client, "/massnahmen/neu", form_payload(world))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    measure = db.session.query(Measure).one()
    assert measure.status == MeasureStatus.DRAFT
    assert measure.department_id == world.users["submitter"].department_id
    assert sorted(g.code for g in measure.goals) == ["V-1", "V-2"]
    amounts = sorted((e.year, e.amount) for e in measure.cost_plan)
    assert amounts == [(2026, Decimal("12500.50")), (2027, Decimal("30000.00"))]
    grant = next(e for e in measure.cost_plan if e.year == 2027)
    assert grant.funding_programme == "Digitalpakt" and grant.funding_share == Decimal("50")
    assert measure.running_cost_after_horizon == Decimal("1200.00")
    assert [m.title for m in measure.milestones] == ["Ausschreibung"]
    assert db.session.query(AuditEntry).filter_by(measure_id=measure.id).count() >= 4
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Die Maßnahme wurde gespeichert." in page
    assert "Online-Terminvergabe Bürgerbüro" in page


def test_submit_complete_measure(login_as, world, db):
    client = login_as("submitter")
    payload = form_payload(world, save=None, submit_measure="Speichern und einreichen")
    response = post_form(client, "/massnahmen/neu", payload)
    assert response.status_code == 302
    measure = db.session.query(Measure).one()
    assert measure.status == MeasureStatus.SUBMITTED
    change = db.session.query(StatusChange).one()
    assert (change.from_status, change.to_status) == (MeasureStatus.DRAFT, MeasureStatus.SUBMITTED)


def test_submit_incomplete_measure_shows_missing_fields_and_writes_nothing(login_as, world, db):
    client = login_as("submitter")
    payload = form_payload(
        world,
        save=None,
        submit_measure="Speichern und einreichen",
        description="",
        owner_id="",
        goals=[],
        **{"cost_plan-0-amount": "", "cost_plan-0-year": "", "cost_plan-0-budget_line_id": ""},
        **{"cost_plan-1-amount": "", "cost_plan-1-year": "", "cost_plan-1-budget_line_id": ""},
    )
    response = post_form(client, "/massnahmen/neu", payload)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bitte beschreiben Sie die Maßnahme." in html
    assert "Bitte benennen Sie eine verantwortliche Person." in html
    assert "Bitte ordnen Sie mindestens ein Ziel der Digitalen Agenda zu." in html
    assert "Bitte erfassen Sie den Kostenplan" in html
    assert 'id="description-fehler"' in html
    assert _count(db, Measure) == 0


BAD_INPUTS = [
    ({"cost_plan-0-amount": "-5"}, "cost_plan-0-amount", "darf nicht negativ sein"),
    ({"cost_plan-0-amount": "zwölf"}, "cost_plan-0-amount", "Bitte geben Sie eine Zahl ein"),
    ({"cost_plan-0-amount": "1,2,3"}, "cost_plan-0-amount", "enthält mehrere Kommas"),
    ({"cost_plan-0-amount": "1,234"}, "cost_plan-0-amount", "zwei Nachkommastellen"),
    ({"running_cost_after_horizon": "-1"}, "running_cost_after_horizon", "darf nicht negativ sein"),
    ({"end_date": "2026-01-01"}, "end_date", "Das Ende darf nicht vor dem Beginn liegen."),
    ({"start_date": "31.02.2026"}, "start_date", "gültiges Datum"),
    ({"cost_plan-0-year": "2031"}, "cost_plan-0-year", "nicht im Planungszeitraum"),
    ({"cost_plan-0-year": "abc"}, "cost_plan-0-year", "nicht im Planungszeitraum"),
    (
        {"cost_plan-0-budget_line_id": "99999"},
        "cost_plan-0-budget_line_id",
        "Haushaltsstelle gibt es nicht",
    ),
    ({"goals": ["99999"]}, "goals", "nur Ziele der beschlossenen Digitalen Agenda"),
    ({"goals": ["x"]}, "goals", "nur Ziele der beschlossenen Digitalen Agenda"),
    ({"owner_id": "99999"}, "owner_id", "aktive Person Ihres Fachbereichs"),
    ({"category": "mond"}, "category", "Kategorie der Liste"),
    ({"title": "x" * 201}, "title", "höchstens 200 Zeichen"),
    ({"ozg_leika_key": "12345"}, "ozg_leika_key", "14 Ziffern"),
    ({"title": ""}, "title", "Bitte geben Sie einen Titel ein."),
    ({"description": "x" * 10001}, "description", "Höchstens 10000 Zeichen"),
    ({"cost_plan-0-funding_share": "150"}, "cost_plan-0-funding_share", "zu groß"),
    ({"cost_plan-0-amount": ""}, "cost_plan-0-amount", "Bitte geben Sie einen Betrag an."),
    ({"milestones-1-title": "Go-live"}, "milestones-1-due_date", "Fälligkeitsdatum"),
]


@pytest.mark.parametrize(("override", "field", "message"), BAD_INPUTS)
def test_bad_input_is_refused_on_the_field_and_nothing_is_written(
    login_as, world, db, override, field, message
):
    client = login_as("submitter")
    audit_before = _count(db, AuditEntry)
    response = post_form(client, "/massnahmen/neu", form_payload(world, **override))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert f'id="{field}-fehler"' in html, html[html.find("fehlerliste") :][:1500]
    assert _count(db, Measure) == 0
    assert _count(db, CostPlanEntry) == 0
    assert _count(db, AuditEntry) == audit_before


def test_other_departments_owner_is_refused(login_as, world, db):
    client = login_as("submitter")
    payload = form_payload(world, owner_id=str(world.users["other_submitter"].id))
    html = post_form(client, "/massnahmen/neu", payload).get_data(as_text=True)
    assert "aktive Person Ihres Fachbereichs" in html
    assert _count(db, Measure) == 0


def test_any_active_budget_line_is_allowed(login_as, world, db):
    client = login_as("submitter")
    payload = form_payload(world, **{"cost_plan-0-budget_line_id": str(world.other_line.id)})
    assert post_form(client, "/massnahmen/neu", payload).status_code == 302


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1.234,56", "1234.56"),
        ("1234,5", "1234.5"),
        ("1.234", "1234"),
        ("12.5", "12.5"),
        ("1.234.567,00 €", "1234567.00"),
        # As typed from English software: the last separator carries the decimals.
        ("1,000.50", "1000.50"),
        ("1,234,567.89", "1234567.89"),
        ("1 234,56", "1234.56"),
        ("12\u00a0500 €", "12500"),
    ],
)
def test_german_amount_formats(typed, value):
    from steuerung.services.common.numbers import parse_decimal

    assert parse_decimal(typed) == Decimal(value)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e5", "„1e5“ ist keine"),
        ("1,00,0.50", "Tausendertrennzeichen stehen nach je drei Ziffern"),
        ("1.23.4", "Tausenderpunkte stehen nach je drei Ziffern"),
        ("1,2,3", "mehrere Kommas"),
        ("1,005", "höchstens zwei Nachkommastellen"),
        ("-5", "nicht negativ"),
        ("", "Bitte geben Sie eine Zahl ein"),
    ],
)
def test_bad_amounts_say_what_is_wrong(typed, message):
    from steuerung.services.common.numbers import NumberError, parse_decimal

    with pytest.raises(NumberError, match=message):
        parse_decimal(typed)


def test_english_typed_amount_is_saved_in_the_cost_plan(login_as, world, db):
    client = login_as("submitter")
    payload = form_payload(world, **{"cost_plan-0-amount": "1,000.50"})
    response = post_form(client, "/massnahmen/neu", payload)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    measure = db.session.scalars(select(Measure).order_by(Measure.id.desc())).first()
    assert Decimal("1000.50") in [e.amount for e in measure.cost_plan]


def _edit_payload(world, measure, **overrides):
    payload = form_payload(world, version_id=str(measure.version_id))
    payload.update(overrides)
    return payload


def test_edit_updates_fields_and_history_shows_german_labels(login_as, world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.DRAFT)
    db.session.commit()
    client = login_as("submitter")
    url = f"/massnahmen/{measure.id}/bearbeiten"
    html = client.get(url).get_data(as_text=True)
    assert f'value="{measure.version_id}"' in html
    response = post_form(client, url, _edit_payload(world, measure, title="Neuer Titel"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert db.session.get(Measure, measure.id).title == "Neuer Titel"
    history = client.get(f"/massnahmen/{measure.id}?tab=verlauf").get_data(as_text=True)
    assert "Titel:" in history and "Neuer Titel" in history
    assert "Kostenplan angelegt" in history


def test_optimistic_lock_refuses_second_save_and_shows_both(login_as, world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.DRAFT, title="Original")
    db.session.commit()
    stale_version = measure.version_id
    # someone else saves in between
    measure.title = "Von Kollegin gespeichert"
    db.session.commit()
    client = login_as("submitter")
    url = f"/massnahmen/{measure.id}/bearbeiten"
    payload = form_payload(world, version_id=str(stale_version), title="Meine Fassung")
    response = post_form(client, url, payload)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "inzwischen von einer anderen Person gespeichert" in html
    assert 'value="Meine Fassung"' in html  # own input kept
    assert "Von Kollegin gespeichert" in html  # the other person's values shown
    db.session.expire_all()
    assert db.session.get(Measure, measure.id).title == "Von Kollegin gespeichert"
    # saving again (now with the current version) is a conscious overwrite
    payload["version_id"] = str(db.session.get(Measure, measure.id).version_id)
    assert post_form(client, url, payload).status_code == 302


def test_approved_measure_cost_plan_is_locked_for_department(login_as, world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.APPROVED)
    db.session.commit()
    client = login_as("submitter")
    url = f"/massnahmen/{measure.id}/bearbeiten"
    html = client.get(url).get_data(as_text=True)
    assert "cost_plan-0-amount" not in html
    assert "Änderungsantrag" in html
    payload = _edit_payload(world, measure, description="Neue Beschreibung")
    payload["cost_plan-0-amount"] = "999999"  # ignored: not editable
    response = post_form(client, url, payload)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    fresh = db.session.get(Measure, measure.id)
    assert fresh.description == "Neue Beschreibung"
    assert [e.amount for e in fresh.cost_plan] == [Decimal("1000.00")]


def test_change_request_filed_and_accepted(login_as, world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.APPROVED)
    db.session.commit()
    client = login_as("submitter")
    url = f"/massnahmen/{measure.id}/aenderungsantrag"
    payload = {
        "reason": "Lizenz teurer",
        "cost_plan-0-year": "2026",
        "cost_plan-0-budget_line_id": str(world.line.id),
        "cost_plan-0-amount": "1.500,00",
        "cost_plan-0-kind": "consumptive",
        "cost_plan-0-funding_source": "own",
    }
    response = post_form(client, url, payload)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    request_row = db.session.query(ChangeRequest).one()
    assert request_row.payload["cost_plan"][0]["amount"] == "1500.00"
    client.post("/auth/logout", data={"csrf_token": _token(client)})
    coordinator = login_as("coordinator")
    page = coordinator.get(f"/massnahmen/{measure.id}?tab=kosten").get_data(as_text=True)
    assert "Lizenz teurer" in page and "Annehmen und übernehmen" in page
    decide = f"/massnahmen/{measure.id}/aenderungsantrag/{request_row.id}"
    response = post_form(
        coordinator,
        decide,
        {"accept": "1", "note": "ok"},
        token_from=f"/massnahmen/{measure.id}?tab=kosten",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ChangeRequest, request_row.id).status == ChangeRequestStatus.ACCEPTED
    assert [e.amount for e in db.session.get(Measure, measure.id).cost_plan] == [Decimal("1500.00")]


def test_change_request_bad_input(login_as, world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.APPROVED)
    db.session.commit()
    client = login_as("submitter")
    url = f"/massnahmen/{measure.id}/aenderungsantrag"
    payload = {
        "reason": "",
        "cost_plan-0-year": "2040",
        "cost_plan-0-budget_line_id": str(world.line.id),
        "cost_plan-0-amount": "-3",
    }
    html = post_form(client, url, payload).get_data(as_text=True)
    assert "Bitte begründen Sie die Änderung." in html
    assert "nicht im Planungszeitraum" in html
    assert "darf nicht negativ sein" in html
    assert _count(db, ChangeRequest) == 0


def _token(client):
    from conftest import csrf_token

    return csrf_token(client, "/")


def test_list_shows_own_department_with_due_report_and_questions(login_as, world, factory, db):
    own = make_measure(
        factory, world, MeasureStatus.APPROVED, title="Eigene", start_date=date(2020, 1, 1)
    )
    make_measure(factory, world, MeasureStatus.DRAFT, own=False, title="Fremder Entwurf")
    db.session.commit()
    html = login_as("submitter").get("/massnahmen/").get_data(as_text=True)
    assert "Meine Maßnahmen" in html
    assert "Eigene" in html and "überfällig" in html
    assert "Fremder Entwurf" not in html
    assert own.reference in html


def test_coordinator_list_filters_by_status(login_as, world, factory, db):
    make_measure(factory, world, MeasureStatus.SUBMITTED, title="Eingereichte")
    make_measure(factory, world, MeasureStatus.DRAFT, own=False, title="Entwurf B")
    db.session.commit()
    client = login_as("coordinator")
    html = client.get("/massnahmen/").get_data(as_text=True)
    assert "Eingereichte" in html and "Entwurf B" in html
    html = client.get("/massnahmen/?status=submitted").get_data(as_text=True)
    assert "Eingereichte" in html and "Entwurf B" not in html
    assert client.get("/massnahmen/?status=quatsch&seite=x&fachbereich=y").status_code == 200


def _populate(factory, world, n):
    for i in range(n):
        m = make_measure(
            factory, world, MeasureStatus.APPROVED if i % 2 else MeasureStatus.DRAFT, own=i % 3 != 0
        )
        m.milestones  # noqa: B018


@pytest.mark.parametrize("role", ["submitter", "coordinator"])
def test_list_query_count_does_not_grow(login_as, world, factory, db, role):
    _populate(factory, world, 3)
    db.session.commit()
    client = login_as(role)
    db.session.expire_all()  # the test shares the session with the requests
    few = int(client.get("/massnahmen/").headers["X-Query-Count"])
    _populate(factory, world, 27)
    db.session.commit()
    db.session.expire_all()
    many = int(client.get("/massnahmen/").headers["X-Query-Count"])
    assert few == many


@pytest.mark.parametrize("tab", ["uebersicht", "kosten", "berichte", "verlauf"])
def test_detail_query_count_does_not_grow(login_as, world, factory, db, tab):
    small = make_measure(factory, world, MeasureStatus.IN_PROGRESS)
    big = make_measure(factory, world, MeasureStatus.IN_PROGRESS)
    _populate(factory, world, 3)
    db.session.commit()
    from steuerung.models import KeyFigure, KeyFigureValue, Milestone, StatusReport, TrafficLight

    def grow(measure, n):
        for i in range(n):
            measure.milestones.append(Milestone(title=f"M{i}", due_date=date(2026, 1, 1 + i % 28)))
            measure.status_reports.append(
                StatusReport(
                    reported_on=date(2026, 1, 1 + i % 28),
                    schedule_light=TrafficLight.GREEN,
                    cost_light=TrafficLight.RED,
                    scope_light=TrafficLight.YELLOW,
                )
            )
            figure = KeyFigure(name=f"K{i}")
            figure.values.append(KeyFigureValue(measured_on=date(2026, 1, 1), value=Decimal("1")))
            measure.key_figures.append(figure)
            measure.title = f"Titel {i}"
            db.session.flush()

    grow(small, 3)
    grow(big, 30)
    _populate(factory, world, 27)
    db.session.commit()
    client = login_as("coordinator")
    db.session.expire_all()  # the test shares the session with the requests
    few = client.get(f"/massnahmen/{small.id}?tab={tab}")
    db.session.expire_all()
    many = client.get(f"/massnahmen/{big.id}?tab={tab}")
    assert few.status_code == many.status_code == 200
    assert int(few.headers["X-Query-Count"]) == int(many.headers["X-Query-Count"])


def test_unknown_measure_is_404(login_as, world):
    client = login_as("coordinator")
    assert client.get("/massnahmen/424242").status_code == 404
    assert client.get("/massnahmen/424242/bearbeiten").status_code == 404


def test_milestone_tick_and_key_figure_value(login_as, world, factory, db):
    from steuerung.models import KeyFigure, KeyFigureValue, Milestone

    measure = make_measure(factory, world, MeasureStatus.IN_PROGRESS)
    measure.milestones.append(Milestone(title="Start", due_date=date(2026, 3, 1)))
    db.session.commit()
    client = login_as("submitter")
    milestone = measure.milestones[0]
    detail = f"/massnahmen/{measure.id}"
    response = post_form(client, f"{detail}/meilensteine/{milestone.id}", {}, token_from=detail)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Milestone, milestone.id).done_on == date.today()
    response = post_form(
        client,
        f"{detail}/kennzahlen",
        {"name": "Online-Anträge", "unit": "%", "baseline": "10", "target": "80"},
        token_from=detail,
    )
    assert response.status_code == 302
    figure = db.session.query(KeyFigure).one()
    response = post_form(
        client,
        f"{detail}/kennzahlen/{figure.id}/werte",
        {"measured_on": "2026-05-01", "value": "42,5"},
        token_from=detail,
    )
    assert response.status_code == 302
    assert db.session.query(KeyFigureValue).one().value == Decimal("42.50")
    response = post_form(
        client,
        f"{detail}/kennzahlen/{figure.id}/werte",
        {"measured_on": "2026-05-01", "value": "viel"},
        token_from=detail,
    )
    assert response.status_code == 302
    assert db.session.query(KeyFigureValue).count() == 1
    page = client.get(f"{detail}?tab=berichte").get_data(as_text=True)
    assert "Online-Anträge" in page and "42,50" in page


def test_more_rows_without_javascript_keeps_input_and_writes_nothing(login_as, world, db):
    client = login_as("submitter")
    payload = form_payload(world, more_rows="1")
    response = post_form(client, "/massnahmen/neu", payload)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Kostenzeile 6" in html
    assert 'value="12.500,50"' in html
    assert _count(db, Measure) == 0


def test_submitted_measure_department_may_change_only_owner_and_contact(
    login_as, world, factory, db
):
    measure = make_measure(factory, world, MeasureStatus.SUBMITTED, title="Alt")
    db.session.commit()
    client = login_as("submitter")
    url = f"/massnahmen/{measure.id}/bearbeiten"
    html = client.get(url).get_data(as_text=True)
    assert 'name="contact"' in html and 'name="owner_id"' in html
    assert 'name="title"' not in html and "cost_plan-0-amount" not in html
    assert "Speichern und einreichen" not in html
    payload = _edit_payload(world, measure, title="Neu", contact="Zimmer 12")
    assert post_form(client, url, payload).status_code == 302
    db.session.expire_all()
    fresh = db.session.get(Measure, measure.id)
    assert (fresh.title, fresh.contact) == ("Alt", "Zimmer 12")


def test_completed_measure_cannot_be_edited(login_as, world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.COMPLETED)
    db.session.commit()
    client = login_as("coordinator")
    response = client.get(f"/massnahmen/{measure.id}/bearbeiten")
    assert response.status_code == 302
    assert "nicht bearbeiten" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_history_names_people_and_budget_lines(login_as, world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.DRAFT)
    db.session.commit()
    client = login_as("submitter")
    url = f"/massnahmen/{measure.id}/bearbeiten"
    payload = _edit_payload(world, measure)
    assert post_form(client, url, payload).status_code == 302
    html = client.get(f"/massnahmen/{measure.id}?tab=verlauf").get_data(as_text=True)
    assert "Verantwortliche Person:" in html
    assert world.users["submitter"].full_name in html
    assert world.invest_line.label in html
    assert "Ziele:" in html


def test_open_change_request_is_shown_and_can_be_declined(login_as, world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.IN_PROGRESS)
    db.session.flush()
    request_row = ChangeRequest(
        measure_id=measure.id,
        requested_by_id=world.users["submitter"].id,
        reason="Mehr Lizenzen",
        payload={
            "cost_plan": [
                {
                    "year": 2026,
                    "budget_line_id": world.line.id,
                    "amount": "5000.00",
                    "kind": "consumptive",
                    "funding_source": "own",
                    "funding_programme": "",
                    "funding_share": "0",
                    "is_running_cost": False,
                }
            ]
        },
    )
    db.session.add(request_row)
    db.session.commit()
    client = login_as("coordinator")
    detail = f"/massnahmen/{measure.id}"
    assert "offener Änderungsantrag" in client.get(detail).get_data(as_text=True)
    page = client.get(f"{detail}?tab=kosten").get_data(as_text=True)
    assert "5.000,00" in page and world.line.label in page
    url = f"{detail}/aenderungsantrag/{request_row.id}"
    response = post_form(client, url, {"decline": "1", "note": "Kein Budget"}, token_from=detail)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ChangeRequest, request_row.id).status == ChangeRequestStatus.DECLINED
    assert [e.amount for e in db.session.get(Measure, measure.id).cost_plan] == [Decimal("1000.00")]
    # deciding twice is refused with a message
    response = post_form(client, url, {"accept": "1"}, token_from=detail)
    assert "bereits entschieden" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_department_cannot_decide_change_requests(login_as, world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.APPROVED)
    db.session.flush()
    request_row = ChangeRequest(measure_id=measure.id, reason="r", payload={"cost_plan": []})
    db.session.add(request_row)
    db.session.commit()
    client = login_as("submitter")
    detail = f"/massnahmen/{measure.id}"
    url = f"{detail}/aenderungsantrag/{request_row.id}"
    assert post_form(client, url, {"accept": "1"}, token_from=detail).status_code == 403


GARBAGE = [
    {},
    {"title": "\x00<script>alert(1)</script>", "category": "", "kind": "", "owner_id": "abc"},
    {"goals": ["1", "abc", "-5"], "ozg_maturity_level": "99", "ozg_implementation": "x"},
    {"cost_plan-0-year": "9" * 30, "cost_plan-0-amount": "9" * 40, "cost_plan-0-kind": "?"},
    {"cost_plan-70-year": "2026", "cost_plan-70-amount": "1", "milestones-0-due_date": "x"},
    {"start_date": "2026-13-45", "end_date": "0000-00-00", "legal_deadline": "morgen"},
    {"running_cost_after_horizon": "NaN", "cost_plan-0-funding_share": "Infinity"},
    {"target": "submitted", "reason": "x" * 5000, "body": "y" * 20000},
    {"measured_on": "gestern", "value": "1e400", "name": "", "baseline": "--1"},
    {"progress_percent": "1" * 50, "schedule_light": "lila", "reported_on": "2026-02-30"},
]


@pytest.mark.parametrize("payload", GARBAGE)
def test_garbage_never_causes_a_server_error(login_as, world, factory, db, payload):
    from steuerung.models import KeyFigure, Milestone

    draft = make_measure(factory, world, MeasureStatus.DRAFT)
    running = make_measure(factory, world, MeasureStatus.IN_PROGRESS)
    running.milestones.append(Milestone(title="M", due_date=date(2026, 1, 1)))
    running.key_figures.append(KeyFigure(name="K"))
    db.session.commit()
    client = login_as("submitter")
    from conftest import csrf_token

    token = csrf_token(client, "/")
    urls = [
        "/massnahmen/neu",
        f"/massnahmen/{draft.id}/bearbeiten",
        f"/massnahmen/{running.id}/bearbeiten",
        f"/massnahmen/{draft.id}/status",
        f"/massnahmen/{draft.id}/antwort",
        f"/massnahmen/{running.id}/statusbericht",
        f"/massnahmen/{running.id}/kennzahlen",
        f"/massnahmen/{running.id}/kennzahlen/{running.key_figures[0].id}/werte",
        f"/massnahmen/{running.id}/aenderungsantrag",
    ]
    for url in urls:
        response = client.post(url, data={**payload, "csrf_token": token}, follow_redirects=True)
        assert response.status_code < 500, (url, response.get_data(as_text=True)[:2000])
        body = response.get_data(as_text=True)
        assert "Not a valid" not in body and "This field" not in body, (url, body[:3000])


def test_list_filters_open_questions_and_change_requests(login_as, world, factory, db):
    from steuerung.models import MeasureComment

    asked = make_measure(factory, world, MeasureStatus.RETURNED, title="Mit Rückfrage")
    asked.comments.append(MeasureComment(kind="question", body="?"))
    requested = make_measure(factory, world, MeasureStatus.APPROVED, title="Mit Antrag")
    make_measure(factory, world, MeasureStatus.APPROVED, title="Ohne alles")
    db.session.flush()
    db.session.add(ChangeRequest(measure_id=requested.id, reason="r", payload={}))
    db.session.commit()
    client = login_as("coordinator")
    html = client.get("/massnahmen/?offen=1").get_data(as_text=True)
    assert "Mit Rückfrage" in html and "Mit Antrag" in html
    assert "Ohne alles" not in html
    assert "Änderungsantrag</span>" in html


def test_race_between_check_and_save_is_a_conflict_not_an_error(
    login_as, world, factory, db, monkeypatch
):
    """Two saves that pass the version check at the same moment: the database refuses the
    second (SQLAlchemy version counter) and the user sees the conflict page."""
    from sqlalchemy import update

    from steuerung.services.measures import editing as service

    measure = make_measure(factory, world, MeasureStatus.DRAFT, title="Original")
    db.session.commit()
    original_check = service.check_version

    def check_then_someone_saves(obj, expected, *args):
        original_check(obj, expected, *args)
        db.session.execute(
            update(Measure.__table__)
            .where(Measure.__table__.c.id == obj.id)
            .values(title="Parallel gespeichert", version_id=obj.version_id + 1)
        )

    monkeypatch.setattr(service, "check_version", check_then_someone_saves)
    client = login_as("submitter")
    url = f"/massnahmen/{measure.id}/bearbeiten"
    response = post_form(client, url, _edit_payload(world, measure, title="Meine Fassung"))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "inzwischen von einer anderen Person gespeichert" in html
    assert 'value="Meine Fassung"' in html


def test_coordinator_records_a_measure_for_another_department(login_as, world, db):
    other = world.users["other_submitter"]
    client = login_as("coordinator")
    url = f"/massnahmen/neu?fachbereich={other.department_id}"
    html = client.get(url).get_data(as_text=True)
    assert "Fachbereich der neuen Maßnahme" in html
    assert other.full_name in html and world.users["submitter"].full_name not in html
    response = post_form(client, url, form_payload(world, owner_id=str(other.id)))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert db.session.query(Measure).one().department_id == other.department_id


def test_submitter_cannot_pick_another_department(login_as, world, db):
    other = world.users["other_submitter"]
    client = login_as("submitter")
    url = f"/massnahmen/neu?fachbereich={other.department_id}"
    assert "Fachbereich der neuen Maßnahme" not in client.get(url).get_data(as_text=True)
    assert post_form(client, url, form_payload(world)).status_code == 302
    assert db.session.query(Measure).one().department_id == world.users["submitter"].department_id
