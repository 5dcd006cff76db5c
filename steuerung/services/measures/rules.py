"""Who may see and change what: the rules in one place.

Views call these at the start (object check) after the route's role decorator.
List queries use ``visible_measures_filter`` so the same rule applies in SQL.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, true

from steuerung.models import Measure, MeasureStatus, Role, User
from steuerung.services.common.settings import get_settings

#: Roles that read every measure.
READ_ALL_ROLES = (Role.COORDINATOR, Role.LEADERSHIP, Role.TREASURY, Role.ADMIN)
#: States from which a measure is visible to other departments (if the setting allows).
PUBLIC_STATUSES = (MeasureStatus.APPROVED, MeasureStatus.IN_PROGRESS, MeasureStatus.COMPLETED)
#: States in which the department may still edit its measure freely.
DEPARTMENT_EDITABLE = (MeasureStatus.DRAFT, MeasureStatus.RETURNED)


def can_view_measure(user: User, measure: Measure) -> bool:
    """Read access: own department always, others once approved (setting), office roles all."""
    if user.role in READ_ALL_ROLES:
        return True
    if measure.department_id == user.department_id:
        return True
    return get_settings().approved_visible_to_all and measure.status in PUBLIC_STATUSES


def can_edit_measure(user: User, measure: Measure) -> bool:
    """Write access to the measure's data (fields allowed per state are the workflow's rule)."""
    if user.role == Role.COORDINATOR:
        return True
    return user.role == Role.SUBMITTER and measure.department_id == user.department_id


def visible_measures_filter(user: User) -> ColumnElement[bool]:
    """SQL condition that selects the measures ``user`` may read."""
    if user.role in READ_ALL_ROLES:
        return true()
    own = Measure.department_id == user.department_id
    if get_settings().approved_visible_to_all:
        return or_(own, Measure.status.in_(PUBLIC_STATUSES))
    return and_(own)
