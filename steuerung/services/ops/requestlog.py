"""Request ids and structured request logs (one JSON line per request on stderr).

``X-Request-ID`` from the proxy is taken when it looks like an id (letters, digits, ``.-_``,
at most 64 characters), otherwise a new one is made; it is echoed in the response and in
every log line of the request, so a user's report can be found in the proxy's and the app's
logs. Bodies, query strings, cookies and form data are never logged.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import re
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, got_request_exception, has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
LOGGER_NAME = "steuerung.request"


class JsonLineFormatter(logging.Formatter):
    """Formats records as one JSON object per line with time, level and request id."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update(fields)
        else:
            data["message"] = record.getMessage()
        if "request_id" not in data and has_request_context():
            data["request_id"] = g.get("request_id")
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


def _logger() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not any(getattr(h, "_steuerung", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLineFormatter())
        handler._steuerung = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def init_app(app: Flask) -> None:
    """Register the request id hooks and, if ``REQUEST_LOG`` is on, the JSON request log."""
    enabled = bool(app.config.get("REQUEST_LOG"))
    logger = _logger() if enabled else logging.getLogger(LOGGER_NAME)

    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        g.request_cpu_started = time.thread_time()
        g.request_db_s = 0.0
        g.request_queries = 0
        g.request_gc_started = _collector_time.seconds

    @app.after_request
    def _log_request(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        if enabled:
            started = g.get("request_started", time.perf_counter())
            user = current_user.get_id() if current_user else None
            logger.info(
                "request",
                extra={
                    "fields": {
                        "event": "request",
                        "request_id": rid,
                        "method": request.method,
                        "path": request.path,
                        "endpoint": request.endpoint,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        # CPU time of this request's thread: under load the difference to
                        # duration_ms is waiting (for the CPU, the database, a lock).
                        "cpu_ms": round(
                            (time.thread_time() - g.get("request_cpu_started", 0.0)) * 1000, 1
                        ),
                        # Time waiting for the database (and for the interpreter lock
                        # after each answer) and the number of statements.
                        "db_ms": round(g.get("request_db_s", 0.0) * 1000, 1),
                        "queries": g.get("request_queries", 0),
                        # Pauses of the cyclic garbage collector this request's thread ran
                        # (every thread of the process stands still meanwhile).
                        "gc_ms": round(
                            (_collector_time.seconds - g.get("request_gc_started", 0.0)) * 1000,
                            1,
                        ),
                        "size": response.calculate_content_length(),
                        "user_id": int(user) if user else None,
                        "remote_addr": request.remote_addr,
                        "pid": os.getpid(),
                    }
                },
            )
        return response

    def _log_exception(sender: Flask, exception: BaseException, **extra: Any) -> None:
        logger.error(
            "unhandled exception",
            exc_info=(type(exception), exception, exception.__traceback__),
            extra={
                "fields": {
                    "event": "error",
                    "request_id": request_id(),
                    "path": request.path if has_request_context() else None,
                }
            },
        )

    if enabled:
        got_request_exception.connect(_log_exception, app, weak=False)
        _time_statements()
        _time_collections()


def _time_statements() -> None:
    """Add each statement's wall time to the current request's ``db_ms`` (once per process)."""
    if event.contains(Engine, "before_cursor_execute", _statement_started):
        return
    event.listen(Engine, "before_cursor_execute", _statement_started)
    event.listen(Engine, "after_cursor_execute", _statement_ended)


def _statement_started(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    conn.info["statement_started"] = time.perf_counter()


def _statement_ended(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    started = conn.info.pop("statement_started", None)
    if started is not None and has_request_context():
        g.request_db_s = g.get("request_db_s", 0.0) + time.perf_counter() - started
        g.request_queries = g.get("request_queries", 0) + 1


class _CollectorTime(threading.local):
    """Seconds the cyclic garbage collector ran in this thread (it runs in the thread whose
    allocation set it off)."""

    seconds = 0.0
    started = 0.0


_collector_time = _CollectorTime()


def _time_collections() -> None:
    """Add every collection's duration to the thread's ``_collector_time`` (once per process)."""
    if _collection_callback not in gc.callbacks:
        gc.callbacks.append(_collection_callback)


def _collection_callback(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _collector_time.started = time.perf_counter()
    elif _collector_time.started:
        _collector_time.seconds += time.perf_counter() - _collector_time.started
        _collector_time.started = 0.0
