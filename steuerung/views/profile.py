"""Mein Konto: the signed-in user's own data, e-mail settings and API tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from steuerung.forms.profile import ApiTokenForm, NotificationSettingsForm, RevokeTokenForm
from steuerung.services.api import tokens
from steuerung.services.api.rules import may_hold_api_tokens
from steuerung.services.measures.rules import anyone
from steuerung.services.notifications.preferences import (
    may_receive_digest,
    recent_mails,
    update_preferences,
)
from steuerung.views.access import permission_required
from steuerung.views.transaction import commit

bp = Blueprint("profile", __name__, url_prefix="/konto")


@bp.route("/", methods=["GET", "POST"])
@permission_required(anyone)
def index() -> str | Response | tuple[str, int]:
    """Show the account and save the e-mail switches (each user only their own)."""
    form = NotificationSettingsForm(obj=current_user)
    show_digest = may_receive_digest(current_user)
    if form.validate_on_submit():
        outcome = commit(
            lambda: update_preferences(
                current_user, bool(form.notify_reminders.data), bool(form.notify_digest.data)
            )
        )
        if outcome.ok:
            flash("Ihre E-Mail-Einstellungen wurden gespeichert.", "success")
            return redirect(url_for("profile.index"))
    return _render(form=form, show_digest=show_digest)


def _render(status: int = 200, **context: Any) -> tuple[str, int]:
    """The account page; ``context`` replaces the empty forms (input kept after an error)."""
    context.setdefault("form", NotificationSettingsForm(obj=current_user))
    context.setdefault("show_digest", may_receive_digest(current_user))
    context.setdefault("token_form", ApiTokenForm(prefix="token"))
    html = render_template(
        "profile/index.html",
        has_email=bool((current_user.email or "").strip()),
        mails=recent_mails(current_user),
        api_tokens=[(t, tokens.state_of(t)) for t in tokens.tokens_of(current_user)],
        **context,
    )
    return html, status


@bp.route("/zugangsschluessel", methods=["POST"])
@permission_required(may_hold_api_tokens)
def token_create() -> Any:
    """Create an API token; its secret is shown on this answer only (never stored)."""
    form = ApiTokenForm(prefix="token")
    if not form.validate_on_submit():
        return _render(400, token_form=form)
    outcome = commit(
        lambda: tokens.create_token(current_user, form.name.data or "", form.days), form=form
    )
    if not outcome.ok or outcome.value is None:
        return _render(400, token_form=form)
    # Shown once, in this answer (not cached); no redirect, so the secret never passes
    # through the session cookie or a URL.
    html, _status = _render(new_token=outcome.value)
    return html, 200, {"Cache-Control": "no-store"}


@bp.route("/zugangsschluessel/<int:token_id>/widerrufen", methods=["POST"])
@permission_required(may_hold_api_tokens)
def token_revoke(token_id: int) -> Response:
    """Revoke one of the user's own tokens (others' tokens are "not found")."""
    token = tokens.own_token(current_user, token_id)
    if token is None:
        abort(404)
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        abort(400)
    if commit(lambda: tokens.revoke_token(token, current_user)).ok:
        flash(f"Der Zugangsschlüssel „{token.name}“ wurde widerrufen.", "success")
    return redirect(url_for("profile.index") + "#api-zugang")
