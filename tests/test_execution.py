"""Budget execution (issue 11, point 2): verfügbar per line and year with Ist, Obligo and
carried-forward authorizations, overdrawn measures and lines, the year-end projection.

Every expected figure is computed by hand in the comments from the rule of DOMAIN.md:
verfügbar = Ansatz + übertragene Ermächtigungen − Ist − Obligo; Hochrechnung =
max(Ist ÷ Monate × 12, Ist + Obligo).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from execution_helpers import line, sample_kommune, snapshot

from steuerung.models import BudgetKind, CoverageRing, CoverageRingMember, MeasureStatus
from steuerung.services.budget import execution as ex


@pytest.mark.parametrize(
    ("as_of", "year", "months"),
    [
        (date(2026, 6, 30), 2026, 6),  # end of June: six whole months
        (date(2026, 6, 29), 2026, 5),  # June not complete yet
        (date(2026, 1, 15), 2026, 0),
        (date(2026, 12, 31), 2026, 12),
        (date(2027, 1, 12), 2026, 12),  # final figures of 2026 imported in January
        (date(2028, 2, 29), 2028, 2),  # leap year: 29 February ends the month
        (None, 2026, 0),
    ],
)
def test_months_elapsed(as_of, year, months):
    assert ex.months_elapsed(as_of, year) == months


def test_projection_is_linear_or_what_is_committed_whichever_is_larger():
    # 45.000 spent in 6 months -> 90.000 by December; spent + committed only 75.000.
    assert ex.projection(D("45000"), D("30000"), 6) == D("90000.00")
    # 20.000 spent in 6 months -> 40.000; but 20.000 + 35.000 committed = 55.000.
    assert ex.projection(D("20000"), D("35000"), 6) == D("55000")
    # 10.000 in 7 months -> 17.142,857... -> 17.142,86
    assert ex.projection(D("10000"), D("0"), 7) == D("17142.86")
    # no month completed: only what is spent or committed is known
    assert ex.projection(D("1000"), D("500"), 0) == D("1500")


def test_burn_of_one_line_by_hand():
    # Ansatz 100.000, carried 20.000, Ist 45.000, Obligo 30.000, Stichtag 30.06.
    f = ex.burn(D("100000"), D("20000"), D("45000"), D("30000"), 6)
    assert f.authorized == D("120000")
    assert f.available == D("45000")  # 100.000 + 20.000 − 45.000 − 30.000
    assert f.projected == D("90000.00")  # max(45.000 / 6 × 12, 75.000)
    assert f.projected_rest == D("30000.00")  # 120.000 − 90.000
    assert (f.free, f.overdrawn, f.projected_short) == (D("45000"), 0, 0)
    assert f.spent_percent == D("37.5")  # 45.000 / 120.000
    assert ex.line_warnings(f) == []
    # Ist 70.000 by June: 140.000 projected, 20.000 above the authorization of 120.000.
    risky = ex.burn(D("100000"), D("20000"), D("70000"), D("10000"), 6)
    assert risky.available == D("40000")
    assert risky.projected_short == D("20000.00")
    [warning] = ex.line_warnings(risky)
    assert warning.severity == ex.Severity.WARNING
    assert "Droht überzogen zu werden" in warning.text and "20.000,00\u00a0€" in warning.text


def test_totals_never_net_an_overdraft_against_another_lines_rest():
    a = ex.burn(D("100"), D("0"), D("30"), D("20"), 12)  # 50 left
    b = ex.burn(D("100"), D("0"), D("90"), D("30"), 12)  # 20 overdrawn
    total = ex.sum_burns([a, b])
    assert (total.free, total.overdrawn) == (D("50"), D("20"))
    assert total.available == D("30")  # the arithmetic sum is still there, but never shown alone


def test_verfuegbar_per_line_and_year_with_ist_obligo_and_carried(factory, users, db):
    data = sample_kommune(factory, users)
    lines, measures = data["lines"], data["measures"]
    # An older snapshot of the same year does not count any more; one of 2025 neither.
    snapshot(2026, date(2026, 5, 31), [(lines["eakte"], "90000", "10000")])
    snapshot(2025, date(2025, 12, 31), [(lines["eakte"], "150000", "0")])
    snapshot(
        2026,
        date(2026, 6, 30),
        [
            (lines["lizenzen"], "52734.56", "8000"),
            (lines["lizenzen"], "8500", "4000", measures["erechnung"]),
            (lines["fortbildung"], "8670.10", "0"),
            (lines["hardware"], "98400", "61750", measures["notebooks"]),
            (lines["eakte"], "120000", "35500"),
        ],
    )
    table = ex.execution_table(2026)
    rows = {row.label: row for row in table.rows}
    assert table.months == 6

    lic = rows["1.1.1.05 / 11050 / 54310000"].figures
    # 95.000 − (52.734,56 + 8.500) − (8.000 + 4.000) = 21.765,44
    assert (lic.budget, lic.carried, lic.ist, lic.obligo) == (
        D("95000.00"),
        D("0"),
        D("61234.56"),
        D("12000.00"),
    )
    assert lic.available == D("21765.44")
    # max(61.234,56 / 6 × 12 = 122.469,12, 73.234,56) = 122.469,12: 27.469,12 too much
    assert lic.projected == D("122469.12")
    assert lic.projected_short == D("27469.12")

    eakte = rows["1.1.1.05 / 11050 / 78320000 / I-2025-011"].figures
    # 150.000 + 40.000 carried − 120.000 − 35.500 = 34.500 (the May snapshot's 90.000 do
    # not count, 2025's neither)
    assert (eakte.budget, eakte.carried) == (D("150000.00"), D("40000.00"))
    assert eakte.available == D("34500.00")
    assert eakte.projected == D("240000.00")  # 120.000 / 6 × 12

    hardware = rows["1.1.1.05 / 11050 / 78310000 / I-2026-003"]
    # 150.000 − 98.400 − 61.750 = −10.150: overdrawn
    assert hardware.figures.available == D("-10150.00")
    assert hardware.figures.overdrawn == D("10150.00")
    assert [w.text for w in hardware.warnings] == ["Überzogen um 10.150,00\u00a0€."]

    fort = rows["1.1.1.04 / 11040 / 54210000"].figures
    assert fort.available == D("16329.90")  # 25.000 − 8.670,10

    # Totals: free = 21.765,44 + 16.329,90 + 34.500 = 72.595,34; overdrawn 10.150
    assert table.total.figures.free == D("72595.34")
    assert table.total.figures.overdrawn == D("10150.00")
    assert table.total.figures.carried == D("40000.00")
    investive = next(p for p in table.parts if p.kind == BudgetKind.INVESTIVE)
    assert investive.figures.ist == D("218400.00")  # 98.400 + 120.000

    # By department: one row with the same sums as the lines
    by_dept = ex.execution_table(2026, ex.ExecutionGrouping.DEPARTMENT)
    [dept_row] = by_dept.rows
    assert dept_row.figures.ist == D("288304.66")
    assert dept_row.figures.overdrawn == D("10150.00")


def test_a_measure_overdrawn_and_the_measures_projection(factory, users, db):
    data = sample_kommune(factory, users)
    lines, measures = data["lines"], data["measures"]
    extra = factory.measure(
        data["dept"],
        MeasureStatus.APPROVED,
        title="Lernplattform",
        costs=[(lines["fortbildung"], 2026, "10000")],
        order_key="A-77",
    )
    db.session.commit()
    snapshot(
        2026,
        date(2026, 6, 30),
        [
            (lines["lizenzen"], "12500", "0", measures["erechnung"]),  # plan 10.000
            (lines["hardware"], "60000", "70000", measures["notebooks"]),  # plan 140.000
            (lines["fortbildung"], "6000", "0", extra),  # plan 10.000
        ],
    )
    result = {m.title: m for m in ex.measures_execution(2026)}
    # E-Rechnung: Ist 12.500 > Plan 10.000 -> overdrawn by 2.500
    erechnung = result["E-Rechnung"]
    assert erechnung.figures.budget == D("10000.00")
    assert [w.severity for w in erechnung.warnings] == [ex.Severity.DANGER]
    assert erechnung.warnings[0].text == (
        "Mehr ausgegeben als geplant: Ist 12.500,00\u00a0€ bei Plan 10.000,00\u00a0€ "
        "(+2.500,00\u00a0€)."
    )
    # Notebooks: Ist 60.000 + Obligo 70.000 = 130.000 < 140.000; projection
    # max(60.000 / 6 × 12 = 120.000, 130.000) = 130.000 -> no warning
    notebooks = result["Notebooks für mobiles Arbeiten"]
    assert notebooks.figures.projected == D("130000")
    assert notebooks.warnings == []
    # Lernplattform: 6.000 by June -> 12.000 projected > plan 10.000
    platform = result["Lernplattform"]
    assert platform.figures.projected == D("12000.00")
    assert [w.text for w in platform.warnings] == [
        "Die Hochrechnung (12.000,00\u00a0€) übersteigt den Plan (10.000,00\u00a0€)."
    ]
    # E-Akte and Scan-Dienst have plans but no actuals: shown, no warnings
    assert result["Scan-Dienstleistung"].figures.ist == 0
    # warnings first
    assert ex.measures_execution(2026)[0].warnings

    [year] = ex.measure_years(measures["erechnung"].id, [2026, 2027])
    assert year.year == 2026 and year.figures.ist == D("12500.00")
    assert year.lines == [("1.1.1.05 / 11050 / 54310000", year.figures)]


def test_an_overdraft_inside_a_coverage_ring_is_marked_as_covered(factory, users, db):
    dept = users["treasury"].department
    a = line(dept, "1.2.1.01", "2001", "54300000", "", "A", {2026: "1000"})
    b = line(dept, "1.2.1.01", "2001", "54400000", "", "B", {2026: "5000"})
    ring = CoverageRing(name="IT-Betrieb", year=2026, kind=BudgetKind.CONSUMPTIVE)
    ring.members += [
        CoverageRingMember(budget_line=a, year=2026),
        CoverageRingMember(budget_line=b, year=2026),
    ]
    db.session.add(ring)
    db.session.commit()
    snapshot(2026, date(2026, 12, 31), [(a, "1500", "0"), (b, "1000", "0")])
    execution, _measures, _snap = ex.line_execution(a.id, 2026)
    # A: 1.000 − 1.500 = −500; the ring: 6.000 − 2.500 = 3.500 left
    assert execution.figures.available == D("-500.00")
    assert execution.warnings[0].text == (
        "Überzogen um 500,00\u00a0€, gedeckt im Deckungsring „IT-Betrieb“ "
        "(dort noch 3.500,00\u00a0€ verfügbar)."
    )


def test_without_actuals_the_line_shows_its_authorization(factory, users, db):
    data = sample_kommune(factory, users)
    execution, measures, snap = ex.line_execution(data["lines"]["eakte"].id, 2026)
    assert snap is None
    assert execution.figures.available == D("190000.00")  # 150.000 + 40.000 carried
    assert {m.title for m in measures} == {"E-Akte Kernverwaltung", "Scan-Dienstleistung"}


def test_the_sql_form_of_the_measure_warnings_agrees_with_the_python_form(factory, users, db):
    data = sample_kommune(factory, users)
    lines, dept = data["lines"], data["dept"]
    cases = [
        # (plan, Ist, Obligo) at 30.06. (6 months)
        ("10000", "10000.01", "0"),  # Ist above plan by a cent
        ("10000", "10000", "0"),  # exactly the plan: projection 20.000 -> warning
        ("10000", "4999.99", "5000"),  # bound 9.999,99, projection 9.999,98: none
        ("10000", "5000", "0"),  # projection exactly 10.000: none
        ("10000", "5000.01", "0"),  # projection 10.000,02: warning
        ("10000", "1000", "9000.01"),  # bound above plan by a cent
        ("0.10", "0.05", "0"),  # small: projection 0,10 = plan: none
        ("0.30", "0.10", "0.10"),  # 0,1 + 0,1 floating sums: 0,20 < 0,30, projection 0,20
    ]
    measures = []
    for plan, ist, obligo in cases:
        measure = factory.measure(
            dept, MeasureStatus.IN_PROGRESS, costs=[(lines["fortbildung"], 2026, plan)]
        )
        measures.append((measure, ist, obligo))
    db.session.commit()
    snapshot(
        2026,
        date(2026, 6, 30),
        [(lines["fortbildung"], ist, obligo, m) for m, ist, obligo in measures],
    )
    python = {m.measure_id for m in ex.measures_execution(2026) if m.warnings}
    listed, count = ex.measures_with_warnings(2026)
    assert {m.measure_id for m in listed} == python
    assert count == len(python)
    expected = {measures[i][0].id for i in (0, 1, 4, 5)}
    assert python == expected
    assert ex.measures_with_warnings(2026, limit=2)[0] == listed[:2]
