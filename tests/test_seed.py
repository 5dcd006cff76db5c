"""Demo Kommune and synthetic portfolio: complete, consistent, idempotent, usable for login."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from conftest import login
from sqlalchemy import func, select

from seed.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from seed.synthetic import generate
from steuerung.extensions import db as _db
from steuerung.models import (
    Agenda,
    AgendaStatus,
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    CommitmentAuthorization,
    CostPlanEntry,
    CoverageRing,
    Department,
    FundingSource,
    Goal,
    Measure,
    MeasureCategory,
    MeasureComment,
    MeasureStatus,
    Role,
    Score,
    Settings,
    StatusChange,
    StatusReport,
    User,
    measure_goals,
)
from steuerung.services.common.audit import set_actor
from steuerung.services.measures.reports import overdue_clause
from steuerung.services.measures.rules import COUNTING_STATUSES
from steuerung.services.measures.workflow import TRANSITIONS
from steuerung.services.security.audit_guard import append_only_suspended

DEMO_DAY = date(2026, 11, 23)


def _counts() -> dict[str, int]:
    """Row count of every table."""
    return {
        table.name: _db.session.scalar(select(func.count()).select_from(table))
        for table in _db.metadata.sorted_tables
    }


def _load(db: Any) -> None:
    assert load_demo(only_if_empty=False) is True
    db.session.commit()


def test_demo_has_all_states_roles_and_the_known_gaps(db):
    _load(db)
    settings = db.session.get(Settings, 1)
    assert settings.kommune_name == "Stadt Lindenfeld"
    assert settings.budget_year == 2026 and settings.report_interval_days == 91

    statuses = dict(
        db.session.execute(select(Measure.status, func.count()).group_by(Measure.status)).all()
    )
    assert set(statuses) == set(MeasureStatus)
    assert 38 <= sum(statuses.values()) <= 45
    assert {u.role for u in db.session.scalars(select(User))} == set(Role)
    assert 7 <= db.session.scalar(select(func.count(Department.id))) <= 10
    categories = set(db.session.scalars(select(Measure.category).distinct()))
    assert {MeasureCategory.SMART_CITY, MeasureCategory.SCHOOL} <= categories

    agenda = db.session.scalar(select(Agenda))
    assert agenda.status == AgendaStatus.ADOPTED and agenda.version_no == 1
    assert {f.code for f in agenda.action_fields} == {"V", "B", "M", "S", "SCH"}
    goal_count = db.session.scalar(select(func.count(Goal.id)))
    assert 15 <= goal_count <= 20
    unused = db.session.scalars(
        select(Goal.code).where(Goal.id.not_in(select(measure_goals.c.goal_id)))
    ).all()
    assert unused, "at least one goal without measures"

    assert db.session.scalar(select(func.count()).where(Measure.owner_id.is_(None))) >= 1
    overdue = db.session.scalar(select(func.count(Measure.id)).where(overdue_clause(DEMO_DAY)))
    assert overdue >= 2
    bauantrag = db.session.scalar(select(Measure).where(Measure.title == "Digitaler Bauantrag"))
    assert bauantrag.ozg_leika_key and bauantrag.legal_obligation
    # The OZG sets no deadline since its 2024 amendment: the demo invents none.
    ozg = db.session.scalars(select(Measure).where(Measure.ozg_leika_key.is_not(None))).all()
    assert all(m.legal_deadline is None for m in ozg if "OZG" in m.legal_basis)
    assert bauantrag.department.code == "FB 5"
    assert bauantrag.cost_plan[0].budget_line.product == "5.2.1.01"  # Bauaufsicht
    assert bauantrag.key_figures[0].values
    returned = db.session.scalars(
        select(Measure).where(Measure.status == MeasureStatus.RETURNED)
    ).all()
    for measure in returned:
        assert any(c.kind == "question" and c.resolved_at is None for c in measure.comments)


def test_demo_history_follows_the_workflow(db):
    _load(db)
    allowed = {(t.source, t.target) for t in TRANSITIONS}
    for measure in db.session.scalars(select(Measure)):
        changes = sorted(measure.status_changes, key=lambda c: c.changed_at)
        assert changes[0].from_status is None and changes[0].to_status == MeasureStatus.DRAFT
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.from_status == before.to_status, measure.title
            assert (after.from_status, after.to_status) in allowed, measure.title
            assert after.changed_at >= before.changed_at
            if after.to_status in (
                MeasureStatus.RETURNED,
                MeasureStatus.DEFERRED,
                MeasureStatus.REJECTED,
                MeasureStatus.CANCELLED,
            ):
                assert after.reason, measure.title
        assert changes[-1].to_status == measure.status
        assert changes[-1].changed_at.date() <= DEMO_DAY


def test_demo_reports_budget_and_cost_plans_are_consistent(db):
    _load(db)
    for measure in db.session.scalars(select(Measure)):
        if measure.status_reports:
            assert measure.status in (*COUNTING_STATUSES, MeasureStatus.COMPLETED)
            assert measure.last_report_on == max(r.reported_on for r in measure.status_reports)
        for entry in measure.cost_plan:
            assert 2026 <= entry.year <= 2029
    lines = db.session.scalars(select(BudgetLine)).all()
    assert 12 <= len(lines) <= 16
    assert {line.kind for line in lines} == set(BudgetKind)
    assert all(line.investment_number for line in lines if line.kind == BudgetKind.INVESTIVE)
    programmes = dict(
        db.session.execute(
            select(CostPlanEntry.funding_programme, CostPlanEntry.funding_share).distinct()
        ).all()
    )
    assert programmes["DigitalPakt Schule 2.0"] == Decimal("50")  # Bund and Länder 50/50
    assert programmes["Modellprojekte Smart Cities"] == Decimal("65")
    # Operating base load on the licence and maintenance lines, a Deckungsring, VE that
    # serve measures.
    bound = db.session.scalars(
        select(BudgetLine.name).join(BudgetAmount).where(BudgetAmount.base_load > 0).distinct()
    ).all()
    assert "Softwarelizenzen und Pflege" in bound
    ring = db.session.scalar(select(CoverageRing))
    assert ring.year == 2026 and len(ring.members) >= 2
    linked = db.session.scalars(
        select(CommitmentAuthorization).where(CommitmentAuthorization.measure_id.is_not(None))
    ).all()
    assert linked and all(ve.measure is not None for ve in linked)
    assert db.session.scalar(select(func.count()).where(CostPlanEntry.is_running_cost.is_(True)))

    demand = {
        (line_id, year): amount
        for line_id, year, amount in db.session.execute(
            select(
                CostPlanEntry.budget_line_id,
                CostPlanEntry.year,
                func.sum(CostPlanEntry.amount),
            )
            .join(Measure, Measure.id == CostPlanEntry.measure_id)
            .where(Measure.status.in_(COUNTING_STATUSES))
            .group_by(CostPlanEntry.budget_line_id, CostPlanEntry.year)
        )
    }
    states = set()
    for amount in db.session.scalars(select(BudgetAmount)):
        need = Decimal(demand.get((amount.budget_line_id, amount.year), 0))
        if need:
            if amount.approved_amount - amount.base_load >= need:
                states.add("gedeckt")
            elif amount.approved_amount > 0:
                states.add("teilweise")
            else:
                states.add("ungedeckt")
    assert states == {"gedeckt", "teilweise", "ungedeckt"}


def test_demo_is_scored_with_the_scoring_service(db):
    _load(db)
    scored = db.session.scalar(select(func.count(Measure.id)).where(Measure.score.is_not(None)))
    assert 18 <= scored <= 25
    assert set(db.session.scalars(select(Measure.priority_class).distinct())) >= {"A", "B", "C"}
    ranked = db.session.scalar(select(Measure).where(Measure.rank_override.is_not(None)))
    assert ranked.rank_override == 1 and ranked.rank_override_reason
    app_measure = db.session.scalar(select(Measure).where(Measure.title.startswith("Rathaus-App")))
    assert len(app_measure.depends_on) == 2


def test_loading_twice_changes_nothing(db):
    _load(db)
    before = _counts()
    assert load_demo(only_if_empty=False) is False
    assert load_demo(only_if_empty=True) is False
    db.session.commit()
    assert _counts() == before


def test_only_if_empty_leaves_a_used_database_alone(db, factory):
    factory.department("XY", "Vorhandener Fachbereich")
    db.session.commit()
    assert load_demo(only_if_empty=True) is False
    assert db.session.scalar(select(func.count(Measure.id))) == 0


def test_every_demo_user_logs_in_and_reaches_the_start_page(app, db):
    _load(db)
    assert len(DEMO_USERS) == 10 and len(DEMO_PASSWORD) >= 10
    try:
        for username, full_name, _role, _dept in DEMO_USERS:
            client = app.test_client()
            response = login(client, username, DEMO_PASSWORD)
            assert response.status_code == 302, username
            page = client.get("/")
            assert page.status_code == 200, username
            assert full_name in page.get_data(as_text=True), username
    finally:
        # the request hook leaves the last user as audit actor in this thread; the next
        # test's fixture would attribute its inserts to a deleted user
        set_actor(None)


def _fingerprint() -> list[tuple[Any, ...]]:
    return _db.session.execute(
        select(
            Measure.title,
            Measure.status,
            Department.code,
            Measure.score,
            func.count(CostPlanEntry.id),
            func.sum(CostPlanEntry.amount),
        )
        .join(Department, Department.id == Measure.department_id)
        .join(CostPlanEntry, CostPlanEntry.measure_id == Measure.id)
        .group_by(Measure.id, Department.code)
        .order_by(Measure.id)
    ).all()


def _empty_tables() -> None:
    _db.session.rollback()
    with _db.engine.begin() as connection, append_only_suspended(connection):
        for table in reversed(_db.metadata.sorted_tables):
            connection.execute(table.delete())
    _db.session.add(Settings(id=1, budget_year=2026, kommune_name="Teststadt"))
    _db.session.commit()


def test_synthetic_portfolio_is_complete_and_repeatable(db):
    generate(200, random_seed=7)
    db.session.commit()
    assert db.session.scalar(select(func.count(Measure.id))) == 200
    without_costs = db.session.scalar(
        select(func.count(Measure.id)).where(Measure.id.not_in(select(CostPlanEntry.measure_id)))
    )
    assert without_costs == 0
    counts = (
        db.session.execute(select(func.count(CostPlanEntry.id)).group_by(CostPlanEntry.measure_id))
        .scalars()
        .all()
    )
    assert min(counts) >= 2 and max(counts) <= 6
    years = set(db.session.scalars(select(CostPlanEntry.year).distinct()))
    assert years <= {2026, 2027, 2028, 2029}
    assert db.session.scalar(select(func.count(StatusReport.id))) > 50
    assert db.session.scalar(select(func.count(Score.id))) > 0
    assert db.session.scalar(select(func.count(StatusChange.id))) >= 200
    assert db.session.scalar(select(func.count(MeasureComment.id))) >= 1
    assert 55 <= db.session.scalar(select(func.count(BudgetLine.id))) <= 70
    assert db.session.scalar(select(func.count(BudgetAmount.id))) > 0
    assert FundingSource.GRANT in set(db.session.scalars(select(CostPlanEntry.funding_source)))
    statuses = set(db.session.scalars(select(Measure.status).distinct()))
    assert {MeasureStatus.APPROVED, MeasureStatus.IN_PROGRESS, MeasureStatus.SUBMITTED} <= statuses
    reporting = db.session.scalars(select(Measure).where(Measure.last_report_on.is_not(None))).all()
    assert reporting and all(m.status_reports for m in reporting)
    first = _fingerprint()

    # a second run adds to the portfolio without clashing with the master data
    generate(20, random_seed=8)
    db.session.commit()
    assert db.session.scalar(select(func.count(Measure.id))) == 220

    # the same seed on an empty database gives the same portfolio
    _empty_tables()
    generate(200, random_seed=7)
    db.session.commit()
    assert _fingerprint() == first


def test_synthetic_after_demo_reuses_its_master_data(db):
    _load(db)
    departments = db.session.scalar(select(func.count(Department.id)))
    generate(50)
    db.session.commit()
    assert db.session.scalar(select(func.count(Department.id))) == departments
    assert db.session.scalar(select(func.count(Agenda.id))) == 1
    assert db.session.scalar(select(func.count(Measure.id))) == 42 + 50


def test_demo_has_two_potenzialcheck_rounds_with_improvement(db):
    from seed.demo import load_demo
    from steuerung.models import MaturityAssessment
    from steuerung.services.maturity.assessments import overall_averages

    load_demo()
    db.session.commit()
    older, newer = db.session.scalars(
        select(MaturityAssessment).order_by(MaturityAssessment.assessed_on)
    ).all()
    averages = overall_averages([older.id, newer.id])
    assert averages[newer.id] > averages[older.id]
