"""Hostile spreadsheets: each ends in a German message on the import page, nothing is
written, nothing is stored under the client's file name, and memory stays bounded."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import csrf_token
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from steuerung.models import AuditEntry, BudgetAmount, BudgetLine
from steuerung.services.budget.imports import ImportRejected, read_table

URL = "/haushalt/import"
HEADER = ["Produkt", "Kostenstelle", "Sachkonto", "Investitionsnummer", "Jahr", "Ansatz"]
#: Peak Python memory allowed while refusing an attack file. Measured on this machine
#: (tracemalloc): every attack stays below 0.5 MB (the 1 GB bomb: 0 MB, refused from the ZIP
#: directory alone); a legitimate 20,000-row file needs 22 MB.
ATTACK_PEAK_BYTES = 8 * 1024 * 1024
LEGITIMATE_PEAK_BYTES = 48 * 1024 * 1024

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Ansätze" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _header_row() -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for i, name in enumerate(HEADER)
    )
    return f'<row r="1">{cells}</row>'


def _data_row(row: int, amount_cell: str = '<c r="F{r}"><v>1000</v></c>') -> str:
    cells = (
        f'<c r="A{row}" t="inlineStr"><is><t>1.1.1.01</t></is></c>'
        f'<c r="B{row}" t="inlineStr"><is><t>1001</t></is></c>'
        f'<c r="C{row}" t="inlineStr"><is><t>54310000</t></is></c>'
        f'<c r="E{row}"><v>2026</v></c>' + amount_cell.format(r=row)
    )
    return f'<row r="{row}">{cells}</row>'


def xlsx(sheet_body: str, shared: str = "", doctype: str = "", extra: dict | None = None) -> bytes:
    """A minimal XLSX built by hand (openpyxl would refuse to write the hostile parts)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr(
            "xl/sharedStrings.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"{shared}</sst>",
        )
        sheet = SHEET_START.replace("?>", "?>" + doctype, 1) if doctype else SHEET_START
        archive.writestr(
            "xl/worksheets/sheet1.xml", f"{sheet}<sheetData>{sheet_body}</sheetData></worksheet>"
        )
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_bomb(megabytes: int = 1024, declared_bytes: int | None = None) -> bytes:
    """An XLSX-shaped ZIP whose sheet unpacks to ``megabytes`` MB of blanks.

    Built from repeated, byte-aligned deflate blocks (no gigabyte is ever held or
    compressed here). ``declared_bytes`` lets the ZIP directory lie about the size.
    """
    prefix = (SHEET_START + "<sheetData>").encode()
    chunk = b" " * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    block_bytes = block.compress(chunk) + block.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    data = head + block_bytes * megabytes + tail
    crc = zlib.crc32(prefix)
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    size = declared_bytes if declared_bytes is not None else len(prefix) + megabytes * len(chunk)

    small = io.BytesIO()
    with zipfile.ZipFile(small, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
    # Append the bomb entry by hand: local header + data, then a new central directory.
    base = zipfile.ZipFile(io.BytesIO(small.getvalue()))
    infos = base.infolist()
    cd_start = base.start_dir
    body = bytearray(small.getvalue()[:cd_start])
    name = b"xl/worksheets/sheet1.xml"
    offset = len(body)
    body += struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(name), 0
    )
    body += name + data
    directory = bytearray(
        small.getvalue()[
            cd_start : cd_start
            + sum(46 + len(i.filename.encode()) + len(i.extra) + len(i.comment) for i in infos)
        ]
    )
    directory += struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0x21,
        crc,
        len(data),
        size,
        len(name),
        0,
        0,
        0,
        0,
        0,
        offset,
    )
    directory += name
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(infos) + 1, len(infos) + 1, len(directory), len(body), 0
    )
    return bytes(body + directory + end)


def many_entries(count: int = 500) -> bytes:
    extra = {f"xl/media/bild{i}.xml": "<a/>" for i in range(count)}
    return xlsx(_header_row(), extra=extra)


BILLION_LAUGHS = (
    '<!DOCTYPE worksheet [<!ENTITY a "hahahahahahahahahaha">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">'
    '<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">]>'
)

ATTACKS: dict[str, tuple[Any, str]] = {
    "zip bomb (1 GB)": (lambda: zip_bomb(1024), "würde entpackt zu groß"),
    "zip bomb, size lies": (
        lambda: zip_bomb(64, declared_bytes=200_000),
        "Text mit mehr als 4.000 Zeichen",
    ),
    "500 entries": (lambda: many_entries(), "besteht aus 506 Teilen"),
    "huge inline cell": (
        lambda: xlsx(
            _header_row()
            + _data_row(2, '<c r="F{r}" t="inlineStr"><is><t>' + "9" * 3_000_000 + "</t></is></c>")
        ),
        "Text mit mehr als 4.000 Zeichen (Zelle F2)",
    ),
    "huge shared string": (
        lambda: xlsx(_header_row(), shared="<si><t>" + "A" * 8_000_000 + "</t></si>"),
        "Text mit mehr als 4.000 Zeichen",
    ),
    "huge attribute": (
        lambda: xlsx(_header_row() + '<row r="2" spans="' + "1" * 100_000 + '"></row>'),
        "Wert mit mehr als 4.000 Zeichen",
    ),
    "doctype": (
        lambda: xlsx(_header_row(), doctype='<!DOCTYPE worksheet SYSTEM "file:///etc/passwd">'),
        "Dokumenttyp-Deklaration (DOCTYPE)",
    ),
    "entity expansion": (
        lambda: xlsx(
            _header_row() + '<row r="2"><c r="A2" t="inlineStr"><is><t>&g;</t></is></c></row>',
            doctype=BILLION_LAUGHS,
        ),
        "DOCTYPE",
    ),
    "number cell with text": (
        lambda: xlsx(_header_row() + _data_row(2, '<c r="F{r}" t="n"><v>zwölf</v></c>')),
        "Zelle F2 ist als Zahl gespeichert, enthält aber keine Zahl.",
    ),
    "error value": (
        lambda: xlsx(_header_row() + _data_row(2, '<c r="F{r}" t="e"><v>#DIV/0!</v></c>')),
        "Zelle F2 enthält einen Fehlerwert (#DIV/0!)",
    ),
    "shared string out of range": (
        lambda: xlsx(
            _header_row() + _data_row(2, '<c r="F{r}" t="s"><v>7</v></c>'),
            shared="<si><t>x</t></si>",
        ),
        "Zelle F2 verweist auf einen Text, den es in der Datei nicht gibt.",
    ),
    "bad boolean": (
        lambda: xlsx(_header_row() + _data_row(2, '<c r="F{r}" t="b"><v>vielleicht</v></c>')),
        "Zelle F2 enthält einen ungültigen Wahrheitswert.",
    ),
    "bad date": (
        lambda: xlsx(_header_row() + _data_row(2, '<c r="F{r}" t="d"><v>2026-13-45</v></c>')),
        "Zelle F2 ist als Datum gespeichert, enthält aber kein gültiges Datum.",
    ),
    "unknown cell type": (
        lambda: xlsx(_header_row() + _data_row(2, '<c r="F{r}" t="xyz"><v>1</v></c>')),
        "Zelle F2 hat einen unbekannten Zelltyp.",
    ),
    "broken xml": (lambda: xlsx(_header_row() + "<row r='2'><c>"), "beschädigt"),
    "pdf renamed to xlsx": (lambda: b"%PDF-1.7\n" + b"0" * 2000, "keine lesbare Excel-Datei"),
    "word document renamed": (
        lambda: _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}),
        "keine lesbare Excel-Datei",
    ),
    "encrypted entry": (lambda: _encrypted_flag(xlsx(_header_row())), "verschlüsselt"),
}


def _zip(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _encrypted_flag(data: bytes) -> bytes:
    """Set the 'encrypted' bit of every central directory entry."""
    raw = bytearray(data)
    position = raw.find(b"PK\x01\x02")
    while position != -1:
        flags = struct.unpack_from("<H", raw, position + 8)[0]
        struct.pack_into("<H", raw, position + 8, flags | 0x1)
        position = raw.find(b"PK\x01\x02", position + 4)
    return bytes(raw)


def _peak_memory(data: bytes, filename: str = "ansaetze.xlsx") -> tuple[int, str]:
    tracemalloc.start()
    try:
        message = ""
        try:
            read_table(filename, data)
        except ImportRejected as error:
            message = error.message
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, message


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_file_is_refused_with_german_message_and_bounded_memory(name):
    build, expected = ATTACKS[name]
    data = build()
    assert len(data) < 5 * 1024 * 1024
    peak, message = _peak_memory(data)
    assert expected in message
    assert peak < ATTACK_PEAK_BYTES, f"{name}: peak {peak / 1e6:.1f} MB"


def test_forged_dimension_does_not_pad_rows():
    body = '<dimension ref="A1:XFD1048576"/>'
    rows = "".join(_data_row(r) for r in range(2, 2002))
    data = xlsx(_header_row() + rows).replace(b"<sheetData>", b"<sheetData>", 1)
    data = xlsx(_header_row() + rows)
    forged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(forged, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"<sheetData>", body.encode() + b"<sheetData>")
            target.writestr(info, content)
    peak, message = _peak_memory(forged.getvalue())
    assert message == ""
    assert peak < LEGITIMATE_PEAK_BYTES


def test_legitimate_large_file_is_read_within_the_bound():
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i in range(3_000):
        ws.append([f"1.1.{i % 90}.01", f"{1000 + i}", "54310000", "", 2026, 1234.5])
    buffer = io.BytesIO()
    wb.save(buffer)
    peak, message = _peak_memory(buffer.getvalue())
    assert message == ""
    assert peak < LEGITIMATE_PEAK_BYTES, f"peak {peak / 1e6:.1f} MB"


def test_date_and_truth_value_in_amount_column_are_row_errors():
    rows = read_table(
        "a.xlsx",
        xlsx(
            _header_row()
            + _data_row(2, '<c r="F{r}" t="d"><v>2026-11-23T00:00:00</v></c>')
            + _data_row(3, '<c r="F{r}" t="b"><v>1</v></c>')
        ),
    )
    assert [r.amount_text for r in rows] == ["23.11.2026", "WAHR"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b'Produkt;Kostenstelle;Sachkonto;Jahr;Ansatz\n1;2;3;2026;"' + b"1" * 200_000 + b'"\n',
            "fehlerhaft aufgebaut",
        ),
        (
            b"Produkt;Kostenstelle;Sachkonto;Jahr;Ansatz\n1;2;3;2026;" + b"1" * 5000 + b"\n",
            "mehr als 4.000 Zeichen",
        ),
        (b"Produkt;Kostenstelle;Sachkonto;Jahr;Ansatz\n1;2\x003;2026;5\n", "keine Tabelle"),
        (b"Produkt;Kostenstelle;Sachkonto;Jahr;Ansatz\n1;2\x0b3;2026;5\n", "Steuerzeichen"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "keine Tabelle"),
    ],
)
def test_bad_csv_files(data, expected):
    peak, message = _peak_memory(data, "ansaetze.csv")
    assert expected in message


def _post_file(client: Any, data: bytes, filename: str) -> Any:
    """POST an upload with the multipart body built in memory (the test client would spool a
    large body to a temporary file that it never closes)."""
    upload = FileStorage(
        io.BytesIO(data), filename=filename, content_type="application/octet-stream"
    )
    fields = {"csrf_token": csrf_token(client, URL), "file": upload}
    boundary, body = encode_multipart(MultiDict(fields))
    return client.post(URL, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _counts(db: Any) -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count(BudgetLine.id))),
        db.session.scalar(select(func.count(BudgetAmount.id))),
        db.session.scalar(select(func.count(AuditEntry.id))),
    )


def _files(app: Any) -> set[str]:
    root = Path(app.instance_path)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "name",
    [
        "zip bomb (1 GB)",
        "entity expansion",
        "number cell with text",
        "huge inline cell",
        "pdf renamed to xlsx",
    ],
)
def test_attack_through_the_import_page(app, login_as, factory, db, users, name):
    client = login_as("treasury")
    factory.budget_line(users["treasury"].department, amounts={2026: "100.00"})
    db.session.commit()
    before, files = _counts(db), _files(app)
    build, expected = ATTACKS[name]
    response = _post_file(client, build(), "ansaetze.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert expected in html.replace("&#34;", '"')
    assert 'id="file-fehler"' in html or "file-fehler" in html
    assert _counts(db) == before
    assert _files(app) == files


def test_client_file_name_is_never_used_for_storage(app, login_as, factory, db, users):
    client = login_as("treasury")
    line = factory.budget_line(users["treasury"].department, amounts={2026: "100.00"})
    db.session.commit()
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append([line.product, line.cost_center, line.account, "", 2026, 250])
    buffer = io.BytesIO()
    wb.save(buffer)
    evil = "../../böse<script>.xlsx"
    response = _post_file(client, buffer.getvalue(), evil)
    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True)
    stored = [p for p in Path(app.instance_path).rglob("*") if p.is_file()]
    assert not any("böse" in str(p) or "script" in str(p) for p in stored)
    assert not any("böse" in p.read_text(errors="ignore") for p in stored if p.suffix == ".json")
