"""Problem details (RFC 9457) in German: the one shape of every error answer of the API.

A problem has a ``type`` (a link to its explanation on the API's documentation page), a
German ``title`` per kind, the HTTP ``status``, a German ``detail`` for this occurrence and
the ``instance`` (the requested path). Validation problems add ``errors``: one entry per
field with its name in the request, its German label and a German message.

Messages of pydantic's validation are translated here (``field_errors``), so that no English
text reaches a user of the API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Media type of problem details.
PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemKind:
    """One kind of problem: its anchor on the documentation page, status and German title."""

    slug: str
    status: int
    title: str
    #: What the kind means, for the documentation page.
    explanation: str


KINDS: dict[str, ProblemKind] = {
    kind.slug: kind
    for kind in (
        ProblemKind(
            "ungueltige-anfrage",
            400,
            "Ungültige Anfrage",
            "Der Inhalt der Anfrage ist kein gültiges JSON oder fehlt.",
        ),
        ProblemKind(
            "nicht-angemeldet",
            401,
            "Anmeldung erforderlich",
            "Kein, ein unbekannter, widerrufener oder abgelaufener Zugangsschlüssel, oder das "
            "Benutzerkonto ist deaktiviert. Der Zugangsschlüssel wird als "
            "„Authorization: Bearer …“ mitgeschickt; ein Sitzungs-Cookie genügt nicht.",
        ),
        ProblemKind(
            "keine-berechtigung",
            403,
            "Keine Berechtigung",
            "Die Rolle oder der Fachbereich des Benutzers erlaubt diesen Zugriff nicht "
            "(dieselben Regeln wie auf den Seiten).",
        ),
        ProblemKind(
            "nicht-gefunden",
            404,
            "Nicht gefunden",
            "Die Adresse oder der Datensatz existiert nicht.",
        ),
        ProblemKind(
            "methode-nicht-erlaubt",
            405,
            "Methode nicht erlaubt",
            "Diese HTTP-Methode gibt es für diese Adresse nicht (siehe Kopfzeile „Allow“).",
        ),
        ProblemKind(
            "konflikt",
            409,
            "Konflikt",
            "Der Datensatz wurde inzwischen geändert (die mitgeschickte Version ist veraltet), "
            "oder eine gleichzeitige Änderung kam zuvor. Bitte den aktuellen Stand lesen und "
            "erneut senden.",
        ),
        ProblemKind(
            "zu-gross",
            413,
            "Anfrage zu groß",
            "Der Inhalt der Anfrage überschreitet die zulässige Größe.",
        ),
        ProblemKind(
            "falscher-medientyp",
            415,
            "Falscher Medientyp",
            "Schreibende Anfragen senden JSON („Content-Type: application/json“).",
        ),
        ProblemKind(
            "validierung",
            422,
            "Ungültige Angaben",
            "Einzelne Felder sind ungültig; „errors“ nennt jedes Feld mit einer Meldung.",
        ),
        ProblemKind(
            "version-fehlt",
            428,
            "Version fehlt",
            "Schreibende Anfragen nennen die Version des Datensatzes, auf der sie beruhen "
            "(Feld „version“), damit keine fremde Änderung überschrieben wird.",
        ),
        ProblemKind(
            "beschaeftigt",
            503,
            "Vorübergehend nicht verfügbar",
            "Die Datenbank ist gerade stark beschäftigt; bitte gleich noch einmal versuchen.",
        ),
        ProblemKind(
            "interner-fehler",
            500,
            "Interner Fehler",
            "Ein unerwarteter Fehler; er wurde protokolliert.",
        ),
    )
}
#: Kind by HTTP status (for errors that only know their status).
BY_STATUS: dict[int, ProblemKind] = {kind.status: kind for kind in KINDS.values()}


@dataclass
class FieldError:
    """One invalid field: its name in the request, German label and German message."""

    field: str
    label: str
    message: str


@dataclass(eq=False)
class Problem(Exception):
    """An error answer of the API; raised by API views, rendered by the blueprint."""

    slug: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    #: Extra response headers (``WWW-Authenticate``, ``Allow``).
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> ProblemKind:
        """The kind of the problem."""
        return KINDS[self.slug]

    @property
    def status(self) -> int:
        """HTTP status."""
        return self.kind.status


def kind_for_status(status: int) -> ProblemKind:
    """The kind of a bare HTTP error (4xx unknown here counts as a bad request)."""
    if status in BY_STATUS:
        return BY_STATUS[status]
    return KINDS["interner-fehler"] if status >= 500 else KINDS["ungueltige-anfrage"]


def problem_body(problem: Problem, type_base: str, instance: str) -> dict[str, Any]:
    """The JSON object of ``problem``; ``type_base`` is the documentation page's address."""
    body: dict[str, Any] = {
        "type": f"{type_base}#problem-{problem.slug}",
        "title": problem.kind.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": instance,
    }
    if problem.errors:
        body["errors"] = [
            {"field": e.field, "label": e.label, "message": e.message} for e in problem.errors
        ]
    return body


def validation_problem(errors: list[FieldError]) -> Problem:
    """A 422 problem listing the invalid fields in its detail, too."""
    names = "; ".join(f"{e.label}: {e.message}" for e in errors)
    return Problem("validierung", f"Bitte prüfen Sie die Angaben. {names}", errors)


# --------------------------------------------------------------------------- translation


def _german_message(error: Mapping[str, Any]) -> str:
    """German text of one pydantic error (by its ``type`` and ``ctx``)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "Angabe fehlt."
    if kind == "extra_forbidden":
        return "Dieses Feld gibt es nicht."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "Bitte eine ganze Zahl angeben."
    if kind in ("greater_than_equal", "greater_than"):
        return f"Der Wert muss mindestens {ctx.get('ge', ctx.get('gt'))} sein."
    if kind in ("less_than_equal", "less_than"):
        return f"Der Wert darf höchstens {ctx.get('le', ctx.get('lt'))} sein."
    if kind == "string_too_long":
        return f"Höchstens {ctx.get('max_length')} Zeichen."
    if kind == "string_too_short":
        return "Angabe fehlt." if ctx.get("min_length") == 1 else "Zu kurz."
    if kind == "string_type":
        return "Bitte einen Text angeben."
    if kind == "string_pattern_mismatch":
        return "Das Format stimmt nicht."
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace(" or ", " oder ")
        return f"Unbekannter Wert; erlaubt: {expected}." if expected else "Unbekannter Wert."
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        return "Bitte ein Datum im Format JJJJ-MM-TT angeben."
    if kind in ("bool_type", "bool_parsing"):
        return "Bitte true oder false angeben."
    if kind in ("list_type", "too_long"):
        return "Bitte eine Liste angeben." if kind == "list_type" else "Zu viele Werte."
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "Bitte ein JSON-Objekt senden."
    if kind == "value_error":
        # Our own validators raise ValueError with a German message.
        return str(ctx.get("error") or error.get("msg", "Ungültiger Wert."))
    return "Ungültiger Wert."


def field_errors(errors: Sequence[Mapping[str, Any]], labels: dict[str, str]) -> list[FieldError]:
    """pydantic's ``ValidationError.errors()`` as German field errors.

    ``labels`` maps field names to German labels (the fields' titles in the document).
    """
    result = []
    for error in errors:
        # List positions (``status.0``) are left out: the field's name is what a user knows.
        loc = [str(part) for part in error.get("loc", ()) if isinstance(part, str)]
        name = ".".join(loc) or "(Anfrage)"
        label = labels.get(loc[0], loc[0]) if loc else "Anfrage"
        result.append(FieldError(name, label, _german_message(error)))
    return result
