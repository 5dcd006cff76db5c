"""REST API: tokens, authentication, the permission matrix, writes with optimistic locking,
German problem details, paging, the generated document, and agreement with the pages."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from api_helpers import ROLES, api_world_fixture, call, get, post, report_body  # noqa: F401
from conftest import csrf_token, login
from sqlalchemy import select

from steuerung.models import (
    ApiToken,
    AuditEntry,
    KeyFigureValue,
    Measure,
    MeasureStatus,
    StatusReport,
)
from steuerung.models.base import utcnow
from steuerung.services.api.tokens import create_token, hash_secret
from steuerung.services.budget.coverage import coverage_by_year
from steuerung.services.common.audit import acting_as

S = MeasureStatus


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["type"].startswith("/api/v1/docs#problem-")
    assert body["instance"] == response.request.path
    return body


# --------------------------------------------------------------------------- tokens


def test_token_is_created_on_the_profile_shown_once_and_stored_hashed(client, users, db):
    login(client, "submitter")
    token = csrf_token(client, "/konto/")
    response = client.post(
        "/konto/zugangsschluessel",
        data={"csrf_token": token, "token-name": "Open-Data-Portal", "token-valid_days": "30"},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    secret = re.search(r'id="neuer-schluessel" readonly value="(stg_[^"]+)"', html).group(1)
    assert "nur dieses eine Mal angezeigt" in html
    row = db.session.scalar(select(ApiToken))
    assert row.name == "Open-Data-Portal" and row.user_id == users["submitter"].id
    assert row.token_hash == hash_secret(secret) and secret not in row.token_hash
    assert secret.startswith(row.prefix) and len(row.prefix) == 12
    assert timedelta(days=29) < row.expires_at - row.created_at <= timedelta(days=30)
    later = client.get("/konto/").get_data(as_text=True)
    assert secret not in later and row.prefix in later and "Open-Data-Portal" in later
    # audited, without the hash
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "api_tokens"))
    assert entry.user_id == users["submitter"].id and entry.action == "create"
    assert entry.changes["token_hash"] == [None, "***"]
    assert get(client.application.test_client(), secret, "/measures").status_code == 200


def test_token_form_errors_are_german_and_csrf_is_required(client, users, db):
    login(client, "submitter")
    token = csrf_token(client, "/konto/")
    response = client.post("/konto/zugangsschluessel", data={"csrf_token": token, "token-name": ""})
    assert response.status_code == 400
    assert "Bitte geben Sie dem Zugangsschlüssel einen Namen." in response.get_data(as_text=True)
    assert client.post("/konto/zugangsschluessel", data={"token-name": "x"}).status_code == 400
    assert db.session.scalar(select(ApiToken)) is None


def test_revoked_token_is_refused_and_only_the_owner_revokes(client, api_world, db):
    secret = api_world.tokens["submitter"]
    api = client.application.test_client()
    assert get(api, secret, "/measures").status_code == 200
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    # another user cannot revoke it (not found for them), nor without CSRF
    login(client, "coordinator")
    form_token = csrf_token(client, "/konto/")
    url = f"/konto/zugangsschluessel/{row.id}/widerrufen"
    assert client.post(url, data={"csrf_token": form_token}).status_code == 404
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "submitter")
    assert client.post(url, data={}).status_code == 400
    response = client.post(url, data={"csrf_token": csrf_token(client, "/konto/")})
    assert response.status_code == 302
    page = client.get("/konto/").get_data(as_text=True)
    assert "wurde widerrufen" in page and "widerrufen</td>" in page
    body = _problem(get(api, secret, "/measures"), 401)
    assert body["detail"] == "Der Zugangsschlüssel wurde widerrufen."
    db.session.expire_all()
    revoke = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.entity_type == "api_tokens", AuditEntry.action == "update"
        )
    )
    assert revoke.user_id == api_world.users["submitter"].id and "revoked_at" in revoke.changes


def test_unknown_expired_and_deactivated_tokens_are_refused(client, api_world, db):
    api = client
    for header in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        response = api.get("/api/v1/measures", headers=header)
        body = _problem(response, 401)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="Steuerung"'
        assert "Authorization: Bearer" in body["detail"]
    for secret in ("stg_gibtesnicht", "irgendwas", "stg_" + "x" * 300):
        response = get(api, secret, "/measures")
        assert _problem(response, 401)["detail"] == "Der Zugangsschlüssel ist ungültig."
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    with acting_as(None):
        expired = create_token(api_world.users["leadership"], "alt", 30)
        expired.token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    body = _problem(get(api, expired.secret, "/measures"), 401)
    assert body["detail"] == "Der Zugangsschlüssel ist abgelaufen."
    user = api_world.users["treasury"]
    user.is_active_user = False
    db.session.commit()
    body = _problem(get(api, api_world.tokens["treasury"], "/budget/lines"), 401)
    assert body["detail"] == "Das Benutzerkonto dieses Zugangsschlüssels ist deaktiviert."


def test_a_session_cookie_does_not_authorise_the_api(client, api_world):
    login(client, "coordinator")
    measure = api_world.measures["own_approved"]
    assert client.get("/api/v1/measures").status_code == 401
    response = client.post(
        f"/api/v1/measures/{measure.id}/status-reports", json=report_body(measure.version_id)
    )
    _problem(response, 401)


def test_token_requests_create_no_session_and_note_the_last_use(client, api_world, db):
    secret = api_world.tokens["coordinator"]
    response = get(client, secret, "/measures")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    measure = api_world.measures["own_approved"]
    response = post(client, secret, f"/measures/{measure.id}/status-reports", report_body(2))
    assert response.status_code in (201, 409) and "Set-Cookie" not in response.headers
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    db.session.refresh(row)
    assert row.last_used_at is not None and utcnow() - row.last_used_at < timedelta(minutes=1)
    # bookkeeping, not a change of data: no audit entry for the last use
    updates = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_type == "api_tokens", AuditEntry.action == "update"
        )
    ).all()
    assert updates == []


# --------------------------------------------------------------------------- permission matrix

#: role -> (sees other departments' drafts, agenda, budget, dashboard, writes own measures)
MATRIX = {
    "submitter": (False, True, False, False, True),
    "coordinator": (True, True, True, True, True),
    "treasury": (True, False, True, True, False),
    "leadership": (True, True, True, True, False),
    "admin": (True, False, True, False, False),
    "other_submitter": (False, True, False, False, False),
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, api_world, role):
    sees_all, agenda, budget, dashboard, writes = MATRIX[role]
    token = api_world.tokens[role]
    m = api_world.measures
    listed = get(client, token, "/measures?per_page=100").get_json()
    ids = {item["id"] for item in listed["items"]}
    department_user = role in ("submitter", "other_submitter")
    if department_user:
        own = "own" if role == "submitter" else "other"
        other = "other" if own == "own" else "own"
        # own department: drafts too; other department: only approved / running (setting)
        public = {S.APPROVED, S.IN_PROGRESS, S.COMPLETED}
        expected = {m[k].id for k in m if k.startswith(own)} | {
            m[k].id for k in m if k.startswith(other) and m[k].status in public
        }
        assert ids == expected
        assert get(client, token, f"/measures/{m[f'{other}_draft'].id}").status_code == 403
        assert get(client, token, f"/measures/{m[f'{own}_draft'].id}").status_code == 200
        own_listed = get(client, token, "/measures?status=draft").get_json()
        assert [i["id"] for i in own_listed["items"]] == [m[f"{own}_draft"].id]
    else:
        assert ids == {x.id for x in m.values()}
        for measure in m.values():
            assert get(client, token, f"/measures/{measure.id}").status_code == 200
    assert listed["total"] == len(ids)
    # score and class only where the register shows them
    approved = next(i for i in listed["items"] if i["id"] == m["own_approved"].id)
    shows_scores = role in ("coordinator", "treasury", "leadership")
    assert approved["score"] == ("72.50" if shows_scores else None)
    assert approved["priority_class"] == ("A" if shows_scores else None)

    assert get(client, token, "/agenda").status_code == (200 if agenda else 403)
    assert get(client, token, "/agenda/versions").status_code == (200 if agenda else 403)
    assert get(client, token, "/budget/lines").status_code == (200 if budget else 403)
    assert get(client, token, "/budget/coverage").status_code == (200 if budget else 403)
    assert get(client, token, "/dashboard").status_code == (200 if dashboard else 403)

    target = m["own_approved"]
    figure = target.key_figures[0]
    report = post(
        client, token, f"/measures/{target.id}/status-reports", report_body(target.version_id)
    )
    value = post(
        client,
        token,
        f"/measures/{target.id}/key-figures/{figure.id}/values",
        {
            "version": report.get_json().get("measure_version", target.version_id)
            if report.status_code == 201
            else target.version_id,
            "measured_on": "2026-06-30",
            "value": "31.5",
        },
    )
    if writes:
        assert report.status_code == 201 and value.status_code == 201
    else:
        assert _problem(report, 403)["title"] == "Keine Berechtigung"
        assert _problem(value, 403)["title"] == "Keine Berechtigung"


def test_other_department_cannot_write_even_where_it_may_read(client, api_world, db):
    target = api_world.measures["own_approved"]  # approved: FB 2 may read it
    token = api_world.tokens["other_submitter"]
    assert get(client, token, f"/measures/{target.id}").status_code == 200
    response = post(
        client, token, f"/measures/{target.id}/status-reports", report_body(target.version_id)
    )
    assert "Statusberichte" in _problem(response, 403)["detail"]
    assert (
        db.session.scalar(select(StatusReport).where(StatusReport.text.contains("Pilot"))) is None
    )


# --------------------------------------------------------------------------- writes


def test_status_report_is_saved_with_version_and_audited_for_the_token_user(client, api_world, db):
    measure = api_world.measures["own_approved"]
    token = api_world.tokens["submitter"]
    before = get(client, token, f"/measures/{measure.id}").get_json()
    response = post(
        client, token, f"/measures/{measure.id}/status-reports", report_body(before["version"])
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["report"]["overall_light"] == "red"
    assert created["report"]["overall_light_label"] == "Rot"
    assert created["report"]["author"] == api_world.users["submitter"].full_name
    assert created["measure_version"] == before["version"] + 1
    assert response.headers["Location"].startswith(f"/api/v1/measures/{measure.id}/status-reports")
    db.session.expire_all()
    saved = db.session.get(StatusReport, created["report"]["id"])
    assert (saved.progress_percent, saved.text, saved.author_id) == (
        45,
        "Pilot im Bürgerbüro läuft.",
        api_world.users["submitter"].id,
    )
    assert db.session.get(Measure, measure.id).last_report_on.isoformat() == "2026-06-30"
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.entity_type == "status_reports", AuditEntry.entity_id == saved.id
        )
    )
    assert entry.user_id == api_world.users["submitter"].id
    listed = get(client, token, f"/measures/{measure.id}/status-reports").get_json()
    assert [r["id"] for r in listed["items"]][0] == saved.id and len(listed["items"]) == 2
    assert listed["measure_version"] == created["measure_version"]
    # the detail page shows the same report
    login(client, "submitter")
    page = client.get(f"/massnahmen/{measure.id}?tab=berichte").get_data(as_text=True)
    assert "Pilot im Bürgerbüro läuft." in page


def test_stale_and_missing_versions_are_refused(client, api_world, db):
    measure = api_world.measures["own_approved"]
    token = api_world.tokens["coordinator"]
    version = measure.version_id
    url = f"/measures/{measure.id}/status-reports"
    assert post(client, token, url, report_body(version)).status_code == 201
    stale = _problem(post(client, token, url, report_body(version, text="Zweiter")), 409)
    assert stale["title"] == "Konflikt" and "inzwischen geändert" in stale["detail"]
    assert f"aktuelle Version {version + 1}, gesendet {version}" in stale["detail"]
    missing = dict(report_body(version))
    del missing["version"]
    body = _problem(post(client, token, url, missing), 428)
    assert body["title"] == "Version fehlt" and "„version“" in body["detail"]
    _problem(post(client, token, url, report_body(None)), 428)
    figure = measure.key_figures[0]
    value_url = f"/measures/{measure.id}/key-figures/{figure.id}/values"
    stale = post(
        client, token, value_url, {"version": version, "measured_on": "2026-06-30", "value": "1"}
    )
    _problem(stale, 409)
    _problem(post(client, token, value_url, {"measured_on": "2026-06-30", "value": "1"}), 428)
    assert db.session.scalar(select(StatusReport).where(StatusReport.text == "Zweiter")) is None
    assert db.session.query(KeyFigureValue).count() == 1


def test_key_figure_value_is_recorded_with_the_one_number_parser(client, api_world, db):
    measure = api_world.measures["own_approved"]
    figure = measure.key_figures[0]
    token = api_world.tokens["submitter"]
    url = f"/measures/{measure.id}/key-figures/{figure.id}/values"
    response = post(
        client,
        token,
        url,
        {"version": measure.version_id, "measured_on": "2026-06-30", "value": "-1234.5"},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["value"]["value"] == "-1234.50" and body["key_figure_id"] == figure.id
    db.session.expire_all()
    assert db.session.get(KeyFigureValue, body["value"]["id"]).value == Decimal("-1234.50")
    listed = get(client, token, f"/measures/{measure.id}/key-figures").get_json()
    assert [v["value"] for v in listed["items"][0]["values"]] == ["22.50", "-1234.50"]
    other = api_world.measures["other_approved"]
    body = {"version": other.version_id, "measured_on": "2026-06-30", "value": "1"}
    refused = post(client, token, f"/measures/{other.id}/key-figures/{figure.id}/values", body)
    assert "Messwerte" in _problem(refused, 403)["detail"]
    wrong = post(
        client,
        api_world.tokens["coordinator"],
        f"/measures/{other.id}/key-figures/{figure.id}/values",
        {"version": other.version_id, "measured_on": "2026-06-30", "value": "1"},
    )
    assert _problem(wrong, 404)["detail"] == "Diese Kennzahl gibt es bei dieser Maßnahme nicht."


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"progress_percent": 150}, "progress_percent", "höchstens 100"),
        ({"progress_percent": "40"}, "progress_percent", "ganze Zahl"),
        ({"cost_light": "blau"}, "cost_light", "erlaubt"),
        ({"reported_on": "31.06.2026"}, "reported_on", "JJJJ-MM-TT"),
        ({"reported_on": "2126-01-01"}, "reported_on", "2099"),
        ({"text": "x" * 10001}, "text", "10000 Zeichen"),
        ({"farbe": "rot"}, "farbe", "gibt es nicht"),
        ({"version": "7"}, "version", "ganze Zahl"),
    ],
)
def test_invalid_fields_give_422_naming_the_field_in_german(
    client, api_world, change, field, message
):
    measure = api_world.measures["own_approved"]
    body = report_body(measure.version_id)
    body.update(change)
    response = post(
        client, api_world.tokens["submitter"], f"/measures/{measure.id}/status-reports", body
    )
    body = _problem(response, 422)
    assert body["title"] == "Ungültige Angaben"
    errors = {e["field"]: e for e in body["errors"]}
    assert field in errors and message in errors[field]["message"], errors
    if field == "progress_percent":
        assert errors[field]["label"] == "Fortschritt (%)"
        assert "Fortschritt (%)" in body["detail"]


def test_bad_bodies_and_states(client, api_world):
    token = api_world.tokens["coordinator"]
    measure = api_world.measures["own_approved"]
    url = f"/api/v1/measures/{measure.id}/status-reports"
    auth = {"Authorization": f"Bearer {token}"}
    _problem(client.post(url, data="version=1", headers=auth), 415)
    _problem(client.post(url, data="{kaputt", headers=auth, content_type="application/json"), 400)
    _problem(client.post(url, json=[1, 2], headers=auth), 422)
    deep = "[" * 100_000 + "]" * 100_000
    _problem(client.post(url, data=deep, headers=auth, content_type="application/json"), 400)
    value_url = f"/measures/{measure.id}/key-figures/{measure.key_figures[0].id}/values"
    body = _problem(
        post(client, token, value_url, {"version": 1, "measured_on": "2026-01-01", "value": "1,5"}),
        422,
    )
    assert body["errors"][0]["field"] == "value" and body["errors"][0]["label"] == "Wert"
    draft = api_world.measures["own_draft"]
    body = _problem(
        post(client, token, f"/measures/{draft.id}/status-reports", report_body(draft.version_id)),
        409,
    )
    assert "freigegebene Maßnahmen" in body["detail"] and "Entwurf" in body["detail"]
    _problem(post(client, token, "/measures/99999/status-reports", report_body(1)), 404)
    _problem(get(client, token, "/measures/99999999999"), 404)


# --------------------------------------------------------------------------- reading, paging


def test_measure_detail_shows_what_the_pages_show(client, api_world, login_as):
    measure = api_world.measures["own_approved"]
    body = get(client, api_world.tokens["coordinator"], f"/measures/{measure.id}").get_json()
    assert body["reference"] == f"M-{measure.id:04d}"
    assert body["costs"] == [
        {"year": 2026, "amount": "12500.50"},
        {"year": 2027, "amount": "20000.00"},
        {"year": 2028, "amount": "0.00"},
        {"year": 2029, "amount": "0.00"},
    ]
    assert body["cost_total"] == "32500.50"
    assert body["light"] == "yellow" and body["light_label"] == "Gelb"
    assert [g["code"] for g in body["goals"]] == ["V-1"]
    assert body["status_label"] == "Freigegeben" and body["version"] == measure.version_id
    assert body["may_report"] is True
    client = login_as("coordinator")
    page = client.get("/portfolio/register").get_data(as_text=True)
    row = page[page.index(f'href="/massnahmen/{measure.id}"') :]
    row = row[: row.index("</tr>")]
    assert "32.500,50\u00a0€" in row and "72,50" in row and "Gelb" in row
    costs = client.get(f"/massnahmen/{measure.id}?tab=kosten").get_data(as_text=True)
    assert "12.500,50" in costs and "20.000,00" in costs


def test_paging_filters_and_query_count(client, api_world, factory, db):
    own = api_world.users["submitter"].department
    line = api_world.lines[0]
    for i in range(60):
        factory.measure(own, S.SUBMITTED, f"Serie {i:02d}", costs=[(line, 2026, "10.00")])
    db.session.commit()
    token = api_world.tokens["coordinator"]
    page = get(client, token, "/measures?status=submitted&per_page=25&page=3&sort=title").get_json()
    assert (page["total"], page["pages"], page["page"]) == (60, 3, 3)
    assert [i["title"] for i in page["items"]] == [f"Serie {i:02d}" for i in range(50, 60)]
    assert get(client, token, "/measures?status=submitted&page=9").get_json()["items"] == []
    found = get(client, token, "/measures?q=Bauantrag").get_json()
    assert [i["title"] for i in found["items"]] == ["Digitaler Bauantrag"]
    by_dept = get(
        client, token, f"/measures?department={own.id}&status=approved&status=in_progress"
    )
    assert {i["title"] for i in by_dept.get_json()["items"]} == {"Online-Terminvergabe", "E-Akte"}
    lights = get(client, token, "/measures?light=yellow").get_json()
    assert [i["title"] for i in lights["items"]] == ["Online-Terminvergabe"]
    # the number of queries does not grow with the page size
    get(client, token, "/measures?per_page=5")
    small = get(client, token, "/measures?per_page=5")
    large = get(client, token, "/measures?per_page=100")
    assert len(large.get_json()["items"]) == 65
    assert small.headers["X-Query-Count"] == large.headers["X-Query-Count"]
    assert int(large.headers["X-Query-Count"]) <= 8


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("per_page=101", "per_page", "höchstens 100"),
        ("page=0", "page", "mindestens 1"),
        ("status=fertig", "status", "erlaubt"),
        ("department=abc", "department", "ganze Zahl"),
        ("legal_obligation=ja", "legal_obligation", "true oder false"),
        ("sortierung=titel", "sortierung", "gibt es nicht"),
        ("page=1&page=2", "page", "nur einmal"),
        ("year=1999", "year", "mindestens 2000"),
    ],
)
def test_invalid_query_parameters_give_german_422(client, api_world, query, field, message):
    body = _problem(get(client, api_world.tokens["coordinator"], f"/measures?{query}"), 422)
    errors = {e["field"]: e["message"] for e in body["errors"]}
    assert message in errors[field], errors


def test_unknown_addresses_and_methods_are_problems(client, api_world):
    token = api_world.tokens["coordinator"]
    body = _problem(get(client, token, "/gibtsnicht"), 404)
    assert body["detail"] == "Diese Adresse gibt es in der API nicht."
    response = call(client, token, "DELETE", "/measures")
    body = _problem(response, 405)
    assert "GET" in response.headers["Allow"] and "DELETE" in body["detail"]


# --------------------------------------------------------------------------- the same figures


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


def _de(amount: str) -> str:
    """``"12500.50"`` as the German CSV writes it (``12500,50``)."""
    return amount.replace(".", ",")


def test_dashboard_figures_equal_the_page_download(client, api_world, login_as):
    api = get(client, api_world.tokens["leadership"], "/dashboard").get_json()
    page = dict(
        row for row in _csv(login_as("leadership").get("/dashboard/daten/kennzahlen.csv"))[1:]
    )
    tiles = api["tiles"]
    assert page["Maßnahmen insgesamt"] == str(tiles["total"]) == "5"
    for count in tiles["status_counts"]:
        assert page[f"Status: {count['status_label']}"] == str(count["count"])
    assert page["Maßnahmen mit roter Ampel"] == str(tiles["red_lights"])
    assert page["Überfällige Statusberichte"] == str(tiles["overdue_reports"])
    coverage = tiles["coverage"]
    assert page["Eigenanteil 2026"] == _de(coverage["own"])
    assert page["Summe der Lücken 2026"] == _de(coverage["gap"])
    assert page["Deckungsstatus 2026"] == coverage["status_label"]
    # independently: FB 1's line has 50,000 for 12,500.50 + 40,000 (gap 2,500.50); FB 2's
    # investive line 20,000 for 30,000 (gap 10,000)
    assert (coverage["own"], coverage["gap"]) == ("82500.50", "12500.50")


def test_budget_coverage_equals_the_coverage_service(client, api_world, db):
    body = get(client, api_world.tokens["treasury"], "/budget/coverage").get_json()
    assert body["years"] == [2026, 2027, 2028, 2029] and body["view"] == "budget_line"
    service = {y.year: y for y in coverage_by_year([2026, 2027, 2028, 2029])}
    for total in body["totals"]:
        expected = service[total["year"]]
        assert total["figures"]["gap"] == f"{expected.gap:.2f}"
        assert total["figures"]["free"] == f"{expected.free:.2f}"
        assert total["figures"]["status"] == expected.status.value
    line = api_world.lines[0]
    row = next(r for r in body["rows"] if r["key"] == str(line.id))
    y2026 = row["years"][0]["figures"]
    assert (y2026["planned"], y2026["own"], y2026["gap"], y2026["status"]) == (
        "50000.00",
        "52500.50",
        "2500.50",
        "partly",
    )
    y2027 = row["years"][1]["figures"]
    assert (y2027["available"], y2027["own"], y2027["gap"]) == ("10000.00", "20000.00", "10000.00")
    scenario = get(
        client, api_world.tokens["treasury"], "/budget/coverage?scenario=true&view=department"
    ).get_json()
    assert scenario["scenario"] is True and {r["label"] for r in scenario["rows"]} == {
        "FB 1 Bürgerservice",
        "FB 2 Bauen",
    }
    lines = get(client, api_world.tokens["treasury"], "/budget/lines").get_json()
    first = next(item for item in lines["items"] if item["id"] == line.id)
    assert first["amounts"] == [
        {"year": 2026, "approved_amount": "50000.00", "base_load": "0.00"},
        {"year": 2027, "approved_amount": "10000.00", "base_load": "0.00"},
    ]


def test_agenda_coverage_depends_on_what_the_token_may_see(client, api_world):
    def goal(token: str, code: str) -> dict:
        body = get(client, token, "/agenda").get_json()
        goals = [g for f in body["action_fields"] for g in f["goals"]]
        return next(g for g in goals if g["code"] == code)

    # B-1: own running measure (FB 1) and FB 2's approved one
    coordinator = goal(api_world.tokens["coordinator"], "B-1")
    assert coordinator["measure_count"] == 2 and coordinator["measure_cost"] == "70000.00"
    submitter = goal(api_world.tokens["submitter"], "B-1")
    assert submitter["measure_count"] == 2  # FB 2's approved measure is visible to all
    versions = get(client, api_world.tokens["submitter"], "/agenda/versions").get_json()
    assert [v["status_label"] for v in versions["items"]] == ["Beschlossen"]
    one = get(client, api_world.tokens["submitter"], f"/agenda/versions/{api_world.agenda.id}")
    assert one.status_code == 200 and one.get_json()["version_no"] == 1
    _problem(get(client, api_world.tokens["submitter"], "/agenda/versions/4242"), 404)


# --------------------------------------------------------------------------- the document


def test_document_is_openapi_31_generated_from_the_routes(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    documented = {
        (method.upper(), "/api/v1" + path)
        for path, methods in doc["paths"].items()
        for method in methods
    }
    routed = {
        (method, re.sub(r"<int:(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.openapi", "api.docs")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routed
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    body = doc["components"]["schemas"]["StatusReportIn"]
    assert body["properties"]["progress_percent"]["title"] == "Fortschritt (%)"
    assert "version" in body["required"] and body["additionalProperties"] is False
    post_op = doc["paths"]["/measures/{measure_id}/status-reports"]["post"]
    assert {"409", "422", "428"} <= set(post_op["responses"])
    assert "application/problem+json" in post_op["responses"]["409"]["content"]


def test_documentation_page_is_local_and_lists_every_operation(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, methods in doc["paths"].items():
        for method, entry in methods.items():
            assert f'id="{entry["operationId"]}"' in html
            assert f"{method.upper()} {path}" in html
    assert 'id="problem-version-fehlt"' in html and 'id="schema-Problem"' in html
    assert not re.search(r'(src|href)="https?://', html)
    assert json.loads(client.get("/api/v1/openapi.json").data)["info"]["title"].startswith(
        "Steuerung"
    )
