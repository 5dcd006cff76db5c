"""The notification log: claim a reminder before sending, record the outcome after.

A claim is a committed row (status ``claimed``) under the unique key; a second run, even a
concurrent one, fails to insert the same key and leaves the reminder alone. A failed
reminder is claimed again by a later run (atomically, by a conditional UPDATE), up to
``NOTIFY_MAX_ATTEMPTS``; a claim older than ``NOTIFY_CLAIM_TIMEOUT_MINUTES`` (its run died)
is taken over. Only the run holding the claim (same token) records the result.

These functions commit: each step must be visible to concurrent runs before the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from steuerung.extensions import db
from steuerung.models import NotificationLog, NotificationStatus
from steuerung.services.common.dml import affected_rows
from steuerung.services.notifications.rules import Reminder

STATUS = NotificationStatus
#: Longest error text kept in the log.
MAX_ERROR_LENGTH = 2000


@dataclass(frozen=True)
class ClaimPolicy:
    """When a logged reminder may be claimed again."""

    max_attempts: int
    #: Claims made before this moment belong to a run that died.
    stale_before: datetime


def _claimable(policy: ClaimPolicy) -> ColumnElement[bool]:
    """SQL condition: a log row that a run may (re)claim."""
    return or_(
        and_(
            NotificationLog.status == STATUS.FAILED,
            NotificationLog.attempts < policy.max_attempts,
        ),
        and_(
            NotificationLog.status == STATUS.CLAIMED,
            NotificationLog.claimed_at < policy.stale_before,
        ),
    )


def _is_claimable(row: NotificationLog, policy: ClaimPolicy) -> bool:
    """Python twin of ``_claimable`` for rows already loaded."""
    if row.status == STATUS.FAILED:
        return row.attempts < policy.max_attempts
    if row.status == STATUS.CLAIMED:
        return row.claimed_at < policy.stale_before
    return False


def logged(reminders: Iterable[Reminder]) -> dict[tuple[str, int, str, int, str], NotificationLog]:
    """Existing log rows of ``reminders`` by key (one query per kind)."""
    by_kind: dict[str, set[str]] = {}
    for reminder in reminders:
        by_kind.setdefault(reminder.kind, set()).add(reminder.occasion)
    found: dict[tuple[str, int, str, int, str], NotificationLog] = {}
    for kind, occasions in by_kind.items():
        rows = db.session.scalars(
            select(NotificationLog).where(
                NotificationLog.kind == kind, NotificationLog.occasion.in_(sorted(occasions))
            )
        )
        for row in rows:
            found[(row.kind, row.user_id, row.object_type, row.object_id, row.occasion)] = row
    return found


def still_open(reminders: list[Reminder], policy: ClaimPolicy) -> tuple[list[Reminder], int]:
    """Reminders not yet sent nor in another run's hands; and how many were left out."""
    rows = logged(reminders)
    open_ = [r for r in reminders if r.key not in rows or _is_claimable(rows[r.key], policy)]
    return open_, len(reminders) - len(open_)


def claim(
    reminder: Reminder, token: str, now: datetime, policy: ClaimPolicy
) -> NotificationLog | None:
    """Claim ``reminder`` for the run ``token``; None when another run has it or it is done."""
    key_filter = and_(
        NotificationLog.kind == reminder.kind,
        NotificationLog.user_id == reminder.user.id,
        NotificationLog.object_type == reminder.object_type,
        NotificationLog.object_id == reminder.object_id,
        NotificationLog.occasion == reminder.occasion,
    )
    values = {
        "recipient": reminder.user.email.strip()[:200],
        "subject": reminder.subject[:300],
        "claim_token": token,
        "claimed_at": now,
    }
    row_id = db.session.scalar(select(NotificationLog.id).where(key_filter))
    if row_id is None:
        entry = NotificationLog(
            kind=reminder.kind,
            user_id=reminder.user.id,
            object_type=reminder.object_type,
            object_id=reminder.object_id,
            occasion=reminder.occasion,
            status=STATUS.CLAIMED,
            created_at=now,
            **values,
        )
        db.session.add(entry)
        try:
            db.session.commit()
        except IntegrityError:
            # Another run inserted the same key first (unique constraint): it is theirs.
            db.session.rollback()
            return None
        return entry
    result = db.session.execute(
        update(NotificationLog)
        .where(NotificationLog.id == row_id, _claimable(policy))
        .values(status=STATUS.CLAIMED, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if affected_rows(result) != 1:
        return None
    return db.session.get(NotificationLog, row_id)


def _record(entry: NotificationLog, token: str, **values: object) -> None:
    db.session.execute(
        update(NotificationLog)
        .where(NotificationLog.id == entry.id, NotificationLog.claim_token == token)
        .values(attempts=NotificationLog.attempts + 1, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def record_sent(entry: NotificationLog, token: str, now: datetime) -> None:
    """The server accepted the mail: never send this reminder again."""
    _record(entry, token, status=STATUS.SENT, sent_at=now, last_error="")


def record_failed(entry: NotificationLog, token: str, error: str) -> None:
    """Sending failed: a later run tries again (up to the maximum of attempts)."""
    _record(entry, token, status=STATUS.FAILED, last_error=error[:MAX_ERROR_LENGTH])
