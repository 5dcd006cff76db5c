"""Mein Konto: the signed-in user's own data and e-mail settings (later also API tokens)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from steuerung.forms.profile import NotificationSettingsForm
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
def index() -> str | Response:
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
    return render_template(
        "profile/index.html",
        form=form,
        show_digest=show_digest,
        has_email=bool((current_user.email or "").strip()),
        mails=recent_mails(current_user),
    )
