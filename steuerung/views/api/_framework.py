"""The web layer of the API: one decorator declares a route and its document entry.

``@api_operation(Operation(...), rule)`` registers the Flask route and the operation's
description for the OpenAPI document, and wraps the view so that every request

1. is authenticated by a personal token (``Authorization: Bearer …``; a session cookie does
   not count, and no cookie session is created), 401 otherwise;
2. passes the route's rule (the same rule as the page that shows the same data), 403;
3. has its path ids, query parameters and JSON body validated by the operation's models,
   with German problem details (400, 415, 422; 428 when a write names no version);

and then calls the view with ``user``, ``query`` and ``body``. The view returns an answer
model (or raises :class:`Problem`); it is sent as JSON with the operation's status.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, get_args, get_origin

from flask import Blueprint, Response, current_app, g, request, url_for
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from steuerung.extensions import db, login_manager
from steuerung.models import User
from steuerung.services.api.openapi import Operation
from steuerung.services.api.problems import (
    PROBLEM_MEDIA_TYPE,
    FieldError,
    Problem,
    field_errors,
    kind_for_status,
    problem_body,
    validation_problem,
)
from steuerung.services.api.schemas import MAX_ID
from steuerung.services.api.tokens import TokenRefused, authenticate, note_use
from steuerung.services.api.writing import WrongState
from steuerung.services.common.audit import set_actor
from steuerung.services.common.errors import (
    DomainError,
    PermissionDenied,
    StaleObject,
    ValidationFailed,
)

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: Every declared operation, in declaration order (the document's order).
OPERATIONS: list[Operation] = []

#: ``WWW-Authenticate`` of a 401 answer (RFC 6750).
BEARER_CHALLENGE = 'Bearer realm="Steuerung"'


def docs_url() -> str:
    """Address of the documentation page (the base of the problem ``type`` links)."""
    return url_for("api.docs")


def problem_response(problem: Problem) -> Response:
    """The problem as ``application/problem+json`` (never cached)."""
    body = problem_body(problem, docs_url(), request.path)
    response = Response(
        json.dumps(body, ensure_ascii=False), status=problem.status, mimetype=PROBLEM_MEDIA_TYPE
    )
    response.headers["Cache-Control"] = "no-store"
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def http_problem(error: HTTPException) -> Problem:
    """A Werkzeug HTTP error (404 of routing, 405, 413, ...) as a German problem."""
    status = error.code or 500
    kind = kind_for_status(status)
    details = {
        404: "Diese Adresse gibt es in der API nicht.",
        405: f"Die Methode {request.method} ist hier nicht erlaubt.",
        413: "Der Inhalt der Anfrage ist zu groß.",
    }
    headers = {}
    valid = getattr(error, "valid_methods", None)
    if status == 405 and valid:
        headers["Allow"] = ", ".join(valid)
    if status >= 500:
        db.session.rollback()
        detail = "Es ist ein Fehler aufgetreten. Bitte versuchen Sie es erneut."
    else:
        detail = details.get(status, kind.title + ".")
    return Problem(kind.slug, detail, headers=headers)


def domain_problem(error: DomainError) -> Problem:
    """A domain error of a service as a problem (the pages show the same German message)."""
    if isinstance(error, PermissionDenied):
        return Problem("keine-berechtigung", error.message)
    if isinstance(error, StaleObject | WrongState):
        return Problem("konflikt", error.message)
    if isinstance(error, ValidationFailed):
        field = error.field or "(Anfrage)"
        return validation_problem([FieldError(field, field, error.message)])
    return Problem("beschaeftigt", error.message)


# --------------------------------------------------------------------------- authentication


def _bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def authenticate_request() -> User:
    """The user of the request's token (also the audit actor); :class:`Problem` 401 if none."""
    secret = _bearer_secret()
    if secret is None:
        raise Problem(
            "nicht-angemeldet",
            "Bitte senden Sie Ihren Zugangsschlüssel im Kopf „Authorization: Bearer …“. "
            "Zugangsschlüssel erzeugen Sie unter „Mein Konto“.",
            headers={"WWW-Authenticate": BEARER_CHALLENGE},
        )
    try:
        user, token = authenticate(secret)
    except TokenRefused as error:
        raise Problem(
            "nicht-angemeldet",
            error.message,
            headers={"WWW-Authenticate": f'{BEARER_CHALLENGE}, error="invalid_token"'},
        ) from None
    if note_use(token):
        db.session.commit()
    # The token's user acts for this request only: Flask-Login's current user (request log,
    # templates) and the audit actor; nothing is stored in a session.
    login_manager._update_request_context_with_user(user)
    set_actor(user.id)
    g.api_token_id = token.id
    return user


# --------------------------------------------------------------------------- input


def _labels(model: type[BaseModel]) -> dict[str, str]:
    return {name: f.title or name for name, f in model.model_fields.items()}


def _is_list_field(model: type[BaseModel], name: str) -> bool:
    annotation = model.model_fields[name].annotation
    return get_origin(annotation) is list or any(
        get_origin(a) is list for a in get_args(annotation)
    )


def _is_bool_field(model: type[BaseModel], name: str) -> bool:
    annotation = model.model_fields[name].annotation
    return annotation is bool or bool in get_args(annotation)


def _is_int_like(model: type[BaseModel], name: str) -> bool:
    annotation = model.model_fields[name].annotation
    parts = [annotation, *get_args(annotation)]
    for part in list(parts):
        parts += list(get_args(part))
    return int in parts and bool not in parts


def parse_query(model: type[BaseModel]) -> BaseModel:
    """The query string as ``model``: lists from repeated names, strict numbers and booleans.

    Unknown parameters are refused (a misspelt filter would otherwise be ignored silently).
    """
    labels = _labels(model)
    errors: list[FieldError] = []
    data: dict[str, Any] = {}
    for name in request.args:
        if name not in model.model_fields:
            errors.append(FieldError(name, name, "Diesen Parameter gibt es nicht."))
            continue
        values = request.args.getlist(name)
        label = labels[name]
        converted: list[Any] = []
        for raw in values:
            if _is_bool_field(model, name):
                if raw not in ("true", "false"):
                    errors.append(FieldError(name, label, "Bitte true oder false angeben."))
                    continue
                converted.append(raw == "true")
            elif _is_int_like(model, name):
                if not raw.isascii() or not raw.isdigit():
                    errors.append(FieldError(name, label, "Bitte eine ganze Zahl angeben."))
                    continue
                converted.append(int(raw))
            else:
                converted.append(raw)
        if _is_list_field(model, name):
            data[name] = converted
        elif len(values) > 1:
            errors.append(FieldError(name, label, "Bitte nur einmal angeben."))
        elif converted:
            data[name] = converted[0]
    if errors:
        raise validation_problem(errors)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_problem(field_errors(error.errors(), labels)) from None


def parse_body(model: type[BaseModel]) -> BaseModel:
    """The JSON body as ``model`` (strict JSON types); 415, 400, 428 or 422 otherwise."""
    if request.mimetype != "application/json":
        raise Problem(
            "falscher-medientyp",
            "Bitte senden Sie den Inhalt als JSON mit „Content-Type: application/json“.",
        )
    raw = request.get_data(cache=True)
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Problem("ungueltige-anfrage", "Der Inhalt ist kein gültiges JSON.") from None
    if not isinstance(parsed, dict):
        raise validation_problem(
            [FieldError("(Anfrage)", "Anfrage", "Bitte ein JSON-Objekt senden.")]
        )
    if "version" in model.model_fields and parsed.get("version") is None:
        raise Problem(
            "version-fehlt",
            "Bitte nennen Sie im Feld „version“ die Version der Maßnahme, auf der Ihre Angaben "
            "beruhen (aus dem Lesen der Maßnahme). So wird keine fremde Änderung überschrieben.",
        )
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as error:
        raise validation_problem(field_errors(error.errors(), _labels(model))) from None


# --------------------------------------------------------------------------- the decorator


def api_operation(op: Operation, rule: Callable[[User], bool]) -> Callable[[F], F]:
    """Declare an API route: Flask rule, document entry, authentication, rule, validation."""

    def decorator(view: F) -> F:
        flask_path = op.path.replace("{", "<int:").replace("}", ">")

        @wraps(view)
        def wrapped(**kwargs: Any) -> Response:
            try:
                user = authenticate_request()
                if not rule(user):
                    raise Problem(
                        "keine-berechtigung",
                        "Mit Ihrer Rolle haben Sie keinen Zugriff auf diese Daten.",
                    )
                if any(not 1 <= value <= MAX_ID for value in kwargs.values()):
                    raise Problem("nicht-gefunden", "Diesen Datensatz gibt es nicht.")
                if op.query is not None:
                    kwargs["query"] = parse_query(op.query)
                if op.body is not None:
                    kwargs["body"] = parse_body(op.body)
                result = view(user=user, **kwargs)
            except Problem as problem:
                db.session.rollback()
                return problem_response(problem)
            headers: dict[str, str] = {}
            if isinstance(result, tuple):
                result, headers = result
            response = Response(
                result.model_dump_json(), status=op.status, mimetype="application/json"
            )
            response.headers["Cache-Control"] = "no-store"
            response.headers.update(headers)
            return response

        wrapped.permission = rule  # type: ignore[attr-defined]
        wrapped.operation = op  # type: ignore[attr-defined]
        bp.add_url_rule(
            flask_path, endpoint=op.operation_id, view_func=wrapped, methods=[op.method]
        )
        OPERATIONS.append(op)
        return wrapped  # type: ignore[return-value]

    return decorator


def server_url() -> str:
    """The API's base address as the client reached it."""
    return request.url_root.rstrip("/") + bp.url_prefix  # type: ignore[operator]


def is_api_request() -> bool:
    """True for requests below ``/api/`` (errors there are problem details, not pages)."""
    return request.path.startswith("/api/")


def api_error_response(error: Any) -> Response:
    """An error outside the views (routing 404/405, 413, 500) as problem details."""
    if isinstance(error, HTTPException):
        return problem_response(http_problem(error))
    current_app.logger.exception("API error", exc_info=error)
    db.session.rollback()
    return problem_response(
        Problem("interner-fehler", "Es ist ein Fehler aufgetreten. Bitte versuchen Sie es erneut.")
    )
