"""Login throttling with Flask-Limiter's storage (memory by default, Redis etc. configurable).

Three counters of *failed* logins, each in a sliding window (``LOGIN_THROTTLE_WINDOW``):

- per (account, client address): hard, small (``LOGIN_FAILURES_PER_PAIR``, default 5);
  stops guessing one account from one place;
- per client address over all accounts (``LOGIN_FAILURES_PER_ADDRESS``, default 30);
  stops password spraying from one place;
- per account over all addresses (``LOGIN_FAILURES_PER_ACCOUNT``, default 20), *not* applied
  to a browser that has logged in to this account successfully before (a signed "known
  device" cookie). So an attacker who floods an account from many addresses slows down only
  new devices, never locks the real user out of their usual browser.

The counters are kept per typed user name whether the account exists or not, and every
refusal shows the same German message, so nothing tells whether an account exists.
A successful login clears the (account, address) counter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse

from steuerung.services.security import log

#: Flask-Limiter: also caps raw POSTs to the login form per address (see views/auth.py).
limiter = Limiter(key_func=get_remote_address, default_limits=[])

THROTTLED_MESSAGE = (
    "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie einige Minuten und versuchen "
    "Sie es dann erneut."
)
#: A known-device cookie is valid this long.
DEVICE_COOKIE_MAX_AGE = 180 * 24 * 3600


def device_cookie_name() -> str:
    """``__Host-`` prefixed where cookies are Secure (production)."""
    secure = current_app.config.get("SESSION_COOKIE_SECURE")
    return "__Host-steuerung-geraet" if secure else "steuerung-geraet"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="login-known-device")


def device_token(username: str) -> str:
    """The signed cookie value that marks this browser as known for ``username``."""
    return _serializer().dumps(_account(username))


def is_known_device(cookie: str | None, username: str) -> bool:
    """True if ``cookie`` was issued at a successful login of ``username``."""
    if not cookie:
        return False
    try:
        value = _serializer().loads(cookie, max_age=DEVICE_COOKIE_MAX_AGE)
    except BadSignature:
        return False
    return value == _account(username)


def _account(username: str) -> str:
    return (username or "").strip().lower()[:80]


@dataclass(frozen=True)
class _Limits:
    pair: RateLimitItem
    address: RateLimitItem
    account: RateLimitItem


def _limits() -> _Limits:
    config = current_app.config
    window = config.get("LOGIN_THROTTLE_WINDOW", "15 minutes")
    return _Limits(
        pair=parse(f"{config.get('LOGIN_FAILURES_PER_PAIR', 5)} per {window}"),
        address=parse(f"{config.get('LOGIN_FAILURES_PER_ADDRESS', 30)} per {window}"),
        account=parse(f"{config.get('LOGIN_FAILURES_PER_ACCOUNT', 20)} per {window}"),
    )


def _checks(username: str, address: str, known_device: bool) -> list[tuple[RateLimitItem, str]]:
    limits = _limits()
    account = _account(username)
    checks = [
        (limits.pair, f"login-pair/{account}/{address}"),
        (limits.address, f"login-address/{address}"),
    ]
    if not known_device:
        checks.append((limits.account, f"login-account/{account}"))
    return checks


def login_allowed(username: str, address: str, known_device: bool) -> bool:
    """False if one of the counters is exhausted (the attempt is refused unchecked)."""
    if not current_app.config.get("LOGIN_THROTTLE_ENABLED", True):
        return True
    strategy = limiter.limiter
    for item, key in _checks(username, address, known_device):
        if not strategy.test(item, key):
            log.event(
                "login_throttled",
                logging.WARNING,
                username=_account(username),
                counter=key.split("/", 1)[0],
            )
            return False
    return True


def record_failure(username: str, address: str, known_device: bool) -> None:
    """Count a failed login in every counter."""
    if not current_app.config.get("LOGIN_THROTTLE_ENABLED", True):
        return
    strategy = limiter.limiter
    for item, key in _checks(username, address, known_device):
        strategy.hit(item, key)


def record_success(username: str, address: str) -> None:
    """A successful login clears its (account, address) counter."""
    if not current_app.config.get("LOGIN_THROTTLE_ENABLED", True):
        return
    limits = _limits()
    limiter.limiter.clear(limits.pair, f"login-pair/{_account(username)}/{address}")
