"""Portfolio: rank order with overrides, cumulated cost, classes, owner hygiene (the cut-off
scenario: tests/test_scenario.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from steuerung.models import MeasureStatus, Role
from steuerung.services.common import cache
from steuerung.services.portfolio.ranking import rank_measures, ranked_portfolio

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


def test_ranking_shows_the_field_of_the_first_goal_in_agenda_order(db, factory, users, login_as):
    agenda = factory.agenda()
    verwaltung, buerger = agenda.action_fields  # positions 0 and 1
    dept = users["submitter"].department
    common = {"score": Decimal("50"), "priority_class": "A"}
    # Linked to the second field's goal first: the first field's goal still decides.
    both = factory.measure(
        dept, S.APPROVED, "Zwei Felder", goals=[buerger.goals[0], verwaltung.goals[1]], **common
    )
    # Within one field the goal's position decides, not the order of linking.
    factory.measure(
        dept, S.APPROVED, "Ein Feld", goals=[buerger.goals[1], buerger.goals[0]], **common
    )
    factory.measure(dept, S.APPROVED, "Ohne Ziel", **common)
    db.session.commit()
    measures = db.session.query(type(both)).all()
    expected = {  # computed here from the links, independent of the query
        m.title: min(
            m.goals, key=lambda g: (g.action_field.position, g.position, g.id)
        ).action_field.name
        for m in measures
        if m.goals
    }
    assert expected == {"Zwei Felder": "Verwaltung", "Ein Feld": buerger.name}
    html = login_as("coordinator").get("/portfolio/").get_data(as_text=True)
    ranking_rows = [
        row for row in html.replace("&amp;", "&").split("<tr>") if 'class="fw-normal"' in row
    ]
    for title in ("Zwei Felder", "Ein Feld", "Ohne Ziel"):
        (row,) = [row for row in ranking_rows if f"{title}</a>" in row]
        if title in expected:
            assert f"<td>{expected[title]}</td>" in row, (title, row)
        else:
            assert "<td>Verwaltung</td>" not in row and f"<td>{buerger.name}</td>" not in row


def test_portfolio_page_bad_page_falls_back_with_message(portfolio, login_as):
    html = login_as("coordinator").get("/portfolio/?page=-3").get_data(as_text=True)
    assert "Ungültige Seitenzahl" in html and "A-Maßnahme" in html


@pytest.mark.parametrize("role", ["submitter", "treasury", "admin"])
def test_portfolio_refused_for_other_roles(portfolio, login_as, role):
    assert login_as(role).get("/portfolio/").status_code == 403


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
    urls = ["/portfolio/", "/portfolio/scenario?include_submitted=y", "/agenda/"]

    def counts() -> list[str]:
        # From an empty cache both times: results kept by their own parts (the money on
        # the lines) would otherwise spare the second round some queries.
        cache.clear()
        return [client.get(url).headers["X-Query-Count"] for url in urls]

    add(5)
    few = counts()
    add(60)
    many = counts()
    assert few == many
