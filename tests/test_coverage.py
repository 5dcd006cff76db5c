"""Coverage service: figures compared with sums computed independently in the test."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from steuerung.models import (
    BudgetKind,
    CostPlanEntry,
    FundingSource,
    MeasureCategory,
    MeasureStatus,
)
from steuerung.services.budget.coverage import (
    CoverageStatus,
    Grouping,
    coverage_table,
    demand_vs_approved_by_year,
    make_year_coverage,
    measures_by_line,
)
from steuerung.services.measures.rules import COUNTING_STATUSES, SCENARIO_STATUSES

YEARS = [2026, 2027, 2028, 2029]
D = Decimal


@pytest.fixture()
def portfolio(factory: Any, db: Any) -> dict[str, Any]:
    """Two departments, three lines, measures in every interesting state."""
    fb1 = factory.department("FB 1", "Bürgerservice")
    fb2 = factory.department("FB 2", "Bauen")
    agenda = factory.agenda()
    field_v, field_b = agenda.action_fields
    line_a = factory.budget_line(fb1, amounts={2026: "1000.00", 2027: "500.00", 2025: "999.00"})
    line_b = factory.budget_line(
        fb2, BudgetKind.INVESTIVE, amounts={2026: "5000.00", 2028: "100.00"}
    )
    line_c = factory.budget_line(fb2, amounts={2029: "300.00"})
    specs = [
        # (dept, status, goals, category, costs)
        (
            fb1,
            MeasureStatus.APPROVED,
            [field_v.goals[0], field_v.goals[1]],
            None,
            [(line_a, 2026, "600.00"), (line_a, 2027, "700.00"), (line_b, 2026, "1000.00")],
        ),
        (
            fb1,
            MeasureStatus.IN_PROGRESS,
            [field_b.goals[0]],
            MeasureCategory.SMART_CITY,
            [(line_a, 2026, "600.00"), (line_b, 2028, "400.00"), (line_a, 2025, "50.00")],
        ),
        (
            fb2,
            MeasureStatus.SUBMITTED,
            [field_v.goals[0]],
            None,
            [(line_a, 2026, "250.00"), (line_c, 2029, "100.00")],
        ),
        (fb2, MeasureStatus.UNDER_REVIEW, [], None, [(line_b, 2027, "80.00")]),
        (fb2, MeasureStatus.DRAFT, [field_v.goals[0]], None, [(line_a, 2026, "9999.00")]),
        (fb1, MeasureStatus.REJECTED, [], None, [(line_c, 2029, "7777.00")]),
    ]
    measures = []
    for dept, status, goals, category, costs in specs:
        kwargs = {"category": category} if category else {}
        measures.append(factory.measure(dept, status, goals=goals, costs=costs, **kwargs))
    # A grant-funded entry: 80 % of 1000 from outside.
    entry = measures[0].cost_plan[2]
    entry.funding_source = FundingSource.GRANT
    entry.funding_share = D("80")
    entry.funding_programme = "Förderprogramm Digital"
    db.session.commit()
    return {
        "fb1": fb1,
        "fb2": fb2,
        "lines": [line_a, line_b, line_c],
        "measures": measures,
        "field_v": field_v,
        "field_b": field_b,
    }


def _independent(
    db: Any,
    statuses: tuple[MeasureStatus, ...],
    line_ids: set[int] | None = None,
    measure_ok: Any = None,
) -> dict[int, D]:
    """Demand per year summed in Python over every cost-plan row."""
    sums = {y: D("0") for y in YEARS}
    for entry in db.session.query(CostPlanEntry).all():
        if entry.measure.status not in statuses or entry.year not in YEARS:
            continue
        if line_ids is not None and entry.budget_line_id not in line_ids:
            continue
        if measure_ok is not None and not measure_ok(entry.measure):
            continue
        sums[entry.year] += entry.amount
    return sums


def _approved(lines: list[Any]) -> dict[int, D]:
    sums = {y: D("0") for y in YEARS}
    for line in lines:
        for amount in line.amounts:
            if amount.year in sums:
                sums[amount.year] += amount.approved_amount
    return sums


def test_total_matches_independent_sums(db: Any, portfolio: dict[str, Any]) -> None:
    result = demand_vs_approved_by_year(YEARS)
    demand = _independent(db, COUNTING_STATUSES)
    approved = _approved(portfolio["lines"])
    assert [r.year for r in result] == YEARS
    for row in result:
        assert row.demand == demand[row.year]
        assert row.approved == approved[row.year]
        assert row.gap == max(demand[row.year] - approved[row.year], D("0"))
    # 2026: demand 600+600+1000 = 2200 against 6000 approved.
    assert result[0].demand == D("2200.00") and result[0].status == CoverageStatus.COVERED
    # 2027: 700 against 500 -> partly, ratio 71.4 %
    assert result[1].status == CoverageStatus.PARTLY and result[1].ratio == D("71.4")
    assert result[1].status.label == "teilweise gedeckt"


def test_scenario_adds_submitted_measures(db: Any, portfolio: dict[str, Any]) -> None:
    result = demand_vs_approved_by_year(YEARS, include_submitted=True)
    demand = _independent(db, COUNTING_STATUSES + SCENARIO_STATUSES)
    assert {r.year: r.demand for r in result} == demand
    assert result[3].demand == D("100.00")  # only the submitted one in 2029


def test_department_filter_uses_its_budget_lines(db: Any, portfolio: dict[str, Any]) -> None:
    fb2 = portfolio["fb2"]
    lines = [line for line in portfolio["lines"] if line.department_id == fb2.id]
    result = demand_vs_approved_by_year(YEARS, department_id=fb2.id)
    demand = _independent(db, COUNTING_STATUSES, {line.id for line in lines})
    approved = _approved(lines)
    assert {r.year: r.demand for r in result} == demand
    assert {r.year: r.approved for r in result} == approved
    assert result[2].status == CoverageStatus.PARTLY  # 400 against 100


def test_category_filter_allocates_the_lines(db: Any, portfolio: dict[str, Any]) -> None:
    result = demand_vs_approved_by_year(YEARS, category=MeasureCategory.SMART_CITY)
    demand = _independent(
        db, COUNTING_STATUSES, measure_ok=lambda m: m.category == MeasureCategory.SMART_CITY
    )
    assert {r.year: r.demand for r in result} == demand
    # 2026: line A has 1200 demand against 1000 approved -> 5/6 of this measure's 600.
    assert result[0].approved == D("500.00") and result[0].gap == D("100.00")
    # 2028: line B has 400 demand against 100 approved.
    assert result[2].approved == D("100.00") and result[2].status == CoverageStatus.PARTLY


def test_by_budget_line_and_department_add_up(db: Any, portfolio: dict[str, Any]) -> None:
    by_line = coverage_table(YEARS, Grouping.BUDGET_LINE, with_measures=True)
    total = demand_vs_approved_by_year(YEARS)
    for y_index, year in enumerate(YEARS):
        assert sum(r.years[year].demand for r in by_line.rows) == total[y_index].demand
        assert sum(r.years[year].approved for r in by_line.rows) == total[y_index].approved
    line_a = portfolio["lines"][0]
    row_a = next(r for r in by_line.rows if r.key == line_a.id)
    assert row_a.years[2026].demand == D("1200.00")
    assert row_a.years[2026].gap == D("200.00")
    assert row_a.total.gap == D("400.00")  # 200 in 2026 + 200 in 2027
    assert [m.reference for m in row_a.measures] == [
        portfolio["measures"][0].reference,
        portfolio["measures"][1].reference,
    ]
    assert row_a.measures[0].amounts == {
        2026: D("600.00"),
        2027: D("700.00"),
        2028: D("0.00"),
        2029: D("0.00"),
    }

    by_dept = coverage_table(YEARS, Grouping.DEPARTMENT)
    assert not by_dept.allocated
    assert {r.label for r in by_dept.rows} == {"FB 1 Bürgerservice", "FB 2 Bauen"}
    assert sum(r.total.demand for r in by_dept.rows) == by_dept.total.total.demand

    by_kind = coverage_table(YEARS, Grouping.KIND)
    investive = next(r for r in by_kind.rows if r.key == BudgetKind.INVESTIVE)
    assert investive.total.demand == D("1400.00")
    # Funding share: 800 of the 1000 on line B are grants.
    assert investive.external == D("800.00")
    assert investive.own == D("600.00")
    assert investive.external_share == D("57.1")


def test_by_action_field_counts_measure_once_per_field(db: Any, portfolio: dict[str, Any]) -> None:
    table = coverage_table(YEARS, Grouping.ACTION_FIELD)
    assert table.allocated
    field_v = next(r for r in table.rows if r.key == portfolio["field_v"].id)
    # Measure 0 has two goals in field V: counted once (600 + 1000 in 2026).
    assert field_v.years[2026].demand == D("1600.00")
    assert all(r.years[y].approved <= r.years[y].demand for r in table.rows for y in YEARS)
    # Gaps of the fields add up to the total gap (the fields partition the demand here).
    for year in YEARS:
        assert sum(r.years[year].gap for r in table.rows) == table.total.years[year].gap


def test_by_funding_source(db: Any, portfolio: dict[str, Any]) -> None:
    table = coverage_table(YEARS, Grouping.FUNDING_SOURCE)
    grant = next(r for r in table.rows if r.key == FundingSource.GRANT)
    assert grant.total.demand == D("1000.00")
    assert grant.external == D("800.00")


def test_constant_number_of_queries(db: Any, factory: Any, portfolio: dict[str, Any]) -> None:
    from sqlalchemy import event

    def count() -> int:
        statements: list[str] = []

        def listener(*args: Any) -> None:
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            coverage_table(YEARS, Grouping.BUDGET_LINE, include_submitted=True, with_measures=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    before = count()
    line = portfolio["lines"][0]
    for _ in range(15):
        factory.measure(portfolio["fb1"], MeasureStatus.APPROVED, costs=[(line, 2027, "10.00")])
    db.session.commit()
    assert count() == before


def test_status_rules() -> None:
    assert make_year_coverage(2026, D("0"), D("0")).status == CoverageStatus.COVERED
    assert make_year_coverage(2026, D("0"), D("0")).ratio is None
    assert make_year_coverage(2026, D("100"), D("0")).status == CoverageStatus.UNCOVERED
    assert make_year_coverage(2026, D("100"), D("100")).ratio == D("100.0")
    assert make_year_coverage(2026, D("100"), D("150")).gap == D("0.00")


def test_measures_by_line_filters(db: Any, portfolio: dict[str, Any]) -> None:
    result = measures_by_line(YEARS, include_submitted=True)
    line_c = portfolio["lines"][2]
    assert [m.status for m in result[line_c.id]] == [MeasureStatus.SUBMITTED]
    grant = result[portfolio["lines"][1].id][0]
    assert grant.funding == "Fördermittel (Förderprogramm Digital)"


def test_measures_limit_per_line_keeps_the_count(db: Any, portfolio: dict[str, Any]) -> None:
    table = coverage_table(YEARS, Grouping.BUDGET_LINE, with_measures=True, measures_limit=1)
    row_a = next(r for r in table.rows if r.key == portfolio["lines"][0].id)
    assert row_a.measure_count == 2
    assert [m.reference for m in row_a.measures] == [portfolio["measures"][0].reference]
