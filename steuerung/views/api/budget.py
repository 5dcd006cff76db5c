"""API: budget lines and the mid-term coverage."""

from __future__ import annotations

from steuerung.models import User
from steuerung.services.api import reading
from steuerung.services.api import schemas as s
from steuerung.services.api.openapi import Operation
from steuerung.services.budget import rules
from steuerung.views.api._framework import api_operation

TAG = "Haushalt"
READERS = "Kämmerei, Koordinationsstelle, Behördenleitung und Administration (wie „Haushalt“)."


@api_operation(
    Operation(
        "GET",
        "/budget/lines",
        "listBudgetLines",
        TAG,
        "Haushaltsstellen",
        "Alle Haushaltsstellen mit Ansätzen je Jahr, gebundenen Beträgen und VE.",
        s.BudgetLineList,
        READERS,
    ),
    rules.may_read_budget,
)
def list_lines(user: User) -> s.BudgetLineList:
    """All budget lines."""
    return reading.budget_lines()


@api_operation(
    Operation(
        "GET",
        "/budget/coverage",
        "getCoverage",
        TAG,
        "Mittelfristige Deckung je Jahr",
        "Die Deckungstabelle der Seite „Haushalt“ für das Haushaltsjahr und drei "
        "Planungsjahre: Summen je Jahr und Haushaltsteil und Zeilen nach der gewählten "
        "Ansicht, nach den Deckungsgrundsätzen (eine Überdeckung deckt keine Lücke einer "
        "anderen Stelle, außer im Deckungsring).",
        s.CoverageOut,
        READERS,
        query=s.CoverageQuery,
    ),
    rules.may_read_budget,
)
def coverage(user: User, query: s.CoverageQuery) -> s.CoverageOut:
    """The coverage table."""
    return reading.coverage(query)
