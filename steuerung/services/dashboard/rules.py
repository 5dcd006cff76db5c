"""Rules of the dashboards, the council report and the start page."""

from __future__ import annotations

from steuerung.models import Role, User

#: Roles that read the dashboard, its data and the council report.
DASHBOARD_ROLES = frozenset({Role.COORDINATOR, Role.LEADERSHIP, Role.TREASURY})
#: Roles that open the leadership view.
LEADERSHIP_VIEW_ROLES = frozenset({Role.LEADERSHIP, Role.COORDINATOR})


def may_read_dashboard(user: User) -> bool:
    """Dashboard, chart data and council report."""
    return user.role in DASHBOARD_ROLES


def may_read_leadership_view(user: User) -> bool:
    """The leadership view with its written summary."""
    return user.role in LEADERSHIP_VIEW_ROLES


def may_switch_dashboard_views(user: User) -> bool:
    """The office switches between its dashboard and the leadership view."""
    return user.role == Role.COORDINATOR


def sees_leadership_summary(user: User) -> bool:
    """Leadership sees the written summary on the plain dashboard too."""
    return user.role == Role.LEADERSHIP


def start_page_sections(user: User) -> frozenset[str]:
    """Which sections the start page shows ``user`` (own measures, portfolio, budget, admin)."""
    sections = {
        Role.SUBMITTER: {"own"},
        Role.COORDINATOR: {"portfolio", "coverage", "inbox"},
        Role.LEADERSHIP: {"portfolio", "coverage"},
        Role.TREASURY: {"coverage"},
        Role.ADMIN: {"users"},
    }
    return frozenset(sections.get(user.role, set()))
