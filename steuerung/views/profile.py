"""Mein Konto: the signed-in user's own data and e-mail settings (later also API tokens)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from steuerung.extensions import db
from steuerung.forms.profile import NotificationSettingsForm
from steuerung.services.notifications.preferences import (
    may_receive_digest,
    recent_mails,
    update_preferences,
)

bp = Blueprint("profile", __name__, url_prefix="/konto")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> str | Response:
    """Show the account and save the e-mail switches (each user only their own)."""
    form = NotificationSettingsForm(obj=current_user)
    show_digest = may_receive_digest(current_user)
    if form.validate_on_submit():
        update_preferences(
            current_user, bool(form.notify_reminders.data), bool(form.notify_digest.data)
        )
        db.session.commit()
        flash("Ihre E-Mail-Einstellungen wurden gespeichert.", "success")
        return redirect(url_for("profile.index"))
    return render_template(
        "profile/index.html",
        form=form,
        show_digest=show_digest,
        has_email=bool((current_user.email or "").strip()),
        mails=recent_mails(current_user),
    )
