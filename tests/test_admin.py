"""Administration: users, departments, settings; only for the admin role."""

from __future__ import annotations

import pytest
from conftest import PASSWORD, login, post_form
from sqlalchemy import select

from steuerung.models import AuditEntry, Department, Role, Settings, User

ADMIN_URLS = [
    "/verwaltung/benutzer",
    "/verwaltung/benutzer/neu",
    "/verwaltung/fachbereiche",
    "/verwaltung/fachbereiche/neu",
    "/verwaltung/einstellungen",
]


@pytest.mark.parametrize("role", ["submitter", "coordinator", "treasury", "leadership"])
@pytest.mark.parametrize("url", ADMIN_URLS)
def test_only_admins_reach_administration(login_as, role, url):
    client = login_as(role)
    assert client.get(url).status_code == 403


def test_admin_creates_user_who_can_log_in(login_as, db, users):
    client = login_as("admin")
    dept = users["submitter"].department
    response = post_form(
        client,
        "/verwaltung/benutzer/neu",
        {
            "username": "neu.person",
            "full_name": "Neue Person",
            "email": "neu@example.org",
            "role": "submitter",
            "department_id": dept.id,
            "is_active": "y",
            "password": "erstes-passwort-1",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "neu.person"))
    assert user.role == Role.SUBMITTER and user.department_id == dept.id
    assert user.password_hash != "erstes-passwort-1"
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.entity_type == "users", AuditEntry.entity_id == user.id)
    )
    assert entry.user_id == users["admin"].id
    assert entry.changes["password_hash"] == [None, "***"]
    client.post("/auth/logout", data={"csrf_token": "x"})  # refused without a valid token
    other = client.application.test_client()
    assert login(other, "neu.person", "erstes-passwort-1").status_code == 302


def test_user_form_errors_are_german_and_tied_to_fields(login_as, users, db):
    client = login_as("admin")
    count = db.session.query(User).count()
    response = post_form(
        client,
        "/verwaltung/benutzer/neu",
        {
            "username": "coordinator",
            "full_name": "",
            "email": "kein-mail",
            "role": "kaiser",
            "department_id": "abc",
            "password": "kurz",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bitte geben Sie den Namen ein." in html
    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein." in html
    assert "12 bis 128 Zeichen" in html
    assert 'aria-describedby="full_name-fehler"' in html
    assert db.session.query(User).count() == count
    response = post_form(
        client,
        "/verwaltung/benutzer/neu",
        {
            "username": "Coordinator",
            "full_name": "Doppelt",
            "role": "submitter",
            "department_id": users["submitter"].department_id,
            "password": "lang-genug-123",
        },
    )
    assert "bereits vergeben" in response.get_data(as_text=True)
    assert db.session.query(User).count() == count


def test_admin_edits_and_locks_user_but_not_self(login_as, users, db):
    client = login_as("admin")
    target = users["leadership"]
    url = f"/verwaltung/benutzer/{target.id}"
    data = {
        "username": target.username,
        "full_name": "Geänderter Name",
        "email": "",
        "role": "leadership",
        "department_id": target.department_id,
    }
    assert post_form(client, url, data).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).full_name == "Geänderter Name"
    assert db.session.get(User, target.id).is_active_user is False  # checkbox not sent
    assert login(client.application.test_client(), target.username).status_code == 200

    me = users["admin"]
    response = post_form(
        client,
        f"/verwaltung/benutzer/{me.id}",
        {
            "username": me.username,
            "full_name": me.full_name,
            "role": "submitter",
            "department_id": me.department_id,
            "is_active": "y",
        },
    )
    assert "nicht selbst" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, me.id).role == Role.ADMIN
    assert client.get("/verwaltung/benutzer/999999").status_code == 404


def test_admin_resets_password(login_as, users, db):
    client = login_as("admin")
    target = users["treasury"]
    url = f"/verwaltung/benutzer/{target.id}/passwort"
    response = post_form(
        client, url, {"password": "kurz"}, token_from=f"/verwaltung/benutzer/{target.id}"
    )
    assert response.status_code == 400
    response = post_form(
        client,
        url,
        {"password": "neues-passwort-9"},
        token_from=f"/verwaltung/benutzer/{target.id}",
    )
    assert response.status_code == 302
    fresh = client.application.test_client()
    assert login(fresh, target.username, PASSWORD).status_code == 200
    assert login(fresh, target.username, "neues-passwort-9").status_code == 302


def test_departments_create_and_unique(login_as, db, users):
    client = login_as("admin")
    assert (
        post_form(
            client,
            "/verwaltung/fachbereiche/neu",
            {"code": "FB 9", "name": "Kultur", "is_active": "y"},
        ).status_code
        == 302
    )
    assert db.session.scalar(select(Department).where(Department.code == "FB 9")).name == "Kultur"
    response = post_form(
        client,
        "/verwaltung/fachbereiche/neu",
        {"code": "fb 9", "name": "Noch einer", "is_active": "y"},
    )
    assert "Dieses Kürzel ist bereits vergeben." in response.get_data(as_text=True)
    assert "Kultur" in client.get("/verwaltung/fachbereiche").get_data(as_text=True)


def test_settings(login_as, db):
    client = login_as("admin")
    response = post_form(
        client,
        "/verwaltung/einstellungen",
        {"kommune_name": "Neustadt", "report_interval_days": "5"},
    )
    assert "Zahl von 7 bis 366" in response.get_data(as_text=True)
    response = post_form(
        client,
        "/verwaltung/einstellungen",
        {"kommune_name": "Neustadt", "report_interval_days": "30"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    settings = db.session.get(Settings, 1)
    assert (settings.kommune_name, settings.report_interval_days) == ("Neustadt", 30)
    assert settings.approved_visible_to_all is False
