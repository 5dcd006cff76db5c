"""Steuerung: portfolio and project steering of a Kommune's digitalization."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import mimetypes
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    g,
    jsonify,
    render_template,
    request,
    send_from_directory,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from werkzeug.exceptions import BadRequest, NotFound, ServiceUnavailable
from werkzeug.security import safe_join

from config import Config, config_from_env, local_secret_key
from steuerung.extensions import csrf, db, login_manager, migrate
from steuerung.services import security
from steuerung.services.security.http import render_error_page

#: Third-party assets served from their installed Python packages (never from a CDN).
VENDOR_DIRS: dict[str, tuple[str, str]] = {
    "bootstrap": ("flask_bootstrap", "static/bootstrap5"),
    "plotly": ("plotly", "package_data"),
}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the application: extensions, blueprints, commands and error pages."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_class or config_from_env())
    if not app.config.get("SECRET_KEY") and app.config.get("LOCAL_SECRET_KEY"):
        app.config["SECRET_KEY"] = local_secret_key(Path(app.instance_path))
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "SECRET_KEY ist nicht gesetzt. Im Produktivbetrieb startet Steuerung nur mit einem "
            "geheimen Schlüssel (Umgebungsvariable SECRET_KEY)."
        )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    register_jobs(app)
    security.init_app(app)
    register_blueprints(app)
    register_commands(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_ops(app)
    security.register_request_hooks(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the extensions and the German formats."""
    from steuerung import models  # noqa: F401  (registers the tables)
    from steuerung.formatting import register_filters
    from steuerung.services.common import audit, versioning  # noqa: F401  (session hooks)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Bitte melden Sie sich an, um diese Seite zu sehen."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    register_filters(app)
    app.jinja_env.globals["zip"] = zip

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _enable_sqlite_foreign_keys(engine, app.config.get("SQLITE_BUSY_TIMEOUT_MS", 15000))
        if app.config.get("COUNT_QUERIES"):
            _count_queries(engine)


def _enable_sqlite_foreign_keys(engine: Engine, busy_timeout_ms: int) -> None:
    """Per connection: foreign keys, a busy timeout and WAL (readers never block the writer).

    The busy timeout makes a second writer wait for the lock instead of failing with
    "database is locked"; imports write in short chunks, so no interactive save waits long.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode=WAL")  # in-memory databases stay "memory"
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _count_queries(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(*args: Any) -> None:
        if g:
            g.query_count = g.get("query_count", 0) + 1


def register_jobs(app: Flask) -> None:
    """The background job queue (Huey) chosen by the configuration."""
    from steuerung.services import jobs

    jobs.init_app(app)


def register_ops(app: Flask) -> None:
    """Request ids and JSON request logs; ``/healthz`` (no login, no internals)."""
    from steuerung.services.ops import requestlog
    from steuerung.services.ops.health import check_health
    from steuerung.views.access import public

    requestlog.init_app(app)

    @app.route("/healthz")
    @public
    def healthz() -> tuple[Response, int]:
        healthy, body = check_health()
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"
        return response, 200 if healthy else 503


def register_blueprints(app: Flask) -> None:
    """Register one blueprint per user area."""
    from steuerung.views import BLUEPRINTS
    from steuerung.views.access import public

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

    @app.route("/favicon.ico")
    @public
    def favicon() -> Response:
        return send_from_directory(
            app.static_folder or "static", "favicon.svg", mimetype="image/svg+xml", max_age=86400
        )

    @app.route("/vendor/<package>/<path:filename>")
    @public
    def vendor(package: str, filename: str) -> ResponseReturnValue:
        found = _vendor_file(package, filename)
        if found is None:
            abort(404)
        data, mimetype, etag = found
        response = Response(data, mimetype=mimetype)
        response.set_etag(etag)
        response.cache_control.public = True
        response.cache_control.max_age = 86400
        return response.make_conditional(request)


@lru_cache(maxsize=64)
def _vendor_file(package: str, filename: str) -> tuple[bytes, str, str] | None:
    """Read a vendored asset once into memory (no file handle outlives a request)."""
    if package not in VENDOR_DIRS:
        return None
    module, subdir = VENDOR_DIRS[package]
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / subdir
    path = safe_join(str(root), filename)
    if path is None or not Path(path).is_file():
        return None
    data = Path(path).read_bytes()
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return data, mimetype, hashlib.sha256(data).hexdigest()[:32]


def register_commands(app: Flask) -> None:
    """Add the ``flask`` commands."""
    from steuerung.cli import register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    """German error pages."""
    messages = {
        400: ("Ungültige Anfrage", "Die Anfrage konnte nicht verarbeitet werden."),
        403: ("Keine Berechtigung", "Sie haben keine Berechtigung für diese Seite oder Aktion."),
        404: ("Seite nicht gefunden", "Die angeforderte Seite oder der Datensatz existiert nicht."),
        405: ("Methode nicht erlaubt", "Diese Aktion ist auf dieser Seite nicht möglich."),
        413: ("Datei zu groß", "Die hochgeladene Datei überschreitet die zulässige Größe."),
        429: (
            "Zu viele Anfragen",
            "Es kamen zu viele Anfragen in kurzer Zeit. Bitte warten Sie einige Minuten.",
        ),
        500: ("Interner Fehler", "Es ist ein Fehler aufgetreten. Bitte versuchen Sie es erneut."),
        503: (
            "Vorübergehend nicht verfügbar",
            "Steuerung ist gerade nicht erreichbar (die Datenbank antwortet nicht). Bitte "
            "versuchen Sie es in einigen Minuten erneut.",
        ),
    }

    from steuerung.views.api import api_error_response, is_api_request

    def render_error(error: Any) -> Any:
        if is_api_request():
            return api_error_response(error)  # problem details (JSON), not a page
        code = getattr(error, "code", 500) or 500
        title, text = messages.get(code, messages[500])
        if isinstance(error, CSRFError):
            text = (
                "Das Formular ist abgelaufen oder wurde nicht über Steuerung abgeschickt. "
                "Bitte laden Sie die Seite neu und versuchen Sie es erneut."
            )
        if isinstance(error, security.http.RefusedInput):
            text = error.description
        if code in (400, 403) or isinstance(error, CSRFError):
            security.log_refusal(code, getattr(error, "description", None))
        if code >= 500:
            # The database may be the cause: no rollback error, no navigation, no user lookup.
            with contextlib.suppress(Exception):
                db.session.rollback()
            return render_error_page(app, code, title, text), code
        return render_template("errors/error.html", code=code, title=title, text=text), code

    def database_unavailable(error: Exception) -> tuple[str, int]:
        app.logger.error("Datenbank nicht erreichbar: %s", type(error).__name__)
        return render_error(ServiceUnavailable())

    def id_out_of_range(error: Exception) -> tuple[str, int]:
        # An integer too large for the database column (e.g. a huge id in the query string)
        # cannot name an existing record.
        with contextlib.suppress(Exception):
            db.session.rollback()
        return render_error(NotFound())

    def data_refused(error: DataError) -> tuple[str, int]:
        # PostgreSQL: 22003 numeric_value_out_of_range is a huge id (404); any other value
        # the database refuses is a bad request, never a 500.
        if getattr(error.orig, "sqlstate", None) == "22003":
            return id_out_of_range(error)
        with contextlib.suppress(Exception):
            db.session.rollback()
        app.logger.warning("Datenbank lehnt einen Wert ab: %s", type(error.orig).__name__)
        return render_error(BadRequest())

    for code in messages:
        app.register_error_handler(code, render_error)
    app.register_error_handler(CSRFError, render_error)
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(InterfaceError, database_unavailable)
    app.register_error_handler(OverflowError, id_out_of_range)
    app.register_error_handler(DataError, data_refused)


def register_request_hooks(app: Flask) -> None:
    """Audit actor, security headers and (in tests/benchmarks) query counts."""
    from steuerung.navigation import nav_for
    from steuerung.services.common.audit import set_actor
    from steuerung.views.access import Abilities

    @app.before_request
    def _before() -> None:
        # An app context can outlive one request (tests, CLI): never reuse another request's
        # user or CSRF token, both of which Flask-Login / Flask-WTF cache on ``g``.
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
        g.started = time.perf_counter()
        g.query_count = 0
        set_actor(current_user.id if current_user.is_authenticated else None)

    @app.teardown_request
    def _forget_actor(error: BaseException | None) -> None:
        set_actor(None)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if app.config.get("COUNT_QUERIES"):
            response.headers["X-Query-Count"] = str(g.get("query_count", 0))
            elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
            response.headers["X-Server-Time-Ms"] = f"{elapsed:.2f}"
        return response

    @app.context_processor
    def _inject() -> dict[str, Any]:
        nav = nav_for(current_user) if current_user.is_authenticated else []
        return {"main_nav": nav, "may": Abilities(current_user)}
