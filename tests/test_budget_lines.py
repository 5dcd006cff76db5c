"""Budget lines, approved amounts, VE, budget year rollover and the budget table pages."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from steuerung.models import (
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    CommitmentAuthorization,
    MeasureStatus,
    Settings,
)
from tests.conftest import post_form

D = Decimal


def _text_of(html: str) -> str:
    return " ".join(html.split())


def _text(response: Any) -> str:
    return _text_of(response.get_data(as_text=True))


def _line_form(users: dict[str, Any], **overrides: str) -> dict[str, str]:
    data = {
        "product": "1.1.1.01",
        "cost_center": "1001",
        "account": "54310000",
        "investment_number": "",
        "kind": "consumptive",
        "department_id": str(users["treasury"].department_id),
        "name": "Lizenzen Fachverfahren",
        "is_active": "y",
        "amount_2026": "12.500,00",
        "amount_2027": "13000",
        "amount_2028": "",
        "amount_2029": "1.000,5",
    }
    data.update(overrides)
    return data


def test_treasury_creates_line_with_amounts(login_as: Any, users: dict[str, Any], db: Any) -> None:
    client = login_as("treasury")
    response = post_form(client, "/haushalt/stellen/neu", _line_form(users))
    assert response.status_code == 302, _text(response)[:2000]
    line = db.session.scalar(select(BudgetLine))
    assert line.label == "1.1.1.01 / 1001 / 54310000"
    assert {a.year: a.approved_amount for a in line.amounts} == {
        2026: D("12500.00"),
        2027: D("13000.00"),
        2029: D("1000.50"),
    }
    page = client.get(f"/haushalt/stellen/{line.id}")
    assert "12.500,00" in _text(page)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "investive"}, "Investive Haushaltsstellen brauchen eine Investitionsnummer."),
        ({"amount_2026": "zwölf"}, "Bitte geben Sie eine Zahl ein, z. B. 1.234,56"),
        ({"amount_2026": "-5"}, "Der Betrag darf nicht negativ sein."),
        ({"amount_2026": "1,234"}, "höchstens zwei Nachkommastellen"),
        ({"product": ""}, "Bitte das Produkt angeben."),
        ({"product": "1.1<script>"}, "höchstens 30 Zeichen, nur Ziffern"),
        ({"department_id": "abc"}, "Fachbereich"),
    ],
)
def test_invalid_line_is_refused_with_german_message(
    login_as: Any, users: dict[str, Any], db: Any, overrides: dict[str, str], message: str
) -> None:
    client = login_as("treasury")
    response = post_form(client, "/haushalt/stellen/neu", _line_form(users, **overrides))
    assert response.status_code == 400
    assert message in _text(response)
    assert db.session.scalar(select(func.count(BudgetLine.id))) == 0
    assert db.session.scalar(select(func.count(BudgetAmount.id))) == 0


def test_duplicate_key_is_refused(
    login_as: Any, users: dict[str, Any], db: Any, factory: Any
) -> None:
    client = login_as("treasury")
    assert post_form(client, "/haushalt/stellen/neu", _line_form(users)).status_code == 302
    response = post_form(client, "/haushalt/stellen/neu", _line_form(users, name="Anders"))
    assert response.status_code == 400
    assert "gibt es schon" in _text(response)
    assert db.session.scalar(select(func.count(BudgetLine.id))) == 1


def test_edit_amounts_and_stale_version(
    login_as: Any, users: dict[str, Any], db: Any, factory: Any
) -> None:
    line = factory.budget_line(users["treasury"].department, amounts={2026: "100.00"})
    db.session.commit()
    client = login_as("treasury")
    url = f"/haushalt/stellen/{line.id}/bearbeiten"
    form = _line_form(
        users,
        product=line.product,
        cost_center=line.cost_center,
        account=line.account,
        amount_2026="",
        amount_2027="250",
        amount_2029="",
        version_id=str(line.version_id),
    )
    response = post_form(client, url, form)
    assert response.status_code == 302, _text(response)[:2000]
    db.session.expire_all()
    assert {a.year: a.approved_amount for a in line.amounts} == {2027: D("250.00")}
    # A second save with the old version number is refused; the input and the saved values
    # are both shown.
    response = post_form(client, url, {**form, "amount_2027": "999"})
    assert response.status_code == 409
    html = _text(response)
    assert "inzwischen von einer anderen Person geändert" in html
    assert 'value="999"' in html and "Aktuell gespeicherter Stand" in html
    db.session.expire_all()
    assert {a.year: a.approved_amount for a in line.amounts} == {2027: D("250.00")}
    # Without a version number nothing is saved either.
    response = post_form(client, url, {**form, "amount_2027": "999", "version_id": ""})
    assert response.status_code == 409
    db.session.expire_all()
    assert {a.year: a.approved_amount for a in line.amounts} == {2027: D("250.00")}


def test_commitments_add_refuse_and_archive(
    login_as: Any, users: dict[str, Any], db: Any, factory: Any
) -> None:
    line = factory.budget_line(users["treasury"].department, BudgetKind.INVESTIVE)
    measure = factory.measure(
        users["treasury"].department, MeasureStatus.APPROVED, costs=[(line, 2027, "90000.00")]
    )
    db.session.commit()
    client = login_as("treasury")
    url = f"/haushalt/stellen/{line.id}/ve"
    token_from = f"/haushalt/stellen/{line.id}"
    ok = {
        "granted_year": "2026",
        "due_year": "2028",
        "amount": "50.000,00",
        "measure_id": str(measure.id),
        "purpose": "Auftrag Glasfaser",
    }
    assert post_form(client, url, ok, token_from=token_from).status_code == 302
    bad = post_form(client, url, {**ok, "due_year": "2026"}, token_from=token_from)
    assert bad.status_code == 400
    assert "Das Fälligkeitsjahr muss nach dem Jahr der Ermächtigung liegen" in _text(bad)
    other = factory.measure(users["treasury"].department, MeasureStatus.APPROVED)
    db.session.commit()
    wrong = post_form(client, url, {**ok, "measure_id": str(other.id)}, token_from=token_from)
    assert wrong.status_code == 400 and "plant keine Kosten auf dieser Haushaltsstelle" in _text(
        wrong
    )
    commitment = db.session.scalar(select(CommitmentAuthorization))
    assert commitment.amount == D("50000.00") and commitment.due_year == 2028
    assert commitment.measure_id == measure.id
    page = _text(client.get(token_from))
    assert "50.000,00" in page and measure.reference in page
    response = post_form(
        client, f"/haushalt/ve/{commitment.id}/archivieren", {}, token_from=token_from
    )
    assert response.status_code == 302
    db.session.expire_all()
    # Never deleted: archived, still listed, counted nowhere.
    assert db.session.scalar(select(func.count(CommitmentAuthorization.id))) == 1
    assert db.session.get(CommitmentAuthorization, commitment.id).archived_at is not None
    assert "archiviert" in _text(client.get(token_from))


def test_commitment_names_its_measure_by_number(
    login_as: Any, users: dict[str, Any], db: Any, factory: Any
) -> None:
    line = factory.budget_line(users["treasury"].department, BudgetKind.INVESTIVE)
    measure = factory.measure(
        users["treasury"].department, MeasureStatus.APPROVED, costs=[(line, 2027, "1000.00")]
    )
    db.session.commit()
    client = login_as("treasury")
    url = f"/haushalt/stellen/{line.id}/ve"
    token_from = f"/haushalt/stellen/{line.id}"
    form = {"granted_year": "2026", "due_year": "2027", "amount": "100", "purpose": ""}
    for typed in ("abc", "Maßnahme 7", "M-", "M-0"):
        response = post_form(client, url, {**form, "measure_id": typed}, token_from=token_from)
        assert response.status_code == 400
        assert "Bitte die Nummer einer Maßnahme angeben, z. B. M-0042." in _text(response)
    assert db.session.scalar(select(func.count(CommitmentAuthorization.id))) == 0
    for typed in (measure.reference, measure.reference.lower(), f"M{measure.id}", ""):
        response = post_form(client, url, {**form, "measure_id": typed}, token_from=token_from)
        assert response.status_code == 302, _text(response)[:500]
    db.session.expire_all()
    linked = db.session.scalars(
        select(CommitmentAuthorization.measure_id).order_by(CommitmentAuthorization.id)
    ).all()
    assert linked == [measure.id, measure.id, measure.id, None]


def test_line_page_lists_its_measures_in_pages(
    login_as: Any, users: dict[str, Any], db: Any, factory: Any, monkeypatch: Any
) -> None:
    from steuerung.views import budget as budget_views

    monkeypatch.setattr(budget_views, "LINE_MEASURES_PAGE_SIZE", 2)
    department = users["treasury"].department
    line = factory.budget_line(department, BudgetKind.CONSUMPTIVE)
    other = factory.budget_line(department, BudgetKind.CONSUMPTIVE)
    counting = [
        factory.measure(department, status, costs=[(line, 2027, "10.00"), (line, 2028, "5.00")])
        for status in (
            MeasureStatus.APPROVED,
            MeasureStatus.IN_PROGRESS,
            MeasureStatus.APPROVED,
            MeasureStatus.IN_PROGRESS,
            MeasureStatus.APPROVED,
        )
    ]
    draft = factory.measure(department, MeasureStatus.DRAFT, costs=[(line, 2027, "10.00")])
    elsewhere = factory.measure(department, MeasureStatus.APPROVED, costs=[(other, 2027, "1")])
    db.session.commit()
    client = login_as("treasury")
    expected = sorted(m.id for m in counting)
    seen = []
    for page in (1, 2, 3):
        html = client.get(f"/haushalt/stellen/{line.id}?page={page}").get_data(as_text=True)
        assert "Maßnahmen auf dieser Haushaltsstelle (5)" in html
        section = html[html.index('id="h-measures"') : html.index('id="h-ve"')]
        refs = re.findall(r"<td>(M-\d{4})</td>", section)
        assert len(refs) == (2 if page < 3 else 1)
        seen += refs
        assert f"Seite {page} von 3" in section
        assert 'aria-current="page">' + str(page) + "<" in section
        assert "15,00" in section  # 10 + 5 over the years of each measure
    assert seen == [f"M-{i:04d}" for i in expected]
    assert draft.reference not in seen and elsewhere.reference not in seen
    bad = client.get(f"/haushalt/stellen/{line.id}?page=99").get_data(as_text=True)
    assert "Ungültige Seitenzahl „99“: es wird Seite 1 gezeigt." in bad
    assert re.findall(r"<td>(M-\d{4})</td>", bad[bad.index('id="h-measures"') :])[:2] == seen[:2]
    scenario = client.get(f"/haushalt/stellen/{line.id}?szenario=1").get_data(as_text=True)
    assert "Maßnahmen auf dieser Haushaltsstelle (5)" in scenario  # a draft never counts


def test_rollover_keeps_old_year_readable(
    login_as: Any, users: dict[str, Any], db: Any, factory: Any
) -> None:
    dept = users["treasury"].department
    line = factory.budget_line(dept, amounts={2026: "1000.00", 2030: "40.00"})
    factory.measure(dept, MeasureStatus.APPROVED, costs=[(line, 2026, "1500.00")])
    db.session.commit()
    client = login_as("treasury")
    wrong = post_form(client, "/haushalt/haushaltsjahr", {"new_year": "2028", "confirm": "y"})
    assert wrong.status_code == 400 and "muss 2027 sein" in _text(wrong)
    unconfirmed = post_form(client, "/haushalt/haushaltsjahr", {"new_year": "2027"})
    assert unconfirmed.status_code == 400
    response = post_form(client, "/haushalt/haushaltsjahr", {"new_year": "2027", "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Settings, 1).budget_year == 2027
    page = _text(client.get("/haushalt/"))
    assert "Mittelfristige Deckung 2027–2030" in page
    assert "HJ 2027" in page and "HJ+3 2030" in page
    old = _text(client.get("/haushalt/?hj=2026"))
    assert "Mittelfristige Deckung 2026–2029" in old
    assert "früheres Haushaltsjahr" in old
    assert "1.500,00" in old and "500,00" in old  # demand and gap of 2026 still there


@pytest.mark.parametrize(("role", "status"), [("coordinator", 403), ("admin", 200)])
def test_admin_may_roll_over_coordinator_may_not(
    login_as: Any, users: dict[str, Any], role: str, status: int
) -> None:
    assert login_as(role).get("/haushalt/haushaltsjahr").status_code == status


@pytest.mark.parametrize("role", ["coordinator", "leadership"])
def test_readers_read_but_do_not_write(
    login_as: Any, users: dict[str, Any], db: Any, factory: Any, role: str
) -> None:
    line = factory.budget_line(users["treasury"].department, amounts={2026: "1.00"})
    db.session.commit()
    client = login_as(role)
    for url in ("/haushalt/", "/haushalt/stellen", f"/haushalt/stellen/{line.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Bearbeiten" not in _text(response)
    assert client.get("/haushalt/stellen/neu").status_code == 403
    assert client.get(f"/haushalt/stellen/{line.id}/bearbeiten").status_code == 403
    assert client.post(f"/haushalt/stellen/{line.id}/ve", data={}).status_code in (400, 403)


def test_submitter_has_no_access(login_as: Any, users: dict[str, Any]) -> None:
    client = login_as("submitter")
    assert client.get("/haushalt/").status_code == 403
    assert client.get("/haushalt/stellen").status_code == 403
    assert "/haushalt/" not in client.get("/").get_data(as_text=True)


def test_nav_entry_for_treasury(login_as: Any, users: dict[str, Any]) -> None:
    html = login_as("treasury").get("/").get_data(as_text=True)
    assert 'href="/haushalt/"' in html and ">Haushalt<" in html


def test_table_shows_gap_with_text_and_scenario_toggle(
    login_as: Any, users: dict[str, Any], db: Any, factory: Any
) -> None:
    dept = users["treasury"].department
    line = factory.budget_line(dept, amounts={2026: "1000.00"})
    factory.measure(dept, MeasureStatus.APPROVED, title="Zählt", costs=[(line, 2026, "800.00")])
    factory.measure(
        dept, MeasureStatus.SUBMITTED, title="Eingereicht", costs=[(line, 2026, "700.00")]
    )
    db.session.commit()
    client = login_as("treasury")
    page = _text(client.get("/haushalt/"))
    assert "Zählt" in page and "Eingereicht" not in page
    assert 'class="num gap"' not in page
    raw = client.get("/haushalt/?szenario=1").get_data(as_text=True)
    scenario = _text_of(raw)
    assert "Eingereicht" in scenario
    # The gap of 500 is marked by a sign and a word, not only colour.
    assert (
        '<td class="num gap"><span aria-hidden="true">▲&nbsp;</span>'
        '<span class="visually-hidden">Lücke </span>500,00\xa0€</td>'
    ) in raw
    assert "teilweise gedeckt" in scenario
    assert 'href="/haushalt/export.xlsx?szenario=1"' in scenario
    for view in ("fachbereich", "art", "handlungsfeld", "finanzierung"):
        assert client.get(f"/haushalt/?ansicht={view}&szenario=1").status_code == 200


def test_table_query_count_does_not_grow(
    login_as: Any, users: dict[str, Any], db: Any, factory: Any
) -> None:
    dept = users["treasury"].department
    lines = [factory.budget_line(dept, amounts={2026: "10.00"}) for _ in range(2)]
    factory.measure(dept, MeasureStatus.APPROVED, costs=[(lines[0], 2026, "1.00")])
    db.session.commit()
    client = login_as("treasury")
    urls = ["/haushalt/", "/haushalt/?ansicht=handlungsfeld", "/haushalt/stellen"]

    def counts() -> dict[str, str]:
        result = {}
        for url in urls:
            db.session.expire_all()  # same starting point for every request
            result[url] = client.get(url).headers["X-Query-Count"]
        return result

    before = counts()
    more = [factory.budget_line(dept, amounts={2027: "5.00"}) for _ in range(5)]
    for i in range(20):
        factory.measure(
            dept,
            MeasureStatus.IN_PROGRESS,
            costs=[(more[i % 5], 2027, "3.00"), (lines[1], 2028, "2.00")],
        )
    db.session.commit()
    assert counts() == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", D("1234.56")),
        ("1234,5", D("1234.50")),
        ("1234.56", D("1234.56")),
        ("1.234", D("1234.00")),
        ("12.345.678", D("12345678.00")),
        ("12 500,00 €", D("12500.00")),
        (1500, D("1500.00")),
        (700.25, D("700.25")),
        (D("3.10"), D("3.10")),
    ],
)
def test_parse_amount_german_and_plain(text: object, expected: Decimal) -> None:
    from steuerung.services.common.numbers import parse_amount

    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "1,234", "NaN", "Infinity", True, None])
def test_parse_amount_refuses(text: object) -> None:
    from steuerung.services.common.numbers import parse_amount

    with pytest.raises(ValueError):
        parse_amount(text)


def test_services_refuse_non_treasury(users: dict[str, Any], db: Any, factory: Any) -> None:
    from steuerung.services.budget.lines import roll_budget_year, set_approved_amounts
    from steuerung.services.common.errors import PermissionDenied

    line = factory.budget_line(users["treasury"].department)
    with pytest.raises(PermissionDenied):
        set_approved_amounts(line, {2026: D("1")}, by=users["coordinator"])
    with pytest.raises(PermissionDenied):
        roll_budget_year(by=users["leadership"], new_year=2027)
    assert set_approved_amounts(line, {2026: D("5")}, by=users["treasury"]) == 1
    assert set_approved_amounts(line, {2026: D("5.00")}, by=users["treasury"]) == 0


def test_no_code_path_deletes_budget_lines_or_ve() -> None:
    """Budget data is archived, never removed (issue 12): lines are deactivated, VE
    archived. Besides Deckungsringe (groupings, deletion audited), no service or view deletes
    a row of the budget, by ORM or by SQL."""
    root = Path(__file__).resolve().parent.parent / "steuerung"
    offenders = []
    pattern = re.compile(
        r"delete\((BudgetLine|BudgetAmount|CommitmentAuthorization|_LINES|_AMOUNTS)\b"
        r"|session\.delete\((line|commitment|amount|ve)\b"
    )
    for path in [*root.glob("services/**/*.py"), *root.glob("views/**/*.py")]:
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []
    # The sole deletion in the budget area is the ring's.
    deletions = [
        str(path.relative_to(root))
        for path in root.glob("services/budget/*.py")
        if "session.delete(" in path.read_text("utf-8")
    ]
    assert deletions == ["services/budget/rings.py"]


def test_measure_rows_of_a_line_show_years_total_and_own_share(
    login_as: Any, users: dict[str, Any], db: Any, factory: Any
) -> None:
    dept = users["treasury"].department
    line = factory.budget_line(dept, amounts={2026: "5000.00", 2027: "5000.00"})
    factory.measure(
        dept,
        MeasureStatus.APPROVED,
        title="Zwei Jahre",
        costs=[(line, 2026, "1234.50"), (line, 2027, "100.00")],
    )
    db.session.commit()
    raw = login_as("treasury").get("/haushalt/").get_data(as_text=True)
    start = raw.index("<td>Zwei Jahre</td>")
    row = raw[start : raw.index("</tr>", start)]
    amounts = re.findall(r'<td class="num">([^<]*)</td>', row)
    # 2026, 2027, the two planning years without cost, the gross total, the own share.
    assert amounts == [
        "1.234,50\xa0€",
        "100,00\xa0€",
        "0,00\xa0€",
        "0,00\xa0€",
        "1.334,50\xa0€",
        "1.334,50\xa0€",
    ]
