"""Measures area (issue 3): list ("Meine Maßnahmen" and the office's list) and detail tabs.

Goal: list and detail pages with a query count independent of the number of measures
(the list is paginated, 50 per page) and a median server time well under 200 ms.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from steuerung.extensions import db
from steuerung.models import AuditEntry, Measure, MeasureStatus


def _busiest_measure() -> int:
    """A measure in progress with the longest history (worst case for the detail page)."""
    measure_id = db.session.scalar(
        select(AuditEntry.measure_id)
        .join(Measure, Measure.id == AuditEntry.measure_id)
        .where(Measure.status == MeasureStatus.IN_PROGRESS)
        .group_by(AuditEntry.measure_id)
        .order_by(func.count(AuditEntry.id).desc())
        .limit(1)
    )
    return measure_id or db.session.scalar(select(func.min(Measure.id))) or 1


def run(ctx: Any) -> list[dict[str, Any]]:
    """Time the measures list for a department and the office, and a busy detail page."""
    submitter = ctx.client("submitter")
    coordinator = ctx.client("coordinator")
    measure_id = _busiest_measure()
    detail = f"/massnahmen/{measure_id}"
    return [
        ctx.timed("Meine Maßnahmen (Fachbereich)", submitter, "/massnahmen/"),
        ctx.timed("Maßnahmenliste (Koordination)", coordinator, "/massnahmen/"),
        ctx.timed(
            "Maßnahmenliste gefiltert, Seite 3",
            coordinator,
            "/massnahmen/?status=in_progress&seite=3",
        ),
        ctx.timed("Maßnahme: Übersicht", coordinator, detail),
        ctx.timed("Maßnahme: Kostenplan", coordinator, f"{detail}?tab=kosten"),
        ctx.timed("Maßnahme: Berichte", coordinator, f"{detail}?tab=berichte"),
        ctx.timed("Maßnahme: Verlauf", coordinator, f"{detail}?tab=verlauf"),
        ctx.timed("Maßnahme bearbeiten (Formular)", coordinator, f"{detail}/bearbeiten", n=10),
    ]
