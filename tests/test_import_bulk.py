"""The bulk import writes the same audit entries as the ORM session hook, one per change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text

from steuerung.models import AuditEntry, BudgetAmount, BudgetKind, BudgetLine
from steuerung.services.budget import imports as imports
from steuerung.services.budget.lines import set_approved_amounts
from steuerung.services.common.audit import acting_as, data_generation


def _row(n: int, line: BudgetLine | None, year: int, amount: str, **new: str) -> Any:
    key = (
        (line.product, line.cost_center, line.account, line.investment_number)
        if line
        else ("9.9.9.99", "9999", "54310000", "")
    )
    return imports.ImportRow(n, *key, str(year), amount, **new)


def test_bulk_audit_matches_the_session_hook(factory: Any, users: dict[str, Any], db: Any) -> None:
    treasury = users["treasury"]
    line = factory.budget_line(treasury.department, amounts={2026: "100.00", 2027: "5.00"})
    reference = factory.budget_line(treasury.department, BudgetKind.CONSUMPTIVE)
    db.session.commit()
    with acting_as(treasury.id):
        set_approved_amounts(reference, {2026: Decimal("1.00")}, by=treasury)
        db.session.commit()
        set_approved_amounts(reference, {2026: Decimal("2.00")}, by=treasury)
        db.session.commit()
    orm = {
        (e.entity_type, e.action): e
        for e in db.session.scalars(select(AuditEntry).where(AuditEntry.user_id == treasury.id))
    }
    generation = data_generation(db.session)
    first_new = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()))

    rows = [
        _row(2, line, 2026, "150,00"),  # changed
        _row(3, line, 2027, "5,00"),  # unchanged: no audit entry
        _row(4, line, 2028, "7,50"),  # new amount
        _row(5, None, 2026, "99,00", name="Neu", kind_text="konsumtiv", department_code="FB 1"),
    ]
    preview = imports.validate_rows(rows, [2026, 2027, 2028, 2029])
    assert preview.ok, [r.errors for r in preview.rows]
    with acting_as(treasury.id):
        result = imports.apply_import(preview, by=treasury)
        db.session.commit()
    assert (result.changed, result.unchanged, result.created_lines) == (3, 1, 1)
    assert data_generation(db.session) == generation + 1
    if db.session.get_bind().dialect.name == "postgresql":
        # The planner knows the imported rows at once, not only after autovacuum.
        planned = db.session.execute(
            text("SELECT reltuples FROM pg_class WHERE relname = 'budget_amounts'")
        ).scalar_one()
        assert planned == db.session.scalar(select(func.count(BudgetAmount.id)))

    bulk = list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.id > first_new).order_by(AuditEntry.id)
        )
    )
    new_line = db.session.scalar(select(BudgetLine).where(BudgetLine.product == "9.9.9.99"))
    amount_ids = {
        (a.budget_line_id, a.year): a.id for a in db.session.scalars(select(BudgetAmount))
    }
    assert {(e.entity_type, e.entity_id, e.action) for e in bulk} == {
        ("budget_lines", new_line.id, "create"),
        ("budget_amounts", amount_ids[(line.id, 2026)], "update"),
        ("budget_amounts", amount_ids[(line.id, 2028)], "create"),
        ("budget_amounts", amount_ids[(new_line.id, 2026)], "create"),
    }
    by_key = {(e.entity_type, e.entity_id): e for e in bulk}
    update = by_key[("budget_amounts", amount_ids[(line.id, 2026)])]
    assert update.changes == {"approved_amount": ["100.00", "150.00"]}
    assert update.changes.keys() == orm[("budget_amounts", "update")].changes.keys()
    created = by_key[("budget_amounts", amount_ids[(line.id, 2028)])]
    assert created.changes == {
        "budget_line_id": [None, line.id],
        "year": [None, 2028],
        "approved_amount": [None, "7.50"],
        "base_load": [None, "0.00"],
    }
    assert created.changes.keys() == orm[("budget_amounts", "create")].changes.keys()
    line_entry = by_key[("budget_lines", new_line.id)]
    assert line_entry.changes["name"] == [None, "Neu"]
    assert line_entry.changes["kind"] == [None, "consumptive"]
    hook_line = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.entity_type == "budget_lines",
            AuditEntry.entity_id == reference.id,
            AuditEntry.action == "create",
        )
    )
    assert line_entry.changes.keys() == hook_line.changes.keys()
    assert {e.user_id for e in bulk} == {treasury.id}
