"""Domain errors that views turn into German messages."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``str(error)`` is a German message fit for the user."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: Name of the form field the error belongs to, if any.
        self.field = field


class PermissionDenied(DomainError):
    """The user may not do this to this object."""


class TransitionNotAllowed(DomainError):
    """A lifecycle transition that the workflow does not allow."""


class StaleObject(DomainError):
    """Someone else saved the object since it was loaded (optimistic locking)."""


class ValidationFailed(DomainError):
    """Input that breaks a business rule."""
