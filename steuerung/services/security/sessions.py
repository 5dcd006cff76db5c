"""Server-side login sessions: one ``UserSession`` row per login, checked on every request.

The browser's (signed) Flask session holds a random token; the database holds its hash,
when it started, when it was last used and whether it was ended. Logout, a password change,
an administrator's reset and the administrator's "end sessions" end the rows, so a copied
cookie stops working at once. Idle timeout and absolute lifetime come from the config
(``SESSION_IDLE_TIMEOUT``, ``SESSION_ABSOLUTE_LIFETIME``, in seconds).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from steuerung.extensions import db
from steuerung.models import User, UserSession
from steuerung.services.common.dml import affected_rows
from steuerung.services.security import log
from steuerung.services.security.clock import now

#: Key of the token in the Flask session.
SESSION_KEY = "sid"
#: ``last_seen_at`` is written at most this often (one UPDATE a minute, not per request).
TOUCH_INTERVAL = timedelta(seconds=60)
#: Ended sessions are kept this long for the operators, then purged at the user's next login.
KEEP_ENDED = timedelta(days=30)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _timeouts() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return (
        timedelta(seconds=int(config.get("SESSION_IDLE_TIMEOUT", 1800))),
        timedelta(seconds=int(config.get("SESSION_ABSOLUTE_LIFETIME", 36000))),
    )


def start_session(user: User, *, address: str = "", user_agent: str = "") -> str:
    """Open a new session for ``user``; returns the token for the browser (flushes)."""
    token = secrets.token_urlsafe(32)
    moment = now()
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            UserSession.ended_at.is_not(None),
            UserSession.ended_at < moment - KEEP_ENDED,
        )
    )
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_hash(token),
            created_at=moment,
            last_seen_at=moment,
            client_address=address[:45],
            user_agent=user_agent[:200],
        )
    )
    db.session.flush()
    return token


@dataclass(frozen=True)
class Resumed:
    """Result of :func:`resume_session`: the user, or why there is none."""

    user: User | None
    #: "", "missing", "ended", "idle" or "expired".
    problem: str = ""


def resume_session(token: str | None, user_id: int) -> Resumed:
    """The user of an open, unexpired session ``token`` (one query; commits a touch).

    Ends the session in the database when it has timed out.
    """
    if not token:
        return Resumed(None, "missing")
    row = db.session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _hash(token))
    ).one_or_none()
    if row is None or row.User.id != user_id:
        return Resumed(None, "missing")
    record: UserSession = row.UserSession
    if record.ended_at is not None:
        return Resumed(None, "ended")
    idle, absolute = _timeouts()
    moment = now()
    reason = ""
    if not row.User.is_active_user:
        reason = "inactive"
    elif moment - record.created_at > absolute:
        reason = "expired"
    elif moment - record.last_seen_at > idle:
        reason = "idle"
    if reason:
        record.ended_at = moment
        record.end_reason = reason
        db.session.commit()
        log.event("session_timeout", user=row.User.username, reason=reason)
        return Resumed(None, reason)
    if moment - record.last_seen_at > TOUCH_INTERVAL:
        record.last_seen_at = moment
        db.session.commit()
    return Resumed(row.User)


def end_session(token: str | None, reason: str = "logout") -> None:
    """End the session of ``token`` (if open)."""
    if not token:
        return
    db.session.execute(
        update(UserSession)
        .where(UserSession.token_hash == _hash(token), UserSession.ended_at.is_(None))
        .values(ended_at=now(), end_reason=reason)
    )


def end_user_sessions(user: User, reason: str) -> int:
    """End every open session of ``user``; returns how many were open."""
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=now(), end_reason=reason)
    )
    count = affected_rows(result)
    if count:
        log.event("sessions_ended", user=user.username, count=count, reason=reason)
    return count


def open_session_count(user: User) -> int:
    """Sessions of ``user`` that are not ended and not timed out."""
    idle, absolute = _timeouts()
    moment = now()
    return (
        db.session.scalar(
            select(func.count(UserSession.id)).where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                UserSession.created_at >= moment - absolute,
                UserSession.last_seen_at >= moment - idle,
            )
        )
        or 0
    )
