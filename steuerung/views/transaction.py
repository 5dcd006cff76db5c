"""The one transaction boundary of the web layer.

Views hand the work (a service call that flushes) to :func:`commit`. It commits once; on a
domain error, a version conflict, a race lost to another user or a busy database it rolls
back and turns the problem into a German message: on the form field the error names, else
as a flash message. Nothing half-done stays in the session, and no race ends in a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import flash
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from steuerung.extensions import db
from steuerung.services.common.errors import DomainError, StaleObject

T = TypeVar("T")

#: Someone else saved the same record between loading and saving (optimistic locking).
STALE_MESSAGE = (
    "Der Datensatz wurde inzwischen von einer anderen Person geändert. Ihre Änderung wurde "
    "nicht gespeichert. Bitte laden Sie die Seite neu und prüfen Sie die Angaben."
)
#: A concurrent save created the same record first (unique key), or removed a referenced one.
CONFLICT_MESSAGE = (
    "Eine andere Person hat gleichzeitig dieselben Daten gespeichert. Ihre Änderung wurde "
    "nicht gespeichert. Bitte laden Sie die Seite neu und prüfen Sie die Angaben."
)
#: The database was locked for longer than the busy timeout.
BUSY_MESSAGE = (
    "Die Datenbank ist gerade stark beschäftigt. Ihre Änderung wurde nicht gespeichert; "
    "bitte versuchen Sie es gleich noch einmal."
)

#: Words of SQLite's and PostgreSQL's messages for lock waits, deadlocks, serialization.
BUSY_WORDS = ("locked", "deadlock", "serialize", "lock timeout", "could not obtain lock")


@dataclass
class Outcome(Generic[T]):
    """What :func:`commit` did: the work's result, or the error the user was shown."""

    value: T | None = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        """True when the work was committed."""
        return self.error is None

    @property
    def conflict(self) -> bool:
        """True when the save lost against another person's (stale version or race)."""
        return isinstance(self.error, StaleObject)


def place_error(form: Any, error: DomainError) -> bool:
    """Attach ``error`` to the form field it names; False if the form has no such field."""
    if form is None or not error.field:
        return False
    field = getattr(form, error.field, None) if error.field in form._fields else None
    if field is None:
        return False
    field.errors = [*(field.errors or []), error.message]
    return True


def commit(
    work: Callable[[], T],
    *,
    form: Any = None,
    announce: bool = True,
    stale_message: str = STALE_MESSAGE,
) -> Outcome[T]:
    """Run ``work``, commit once and return its value; on failure roll back and report.

    The error goes onto the form field it names (``form``) or, with ``announce``, into a
    flash message; callers that show errors themselves pass ``announce=False``.
    """
    error: DomainError
    try:
        value = work()
        db.session.commit()
    except StaleObject as exc:
        error = exc
    except StaleDataError:
        error = StaleObject(stale_message)
    except IntegrityError:
        error = StaleObject(CONFLICT_MESSAGE)
    except OperationalError as exc:
        if not any(word in str(exc.orig).lower() for word in BUSY_WORDS):
            db.session.rollback()
            raise
        error = DomainError(BUSY_MESSAGE)
    except DomainError as exc:
        error = exc
    else:
        return Outcome(value=value)
    db.session.rollback()
    if not place_error(form, error) and announce:
        flash(error.message, "danger")
    return Outcome(error=error)


def form_errors_text(form: Any) -> str:
    """All messages of an invalid form as one German sentence list (for a flash message)."""
    return " ".join(str(e) for errors in form.errors.values() for e in errors)
