"""Start page per role."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from steuerung.models import Role
from steuerung.navigation import add_nav_item
from steuerung.services.overview import start_page

bp = Blueprint("main", __name__)

add_nav_item("main.index", "Start", tuple(Role), order=0)


@bp.route("/")
@login_required
def index() -> str:
    """The start page of the logged-in user, by role."""
    return render_template("main/index.html", page=start_page(current_user), Role=Role)
