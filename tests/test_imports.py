"""Import of approved amounts: preview, row-by-row errors, all-or-nothing apply, bad files."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from steuerung.models import AuditEntry, BudgetAmount, BudgetKind, BudgetLine
from steuerung.services.budget.exports import write_csv

D = Decimal
URL = "/haushalt/import"
HEADER = ["Produkt", "Kostenstelle", "Sachkonto", "Investitionsnummer", "Jahr", "Ansatz"]
TOKEN_RE = re.compile(r'name="token" type="hidden" value="([^"]+)"')


@pytest.fixture()
def lines(factory: Any, db: Any, users: dict[str, Any]) -> list[BudgetLine]:
    fb1 = users["treasury"].department
    line_a = factory.budget_line(fb1, amounts={2026: "100.00"})
    line_b = factory.budget_line(fb1, BudgetKind.INVESTIVE)
    db.session.commit()
    return [line_a, line_b]


def _key(line: BudgetLine) -> list[object]:
    return [line.product, line.cost_center, line.account, line.investment_number]


def _xlsx(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _upload(client: Any, data: bytes, filename: str = "ansaetze.xlsx") -> Any:
    from tests.conftest import csrf_token

    token = csrf_token(client, URL)
    return client.post(
        URL,
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _apply(client: Any, preview_response: Any) -> Any:
    html = preview_response.get_data(as_text=True)
    match = TOKEN_RE.search(html)
    assert match, html[:2000]
    from tests.conftest import CSRF_RE

    csrf = CSRF_RE.search(html).group(1)  # type: ignore[union-attr]
    return client.post(
        "/haushalt/import/uebernehmen", data={"csrf_token": csrf, "token": match.group(1)}
    )


def _text(response: Any) -> str:
    """The page with whitespace collapsed (templates wrap long sentences)."""
    return " ".join(response.get_data(as_text=True).split())


def _amounts(db: Any) -> dict[tuple[int, int], Decimal]:
    return {
        (a.budget_line_id, a.year): a.approved_amount
        for a in db.session.scalars(select(BudgetAmount))
    }


def test_three_good_two_bad_rows_are_refused_whole(
    login_as: Any, lines: list[BudgetLine], db: Any
) -> None:
    client = login_as("treasury")
    line_a, line_b = lines
    before = _amounts(db)
    data = _xlsx(
        [
            [*_key(line_a), 2026, 1500],  # row 2 good
            [*_key(line_a), 2027, "2.000,50"],  # row 3 good
            ["9.9.9.99", "0000", "11111111", "", 2026, 10],  # row 4 unknown line
            [*_key(line_b), 2028, 700.25],  # row 5 good
            [*_key(line_b), 2029, "viel Geld"],  # row 6 not numeric
        ]
    )
    response = _upload(client, data)
    assert response.status_code == 400
    html = _text(response)
    assert "2 von 5 Zeilen haben Fehler" in html
    assert "Zeile 4: Unbekannte Haushaltsstelle 9.9.9.99 / 0000 / 11111111" in html
    assert (
        "Zeile 6: Ansatz „viel Geld“ ist kein gültiger Betrag: Bitte geben Sie eine Zahl ein"
        in html
    )
    assert 'name="token"' not in html  # nothing to apply
    db.session.expire_all()
    assert _amounts(db) == before


def test_good_file_applies_and_reimport_changes_nothing(
    login_as: Any, lines: list[BudgetLine], db: Any
) -> None:
    client = login_as("treasury")
    line_a, line_b = lines
    data = _xlsx(
        [
            [*_key(line_a), 2026, 1500],
            [*_key(line_a), 2027, "2.000,50"],
            [*_key(line_b), 2028, 700.25],
            [
                "1.2.3.04",
                "2001",
                "78320000",
                "I-999",
                2026,
                "5000",
                "Glasfaser Schulen",
                "investiv",
                "FB 2",
            ],
        ],
        HEADER + ["Bezeichnung", "Art", "Fachbereich"],
    )
    preview = _upload(client, data)
    assert preview.status_code == 200, preview.get_data(as_text=True)[:3000]
    html = _text(preview)
    assert "Alle 4 Zeilen sind fehlerfrei: 3 neu, 1 geändert, 0 unverändert" in html
    db.session.expire_all()
    assert _amounts(db)[(line_a.id, 2026)] == D("100.00")  # preview writes nothing

    response = _apply(client, preview)
    assert response.status_code == 302
    db.session.expire_all()
    amounts = _amounts(db)
    assert amounts[(line_a.id, 2026)] == D("1500.00")
    assert amounts[(line_a.id, 2027)] == D("2000.50")
    assert amounts[(line_b.id, 2028)] == D("700.25")
    new_line = db.session.scalar(select(BudgetLine).where(BudgetLine.product == "1.2.3.04"))
    assert new_line is not None and new_line.kind == BudgetKind.INVESTIVE
    assert new_line.department.code == "FB 2"
    assert amounts[(new_line.id, 2026)] == D("5000.00")

    audit_count = db.session.scalar(select(func.count(AuditEntry.id)))
    versions = {line.id: line.version_id for line in db.session.scalars(select(BudgetLine))}
    again = _upload(client, data)
    assert "0 neu, 0 geändert, 4 unverändert" in _text(again)
    assert _apply(client, again).status_code == 302
    db.session.expire_all()
    assert _amounts(db) == amounts
    assert db.session.scalar(select(func.count(AuditEntry.id))) == audit_count
    assert {line.id: line.version_id for line in db.session.scalars(select(BudgetLine))} == (
        versions
    )


def test_csv_in_german_format_applies(login_as: Any, lines: list[BudgetLine], db: Any) -> None:
    client = login_as("treasury")
    line_a, _ = lines
    data = write_csv(HEADER, [[*_key(line_a), 2029, D("1234.56")]])
    preview = _upload(client, data, "export.csv")
    assert preview.status_code == 200
    assert _apply(client, preview).status_code == 302
    db.session.expire_all()
    assert _amounts(db)[(line_a.id, 2029)] == D("1234.56")


def test_duplicate_year_outside_horizon_and_negative(
    login_as: Any, lines: list[BudgetLine]
) -> None:
    client = login_as("treasury")
    line_a, line_b = lines
    data = _xlsx(
        [
            [*_key(line_a), 2026, 1],
            [*_key(line_a), 2026, 2],
            [*_key(line_a), 2031, 3],
            [*_key(line_a), "zwanzig", 3],
            [*_key(line_b), 2027, -5],
            [*_key(line_b), 2027, 1.234],
        ]
    )
    html = _text(_upload(client, data))
    assert "Zeile 3: Doppelte Zeile" in html and "steht schon in Zeile 2" in html
    assert "Zeile 4: Jahr 2031 liegt außerhalb des Planungszeitraums 2026–2029." in html
    assert "Zeile 5: Jahr „zwanzig“ ist keine Jahreszahl." in html
    assert "Zeile 6: Ansatz darf nicht negativ sein." in html
    assert (
        "Zeile 7: Ansatz „1,234“ ist kein gültiger Betrag: Bitte höchstens zwei Nachkommastellen"
        in html
    )


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "leer.xlsx", "Die Datei ist leer."),
        (b"   \r\n", "leer.csv", "Die Datei ist leer."),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "bericht.pdf", "Die Datei ist keine Tabelle."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "bild.xlsx", "keine lesbare Excel-Datei"),
        (b"PK\x03\x04kaputt", "kaputt.xlsx", "keine lesbare Excel-Datei"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "alt.xls", "Das alte Excel-Format (.xls)"),
        (b"Name;Wert\nA;1\n", "falsch.csv", "es fehlen die Spalten „Produkt“"),
        (";".join(HEADER).encode(), "kopf.csv", "nur die Kopfzeile"),
    ],
)
def test_unusable_files_get_clear_messages(
    login_as: Any, lines: list[BudgetLine], data: bytes, filename: str, message: str
) -> None:
    client = login_as("treasury")
    response = _upload(client, data, filename)
    assert response.status_code == 400
    html = _text(response)
    assert message in html, html[:3000]


def test_twenty_megabyte_file_gets_clear_message(login_as: Any, lines: list[BudgetLine]) -> None:
    from werkzeug.test import EnvironBuilder

    from tests.conftest import csrf_token

    client = login_as("treasury")
    builder = EnvironBuilder(
        path=URL,
        method="POST",
        data={
            "csrf_token": csrf_token(client, URL),
            "file": (io.BytesIO(b"0" * (20 * 1024 * 1024)), "riesig.csv"),
        },
    )
    environ = builder.get_environ()
    try:
        response = client.open(environ)
    finally:
        # The test client spools the big body to a temporary file: close it here.
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 413
    html = _text(response)
    assert "Die Datei ist zu groß" in html
    assert "Import der Ansätze" in html  # the import page, not a bare error page


def test_no_file_chosen(login_as: Any, lines: list[BudgetLine]) -> None:
    from tests.conftest import post_form

    client = login_as("treasury")
    response = post_form(client, URL, {})
    assert response.status_code == 400
    assert "Bitte eine Datei auswählen." in _text(response)


def test_token_of_another_user_is_refused(
    login_as: Any, lines: list[BudgetLine], factory: Any, db: Any, app: Any
) -> None:
    from pathlib import Path

    from steuerung.services.budget import imports
    from steuerung.services.budget.imports import ImportRejected

    client = login_as("treasury")
    line_a, _ = lines
    preview = _upload(client, _xlsx([[*_key(line_a), 2026, 5]]))
    token = TOKEN_RE.search(preview.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    storage = Path(app.instance_path) / "imports"
    with pytest.raises(ImportRejected):
        imports.load_preview(token, user_id=999999, storage_dir=storage)
    with pytest.raises(ImportRejected):
        imports.load_preview("../../etc/passwd", user_id=1, storage_dir=storage)
    imports.discard_preview(token, storage_dir=storage)
    # After discarding, applying gives a clear message instead of an error page.
    response = _apply(client, preview)
    assert response.status_code == 302
    follow = client.get(response.headers["Location"])
    assert "abgelaufen oder wurde schon übernommen" in _text(follow)


def test_templates_download_and_read_back(login_as: Any, lines: list[BudgetLine], db: Any) -> None:
    client = login_as("treasury")
    response = client.get("/haushalt/import/vorlage.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.data))
    header = [c.value for c in wb.worksheets[0][1]]
    assert header[:6] == HEADER
    # The template itself is a valid import (amounts 0 for the example lines).
    preview = _upload(client, response.data, "vorlage.xlsx")
    assert preview.status_code == 200, preview.get_data(as_text=True)[:2000]
    csv_template = client.get("/haushalt/import/vorlage.csv")
    assert csv_template.data.startswith(b"\xef\xbb\xbf")
    assert _upload(client, csv_template.data, "vorlage.csv").status_code == 200


@pytest.mark.parametrize("role", ["coordinator", "leadership", "submitter"])
def test_only_treasury_imports(login_as: Any, lines: list[BudgetLine], role: str) -> None:
    client = login_as(role)
    assert client.get(URL).status_code == 403
    assert client.get("/haushalt/import/vorlage.xlsx").status_code == 403
    assert client.post("/haushalt/import/uebernehmen", data={}).status_code in (400, 403)
