"""Alembic round trip: empty database -> head, models agree with migrations, -> base.

Runs on a fresh SQLite file, or on ``MIGRATION_DATABASE_URL`` (an empty PostgreSQL database
that .ci/run creates for the PostgreSQL pass).
"""

from __future__ import annotations

import os

import pytest
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
        db.engine.dispose()
