"""Route decorators for the first layer of permission checks.

Each decorator also records who may call the route on the view function
(``view.allowed_roles``: a frozenset of roles, or ``PUBLIC``). The route x role test
(tests/test_route_access.py) reads exactly this, so a route without one of these decorators
fails the suite, and the expected access is declared once, here at the route.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from steuerung.models import Role

F = TypeVar("F", bound=Callable[..., Any])

#: Marker for routes anyone may call without logging in (login page, assets).
PUBLIC = "public"


def role_required(*roles: Role) -> Callable[[F], F]:
    """Allow the route only to logged-in users with one of ``roles`` (403 otherwise)."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def public(view: F) -> F:
    """Declare a route open to everyone, logged in or not."""
    view.allowed_roles = PUBLIC  # type: ignore[attr-defined]
    return view


def allowed_roles(view: Callable[..., Any]) -> frozenset[Role] | str | None:
    """What the route declares: a set of roles, ``PUBLIC``, or None (nothing declared)."""
    return getattr(view, "allowed_roles", None)
