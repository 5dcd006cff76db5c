"""Measures: create and update from form data, per-state editable fields, change requests.

Views hand in plain data (``form.measure_data()``); this module checks the business rules
again (ids, years, amounts, dates, lengths) so that nothing invalid reaches the database even
if a form is bypassed, applies the changes and flushes. It never commits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from steuerung.extensions import db
from steuerung.formatting import date_de, number
from steuerung.models import (
    ActionField,
    Agenda,
    AgendaStatus,
    AuditEntry,
    BudgetKind,
    BudgetLine,
    ChangeRequest,
    ChangeRequestStatus,
    CostPlanEntry,
    Department,
    FundingSource,
    Goal,
    KeyFigure,
    KeyFigureValue,
    Measure,
    MeasureCategory,
    MeasureComment,
    MeasureKind,
    MeasureStatus,
    Milestone,
    OzgImplementation,
    StatusChange,
    StatusReport,
    User,
)
from steuerung.models.base import utcnow
from steuerung.services.common.errors import PermissionDenied, ValidationFailed
from steuerung.services.common.settings import get_settings
from steuerung.services.common.versioning import check_version as check_saved_version
from steuerung.services.measures.rules import (
    CHANGE_REQUEST_STATUSES,
    can_edit_measure,
    editable_fields,
    may_answer_question,
    may_create_for_any_department,
    may_decide_change_requests,
)

S = MeasureStatus

STALE_MESSAGE = (
    "Die Maßnahme wurde inzwischen von einer anderen Person gespeichert. Ihre Änderungen "
    "wurden nicht übernommen. Unten sehen Sie Ihre Eingaben und den aktuell gespeicherten "
    "Stand. Prüfen Sie beides; wenn Sie erneut speichern, gelten Ihre Eingaben."
)

#: An action on the detail page (answer, report, key figure ...) based on an old page.
STALE_ACTION = (
    "Die Maßnahme wurde inzwischen von einer anderen Person geändert. Ihre Eingabe wurde "
    "nicht gespeichert; sie steht noch im Formular. Bitte prüfen Sie den aktuellen Stand und "
    "senden Sie sie erneut ab."
)

#: Text limits (mirror the columns).
LIMITS = {
    "title": 200,
    "description": 10000,
    "contact": 200,
    "legal_basis": 200,
    "ozg_leika_key": 20,
    "ozg_service_name": 200,
}

#: German names of the fields, for the history tab.
FIELD_LABELS: dict[str, str] = {
    "title": "Titel",
    "description": "Beschreibung",
    "category": "Kategorie",
    "kind": "Art",
    "status": "Status",
    "goals": "Ziele",
    "legal_obligation": "Rechtliche Verpflichtung",
    "legal_basis": "Rechtsgrundlage",
    "legal_deadline": "Gesetzliche Frist",
    "operation_critical": "Betriebskritisch",
    "political_mandate": "Politischer Auftrag",
    "ozg_leika_key": "LeiKa-Schlüssel",
    "ozg_service_name": "OZG-Leistung",
    "ozg_maturity_level": "OZG-Reifegrad",
    "ozg_implementation": "Umsetzungsweg",
    "owner_id": "Verantwortliche Person",
    "contact": "Kontakt",
    "start_date": "Beginn",
    "end_date": "Ende",
    "running_cost_after_horizon": "Folgekosten pro Jahr nach dem Planungszeitraum",
    "running_costs_per_year": "Folgekosten pro Jahr",
    "useful_life_years": "Nutzungsdauer (Jahre)",
    "contractually_bound": "Vertraglich gebunden",
    "department_id": "Fachbereich",
    "created_by_id": "Angelegt von",
    "created_at": "Angelegt am",
    "submitted_at": "Eingereicht am",
    "last_report_on": "Letzter Statusbericht",
    "report_interval_days": "Berichtsintervall (Tage)",
    "score": "Punktzahl",
    "priority_class": "Prioritätsklasse",
    "rank_override": "Manueller Rang",
    "rank_override_reason": "Begründung Rang",
    "budget_line_id": "Haushaltsstelle",
    "year": "Jahr",
    "amount": "Betrag",
    "funding_source": "Finanzierung",
    "funding_programme": "Förderprogramm",
    "funding_share": "Förderquote",
    "is_running_cost": "Folgekosten",
    "measure_id": "Maßnahme",
    "due_date": "Fällig am",
    "done_on": "Erreicht am",
    "reported_on": "Stichtag",
    "schedule_light": "Ampel Termine",
    "cost_light": "Ampel Kosten",
    "scope_light": "Ampel Leistungsumfang",
    "progress_percent": "Fortschritt",
    "text": "Sachstand",
    "next_steps": "Nächste Schritte",
    "risks": "Risiken",
    "author_id": "Verfasst von",
    "name": "Name",
    "unit": "Einheit",
    "baseline": "Ausgangswert",
    "target": "Zielwert",
    "measured_on": "Gemessen am",
    "value": "Wert",
    "key_figure_id": "Kennzahl",
    "reason": "Begründung",
    "payload": "Antrag",
    "requested_by_id": "Beantragt von",
    "decided_by_id": "Entschieden von",
    "decided_at": "Entschieden am",
    "decision_note": "Anmerkung",
    # Grants (services.grants)
    "programme": "Förderprogramm",
    "funding_body": "Fördergeber",
    "applied_on": "Antrag gestellt am",
    "applied_amount": "Beantragter Betrag",
    "decision_date": "Bescheid vom",
    "file_number": "Aktenzeichen",
    "approval_from": "Bewilligungszeitraum von",
    "approval_to": "Bewilligungszeitraum bis",
    "eligible_cost": "Zuwendungsfähige Ausgaben",
    "grant_amount": "Bewilligte Zuwendung",
    "proof_due_on": "Verwendungsnachweis fällig am",
    "proof_submitted_on": "Verwendungsnachweis eingereicht am",
    "note": "Vermerk",
    "called_on": "Abgerufen am",
    "received_on": "Eingegangen am",
    "grant_id": "Förderung",
    "published": "Auf der Transparenzseite veröffentlicht",
    "public_show_owner": "Verantwortliche Person öffentlich genannt",
    "public_description": "Öffentliche Kurzbeschreibung",
}
#: German names of the records on the history tab.
ENTITY_LABELS = {
    "measures": "Maßnahme",
    "cost_plan_entries": "Kostenplan",
    "milestones": "Meilenstein",
    "status_reports": "Statusbericht",
    "key_figures": "Kennzahl",
    "key_figure_values": "Kennzahl-Wert",
    "change_requests": "Änderungsantrag",
    "grants": "Förderung",
    "grant_calls": "Mittelabruf",
}
ACTION_LABELS = {"create": "angelegt", "update": "geändert", "delete": "gelöscht"}


@dataclass
class MeasureChoices:
    """Choices of the measure form, read from the database."""

    goals: list[tuple[int, str]] = field(default_factory=list)
    owners: list[tuple[int, str]] = field(default_factory=list)
    budget_lines: list[tuple[int, str]] = field(default_factory=list)
    years: list[int] = field(default_factory=list)


# --------------------------------------------------------------------------- choices


def form_choices(department: Department, measure: Measure | None = None) -> MeasureChoices:
    """Choices for the measure form of ``department`` (values already linked stay valid)."""
    goals = db.session.execute(
        select(Goal.id, Goal.code, Goal.title, ActionField.name)
        .join(ActionField, Goal.action_field_id == ActionField.id)
        .join(Agenda, ActionField.agenda_id == Agenda.id)
        .where(Agenda.status == AgendaStatus.ADOPTED)
        .order_by(ActionField.position, Goal.position, Goal.code)
    ).all()
    goal_choices = [(g.id, f"{g.code} – {g.title} ({g.name})") for g in goals]
    owners = db.session.execute(
        select(User.id, User.full_name)
        .where(User.department_id == department.id, User.is_active_user.is_(True))
        .order_by(User.full_name)
    ).all()
    owner_choices = [(u.id, u.full_name) for u in owners]
    lines = db.session.execute(
        select(BudgetLine, Department.code)
        .join(Department, BudgetLine.department_id == Department.id)
        .where(BudgetLine.is_active.is_(True))
        .order_by(
            (BudgetLine.department_id != department.id),
            Department.code,
            BudgetLine.product,
            BudgetLine.cost_center,
        )
    ).all()
    line_choices = [
        (line.id, f"{line.label} – {line.name} ({code}, {line.kind.label})") for line, code in lines
    ]
    years = list(get_settings().horizon)
    if measure is not None:
        known = {g for g, _ in goal_choices}
        goal_choices += [
            (g.id, f"{g.code} – {g.title}") for g in measure.goals if g.id not in known
        ]
        if measure.owner is not None and measure.owner_id not in {o for o, _ in owner_choices}:
            owner_choices.append((measure.owner.id, measure.owner.full_name))
        known_lines = {line for line, _ in line_choices}
        for entry in measure.cost_plan:
            if entry.budget_line_id not in known_lines:
                line_choices.append((entry.budget_line_id, entry.budget_line.label))
                known_lines.add(entry.budget_line_id)
        years = sorted(set(years) | {e.year for e in measure.cost_plan})
    return MeasureChoices(goal_choices, owner_choices, line_choices, years)


def creatable_departments(user: User) -> list[Department]:
    """Departments ``user`` may create measures for (the office: every active one)."""
    if not may_create_for_any_department(user):
        return [user.department]
    return list(
        db.session.scalars(
            select(Department).where(Department.is_active.is_(True)).order_by(Department.code)
        )
    )


def default_budget_line_id(department: Department) -> int | None:
    """The department's first active budget line (pre-selected in new cost rows)."""
    return db.session.scalar(
        select(BudgetLine.id)
        .where(BudgetLine.department_id == department.id, BudgetLine.is_active.is_(True))
        .order_by(BudgetLine.product, BudgetLine.cost_center)
        .limit(1)
    )


# --------------------------------------------------------------------------- editing rules


def check_version(measure: Measure, expected_version: Any, message: str = STALE_ACTION) -> None:
    """Raise ``StaleObject`` unless ``expected_version`` is the measure's saved version
    (a missing version is refused too)."""
    check_saved_version(measure, expected_version, message)


# --------------------------------------------------------------------------- validation


def _as_decimal(value: Any, field_name: str) -> Decimal:
    try:
        amount = Decimal(str(value if value is not None else "0"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed("Bitte geben Sie eine Zahl ein.", field=field_name) from None
    if amount < 0:
        raise ValidationFailed("Der Betrag darf nicht negativ sein.", field=field_name)
    if amount > Decimal("999999999999.99"):
        raise ValidationFailed("Der Betrag ist zu groß.", field=field_name)
    return amount.quantize(Decimal("0.01"))


def validate_cost_rows(rows: list[dict[str, Any]], choices: MeasureChoices) -> list[dict[str, Any]]:
    """Check and normalise cost rows; raise ``ValidationFailed`` on the first bad value."""
    years = set(choices.years)
    lines = {line_id for line_id, _ in choices.budget_lines}
    clean = []
    for index, row in enumerate(rows):
        prefix = f"cost_plan-{index}-"
        try:
            year = int(row.get("year"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            year = None
        if year not in years:
            raise ValidationFailed(
                "Das Jahr liegt nicht im Planungszeitraum.", field=prefix + "year"
            )
        if row.get("budget_line_id") not in lines:
            raise ValidationFailed(
                "Diese Haushaltsstelle gibt es nicht (oder sie ist nicht aktiv).",
                field=prefix + "budget_line_id",
            )
        share = _as_decimal(row.get("funding_share") or 0, prefix + "funding_share")
        if share > 100:
            raise ValidationFailed(
                "Die Förderquote darf höchstens 100 % betragen.", field=prefix + "funding_share"
            )
        try:
            source = FundingSource(row.get("funding_source") or FundingSource.OWN)
        except ValueError:
            raise ValidationFailed("Ungültige Auswahl.", field=prefix + "funding_source") from None
        programme = str(row.get("funding_programme") or "").strip()
        if len(programme) > 200:
            raise ValidationFailed("Höchstens 200 Zeichen.", field=prefix + "funding_programme")
        clean.append(
            {
                "year": year,
                "budget_line_id": int(row["budget_line_id"]),
                "amount": _as_decimal(row.get("amount"), prefix + "amount"),
                "funding_source": source,
                "funding_programme": programme,
                "funding_share": share,
                "is_running_cost": bool(row.get("is_running_cost")),
            }
        )
    return clean


def validate_measure_data(
    data: dict[str, Any], choices: MeasureChoices, merged_dates: tuple[Any, Any]
) -> dict[str, Any]:
    """Check the business rules of ``data``; return normalised data or raise."""
    clean = dict(data)
    for name, limit in LIMITS.items():
        if name in clean:
            clean[name] = (clean[name] or "").strip()
            if len(clean[name]) > limit:
                raise ValidationFailed(f"Höchstens {limit} Zeichen.", field=name)
    if "title" in clean and not clean["title"]:
        raise ValidationFailed("Bitte geben Sie einen Titel ein.", field="title")
    for name, enum_cls in (
        ("category", MeasureCategory),
        ("kind", MeasureKind),
        ("ozg_implementation", OzgImplementation),
    ):
        if name in clean:
            value = clean[name]
            if value in (None, "") and name == "ozg_implementation":
                clean[name] = None
                continue
            try:
                clean[name] = enum_cls(value)
            except ValueError:
                raise ValidationFailed(
                    "Bitte wählen Sie einen Eintrag der Liste.", field=name
                ) from None
    level = clean.get("ozg_maturity_level")
    if level is not None and level not in range(0, 8):
        raise ValidationFailed("Der Reifegrad liegt zwischen 0 und 7.", field="ozg_maturity_level")
    if "goals" in clean:
        allowed = {goal_id for goal_id, _ in choices.goals}
        goal_ids = [int(g) for g in clean["goals"] or []]
        if any(g not in allowed for g in goal_ids):
            raise ValidationFailed(
                "Bitte wählen Sie nur Ziele der beschlossenen Digitalen Agenda.", field="goals"
            )
        clean["goals"] = goal_ids
    owner_id = clean.get("owner_id")
    if owner_id is not None and owner_id not in {o for o, _ in choices.owners}:
        raise ValidationFailed(
            "Bitte wählen Sie eine aktive Person Ihres Fachbereichs.", field="owner_id"
        )
    start, end = merged_dates
    if start and end and end < start:
        raise ValidationFailed("Das Ende darf nicht vor dem Beginn liegen.", field="end_date")
    if "running_cost_after_horizon" in clean:
        clean["running_cost_after_horizon"] = _as_decimal(
            clean["running_cost_after_horizon"], "running_cost_after_horizon"
        )
    life = clean.get("useful_life_years")
    if life is not None and not (isinstance(life, int) and 1 <= life <= 100):
        raise ValidationFailed(
            "Bitte eine Nutzungsdauer zwischen 1 und 100 Jahren.", field="useful_life_years"
        )
    if "cost_plan" in clean:
        clean["cost_plan"] = validate_cost_rows(clean["cost_plan"] or [], choices)
    if "milestones" in clean:
        for index, row in enumerate(clean["milestones"] or []):
            if not row.get("title") or not isinstance(row.get("due_date"), date):
                raise ValidationFailed(
                    "Bitte Titel und Datum angeben.", field=f"milestones-{index}-title"
                )
            if len(row["title"]) > 200:
                raise ValidationFailed("Höchstens 200 Zeichen.", field=f"milestones-{index}-title")
    return clean


# --------------------------------------------------------------------------- saving


def _apply_cost_plan(measure: Measure, rows: list[dict[str, Any]]) -> None:
    """Make the cost plan equal ``rows``, updating matching entries in place (clean audit)."""
    existing: dict[tuple[int, int, bool], list[CostPlanEntry]] = defaultdict(list)
    for entry in measure.cost_plan:
        existing[(entry.budget_line_id, entry.year, entry.is_running_cost)].append(entry)
    keep: list[CostPlanEntry] = []
    for row in rows:
        key = (row["budget_line_id"], row["year"], row["is_running_cost"])
        found = existing[key].pop(0) if existing[key] else None
        if found is None:
            found = CostPlanEntry(**row)
            measure.cost_plan.append(found)
        else:
            for name, value in row.items():
                if getattr(found, name) != value:
                    setattr(found, name, value)
        keep.append(found)
    for entries in existing.values():
        for entry in entries:
            measure.cost_plan.remove(entry)


def _apply_milestones(measure: Measure, rows: list[dict[str, Any]]) -> None:
    by_title = {m.title: m for m in measure.milestones}
    seen = set()
    for row in rows:
        milestone = by_title.get(row["title"])
        if milestone is None or row["title"] in seen:
            measure.milestones.append(Milestone(title=row["title"], due_date=row["due_date"]))
        elif milestone.due_date != row["due_date"]:
            milestone.due_date = row["due_date"]
        seen.add(row["title"])
    for milestone in list(measure.milestones):
        if milestone.id is not None and milestone.title not in seen:
            measure.milestones.remove(milestone)


def save_measure(
    measure: Measure | None,
    data: dict[str, Any],
    by: User,
    choices: MeasureChoices,
    expected_version: Any = None,
    department: Department | None = None,
    creation_token: str | None = None,
) -> Measure:
    """Create (``measure`` None) or update a measure from form data; flushes.

    Only the fields ``by`` may edit in the measure's state are applied. A new measure
    belongs to ``by``'s department; the coordinating office may name another one.
    Raises ``StaleObject`` if ``expected_version`` is not the saved version,
    ``ValidationFailed`` on bad values and ``PermissionDenied`` if nothing may be edited.
    """
    allowed = editable_fields(measure, by)
    if not allowed:
        raise PermissionDenied("Sie dürfen diese Maßnahme in diesem Status nicht bearbeiten.")
    if (
        measure is None
        and department is not None
        and department.id != by.department_id
        and not may_create_for_any_department(by)
    ):
        raise PermissionDenied("Sie können Maßnahmen nur für Ihren eigenen Fachbereich anlegen.")
    if measure is not None:
        check_version(measure, expected_version, STALE_MESSAGE)
    data = {k: v for k, v in data.items() if k in allowed}
    start = data["start_date"] if "start_date" in data else getattr(measure, "start_date", None)
    end = data["end_date"] if "end_date" in data else getattr(measure, "end_date", None)
    clean = validate_measure_data(data, choices, (start, end))
    if measure is None:
        measure = Measure(
            department_id=department.id if department is not None else by.department_id,
            created_by_id=by.id,
            status=S.DRAFT,
            category=clean.get("category", MeasureCategory.DIGITAL_ADMINISTRATION),
            title=clean.get("title", ""),
            creation_token=creation_token or None,
        )
        db.session.add(measure)
    for name, value in clean.items():
        if name in ("goals", "cost_plan", "milestones"):
            continue
        if getattr(measure, name) != value:
            setattr(measure, name, value)
    if "goals" in clean:
        wanted = clean["goals"]
        if sorted(g.id for g in measure.goals) != sorted(wanted):
            goals = (
                db.session.scalars(select(Goal).where(Goal.id.in_(wanted))).all() if wanted else []
            )
            measure.goals = sorted(goals, key=lambda g: g.code)
    if "cost_plan" in clean:
        _apply_cost_plan(measure, clean["cost_plan"])
    if "milestones" in clean:
        _apply_milestones(measure, clean["milestones"])
    db.session.flush()
    return measure


def measure_created_by_form(token: str | None) -> Measure | None:
    """The measure an earlier post of the same new-measure form created, if any."""
    if not token:
        return None
    return db.session.scalar(select(Measure).where(Measure.creation_token == token[:64]))


def current_values(measure: Measure) -> dict[str, Any]:
    """The saved values of ``measure`` for display next to a refused edit (locking conflict)."""
    return {
        "Titel": measure.title,
        "Beschreibung": measure.description,
        "Kategorie": measure.category.label,
        "Art": measure.kind.label,
        "Ziele": ", ".join(g.code for g in measure.goals) or "–",
        "Verantwortliche Person": measure.owner.full_name if measure.owner else "–",
        "Kontakt": measure.contact or "–",
        "Beginn": measure.start_date,
        "Ende": measure.end_date,
        "Folgekosten pro Jahr nach dem Planungszeitraum": measure.running_cost_after_horizon,
        "Nutzungsdauer (Jahre)": measure.useful_life_years or "–",
        "Vertraglich gebunden": "ja" if measure.contractually_bound else "nein",
        "Kostenplan": [
            f"{e.year}: {e.budget_line.label} – {e.amount}"
            for e in sorted(measure.cost_plan, key=lambda e: (e.year, e.budget_line_id))
        ],
        "Version": measure.version_id,
    }


# --------------------------------------------------------------------------- comments, key figures


def add_comment(measure: Measure, body: str, by: User) -> MeasureComment:
    """Answer of the department (while the measure is returned) or a note; flushes."""
    body = (body or "").strip()
    if not body:
        raise ValidationFailed("Bitte schreiben Sie einen Text.", field="body")
    kind = "answer" if may_answer_question(by, measure) else "note"
    comment = MeasureComment(author_id=by.id, kind=kind, body=body)
    measure.comments.append(comment)
    db.session.flush()
    return comment


def open_question(measure: Measure) -> MeasureComment | None:
    """The latest unanswered question of the coordinating office, if any."""
    questions = [c for c in measure.comments if c.kind == "question" and c.resolved_at is None]
    return questions[-1] if questions else None


def toggle_milestone(measure: Measure, milestone_id: int, today: date) -> Milestone:
    """Tick off a milestone (or undo the tick); flushes."""
    milestone = next((m for m in measure.milestones if m.id == milestone_id), None)
    if milestone is None:
        raise ValidationFailed("Diesen Meilenstein gibt es nicht.", field="milestone_id")
    milestone.done_on = None if milestone.done_on else today
    db.session.flush()
    return milestone


def add_key_figure(measure: Measure, data: dict[str, Any]) -> KeyFigure:
    """Add a key figure with baseline and target; flushes."""
    figure = KeyFigure(
        name=data["name"].strip(),
        unit=(data.get("unit") or "").strip(),
        baseline=data.get("baseline"),
        target=data.get("target"),
    )
    measure.key_figures.append(figure)
    db.session.flush()
    return figure


def add_key_figure_value(
    measure: Measure, key_figure_id: int, measured_on: date, value: Decimal
) -> KeyFigureValue:
    """Record a measured value of one of the measure's key figures; flushes."""
    figure = next((k for k in measure.key_figures if k.id == key_figure_id), None)
    if figure is None:
        raise ValidationFailed("Diese Kennzahl gibt es nicht.", field="key_figure_id")
    entry = KeyFigureValue(measured_on=measured_on, value=value)
    figure.values.append(entry)
    db.session.flush()
    return entry


# --------------------------------------------------------------------------- change requests


def _row_to_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "year": row["year"],
        "budget_line_id": row["budget_line_id"],
        "amount": str(row["amount"]),
        "funding_source": str(row["funding_source"]),
        "funding_programme": row["funding_programme"],
        "funding_share": str(row["funding_share"]),
        "is_running_cost": bool(row["is_running_cost"]),
    }


def create_change_request(
    measure: Measure, rows: list[dict[str, Any]], reason: str, by: User, choices: MeasureChoices
) -> ChangeRequest:
    """File a request to replace the cost plan of an approved measure; flushes."""
    if measure.status not in CHANGE_REQUEST_STATUSES:
        raise ValidationFailed(
            "Änderungsanträge gibt es nur für freigegebene Maßnahmen oder solche in Umsetzung."
        )
    if not can_edit_measure(by, measure):
        raise PermissionDenied("Sie dürfen für diese Maßnahme keine Änderung beantragen.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Bitte begründen Sie die Änderung.", field="reason")
    clean = validate_cost_rows(rows, choices)
    if not clean:
        raise ValidationFailed(
            "Bitte erfassen Sie den gewünschten Kostenplan (mindestens eine Zeile).",
            field="cost_plan",
        )
    request = ChangeRequest(
        measure_id=measure.id,
        requested_by_id=by.id,
        reason=reason,
        payload={"cost_plan": [_row_to_json(r) for r in clean]},
    )
    db.session.add(request)
    db.session.flush()
    return request


def decide_change_request(
    request: ChangeRequest, accept: bool, by: User, note: str = ""
) -> ChangeRequest:
    """Accept (apply the cost plan) or decline an open change request; flushes."""
    if not may_decide_change_requests(by):
        raise PermissionDenied("Nur die Koordinationsstelle entscheidet über Änderungsanträge.")
    if request.status != ChangeRequestStatus.OPEN:
        raise ValidationFailed("Über diesen Änderungsantrag wurde bereits entschieden.")
    if accept:
        rows = [
            {
                "year": int(r["year"]),
                "budget_line_id": int(r["budget_line_id"]),
                "amount": Decimal(r["amount"]),
                "funding_source": FundingSource(r["funding_source"]),
                "funding_programme": r.get("funding_programme", ""),
                "funding_share": Decimal(r.get("funding_share", "0")),
                "is_running_cost": bool(r.get("is_running_cost")),
            }
            for r in request.payload.get("cost_plan", [])
        ]
        _apply_cost_plan(request.measure, rows)
        request.measure.updated_at = utcnow()
    request.status = ChangeRequestStatus.ACCEPTED if accept else ChangeRequestStatus.DECLINED
    request.decided_by_id = by.id
    request.decided_at = utcnow()
    request.decision_note = (note or "").strip()
    db.session.flush()
    return request


def change_requests_of(measure_id: int) -> list[ChangeRequest]:
    """Change requests of a measure, newest first (one query)."""
    return list(
        db.session.scalars(
            select(ChangeRequest)
            .options(joinedload(ChangeRequest.requested_by), joinedload(ChangeRequest.decided_by))
            .where(ChangeRequest.measure_id == measure_id)
            .order_by(ChangeRequest.created_at.desc(), ChangeRequest.id.desc())
        )
    )


def open_change_request_count(measure_id: int) -> int:
    """Number of undecided change requests of a measure (one query)."""
    return (
        db.session.scalar(
            select(func.count(ChangeRequest.id)).where(
                ChangeRequest.measure_id == measure_id,
                ChangeRequest.status == ChangeRequestStatus.OPEN,
            )
        )
        or 0
    )


def budget_line_labels(requests: list[ChangeRequest]) -> dict[int, str]:
    """Labels of the budget lines named in change requests (one query)."""
    ids = {
        int(row["budget_line_id"])
        for request in requests
        for row in request.payload.get("cost_plan", [])
    }
    if not ids:
        return {}
    lines = db.session.scalars(select(BudgetLine).where(BudgetLine.id.in_(ids))).all()
    return {line.id: f"{line.label} – {line.name}" for line in lines}


# --------------------------------------------------------------------------- queries


def load_measure(measure_id: int) -> Measure | None:
    """A measure with what its detail page shows, eagerly loaded (fixed number of queries)."""
    return db.session.scalar(
        select(Measure)
        .options(
            joinedload(Measure.owner),
            selectinload(Measure.goals).joinedload(Goal.action_field),
            selectinload(Measure.milestones),
            selectinload(Measure.cost_plan).joinedload(CostPlanEntry.budget_line),
            selectinload(Measure.comments).joinedload(MeasureComment.author),
            selectinload(Measure.status_reports).joinedload(StatusReport.author),
            selectinload(Measure.key_figures).selectinload(KeyFigure.values),
        )
        .where(Measure.id == measure_id)
    )


@dataclass
class ListFilter:
    """Filters of the measures list."""

    status: MeasureStatus | None = None
    department_id: int | None = None
    own_only: bool = False
    query: str = ""
    #: Only measures with an open question or an open change request.
    open_items: bool = False
    page: int = 1
    per_page: int = 50


def measure_titles(ids: Iterable[int]) -> dict[int, str]:
    """The current titles of the measures ``ids`` (one query): lists kept in a cache name
    their measures by id and read the titles fresh, so a new title shows at once."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = db.session.execute(select(Measure.id, Measure.title).where(Measure.id.in_(wanted)))
    return {measure_id: title for measure_id, title in rows}


def list_measures(
    user: User, flt: ListFilter, visible: ColumnElement[bool]
) -> tuple[list[Any], int]:
    """Rows for the list page and the total count (four queries, whatever the portfolio).

    Each row is (measure, open questions, open change requests). The page is chosen first
    (newest change first, along an index); the open items are counted for its rows only.
    """
    open_question = and_(MeasureComment.kind == "question", MeasureComment.resolved_at.is_(None))
    open_request = ChangeRequest.status == ChangeRequestStatus.OPEN
    conditions = [visible]
    if flt.own_only:
        conditions.append(Measure.department_id == user.department_id)
    if flt.status is not None:
        conditions.append(Measure.status == flt.status)
    if flt.department_id:
        conditions.append(Measure.department_id == flt.department_id)
    if flt.query:
        conditions.append(Measure.title.ilike(f"%{flt.query}%"))
    if flt.open_items:
        conditions.append(
            or_(
                Measure.id.in_(select(MeasureComment.measure_id).where(open_question)),
                Measure.id.in_(select(ChangeRequest.measure_id).where(open_request)),
            )
        )
    total = db.session.scalar(select(func.count(Measure.id)).where(*conditions)) or 0
    measures = list(
        db.session.scalars(
            select(Measure)
            .options(joinedload(Measure.owner))
            .where(*conditions)
            .order_by(Measure.updated_at.desc(), Measure.id.desc())
            .limit(flt.per_page)
            .offset((max(flt.page, 1) - 1) * flt.per_page)
        ).unique()
    )
    ids = [m.id for m in measures]
    questions = dict(
        db.session.execute(
            select(MeasureComment.measure_id, func.count(MeasureComment.id))
            .where(open_question, MeasureComment.measure_id.in_(ids))
            .group_by(MeasureComment.measure_id)
        ).all()
    )
    requests = dict(
        db.session.execute(
            select(ChangeRequest.measure_id, func.count(ChangeRequest.id))
            .where(open_request, ChangeRequest.measure_id.in_(ids))
            .group_by(ChangeRequest.measure_id)
        ).all()
    )
    return [(m, questions.get(m.id, 0), requests.get(m.id, 0)) for m in measures], total


@dataclass
class HistoryItem:
    """One line of the history tab."""

    at: datetime
    who: str
    what: str
    details: list[tuple[str, str, str]]
    reason: str = ""


#: How the audit log stores decimals and dates (``str(Decimal)``, ``date.isoformat()``).
_DECIMAL_TEXT = re.compile(r"-?\d+\.(\d+)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _fmt(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    text = str(value)
    # Amounts and dates in German format (12.500,00 / 01.02.2026), as everywhere else.
    decimal_match = _DECIMAL_TEXT.fullmatch(text)
    if decimal_match:
        return number(Decimal(text), len(decimal_match.group(1)))
    if _ISO_DATE.fullmatch(text):
        try:
            return date_de(date.fromisoformat(text))
        except ValueError:
            return text
    for enum_cls in (MeasureStatus, MeasureCategory, MeasureKind, BudgetKind, FundingSource):
        try:
            return enum_cls(text).label
        except ValueError:
            continue
    return text if len(text) <= 300 else text[:300] + " …"


def _named(names: dict[tuple[str, Any], str], name: str, value: Any) -> str:
    if isinstance(value, int) and (name, value) in names:
        return names[(name, value)]
    return _fmt(value)


def _referenced_names(entries: list[AuditEntry] | Any) -> dict[tuple[str, Any], str]:
    """Names for ids in the log (people, budget lines): at most one query per kind."""
    wanted: dict[str, set[int]] = {"owner_id": set(), "budget_line_id": set()}
    for entry in entries:
        for name in wanted:
            for value in (entry.changes or {}).get(name) or ():
                if isinstance(value, int):
                    wanted[name].add(value)
    names: dict[tuple[str, Any], str] = {}
    if wanted["owner_id"]:
        for user_id, full_name in db.session.execute(
            select(User.id, User.full_name).where(User.id.in_(wanted["owner_id"]))
        ):
            names[("owner_id", user_id)] = full_name
    if wanted["budget_line_id"]:
        for line in db.session.scalars(
            select(BudgetLine).where(BudgetLine.id.in_(wanted["budget_line_id"]))
        ):
            names[("budget_line_id", line.id)] = line.label
    return names


def history(measure_id: int) -> list[HistoryItem]:
    """Status changes and audit entries of a measure, oldest first (two queries)."""
    changes = db.session.scalars(
        select(StatusChange)
        .options(joinedload(StatusChange.changed_by))
        .where(StatusChange.measure_id == measure_id)
    ).all()
    entries = db.session.scalars(
        select(AuditEntry)
        .options(joinedload(AuditEntry.user))
        .where(AuditEntry.measure_id == measure_id)
    ).all()
    items = [
        HistoryItem(
            at=c.changed_at,
            who=c.changed_by.full_name if c.changed_by else "System",
            what="Status: "
            + (c.from_status.label if c.from_status else "–")
            + " → "
            + c.to_status.label,
            details=[],
            reason=c.reason,
        )
        for c in changes
    ]
    names = _referenced_names(entries)
    for e in entries:
        details = [
            (
                FIELD_LABELS.get(name, name),
                _named(names, name, values[0]),
                _named(names, name, values[1]),
            )
            for name, values in (e.changes or {}).items()
            if name
            not in ("measure_id", "id", "created_at", "created_by_id", "author_id", "key_figure_id")
            and not (e.entity_type == "measures" and name == "status")
        ]
        items.append(
            HistoryItem(
                at=e.occurred_at,
                who=e.user.full_name if e.user else "System",
                what=f"{ENTITY_LABELS.get(e.entity_type, e.entity_type)} "
                f"{ACTION_LABELS.get(e.action, e.action)}",
                details=details,
            )
        )
    items.sort(key=lambda i: i.at)
    return items
