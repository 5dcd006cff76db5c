"""Rules of the Digitale Agenda area."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from steuerung.models import ActionField, Goal, Role, User, measure_goals
from steuerung.services.common.firsts import first_per
from steuerung.services.measures.rules import is_office

#: Roles that read the agenda and its coverage.
AGENDA_READ_ROLES = frozenset({Role.COORDINATOR, Role.LEADERSHIP, Role.SUBMITTER})


def may_read_agenda(user: User) -> bool:
    """The agenda's goals and their coverage by measures."""
    return user.role in AGENDA_READ_ROLES


def may_edit_agenda(user: User) -> bool:
    """Create, revise and adopt agenda versions, add fields and goals."""
    return is_office(user)


def primary_fields(*goal_where: ColumnElement[bool]) -> Any:
    """Subquery ``(measure_id, field_id)``: the field of action of each measure's first goal
    in agenda order (field position, goal position, goal id), for the goal links matching
    ``goal_where`` (conditions on ``measure_goals.c.measure_id``, so the index on the links
    narrows the pass). Measures without goals have no row. The one place of this rule:
    dashboard, council report and portfolio read it here."""

    def build(candidates: Any) -> Any:
        return (
            candidates.select_from(measure_goals)
            .join(Goal, Goal.id == measure_goals.c.goal_id)
            .join(ActionField, ActionField.id == Goal.action_field_id)
            .where(*goal_where)
        )

    return first_per(
        measure_goals.c.measure_id,
        (measure_goals.c.measure_id, Goal.action_field_id.label("field_id")),
        (ActionField.position, Goal.position, Goal.id),
        build,
        "primary_fields",
    )
