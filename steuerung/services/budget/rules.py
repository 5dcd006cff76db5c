"""Rules of the budget area: who reads and who changes budget lines, amounts and VE.

The coverage rules (what counts as demand, what is available, what is covered) live in
``services.budget.coverage``; the states whose cost counts in ``services.measures.rules``;
the execution figures (Ist, Obligo, verfügbar, projection) in ``services.budget.execution``.
"""

from __future__ import annotations

from steuerung.models import BudgetKind, Measure, Role, User

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


# --- Budget execution (actuals, carry-forward, investment programme) ----------------------


def may_read_execution(user: User) -> bool:
    """Actuals, available funds, carry-forwards and the investment programme: like the
    budget tables."""
    return may_read_budget(user)


def may_import_actuals(user: User) -> bool:
    """Import profiles and the import of Ist and Obligo from the finance software."""
    return user.role == Role.TREASURY


def may_decide_carry_forward(user: User) -> bool:
    """Carry unused authorizations into the next year (at the year change): the treasury."""
    return user.role == Role.TREASURY


def may_set_order_key(user: User) -> bool:
    """The order / cost-object key on a measure links it to the finance software's rows."""
    return user.role == Role.TREASURY


def may_read_measure_execution(user: User, measure: Measure) -> bool:
    """Planned, spent and committed of one measure: budget readers, and the measure's own
    department (it spends the money and must see an overdrawn measure)."""
    from steuerung.services.measures.rules import can_view_measure

    if may_read_execution(user):
        return True
    return measure.department_id == user.department_id and can_view_measure(user, measure)


def is_transferable(kind: BudgetKind, declared_transferable: bool) -> bool:
    """Whether a line's unused authorization may be carried into the next year: investive
    authorizations always (they stay available until the investment is done), konsumtiv
    ones only where the budget declares the line transferable (übertragbar)."""
    return kind == BudgetKind.INVESTIVE or declared_transferable
