"""Helpers for the security tests: a settable clock and cookie copies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient


class Clock:
    """A clock the app reads through ``SECURITY_CLOCK``; tests move it forward."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward by ``timedelta(**delta)``."""
        self.now += timedelta(**delta)


def session_cookie(client: FlaskClient) -> str:
    """The value of the client's session cookie (as an attacker would copy it)."""
    name = client.application.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None, "no session cookie"
    return cookie.value


def replay(client: FlaskClient, value: str) -> FlaskClient:
    """A new client that sends only the copied session cookie."""
    other = client.application.test_client()
    other.set_cookie(client.application.config["SESSION_COOKIE_NAME"], value)
    return other
