"""API: measures (list, one measure), their status reports and key figures."""

from __future__ import annotations

from typing import Any

from flask import url_for

from steuerung.models import Measure, User
from steuerung.services.api import reading, writing
from steuerung.services.api import schemas as s
from steuerung.services.api.openapi import Operation, PathParam
from steuerung.services.api.problems import Problem
from steuerung.services.common.errors import PermissionDenied
from steuerung.services.measures import rules
from steuerung.views.api._framework import api_operation, domain_problem
from steuerung.views.transaction import commit

TAG = "Maßnahmen"
MEASURE = PathParam("measure_id", "ID der Maßnahme")
KEY_FIGURE = PathParam("key_figure_id", "ID der Kennzahl")
VISIBLE = (
    "jede Rolle; Fachbereiche sehen die Maßnahmen ihres Fachbereichs (auch Entwürfe) und – "
    "je nach Einstellung – freigegebene anderer Fachbereiche, alle anderen Rollen alle "
    "Maßnahmen (wie „Maßnahmen“ und Register)."
)


def _measure(user: User, measure_id: int) -> Measure:
    """The measure if ``user`` may see it; 404 / 403 problems otherwise."""
    try:
        measure = reading.visible_measure(user, measure_id)
    except PermissionDenied as error:
        raise Problem("keine-berechtigung", error.message) from None
    if measure is None:
        raise Problem("nicht-gefunden", "Diese Maßnahme gibt es nicht.")
    return measure


@api_operation(
    Operation(
        "GET",
        "/measures",
        "listMeasures",
        TAG,
        "Maßnahmen (gefiltert, seitenweise)",
        "Die Maßnahmen mit den Filtern, der Sortierung und den Kosten je Jahr des Registers; "
        "`total` ist die Zahl aller Treffer. Score und Klasse nur für Rollen mit Zugriff auf "
        "das Register.",
        s.MeasurePage,
        VISIBLE,
        query=s.MeasureQuery,
    ),
    rules.may_open_measures,
)
def list_measures(user: User, query: s.MeasureQuery) -> s.MeasurePage:
    """A page of the register's selection for the token's user."""
    return reading.list_measures(user, query)


@api_operation(
    Operation(
        "GET",
        "/measures/{measure_id}",
        "getMeasure",
        TAG,
        "Eine Maßnahme",
        "Stammdaten, Ziele, Meilensteine, Kosten je Jahr, Ampel und Fälligkeit des nächsten "
        "Statusberichts; `version` für schreibende Anfragen.",
        s.MeasureDetail,
        VISIBLE,
        path_params=(MEASURE,),
    ),
    rules.may_open_measures,
)
def get_measure(user: User, measure_id: int) -> s.MeasureDetail:
    """One measure."""
    return reading.measure_detail(user, _measure(user, measure_id))


@api_operation(
    Operation(
        "GET",
        "/measures/{measure_id}/status-reports",
        "listStatusReports",
        TAG,
        "Statusberichte einer Maßnahme",
        "Alle Statusberichte, der neueste zuerst.",
        s.StatusReportList,
        VISIBLE,
        path_params=(MEASURE,),
    ),
    rules.may_open_measures,
)
def list_status_reports(user: User, measure_id: int) -> s.StatusReportList:
    """The measure's status reports."""
    return reading.status_reports(_measure(user, measure_id))


@api_operation(
    Operation(
        "POST",
        "/measures/{measure_id}/status-reports",
        "createStatusReport",
        TAG,
        "Statusbericht abgeben",
        "Ein neuer Statusbericht (Ampeln, Fortschritt, Texte) für eine freigegebene Maßnahme "
        "oder eine in Umsetzung. 409, wenn `version` veraltet ist oder die Maßnahme in ihrem "
        "Status keine Berichte hat.",
        s.StatusReportCreated,
        "Fachbereich der Maßnahme und Koordinationsstelle (wie „Statusbericht abgeben“).",
        status=201,
        body=s.StatusReportIn,
        path_params=(MEASURE,),
    ),
    rules.may_write_measures,
)
def create_status_report(
    user: User, measure_id: int, body: s.StatusReportIn
) -> tuple[s.StatusReportCreated, dict[str, str]]:
    """Save a status report (optimistic locking by ``version``)."""
    measure = _measure(user, measure_id)
    outcome = commit(
        lambda: writing.add_status_report(measure, body, user),
        announce=False,
        stale_message=writing.RACE,
    )
    if outcome.error is not None:
        raise domain_problem(outcome.error)
    report: Any = outcome.value
    created = s.StatusReportCreated(
        report=reading.status_report(report), measure_version=measure.version_id
    )
    location = url_for("api.listStatusReports", measure_id=measure.id) + f"#{report.id}"
    return created, {"Location": location}


@api_operation(
    Operation(
        "GET",
        "/measures/{measure_id}/key-figures",
        "listKeyFigures",
        TAG,
        "Kennzahlen einer Maßnahme",
        "Kennzahlen mit Ausgangs- und Zielwert und allen Messwerten.",
        s.KeyFigureList,
        VISIBLE,
        path_params=(MEASURE,),
    ),
    rules.may_open_measures,
)
def list_key_figures(user: User, measure_id: int) -> s.KeyFigureList:
    """The measure's key figures."""
    return reading.key_figures(_measure(user, measure_id))


@api_operation(
    Operation(
        "POST",
        "/measures/{measure_id}/key-figures/{key_figure_id}/values",
        "createKeyFigureValue",
        TAG,
        "Messwert erfassen",
        "Ein neuer Messwert einer Kennzahl. 409, wenn `version` veraltet ist.",
        s.KeyFigureValueCreated,
        "Fachbereich der Maßnahme und Koordinationsstelle (wie „Wert erfassen“).",
        status=201,
        body=s.KeyFigureValueIn,
        path_params=(MEASURE, KEY_FIGURE),
    ),
    rules.may_write_measures,
)
def create_key_figure_value(
    user: User, measure_id: int, key_figure_id: int, body: s.KeyFigureValueIn
) -> tuple[s.KeyFigureValueCreated, dict[str, str]]:
    """Record a measured value (optimistic locking by ``version``)."""
    measure = _measure(user, measure_id)
    if not rules.can_edit_measure(user, measure):
        raise Problem("keine-berechtigung", writing.NO_VALUES)
    if all(k.id != key_figure_id for k in measure.key_figures):
        raise Problem("nicht-gefunden", "Diese Kennzahl gibt es bei dieser Maßnahme nicht.")
    outcome = commit(
        lambda: writing.add_key_figure_value(measure, key_figure_id, body, user),
        announce=False,
        stale_message=writing.RACE,
    )
    if outcome.error is not None:
        raise domain_problem(outcome.error)
    value: Any = outcome.value
    created = s.KeyFigureValueCreated(
        key_figure_id=key_figure_id,
        value=reading.key_figure_value(value),
        measure_version=measure.version_id,
    )
    location = url_for("api.listKeyFigures", measure_id=measure.id) + f"#{value.id}"
    return created, {"Location": location}
