"""SQLite under concurrent use: WAL and busy timeout on every connection; saves during imports.

These tests use a database file (WAL needs one); they run whatever ``DATABASE_URL`` says.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from config import TestConfig
from steuerung import create_app
from steuerung.extensions import db
from steuerung.models import (
    AuditEntry,
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    Department,
    Role,
    Settings,
    User,
)
from steuerung.services.budget import imports as imports
from steuerung.services.budget.lines import BudgetLineData, save_budget_line
from steuerung.services.common.audit import acting_as

YEARS = [2026, 2027, 2028, 2029]


@pytest.fixture()
def file_app(tmp_path: Path) -> Iterator[Flask]:
    config = type(
        "FileConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.db'}",
            "JOBS_DIR": str(tmp_path / "files"),
        },
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
        with acting_as(None):
            db.session.add(Settings(id=1, budget_year=YEARS[0], kommune_name="Teststadt"))
            dept = Department(code="FB 2", name="Finanzen")
            user = User(username="kaemmerei", full_name="Kämmerei", role=Role.TREASURY)
            user.department = dept
            user.set_password("richtig-geheim-42")
            db.session.add_all([dept, user])
            db.session.flush()
            for n in range(41):
                db.session.add(
                    BudgetLine(
                        product=f"1.1.{n}.01",
                        cost_center=f"{n:04d}",
                        account="54310000",
                        kind=BudgetKind.CONSUMPTIVE,
                        department_id=dept.id,
                        name=f"Stelle {n}",
                    )
                )
            db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_wal_and_busy_timeout_on_every_connection(file_app: Flask) -> None:
    with file_app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        with db.engine.connect() as first, db.engine.connect() as second:
            for connection in (first, second):
                assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 15000
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def _rename(app: Flask, line_id: int, name: str, outcome: dict[str, Any]) -> None:
    """Another user's save (own thread, own connection), as the budget line form does it."""
    try:
        with app.app_context():
            user = db.session.scalar(select(User))
            line = db.session.get(BudgetLine, line_id)
            with acting_as(user.id):
                save_budget_line(
                    BudgetLineData(
                        product=line.product,
                        cost_center=line.cost_center,
                        account=line.account,
                        investment_number="",
                        kind=line.kind,
                        department_id=line.department_id,
                        name=name,
                    ),
                    by=user,
                    line=line,
                    expected_version=line.version_id,
                )
                db.session.commit()
            outcome["saved"] = True
            db.session.remove()
    except Exception as error:  # the test reports it
        outcome["error"] = error


def test_a_save_during_an_import_succeeds(file_app: Flask) -> None:
    with file_app.app_context():
        lines = list(db.session.scalars(select(BudgetLine).order_by(BudgetLine.id)))
        other, imported = lines[0], lines[1:]
        rows = [
            imports.ImportRow(
                row_no=2 + i,
                product=line.product,
                cost_center=line.cost_center,
                account=line.account,
                investment_number="",
                year_text=str(year),
                amount_text="1.500,00",
            )
            for i, (line, year) in enumerate((ln, y) for ln in imported for y in YEARS)
        ]
        preview = imports.validate_rows(rows, YEARS)
        assert preview.ok
        user = db.session.scalar(select(User))
        during: dict[str, Any] = {}
        between: dict[str, Any] = {}
        chunks: list[int] = []

        def after_chunk(done: int, total: int) -> None:
            chunks.append(done)
            if len(chunks) == 1:
                # The import holds the write lock (its chunk is flushed, not committed): the
                # other save has to wait for it, and then succeeds.
                saver = threading.Thread(target=_rename, args=(file_app, other.id, "A", during))
                saver.start()
                saver.join(0.5)
                assert saver.is_alive(), "the save should wait for the import's lock"
                db.session.commit()
                saver.join(20)
                assert during == {"saved": True}, during
            else:
                db.session.commit()
            if len(chunks) == 2:
                # Between two chunks nothing is locked: a save finishes before the import goes on.
                saver = threading.Thread(target=_rename, args=(file_app, other.id, "B", between))
                saver.start()
                saver.join(20)
                assert between == {"saved": True}, between

        with acting_as(user.id):
            result = imports.apply_import(preview, by=user, chunk_rows=40, after_chunk=after_chunk)
            db.session.commit()
        assert chunks == [40, 80, 120, 160]
        assert result.changed == 160
        db.session.expire_all()
        assert db.session.get(BudgetLine, other.id).name == "B"
        amounts = db.session.scalars(select(BudgetAmount.approved_amount)).all()
        assert len(amounts) == 160 and set(amounts) == {Decimal("1500.00")}
        renames = db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.entity_type == "budget_lines",
                AuditEntry.entity_id == other.id,
                AuditEntry.action == "update",
            )
            .order_by(AuditEntry.id)
        ).all()
        assert [e.changes["name"] for e in renames] == [["Stelle 0", "A"], ["A", "B"]]
