"""Start page per role."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, url_for
from flask_login import current_user

from steuerung.models import MeasureStatus
from steuerung.navigation import add_nav_item
from steuerung.services.dashboard.overview import start_page
from steuerung.services.measures.rules import anyone, lists_own_department
from steuerung.services.portfolio.rules import may_read_register, may_review
from steuerung.views.access import permission_required

bp = Blueprint("main", __name__)

add_nav_item("main.index", "Start", anyone, order=0)


@bp.route("/")
@permission_required(anyone)
def index() -> str:
    """The start page of the logged-in user, by role."""
    return render_template(
        "main/index.html",
        page=start_page(current_user),
        status_links=_status_links(),
        inbox_url=_url_if("portfolio.inbox") if may_review(current_user) else None,
    )


def _url_if(endpoint: str, **values: Any) -> str | None:
    """URL of ``endpoint`` if that area is installed (no dead links)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def _status_links() -> dict[MeasureStatus, str]:
    """Where a click on a status count leads: the register, or the department's list."""
    if lists_own_department(current_user):
        endpoint = "measures.index"
    elif may_read_register(current_user):
        endpoint = "portfolio.register"
    else:
        return {}
    links = {}
    for status in MeasureStatus:
        url = _url_if(endpoint, status=status.value)
        if url:
            links[status] = url
    return links
