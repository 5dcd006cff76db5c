"""Login, logout and password change."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from steuerung.extensions import db
from steuerung.forms.auth import LoginForm, PasswordChangeForm
from steuerung.services.admin.accounts import authenticate, change_password
from steuerung.services.common.errors import ValidationFailed

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


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the login form; on success go to ``next`` (if local) or the start page."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is None:
            form.password.errors.append(
                "Anmeldung fehlgeschlagen: Benutzername oder Passwort ist falsch."
            )
        else:
            db.session.commit()
            login_user(user)
            flash(f"Willkommen, {user.full_name}.", "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form), 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """End the session (POST with CSRF token, so no link can log a user out)."""
    logout_user()
    flash("Sie wurden abgemeldet.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> str | Response:
    """Change one's own password."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
        except ValidationFailed as error:
            form.current_password.errors.append(error.message)
        else:
            db.session.commit()
            flash("Ihr Passwort wurde geändert.", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
