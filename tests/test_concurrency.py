"""No lost update, no 500 in a race: two people acting on the same measure.

Each test opens the pages as two logged-in users (two browsers), lets both act in a given
order and checks that exactly one change is stored, the other person gets a German message
and keeps what they typed. "Racing past the check" simulates the moment where both passed the
version check before either wrote: the database's version counter refuses the second.
"""

from __future__ import annotations

import re
from decimal import Decimal as D
from typing import Any

import pytest
from conftest import CSRF_RE, login
from measures_helpers import form_payload, make_measure, world_fixture  # noqa: F401
from sqlalchemy import func, select, update

from steuerung.models import BudgetLine, Measure, MeasureStatus, StatusChange, StatusReport

S = MeasureStatus
VERSION = re.compile(r'name="version_id"[^>]*value="(\d+)"')


def _browser(app: Any, username: str) -> Any:
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _page(client: Any, url: str) -> dict[str, str]:
    """GET ``url`` and keep what its form would post back: CSRF token and version."""
    html = client.get(url).get_data(as_text=True)
    fields = {"csrf_token": CSRF_RE.search(html).group(1)}  # type: ignore[union-attr]
    version = VERSION.search(html)
    if version:
        fields["version_id"] = version.group(1)
    return fields


def _status(db: Any, measure_id: int) -> MeasureStatus:
    db.session.expire_all()
    return db.session.get(Measure, measure_id).status


def _count(db: Any, model: Any) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _sneak_in_a_save(monkeypatch: Any, module: Any, db: Any) -> None:
    """After the version check of ``module`` passes, someone else saves the same measure."""
    original = module.check_version

    def check_then_someone_saves(obj: Any, expected: Any, *args: Any) -> None:
        original(obj, expected, *args)
        db.session.execute(
            update(Measure.__table__)
            .where(Measure.__table__.c.id == obj.id)
            .values(version_id=obj.version_id + 1)
        )

    monkeypatch.setattr(module, "check_version", check_then_someone_saves)


@pytest.mark.parametrize("first", ["approve", "return"])
def test_two_decisions_on_the_same_measure_one_wins(app, world, factory, users, db, first):
    measure = make_measure(factory, world, S.SUBMITTED)
    db.session.commit()
    second_office_user = factory.user(users["coordinator"].role, username="lotse")
    db.session.commit()
    detail = f"/massnahmen/{measure.id}"
    a, b = _browser(app, "coordinator"), _browser(app, "lotse")
    form_a, form_b = _page(a, detail), _page(b, detail)
    decisions = {
        "approve": (a, {**form_a, "target": "approved"}),
        "return": (b, {**form_b, "target": "returned", "reason": "Bitte Kosten erläutern."}),
    }
    order = [first, "return" if first == "approve" else "approve"]
    winner_client, winner_data = decisions[order[0]]
    loser_client, loser_data = decisions[order[1]]
    assert winner_client.post(f"{detail}/status", data=winner_data).status_code == 302
    response = loser_client.post(f"{detail}/status", data=loser_data)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "inzwischen von einer anderen Person geändert" in page
    if first == "approve":  # the question typed by the loser is still there
        assert "Bitte Kosten erläutern." in page
    expected = S.APPROVED if first == "approve" else S.RETURNED
    assert _status(db, measure.id) == expected
    assert _count(db, StatusChange) == 1
    assert second_office_user.id


def test_decision_racing_past_the_check_ends_in_a_message(app, world, factory, db, monkeypatch):
    from steuerung.services.measures import workflow

    measure = make_measure(factory, world, S.SUBMITTED)
    db.session.commit()
    client = _browser(app, "coordinator")
    detail = f"/massnahmen/{measure.id}"
    form = _page(client, detail)
    _sneak_in_a_save(monkeypatch, workflow, db)
    response = client.post(f"{detail}/status", data={**form, "target": "approved"})
    assert response.status_code == 409
    assert "inzwischen von einer anderen Person geändert" in response.get_data(as_text=True)
    assert _status(db, measure.id) == S.SUBMITTED
    assert _count(db, StatusChange) == 0


def _report(text: str) -> dict[str, str]:
    return {
        "reported_on": "2026-06-30",
        "schedule_light": "green",
        "cost_light": "yellow",
        "scope_light": "green",
        "progress_percent": "40",
        "text": text,
        "next_steps": "",
        "risks": "",
    }


def test_two_status_reports_at_once_the_second_keeps_its_text(app, world, factory, db):
    measure = make_measure(factory, world, S.IN_PROGRESS)
    db.session.commit()
    url = f"/massnahmen/{measure.id}/statusbericht"
    a = _browser(app, "submitter")
    b = _browser(app, "coordinator")
    form_a, form_b = _page(a, url), _page(b, url)
    assert a.post(url, data={**form_a, **_report("Bericht der Fachabteilung")}).status_code == 302
    response = b.post(url, data={**form_b, **_report("Bericht der Koordination")})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "inzwischen von einer anderen Person geändert" in html
    assert "Bericht der Koordination" in html  # the typed text is still in the form
    assert _count(db, StatusReport) == 1
    # Sent again from the re-shown form (now at the current version), it is saved.
    fresh = VERSION.search(html).group(1)  # type: ignore[union-attr]
    again = {**form_b, "version_id": fresh, **_report("Bericht der Koordination")}
    assert b.post(url, data=again).status_code == 302
    assert _count(db, StatusReport) == 2


def test_report_racing_past_the_check_keeps_the_text(app, world, factory, db, monkeypatch):
    from steuerung.services.measures import editing

    measure = make_measure(factory, world, S.IN_PROGRESS)
    db.session.commit()
    url = f"/massnahmen/{measure.id}/statusbericht"
    client = _browser(app, "submitter")
    form = _page(client, url)
    _sneak_in_a_save(monkeypatch, editing, db)
    response = client.post(url, data={**form, **_report("Mein Sachstand")})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Mein Sachstand" in html
    assert "inzwischen von einer anderen Person" in html
    assert _count(db, StatusReport) == 0


@pytest.mark.parametrize("first", ["department", "office"])
def test_two_people_edit_the_same_cost_plan(app, world, factory, db, first):
    measure = make_measure(factory, world, S.DRAFT)
    db.session.commit()
    url = f"/massnahmen/{measure.id}/bearbeiten"
    dept, office = _browser(app, "submitter"), _browser(app, "coordinator")
    form_dept, form_office = _page(dept, url), _page(office, url)
    payload = {
        "department": (dept, {**form_payload(world), **form_dept}, "11.111,00"),
        "office": (office, {**form_payload(world), **form_office}, "22.222,00"),
    }
    second = "office" if first == "department" else "department"
    for name in (first, second):
        client, data, amount = payload[name]
        data["cost_plan-0-amount"] = amount
    client, data, _ = payload[first]
    assert client.post(url, data=data).status_code == 302
    client, data, typed = payload[second]
    response = client.post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "inzwischen von einer anderen Person gespeichert" in html
    assert f'value="{typed}"' in html  # own input kept
    db.session.expire_all()
    amounts = sorted(e.amount for e in db.session.get(Measure, measure.id).cost_plan)
    kept = payload[first][2].replace(".", "").replace(",", ".")
    assert str(amounts[0]) == kept  # the first save stands, nothing overwritten


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("status", {"target": "cancelled"}),
        ("antwort", {"body": "Antwort"}),
        ("statusbericht", _report("ohne Version")),
    ],
)
def test_a_form_posted_without_version_is_refused(app, world, factory, db, path, data):
    measure = make_measure(factory, world, S.IN_PROGRESS if path == "statusbericht" else S.DRAFT)
    db.session.commit()
    client = _browser(app, "submitter")
    token = _page(client, f"/massnahmen/{measure.id}")["csrf_token"]
    before = (_status(db, measure.id), _count(db, StatusReport), _count(db, StatusChange))
    response = client.post(f"/massnahmen/{measure.id}/{path}", data={"csrf_token": token, **data})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "inzwischen von einer anderen Person geändert" in html
    assert next(iter(data.values())) in html  # what was typed or chosen is kept
    after = (_status(db, measure.id), _count(db, StatusReport), _count(db, StatusChange))
    assert after == before


def test_an_edit_posted_without_version_is_refused(app, world, factory, db):
    measure = make_measure(factory, world, S.DRAFT, title="Original")
    db.session.commit()
    client = _browser(app, "submitter")
    url = f"/massnahmen/{measure.id}/bearbeiten"
    form = _page(client, url)
    data = {**form_payload(world, title="Ohne Version"), "csrf_token": form["csrf_token"]}
    data.pop("version_id", None)
    html = client.post(url, data=data).get_data(as_text=True)
    assert "inzwischen von einer anderen Person gespeichert" in html
    db.session.expire_all()
    assert db.session.get(Measure, measure.id).title == "Original"


def _new_measure_form(client: Any) -> dict[str, str]:
    html = client.get("/massnahmen/neu").get_data(as_text=True)
    token = re.search(r'name="creation_token"[^>]*value="([^"]+)"', html)
    assert token, "the new-measure form carries a creation token"
    return {
        "csrf_token": CSRF_RE.search(html).group(1),  # type: ignore[union-attr]
        "creation_token": token.group(1),
    }


def test_back_and_save_again_creates_one_measure(app, world, db):
    client = _browser(app, "submitter")
    hidden = _new_measure_form(client)
    first = client.post("/massnahmen/neu", data={**form_payload(world), **hidden})
    assert first.status_code == 302
    # Back in the browser: the same form, its token and an improved title, saved again.
    again = client.post(
        "/massnahmen/neu", data={**form_payload(world, title="Verbesserter Titel"), **hidden}
    )
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert _count(db, Measure) == 1
    db.session.expire_all()
    assert db.session.scalars(select(Measure)).one().title == "Verbesserter Titel"


def test_a_double_post_creates_one_measure(app, world, db, monkeypatch):
    """Two posts of one form at the same moment: both miss the other's measure."""
    from steuerung.services.measures import editing

    client = _browser(app, "submitter")
    hidden = _new_measure_form(client)
    data = {**form_payload(world), **hidden}
    assert client.post("/massnahmen/neu", data=data).status_code == 302
    original = editing.measure_created_by_form
    calls = {"n": 0}

    def not_yet_visible(token: str | None) -> Any:
        calls["n"] += 1
        return None if calls["n"] == 1 else original(token)

    monkeypatch.setattr(editing, "measure_created_by_form", not_yet_visible)
    response = client.post("/massnahmen/neu", data=data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "bereits gespeichert" in page
    assert _count(db, Measure) == 1


def test_a_new_form_without_token_still_works(app, world, db):
    client = _browser(app, "submitter")
    token = _page(client, "/massnahmen/neu")["csrf_token"]
    data = {**form_payload(world), "csrf_token": token}
    assert client.post("/massnahmen/neu", data=data).status_code == 302
    assert client.post("/massnahmen/neu", data=data).status_code == 302
    # Without a token (an API or a script) each post is a new measure, as asked.
    assert _count(db, Measure) == 2


# ------------------------------------------------------------------ budget line amounts


def _line_payload(line: Any, form: dict[str, str], **changes: str) -> dict[str, str]:
    data = {
        "product": line.product,
        "cost_center": line.cost_center,
        "account": line.account,
        "investment_number": line.investment_number or "",
        "kind": line.kind.value,
        "department_id": str(line.department_id),
        "name": line.name,
        "is_active": "y",
        "amount_2026": "1.000,00",
        "amount_2027": "2.000,00",
        "base_load_2027": "",
        **form,
    }
    data.update(changes)
    return data


def _line_figures(db: Any, line_id: int) -> dict[int, tuple[Any, Any]]:
    db.session.expire_all()
    line = db.session.get(BudgetLine, line_id)
    return {a.year: (a.approved_amount, a.base_load) for a in line.amounts}


@pytest.mark.parametrize("first", ["amounts", "base_load"])
def test_two_sessions_edit_the_same_line(app, users, factory, db, first):
    """Both open the line, one changes an Ansatz, the other a base load: whoever saves second
    is refused with the stored figures beside their own input, and nothing is overwritten."""
    line = factory.budget_line(users["treasury"].department, amounts={2026: "1000", 2027: "2000"})
    db.session.commit()
    url = f"/haushalt/stellen/{line.id}/bearbeiten"
    one, two = _browser(app, "treasury"), _browser(app, "treasury")
    forms = {"amounts": _page(one, url), "base_load": _page(two, url)}
    clients = {"amounts": one, "base_load": two}
    changes = {"amounts": {"amount_2026": "1.500,00"}, "base_load": {"base_load_2027": "300,00"}}
    second = "base_load" if first == "amounts" else "amounts"
    response = clients[first].post(url, data=_line_payload(line, forms[first], **changes[first]))
    assert response.status_code == 302
    after_first = _line_figures(db, line.id)
    response = clients[second].post(url, data=_line_payload(line, forms[second], **changes[second]))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "inzwischen von einer anderen Person geändert" in html
    typed = next(iter(changes[second].values()))
    assert f'value="{typed}"' in html  # own input kept on the page
    assert "Aktuell gespeicherter Stand" in html
    assert _line_figures(db, line.id) == after_first
    expected = {
        "amounts": {2026: (D("1500.00"), D("0.00")), 2027: (D("2000.00"), D("0.00"))},
        "base_load": {2026: (D("1000.00"), D("0.00")), 2027: (D("2000.00"), D("300.00"))},
    }[first]
    assert after_first == expected


def test_line_save_racing_past_the_check_ends_in_a_message(app, users, factory, db, monkeypatch):
    """Someone saves the line between the version check and the write: the database's version
    counter refuses the second write; the user gets the German message, not a 500."""
    from steuerung.services.budget import lines

    line = factory.budget_line(users["treasury"].department, amounts={2026: "1000", 2027: "2000"})
    db.session.commit()
    url = f"/haushalt/stellen/{line.id}/bearbeiten"
    client = _browser(app, "treasury")
    form = _page(client, url)
    original = lines.check_version

    def check_then_someone_saves(obj: Any, expected: Any, *args: Any) -> None:
        original(obj, expected, *args)
        db.session.execute(
            update(BudgetLine.__table__)
            .where(BudgetLine.__table__.c.id == obj.id)
            .values(version_id=obj.version_id + 1)
        )

    monkeypatch.setattr(lines, "check_version", check_then_someone_saves)
    response = client.post(url, data=_line_payload(line, form, amount_2026="9.999,00"))
    assert response.status_code == 409
    assert "anderen Person" in response.get_data(as_text=True)
    assert _line_figures(db, line.id)[2026][0] == D("1000.00")
