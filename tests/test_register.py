"""The central register: filters (alone and combined), search, sort, pagination, bad URL
values, permissions, export and a constant number of queries."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from steuerung.models import (
    MeasureCategory,
    MeasureStatus,
    Role,
    StatusReport,
    TrafficLight,
)
from steuerung.services.portfolio.register import parse_register_args, search_register

S = MeasureStatus
G, Y, R = TrafficLight.GREEN, TrafficLight.YELLOW, TrafficLight.RED


@pytest.fixture()
def data(db, factory, users):
    """Six measures in two departments with goals, costs, reports and flags; committed."""
    own = users["submitter"].department
    other = users["other_submitter"].department
    agenda = factory.agenda()
    v1, v2 = agenda.action_fields[0].goals
    b1, _b2 = agenda.action_fields[1].goals
    line = factory.budget_line(own, amounts={2026: "100000.00"})
    owner = factory.user(Role.SUBMITTER, own, username="eigner")
    inactive = factory.user(Role.SUBMITTER, other, username="ehemalig")
    inactive.is_active_user = False
    m = {}
    m["portal"] = factory.measure(
        own,
        S.APPROVED,
        "Bürgerportal mit Servicekonto",
        owner=owner,
        goals=[v1],
        costs=[(line, 2026, "50000.00"), (line, 2027, "10000.00")],
        description="Online-Anträge rund um die Uhr",
        legal_obligation=True,
        score=Decimal("80.00"),
        start_date=date(2026, 1, 1),
    )
    m["kita"] = factory.measure(
        own,
        S.SUBMITTED,
        "Kita-Anmeldung online",
        owner=owner,
        goals=[b1],
        costs=[(line, 2027, "20000.00")],
        category=MeasureCategory.SCHOOL,
        score=Decimal("55.50"),
    )
    m["sensor"] = factory.measure(
        other,
        S.IN_PROGRESS,
        "Parksensoren Innenstadt",
        owner=inactive,
        goals=[v2, b1],
        costs=[(line, 2026, "30000.00")],
        category=MeasureCategory.SMART_CITY,
        score=Decimal("30.00"),
        description="LoRaWAN-Netz 100% Abdeckung",
    )
    m["wlan"] = factory.measure(
        other,
        S.DRAFT,
        "WLAN in Schulen",
        category=MeasureCategory.SCHOOL,
    )
    m["akte"] = factory.measure(
        own, S.IN_PROGRESS, "E-Akte einführen", owner=owner, score=Decimal("65.00")
    )
    m["rats"] = factory.measure(
        other, S.REJECTED, "Ratsinformationssystem", owner=owner, score=Decimal("10.00")
    )

    def report(measure, lights, on):
        db.session.add(
            StatusReport(
                measure=measure,
                reported_on=on,
                schedule_light=lights[0],
                cost_light=lights[1],
                scope_light=lights[2],
            )
        )

    report(m["portal"], (R, G, G), date(2026, 1, 10))
    report(m["portal"], (G, G, G), date(2026, 3, 10))  # latest: green
    report(m["sensor"], (G, Y, G), date(2026, 2, 1))  # yellow
    report(m["akte"], (G, G, G), date(2026, 4, 1))
    report(m["akte"], (G, G, R), date(2026, 2, 1))  # older; latest is green
    db.session.commit()
    m["_goals"] = (v1, v2, b1)
    m["_fields"] = agenda.action_fields
    m["_owner"] = owner
    m["_other"] = other
    m["_own"] = own
    return m


def titles(user, **args):
    params = parse_register_args(MultiDict(args))
    result = search_register(user, params)
    assert not params.errors, params.errors
    return [row.measure.title for row in result.rows]


ALL_BY_SCORE = [
    "Bürgerportal mit Servicekonto",
    "E-Akte einführen",
    "Kita-Anmeldung online",
    "Parksensoren Innenstadt",
    "Ratsinformationssystem",
    "WLAN in Schulen",
]


def test_default_order_is_score_desc_unscored_last(data, users):
    assert titles(users["coordinator"]) == ALL_BY_SCORE


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"status": ["in_progress"]}, ["E-Akte einführen", "Parksensoren Innenstadt"]),
        ({"status": ["draft", "rejected"]}, ["Ratsinformationssystem", "WLAN in Schulen"]),
        ({"category": ["school"]}, ["Kita-Anmeldung online", "WLAN in Schulen"]),
        (
            {"category": ["smart_city", "school"]},
            ["Kita-Anmeldung online", "Parksensoren Innenstadt", "WLAN in Schulen"],
        ),
        ({"legal": "1"}, ["Bürgerportal mit Servicekonto"]),
        ({"year": "2027"}, ["Bürgerportal mit Servicekonto", "Kita-Anmeldung online"]),
        ({"year": "2026"}, ["Bürgerportal mit Servicekonto", "Parksensoren Innenstadt"]),
        ({"light": ["green"]}, ["Bürgerportal mit Servicekonto", "E-Akte einführen"]),
        ({"light": ["yellow"]}, ["Parksensoren Innenstadt"]),
        ({"light": ["red"]}, []),
        (
            {"light": ["none"]},
            ["Kita-Anmeldung online", "Ratsinformationssystem", "WLAN in Schulen"],
        ),
        # "ohne Verantwortliche/n": no owner or a deactivated one (the rule of measures.rules)
        ({"owner": ["none"]}, ["WLAN in Schulen", "Parksensoren Innenstadt"]),
        ({"q": "online"}, ["Bürgerportal mit Servicekonto", "Kita-Anmeldung online"]),
        ({"q": "100%"}, ["Parksensoren Innenstadt"]),
        ({"q": "KITA anmeldung"}, ["Kita-Anmeldung online"]),
        ({"q": "gibtesnicht"}, []),
    ],
)
def test_each_filter_alone(data, users, args, expected):
    assert sorted(titles(users["coordinator"], **args)) == sorted(expected)


def test_filters_by_ids(data, users):
    coordinator = users["coordinator"]
    v1, v2, b1 = data["_goals"]
    fields = data["_fields"]
    assert sorted(titles(coordinator, department=str(data["_other"].id))) == [
        "Parksensoren Innenstadt",
        "Ratsinformationssystem",
        "WLAN in Schulen",
    ]
    assert sorted(titles(coordinator, goal=str(b1.id))) == [
        "Kita-Anmeldung online",
        "Parksensoren Innenstadt",
    ]
    assert sorted(titles(coordinator, field=str(fields[0].id))) == [
        "Bürgerportal mit Servicekonto",
        "Parksensoren Innenstadt",
    ]
    assert sorted(titles(coordinator, owner=str(data["_owner"].id))) == [
        "Bürgerportal mit Servicekonto",
        "E-Akte einführen",
        "Kita-Anmeldung online",
        "Ratsinformationssystem",
    ]


def test_filters_combined(data, users):
    coordinator = users["coordinator"]
    v1, v2, b1 = data["_goals"]
    assert titles(
        coordinator,
        department=str(data["_own"].id),
        status=["approved", "submitted", "in_progress"],
        year="2027",
    ) == ["Bürgerportal mit Servicekonto", "Kita-Anmeldung online"]
    assert titles(coordinator, goal=str(b1.id), category="smart_city", light="yellow") == [
        "Parksensoren Innenstadt"
    ]
    assert titles(coordinator, q="online", legal="0") == ["Kita-Anmeldung online"]
    assert titles(coordinator, q="online", legal="1", light="red") == []


@pytest.mark.parametrize(
    ("sort", "direction", "expected_first"),
    [
        ("title", "asc", "Bürgerportal mit Servicekonto"),
        ("title", "desc", "WLAN in Schulen"),
        ("score", "asc", "Ratsinformationssystem"),
        ("cost", "desc", "Bürgerportal mit Servicekonto"),
        ("cost", "asc", "WLAN in Schulen"),
        ("status", "asc", "Freigegeben"),
        ("light", "desc", "Parksensoren Innenstadt"),
        ("department", "desc", "Parksensoren Innenstadt"),
        ("id", "desc", "Ratsinformationssystem"),
    ],
)
def test_sort_by_column(data, users, sort, direction, expected_first):
    result = titles(users["coordinator"], sort=sort, dir=direction)
    if sort == "status":
        params = parse_register_args(MultiDict({"sort": sort, "dir": direction}))
        rows = search_register(users["coordinator"], params).rows
        # enum values sort as strings; approved < draft < in_progress ...
        assert rows[0].measure.status == S.APPROVED
    else:
        assert result[0] == expected_first
    assert len(result) == 6


def test_score_asc_keeps_unscored_last(data, users):
    assert titles(users["coordinator"], sort="score", dir="asc")[-1] == "WLAN in Schulen"


def test_rows_carry_costs_and_latest_light(data, users):
    params = parse_register_args(MultiDict())
    rows = {r.measure.title: r for r in search_register(users["coordinator"], params).rows}
    portal = rows["Bürgerportal mit Servicekonto"]
    assert portal.costs[2026] == Decimal("50000.00")
    assert portal.costs[2027] == Decimal("10000.00")
    assert portal.total == Decimal("60000.00")
    assert portal.light == G
    assert rows["E-Akte einführen"].light == G
    assert rows["Parksensoren Innenstadt"].light == Y
    assert rows["WLAN in Schulen"].light is None


def test_pagination(db, factory, users):
    dept = users["submitter"].department
    for i in range(120):
        factory.measure(dept, title=f"M {i:03d}", score=Decimal(i % 100))
    db.session.commit()
    params = parse_register_args(MultiDict({"sort": "title", "dir": "asc"}))
    first = search_register(users["coordinator"], params)
    assert first.total == 120 and first.pages == 3 and len(first.rows) == 50
    assert first.rows[0].measure.title == "M 000"
    params = parse_register_args(MultiDict({"sort": "title", "dir": "asc", "page": "3"}))
    last = search_register(users["coordinator"], params)
    assert [r.measure.title for r in last.rows] == [f"M {i:03d}" for i in range(100, 120)]
    assert (last.first_index, last.last_index) == (101, 120)
    params = parse_register_args(MultiDict({"per_page": "100", "page": "2"}))
    assert len(search_register(users["coordinator"], params).rows) == 20
    params = parse_register_args(MultiDict({"page": "4"}))
    beyond = search_register(users["coordinator"], params)
    assert beyond.rows == [] and "Seite 4 gibt es nicht." in params.errors


def test_submitter_sees_only_what_permissions_allow(data, users):
    visible = titles(users["other_submitter"])
    # own department (FB 2) always, other departments once approved / in progress
    assert sorted(visible) == [
        "Bürgerportal mit Servicekonto",
        "E-Akte einführen",
        "Parksensoren Innenstadt",
        "Ratsinformationssystem",
        "WLAN in Schulen",
    ]


# --- the page ---------------------------------------------------------------------------


def test_register_page_lists_and_keeps_filter_state_in_links(data, login_as):
    client = login_as("coordinator")
    response = client.get("/portfolio/register?status=in_progress&sort=title&dir=asc")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "E-Akte einführen" in html and "Parksensoren Innenstadt" in html
    assert "Kita-Anmeldung" not in html
    assert "2 Maßnahmen" in html
    assert "<caption" in html and 'scope="col"' in html
    # export links carry the same selection
    assert "/portfolio/register.csv?status=in_progress&amp;sort=title&amp;dir=asc" in html


@pytest.mark.parametrize(
    "query",
    [
        "status=foo",
        "department=abc",
        "page=-1",
        "page=0",
        "per_page=7",
        "sort=password_hash",
        "dir=sideways",
        "year=20226",
        "legal=vielleicht",
        "light=lila",
        "goal=1.5",
        "owner=x",
        "field=-3",
        "q=" + "x" * 300,
    ],
)
def test_bad_url_values_give_empty_result_and_message(data, login_as, query):
    client = login_as("coordinator")
    response = client.get(f"/portfolio/register?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bürgerportal" not in html
    assert "Die Auswahl konnte nicht ausgeführt werden" in html


@pytest.mark.parametrize("role", ["coordinator", "leadership", "treasury"])
def test_register_roles(data, login_as, role):
    assert login_as(role).get("/portfolio/register").status_code == 200


@pytest.mark.parametrize("role", ["submitter", "admin"])
def test_register_refused_for_other_roles(data, login_as, role):
    assert login_as(role).get("/portfolio/register").status_code == 403


def test_csv_export_of_current_selection(data, login_as):
    client = login_as("treasury")
    response = client.get("/portfolio/register.csv?status=approved&status=in_progress&sort=title")
    assert response.status_code == 200
    assert "text/csv" in response.headers["Content-Type"]
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Nr.", "Titel", "Fachbereich"]
    assert [r[1] for r in rows[1:]] == [
        "Bürgerportal mit Servicekonto",
        "E-Akte einführen",
        "Parksensoren Innenstadt",
    ]
    portal = rows[1]
    assert "50000,00" in portal and "60000,00" in portal


def test_xlsx_export_has_numbers(data, login_as):
    client = login_as("coordinator")
    response = client.get("/portfolio/register.xlsx?legal=1")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[1] == "Titel"
    values = [c.value for c in sheet[2]]
    assert values[1] == "Bürgerportal mit Servicekonto"
    assert Decimal(str(values[header.index("Summe")])) == Decimal("60000")
    assert "Parameter" in workbook.sheetnames


def test_export_with_bad_values_is_empty_not_500(data, login_as):
    client = login_as("coordinator")
    response = client.get("/portfolio/register.csv?status=foo")
    assert response.status_code == 200
    assert len(response.get_data().decode("utf-8-sig").strip().splitlines()) == 1


def test_query_count_is_constant(db, factory, users, login_as):
    dept = users["submitter"].department
    line = factory.budget_line(dept, amounts={2026: "1000.00"})
    agenda = factory.agenda()
    goal = agenda.action_fields[0].goals[0]

    def add(n):
        for i in range(n):
            measure = factory.measure(
                dept,
                S.IN_PROGRESS,
                owner=users["submitter"],
                goals=[goal],
                costs=[(line, 2026, "10.00"), (line, 2027, "5.00")],
                score=Decimal(i % 90),
            )
            db.session.add(
                StatusReport(
                    measure=measure,
                    reported_on=date(2026, 1, 1),
                    schedule_light=G,
                    cost_light=Y,
                    scope_light=G,
                )
            )
        db.session.commit()

    client = login_as("coordinator")
    url = "/portfolio/register?status=in_progress&year=2026&light=yellow&sort=score"
    add(5)
    few = client.get(url)
    add(45)
    many = client.get(url)
    assert "50 Maßnahmen" in many.get_data(as_text=True)
    assert few.headers["X-Query-Count"] == many.headers["X-Query-Count"]
    assert int(many.headers["X-Query-Count"]) <= 12
