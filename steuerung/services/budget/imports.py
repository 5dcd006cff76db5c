"""Import of approved amounts (and new budget lines) from XLSX or CSV files.

Flow: the view hands the uploaded bytes to :func:`read_table` and :func:`validate_rows`;
the preview shows every row with its errors in German. Only a file without errors can be
applied: its parsed rows are stored server-side (:func:`store_preview`, a JSON file in the
instance folder keyed by a random token) and :func:`apply_import` validates them again
against the current database and writes everything or nothing (the view commits once).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl import load_workbook
from openpyxl.chartsheet import Chartsheet
from sqlalchemy import bindparam, insert, select, update

from steuerung.extensions import db
from steuerung.models import BudgetAmount, BudgetKind, BudgetLine, Department, User
from steuerung.models.base import table_of, utcnow
from steuerung.services.budget.exports import Sheet, write_csv, write_xlsx
from steuerung.services.budget.lines import (
    BudgetLineData,
    _check_editor,
    validate_line_data,
)
from steuerung.services.common.audit import audit_row, write_audit_rows
from steuerung.services.common.dml import refresh_statistics
from steuerung.services.common.errors import DomainError, ValidationFailed
from steuerung.services.common.numbers import MAX_AMOUNT, NumberError, parse_decimal
from steuerung.services.security.http import has_control_characters
from steuerung.services.security.uploads import (
    MAX_COLUMNS,
    MAX_TEXT_CHARS,
    NOT_XLSX,
    UnsafeUpload,
    check_xlsx,
)

#: Columns of the import file (the template), in order.
COLUMNS = [
    "Produkt",
    "Kostenstelle",
    "Sachkonto",
    "Investitionsnummer",
    "Jahr",
    "Ansatz",
    "Bezeichnung",
    "Art",
    "Fachbereich",
    "Gebunden (Betrieb)",
]
REQUIRED_COLUMNS = ["Produkt", "Kostenstelle", "Sachkonto", "Jahr", "Ansatz"]
#: Other spellings finance software uses for the same columns (compared in lower case).
ALIASES = {
    "produkt": "Produkt",
    "produktnummer": "Produkt",
    "kostenstelle": "Kostenstelle",
    "kst": "Kostenstelle",
    "sachkonto": "Sachkonto",
    "konto": "Sachkonto",
    "investitionsnummer": "Investitionsnummer",
    "investitionsnr": "Investitionsnummer",
    "investitionsnr.": "Investitionsnummer",
    "jahr": "Jahr",
    "haushaltsjahr": "Jahr",
    "ansatz": "Ansatz",
    "planansatz": "Ansatz",
    "betrag": "Ansatz",
    "ansatz/planung": "Ansatz",
    "bezeichnung": "Bezeichnung",
    "name": "Bezeichnung",
    "art": "Art",
    "fachbereich": "Fachbereich",
    "teilhaushalt": "Fachbereich",
    "gebunden (betrieb)": "Gebunden (Betrieb)",
    "gebunden": "Gebunden (Betrieb)",
    "gebunden für laufenden betrieb": "Gebunden (Betrieb)",
    "laufender betrieb": "Gebunden (Betrieb)",
    "grundlast": "Gebunden (Betrieb)",
}
KIND_WORDS = {"konsumtiv": BudgetKind.CONSUMPTIVE, "investiv": BudgetKind.INVESTIVE}

#: Files above this size are refused before parsing (the app limit is higher).
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
#: A stored preview is valid this long.
PREVIEW_TTL_SECONDS = 3600
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x7fELF", b"MZ")
UNREADABLE_XLSX = NOT_XLSX


class ImportRejected(DomainError):
    """The file as a whole cannot be used (not a spreadsheet, empty, too big, ...)."""


@dataclass
class ImportRow:
    """One data row of the file, normalised, with its validation result."""

    row_no: int
    product: str
    cost_center: str
    account: str
    investment_number: str
    year_text: str
    amount_text: str
    name: str = ""
    kind_text: str = ""
    department_code: str = ""
    #: Part bound by running operations; empty: unchanged (0 for a new year).
    base_load_text: str = ""
    year: int | None = None
    amount: Decimal | None = None
    base_load: Decimal | None = None
    line_id: int | None = None
    old_amount: Decimal | None = None
    old_base_load: Decimal | None = None
    action: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """The budget line's identifying columns."""
        return (self.product, self.cost_center, self.account, self.investment_number)

    @property
    def key_label(self) -> str:
        """Key as the treasury writes it."""
        return " / ".join(p for p in self.key if p) or "(ohne Angabe)"

    def raw(self) -> dict[str, object]:
        """The input values only (what is stored between preview and apply)."""
        data = asdict(self)
        return {k: data[k] for k in _RAW_FIELDS}


_RAW_FIELDS = (
    "row_no",
    "product",
    "cost_center",
    "account",
    "investment_number",
    "year_text",
    "amount_text",
    "name",
    "kind_text",
    "department_code",
    "base_load_text",
)


@dataclass
class ImportPreview:
    """All rows of a file with their errors and the change each would make."""

    rows: list[ImportRow]
    horizon: list[int]

    @property
    def error_rows(self) -> list[ImportRow]:
        """Rows with at least one error."""
        return [r for r in self.rows if r.errors]

    @property
    def ok(self) -> bool:
        """True if the file can be applied."""
        return bool(self.rows) and not self.error_rows

    def count(self, action: str) -> int:
        """Number of error-free rows with ``action`` ("neu", "geändert", "unverändert")."""
        return sum(1 for r in self.rows if not r.errors and r.action == action)

    @property
    def new_lines(self) -> int:
        """Number of budget lines the import creates."""
        return len({r.key for r in self.rows if not r.errors and r.line_id is None})


@dataclass
class ImportResult:
    """What an applied import changed."""

    changed: int
    unchanged: int
    created_lines: int


def _cell_text(value: object) -> str:
    """A cell as text; whole floats from spreadsheets lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return str(value.year)
    return str(value).strip()


def _amount_text(value: object) -> str:
    """An amount cell as text that :func:`parse_decimal` reads back exactly.

    A date or a truth value in the amount column stays visible as such (and is then
    reported as "kein gültiger Betrag") instead of turning into a number.
    """
    if isinstance(value, bool):
        return "WAHR" if value else "FALSCH"
    if isinstance(value, datetime | date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, int | Decimal):
        # German notation, so that "1.234" from a number cell is not read as thousands.
        return format(Decimal(value), "f").replace(".", ",")
    return _cell_text(value)


def _read_xlsx(
    data: bytes, sheet_name: str = "", max_rows: int = MAX_IMPORT_ROWS
) -> list[list[object]]:
    """The first (or the named) sheet's rows, after the safety checks of ``security.uploads``."""
    try:
        check_xlsx(data)
    except UnsafeUpload as error:
        raise ImportRejected(error.message) from error
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise ImportRejected(UNREADABLE_XLSX) from exc
    try:
        if not sheet_name:
            sheet = workbook.worksheets[0]
        else:
            if sheet_name not in workbook.sheetnames:
                raise ImportRejected(
                    f"Die Datei hat kein Blatt „{sheet_name}“ (vorhanden: "
                    + ", ".join(f"„{name}“" for name in workbook.sheetnames)
                    + ")."
                )
            found = workbook[sheet_name]
            if isinstance(found, Chartsheet):
                raise ImportRejected(f"Das Blatt „{sheet_name}“ ist ein Diagramm, keine Tabelle.")
            sheet = found
        # The declared dimension is ignored: a forged "A1:XFD1048576" would make openpyxl
        # pad every row to 16,384 cells.
        sheet.reset_dimensions()
        rows: list[list[object]] = []
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            rows.append(list(values))
            if len(rows) > max_rows + 1:
                break
        return rows
    except ImportRejected:
        raise
    except Exception as exc:  # a value openpyxl cannot convert (e.g. a date out of range)
        raise ImportRejected(
            "Die Excel-Datei enthält Werte, die nicht gelesen werden können (etwa ein Datum "
            "außerhalb des gültigen Bereichs). Bitte die Zellen prüfen oder als .csv hochladen."
        ) from exc
    finally:
        workbook.close()


def _read_csv(data: bytes, max_rows: int = MAX_IMPORT_ROWS) -> list[list[object]]:
    if b"\x00" in data or data.startswith(_BINARY_MAGIC):
        raise ImportRejected(
            "Die Datei ist keine Tabelle. Bitte eine .xlsx- oder .csv-Datei hochladen."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = max((";", ",", "\t"), key=first_line.count)
    rows: list[list[object]] = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            rows.append(list(row))
            if len(rows) > max_rows + 1:
                break
    except csv.Error as exc:  # e.g. a field over csv's own limit of 131,072 characters
        raise ImportRejected(
            "Die CSV-Datei ist fehlerhaft aufgebaut und kann nicht gelesen werden (etwa ein "
            "nicht geschlossenes Anführungszeichen oder ein übergroßes Feld)."
        ) from exc
    return rows


def _check_cells(table: list[list[object]]) -> None:
    """Refuse over-long texts and control characters in any cell (row named in German)."""
    for row_no, values in enumerate(table, start=1):
        for value in values:
            if not isinstance(value, str):
                continue
            if len(value) > MAX_TEXT_CHARS:
                raise ImportRejected(
                    f"Zeile {row_no} enthält einen Text mit mehr als "
                    f"{MAX_TEXT_CHARS:,} Zeichen.".replace(",", ".")
                )
            if has_control_characters(value):
                raise ImportRejected(
                    f"Zeile {row_no} enthält unzulässige Steuerzeichen (etwa ein Null-Byte)."
                )


def read_cells(
    filename: str,
    data: bytes,
    *,
    sheet_name: str = "",
    max_rows: int = MAX_IMPORT_ROWS,
    max_bytes: int = MAX_IMPORT_BYTES,
) -> list[list[object]]:
    """The raw cells of an uploaded XLSX (first or named sheet) or CSV file, row by row.

    Shared by every import. Raises :class:`ImportRejected` with a German message for an
    empty file, a file above ``max_bytes``, the old .xls format or a broken XLSX; reads at
    most ``max_rows`` + 2 rows of an XLSX (the caller refuses a file with more).
    """
    if not data or not data.strip():
        raise ImportRejected("Die Datei ist leer. Bitte eine ausgefüllte Vorlage hochladen.")
    if len(data) > max_bytes:
        raise ImportRejected(f"Die Datei ist zu groß (höchstens {max_bytes // (1024 * 1024)} MB).")
    lower = (filename or "").lower()
    if data.startswith(b"\xd0\xcf\x11\xe0") or lower.endswith(".xls"):
        raise ImportRejected(
            "Das alte Excel-Format (.xls) wird nicht unterstützt. Bitte als .xlsx oder .csv "
            "speichern."
        )
    if data.startswith(b"PK\x03\x04"):
        table = _read_xlsx(data, sheet_name, max_rows)
    elif lower.endswith(".xlsx"):
        raise ImportRejected(NOT_XLSX)
    else:
        table = _read_csv(data, max_rows)
    _check_cells(table)
    return table


def read_table(filename: str, data: bytes) -> list[ImportRow]:
    """Parse an uploaded XLSX or CSV file into rows (not yet validated).

    Raises :class:`ImportRejected` with a German message for an empty file, a file that is
    not a spreadsheet, a file that is too big or lacks the required columns.
    """
    table = read_cells(filename, data)
    table = [r for r in table if any(_cell_text(v) for v in r)]
    if not table:
        raise ImportRejected("Die Datei ist leer. Bitte eine ausgefüllte Vorlage hochladen.")
    header = [ALIASES.get(_cell_text(v).lower().rstrip(":"), "") for v in table[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportRejected(
            "Die Datei hat nicht das erwartete Format: es fehlen die Spalten "
            + ", ".join(f"„{c}“" for c in missing)
            + ". Bitte die Vorlage verwenden."
        )
    if len(table) == 1:
        raise ImportRejected("Die Datei enthält nur die Kopfzeile, keine Datenzeilen.")
    if len(table) > MAX_IMPORT_ROWS + 1:
        raise ImportRejected(f"Die Datei hat mehr als {MAX_IMPORT_ROWS} Zeilen.")
    index = {name: i for i, name in reversed(list(enumerate(header))) if name}

    def get(values: list[object], name: str, amount: bool = False) -> str:
        i = index.get(name)
        if i is None or i >= len(values):
            return ""
        return _amount_text(values[i]) if amount else _cell_text(values[i])

    rows = []
    # Row numbers as the spreadsheet shows them (header is row 1); empty rows were dropped,
    # so count them from the original positions.
    for row_no, values in _numbered(table):
        rows.append(
            ImportRow(
                row_no=row_no,
                product=get(values, "Produkt"),
                cost_center=get(values, "Kostenstelle"),
                account=get(values, "Sachkonto"),
                investment_number=get(values, "Investitionsnummer"),
                year_text=get(values, "Jahr"),
                amount_text=get(values, "Ansatz", amount=True),
                name=get(values, "Bezeichnung"),
                kind_text=get(values, "Art"),
                department_code=get(values, "Fachbereich"),
                base_load_text=get(values, "Gebunden (Betrieb)", amount=True),
            )
        )
    return rows


def _numbered(table: list[list[object]]) -> Iterable[tuple[int, list[object]]]:
    """Data rows with their number (row 2 is the first data row after the header)."""
    for offset, values in enumerate(table[1:]):
        yield offset + 2, values


def validate_rows(rows: list[ImportRow], horizon: list[int]) -> ImportPreview:
    """Check every row against the database; fills errors, line, old amount and action.

    Errors (German, per row): missing key columns, unknown budget line (unless name, kind
    and department for a new line are given), year not a number or outside the horizon,
    amount not a number or negative, the same line and year twice in the file.
    Three queries, whatever the number of rows.
    """
    lines = {
        (p, c, a, i): (line_id, kind)
        for line_id, p, c, a, i, kind in db.session.execute(
            select(
                BudgetLine.id,
                BudgetLine.product,
                BudgetLine.cost_center,
                BudgetLine.account,
                BudgetLine.investment_number,
                BudgetLine.kind,
            )
        )
    }
    approved = {
        (line_id, year): (amount, base_load)
        for line_id, year, amount, base_load in db.session.execute(
            select(
                BudgetAmount.budget_line_id,
                BudgetAmount.year,
                BudgetAmount.approved_amount,
                BudgetAmount.base_load,
            ).where(BudgetAmount.year.in_(horizon))
        )
    }
    departments = {
        code.lower(): dept_id
        for dept_id, code in db.session.execute(select(Department.id, Department.code))
    }
    first_seen: dict[tuple[tuple[str, str, str, str], int], int] = {}
    new_line_defs: dict[tuple[str, str, str, str], tuple[str, str, str]] = {}
    span = f"{horizon[0]}–{horizon[-1]}"

    for row in rows:
        errors = row.errors
        errors.clear()
        row.year = row.amount = row.line_id = row.old_amount = None
        row.base_load = row.old_base_load = None
        for label, value in (
            ("Produkt", row.product),
            ("Kostenstelle", row.cost_center),
            ("Sachkonto", row.account),
        ):
            if not value:
                errors.append(f"{label} fehlt.")
        if not row.year_text:
            errors.append("Jahr fehlt.")
        elif not row.year_text.isdigit():
            errors.append(f"Jahr „{row.year_text}“ ist keine Jahreszahl.")
        else:
            row.year = int(row.year_text)
            if row.year not in horizon:
                errors.append(f"Jahr {row.year} liegt außerhalb des Planungszeitraums {span}.")
        if not row.amount_text:
            errors.append("Ansatz fehlt.")
        else:
            try:
                row.amount = parse_decimal(row.amount_text, minimum=None, maximum=None)
            except NumberError as error:
                errors.append(f"Ansatz „{row.amount_text}“ ist kein gültiger Betrag: {error}")
            else:
                if row.amount < 0:
                    errors.append("Ansatz darf nicht negativ sein.")
                elif row.amount > MAX_AMOUNT:
                    errors.append("Ansatz ist zu groß.")
        if row.base_load_text:
            try:
                row.base_load = parse_decimal(row.base_load_text, noun="Betrag")
            except NumberError as error:
                errors.append(f"Gebunden (Betrieb) „{row.base_load_text}“: {error}")
            else:
                if row.amount is not None and row.base_load > row.amount:
                    errors.append(
                        "Der für den laufenden Betrieb gebundene Betrag ist größer als der Ansatz."
                    )

        if row.product and row.cost_center and row.account:
            found = lines.get(row.key)
            if found is not None:
                row.line_id = found[0]
                stated = KIND_WORDS.get(row.kind_text.lower()) if row.kind_text else None
                if row.kind_text and stated is None:
                    errors.append(f"Art „{row.kind_text}“: bitte „konsumtiv“ oder „investiv“.")
                elif stated is not None and stated != BudgetKind(found[1]):
                    errors.append(
                        f"Art „{row.kind_text}“ passt nicht zur Haushaltsstelle {row.key_label} "
                        f"({BudgetKind(found[1]).label}); die Art folgt der Haushaltsstelle."
                    )
            elif not (row.name and row.kind_text and row.department_code):
                errors.append(
                    f"Unbekannte Haushaltsstelle {row.key_label}. Für eine neue "
                    "Haushaltsstelle bitte Bezeichnung, Art und Fachbereich angeben."
                )
            else:
                kind = KIND_WORDS.get(row.kind_text.lower())
                if kind is None:
                    errors.append(f"Art „{row.kind_text}“: bitte „konsumtiv“ oder „investiv“.")
                elif kind == BudgetKind.INVESTIVE and not row.investment_number:
                    errors.append("Investive Haushaltsstellen brauchen eine Investitionsnummer.")
                if row.department_code.lower() not in departments:
                    errors.append(f"Unbekannter Fachbereich „{row.department_code}“.")
                definition = (row.name, row.kind_text.lower(), row.department_code.lower())
                earlier = new_line_defs.setdefault(row.key, definition)
                if earlier != definition:
                    errors.append(
                        f"Die neue Haushaltsstelle {row.key_label} ist in der Datei "
                        "unterschiedlich beschrieben (Bezeichnung, Art oder Fachbereich)."
                    )
            if row.year is not None:
                seen = first_seen.setdefault((row.key, row.year), row.row_no)
                if seen != row.row_no:
                    errors.append(
                        f"Doppelte Zeile: Haushaltsstelle {row.key_label}, Jahr {row.year} "
                        f"steht schon in Zeile {seen}."
                    )
        if errors:
            row.action = "Fehler"
            continue
        if row.line_id is None:
            row.action = "neu"
            row.old_amount = None
        else:
            stored = approved.get((row.line_id, row.year))  # type: ignore[arg-type]
            row.old_amount, row.old_base_load = stored if stored else (None, None)
            new_base = row.base_load if row.base_load is not None else row.old_base_load
            if row.old_amount is None:
                row.action = "neu"
            elif row.old_amount == row.amount and row.old_base_load == new_base:
                row.action = "unverändert"
            else:
                row.action = "geändert"
    return ImportPreview(rows, horizon)


def preview_file(filename: str, data: bytes, horizon: list[int]) -> ImportPreview:
    """Read and validate an upload in one step."""
    return validate_rows(read_table(filename, data), horizon)


def _preview_path(storage_dir: Path, token: str) -> Path:
    if not _TOKEN_RE.match(token or ""):
        raise ImportRejected("Die Vorschau ist ungültig. Bitte die Datei erneut hochladen.")
    return storage_dir / f"{token}.json"


def store_preview(preview: ImportPreview, *, user_id: int, storage_dir: Path) -> str:
    """Keep an error-free preview's rows server-side; returns the token for the apply form."""
    payload = {"horizon": preview.horizon, "rows": [r.raw() for r in preview.rows]}
    return store_payload(preview.ok, payload, user_id=user_id, storage_dir=storage_dir)


def store_payload(ok: bool, payload: dict[str, Any], *, user_id: int, storage_dir: Path) -> str:
    """Keep an error-free (``ok``) preview's ``payload`` server-side for ``user_id``, dropping
    expired ones; returns the token for the apply form (every import uses this)."""
    if not ok:
        raise ValidationFailed("Eine Datei mit Fehlern kann nicht übernommen werden.")
    storage_dir.mkdir(parents=True, exist_ok=True)
    _purge_old(storage_dir)
    token = secrets.token_urlsafe(24)
    stored = {**payload, "user_id": user_id, "created": time.time()}
    _preview_path(storage_dir, token).write_text(json.dumps(stored), encoding="utf-8")
    return token


def _purge_old(storage_dir: Path) -> None:
    """Remove previews older than the time limit."""
    limit = time.time() - PREVIEW_TTL_SECONDS
    for path in storage_dir.glob("*.json"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < limit:
                path.unlink()


def load_preview(token: str, *, user_id: int, storage_dir: Path) -> ImportPreview:
    """The stored rows of ``token``, validated again against the current database."""
    payload = load_payload(token, user_id=user_id, storage_dir=storage_dir)
    rows = [ImportRow(**raw) for raw in payload["rows"]]
    return validate_rows(rows, list(payload["horizon"]))


def load_payload(token: str, *, user_id: int, storage_dir: Path) -> dict[str, Any]:
    """The payload stored under ``token`` by ``user_id`` (refused when unknown, someone
    else's or expired)."""
    path = _preview_path(storage_dir, token)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImportRejected(
            "Die Vorschau ist abgelaufen oder wurde schon übernommen. Bitte die Datei erneut "
            "hochladen."
        ) from exc
    if payload.get("user_id") != user_id or time.time() - payload["created"] > PREVIEW_TTL_SECONDS:
        raise ImportRejected("Die Vorschau ist abgelaufen. Bitte die Datei erneut hochladen.")
    return dict(payload)


def discard_preview(token: str, *, storage_dir: Path) -> None:
    """Delete a stored preview (after apply or cancel)."""
    with contextlib.suppress(ImportRejected):
        _preview_path(storage_dir, token).unlink(missing_ok=True)


def apply_import(
    preview: ImportPreview,
    *,
    by: User,
    chunk_rows: int | None = None,
    after_chunk: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Write an error-free preview: create new lines, set the amounts (bulk statements).

    Raises :class:`ImportRejected` if any row has an error and :class:`ValidationFailed` if a
    new line's key data is invalid; in both cases nothing is written. The rows are written in
    chunks of ``chunk_rows`` (all in one when None): per chunk a few ``executemany``
    statements, each changed amount audited as the session hook would (one bulk insert).
    ``after_chunk(done, total)`` is called after each chunk is flushed; a caller that commits
    there keeps every transaction short (another user's save waits at most one chunk). Without
    it the caller commits once at the end; on any exception it must roll back.
    """
    if not preview.ok:
        raise ImportRejected(
            f"Die Datei enthält {len(preview.error_rows)} fehlerhafte Zeile(n); es wurde "
            "nichts übernommen."
        )
    _check_editor(by)
    departments = {
        code.lower(): dept_id
        for dept_id, code in db.session.execute(select(Department.id, Department.code))
    }
    # Validate every new line before the first write.
    new_lines: dict[tuple[str, str, str, str], BudgetLineData] = {}
    for row in preview.rows:
        if row.line_id is None and row.key not in new_lines:
            new_lines[row.key] = validate_line_data(
                BudgetLineData(
                    product=row.product,
                    cost_center=row.cost_center,
                    account=row.account,
                    investment_number=row.investment_number,
                    kind=KIND_WORDS[row.kind_text.lower()],
                    department_id=departments[row.department_code.lower()],
                    name=row.name,
                )
            )
    # The last value per line and year counts (the file has no duplicates after validation).
    wanted: dict[tuple[int | tuple[str, str, str, str], int], tuple[Decimal, Decimal | None]] = {}
    for row in preview.rows:
        ref = row.line_id if row.line_id is not None else row.key
        wanted[(ref, row.year)] = (row.amount, row.base_load)  # type: ignore[index,assignment]
    items = list(wanted.items())
    size = chunk_rows or len(items) or 1
    line_ids: dict[tuple[str, str, str, str], int] = {}
    changed = 0
    for start in range(0, len(items), size):
        chunk = items[start : start + size]
        missing = [ref for (ref, _y), _a in chunk if isinstance(ref, tuple) and ref not in line_ids]
        if missing:
            line_ids.update(_insert_lines({k: new_lines[k] for k in dict.fromkeys(missing)}))
        resolved = [
            AmountRow(ref if isinstance(ref, int) else line_ids[ref], year, amount, base_load)
            for (ref, year), (amount, base_load) in chunk
        ]
        changed += _write_amounts(resolved)
        db.session.flush()
        if after_chunk is not None:
            after_chunk(min(start + size, len(items)), len(items))
    refresh_statistics(db.session, _LINES.name, _AMOUNTS.name)
    return ImportResult(
        changed=changed,
        unchanged=preview.count("unverändert"),
        created_lines=len(new_lines),
    )


_LINES = table_of(BudgetLine)
_AMOUNTS = table_of(BudgetAmount)


def _insert_lines(
    lines: dict[tuple[str, str, str, str], BudgetLineData],
) -> dict[tuple[str, str, str, str], int]:
    """Insert new budget lines in one statement; their ids by key; audited as creations."""
    values = [
        {
            "product": d.product,
            "cost_center": d.cost_center,
            "account": d.account,
            "investment_number": d.investment_number,
            "kind": d.kind,
            "department_id": d.department_id,
            "name": d.name,
            "is_active": d.is_active,
            "transferable": d.transferable,
            "version_id": 1,
        }
        for d in lines.values()
    ]
    db.session.execute(insert(_LINES), values)
    ids: dict[tuple[str, str, str, str], int] = {}
    products = sorted({k[0] for k in lines})
    for line_id, *key in db.session.execute(
        select(
            _LINES.c.id,
            _LINES.c.product,
            _LINES.c.cost_center,
            _LINES.c.account,
            _LINES.c.investment_number,
        ).where(_LINES.c.product.in_(products))
    ):
        if tuple(key) in lines:
            ids[tuple(key)] = line_id
    write_audit_rows(
        db.session,
        [
            audit_row(
                "budget_lines",
                ids[key],
                "create",
                {k: [None, v] for k, v in value.items() if k != "version_id" and v is not None},
            )
            for key, value in zip(lines, values, strict=True)
        ],
    )
    return ids


class AmountRow(NamedTuple):
    """One amount to write: line, year, Ansatz and base load (None: keep the stored one)."""

    line_id: int
    year: int
    amount: Decimal
    base_load: Decimal | None


class StoredAmount(NamedTuple):
    id: int
    amount: Decimal
    base_load: Decimal


def _write_amounts(rows: list[AmountRow]) -> int:
    """Set amount and (if given) base load per (line, year): bulk update what changed, bulk
    insert what is new; audited; the versions of the lines touched are raised, so a line form
    opened before the import is refused instead of overwriting it.

    Reads the current values inside the transaction (not the preview's), so the audit log
    holds the real before values. Returns the number of amounts changed or created.
    """
    line_ids = sorted({r.line_id for r in rows})
    years = sorted({r.year for r in rows})
    current: dict[tuple[int, int], StoredAmount] = {}
    for part in range(0, len(line_ids), 500):
        for amount_id, line_id, year, amount, base_load in db.session.execute(
            select(
                _AMOUNTS.c.id,
                _AMOUNTS.c.budget_line_id,
                _AMOUNTS.c.year,
                _AMOUNTS.c.approved_amount,
                _AMOUNTS.c.base_load,
            ).where(
                _AMOUNTS.c.budget_line_id.in_(line_ids[part : part + 500]),
                _AMOUNTS.c.year.in_(years),
            )
        ):
            current[(line_id, year)] = StoredAmount(amount_id, amount, base_load)
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    touched: set[int] = set()
    for line_id, year, amount, base_load in rows:
        found = current.get((line_id, year))
        if found is None:
            inserts.append(
                {
                    "budget_line_id": line_id,
                    "year": year,
                    "approved_amount": amount,
                    "base_load": base_load if base_load is not None else Decimal("0.00"),
                }
            )
            continue
        new_base = base_load if base_load is not None else found.base_load
        if found.amount != amount or found.base_load != new_base:
            touched.add(line_id)
            updates.append({"b_id": found.id, "b_amount": amount, "b_base": new_base})
            changes: dict[str, list[object]] = {}
            if found.amount != amount:
                changes["approved_amount"] = [found.amount, amount]
            if found.base_load != new_base:
                changes["base_load"] = [found.base_load, new_base]
            audit.append(audit_row("budget_amounts", found.id, "update", changes))
    if updates:
        db.session.execute(
            update(_AMOUNTS)
            .where(_AMOUNTS.c.id == bindparam("b_id"))
            .values(approved_amount=bindparam("b_amount"), base_load=bindparam("b_base")),
            updates,
        )
    if inserts:
        db.session.execute(insert(_AMOUNTS), inserts)
        touched.update(r["budget_line_id"] for r in inserts)
        new_keys = {(r["budget_line_id"], r["year"]) for r in inserts}
        created = {}
        for part in range(0, len(line_ids), 500):
            for amount_id, line_id, year in db.session.execute(
                select(_AMOUNTS.c.id, _AMOUNTS.c.budget_line_id, _AMOUNTS.c.year).where(
                    _AMOUNTS.c.budget_line_id.in_(line_ids[part : part + 500]),
                    _AMOUNTS.c.year.in_(years),
                )
            ):
                if (line_id, year) in new_keys:
                    created[(line_id, year)] = amount_id
        for r in inserts:
            audit.append(
                audit_row(
                    "budget_amounts",
                    created[(r["budget_line_id"], r["year"])],
                    "create",
                    {
                        "budget_line_id": [None, r["budget_line_id"]],
                        "year": [None, r["year"]],
                        "approved_amount": [None, r["approved_amount"]],
                        "base_load": [None, r["base_load"]],
                    },
                )
            )
    ids = sorted(touched)
    for part in range(0, len(ids), 500):
        db.session.execute(
            update(table_of(BudgetLine))
            .where(table_of(BudgetLine).c.id.in_(ids[part : part + 500]))
            .values(version_id=table_of(BudgetLine).c.version_id + 1, updated_at=utcnow())
        )
    write_audit_rows(db.session, audit)
    return len(updates) + len(inserts)


def template_rows(horizon: list[int]) -> list[list[object]]:
    """Example rows for the template: the first two existing lines, else placeholders."""
    lines = list(
        db.session.scalars(
            select(BudgetLine).order_by(BudgetLine.product, BudgetLine.cost_center).limit(2)
        )
    )
    if not lines:
        return [
            [
                "1.1.1.01",
                "1001",
                "54310000",
                "",
                horizon[0],
                Decimal("10000.00"),
                "Lizenzen Fachverfahren",
                "konsumtiv",
                "FB 1",
                Decimal("6000.00"),
            ],
        ]
    rows: list[list[object]] = []
    for line in lines:
        for year in horizon[:2]:
            rows.append(
                [
                    line.product,
                    line.cost_center,
                    line.account,
                    line.investment_number,
                    year,
                    Decimal("0.00"),
                    "",
                    "",
                    "",
                    Decimal("0.00"),
                ]
            )
    return rows


def template_xlsx(horizon: list[int]) -> bytes:
    """The downloadable XLSX template with instructions on a second sheet."""
    sheet = Sheet(
        title="Ansätze",
        columns=COLUMNS,
        rows=template_rows(horizon),
        money_columns={5, 9},
        sum_row=False,
        widths={0: 14, 1: 14, 2: 14, 3: 18, 4: 8, 5: 16, 6: 32, 7: 12, 8: 12, 9: 18},
    )
    return write_xlsx([sheet], template_notes(horizon))


def template_csv(horizon: list[int]) -> bytes:
    """The downloadable CSV template (``;``, decimal comma, UTF-8 with BOM)."""
    return write_csv(COLUMNS, template_rows(horizon))


def template_notes(horizon: list[int]) -> list[tuple[str, object]]:
    """Instructions shown on the template's "Parameter" sheet."""
    return [
        ("Zweck", "Import der Ansätze (Haushaltsjahr) und Planungen (Folgejahre)"),
        ("Planungszeitraum", f"{horizon[0]}–{horizon[-1]}"),
        ("Pflichtspalten", "Produkt, Kostenstelle, Sachkonto, Jahr, Ansatz"),
        ("Investitionsnummer", "nur bei investiven Haushaltsstellen"),
        (
            "Neue Haushaltsstellen",
            "Bezeichnung, Art (konsumtiv/investiv) und Fachbereich (Kürzel) ausfüllen",
        ),
        ("Beträge", "in Euro, z. B. 12500,00; keine negativen Beträge"),
        (
            "Gebunden (Betrieb)",
            "optional: Teil des Ansatzes für den laufenden Betrieb (Lizenzen, Wartung); leer "
            "lässt den gespeicherten Wert unverändert",
        ),
        ("Art", "bei bestehenden Haushaltsstellen optional; sie muss zur Stelle passen"),
        ("Übernahme", "nur wenn alle Zeilen fehlerfrei sind (alles oder nichts)"),
    ]
