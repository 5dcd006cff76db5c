"""Rules of the coordinating office's areas: register, review inbox, scoring, portfolio.

Who may open which page lives here once; views use these functions in their route
decorators and templates ask them through ``views.access.Abilities``.
"""

from __future__ import annotations

from steuerung.models import MeasureStatus, Role, User
from steuerung.services.measures.rules import COUNTING_STATUSES, SCENARIO_STATUSES, is_office

#: States shown in the portfolio ranking (decided, waiting, or deferred for later).
PORTFOLIO_STATUSES: tuple[MeasureStatus, ...] = (
    *COUNTING_STATUSES,
    *SCENARIO_STATUSES,
    MeasureStatus.DEFERRED,
)
#: Roles that read the central register and its exports.
REGISTER_ROLES = frozenset({Role.COORDINATOR, Role.LEADERSHIP, Role.TREASURY})
#: Roles that read the portfolio ranking, the scenarios and owner hygiene.
PORTFOLIO_ROLES = frozenset({Role.COORDINATOR, Role.LEADERSHIP})


def may_read_register(user: User) -> bool:
    """The central register with filters and exports."""
    return user.role in REGISTER_ROLES


def may_read_portfolio(user: User) -> bool:
    """Portfolio ranking, saved scenarios and owner hygiene."""
    return user.role in PORTFOLIO_ROLES


def may_review(user: User) -> bool:
    """The review inbox and its decisions."""
    return is_office(user)


def may_score(user: User) -> bool:
    """Score measures, set manual ranks, configure the criteria."""
    return is_office(user)


def may_manage_scenarios(user: User) -> bool:
    """Save and delete cut-off scenarios."""
    return is_office(user)
