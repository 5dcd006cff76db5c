"""Health check for load balancers and monitoring: database and queue reachable.

The answer names only the checks and "ok"/"fehler": no addresses, versions or error texts.
"""

from __future__ import annotations

import logging

from sqlalchemy import text

from steuerung.extensions import db
from steuerung.services.jobs import get_queue

log = logging.getLogger(__name__)


def check_health() -> tuple[bool, dict[str, object]]:
    """Run the checks; returns (all fine, JSON-safe body)."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        log.exception("Gesundheitsprüfung: Datenbank nicht erreichbar")
        db.session.rollback()
        checks["database"] = "fehler"
    finally:
        db.session.rollback()  # no transaction stays open
    try:
        get_queue().ping()
        checks["queue"] = "ok"
    except Exception:
        log.exception("Gesundheitsprüfung: Warteschlange nicht erreichbar")
        checks["queue"] = "fehler"
    healthy = all(value == "ok" for value in checks.values())
    return healthy, {"status": "ok" if healthy else "fehler", "checks": checks}
