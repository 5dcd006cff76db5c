"""What the API writes: status reports and measured values, by the rules of the pages.

The work functions check the same rules as the detail page (``may_report`` for reports,
``can_edit_measure`` for measured values), refuse a stale version with the pages' German
message (``check_version``), and save through the same services. They flush; the web
layer's transaction helper commits once and maps errors.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from steuerung.models import KeyFigureValue, Measure, StatusReport, User
from steuerung.services.api import schemas as s
from steuerung.services.common.errors import DomainError, PermissionDenied, ValidationFailed
from steuerung.services.common.numbers import MAX_AMOUNT, NumberError, parse_decimal
from steuerung.services.measures import editing, reports
from steuerung.services.measures import rules as measure_rules

#: The detail page's message when a measure owes no reports in its state.
NOT_REPORTING = (
    "Statusberichte gibt es für freigegebene Maßnahmen und Maßnahmen in Umsetzung; "
    "diese Maßnahme ist „{status}“."
)


#: A write based on an older version of the measure (optimistic locking).
STALE = (
    "Die Maßnahme wurde inzwischen geändert (aktuelle Version {current}, gesendet {sent}). "
    "Ihre Angaben wurden nicht gespeichert. Bitte lesen Sie die Maßnahme erneut und senden "
    "Sie die Angaben mit der aktuellen Version."
)
#: Two writes on the same version at the same moment: the second one lost.
RACE = (
    "Die Maßnahme wurde gleichzeitig von einer anderen Person geändert. Ihre Angaben wurden "
    "nicht gespeichert. Bitte lesen Sie die Maßnahme erneut und senden Sie sie noch einmal."
)

#: Refusal of a measured value by someone who may not edit the measure.
NO_VALUES = "Für diese Maßnahme dürfen Sie keine Messwerte erfassen."


class WrongState(DomainError):
    """The measure's state does not allow the action (answered as a conflict)."""


def _check_version(measure: Measure, sent: int) -> None:
    """The pages' optimistic-locking check with the API's message."""
    editing.check_version(measure, sent, STALE.format(current=measure.version_id, sent=sent))


def add_status_report(measure: Measure, data: s.StatusReportIn, by: User) -> StatusReport:
    """Save a status report on ``measure`` for ``by``; flushes (the caller commits)."""
    if not measure_rules.can_edit_measure(by, measure):
        raise PermissionDenied("Für diese Maßnahme dürfen Sie keine Statusberichte abgeben.")
    if not measure_rules.may_report(by, measure):
        raise WrongState(NOT_REPORTING.format(status=measure.status.label))
    _check_version(measure, data.version)
    values: dict[str, Any] = data.model_dump(exclude={"version"})
    return reports.add_status_report(measure, values, by)


def parse_value(raw: str) -> Any:
    """A measured value read by the one number parser (as the page's form does)."""
    try:
        return parse_decimal(raw, minimum=-MAX_AMOUNT)
    except NumberError as error:
        raise ValidationFailed(str(error), field="value") from None


def add_key_figure_value(
    measure: Measure, key_figure_id: int, data: s.KeyFigureValueIn, by: User
) -> KeyFigureValue:
    """Record a measured value of one of the measure's key figures; flushes."""
    if not measure_rules.can_edit_measure(by, measure):
        raise PermissionDenied(NO_VALUES)
    value = parse_value(data.value)
    _check_version(measure, data.version)
    measured_on: date = data.measured_on
    return editing.add_key_figure_value(measure, key_figure_id, measured_on, value)
