"""Status reports: the form, last_report_on, next due date and the overdue rule (SQL and Python)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import post_form
from measures_helpers import make_measure, world_fixture  # noqa: F401
from sqlalchemy import select

from steuerung.models import Measure, MeasureStatus, Settings, StatusReport, TrafficLight
from steuerung.services.measures.reports import is_overdue, next_report_due, overdue_clause

TODAY = date(2026, 11, 23)

VALID = {
    "reported_on": "2026-11-20",
    "schedule_light": "green",
    "cost_light": "yellow",
    "scope_light": "red",
    "progress_percent": "40",
    "text": "Ausschreibung läuft.",
    "next_steps": "Zuschlag erteilen.",
    "risks": "Lieferengpässe.",
}


def test_report_is_saved_and_moves_last_report_on(login_as, world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.IN_PROGRESS)
    db.session.commit()
    client = login_as("submitter")
    url = f"/massnahmen/{measure.id}/statusbericht"
    page = client.get(url).get_data(as_text=True)
    assert "Termine" in page and "Leistungsumfang" in page
    response = post_form(client, url, VALID)
    assert response.status_code == 302
    report = db.session.query(StatusReport).one()
    assert (report.schedule_light, report.cost_light, report.scope_light) == (
        TrafficLight.GREEN,
        TrafficLight.YELLOW,
        TrafficLight.RED,
    )
    assert report.progress_percent == 40 and report.risks == "Lieferengpässe."
    assert report.author_id == world.users["submitter"].id
    db.session.expire_all()
    assert db.session.get(Measure, measure.id).last_report_on == date(2026, 11, 20)
    page = client.get(f"/massnahmen/{measure.id}?tab=berichte").get_data(as_text=True)
    assert "Ausschreibung läuft." in page and "Kosten: Gelb" in page
    history = client.get(f"/massnahmen/{measure.id}?tab=verlauf").get_data(as_text=True)
    assert "Statusbericht angelegt" in history


def test_older_report_does_not_move_last_report_on_back(login_as, world, factory, db):
    measure = make_measure(
        factory, world, MeasureStatus.IN_PROGRESS, last_report_on=date(2026, 11, 1)
    )
    db.session.commit()
    client = login_as("submitter")
    post_form(
        client, f"/massnahmen/{measure.id}/statusbericht", {**VALID, "reported_on": "2026-06-01"}
    )
    db.session.expire_all()
    assert db.session.get(Measure, measure.id).last_report_on == date(2026, 11, 1)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"progress_percent": "150"}, "zwischen 0 und 100"),
        ({"progress_percent": "-1"}, "zwischen 0 und 100"),
        ({"progress_percent": "viel"}, "ganze Zahl zwischen 0 und 100"),
        ({"schedule_light": "blau"}, "Bitte wählen Sie eine Ampelfarbe."),
        ({"reported_on": "gestern"}, "gültiges Datum"),
        ({"reported_on": ""}, "Bitte geben Sie den Stichtag an."),
        ({"text": "x" * 10001}, "Höchstens 10000 Zeichen."),
    ],
)
def test_bad_report_input_is_refused(login_as, world, factory, db, override, message):
    measure = make_measure(factory, world, MeasureStatus.APPROVED)
    db.session.commit()
    client = login_as("submitter")
    response = post_form(client, f"/massnahmen/{measure.id}/statusbericht", {**VALID, **override})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.query(StatusReport).count() == 0
    db.session.expire_all()
    assert db.session.get(Measure, measure.id).last_report_on is None


def test_no_reports_for_drafts(login_as, world, factory, db):
    measure = make_measure(factory, world, MeasureStatus.DRAFT)
    db.session.commit()
    client = login_as("submitter")
    response = client.get(f"/massnahmen/{measure.id}/statusbericht")
    assert response.status_code == 302
    assert "Statusberichte gibt es für freigegebene" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)


def _make(factory, world, status, **fields):
    return make_measure(factory, world, status, **fields)


def test_overdue_clause_matches_python_rule(world, factory, db):
    settings = db.session.get(Settings, 1)
    settings.report_interval_days = 91
    cases = {
        "never_reported_no_start": _make(
            factory, world, MeasureStatus.APPROVED, start_date=None, end_date=None
        ),
        "fresh_report": _make(
            factory, world, MeasureStatus.IN_PROGRESS, last_report_on=TODAY - timedelta(days=10)
        ),
        "old_report": _make(
            factory, world, MeasureStatus.IN_PROGRESS, last_report_on=TODAY - timedelta(days=92)
        ),
        "exactly_due": _make(
            factory, world, MeasureStatus.IN_PROGRESS, last_report_on=TODAY - timedelta(days=91)
        ),
        "start_long_ago": _make(
            factory, world, MeasureStatus.APPROVED, start_date=date(2025, 1, 1), last_report_on=None
        ),
        "own_short_interval": _make(
            factory,
            world,
            MeasureStatus.IN_PROGRESS,
            report_interval_days=30,
            last_report_on=TODAY - timedelta(days=31),
        ),
        "own_long_interval": _make(
            factory,
            world,
            MeasureStatus.IN_PROGRESS,
            report_interval_days=180,
            last_report_on=TODAY - timedelta(days=120),
        ),
        "draft_never_due": _make(factory, world, MeasureStatus.DRAFT, start_date=date(2020, 1, 1)),
        "completed_never_due": _make(
            factory, world, MeasureStatus.COMPLETED, start_date=date(2020, 1, 1)
        ),
    }
    db.session.flush()
    ids = set(db.session.scalars(select(Measure.id).where(overdue_clause(TODAY))))
    names = {name for name, m in cases.items() if m.id in ids}
    assert names == {
        "never_reported_no_start",
        "old_report",
        "start_long_ago",
        "own_short_interval",
    }
    for name, measure in cases.items():
        assert is_overdue(measure, settings, TODAY) == (name in names), name


def test_overdue_clause_uses_settings_interval(world, factory, db):
    measure = _make(
        factory, world, MeasureStatus.IN_PROGRESS, last_report_on=TODAY - timedelta(days=40)
    )
    settings = db.session.get(Settings, 1)
    settings.report_interval_days = 30
    db.session.flush()
    assert db.session.scalar(select(Measure.id).where(overdue_clause(TODAY))) == measure.id
    settings.report_interval_days = 60
    db.session.flush()
    assert db.session.scalar(select(Measure.id).where(overdue_clause(TODAY))) is None


def test_overdue_clause_on_empty_register(db):
    assert db.session.scalars(select(Measure.id).where(overdue_clause(TODAY))).all() == []


def test_next_report_due(world, factory, db):
    settings = db.session.get(Settings, 1)
    reported = _make(factory, world, MeasureStatus.IN_PROGRESS, last_report_on=date(2026, 1, 1))
    assert next_report_due(reported, settings) == date(2026, 1, 1) + timedelta(days=91)
    started = _make(factory, world, MeasureStatus.APPROVED, start_date=date(2026, 3, 1))
    assert next_report_due(started, settings) == date(2026, 3, 1) + timedelta(days=91)
    own = _make(
        factory, world, MeasureStatus.APPROVED, start_date=date(2026, 3, 1), report_interval_days=30
    )
    assert next_report_due(own, settings) == date(2026, 3, 31)
    draft = _make(factory, world, MeasureStatus.DRAFT)
    assert next_report_due(draft, settings) is None


def test_overdue_is_flagged_in_list_and_detail(login_as, world, factory, db):
    measure = _make(factory, world, MeasureStatus.IN_PROGRESS, start_date=date(2024, 1, 1))
    db.session.commit()
    client = login_as("submitter")
    assert "überfällig" in client.get("/massnahmen/").get_data(as_text=True)
    assert "überfällig" in client.get(f"/massnahmen/{measure.id}").get_data(as_text=True)
