"""One login attempt: throttle check, password check (local or directory), logging."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from steuerung.models import User
from steuerung.services.admin.accounts import authenticate
from steuerung.services.common.errors import DomainError
from steuerung.services.security import log, throttle
from steuerung.services.security.directory import DirectoryUnavailable

FAILED_MESSAGE = "Anmeldung fehlgeschlagen: Benutzername oder Passwort ist falsch."


@dataclass(frozen=True)
class LoginOutcome:
    """The user on success; otherwise the German message and the HTTP status to answer."""

    user: User | None
    message: str = ""
    status: int = 200


def attempt_login(
    username: str, password: str, *, address: str, known_device: bool
) -> LoginOutcome:
    """Check throttling, then the credentials; count failures; log every outcome."""
    name = (username or "").strip()
    if not throttle.login_allowed(name, address, known_device):
        return LoginOutcome(None, throttle.THROTTLED_MESSAGE, 429)
    try:
        user = authenticate(name, password)
    except DirectoryUnavailable as error:
        # Not the user's fault: not counted as a failure, but said clearly.
        return LoginOutcome(None, error.message, 503)
    except DomainError as error:
        # The account is not enabled for Steuerung (group, department): a clear message.
        throttle.record_failure(name, address, known_device)
        log.event("login_failed", logging.WARNING, username=name.lower(), reason=error.message)
        return LoginOutcome(None, error.message, 200)
    if user is None:
        throttle.record_failure(name, address, known_device)
        log.event("login_failed", logging.WARNING, username=name.lower())
        return LoginOutcome(None, FAILED_MESSAGE, 200)
    throttle.record_success(name, address)
    log.event("login", user=user.username, source=user.auth_source)
    return LoginOutcome(user)
