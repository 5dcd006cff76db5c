"""Rules of the Potenzialcheck (maturity self-assessment)."""

from __future__ import annotations

from steuerung.models import Role, User
from steuerung.services.measures.rules import is_office

#: Roles that read the assessments.
MATURITY_READ_ROLES = frozenset({Role.COORDINATOR, Role.LEADERSHIP, Role.ADMIN})


def may_read_maturity(user: User) -> bool:
    """Assessments, their trend and details."""
    return user.role in MATURITY_READ_ROLES


def may_assess(user: User) -> bool:
    """Record an assessment and turn weak statements into draft measures."""
    return is_office(user)
