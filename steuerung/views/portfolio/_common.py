"""The coordinating office's blueprint and what its route modules share."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Blueprint, abort, current_app, url_for
from flask_login import current_user

from steuerung.extensions import db
from steuerung.models import Measure
from steuerung.navigation import add_nav_item
from steuerung.services.measures.rules import can_view_measure
from steuerung.services.portfolio import rules

bp = Blueprint("portfolio", __name__, url_prefix="/portfolio")

add_nav_item("portfolio.inbox", "Prüfung", rules.may_review, order=15)
add_nav_item("portfolio.register", "Register", rules.may_read_register, order=20)
add_nav_item("portfolio.index", "Portfolio", rules.may_read_portfolio, order=25)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    def measure_url(measure_id: int) -> str | None:
        if "measures.detail" in current_app.view_functions:
            return url_for("measures.detail", measure_id=measure_id)
        return None

    return {"measure_url": measure_url, "eur": eur}


def eur(value: Decimal | float | int | None) -> str:
    """Euro amount as the ``money`` filter writes it (``1.234,50 €``), without Babel's cost.

    Long tables call this hundreds of times per page; Babel needs ~50 µs per call.
    """
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{abs(amount):,.2f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return ("-" if amount < 0 else "") + text + "\u00a0€"


def measure_or_abort(measure_id: int) -> Measure:
    """The measure or 404; 403 if the user may not see it."""
    measure = db.session.get(Measure, measure_id)
    if measure is None:
        abort(404)
    if not can_view_measure(current_user, measure):
        abort(403)
    return measure
