"""Carry-forward of unused authorizations at the year change (Ermächtigungsübertragung).

When the treasury rolls the budget year forward, it may carry unused authorizations of the
closing year into the new one, by decision per line with a reason:

* **eligible**: investive lines always; konsumtiv lines only where declared transferable
  (``rules.is_transferable``);
* **at most the unused authorization** of the closing year = Ansatz + authorizations carried
  into it − Ist (of its latest actuals snapshot). Committed money (Obligo) is part of it:
  open orders are the usual reason to carry money forward;
* the carried amount appears in the new year as "Übertragene Ermächtigungen", beside the
  Ansatz and never added into it (the Ansatz is the council's figure).

A decision can be corrected later (versioned; the audit log keeps every change). An amount
of 0 withdraws it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from steuerung.extensions import db
from steuerung.formatting import money as money_text
from steuerung.models import BudgetKind, CarryForward, Settings, User
from steuerung.models.base import utcnow
from steuerung.services.budget.execution import ZERO, cents, load_lines
from steuerung.services.budget.lines import roll_budget_year
from steuerung.services.budget.rules import is_transferable, may_decide_carry_forward
from steuerung.services.common.errors import PermissionDenied, ValidationFailed
from steuerung.services.common.numbers import MAX_AMOUNT
from steuerung.services.common.settings import get_settings
from steuerung.services.common.versioning import check_version

STALE_MESSAGE = (
    "Die Übertragung wurde inzwischen von einer anderen Person geändert. Ihre Eingaben wurden "
    "nicht gespeichert; bitte laden Sie die Seite neu."
)


@dataclass(frozen=True)
class Candidate:
    """A line whose unused authorization of ``from_year`` may be carried forward."""

    line_id: int
    label: str
    name: str
    kind: BudgetKind
    department_code: str
    budget: Decimal
    carried_in: Decimal
    ist: Decimal
    obligo: Decimal
    #: The existing decision, if any: (amount, reason, version, decided by, decided at).
    decision_id: int | None = None
    decided_amount: Decimal | None = None
    reason: str = ""
    version_id: int | None = None

    @property
    def unused(self) -> Decimal:
        """Unused authorization: Ansatz + carried in − Ist (never below 0)."""
        return max(self.budget + self.carried_in - self.ist, ZERO)


def candidates(from_year: int) -> list[Candidate]:
    """Eligible lines of ``from_year`` with their figures and existing decisions.

    A line is listed when it is eligible and has an unused authorization or a decision.
    """
    facts = load_lines(from_year)
    decisions = {
        d.budget_line_id: d
        for d in db.session.scalars(select(CarryForward).where(CarryForward.from_year == from_year))
    }
    result = []
    for line_id, info in facts.lines.items():
        if not is_transferable(info.kind, info.transferable):
            continue
        decision = decisions.get(line_id)
        candidate = Candidate(
            line_id=line_id,
            label=info.label,
            name=info.name,
            kind=info.kind,
            department_code=info.department_code,
            budget=facts.budget.get(line_id, ZERO),
            carried_in=facts.carried.get(line_id, ZERO),
            ist=facts.ist.get(line_id, ZERO),
            obligo=facts.obligo.get(line_id, ZERO),
            decision_id=decision.id if decision else None,
            decided_amount=cents(decision.amount) if decision else None,
            reason=decision.reason if decision else "",
            version_id=decision.version_id if decision else None,
        )
        if candidate.unused > 0 or decision is not None:
            result.append(candidate)
    result.sort(key=lambda c: (c.kind != BudgetKind.INVESTIVE, c.label))
    return result


@dataclass(frozen=True)
class Decision:
    """A carry-forward decision as entered: amount (None: none) and reason."""

    amount: Decimal | None
    reason: str = ""
    #: Version of an existing decision the form was loaded with.
    version: str | None = None


def _check(by: User) -> None:
    if not may_decide_carry_forward(by):
        raise PermissionDenied("Nur die Kämmerei entscheidet über Ermächtigungsübertragungen.")


def decide(from_year: int, decisions: Mapping[int, Decision], *, by: User) -> list[CarryForward]:
    """Record the decisions per line id for ``from_year`` (carried into ``from_year + 1``).

    Every decision is checked before the first write (amount not negative and at most the
    unused authorization, reason required, line eligible, stale versions refused); a
    :class:`ValidationFailed` names the field ``cf_amount_<line>`` or ``cf_reason_<line>``.
    An empty amount leaves a line without decision; 0 withdraws an existing one.
    """
    _check(by)
    by_line = {c.line_id: c for c in candidates(from_year)}
    existing = {
        d.budget_line_id: d
        for d in db.session.scalars(select(CarryForward).where(CarryForward.from_year == from_year))
    }
    work: list[tuple[int, Decimal, str]] = []
    for line_id, decision in sorted(decisions.items()):
        current = existing.get(line_id)
        if decision.amount is None:
            continue
        candidate = by_line.get(line_id)
        if candidate is None:
            raise ValidationFailed(
                "Diese Haushaltsstelle kann nicht übertragen werden (konsumtiv und nicht als "
                "übertragbar erklärt, oder ohne Ansatz).",
                f"cf_amount_{line_id}",
            )
        amount, reason = decision.amount, (decision.reason or "").strip()
        if amount < 0 or amount > MAX_AMOUNT:
            raise ValidationFailed("Der Betrag darf nicht negativ sein.", f"cf_amount_{line_id}")
        if amount > candidate.unused:
            raise ValidationFailed(
                f"{candidate.label}: höchstens die nicht verbrauchte Ermächtigung "
                f"{money_text(candidate.unused)} (Ansatz + übertragen − Ist).",
                f"cf_amount_{line_id}",
            )
        if amount > 0 and not reason:
            raise ValidationFailed(
                f"{candidate.label}: Bitte die Übertragung begründen.", f"cf_reason_{line_id}"
            )
        if len(reason) > 2000:
            raise ValidationFailed("Höchstens 2000 Zeichen.", f"cf_reason_{line_id}")
        if current is not None:
            check_version(current, decision.version, STALE_MESSAGE)
            if current.amount == amount and current.reason == reason:
                continue
        elif amount == 0:
            continue
        work.append((line_id, amount, reason))
    written = []
    for line_id, amount, reason in work:
        record = existing.get(line_id)
        if record is None:
            record = CarryForward(
                budget_line_id=line_id, from_year=from_year, to_year=from_year + 1
            )
            db.session.add(record)
        record.amount = amount
        record.reason = reason
        record.decided_by_id = by.id
        record.decided_at = utcnow()
        written.append(record)
    db.session.flush()
    return written


def roll_with_carry_forward(
    *, by: User, new_year: int, decisions: Mapping[int, Decision]
) -> Settings:
    """The year change: record the carry-forward decisions of the closing year, then move
    the budget year (one transaction; the caller commits). Without decisions (or when the
    user may not decide them, e.g. the administration) only the year moves."""
    old_year = get_settings().budget_year
    if any(d.amount is not None for d in decisions.values()):
        decide(old_year, decisions, by=by)
    return roll_budget_year(by=by, new_year=new_year)


@dataclass(frozen=True)
class CarriedRow:
    """A decided carry-forward into a year, for tables and exports."""

    line_id: int
    label: str
    name: str
    kind: BudgetKind
    from_year: int
    amount: Decimal
    reason: str
    decided_by: str
    decided_at: object


def carried_into(year: int, line_id: int | None = None) -> list[CarriedRow]:
    """Decided carry-forwards into ``year`` (amount above 0), with line and who decided."""
    from steuerung.models import BudgetLine

    query = (
        select(CarryForward, BudgetLine, User.full_name)
        .join(BudgetLine, BudgetLine.id == CarryForward.budget_line_id)
        .outerjoin(User, User.id == CarryForward.decided_by_id)
        .where(CarryForward.to_year == year, CarryForward.amount > 0)
        .order_by(BudgetLine.product, BudgetLine.cost_center, BudgetLine.account)
    )
    if line_id is not None:
        query = query.where(CarryForward.budget_line_id == line_id)
    return [
        CarriedRow(
            line_id=line.id,
            label=line.label,
            name=line.name,
            kind=line.kind,
            from_year=record.from_year,
            amount=cents(record.amount),
            reason=record.reason,
            decided_by=who or "",
            decided_at=record.decided_at,
        )
        for record, line, who in db.session.execute(query)
    ]
