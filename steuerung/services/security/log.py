"""Security events for the operators' log (Python logging, logger ``steuerung.security``).

Every login, failed login, throttled attempt, ended session and refused access (403) is
logged with user name and client address; passwords and tokens never are.
"""

from __future__ import annotations

import logging

from flask import has_request_context, request

logger = logging.getLogger("steuerung.security")


def client_address() -> str:
    """The client's address as the app sees it (behind a proxy: see ``TRUSTED_PROXIES``)."""
    if has_request_context():
        return request.remote_addr or "-"
    return "-"


def _clean(value: object) -> str:
    """One log line per event: no line breaks or control characters from user input."""
    text = str(value)
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:200]


def event(name: str, level: int = logging.INFO, **fields: object) -> None:
    """Log ``name`` with ``key=value`` fields (client address added)."""
    fields.setdefault("address", client_address())
    details = " ".join(f"{key}={_clean(value)}" for key, value in fields.items())
    logger.log(level, "%s %s", name, details)
