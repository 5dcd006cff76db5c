"""Personal API tokens: create (secret shown once), list, revoke, and authenticate requests.

A token is ``stg_`` followed by 43 random URL-safe characters (256 bits). The database keeps
its SHA-256 hash and the first characters (prefix) to recognise it in the list. A request
presents the secret as ``Authorization: Bearer <secret>``; it is refused when the token is
unknown, revoked or expired, or when its user is deactivated.

Creating and revoking are audited (the session hook; the hash is logged as ``***``). The
"last used" time is written with a plain UPDATE at most once a minute, outside the audit
log: it is bookkeeping, not a change of data, and must not invalidate cached reports.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from steuerung.extensions import db
from steuerung.models import ApiToken, User
from steuerung.models.base import utcnow
from steuerung.services.api.rules import MAX_TOKENS_PER_USER, may_revoke_token
from steuerung.services.common.dml import affected_rows
from steuerung.services.common.errors import DomainError, PermissionDenied, ValidationFailed

#: Every secret starts with this, so a leaked one is recognisable (e.g. by secret scanners).
SECRET_PREFIX = "stg_"
#: Characters of the secret shown in the list (prefix plus 8 random characters).
SHOWN_CHARS = len(SECRET_PREFIX) + 8
#: "Last used" is written at most this often per token.
LAST_USED_RESOLUTION = timedelta(minutes=1)
#: Offered validity periods in days (None: until revoked).
VALIDITY_CHOICES: tuple[int | None, ...] = (30, 90, 365, None)
NAME_MAX = 100


class TokenState(enum.StrEnum):
    """Whether a token is usable."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        """German name."""
        return TOKEN_STATE_LABELS[self]


TOKEN_STATE_LABELS = {
    TokenState.ACTIVE: "aktiv",
    TokenState.EXPIRED: "abgelaufen",
    TokenState.REVOKED: "widerrufen",
}


class TokenRefused(DomainError):
    """The presented token does not authorise a request (message in German)."""


def hash_secret(secret: str) -> str:
    """The stored form of a secret (SHA-256, hex)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def state_of(token: ApiToken, now: datetime | None = None) -> TokenState:
    """Active, expired or revoked."""
    now = now or utcnow()
    if token.revoked_at is not None:
        return TokenState.REVOKED
    if token.expires_at is not None and token.expires_at <= now:
        return TokenState.EXPIRED
    return TokenState.ACTIVE


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


@dataclass(frozen=True)
class NewToken:
    """A created token and its secret (the only moment the secret is known)."""

    token: ApiToken
    secret: str


def create_token(
    user: User, name: str, valid_days: int | None, now: datetime | None = None
) -> NewToken:
    """Create a token for ``user``; flushes. The secret is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Bitte geben Sie dem Zugangsschlüssel einen Namen.", field="name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(f"Der Name darf höchstens {NAME_MAX} Zeichen haben.", field="name")
    if valid_days not in VALIDITY_CHOICES:
        raise ValidationFailed("Bitte wählen Sie eine Gültigkeitsdauer.", field="valid_days")
    count = db.session.scalar(
        select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
        )
    )
    if (count or 0) >= MAX_TOKENS_PER_USER:
        raise ValidationFailed(
            f"Sie haben bereits {MAX_TOKENS_PER_USER} Zugangsschlüssel. Bitte widerrufen Sie "
            "zuerst einen, den Sie nicht mehr brauchen.",
            field="name",
        )
    now = now or utcnow()
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:SHOWN_CHARS],
        token_hash=hash_secret(secret),
        created_at=now,
        expires_at=now + timedelta(days=valid_days) if valid_days else None,
    )
    db.session.add(token)
    db.session.flush()
    return NewToken(token, secret)


def revoke_token(token: ApiToken, by: User, now: datetime | None = None) -> ApiToken:
    """Revoke ``token`` (only its own user may); revoking twice changes nothing. Flushes."""
    if not may_revoke_token(by, token):
        raise PermissionDenied("Diesen Zugangsschlüssel können Sie nicht widerrufen.")
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        db.session.flush()
    return token


def own_token(user: User, token_id: int) -> ApiToken | None:
    """One of the user's tokens by id (None if it is not theirs or does not exist)."""
    return db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )


def authenticate(secret: str, now: datetime | None = None) -> tuple[User, ApiToken]:
    """The user a presented secret acts as; raises :class:`TokenRefused` (German) otherwise.

    The reason is named (revoked, expired, deactivated account) only to someone who holds
    the secret; an unknown secret is just "ungültig".
    """
    now = now or utcnow()
    secret = secret.strip()
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        raise TokenRefused("Der Zugangsschlüssel ist ungültig.")
    row = db.session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_secret(secret))
    ).first()
    if row is None:
        raise TokenRefused("Der Zugangsschlüssel ist ungültig.")
    token, user = row
    state = state_of(token, now)
    if state == TokenState.REVOKED:
        raise TokenRefused("Der Zugangsschlüssel wurde widerrufen.")
    if state == TokenState.EXPIRED:
        raise TokenRefused("Der Zugangsschlüssel ist abgelaufen.")
    if not user.is_active_user:
        raise TokenRefused("Das Benutzerkonto dieses Zugangsschlüssels ist deaktiviert.")
    return user, token


def note_use(token: ApiToken, now: datetime | None = None) -> bool:
    """Record that ``token`` was used (plain UPDATE, at most once per minute); True if written.

    Runs in the caller's transaction; the caller commits.
    """
    now = now or utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return False
    result = db.session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token.id,
            or_(
                ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at < now - LAST_USED_RESOLUTION,
            ),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(affected_rows(result))
