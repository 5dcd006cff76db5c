"""The public transparency page (no login) with its open data, and the coordinating
office's publication switch on a measure.

Public addresses (``/transparenz/...``) answer 404 while the Kommune's switch is off. They need
no session and set no cookie; responses carry a weak ETag built from the data generation
(raised by every saved change of audited data), so a repeated request is answered with 304
after two small queries, and ``Cache-Control: no-cache`` makes every cache ask again: a
withdrawn measure is gone with the next request. The internal publication route lives under
``/massnahmen/`` so a reverse proxy can expose ``/transparenz/`` alone to the internet.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from steuerung.extensions import db
from steuerung.forms.transparency import PublicationForm
from steuerung.services.common.audit import data_generation
from steuerung.services.common.settings import get_settings
from steuerung.services.measures import editing
from steuerung.services.measures.rules import can_view_measure
from steuerung.services.transparency import export, rules
from steuerung.services.transparency.publication import set_publication
from steuerung.services.transparency.queries import PublicData, load_public_data
from steuerung.views.access import permission_required, public
from steuerung.views.transaction import commit, form_errors_text

bp = Blueprint("transparency", __name__)


# --------------------------------------------------------------------------- public


@bp.route("/transparenz/")
@public
def index() -> Response:
    """The published measures by field of action, the agenda's goals, the open data."""
    return _public(
        "html", lambda data: Response(render_template("transparency/index.html", data=data))
    )


@bp.route("/transparenz/daten.csv")
@public
def data_csv() -> Response:
    """The published measures as German CSV (``;``, decimal comma, UTF-8 with BOM)."""

    def render(data: PublicData) -> Response:
        return Response(
            export.to_csv(data),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="massnahmen.csv"'},
        )

    return _public("csv", render)


@bp.route("/transparenz/daten.json")
@public
def data_json() -> Response:
    """The published data as JSON with publisher, licence and time of generation."""

    def render(data: PublicData) -> Response:
        document = export.to_json(
            data,
            page_url=url_for("transparency.index", _external=True),
            csv_url=url_for("transparency.data_csv", _external=True),
        )
        # Keys in the document's order (meta first) and umlauts as they are (UTF-8).
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        return Response(body, mimetype="application/json")

    return _public("json", render)


def _public(kind: str, render: Callable[[PublicData], Response]) -> Response:
    """Answer a public request: 404 while switched off, 304 if unchanged, else ``render``."""
    settings = get_settings()
    if not rules.page_is_public(settings):
        abort(404)
    etag = _etag(kind, data_generation(db.session))
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = render(load_public_data(settings, datetime.now(UTC)))
        _name, url = rules.licence(settings)
        if url:
            response.headers["Link"] = f'<{url}>; rel="license"'
    response.set_etag(etag, weak=True)
    # No user data on these pages; the session cookie of a logged-in visitor keeps them out
    # of shared caches all the same.
    response.headers["Cache-Control"] = ("private" if request.cookies else "public") + ", no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _etag(kind: str, generation: int) -> str:
    """Validator of a public response: format, data generation and the page's templates."""
    source = f"{kind}:{generation}:{_templates_fingerprint()}"
    return hashlib.sha256(source.encode()).hexdigest()[:32]


@lru_cache(maxsize=1)
def _templates_fingerprint() -> str:
    """Hash of the page's templates and the export format: a new release changes the ETag."""
    folder = Path(current_app.root_path) / "templates" / "transparency"
    digest = hashlib.sha256(str(export.SCHEMA_VERSION).encode())
    for path in sorted(folder.glob("*.html")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


@bp.app_context_processor
def _footer_link() -> dict[str, Any]:
    """``transparency_url()`` for the footer: the page's address while it is public."""

    def transparency_url() -> str | None:
        try:
            public = rules.page_is_public(get_settings())
        except SQLAlchemyError:
            # An error page rendered after a database failure still renders.
            return None
        return url_for("transparency.index") if public else None

    return {"transparency_url": transparency_url}


# --------------------------------------------------------------------------- office


@bp.route("/massnahmen/<int:measure_id>/veroeffentlichung", methods=["POST"])
@permission_required(rules.may_publish)
def publish(measure_id: int) -> ResponseReturnValue:
    """The coordinating office publishes, changes or withdraws a measure's publication."""
    measure = editing.load_measure(measure_id)
    if measure is None:
        abort(404)
    if not can_view_measure(current_user, measure):
        abort(403)
    form = PublicationForm()
    detail = url_for("measures.detail", measure_id=measure.id)
    if not form.validate():
        if form.errors.keys() - {"public_description"}:
            flash(form_errors_text(form), "danger")
            return redirect(detail)
        return _reshow(measure_id, form, conflict=False)

    outcome = commit(
        lambda: set_publication(measure, form.publication(), form.version_id.data, current_user),
        form=form,
        announce=False,
    )
    if not outcome.ok:
        assert outcome.error is not None
        if not outcome.error.field or outcome.error.field == "version_id":
            flash(outcome.error.message, "danger")
        return _reshow(measure_id, form, conflict=outcome.conflict)
    flash(
        "Die Maßnahme ist auf der Transparenzseite veröffentlicht."
        if measure.published
        else "Die Maßnahme ist nicht (mehr) auf der Transparenzseite.",
        "success",
    )
    return redirect(detail)


def _reshow(measure_id: int, form: PublicationForm, conflict: bool) -> tuple[str, int]:
    """The detail page again with the office's input kept in the publication form."""
    from steuerung.views.measures import _render_detail  # the measures area owns the page

    fresh = editing.load_measure(measure_id)
    if fresh is None:
        abort(404)
    if conflict:
        form.version_id.data = str(fresh.version_id)
    return _render_detail(
        fresh,
        "uebersicht",
        409 if conflict else 400,
        unsaved=form.public_description.data or "",
        publication_form=form,
    )
