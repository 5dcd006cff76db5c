"""The first layer of permission checks (route decorator) and the abilities templates ask.

Routes name the rule that guards them (``@permission_required(rules.may_score)``); the rule
itself lives in the area's rules module. The decorator keeps the rule on the view function
(``view.permission``) so that tests can check every route of the URL map against it
(tests/test_rules.py, tests/test_route_access.py); routes open to everyone say so with
``@public``. A route with neither fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from steuerung.models import User
from steuerung.services.admin import rules as admin_rules
from steuerung.services.agenda import rules as agenda_rules
from steuerung.services.budget import rules as budget_rules
from steuerung.services.dashboard import rules as dashboard_rules
from steuerung.services.maturity import rules as maturity_rules
from steuerung.services.measures import rules as measure_rules
from steuerung.services.portfolio import rules as portfolio_rules

F = TypeVar("F", bound=Callable[..., Any])
Rule = Callable[[User], bool]

#: Marker for routes anyone may call without logging in (login page, assets).
PUBLIC = "public"


def permission_required(rule: Rule) -> Callable[[F], F]:
    """Allow the route only to logged-in users for whom ``rule(user)`` holds (403 otherwise)."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not rule(current_user):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = rule  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


#: The questions templates may ask about the current user (``{% if may.score %}``).
ABILITIES: dict[str, Rule] = {
    "administer": admin_rules.may_administer,
    "decide_change_requests": measure_rules.may_decide_change_requests,
    "edit_agenda": agenda_rules.may_edit_agenda,
    "edit_budget": budget_rules.may_edit_budget,
    "manage_scenarios": portfolio_rules.may_manage_scenarios,
    "read_budget": budget_rules.may_read_budget,
    "read_dashboard": dashboard_rules.may_read_dashboard,
    "read_portfolio": portfolio_rules.may_read_portfolio,
    "read_register": portfolio_rules.may_read_register,
    "review": portfolio_rules.may_review,
    "score": portfolio_rules.may_score,
    "write_measures": measure_rules.may_write_measures,
    "filter_departments": measure_rules.may_filter_departments,
    "list_own_department": measure_rules.lists_own_department,
    "roll_budget_year": budget_rules.may_roll_budget_year,
    "assess": maturity_rules.may_assess,
    "switch_dashboard_views": dashboard_rules.may_switch_dashboard_views,
    "read_execution": budget_rules.may_read_execution,
    "import_actuals": budget_rules.may_import_actuals,
    "decide_carry_forward": budget_rules.may_decide_carry_forward,
    "set_order_key": budget_rules.may_set_order_key,
}


class Abilities:
    """What the current user may do, as attributes for templates; False when logged out."""

    def __init__(self, user: Any) -> None:
        self._user = user

    def __getattr__(self, name: str) -> bool:
        try:
            rule = ABILITIES[name]
        except KeyError:
            raise AttributeError(f"unknown ability {name!r}") from None
        return bool(getattr(self._user, "is_authenticated", False)) and rule(self._user)


def public(view: F) -> F:
    """Declare a route open to everyone, logged in or not."""
    view.permission = PUBLIC  # type: ignore[attr-defined]
    return view


def route_permission(view: Callable[..., Any]) -> Rule | str | None:
    """What the route declares: its rule, ``PUBLIC``, or None (nothing declared)."""
    return getattr(view, "permission", None)
