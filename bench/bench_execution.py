"""Budget execution (issue 11) at 10,000 measures with a year of monthly actuals.

The first run adds twelve month-end snapshots of the budget year to the benchmark database
(``seed.synthetic_execution``; one row per measure and line, about 20,000 rows each). Timed:
the execution table, the busiest budget line's page, the dashboard, a measure's cost tab, the
investment programme (page and XLSX), and the import of a month's export (read, check,
write; rolled back).
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from steuerung.extensions import db
from steuerung.models import (
    ActualRow,
    ActualsFileType,
    ActualsProfile,
    ActualsSnapshot,
    BudgetLine,
    CostPlanEntry,
    DecimalStyle,
    LineKeyMode,
    Role,
    User,
)
from steuerung.services.budget import actuals
from steuerung.services.budget.exports import write_csv
from steuerung.services.common.audit import acting_as
from steuerung.services.common.settings import get_settings


def _ensure_actuals(year: int) -> str:
    """Twelve monthly snapshots of ``year`` (made once per benchmark database)."""
    have = db.session.scalar(
        select(func.count(ActualsSnapshot.id)).where(ActualsSnapshot.year == year)
    )
    if have:
        rows = db.session.scalar(select(func.count(ActualRow.id)))
        return f"{have} Stände, {rows} Zeilen vorhanden"
    from seed.synthetic_execution import generate_actuals

    started = time.perf_counter()
    with acting_as(None):
        written = generate_actuals(year)
    db.session.commit()
    took = time.perf_counter() - started
    print(f"Ist-Daten: 12 Monatsstände mit {written} Zeilen in {took:.1f} s erzeugt")
    return f"12 Stände, {written} Zeilen erzeugt"


def _busiest_line(year: int) -> int:
    return db.session.scalar(
        select(CostPlanEntry.budget_line_id)
        .where(CostPlanEntry.year == year)
        .group_by(CostPlanEntry.budget_line_id)
        .order_by(func.count().desc())
        .limit(1)
    )


def _month_export(year: int) -> tuple[bytes, int]:
    """The latest snapshot as the finance software would export it (CSV, German numbers,
    the measure's number as order key), every amount one cent higher (a new state)."""
    snapshot_id = db.session.scalar(
        select(ActualsSnapshot.id)
        .where(ActualsSnapshot.year == year)
        .order_by(ActualsSnapshot.as_of.desc(), ActualsSnapshot.id.desc())
        .limit(1)
    )
    query = (
        select(
            BudgetLine.product,
            BudgetLine.cost_center,
            BudgetLine.account,
            BudgetLine.investment_number,
            ActualRow.measure_id,
            ActualRow.ist,
            ActualRow.obligo,
        )
        .join(BudgetLine, BudgetLine.id == ActualRow.budget_line_id)
        .where(ActualRow.snapshot_id == snapshot_id)
    )
    rows = [
        [
            r.product,
            r.cost_center,
            r.account,
            r.investment_number,
            f"M-{r.measure_id:04d}" if r.measure_id else "",
            r.ist + Decimal("0.01"),
            r.obligo,
        ]
        for r in db.session.execute(query)
    ]
    columns = [
        "Produkt",
        "Kostenstelle",
        "Sachkonto",
        "Investitionsnummer",
        "Auftrag",
        "Ist",
        "Obligo",
    ]
    return write_csv(columns, rows), len(rows)


def _import_timing(year: int) -> dict[str, Any]:
    """Read, check and write a month's export with a profile; the write is rolled back."""
    profile = db.session.scalar(select(ActualsProfile).where(ActualsProfile.name == "Bench CSV"))
    if profile is None:
        profile = ActualsProfile(
            name="Bench CSV",
            file_type=ActualsFileType.CSV,
            header_row=1,
            key_mode=LineKeyMode.COLUMNS,
            col_product="Produkt",
            col_cost_center="Kostenstelle",
            col_account="Sachkonto",
            col_investment_number="Investitionsnummer",
            col_ist="Ist",
            col_obligo="Obligo",
            col_measure_key="Auftrag",
            decimal_style=DecimalStyle.GERMAN,
        )
        db.session.add(profile)
        db.session.commit()
    data, count = _month_export(year)
    treasury = db.session.scalar(select(User).where(User.role == Role.TREASURY).limit(1))
    started = time.perf_counter()
    preview = actuals.preview_file(
        "export.csv",
        data,
        profile,
        as_of=min(date(year, 12, 31), date.today()),
        default_year=year,
        budget_year=year,
    )
    checked = time.perf_counter()
    assert preview.ok, (preview.errors, [r.errors for r in preview.error_rows[:3]])
    with acting_as(treasury.id):
        actuals.apply_actuals(preview, by=treasury)
        db.session.flush()
    written = time.perf_counter()
    db.session.rollback()
    total_ms = (written - started) * 1000
    return {
        "name": f"Import Ist-Daten ({count} Zeilen): lesen+prüfen / schreiben",
        "median_ms": round(total_ms, 2),
        "p95_ms": round(total_ms, 2),
        "queries": [],
        "bytes": len(data),
        "extra": f"prüfen {(checked - started) * 1000:.0f} ms, schreiben "
        f"{(written - checked) * 1000:.0f} ms, {len(data) / 1024:.0f} KiB",
    }


def run(ctx: Any) -> list[dict[str, Any]]:
    """Time the execution pages, the dashboard, the investment programme and an import."""
    year = get_settings().budget_year
    note = _ensure_actuals(year)
    line_id = _busiest_line(year)
    measure_id = db.session.scalar(
        select(ActualRow.measure_id).where(ActualRow.measure_id.is_not(None)).limit(1)
    )
    treasury = ctx.client("treasury")
    # The benchmark app runs without CSRF tokens: pages with the treasury's edit forms are
    # timed as the coordinating office sees them (the same figures, no forms).
    office = ctx.client("coordinator")
    rows = [
        ctx.timed("Vollzug: verfügbare Mittel je Stelle", treasury, "/haushalt/vollzug/"),
        ctx.timed("Vollzug nach Fachbereich", treasury, "/haushalt/vollzug/?ansicht=fachbereich"),
        ctx.timed("Haushaltsstelle mit Vollzug (größte)", office, f"/haushalt/stellen/{line_id}"),
        ctx.timed("Dashboard mit Mittelabfluss", treasury, "/dashboard/"),
        ctx.timed("Dashboard-CSV Mittelabfluss", treasury, "/dashboard/daten/vollzug.csv"),
        ctx.timed(
            "Maßnahme, Reiter Kosten (Vollzug)", office, f"/massnahmen/{measure_id}?tab=kosten"
        ),
        ctx.timed(
            "Investitionsprogramm (Seite)", treasury, "/haushalt/vollzug/investitionsprogramm"
        ),
    ]
    xlsx = ctx.timed(
        "Investitionsprogramm (XLSX)", treasury, "/haushalt/vollzug/investitionsprogramm.xlsx", n=10
    )
    xlsx["extra"] = f"{xlsx.get('bytes', 0) / 1024:.0f} KiB"
    rows.append(xlsx)
    rows[0]["extra"] = note
    rows.append(_import_timing(year))
    return rows
