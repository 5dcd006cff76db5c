"""Dashboard, leadership view, CSV twins and the council report (issue 6).

Goal: dashboard page median under 200 ms server time at 10,000 measures, with a query count
that does not depend on the number of measures. The PDF is timed too (WeasyPrint renders
at most ``council_report.MAX_LISTED`` measures).
"""

from __future__ import annotations

from typing import Any


def run(ctx: Any) -> list[dict[str, Any]]:
    """Time the dashboard pages, a CSV download and the council report (HTML and PDF)."""
    coordinator = ctx.client("coordinator")
    leadership = ctx.client("leadership")
    rows = [
        ctx.timed("Dashboard (Koordination)", coordinator, "/dashboard/"),
        ctx.timed(
            "Dashboard gefiltert (Smart City, 2026)",
            coordinator,
            "/dashboard/?kategorie=smart_city&jahr=2026",
        ),
        ctx.timed("Dashboard Behördenleitung", leadership, "/dashboard/"),
        ctx.timed("Dashboard-CSV Roadmap", coordinator, "/dashboard/daten/roadmap.csv", n=10),
        ctx.timed("Sachstandsbericht (HTML)", leadership, "/dashboard/sachstandsbericht", n=5),
    ]
    pdf = ctx.timed("Sachstandsbericht (PDF)", leadership, "/dashboard/sachstandsbericht.pdf", n=3)
    pdf["extra"] = f"{pdf.get('bytes', 0) / 1024:.0f} KiB PDF"
    rows.append(pdf)
    return rows
