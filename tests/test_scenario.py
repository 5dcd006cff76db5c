"""The cut-off scenario per budget part and year, with figures computed by hand."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from conftest import post_form
from sqlalchemy import func, select

from steuerung.models import (
    BudgetKind,
    BudgetScenario,
    CommitmentAuthorization,
    FundingSource,
    Job,
    MeasureStatus,
)
from steuerung.services.common.errors import ValidationFailed
from steuerung.services.portfolio import scenario as scenario_service
from steuerung.services.portfolio.scenario import (
    Candidate,
    ScenarioResult,
    compare_scenarios,
    cutoff_scenario,
    fit,
    save_scenario,
)

D = Decimal
S = MeasureStatus
K, INV = BudgetKind.CONSUMPTIVE, BudgetKind.INVESTIVE


def _candidate(n: int, needs: dict[tuple[BudgetKind, int], str], fixed: bool = False) -> Candidate:
    return Candidate(
        n, f"M{n}", "FB", "A", S.APPROVED, fixed, {pot: D(v) for pot, v in needs.items()}
    )


def test_fixed_measures_take_their_money_first_whatever_their_rank() -> None:
    result = fit(
        [
            _candidate(1, {(K, 2026): "60"}),
            _candidate(2, {(K, 2026): "50"}, fixed=True),
        ],
        {(K, 2026): D("100")},
        budget_year=2026,
        years=[2026],
        include_submitted=False,
    )
    # 100 - 50 (fixed, rank 2) = 50 left: the first-ranked needs 60 and misses by 10.
    assert [line.placement for line in result.lines] == ["missed", "fixed"]
    assert result.lines[0].shortfall == {(K, 2026): D("10")}
    assert result.pots[(K, 2026)].remaining == D("50")


def test_a_measure_is_funded_only_if_it_fits_in_every_year() -> None:
    result = fit(
        [
            _candidate(1, {(K, 2026): "10", (K, 2027): "90"}),  # 2027 too much
            _candidate(2, {(K, 2026): "80"}),  # fits
            _candidate(3, {(K, 2026): "30"}),  # 20 left -> misses by 10
            _candidate(4, {(K, 2026): "20"}),  # fits exactly
        ],
        {(K, 2026): D("100"), (K, 2027): D("50")},
        budget_year=2026,
        years=[2026, 2027],
        include_submitted=False,
    )
    assert [line.placement for line in result.lines] == ["missed", "funded", "missed", "funded"]
    assert result.lines[0].shortfall == {(K, 2027): D("40")}
    assert result.lines[2].shortfall == {(K, 2026): D("10")}
    # Nothing of a missed measure is taken: 2027 stays untouched.
    assert result.pots[(K, 2026)].remaining == D("0")
    assert result.pots[(K, 2027)].remaining == D("50")
    assert [line.rank for line in result.just_missed] == [1, 3]


def test_konsumtiv_and_investiv_money_are_separate_pots() -> None:
    result = fit(
        [_candidate(1, {(K, 2026): "200"}), _candidate(2, {(INV, 2026): "200"})],
        {(K, 2026): D("100"), (INV, 2026): D("1000")},
        budget_year=2026,
        years=[2026],
        include_submitted=False,
    )
    # Plenty of investive money does not pay for a konsumtiv need.
    assert [line.placement for line in result.lines] == ["missed", "funded"]
    assert result.pots[(INV, 2026)].remaining == D("800")


@pytest.fixture()
def budget(db: Any, factory: Any, users: dict[str, Any]) -> dict[str, Any]:
    """Two lines and six measures; the pots and the outcome are worked out in the tests.

    Konsumtiv line: 2026 Ansatz 1.000 with 200 bound for running systems -> 800; 2027: 500.
    Investiv line: 2026 Ansatz 3.000 with a VE of 500 due -> 2.500.
    """
    dept = users["submitter"].department
    k_line = factory.budget_line(dept, amounts={2026: "1000.00", 2027: "500.00"})
    next(a for a in k_line.amounts if a.year == 2026).base_load = D("200.00")
    i_line = factory.budget_line(dept, INV, amounts={2026: "3000.00"})
    i_line.commitments.append(
        CommitmentAuthorization(granted_year=2025, due_year=2026, amount=D("500.00"))
    )

    def measure(title: str, status: S, cls: str, score: str, costs: list, **kw: Any) -> Any:
        return factory.measure(
            dept, status, title, costs=costs, priority_class=cls, score=D(score), **kw
        )

    m = {
        "a": measure("A", S.APPROVED, "A", "90", [(k_line, 2026, "400"), (k_line, 2027, "600")]),
        "b": measure("B", S.APPROVED, "B", "60", [(i_line, 2026, "4000")]),
        "c": measure("C", S.SUBMITTED, "C", "30", [(k_line, 2026, "450")]),
        "d": measure("D", S.UNDER_REVIEW, "C", "20", [(k_line, 2026, "100")]),
        "progress": measure("In Umsetzung", S.IN_PROGRESS, "C", "10", [(k_line, 2026, "300")]),
        "bound": measure(
            "Gebunden", S.APPROVED, "C", "5", [(k_line, 2027, "200")], contractually_bound=True
        ),
        "draft": measure("Entwurf", S.DRAFT, "A", "99", [(k_line, 2026, "5")]),
    }
    grant = m["b"].cost_plan[0]
    grant.funding_source = FundingSource.GRANT
    grant.funding_share = D("50")  # own share 2.000 of 4.000
    db.session.commit()
    return m


def test_the_scenario_through_the_database(budget: dict[str, Any], users: dict[str, Any]) -> None:
    result = cutoff_scenario(users["coordinator"], include_submitted=True)
    placement = {line.candidate.title: line.placement for line in result.lines}
    assert placement == {
        # 2027: 500 - 200 (bound, fixed) = 300 left; A needs 600 -> misses by 300.
        "A": "missed",
        # investiv 2026: 2.500 available, own share 2.000 -> funded.
        "B": "funded",
        # konsumtiv 2026: 800 - 300 (in progress, fixed) = 500; C needs 450 -> funded.
        "C": "funded",
        # 50 left; D needs 100 -> misses by 50.
        "D": "missed",
        "In Umsetzung": "fixed",
        "Gebunden": "fixed",
    }
    shortfall = {line.candidate.title: line.shortfall for line in result.missed}
    assert shortfall == {"A": {(K, 2027): D("300.00")}, "D": {(K, 2026): D("50.00")}}
    pots = {pot: (p.available, p.fixed, p.funded, p.remaining) for pot, p in result.pots.items()}
    assert pots[(K, 2026)] == (D("800.00"), D("300.00"), D("450.00"), D("50.00"))
    assert pots[(K, 2027)] == (D("500.00"), D("200.00"), D("0"), D("300.00"))
    assert pots[(INV, 2026)] == (D("2500.00"), D("0"), D("2000.00"), D("500.00"))
    assert [line.candidate.title for line in result.just_missed] == ["A", "D"]


def test_without_submitted_measures(budget: dict[str, Any], users: dict[str, Any]) -> None:
    result = cutoff_scenario(users["coordinator"], include_submitted=False)
    titles = [line.candidate.title for line in result.lines]
    assert "C" not in titles and "D" not in titles and "Entwurf" not in titles
    assert result.pots[(K, 2026)].remaining == D("500.00")


def test_the_treasury_can_set_a_pot(budget: dict[str, Any], users: dict[str, Any]) -> None:
    result = cutoff_scenario(users["coordinator"], True, {(K, 2027): D("1000.00")})
    assert result.pots[(K, 2027)].overridden
    # 2027: 1.000 - 200 fixed = 800 >= 600, 2026: 500 >= 400: A is funded now.
    assert result.lines[0].candidate.title == "A" and result.lines[0].placement == "funded"
    with pytest.raises(ValidationFailed):
        cutoff_scenario(users["coordinator"], True, {(K, 2027): D("-1")})


def test_save_and_compare(budget: dict[str, Any], users: dict[str, Any], db: Any) -> None:
    plain = cutoff_scenario(users["coordinator"])
    generous = cutoff_scenario(users["coordinator"], True, {(K, 2027): D("1000.00")})
    s1 = save_scenario("Haushalt", plain, users["coordinator"])
    s2 = save_scenario("Mehr 2027", generous, users["coordinator"], {(K, 2027): D("1000.00")})
    db.session.commit()
    assert json.loads(s2.params_json) == {"available": {"consumptive:2027": "1000.00"}}
    results, rows = compare_scenarios([s1, s2])
    assert results[0].pots[(K, 2026)].remaining == D("50.00")
    # With 1.000 in 2027, A fits (2026: 500 left after the fixed 300, A takes 400); then C
    # (450) no longer fits in the 100 left, and D (100) does.
    differing = [row.title for row in rows if row.differs]
    assert differing == ["A", "C", "D"]
    assert rows[0].labels == ["nicht finanziert", "finanziert"]
    assert ScenarioResult.from_json(s1.result_json).lines[1].placement == "funded"
    with pytest.raises(ValidationFailed):
        save_scenario("  ", plain, users["coordinator"])


def test_a_scenario_saved_by_the_first_version_still_opens() -> None:
    legacy = json.dumps(
        {
            "year": 2026,
            "available": "300.00",
            "lines": [
                {"rank": 1, "measure_id": 1, "title": "A", "amount": "100.00", "fits": True},
                {"rank": 2, "measure_id": 2, "title": "B", "amount": "400.00", "fits": False},
            ],
        }
    )
    result = ScenarioResult.from_json(legacy)
    assert [line.placement for line in result.lines] == ["funded", "missed"]
    assert result.pots[(K, 2026)].remaining == D("200.00")


def test_scenario_page_saves_and_compares(budget: dict[str, Any], login_as: Any, db: Any) -> None:
    client = login_as("coordinator")
    url = "/portfolio/scenario?include_submitted=y&pot_consumptive_2027=1.000,00"
    html = client.get(url).get_data(as_text=True)
    assert "konsumtiv 2026" in html and "Knapp nicht finanziert" in html
    assert "(Betrag festgelegt)" in html
    response = post_form(
        client,
        "/portfolio/scenario/save",
        {
            "name": "Mehr 2027",
            "include_submitted": "1",
            "overrides": "consumptive:2027=1000.00",
        },
        token_from=url,
    )
    assert response.status_code == 302
    scenario = db.session.query(BudgetScenario).one()
    assert scenario.name == "Mehr 2027" and scenario.budget_year == 2026
    page = client.get(f"/portfolio/scenarios?id={scenario.id}").get_data(as_text=True)
    assert "Mehr 2027" in page and "finanziert" in page


@pytest.mark.parametrize("query", ["pot_consumptive_2026=abc", "pot_investive_2027=-5"])
def test_bad_pot_amounts_give_400_with_a_message(
    budget: dict[str, Any], login_as: Any, query: str
) -> None:
    response = login_as("coordinator").get(f"/portfolio/scenario?{query}")
    assert response.status_code == 400
    assert "Bitte korrigieren Sie" in response.get_data(as_text=True)


def _tables(html: str) -> str:
    """The result tables of the scenario page (pots and measures), as they are rendered."""
    start = html.index('id="szenario-toepfe"')
    end = html.index("</table>", html.index('id="szenario-tabelle"'))
    return html[start:end]


def test_a_large_portfolio_computes_the_scenario_as_a_job(
    budget: dict[str, Any], login_as: Any, db: Any, monkeypatch: Any
) -> None:
    """Above the inline limit the page hands the work to the job system and shows the very
    same result from the job's file; the job page links back to it; a second view reuses the
    job until the data changes."""
    client = login_as("coordinator")
    url = "/portfolio/scenario?include_submitted=y&pot_consumptive_2027=1.000,00"
    inline = client.get(url).get_data(as_text=True)
    monkeypatch.setattr(scenario_service, "INLINE_LIMIT", 0)
    response = client.get(url)
    assert response.status_code == 200  # immediate mode: the job ran at once
    assert _tables(response.get_data(as_text=True)) == _tables(inline)
    job = db.session.scalars(select(Job).where(Job.kind == "scenario")).one()
    detail = client.get(f"/auftraege/{job.public_id}").get_data(as_text=True)
    assert "Ergebnis anzeigen" in detail
    assert "/portfolio/scenario?" in detail and "pot_consumptive_2027" in detail
    client.get(url)
    assert db.session.scalar(select(func.count(Job.id))) == 1  # reused
    # Bad input is refused before any job starts.
    bad = client.get("/portfolio/scenario?pot_investive_2027=-5")
    assert bad.status_code == 400
    assert db.session.scalar(select(func.count(Job.id))) == 1
