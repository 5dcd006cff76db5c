"""Sessions held on the server: replay after logout / password change / admin reset fails,
idle and absolute timeouts (settable clock), new session at login, admin ends sessions,
production cookie flags."""

from __future__ import annotations

import pytest
from conftest import PASSWORD, csrf_token, login, post_form
from security_helpers import Clock, replay, session_cookie
from sqlalchemy import select

from config import ProductionConfig
from steuerung import create_app
from steuerung.models import UserSession

NEW_PASSWORD = "Fahrrad-Ampel-Wolke-73"


@pytest.fixture()
def clock(app, monkeypatch):
    """The app's security clock, frozen at a fixed time until the test moves it."""
    frozen = Clock()
    monkeypatch.setitem(app.config, "SECURITY_CLOCK", frozen)
    return frozen


def _logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_copied_cookie_is_useless_after_logout(login_as):
    client = login_as("submitter")
    stolen = session_cookie(client)
    assert _logged_in(replay(client, stolen))
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    response = replay(client, stolen).get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_copied_cookie_is_useless_after_password_change(login_as, db):
    client = login_as("coordinator")
    stolen = session_cookie(client)
    response = post_form(
        client,
        "/auth/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert not _logged_in(replay(client, stolen))
    assert _logged_in(client)  # the browser that changed it got a fresh session
    assert session_cookie(client) != stolen


def test_copied_cookie_is_useless_after_admin_reset(app, users, db):
    victim = app.test_client()
    assert login(victim, "treasury").status_code == 302
    stolen = session_cookie(victim)
    admin = app.test_client()
    login(admin, "admin")
    target = users["treasury"]
    response = post_form(
        admin,
        f"/verwaltung/benutzer/{target.id}/passwort",
        {"password": NEW_PASSWORD},
        token_from=f"/verwaltung/benutzer/{target.id}",
    )
    assert response.status_code == 302
    assert not _logged_in(replay(victim, stolen))
    assert not _logged_in(victim)


def test_admin_ends_all_sessions_of_a_user(app, users, db):
    first, second = app.test_client(), app.test_client()
    login(first, "leadership")
    login(second, "leadership")
    admin = app.test_client()
    login(admin, "admin")
    page = admin.get(f"/verwaltung/benutzer/{users['leadership'].id}").get_data(as_text=True)
    assert "Angemeldet in 2 Sitzung(en)." in page
    response = post_form(
        admin,
        f"/verwaltung/benutzer/{users['leadership'].id}/sitzungen-beenden",
        {},
        token_from=f"/verwaltung/benutzer/{users['leadership'].id}",
    )
    assert response.status_code == 302
    assert "2 Sitzung(en)" in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert not _logged_in(first) and not _logged_in(second)
    assert _logged_in(admin)


def test_idle_timeout(login_as, clock, app):
    client = login_as("submitter")
    clock.advance(minutes=29)
    assert _logged_in(client)  # activity resets the idle time
    clock.advance(minutes=29)
    assert _logged_in(client)
    clock.advance(minutes=31)
    response = client.get("/", follow_redirects=True)
    assert "wegen Inaktivität abgelaufen" in response.get_data(as_text=True)
    assert not _logged_in(client)


def test_idle_timeout_is_configurable(login_as, clock, app, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_TIMEOUT", 5 * 60)
    client = login_as("submitter")
    clock.advance(minutes=6)
    assert not _logged_in(client)


def test_absolute_lifetime_ends_after_ten_hours(login_as, clock, db):
    client = login_as("coordinator")
    record = db.session.scalar(select(UserSession).order_by(UserSession.id.desc()))
    started = record.created_at
    page = ""
    while (clock.now - started).total_seconds() < 11 * 3600:
        clock.advance(minutes=20)  # steady work: the idle timeout never strikes
        page = client.get("/", follow_redirects=True).get_data(as_text=True)
        if "Ihre Sitzung ist abgelaufen" in page:
            break
    assert "Ihre Sitzung ist abgelaufen" in page
    assert 10 * 3600 < (clock.now - started).total_seconds() <= 10 * 3600 + 20 * 60
    db.session.expire_all()
    assert db.session.get(UserSession, record.id).end_reason == "expired"


def test_login_starts_a_new_session(client, users, db):
    client.get("/auth/login")
    before = session_cookie(client)
    login(client, "submitter")
    first = session_cookie(client)
    assert first != before
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "submitter")
    assert session_cookie(client) != first
    hashes = db.session.scalars(select(UserSession.token_hash)).all()
    assert len(set(hashes)) == 2
    assert all(len(h) == 64 for h in hashes)  # only hashes are stored


def test_deactivated_user_is_logged_out_at_the_next_request(login_as, users, db):
    client = login_as("treasury")
    users["treasury"].is_active_user = False
    db.session.commit()
    assert not _logged_in(client)


def test_production_cookies_are_secure_host_only(tmp_path, monkeypatch):
    class Production(ProductionConfig):
        SECRET_KEY = "prod-test-key"
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'prod.db'}"
        PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

    app = create_app(Production)
    from steuerung.extensions import db as _db

    with app.app_context():
        _db.create_all()
        from conftest import Factory

        from steuerung.models import Role, Settings

        _db.session.add(Settings(id=1, budget_year=2026, kommune_name="Teststadt"))
        Factory(_db.session).user(Role.COORDINATOR, username="chefin")
        _db.session.commit()
    client = app.test_client()
    base = "https://steuerung.example"
    page = client.get("/auth/login", base_url=base).get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/auth/login",
        data={"csrf_token": token, "username": "chefin", "password": PASSWORD},
        base_url=base,
        headers={"Referer": base + "/auth/login"},
    )
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    session_header = next(c for c in cookies if c.startswith("__Host-session="))
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in session_header
    assert "Domain=" not in session_header
    device = next(c for c in cookies if c.startswith("__Host-steuerung-geraet="))
    assert "Secure" in device and "HttpOnly" in device
    start = client.get("/", base_url=base)
    assert start.status_code == 200
    assert start.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert start.headers["Cache-Control"] == "no-store"
    assert start.headers["Server"] == "webserver"
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
