"""Administration: users, departments and settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from steuerung.extensions import db
from steuerung.models import Department, Role, Settings, User
from steuerung.models.settings import DEFAULT_LICENCE_NAME, DEFAULT_LICENCE_URL
from steuerung.services.admin.rules import keeps_admin_access
from steuerung.services.common.errors import ValidationFailed


def list_users() -> list[User]:
    """All users with their department, sorted by name."""
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            select(User).options(joinedload(User.department)).order_by(User.full_name)
        )
    )


def list_departments() -> list[tuple[Department, int]]:
    """Departments with their number of users."""
    rows = db.session.execute(
        select(Department, func.count(User.id))
        .outerjoin(User, User.department_id == Department.id)
        .group_by(Department.id)
        .order_by(Department.code)
    ).all()
    return [(dept, count) for dept, count in rows]


def department_choices(include_inactive: bool = False) -> list[tuple[int, str]]:
    """(id, "code – name") for select fields."""
    query = select(Department).order_by(Department.code)
    if not include_inactive:
        query = query.where(Department.is_active.is_(True))
    return [(d.id, f"{d.code} – {d.name}") for d in db.session.scalars(query)]


def _username_taken(username: str, exclude_id: int | None = None) -> bool:
    query = select(User.id).where(func.lower(User.username) == username.strip().lower())
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    return db.session.scalar(query) is not None


def update_user(user: User, data: dict[str, Any], by: User) -> None:
    """Change a user's master data; an administrator cannot lock themselves out."""
    if _username_taken(data["username"], exclude_id=user.id):
        raise ValidationFailed("Dieser Benutzername ist bereits vergeben.", "username")
    department = db.session.get(Department, data["department_id"])
    if department is None:
        raise ValidationFailed("Unbekannter Fachbereich.", "department_id")
    role = Role(data["role"])
    if not keeps_admin_access(user, by, role, bool(data["is_active"])):
        raise ValidationFailed(
            "Sie können sich nicht selbst die Administrationsrolle entziehen oder sperren.",
            "role",
        )
    user.username = data["username"].strip()
    user.full_name = data["full_name"].strip()
    user.email = (data.get("email") or "").strip()
    user.role = role
    user.department = department
    user.is_active_user = bool(data["is_active"])
    db.session.flush()


def save_department(department: Department | None, data: dict[str, Any]) -> Department:
    """Create or update a department; code and name stay unique."""
    code, name = data["code"].strip(), data["name"].strip()
    own_id = department.id if department else None
    for column, value, field, message in (
        (Department.code, code, "code", "Dieses Kürzel ist bereits vergeben."),
        (Department.name, name, "name", "Diese Bezeichnung ist bereits vergeben."),
    ):
        clash = db.session.scalar(
            select(Department.id).where(
                func.lower(column) == value.lower(), Department.id != (own_id or 0)
            )
        )
        if clash:
            raise ValidationFailed(message, field)
    if department is None:
        department = Department(code=code, name=name)
        db.session.add(department)
    department.code, department.name = code, name
    department.is_active = bool(data.get("is_active", True))
    db.session.flush()
    return department


def update_settings(settings: Settings, data: dict[str, Any]) -> None:
    """Change the Kommune's settings (the budget year is rolled by the treasury)."""
    settings.kommune_name = data["kommune_name"].strip()
    settings.report_interval_days = int(data["report_interval_days"])
    settings.approved_visible_to_all = bool(data["approved_visible_to_all"])
    _update_transparency(settings, data)
    db.session.flush()


def _update_transparency(settings: Settings, data: dict[str, Any]) -> None:
    """The public transparency page: switch, publisher and licence (empty: the defaults)."""
    settings.transparency_enabled = bool(data.get("transparency_enabled"))
    settings.transparency_publisher = (data.get("transparency_publisher") or "").strip()
    name = (data.get("transparency_licence_name") or "").strip()
    url = (data.get("transparency_licence_url") or "").strip()
    if not name and not url:
        name, url = DEFAULT_LICENCE_NAME, DEFAULT_LICENCE_URL
    elif not name:
        raise ValidationFailed(
            "Bitte den Namen der Lizenz angeben, wenn Sie eine eigene Adresse eintragen.",
            "transparency_licence_name",
        )
    settings.transparency_licence_name = name
    settings.transparency_licence_url = url
