"""Grants of a measure: application, decision, calls for funds, proof of use; the deadline
rule (due within 60 days / overdue) on the dashboard, in the owner's list, in e-mails.

The clock is frozen with ``services.common.clock.frozen``: every page then sees that day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from conftest import page_after, post_form
from mail_helpers import MailServer
from measures_helpers import logout
from sqlalchemy import select

from steuerung.extensions import db as _db
from steuerung.models import AuditEntry, Grant, GrantCall, GrantStatus, MeasureStatus
from steuerung.services.common.clock import frozen
from steuerung.services.common.errors import PermissionDenied, ValidationFailed
from steuerung.services.grants import lifecycle as svc
from steuerung.services.grants import rules
from steuerung.services.notifications import send_due_notifications

D = Decimal
S = MeasureStatus
TODAY = date(2026, 11, 23)


def _approved(measure: Any, proof_due_on: date | None, **more: Any) -> Grant:
    values = {
        "programme": "DigitalPakt Schule 2.0",
        "status": GrantStatus.APPROVED,
        "applied_on": date(2026, 3, 1),
        "decision_date": date(2026, 5, 4),
        "file_number": "DP-2026-0815",
        "approval_from": date(2026, 5, 4),
        "approval_to": date(2027, 6, 30),
        "eligible_cost": D("200000.00"),
        "grant_amount": D("100000.00"),
        "proof_due_on": proof_due_on,
        **more,
    }
    grant = Grant(measure_id=measure.id, **values)
    _db.session.add(grant)
    _db.session.flush()
    return grant


@pytest.fixture()
def deadlines(db: Any, factory: Any, users: dict[str, Any]) -> dict[str, Grant]:
    """Grants around the window: overdue by a day, due today, in 60 and in 61 days, plus a
    submitted proof and a grant only applied for."""
    own = users["submitter"].department
    other = users["other_submitter"].department
    mine = factory.measure(own, S.IN_PROGRESS, "Tablets für Grundschulen", owner=users["submitter"])
    theirs = factory.measure(other, S.IN_PROGRESS, "Schul-WLAN", owner=users["other_submitter"])
    grants = {
        "overdue": _approved(mine, TODAY - timedelta(days=1), file_number="AZ-ÜBERFÄLLIG"),
        "today": _approved(theirs, TODAY, file_number="AZ-HEUTE"),
        "in60": _approved(mine, TODAY + timedelta(days=60), file_number="AZ-60"),
        "in61": _approved(theirs, TODAY + timedelta(days=61), file_number="AZ-61"),
        "submitted": _approved(
            mine, TODAY - timedelta(days=5), file_number="AZ-EINGEREICHT",
            proof_submitted_on=TODAY - timedelta(days=6),
        ),
        "applied": Grant(
            measure_id=mine.id, programme="Landesförderung", status=GrantStatus.APPLIED,
            applied_on=date(2026, 9, 1), proof_due_on=TODAY, file_number="AZ-BEANTRAGT",
        ),
    }  # fmt: skip
    db.session.add(grants["applied"])
    db.session.commit()
    return grants


# --------------------------------------------------------------------------- the rule


def test_the_deadline_rule_in_python_and_sql_agree(db, deadlines):
    for day in (TODAY, TODAY + timedelta(days=1), TODAY - timedelta(days=2)):
        python = {
            key: rules.deadline_state(grant, day)
            for key, grant in deadlines.items()
            if rules.deadline_state(grant, day)
        }
        overdue = set(_db.session.scalars(select(Grant.id).where(rules.overdue_clause(day))))
        due = set(_db.session.scalars(select(Grant.id).where(rules.due_clause(day))))
        assert overdue == {g.id for k, g in deadlines.items() if python.get(k) == "overdue"}
        assert due == {g.id for k, g in deadlines.items() if python.get(k) == "due"}
    state = {k: rules.deadline_state(g, TODAY) for k, g in deadlines.items()}
    assert state == {
        "overdue": rules.DeadlineState.OVERDUE,
        "today": rules.DeadlineState.DUE,  # due today is due, not overdue
        "in60": rules.DeadlineState.DUE,
        "in61": None,
        "submitted": None,
        "applied": None,
    }


def _section(html: str, section_id: str) -> str:
    start = html.find(f'id="{section_id}"')
    if start < 0:
        return ""
    return html[start : html.index("</section>", start)]


def _file_numbers(section: str) -> list[str]:
    return re.findall(r"<td>(AZ-[^<]+)</td>", section)


def test_the_dashboard_shows_deadlines_exactly_when_due_or_overdue(client, login_as, db, deadlines):
    coordinator = login_as("coordinator")
    with frozen(TODAY):
        html = coordinator.get("/dashboard/").get_data(as_text=True)
    section = _section(html, "foerderfristen")
    assert _file_numbers(section) == ["AZ-ÜBERFÄLLIG", "AZ-HEUTE", "AZ-60"]  # earliest first
    assert "1 überfällig" in section and "2 in den nächsten 60 Tagen fällig" in section
    assert "seit 1 Tag" in section and "heute" in section and "in 60 Tagen" in section
    # A day later: the one due today is overdue, the one in 61 days enters the window.
    with frozen(TODAY + timedelta(days=1)):
        section = _section(coordinator.get("/dashboard/").get_data(as_text=True), "foerderfristen")
    assert _file_numbers(section) == ["AZ-ÜBERFÄLLIG", "AZ-HEUTE", "AZ-60", "AZ-61"]
    assert "2 überfällig" in section and "2 in den nächsten 60 Tagen fällig" in section
    # The department filter applies; submitting the proof takes a grant off.
    other = deadlines["today"].measure.department_id
    deadlines["today"].proof_submitted_on = TODAY
    db.session.commit()
    with frozen(TODAY):
        html = coordinator.get(f"/dashboard/?fachbereich={other}").get_data(as_text=True)
    assert _section(html, "foerderfristen") == ""  # nothing due: no section at all


def test_nothing_due_means_no_section(client, login_as, db, deadlines):
    with frozen(TODAY - timedelta(days=400)):
        html = login_as("leadership").get("/dashboard/").get_data(as_text=True)
    assert 'id="foerderfristen"' not in html


def test_the_owner_sees_the_deadlines_of_their_measures_in_their_list(
    client, login_as, db, deadlines
):
    owner = login_as("submitter")
    with frozen(TODAY):
        html = owner.get("/massnahmen/").get_data(as_text=True)
    # Own department only ("Meine Maßnahmen"): FB 2's grant due today is not listed.
    assert _file_numbers(_section(html, "foerderfristen")) == ["AZ-ÜBERFÄLLIG", "AZ-60"]
    with frozen(TODAY + timedelta(days=400)):
        html = owner.get("/massnahmen/").get_data(as_text=True)
    assert _file_numbers(_section(html, "foerderfristen")) == ["AZ-ÜBERFÄLLIG", "AZ-60"]
    logout(owner)
    treasury = login_as("treasury")
    with frozen(TODAY):
        html = treasury.get("/foerderung/").get_data(as_text=True)
    assert _file_numbers(_section(html, "fristen")) == ["AZ-ÜBERFÄLLIG", "AZ-HEUTE", "AZ-60"]
    assert html.count("<tr>") >= 6  # the overview lists every grant


# --------------------------------------------------------------------------- lifecycle


def test_who_may_edit_a_measures_grants(db, factory, users):
    measure = factory.measure(users["submitter"].department, S.APPROVED)
    expected = {
        "submitter": True,
        "coordinator": True,
        "treasury": True,
        "leadership": False,
        "admin": False,
        "other_submitter": False,
    }
    for key, allowed in expected.items():
        assert rules.may_edit_grants(users[key], measure) is allowed, key
    with pytest.raises(PermissionDenied):
        svc.save_grant(
            measure, svc.GrantData("Programm", GrantStatus.PLANNED), by=users["leadership"]
        )


def test_a_decision_needs_the_data_of_the_bescheid(db, factory, users):
    measure = factory.measure(users["submitter"].department, S.APPROVED)
    data = svc.GrantData(
        "DigitalPakt Schule 2.0", GrantStatus.APPROVED, applied_on=date(2026, 3, 1)
    )
    with frozen(TODAY):
        with pytest.raises(ValidationFailed) as error:
            svc.save_grant(measure, data, by=users["submitter"])
        assert error.value.field == "decision_date"
        data.decision_date = date(2026, 2, 1)
        data.file_number = "DP-1"
        data.approval_from, data.approval_to = date(2026, 5, 1), date(2026, 4, 1)
        data.eligible_cost, data.grant_amount = D("1000"), D("2000")
        data.proof_due_on = date(2027, 6, 30)
        with pytest.raises(ValidationFailed, match="vor dem Antrag"):
            svc.save_grant(measure, data, by=users["submitter"])
        data.decision_date = date(2026, 4, 20)
        with pytest.raises(ValidationFailed, match="endet vor seinem Beginn"):
            svc.save_grant(measure, data, by=users["submitter"])
        data.approval_to = date(2027, 3, 31)
        with pytest.raises(ValidationFailed) as error:
            svc.save_grant(measure, data, by=users["submitter"])
        assert error.value.field == "grant_amount"
        data.grant_amount = D("500")
        grant = svc.save_grant(measure, data, by=users["submitter"])
        data.status = GrantStatus.CLOSED
        with pytest.raises(ValidationFailed) as error:
            svc.save_grant(
                measure, data, by=users["submitter"], grant=grant,
                expected_version=grant.version_id,
            )  # fmt: skip
        assert error.value.field == "proof_submitted_on"


def test_calls_for_funds_never_exceed_the_grant(db, factory, users):
    measure = factory.measure(users["submitter"].department, S.IN_PROGRESS)
    grant = _approved(measure, date(2027, 12, 31))
    db.session.commit()
    by = users["treasury"]
    with frozen(TODAY):
        svc.add_call(grant, date(2026, 6, 1), D("60000"), by=by, expected_version=grant.version_id)
        db.session.commit()
        with pytest.raises(ValidationFailed, match="Abrufbar sind noch 40.000,00"):
            svc.add_call(
                grant, date(2026, 7, 1), D("40000.01"), by=by, expected_version=grant.version_id
            )
        db.session.rollback()
        with pytest.raises(ValidationFailed, match="vor dem Abruf"):
            svc.add_call(
                grant, date(2026, 7, 1), D("10000"), by=by, expected_version=grant.version_id,
                received_on=date(2026, 6, 30),
            )  # fmt: skip
        db.session.rollback()
        with pytest.raises(Exception, match="inzwischen"):  # stale: the call raised the version
            svc.add_call(grant, date(2026, 7, 1), D("1"), by=by, expected_version=1)
        db.session.rollback()
        call = grant.calls[0]
        svc.mark_received(call, date(2026, 6, 20), by=by, expected_version=grant.version_id)
        db.session.commit()
    assert (grant.called, grant.received, grant.not_called) == (
        D("60000.00"),
        D("60000.00"),
        D("40000.00"),
    )


def test_grant_pages_through_the_app(client, login_as, db, factory, users):
    owner = users["submitter"]
    measure = factory.measure(owner.department, S.APPROVED, "Schulnetz", owner=owner)
    db.session.commit()
    dept = login_as("submitter")
    new_url = f"/massnahmen/{measure.id}/foerderung/neu"
    form = {
        "programme": "DigitalPakt Schule 2.0",
        "status": "approved",
        "applied_on": "2026-03-01",
        "decision_date": "2026-05-04",
        "file_number": "",
        "approval_from": "2026-05-04",
        "approval_to": "2027-06-30",
        "eligible_cost": "200.000,00",
        "grant_amount": "100.000,00",
        "proof_due_on": "2027-12-31",
    }
    with frozen(TODAY):
        response = post_form(dept, new_url, form)
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "bitte das Aktenzeichen angeben" in html and "DigitalPakt Schule 2.0" in html
        response = post_form(dept, new_url, {**form, "file_number": "DP-2026-0815"})
        html = page_after(dept, response)
    assert "wurde gespeichert" in html and "100.000,00" in html and "DP-2026-0815" in html
    grant = db.session.scalar(select(Grant).where(Grant.measure_id == measure.id))
    prefix = f"abruf{grant.id}-"
    page = f"/massnahmen/{measure.id}/foerderung"
    with frozen(TODAY):
        token = re.search(
            rf'name="{prefix}csrf_token"[^>]*value="([^"]+)"', dept.get(page).get_data(as_text=True)
        ).group(1)
        response = dept.post(
            f"{page}/{grant.id}/abruf",
            data={
                f"{prefix}csrf_token": token,
                f"{prefix}version_id": str(grant.version_id),
                f"{prefix}called_on": "2026-06-01",
                f"{prefix}amount": "120.000,00",
            },
        )
    assert response.status_code == 400
    assert "Abrufbar sind noch 100.000,00" in response.get_data(as_text=True)
    assert db.session.scalar(select(GrantCall.id)) is None
    # The measure's history names the change; another department may read but not edit.
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "grants"))
    assert [(e.measure_id, e.user_id) for e in audit] == [(measure.id, owner.id)]
    logout(dept)
    other = login_as("other_submitter")
    assert other.get(page).status_code == 200  # approved measures are visible to all
    assert other.get(f"{page}/{grant.id}").status_code == 403
    assert other.get("/foerderung/").status_code == 403


# --------------------------------------------------------------------------- e-mails


def _grant_kinds(result: Any) -> dict[str, int]:
    """Mails sent per kind, grant deadlines only (the measures also owe status reports)."""
    return {k: v for k, v in result.sent_by_kind.items() if k.startswith("grant_")}


def _grant_mails(server: MailServer, address: str) -> list[Any]:
    return [m for m in server.to(address) if m.subject.startswith("Verwendungsnachweis")]


def test_the_owner_is_reminded_once_when_due_and_once_when_overdue(
    app, db, users, deadlines, monkeypatch
):
    for user in users.values():
        user.email = f"{user.username}@lindenfeld.example"
        user.notify_digest = False
    db.session.commit()
    server = MailServer().start()
    try:
        for key, value in {
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port, "SMTP_SECURITY": "none"
        }.items():  # fmt: skip
            monkeypatch.setitem(app.config, key, value)
        now = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
        result = send_due_notifications(now)
        assert result.ok, result.errors
        assert _grant_kinds(result) == {"grant_overdue": 1, "grant_due": 2}
        owner = users["submitter"]
        subjects = sorted(m.subject for m in _grant_mails(server, owner.email))
        measure = deadlines["overdue"].measure
        assert subjects == [
            f"Verwendungsnachweis fällig am 22.01.2027: {measure.reference} {measure.title}",
            f"Verwendungsnachweis überfällig: {measure.reference} {measure.title}",
        ]
        mail = next(m for m in _grant_mails(server, owner.email) if "überfällig" in m.subject)
        assert "AZ-ÜBERFÄLLIG" in mail.text and "Rückforderung" in mail.text
        assert f"/massnahmen/{measure.id}/foerderung" in mail.text
        other = _grant_mails(server, users["other_submitter"].email)
        assert [m.subject.split(":")[0] for m in other] == [
            "Verwendungsnachweis fällig am 23.11.2026"
        ]
        assert send_due_notifications(now + timedelta(hours=2)).sent == 0
        # The next day the one due today is overdue (a new mail), the 61-day one due.
        result = send_due_notifications(now + timedelta(days=1))
        assert _grant_kinds(result) == {"grant_overdue": 1, "grant_due": 1}
    finally:
        server.stop()


def test_the_demo_grants_show_one_overdue_and_one_due_proof(client, db):
    from conftest import login

    from seed.demo import DEMO_PASSWORD, load_demo

    assert load_demo() is True
    db.session.commit()
    login(client, "koordination", DEMO_PASSWORD)
    with frozen(date(2026, 11, 30)):
        section = _section(client.get("/dashboard/").get_data(as_text=True), "foerderfristen")
    assert re.findall(r"<td>((?:LDK|DP2|MPSC)-[^<]+)</td>", section) == [
        "LDK-2026-017",  # Kita: due 15.11.2026, overdue
        "DP2-2025-0533",  # WLAN, 1st section: due 31.12.2026
    ]
    assert "1 überfällig" in section and "1 in den nächsten 60 Tagen fällig" in section
    assert db.session.scalar(select(Grant.id).where(Grant.status == GrantStatus.APPLIED))
