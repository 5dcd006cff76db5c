"""The OpenAPI 3.1 document of the API, generated from the registered operations.

Each API route is declared once with its :class:`Operation` (path, method, query model, body
model, answer model, possible errors, German texts); the route decorator in
``views.api._framework`` registers the Flask route and this description together. The
document is built from those descriptions and the pydantic models' JSON Schemas (draft
2020-12, the dialect of OpenAPI 3.1), so it cannot drift from what the code accepts.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from steuerung.services.api.problems import KINDS, PROBLEM_MEDIA_TYPE, kind_for_status
from steuerung.services.api.schemas import ENUM_LABELS, MAX_ID, ProblemDetails

REF_TEMPLATE = "#/components/schemas/{model}"
API_VERSION = "1.0.0"


@dataclass(frozen=True)
class PathParam:
    """An integer id in the path (``{measure_id}``)."""

    name: str
    title: str


@dataclass(frozen=True)
class Operation:
    """One operation of the API: what the document says about a route."""

    method: str
    #: OpenAPI path below the API's base, e.g. ``/measures/{measure_id}``.
    path: str
    operation_id: str
    tag: str
    summary: str
    description: str
    response: type[BaseModel]
    #: Who may call it, in German (the rule of the page it mirrors).
    permission: str
    status: int = 200
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    path_params: tuple[PathParam, ...] = ()
    #: Error statuses besides those every operation has (400, 401, 403, 405, 503; 400: a
    #: URL with control characters is refused before any route runs; 405: an id beyond the
    #: URL's integer range matches no route of that method).
    errors: tuple[int, ...] = ()

    @property
    def statuses(self) -> list[int]:
        """All error statuses the operation can answer."""
        found = {400, 401, 403, 405, 503, *self.errors}
        if self.path_params:
            found.add(404)
        if self.query is not None:
            found.add(422)
        if self.body is not None:
            found |= {400, 409, 413, 415, 422, 428}
        return sorted(found)


#: Tags (groups of operations) in the order of the document, with German descriptions.
TAGS: list[tuple[str, str]] = [
    ("Maßnahmen", "Maßnahmen, Statusberichte und Kennzahlen"),
    ("Agenda", "Digitale Agenda: Versionen, Handlungsfelder, Ziele und ihre Abdeckung"),
    ("Haushalt", "Haushaltsstellen und mittelfristige Deckung"),
    ("Dashboard", "Kennzahlen und Diagrammdaten des Dashboards"),
]

DESCRIPTION = """Lesender Zugriff auf Maßnahmen, Agenda, Haushalt und Dashboard sowie Abgabe von
Statusberichten und Messwerten durch die Verantwortlichen.

**Anmeldung:** mit einem persönlichen Zugangsschlüssel (unter „Mein Konto“ erzeugt) im Kopf
`Authorization: Bearer stg_…`. Ein Schlüssel darf genau das, was sein Benutzer auf den Seiten
darf – dieselben Regeln für Rolle und Fachbereich. Ein Sitzungs-Cookie genügt nicht.

**Schreiben:** Statusberichte und Messwerte nennen im Feld `version` die Version der Maßnahme,
auf der sie beruhen (aus `GET /measures/{id}`). Ist sie veraltet, kommt 409; fehlt sie, 428.

**Fehler:** immer als Problem nach RFC 9457 (`application/problem+json`) mit deutschen Texten.

**Zahlen:** Beträge und Messwerte als Text mit Punkt und zwei Nachkommastellen
(`"12500.50"`), Daten als `JJJJ-MM-TT`."""


def _enum_description(components: dict[str, Any]) -> None:
    """German descriptions of the enum components, listing each code with its label."""
    by_name = {cls.__name__: spec for cls, spec in ENUM_LABELS.items()}
    for name, schema in components.items():
        if name in by_name and "enum" in schema:
            title, labels = by_name[name]
            schema["title"] = title
            schema["description"] = "; ".join(
                f"`{value}` = {labels.get(value, value)}" for value in schema["enum"]
            )


def _is_list(annotation: Any) -> bool:
    return get_origin(annotation) is list


def query_parameters(model: type[BaseModel], components: dict[str, Any]) -> list[dict[str, Any]]:
    """OpenAPI parameters (``in: query``) of a query model; its ``$defs`` go to components."""
    schema = model.model_json_schema(mode="validation", ref_template=REF_TEMPLATE)
    components.update(schema.pop("$defs", {}))
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = copy.deepcopy(prop)
        title = prop.pop("title", name)
        description = prop.pop("description", "")
        annotation = model.model_fields[name].annotation
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "description": f"{title}. {description}".strip().rstrip(".") + ".",
            "schema": prop,
        }
        if _is_list(annotation) or any(_is_list(a) for a in get_args(annotation)):
            parameter["style"] = "form"
            parameter["explode"] = True
        parameters.append(parameter)
    return parameters


def _error_response(status: int) -> dict[str, Any]:
    kind = kind_for_status(status)
    response: dict[str, Any] = {
        "description": kind.title,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": REF_TEMPLATE.format(model="Problem")}}},
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": "Bearer-Anmeldung verlangt",
                "schema": {"type": "string"},
                "required": True,
            }
        }
    return response


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def build_document(operations: list[Operation], server_url: str, docs_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``operations`` (served at ``…/openapi.json``)."""
    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (ProblemDetails, "serialization")
    ]
    for op in operations:
        models.append((op.response, "serialization"))
        if op.body is not None:
            models.append((op.body, "validation"))
    unique = list(dict.fromkeys(models))
    refs, top = models_json_schema(unique, ref_template=REF_TEMPLATE)
    components: dict[str, Any] = top.get("$defs", {})
    # The problem schema is named "Problem" (the RFC's word), not after the class.
    problem_ref = refs[(ProblemDetails, "serialization")]["$ref"].rsplit("/", 1)[-1]
    components["Problem"] = components.pop(problem_ref)

    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        parameters: list[dict[str, Any]] = [
            {
                "name": p.name,
                "in": "path",
                "required": True,
                "description": p.title,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            }
            for p in op.path_params
        ]
        if op.query is not None:
            parameters += query_parameters(op.query, components)
        responses: dict[str, Any] = {
            str(op.status): {
                "description": op.response.model_config.get("title") or "Ergebnis",
                "content": {"application/json": {"schema": refs[(op.response, "serialization")]}},
            }
        }
        if op.status == 201:
            responses["201"]["headers"] = {
                "Location": {
                    "description": "Adresse des angelegten Datensatzes",
                    "schema": {"type": "string"},
                    "required": True,
                }
            }
        for status in op.statuses:
            responses[str(status)] = _error_response(status)
        entry: dict[str, Any] = {
            "operationId": op.operation_id,
            "tags": [op.tag],
            "summary": op.summary,
            "description": f"{op.description}\n\n**Berechtigung:** {op.permission}".strip(),
            "responses": responses,
        }
        if parameters:
            entry["parameters"] = parameters
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
            }
        paths.setdefault(op.path, {})[op.method.lower()] = entry

    _enum_description(components)
    problem_types = "\n".join(
        f"- `{docs_url}#problem-{kind.slug}` ({kind.status}, {kind.title}): {kind.explanation}"
        for kind in KINDS.values()
    )
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Steuerung – REST-API",
            "version": API_VERSION,
            "summary": "Digitalisierungsmaßnahmen, Agenda, Haushalt und Dashboard der Kommune",
            "description": f"{DESCRIPTION}\n\n**Fehlerarten:**\n{problem_types}",
        },
        "servers": [{"url": server_url, "description": "diese Installation"}],
        "tags": [{"name": name, "description": text} for name, text in TAGS],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "stg_…",
                    "description": "Persönlicher Zugangsschlüssel aus „Mein Konto“.",
                }
            },
        },
    }


def tag_anchor(tag: str) -> str:
    """HTML anchor of a tag's section on the documentation page."""
    return "tag-" + _anchor(tag)


# --------------------------------------------------------------------------- readable page


def type_text(schema: dict[str, Any]) -> str:
    """A short German description of a schema's type, e.g. ``Liste von Ganzzahl (≥ 1)``."""
    if "$ref" in schema:
        return "→ " + schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        parts = [type_text(part) for part in schema["anyOf"] if part.get("type") != "null"]
        nullable = any(part.get("type") == "null" for part in schema["anyOf"])
        return " oder ".join(parts) + (" oder null" if nullable else "")
    kind = schema.get("type", "")
    names = {
        "integer": "Ganzzahl",
        "number": "Zahl",
        "string": "Text",
        "boolean": "true/false",
        "object": "Objekt",
        "null": "null",
    }
    if kind == "array":
        text = "Liste von " + type_text(schema.get("items", {}))
        if "maxItems" in schema:
            text += f" (höchstens {schema['maxItems']})"
        return text
    text = names.get(kind, kind or "beliebig")
    if schema.get("format") == "date":
        text = "Datum (JJJJ-MM-TT)"
    elif schema.get("format") == "date-time":
        text = "Zeitpunkt (ISO 8601)"
    limits = []
    if "minimum" in schema:
        limits.append(f"≥ {schema['minimum']}")
    if "maximum" in schema:
        limits.append(f"≤ {schema['maximum']}")
    if "maxLength" in schema:
        limits.append(f"höchstens {schema['maxLength']} Zeichen")
    if "enum" in schema:
        limits.append("eins von: " + ", ".join(str(v) for v in schema["enum"]))
    if limits:
        text += " (" + ", ".join(limits) + ")"
    if "default" in schema and schema["default"] not in (None, [], ""):
        text += f"; Standard: {schema['default']}"
    return text


@dataclass
class PageField:
    """A row of a field or parameter table on the documentation page."""

    name: str
    type: str
    required: bool
    title: str
    description: str
    ref: str | None = None


def schema_fields(schema: dict[str, Any]) -> list[PageField]:
    """The properties of an object schema as table rows."""
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        ref = None
        target = prop
        if "$ref" in prop:
            ref = prop["$ref"].rsplit("/", 1)[-1]
        elif prop.get("type") == "array" and "$ref" in prop.get("items", {}):
            ref = prop["items"]["$ref"].rsplit("/", 1)[-1]
        elif "anyOf" in prop:
            refs = [p["$ref"] for p in prop["anyOf"] if "$ref" in p]
            ref = refs[0].rsplit("/", 1)[-1] if refs else None
        rows.append(
            PageField(
                name=name,
                type=type_text(target),
                required=name in required,
                title=prop.get("title", ""),
                description=prop.get("description", ""),
                ref=ref,
            )
        )
    return rows
