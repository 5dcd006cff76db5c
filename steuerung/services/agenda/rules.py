"""Rules of the Digitale Agenda area."""

from __future__ import annotations

from steuerung.models import Role, User
from steuerung.services.measures.rules import is_office

#: Roles that read the agenda and its coverage.
AGENDA_READ_ROLES = frozenset({Role.COORDINATOR, Role.LEADERSHIP, Role.SUBMITTER})


def may_read_agenda(user: User) -> bool:
    """The agenda's goals and their coverage by measures."""
    return user.role in AGENDA_READ_ROLES


def may_edit_agenda(user: User) -> bool:
    """Create, revise and adopt agenda versions, add fields and goals."""
    return is_office(user)
