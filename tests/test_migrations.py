"""Alembic round trip: empty database -> head, models agree with migrations, -> base.

Runs on a fresh SQLite file, or on ``MIGRATION_DATABASE_URL`` (an empty PostgreSQL database
that .ci/run creates for the PostgreSQL pass).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from config import TestConfig
from steuerung import create_app
from steuerung.extensions import db


@pytest.fixture()
def empty_db_url(tmp_path):
    url = os.environ.get("MIGRATION_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.fail("MIGRATION_DATABASE_URL fehlt für den PostgreSQL-Lauf")
    return f"sqlite:///{tmp_path / 'migrations.db'}"


def test_upgrade_check_downgrade(empty_db_url):
    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_db_url
        SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    app = create_app(MigrationConfig)
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"measures", "budget_lines", "cost_plan_entries", "audit_log"} <= tables
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"Modelle und Migrationen weichen ab: {diff}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()


def _money(value) -> Decimal:
    """A money value read by raw SQL (SQLite gives a float) as Decimal in cents."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _insert(connection, table_name: str, **values):
    """Insert one row into the table as it exists at the current revision; required columns
    not given get a plain value of their type. Returns the new id."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=connection)
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        if column.server_default is not None:
            continue
        kind = column.type
        if isinstance(kind, sa.Boolean):
            row[column.name] = False
        elif isinstance(kind, sa.Integer):
            row[column.name] = 1
        elif isinstance(kind, sa.Numeric):
            row[column.name] = 0
        elif isinstance(kind, sa.DateTime):
            row[column.name] = datetime(2026, 1, 5, tzinfo=UTC)
        elif isinstance(kind, sa.Date):
            row[column.name] = date(2026, 1, 5)
        elif getattr(kind, "enums", None):
            row[column.name] = kind.enums[0]
        else:
            row[column.name] = f"{table_name}-{column.name}"[: getattr(kind, "length", None) or 99]
    return connection.execute(table.insert().values(**row).returning(table.c.id)).scalar_one()


def test_budget_truth_keeps_the_data(empty_db_url):
    """Rows written before the budget-truth revision survive it (and its downgrade):
    running costs per year become the running cost after the horizon, a cost row's own kind
    gives way to its line's, a saved scenario keeps its amount as a legacy parameter."""

    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_db_url
        SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    app = create_app(MigrationConfig)
    with app.app_context():
        upgrade(revision="a1c0e7d2b4f1")
        with db.engine.begin() as connection:
            department = _insert(connection, "departments", code="FB 9", name="Fachbereich 9")
            line = _insert(
                connection, "budget_lines", department_id=department, kind="investive", name="IT"
            )
            measure = _insert(
                connection,
                "measures",
                department_id=department,
                title="Altmaßnahme",
                status="approved",
                category="smart_city",
                kind="project",
                running_costs_per_year=Decimal("12345.67"),
            )
            _insert(
                connection,
                "cost_plan_entries",
                measure_id=measure,
                budget_line_id=line,
                year=2027,
                amount=Decimal("1000.00"),
                kind="consumptive",
                funding_source="own",
            )
            _insert(
                connection,
                "budget_scenarios",
                name="Alt",
                year=2027,
                available_amount=Decimal("250000.00"),
                result_json="{}",
            )
            _insert(
                connection,
                "commitment_authorizations",
                budget_line_id=line,
                granted_year=2026,
                due_year=2028,
                amount=Decimal("500.00"),
            )
        upgrade(revision="b7d41c9e2a55")
        with db.engine.connect() as connection:
            running, bound = connection.execute(
                sa.text("SELECT running_cost_after_horizon, contractually_bound FROM measures")
            ).one()
            assert (_money(running), bool(bound)) == (Decimal("12345.67"), False)
            amount, year, line_id = connection.execute(
                sa.text("SELECT amount, year, budget_line_id FROM cost_plan_entries")
            ).one()
            assert (_money(amount), year, line_id) == (Decimal("1000.00"), 2027, line)
            budget_year, params = connection.execute(
                sa.text("SELECT budget_year, params_json FROM budget_scenarios")
            ).one()
            assert budget_year == 2027
            assert json.loads(params) == {"legacy_year": 2027, "legacy_available": "250000.00"}
            amount, due_year, archived_at = connection.execute(
                sa.text("SELECT amount, due_year, archived_at FROM commitment_authorizations")
            ).one()
            assert (_money(amount), due_year, archived_at) == (Decimal("500.00"), 2028, None)
            assert connection.execute(sa.text("SELECT base_load FROM budget_amounts")).all() == []
        downgrade(revision="a1c0e7d2b4f1")
        with db.engine.connect() as connection:
            running = connection.execute(
                sa.text("SELECT running_costs_per_year FROM measures")
            ).scalar_one()
            assert _money(running) == Decimal("12345.67")
            year, available = connection.execute(
                sa.text("SELECT year, available_amount FROM budget_scenarios")
            ).one()
            assert (year, _money(available)) == (2027, Decimal("250000.00"))
        downgrade(revision="base")
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()
