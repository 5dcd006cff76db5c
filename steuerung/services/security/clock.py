"""The security clock: session timeouts read the time here, so tests can set it."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context

from steuerung.models.base import utcnow


def now() -> datetime:
    """Current UTC time, or the app's ``SECURITY_CLOCK()`` when one is configured (tests)."""
    if has_app_context():
        clock = current_app.config.get("SECURITY_CLOCK")
        if clock is not None:
            return clock()
    return utcnow()
