"""Rules of the budget area: who reads and who changes budget lines, amounts and VE.

The coverage rules (what counts as demand, what is available, what is covered) live in
``services.budget.coverage``; the states whose cost counts in ``services.measures.rules``.
"""

from __future__ import annotations

from steuerung.models import Role, User

#: Roles that read the budget tables and exports.
BUDGET_READ_ROLES = frozenset({Role.TREASURY, Role.COORDINATOR, Role.LEADERSHIP, Role.ADMIN})
#: Roles that see the budget area in the main navigation.
BUDGET_MENU_ROLES = frozenset({Role.TREASURY, Role.COORDINATOR, Role.LEADERSHIP})
#: Roles that roll the budget year forward.
ROLLOVER_ROLES = frozenset({Role.TREASURY, Role.ADMIN})


def may_read_budget(user: User) -> bool:
    """Budget tables, budget lines and their exports."""
    return user.role in BUDGET_READ_ROLES


def may_see_budget_menu(user: User) -> bool:
    """Whether the main navigation offers the budget area."""
    return user.role in BUDGET_MENU_ROLES


def may_edit_budget(user: User) -> bool:
    """Budget lines, amounts, VE, imports: the treasury only."""
    return user.role == Role.TREASURY


def may_roll_budget_year(user: User) -> bool:
    """Roll the budget year forward."""
    return user.role in ROLLOVER_ROLES


def may_see_rollover_menu(user: User) -> bool:
    """The rollover page appears in the admin's navigation (the treasury reaches it from
    the budget area's own menu)."""
    return user.role == Role.ADMIN
