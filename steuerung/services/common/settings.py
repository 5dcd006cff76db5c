"""Access to the Kommune's settings row."""

from __future__ import annotations

from datetime import date

from steuerung.extensions import db
from steuerung.models import Settings


def get_settings() -> Settings:
    """The settings row; created with the current year as budget year if missing."""
    settings = db.session.get(Settings, 1)
    if settings is None:
        settings = Settings(id=1, budget_year=date.today().year)
        db.session.add(settings)
        db.session.flush()
    return settings


def planning_horizon() -> list[int]:
    """Budget year plus the three planning years."""
    return get_settings().horizon
