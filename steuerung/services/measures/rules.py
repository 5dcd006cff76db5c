"""Rules about measures, in one place: what each group of states means, who may see and
change what, how a measure is named and when it lacks an owner.

Views, templates (through ``views.access.Abilities``), services, exports and the API ask
these functions; nobody compares roles or lists states elsewhere. A rule that lists and
figures also need in SQL keeps its SQL form right beside its Python form.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select, true

from steuerung.models import Measure, MeasureStatus, Role, User
from steuerung.models.measure import measure_reference as measure_reference  # re-export
from steuerung.services.common.settings import get_settings

S = MeasureStatus

# --------------------------------------------------------------------------- states

#: States whose cost counts as demand in the budget coverage; these measures owe status
#: reports and appear on the roadmap.
COUNTING_STATUSES: tuple[MeasureStatus, ...] = (S.APPROVED, S.IN_PROGRESS)
#: States additionally counted in the "with submitted measures" scenario.
SCENARIO_STATUSES: tuple[MeasureStatus, ...] = (S.SUBMITTED, S.UNDER_REVIEW)
#: States that owe periodic status reports.
REPORTING_STATUSES = COUNTING_STATUSES
#: Closed states: nothing is edited any more and no owner is needed.
CLOSED_STATUSES: tuple[MeasureStatus, ...] = (S.COMPLETED, S.REJECTED, S.CANCELLED)
#: States in which a measure serves no goal of the agenda.
NOT_SERVING_STATUSES: tuple[MeasureStatus, ...] = (S.REJECTED, S.CANCELLED)
#: States in which the department edits its measure freely and may (re)submit it.
DEPARTMENT_EDITABLE_STATUSES: tuple[MeasureStatus, ...] = (S.DRAFT, S.RETURNED)
#: States in which the department changes the cost plan only by change request.
CHANGE_REQUEST_STATUSES: tuple[MeasureStatus, ...] = (S.APPROVED, S.IN_PROGRESS)
#: States visible to other departments (if the Kommune's setting allows it).
PUBLIC_STATUSES: tuple[MeasureStatus, ...] = (S.APPROVED, S.IN_PROGRESS, S.COMPLETED)
#: States that stay inside the administration (not in the council report).
INTERNAL_STATUSES: tuple[MeasureStatus, ...] = (S.DRAFT, S.RETURNED)
#: States waiting for the coordinating office's review (the inbox).
REVIEW_STATUSES: tuple[MeasureStatus, ...] = (S.SUBMITTED, S.UNDER_REVIEW)

# --------------------------------------------------------------------------- roles

#: Roles that read every measure.
READ_ALL_ROLES = frozenset({Role.COORDINATOR, Role.LEADERSHIP, Role.TREASURY, Role.ADMIN})
#: Roles that write measures (their own department's, or any for the office).
WRITER_ROLES = frozenset({Role.SUBMITTER, Role.COORDINATOR})
#: Roles that see the measures list in the main navigation.
LIST_ROLES = frozenset({Role.SUBMITTER, Role.COORDINATOR, Role.LEADERSHIP, Role.TREASURY})


def anyone(user: User) -> bool:
    """Every logged-in user (start page, own account)."""
    return True


def is_office(user: User) -> bool:
    """The coordinating office (Koordinationsstelle)."""
    return user.role == Role.COORDINATOR


def is_department_user(user: User) -> bool:
    """Staff of a department (Fachbereich) who submit and keep their own measures."""
    return user.role == Role.SUBMITTER


def may_open_measures(user: User) -> bool:
    """The measures area (list and detail pages; objects are checked one by one)."""
    return True


def may_see_measures_menu(user: User) -> bool:
    """Whether the main navigation offers the measures list."""
    return user.role in LIST_ROLES


def may_write_measures(user: User) -> bool:
    """Create measures and act on them (objects are checked one by one)."""
    return user.role in WRITER_ROLES


def may_create_for_any_department(user: User) -> bool:
    """The office records measures for any department; others only for their own."""
    return is_office(user)


def lists_own_department(user: User) -> bool:
    """The measures list starts with the user's own department ("Meine Maßnahmen")."""
    return is_department_user(user)


def may_filter_departments(user: User) -> bool:
    """The measures list offers a department filter (not for department staff)."""
    return not is_department_user(user)


def may_decide_change_requests(user: User) -> bool:
    """Only the coordinating office accepts or declines change requests."""
    return is_office(user)


# --------------------------------------------------------------------------- one measure


def can_view_measure(user: User, measure: Measure) -> bool:
    """Read access: own department always, others once approved (setting), office roles all."""
    if user.role in READ_ALL_ROLES:
        return True
    if measure.department_id == user.department_id:
        return True
    return get_settings().approved_visible_to_all and measure.status in PUBLIC_STATUSES


def visible_measures_filter(user: User) -> ColumnElement[bool]:
    """SQL form of :func:`can_view_measure`: the measures ``user`` may read."""
    if user.role in READ_ALL_ROLES:
        return true()
    own = Measure.department_id == user.department_id
    if get_settings().approved_visible_to_all:
        return or_(own, Measure.status.in_(PUBLIC_STATUSES))
    return and_(own)


def visibility_scope(user: User | None) -> tuple[object, ...]:
    """What :func:`visible_measures_filter` depends on, as a cache key: everyone with the
    same scope reads the same measures (``None``: no user restriction)."""
    if user is None or user.role in READ_ALL_ROLES:
        return ("all",)
    return ("department", user.department_id, get_settings().approved_visible_to_all)


def can_edit_measure(user: User, measure: Measure) -> bool:
    """Write access to the measure's data (fields allowed per state: :func:`editable_fields`)."""
    if is_office(user):
        return True
    return is_department_user(user) and measure.department_id == user.department_id


def department_may_edit_freely(measure: Measure) -> bool:
    """Whether the measure is in a state where its department edits all fields and submits."""
    return measure.status in DEPARTMENT_EDITABLE_STATUSES


def may_answer_question(user: User, measure: Measure) -> bool:
    """The department answers the office's question while the measure is returned."""
    return (
        can_edit_measure(user, measure)
        and is_department_user(user)
        and measure.status == S.RETURNED
    )


def may_report(user: User, measure: Measure) -> bool:
    """Status reports, milestones and key-figure values by those who may edit."""
    return can_edit_measure(user, measure) and measure.status in REPORTING_STATUSES


def may_request_change(user: User, measure: Measure) -> bool:
    """After approval the department asks for cost-plan changes by change request."""
    return (
        can_edit_measure(user, measure)
        and is_department_user(user)
        and measure.status in CHANGE_REQUEST_STATUSES
    )


#: Every field of the measure form.
ALL_FIELDS = frozenset(
    {
        "title",
        "description",
        "category",
        "kind",
        "goals",
        "legal_obligation",
        "legal_basis",
        "legal_deadline",
        "operation_critical",
        "political_mandate",
        "ozg_leika_key",
        "ozg_service_name",
        "ozg_maturity_level",
        "ozg_implementation",
        "owner_id",
        "contact",
        "start_date",
        "end_date",
        "milestones",
        "cost_plan",
        "running_cost_after_horizon",
        "useful_life_years",
        "contractually_bound",
    }
)
#: What a department may still change while the office reviews or has deferred the measure.
DEPT_WHILE_REVIEW = frozenset({"owner_id", "contact"})
#: What a department may change after approval; cost plan and dates only by change request.
DEPT_AFTER_APPROVAL = frozenset(
    {
        "description",
        "owner_id",
        "contact",
        "milestones",
        "ozg_leika_key",
        "ozg_service_name",
        "ozg_maturity_level",
        "ozg_implementation",
        "running_cost_after_horizon",
        "useful_life_years",
        "contractually_bound",
    }
)


def editable_fields(measure: Measure | None, user: User) -> frozenset[str]:
    """Fields ``user`` may change on ``measure`` in its current state (new: all)."""
    if measure is None:
        return ALL_FIELDS if may_write_measures(user) else frozenset()
    if not can_edit_measure(user, measure) or measure.status in CLOSED_STATUSES:
        return frozenset()
    if is_office(user) or department_may_edit_freely(measure):
        return ALL_FIELDS
    if measure.status in CHANGE_REQUEST_STATUSES:
        return DEPT_AFTER_APPROVAL
    return DEPT_WHILE_REVIEW


def locked_fields(measure: Measure | None, user: User) -> set[str]:
    """Fields shown read-only in the edit form."""
    return set(ALL_FIELDS - editable_fields(measure, user))


# --------------------------------------------------------------------------- naming, owner


def has_no_active_owner(measure: Measure) -> bool:
    """No owner, or the owner's account is deactivated."""
    return measure.owner is None or not measure.owner.is_active_user


def no_active_owner_clause() -> ColumnElement[bool]:
    """SQL form of :func:`has_no_active_owner`."""
    inactive = select(User.id).where(User.is_active_user.is_(False))
    return or_(Measure.owner_id.is_(None), Measure.owner_id.in_(inactive))


def lacks_owner(measure: Measure) -> bool:
    """An open measure without an active owner (owner hygiene, dashboard tile)."""
    return measure.status not in CLOSED_STATUSES and has_no_active_owner(measure)


def lacks_owner_clause() -> ColumnElement[bool]:
    """SQL form of :func:`lacks_owner`."""
    return and_(Measure.status.not_in(CLOSED_STATUSES), no_active_owner_clause())
