"""Time the budget import (``apply_import``) with 20,000 rows: ``python -m bench.import_speed``.

Builds a fresh database (SQLite file in ``bench/results/`` or ``DATABASE_URL``) with 4,750
budget lines holding amounts for two years, then applies a preview of 20,000 rows: two years
changed and two new per line, and 250 new budget lines with four years each. Prints the
seconds for validating and for applying (with the commit) and checks the audit rows.
"""

from __future__ import annotations

import argparse
import os
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select

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
from steuerung.services.common.audit import acting_as

RESULTS = Path(__file__).parent / "results"
YEARS = [2026, 2027, 2028, 2029]


class _Config(TestConfig):
    COUNT_QUERIES = False


def main() -> None:
    """Build, apply, print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=4750)
    parser.add_argument("--new-lines", type=int, default=250)
    parser.add_argument("--chunk", type=int, default=0, help="Zeilen je Transaktion (0: eine)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / "import_speed.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    _Config.SQLALCHEMY_DATABASE_URI = url
    app = create_app(_Config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        with acting_as(None):
            db.session.add(Settings(id=1, budget_year=YEARS[0], kommune_name="Messstadt"))
            dept = Department(code="FB 2", name="Finanzen")
            db.session.add(dept)
            db.session.flush()
            user = User(
                username="kaemmerei", full_name="Kämmerei", role=Role.TREASURY, department=dept
            )
            user.set_password("x" * 12)
            db.session.add(user)
            db.session.commit()
        db.session.execute(
            insert(BudgetLine),
            [
                {
                    "product": f"1.{n // 1000}.{n % 1000}.01",
                    "cost_center": f"{n:05d}",
                    "account": "54310000",
                    "investment_number": "",
                    "kind": BudgetKind.CONSUMPTIVE,
                    "department_id": dept.id,
                    "name": f"Stelle {n}",
                    "is_active": True,
                    "version_id": 1,
                }
                for n in range(args.lines)
            ],
        )
        ids = list(db.session.scalars(select(BudgetLine.id).order_by(BudgetLine.id)))
        db.session.execute(
            insert(BudgetAmount),
            [
                {"budget_line_id": i, "year": y, "approved_amount": Decimal("1000.00")}
                for i in ids
                for y in YEARS[:2]
            ],
        )
        db.session.commit()
        rows = []
        row_no = 2
        for n in range(args.lines):
            for year in YEARS:
                rows.append(
                    imports.ImportRow(
                        row_no=row_no,
                        product=f"1.{n // 1000}.{n % 1000}.01",
                        cost_center=f"{n:05d}",
                        account="54310000",
                        investment_number="",
                        year_text=str(year),
                        amount_text=f"{2000 + n % 7},50",
                    )
                )
                row_no += 1
        for n in range(args.new_lines):
            for year in YEARS:
                rows.append(
                    imports.ImportRow(
                        row_no=row_no,
                        product="9.9.9.99",
                        cost_center=f"N{n:04d}",
                        account="54310000",
                        investment_number="",
                        year_text=str(year),
                        amount_text="123,45",
                        name=f"Neue Stelle {n}",
                        kind_text="konsumtiv",
                        department_code="FB 2",
                    )
                )
                row_no += 1
        user = db.session.get(User, user.id)
        audit_before = db.session.scalar(select(func.count(AuditEntry.id)))
        start = time.perf_counter()
        preview = imports.validate_rows(rows, YEARS)
        validated = time.perf_counter()
        assert preview.ok, preview.error_rows[:3]
        with acting_as(user.id):
            result = imports.apply_import(
                preview,
                by=user,
                chunk_rows=args.chunk or None,
                after_chunk=(lambda done, total: db.session.commit()) if args.chunk else None,
            )
            db.session.commit()
        applied = time.perf_counter()
        audit = db.session.scalar(select(func.count(AuditEntry.id))) - audit_before
        print(
            f"{db.engine.dialect.name}: {len(rows)} Zeilen (Block {args.chunk or 'alle'}), "
            f"Prüfung {validated - start:.2f} s, "
            f"Übernahme {applied - validated:.2f} s; geändert/neu {result.changed}, "
            f"neue Stellen {result.created_lines}, Audit-Einträge {audit}"
        )


if __name__ == "__main__":
    main()
