"""Application set-up: configuration safety and German formats."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from config import ProductionConfig
from steuerung import create_app
from steuerung.formatting import date_de, money, number


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)

    class NoKey(ProductionConfig):
        SECRET_KEY = None

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(NoKey)


def test_production_starts_with_secret_key_and_secure_cookies():
    class WithKey(ProductionConfig):
        SECRET_KEY = "x" * 40
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    app = create_app(WithKey)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_german_formats_match_babel(app):
    from datetime import UTC, datetime

    from babel.numbers import format_currency, format_decimal

    from steuerung.formatting import datetime_de

    with app.test_request_context():
        assert money(Decimal("1234.56")) == "1.234,56\xa0€"
        assert number(Decimal("1234567")) == "1.234.567"
        assert number(Decimal("3.14159"), 2) == "3,14"
        assert date_de(date(2026, 11, 23)) == "23.11.2026"
        for value in ("0", "0.5", "-1234.5", "999999999.99", "1000000", "12.345"):
            amount = Decimal(value)
            assert money(amount) == format_currency(amount, "EUR", locale="de_DE")
            assert number(amount, 2) == format_decimal(amount, "#,##0.00", locale="de_DE")
        assert money(1234.5) == "1.234,50\xa0€" and money(7) == "7,00\xa0€"
        # 23:30 UTC in winter is already the next day in Berlin
        late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
        assert date_de(late) == "24.11.2026" and datetime_de(late) == "24.11.2026, 00:30"


def test_audit_records_goal_list_that_keeps_some_and_adds_others(factory, db, users):
    from sqlalchemy import select

    from steuerung.models import AuditEntry
    from steuerung.services.common.audit import acting_as

    agenda = factory.agenda(goals_per_field=2)
    g1, g2, g3 = [g for f in agenda.action_fields for g in f.goals][:3]
    measure = factory.measure(users["submitter"].department, goals=[g1, g2])
    db.session.commit()
    with acting_as(users["submitter"].id):
        measure.goals = [g1, g3]
        db.session.commit()
    entry = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.measure_id == measure.id, AuditEntry.action == "update")
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry.changes["goals"] == [sorted([g1.code, g2.code]), sorted([g1.code, g3.code])]
    assert entry.user_id == users["submitter"].id
