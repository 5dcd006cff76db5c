"""User accounts: authentication and password changes."""

from __future__ import annotations

from functools import cache

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from steuerung.extensions import db
from steuerung.models import Department, Role, User
from steuerung.models.base import utcnow
from steuerung.services.common.errors import ValidationFailed


@cache
def _dummy_hash(method: str) -> str:
    """A hash to compare against when the user does not exist (same time for both cases)."""
    return generate_password_hash("kein-benutzer", method=method)


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (no hint which part was wrong)."""
    user = db.session.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower())
    )
    if user is None:
        User(password_hash=_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"])).check_password(
            password
        )
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one."""
    if not user.check_password(current):
        raise ValidationFailed(
            "Das bisherige Passwort ist nicht korrekt.", field="current_password"
        )
    user.set_password(new)


def create_user(
    username: str,
    full_name: str,
    role: Role,
    department: Department,
    password: str,
    email: str = "",
) -> User:
    """Create a user (username unique, case-insensitive)."""
    exists = db.session.scalar(
        select(User.id).where(func.lower(User.username) == username.strip().lower())
    )
    if exists:
        raise ValidationFailed(f"Der Benutzername „{username}“ ist bereits vergeben.", "username")
    user = User(
        username=username.strip(),
        full_name=full_name,
        role=role,
        department=department,
        email=email,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
