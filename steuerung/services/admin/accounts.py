"""User accounts: authentication and password changes."""

from __future__ import annotations

from functools import cache

from flask import current_app
from sqlalchemy import func, select

from steuerung.extensions import db
from steuerung.models import Department, Role, Settings, User
from steuerung.models.base import utcnow
from steuerung.models.password_hash import hash_password, needs_rehash
from steuerung.services.common.errors import ValidationFailed
from steuerung.services.security import directory
from steuerung.services.security.passwords import check_password_policy
from steuerung.services.security.sessions import end_user_sessions


@cache
def _dummy_hash(method: str) -> str:
    """A hash to compare against when the user does not exist (same time for both cases)."""
    return hash_password("kein-benutzer", method)


def _find(username: str) -> User | None:
    return db.session.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower())
    )


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (no hint which part was wrong).

    Local accounts are checked first (so the local administrator works when the directory
    is down); other names go to the directory when one is configured, which creates or
    updates the account. Directory problems raise a ``DomainError`` with a German message.
    """
    user = _find(username)
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if user is not None and user.auth_source == "local":
        if not user.check_password(password) or not user.is_active:
            return None
        if needs_rehash(user.password_hash, method):
            user.password_hash = hash_password(password, method)  # e.g. scrypt -> Argon2id
    elif directory.enabled():
        user = directory.login(username.strip(), password, existing=user)
        if user is None:
            return None
    else:
        User(password_hash=_dummy_hash(method)).check_password(password)
        return None
    user.last_login_at = utcnow()
    return user


def password_inputs(*values: str | None) -> list[str]:
    """Words a password must not be built on: the given values, the Kommune, the app."""
    kommune = db.session.scalar(select(Settings.kommune_name).where(Settings.id == 1))
    return [v for v in (*values, kommune, "Steuerung") if v]


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; ends all sessions of the user.

    The caller starts a fresh session for the browser that made the change.
    """
    if user.auth_source != "local":
        raise ValidationFailed(
            "Ihr Passwort wird im Verzeichnisdienst (Active Directory/LDAP) verwaltet und kann "
            "hier nicht geändert werden.",
            field="current_password",
        )
    if not user.check_password(current):
        raise ValidationFailed(
            "Das bisherige Passwort ist nicht korrekt.", field="current_password"
        )
    check_password_policy(
        new, password_inputs(user.username, user.full_name, user.email), field="new_password"
    )
    user.set_password(new)
    user.must_change_password = False
    end_user_sessions(user, "password")


def reset_password(user: User, new: str) -> None:
    """An administrator sets ``new``: the user must change it at the next login.

    Every session of the user ends at once.
    """
    if user.auth_source != "local":
        raise ValidationFailed(
            "Dieses Konto meldet sich über den Verzeichnisdienst an; das Passwort wird dort "
            "verwaltet.",
            field="password",
        )
    check_password_policy(new, password_inputs(user.username, user.full_name, user.email))
    user.set_password(new)
    user.must_change_password = True
    end_user_sessions(user, "admin")


def create_user(
    username: str,
    full_name: str,
    role: Role,
    department: Department,
    password: str,
    email: str = "",
    *,
    must_change_password: bool = False,
) -> User:
    """Create a user (username unique, case-insensitive; password by the policy)."""
    exists = db.session.scalar(
        select(User.id).where(func.lower(User.username) == username.strip().lower())
    )
    if exists:
        raise ValidationFailed(f"Der Benutzername „{username}“ ist bereits vergeben.", "username")
    check_password_policy(password, password_inputs(username, full_name, email))
    user = User(
        username=username.strip(),
        full_name=full_name,
        role=role,
        department=department,
        email=email,
        must_change_password=must_change_password,
        auth_source="local",
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
