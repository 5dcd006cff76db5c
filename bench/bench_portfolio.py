"""Register, portfolio and exports of the coordinating office (issue 4)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from steuerung.extensions import db
from steuerung.models import Department


def _export(ctx: Any, name: str, client: Any, url: str, n: int = 5) -> dict[str, Any]:
    row = ctx.timed(name, client, url, n=n)
    start = time.perf_counter()
    client.get(url).close()
    row["extra"] = (
        f"{row['bytes'] / 1024:.0f} KiB, wall {(time.perf_counter() - start) * 1000:.0f} ms"
    )
    return row


def run(ctx: Any) -> list[dict[str, Any]]:
    """Register pages (filtered / sorted, 50 and 100 rows), portfolio, scenario and exports."""
    coordinator = ctx.client("coordinator")
    dept_id = db.session.scalar(select(Department.id).order_by(Department.id).limit(1))
    filtered = (
        f"/portfolio/register?department={dept_id}&status=approved&status=in_progress"
        "&status=submitted&sort=title&dir=asc"
    )
    rows = [
        ctx.timed("Register: Standard (50, nach Score)", coordinator, "/portfolio/register"),
        ctx.timed("Register: gefiltert + sortiert (50)", coordinator, filtered),
        ctx.timed(
            "Register: 100 Zeilen nach Score",
            coordinator,
            "/portfolio/register?per_page=100&sort=score&dir=desc",
        ),
        ctx.timed(
            "Register: Suche + Ampel + Jahr",
            coordinator,
            "/portfolio/register?q=online&light=red&light=yellow&year=2027",
        ),
        ctx.timed(
            "Register: Seite 50, nach Kosten",
            coordinator,
            "/portfolio/register?sort=cost&dir=desc&page=50",
        ),
        ctx.timed("Portfolio (Rangliste, Diagramm)", coordinator, "/portfolio/", n=10),
        ctx.timed(
            "Budget-Szenario",
            coordinator,
            "/portfolio/scenario?year=2027&available=5.000.000,00&include_submitted=y",
            n=10,
        ),
        ctx.timed("Agenda-Abdeckung", coordinator, "/agenda/", n=10),
        ctx.timed("Verantwortung & Berichte", coordinator, "/portfolio/hygiene", n=10),
        _export(ctx, "Register-Export CSV (alle)", coordinator, "/portfolio/register.csv"),
        _export(ctx, "Register-Export XLSX (alle)", coordinator, "/portfolio/register.xlsx"),
        _export(
            ctx,
            "Register-Export XLSX (gefiltert)",
            coordinator,
            filtered.replace("/register?", "/register.xlsx?"),
        ),
    ]
    return rows
