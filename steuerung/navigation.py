"""Main navigation: each entry is guarded by a rule. Blueprints add their entries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request, url_for

from steuerung.models import User


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation, shown to users for whom ``rule(user)`` holds."""

    endpoint: str
    label: str
    rule: Callable[[User], bool]
    order: int = 50


_ITEMS: list[NavItem] = []


def add_nav_item(endpoint: str, label: str, rule: Callable[[User], bool], order: int = 50) -> None:
    """Register a navigation entry (idempotent)."""
    item = NavItem(endpoint, label, rule, order)
    if item not in _ITEMS:
        _ITEMS.append(item)


def nav_for(user: User) -> list[dict[str, object]]:
    """Entries ``user`` may see, only for endpoints that exist (no dead links)."""
    entries = []
    for item in sorted(_ITEMS, key=lambda i: i.order):
        if not item.rule(user) or item.endpoint not in current_app.view_functions:
            continue
        blueprint = item.endpoint.split(".")[0]
        entries.append(
            {
                "url": url_for(item.endpoint),
                "label": item.label,
                "active": request.blueprint == blueprint
                if blueprint != "main"
                else request.endpoint == item.endpoint,
            }
        )
    return entries
