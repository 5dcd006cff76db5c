"""Import of Ist and Obligo from the finance software (issue 11, point 1), through the pages.

Two sample exports of different shape (tests/data: an H&H-like XLSX with a title block and
separate key columns, an SAP-like CSV in Windows-1252 with a combined key, trailing minus
and no year column) describe the same state of four lines at 30.06.2026.
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from conftest import csrf_token, login, post_form
from execution_helpers import (
    CSV_SAMPLE,
    XLSX_SAMPLE,
    csv_profile,
    sample_kommune,
    xlsx_profile,
)
from openpyxl import Workbook
from sqlalchemy import func, select

from steuerung.models import (
    ActualRow,
    ActualsFileType,
    ActualsProfile,
    ActualsSnapshot,
    AuditEntry,
    DecimalStyle,
    LineKeyMode,
)
from steuerung.services.budget import actuals
from steuerung.services.budget.execution import execution_table


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The imports below happen on 30.11.2026 (a Stichtag after it is "in the future")."""
    monkeypatch.setattr(actuals, "today", lambda: date(2026, 11, 30))


TOKEN_RE = re.compile(r'name="token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="token"')


def upload(
    client: Any,
    profile: ActualsProfile,
    path: Any,
    *,
    data: bytes | None = None,
    as_of: str = "30.06.2026",
    year: str = "2026",
    name: str | None = None,
) -> Any:
    """Upload an export on the import page (as the browser sends the form)."""
    token = csrf_token(client, "/haushalt/vollzug/import")
    content = data if data is not None else path.read_bytes()
    return client.post(
        "/haushalt/vollzug/import",
        data={
            "csrf_token": token,
            "profile_id": str(profile.id),
            "as_of": as_of,
            "year": year,
            "file": (io.BytesIO(content), name or path.name),
        },
        content_type="multipart/form-data",
    )


def apply(client: Any, preview_html: str) -> str:
    """Press "übernehmen" and return the job page's text."""
    match = TOKEN_RE.search(preview_html)
    assert match, "kein Übernehmen-Knopf in der Vorschau"
    response = post_form(
        client,
        "/haushalt/vollzug/import/uebernehmen",
        {"token": match.group(1) or match.group(2)},
        token_from="/haushalt/vollzug/import",
    )
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _figures(db: Any) -> dict[str, tuple[D, D]]:
    return {r.label: (r.figures.ist, r.figures.obligo) for r in execution_table(2026).rows}


EXPECTED = {
    "1.1.1.05 / 11050 / 54310000": (D("61234.56"), D("12000.00")),
    "1.1.1.04 / 11040 / 54210000": (D("8670.10"), D("0.00")),
    "1.1.1.05 / 11050 / 78310000 / I-2026-003": (D("98400.00"), D("61750.00")),
    "1.1.1.05 / 11050 / 78320000 / I-2025-011": (D("120000.00"), D("35500.00")),
}


def test_xlsx_export_through_its_profile_then_the_csv_changes_nothing(factory, users, db, login_as):
    data = sample_kommune(factory, users)
    measures = data["measures"]
    client = login_as("treasury")
    profile = xlsx_profile()

    response = upload(client, profile, XLSX_SAMPLE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[-2000:]
    assert "Alle 6 Zeilen sind fehlerfrei (1 Summen- oder Leerzeile(n) übersprungen)" in html
    assert "4 Haushaltsstelle(n) neu, 0 geändert, 0 unverändert" in html
    # Row numbers as the spreadsheet shows them: header in row 4, data from row 5
    assert "übersprungen (Summenzeile)" in html
    assert db.session.scalar(select(func.count(ActualsSnapshot.id))) == 0  # preview only

    job_page = apply(client, html)
    assert "Neuer Stand der Ist-Daten für 2026 übernommen." in job_page
    [snap] = db.session.scalars(select(ActualsSnapshot)).all()
    assert (snap.year, snap.as_of.isoformat(), snap.file_name) == (
        2026,
        "2026-06-30",
        XLSX_SAMPLE.name,
    )
    assert (snap.row_count, snap.total_ist, snap.total_obligo) == (
        6,
        D("288304.66"),
        D("109250.00"),
    )
    assert snap.imported_by_id == users["treasury"].id
    assert _figures(db) == EXPECTED
    # Rows of the order A-2026-0042 belong to E-Rechnung; the hardware line is only used by
    # the Notebooks measure, so its rows belong to it (matched by the Investitionsnummer);
    # the E-Akte line is used by two measures: no measure.
    by_measure = dict(
        db.session.execute(
            select(ActualRow.measure_id, func.sum(ActualRow.ist)).group_by(ActualRow.measure_id)
        ).all()
    )
    assert by_measure[measures["erechnung"].id] == D("8500.00")
    assert by_measure[measures["notebooks"].id] == D("98400.00")
    assert measures["eakte"].id not in by_measure
    # The snapshot is audited (one entry), its rows are not (the snapshot is the record)
    audit = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "actuals_snapshots")
    ).all()
    assert [(a.action, a.user_id) for a in audit] == [("create", users["treasury"].id)]

    # The same figures from the other finance system's CSV: recognised, nothing written
    other = csv_profile()
    response = upload(client, other, CSV_SAMPLE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "entsprechen dem aktuellen Stand" in html
    assert TOKEN_RE.search(html) is None  # nothing to apply
    assert db.session.scalar(select(func.count(ActualsSnapshot.id))) == 1


def test_reimport_of_the_same_file_changes_nothing(factory, users, db, login_as):
    sample_kommune(factory, users)
    client = login_as("treasury")
    profile = csv_profile()
    apply(client, upload(client, profile, CSV_SAMPLE).get_data(as_text=True))
    rows_before = db.session.scalar(select(func.count(ActualRow.id)))
    audit_before = db.session.scalar(select(func.count(AuditEntry.id)))

    response = upload(client, profile, CSV_SAMPLE)
    html = response.get_data(as_text=True)
    assert "Es gibt nichts zu übernehmen; es wird nichts geändert." in html
    assert html.count("unverändert") >= 4
    assert db.session.scalar(select(func.count(ActualsSnapshot.id))) == 1
    assert db.session.scalar(select(func.count(ActualRow.id))) == rows_before
    assert db.session.scalar(select(func.count(AuditEntry.id))) == audit_before
    # Even a forged apply of a stored preview changes nothing (checked again at apply time)
    preview = actuals.preview_file(
        CSV_SAMPLE.name,
        CSV_SAMPLE.read_bytes(),
        profile,
        as_of=date(2026, 6, 30),
        default_year=2026,
        budget_year=2026,
    )
    result = actuals.apply_actuals(preview, by=users["treasury"])
    db.session.commit()
    assert (result.created, result.unchanged) == ([], [2026])
    assert db.session.scalar(select(func.count(ActualsSnapshot.id))) == 1
    assert _figures(db) == EXPECTED


def test_a_newer_export_becomes_the_current_snapshot_and_the_older_stays_readable(
    factory, users, db, login_as
):
    data = sample_kommune(factory, users)
    client = login_as("treasury")
    profile = csv_profile()
    apply(client, upload(client, profile, CSV_SAMPLE).get_data(as_text=True))
    july = CSV_SAMPLE.read_bytes().replace(b"120.000,00;35.500,00", b"131.250,00;24.250,00")
    html = upload(client, profile, CSV_SAMPLE, data=july, as_of="31.07.2026", name="juli.csv")
    html = html.get_data(as_text=True)
    assert "1 geändert, 3 unverändert" in html.replace("Haushaltsstelle(n) neu, ", "")
    apply(client, html)
    old, new = db.session.scalars(select(ActualsSnapshot).order_by(ActualsSnapshot.id)).all()
    figures = _figures(db)
    assert figures["1.1.1.05 / 11050 / 78320000 / I-2025-011"] == (D("131250.00"), D("24250.00"))
    # the older snapshot's page still shows its figures; it says it no longer counts
    page = client.get(f"/haushalt/vollzug/stand/{old.id}").get_data(as_text=True)
    assert "120.000,00\u00a0€" in page and "Ein früherer Stand" in page
    page = client.get(f"/haushalt/vollzug/stand/{new.id}").get_data(as_text=True)
    assert "131.250,00\u00a0€" in page and "aktuelle Stand des Jahres 2026" in page
    overview = client.get("/haushalt/vollzug/").get_data(as_text=True)
    assert "früherer Stand" in overview and "aktueller Stand" in overview
    assert data  # lines exist


def bad_csv() -> bytes:
    text = CSV_SAMPLE.read_bytes().decode("cp1252")
    text = text.replace(
        "1.1.1.04.11040.54210000;Fortbildung", "1.1.1.04.11040.99999999;Fortbildung"
    )
    text = text.replace("8.500,00;4.000,00", "8.500,00;4,000,00")
    text = text.replace("60.000,00;61.750,00", "sechzigtausend;61.750,00")
    return text.encode("cp1252")


def test_bad_rows_are_named_by_row_number_and_nothing_is_written(factory, users, db, login_as):
    sample_kommune(factory, users)
    client = login_as("treasury")
    profile = csv_profile()
    audit_before = db.session.scalar(select(func.count(AuditEntry.id)))
    response = upload(client, profile, CSV_SAMPLE, data=bad_csv(), name="kaputt.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "3 von 7 Zeilen haben Fehler" in html
    assert "Zeile 3: Obligo „4,000,00“ ist kein gültiger Betrag:" in html
    assert "Zeile 4: Unbekannte Haushaltsstelle 1.1.1.04.11040.99999999." in html
    assert "Zeile 6: Ist „sechzigtausend“ ist kein gültiger Betrag:" in html
    assert TOKEN_RE.search(html) is None
    assert db.session.scalar(select(func.count(ActualsSnapshot.id))) == 0
    assert db.session.scalar(select(func.count(ActualRow.id))) == 0
    assert db.session.scalar(select(func.count(AuditEntry.id))) == audit_before


def test_file_that_does_not_fit_the_profile_is_refused_with_a_clear_message(
    factory, users, db, login_as
):
    sample_kommune(factory, users)
    client = login_as("treasury")
    csv_p, xlsx_p = csv_profile(), xlsx_profile()
    html = upload(client, csv_p, XLSX_SAMPLE).get_data(as_text=True)
    assert "erwartet eine CSV-Datei, hochgeladen wurde eine Excel (XLSX)-Datei" in html
    renamed = CSV_SAMPLE.read_bytes().replace(b"Istwerte", b"Ist-Betrag")
    response = upload(client, csv_p, CSV_SAMPLE, data=renamed)
    assert response.status_code == 400
    assert "fehlen die Spalten „Istwerte“ (Ist)" in response.get_data(as_text=True)
    # A year outside the kept years, a Stichtag in the future
    response = upload(client, csv_p, CSV_SAMPLE, year="2031")
    assert "Haushaltsjahr 2031 liegt außerhalb der Jahre 2016–2026" in response.get_data(
        as_text=True
    )
    response = upload(client, csv_p, CSV_SAMPLE, as_of="31.12.2099")
    assert "liegt in der Zukunft" in response.get_data(as_text=True)
    # The wrong sheet of an XLSX
    xlsx_p.sheet_name = "Tabelle9"
    db.session.commit()
    response = upload(client, xlsx_p, XLSX_SAMPLE)
    assert "Die Datei hat kein Blatt „Tabelle9“" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ActualsSnapshot.id))) == 0


def test_english_numbers_and_a_year_column_in_a_number_cell(factory, users, db):
    """A profile for an English-formatted export: 1,234.56 read right, never as 1,234."""
    data = sample_kommune(factory, users)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Cost centre", "Budget line", "Fiscal year", "Actual", "Commitment"])
    sheet.append(["11050", "1.1.1.05/11050/54310000", 2026.0, "1,234.50", "1,000"])
    sheet.append(["11050", "1.1.1.05/11050/54310000", 2026, 0.1, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    profile = ActualsProfile(
        name="Englisch",
        file_type=ActualsFileType.XLSX,
        header_row=1,
        key_mode=LineKeyMode.COMBINED,
        key_separator="/",
        col_line_key="Budget line",
        col_year="Fiscal year",
        col_ist="Actual",
        col_obligo="Commitment",
        decimal_style=DecimalStyle.ENGLISH,
    )
    db.session.add(profile)
    db.session.commit()
    preview = actuals.preview_file(
        "export.xlsx",
        buffer.getvalue(),
        profile,
        as_of=date(2026, 6, 30),
        default_year=2025,
        budget_year=2026,
    )
    assert preview.ok, [r.errors for r in preview.rows]
    [change] = preview.changes
    assert (change.year, change.ist, change.obligo) == (2026, D("1234.60"), D("1000.00"))
    assert change.line_id == data["lines"]["lizenzen"].id


def test_profile_mapped_from_a_sample_export(factory, users, db, login_as):
    sample_kommune(factory, users)
    client = login_as("treasury")
    # Without any profile the import page leads to the profiles
    response = client.get("/haushalt/vollzug/import")
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile")
    token = csrf_token(client, "/haushalt/vollzug/profile")
    response = client.post(
        "/haushalt/vollzug/profile/beispiel",
        data={
            "csrf_token": token,
            "header_row": "4",
            "sheet_name": "",
            "file": (io.BytesIO(XLSX_SAMPLE.read_bytes()), XLSX_SAMPLE.name),
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[-1500:]
    for header in ("Produkt", "Investitionsnr.", "HHJ", "Ist (gebucht)", "Obligo (Aufträge)"):
        assert f'<option value="{header}">' in html
    # The proposal read the usual header texts
    for name, value in (
        ("col_product", "Produkt"),
        ("col_account", "Sachkonto"),
        ("col_investment_number", "Investitionsnr."),
        ("col_year", "HHJ"),
        ("col_ist", "Ist (gebucht)"),
        ("col_obligo", "Obligo (Aufträge)"),
        ("col_measure_key", "Auftrag"),
    ):
        assert re.search(rf'name="{name}"[^>]*value="{re.escape(value)}"', html), name
    form = {
        "name": "HKR monatlich",
        "file_type": "xlsx",
        "sheet_name": "",
        "header_row": "4",
        "key_mode": "columns",
        "key_separator": "/",
        "decimal_style": "german",
        "col_product": "Produkt",
        "col_cost_center": "Kostenstelle",
        "col_account": "Sachkonto",
        "col_investment_number": "Investitionsnr.",
        "col_line_key": "",
        "col_year": "HHJ",
        "col_ist": "Ist (gebucht)",
        "col_obligo": "Ist (gebucht)",
        "col_measure_key": "Auftrag",
    }
    response = post_form(
        client, "/haushalt/vollzug/profile/neu", form, token_from="/haushalt/vollzug/profile"
    )
    assert response.status_code == 400
    assert "Die Spalte „Ist (gebucht)“ ist schon „Ist“ zugeordnet." in response.get_data(
        as_text=True
    )
    form["col_obligo"] = "Obligo (Aufträge)"
    response = post_form(
        client, "/haushalt/vollzug/profile/neu", form, token_from="/haushalt/vollzug/profile"
    )
    assert response.status_code == 302
    profile = db.session.scalar(
        select(ActualsProfile).where(ActualsProfile.name == "HKR monatlich")
    )
    assert (profile.header_row, profile.col_investment_number, profile.created_by_id) == (
        4,
        "Investitionsnr.",
        users["treasury"].id,
    )
    # The monthly import is one upload with the saved profile
    html = upload(client, profile, XLSX_SAMPLE).get_data(as_text=True)
    apply(client, html)
    assert _figures(db) == EXPECTED
    # Renaming: a stale form is refused
    edit = f"/haushalt/vollzug/profile/{profile.id}"
    stale = {**form, "version_id": "99", "col_ist": "Ist"}
    response = client.post(edit, data={**stale, "csrf_token": csrf_token(client, edit)})
    assert response.status_code == 409
    response = post_form(client, edit, {**form, "col_ist": "Ist gesamt"})
    assert response.status_code == 302
    db.session.refresh(profile)
    assert profile.col_ist == "Ist gesamt"


def test_only_the_treasury_imports_others_read(app, factory, users, db):
    sample_kommune(factory, users)
    profile = csv_profile()

    def login_as(role: str) -> Any:
        client = app.test_client()
        assert login(client, users[role].username).status_code == 302
        return client

    for role in ("coordinator", "leadership", "admin"):
        client = login_as(role)
        assert client.get("/haushalt/vollzug/").status_code == 200, role
        assert client.get("/haushalt/vollzug/investitionsprogramm").status_code == 200
        assert client.get("/haushalt/vollzug/import").status_code == 403, role
        assert client.get("/haushalt/vollzug/profile").status_code == 403
        assert client.get(f"/haushalt/vollzug/profile/{profile.id}").status_code == 403
    client = login_as("submitter")
    for url in (
        "/haushalt/vollzug/",
        "/haushalt/vollzug/uebertragungen",
        "/haushalt/vollzug/import",
    ):
        assert client.get(url).status_code == 403, url


def test_a_profile_changed_between_preview_and_apply_needs_a_new_upload(
    factory, users, db, login_as
):
    sample_kommune(factory, users)
    client = login_as("treasury")
    profile = csv_profile()
    html = upload(client, profile, CSV_SAMPLE).get_data(as_text=True)
    profile.key_mode = LineKeyMode.COLUMNS
    profile.col_product, profile.col_cost_center, profile.col_account = "A", "B", "C"
    db.session.commit()
    job_page = apply(client, html)
    assert "Das Importprofil wurde inzwischen geändert." in job_page
    assert db.session.scalar(select(func.count(ActualsSnapshot.id))) == 0
