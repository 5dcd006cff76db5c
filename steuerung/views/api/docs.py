"""The API's description: the OpenAPI 3.1 document and a readable page made from it.

Both are public (they contain no data) and generated from the declared operations; the page
is plain HTML (no script, nothing from elsewhere) so it works with every screen reader.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from flask import Response, render_template, url_for
from markupsafe import Markup, escape

from steuerung.services.api.openapi import TAGS, build_document, schema_fields, tag_anchor
from steuerung.services.api.problems import KINDS
from steuerung.views.access import public
from steuerung.views.api._framework import OPERATIONS, bp, server_url


@lru_cache(maxsize=8)
def _document(server: str, docs: str) -> str:
    return json.dumps(build_document(OPERATIONS, server, docs), ensure_ascii=False, indent=1)


def document() -> dict[str, Any]:
    """The document for the address the client used (built once per address)."""
    return json.loads(_document(server_url(), url_for("api.docs")))


@bp.route("/openapi.json")
@public
def openapi() -> Response:
    """The OpenAPI 3.1 document (public: it describes the API, it holds no data)."""
    response = Response(_document(server_url(), url_for("api.docs")), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def markdown_lite(text: str) -> Markup:
    """The few Markdown marks of the document's texts as HTML: paragraphs, lists, ``code``
    and **bold**; everything else is escaped."""
    html_parts: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.split("\n")
        items = [line[2:] for line in lines if line.startswith("- ")]
        head = [line for line in lines if not line.startswith("- ")]
        if head:
            html_parts.append(f"<p>{_inline(' '.join(head))}</p>")
        if items:
            html_parts.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
    return Markup("".join(html_parts))


def _inline(text: str) -> str:
    escaped = str(escape(text))
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    return _BOLD.sub(r"<strong>\1</strong>", escaped)


def _schema_ref(response: dict[str, Any]) -> str:
    """The name of the schema a response's first content refers to ('' without one)."""
    for content in response.get("content", {}).values():
        return content.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
    return ""


@bp.route("/docs")
@public
def docs() -> str:
    """The readable documentation page (German), made from the OpenAPI document."""
    doc = document()
    operations = []
    for path, methods in doc["paths"].items():
        for method, entry in methods.items():
            body = entry.get("requestBody", {}).get("content", {}).get("application/json", {})
            body_ref = body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1] or None
            operations.append(
                {
                    "id": entry["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "tag": entry["tags"][0],
                    "summary": entry["summary"],
                    "description": entry["description"],
                    "parameters": entry.get("parameters", []),
                    "body_ref": body_ref,
                    "responses": [
                        {
                            "status": status,
                            "description": response["description"],
                            "ref": _schema_ref(response),
                        }
                        for status, response in entry["responses"].items()
                    ],
                }
            )
    schemas = [
        {
            "name": name,
            "title": schema.get("title", name),
            "description": schema.get("description", ""),
            "fields": schema_fields(schema),
            "enum": schema.get("enum"),
        }
        for name, schema in doc["components"]["schemas"].items()
    ]
    return render_template(
        "api/docs.html",
        doc=doc,
        # The problem kinds get their own section (with anchors) instead of the list.
        intro=doc["info"]["description"].split("**Fehlerarten:**")[0],
        tags=[(name, text, tag_anchor(name)) for name, text in TAGS],
        operations=operations,
        schemas=schemas,
        kinds=list(KINDS.values()),
        markdown=markdown_lite,
        param_type=lambda p: schema_fields({"properties": {p["name"]: p["schema"]}})[0].type,
    )
