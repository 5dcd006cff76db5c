"""Coverage under the cover rules, with figures computed by hand.

The first tests check the pure calculation (no database): no netting across lines, netting
inside a Deckungsring only, konsumtiv and investiv apart, base load and VE reduce what is
available, grants reduce the own share. The later ones load a small portfolio through the
database and check the same rules end to end, with the filters and groupings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from steuerung.models import (
    BudgetAmount,
    BudgetKind,
    CommitmentAuthorization,
    CoverageRing,
    CoverageRingMember,
    FundingSource,
    MeasureCategory,
    MeasureStatus,
)
from steuerung.services.budget.coverage import (
    BudgetFacts,
    CoverageStatus,
    Grouping,
    LineInfo,
    LineYear,
    RingInfo,
    build_table,
    compute,
    coverage_by_year,
    coverage_table,
    line_measures_page,
    share_out,
)

D = Decimal
YEARS = [2026, 2027, 2028, 2029]
K, INV = BudgetKind.CONSUMPTIVE, BudgetKind.INVESTIVE


def _info(line_id: int, kind: BudgetKind = K, dept: int = 1) -> LineInfo:
    return LineInfo(line_id, f"L{line_id}", f"Linie {line_id}", kind, dept, f"FB {dept}", "x")


def _facts(
    figures: dict[tuple[int, int], LineYear],
    kinds: dict[int, BudgetKind],
    rings: list[RingInfo] | None = None,
    years: list[int] | None = None,
) -> BudgetFacts:
    return BudgetFacts(
        years=years or [2026],
        lines={i: _info(i, k) for i, k in kinds.items()},
        figures=figures,
        rings=rings or [],
    )


# --------------------------------------------------------------------------- pure rules


def test_a_gap_is_never_offset_by_another_lines_surplus() -> None:
    # Line 1: 100 available, needs 130 -> gap 30. Line 2: 100 available, needs 40 -> free 60.
    facts = _facts(
        {
            (1, 2026): LineYear(planned=D("100"), gross=D("130")),
            (2, 2026): LineYear(planned=D("100"), gross=D("40")),
        },
        {1: K, 2: K},
    )
    total = compute(facts).total(2026)
    assert (total.gap, total.free) == (D("30"), D("60"))
    assert total.status == CoverageStatus.PARTLY  # not "gedeckt" although 200 >= 170
    assert total.available == D("200") and total.own == D("170")


def test_inside_a_ring_lines_are_summed_first() -> None:
    ring = RingInfo(7, "IT", 2026, K, (1, 2))
    facts = _facts(
        {
            (1, 2026): LineYear(planned=D("100"), gross=D("130")),
            (2, 2026): LineYear(planned=D("100"), gross=D("40")),
            (3, 2026): LineYear(planned=D("50"), gross=D("80")),
        },
        {1: K, 2: K, 3: K},
        rings=[ring],
    )
    coverage = compute(facts)
    # Ring: 200 available, 170 needed -> free 30; line 3 alone: gap 30.
    total = coverage.total(2026)
    assert (total.gap, total.free) == (D("30"), D("30"))
    # The ring's free amount goes to the member with a surplus; the other has no gap left.
    assert coverage.lines[(1, 2026)].gap == D("0") and coverage.lines[(1, 2026)].free == D("0")
    assert coverage.lines[(2, 2026)].free == D("30")
    assert coverage.standalone[(1, 2026)].gap == D("30")
    units = {u.ring.name if u.ring else u.line_ids: u.figures for u in coverage.units[2026]}
    assert units["IT"].free == D("30") and units[(3,)].gap == D("30")


def test_a_ring_shares_its_gap_among_the_lines_that_miss_money() -> None:
    ring = RingInfo(7, "IT", 2026, K, (1, 2, 3))
    facts = _facts(
        {
            (1, 2026): LineYear(planned=D("100"), gross=D("200")),  # alone: gap 100
            (2, 2026): LineYear(planned=D("100"), gross=D("150")),  # alone: gap 50
            (3, 2026): LineYear(planned=D("100"), gross=D("70")),  # alone: free 30
        },
        {1: K, 2: K, 3: K},
        rings=[ring],
    )
    coverage = compute(facts)
    # Ring: 300 available, 420 needed -> gap 120, shared 100:50 -> 80 and 40.
    assert [coverage.lines[(i, 2026)].gap for i in (1, 2, 3)] == [D("80"), D("40"), D("0")]
    assert coverage.total(2026).gap == D("120")
    assert coverage.total(2026).free == D("0")


def test_konsumtiv_and_investiv_never_net() -> None:
    facts = _facts(
        {
            (1, 2026): LineYear(planned=D("100"), gross=D("150")),  # konsumtiv gap 50
            (2, 2026): LineYear(planned=D("500"), gross=D("100")),  # investiv free 400
        },
        {1: K, 2: INV},
    )
    table = build_table(facts, Grouping.KIND)
    parts = {p.kind: p.years[2026] for p in table.parts}
    assert (parts[K].gap, parts[K].free) == (D("50"), D("0"))
    assert (parts[INV].gap, parts[INV].free) == (D("0"), D("400"))
    assert (table.total.years[2026].gap, table.total.years[2026].free) == (D("50"), D("400"))
    assert table.total.years[2026].status == CoverageStatus.PARTLY


def test_base_load_and_ve_due_reduce_what_is_available() -> None:
    # 1000 Ansatz - 600 bound for running systems - 250 VE due = 150 available; need 200.
    facts = _facts(
        {
            (1, 2026): LineYear(
                planned=D("1000"), base_load=D("600"), ve_due=D("250"), gross=D("200")
            )
        },
        {1: K},
    )
    line = compute(facts).lines[(1, 2026)]
    assert line.available == D("150")
    assert (line.gap, line.free) == (D("50"), D("0"))
    assert line.ratio == D("75.0")


def test_ve_above_the_planung_is_a_gap_even_without_measures() -> None:
    facts = _facts({(1, 2026): LineYear(planned=D("100"), ve_due=D("130"))}, {1: INV})
    line = compute(facts).lines[(1, 2026)]
    assert (line.available, line.gap, line.free) == (D("-30"), D("30"), D("0"))
    assert line.status == CoverageStatus.UNCOVERED


def test_grants_reduce_the_own_share() -> None:
    # 1000 gross with a 90 % grant: own share 100 fits into 150.
    facts = _facts(
        {(1, 2026): LineYear(planned=D("150"), gross=D("1000"), grant=D("900"))}, {1: INV}
    )
    line = compute(facts).lines[(1, 2026)]
    assert line.own == D("100") and (line.gap, line.free) == (D("0"), D("50"))
    assert line.grant_share == D("90.0")
    assert line.status == CoverageStatus.COVERED


def test_a_year_s_surplus_does_not_cover_another_year() -> None:
    facts = _facts(
        {
            (1, 2026): LineYear(planned=D("100"), gross=D("40")),
            (1, 2027): LineYear(planned=D("100"), gross=D("160")),
        },
        {1: K},
        years=[2026, 2027],
    )
    row = build_table(facts, Grouping.BUDGET_LINE).rows[0]
    assert (row.total.gap, row.total.free) == (D("60"), D("60"))


def test_share_out_adds_up_to_the_cent() -> None:
    parts = share_out(D("100.00"), {"a": D("1"), "b": D("1"), "c": D("1")})
    assert sum(parts.values()) == D("100.00")
    assert sorted(parts.values()) == [D("33.33"), D("33.33"), D("33.34")]
    assert share_out(D("0"), {"a": D("1")}) == {"a": D("0")}


# --------------------------------------------------------------------------- through the database


@pytest.fixture()
def portfolio(factory: Any, db: Any) -> dict[str, Any]:
    """Three lines of two departments and measures in every state that matters.

    2026, approved + in progress only:
      line A (FB 1, konsumtiv): Ansatz 1.000, base load 300 -> 700 available;
        demand 600 (approved) + 600 (in progress) = 1.200 -> gap 500.
      line B (FB 2, investiv): Ansatz 5.000, VE due 2026 1.000 -> 4.000 available;
        demand 1.000 of which 80 % grant -> own 200 -> free 3.800.
      line C (FB 2, konsumtiv): nothing in 2026.
    """
    fb1 = factory.department("FB 1", "Bürgerservice")
    fb2 = factory.department("FB 2", "Bauen")
    agenda = factory.agenda()
    field_v, field_b = agenda.action_fields
    line_a = factory.budget_line(fb1, amounts={2026: "1000.00", 2027: "500.00", 2025: "999.00"})
    next(a for a in line_a.amounts if a.year == 2026).base_load = D("300.00")
    line_b = factory.budget_line(fb2, INV, amounts={2026: "5000.00", 2028: "100.00"})
    line_c = factory.budget_line(fb2, amounts={2029: "300.00"})
    line_b.commitments.append(
        CommitmentAuthorization(granted_year=2025, due_year=2026, amount=D("1000.00"))
    )
    line_b.commitments.append(
        CommitmentAuthorization(granted_year=2024, due_year=2026, amount=D("777.00"))
    )
    specs = [
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
    entry = measures[0].cost_plan[2]
    entry.funding_source = FundingSource.GRANT
    entry.funding_share = D("80")
    entry.funding_programme = "Förderprogramm Digital"
    from steuerung.models.base import utcnow

    line_b.commitments[1].archived_at = utcnow()  # archived: counts nowhere
    db.session.commit()
    return {
        "fb1": fb1,
        "fb2": fb2,
        "lines": [line_a, line_b, line_c],
        "measures": measures,
        "field_v": field_v,
        "field_b": field_b,
    }


def test_line_figures_by_hand(db: Any, portfolio: dict[str, Any]) -> None:
    line_a, line_b, _ = portfolio["lines"]
    table = coverage_table(YEARS, Grouping.BUDGET_LINE)
    rows = {row.key: row for row in table.rows}
    a, b = rows[line_a.id].years[2026], rows[line_b.id].years[2026]
    assert (a.planned, a.base_load, a.available, a.own, a.gap, a.free) == (
        D("1000.00"),
        D("300.00"),
        D("700.00"),
        D("1200.00"),
        D("500.00"),
        D("0.00"),
    )
    assert (b.ve_due, b.available, b.gross, b.grant, b.own, b.gap, b.free) == (
        D("1000.00"),
        D("4000.00"),
        D("1000.00"),
        D("800.00"),
        D("200.00"),
        D("0.00"),
        D("3800.00"),
    )
    # 2027: A has 500 against 700 (approved measure) -> gap 200.
    assert rows[line_a.id].years[2027].gap == D("200.00")


def test_totals_per_year_sum_gaps_and_free_amounts(db: Any, portfolio: dict[str, Any]) -> None:
    years = {y.year: y for y in coverage_by_year(YEARS)}
    y2026 = years[2026]
    assert (y2026.gap, y2026.free) == (D("500.00"), D("3800.00"))
    assert y2026.status == CoverageStatus.PARTLY
    assert (y2026.parts[K].gap, y2026.parts[INV].free) == (D("500.00"), D("3800.00"))
    # 2028: B has 100 against 400 -> gap 300; 2029: C has 300, nothing counts -> free 300.
    assert (years[2028].gap, years[2029].free) == (D("300.00"), D("300.00"))


def test_the_scenario_adds_submitted_measures(db: Any, portfolio: dict[str, Any]) -> None:
    y2026 = coverage_by_year(YEARS, include_submitted=True)[0]
    # Line A needs 250 more (submitted) -> gap 750.
    assert y2026.gap == D("750.00")
    y2027 = coverage_by_year(YEARS, include_submitted=True)[1]
    # Line B: 80 under review in 2027, nothing available -> gap 80; A: 500 vs 700 -> 200.
    assert y2027.gap == D("280.00")


def test_a_ring_through_the_database(db: Any, portfolio: dict[str, Any], factory: Any) -> None:
    line_a, _, line_c = portfolio["lines"]
    line_c.amounts.append(BudgetAmount(year=2026, approved_amount=D("600.00")))
    ring = CoverageRing(name="Betrieb", year=2026, kind=K)
    ring.members += [
        CoverageRingMember(budget_line_id=line_a.id, year=2026),
        CoverageRingMember(budget_line_id=line_c.id, year=2026),
    ]
    db.session.add(ring)
    db.session.commit()
    # Ring 2026: A 700 + C 600 available, needs 1.200 -> free 100; B free 3.800.
    y2026 = coverage_by_year(YEARS)[0]
    assert (y2026.gap, y2026.free) == (D("0.00"), D("3900.00"))
    assert y2026.status == CoverageStatus.COVERED
    rows = coverage_table(YEARS, Grouping.RING).rows
    assert rows[0].label == "Deckungsring „Betrieb“" and rows[0].years[2026].free == D("100.00")
    # 2027 has no ring: A's gap of 200 stands.
    assert coverage_by_year(YEARS)[1].gap == D("200.00")


def test_department_filter_keeps_its_lines(db: Any, portfolio: dict[str, Any]) -> None:
    fb2 = portfolio["fb2"]
    y2026 = coverage_by_year(YEARS, department_id=fb2.id)[0]
    assert (y2026.gap, y2026.free) == (D("0.00"), D("3800.00"))
    table = coverage_table(YEARS, Grouping.DEPARTMENT)
    by_dept = {row.key: row.years[2026] for row in table.rows}
    assert by_dept[portfolio["fb1"].id].gap == D("500.00")


def test_measure_groups_show_demand_and_the_gap_they_cause(
    db: Any, portfolio: dict[str, Any]
) -> None:
    table = coverage_table(YEARS, Grouping.CATEGORY)
    rows = {row.label: row.years[2026] for row in table.rows}
    # Line A's gap of 500 is caused half by each measure (600 of 1.200 own share each).
    assert rows["Smart City"].own == D("600.00") and rows["Smart City"].gap == D("250.00")
    assert rows["Digitale Verwaltung"].gross == D("1600.00")
    assert rows["Digitale Verwaltung"].gap == D("250.00")
    assert rows["Smart City"].available is None and rows["Smart City"].free == D("0")
    smart = coverage_by_year(YEARS, category=MeasureCategory.SMART_CITY)[0]
    assert (smart.gap, smart.figures.own) == (D("250.00"), D("600.00"))


def test_line_measures_show_gross_grant_and_own(db: Any, portfolio: dict[str, Any]) -> None:
    _, line_b, _ = portfolio["lines"]
    demand = line_measures_page(line_b.id, YEARS, include_submitted=False, offset=0, limit=50)
    first = next(m for m in demand if m.measure_id == portfolio["measures"][0].id)
    assert (first.total, first.grant, first.own) == (D("1000.00"), D("800.00"), D("200.00"))
