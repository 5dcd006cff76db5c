"""Per-object access as a matrix: each role x each measure route x own/other department
x draft/approved. 404 for unknown ids, 403 for forbidden, read-only roles never write."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import csrf_token
from measures_helpers import make_measure, world_fixture  # noqa: F401

from steuerung.extensions import db as _db
from steuerung.models import ChangeRequest, KeyFigure, Measure, MeasureStatus, Milestone, Settings

ROLES = ["submitter", "coordinator", "leadership", "treasury", "admin"]
TARGETS = ["own_draft", "own_approved", "other_draft", "other_approved"]
WRITERS = {"submitter", "coordinator"}
READ_ALL = {"coordinator", "leadership", "treasury", "admin"}

#: route name -> (method, url template, form data)
ROUTES = {
    "detail": ("GET", "/massnahmen/{id}", None),
    "history": ("GET", "/massnahmen/{id}?tab=verlauf", None),
    "edit": ("GET", "/massnahmen/{id}/bearbeiten", None),
    "edit_post": ("POST", "/massnahmen/{id}/bearbeiten", {"title": "x"}),
    "transition": ("POST", "/massnahmen/{id}/status", {"target": "{next}", "reason": "r"}),
    "answer": ("POST", "/massnahmen/{id}/antwort", {"body": "Antwort"}),
    "report": ("GET", "/massnahmen/{id}/statusbericht", None),
    "milestone": ("POST", "/massnahmen/{id}/meilensteine/{ms}", {}),
    "key_figure": ("POST", "/massnahmen/{id}/kennzahlen", {"name": "K"}),
    "key_figure_value": (
        "POST",
        "/massnahmen/{id}/kennzahlen/{kf}/werte",
        {"measured_on": "2026-01-01", "value": "1"},
    ),
    "change_request": ("GET", "/massnahmen/{id}/aenderungsantrag", None),
    "decide": ("POST", "/massnahmen/{id}/aenderungsantrag/{cr}", {"decline": "1"}),
}


def expected(role: str, route: str, target: str, visible_to_all: bool = True) -> int:
    """The access rule, written out independently of the code under test."""
    own = target.startswith("own")
    approved = target.endswith("approved")
    visible = role in READ_ALL or own or (approved and visible_to_all)
    editable = role == "coordinator" or (role == "submitter" and own)
    if route in ("detail", "history"):
        return 200 if visible else 403
    if route == "decide":
        return 302 if role == "coordinator" else 403
    if role not in WRITERS or not visible:
        return 403
    if route == "transition":
        # the workflow decides: done (302) or refused with a message on the page (400)
        return 302 if editable else 400
    if not editable:
        return 403
    if route in ("edit", "edit_post"):
        return 200  # the form (an incomplete post is shown again with messages)
    if route in ("report", "change_request"):
        return 200 if approved else 302
    return 302


@pytest.fixture()
def measures(world, factory, db):
    result = {}
    for target in TARGETS:
        status = MeasureStatus.APPROVED if target.endswith("approved") else MeasureStatus.DRAFT
        measure = make_measure(factory, world, status, own=target.startswith("own"))
        measure.milestones.append(Milestone(title="M", due_date=date(2026, 6, 1)))
        measure.key_figures.append(KeyFigure(name="K"))
        db.session.flush()
        request = ChangeRequest(measure_id=measure.id, reason="r", payload={"cost_plan": []})
        db.session.add(request)
        db.session.flush()
        result[target] = (measure, request)
    db.session.commit()
    return result


def _call(client, route, measure, request, token):
    method, url, data = ROUTES[route]
    next_status = "submitted" if measure.status == MeasureStatus.DRAFT else "in_progress"
    url = url.format(
        id=measure.id, ms=measure.milestones[0].id, kf=measure.key_figures[0].id, cr=request.id
    )
    if method == "GET":
        return client.get(url)
    payload = {k: v.replace("{next}", next_status) for k, v in (data or {}).items()}
    payload["csrf_token"] = token
    # As the page the user acted on would: the measure's current version.
    _db.session.expire_all()
    current = _db.session.get(Measure, measure.id)
    payload["version_id"] = str(current.version_id if current else 0)
    return client.post(url, data=payload)


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(login_as, measures, db, role, route):
    client = login_as(role)
    token = csrf_token(client, "/")
    for target in TARGETS:
        measure, request = measures[target]
        response = _call(client, route, measure, request, token)
        assert response.status_code == expected(role, route, target), (role, route, target)


@pytest.mark.parametrize("route", ["detail", "edit", "transition", "answer"])
def test_other_departments_approved_measure_hidden_when_setting_off(login_as, measures, db, route):
    settings = db.session.get(Settings, 1)
    settings.approved_visible_to_all = False
    db.session.commit()
    client = login_as("submitter")
    token = csrf_token(client, "/")
    measure, request = measures["other_approved"]
    response = _call(client, route, measure, request, token)
    assert response.status_code == expected("submitter", route, "other_approved", False) == 403
    listing = client.get("/massnahmen/?umfang=alle").get_data(as_text=True)
    assert measure.title not in listing


@pytest.mark.parametrize("route", list(ROUTES))
def test_unknown_ids_are_404(login_as, measures, db, route):
    client = login_as("coordinator")
    token = csrf_token(client, "/")
    method, url, data = ROUTES[route]
    url = url.format(id=987654, ms=1, kf=1, cr=1)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={**(data or {}), "csrf_token": token})
    assert response.status_code == 404


@pytest.mark.parametrize("route", ["milestone", "key_figure_value", "decide"])
def test_sub_object_of_another_measure_is_404(login_as, measures, db, route):
    client = login_as("coordinator")
    token = csrf_token(client, "/")
    measure, _ = measures["own_draft"]
    other, other_request = measures["own_approved"]
    method, url, data = ROUTES[route]
    url = url.format(
        id=measure.id, ms=other.milestones[0].id, kf=other.key_figures[0].id, cr=other_request.id
    )
    response = client.post(url, data={**(data or {}), "csrf_token": token})
    assert response.status_code == 404


def test_list_shows_only_visible_measures(login_as, measures, db):
    client = login_as("submitter")
    own_list = client.get("/massnahmen/").get_data(as_text=True)
    assert measures["own_draft"][0].title in own_list
    assert measures["other_approved"][0].title not in own_list
    all_list = client.get("/massnahmen/?umfang=alle").get_data(as_text=True)
    assert measures["other_approved"][0].title in all_list
    assert measures["other_draft"][0].title not in all_list


@pytest.mark.parametrize("role", ["leadership", "treasury"])
def test_read_only_roles_see_no_write_buttons(login_as, measures, db, role):
    client = login_as(role)
    page = client.get(f"/massnahmen/{measures['own_approved'][0].id}").get_data(as_text=True)
    assert "Bearbeiten" not in page
    assert "Status ändern" not in page
    assert "Abhaken" not in page
    assert "Neue Maßnahme erfassen" not in client.get("/massnahmen/").get_data(as_text=True)


def test_anonymous_is_sent_to_login(client, measures):
    measure, _ = measures["own_draft"]
    response = client.get(f"/massnahmen/{measure.id}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("role", "index", "new"),
    [
        ("submitter", 200, 200),
        ("coordinator", 200, 200),
        ("leadership", 200, 403),
        ("treasury", 200, 403),
        ("admin", 200, 403),
    ],
)
def test_list_and_new_per_role(login_as, world, db, role, index, new):
    client = login_as(role)
    assert client.get("/massnahmen/").status_code == index
    assert client.get("/massnahmen/neu").status_code == new
    token = csrf_token(client, "/")
    response = client.post("/massnahmen/neu", data={"csrf_token": token, "title": "x"})
    assert response.status_code == (200 if new == 200 else 403)


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("submitter", True),
        ("coordinator", True),
        ("leadership", True),
        ("treasury", True),
        ("admin", False),
    ],
)
def test_nav_entry(login_as, world, db, role, shown):
    html = login_as(role).get("/").get_data(as_text=True)
    assert ('href="/massnahmen/"' in html) == shown
