"""Aggregates kept per block of measures: a change re-reads only its block, and the totals
always equal a computation from scratch (services/common/cache.py, ``summed_by_block``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from steuerung.models import (
    CostPlanEntry,
    FundingSource,
    Measure,
    MeasureStatus,
    StatusReport,
    TrafficLight,
)
from steuerung.services.budget.coverage import demand_per_line
from steuerung.services.common import cache
from steuerung.services.common.audit import (
    BLOCK_SIZE,
    CORE,
    LINE_MONEY_PART,
    REPORTS,
    SHARED_TABLE_PARTS,
    TEXT,
    block_part,
    part_generations,
)

S = MeasureStatus
YEARS = [2026, 2027]
COUNTING = [S.APPROVED, S.IN_PROGRESS]


def _from_scratch(db: Any) -> dict[tuple[int, int], tuple[Decimal, Decimal]]:
    """Gross and grant per (line, year) of the counting measures, added up in Python."""
    totals: dict[tuple[int, int], list[Decimal]] = {}
    for entry in db.session.query(CostPlanEntry).all():
        if entry.measure.status not in COUNTING or entry.year not in YEARS:
            continue
        grant = Decimal("0")
        if entry.funding_source != FundingSource.OWN:
            grant = (entry.amount * entry.funding_share / 100).quantize(Decimal("0.01"))
        total = totals.setdefault((entry.budget_line_id, entry.year), [Decimal(0), Decimal(0)])
        total[0] += entry.amount
        total[1] += grant
    return {key: (gross, grant) for key, (gross, grant) in totals.items()}


@pytest.fixture()
def portfolio(db: Any, factory: Any, users: dict[str, Any]) -> dict[str, Any]:
    """Measures in three blocks of ids (explicit ids far apart) on two lines."""
    dept = users["submitter"].department
    line_a = factory.budget_line(dept)
    line_b = factory.budget_line(dept)
    measures = {}
    for name, measure_id, status in (
        ("first", 7 * BLOCK_SIZE + 3, S.APPROVED),
        ("second", 9 * BLOCK_SIZE + 1, S.IN_PROGRESS),
        ("third", 12 * BLOCK_SIZE + 5, S.APPROVED),
    ):
        measures[name] = factory.measure(
            dept,
            status,
            id=measure_id,
            costs=[(line_a, 2026, "1000.10"), (line_b, 2027, "250.05"), (line_a, 2027, "3")],
        )
    third = next(r for r in measures["third"].cost_plan if r.budget_line_id == line_b.id)
    third.funding_source = FundingSource.GRANT
    third.funding_share = Decimal("33.33")
    db.session.commit()
    return {"line_a": line_a, "line_b": line_b, **measures}


def _read_blocks(monkeypatch: Any) -> list[tuple[int, ...] | None]:
    """Record which blocks each recomputation reads (None: all)."""
    seen: list[tuple[int, ...] | None] = []
    only = cache.Blocks.only

    def spy(self: cache.Blocks, measure_id: Any) -> Any:
        seen.append(self.ids)
        return only(self, measure_id)

    monkeypatch.setattr(cache.Blocks, "only", spy)
    return seen


def test_a_measure_change_raises_only_its_block(db: Any, portfolio: dict[str, Any]) -> None:
    before = part_generations(db.session)
    second: Measure = portfolio["second"]
    second.cost_plan[0].amount = Decimal("77")
    db.session.commit()
    after = part_generations(db.session)
    block = block_part(second.id // BLOCK_SIZE, CORE)
    assert after[block] == before[block] + 1
    changed = {p for p in after.keys() | before.keys() if after.get(p) != before.get(p)}
    assert changed == {block}
    portfolio["line_a"].name = "Umbenannt"
    db.session.commit()
    again = part_generations(db.session)
    changed = {p for p in again.keys() | after.keys() if again.get(p) != after.get(p)}
    assert changed == {SHARED_TABLE_PARTS["budget_lines"]}


def test_totals_follow_every_change(
    db: Any, factory: Any, portfolio: dict[str, Any], monkeypatch: Any
) -> None:
    seen = _read_blocks(monkeypatch)
    assert demand_per_line(YEARS, COUNTING) == _from_scratch(db)
    assert seen == [None]  # first time: everything in one query
    seen.clear()
    assert demand_per_line(YEARS, COUNTING) == _from_scratch(db)
    assert seen == []  # nothing changed: nothing read

    first: Measure = portfolio["first"]
    first.cost_plan[0].amount = Decimal("1500.55")  # amount changed
    db.session.commit()
    assert demand_per_line(YEARS, COUNTING) == _from_scratch(db)
    assert seen == [(first.id // BLOCK_SIZE,)]

    seen.clear()
    second: Measure = portfolio["second"]
    second.status = S.COMPLETED  # no longer counted: its demand leaves the totals
    db.session.commit()
    result = demand_per_line(YEARS, COUNTING)
    assert result == _from_scratch(db)
    assert seen == [(second.id // BLOCK_SIZE,)]

    seen.clear()
    third: Measure = portfolio["third"]
    for measure in (first, third):  # the grant row, and the last counting rows of line b
        for row in measure.cost_plan:
            if row.budget_line_id == portfolio["line_b"].id:
                db.session.delete(row)
    db.session.commit()
    result = demand_per_line(YEARS, COUNTING)
    assert result == _from_scratch(db)
    assert (portfolio["line_b"].id, 2027) not in result  # the group is gone, not zero
    assert seen == [(first.id // BLOCK_SIZE, third.id // BLOCK_SIZE)]


def test_reading_blocks_of_several_blocks_in_a_large_portfolio(
    db: Any, portfolio: dict[str, Any], monkeypatch: Any
) -> None:
    """Beyond TARGET_BLOCKS blocks an aggregate keeps its parts per reading block of several
    blocks (fewer parts at 100,000 measures); a change still re-reads only its reading block
    and the totals stay those computed from scratch."""
    monkeypatch.setattr(cache, "TARGET_BLOCKS", 2)
    cache.clear()
    size = BLOCK_SIZE * -(-(portfolio["third"].id + 1) // (BLOCK_SIZE * 2))
    assert size > BLOCK_SIZE
    seen = _read_blocks(monkeypatch)
    assert demand_per_line(YEARS, COUNTING) == _from_scratch(db)
    assert seen == [None]
    seen.clear()
    first: Measure = portfolio["first"]
    first.cost_plan[0].amount = Decimal("1500.55")
    db.session.commit()
    assert demand_per_line(YEARS, COUNTING) == _from_scratch(db)
    assert seen == [(first.id // size,)]
    seen.clear()
    third: Measure = portfolio["third"]
    third.status = S.COMPLETED
    db.session.commit()
    assert demand_per_line(YEARS, COUNTING) == _from_scratch(db)
    assert seen == [(third.id // size,)]


def test_a_shared_change_reads_again_what_depends_on_it(
    db: Any, portfolio: dict[str, Any], monkeypatch: Any
) -> None:
    from steuerung.services.budget.coverage import _measures_by_line
    from steuerung.services.common.audit import mark_data_changed

    seen = _read_blocks(monkeypatch)
    demand_per_line(YEARS, COUNTING)
    _measures_by_line(YEARS, limit_per_line=1)
    portfolio["line_b"].name = "Neu benannt"  # the lists join the lines: read again
    db.session.commit()
    seen.clear()
    assert demand_per_line(YEARS, COUNTING) == _from_scratch(db)
    assert seen == []  # the demand per line reads no line columns
    _measures_by_line(YEARS, limit_per_line=1)
    assert seen == [None]
    mark_data_changed(db.session)  # a bulk write: everything is read again
    db.session.commit()
    seen.clear()
    assert demand_per_line(YEARS, COUNTING) == _from_scratch(db)
    assert seen == [None]


def test_many_changed_blocks_read_everything_in_one_query(
    db: Any, factory: Any, users: dict[str, Any], portfolio: dict[str, Any], monkeypatch: Any
) -> None:
    seen = _read_blocks(monkeypatch)
    demand_per_line(YEARS, COUNTING)
    for name in ("first", "second", "third"):
        portfolio[name].cost_plan[0].amount += Decimal("1")
    db.session.commit()
    seen.clear()
    assert demand_per_line(YEARS, COUNTING) == _from_scratch(db)
    assert seen == [None]


def test_a_new_measure_in_a_new_block_counts(
    db: Any, factory: Any, users: dict[str, Any], portfolio: dict[str, Any], monkeypatch: Any
) -> None:
    seen = _read_blocks(monkeypatch)
    demand_per_line(YEARS, COUNTING)
    seen.clear()
    new = factory.measure(
        users["submitter"].department,
        S.IN_PROGRESS,
        id=20 * BLOCK_SIZE,
        costs=[(portfolio["line_b"], 2026, "12.34")],
    )
    db.session.commit()
    assert demand_per_line(YEARS, COUNTING) == _from_scratch(db)
    assert seen == [(new.id // BLOCK_SIZE,)]


def _largest_per_line(db: Any) -> dict[int, tuple[int, int]]:
    """Per line: how many counting measures, and the one with the largest amount (ties:
    the lower id), computed from the ORM rows."""
    sums: dict[int, dict[int, Decimal]] = {}
    for entry in db.session.query(CostPlanEntry).all():
        if entry.measure.status not in COUNTING or entry.year not in YEARS:
            continue
        per = sums.setdefault(entry.budget_line_id, {})
        per[entry.measure_id] = per.get(entry.measure_id, Decimal(0)) + entry.amount
    return {line: (len(per), min(per, key=lambda m: (-per[m], m))) for line, per in sums.items()}


def test_largest_measures_per_line_follow_changes(
    db: Any, portfolio: dict[str, Any], monkeypatch: Any
) -> None:
    from steuerung.services.budget.coverage import _measures_by_line

    def shown() -> dict[int, tuple[int, int]]:
        measures, counts = _measures_by_line(YEARS, limit_per_line=1)
        return {line: (counts[line], rows[0].measure_id) for line, rows in measures.items()}

    seen = _read_blocks(monkeypatch)
    assert shown() == _largest_per_line(db)
    third: Measure = portfolio["third"]
    on_a = next(r for r in third.cost_plan if r.budget_line_id == portfolio["line_a"].id)
    on_a.amount = Decimal("99999")  # now the largest on line a
    db.session.commit()
    seen.clear()
    assert shown() == _largest_per_line(db)
    assert shown()[portfolio["line_a"].id][1] == third.id
    assert seen == [(third.id // BLOCK_SIZE,)]
    third.status = S.DEFERRED  # leaves every line
    db.session.commit()
    assert shown() == _largest_per_line(db)


def test_the_ranking_follows_changes(
    db: Any, portfolio: dict[str, Any], users: dict[str, Any], monkeypatch: Any
) -> None:
    from steuerung.services.portfolio.ranking import rank_measures, ranking
    from steuerung.services.portfolio.rules import PORTFOLIO_STATUSES

    coordinator = users["coordinator"]
    for score, name in ((Decimal("3.5"), "first"), (Decimal("4.25"), "second"), (None, "third")):
        portfolio[name].score = score
    db.session.commit()

    def expected() -> list[int]:
        measures = db.session.query(Measure).filter(Measure.status.in_(PORTFOLIO_STATUSES))
        return [m.id for m in rank_measures(measures.all())]

    seen = _read_blocks(monkeypatch)
    assert [key.id for key in ranking(coordinator).keys] == expected()
    first: Measure = portfolio["first"]
    first.score = Decimal("4.9")  # moves to the top
    db.session.commit()
    seen.clear()
    ranked = ranking(coordinator)
    assert [key.id for key in ranked.keys] == expected()
    assert ranked.keys[0].id == first.id
    assert set(seen) == {(first.id // BLOCK_SIZE,)}  # cost rows and measures of one block


def test_money_on_lines_leaves_measure_aggregates_alone(
    db: Any, portfolio: dict[str, Any], users: dict[str, Any], login_as: Any, monkeypatch: Any
) -> None:
    """A changed Ansatz raises its own part: the demand per line is not read again, and
    the coverage (computed per request from the line figures) shows the new amount."""
    from steuerung.models import BudgetAmount

    seen = _read_blocks(monkeypatch)
    demand_per_line(YEARS, COUNTING)
    before = part_generations(db.session)
    db.session.add(
        BudgetAmount(budget_line=portfolio["line_a"], year=2026, approved_amount=Decimal("7"))
    )
    db.session.commit()
    after = part_generations(db.session)
    changed = {p for p in after.keys() | before.keys() if after.get(p) != before.get(p)}
    assert changed == {LINE_MONEY_PART}
    seen.clear()
    assert demand_per_line(YEARS, COUNTING) == _from_scratch(db)
    assert seen == []


def test_renamed_shared_rows_show_at_once(
    db: Any, portfolio: dict[str, Any], users: dict[str, Any], factory: Any
) -> None:
    """Names of departments and fields of action come from the shared tables each block
    aggregate declares: renaming them shows on the next view."""
    from steuerung.services.dashboard.data import (
        DashboardFilters,
        lights_by_department,
        status_by_field,
    )

    coordinator = users["coordinator"]
    agenda = factory.agenda()
    first: Measure = portfolio["first"]
    first.goals = [agenda.action_fields[0].goals[0]]
    db.session.commit()
    filters = DashboardFilters(None, None, None, None)
    assert any("Bürgerservice" in d for d in lights_by_department(filters, coordinator).departments)
    assert "Verwaltung" in status_by_field(filters, coordinator).counts
    first.department.name = "Bürgerdienste"
    agenda.action_fields[0].name = "Moderne Verwaltung"
    db.session.commit()
    departments = lights_by_department(filters, coordinator).departments
    assert any("Bürgerdienste" in d for d in departments)
    assert not any("Bürgerservice" in d for d in departments)
    assert "Moderne Verwaltung" in status_by_field(filters, coordinator).counts


def test_a_transaction_sees_its_own_uncommitted_changes(
    db: Any, portfolio: dict[str, Any], monkeypatch: Any
) -> None:
    """Inside a transaction that has flushed changes, results are computed from its own
    view and not stored (nothing cached may hold data that could still be rolled back)."""
    assert demand_per_line(YEARS, COUNTING) == _from_scratch(db)
    first: Measure = portfolio["first"]
    first.cost_plan[0].amount += Decimal("10")
    db.session.flush()
    assert demand_per_line(YEARS, COUNTING) == _from_scratch(db)
    db.session.rollback()
    assert demand_per_line(YEARS, COUNTING) == _from_scratch(db)


def _report(measure: Measure, schedule: TrafficLight = TrafficLight.GREEN) -> StatusReport:
    """A status report on ``measure`` (cost and scope green)."""
    green = TrafficLight.GREEN
    return StatusReport(
        measure=measure,
        reported_on=date(2026, 11, 2),
        schedule_light=schedule,
        cost_light=green,
        scope_light=green,
    )


def _changed_parts(db: Any, before: dict[int, int]) -> set[int]:
    after = part_generations(db.session)
    return {p for p in after.keys() | before.keys() if after.get(p) != before.get(p)}


def test_texts_and_reports_raise_parts_of_their_own(db: Any, portfolio: dict[str, Any]) -> None:
    """A block has a part per group of measure data: free texts, status reports (with the
    date of the latest) and everything else."""

    second: Measure = portfolio["second"]
    block = second.id // BLOCK_SIZE
    before = part_generations(db.session)
    second.title = "Neuer Titel"
    second.description = "Neu beschrieben"
    db.session.commit()
    assert _changed_parts(db, before) == {block_part(block, TEXT)}
    before = part_generations(db.session)
    db.session.add(_report(second))
    second.last_report_on = date(2026, 11, 2)
    db.session.commit()
    assert _changed_parts(db, before) == {block_part(block, REPORTS)}
    before = part_generations(db.session)
    second.title = "Noch ein Titel"
    second.status = S.COMPLETED
    db.session.commit()
    assert _changed_parts(db, before) == {block_part(block, TEXT), block_part(block, CORE)}


def test_a_title_edit_reads_again_only_what_shows_titles(
    db: Any, portfolio: dict[str, Any], login_as: Any, monkeypatch: Any
) -> None:
    """After a new title neither the dashboard's figures nor the coverage table's largest
    measures per line read a block again, and the coverage table shows the new title (it
    reads the titles of the listed measures by id). A red status report reads the lights
    again, not the demand, and the red tile counts it."""

    coordinator = login_as("coordinator")  # reads the dashboard and the budget tables
    dashboard = coordinator.get("/dashboard/").get_data(as_text=True)
    red = int(dashboard.split('id="tile-red">', 1)[1].split("<", 1)[0])
    coordinator.get("/haushalt/")
    seen = _read_blocks(monkeypatch)
    first: Measure = portfolio["first"]
    first.title = "Umbenannte Maßnahme"
    db.session.commit()
    assert coordinator.get("/dashboard/").status_code == 200
    assert seen == []
    assert "Umbenannte Maßnahme" in coordinator.get("/haushalt/").get_data(as_text=True)
    assert seen == []

    seen.clear()
    second: Measure = portfolio["second"]
    db.session.add(_report(second, TrafficLight.RED))
    db.session.commit()
    dashboard = coordinator.get("/dashboard/").get_data(as_text=True)
    assert f'id="tile-red">{red + 1}<' in dashboard
    # Read again: the tiles and the lights (both read reports), nothing else.
    assert seen == [(second.id // BLOCK_SIZE,)] * 2
    # The leadership summary names red measures: a new title shows, no block is read.
    assert coordinator.get("/dashboard/leitung").status_code == 200
    seen.clear()
    second.title = "Rot und umbenannt"
    db.session.commit()
    assert "Rot und umbenannt" in coordinator.get("/dashboard/leitung").get_data(as_text=True)
    assert seen == []


def test_results_with_declared_parts_follow_only_their_data(
    db: Any, portfolio: dict[str, Any], monkeypatch: Any
) -> None:
    """The coverage table and the execution overview name what they read: a status report
    or a new title keeps them, a change to an Ansatz, a cost plan or a line renews them; the
    money on the lines is read again only after a change to it, not after a cost plan's."""
    from steuerung.models import BudgetAmount
    from steuerung.services.budget import coverage, execution
    from steuerung.services.budget.coverage import coverage_table
    from steuerung.services.budget.execution import execution_overview

    calls: list[str] = []
    for module, name in ((coverage, "_line_money"), (execution, "_lines_and_burn")):
        original = getattr(module, name)

        def spy(*args: Any, _original: Any = original, _name: str = name) -> Any:
            calls.append(_name)
            return _original(*args)

        monkeypatch.setattr(module, name, spy)
    line_a = portfolio["line_a"]
    table = coverage_table(YEARS)
    overview = execution_overview(2026)
    second: Measure = portfolio["second"]
    db.session.add(_report(second))
    second.title = "Anders benannt"
    db.session.commit()
    assert coverage_table(YEARS) is table
    assert execution_overview(2026) is overview

    def line_row(line_id: int) -> Any:
        return next(row for row in coverage_table(YEARS).rows if row.key == line_id)

    db.session.add(BudgetAmount(budget_line=line_a, year=2026, approved_amount=Decimal("7")))
    db.session.commit()
    assert line_row(line_a.id).years[2026].planned == Decimal("7.00")
    assert execution_overview(2026) is not overview
    assert calls.count("_line_money") == 2 and calls.count("_lines_and_burn") == 2
    gross = line_row(line_a.id).years[2026].gross
    entry = next(e for e in second.cost_plan if e.budget_line_id == line_a.id and e.year == 2026)
    entry.amount += Decimal("5")
    db.session.commit()
    assert line_row(line_a.id).years[2026].gross == gross + Decimal("5")
    execution_overview(2026)
    assert calls.count("_line_money") == 2 and calls.count("_lines_and_burn") == 2
    line_a.product = "9.9.9"
    db.session.commit()
    assert line_row(line_a.id).label.startswith("9.9.9")
