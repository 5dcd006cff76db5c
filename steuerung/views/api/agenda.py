"""API: the Digitale Agenda (versions, fields of action, goals and their coverage)."""

from __future__ import annotations

from steuerung.models import User
from steuerung.services.agenda import rules
from steuerung.services.api import reading
from steuerung.services.api import schemas as s
from steuerung.services.api.openapi import Operation, PathParam
from steuerung.services.api.problems import Problem
from steuerung.views.api._framework import api_operation

TAG = "Agenda"
READERS = "Koordinationsstelle, Behördenleitung und Fachbereiche (wie die Seite „Agenda“)."
COVERAGE = (
    "Zu jedem Ziel die Maßnahmen, die dieser Zugang sehen darf und die dem Ziel dienen – "
    "dieselbe Abdeckung wie auf der Seite „Agenda“."
)


@api_operation(
    Operation(
        "GET",
        "/agenda",
        "getAgenda",
        TAG,
        "Beschlossene Agenda mit Zielen",
        f"Die beschlossene Version der Digitalen Agenda. {COVERAGE} 404, solange keine "
        "Version beschlossen ist.",
        s.AgendaOut,
        READERS,
        errors=(404,),
    ),
    rules.may_read_agenda,
)
def get_agenda(user: User) -> s.AgendaOut:
    """The adopted version with the coverage of its goals."""
    found = reading.agenda(user, None)
    if found is None:
        raise Problem("nicht-gefunden", "Es ist noch keine Version der Agenda beschlossen.")
    return found


@api_operation(
    Operation(
        "GET",
        "/agenda/versions",
        "listAgendaVersions",
        TAG,
        "Versionen der Agenda",
        "Alle Versionen (Entwurf, beschlossen, abgelöst), die neueste zuerst.",
        s.AgendaVersionList,
        READERS,
    ),
    rules.may_read_agenda,
)
def list_versions(user: User) -> s.AgendaVersionList:
    """Every version."""
    return reading.agenda_versions()


@api_operation(
    Operation(
        "GET",
        "/agenda/versions/{agenda_id}",
        "getAgendaVersion",
        TAG,
        "Eine Version der Agenda mit Zielen",
        COVERAGE,
        s.AgendaOut,
        READERS,
        path_params=(PathParam("agenda_id", "ID der Version"),),
    ),
    rules.may_read_agenda,
)
def get_version(user: User, agenda_id: int) -> s.AgendaOut:
    """One version with the coverage of its goals."""
    found = reading.agenda(user, agenda_id)
    if found is None:
        raise Problem("nicht-gefunden", "Diese Version der Agenda gibt es nicht.")
    return found
