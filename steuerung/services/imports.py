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
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from steuerung.extensions import db
from steuerung.models import BudgetAmount, BudgetKind, BudgetLine, Department, User
from steuerung.services.budget import (
    MAX_AMOUNT,
    BudgetLineData,
    parse_amount,
    save_budget_line,
    set_approved_amounts,
)
from steuerung.services.errors import DomainError, ValidationFailed
from steuerung.services.exports import Sheet, write_csv, write_xlsx
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
    year: int | None = None
    amount: Decimal | None = None
    line_id: int | None = None
    old_amount: Decimal | None = None
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
    """An amount cell as text that :func:`parse_amount` reads back exactly.

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


def _read_xlsx(data: bytes) -> list[list[object]]:
    """The first sheet's rows, after the safety checks of ``security.uploads``."""
    try:
        check_xlsx(data)
    except UnsafeUpload as error:
        raise ImportRejected(error.message) from error
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise ImportRejected(UNREADABLE_XLSX) from exc
    try:
        sheet = workbook.worksheets[0]
        # The declared dimension is ignored: a forged "A1:XFD1048576" would make openpyxl
        # pad every row to 16,384 cells.
        sheet.reset_dimensions()
        rows: list[list[object]] = []
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            rows.append(list(values))
            if len(rows) > MAX_IMPORT_ROWS + 1:
                break
        return rows
    except Exception as exc:  # a value openpyxl cannot convert (e.g. a date out of range)
        raise ImportRejected(
            "Die Excel-Datei enthält Werte, die nicht gelesen werden können (etwa ein Datum "
            "außerhalb des gültigen Bereichs). Bitte die Zellen prüfen oder als .csv hochladen."
        ) from exc
    finally:
        workbook.close()


def _read_csv(data: bytes) -> list[list[object]]:
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
            if len(rows) > MAX_IMPORT_ROWS + 1:
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


def read_table(filename: str, data: bytes) -> list[ImportRow]:
    """Parse an uploaded XLSX or CSV file into rows (not yet validated).

    Raises :class:`ImportRejected` with a German message for an empty file, a file that is
    not a spreadsheet, a file that is too big or lacks the required columns.
    """
    if not data or not data.strip():
        raise ImportRejected("Die Datei ist leer. Bitte eine ausgefüllte Vorlage hochladen.")
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRejected(
            f"Die Datei ist zu groß (höchstens {MAX_IMPORT_BYTES // (1024 * 1024)} MB)."
        )
    lower = (filename or "").lower()
    if data.startswith(b"\xd0\xcf\x11\xe0") or lower.endswith(".xls"):
        raise ImportRejected(
            "Das alte Excel-Format (.xls) wird nicht unterstützt. Bitte als .xlsx oder .csv "
            "speichern."
        )
    if data.startswith(b"PK\x03\x04"):
        table = _read_xlsx(data)
    elif lower.endswith(".xlsx"):
        raise ImportRejected(NOT_XLSX)
    else:
        table = _read_csv(data)
    _check_cells(table)

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
        (line_id, year): amount
        for line_id, year, amount in db.session.execute(
            select(
                BudgetAmount.budget_line_id, BudgetAmount.year, BudgetAmount.approved_amount
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
                row.amount = parse_amount(row.amount_text)
            except ValueError:
                errors.append(f"Ansatz „{row.amount_text}“ ist kein gültiger Betrag.")
            else:
                if row.amount < 0:
                    errors.append("Ansatz darf nicht negativ sein.")
                elif row.amount > MAX_AMOUNT:
                    errors.append("Ansatz ist zu groß.")

        if row.product and row.cost_center and row.account:
            found = lines.get(row.key)
            if found is not None:
                row.line_id = found[0]
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
            row.old_amount = approved.get((row.line_id, row.year))  # type: ignore[arg-type]
            if row.old_amount is None:
                row.action = "neu"
            elif row.old_amount == row.amount:
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
    if not preview.ok:
        raise ValidationFailed("Eine Datei mit Fehlern kann nicht übernommen werden.")
    storage_dir.mkdir(parents=True, exist_ok=True)
    _purge_old(storage_dir)
    token = secrets.token_urlsafe(24)
    payload = {
        "user_id": user_id,
        "created": time.time(),
        "horizon": preview.horizon,
        "rows": [r.raw() for r in preview.rows],
    }
    _preview_path(storage_dir, token).write_text(json.dumps(payload), encoding="utf-8")
    return token


def _purge_old(storage_dir: Path) -> None:
    """Remove previews older than the time limit."""
    limit = time.time() - PREVIEW_TTL_SECONDS
    for path in storage_dir.glob("*.json"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def load_preview(token: str, *, user_id: int, storage_dir: Path) -> ImportPreview:
    """The stored rows of ``token``, validated again against the current database."""
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
    rows = [ImportRow(**raw) for raw in payload["rows"]]
    return validate_rows(rows, list(payload["horizon"]))


def discard_preview(token: str, *, storage_dir: Path) -> None:
    """Delete a stored preview (after apply or cancel)."""
    with contextlib.suppress(ImportRejected):
        _preview_path(storage_dir, token).unlink(missing_ok=True)


def apply_import(preview: ImportPreview, *, by: User) -> ImportResult:
    """Write an error-free preview: create new lines, set the amounts; all or nothing.

    Raises :class:`ImportRejected` if any row has an error (nothing is written). The caller
    commits once; on any exception it must roll back.
    """
    if not preview.ok:
        raise ImportRejected(
            f"Die Datei enthält {len(preview.error_rows)} fehlerhafte Zeile(n); es wurde "
            "nichts übernommen."
        )
    departments = {
        code.lower(): dept_id
        for dept_id, code in db.session.execute(select(Department.id, Department.code))
    }
    created: dict[tuple[str, str, str, str], BudgetLine] = {}
    per_line: dict[int | tuple[str, str, str, str], dict[int, Decimal]] = {}
    for row in preview.rows:
        if row.line_id is None and row.key not in created:
            created[row.key] = save_budget_line(
                BudgetLineData(
                    product=row.product,
                    cost_center=row.cost_center,
                    account=row.account,
                    investment_number=row.investment_number,
                    kind=KIND_WORDS[row.kind_text.lower()],
                    department_id=departments[row.department_code.lower()],
                    name=row.name,
                ),
                by=by,
            )
        line_ref: int | tuple[str, str, str, str] = (
            row.line_id if row.line_id is not None else row.key
        )
        per_line.setdefault(line_ref, {})[row.year] = row.amount  # type: ignore[index]
    line_ids = [ref for ref in per_line if isinstance(ref, int)]
    existing = {
        line.id: line
        for line in db.session.scalars(select(BudgetLine).where(BudgetLine.id.in_(line_ids)))
    }
    changed = 0
    for ref, amounts in per_line.items():
        line = existing[ref] if isinstance(ref, int) else created[ref]
        changed += set_approved_amounts(line, amounts, by=by)  # type: ignore[arg-type]
    db.session.flush()
    return ImportResult(
        changed=changed,
        unchanged=preview.count("unverändert"),
        created_lines=len(created),
    )


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
                ]
            )
    return rows


def template_xlsx(horizon: list[int]) -> bytes:
    """The downloadable XLSX template with instructions on a second sheet."""
    sheet = Sheet(
        title="Ansätze",
        columns=COLUMNS,
        rows=template_rows(horizon),
        money_columns={5},
        sum_row=False,
        widths={0: 14, 1: 14, 2: 14, 3: 18, 4: 8, 5: 16, 6: 32, 7: 12, 8: 12},
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
        ("Übernahme", "nur wenn alle Zeilen fehlerfrei sind (alles oder nichts)"),
    ]
