"""Loader of the demo Kommune "Stadt Lindenfeld" (``flask seed demo``).

The data lives in ``seed.demo_data``. Loading is idempotent: when the demo is already there
(its agenda and its first measure exist) nothing is changed. Departments, users and budget
lines are looked up by their natural keys before they are created, so the loader also copes
with a database that already holds some of them. Objects are added through the ORM, so the
audit hook records every insert. The loader flushes; the caller commits.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from seed import demo_data as data
from seed.demo_execution import load_execution
from seed.demo_planning import load_grants, load_plan_history
from steuerung.extensions import db
from steuerung.models import (
    ActionField,
    Agenda,
    AgendaStatus,
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    CommitmentAuthorization,
    CostPlanEntry,
    CoverageRing,
    CoverageRingMember,
    CriterionKind,
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
    Role,
    Settings,
    StatusChange,
    StatusReport,
    TrafficLight,
    User,
)
from steuerung.services.portfolio.scoring import DEFAULT_CRITERIA

#: One password for every demo login (printed by ``make run`` and ``flask demo-logins``).
DEMO_PASSWORD = "Lindenfeld-2026"
#: (username, full name, role value, department code)
DEMO_USERS: list[tuple[str, str, str, str]] = list(data.USERS)

S = MeasureStatus
_LIGHTS = {"g": TrafficLight.GREEN, "y": TrafficLight.YELLOW, "r": TrafficLight.RED}
#: Measures whose status path goes through a decision of the coordinating office.
_OFFICE = "koordination"
_NAVIGATOR = "lotse"


def demo_present() -> bool:
    """True when the demo Kommune has already been loaded into this database."""
    agenda = db.session.scalar(select(Agenda.id).where(Agenda.title == data.AGENDA["title"]))
    first = db.session.scalar(select(Measure.id).where(Measure.title == data.MEASURES[0]["title"]))
    return agenda is not None and first is not None


def database_has_data() -> bool:
    """True when departments or measures exist (the settings row alone does not count)."""
    return bool(
        db.session.scalar(select(func.count(Department.id)))
        or db.session.scalar(select(func.count(Measure.id)))
    )


def load_demo(only_if_empty: bool = False) -> bool:
    """Load the demo Kommune; returns True if data was created, False if it was skipped.

    With ``only_if_empty`` nothing happens when the database already holds departments or
    measures. A second run never duplicates anything. Flushes, does not commit.
    """
    if only_if_empty and database_has_data():
        return False
    if demo_present():
        return False
    _settings()
    departments = ensure_departments()
    users = ensure_users(departments)
    goals = ensure_agenda()
    lines = _budget_lines(departments)
    by_title = {
        spec["title"]: _measure(spec, departments, users, goals, lines) for spec in data.MEASURES
    }
    db.session.flush()
    _link_commitments(lines, by_title)
    _coverage_rings(lines)
    load_execution(lines, by_title, users)
    _link_dependencies()
    _score_demo_measures(users)
    _maturity_demo(users)
    load_grants(by_title)
    load_plan_history(users)
    db.session.flush()
    return True


#: Potenzialcheck ratings of the demo town (1-4): autumn 2025, then autumn 2026.
MATURITY_RATINGS = {
    "FS-1": (2, 3), "FS-2": (2, 4), "FS-3": (1, 2),
    "SS-1": (2, 4), "SS-2": (1, 2), "SS-3": (2, 3),
    "PR-1": (1, 2), "PR-2": (1, 2), "PR-3": (2, 2),
    "PK-1": (2, 3), "PK-2": (1, 3), "PK-3": (2, 2),
    "IT-1": (2, 3), "IT-2": (3, 3), "IT-3": (1, 2),
    "BS-1": (2, 3), "BS-2": (1, 1), "BS-3": (2, 3),
    "SC-1": (1, 3), "SC-2": (1, 1), "SC-3": (2, 2),
}  # fmt: skip


def _maturity_demo(users: dict[str, User]) -> None:
    """The Potenzialcheck catalogue and two self-assessments a year apart."""
    from steuerung.services.maturity.assessments import create_assessment, ensure_catalogue

    topics = ensure_catalogue()
    by_code = {s.code: s.id for t in topics for s in t.statements}
    for index, (title, day) in enumerate(
        (
            ("Potenzialcheck Herbst 2025", date(2025, 10, 15)),
            ("Potenzialcheck Herbst 2026", date(2026, 10, 14)),
        )
    ):
        ratings = {by_code[code]: (values[index], "") for code, values in MATURITY_RATINGS.items()}
        create_assessment(
            title,
            day,
            "Workshop der Verwaltungsleitung mit der Koordinationsstelle",
            ratings,
            users[_OFFICE],
        )


def _link_dependencies() -> None:
    titles = set(data.DEPENDENCIES) | {t for deps in data.DEPENDENCIES.values() for t in deps}
    by_title = {
        m.title: m for m in db.session.scalars(select(Measure).where(Measure.title.in_(titles)))
    }
    for title, prerequisites in data.DEPENDENCIES.items():
        by_title[title].depends_on = [by_title[t] for t in prerequisites]
    db.session.flush()


# ---------------------------------------------------------------------------- master data


def _settings() -> Settings:
    settings = db.session.get(Settings, 1)
    if settings is None:
        settings = Settings(id=1, budget_year=data.BUDGET_YEAR)
        db.session.add(settings)
    settings.kommune_name = data.KOMMUNE_NAME
    settings.budget_year = data.BUDGET_YEAR
    settings.report_interval_days = data.REPORT_INTERVAL_DAYS
    settings.transparency_enabled = True
    db.session.flush()
    return settings


def ensure_departments() -> dict[str, Department]:
    """All departments by code; the demo departments are created if their code is missing."""
    existing = {d.code: d for d in db.session.scalars(select(Department))}
    names = {d.name for d in existing.values()}
    for code, name in data.DEPARTMENTS:
        if code not in existing:
            department = Department(
                code=code, name=name if name not in names else f"{name} ({code})"
            )
            db.session.add(department)
            existing[code] = department
    db.session.flush()
    return existing


def ensure_users(departments: dict[str, Department]) -> dict[str, User]:
    """The demo users by username; missing ones are created with ``DEMO_PASSWORD``."""
    names = [u[0] for u in DEMO_USERS]
    existing = {
        u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))
    }
    password_hash: str | None = None
    for username, full_name, role, code in DEMO_USERS:
        if username in existing:
            continue
        user = User(
            username=username,
            full_name=full_name,
            role=Role(role),
            department=departments[code],
            email=f"{username}@lindenfeld.example",
        )
        if password_hash is None:
            user.set_password(DEMO_PASSWORD)
            password_hash = user.password_hash
        else:
            user.password_hash = password_hash
        db.session.add(user)
        existing[username] = user
    db.session.flush()
    return existing


def ensure_agenda() -> dict[str, Goal]:
    """Goals of the demo agenda by code; the agenda is created (adopted) if missing."""
    spec = data.AGENDA
    agenda = db.session.scalar(select(Agenda).where(Agenda.title == spec["title"]))
    if agenda is None:
        taken = db.session.scalar(select(func.max(Agenda.version_no))) or 0
        agenda = Agenda(
            title=spec["title"],
            version_no=spec["version_no"] if taken < spec["version_no"] else taken + 1,
            status=AgendaStatus.ADOPTED,
            adopted_on=spec["adopted_on"],
            created_at=_at(spec["adopted_on"] - timedelta(days=60)),
        )
        for position, field_spec in enumerate(spec["fields"]):
            field = ActionField(
                code=field_spec["code"],
                name=field_spec["name"],
                description=field_spec["description"],
                color=field_spec["color"],
                position=position,
            )
            for goal_position, (code, title, description) in enumerate(field_spec["goals"], 1):
                field.goals.append(
                    Goal(code=code, title=title, description=description, position=goal_position)
                )
            agenda.action_fields.append(field)
        db.session.add(agenda)
        db.session.flush()
    return {goal.code: goal for field in agenda.action_fields for goal in field.goals}


def _budget_lines(departments: dict[str, Department]) -> dict[str, BudgetLine]:
    lines: dict[str, BudgetLine] = {}
    for key, spec in data.BUDGET_LINES.items():
        investment_number = spec.get("investment_number", "")
        line = db.session.scalar(
            select(BudgetLine).where(
                BudgetLine.product == spec["product"],
                BudgetLine.cost_center == spec["cost_center"],
                BudgetLine.account == spec["account"],
                BudgetLine.investment_number == investment_number,
            )
        )
        if line is None:
            line = BudgetLine(
                product=spec["product"],
                cost_center=spec["cost_center"],
                account=spec["account"],
                investment_number=investment_number,
                kind=BudgetKind(spec["kind"]),
                department=departments[spec["department"]],
                name=spec["name"],
            )
            base_load = spec.get("base_load", {})
            for year, amount in spec["amounts"].items():
                line.amounts.append(
                    BudgetAmount(
                        year=year,
                        approved_amount=_money(amount),
                        base_load=_money(base_load.get(year, "0")),
                    )
                )
            for granted, due, amount, purpose in spec.get("commitments", []):
                line.commitments.append(
                    CommitmentAuthorization(
                        granted_year=granted,
                        due_year=due,
                        amount=_money(amount),
                        purpose=f"Auftrag für „{purpose}“",
                    )
                )
            db.session.add(line)
        lines[key] = line
    db.session.flush()
    return lines


def _link_commitments(lines: dict[str, BudgetLine], measures: dict[str, Measure]) -> None:
    """Each VE serves the measure its purpose names (the treasury links them)."""
    for key, spec in data.BUDGET_LINES.items():
        by_due = {(g, d, _money(a)): title for g, d, a, title in spec.get("commitments", [])}
        for commitment in lines[key].commitments:
            title = by_due.get((commitment.granted_year, commitment.due_year, commitment.amount))
            if title is not None:
                commitment.measure = measures[title]


def _coverage_rings(lines: dict[str, BudgetLine]) -> None:
    """The Deckungsringe declared with the demo budget."""
    for spec in data.COVERAGE_RINGS:
        ring = CoverageRing(
            name=spec["name"], year=spec["year"], kind=BudgetKind(spec["kind"]), note=spec["note"]
        )
        for key in spec["lines"]:
            ring.members.append(CoverageRingMember(budget_line=lines[key], year=spec["year"]))
        db.session.add(ring)


# ---------------------------------------------------------------------------- measures


def _measure(
    spec: dict[str, Any],
    departments: dict[str, Department],
    users: dict[str, User],
    goals: dict[str, Goal],
    lines: dict[str, BudgetLine],
) -> Measure:
    owner = users[spec["owner"]] if spec.get("owner") else None
    department = departments[spec["department"]]
    actor = _department_actor(owner, department, users)
    history = status_path(spec)
    created_on = history[0][2]
    legal = spec.get("legal")
    ozg = spec.get("ozg") or {}
    measure = Measure(
        title=spec["title"],
        description=spec["description"],
        department=department,
        owner=owner,
        category=MeasureCategory(spec["category"]),
        kind=MeasureKind(spec["kind"]),
        status=S(spec["status"]),
        start_date=spec.get("start"),
        end_date=spec.get("end"),
        ozg_leika_key=ozg.get("leika"),
        ozg_service_name=ozg.get("service"),
        ozg_maturity_level=ozg.get("maturity"),
        ozg_implementation=OzgImplementation(ozg["implementation"]) if ozg else None,
        legal_obligation=legal is not None,
        legal_basis=legal[0] if legal else "",
        legal_deadline=legal[1] if legal else None,
        operation_critical=spec.get("operation_critical", False),
        political_mandate=spec.get("political_mandate", False),
        running_cost_after_horizon=_money(spec.get("running_costs", "0")),
        useful_life_years=spec.get("useful_life"),
        contractually_bound=spec.get("contractually_bound", False),
        report_interval_days=spec.get("report_interval_days"),
        created_by=actor,
        created_at=_at(created_on),
    )
    measure.goals = [goals[code] for code in spec["goals"]]
    if spec["title"] in data.PUBLISHED:
        public_text, show_owner = data.PUBLISHED[spec["title"]]
        measure.published = True
        measure.public_description = public_text
        measure.public_show_owner = show_owner
    _add_history(measure, spec, history, users, actor)
    for block in spec.get("costs", []):
        line = lines[block["line"]]
        source, programme, share = block["funding"] or ("own", "", "0")
        for year, amount in block["amounts"].items():
            measure.cost_plan.append(
                CostPlanEntry(
                    budget_line=line,
                    year=year,
                    amount=_money(amount),
                    funding_source=FundingSource(source),
                    funding_programme=programme,
                    funding_share=Decimal(share),
                    is_running_cost=block["running"],
                )
            )
    for title, due, done in spec.get("milestones", []):
        measure.milestones.append(
            Milestone(
                title=title,
                due_date=date.fromisoformat(due),
                done_on=date.fromisoformat(done) if done else None,
            )
        )
    author = owner or actor
    for rep in spec.get("reports", []):
        schedule, cost, scope = (_LIGHTS[c] for c in rep["lights"])
        measure.status_reports.append(
            StatusReport(
                author=author,
                reported_on=rep["on"],
                created_at=_at(rep["on"], hour=15),
                schedule_light=schedule,
                cost_light=cost,
                scope_light=scope,
                progress_percent=rep["progress"],
                text=rep["text"],
                next_steps=rep["next_steps"],
                risks=rep["risks"],
            )
        )
    if spec.get("reports"):
        measure.last_report_on = max(rep["on"] for rep in spec["reports"])
    for name, unit, baseline, target, values in spec.get("key_figures", []):
        figure = KeyFigure(name=name, unit=unit, baseline=Decimal(baseline), target=Decimal(target))
        for measured_on, value in values:
            figure.values.append(
                KeyFigureValue(measured_on=date.fromisoformat(measured_on), value=Decimal(value))
            )
        measure.key_figures.append(figure)
    db.session.add(measure)
    return measure


def status_path(spec: dict[str, Any]) -> list[tuple[MeasureStatus | None, MeasureStatus, date]]:
    """The status path that leads to the measure's state, with a plausible date per step.

    ``spec`` needs ``status`` and, depending on it, ``submitted``, ``start``, ``end``,
    ``created`` and ``cancel_from`` ("draft" or "approved"). Returns (from, to, day) tuples.
    """
    status = S(spec["status"])
    submitted: date | None = spec.get("submitted")
    created = spec.get("created") or (
        submitted - timedelta(days=21) if submitted else date(2026, 10, 1)
    )
    steps: list[tuple[MeasureStatus | None, MeasureStatus, date]] = [(None, S.DRAFT, created)]
    if status == S.DRAFT:
        return steps
    if status == S.CANCELLED and spec.get("cancel_from") == "draft":
        steps.append((S.DRAFT, S.CANCELLED, created + timedelta(days=20)))
        return steps
    assert submitted is not None, spec["title"]
    steps.append((S.DRAFT, S.SUBMITTED, submitted))
    if status == S.SUBMITTED:
        return steps
    if status == S.RETURNED:
        steps.append((S.SUBMITTED, S.RETURNED, submitted + timedelta(days=10)))
        return steps
    review = submitted + timedelta(days=5)
    if "answered" in spec:
        steps.append((S.SUBMITTED, S.RETURNED, review))
        review += timedelta(days=9)
        steps.append((S.RETURNED, S.SUBMITTED, review))
        review += timedelta(days=2)
    steps.append((S.SUBMITTED, S.UNDER_REVIEW, review))
    if status == S.UNDER_REVIEW:
        return steps
    decided = submitted + timedelta(days=28 if "answered" not in spec else 40)
    if status in (S.DEFERRED, S.REJECTED):
        steps.append((S.UNDER_REVIEW, status, decided))
        return steps
    steps.append((S.UNDER_REVIEW, S.APPROVED, decided))
    if status == S.APPROVED:
        return steps
    if status == S.CANCELLED:
        steps.append((S.APPROVED, S.CANCELLED, decided + timedelta(days=120)))
        return steps
    started = max(spec["start"], decided + timedelta(days=1))
    steps.append((S.APPROVED, S.IN_PROGRESS, started))
    if status == S.COMPLETED:
        steps.append((S.IN_PROGRESS, S.COMPLETED, spec["end"]))
    return steps


def _add_history(
    measure: Measure,
    spec: dict[str, Any],
    history: list[tuple[MeasureStatus | None, MeasureStatus, date]],
    users: dict[str, User],
    actor: User,
) -> None:
    office = users[_OFFICE]
    decision = spec.get("decision", "")
    answered = spec.get("answered")
    for index, (source, target, day) in enumerate(history):
        last = index == len(history) - 1
        by = actor
        reason = ""
        if target == S.UNDER_REVIEW:
            by = users[_NAVIGATOR]
        elif target in (S.APPROVED, S.DEFERRED, S.REJECTED, S.RETURNED):
            by = office
            reason = decision if last else ""
        elif target == S.CANCELLED:
            by = office if source == S.APPROVED else actor
            reason = decision
        if target == S.RETURNED and answered:
            reason = answered[0]
        if target == S.APPROVED and not reason:
            reason = "Freigegeben."
        when = _at(day, hour=9 + index % 6)
        measure.status_changes.append(
            StatusChange(
                from_status=source,
                to_status=target,
                changed_by=by,
                changed_at=when,
                reason=reason,
            )
        )
        if target == S.SUBMITTED:
            measure.submitted_at = when
        if target == S.RETURNED:
            question = MeasureComment(author=office, kind="question", body=reason, created_at=when)
            if answered:
                answer_at = _at(day + timedelta(days=8), hour=11)
                question.resolved_at = answer_at
                measure.comments.append(question)
                measure.comments.append(
                    MeasureComment(
                        author=actor, kind="answer", body=answered[1], created_at=answer_at
                    )
                )
            else:
                measure.comments.append(question)


def _department_actor(owner: User | None, department: Department, users: dict[str, User]) -> User:
    """The owner if allowed to submit, else a submitter of the department, else the office."""
    if owner is not None and owner.role in (Role.SUBMITTER, Role.COORDINATOR):
        return owner
    for user in users.values():
        if user.role == Role.SUBMITTER and user.department is department:
            return user
    return users[_OFFICE]


# ---------------------------------------------------------------------------- scoring


def _score_demo_measures(users: dict[str, User]) -> int:
    """Score about twenty measures through the scoring service; returns how many."""
    from steuerung.services.portfolio.scoring import (
        ensure_default_criteria,
        recompute_all,
        score_measure,
        set_rank_override,
    )

    weighted = [c for c in ensure_default_criteria() if c.kind == CriterionKind.WEIGHTED]
    by_name = {c.name: c for c in weighted}
    order = [by_name[spec["name"]] for spec in DEFAULT_CRITERIA if spec["name"] in by_name]
    measures = {
        m.title: m
        for m in db.session.scalars(select(Measure).where(Measure.title.in_(list(data.SCORES))))
    }
    scored = 0
    for title, digits in data.SCORES.items():
        measure = measures.get(title)
        if measure is None or not order:
            continue
        values = {criterion.id: int(digit) for criterion, digit in zip(order, digits, strict=False)}
        score_measure(measure, values, by=users[_OFFICE])
        scored += 1
    recompute_all()  # gates make unscored measures class A as well
    for title, (rank, reason) in data.RANK_OVERRIDES.items():
        if title in measures:
            set_rank_override(measures[title], rank, reason, by=users[_OFFICE])
    return scored


# ---------------------------------------------------------------------------- helpers


def _money(value: str | int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)
