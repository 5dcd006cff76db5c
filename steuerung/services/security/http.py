"""HTTP hardening: headers, bounded ids in URLs, refusal of control characters, safe errors."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response
from wtforms.meta import DefaultMeta
from wtforms.validators import StopValidation

#: Largest id a URL may carry: PostgreSQL's ``integer`` (SQLite would take 2^63 - 1).
MAX_ID = 2**31 - 1
#: C0 controls except tab, line feed and carriage return; DEL; C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_CHARACTER_MESSAGE = (
    "Die Eingabe enthält unzulässige Steuerzeichen (etwa ein Null-Byte). Bitte entfernen Sie "
    "sie und versuchen Sie es erneut."
)
#: Neutral value for the ``Server`` header (no product or version of the server software).
SERVER_HEADER = "webserver"
HSTS = "max-age=31536000; includeSubDomains"
#: Endpoints whose responses may be cached (static assets, no personal data).
CACHEABLE_ENDPOINTS = {"static", "vendor", "favicon"}
#: Public data that sets its own ``Cache-Control`` (revalidated by ETag); kept if set.
SELF_CACHED_ENDPOINTS = {"transparency.index", "transparency.data_csv", "transparency.data_json"}


class RefusedInput(BadRequest):
    """400 with a German text for the error page."""

    description = (
        "Die Adresse enthält unzulässige Steuerzeichen (etwa ein Null-Byte). Bitte rufen Sie "
        "die Seite über die Navigation neu auf."
    )


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in every route: 0 .. 2^31-1, so a huge id is a 404, not a database error."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def has_control_characters(value: object) -> bool:
    """True for a string with a NUL byte or another control character (tab/newline are fine)."""
    return isinstance(value, str) and CONTROL_CHARACTERS.search(value) is not None


def refuse_control_characters(form: Any, field: Any) -> None:
    """WTForms validator (installed on every field): refuse control characters."""
    if any(has_control_characters(value) for value in field.raw_data or ()):
        field.errors[:] = []
        raise StopValidation(CONTROL_CHARACTER_MESSAGE)


def install_form_check() -> None:
    """Put :func:`refuse_control_characters` first on every field of every WTForms form.

    Done once through WTForms' ``Meta.bind_field`` hook on ``DefaultMeta`` (the base of
    Flask-WTF's meta and of plain sub-forms such as cost-plan rows), so no form can forget
    it and each refusal is a message at its field, with the input kept.
    """
    if getattr(DefaultMeta.bind_field, "_refuses_control_characters", False):
        return
    original = DefaultMeta.bind_field

    def bind_field(self: Any, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
        field = original(self, form, unbound_field, options)
        field.validators = [refuse_control_characters, *field.validators]
        return field

    bind_field._refuses_control_characters = True  # type: ignore[attr-defined]
    # Replacing a method of WTForms' class on purpose; its stub types it as generic in the field.
    DefaultMeta.bind_field = bind_field  # type: ignore[method-assign, assignment]


def query_has_control_characters() -> bool:
    """True if a query-string name or value carries control characters."""
    return any(
        has_control_characters(key) or has_control_characters(value)
        for key, values in request.args.lists()
        for value in values
    )


def set_headers(app: Flask, response: Response) -> Response:
    """HSTS (production), no caching of pages and downloads, neutral ``Server`` header.

    Everything except static assets is ``no-store``: pages, exports and the PDF carry
    personal or internal data, and the login page must not come back from a cache either.
    The public transparency data keeps its own revalidation header.
    """
    response.headers["Server"] = SERVER_HEADER
    if app.config.get("HSTS_ENABLED"):
        response.headers["Strict-Transport-Security"] = HSTS
    own = request.endpoint in SELF_CACHED_ENDPOINTS and "Cache-Control" in response.headers
    if request.endpoint not in CACHEABLE_ENDPOINTS and not own:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def render_error_page(app: Flask, code: int, title: str, text: str) -> str:
    """The German error page, rendered without context processors and without the database.

    Used for 5xx errors: the database may be the cause, so neither the navigation nor the
    logged-in user is looked up.
    """
    template = app.jinja_env.get_template("errors/minimal.html")
    return template.render(code=code, title=title, text=text)
