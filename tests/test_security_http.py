"""HTTP hardening: headers, huge ids, control characters, the error page without database,
and the audit log that the database itself keeps append-only."""

from __future__ import annotations

import shutil

import pytest
from conftest import Factory, login, post_form
from measures_helpers import form_payload, world_fixture  # noqa: F401
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from config import TestConfig
from steuerung import create_app
from steuerung.extensions import db as _db
from steuerung.models import AuditEntry, Measure, Role, Settings

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "url",
    [
        f"/massnahmen/{HUGE}",
        f"/massnahmen/{HUGE}/bearbeiten",
        f"/haushalt/stellen/{HUGE}",
        f"/verwaltung/benutzer/{HUGE}",
        f"/potenzialcheck/{HUGE}",
        f"/agenda/versionen/{HUGE}",
        "/massnahmen/2147483648",
        "/massnahmen/9223372036854775808",
    ],
)
def test_huge_ids_in_the_path_are_404(login_as, url):
    client = login_as("admin" if "verwaltung" in url else "coordinator")
    response = client.get(url)
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        f"/massnahmen/?fachbereich={HUGE}",
        f"/massnahmen/neu?fachbereich={HUGE}",
        f"/portfolio/register?department={HUGE}",
        f"/portfolio/szenario?id={HUGE}",
        f"/haushalt/?hj={HUGE}",
    ],
)
def test_huge_ids_in_the_query_never_give_500(login_as, url):
    client = login_as("coordinator")
    assert client.get(url).status_code in (200, 302, 400, 404)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Terminvergabe\x00"),
        ("description", "Zeile 1\nZeile 2\x1b[31m"),
        ("contact", "Tel.\x07 123"),
        ("cost_plan-0-funding_programme", "Programm\x00"),
    ],
)
def test_control_characters_are_refused_at_the_field(login_as, world, db, field, value):
    client = login_as("submitter")
    response = post_form(client, "/massnahmen/neu", form_payload(world, **{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "unzulässige Steuerzeichen" in html
    assert f'id="{field}-fehler"' in html
    assert db.session.scalar(select(func.count(Measure.id))) == 0


def test_tabs_and_line_breaks_stay_allowed(login_as, world, db):
    client = login_as("submitter")
    payload = form_payload(world, description="Erste Zeile\r\n\tZweite Zeile")
    assert post_form(client, "/massnahmen/neu", payload).status_code == 302


def test_control_characters_in_the_address_are_a_german_400(login_as):
    client = login_as("coordinator")
    response = client.get("/massnahmen/?suche=ab%00c")
    assert response.status_code == 400
    assert "unzulässige Steuerzeichen" in response.get_data(as_text=True)


def test_control_characters_in_the_login_form(client, users):
    response = post_form(client, "/auth/login", {"username": "admin\x00", "password": "x" * 12})
    assert "unzulässige Steuerzeichen" in response.get_data(as_text=True)


def test_headers_on_pages_downloads_and_assets(login_as):
    client = login_as("treasury")
    for url in ("/", "/haushalt/export.csv", "/dashboard/sachstandsbericht.pdf", "/auth/login"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store", url
        assert response.headers["Server"] == "webserver"
        assert "Strict-Transport-Security" not in response.headers  # only in production
    asset = client.get("/static/css/app.css")
    assert "no-store" not in asset.headers.get("Cache-Control", "")
    assert asset.headers["Server"] == "webserver"
    asset.close()


def test_error_page_without_database_is_german(tmp_path):
    """A logged-in user whose next request finds the database gone sees a German page."""
    folder = tmp_path / "daten"
    folder.mkdir()

    class Local(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder}/steuerung.db"

    app = create_app(Local)
    with app.app_context():
        _db.create_all()
        _db.session.add(Settings(id=1, budget_year=2026, kommune_name="Teststadt"))
        Factory(_db.session).user(Role.LEADERSHIP, username="chefin")
        _db.session.commit()
        client = app.test_client()
        assert login(client, "chefin").status_code == 302
        _db.session.remove()
        _db.engine.dispose()
        shutil.rmtree(folder)  # the database is gone (as if its server were down)
        response = client.get("/dashboard/")
        html = response.get_data(as_text=True)
        _db.engine.dispose()
    assert response.status_code == 503
    assert "Vorübergehend nicht verfügbar" in html and 'lang="de"' in html
    assert "Internal Server Error" not in html and "sqlite" not in html.lower()
    assert response.headers["Cache-Control"] == "no-store"


# --- The audit log is append-only in the database itself ----------------------------------


def _an_audit_row(factory, db) -> int:
    factory.department("FB 9", "Neu")
    db.session.commit()
    entry_id = db.session.scalar(select(func.max(AuditEntry.id)))
    assert entry_id is not None
    return entry_id


def test_database_refuses_update_of_audit_rows(factory, db):
    entry_id = _an_audit_row(factory, db)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(
            update(AuditEntry).where(AuditEntry.id == entry_id).values(action="forged")
        )
    db.session.rollback()
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET user_id = NULL"))
    assert db.session.get(AuditEntry, entry_id).action == "create"


def test_database_refuses_delete_of_audit_rows(factory, db):
    entry_id = _an_audit_row(factory, db)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(delete(AuditEntry).where(AuditEntry.id == entry_id))
    db.session.rollback()
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log"))
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text("TRUNCATE audit_log"))
    assert db.session.get(AuditEntry, entry_id) is not None


def test_new_audit_rows_are_still_written(factory, db):
    before = db.session.scalar(select(func.count(AuditEntry.id)))
    factory.department("FB 8", "Noch einer")
    db.session.commit()
    assert db.session.scalar(select(func.count(AuditEntry.id))) == before + 1
