"""Security of the web application: sessions held on the server, login throttling, password
policy, safe reading of uploads, HTTP hardening and directory (LDAP) login.

``init_app`` binds what must exist before the blueprints (URL converter, limiter, user
loader); ``register_request_hooks`` adds the per-request checks after the app's own hooks.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_url
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from steuerung.extensions import login_manager
from steuerung.services.security import http, log
from steuerung.services.security.throttle import limiter

#: Endpoints a user who must change the password can still reach.
_PASSWORD_CHANGE_EXEMPT = {"auth.password", "auth.logout", "static", "vendor", "favicon"}

_SESSION_MESSAGES = {
    "idle": "Ihre Sitzung ist wegen Inaktivität abgelaufen. Bitte melden Sie sich erneut an.",
    "expired": "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.",
    "ended": "Ihre Sitzung wurde beendet. Bitte melden Sie sich erneut an.",
}


def init_app(app: Flask) -> None:
    """Bind the limiter, bounded ids, the form check, the proxy setting and the user loader."""
    if app.config.get("LDAP_URL"):
        from steuerung.services.security.directory import check_config

        check_config(app.config)  # a broken directory setup stops the start, clearly
    app.url_map.converters["int"] = http.BoundedIntConverter
    http.install_form_check()
    limiter.init_app(app)
    proxies = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if proxies:
        # Behind N reverse proxies the client address comes from X-Forwarded-For; without
        # this every request would seem to come from the proxy (and share one throttle).
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    @login_manager.user_loader
    def load_user(user_id: str) -> Any:
        from steuerung.services.security.sessions import SESSION_KEY, resume_session

        try:
            wanted = int(user_id)
        except (TypeError, ValueError):
            return None
        resumed = resume_session(session.get(SESSION_KEY), wanted)
        if resumed.user is None:
            g.session_problem = resumed.problem
            session.pop("_user_id", None)
        return resumed.user

    @login_manager.unauthorized_handler
    def unauthorized() -> Response:
        message = _SESSION_MESSAGES.get(g.get("session_problem", ""), login_manager.login_message)
        flash(message, "info")
        return redirect(login_url(login_manager.login_view, next_url=request.url))


def register_request_hooks(app: Flask) -> None:
    """Checks per request (after the app's own ``before_request``) and headers."""

    @app.before_request
    def _refuse_control_characters_in_query() -> None:
        if http.query_has_control_characters():
            raise http.RefusedInput()

    @app.before_request
    def _require_password_change() -> Response | None:
        if request.endpoint in _PASSWORD_CHANGE_EXEMPT or not current_user.is_authenticated:
            return None
        if current_user.must_change_password:
            flash("Bitte wählen Sie zuerst ein eigenes neues Passwort.", "warning")
            return redirect(url_for("auth.password"))
        return None

    @app.after_request
    def _security_headers(response: Response) -> Response:
        return http.set_headers(app, response)


def log_refusal(code: int, reason: str | None = None) -> None:
    """Log a refused request (403 and CSRF failures) with user, path and reason."""
    user = g.get("_login_user")
    name = getattr(user, "username", None) or "-"
    log.event(
        "access_denied" if code == 403 else "request_refused",
        logging.WARNING,
        user=name,
        method=request.method,
        path=request.path,
        status=code,
        reason=reason or "-",
    )
