"""Directory login against a real OpenLDAP server (Debian slapd) started on loopback.

The server (scripts/ldap_test_server.py) gets a throwaway self-signed certificate and only
accepts simple binds over TLS; the tests use LDAPS and StartTLS, search and direct binds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import PASSWORD, csrf_token, login
from sqlalchemy import func, select

from config import TestConfig
from steuerung import create_app
from steuerung.models import Department, Role, User
from steuerung.services.security.directory import NOT_ENABLED_MESSAGE, UNREACHABLE_MESSAGE

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import ldap_test_server  # noqa: E402

FAILED = "Anmeldung fehlgeschlagen: Benutzername oder Passwort ist falsch."
PEOPLE = ldap_test_server.PEOPLE_DATA


@pytest.fixture(scope="session")
def directory():
    """One slapd for the whole session (installed with apt first if missing and root)."""
    if not ldap_test_server.install():
        pytest.skip(
            "slapd fehlt und kann ohne root nicht installiert werden: sudo apt-get install slapd"
        )
    server = ldap_test_server.TestDirectory().start()
    yield server
    server.stop()


@pytest.fixture()
def departments(factory, users, db):
    """Departments matching the directory's departmentNumber values (FB 1/FB 2 exist)."""
    for code, name in (
        ("FB 3", "Ordnung"),
        ("SD", "Stabsstelle Digitalisierung"),
        ("VL", "Leitung"),
    ):
        factory.department(code, name)
    db.session.commit()


@pytest.fixture()
def ldap(app, directory, departments, monkeypatch):
    """Directory login switched on (LDAPS, search bind); returns a config setter."""

    def configure(**overrides):
        config = {**directory.app_config(), "LDAP_DEPARTMENT_MAP": {"Kämmerei": "FB 2"}}
        config.update(overrides)
        for key, value in config.items():
            monkeypatch.setitem(app.config, key, value)

    configure()
    return configure


def _login(app, uid, password=None):
    client = app.test_client()
    response = login(client, uid, password or PEOPLE[uid][3])
    return client, response


def _user(db, uid) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == uid))


def test_directory_is_off_by_default(app, client, users):
    assert not app.config["LDAP_URL"]
    response = login(client, "anna.fb3", PEOPLE["anna.fb3"][3])
    assert FAILED in response.get_data(as_text=True)


def test_login_with_directory_credentials_creates_the_account(app, ldap, db):
    client, response = _login(app, "anna.fb3")
    assert response.status_code == 302
    assert "Guten Tag, Anna Ordnung" in client.get("/").get_data(as_text=True)
    user = _user(db, "anna.fb3")
    assert user.auth_source == "directory"
    assert user.role == Role.SUBMITTER
    assert user.department.code == "FB 3"
    assert user.email == "anna.fb3@lindenfeld.test"
    assert not user.check_password(PEOPLE["anna.fb3"][3])  # no local password kept
    assert "$" not in user.password_hash


@pytest.mark.parametrize(
    ("uid", "role", "department"),
    [
        ("anna.fb3", Role.SUBMITTER, "FB 3"),
        ("kai.koord", Role.COORDINATOR, "SD"),
        ("tina.kaemmerei", Role.TREASURY, "FB 2"),  # "Kämmerei" mapped by LDAP_DEPARTMENT_MAP
        ("bernd.leitung", Role.LEADERSHIP, "VL"),
        ("ines.it", Role.ADMIN, "FB 1"),
    ],
)
def test_group_maps_to_role_and_attribute_to_department(app, ldap, db, uid, role, department):
    client, response = _login(app, uid)
    assert response.status_code == 302
    user = _user(db, uid)
    assert (user.role, user.department.code) == (role, department)
    # The role works: the admin area is open only to the directory's administrators.
    assert client.get("/verwaltung/benutzer").status_code == (200 if role == Role.ADMIN else 403)


def test_account_is_updated_at_every_login(app, ldap, directory, db):
    _login(app, "kai.koord")
    directory.set_attribute("kai.koord", "displayName", "Kai Koordinator-Neu")
    directory.set_attribute("kai.koord", "departmentNumber", "VL")
    directory.set_membership("kai.koord", "steuerung-leitung", True)
    directory.set_membership("kai.koord", "steuerung-koordination", False)
    try:
        _client, response = _login(app, "kai.koord")
        assert response.status_code == 302
        user = _user(db, "kai.koord")
        assert user.full_name == "Kai Koordinator-Neu"
        assert user.department.code == "VL" and user.role == Role.LEADERSHIP
        assert (
            db.session.scalar(select(func.count(User.id)).where(User.username == "kai.koord")) == 1
        )
    finally:
        directory.set_membership("kai.koord", "steuerung-koordination", True)
        directory.set_membership("kai.koord", "steuerung-leitung", False)
        directory.set_attribute("kai.koord", "departmentNumber", "SD")
        directory.set_attribute("kai.koord", "displayName", "Kai Koordination")


def test_user_removed_from_the_group_loses_access_at_next_login(app, ldap, directory, db):
    running, response = _login(app, "bernd.leitung")
    assert response.status_code == 302 and running.get("/").status_code == 200
    directory.set_membership("bernd.leitung", "steuerung-leitung", False)
    try:
        client, response = _login(app, "bernd.leitung")
        html = response.get_data(as_text=True)
        assert NOT_ENABLED_MESSAGE in html
        assert client.get("/").status_code == 302
        assert running.get("/").status_code == 302  # the older session ended as well
    finally:
        directory.set_membership("bernd.leitung", "steuerung-leitung", True)
    assert _login(app, "bernd.leitung")[1].status_code == 302  # back in the group: back in


def test_user_without_any_group_is_refused(app, ldap, db):
    _client, response = _login(app, "otto.ohne")
    assert NOT_ENABLED_MESSAGE in response.get_data(as_text=True)
    assert _user(db, "otto.ohne") is None


def test_unknown_department_is_refused_with_a_message(app, ldap, db):
    _client, response = _login(app, "erna.fremd")
    assert "Ihr Fachbereich „FB 99“ aus dem Verzeichnis ist in Steuerung nicht angelegt" in (
        response.get_data(as_text=True)
    )


@pytest.mark.parametrize(
    ("uid", "password"),
    [
        ("anna.fb3", "falsches-Passwort-1"),
        ("niemand", "irgendein-Passwort-1"),
        ("anna.fb3)(uid=*", "irgendein-Passwort-1"),  # filter injection stays a literal name
        ("*", "irgendein-Passwort-1"),
    ],
)
def test_wrong_credentials_give_the_generic_message(app, ldap, db, uid, password):
    client, response = _login(app, uid, password)
    assert FAILED in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unreachable_directory_gives_german_message_and_local_admin_still_works(
    app, ldap, users, db
):
    ldap(LDAP_URL=f"ldaps://127.0.0.1:{ldap_test_server.free_port()}", LDAP_TIMEOUT=1)
    _client, response = _login(app, "anna.fb3")
    assert response.status_code == 503
    assert UNREACHABLE_MESSAGE in response.get_data(as_text=True)
    admin = app.test_client()
    assert login(admin, "admin", PASSWORD).status_code == 302
    assert admin.get("/verwaltung/benutzer").status_code == 200


def test_untrusted_certificate_is_refused(app, ldap, db):
    ldap(LDAP_CA_FILE="")  # the self-signed certificate is not in the system's trust store
    _client, response = _login(app, "anna.fb3")
    assert UNREACHABLE_MESSAGE in response.get_data(as_text=True)
    assert _user(db, "anna.fb3") is None


@pytest.mark.parametrize("style", ["search", "direct"])
def test_starttls_with_search_and_direct_bind(app, ldap, directory, db, style):
    ldap(**directory.app_config(starttls=True, style=style))
    _client, response = _login(app, "ines.it")
    assert response.status_code == 302
    assert _user(db, "ines.it").role == Role.ADMIN


def test_memberof_attribute_instead_of_group_search(app, ldap, db):
    ldap(LDAP_GROUP_SEARCH_BASE="")
    _client, response = _login(app, "tina.kaemmerei")
    assert response.status_code == 302
    assert _user(db, "tina.kaemmerei").role == Role.TREASURY


def test_local_account_of_the_same_name_is_checked_locally(app, ldap, factory, db):
    local = factory.user(Role.LEADERSHIP, username="anna.fb3")
    db.session.commit()
    assert _login(app, "anna.fb3")[1].status_code == 200  # directory password: refused
    assert _login(app, "anna.fb3", PASSWORD)[1].status_code == 302
    assert _user(db, "anna.fb3").id == local.id and _user(db, "anna.fb3").auth_source == "local"


def test_directory_user_cannot_change_password_here(app, ldap, db):
    client, _response = _login(app, "anna.fb3")
    new = "Ganz-neues-Passwort-77"
    response = client.post(
        "/auth/password",
        data={
            "csrf_token": csrf_token(client, "/auth/password"),
            "current_password": PEOPLE["anna.fb3"][3],
            "new_password": new,
            "confirm_password": new,
        },
    )
    assert "im Verzeichnisdienst" in response.get_data(as_text=True)


def test_plaintext_directory_configuration_stops_the_start(directory):
    class Plain(TestConfig):
        LDAP_URL = f"ldap://127.0.0.1:{directory.ldap_port}"
        LDAP_STARTTLS = False
        LDAP_GROUP_ROLE_MAP = '{"cn=x": "admin"}'

    with pytest.raises(ValueError, match="LDAP_STARTTLS"):
        create_app(Plain)


def test_department_names_are_matched_case_insensitively(app, ldap, directory, db):
    directory.set_attribute("anna.fb3", "departmentNumber", "ordnung")
    try:
        assert _login(app, "anna.fb3")[1].status_code == 302
        assert _user(db, "anna.fb3").department.code == "FB 3"
    finally:
        directory.set_attribute("anna.fb3", "departmentNumber", "FB 3")
    assert db.session.scalar(select(func.count(Department.id))) >= 5
