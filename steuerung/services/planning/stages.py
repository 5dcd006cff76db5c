"""The stages of a budget year: open the round, freeze a stage, derive the next one, adopt.

* :func:`open_round` creates the Anmeldung of a budget year (empty: each department derives
  its lines from the cost plans, see ``registration``).
* :func:`freeze` writes a stage down for good. Beschluss and Nachtrag are council decisions:
  they need the decision's date and Drucksache reference, every line must have its budget
  line, and freezing them **adopts** the figures: they become the Ansatz (budget year) and
  the Planung (planning years) of their budget lines, through the budget service (audited,
  the lines' versions raised). Lines of the budget that the version does not name keep their
  amounts; the part bound by running operations stays as the treasury recorded it.
* :func:`derive_next` copies a frozen stage into the next one (Entwurf from the Anmeldung,
  Eckwerte from the Entwurf, Beschluss from the Eckwerte, Nachtrag n from the stage before).
  Amounts, lines and Eckwerte are copied; reasons start empty, because a reason explains
  what a stage changes against the one before.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from steuerung.extensions import db
from steuerung.models import (
    BudgetAmount,
    PlanAmount,
    PlanKeyFigure,
    PlanLine,
    PlanStage,
    PlanVersion,
    PlanVersionStatus,
    User,
)
from steuerung.models.base import utcnow
from steuerung.services.budget.lines import set_approved_amounts
from steuerung.services.common.clock import today
from steuerung.services.common.errors import PermissionDenied, ValidationFailed
from steuerung.services.common.settings import get_settings
from steuerung.services.common.versioning import check_version
from steuerung.services.planning import rules
from steuerung.services.planning.versions import (
    VERSION_STALE_MESSAGE,
    amounts_by_key,
    ensure_open,
    latest_version,
    line_label,
    reference_amounts,
)

ZERO = Decimal("0.00")


def _check_manager(by: User) -> None:
    if not rules.may_manage_planning(by):
        raise PermissionDenied("Die Planungsstufen legt die Kämmerei an und schreibt sie fest.")


def round_years() -> list[int]:
    """Budget years for which a round can be opened: the current one and the next ones."""
    current = get_settings().budget_year
    return [current + i for i in range(rules.YEARS_AHEAD + 1)]


def open_round(budget_year: int, *, by: User) -> PlanVersion:
    """Open the planning round of ``budget_year``: its Anmeldung (empty, open)."""
    _check_manager(by)
    if budget_year not in round_years():
        raise ValidationFailed(
            "Eine Planungsrunde wird für das laufende oder eines der nächsten "
            f"{rules.YEARS_AHEAD} Haushaltsjahre eröffnet.",
            "budget_year",
        )
    if latest_version(budget_year) is not None:
        raise ValidationFailed(
            f"Die Planungsrunde {budget_year} ist bereits eröffnet.", "budget_year"
        )
    version = PlanVersion(
        budget_year=budget_year,
        stage=PlanStage.REGISTRATION,
        position=1,
        supplement_no=0,
        created_by_id=by.id,
    )
    db.session.add(version)
    db.session.flush()
    return version


def derive_next(version: PlanVersion, *, by: User, expected_version: object) -> PlanVersion:
    """The next stage from the frozen ``version`` (the latest of its year)."""
    _check_manager(by)
    check_version(version, expected_version, VERSION_STALE_MESSAGE)
    if not version.is_frozen:
        raise ValidationFailed(
            f"Bitte schreiben Sie „{version.label}“ zuerst fest: Der nächste Stand baut auf "
            "einem festgeschriebenen auf."
        )
    latest = latest_version(version.budget_year)
    if latest is None or latest.id != version.id:
        raise ValidationFailed(
            f"Nach „{version.label}“ gibt es schon einen Stand; der nächste baut auf dem "
            "letzten auf."
        )
    stage, number = rules.next_stage(version)
    new = PlanVersion(
        budget_year=version.budget_year,
        stage=stage,
        position=version.position + 1,
        supplement_no=number,
        based_on_id=version.id,
        created_by_id=by.id,
    )
    for line in version.lines:
        copy = PlanLine(
            key=line.key,
            department_id=line.department_id,
            budget_line_id=line.budget_line_id,
            kind=line.kind,
            proposed_product=line.proposed_product,
            proposed_cost_center=line.proposed_cost_center,
            proposed_account=line.proposed_account,
            proposed_investment_number=line.proposed_investment_number,
            proposed_name=line.proposed_name,
        )
        for amount in line.amounts:
            copy.amounts.append(PlanAmount(year=amount.year, amount=amount.amount))
        new.lines.append(copy)
    for figure in version.key_figures:
        new.key_figures.append(
            PlanKeyFigure(
                department_id=figure.department_id,
                kind=figure.kind,
                year=figure.year,
                amount=figure.amount,
            )
        )
    db.session.add(new)
    db.session.flush()
    return new


def _unexplained(version: PlanVersion) -> list[PlanLine]:
    """Lines that differ from their reference without a reason."""
    base = amounts_by_key(version.based_on) if version.based_on_id is not None else None
    return [
        line
        for line in version.lines
        if not line.reason.strip()
        and rules.needs_reason(
            {a.year: a.amount for a in line.amounts}, reference_amounts(line, base)
        )
    ]


def freeze(
    version: PlanVersion,
    *,
    by: User,
    expected_version: object,
    decision_date: date | None = None,
    decision_reference: str = "",
    note: str = "",
) -> PlanVersion:
    """Write the stage down for good; a Beschluss or Nachtrag also adopts its figures."""
    _check_manager(by)
    ensure_open(version)
    check_version(version, expected_version, VERSION_STALE_MESSAGE)
    unexplained = _unexplained(version)
    if unexplained:
        raise ValidationFailed(
            "Diese Zeilen weichen ohne Begründung ab: "
            + ", ".join(line_label(line) for line in unexplained)
            + "."
        )
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationFailed("Der Vermerk darf höchstens 500 Zeichen haben.", "note")
    if rules.is_decision(version):
        reference = (decision_reference or "").strip()
        if decision_date is None:
            raise ValidationFailed("Bitte das Datum des Ratsbeschlusses angeben.", "decision_date")
        if decision_date > today():
            raise ValidationFailed(
                "Das Datum des Ratsbeschlusses darf nicht in der Zukunft liegen.",
                "decision_date",
            )
        if not reference:
            raise ValidationFailed(
                "Bitte die Drucksache (Vorlagennummer) des Beschlusses angeben.",
                "decision_reference",
            )
        if len(reference) > 100:
            raise ValidationFailed(
                "Die Drucksache darf höchstens 100 Zeichen haben.", "decision_reference"
            )
        version.decision_date = decision_date
        version.decision_reference = reference
        adopt(version, by=by)
    version.note = note
    version.status = PlanVersionStatus.FROZEN
    version.frozen_at = utcnow()
    version.frozen_by_id = by.id
    db.session.flush()
    return version


def adopt(version: PlanVersion, *, by: User) -> int:
    """Write the adopted figures into the budget lines' amounts; returns how many changed.

    Refused while a line is only proposed (the treasury first creates the budget line and
    links it) or where an adopted amount is below the part bound by running operations.
    """
    proposals = [line for line in version.lines if line.is_proposal]
    if proposals:
        raise ValidationFailed(
            "Vor dem Beschluss braucht jede Zeile ihre Haushaltsstelle. Noch anzulegen: "
            + ", ".join(
                f"{line.proposed_name or line.proposed_label} ({line.department.code})"
                for line in proposals
            )
            + "."
        )
    years = version.years
    stored: dict[tuple[int | None, int], BudgetAmount] = {
        (row.budget_line_id, row.year): row
        for row in db.session.scalars(
            select(BudgetAmount).where(
                BudgetAmount.budget_line_id.in_([pl.budget_line_id for pl in version.lines]),
                BudgetAmount.year.in_(years),
            )
        )
    }
    too_low = []
    for line in version.lines:
        for year in years:
            row = stored.get((line.budget_line_id, year))
            if row is not None and line.amount_of(year) < row.base_load:
                too_low.append(f"{line_label(line)} {year}")
    if too_low:
        raise ValidationFailed(
            "Der Beschluss läge unter dem für den laufenden Betrieb gebundenen Betrag: "
            + ", ".join(too_low)
            + ". Bitte passen Sie die Bindung unter „Haushaltsstellen“ an oder ändern Sie "
            "die Zeile im nächsten Stand."
        )
    changed = 0
    for line in sorted(version.lines, key=lambda pl: pl.budget_line_id or 0):
        assert line.budget_line is not None
        changed += set_approved_amounts(
            line.budget_line, {y: line.amount_of(y) for y in years}, by=by
        )
    return changed
