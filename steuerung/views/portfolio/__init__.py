"""Coordinating office: register, review inbox, scoring, portfolio ranking and scenarios.

One blueprint (``portfolio``), its routes in one module per area.
"""

from steuerung.views.portfolio import ranking, register, review, scoring
from steuerung.views.portfolio._common import bp

__all__ = ["bp", "ranking", "register", "review", "scoring"]
