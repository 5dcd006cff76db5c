"""Administration: users, departments, settings (role admin only)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from steuerung.extensions import db
from steuerung.forms.admin import (
    DepartmentForm,
    EndSessionsForm,
    PasswordResetForm,
    SettingsForm,
    UserForm,
)
from steuerung.forms.base import required
from steuerung.models import Department, Role, User
from steuerung.navigation import add_nav_item
from steuerung.services.admin import users as service
from steuerung.services.admin.accounts import create_user, reset_password
from steuerung.services.admin.rules import may_administer
from steuerung.services.common.errors import ValidationFailed
from steuerung.services.common.settings import get_settings
from steuerung.services.security import log
from steuerung.services.security.sessions import end_user_sessions, open_session_count
from steuerung.views.access import permission_required

bp = Blueprint("admin", __name__, url_prefix="/verwaltung")

add_nav_item("admin.users", "Benutzer", may_administer, order=80)
add_nav_item("admin.departments", "Fachbereiche", may_administer, order=81)
add_nav_item("admin.settings", "Einstellungen", may_administer, order=82)


def _field_error(form, error: ValidationFailed) -> None:  # noqa: ANN001
    target = getattr(form, error.field or "", None)
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        flash(error.message, "danger")


@bp.route("/benutzer")
@permission_required(may_administer)
def users() -> str:
    """All users."""
    return render_template("admin/users.html", users=service.list_users())


@bp.route("/benutzer/neu", methods=["GET", "POST"])
@permission_required(may_administer)
def user_new() -> str | Response:
    """Create a user with a first password."""
    form = UserForm(departments=service.department_choices())
    if form.validate_on_submit():
        department = db.session.get(Department, form.department_id.data) or abort(404)
        try:
            user = create_user(
                required(form.username.data),
                required(form.full_name.data).strip(),
                Role(form.role.data),
                department,
                required(form.password.data),
                form.email.data or "",
                must_change_password=True,
            )
            user.is_active_user = form.is_active.data
        except ValidationFailed as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(f"Benutzer „{user.username}“ wurde angelegt.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/benutzer/<int:user_id>", methods=["GET", "POST"])
@permission_required(may_administer)
def user_edit(user_id: int) -> str | Response:
    """Edit a user's master data, role, department and status."""
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(
        obj=user,
        departments=service.department_choices(include_inactive=True),
        editing=True,
        data={"is_active": user.is_active_user, "role": user.role.value},
    )
    if form.validate_on_submit():
        try:
            service.update_user(user, form.data, by=current_user)
        except ValidationFailed as error:
            db.session.rollback()
            user = db.session.get(User, user_id) or abort(404)
            _field_error(form, error)
        else:
            db.session.commit()
            flash(f"Benutzer „{user.username}“ wurde gespeichert.", "success")
            return redirect(url_for("admin.users"))
    return _user_page(form, user, PasswordResetForm())


def _user_page(form: UserForm, user: User, reset_form: PasswordResetForm) -> str:
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        reset_form=reset_form,
        sessions_form=EndSessionsForm(),
        open_sessions=open_session_count(user),
    )


@bp.route("/benutzer/<int:user_id>/passwort", methods=["POST"])
@permission_required(may_administer)
def user_password(user_id: int) -> ResponseReturnValue:
    """Set a new password for a user."""
    user = db.session.get(User, user_id) or abort(404)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            reset_password(user, required(form.password.data))
        except ValidationFailed as error:
            db.session.rollback()
            form.password.errors = [*form.password.errors, error.message]
        else:
            db.session.commit()
            log.event("password_reset", user=user.username, by=current_user.username)
            flash(
                f"Das Passwort von „{user.username}“ wurde neu gesetzt; alle Sitzungen wurden "
                "beendet. Bei der nächsten Anmeldung muss ein eigenes Passwort gewählt werden.",
                "success",
            )
            return redirect(url_for("admin.user_edit", user_id=user.id))
    edit_form = UserForm(
        obj=user,
        departments=service.department_choices(include_inactive=True),
        editing=True,
        data={"is_active": user.is_active_user, "role": user.role.value},
    )
    return _user_page(edit_form, user, form), 400


@bp.route("/benutzer/<int:user_id>/sitzungen-beenden", methods=["POST"])
@permission_required(may_administer)
def user_end_sessions(user_id: int) -> Response:
    """End every session of a user (e.g. a lost laptop); the user must log in again."""
    user = db.session.get(User, user_id) or abort(404)
    if not EndSessionsForm().validate_on_submit():
        abort(400)
    count = end_user_sessions(user, "admin")
    db.session.commit()
    log.event("sessions_ended_by_admin", user=user.username, by=current_user.username)
    flash(f"{count} Sitzung(en) von „{user.username}“ wurden beendet.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/fachbereiche")
@permission_required(may_administer)
def departments() -> str:
    """All departments with their number of users."""
    return render_template("admin/departments.html", rows=service.list_departments())


@bp.route("/fachbereiche/neu", methods=["GET", "POST"], defaults={"department_id": None})
@bp.route("/fachbereiche/<int:department_id>", methods=["GET", "POST"])
@permission_required(may_administer)
def department_edit(department_id: int | None) -> str | Response:
    """Create or edit a department."""
    department = None
    if department_id is not None:
        department = db.session.get(Department, department_id) or abort(404)
    form = DepartmentForm(obj=department)
    if form.validate_on_submit():
        try:
            department = service.save_department(department, form.data)
        except ValidationFailed as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(f"Fachbereich „{department.code}“ wurde gespeichert.", "success")
            return redirect(url_for("admin.departments"))
    return render_template("admin/department_form.html", form=form, department=department)


@bp.route("/einstellungen", methods=["GET", "POST"])
@permission_required(may_administer)
def settings() -> str | Response:
    """Kommune-wide settings."""
    current = get_settings()
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        try:
            service.update_settings(current, form.data)
        except ValidationFailed as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash("Die Einstellungen wurden gespeichert.", "success")
            return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form, settings=current)
