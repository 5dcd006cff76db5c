"""Rules of the administration area."""

from __future__ import annotations

from steuerung.models import Role, User


def may_administer(user: User) -> bool:
    """Users, departments and settings."""
    return user.role == Role.ADMIN


def keeps_admin_access(user: User, by: User, role: Role, is_active: bool) -> bool:
    """An administrator may not take away their own admin role or deactivate themselves."""
    return user.id != by.id or (role == Role.ADMIN and is_active)
