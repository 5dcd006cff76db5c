"""Carry-forward at the year change (issue 11, point 3): only what was decided is carried,
at most the unused authorization, with a reason, shown separately from the new Ansatz."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from conftest import login, post_form
from execution_helpers import sample_kommune, snapshot
from sqlalchemy import select

from steuerung.models import AuditEntry, BudgetAmount, CarryForward, Settings
from steuerung.services.budget import carry_forward as cf
from steuerung.services.budget.coverage import Grouping, coverage_table
from steuerung.services.budget.execution import execution_table
from steuerung.services.common.errors import ValidationFailed


def closing_year(factory: Any, users: dict[str, Any]) -> dict[str, Any]:
    """The sample lines with the figures of 2026 at 30.11.2026.

    Unused authorizations (Ansatz + carried in − Ist): Fortbildung 25.000 − 20.000 = 5.000
    (transferable konsumtiv); hardware 150.000 − 120.000 = 30.000; E-Akte 150.000 + 40.000
    − 150.000 = 40.000; Lizenzen (konsumtiv, not transferable) is not eligible.
    """
    data = sample_kommune(factory, users)
    lines = data["lines"]
    snapshot(
        2026,
        date(2026, 11, 30),
        [
            (lines["lizenzen"], "60000", "0"),
            (lines["fortbildung"], "20000", "3000"),
            (lines["hardware"], "120000", "25000"),
            (lines["eakte"], "150000", "10000"),
        ],
    )
    return data


def _rollover(client: Any, fields: dict[str, str]) -> Any:
    return post_form(
        client, "/haushalt/haushaltsjahr", {"new_year": "2027", "confirm": "y", **fields}
    )


def test_carry_forward_at_the_year_change(factory, users, db, login_as):
    data = closing_year(factory, users)
    lines = data["lines"]
    hardware, eakte, fortbildung = lines["hardware"], lines["eakte"], lines["fortbildung"]
    client = login_as("treasury")
    page = client.get("/haushalt/haushaltsjahr").get_data(as_text=True)
    assert "Übertragung nicht verbrauchter Ermächtigungen (2026 → 2027)" in page
    assert f'name="cf_amount_{hardware.id}"' in page
    assert f'name="cf_amount_{fortbildung.id}"' in page
    assert f'name="cf_amount_{lines["lizenzen"].id}"' not in page  # not transferable
    assert "30.000,00\u00a0€" in page and "40.000,00\u00a0€" in page and "5.000,00\u00a0€" in page

    # More than the unused authorization: refused, nothing changes
    response = _rollover(
        client,
        {f"cf_amount_{hardware.id}": "30.000,01", f"cf_reason_{hardware.id}": "Lieferung"},
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "höchstens die nicht verbrauchte Ermächtigung 30.000,00\u00a0€" in text
    # A carry-forward without reason: refused
    response = _rollover(client, {f"cf_amount_{eakte.id}": "40000"})
    assert response.status_code == 400
    assert "Bitte die Übertragung begründen." in response.get_data(as_text=True)
    assert db.session.get(Settings, 1).budget_year == 2026
    assert (
        db.session.scalars(select(CarryForward).where(CarryForward.from_year == 2026)).all() == []
    )

    response = _rollover(
        client,
        {
            f"cf_amount_{hardware.id}": "25.000,00",
            f"cf_reason_{hardware.id}": "Notebooks bestellt (Obligo), Lieferung im Januar",
            f"cf_amount_{eakte.id}": "40000",
            f"cf_reason_{eakte.id}": "Scanstraße: Abnahme 2027",
            f"cf_amount_{fortbildung.id}": "",
            f"cf_reason_{fortbildung.id}": "",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Settings, 1).budget_year == 2027
    decided = {
        c.budget_line_id: (c.from_year, c.to_year, c.amount, c.decided_by_id)
        for c in db.session.scalars(select(CarryForward).where(CarryForward.from_year == 2026))
    }
    treasury = users["treasury"].id
    # Only what was decided: the Fortbildung line's 5.000 stay behind
    assert decided == {
        hardware.id: (2026, 2027, D("25000.00"), treasury),
        eakte.id: (2026, 2027, D("40000.00"), treasury),
    }
    # The new Ansatz is untouched; the carried amount is a column of its own
    ansatz = db.session.scalar(
        select(BudgetAmount.approved_amount).where(
            BudgetAmount.budget_line_id == hardware.id, BudgetAmount.year == 2027
        )
    )
    assert ansatz == D("120000.00")
    rows = {r.key: r.figures for r in execution_table(2027).rows}
    assert (rows[hardware.id].budget, rows[hardware.id].carried) == (D("120000.00"), D("25000"))
    assert rows[hardware.id].available == D("145000.00")  # no actuals of 2027 yet
    assert (rows[eakte.id].budget, rows[eakte.id].carried) == (D("100000.00"), D("40000"))
    # The planning figures (coverage) do not see carried amounts
    planning = coverage_table([2027], Grouping.BUDGET_LINE)
    line_row = next(r for r in planning.rows if r.key == hardware.id)
    assert line_row.years[2027].planned == D("120000.00")

    page = client.get("/haushalt/vollzug/").get_data(as_text=True)
    assert "Übertragene Ermächtigungen in 2027" in page
    assert "Notebooks bestellt (Obligo), Lieferung im Januar" in page
    line_page = client.get(f"/haushalt/stellen/{hardware.id}").get_data(as_text=True)
    assert "Übertragene Ermächtigungen: 25.000,00\u00a0€ aus 2026" in line_page
    assert "120.000,00\u00a0€" in line_page and "145.000,00\u00a0€" in line_page


def test_corrections_after_the_change_are_versioned_and_audited(app, factory, users, db):
    data = closing_year(factory, users)
    hardware = data["lines"]["hardware"]
    cf.roll_with_carry_forward(
        by=users["treasury"],
        new_year=2027,
        decisions={hardware.id: cf.Decision(D("25000"), "Lieferung offen")},
    )
    db.session.commit()
    client = app.test_client()
    login(client, "treasury")
    page = client.get("/haushalt/vollzug/uebertragungen").get_data(as_text=True)
    assert "Entscheidungen nachholen oder korrigieren" in page
    record = db.session.scalar(select(CarryForward).where(CarryForward.from_year == 2026))
    stale = {
        f"cf_amount_{hardware.id}": "20000",
        f"cf_reason_{hardware.id}": "Teillieferung erfolgt",
        f"cf_version_{hardware.id}": str(record.version_id + 1),
    }
    response = post_form(client, "/haushalt/vollzug/uebertragungen", stale)
    assert response.status_code == 409
    response = post_form(
        client, "/haushalt/vollzug/uebertragungen", {**stale, f"cf_version_{hardware.id}": "1"}
    )
    assert response.status_code == 302
    db.session.refresh(record)
    assert (record.amount, record.reason, record.version_id) == (
        D("20000.00"),
        "Teillieferung erfolgt",
        2,
    )
    changes = [
        a.changes
        for a in db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "carry_forwards", AuditEntry.action == "update"
            )
        )
    ]
    assert changes[-1]["amount"] == ["25000.00", "20000.00"]
    # 0 withdraws it: nothing is carried any more
    response = post_form(
        client,
        "/haushalt/vollzug/uebertragungen",
        {f"cf_amount_{hardware.id}": "0", f"cf_reason_{hardware.id}": "doch nicht"},
    )
    assert response.status_code == 302
    assert cf.carried_into(2027) == [r for r in cf.carried_into(2027) if r.line_id != hardware.id]
    assert all(r.line_id != hardware.id for r in cf.carried_into(2027))
    # Readers see the page but no form; the form's POST is the treasury's
    reader = app.test_client()
    login(reader, "coordinator")
    page = reader.get("/haushalt/vollzug/uebertragungen").get_data(as_text=True)
    assert "Entscheidungen nachholen" not in page
    assert reader.post("/haushalt/vollzug/uebertragungen").status_code in (400, 403)


def test_the_administration_rolls_the_year_without_deciding_carry_forwards(app, factory, users, db):
    closing_year(factory, users)
    client = app.test_client()
    login(client, "admin")
    page = client.get("/haushalt/haushaltsjahr").get_data(as_text=True)
    assert 'name="cf_amount_' not in page
    assert "entscheidet die Kämmerei" in page
    response = _rollover(client, {})
    assert response.status_code == 302
    assert db.session.get(Settings, 1).budget_year == 2027
    assert (
        db.session.scalars(select(CarryForward).where(CarryForward.from_year == 2026)).all() == []
    )


def test_a_konsumtiv_line_not_declared_transferable_cannot_be_carried(factory, users, db):
    data = closing_year(factory, users)
    lizenzen = data["lines"]["lizenzen"]
    with pytest.raises(ValidationFailed) as error:
        cf.decide(2026, {lizenzen.id: cf.Decision(D("100"), "Rest")}, by=users["treasury"])
    assert error.value.field == f"cf_amount_{lizenzen.id}"
    db.session.rollback()
    # once declared transferable, its unused 35.000 may be carried
    lizenzen = db.session.get(type(lizenzen), lizenzen.id)
    lizenzen.transferable = True
    db.session.commit()
    [candidate] = [c for c in cf.candidates(2026) if c.line_id == lizenzen.id]
    assert candidate.unused == D("35000.00")  # 95.000 − 60.000
