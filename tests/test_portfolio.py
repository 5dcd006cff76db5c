"""Portfolio: rank order with overrides, cumulated cost, classes, the cut-off scenario with
exact amounts at the boundary, saved scenarios and their comparison, owner hygiene."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from steuerung.models import BudgetScenario, MeasureStatus, Role
from steuerung.services.common.errors import ValidationFailed
from steuerung.services.portfolio.ranking import (
    compare_scenarios,
    cutoff_scenario,
    rank_measures,
    ranked_portfolio,
    save_scenario,
)

S = MeasureStatus


def item(id, cls=None, score=None, override=None):
    return SimpleNamespace(
        id=id,
        priority_class=cls,
        score=Decimal(score) if score is not None else None,
        rank_override=override,
    )


def ids(items):
    return [i.id for i in items]


def test_natural_order_class_then_score_then_id():
    items = [
        item(1, "C", "30"),
        item(2, "A", "20"),  # A by gate despite low score
        item(3, "A", "90"),
        item(4, None, None),
        item(5, "B", "50"),
        item(6, "B", "50"),
    ]
    assert ids(rank_measures(items)) == [3, 2, 5, 6, 1, 4]


def test_override_takes_its_position_others_fill_in():
    items = [item(1, "A", "90"), item(2, "A", "80"), item(3, "B", "50"), item(4, "C", "10")]
    assert ids(rank_measures([*items[:3], item(4, "C", "10", override=1)])) == [4, 1, 2, 3]
    assert ids(rank_measures([item(1, "A", "90", override=3), *items[1:]])) == [2, 3, 1, 4]
    # beyond the end: last
    assert ids(rank_measures([item(1, "A", "90", override=99), *items[1:]])) == [2, 3, 4, 1]


@pytest.fixture()
def portfolio(db, factory, users):
    """Four measures in the portfolio with costs in 2026 of 100, 200, 300, 400 euros."""
    dept = users["submitter"].department
    line = factory.budget_line(dept, amounts={2026: "1000.00"})
    m = {}
    m["a"] = factory.measure(
        dept,
        S.APPROVED,
        "A-Maßnahme",
        costs=[(line, 2026, "100.00"), (line, 2027, "50.00")],
        score=Decimal("90"),
        priority_class="A",
    )
    m["b"] = factory.measure(
        dept,
        S.IN_PROGRESS,
        "B-Maßnahme",
        costs=[(line, 2026, "200.00")],
        score=Decimal("60"),
        priority_class="B",
    )
    m["c"] = factory.measure(
        dept,
        S.SUBMITTED,
        "C-Maßnahme",
        costs=[(line, 2026, "300.00")],
        score=Decimal("40"),
        priority_class="C",
    )
    m["d"] = factory.measure(
        dept,
        S.UNDER_REVIEW,
        "D-Maßnahme",
        costs=[(line, 2026, "400.00")],
        score=Decimal("20"),
        priority_class="C",
    )
    m["draft"] = factory.measure(dept, S.DRAFT, "Entwurf", costs=[(line, 2026, "5.00")])
    m["nocost"] = factory.measure(
        dept,
        S.APPROVED,
        "Ohne Kosten 2026",
        costs=[(line, 2028, "70.00")],
        score=Decimal("99"),
        priority_class="A",
    )
    db.session.commit()
    return m


def test_ranked_portfolio_with_cumulated_cost(portfolio, users):
    ranked, years = ranked_portfolio(users["coordinator"])
    assert years == [2026, 2027, 2028, 2029]
    assert [r.measure.title for r in ranked] == [
        "Ohne Kosten 2026",
        "A-Maßnahme",
        "B-Maßnahme",
        "C-Maßnahme",
        "D-Maßnahme",
    ]
    assert [r.total for r in ranked] == [Decimal(x) for x in ("70", "150", "200", "300", "400")]
    assert [r.cumulated for r in ranked] == [
        Decimal(x) for x in ("70", "220", "420", "720", "1120")
    ]
    assert ranked[1].costs[2027] == Decimal("50.00")


@pytest.mark.parametrize(
    ("available", "above", "gap", "remaining", "next_gap"),
    [
        ("0.00", [], "1000.00", "0.00", "100.00"),
        ("99.99", [], "900.01", "99.99", "0.01"),
        ("100.00", ["a"], "900.00", "0.00", "200.00"),
        ("299.99", ["a"], "700.01", "199.99", "0.01"),
        ("300.00", ["a", "b"], "700.00", "0.00", "300.00"),
        ("600.00", ["a", "b", "c"], "400.00", "0.00", "400.00"),
        ("999.99", ["a", "b", "c"], "0.01", "399.99", "0.01"),
        ("1000.00", ["a", "b", "c", "d"], "0.00", "0.00", "0"),
        ("5000.00", ["a", "b", "c", "d"], "0.00", "4000.00", "0"),
    ],
)
def test_cutoff_boundaries(portfolio, users, available, above, gap, remaining, next_gap):
    result = cutoff_scenario(users["coordinator"], 2026, Decimal(available), True)
    titles = {k: portfolio[k].title for k in "abcd"}
    assert [line.title for line in result.above] == [titles[k] for k in above]
    assert len(result.lines) == 4  # draft and measures without cost in 2026 are not in it
    assert result.demand == Decimal("1000.00")
    assert result.gap == Decimal(gap)
    assert result.remaining == Decimal(remaining)
    assert result.next_gap == Decimal(next_gap)
    assert result.funded + result.remaining == Decimal(available)


def test_cutoff_line_is_strict(db, factory, users):
    """A cheap measure below the line does not jump over a more expensive one above it."""
    dept = users["submitter"].department
    line = factory.budget_line(dept)
    factory.measure(
        dept,
        S.APPROVED,
        "teuer",
        costs=[(line, 2026, "500.00")],
        score=Decimal(80),
        priority_class="A",
    )
    factory.measure(
        dept,
        S.APPROVED,
        "billig",
        costs=[(line, 2026, "10.00")],
        score=Decimal(50),
        priority_class="B",
    )
    db.session.commit()
    result = cutoff_scenario(users["coordinator"], 2026, Decimal("100.00"))
    assert [line.fits for line in result.lines] == [False, False]
    assert result.next_gap == Decimal("400.00")


def test_cutoff_without_submitted_measures(portfolio, users):
    result = cutoff_scenario(users["coordinator"], 2026, Decimal("300.00"), include_submitted=False)
    assert [line.title for line in result.lines] == ["A-Maßnahme", "B-Maßnahme"]
    assert result.gap == Decimal("0.00")


def test_cutoff_follows_override(portfolio, users, db):
    portfolio["d"].rank_override = 1
    portfolio["d"].rank_override_reason = "Ratsbeschluss"
    db.session.commit()
    result = cutoff_scenario(users["coordinator"], 2026, Decimal("500.00"))
    assert [line.title for line in result.above] == ["D-Maßnahme", "A-Maßnahme"]


@pytest.mark.parametrize(("year", "amount"), [(1999, "10"), (2026, "-1")])
def test_cutoff_refuses_bad_input(portfolio, users, year, amount):
    with pytest.raises(ValidationFailed):
        cutoff_scenario(users["coordinator"], year, Decimal(amount))


def test_save_and_compare_scenarios(portfolio, users, db):
    low = cutoff_scenario(users["coordinator"], 2026, Decimal("300.00"))
    high = cutoff_scenario(users["coordinator"], 2026, Decimal("1000.00"))
    s1 = save_scenario("Knapp", low, users["coordinator"])
    s2 = save_scenario("Großzügig", high, users["coordinator"])
    db.session.commit()
    data = json.loads(s1.result_json)
    assert data["gap"] == "700.00" and len(data["lines"]) == 4
    results, rows = compare_scenarios([s1, s2])
    assert [r.funded for r in results] == [Decimal("300.00"), Decimal("1000.00")]
    differing = [r.title for r in rows if r.differs]
    assert differing == ["C-Maßnahme", "D-Maßnahme"]
    with pytest.raises(ValidationFailed):
        save_scenario("  ", low, users["coordinator"])


# --- pages --------------------------------------------------------------------------------


def test_portfolio_page_shows_ranking_chart_and_classes(portfolio, login_as):
    client = login_as("leadership")
    response = client.get("/portfolio/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.index("A-Maßnahme") < html.index("B-Maßnahme") < html.index("D-Maßnahme")
    assert 'class="plotly-figure"' in html and "Handlungsfeld" in html
    assert "1.120,00" in html  # cumulated cost at the end
    assert "A – zuerst umsetzen" in html


def test_portfolio_page_bad_page_falls_back_with_message(portfolio, login_as):
    html = login_as("coordinator").get("/portfolio/?page=-3").get_data(as_text=True)
    assert "Ungültige Seitenzahl" in html and "A-Maßnahme" in html


@pytest.mark.parametrize("role", ["submitter", "treasury", "admin"])
def test_portfolio_refused_for_other_roles(portfolio, login_as, role):
    assert login_as(role).get("/portfolio/").status_code == 403


def test_scenario_page_computes_and_saves(portfolio, login_as, db):
    from conftest import csrf_token

    client = login_as("coordinator")
    response = client.get("/portfolio/scenario?year=2026&available=300,00&include_submitted=y")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Budgetlinie: 300,00" in html
    assert "700,00" in html  # gap
    token = csrf_token(client, "/portfolio/scenario?year=2026&available=300,00&include_submitted=y")
    response = client.post(
        "/portfolio/scenario/save",
        data={
            "csrf_token": token,
            "name": "Knapp 2026",
            "year": "2026",
            "available": "300.00",
            "include_submitted": "1",
        },
    )
    assert response.status_code == 302
    scenario = db.session.query(BudgetScenario).one()
    assert scenario.name == "Knapp 2026" and scenario.available_amount == Decimal("300.00")
    page = client.get(f"/portfolio/scenarios?id={scenario.id}").get_data(as_text=True)
    assert "Knapp 2026" in page and "unter der Linie" in page


@pytest.mark.parametrize(
    "query",
    ["year=2026&available=abc", "year=2026&available=-5", "year=1800&available=5", "year=2026"],
)
def test_scenario_bad_input_gives_400_with_message(portfolio, login_as, query):
    response = login_as("coordinator").get(f"/portfolio/scenario?{query}")
    assert response.status_code == 400
    assert "Bitte korrigieren Sie" in response.get_data(as_text=True)


def test_scenarios_bad_ids_message(portfolio, login_as):
    html = login_as("coordinator").get("/portfolio/scenarios?id=x").get_data(as_text=True)
    assert "Ungültige Auswahl" in html


def test_hygiene_lists_orphans_and_overdue(db, factory, users, login_as):
    dept = users["submitter"].department
    gone = factory.user(Role.SUBMITTER, dept, username="weg")
    gone.is_active_user = False
    factory.measure(dept, S.APPROVED, "Ohne Person")
    factory.measure(dept, S.IN_PROGRESS, "Person inaktiv", owner=gone, last_report_on=date.today())
    factory.measure(dept, S.COMPLETED, "Abgeschlossen ohne Person")
    factory.measure(
        dept,
        S.IN_PROGRESS,
        "Bericht überfällig",
        owner=users["submitter"],
        last_report_on=date.today() - timedelta(days=200),
    )
    factory.measure(
        dept,
        S.IN_PROGRESS,
        "Bericht aktuell",
        owner=users["submitter"],
        last_report_on=date.today(),
    )
    db.session.commit()
    html = login_as("coordinator").get("/portfolio/hygiene").get_data(as_text=True)
    orphan_part, overdue_part = html.split("Statusbericht überfällig")
    assert "Ohne Person" in orphan_part and "Person inaktiv" in orphan_part
    assert "Abgeschlossen ohne Person" not in html
    assert "Bericht überfällig" in overdue_part and "Bericht aktuell" not in html


def test_scenario_page_lists_a_window_around_the_line(db, factory, users, login_as):
    dept = users["submitter"].department
    line = factory.budget_line(dept)
    for i in range(120):
        factory.measure(
            dept, S.APPROVED, f"Posten {i:03d}", costs=[(line, 2026, "10.00")], score=Decimal(50)
        )
    db.session.commit()
    html = (
        login_as("coordinator")
        .get("/portfolio/scenario?year=2026&available=600,00")
        .get_data(as_text=True)
    )
    assert "60 Maßnahmen, 600,00" in html
    assert "10 weitere Maßnahmen über der Linie" in html
    assert "10 weitere Maßnahmen unter der Linie" in html
    assert "Posten 009" not in html and "Posten 010" in html and "Posten 110" not in html


def test_portfolio_and_scenario_queries_are_constant(db, factory, users, login_as):
    dept = users["submitter"].department
    line = factory.budget_line(dept)
    goal = factory.agenda().action_fields[0].goals[0]

    def add(n):
        for i in range(n):
            factory.measure(
                dept,
                S.APPROVED,
                goals=[goal],
                costs=[(line, 2026, "10.00")],
                score=Decimal(i % 90),
                priority_class="B",
            )
        db.session.commit()

    client = login_as("coordinator")
    urls = ["/portfolio/", "/portfolio/scenario?year=2026&available=100,00", "/agenda/"]
    add(5)
    few = [client.get(url).headers["X-Query-Count"] for url in urls]
    add(60)
    many = [client.get(url).headers["X-Query-Count"] for url in urls]
    assert few == many
