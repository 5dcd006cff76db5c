"""The public transparency page (issue 14 point 4), through the app: exactly the published
measures, nothing internal (searched for every internal value of the demo Kommune in the page
and both downloads), the same figures as the internal pages, the office's switch per measure
(audited, refused for others and for stale forms), the Kommune's switch and licence, and
responses that need no session and can be revalidated cheaply."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from conftest import login, page_after, post_form
from sqlalchemy import String, Text, select

from seed import demo_data
from seed.demo import DEMO_PASSWORD, load_demo
from steuerung.models import (
    AgendaStatus,
    AuditEntry,
    Base,
    ChangeRequest,
    Measure,
    MeasureComment,
    MeasureStatus,
    Role,
    Settings,
    StatusReport,
    TrafficLight,
    User,
)
from steuerung.models.base import utcnow
from steuerung.services.agenda.versions import revise
from steuerung.services.common import cache
from steuerung.services.transparency.rules import PUBLISHABLE_STATUSES

S = MeasureStatus
PAGE, CSV_URL, JSON_URL = "/transparenz/", "/transparenz/daten.csv", "/transparenz/daten.json"
PUBLIC_URLS = (PAGE, CSV_URL, JSON_URL)


def _switch_on(db: Any, **settings: Any) -> None:
    row = db.session.get(Settings, 1)
    row.transparency_enabled = True
    for name, value in settings.items():
        setattr(row, name, value)
    db.session.commit()


def _json(client: Any) -> dict[str, Any]:
    response = client.get(JSON_URL)
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


def _csv_rows(client: Any) -> list[list[str]]:
    response = client.get(CSV_URL)
    assert response.status_code == 200
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def _page_text(client: Any) -> str:
    response = client.get(PAGE)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def _detail_url(measure: Measure) -> str:
    return f"/massnahmen/{measure.id}"


def _publish_url(measure: Measure) -> str:
    return f"/massnahmen/{measure.id}/veroeffentlichung"


@pytest.fixture()
def portfolio(db, factory, users):
    """An adopted agenda and a published or unpublished measure in every state."""
    agenda = factory.agenda()
    goals = [g for f in agenda.action_fields for g in f.goals]
    dept = users["submitter"].department
    line = factory.budget_line(dept, amounts={2026: "500000.00"})
    measures = {}
    for status in S:
        for published in (True, False):
            measures[(status, published)] = factory.measure(
                dept,
                status,
                f"{status.label} {'öffentlich' if published else 'intern'}",
                goals=[goals[1], goals[2]],
                costs=[(line, 2026, "1000.00"), (line, 2027, "250.50")],
                published=published,
                public_description=f"Öffentlicher Text {status.value} {published}",
                description=f"Interne Beschreibung {status.value} {published}",
            )
    _switch_on(db)
    return measures


# --------------------------------------------------------------------------- what appears


def test_page_and_downloads_show_exactly_the_published_measures(client, portfolio):
    expected = {
        m.reference
        for (status, published), m in portfolio.items()
        if published and status in (S.APPROVED, S.IN_PROGRESS, S.COMPLETED)
    }
    assert len(expected) == 3
    document = _json(client)
    assert {m["id"] for m in document["measures"]} == expected
    rows = _csv_rows(client)
    assert {row[0] for row in rows[1:]} == expected
    page = _page_text(client)
    for (status, published), measure in portfolio.items():
        shown = measure.reference in expected
        assert (measure.title in page) is shown, measure.title
        assert (f"Öffentlicher Text {status.value} {published}" in page) is shown
        assert f"Interne Beschreibung {status.value}" not in page
    for measure in document["measures"]:
        assert measure["status"] in {s.value for s in PUBLISHABLE_STATUSES}


def test_the_page_is_off_until_the_kommune_switches_it_on(client, db, portfolio):
    db.session.get(Settings, 1).transparency_enabled = False
    db.session.commit()
    for url in PUBLIC_URLS:
        assert client.get(url).status_code == 404
    assert "Transparenzseite" not in client.get("/auth/login").get_data(as_text=True)
    _switch_on(db)
    for url in PUBLIC_URLS:
        assert client.get(url).status_code == 200


def test_footer_links_to_the_public_page_while_it_is_on(client, db, portfolio, login_as):
    login_page = client.get("/auth/login").get_data(as_text=True)
    assert '<a href="/transparenz/">Transparenzseite (öffentlich)</a>' in login_page
    office = login_as("coordinator")
    assert 'href="/transparenz/"' in office.get("/").get_data(as_text=True)
    assert office.get("/transparenz/").status_code == 200


def test_owner_named_only_when_allowed_and_active(client, db, factory, users, portfolio):
    dept = users["submitter"].department
    named = factory.user(Role.SUBMITTER, dept, username="erlaubt")
    hidden = factory.user(Role.SUBMITTER, dept, username="verborgen")
    gone = factory.user(Role.SUBMITTER, dept, username="gegangen")
    gone.is_active_user = False
    for owner, allowed in ((named, True), (hidden, False), (gone, True)):
        factory.measure(
            dept,
            S.IN_PROGRESS,
            f"Maßnahme von {owner.username}",
            owner=owner,
            published=True,
            public_show_owner=allowed,
        )
    db.session.commit()
    by_title = {m["title"]: m["owner"] for m in _json(client)["measures"]}
    assert by_title["Maßnahme von erlaubt"] == named.full_name
    assert by_title["Maßnahme von verborgen"] is None
    assert by_title["Maßnahme von gegangen"] is None
    page = _page_text(client)
    assert named.full_name in page
    assert hidden.full_name not in page and gone.full_name not in page
    csv_text = "\n".join(";".join(r) for r in _csv_rows(client))
    assert named.full_name in csv_text and hidden.full_name not in csv_text


# --------------------------------------------------------------------------- figures


def test_planned_cost_per_year_is_the_internal_cost_plan(client, db, portfolio, login_as):
    measure = portfolio[(S.IN_PROGRESS, True)]
    document = _json(client)
    published = next(m for m in document["measures"] if m["id"] == measure.reference)
    # computed here from the cost rows: 1000.00 in 2026, 250.50 in 2027
    assert published["planned_cost"] == [
        {"year": 2026, "amount": 1000.0},
        {"year": 2027, "amount": 250.5},
        {"year": 2028, "amount": 0.0},
        {"year": 2029, "amount": 0.0},
    ]
    assert published["planned_cost_total"] == 1250.5
    assert document["meta"]["years"] == [2026, 2027, 2028, 2029]
    # the internal detail page shows the same gross amounts per year
    internal = login_as("coordinator").get(_detail_url(measure) + "?tab=kosten")
    overview = internal.get_data(as_text=True)
    overview = overview[overview.index("Kosten im Überblick") :]
    assert re.search(r"<th scope=\"row\">2026</th><td class=\"num\">1\.000,00\xa0€", overview)
    assert re.search(r"<th scope=\"row\">2027</th><td class=\"num\">250,50\xa0€", overview)
    row = next(r for r in _csv_rows(client) if r[0] == measure.reference)
    assert row[-5:] == ["1000,00", "250,50", "0,00", "0,00", "1250,50"]
    page = _page_text(client)
    assert "3 veröffentlichte Maßnahmen mit geplanten Kosten von 3.751,50\xa0€" in page


def test_goal_coverage_counts_only_published_measures(client, db, factory, users, portfolio):
    document = _json(client)
    goals = {
        g["code"]: g["published_measures"]
        for f in document["agenda"]["action_fields"]
        for g in f["goals"]
    }
    # every fixture measure serves V-2 and B-1; three of them are published and publishable
    assert goals == {"V-1": 0, "V-2": 3, "B-1": 3, "B-2": 0}
    page = _page_text(client)
    assert "veröffentlichten Maßnahmen" in page
    # the internal agenda page counts all measures visible to the office (not rejected or
    # cancelled): the public number is not the internal one
    assert len([m for (s, _p), m in portfolio.items() if s not in (S.REJECTED, S.CANCELLED)]) > 3


def test_field_of_action_is_the_first_goals_and_revisions_keep_links(
    client, db, factory, users, portfolio
):
    measure = portfolio[(S.APPROVED, True)]
    document = _json(client)
    entry = next(m for m in document["measures"] if m["id"] == measure.reference)
    assert entry["action_field"] == "V" and entry["goals"] == ["V-2", "B-1"]
    # a revision (draft) is never shown; once adopted, old links count through the goal code
    agenda = measure.goals[0].action_field.agenda
    draft = revise(agenda, "Digitale Agenda 2031")
    draft.action_fields[0].goals[1].title = "Entwurfsziel, noch nicht beschlossen"
    db.session.commit()
    assert "Entwurfsziel" not in _page_text(client)
    draft.status = AgendaStatus.ADOPTED
    draft.adopted_on = date(2026, 6, 1)
    agenda.status = AgendaStatus.SUPERSEDED
    db.session.commit()
    document = _json(client)
    assert document["agenda"]["version"] == 2
    entry = next(m for m in document["measures"] if m["id"] == measure.reference)
    assert entry["goals"] == ["V-2", "B-1"]
    assert "Entwurfsziel, noch nicht beschlossen" in _page_text(client)


def test_progress_comes_from_the_latest_report_and_completion(client, db, portfolio):
    running = portfolio[(S.IN_PROGRESS, True)]
    for day, percent in ((date(2026, 9, 1), 40), (date(2026, 3, 1), 10)):
        running.status_reports.append(
            StatusReport(
                reported_on=day,
                schedule_light=TrafficLight.RED,
                cost_light=TrafficLight.GREEN,
                scope_light=TrafficLight.GREEN,
                progress_percent=percent,
                text="Verzug wegen Personalausfall",
            )
        )
    db.session.commit()
    by_id = {m["id"]: m for m in _json(client)["measures"]}
    assert by_id[running.reference]["progress_percent"] == 40
    assert by_id[running.reference]["progress_reported_on"] == "2026-09-01"
    assert by_id[portfolio[(S.COMPLETED, True)].reference]["progress_percent"] == 100
    assert by_id[portfolio[(S.APPROVED, True)].reference]["progress_percent"] is None
    page = _page_text(client)
    assert "40\xa0% (Statusbericht vom 01.09.2026)" in page
    assert "Verzug wegen Personalausfall" not in page


# --------------------------------------------------------------------------- formats


def test_csv_is_german_and_json_has_numbers_dates_and_licence(client, db, portfolio):
    response = client.get(CSV_URL)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith("\ufeff".encode())
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv_rows(client)
    assert rows[0][:3] == ["Nummer", "Maßnahme", "Kurzbeschreibung"]
    assert rows[0][-1] == "Geplante Kosten 2026–2029 (€)"
    measure = portfolio[(S.IN_PROGRESS, True)]
    measure.start_date, measure.end_date = date(2026, 2, 1), date(2027, 6, 30)
    db.session.commit()
    row = dict(
        zip(
            _csv_rows(client)[0],
            next(r for r in _csv_rows(client) if r[0] == measure.reference),
            strict=True,
        )
    )
    assert (row["Beginn"], row["Ende"], row["Status"]) == (
        "01.02.2026",
        "30.06.2027",
        "In Umsetzung",
    )

    response = client.get(JSON_URL)
    assert response.headers["Content-Type"] == "application/json"
    document = json.loads(response.data)
    meta = document["meta"]
    assert list(document) == ["meta", "agenda", "measures"]
    assert meta["licence"] == {
        "name": "Datenlizenz Deutschland – Namensnennung – Version 2.0",
        "url": "https://www.govdata.de/dl-de/by-2-0",
    }
    assert meta["publisher"] == "Teststadt"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", meta["generated_at"])
    assert meta["page"].endswith("/transparenz/") and meta["csv"].endswith("/daten.csv")
    entry = next(m for m in document["measures"] if m["id"] == measure.reference)
    assert (entry["start_date"], entry["end_date"]) == ("2026-02-01", "2027-06-30")
    assert isinstance(entry["planned_cost_total"], float)
    assert response.headers["Link"] == '<https://www.govdata.de/dl-de/by-2-0>; rel="license"'
    page = _page_text(client)
    assert "Datenlizenz Deutschland – Namensnennung – Version 2.0" in page
    assert 'href="/transparenz/daten.csv"' in page and 'href="/transparenz/daten.json"' in page


def test_no_session_needed_and_unchanged_data_is_revalidated(client, db, portfolio):
    for url in PUBLIC_URLS:
        response = client.get(url)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers, url
        assert response.headers["Cache-Control"] == "public, no-cache"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        etag = response.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        # settings and data generation only: nothing is loaded or rendered
        assert int(again.headers["X-Query-Count"]) <= 2
    etag = client.get(JSON_URL).headers["ETag"]
    portfolio[(S.APPROVED, True)].title = "Neuer Titel nach Änderung"
    db.session.commit()
    changed = client.get(JSON_URL, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Neuer Titel nach Änderung" in changed.get_data(True)


def test_a_logged_in_visitor_is_kept_out_of_shared_caches(login_as, portfolio):
    client = login_as("leadership")
    response = client.get(PAGE)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-cache"
    # the public layout: no user menu, no internal navigation
    text = response.get_data(as_text=True)
    assert "Abmelden" not in text and "/portfolio/" not in text


def test_query_count_does_not_grow_with_published_measures(client, db, factory, users, portfolio):
    assert client.application.config["COUNT_QUERIES"]  # the test configuration counts
    few = int(client.get(PAGE).headers["X-Query-Count"])
    dept = users["submitter"].department
    goal = portfolio[(S.APPROVED, True)].goals[0]
    for i in range(15):
        factory.measure(dept, S.IN_PROGRESS, f"Weitere {i}", goals=[goal], published=True)
    db.session.commit()
    # Both visits from empty caches: a full computation reads the highest measure id once
    # per aggregate (the size of its reading blocks), a re-read of changed blocks does not.
    cache.clear()
    many = int(client.get(PAGE).headers["X-Query-Count"])
    assert few == many <= 20
    assert len(_json(client)["measures"]) == 18


# --------------------------------------------------------------------------- the office


def test_office_publishes_and_withdraws_at_once(client, db, portfolio, login_as, users):
    measure = portfolio[(S.APPROVED, False)]
    office = login_as("coordinator")
    detail = office.get(_detail_url(measure)).get_data(as_text=True)
    assert "Nicht auf der Transparenzseite veröffentlicht." in detail
    response = post_form(
        office,
        _publish_url(measure),
        {"published": "y", "public_description": "  Kurz für alle  "},
        token_from=_detail_url(measure),
    )
    assert response.status_code == 302
    detail = page_after(office, response)
    assert "Auf der Transparenzseite veröffentlicht." in detail
    anchor = measure.reference.lower()
    assert f'href="/transparenz/#{anchor}">Öffentliche Ansicht</a>' in detail
    anonymous = client.application.test_client()
    assert measure.title in _page_text(anonymous)
    assert f'<article class="card mb-3" id="{anchor}"' in _page_text(anonymous)
    assert "Kurz für alle" in _page_text(anonymous)
    etag = anonymous.get(PAGE).headers["ETag"]

    response = post_form(
        office,
        _publish_url(measure),
        {"public_description": "Kurz für alle"},
        token_from=_detail_url(measure),
    )
    assert response.status_code == 302
    # withdrawn: gone from the very next response, also for a cache holding the old one
    again = anonymous.get(PAGE, headers={"If-None-Match": etag})
    assert again.status_code == 200 and measure.title not in html.unescape(again.get_data(True))
    assert measure.reference not in {m["id"] for m in _json(anonymous)["measures"]}
    db.session.expire_all()
    changes = [
        e.changes
        for e in db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.measure_id == measure.id, AuditEntry.user_id == users["coordinator"].id
            )
        )
    ]
    before = "Öffentlicher Text approved False"
    assert {"published": [False, True], "public_description": [before, "Kurz für alle"]} in changes
    assert {"published": [True, False]} in changes
    history = html.unescape(office.get(_detail_url(measure) + "?tab=verlauf").get_data(True))
    assert "Auf der Transparenzseite veröffentlicht" in history
    assert "Öffentliche Kurzbeschreibung" in history


@pytest.mark.parametrize("role", ["submitter", "treasury", "leadership", "admin"])
def test_only_the_office_may_publish(portfolio, login_as, role, db):
    measure = portfolio[(S.APPROVED, False)]
    client = login_as(role)
    detail = client.get(_detail_url(measure))
    assert detail.status_code == 200
    text = detail.get_data(as_text=True)
    assert "Nicht auf der Transparenzseite veröffentlicht." in text
    assert "veroeffentlichung" not in text
    response = post_form(
        client,
        _publish_url(measure),
        {"published": "y", "version_id": str(measure.version_id)},
        token_from=_detail_url(measure),
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Measure, measure.id).published is False


def test_a_stale_publication_form_is_refused_with_the_input_kept(portfolio, login_as, db):
    measure = portfolio[(S.IN_PROGRESS, False)]
    office = login_as("coordinator")
    old_version = measure.version_id
    measure.title = "Von anderer Person geändert"
    db.session.commit()
    response = post_form(
        office,
        _publish_url(measure),
        {
            "published": "y",
            "version_id": str(old_version),
            "public_description": "Mein Text für die Öffentlichkeit",
        },
        token_from=_detail_url(measure),
    )
    assert response.status_code == 409
    text = html.unescape(response.get_data(as_text=True))
    assert "inzwischen von einer anderen Person geändert" in text
    assert "Mein Text für die Öffentlichkeit" in text
    db.session.expire_all()
    assert db.session.get(Measure, measure.id).published is False


def test_only_approved_running_or_completed_measures_can_be_published(portfolio, login_as, db):
    office = login_as("coordinator")
    draft = portfolio[(S.SUBMITTED, False)]
    response = post_form(
        office,
        _publish_url(draft),
        {"published": "y", "public_description": "Zu früh"},
        token_from=_detail_url(draft),
    )
    assert response.status_code == 400
    text = html.unescape(response.get_data(as_text=True))
    assert "Veröffentlichen lassen sich nur freigegebene, laufende und abgeschlossene" in text
    assert "Zu früh" in text
    too_long = post_form(
        office,
        _publish_url(portfolio[(S.APPROVED, False)]),
        {"published": "y", "public_description": "x" * 2001},
        token_from=_detail_url(portfolio[(S.APPROVED, False)]),
    )
    assert too_long.status_code == 400
    assert "Höchstens 2000 Zeichen." in too_long.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Measure, draft.id).published is False
    # a published measure that was cancelled later keeps its flag but is hidden; the detail
    # page says why, and the office can withdraw it
    cancelled = portfolio[(S.CANCELLED, True)]
    detail = html.unescape(office.get(_detail_url(cancelled)).get_data(as_text=True))
    assert "im Status „Abgebrochen“ nicht auf der Transparenzseite sichtbar" in detail
    response = post_form(office, _publish_url(cancelled), {}, token_from=_detail_url(cancelled))
    assert response.status_code == 302


# --------------------------------------------------------------------------- settings


def test_admin_switches_the_page_and_sets_publisher_and_licence(client, db, login_as, users):
    admin = login_as("admin")
    # as a browser sends the form: every text field, empty ones as ""
    base = {
        "kommune_name": "Teststadt",
        "report_interval_days": "91",
        "transparency_publisher": "",
        "transparency_licence_name": "",
        "transparency_licence_url": "",
    }
    response = post_form(
        admin,
        "/verwaltung/einstellungen",
        {**base, "transparency_enabled": "y", "transparency_licence_url": "javascript:alert(1)"},
    )
    assert response.status_code == 200
    assert "mit https:// oder http:// beginnt" in response.get_data(as_text=True)
    response = post_form(
        admin,
        "/verwaltung/einstellungen",
        {**base, "transparency_enabled": "y", "transparency_licence_url": "https://example.org/l"},
    )
    assert "Bitte den Namen der Lizenz angeben" in response.get_data(as_text=True)
    response = post_form(
        admin,
        "/verwaltung/einstellungen",
        {
            **base,
            "transparency_enabled": "y",
            "transparency_publisher": "Stadt Teststadt, Koordinationsstelle",
            "transparency_licence_name": "Creative Commons Namensnennung 4.0",
            "transparency_licence_url": "https://creativecommons.org/licenses/by/4.0/",
        },
    )
    assert response.status_code == 302
    meta = _json(client)["meta"]
    assert meta["publisher"] == "Stadt Teststadt, Koordinationsstelle"
    assert meta["licence"]["name"] == "Creative Commons Namensnennung 4.0"
    # empty licence fields bring the default back
    response = post_form(admin, "/verwaltung/einstellungen", {**base, "transparency_enabled": "y"})
    assert response.status_code == 302
    meta = _json(client)["meta"]
    assert meta["licence"]["name"] == "Datenlizenz Deutschland – Namensnennung – Version 2.0"
    assert meta["publisher"] == "Teststadt"
    response = post_form(admin, "/verwaltung/einstellungen", base)
    assert client.get(PAGE).status_code == 404


# --------------------------------------------------------------------------- nothing internal


#: Columns whose values the public may see (for the published rows only, see below).
PUBLIC_COLUMNS = {
    ("measures", "title"),
    ("measures", "public_description"),
    ("departments", "name"),
    ("agendas", "title"),
    ("action_fields", "code"),
    ("action_fields", "name"),
    ("action_fields", "description"),
    ("action_fields", "color"),
    ("goals", "code"),
    ("goals", "title"),
    ("goals", "description"),
    ("settings", "kommune_name"),
    ("settings", "transparency_publisher"),
    ("settings", "transparency_licence_name"),
    ("settings", "transparency_licence_url"),
    ("users", "full_name"),
    # the Potenzialcheck's catalogue is the product's own text, not the Kommune's data
    ("maturity_topics", "code"),
    ("maturity_topics", "name"),
    ("maturity_topics", "summary"),
    ("maturity_statements", "code"),
    ("maturity_statements", "text"),
    ("maturity_statements", "rationale"),
    ("maturity_statements", "first_steps"),
}
#: Values too generic to find as leaks: the default reason of an approval is the public
#: status label itself.
GENERIC = {"Freigegeben.", "Freigegeben"}
#: Columns holding codes or units, not the Kommune's information: the audit log's table and
#: action names (its before/after values come from the tables searched anyway), units of key
#: figures ("Anzahl", "%"), the job queue's kinds and states.
CODE_COLUMNS = {
    ("audit_log", "entity_type"),
    ("audit_log", "action"),
    ("key_figures", "unit"),
    ("jobs", "kind"),
    ("jobs", "status"),
}
#: Every key the JSON document may have, by path (no internal field can slip in unnoticed).
JSON_KEYS = {
    "": {"meta", "agenda", "measures"},
    "meta": {
        "title", "publisher", "licence", "generated_at", "schema_version", "currency",
        "budget_year", "years", "page", "csv", "definitions",
    },
    "meta.licence": {"name", "url"},
    "meta.definitions": {"measures", "planned_cost", "progress", "action_field", "goal_coverage"},
    "agenda": {"title", "version", "adopted_on", "action_fields"},
    "agenda.action_fields": {"code", "name", "goals"},
    "agenda.action_fields.goals": {"code", "title", "description", "published_measures"},
    "measures": {
        "id", "title", "description", "action_field", "goals", "category", "category_label",
        "status", "status_label", "progress_percent", "progress_reported_on", "department",
        "owner", "start_date", "end_date", "planned_cost", "planned_cost_total",
    },
    "measures.planned_cost": {"year", "amount"},
}  # fmt: skip


def _json_keys(value: Any, path: str = "") -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    if isinstance(value, dict):
        found.setdefault(path, set()).update(value)
        for key, child in value.items():
            for sub, keys in _json_keys(child, f"{path}.{key}".strip(".")).items():
                found.setdefault(sub, set()).update(keys)
    elif isinstance(value, list):
        for child in value:
            for sub, keys in _json_keys(child, path).items():
                found.setdefault(sub, set()).update(keys)
    return found


def _internal_values(db: Any, public_ids: set[int], named_owners: set[int]) -> dict[str, str]:
    """Every text value of every table (value -> where it comes from) except the public
    columns of public rows; plus the measures' scores. Enum codes are left out (the JSON
    names the public states by code)."""
    values: dict[str, str] = {}
    for mapper in Base.registry.mappers:
        model = mapper.class_
        table = mapper.local_table
        text_columns = [
            c
            for c in table.columns
            if isinstance(c.type, String | Text) and not hasattr(c.type, "enums")
        ]
        for row in db.session.scalars(select(model)):
            for column in text_columns:
                value = getattr(row, mapper.get_property_by_column(column).key)
                if not isinstance(value, str) or len(value.strip()) < 3 or value in GENERIC:
                    continue
                key = (table.name, column.name)
                if key in CODE_COLUMNS:
                    continue
                if key in PUBLIC_COLUMNS and _row_is_public(row, public_ids, named_owners):
                    continue
                values.setdefault(value.strip(), f"{table.name}.{column.name}")
    for measure in db.session.scalars(select(Measure).where(Measure.score.is_not(None))):
        values[f"score:{measure.score}"] = f"measures.score ({measure.title})"
    return values


def _row_is_public(row: Any, public_ids: set[int], named_owners: set[int]) -> bool:
    if isinstance(row, Measure):
        return row.id in public_ids
    if isinstance(row, User):
        return row.id in named_owners
    return True  # departments, the adopted agenda (the demo has no draft), settings


def _sentences(value: str) -> list[str]:
    """The value and each of its sentences of some length (a cut text leaks a sentence)."""
    parts = [value]
    if len(value) > 60:
        parts += [s for s in re.split(r"(?<=[.!?])\s+", value) if len(s) >= 25]
    return parts


def _leaks(values: dict[str, str], text: str) -> list[str]:
    found = []
    for value, origin in values.items():
        if value.startswith("score:"):
            # 72.40 -> "72,4", "72,40", "72.4", "72.40" (not "72.400" of an amount)
            number = Decimal(value[6:])
            whole, cents = f"{number:.2f}".split(".")
            decimals = f"{cents[0]}0?" if cents[1] == "0" else cents
            if re.search(rf"(?<![\d.,]){whole}[.,]{decimals}(?!\d)", text):
                found.append(f"{origin}: {number}")
            continue
        for part in _sentences(value):
            if re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text):
                found.append(f"{origin}: {part[:80]}")
                break
    return found


def test_nothing_internal_of_the_demo_kommune_is_published(db, client):
    assert load_demo()
    db.session.commit()
    office = db.session.scalar(select(User).where(User.username == "koordination"))
    # what the demo lacks, added through the ORM like any change: a change request with a
    # decision note and an answered question on a published measure
    bauantrag = db.session.scalar(select(Measure).where(Measure.title == "Digitaler Bauantrag"))
    db.session.add(
        ChangeRequest(
            measure=bauantrag,
            requested_by=office,
            reason="Mehrkosten durch Nachforderung des Herstellers im Wartungsvertrag",
            decision_note="Nur mit Deckung aus dem Ring IT-Betrieb",
            decided_at=utcnow(),
        )
    )
    db.session.add(
        MeasureComment(
            measure=bauantrag, author=office, kind="note", body="Interne Notiz: Pilot abwarten"
        )
    )
    db.session.commit()

    measures = db.session.scalars(select(Measure)).all()
    expected = {
        m.title
        for m in measures
        if m.title in demo_data.PUBLISHED and m.status in PUBLISHABLE_STATUSES
    }
    assert len(expected) == 10 and "Dokumentenmanagement für die Bauaufsicht" not in expected
    public = [m for m in measures if m.title in expected]
    named_owners = {m.owner_id for m in public if m.public_show_owner and m.owner_id}
    assert len(named_owners) == 1  # the demo names one owner (with consent)

    page = _page_text(client)
    document = _json(client)
    rows = _csv_rows(client)
    assert {m["title"] for m in document["measures"]} == expected
    assert {row[1] for row in rows[1:]} == expected
    for title in expected:
        assert title in page

    values = _internal_values(db, {m.id for m in public}, named_owners)
    # the search covers what the issue names: reasons, questions and answers, status report
    # texts, scores, change requests, internal descriptions, users, budget line keys
    origins = set(values.values())
    for origin in (
        "status_changes.reason",
        "measure_comments.body",
        "status_reports.text",
        "status_reports.risks",
        "change_requests.reason",
        "change_requests.decision_note",
        "measures.description",
        "measures.rank_override_reason",
        "users.full_name",
        "users.email",
        "users.username",
        "budget_lines.cost_center",
        "budget_lines.investment_number",
        "budget_lines.name",
        "milestones.title",
    ):
        assert origin in origins, origin
    assert any(o.startswith("measures.score") for o in origins)
    assert len(values) > 300

    json_text = json.dumps(document, ensure_ascii=False)
    csv_text = "\n".join("\t".join(row) for row in rows)
    for name, text in (("HTML", page), ("JSON", json_text), ("CSV", csv_text)):
        leaks = _leaks(values, text)
        assert not leaks, f"Interne Angaben in {name}: {leaks}"
    assert "@lindenfeld.example" not in page + json_text + csv_text
    assert _json_keys(document) == JSON_KEYS


def test_the_leak_search_finds_a_leak():
    """The search itself: it must see an internal sentence cut out of a longer text, a
    score in German format and a person's name."""
    values = {
        "Erster Satz der internen Beschreibung. Zweiter Satz mit einer heiklen Anmerkung.": "d",
        "score:72.40": "s",
        "Jana Albrecht": "u",
    }
    assert _leaks(values, "… Zweiter Satz mit einer heiklen Anmerkung. …") == [
        "d: Zweiter Satz mit einer heiklen Anmerkung."
    ]
    assert _leaks(values, "Punktzahl 72,4 von 100") == ["s: 72.40"]
    assert _leaks(values, "Kosten 72.400,00 €") == []
    assert _leaks(values, "Kosten 1.172,40 €; Verantwortlich: Jana Albrecht") == [
        "u: Jana Albrecht"
    ]


def test_demo_users_find_the_public_page_in_the_footer(db, client):
    assert load_demo()
    db.session.commit()
    login(client, "fb3", DEMO_PASSWORD)
    page = client.get("/massnahmen/").get_data(as_text=True)
    assert '<a href="/transparenz/">Transparenzseite (öffentlich)</a>' in page


def test_without_an_adopted_agenda_measures_are_listed_without_a_field(client, db, factory, users):
    dept = users["submitter"].department
    factory.measure(dept, S.IN_PROGRESS, "Ohne Ziel", published=True)
    _switch_on(db)
    document = _json(client)
    assert document["agenda"] is None
    assert [(m["title"], m["action_field"], m["goals"]) for m in document["measures"]] == [
        ("Ohne Ziel", None, [])
    ]
    page = _page_text(client)
    assert "Ohne Zuordnung zu einem Handlungsfeld" in page
    assert "keinem Ziel der Agenda zugeordnet" in page
    assert "Ziele der Digitalen Agenda" not in page and 'id="ziele"' not in page
    row = _csv_rows(client)[1]
    assert row[3:5] == ["Ohne Zuordnung zu einem Handlungsfeld", ""]
