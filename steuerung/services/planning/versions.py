"""Plan versions: reading them, changing the lines of an open one, the Eckwerte.

A frozen version is immutable. The services refuse every change to it, and a session hook
(:func:`_refuse_changes_to_frozen_versions`) refuses it once more at flush, whatever code
tries: a frozen stage is what a department, the treasury or the council saw and decided.

Line keys: a line of an existing budget line is keyed ``L<line id>``, a proposed line
``P<random>``; derived versions copy the key, so any two versions of a year can be compared
line by line, also after a proposal got its real budget line.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, selectinload

from steuerung.extensions import db
from steuerung.models import (
    BudgetKind,
    BudgetLine,
    Department,
    PlanAmount,
    PlanDepartmentState,
    PlanKeyFigure,
    PlanLine,
    PlanVersion,
    PlanVersionStatus,
    User,
)
from steuerung.models.base import utcnow
from steuerung.services.common.errors import DomainError, PermissionDenied, ValidationFailed
from steuerung.services.common.numbers import MAX_AMOUNT
from steuerung.services.common.versioning import check_version
from steuerung.services.planning import rules

ZERO = Decimal("0.00")
#: Longest reason a line takes.
MAX_REASON = 4000
LINE_STALE_MESSAGE = (
    "Die Zeile wurde inzwischen von einer anderen Person geändert. Ihre Eingaben wurden nicht "
    "gespeichert; bitte prüfen Sie den aktuellen Stand."
)
VERSION_STALE_MESSAGE = (
    "Der Planungsstand wurde inzwischen geändert. Ihre Eingaben wurden nicht gespeichert; "
    "bitte prüfen Sie den aktuellen Stand."
)


class FrozenVersion(DomainError):
    """A change to a frozen plan version."""


def frozen_message(version: PlanVersion) -> str:
    """Why a frozen version cannot be changed, in German."""
    return (
        f"Der Stand „{version.label}“ ist festgeschrieben und kann nicht mehr geändert werden. "
        "Änderungen gehören in den nächsten Stand."
    )


# --------------------------------------------------------------------------- the guard


def _version_of(session: Session, obj: Any) -> PlanVersion | None:
    if isinstance(obj, PlanVersion):
        return obj
    if isinstance(obj, PlanAmount):
        line = obj.__dict__.get("plan_line")
        if line is None and obj.plan_line_id is not None:
            with session.no_autoflush:
                line = session.get(PlanLine, obj.plan_line_id)
        return _version_of(session, line) if line is not None else None
    if isinstance(obj, PlanLine | PlanKeyFigure | PlanDepartmentState):
        version = obj.__dict__.get("plan_version")
        if version is None and obj.plan_version_id is not None:
            with session.no_autoflush:
                version = session.get(PlanVersion, obj.plan_version_id)
        return version
    return None


def _was_frozen(version: PlanVersion) -> bool:
    """The version's status as stored before this flush."""
    state = inspect(version)
    if state.pending or state.transient:
        return False
    history = state.attrs.status.history
    before = history.deleted[0] if history.deleted else version.status
    return before == PlanVersionStatus.FROZEN


_GUARDED = (PlanVersion, PlanLine, PlanAmount, PlanKeyFigure, PlanDepartmentState)


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_frozen_versions(session: Session, context: Any, instances: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, _GUARDED):
            continue
        if obj in session.dirty and not session.is_modified(obj):
            continue
        version = _version_of(session, obj)
        if version is not None and _was_frozen(version):
            raise FrozenVersion(frozen_message(version))


def ensure_open(version: PlanVersion) -> None:
    """Refuse (``FrozenVersion``) any change to a frozen version."""
    if version.is_frozen:
        raise FrozenVersion(frozen_message(version))


def touch(version: PlanVersion) -> None:
    """Raise the version's own version number: a freeze form loaded before this change is
    refused, and a change racing a freeze loses (the version row is updated by both)."""
    version.updated_at = utcnow()


# --------------------------------------------------------------------------- reading


def versions_of_year(budget_year: int) -> list[PlanVersion]:
    """The versions of a budget year in their order."""
    return list(
        db.session.scalars(
            select(PlanVersion)
            .where(PlanVersion.budget_year == budget_year)
            .order_by(PlanVersion.position)
        )
    )


def planned_years() -> list[int]:
    """Budget years with at least one version, newest first."""
    return list(
        db.session.scalars(
            select(PlanVersion.budget_year).distinct().order_by(PlanVersion.budget_year.desc())
        )
    )


def latest_version(budget_year: int) -> PlanVersion | None:
    """The last stage of a budget year (None before the round is opened)."""
    return db.session.scalar(
        select(PlanVersion)
        .where(PlanVersion.budget_year == budget_year)
        .order_by(PlanVersion.position.desc())
        .limit(1)
    )


def handed_in(version: PlanVersion, department_id: int) -> PlanDepartmentState | None:
    """The department's hand-in of the Anmeldung (None while it still works on it)."""
    return next((s for s in version.department_states if s.department_id == department_id), None)


def load_lines(version: PlanVersion, department_id: int | None = None) -> list[PlanLine]:
    """The version's lines (of one department) with amounts, line and department loaded."""
    query = (
        select(PlanLine)
        .options(
            selectinload(PlanLine.amounts),
            selectinload(PlanLine.budget_line),
            selectinload(PlanLine.department),
        )
        .where(PlanLine.plan_version_id == version.id)
    )
    if department_id is not None:
        query = query.where(PlanLine.department_id == department_id)
    return list(db.session.scalars(query))


def amounts_by_key(version: PlanVersion | None) -> dict[str, dict[int, Decimal]]:
    """key -> year -> amount of every line of ``version`` (one query)."""
    if version is None:
        return {}
    result: dict[str, dict[int, Decimal]] = defaultdict(dict)
    rows = db.session.execute(
        select(PlanLine.key, PlanAmount.year, PlanAmount.amount)
        .join(PlanAmount, PlanAmount.plan_line_id == PlanLine.id)
        .where(PlanLine.plan_version_id == version.id)
    )
    for key, year, amount in rows:
        result[key][year] = amount
    keys = db.session.scalars(select(PlanLine.key).where(PlanLine.plan_version_id == version.id))
    return {key: dict(result.get(key, {})) for key in keys}


def line_label(line: PlanLine) -> str:
    """The budget line's key, or the proposed key marked as a proposal."""
    if line.budget_line is not None:
        return line.budget_line.label
    return line.proposed_label or "ohne Schlüssel"


def line_name(line: PlanLine) -> str:
    """The budget line's name, or the proposed one."""
    if line.budget_line is not None:
        return line.budget_line.name
    return line.proposed_name


def reference_amounts(
    line: PlanLine, base: Mapping[str, Mapping[int, Decimal]] | None
) -> dict[int, Decimal] | None:
    """What a line is measured against when asking for a reason (see ``rules``): the amounts
    derived from the cost plans (Anmeldung) or those of the version before (later stages)."""
    if base is None:
        derived = {a.year: a.derived_amount for a in line.amounts if a.derived_amount is not None}
        if line.is_proposal or not derived:
            return None
        return derived
    if line.key not in base:
        return None
    return dict(base[line.key])


@dataclass
class LineRow:
    """A line of a version as a page shows it."""

    line: PlanLine
    label: str
    name: str
    amounts: dict[int, Decimal]
    #: Amounts of the version before / derived from the cost plans (None: new line).
    reference: dict[int, Decimal] | None

    @property
    def total(self) -> Decimal:
        """Sum over the years."""
        return sum(self.amounts.values(), ZERO)

    @property
    def changed(self) -> bool:
        """True when the line differs from its reference (and so carries a reason)."""
        return rules.needs_reason(self.amounts, self.reference)


@dataclass
class DepartmentBlock:
    """A department's (Teilhaushalt's) lines with totals and Eckwerte per year."""

    id: int
    code: str
    name: str
    years: list[int]
    rows: list[LineRow] = field(default_factory=list)
    #: Eckwert per year (None: none recorded).
    key_figures: dict[int, Decimal | None] = field(default_factory=dict)
    handed_in: PlanDepartmentState | None = None

    @property
    def totals(self) -> dict[int, Decimal]:
        """Sum of the lines per year."""
        return {y: sum((r.amounts.get(y, ZERO) for r in self.rows), ZERO) for y in self.years}

    @property
    def over(self) -> dict[int, Decimal]:
        """Per year: how far the lines exceed the Eckwert (0 when within or without one)."""
        totals = self.totals
        return {
            y: max(totals[y] - (self.key_figures.get(y) or ZERO), ZERO)
            if self.key_figures.get(y) is not None
            else ZERO
            for y in self.years
        }


@dataclass
class PartTotal:
    """A budget part's (konsumtiv / investiv) totals and Eckwerte per year."""

    kind: BudgetKind
    totals: dict[int, Decimal]
    key_figures: dict[int, Decimal | None]

    @property
    def over(self) -> dict[int, Decimal]:
        """Per year: how far the lines exceed the Eckwert."""
        return {
            y: max(t - (self.key_figures.get(y) or ZERO), ZERO)
            if self.key_figures.get(y) is not None
            else ZERO
            for y, t in self.totals.items()
        }


@dataclass
class VersionView:
    """A version's lines by department, totals by budget part and overall."""

    version: PlanVersion
    years: list[int]
    departments: list[DepartmentBlock]
    parts: list[PartTotal]
    proposals: int

    @property
    def totals(self) -> dict[int, Decimal]:
        """Sum of every line shown, per year."""
        return {y: sum((d.totals[y] for d in self.departments), ZERO) for y in self.years}


def version_view(version: PlanVersion, department_ids: Iterable[int] | None = None) -> VersionView:
    """The version's lines grouped by department (only ``department_ids`` if given); every
    department of ``department_ids`` gets a block, also without lines."""
    wanted = set(department_ids) if department_ids is not None else None
    base = amounts_by_key(version.based_on) if version.based_on_id is not None else None
    years = version.years
    blocks: dict[int, DepartmentBlock] = {}
    departments = db.session.scalars(select(Department).order_by(Department.code)).all()
    by_id = {d.id: d for d in departments}
    if wanted is not None:
        for dept_id in sorted(wanted, key=lambda i: by_id[i].code if i in by_id else ""):
            if dept_id in by_id:
                d = by_id[dept_id]
                blocks[d.id] = DepartmentBlock(d.id, d.code, d.name, years)
    parts = {k: dict.fromkeys(years, ZERO) for k in BudgetKind}
    proposals = 0
    for line in sorted(load_lines(version), key=lambda pl: (line_label(pl), pl.id)):
        if wanted is not None and line.department_id not in wanted:
            continue
        d = line.department
        block = blocks.setdefault(d.id, DepartmentBlock(d.id, d.code, d.name, years))
        amounts = {y: line.amount_of(y) for y in years}
        block.rows.append(
            LineRow(line, line_label(line), line_name(line), amounts, reference_amounts(line, base))
        )
        for y in years:
            parts[line.kind][y] += amounts[y]
        proposals += line.is_proposal
    key_part: dict[BudgetKind, dict[int, Decimal | None]] = {k: {} for k in BudgetKind}
    for figure in version.key_figures:
        if figure.department_id is not None and figure.department_id in blocks:
            blocks[figure.department_id].key_figures[figure.year] = figure.amount
        elif figure.kind is not None:
            key_part[figure.kind][figure.year] = figure.amount
    for state in version.department_states:
        if state.department_id in blocks:
            blocks[state.department_id].handed_in = state
    ordered = sorted(blocks.values(), key=lambda b: b.code)
    part_rows = [
        PartTotal(kind, parts[kind], key_part[kind])
        for kind in BudgetKind
        if any(parts[kind].values()) or key_part[kind]
    ]
    return VersionView(version, years, ordered, part_rows, proposals)


def planned_amounts(version_id: int, years: Iterable[int]) -> dict[tuple[int, int], Decimal]:
    """(budget line, year) -> amount of a version's lines that have a budget line."""
    query = (
        select(PlanLine.budget_line_id, PlanAmount.year, PlanAmount.amount)
        .join(PlanAmount, PlanAmount.plan_line_id == PlanLine.id)
        .where(
            PlanLine.plan_version_id == version_id,
            PlanLine.budget_line_id.is_not(None),
            PlanAmount.year.in_(list(years)),
        )
    )
    return {
        (line_id, year): amount
        for line_id, year, amount in db.session.execute(query)
        if line_id is not None  # always (see the query); narrows the nullable column's type
    }


# --------------------------------------------------------------------------- changing lines


def _check_line_editor(by: User, version: PlanVersion, department_id: int) -> None:
    ensure_open(version)
    state = handed_in(version, department_id)
    if not rules.may_edit_lines(by, version, department_id, state is not None):
        if (
            rules.is_registration(version)
            and state is not None
            and rules.may_register(by, version, department_id, False)
        ):
            raise PermissionDenied(
                "Ihr Fachbereich hat die Anmeldung bereits abgegeben. Die Kämmerei kann sie "
                "zur Bearbeitung zurückgeben."
            )
        raise PermissionDenied("Sie dürfen die Zeilen dieses Stands nicht ändern.")


def _clean_amounts(
    version: PlanVersion, amounts: Mapping[int, Decimal | None]
) -> dict[int, Decimal]:
    clean: dict[int, Decimal] = {}
    for year in version.years:
        value = amounts.get(year)
        value = ZERO if value is None else value
        if value < 0 or value > MAX_AMOUNT:
            raise ValidationFailed(
                f"Der Betrag für {year} muss zwischen 0 und {MAX_AMOUNT} liegen.",
                f"amount_{year}",
            )
        clean[year] = value.quantize(Decimal("0.01"))
    return clean


def _clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if len(text) > MAX_REASON:
        raise ValidationFailed(
            f"Die Begründung darf höchstens {MAX_REASON} Zeichen haben.", "reason"
        )
    return text


def _require_reason(
    version: PlanVersion,
    amounts: Mapping[int, Decimal],
    reference: Mapping[int, Decimal] | None,
    reason: str,
) -> None:
    if reason or not rules.needs_reason(amounts, reference):
        return
    if reference is None:
        text = "Bitte begründen Sie die neue Zeile."
    elif rules.is_registration(version):
        text = (
            "Die Beträge weichen von den aus den Kostenplänen abgeleiteten ab: Bitte begründen "
            "Sie die Abweichung."
        )
    else:
        text = (
            f"Die Beträge weichen vom Stand „{version.based_on.label if version.based_on else ''}“"
            " ab: Bitte begründen Sie die Änderung."
        )
    raise ValidationFailed(text, "reason")


def _set_amounts(line: PlanLine, amounts: Mapping[int, Decimal]) -> None:
    current = {a.year: a for a in line.amounts}
    for year, amount in sorted(amounts.items()):
        row = current.get(year)
        if row is None:
            line.amounts.append(PlanAmount(year=year, amount=amount))
        elif row.amount != amount:
            row.amount = amount


def save_line(
    line: PlanLine,
    amounts: Mapping[int, Decimal | None],
    reason: str | None,
    *,
    by: User,
    expected_version: object,
) -> PlanLine:
    """Change a line's amounts and reason; a change against the reference needs a reason."""
    version = line.plan_version
    _check_line_editor(by, version, line.department_id)
    check_version(line, expected_version, LINE_STALE_MESSAGE)
    clean = _clean_amounts(version, amounts)
    text = _clean_reason(reason)
    base = amounts_by_key(version.based_on) if version.based_on_id is not None else None
    _require_reason(version, clean, reference_amounts(line, base), text)
    _set_amounts(line, clean)
    line.reason = text
    touch(version)
    db.session.flush()
    return line


@dataclass
class ProposalData:
    """A line added to a version: an existing budget line, or one still to be created."""

    budget_line_id: int | None
    kind: BudgetKind | None = None
    product: str = ""
    cost_center: str = ""
    account: str = ""
    investment_number: str = ""
    name: str = ""


def _clean_key_part(value: str, label: str, field_name: str) -> str:
    value = (value or "").strip()
    if len(value) > 30:
        raise ValidationFailed(f"{label}: höchstens 30 Zeichen.", field_name)
    return value


def add_line(
    version: PlanVersion,
    department_id: int,
    data: ProposalData,
    amounts: Mapping[int, Decimal | None],
    reason: str | None,
    *,
    by: User,
) -> PlanLine:
    """Add a line to an open version: one of the department's budget lines that is not in
    it yet, or a proposed line ("Haushaltsstelle noch anzulegen"). New lines need a reason."""
    _check_line_editor(by, version, department_id)
    if db.session.get(Department, department_id) is None:
        raise ValidationFailed("Diesen Fachbereich gibt es nicht.", "department_id")
    clean = _clean_amounts(version, amounts)
    text = _clean_reason(reason)
    # Built apart from the version and added at the end: an autoflush on the way must not
    # meet a half-filled line.
    line = PlanLine(department_id=department_id)
    if data.budget_line_id is not None:
        budget_line = db.session.get(BudgetLine, data.budget_line_id)
        if budget_line is None or budget_line.department_id != department_id:
            raise ValidationFailed(
                "Bitte eine Haushaltsstelle des Fachbereichs wählen.", "budget_line_id"
            )
        if any(pl.budget_line_id == budget_line.id for pl in version.lines):
            raise ValidationFailed(
                f"Die Haushaltsstelle {budget_line.label} steht schon in diesem Stand.",
                "budget_line_id",
            )
        line.budget_line = budget_line
        line.key = f"L{budget_line.id}"
        line.kind = budget_line.kind
    else:
        if data.kind is None:
            raise ValidationFailed("Bitte die Art (konsumtiv / investiv) wählen.", "kind")
        name = (data.name or "").strip()
        if not name:
            raise ValidationFailed(
                "Bitte eine Bezeichnung für die vorgeschlagene Haushaltsstelle angeben.", "name"
            )
        if len(name) > 200:
            raise ValidationFailed("Die Bezeichnung darf höchstens 200 Zeichen haben.", "name")
        line.kind = data.kind
        line.proposed_name = name
        line.proposed_product = _clean_key_part(data.product, "Produkt", "product")
        line.proposed_cost_center = _clean_key_part(data.cost_center, "Kostenstelle", "cost_center")
        line.proposed_account = _clean_key_part(data.account, "Sachkonto", "account")
        line.proposed_investment_number = _clean_key_part(
            data.investment_number, "Investitionsnummer", "investment_number"
        )
        line.key = f"P{secrets.token_hex(6)}"
    _require_reason(version, clean, None, text)
    _set_amounts(line, clean)
    line.reason = text
    version.lines.append(line)
    touch(version)
    db.session.flush()
    return line


def remove_line(line: PlanLine, *, by: User, expected_version: object) -> None:
    """Remove a line from the open Anmeldung (later stages set it to 0 with a reason, so the
    comparison shows the cut)."""
    version = line.plan_version
    _check_line_editor(by, version, line.department_id)
    if not rules.is_registration(version):
        raise ValidationFailed(
            "In diesem Stand wird eine Zeile nicht entfernt, sondern mit Begründung auf 0 gesetzt."
        )
    check_version(line, expected_version, LINE_STALE_MESSAGE)
    version.lines.remove(line)
    touch(version)
    db.session.flush()


def assign_budget_line(
    line: PlanLine, budget_line_id: int | None, *, by: User, expected_version: object
) -> PlanLine:
    """Link a proposed line to the budget line the treasury created for it (the line keeps
    its key, so the comparison with the Anmeldung still finds it)."""
    version = line.plan_version
    ensure_open(version)
    if not rules.may_assign_line(by, version):
        raise PermissionDenied("Nur die Kämmerei ordnet vorgeschlagene Haushaltsstellen zu.")
    check_version(line, expected_version, LINE_STALE_MESSAGE)
    if not line.is_proposal:
        raise ValidationFailed("Diese Zeile hat bereits eine Haushaltsstelle.")
    budget_line = db.session.get(BudgetLine, budget_line_id) if budget_line_id else None
    if budget_line is None:
        raise ValidationFailed("Bitte eine Haushaltsstelle wählen.", "budget_line_id")
    if budget_line.kind != line.kind:
        raise ValidationFailed(
            f"Die Haushaltsstelle ist {budget_line.kind.label}, der Vorschlag {line.kind.label}.",
            "budget_line_id",
        )
    if any(pl.budget_line_id == budget_line.id for pl in version.lines):
        raise ValidationFailed(
            f"Die Haushaltsstelle {budget_line.label} steht schon in diesem Stand.",
            "budget_line_id",
        )
    line.budget_line = budget_line
    line.department_id = budget_line.department_id
    touch(version)
    db.session.flush()
    return line


def assignable_lines(line: PlanLine) -> list[BudgetLine]:
    """Budget lines a proposal can be linked to: same kind, not yet in the version."""
    taken = {pl.budget_line_id for pl in line.plan_version.lines if pl.budget_line_id}
    return [
        bl
        for bl in db.session.scalars(
            select(BudgetLine)
            .where(BudgetLine.kind == line.kind)
            .order_by(BudgetLine.product, BudgetLine.cost_center, BudgetLine.account)
        )
        if bl.id not in taken
    ]


def addable_lines(version: PlanVersion, department_id: int) -> list[BudgetLine]:
    """The department's active budget lines that are not in the version yet."""
    taken = {pl.budget_line_id for pl in version.lines if pl.budget_line_id}
    return [
        bl
        for bl in db.session.scalars(
            select(BudgetLine)
            .where(BudgetLine.department_id == department_id, BudgetLine.is_active.is_(True))
            .order_by(BudgetLine.product, BudgetLine.cost_center, BudgetLine.account)
        )
        if bl.id not in taken
    ]


# --------------------------------------------------------------------------- Eckwerte

#: Scope of an Eckwert: ("department", id) or ("kind", BudgetKind).
Scope = tuple[str, Any]


def set_key_figures(
    version: PlanVersion,
    figures: Mapping[tuple[Scope, int], Decimal | None],
    *,
    by: User,
    expected_version: object,
) -> int:
    """Record the Eckwerte of an open Eckwerte stage: (scope, year) -> amount (None: none).

    Replaces the stage's Eckwerte by ``figures``; returns how many are recorded.
    """
    ensure_open(version)
    if not rules.may_set_key_figures(by, version):
        raise PermissionDenied("Die Eckwerte legt die Kämmerei in der Stufe „Eckwerte“ fest.")
    check_version(version, expected_version, VERSION_STALE_MESSAGE)
    wanted: dict[tuple[Scope, int], Decimal] = {}
    for (scope, year), amount in figures.items():
        if amount is None:
            continue
        if year not in version.years:
            raise ValidationFailed(f"Das Jahr {year} gehört nicht zu diesem Stand.")
        if amount < 0 or amount > MAX_AMOUNT:
            raise ValidationFailed(
                f"Ein Eckwert muss zwischen 0 und {MAX_AMOUNT} liegen.",
                _scope_field(scope, year),
            )
        wanted[(scope, year)] = amount
    current = {(_scope_of(f), f.year): f for f in version.key_figures}
    for key, figure in current.items():
        if key not in wanted:
            version.key_figures.remove(figure)
        elif figure.amount != wanted[key]:
            figure.amount = wanted[key]
    for (scope, year), amount in wanted.items():
        if (scope, year) not in current:
            figure = PlanKeyFigure(year=year, amount=amount)
            if scope[0] == "department":
                figure.department_id = scope[1]
            else:
                figure.kind = scope[1]
            version.key_figures.append(figure)
    touch(version)
    db.session.flush()
    return len(wanted)


def _scope_of(figure: PlanKeyFigure) -> Scope:
    if figure.department_id is not None:
        return ("department", figure.department_id)
    return ("kind", figure.kind)


def _scope_field(scope: Scope, year: int) -> str:
    """Form field name of an Eckwert (``kf_d<id>_<year>`` or ``kf_<kind>_<year>``)."""
    if scope[0] == "department":
        return f"kf_d{scope[1]}_{year}"
    return f"kf_{BudgetKind(scope[1]).value}_{year}"


def key_figure_field(scope: Scope, year: int) -> str:
    """Public name of :func:`_scope_field` for forms."""
    return _scope_field(scope, year)
