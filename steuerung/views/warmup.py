"""The summarising pages computed once as a web worker starts (gunicorn ``post_worker_init``).

Dashboards, coverage tables, the council report and the register summarise every measure.
Their results are kept per worker process (``services/common/cache.py``) and afterwards
corrected per changed block of measures, which is cheap; a freshly started worker has none,
so the first visitors after a start, a deployment or a worker restart each waited for the
full computation while the others logged in (under ``make load`` on PostgreSQL most of the
slowest tenth of dashboards fell into the first 30 seconds). Here the pages are rendered once
for a user who reads every measure before the worker takes requests: the same code path as a
visit, nothing written, the HTML thrown away. A failure is logged and the worker starts
anyway; a user with a narrower reading scope computes their own results on their first visit.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, g, url_for
from sqlalchemy import select

from steuerung.extensions import db
from steuerung.models import User
from steuerung.services.measures.rules import READ_ALL_ROLES
from steuerung.views.access import route_permission

log = logging.getLogger(__name__)

#: Pages (endpoint, query arguments) rendered at start, the most visited summaries first.
WARM_PAGES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("dashboard.index", {}),
    ("dashboard.leadership", {}),
    ("budget.index", {"ansicht": "stelle"}),
    ("budget.index", {"ansicht": "fachbereich"}),
    ("budget.index", {"ansicht": "art"}),
    ("dashboard.council_report", {}),
    ("portfolio.register", {}),
)


def warm_summaries(app: Flask) -> int:
    """Render each of :data:`WARM_PAGES` once as the first active user who reads all
    measures and may open it (the rule the route declares); returns how many were rendered
    (a page no such user may open is left out)."""
    started = time.perf_counter()
    rendered = 0
    with app.app_context():
        try:
            readers = list(
                db.session.scalars(
                    select(User)
                    .where(User.role.in_(READ_ALL_ROLES), User.is_active_user.is_(True))
                    .order_by(User.id)
                )
            )
        except Exception as exc:  # no tables yet (before the first migration): nothing to do
            log.warning("Vorberechnung übersprungen: %s", type(exc).__name__)
            db.session.rollback()
            return 0
        for endpoint, args in WARM_PAGES:
            view = app.view_functions[endpoint]
            rule = route_permission(view)
            user = next((u for u in readers if callable(rule) and rule(u)), None)
            if user is None:
                continue
            with app.test_request_context():
                path = url_for(endpoint, **args)
            try:
                with app.test_request_context(path):
                    g._login_user = user  # flask_login's current user for this render
                    view()
                rendered += 1
            except Exception:  # a start must not fail over a warm-up
                log.exception("Vorberechnung von %s fehlgeschlagen", path)
            finally:
                db.session.rollback()
        db.session.remove()
    log.info(
        "Übersichten vorberechnet: %s Seiten (%.0f ms)",
        rendered,
        (time.perf_counter() - started) * 1000,
    )
    return rendered
