"""Demo data for the dashboard tests and the independent (plain Python) expected figures.

The expectations are computed from the ORM objects the factory built, without the
dashboard's SQL, so the tests compare two independent computations.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from conftest import Factory

from steuerung.models import (
    BudgetAmount,
    BudgetKind,
    CommitmentAuthorization,
    CostPlanEntry,
    CoverageRing,
    FundingSource,
    Measure,
    MeasureCategory,
    MeasureStatus,
    Milestone,
    Role,
    StatusReport,
    TrafficLight,
)
from steuerung.services.dashboard.data import (
    GOAL_GROUPS,
    NO_FIELD,
    NO_REPORT,
    DashboardFilters,
)
from steuerung.services.measures.reports import is_overdue
from steuerung.services.measures.rules import CLOSED_STATUSES, REPORTING_STATUSES
from steuerung.services.portfolio.ranking import rank_measures
from steuerung.services.portfolio.rules import PORTFOLIO_STATUSES

TODAY = date(2026, 6, 15)
COUNTING = (MeasureStatus.APPROVED, MeasureStatus.IN_PROGRESS)
G, Y, R = TrafficLight.GREEN, TrafficLight.YELLOW, TrafficLight.RED


@dataclass
class Demo:
    """What the demo builder made."""

    agenda: Any
    departments: list[Any]
    measures: list[Measure]
    lines: list[Any]


def build_demo(factory: Factory, users: dict[str, Any], extra: int = 0) -> Demo:
    """A small Kommune: 3 departments, 2 fields x 2 goals, ~14 measures (+ ``extra``)."""
    session = factory.session
    fb1 = users["coordinator"].department
    fb2 = users["other_submitter"].department
    fb3 = factory.department("FB 3", "Schulen")
    agenda = factory.agenda()
    v1, v2 = agenda.action_fields[0].goals
    b1, b2 = agenda.action_fields[1].goals
    owner = users["submitter"]
    gone = factory.user(Role.SUBMITTER, fb2, username="ehemalig")
    gone.is_active_user = False

    line1 = factory.budget_line(fb1, amounts={2026: "10000.00", 2027: "5000.00", 2028: "1000.00"})
    line2 = factory.budget_line(fb2, BudgetKind.INVESTIVE, amounts={2026: "20000.00"})
    line3 = factory.budget_line(fb3, amounts={2027: "3000.00"})

    def report(measure: Measure, day: date, lights: tuple, progress: int = 50) -> None:
        measure.status_reports.append(
            StatusReport(
                reported_on=day,
                schedule_light=lights[0],
                cost_light=lights[1],
                scope_light=lights[2],
                progress_percent=progress,
            )
        )
        if measure.last_report_on is None or day > measure.last_report_on:
            measure.last_report_on = day

    m = []
    # 0: in progress, V-1, red latest report, owner, costs on line1, milestones
    m.append(
        factory.measure(
            fb1,
            MeasureStatus.IN_PROGRESS,
            title="E-Akte",
            owner=owner,
            goals=[v1],
            costs=[(line1, 2026, "6000.00"), (line1, 2027, "2000.00")],
            start_date=date(2025, 1, 1),
            end_date=date(2027, 6, 30),
            score=Decimal("80"),
            priority_class="A",
            running_cost_after_horizon=Decimal("1200"),
        )
    )
    report(m[0], date(2026, 5, 1), (G, G, G))
    report(m[0], date(2026, 6, 1), (G, R, Y), 60)
    m[0].milestones.append(
        Milestone(title="Pilot", due_date=date(2025, 9, 1), done_on=date(2025, 9, 3))
    )
    m[0].milestones.append(Milestone(title="Rollout", due_date=date(2026, 12, 1)))
    # 1: in progress, B-1 and V-2 (first goal by code is B-1), yellow, overdue, no owner
    m.append(
        factory.measure(
            fb2,
            MeasureStatus.IN_PROGRESS,
            title="Kita-Anmeldung online",
            goals=[v2, b1],
            costs=[(line2, 2026, "25000.00")],
            start_date=date(2025, 3, 1),
            end_date=date(2026, 12, 31),
            category=MeasureCategory.DIGITAL_ADMINISTRATION,
            score=Decimal("70"),
            priority_class="A",
        )
    )
    report(m[1], date(2025, 12, 1), (Y, G, G), 30)
    # 2: approved, smart city, B-2, no report -> overdue, owner inactive
    m.append(
        factory.measure(
            fb3,
            MeasureStatus.APPROVED,
            title="Sensorik Parkplätze",
            owner=gone,
            goals=[b2],
            costs=[(line3, 2027, "4000.00"), (line1, 2026, "2000.00")],
            start_date=date(2026, 1, 1),
            end_date=date(2028, 12, 31),
            category=MeasureCategory.SMART_CITY,
            score=Decimal("55"),
            priority_class="B",
            running_cost_after_horizon=Decimal("300"),
        )
    )
    # 3: approved, smart city, V-1, green report, rank override, owner
    m.append(
        factory.measure(
            fb1,
            MeasureStatus.APPROVED,
            title="Open Data Portal",
            owner=owner,
            goals=[v1],
            costs=[(line1, 2026, "3000.00"), (line1, 2028, "500.00")],
            start_date=date(2026, 2, 1),
            end_date=date(2026, 11, 30),
            category=MeasureCategory.SMART_CITY,
            score=Decimal("40"),
            priority_class="C",
            rank_override=1,
            rank_override_reason="Ratsbeschluss",
        )
    )
    report(m[3], date(2026, 6, 10), (G, G, G), 20)
    # 4: in progress, red (scope), no goals, school, dates in 2027 only
    m.append(
        factory.measure(
            fb3,
            MeasureStatus.IN_PROGRESS,
            title="WLAN Schulen",
            owner=owner,
            costs=[(line3, 2027, "1500.00")],
            start_date=date(2027, 1, 1),
            end_date=date(2027, 12, 31),
            category=MeasureCategory.SCHOOL,
            report_interval_days=30,
        )
    )
    report(m[4], date(2026, 6, 12), (G, G, R), 5)
    # 5..: other states
    m.append(factory.measure(fb1, MeasureStatus.DRAFT, title="Entwurf ohne Alles"))
    m.append(
        factory.measure(
            fb2,
            MeasureStatus.SUBMITTED,
            title="Bauantrag digital",
            owner=owner,
            goals=[v2],
            costs=[(line2, 2026, "9000.00")],
            score=Decimal("65"),
            priority_class="B",
        )
    )
    m.append(
        factory.measure(
            fb1,
            MeasureStatus.UNDER_REVIEW,
            title="Chatbot",
            goals=[b1],
            category=MeasureCategory.SMART_CITY,
            score=Decimal("30"),
            priority_class="C",
        )
    )
    m.append(
        factory.measure(
            fb2, MeasureStatus.COMPLETED, title="Terminvergabe", owner=owner, goals=[b1, v1]
        )
    )
    m.append(factory.measure(fb2, MeasureStatus.REJECTED, title="Blockchain", goals=[v2]))
    m.append(factory.measure(fb3, MeasureStatus.CANCELLED, title="Abgebrochen", goals=[b2]))
    m.append(
        factory.measure(
            fb1,
            MeasureStatus.DEFERRED,
            title="Zurückgestellt",
            goals=[v1],
            start_date=date(2029, 1, 1),
            end_date=date(2029, 12, 31),
        )
    )
    m.append(factory.measure(fb3, MeasureStatus.RETURNED, title="Rückfrage", goals=[b2]))
    # A completed measure with a red report: not counted (only reporting states count).
    m.append(
        factory.measure(fb1, MeasureStatus.COMPLETED, title="Alt rot", owner=owner, goals=[v2])
    )
    report(m[-1], date(2026, 1, 1), (R, R, R), 100)

    session.flush()
    demo = Demo(agenda, [fb1, fb2, fb3], m, [line1, line2, line3])
    add_measures(factory, demo, owner, extra)
    return demo


def add_measures(factory: Factory, demo: Demo, owner: Any, n: int) -> None:
    """Add ``n`` running measures with goals, costs, a report and a milestone each."""
    goals = [g for f in demo.agenda.action_fields for g in f.goals]
    line1, line2, _line3 = demo.lines
    for i in range(n):
        status = (MeasureStatus.IN_PROGRESS, MeasureStatus.APPROVED, MeasureStatus.SUBMITTED)[i % 3]
        measure = factory.measure(
            demo.departments[i % 3],
            status,
            title=f"Zusatz {i}",
            owner=owner if i % 2 else None,
            goals=[goals[i % 4]],
            costs=[(line1, 2026, "100.00"), (line2, 2027, "50.00")],
            start_date=date(2026, 1, 1) + timedelta(days=i),
            end_date=date(2027, 1, 1) + timedelta(days=i),
            score=Decimal(i % 100),
            priority_class="ABC"[i % 3],
        )
        measure.status_reports.append(
            StatusReport(
                reported_on=date(2026, 3, 1),
                schedule_light=(G, Y, R)[i % 3],
                cost_light=G,
                scope_light=G,
                progress_percent=10,
            )
        )
        measure.last_report_on = date(2026, 3, 1)
        measure.milestones.append(Milestone(title="M1", due_date=date(2026, 6, 1)))
        demo.measures.append(measure)
    factory.session.flush()


# ----------------------------------------------------------------- independent expectations


def selected(measure: Measure, f: DashboardFilters) -> bool:
    """Python twin of the dashboard filters."""
    if f.department_id is not None and measure.department_id != f.department_id:
        return False
    if f.category is not None and measure.category != f.category:
        return False
    if f.action_field_id is not None and not any(
        g.action_field_id == f.action_field_id for g in measure.goals
    ):
        return False
    if f.year is not None:
        if measure.start_date and measure.start_date > date(f.year, 12, 31):
            return False
        if measure.end_date and measure.end_date < date(f.year, 1, 1):
            return False
    return True


def latest(measure: Measure) -> StatusReport | None:
    """Latest report by date, then by id."""
    if not measure.status_reports:
        return None
    return max(measure.status_reports, key=lambda r: (r.reported_on, r.id))


def ranked(measures: list[Measure]) -> list[Measure]:
    """The portfolio's rank order (its Python reference implementation)."""
    return rank_measures(measures)


def expected_tiles(demo: Demo, f: DashboardFilters, settings: Any) -> dict[str, Any]:
    """Tiles computed in Python."""
    chosen = [m for m in demo.measures if selected(m, f)]
    red = 0
    for m in chosen:
        report = latest(m)
        if m.status in REPORTING_STATUSES and report and report.overall_light == TrafficLight.RED:
            red += 1
    return {
        "total": len(chosen),
        "status_counts": dict(Counter(m.status for m in chosen)),
        "red": red,
        "overdue": sum(1 for m in chosen if is_overdue(m, settings, TODAY)),
        "without_owner": sum(
            1
            for m in chosen
            if m.status not in CLOSED_STATUSES and (m.owner is None or not m.owner.is_active_user)
        ),
    }


def expected_money(
    demo: Demo, years: list[int], f: DashboardFilters, session: Any
) -> dict[int, tuple[Decimal | None, Decimal, Decimal, Decimal]]:
    """(available, own share, sum of gaps, sum of free amounts) per year, by the cover rules:
    per line available = Ansatz - base load - VE due; gap/free per line, never netted.
    The department filter keeps that department's lines; field/category filters keep those
    measures' own share and the part of each line's gap it causes (no free amount, no
    available money of their own). The dashboard demo has no Deckungsring."""
    entries = session.query(CostPlanEntry).all()
    amounts = session.query(BudgetAmount).all()
    commitments = session.query(CommitmentAuthorization).all()
    assert not session.query(CoverageRing).count()
    cent = Decimal("0.01")
    result = {}
    for year in years:

        def line_ok(line: Any, f: DashboardFilters = f) -> bool:
            return f.department_id is None or line.department_id == f.department_id

        lines = {a.budget_line for a in amounts if a.year == year}
        lines |= {e.budget_line for e in entries if e.year == year}
        available = {line.id: Decimal("0") for line in lines}
        for a in amounts:
            if a.year == year:
                available[a.budget_line_id] += a.approved_amount - a.base_load
        for c in commitments:
            if c.due_year == year and c.archived_at is None and c.budget_line_id in available:
                available[c.budget_line_id] -= c.amount
        own: dict[int, Decimal] = defaultdict(Decimal)
        chosen: dict[int, Decimal] = defaultdict(Decimal)
        only = DashboardFilters(action_field_id=f.action_field_id, category=f.category)
        for e in entries:
            if e.year == year and e.measure.status in COUNTING:
                share = e.amount - (
                    (e.amount * e.funding_share / 100).quantize(cent)
                    if e.funding_source != FundingSource.OWN
                    else Decimal("0")
                )
                own[e.budget_line_id] += share
                if selected(e.measure, only):
                    chosen[e.budget_line_id] += share
        shown = [line for line in lines if line_ok(line)]
        gap = {i: max(own[i] - available[i], Decimal("0")) for i in available}
        free = {i: max(available[i] - own[i], Decimal("0")) for i in available}
        if f.action_field_id is None and f.category is None:
            result[year] = (
                sum((available[line.id] for line in shown), Decimal("0")),
                sum((own[line.id] for line in shown), Decimal("0")),
                sum((gap[line.id] for line in shown), Decimal("0")),
                sum((free[line.id] for line in shown), Decimal("0")),
            )
        else:
            caused = Decimal("0")
            for line in shown:
                if own[line.id] > 0 and gap[line.id] > 0:
                    part = gap[line.id] * min(Decimal(1), chosen[line.id] / own[line.id])
                    caused += part.quantize(cent, rounding="ROUND_HALF_UP")
            result[year] = (
                None,
                sum((chosen[line.id] for line in shown), Decimal("0")),
                caused,
                Decimal("0"),
            )
    return result


def primary_field(measure: Measure) -> str:
    """Field of the first goal by code."""
    if not measure.goals:
        return NO_FIELD
    first = sorted(measure.goals, key=lambda g: (g.action_field.position, g.position, g.id))[0]
    return first.action_field.name


def expected_status_by_field(demo: Demo, f: DashboardFilters) -> dict[str, dict[Any, int]]:
    """counts[field][status]."""
    counts: dict[str, dict[Any, int]] = defaultdict(lambda: defaultdict(int))
    for m in demo.measures:
        if selected(m, f):
            counts[primary_field(m)][m.status] += 1
    return {k: dict(v) for k, v in counts.items()}


def expected_lights(demo: Demo, f: DashboardFilters) -> dict[str, dict[str, int]]:
    """counts[department label][light or 'kein Bericht'] for reporting measures."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for m in demo.measures:
        if selected(m, f) and m.status in REPORTING_STATUSES:
            report = latest(m)
            key = report.overall_light.value if report else NO_REPORT
            counts[f"{m.department.code} – {m.department.name}"][key] += 1
    return {k: dict(v) for k, v in counts.items()}


def expected_roadmap(demo: Demo, f: DashboardFilters, limit: int) -> tuple[list[str], int]:
    """References of the roadmap in order, and the number of candidates."""
    chosen = [
        m
        for m in demo.measures
        if selected(m, f) and m.status in COUNTING and m.start_date and m.end_date
    ]
    return [m.reference for m in ranked(chosen)[:limit]], len(chosen)


def expected_goals(demo: Demo, f: DashboardFilters) -> dict[str, list[int]]:
    """counts per goal code and status group."""
    result = {}
    for field in demo.agenda.action_fields:
        if f.action_field_id is not None and field.id != f.action_field_id:
            continue
        for goal in field.goals:
            counts = []
            for _label, statuses in GOAL_GROUPS:
                counts.append(
                    sum(
                        1
                        for m in demo.measures
                        if selected(m, f) and m.status in statuses and goal in m.goals
                    )
                )
            result[goal.code] = counts
    return result


def expected_portfolio(
    demo: Demo, f: DashboardFilters, horizon: list[int], limit: int
) -> list[tuple[str, Decimal, Decimal]]:
    """(reference, score, horizon cost) in rank order."""
    chosen = [
        m
        for m in demo.measures
        if selected(m, f) and m.score is not None and m.status in PORTFOLIO_STATUSES
    ]
    return [
        (
            m.reference,
            Decimal(m.score),
            sum((e.amount for e in m.cost_plan if e.year in horizon), Decimal("0")),
        )
        for m in ranked(chosen)[:limit]
    ]
