"""API: the figures of the dashboard."""

from __future__ import annotations

from steuerung.models import User
from steuerung.services.api import reading
from steuerung.services.api import schemas as s
from steuerung.services.api.openapi import Operation
from steuerung.services.dashboard import rules
from steuerung.views.api._framework import api_operation

TAG = "Dashboard"


@api_operation(
    Operation(
        "GET",
        "/dashboard",
        "getDashboard",
        TAG,
        "Kennzahlen des Dashboards",
        "Alle Zahlen des Dashboards mit denselben Filtern und Definitionen wie die Seite: "
        "Kennzahlen, Deckung je Jahr, Ampeln je Fachbereich, Status je Handlungsfeld, "
        "Zielabdeckung, Roadmap und Portfolio. Ein Filter auf einen unbekannten Fachbereich "
        "oder ein unbekanntes Handlungsfeld ergibt leere Zahlen.",
        s.DashboardOut,
        "Koordinationsstelle, Behördenleitung und Kämmerei (wie „Dashboard“).",
        query=s.DashboardQuery,
    ),
    rules.may_read_dashboard,
)
def dashboard(user: User, query: s.DashboardQuery) -> s.DashboardOut:
    """The dashboard's figures."""
    return reading.dashboard(user, query)
