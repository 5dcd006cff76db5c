"""Budget lines maintained by the treasury: key data, approved amounts, VE, budget year.

Services flush, never commit; they raise :class:`ValidationFailed` with German messages.
Changes are audited automatically by the session hook.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from steuerung.extensions import db
from steuerung.formatting import money as money_text
from steuerung.models import (
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    CommitmentAuthorization,
    CostPlanEntry,
    Department,
    Measure,
    Settings,
    User,
)
from steuerung.models.base import utcnow
from steuerung.models.budget import MAX_YEAR, MIN_YEAR
from steuerung.models.measure import measure_reference
from steuerung.services.budget.rules import may_edit_budget, may_roll_budget_year
from steuerung.services.common.errors import PermissionDenied, ValidationFailed
from steuerung.services.common.numbers import MAX_AMOUNT
from steuerung.services.common.settings import get_settings
from steuerung.services.common.versioning import check_version

_KEY_FIELD = re.compile(r"^[0-9A-Za-z.\-/ _]+$")
#: A budget line form based on an old version (someone else saved in between).
LINE_STALE_MESSAGE = (
    "Die Haushaltsstelle wurde inzwischen von einer anderen Person geändert. Ihre Eingaben "
    "wurden nicht gespeichert; unten sehen Sie sie neben dem aktuell gespeicherten Stand."
)


@dataclass
class BudgetLineData:
    """Key data of a budget line as entered in the form or an import."""

    product: str
    cost_center: str
    account: str
    investment_number: str
    kind: BudgetKind
    department_id: int
    name: str
    is_active: bool = True
    #: Konsumtiv lines: declared transferable (unused authorization may be carried forward).
    transferable: bool = False


def _clean_key(value: str, label: str, field: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"Bitte {label} angeben.", field)
    if value and (len(value) > 30 or not _KEY_FIELD.match(value)):
        raise ValidationFailed(
            f"{label}: höchstens 30 Zeichen, nur Ziffern, Buchstaben, Punkt, Binde- und "
            "Schrägstrich.",
            field,
        )
    return value


def validate_line_data(data: BudgetLineData, line: BudgetLine | None = None) -> BudgetLineData:
    """Check and normalise key data; the key must be unique. Raises ValidationFailed."""
    product = _clean_key(data.product, "Produkt", "product")
    cost_center = _clean_key(data.cost_center, "Kostenstelle", "cost_center")
    account = _clean_key(data.account, "Sachkonto", "account")
    investment_number = _clean_key(
        data.investment_number, "Investitionsnummer", "investment_number", required=False
    )
    if data.kind == BudgetKind.INVESTIVE and not investment_number:
        raise ValidationFailed(
            "Investive Haushaltsstellen brauchen eine Investitionsnummer.", "investment_number"
        )
    name = (data.name or "").strip()
    if not name:
        raise ValidationFailed("Bitte eine Bezeichnung angeben.", "name")
    if len(name) > 200:
        raise ValidationFailed("Die Bezeichnung darf höchstens 200 Zeichen haben.", "name")
    if db.session.get(Department, data.department_id) is None:
        raise ValidationFailed("Bitte einen Fachbereich wählen.", "department_id")
    existing = db.session.scalar(
        select(BudgetLine.id).where(
            BudgetLine.product == product,
            BudgetLine.cost_center == cost_center,
            BudgetLine.account == account,
            BudgetLine.investment_number == investment_number,
        )
    )
    if existing is not None and (line is None or existing != line.id):
        raise ValidationFailed(
            "Diese Haushaltsstelle (Produkt, Kostenstelle, Sachkonto, Investitionsnummer) "
            "gibt es schon.",
            "product",
        )
    return BudgetLineData(
        product,
        cost_center,
        account,
        investment_number,
        data.kind,
        data.department_id,
        name,
        data.is_active,
        data.transferable,
    )


def _check_editor(by: User, rule: Callable[[User], bool] = may_edit_budget) -> None:
    if not rule(by):
        raise PermissionDenied("Nur die Kämmerei darf Haushaltsdaten ändern.")


def save_budget_line(
    data: BudgetLineData,
    *,
    by: User,
    line: BudgetLine | None = None,
    amounts: Mapping[int, Decimal | None] | None = None,
    base_loads: Mapping[int, Decimal | None] | None = None,
    expected_version: object = None,
) -> BudgetLine:
    """Create or update a budget line and, optionally, its approved amounts per year.

    ``amounts`` maps year -> amount (None removes the year's amount), ``base_loads`` year ->
    part bound by running operations. ``expected_version`` is the version the form was
    loaded with (optimistic locking; required when a line is changed).
    """
    _check_editor(by)
    if line is not None:
        check_version(line, expected_version, LINE_STALE_MESSAGE)
    clean = validate_line_data(data, line)
    if line is None:
        line = BudgetLine()
        db.session.add(line)
    line.product = clean.product
    line.cost_center = clean.cost_center
    line.account = clean.account
    line.investment_number = clean.investment_number
    line.kind = clean.kind
    line.department_id = clean.department_id
    line.name = clean.name
    line.is_active = clean.is_active
    line.transferable = clean.transferable
    if amounts is not None:
        set_approved_amounts(line, amounts, by=by, base_loads=base_loads)
    db.session.flush()
    return line


def set_approved_amounts(
    line: BudgetLine,
    amounts: Mapping[int, Decimal | None],
    *,
    by: User,
    base_loads: Mapping[int, Decimal | None] | None = None,
) -> int:
    """Set the approved amounts (Ansatz / Planung) of ``line``; returns the number changed.

    ``base_loads`` sets the part bound by running operations per year (a year missing there
    keeps its stored value). Amounts equal to the stored ones are not touched (no audit
    noise). The bound part may not exceed the amount.
    """
    _check_editor(by)
    base_loads = base_loads or {}
    current = {a.year: a for a in line.amounts}
    changed = 0
    for year, amount in sorted(amounts.items()):
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValidationFailed(f"Das Jahr {year} liegt außerhalb des zulässigen Bereichs.")
        if amount is not None and (amount < 0 or amount > MAX_AMOUNT):
            raise ValidationFailed(
                f"Der Betrag für {year} muss zwischen 0 und {MAX_AMOUNT} liegen.",
                f"amount_{year}",
            )
        existing = current.get(year)
        base_load = base_loads.get(year)
        if base_load is None:
            base_load = existing.base_load if existing is not None else Decimal("0.00")
        if amount is not None and (base_load < 0 or base_load > amount):
            raise ValidationFailed(
                f"Der für den laufenden Betrieb gebundene Betrag {year} muss zwischen 0 und "
                "dem Ansatz liegen.",
                f"base_load_{year}",
            )
        if amount is None:
            if existing is not None:
                line.amounts.remove(existing)
                changed += 1
        elif existing is None:
            line.amounts.append(
                BudgetAmount(year=year, approved_amount=amount, base_load=base_load)
            )
            changed += 1
        elif existing.approved_amount != amount or existing.base_load != base_load:
            existing.approved_amount = amount
            existing.base_load = base_load
            changed += 1
    db.session.flush()
    return changed


def add_commitment(
    line: BudgetLine,
    granted_year: int,
    due_year: int,
    amount: Decimal,
    *,
    by: User,
    measure_id: int | None = None,
    purpose: str = "",
) -> CommitmentAuthorization:
    """Add a Verpflichtungsermächtigung granted in one year, due in a later one.

    ``measure_id`` names the measure the VE serves (it must use this line in its cost plan).
    """
    _check_editor(by)
    if not MIN_YEAR <= granted_year <= MAX_YEAR:
        raise ValidationFailed("Das Jahr der Ermächtigung ist ungültig.", "granted_year")
    if not granted_year < due_year <= granted_year + 10:
        raise ValidationFailed(
            "Das Fälligkeitsjahr muss nach dem Jahr der Ermächtigung liegen (höchstens "
            "zehn Jahre später).",
            "due_year",
        )
    if amount <= 0 or amount > MAX_AMOUNT:
        raise ValidationFailed("Der Betrag muss größer als 0 sein.", "amount")
    purpose = (purpose or "").strip()
    if len(purpose) > 200:
        raise ValidationFailed("Der Zweck darf höchstens 200 Zeichen haben.", "purpose")
    if measure_id is not None and not measure_uses_line(measure_id, line.id):
        raise ValidationFailed(
            "Diese Maßnahme plant keine Kosten auf dieser Haushaltsstelle.", "measure_id"
        )
    commitment = CommitmentAuthorization(
        granted_year=granted_year,
        due_year=due_year,
        amount=amount,
        measure_id=measure_id,
        purpose=purpose,
    )
    line.commitments.append(commitment)
    db.session.flush()
    return commitment


def archive_commitment(commitment: CommitmentAuthorization, *, by: User) -> None:
    """Take a VE out of every figure; it stays readable (budget data is never deleted)."""
    _check_editor(by)
    if commitment.archived_at is not None:
        raise ValidationFailed("Diese Verpflichtungsermächtigung ist bereits archiviert.")
    commitment.archived_at = utcnow()
    db.session.flush()


def measure_uses_line(measure_id: int, line_id: int) -> bool:
    """Whether a measure plans costs on a line (a VE may only serve such a measure)."""
    return (
        db.session.scalar(
            select(CostPlanEntry.id)
            .where(CostPlanEntry.measure_id == measure_id, CostPlanEntry.budget_line_id == line_id)
            .limit(1)
        )
        is not None
    )


@dataclass(frozen=True)
class CommitmentRow:
    """A VE with its line and measure, for tables and exports (no ORM object per row)."""

    id: int
    line_id: int
    line_label: str
    line_name: str
    kind: BudgetKind
    granted_year: int
    due_year: int
    amount: Decimal
    measure_id: int | None
    measure_title: str
    purpose: str
    archived: bool

    @property
    def measure_reference(self) -> str:
        """``M-0042`` or empty."""
        return measure_reference(self.measure_id) if self.measure_id else ""


def commitment_rows(line_id: int | None = None) -> list[CommitmentRow]:
    """Every VE (or a line's), ordered by line, due year and id; one query."""
    query = (
        select(
            CommitmentAuthorization.id,
            CommitmentAuthorization.budget_line_id,
            CommitmentAuthorization.granted_year,
            CommitmentAuthorization.due_year,
            CommitmentAuthorization.amount,
            CommitmentAuthorization.measure_id,
            CommitmentAuthorization.purpose,
            CommitmentAuthorization.archived_at,
            BudgetLine.product,
            BudgetLine.cost_center,
            BudgetLine.account,
            BudgetLine.investment_number,
            BudgetLine.name,
            BudgetLine.kind,
            Measure.title.label("measure_title"),
        )
        .join(BudgetLine, BudgetLine.id == CommitmentAuthorization.budget_line_id)
        .outerjoin(Measure, Measure.id == CommitmentAuthorization.measure_id)
        .order_by(
            BudgetLine.product,
            BudgetLine.cost_center,
            CommitmentAuthorization.due_year,
            CommitmentAuthorization.id,
        )
    )
    if line_id is not None:
        query = query.where(CommitmentAuthorization.budget_line_id == line_id)
    return [
        CommitmentRow(
            id=row.id,
            line_id=row.budget_line_id,
            line_label=" / ".join(
                p for p in (row.product, row.cost_center, row.account, row.investment_number) if p
            ),
            line_name=row.name,
            kind=BudgetKind(row.kind),
            granted_year=row.granted_year,
            due_year=row.due_year,
            amount=row.amount,
            measure_id=row.measure_id,
            measure_title=row.measure_title or "",
            purpose=row.purpose,
            archived=row.archived_at is not None,
        )
        for row in db.session.execute(query)
    ]


@dataclass(frozen=True)
class CommitmentWarning:
    """VE falling due in a year exceed that year's Planung of the line."""

    line_id: int
    line_label: str
    year: int
    ve_due: Decimal
    planned: Decimal

    @property
    def text(self) -> str:
        """The warning in German."""
        return (
            f"{self.line_label}: Die {self.year} fälligen VE ({money_text(self.ve_due)}) "
            f"übersteigen die Planung {self.year} ({money_text(self.planned)})."
        )


def commitment_warnings(years: list[int], line_id: int | None = None) -> list[CommitmentWarning]:
    """Lines and years where VE due exceed the Planung (from the coverage facts)."""
    from steuerung.services.budget.coverage import load_facts

    facts = load_facts(years)
    warnings = []
    for (lid, year), f in sorted(facts.figures.items()):
        if (line_id is None or lid == line_id) and f.ve_due > f.planned:
            info = facts.lines[lid]
            warnings.append(CommitmentWarning(lid, info.label, year, f.ve_due, f.planned))
    return warnings


def budget_lines(department_id: int | None = None) -> list[BudgetLine]:
    """All budget lines with department, amounts and VE loaded (three queries)."""
    query = (
        select(BudgetLine)
        .options(
            selectinload(BudgetLine.department),
            selectinload(BudgetLine.amounts),
            selectinload(BudgetLine.commitments),
        )
        .order_by(BudgetLine.product, BudgetLine.cost_center, BudgetLine.account)
    )
    if department_id is not None:
        query = query.where(BudgetLine.department_id == department_id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class LineKey:
    """The identifying columns of a budget line (for exports and imports)."""

    id: int
    product: str
    cost_center: str
    account: str
    investment_number: str
    kind: BudgetKind
    name: str
    department_id: int
    department_code: str

    @property
    def label(self) -> str:
        """Key as the treasury writes it."""
        parts = [self.product, self.cost_center, self.account, self.investment_number]
        return " / ".join(p for p in parts if p)


def budget_line_keys() -> dict[int, LineKey]:
    """Every budget line's key columns by id, in one query."""
    query = select(
        BudgetLine.id,
        BudgetLine.product,
        BudgetLine.cost_center,
        BudgetLine.account,
        BudgetLine.investment_number,
        BudgetLine.kind,
        BudgetLine.name,
        BudgetLine.department_id,
        Department.code,
    ).join(Department, Department.id == BudgetLine.department_id)
    return {row.id: LineKey(*row) for row in db.session.execute(query)}


def roll_budget_year(*, by: User, new_year: int) -> Settings:
    """Start the next budget year: the horizon moves one year forward.

    Stored amounts of earlier years stay untouched and readable (the budget pages take the
    budget year as a parameter). Only one year forward at a time, by treasury or admin.
    """
    _check_editor(by, may_roll_budget_year)
    settings = get_settings()
    if new_year != settings.budget_year + 1:
        raise ValidationFailed(
            f"Das neue Haushaltsjahr muss {settings.budget_year + 1} sein "
            "(immer nur ein Jahr weiter).",
            "new_year",
        )
    if new_year > MAX_YEAR:
        raise ValidationFailed("Dieses Haushaltsjahr wird nicht unterstützt.", "new_year")
    settings.budget_year = new_year
    db.session.flush()
    return settings


def current_line_values(line: BudgetLine, years: list[int]) -> dict[str, object]:
    """The saved values of a line, shown next to a refused edit (locking conflict)."""
    stored = {a.year: a for a in line.amounts}
    values: dict[str, object] = {
        "Bezeichnung": line.name,
        "Art": line.kind.label,
        "Aktiv": "ja" if line.is_active else "nein",
        "Übertragbar": "ja" if line.transferable else "nein",
    }
    for year in years:
        amount = stored.get(year)
        values[f"Ansatz/Planung {year}"] = amount.approved_amount if amount else None
        values[f"davon gebunden {year}"] = amount.base_load if amount else None
    values["Version"] = line.version_id
    return values
