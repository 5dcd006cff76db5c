"""Login, logout and password change."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from steuerung.extensions import db
from steuerung.forms.auth import LoginForm, PasswordChangeForm
from steuerung.forms.base import required
from steuerung.services.admin.accounts import change_password
from steuerung.services.common.errors import ValidationFailed
from steuerung.services.measures.rules import anyone
from steuerung.services.security import log, throttle
from steuerung.services.security.login import attempt_login
from steuerung.services.security.sessions import SESSION_KEY, end_session, start_session
from steuerung.views.access import permission_required, public

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(target: str | None) -> str | None:
    """Only local paths are followed after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def _begin_session(user: object) -> None:
    """A fresh Flask session (new id against fixation) bound to a new server-side record."""
    session.clear()
    login_user(user)
    session[SESSION_KEY] = start_session(
        user,  # type: ignore[arg-type]
        address=log.client_address(),
        user_agent=request.user_agent.string or "",
    )
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@public
@throttle.limiter.limit(
    lambda: current_app.config.get("LOGIN_REQUESTS_PER_ADDRESS", "60 per minute"),
    methods=["POST"],
)
def login() -> ResponseReturnValue:
    """Show the login form; on success go to ``next`` (if local) or the start page."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        username = form.username.data or ""
        cookie = request.cookies.get(throttle.device_cookie_name())
        outcome = attempt_login(
            username,
            form.password.data or "",
            address=log.client_address(),
            known_device=throttle.is_known_device(cookie, username),
        )
        if outcome.user is None:
            db.session.commit()  # a directory refusal may have ended sessions
            form.password.errors = [*form.password.errors, outcome.message]
            status = outcome.status
        else:
            user = outcome.user
            _begin_session(user)
            db.session.commit()
            flash(f"Willkommen, {user.full_name}.", "success")
            target = _safe_next(request.args.get("next")) or url_for("main.index")
            if user.must_change_password:
                target = url_for("auth.password")
            response = make_response(redirect(target))
            response.set_cookie(
                throttle.device_cookie_name(),
                throttle.device_token(user.username),
                max_age=throttle.DEVICE_COOKIE_MAX_AGE,
                secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
                httponly=True,
                samesite="Lax",
                path="/",
            )
            return response
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@permission_required(anyone)
def logout() -> Response:
    """End the session (POST with CSRF token, so no link can log a user out)."""
    end_session(session.get(SESSION_KEY), "logout")
    log.event("logout", user=current_user.username)
    db.session.commit()
    logout_user()
    session.clear()
    flash("Sie wurden abgemeldet.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@permission_required(anyone)
def password() -> str | Response:
    """Change one's own password; every other session of the user ends."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(
                user, required(form.current_password.data), required(form.new_password.data)
            )
        except ValidationFailed as error:
            db.session.rollback()
            target = getattr(form, error.field or "", form.current_password)
            target.errors = [*target.errors, error.message]
        else:
            _begin_session(user)
            db.session.commit()
            log.event("password_changed", user=user.username)
            flash("Ihr Passwort wurde geändert.", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
