"""Login, logout, password change, CSRF, role and object permissions, error pages."""

from __future__ import annotations

from conftest import PASSWORD, csrf_token, login, post_form


def test_login_page_is_german_and_has_labelled_fields(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert 'lang="de"' in html
    assert '<label class="form-label" for="username">Benutzername</label>' in html
    assert '<label class="form-label" for="password">Passwort</label>' in html


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/auth/login?next=%2F" in response.headers["Location"]


def test_login_with_right_password_reaches_start_page(client, users):
    response = login(client, "coordinator")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Guten Tag, Test Koordinationsstelle" in page


def test_wrong_password_and_unknown_user_get_the_same_german_message(client, users):
    wrong = login(client, "coordinator", "falsch-falsch").get_data(as_text=True)
    unknown = login(client, "gibtesnicht", "falsch-falsch").get_data(as_text=True)
    message = "Anmeldung fehlgeschlagen: Benutzername oder Passwort ist falsch."
    assert message in wrong and message in unknown
    assert "existiert nicht" not in unknown
    assert client.get("/").status_code == 302  # still logged out


def test_inactive_user_cannot_log_in(client, users, db):
    users["submitter"].is_active_user = False
    db.session.commit()
    response = login(client, "submitter")
    assert response.status_code == 200
    assert "Anmeldung fehlgeschlagen" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client, users):
    response = client.post("/auth/login", data={"username": "coordinator", "password": PASSWORD})
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen" in response.get_data(as_text=True)


def test_next_redirect_only_to_local_paths(client, users):
    token = csrf_token(client, "/auth/login")
    data = {"csrf_token": token, "username": "coordinator", "password": PASSWORD}
    response = client.post("/auth/login?next=https://boese.example/", data=data)
    assert response.headers["Location"] == "/"
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    token = csrf_token(client, "/auth/login")
    data["csrf_token"] = token
    response = client.post("/auth/login?next=/auth/password", data=data)
    assert response.headers["Location"] == "/auth/password"
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    data["csrf_token"] = csrf_token(client, "/auth/login")
    response = client.post("/auth/login?next=//boese.example/x", data=data)
    assert response.headers["Location"] == "/"


def test_logout_needs_post_and_ends_session(login_as):
    client = login_as("submitter")
    assert client.get("/auth/logout").status_code == 405
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_password_change(login_as, client, db, users):
    login_as("submitter")
    response = post_form(
        client,
        "/auth/password",
        {
            "current_password": "falsch",
            "new_password": "ganz-neues-passwort",
            "confirm_password": "ganz-neues-passwort",
        },
    )
    assert "Das bisherige Passwort ist nicht korrekt." in response.get_data(as_text=True)
    response = post_form(
        client,
        "/auth/password",
        {"current_password": PASSWORD, "new_password": "kurz", "confirm_password": "kurz"},
    )
    assert "12 bis 128 Zeichen" in response.get_data(as_text=True)
    response = post_form(
        client,
        "/auth/password",
        {
            "current_password": PASSWORD,
            "new_password": "ganz-neues-passwort",
            "confirm_password": "ganz-neues-passwort",
        },
    )
    assert response.status_code == 302
    db.session.refresh(users["submitter"])
    assert users["submitter"].check_password("ganz-neues-passwort")
    assert users["submitter"].password_hash != "ganz-neues-passwort"


def test_unknown_page_gives_german_404(login_as):
    client = login_as("coordinator")
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_each_role_reaches_its_start_page(client, users):
    expectations = {
        "submitter": "Zuletzt bearbeitete Maßnahmen",
        "coordinator": "warten auf Prüfung",
        "treasury": "Deckung im Planungszeitraum",
        "leadership": "warten auf Prüfung",
        "admin": "Benutzer und Organisation",
    }
    for role, text in expectations.items():
        login(client, role)
        page = client.get("/").get_data(as_text=True)
        assert text in page, role
        client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})


def test_vendor_assets_are_served_locally(client):
    for url in ("/vendor/bootstrap/css/bootstrap.min.css", "/vendor/plotly/plotly.min.js"):
        with client.get(url) as response:
            assert response.status_code == 200
            assert len(response.get_data()) > 10_000
    assert client.get("/vendor/nichtda/x.js").status_code == 404
    assert client.get("/vendor/bootstrap/../../../etc/passwd").status_code == 404
