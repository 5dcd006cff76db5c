"""Pages that summarise the whole portfolio, measured right after a data change.

Their results are cached until the data changes (services/common/cache.py); the other
modules report the median of repeated views, this one what the first visitor after an edit
waits while the aggregates are recomputed: after an edit of one measure (its block of
measures is read again), after a changed Ansatz (only the line figures are read again), after
a changed budget line (what lists measures by line is read again) and, for the main pages,
after a bulk write (everything is read again).
"""

from __future__ import annotations

from typing import Any


def run(ctx: Any) -> list[dict[str, Any]]:
    """Dashboard, coverage, portfolio, agenda, register and start page after a change."""
    coordinator = ctx.client("coordinator")
    treasury = ctx.client("treasury")
    return [
        ctx.cold("Startseite (coordinator)", coordinator, "/"),
        ctx.cold("Dashboard (Koordination)", coordinator, "/dashboard/"),
        ctx.cold("Deckung nach Haushaltsstelle", treasury, "/haushalt/"),
        ctx.cold("Deckung nach Fachbereich", treasury, "/haushalt/?ansicht=fachbereich"),
        ctx.cold("Portfolio (Rangliste, Diagramm)", coordinator, "/portfolio/"),
        ctx.cold("Agenda-Abdeckung", coordinator, "/agenda/"),
        ctx.cold("Register: Standard (50, nach Score)", coordinator, "/portfolio/register"),
        ctx.cold("Sachstandsbericht (HTML)", coordinator, "/dashboard/sachstandsbericht"),
        ctx.cold("Dashboard (Koordination)", coordinator, "/dashboard/", change="text"),
        ctx.cold("Deckung nach Haushaltsstelle", treasury, "/haushalt/", change="text"),
        ctx.cold("Dashboard (Koordination)", coordinator, "/dashboard/", change="report"),
        ctx.cold("Deckung nach Haushaltsstelle", treasury, "/haushalt/", change="report"),
        ctx.cold("Dashboard (Koordination)", coordinator, "/dashboard/", change="line_money"),
        ctx.cold("Deckung nach Haushaltsstelle", treasury, "/haushalt/", change="line_money"),
        ctx.cold("Dashboard (Koordination)", coordinator, "/dashboard/", change="line"),
        ctx.cold("Deckung nach Haushaltsstelle", treasury, "/haushalt/", change="line"),
        ctx.cold("Dashboard (Koordination)", coordinator, "/dashboard/", change="shared"),
        ctx.cold("Deckung nach Haushaltsstelle", treasury, "/haushalt/", change="shared"),
        ctx.cold("Portfolio (Rangliste, Diagramm)", coordinator, "/portfolio/", change="shared"),
        ctx.cold("Agenda-Abdeckung", coordinator, "/agenda/", change="shared"),
        ctx.cold(
            "Sachstandsbericht (HTML)",
            coordinator,
            "/dashboard/sachstandsbericht",
            change="shared",
        ),
    ]
