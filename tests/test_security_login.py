"""Login throttling (per account+address, per address, per account without lock-out),
security logging, and the password policy for users and administrators."""

from __future__ import annotations

import logging

import pytest
from conftest import PASSWORD, csrf_token, login, post_form
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from steuerung.models import User
from steuerung.services.security.throttle import THROTTLED_MESSAGE

WRONG = "falsch-falsch-falsch"
FAILED = "Anmeldung fehlgeschlagen: Benutzername oder Passwort ist falsch."


def _client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _attempt(client, username: str, password: str):
    return post_form(client, "/auth/login", {"username": username, "password": password})


def test_pair_throttle_refuses_even_the_right_password_after_five_failures(app, users):
    client = _client_from(app, "10.1.1.1")
    for _ in range(5):
        assert FAILED in _attempt(client, "coordinator", WRONG).get_data(as_text=True)
    response = _attempt(client, "coordinator", PASSWORD)
    assert response.status_code == 429
    assert THROTTLED_MESSAGE in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in
    # The same account from another address is not affected by this pair's counter.
    assert _attempt(_client_from(app, "10.1.1.2"), "coordinator", PASSWORD).status_code == 302


def test_unknown_and_known_accounts_are_throttled_alike(app, users):
    client = _client_from(app, "10.2.2.2")
    for name in ("coordinator", "gibt-es-nicht"):
        for _ in range(5):
            _attempt(client, name, WRONG)
        text = _attempt(client, name, WRONG).get_data(as_text=True)
        assert THROTTLED_MESSAGE in text


def test_address_throttle_stops_password_spraying(app, users, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", 8)
    client = _client_from(app, "10.3.3.3")
    for i in range(8):
        assert _attempt(client, f"person{i}", WRONG).status_code == 200
    response = _attempt(client, "submitter", PASSWORD)
    assert response.status_code == 429
    assert _attempt(_client_from(app, "10.3.3.4"), "submitter", PASSWORD).status_code == 302


def test_account_throttle_spares_the_users_known_browser(app, users, monkeypatch):
    """An attacker on many addresses cannot lock the real user out of their usual browser."""
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", 6)
    usual = _client_from(app, "10.4.0.1")
    assert _attempt(usual, "treasury", PASSWORD).status_code == 302  # gets the device cookie
    usual.post("/auth/logout", data={"csrf_token": csrf_token(usual, "/")})
    for i in range(6):
        _attempt(_client_from(app, f"10.4.1.{i}"), "treasury", WRONG)
    # A new device (even with the right password) now waits ...
    assert _attempt(_client_from(app, "10.4.2.1"), "treasury", PASSWORD).status_code == 429
    # ... the user's usual browser does not.
    assert _attempt(usual, "treasury", PASSWORD).status_code == 302
    assert usual.get("/").status_code == 200


def test_raw_login_requests_are_rate_limited_per_address(app, users, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_REQUESTS_PER_ADDRESS", "3 per minute")
    client = _client_from(app, "10.5.5.5")
    token = csrf_token(client, "/auth/login")
    statuses = [
        client.post(
            "/auth/login", data={"csrf_token": token, "username": "x", "password": WRONG}
        ).status_code
        for _ in range(4)
    ]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429
    page = client.post("/auth/login", data={"csrf_token": token}).get_data(as_text=True)
    assert "Zu viele Anfragen" in page


def test_logins_failures_throttling_and_403_are_logged(app, users, caplog):
    caplog.set_level(logging.INFO, logger="steuerung.security")
    client = _client_from(app, "10.6.6.6")
    _attempt(client, "submitter", WRONG)
    for _ in range(6):
        _attempt(client, "coordinator", WRONG)
    _attempt(client, "submitter", PASSWORD)
    client.get("/verwaltung/benutzer")
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    lines = [r.getMessage() for r in caplog.records if r.name == "steuerung.security"]
    assert any(line.startswith("login_failed username=submitter") for line in lines)
    assert any(line.startswith("login_throttled username=coordinator") for line in lines)
    assert any(line.startswith("login user=submitter") and "10.6.6.6" in line for line in lines)
    assert any(
        line.startswith("access_denied user=submitter") and "/verwaltung/benutzer" in line
        for line in lines
    )
    assert any(line.startswith("logout user=submitter") for line in lines)
    assert not any(WRONG in line or PASSWORD in line for line in lines)


# --- Password policy ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("1234567890ab", "häufig verwendetes Passwort"),
        ("passwort1234", "häufig verwendetes Passwort"),
        ("aaaaaaaaaaaa", "Wiederholungen"),
        ("submitter-2026", "Ihren Namen, Ihren Benutzernamen"),
        ("kurz-1", "12 bis 128 Zeichen"),
        ("x" * 129, "12 bis 128 Zeichen"),
    ],
)
def test_own_password_change_refuses_weak_passwords(login_as, users, password, reason):
    client = login_as("submitter")
    response = post_form(
        client,
        "/auth/password",
        {"current_password": PASSWORD, "new_password": password, "confirm_password": password},
    )
    html = response.get_data(as_text=True)
    assert reason in html
    assert 'id="new_password-fehler"' in html or "new_password" in html
    assert users["submitter"].check_password(PASSWORD)


def test_long_passphrase_is_accepted(login_as, users, db):
    client = login_as("submitter")
    phrase = "Der Bauantrag kommt digital, die Kita-Anmeldung auch: " + "ä" * 8 + " 2026!"
    assert len(phrase) > 64
    response = post_form(
        client,
        "/auth/password",
        {"current_password": PASSWORD, "new_password": phrase, "confirm_password": phrase},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, users["submitter"].id).check_password(phrase)


def test_admin_cannot_set_weak_passwords(login_as, users, db):
    client = login_as("admin")
    target = users["leadership"]
    response = post_form(
        client,
        f"/verwaltung/benutzer/{target.id}/passwort",
        {"password": "passwort1234"},
        token_from=f"/verwaltung/benutzer/{target.id}",
    )
    assert response.status_code == 400
    assert "zu leicht zu erraten" in response.get_data(as_text=True)
    response = post_form(
        client,
        "/verwaltung/benutzer/neu",
        {
            "username": "neu.person",
            "full_name": "Neue Person",
            "role": "submitter",
            "department_id": users["submitter"].department_id,
            "is_active": "y",
            "password": "qwertzuiop12",
        },
    )
    assert "zu leicht zu erraten" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "neu.person")) is None


def test_admin_set_password_must_be_changed_at_next_login(app, login_as, users, db):
    admin = login_as("admin")
    target = users["leadership"]
    chosen = "Fahrrad-Ampel-Wolke-73"
    post_form(
        admin,
        f"/verwaltung/benutzer/{target.id}/passwort",
        {"password": chosen},
        token_from=f"/verwaltung/benutzer/{target.id}",
    )
    person = app.test_client()
    response = login(person, target.username, chosen)
    assert response.headers["Location"] == "/auth/password"
    # Every other page leads back to the password form until a new one is chosen.
    response = person.get("/dashboard/")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/password"
    own = "Kastanie-Rathaus-Fluss-58"
    response = post_form(
        person,
        "/auth/password",
        {"current_password": chosen, "new_password": own, "confirm_password": own},
    )
    assert response.status_code == 302
    assert person.get("/dashboard/").status_code == 200


def test_existing_hashes_keep_working(app, client, users, db):
    user = users["submitter"]
    user.password_hash = generate_password_hash("altes-passwort", method="scrypt")
    db.session.commit()
    assert login(client, "submitter", "altes-passwort").status_code == 302
    # Replaced by the configured method at this login; the password stays the same.
    db.session.refresh(user)
    assert user.password_hash.startswith("pbkdf2:sha256:1000$")
    assert login(app.test_client(), "submitter", "altes-passwort").status_code == 302


def test_argon2id_with_owasp_parameters_replaces_older_hashes(app, client, users, db, monkeypatch):
    """Production hashes new passwords with Argon2id (m=19 MiB, t=2, p=1); a scrypt hash
    from before becomes one at the next successful login, a failed one changes nothing."""
    from steuerung.models.password_hash import verify_password

    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "argon2id")
    user = users["submitter"]
    old = generate_password_hash("altes-passwort", method="scrypt")
    user.password_hash = old
    db.session.commit()
    assert login(client, "submitter", "falsch-falsch-falsch").status_code != 302
    db.session.refresh(user)
    assert user.password_hash == old
    assert login(client, "submitter", "altes-passwort").status_code == 302
    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(user.password_hash, "altes-passwort")
    assert not verify_password(user.password_hash, "altes-passwort!")
    assert not verify_password("$argon2id$kaputt", "altes-passwort")
    assert login(app.test_client(), "submitter", "altes-passwort").status_code == 302
    user.set_password("Kastanie-Rathaus-Fluss-58")
    assert user.password_hash.startswith("$argon2id$")


def test_demo_password_is_used_by_the_seed_only():
    """The demo seed sets hashes directly; the policy would refuse its password for the
    Kommune "Lindenfeld" because it is built on the Kommune's name."""
    from seed.demo import DEMO_PASSWORD
    from steuerung.services.security.passwords import password_problem

    assert password_problem(DEMO_PASSWORD, ["Lindenfeld"]) is not None
    assert password_problem(DEMO_PASSWORD) is None


def test_only_hashes_of_another_method_are_replaced():
    from steuerung.models.password_hash import hash_password, needs_rehash

    scrypt = generate_password_hash("altes-passwort", method="scrypt")
    argon = hash_password("altes-passwort", "argon2id")
    assert not needs_rehash(scrypt, "scrypt")  # werkzeug writes "scrypt:32768:8:1"
    assert needs_rehash(scrypt, "argon2id")
    assert not needs_rehash(argon, "argon2id")
    assert needs_rehash(argon, "scrypt")
    weaker = argon.replace("m=19456,t=2", "m=8192,t=2")
    assert needs_rehash(weaker, "argon2id")  # other parameters than configured
