"""The lifecycle of a grant: application, decision (Förderbescheid), calls for funds
(Mittelabruf) and the proof of use (Verwendungsnachweis).

Services flush, never commit; they raise German ``ValidationFailed`` naming the form field.
Every change is audited by the session hook and checked against the version the form was
loaded with (a grant's version rises also when one of its calls changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import selectinload

from steuerung.extensions import db
from steuerung.formatting import money
from steuerung.models import (
    CostPlanEntry,
    Department,
    FundingSource,
    Grant,
    GrantCall,
    GrantStatus,
    Measure,
    User,
)
from steuerung.models.measure import measure_reference
from steuerung.services.budget.coverage import grant_expr
from steuerung.services.common.clock import today as clock_today
from steuerung.services.common.errors import PermissionDenied, ValidationFailed
from steuerung.services.common.numbers import MAX_AMOUNT
from steuerung.services.common.versioning import check_version
from steuerung.services.grants import rules

ZERO = Decimal("0.00")
GRANT_STALE_MESSAGE = (
    "Die Förderung wurde inzwischen von einer anderen Person geändert. Ihre Eingaben wurden "
    "nicht gespeichert; bitte prüfen Sie den aktuellen Stand."
)


@dataclass
class GrantData:
    """What the grant form hands in."""

    programme: str
    status: GrantStatus
    funding_body: str = ""
    applied_on: date | None = None
    applied_amount: Decimal | None = None
    decision_date: date | None = None
    file_number: str = ""
    approval_from: date | None = None
    approval_to: date | None = None
    eligible_cost: Decimal | None = None
    grant_amount: Decimal | None = None
    proof_due_on: date | None = None
    proof_submitted_on: date | None = None
    note: str = ""


def _check_editor(by: User, measure: Measure) -> None:
    if not rules.may_edit_grants(by, measure):
        raise PermissionDenied(
            "Förderungen dieser Maßnahme pflegen ihr Fachbereich, die Koordinationsstelle und "
            "die Kämmerei."
        )


def _amount(value: Decimal | None, field: str, label: str) -> None:
    if value is not None and (value < 0 or value > MAX_AMOUNT):
        raise ValidationFailed(f"{label}: bitte einen Betrag zwischen 0 und {MAX_AMOUNT}.", field)


def _not_future(value: date | None, field: str, label: str, today: date) -> None:
    if value is not None and value > today:
        raise ValidationFailed(f"{label} darf nicht in der Zukunft liegen.", field)


def validate(data: GrantData, today: date | None = None) -> GrantData:
    """Check the grant's data against its status; returns it cleaned."""
    today = today or clock_today()
    programme = (data.programme or "").strip()
    if not programme:
        raise ValidationFailed("Bitte das Förderprogramm angeben.", "programme")
    if len(programme) > 200:
        raise ValidationFailed("Das Förderprogramm darf höchstens 200 Zeichen haben.", "programme")
    funding_body = (data.funding_body or "").strip()
    if len(funding_body) > 200:
        raise ValidationFailed("Der Fördergeber darf höchstens 200 Zeichen haben.", "funding_body")
    file_number = (data.file_number or "").strip()
    if len(file_number) > 100:
        raise ValidationFailed("Das Aktenzeichen darf höchstens 100 Zeichen haben.", "file_number")
    note = (data.note or "").strip()
    if len(note) > 4000:
        raise ValidationFailed("Der Vermerk darf höchstens 4000 Zeichen haben.", "note")
    _amount(data.applied_amount, "applied_amount", "Beantragter Betrag")
    _amount(data.eligible_cost, "eligible_cost", "Zuwendungsfähige Ausgaben")
    _amount(data.grant_amount, "grant_amount", "Bewilligte Zuwendung")
    _not_future(data.applied_on, "applied_on", "Das Antragsdatum", today)
    _not_future(data.decision_date, "decision_date", "Das Datum des Bescheids", today)
    _not_future(
        data.proof_submitted_on, "proof_submitted_on", "Die Abgabe des Verwendungsnachweises", today
    )
    status = data.status
    if status != GrantStatus.PLANNED and data.applied_on is None:
        raise ValidationFailed("Bitte das Datum des Antrags angeben.", "applied_on")
    if data.decision_date and data.applied_on and data.decision_date < data.applied_on:
        raise ValidationFailed(
            "Der Bescheid kann nicht vor dem Antrag ergangen sein.", "decision_date"
        )
    if data.approval_from and data.approval_to and data.approval_to < data.approval_from:
        raise ValidationFailed("Der Bewilligungszeitraum endet vor seinem Beginn.", "approval_to")
    if status in rules.DECIDED_STATUSES:
        required = (
            ("decision_date", data.decision_date, "das Datum des Bescheids"),
            ("file_number", file_number, "das Aktenzeichen"),
            ("approval_from", data.approval_from, "den Beginn des Bewilligungszeitraums"),
            ("approval_to", data.approval_to, "das Ende des Bewilligungszeitraums"),
            ("eligible_cost", data.eligible_cost, "die zuwendungsfähigen Ausgaben"),
            ("grant_amount", data.grant_amount, "die bewilligte Zuwendung"),
            ("proof_due_on", data.proof_due_on, "die Frist des Verwendungsnachweises"),
        )
        for field, value, label in required:
            if value is None or value == "":
                raise ValidationFailed(
                    f"Eine bewilligte Förderung braucht die Angaben des Bescheids: bitte {label} "
                    "angeben.",
                    field,
                )
        assert data.grant_amount is not None and data.eligible_cost is not None
        if data.grant_amount > data.eligible_cost:
            raise ValidationFailed(
                "Die Zuwendung kann die zuwendungsfähigen Ausgaben nicht übersteigen.",
                "grant_amount",
            )
    if status == GrantStatus.CLOSED and data.proof_submitted_on is None:
        raise ValidationFailed(
            "Abgeschlossen ist eine Förderung erst mit dem eingereichten Verwendungsnachweis: "
            "bitte das Datum der Abgabe angeben.",
            "proof_submitted_on",
        )
    return GrantData(
        programme=programme,
        status=status,
        funding_body=funding_body,
        applied_on=data.applied_on,
        applied_amount=data.applied_amount,
        decision_date=data.decision_date,
        file_number=file_number,
        approval_from=data.approval_from,
        approval_to=data.approval_to,
        eligible_cost=data.eligible_cost,
        grant_amount=data.grant_amount,
        proof_due_on=data.proof_due_on,
        proof_submitted_on=data.proof_submitted_on,
        note=note,
    )


def save_grant(
    measure: Measure,
    data: GrantData,
    *,
    by: User,
    grant: Grant | None = None,
    expected_version: object = None,
) -> Grant:
    """Record a new grant of ``measure`` or change ``grant``; flushes."""
    _check_editor(by, measure)
    if grant is not None:
        if grant.measure_id != measure.id:
            raise PermissionDenied("Diese Förderung gehört zu einer anderen Maßnahme.")
        check_version(grant, expected_version, GRANT_STALE_MESSAGE)
    clean = validate(data)
    if grant is not None and clean.grant_amount is not None and grant.called > clean.grant_amount:
        raise ValidationFailed(
            "Es ist schon mehr abgerufen, als die Zuwendung nun betrüge.", "grant_amount"
        )
    if grant is None:
        grant = Grant(measure_id=measure.id)
        db.session.add(grant)
    for name in GrantData.__dataclass_fields__:
        setattr(grant, name, getattr(clean, name))
    db.session.flush()
    return grant


def add_call(
    grant: Grant,
    called_on: date | None,
    amount: Decimal | None,
    *,
    by: User,
    expected_version: object,
    received_on: date | None = None,
    note: str = "",
) -> GrantCall:
    """Record a call for funds of an approved grant (the calls never exceed the grant)."""
    _check_editor(by, grant.measure)
    check_version(grant, expected_version, GRANT_STALE_MESSAGE)
    if grant.status != GrantStatus.APPROVED:
        raise ValidationFailed("Mittel werden nur aus einer bewilligten Förderung abgerufen.")
    today = clock_today()
    if called_on is None:
        raise ValidationFailed("Bitte das Datum des Abrufs angeben.", "called_on")
    _not_future(called_on, "called_on", "Der Abruf", today)
    if grant.decision_date and called_on < grant.decision_date:
        raise ValidationFailed("Abgerufen wird erst nach dem Bescheid.", "called_on")
    if amount is None or amount <= 0:
        raise ValidationFailed("Bitte einen Betrag größer als 0 angeben.", "amount")
    assert grant.grant_amount is not None
    if grant.called + amount > grant.grant_amount:
        raise ValidationFailed(
            f"Abrufbar sind noch {money(grant.grant_amount - grant.called)}.", "amount"
        )
    _check_received(called_on, received_on, today)
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationFailed("Der Vermerk darf höchstens 200 Zeichen haben.", "note")
    call = GrantCall(called_on=called_on, amount=amount, received_on=received_on, note=note)
    grant.calls.append(call)
    db.session.flush()
    return call


def _check_received(called_on: date, received_on: date | None, today: date) -> None:
    if received_on is None:
        return
    _not_future(received_on, "received_on", "Der Zahlungseingang", today)
    if received_on < called_on:
        raise ValidationFailed("Das Geld kann nicht vor dem Abruf eingegangen sein.", "received_on")


def mark_received(
    call: GrantCall, received_on: date | None, *, by: User, expected_version: object
) -> GrantCall:
    """Record that the money of a call has arrived."""
    grant = call.grant
    _check_editor(by, grant.measure)
    check_version(grant, expected_version, GRANT_STALE_MESSAGE)
    if received_on is None:
        raise ValidationFailed("Bitte das Datum des Zahlungseingangs angeben.", "received_on")
    _check_received(call.called_on, received_on, clock_today())
    call.received_on = received_on
    db.session.flush()
    return call


def remove_call(call: GrantCall, *, by: User, expected_version: object) -> None:
    """Remove a call recorded by mistake (the audit log keeps it)."""
    grant = call.grant
    _check_editor(by, grant.measure)
    check_version(grant, expected_version, GRANT_STALE_MESSAGE)
    grant.calls.remove(call)
    db.session.flush()


def grants_of(measure_id: int) -> list[Grant]:
    """A measure's grants with their calls, oldest first."""
    return list(
        db.session.scalars(
            select(Grant)
            .options(selectinload(Grant.calls))
            .where(Grant.measure_id == measure_id)
            .order_by(Grant.created_at, Grant.id)
        )
    )


def programme_suggestions(measure_id: int) -> list[str]:
    """Funding programmes named in the measure's cost plan (the form offers them)."""
    return list(
        db.session.scalars(
            select(CostPlanEntry.funding_programme)
            .where(
                CostPlanEntry.measure_id == measure_id,
                CostPlanEntry.funding_source != FundingSource.OWN,
                CostPlanEntry.funding_programme != "",
            )
            .distinct()
            .order_by(CostPlanEntry.funding_programme)
        )
    )


def planned_grant(measure_id: int) -> Decimal:
    """Grant income the measure's cost plan expects over all its years."""
    value = db.session.scalar(
        select(func.sum(grant_expr())).where(CostPlanEntry.measure_id == measure_id)
    )
    return Decimal(value or 0).quantize(Decimal("0.01"))


# --------------------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class DeadlineRow:
    """A grant whose proof of use is due or overdue, for lists (no ORM object)."""

    grant_id: int
    measure_id: int
    measure_title: str
    department_code: str
    owner_name: str
    programme: str
    file_number: str
    grant_amount: Decimal | None
    proof_due_on: date
    state: rules.DeadlineState
    days: int

    @property
    def measure_reference(self) -> str:
        """``M-0042``."""
        return measure_reference(self.measure_id)

    @property
    def days_text(self) -> str:
        """``seit 3 Tagen``, ``heute``, ``in 12 Tagen`` (German, singular and plural)."""
        if self.days == 0:
            return "heute"
        n = abs(self.days)
        unit = "Tag" if n == 1 else "Tagen"
        return f"seit {n} {unit}" if self.days < 0 else f"in {n} {unit}"


@dataclass
class Deadlines:
    """Due and overdue proofs of use of a selection of measures."""

    rows: list[DeadlineRow]
    overdue: int
    due: int
    limit: int | None

    @property
    def total(self) -> int:
        """All due and overdue deadlines (``rows`` may hold only the first ``limit``)."""
        return self.overdue + self.due


def deadlines(
    conditions: list[ColumnElement[bool]] | None = None,
    today: date | None = None,
    limit: int | None = None,
) -> Deadlines:
    """Grants of the measures matching ``conditions`` (SQL on ``Measure``) whose proof of use
    is overdue or due within the window, earliest first (two queries)."""
    today = today or clock_today()
    where = [rules.due_or_overdue_clause(today), *(conditions or [])]
    overdue, due = db.session.execute(
        select(
            func.coalesce(func.sum(case((rules.overdue_clause(today), 1), else_=0)), 0),
            func.coalesce(func.sum(case((rules.due_clause(today), 1), else_=0)), 0),
        )
        .select_from(Grant)
        .join(Measure, Measure.id == Grant.measure_id)
        .where(*where)
    ).one()
    query = (
        select(
            Grant.id,
            Grant.measure_id,
            Grant.programme,
            Grant.file_number,
            Grant.grant_amount,
            Grant.proof_due_on,
            Measure.title,
            Department.code,
            User.full_name,
        )
        .join(Measure, Measure.id == Grant.measure_id)
        .join(Department, Department.id == Measure.department_id)
        .outerjoin(User, User.id == Measure.owner_id)
        .where(*where)
        .order_by(Grant.proof_due_on, Grant.id)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = []
    for row in db.session.execute(query):
        due_on: date = row.proof_due_on
        rows.append(
            DeadlineRow(
                grant_id=row.id,
                measure_id=row.measure_id,
                measure_title=row.title,
                department_code=row.code,
                owner_name=row.full_name or "",
                programme=row.programme,
                file_number=row.file_number,
                grant_amount=row.grant_amount,
                proof_due_on=due_on,
                state=rules.DeadlineState.OVERDUE if due_on < today else rules.DeadlineState.DUE,
                days=(due_on - today).days,
            )
        )
    return Deadlines(rows, int(overdue or 0), int(due or 0), limit)


@dataclass(frozen=True)
class OverviewRow:
    """A grant in the overview of all grants."""

    grant: Grant
    state: rules.DeadlineState | None


def overview(conditions: list[ColumnElement[bool]], today: date | None = None) -> list[OverviewRow]:
    """Every grant of the measures matching ``conditions``, with measure and calls loaded."""
    today = today or clock_today()
    grants = db.session.scalars(
        select(Grant)
        .options(
            selectinload(Grant.calls),
            selectinload(Grant.measure).selectinload(Measure.owner),
        )
        .join(Measure, Measure.id == Grant.measure_id)
        .where(*conditions)
        .order_by(Grant.proof_due_on.is_(None), Grant.proof_due_on, Grant.id)
    )
    return [OverviewRow(g, rules.deadline_state(g, today)) for g in grants]


def deadlines_for_list(
    user: User,
    *,
    own_only: bool,
    department_id: int | None = None,
    today: date | None = None,
    limit: int | None = 20,
) -> Deadlines:
    """Deadlines of the measures list's scope: what ``user`` reads, their own department
    ("Meine Maßnahmen") or the chosen one."""
    from steuerung.services.measures.rules import visible_measures_filter

    conditions = [visible_measures_filter(user)]
    if own_only:
        conditions.append(Measure.department_id == user.department_id)
    if department_id:
        conditions.append(Measure.department_id == department_id)
    return deadlines(conditions, today, limit)
