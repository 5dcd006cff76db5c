"""The user's switches for e-mails and the list of mails sent to them ("Mein Konto")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from steuerung.extensions import db
from steuerung.models import NotificationLog, NotificationStatus, User
from steuerung.services.notifications.rules import kind_label, receives_digest

#: How many mails "Mein Konto" lists.
RECENT_LIMIT = 10


@dataclass(frozen=True)
class SentMail:
    """One line of the list of mails sent to the user."""

    when: datetime
    kind: str
    subject: str
    status: NotificationStatus


def may_receive_digest(user: User) -> bool:
    """Whether the digest switch applies to ``user`` (coordinators)."""
    return receives_digest(user)


def update_preferences(user: User, reminders: bool, digest: bool) -> None:
    """Switch reminders and (for coordinators) the weekly digest on or off; flushes."""
    user.notify_reminders = bool(reminders)
    if receives_digest(user):
        user.notify_digest = bool(digest)
    db.session.flush()


def recent_mails(user: User, limit: int = RECENT_LIMIT) -> list[SentMail]:
    """The latest mails to ``user`` (newest first), sent or failed."""
    rows = db.session.scalars(
        select(NotificationLog)
        .where(NotificationLog.user_id == user.id)
        .order_by(NotificationLog.created_at.desc(), NotificationLog.id.desc())
        .limit(limit)
    )
    return [
        SentMail(
            when=row.sent_at or row.claimed_at,
            kind=kind_label(row.kind),
            subject=row.subject,
            status=row.status,
        )
        for row in rows
    ]
