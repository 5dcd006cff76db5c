"""Import of Ist and Obligo from the finance software (HKR), through saved import profiles.

The finance software's export is mapped once (:class:`ActualsProfile`: which column holds the
line key, year, Ist, Obligo and the measure's order key; header row; decimal style); every
monthly import is then one upload. The flow is the amounts import's (``services.budget.
imports``, whose file reader it shares): upload -> :func:`preview_file` checks every row
and names bad rows by their row number -> an error-free preview is stored server-side
(:func:`store_preview`) -> :func:`apply_actuals` validates it again and writes everything or
nothing.

Each import writes one :class:`ActualsSnapshot` per budget year in the file (Stichtag, file,
who, rows); the latest snapshot of a year counts, older ones stay readable. Rows of the file
with the same line and measure are summed. A file whose figures equal the current snapshot's
of that year (same lines, measures, Ist and Obligo) changes nothing.

Rows are matched
* to a **budget line** by Produkt, Kostenstelle, Sachkonto and Investitionsnummer (separate
  columns; without the Investitionsnummer when the other three name one line), or by one
  combined column ("1.1.1.05/11050/54310000"); leading zeros of numeric keys and case do
  not matter;
* to a **measure** by the order / cost-object key the treasury entered on the measure (or
  its number, ``M-0042``); a row without a key on an investive line that only one measure
  plans on belongs to that measure (matched by the Investitionsnummer). Rows whose key names
  no measure still count for their line.

Summary rows of the export ("Summe", "Gesamt" without a line key) are skipped.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from steuerung.extensions import db
from steuerung.models import (
    ActualRow,
    ActualsFileType,
    ActualsProfile,
    ActualsSnapshot,
    BudgetKind,
    BudgetLine,
    CostPlanEntry,
    DecimalStyle,
    LineKeyMode,
    Measure,
    MeasureStatus,
    User,
)
from steuerung.models.base import table_of
from steuerung.models.budget import MAX_YEAR, MIN_YEAR
from steuerung.models.measure import measure_reference
from steuerung.services.budget.execution import cents, latest_snapshot_id
from steuerung.services.budget.imports import (
    ImportRejected,
    _amount_text,
    _cell_text,
    load_payload,
    read_cells,
    store_payload,
)
from steuerung.services.budget.rules import may_import_actuals
from steuerung.services.common.errors import PermissionDenied, ValidationFailed
from steuerung.services.common.numbers import MAX_AMOUNT, NumberError, parse_decimal
from steuerung.services.common.versioning import check_version

#: A month-end export of a large Kommune has a few ten thousand rows.
MAX_ACTUALS_ROWS = 100_000
MAX_ACTUALS_BYTES = 10 * 1024 * 1024
#: Actuals are kept for this many years back (older Stichtage are refused as typos).
YEARS_BACK = 10
#: Rows inserted per statement.
CHUNK = 5000
_SUM_WORDS = ("summe", "gesamt", "total", "zwischensumme", "endsumme")
_REFERENCE_RE = re.compile(r"^m-?0*(\d+)$")
PROFILE_STALE_MESSAGE = (
    "Das Importprofil wurde inzwischen von einer anderen Person geändert. Ihre Änderung wurde "
    "nicht gespeichert; bitte laden Sie die Seite neu."
)

#: The fields of a profile's column mapping: (attribute, German label).
MAPPED_FIELDS: tuple[tuple[str, str], ...] = (
    ("col_product", "Produkt"),
    ("col_cost_center", "Kostenstelle"),
    ("col_account", "Sachkonto"),
    ("col_investment_number", "Investitionsnummer"),
    ("col_line_key", "Haushaltsstelle (eine Spalte)"),
    ("col_year", "Haushaltsjahr"),
    ("col_ist", "Ist"),
    ("col_obligo", "Obligo"),
    ("col_measure_key", "Auftrag / Kostenträger (Maßnahme)"),
)
#: Header texts finance software uses, per field (lower case, compared without ":" and
#: surrounding spaces): proposals for a new profile's mapping.
HEADER_GUESSES: dict[str, tuple[str, ...]] = {
    "col_product": ("produkt", "produktnummer", "produkt-nr.", "produkt nr", "kostenträger"),
    "col_cost_center": ("kostenstelle", "kst", "kostenstelle nr", "finanzstelle"),
    "col_account": ("sachkonto", "konto", "finanzposition", "sachkonto-nr."),
    "col_investment_number": (
        "investitionsnummer",
        "investitionsnr",
        "investitionsnr.",
        "invest-nr.",
        "investitionsmaßnahme",
    ),
    "col_line_key": ("haushaltsstelle", "hh-stelle", "hhst", "haushaltsstelle (schlüssel)"),
    "col_year": ("jahr", "haushaltsjahr", "hhj", "geschäftsjahr", "gj"),
    "col_ist": ("ist", "istwerte", "ist gesamt", "ist (gebucht)", "gebucht", "anordnungssoll"),
    "col_obligo": (
        "obligo",
        "obligo gesamt",
        "obligo (aufträge)",
        "bestellobligo",
        "mittelbindung",
    ),
    "col_measure_key": (
        "auftrag",
        "auftragsnummer",
        "innenauftrag",
        "psp-element",
        "kostenträger maßnahme",
        "maßnahme",
    ),
}


def today() -> date:
    """Today's date (one place, so tests can fix the clock)."""
    return date.today()


# --------------------------------------------------------------------------- profiles


@dataclass
class ProfileData:
    """A profile as entered in the form."""

    name: str
    file_type: ActualsFileType
    sheet_name: str = ""
    header_row: int = 1
    key_mode: LineKeyMode = LineKeyMode.COLUMNS
    key_separator: str = "/"
    col_product: str = ""
    col_cost_center: str = ""
    col_account: str = ""
    col_investment_number: str = ""
    col_line_key: str = ""
    col_year: str = ""
    col_ist: str = ""
    col_obligo: str = ""
    col_measure_key: str = ""
    decimal_style: DecimalStyle = DecimalStyle.GERMAN

    @classmethod
    def of(cls, profile: ActualsProfile) -> ProfileData:
        """The data of a stored profile."""
        return cls(**{name: getattr(profile, name) for name in cls.__dataclass_fields__})


def _check(by: User) -> None:
    if not may_import_actuals(by):
        raise PermissionDenied("Nur die Kämmerei darf Ist-Daten importieren.")


def validate_profile(data: ProfileData, profile: ActualsProfile | None = None) -> ProfileData:
    """Check and normalise a profile; raises :class:`ValidationFailed` naming the field."""
    values: dict[str, Any] = {
        k: v.strip() if isinstance(v, str) else v for k, v in asdict(data).items()
    }
    clean = ProfileData(**values)
    clean.file_type = ActualsFileType(data.file_type)
    clean.key_mode = LineKeyMode(data.key_mode)
    clean.decimal_style = DecimalStyle(data.decimal_style)
    if not clean.name:
        raise ValidationFailed("Bitte einen Namen für das Profil angeben.", "name")
    if len(clean.name) > 120:
        raise ValidationFailed("Der Name darf höchstens 120 Zeichen haben.", "name")
    taken = db.session.scalar(select(ActualsProfile.id).where(ActualsProfile.name == clean.name))
    if taken is not None and (profile is None or taken != profile.id):
        raise ValidationFailed("Ein Profil mit diesem Namen gibt es schon.", "name")
    if not 1 <= int(clean.header_row or 0) <= 50:
        raise ValidationFailed("Die Kopfzeile muss zwischen Zeile 1 und 50 liegen.", "header_row")
    if clean.file_type == ActualsFileType.CSV:
        clean.sheet_name = ""
    for name, label in MAPPED_FIELDS:
        if len(getattr(clean, name)) > 100:
            raise ValidationFailed(f"{label}: höchstens 100 Zeichen.", name)
    if clean.key_mode == LineKeyMode.COLUMNS:
        clean.col_line_key = ""
        for name, label in MAPPED_FIELDS[:3]:
            if not getattr(clean, name):
                raise ValidationFailed(f"Bitte die Spalte für „{label}“ wählen.", name)
    else:
        for name in ("col_product", "col_cost_center", "col_account", "col_investment_number"):
            setattr(clean, name, "")
        if not clean.col_line_key:
            raise ValidationFailed(
                "Bitte die Spalte mit der Haushaltsstelle wählen.", "col_line_key"
            )
        if not clean.key_separator or len(clean.key_separator) > 5:
            raise ValidationFailed(
                "Bitte das Trennzeichen zwischen den Teilen der Haushaltsstelle angeben "
                "(z. B. / oder .).",
                "key_separator",
            )
    if not clean.col_ist:
        raise ValidationFailed("Bitte die Spalte für „Ist“ wählen.", "col_ist")
    used: dict[str, str] = {}
    for name, label in MAPPED_FIELDS:
        column = getattr(clean, name)
        if not column:
            continue
        if column.lower() in used:
            raise ValidationFailed(
                f"Die Spalte „{column}“ ist schon „{used[column.lower()]}“ zugeordnet.", name
            )
        used[column.lower()] = label
    return clean


def save_profile(
    data: ProfileData,
    *,
    by: User,
    profile: ActualsProfile | None = None,
    expected_version: object = None,
) -> ActualsProfile:
    """Create or change an import profile (treasury; versioned; audited by the hook)."""
    _check(by)
    if profile is not None:
        check_version(profile, expected_version, PROFILE_STALE_MESSAGE)
    clean = validate_profile(data, profile)
    if profile is None:
        profile = ActualsProfile(created_by_id=by.id)
        db.session.add(profile)
    for name, value in asdict(clean).items():
        setattr(profile, name, value)
    db.session.flush()
    return profile


def profiles() -> list[ActualsProfile]:
    """All import profiles by name."""
    return list(db.session.scalars(select(ActualsProfile).order_by(ActualsProfile.name)))


def _norm_header(value: object) -> str:
    return " ".join(_cell_text(value).split()).rstrip(":").strip()


def header_names(
    filename: str, data: bytes, *, sheet_name: str = "", header_row: int = 1
) -> tuple[ActualsFileType, list[str]]:
    """The file type and the column names in ``header_row`` of a sample export (for mapping
    a new profile). Raises :class:`ImportRejected` if that row has no names."""
    file_type = file_type_of(data)
    table = read_cells(
        filename,
        data,
        sheet_name=sheet_name,
        max_rows=MAX_ACTUALS_ROWS,
        max_bytes=MAX_ACTUALS_BYTES,
    )
    if len(table) < header_row:
        raise ImportRejected(f"Die Datei hat keine Zeile {header_row}.")
    names = [_norm_header(v) for v in table[header_row - 1]]
    names = [n for n in names if n]
    if not names:
        raise ImportRejected(
            f"In Zeile {header_row} stehen keine Spaltennamen. Bitte die Zeile mit den "
            "Spaltenüberschriften angeben."
        )
    return file_type, list(dict.fromkeys(names))


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Proposals for the mapping: field -> header, from the usual header texts."""
    lower = {h.lower(): h for h in headers}
    proposal: dict[str, str] = {}
    for name, words in HEADER_GUESSES.items():
        for word in words:
            if word in lower and lower[word] not in proposal.values():
                proposal[name] = lower[word]
                break
    return proposal


def file_type_of(data: bytes) -> ActualsFileType:
    """XLSX (a zip archive) or CSV."""
    return ActualsFileType.XLSX if data.startswith(b"PK\x03\x04") else ActualsFileType.CSV


# --------------------------------------------------------------------------- reading


@dataclass
class ActualsInputRow:
    """One data row of the export as read with the profile (texts, not yet checked)."""

    row_no: int
    key_parts: list[str]
    year_text: str
    ist_text: str
    obligo_text: str
    measure_key: str
    skipped: str = ""
    line_id: int | None = None
    line_label: str = ""
    year: int | None = None
    ist: Decimal | None = None
    obligo: Decimal | None = None
    measure_id: int | None = None
    #: How the measure was found: "Auftrag", "Investitionsnummer" or "" (none).
    measure_match: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def key_label(self) -> str:
        """The line key as written in the file."""
        return " / ".join(p for p in self.key_parts if p) or "(ohne Angabe)"

    def raw(self) -> dict[str, Any]:
        """The input values only (kept between preview and apply)."""
        return {
            "row_no": self.row_no,
            "key_parts": self.key_parts,
            "year_text": self.year_text,
            "ist_text": self.ist_text,
            "obligo_text": self.obligo_text,
            "measure_key": self.measure_key,
            "skipped": self.skipped,
        }


def _amount_cell(value: object, style: DecimalStyle) -> str:
    """A money cell as text in the profile's notation (number cells converted exactly)."""
    text = _amount_text(value)  # numbers come back in German notation
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return text if style == DecimalStyle.GERMAN else text.replace(",", ".")
    return text


def read_actuals(filename: str, data: bytes, profile: ProfileData) -> list[ActualsInputRow]:
    """Read an export with ``profile``; row numbers as the spreadsheet shows them.

    Raises :class:`ImportRejected` when the file does not fit the profile (other file type,
    header row without the mapped columns, no data rows, too many rows).
    """
    kind = file_type_of(data)
    if kind != profile.file_type:
        raise ImportRejected(
            f"Das Profil „{profile.name}“ erwartet eine {profile.file_type.label}-Datei, "
            f"hochgeladen wurde eine {kind.label}-Datei."
        )
    table = read_cells(
        filename,
        data,
        sheet_name=profile.sheet_name,
        max_rows=MAX_ACTUALS_ROWS + profile.header_row,
        max_bytes=MAX_ACTUALS_BYTES,
    )
    if len(table) < profile.header_row:
        raise ImportRejected(
            f"Die Datei hat keine Zeile {profile.header_row} (Kopfzeile laut Profil)."
        )
    header = [_norm_header(v).lower() for v in table[profile.header_row - 1]]
    index: dict[str, int] = {}
    missing = []
    for name, label in MAPPED_FIELDS:
        column = getattr(profile, name)
        if not column:
            continue
        if column.lower() not in header:
            missing.append(f"„{column}“ ({label})")
        else:
            index[name] = header.index(column.lower())
    if missing:
        raise ImportRejected(
            f"Die Datei passt nicht zum Profil „{profile.name}“: in Zeile {profile.header_row} "
            "fehlen die Spalten " + ", ".join(missing) + "."
        )
    data_rows = table[profile.header_row :]
    if len(data_rows) > MAX_ACTUALS_ROWS:
        raise ImportRejected(f"Die Datei hat mehr als {MAX_ACTUALS_ROWS} Datenzeilen.")

    def get(values: list[object], texts: list[str], name: str, amount: bool = False) -> str:
        i = index.get(name)
        if i is None or i >= len(values):
            return ""
        if amount:
            return _amount_cell(values[i], profile.decimal_style)
        return texts[i]

    if profile.key_mode == LineKeyMode.COLUMNS:
        key_fields = ["col_product", "col_cost_center", "col_account", "col_investment_number"]
    else:
        key_fields = ["col_line_key"]
    rows = []
    for offset, values in enumerate(data_rows):
        texts = [_cell_text(v) for v in values]
        if not any(texts):
            continue
        row = ActualsInputRow(
            row_no=profile.header_row + 1 + offset,
            key_parts=[get(values, texts, name) for name in key_fields],
            year_text=get(values, texts, "col_year"),
            ist_text=get(values, texts, "col_ist", amount=True),
            obligo_text=get(values, texts, "col_obligo", amount=True),
            measure_key=get(values, texts, "col_measure_key"),
        )
        first_text = next((t for t in texts if t), "").lower()
        incomplete = not all(row.key_parts[:3]) or row.key_parts[0].lower().startswith(_SUM_WORDS)
        if incomplete and first_text.startswith(_SUM_WORDS):
            row.skipped = "Summenzeile"
        elif not any(row.key_parts) and not row.ist_text and not row.obligo_text:
            row.skipped = "ohne Haushaltsstelle und Beträge"
        rows.append(row)
    if not any(not r.skipped for r in rows):
        raise ImportRejected("Die Datei enthält keine Datenzeilen unter der Kopfzeile.")
    return rows


# --------------------------------------------------------------------------- checking


def parse_money(text: str, style: DecimalStyle) -> Decimal:
    """An amount of the export: the profile's notation, a trailing minus (``1.234,56-``, as
    SAP writes it) or a leading one; read by the application's one number parser."""
    raw = text.strip()
    negative = raw.endswith("-")
    if negative:
        raw = raw[:-1].strip()
    if style == DecimalStyle.ENGLISH:
        raw = raw.translate(str.maketrans(",.", ".,"))
    value = parse_decimal(raw, minimum=None, maximum=MAX_AMOUNT, noun="Betrag")
    if value < -MAX_AMOUNT:
        raise NumberError("Der Betrag ist zu groß.")
    return -value if negative else value


def _norm_key(value: str) -> str:
    """Key parts compared without case and leading zeros of purely numeric parts."""
    value = value.strip().casefold()
    if value.isdigit():
        return value.lstrip("0") or "0"
    return value


def _canonical(text: str, separator: str) -> str:
    return separator.join(_norm_key(part) for part in text.split(separator))


@dataclass
class LineChange:
    """A line's figures in the file against the current snapshot of that year."""

    year: int
    line_id: int
    line_label: str
    line_name: str
    ist_before: Decimal | None
    obligo_before: Decimal | None
    ist: Decimal
    obligo: Decimal

    @property
    def action(self) -> str:
        """neu / geändert / unverändert."""
        if self.ist_before is None:
            return "neu"
        if self.ist_before == self.ist and self.obligo_before == self.obligo:
            return "unverändert"
        return "geändert"


@dataclass
class YearPlan:
    """What the import does for one budget year of the file."""

    year: int
    #: (line id, measure id or None) -> (Ist, Obligo), summed over the file's rows.
    figures: dict[tuple[int, int | None], tuple[Decimal, Decimal]]
    row_count: int
    content_hash: str
    current_hash: str | None
    current_as_of: date | None

    @property
    def unchanged(self) -> bool:
        """The figures equal the current snapshot's: the import writes nothing."""
        return self.current_hash == self.content_hash

    @property
    def total_ist(self) -> Decimal:
        """Sum of Ist."""
        return sum((v[0] for v in self.figures.values()), Decimal("0.00"))

    @property
    def total_obligo(self) -> Decimal:
        """Sum of Obligo."""
        return sum((v[1] for v in self.figures.values()), Decimal("0.00"))


@dataclass
class ActualsPreview:
    """Every row with its errors, the changes per line and the plan per year."""

    rows: list[ActualsInputRow]
    as_of: date
    default_year: int
    file_name: str
    profile_id: int
    profile_name: str
    #: Version of the profile the rows were read with (a changed profile needs a new upload).
    profile_version: int | None = None
    years: list[YearPlan] = field(default_factory=list)
    changes: list[LineChange] = field(default_factory=list)
    #: Measure keys of the file that name no measure (the rows count for their line).
    unknown_keys: list[str] = field(default_factory=list)
    #: Lines of the current snapshot missing in the file (their figures become 0).
    dropped: list[LineChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def error_rows(self) -> list[ActualsInputRow]:
        """Rows with at least one error."""
        return [r for r in self.rows if r.errors]

    @property
    def data_rows(self) -> list[ActualsInputRow]:
        """Rows that are not skipped."""
        return [r for r in self.rows if not r.skipped]

    @property
    def skipped_rows(self) -> list[ActualsInputRow]:
        """Summary and empty rows left out."""
        return [r for r in self.rows if r.skipped]

    @property
    def ok(self) -> bool:
        """True if the file can be applied."""
        return bool(self.data_rows) and not self.error_rows and not self.errors

    @property
    def unchanged(self) -> bool:
        """True when every year's figures equal its current snapshot."""
        return bool(self.years) and all(y.unchanged for y in self.years)

    @property
    def matched_measures(self) -> int:
        """Rows that belong to a measure."""
        return sum(1 for r in self.data_rows if r.measure_id is not None)

    def count(self, action: str) -> int:
        """Lines with ``action`` (neu / geändert / unverändert)."""
        return sum(1 for c in self.changes if c.action == action)


def _line_lookup(
    profile: ProfileData,
) -> tuple[dict[Any, int], dict[tuple[str, str, str], list[int]], dict[int, Any]]:
    lines = list(
        db.session.execute(
            select(
                BudgetLine.id,
                BudgetLine.product,
                BudgetLine.cost_center,
                BudgetLine.account,
                BudgetLine.investment_number,
                BudgetLine.name,
                BudgetLine.kind,
            )
        )
    )
    exact: dict[Any, int] = {}
    by_three: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    info = {}
    for row in lines:
        parts = [row.product, row.cost_center, row.account, row.investment_number]
        info[row.id] = row
        if profile.key_mode == LineKeyMode.COLUMNS:
            exact[tuple(_norm_key(p) for p in parts)] = row.id
            by_three[(_norm_key(parts[0]), _norm_key(parts[1]), _norm_key(parts[2]))].append(row.id)
        else:
            sep = profile.key_separator
            exact[_canonical(sep.join(p for p in parts if p), sep)] = row.id
    return exact, by_three, info


def _measure_lookup() -> tuple[dict[str, int], set[int], dict[int, int]]:
    """Order keys -> measure, all measure ids, and investive lines used by one measure only."""
    keys = {
        _norm_key(key): measure_id
        for measure_id, key in db.session.execute(
            select(Measure.id, Measure.order_key).where(Measure.order_key.is_not(None))
        )
        if key is not None
    }
    ids = set(db.session.scalars(select(Measure.id)))
    users: dict[int, set[int]] = defaultdict(set)
    for line_id, measure_id in db.session.execute(
        select(CostPlanEntry.budget_line_id, CostPlanEntry.measure_id)
        .join(BudgetLine, BudgetLine.id == CostPlanEntry.budget_line_id)
        .join(Measure, Measure.id == CostPlanEntry.measure_id)
        .where(
            BudgetLine.kind == BudgetKind.INVESTIVE,
            Measure.status.notin_(
                [MeasureStatus.DRAFT, MeasureStatus.REJECTED, MeasureStatus.CANCELLED]
            ),
        )
        .distinct()
    ):
        users[line_id].add(measure_id)
    only = {line_id: next(iter(ms)) for line_id, ms in users.items() if len(ms) == 1}
    return keys, ids, only


def figures_hash(figures: dict[tuple[int, int | None], tuple[Decimal, Decimal]]) -> str:
    """SHA-256 of a year's figures ((line, measure) -> (Ist, Obligo)): equal figures, equal
    hash, whatever the order or shape of the file they came from."""
    text = "\n".join(
        f"{line}:{measure or 0}:{ist:.2f}:{obligo:.2f}"
        for (line, measure), (ist, obligo) in sorted(
            figures.items(), key=lambda item: (item[0][0], item[0][1] or 0)
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


def validate(
    rows: list[ActualsInputRow],
    profile: ProfileData,
    *,
    as_of: date,
    default_year: int,
    budget_year: int,
    file_name: str = "",
    profile_id: int = 0,
) -> ActualsPreview:
    """Check every row against the database (fills line, measure, amounts and errors per
    row), sum the rows per line and measure, and compare each year with its current snapshot.

    Errors (German, per row): missing or unknown budget line, ambiguous line, year not a
    number or outside the years kept (``budget_year`` − 10 .. ``budget_year``), Ist or
    Obligo not an amount. The Stichtag may not lie in the future nor before a year of the
    file. A fixed number of queries, whatever the number of rows.
    """
    now = today()
    preview = ActualsPreview(rows, as_of, default_year, file_name, profile_id, profile.name)
    exact, by_three, line_info = _line_lookup(profile)
    order_keys, measure_ids, single_measure = _measure_lookup()
    first_year, last_year = max(budget_year - YEARS_BACK, MIN_YEAR), min(budget_year, MAX_YEAR)
    if as_of > now:
        preview.errors.append(f"Der Stichtag {as_of:%d.%m.%Y} liegt in der Zukunft.")
    unknown: dict[str, None] = {}
    for row in rows:
        row.errors = []
        row.line_id = row.year = row.ist = row.obligo = row.measure_id = None
        row.line_label, row.measure_match = "", ""
        if row.skipped:
            continue
        errors = row.errors
        # Budget line
        parts = [p.strip() for p in row.key_parts]
        if profile.key_mode == LineKeyMode.COLUMNS:
            labels = ("Produkt", "Kostenstelle", "Sachkonto")
            for label, value in zip(labels, parts[:3], strict=True):
                if not value:
                    errors.append(f"{label} fehlt.")
            if all(parts[:3]):
                key = tuple(_norm_key(p) for p in parts)
                found = exact.get(key)
                if found is None and not parts[3]:
                    candidates = by_three.get((key[0], key[1], key[2]), [])
                    if len(candidates) == 1:
                        found = candidates[0]
                    elif len(candidates) > 1:
                        errors.append(
                            f"Haushaltsstelle {row.key_label} ist nicht eindeutig: es gibt sie "
                            "mit mehreren Investitionsnummern."
                        )
                if found is None and not errors:
                    errors.append(f"Unbekannte Haushaltsstelle {row.key_label}.")
                row.line_id = found
        elif not parts[0]:
            errors.append("Haushaltsstelle fehlt.")
        else:
            row.line_id = exact.get(_canonical(parts[0], profile.key_separator))
            if row.line_id is None:
                errors.append(f"Unbekannte Haushaltsstelle {parts[0]}.")
        if row.line_id is not None:
            line = line_info[row.line_id]
            row.line_label = " / ".join(
                p
                for p in (line.product, line.cost_center, line.account, line.investment_number)
                if p
            )
        # Year
        if profile.col_year:
            text = row.year_text.strip()
            if not text:
                errors.append("Haushaltsjahr fehlt.")
            elif not text.isdigit():
                errors.append(f"Haushaltsjahr „{text}“ ist keine Jahreszahl.")
            else:
                row.year = int(text)
        else:
            row.year = default_year
        if row.year is not None and not first_year <= row.year <= last_year:
            errors.append(
                f"Haushaltsjahr {row.year} liegt außerhalb der Jahre {first_year}–{last_year}, "
                "für die Ist-Daten geführt werden."
            )
            row.year = None
        # Amounts (an empty cell is 0: exports leave lines without bookings empty)
        for attr, label, text in (
            ("ist", "Ist", row.ist_text),
            ("obligo", "Obligo", row.obligo_text),
        ):
            if not text.strip():
                setattr(row, attr, Decimal("0.00"))
                continue
            try:
                setattr(row, attr, parse_money(text, profile.decimal_style))
            except NumberError as error:
                errors.append(f"{label} „{text}“ ist kein gültiger Betrag: {error}")
        # Measure
        measure_key = row.measure_key.strip()
        if measure_key:
            found_measure = order_keys.get(_norm_key(measure_key))
            if found_measure is None:
                match = _REFERENCE_RE.match(measure_key.casefold())
                if match and int(match.group(1)) in measure_ids:
                    found_measure = int(match.group(1))
            if found_measure is not None:
                row.measure_id, row.measure_match = found_measure, "Auftrag"
            else:
                unknown.setdefault(measure_key)
        elif row.line_id is not None and row.line_id in single_measure:
            row.measure_id, row.measure_match = single_measure[row.line_id], "Investitionsnummer"
    preview.unknown_keys = list(unknown)
    years_in_file = sorted({r.year for r in rows if r.year is not None and not r.skipped})
    for year in years_in_file:
        if as_of < date(year, 1, 1):
            preview.errors.append(
                f"Der Stichtag {as_of:%d.%m.%Y} liegt vor dem Haushaltsjahr {year} der Datei."
            )
    if not preview.ok:
        return preview
    _plan_years(preview, line_info)
    return preview


def _plan_years(preview: ActualsPreview, line_info: dict[int, Any]) -> None:
    """Sum the rows per year, line and measure; compare with the current snapshots."""
    per_year: dict[int, dict[tuple[int, int | None], list[Decimal]]] = defaultdict(dict)
    counts: dict[int, int] = defaultdict(int)
    for row in preview.data_rows:
        year = row.year
        assert year is not None and row.line_id is not None
        counts[year] += 1
        slot = per_year[year].setdefault((row.line_id, row.measure_id), [Decimal("0.00")] * 2)
        slot[0] += row.ist or 0
        slot[1] += row.obligo or 0
    for year in sorted(per_year):
        figures = {k: (cents(v[0]), cents(v[1])) for k, v in per_year[year].items()}
        current_id = latest_snapshot_id(year)
        current = db.session.get(ActualsSnapshot, current_id) if current_id else None
        preview.years.append(
            YearPlan(
                year=year,
                figures=figures,
                row_count=counts[year],
                content_hash=figures_hash(figures),
                current_hash=current.content_hash if current else None,
                current_as_of=current.as_of if current else None,
            )
        )
        before: dict[int, list[Decimal]] = {}
        if current is not None:
            for line_id, ist, obligo in db.session.execute(
                select(ActualRow.budget_line_id, ActualRow.ist, ActualRow.obligo).where(
                    ActualRow.snapshot_id == current.id
                )
            ):
                slot = before.setdefault(line_id, [Decimal("0.00")] * 2)
                slot[0] += ist
                slot[1] += obligo
        after: dict[int, list[Decimal]] = {}
        for (line_id, _measure), (ist, obligo) in figures.items():
            slot = after.setdefault(line_id, [Decimal("0.00")] * 2)
            slot[0] += ist
            slot[1] += obligo

        def change(
            line_id: int,
            now: list[Decimal],
            year: int = year,
            before: dict[int, list[Decimal]] = before,
        ) -> LineChange:
            info = line_info[line_id]
            old = before.get(line_id)
            return LineChange(
                year=year,
                line_id=line_id,
                line_label=" / ".join(
                    p
                    for p in (info.product, info.cost_center, info.account, info.investment_number)
                    if p
                ),
                line_name=info.name,
                ist_before=cents(old[0]) if old else None,
                obligo_before=cents(old[1]) if old else None,
                ist=cents(now[0]),
                obligo=cents(now[1]),
            )

        preview.changes += sorted(
            (change(line_id, now) for line_id, now in after.items()), key=lambda c: c.line_label
        )
        preview.dropped += sorted(
            (
                change(line_id, [Decimal("0.00")] * 2)
                for line_id in before
                if line_id not in after and line_id in line_info
            ),
            key=lambda c: c.line_label,
        )


def preview_file(
    filename: str,
    data: bytes,
    profile: ActualsProfile,
    *,
    as_of: date,
    default_year: int,
    budget_year: int,
) -> ActualsPreview:
    """Read and check an upload with ``profile`` in one step (nothing is written)."""
    settings = ProfileData.of(profile)
    rows = read_actuals(filename, data, settings)
    preview = validate(
        rows,
        settings,
        as_of=as_of,
        default_year=default_year,
        budget_year=budget_year,
        file_name=filename,
        profile_id=profile.id,
    )
    preview.profile_version = profile.version_id
    return preview


# --------------------------------------------------------------------------- preview storage


def store_preview(preview: ActualsPreview, *, user_id: int, storage_dir: Path) -> str:
    """Keep an error-free preview's rows server-side; returns the token for the apply form."""
    payload = {
        "as_of": preview.as_of.isoformat(),
        "default_year": preview.default_year,
        "file_name": preview.file_name,
        "profile_id": preview.profile_id,
        "profile_version": preview.profile_version,
        "rows": [r.raw() for r in preview.rows],
    }
    return store_payload(preview.ok, payload, user_id=user_id, storage_dir=storage_dir)


def load_preview(
    token: str, *, user_id: int, storage_dir: Path, budget_year: int
) -> ActualsPreview:
    """The stored rows of ``token``, checked again against the current database and profile."""
    payload = load_payload(token, user_id=user_id, storage_dir=storage_dir)
    profile = db.session.get(ActualsProfile, payload["profile_id"])
    if profile is None or profile.version_id != payload.get("profile_version"):
        # The rows were read with the old column mapping.
        raise ImportRejected(
            "Das Importprofil wurde inzwischen geändert. Bitte die Datei erneut hochladen."
        )
    rows = [ActualsInputRow(**raw) for raw in payload["rows"]]
    preview = validate(
        rows,
        ProfileData.of(profile),
        as_of=date.fromisoformat(payload["as_of"]),
        default_year=payload["default_year"],
        budget_year=budget_year,
        file_name=payload["file_name"],
        profile_id=profile.id,
    )
    preview.profile_version = profile.version_id
    return preview


# --------------------------------------------------------------------------- applying


@dataclass
class ActualsResult:
    """What an applied import did per year."""

    created: list[tuple[int, int]]  # (year, snapshot id)
    unchanged: list[int]  # years whose figures were already current

    @property
    def message(self) -> str:
        """German summary."""
        parts = []
        if self.created:
            years = ", ".join(str(y) for y, _ in self.created)
            parts.append(f"Neuer Stand der Ist-Daten für {years} übernommen.")
        if self.unchanged:
            years = ", ".join(str(y) for y in self.unchanged)
            parts.append(
                f"Für {years} entsprechen die Zahlen dem aktuellen Stand; es wurde nichts geändert."
            )
        return " ".join(parts)


def apply_actuals(
    preview: ActualsPreview,
    *,
    by: User,
    after_year: Callable[[int, int], None] | None = None,
) -> ActualsResult:
    """Write an error-free preview: one snapshot per year whose figures changed (bulk rows).

    Raises :class:`ImportRejected` if any row has an error; nothing is written then. The
    caller commits once (all years or none). ``after_year(done, total)`` reports progress
    without committing.
    """
    _check(by)
    if not preview.ok:
        count = len(preview.error_rows)
        raise ImportRejected(
            f"Die Datei enthält {count} fehlerhafte Zeile(n); es wurde nichts übernommen."
            if count
            else "Die Datei kann nicht übernommen werden: " + " ".join(preview.errors)
        )
    result = ActualsResult(created=[], unchanged=[])
    for done, plan in enumerate(preview.years, 1):
        if plan.unchanged:
            result.unchanged.append(plan.year)
            continue
        snapshot = ActualsSnapshot(
            year=plan.year,
            as_of=preview.as_of,
            file_name=preview.file_name[:255],
            profile_id=preview.profile_id or None,
            imported_by_id=by.id,
            row_count=plan.row_count,
            total_ist=cents(plan.total_ist),
            total_obligo=cents(plan.total_obligo),
            content_hash=plan.content_hash,
        )
        db.session.add(snapshot)
        db.session.flush()
        write_rows(snapshot.id, plan.figures)
        result.created.append((plan.year, snapshot.id))
        if after_year is not None:
            after_year(done, len(preview.years))
    return result


def write_rows(
    snapshot_id: int, figures: dict[tuple[int, int | None], tuple[Decimal, Decimal]]
) -> None:
    """Insert a snapshot's rows with bulk statements (the snapshot itself is audited)."""
    values = [
        {
            "snapshot_id": snapshot_id,
            "budget_line_id": line_id,
            "measure_id": measure_id,
            "ist": ist,
            "obligo": obligo,
        }
        for (line_id, measure_id), (ist, obligo) in figures.items()
    ]
    table = table_of(ActualRow)
    for start in range(0, len(values), CHUNK):
        db.session.execute(insert(table), values[start : start + CHUNK])


# --------------------------------------------------------------------------- order key


def set_order_key(measure: Measure, key: str, *, by: User, expected_version: object) -> None:
    """Enter (or clear) the finance software's order / cost-object key of a measure."""
    from steuerung.services.budget.rules import may_set_order_key

    if not may_set_order_key(by):
        raise PermissionDenied("Nur die Kämmerei pflegt den Auftrag in der Finanzsoftware.")
    check_version(
        measure,
        expected_version,
        "Die Maßnahme wurde inzwischen geändert. Bitte die Seite neu laden.",
    )
    key = (key or "").strip()
    if len(key) > 40:
        raise ValidationFailed("Höchstens 40 Zeichen.", "order_key")
    if key and not re.fullmatch(r"[0-9A-Za-z./\-_ ]+", key):
        raise ValidationFailed(
            "Nur Ziffern, Buchstaben, Punkt, Binde-, Unter- und Schrägstrich.", "order_key"
        )
    if key:
        taken = db.session.execute(
            select(Measure.id, Measure.order_key).where(
                Measure.order_key.is_not(None), Measure.id != measure.id
            )
        ).all()
        for other_id, other_key in taken:
            if other_key is not None and _norm_key(other_key) == _norm_key(key):
                raise ValidationFailed(
                    f"Dieser Auftrag ist schon {measure_reference(other_id)} zugeordnet.",
                    "order_key",
                )
    measure.order_key = key or None
    db.session.flush()
