"""Absolute links into Steuerung for texts that leave the browser (e-mails).

Built from ``PUBLIC_BASE_URL`` and the app's URL map, so no request context is needed
(a cron job or a background worker has none).
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from steuerung.services.notifications.smtp import MailConfigError


def base_url() -> str:
    """``PUBLIC_BASE_URL`` without a trailing slash; a German error when it is missing."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise MailConfigError(
            "PUBLIC_BASE_URL fehlt oder ist keine http(s)-Adresse; ohne sie enthalten E-Mails "
            "keine gültigen Links."
        )
    return base


def absolute_url(endpoint: str, **values: Any) -> str:
    """``https://steuerung.example/massnahmen/12?tab=berichte`` for ``measures.detail`` etc."""
    adapter = current_app.url_map.bind("localhost")
    path = adapter.build(endpoint, {k: v for k, v in values.items() if v is not None})
    return base_url() + path
