"""Login page and start page (issue 2)."""

from __future__ import annotations

from typing import Any


def run(ctx: Any) -> list[dict[str, Any]]:
    """Time the login page (anonymous) and each role's start page."""
    anonymous = ctx.app.test_client()
    rows = [ctx.timed("Anmeldeseite", anonymous, "/auth/login")]
    for role in ("submitter", "coordinator", "treasury", "leadership"):
        rows.append(ctx.timed(f"Startseite ({role})", ctx.client(role), "/"))
    return rows
