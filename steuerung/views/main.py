"""Start page per role."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from flask_login import current_user

from steuerung.models import MeasureStatus, Role
from steuerung.navigation import add_nav_item
from steuerung.services.overview import start_page
from steuerung.views.access import role_required

bp = Blueprint("main", __name__)

add_nav_item("main.index", "Start", tuple(Role), order=0)


@bp.route("/")
@role_required(*Role)
def index() -> str:
    """The start page of the logged-in user, by role."""
    return render_template(
        "main/index.html",
        page=start_page(current_user),
        status_links=_status_links(),
        inbox_url=_url_if("portfolio.inbox") if current_user.role == Role.COORDINATOR else None,
        Role=Role,
    )


def _url_if(endpoint: str, **values: object) -> str | None:
    """URL of ``endpoint`` if that area is installed (no dead links)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def _status_links() -> dict[MeasureStatus, str]:
    """Where a click on a status count leads: the register, or the department's list."""
    if current_user.role == Role.SUBMITTER:
        endpoint = "measures.index"
    elif current_user.role in (Role.COORDINATOR, Role.LEADERSHIP, Role.TREASURY):
        endpoint = "portfolio.register"
    else:
        return {}
    links = {}
    for status in MeasureStatus:
        url = _url_if(endpoint, status=status.value)
        if url:
            links[status] = url
    return links
