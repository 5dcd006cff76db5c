"""Pages that fit and small things of issue 10, through the app: column choice in the URL,
filter panels that collapse to a summary, the compact inbox without a preselected decision,
repeated form rows without JavaScript, XLSX page setup, German plurals, capitalisation and
decimals, one charset per download."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from conftest import csrf_token, login, post_form
from openpyxl import load_workbook

from steuerung.models import MeasureStatus, Milestone, StatusChange
from steuerung.services.budget.exports import Sheet, write_xlsx
from steuerung.services.common.columns import TableColumn, choose_columns, columns_from_args
from steuerung.services.portfolio.scoring import ensure_default_criteria

S = MeasureStatus


def _header_texts(html: str, table_id: str) -> list[str]:
    table = html[html.index(f'id="{table_id}"') :]
    head = table[: table.index("</thead>")]
    cells = re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", c).replace("▼", "").replace("▲", "").strip() for c in cells]


# --- column choice ---------------------------------------------------------------------------


def test_column_choice_reads_defaults_choices_and_unknown_keys():
    columns = (
        TableColumn("a", "A", required=True),
        TableColumn("b", "B"),
        TableColumn("c", "C", default=False),
    )
    default = choose_columns(columns, None)
    assert default.shown == {"a", "b"} and not default.chosen and default.url_args() == {}
    nothing = columns_from_args(columns, {"spalte": [""]})  # every optional box unticked
    assert nothing.shown == {"a"} and nothing.chosen
    assert nothing.url_args() == {"spalte": [""]}
    chosen = columns_from_args(columns, {"spalte": ["", "c", "kaputt"]})
    assert chosen.shown == {"a", "c"} and [c.key for c in chosen.hidden] == ["b"]
    assert chosen.url_args() == {"spalte": ["", "c"]}


@pytest.fixture()
def register_data(db, factory, users):
    dept = users["submitter"].department
    line = factory.budget_line(dept, amounts={2026: "1000.00"})
    factory.measure(
        dept,
        S.APPROVED,
        "Bürgerportal",
        costs=[(line, 2026, "100.00")],
        start_date=date(2026, 2, 1),
        end_date=date(2026, 12, 31),
    )
    factory.measure(dept, S.IN_PROGRESS, "E-Akte", costs=[(line, 2026, "200.00")])
    db.session.commit()


def test_register_columns_follow_the_url_and_stay_in_links(register_data, login_as):
    client = login_as("coordinator")
    html = client.get("/portfolio/register").get_data(as_text=True)
    default = _header_texts(html, "register-tabelle")
    assert default[:3] == ["Nr.", "Titel", "Fachbereich"]
    assert "Beginn" not in default  # hidden by default so the table fits 1366 px
    assert "2 ausgeblendet: Beginn, Ende" in html

    html = client.get("/portfolio/register?spalte=&spalte=start&spalte=status").get_data(
        as_text=True
    )
    assert _header_texts(html, "register-tabelle")[:3] == ["Titel", "Status", "Beginn"]
    assert "01.02.2026" in html
    # sort links, pages and the filter form keep the choice
    sort_link = re.search(r'href="(/portfolio/register\?[^"]*sort=title[^"]*)"', html).group(1)
    assert "spalte=&amp;spalte=status&amp;spalte=start" in sort_link
    assert '<input type="hidden" name="spalte" value="start">' in html
    # the chooser itself is a GET form that works without JavaScript
    chooser = html[html.index('class="column-chooser') :]
    chooser = chooser[: chooser.index("</details>")]
    assert 'method="get"' in chooser and 'name="spalte" value=""' in chooser
    assert 'value="status" id="spalten-status" checked' in chooser
    assert 'value="department" id="spalten-department">' in chooser
    # exports ignore the column choice (always every column) and do not list it
    workbook = load_workbook(
        io.BytesIO(client.get("/portfolio/register.xlsx?spalte=&spalte=status").get_data())
    )
    assert workbook["Register"]["B1"].value == "Titel"
    assert "spalte" not in str([row for row in workbook["Parameter"].values])


def test_register_filter_panel_collapses_to_a_summary(register_data, login_as):
    client = login_as("coordinator")
    fresh = client.get("/portfolio/register").get_data(as_text=True)
    assert '<details class="filter-panel border rounded mb-3" open>' in fresh
    assert "keine Auswahl: alle Maßnahmen" in fresh
    used = client.get("/portfolio/register?status=approved&q=portal&legal=0").get_data(as_text=True)
    assert '<details class="filter-panel border rounded mb-3">' in used
    summary = re.search(r'id="filter-zusammenfassung">(.*?)</span>', used).group(1)
    assert summary == ("Suche: „portal“ · Status: Freigegeben · Rechtliche Verpflichtung: nein")
    assert "1 Maßnahme," in used  # singular


def test_measures_filter_panel_summary(register_data, login_as):
    client = login_as("coordinator")
    fresh = client.get("/massnahmen/").get_data(as_text=True)
    assert '<details class="filter-panel border rounded mb-3" open>' in fresh
    used = client.get("/massnahmen/?status=approved&suche=B%C3%BCrger").get_data(as_text=True)
    summary = re.search(r'id="filter-zusammenfassung">(.*?)</span>', used).group(1)
    assert summary == "Status: Freigegeben · Titel enthält: „Bürger“"
    assert "<caption>1 Maßnahme</caption>" in used


@pytest.fixture()
def ranking_data(db, factory, users):
    dept = users["submitter"].department
    line = factory.budget_line(dept, amounts={2026: "1000.00"})
    for title in ("Alpha", "Beta"):
        factory.measure(dept, S.APPROVED, title, costs=[(line, 2026, "10.00")])
    db.session.commit()


def test_ranking_columns_follow_the_url(ranking_data, login_as):
    client = login_as("coordinator")
    html = client.get("/portfolio/").get_data(as_text=True)
    assert _header_texts(html, "rangliste") == [
        "Rang", "Nr.", "Maßnahme", "Fachbereich", "Handlungsfeld", "Status", "Score",
        "Klasse", "2026", "2027", "2028", "2029", "Summe", "Kumuliert",
    ]  # fmt: skip
    html = client.get("/portfolio/?nur_freigegeben=1&spalte=&spalte=total").get_data(as_text=True)
    assert _header_texts(html, "rangliste") == ["Rang", "Maßnahme", "Summe"]
    assert "<caption>Anzahl und Kosten je Klasse (2 Maßnahmen" in html
    # the scope form keeps the columns, the chooser keeps the scope
    assert '<input type="hidden" name="spalte" value="total">' in html
    assert '<input type="hidden" name="nur_freigegeben" value="1">' in html


# --- inbox -----------------------------------------------------------------------------------


@pytest.fixture()
def waiting(db, factory, users):
    measure = factory.measure(users["submitter"].department, S.SUBMITTED, "Wartet")
    db.session.commit()
    return measure


def test_inbox_preselects_no_decision(waiting, login_as):
    html = login_as("coordinator").get("/portfolio/inbox").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="m\d+-target"[^>]*>(.*?)</select>', html, re.S)
    assert "required" in select.group(0)
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select.group(1))
    assert options[0] == (' value=""', "Bitte wählen")
    assert not any("selected" in attrs for attrs, _ in options)
    assert "Freigeben" in [label for _, label in options]
    assert '<details class="inbox-decision">' in html  # the form opens on demand
    assert "1 Maßnahme wartet auf eine Entscheidung" in html


def test_inbox_without_a_choice_changes_nothing(waiting, login_as, db):
    client = login_as("coordinator")
    prefix = f"m{waiting.id}"
    response = client.post(
        f"/portfolio/inbox/{waiting.id}/transition",
        data={
            "csrf_token": csrf_token(client, "/portfolio/inbox"),
            f"{prefix}-target": "",
            f"{prefix}-reason": "",
            f"{prefix}-version_id": str(waiting.version_id),
        },
        follow_redirects=True,
    )
    assert "Bitte eine Entscheidung wählen." in response.get_data(as_text=True)
    db.session.refresh(waiting)
    assert waiting.status == S.SUBMITTED
    assert db.session.query(StatusChange).count() == 0


# --- measure form rows -----------------------------------------------------------------------


def test_form_rows_are_numbered_fieldsets_and_work_without_javascript(db, users, login_as):
    client = login_as("submitter")
    html = client.get("/massnahmen/neu").get_data(as_text=True)
    assert re.findall(r"<legend[^>]*>(Kostenzeile \d)</legend>", html) == [
        "Kostenzeile 1",
        "Kostenzeile 2",
        "Kostenzeile 3",
    ]
    assert re.findall(r"<legend[^>]*>(Meilenstein \d)</legend>", html) == [
        "Meilenstein 1",
        "Meilenstein 2",
    ]
    assert 'id="cost-rows-status" role="status" aria-live="polite"' in html
    assert 'id="milestone-rows-status" role="status" aria-live="polite"' in html
    # without JavaScript the server adds milestone rows, keeping what was typed
    response = post_form(
        client,
        "/massnahmen/neu",
        {"title": "Mit Meilensteinen", "milestones-0-title": "Pilot", "more_rows": "milestones"},
    )
    html = response.get_data(as_text=True)
    assert re.findall(r"<legend[^>]*>(Meilenstein \d)</legend>", html)[-1] == "Meilenstein 4"
    assert 'value="Pilot"' in html and 'value="Mit Meilensteinen"' in html


def test_edit_form_offers_an_empty_milestone_row(db, factory, users, login_as):
    measure = factory.measure(users["submitter"].department, S.DRAFT, "Mit Plan")
    for n in range(3):
        measure.milestones.append(Milestone(title=f"Schritt {n}", due_date=date(2026, 3, n + 1)))
    db.session.commit()
    html = login_as("submitter").get(f"/massnahmen/{measure.id}/bearbeiten").get_data(as_text=True)
    assert re.findall(r"<legend[^>]*>(Meilenstein \d)</legend>", html)[-1] == "Meilenstein 4"
    assert 'id="milestones-3-title"' in html


# --- XLSX page setup -------------------------------------------------------------------------


def _assert_print_ready(workbook: Any) -> None:
    for ws in workbook.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.page_margins.left == pytest.approx(0.4)
        assert ws.freeze_panes == "A2"


def test_write_xlsx_sets_up_pages_for_printing():
    data = write_xlsx(
        [
            Sheet("Nach Fachbereich", ["Fachbereich", "Betrag"], [["FB 1", Decimal("1.50")]], {1}),
            Sheet("O'Brien & Co", ["Spalte"], [["x"]], set()),
        ],
        [("Erstellt am", date(2026, 11, 30))],
    )
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Nach Fachbereich", "O'Brien & Co", "Parameter"]
    _assert_print_ready(workbook)
    assert workbook["Nach Fachbereich"]["B2"].value == Decimal("1.5")


def test_budget_and_register_downloads_are_print_ready(register_data, login_as):
    client = login_as("coordinator")
    for url in ("/haushalt/export.xlsx", "/portfolio/register.xlsx"):
        response = client.get(url)
        assert response.status_code == 200
        _assert_print_ready(load_workbook(io.BytesIO(response.get_data())))


# --- small things ----------------------------------------------------------------------------


def test_every_download_names_one_charset(register_data, login_as, users, app):
    client = login_as("coordinator")
    urls = [
        "/haushalt/export.csv?tabelle=stelle",
        "/haushalt/export.csv?tabelle=massnahmen",
        "/haushalt/export.xlsx",
        "/portfolio/register.csv",
        "/portfolio/register.xlsx",
        "/dashboard/daten/kennzahlen.csv",
    ]
    for url in urls:
        content_type = client.get(url).headers["Content-Type"]
        assert content_type.count("charset") <= 1, (url, content_type)
    treasury = app.test_client()
    login(treasury, users["treasury"].username)
    for url in ("/haushalt/import/vorlage.csv", "/haushalt/import/vorlage.xlsx"):
        content_type = treasury.get(url).headers["Content-Type"]
        assert content_type.count("charset") <= 1, (url, content_type)
    assert client.get("/haushalt/export.csv").headers["Content-Type"] == "text/csv; charset=utf-8"


def test_coverage_views_are_capitalised(register_data, login_as):
    html = login_as("treasury").get("/haushalt/").get_data(as_text=True)
    for title in (
        "Nach Haushaltsstelle",
        "Nach Fachbereich",
        "Nach Haushaltsteil",
        "Nach Handlungsfeld",
    ):
        assert f">{title}</a>" in html
    assert "Nach haushaltsstelle" not in html


def test_goal_plural_on_the_dashboard(db, factory, users, login_as):
    agenda = factory.agenda(goals_per_field=1)  # two fields with one goal each
    goals = [g for f in agenda.action_fields for g in f.goals]
    factory.measure(users["submitter"].department, S.APPROVED, "Verfolgt", goals=[goals[0]])
    db.session.commit()
    html = login_as("coordinator").get("/dashboard/").get_data(as_text=True)
    assert "1 Ziel ohne Maßnahme." in html and "1 Ziele" not in html


def test_histories_show_german_decimals(db, factory, users, login_as):
    criteria = [c for c in ensure_default_criteria() if c.kind.value == "weighted"]
    measure = factory.measure(users["submitter"].department, S.SUBMITTED, "Bewertet")
    line = factory.budget_line(users["submitter"].department, amounts={2026: "99999.00"})
    db.session.commit()
    client = login_as("coordinator")
    post_form(
        client,
        f"/portfolio/measures/{measure.id}/score",
        {f"c_{c.id}": "4" for c in criteria},
    )
    html = client.get(f"/portfolio/measures/{measure.id}/score").get_data(as_text=True)
    assert "Score: – → 80,00" in html
    assert not re.search(r"\b80\.00\b", html)

    draft = factory.measure(
        users["submitter"].department, S.DRAFT, "Mit Kosten", costs=[(line, 2026, "12500.00")]
    )
    db.session.commit()
    submitter = client.application.test_client()
    login(submitter, users["submitter"].username)
    history = submitter.get(f"/massnahmen/{draft.id}?tab=verlauf")
    text = history.get_data(as_text=True)
    assert "12.500,00" in text and "12500.00" not in text
