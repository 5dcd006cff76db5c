"""The Anmeldung: a department's needs derived from its measures' cost plans.

What a line needs (the figure derived per budget line and year)
----------------------------------------------------------------
The Ansatz of a line must carry, under the cover rules of ``services.budget.coverage``,

* the part bound by running operations (base load, as recorded for that year),
* the VE falling due in that year, and
* the **own share** (Eigenanteil = gross − grant) of the measures planned on the line.

Own share, not gross: the coverage service compares the money available on a line with the
measures' own share (grants are income, budgeted as such; DOMAIN.md: "What the Kommune must
finance is the own share"). Registering the gross cost would ask for the grants twice.

Which measures: those whose cost counts or is about to (approved, in progress, submitted,
under review: ``coverage.statuses_for(include_submitted=True)``); drafts, deferred, rejected
and closed measures register nothing. A line belongs to one department (Teilhaushalt); that
department registers it, with the needs of every measure planned on it, also of measures of
other departments (a central licence line carries the schools' licences). The department can
then change any amount with a reason, add a line of its own or propose a line still to be
created. Folgekosten after the horizon have no budget line in the cost plan; a department adds
them to the line it means, with a reason.

Derived again later (the cost plans changed), a line keeps the amounts the department set
itself; lines it left as derived take the new figures.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select, type_coerce

from steuerung.extensions import db
from steuerung.formatting import money
from steuerung.models import (
    BudgetLine,
    CostPlanEntry,
    Measure,
    PlanAmount,
    PlanDepartmentState,
    PlanLine,
    PlanVersion,
    User,
)
from steuerung.models.measure import measure_reference
from steuerung.services.budget.coverage import (
    MONEY_TYPE,
    LineYear,
    grant_expr,
    load_facts,
    statuses_for,
)
from steuerung.services.common.errors import PermissionDenied, ValidationFailed
from steuerung.services.measures.editing import measure_titles
from steuerung.services.planning import rules
from steuerung.services.planning.versions import (
    ensure_open,
    handed_in,
    line_label,
    reference_amounts,
    touch,
)

ZERO = Decimal("0.00")
NONE = LineYear()


def _measure_needs(
    line_ids: list[int], years: list[int]
) -> dict[int, dict[int, dict[int, Decimal]]]:
    """line -> measure -> year -> own share of the registering measures (one query)."""
    rows = db.session.execute(
        select(
            CostPlanEntry.budget_line_id,
            CostPlanEntry.measure_id,
            CostPlanEntry.year,
            type_coerce(func.sum(CostPlanEntry.amount), MONEY_TYPE),
            type_coerce(func.sum(grant_expr()), MONEY_TYPE),
        )
        .join(Measure, Measure.id == CostPlanEntry.measure_id)
        .where(
            CostPlanEntry.budget_line_id.in_(line_ids),
            CostPlanEntry.year.in_(years),
            Measure.status.in_(statuses_for(include_submitted=True)),
        )
        .group_by(CostPlanEntry.budget_line_id, CostPlanEntry.measure_id, CostPlanEntry.year)
    )
    result: dict[int, dict[int, dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for line_id, measure_id, year, gross, grant in rows:
        result[line_id][measure_id][year] = Decimal(gross or 0) - Decimal(grant or 0)
    return result


def _per_year(values: dict[int, Decimal], years: list[int]) -> str:
    return ", ".join(f"{y}: {money(values[y])}" for y in years if values.get(y))


def derive_needs(department_id: int, years: list[int]) -> dict[int, tuple[dict[int, Decimal], str]]:
    """budget line -> (derived amount per year, how it was derived) for the department's
    lines with any need in ``years`` (the rule in the module docstring)."""
    line_ids = list(
        db.session.scalars(select(BudgetLine.id).where(BudgetLine.department_id == department_id))
    )
    if not line_ids:
        return {}
    facts = load_facts(years, include_submitted=True)
    needs = _measure_needs(line_ids, years)
    titles = measure_titles(m for per_line in needs.values() for m in per_line)
    result: dict[int, tuple[dict[int, Decimal], str]] = {}
    for line_id in line_ids:
        stored = {y: facts.figures.get((line_id, y), NONE) for y in years}
        base = {y: f.base_load for y, f in stored.items()}
        ve = {y: f.ve_due for y, f in stored.items()}
        own = {
            y: sum((per_year.get(y, ZERO) for per_year in needs[line_id].values()), ZERO)
            for y in years
        }
        amounts = {y: base.get(y, ZERO) + ve.get(y, ZERO) + own[y] for y in years}
        if not any(amounts.values()):
            continue
        parts = []
        for measure_id, per_year in sorted(needs[line_id].items()):
            if any(per_year.values()):
                parts.append(
                    f"{measure_reference(measure_id)} {titles.get(measure_id, '')}: "
                    f"{_per_year(per_year, years)}"
                )
        text = []
        if parts:
            text.append("Eigenanteil der Maßnahmen – " + "; ".join(parts))
        if any(base.values()):
            text.append("gebunden für laufenden Betrieb – " + _per_year(base, years))
        if any(ve.values()):
            text.append("fällige Verpflichtungsermächtigungen – " + _per_year(ve, years))
        result[line_id] = (amounts, ". ".join(text) + ".")
    return result


def _check_registrar(by: User, version: PlanVersion, department_id: int) -> None:
    ensure_open(version)
    if not rules.is_registration(version):
        raise ValidationFailed("Aus den Kostenplänen wird nur die Anmeldung abgeleitet.")
    state = handed_in(version, department_id)
    if not rules.may_register(by, version, department_id, state is not None):
        if state is not None:
            raise PermissionDenied(
                "Ihr Fachbereich hat die Anmeldung bereits abgegeben. Die Kämmerei kann sie "
                "zur Bearbeitung zurückgeben."
            )
        raise PermissionDenied("Nur der Fachbereich selbst meldet seinen Bedarf an.")


def register_from_cost_plans(version: PlanVersion, department_id: int, *, by: User) -> int:
    """Create (or bring up to date) the department's lines of the Anmeldung from the cost
    plans; returns the number of lines created or changed. Amounts the department set itself
    stay; lines left as derived take the new figures."""
    _check_registrar(by, version, department_id)
    years = version.years
    derived = derive_needs(department_id, years)
    existing = {pl.budget_line_id: pl for pl in version.lines if pl.budget_line_id}
    changed = 0
    for line_id, (amounts, text) in sorted(derived.items()):
        line = existing.get(line_id)
        if line is None:
            budget_line = db.session.get(BudgetLine, line_id)
            assert budget_line is not None
            line = PlanLine(
                key=f"L{line_id}",
                department_id=department_id,
                budget_line=budget_line,
                kind=budget_line.kind,
                derivation=text,
            )
            for year in years:
                line.amounts.append(
                    PlanAmount(year=year, amount=amounts[year], derived_amount=amounts[year])
                )
            version.lines.append(line)
            changed += 1
            continue
        rows = {a.year: a for a in line.amounts}
        before = [(a.year, a.amount, a.derived_amount) for a in line.amounts]
        as_derived = all(
            a.derived_amount is not None and a.amount == a.derived_amount for a in line.amounts
        )
        for year in years:
            row = rows.get(year)
            if row is None:
                line.amounts.append(
                    PlanAmount(year=year, amount=amounts[year], derived_amount=amounts[year])
                )
                continue
            if as_derived:
                row.amount = amounts[year]
            row.derived_amount = amounts[year]
        line.derivation = text
        if before != [(a.year, a.amount, a.derived_amount) for a in line.amounts]:
            changed += 1
    touch(version)
    db.session.flush()
    return changed


def hand_in(version: PlanVersion, department_id: int, *, by: User) -> PlanDepartmentState:
    """The department hands in its Anmeldung; its lines are then closed to it. Every line
    that differs from what the cost plans give (or is new) must carry a reason."""
    _check_registrar(by, version, department_id)
    missing = [
        line
        for line in version.lines
        if line.department_id == department_id
        and not line.reason.strip()
        and rules.needs_reason(
            {a.year: a.amount for a in line.amounts}, reference_amounts(line, None)
        )
    ]
    if missing:
        raise ValidationFailed(
            "Bitte begründen Sie zuerst diese Zeilen: "
            + ", ".join(line_label(line) for line in missing)
            + "."
        )
    state = PlanDepartmentState(department_id=department_id, submitted_by_id=by.id)
    version.department_states.append(state)
    touch(version)
    db.session.flush()
    return state


def reopen(version: PlanVersion, department_id: int, *, by: User) -> None:
    """The treasury gives a handed-in Anmeldung back to its department."""
    ensure_open(version)
    if not rules.may_reopen_registration(by, version):
        raise PermissionDenied("Nur die Kämmerei gibt eine Anmeldung zurück.")
    state = handed_in(version, department_id)
    if state is None:
        raise ValidationFailed("Dieser Fachbereich hat seine Anmeldung noch nicht abgegeben.")
    version.department_states.remove(state)
    touch(version)
    db.session.flush()
