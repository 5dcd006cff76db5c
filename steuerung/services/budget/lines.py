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
from steuerung.models import (
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    CommitmentAuthorization,
    Department,
    Settings,
    User,
)
from steuerung.models.budget import MAX_YEAR, MIN_YEAR
from steuerung.services.budget.rules import may_edit_budget, may_roll_budget_year
from steuerung.services.common.errors import PermissionDenied, StaleObject, ValidationFailed
from steuerung.services.common.numbers import MAX_AMOUNT
from steuerung.services.common.settings import get_settings

_KEY_FIELD = re.compile(r"^[0-9A-Za-z.\-/ _]+$")


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
    expected_version: int | None = None,
) -> BudgetLine:
    """Create or update a budget line and, optionally, its approved amounts per year.

    ``amounts`` maps year -> amount (None removes the year's amount). ``expected_version``
    is the version the form was loaded with (optimistic locking).
    """
    _check_editor(by)
    if line is not None and expected_version is not None and line.version_id != expected_version:
        raise StaleObject(
            "Die Haushaltsstelle wurde inzwischen von jemand anderem geändert. "
            "Bitte laden Sie die Seite neu."
        )
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
    if amounts is not None:
        set_approved_amounts(line, amounts, by=by)
    db.session.flush()
    return line


def set_approved_amounts(
    line: BudgetLine, amounts: Mapping[int, Decimal | None], *, by: User
) -> int:
    """Set the approved amounts (Ansatz / Planung) of ``line``; returns the number changed.

    Amounts equal to the stored ones are not touched (no audit noise).
    """
    _check_editor(by)
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
        if amount is None:
            if existing is not None:
                line.amounts.remove(existing)
                changed += 1
        elif existing is None:
            line.amounts.append(BudgetAmount(year=year, approved_amount=amount))
            changed += 1
        elif existing.approved_amount != amount:
            existing.approved_amount = amount
            changed += 1
    db.session.flush()
    return changed


def add_commitment(
    line: BudgetLine, granted_year: int, due_year: int, amount: Decimal, *, by: User
) -> CommitmentAuthorization:
    """Add a Verpflichtungsermächtigung granted in one year, due in a later one."""
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
    if any(c.granted_year == granted_year and c.due_year == due_year for c in line.commitments):
        raise ValidationFailed(
            f"Für {granted_year} mit Fälligkeit {due_year} gibt es schon eine VE. "
            "Bitte die bestehende löschen oder ein anderes Jahr wählen.",
            "due_year",
        )
    commitment = CommitmentAuthorization(
        granted_year=granted_year, due_year=due_year, amount=amount
    )
    line.commitments.append(commitment)
    db.session.flush()
    return commitment


def delete_commitment(commitment: CommitmentAuthorization, *, by: User) -> None:
    """Remove a VE."""
    _check_editor(by)
    db.session.delete(commitment)
    db.session.flush()


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
    return {row[0]: LineKey(*row) for row in db.session.execute(query)}


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
