"""Budget coverage tables and exports (issue 5).

Goals at 10,000 measures: the coverage table page answers quickly with a query count that
does not depend on the number of measures; the full XLSX export (every coverage view plus
one row per measure x budget line) takes under 3 s and under 300 MB peak memory.
"""

from __future__ import annotations

import time
import tracemalloc
from datetime import datetime
from typing import Any


def _export_memory() -> dict[str, Any]:
    """Peak Python memory (tracemalloc) and wall time of one full XLSX export, in-process."""
    from steuerung.services.budget.exports import budget_workbook
    from steuerung.services.common.settings import get_settings

    settings = get_settings()
    started = time.perf_counter()
    plain = budget_workbook(
        settings.horizon,
        settings.budget_year,
        include_submitted=True,
        who="Benchmark",
        exported_at=datetime.now(),
    )
    plain_ms = (time.perf_counter() - started) * 1000
    tracemalloc.start()
    try:
        budget_workbook(
            settings.horizon,
            settings.budget_year,
            include_submitted=True,
            who="Benchmark",
            exported_at=datetime.now(),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {
        "name": "XLSX-Export direkt (Szenario): Speicher",
        "median_ms": round(plain_ms, 2),
        "p95_ms": round(plain_ms, 2),
        "queries": [],
        "bytes": len(plain),
        "peak_mb": round(peak / 1024 / 1024, 1),
        "extra": f"Spitze {peak / 1024 / 1024:.1f} MB (tracemalloc), {len(plain) / 1024:.0f} KiB",
    }


def run(ctx: Any) -> list[dict[str, Any]]:
    """Time the coverage pages, the line list, both exports; measure the export's memory."""
    treasury = ctx.client("treasury")
    rows = [
        ctx.timed("Deckung nach Haushaltsstelle", treasury, "/haushalt/"),
        ctx.timed("Deckung Szenario (mit eingereichten)", treasury, "/haushalt/?szenario=1"),
        ctx.timed("Deckung nach Fachbereich", treasury, "/haushalt/?ansicht=fachbereich"),
        ctx.timed("Deckung nach Handlungsfeld", treasury, "/haushalt/?ansicht=handlungsfeld"),
        ctx.timed("Haushaltsstellen", treasury, "/haushalt/stellen"),
        ctx.timed("CSV Maßnahmen (Szenario)", treasury, "/haushalt/export.csv?szenario=1", n=5),
    ]
    xlsx = ctx.timed(
        "XLSX-Export komplett (Szenario)", treasury, "/haushalt/export.xlsx?szenario=1", n=5
    )
    xlsx["extra"] = f"{xlsx.get('bytes', 0) / 1024:.0f} KiB"
    rows.append(xlsx)
    rows.append(_export_memory())
    return rows
