"""The notification log: one row per e-mail reminder, so that none is sent twice.

A row is written (claimed) before its mail goes out and marked sent in the same transaction
that records the successful send. The unique key (kind, user, object, occasion) stops a
second run, even a concurrent one, from sending the same reminder again.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steuerung.models.base import Base, enum_type, utcnow

if TYPE_CHECKING:
    from steuerung.models.organisation import User


class NotificationStatus(enum.StrEnum):
    """Where a reminder stands: claimed by a run, sent, or failed (to be retried)."""

    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"

    @property
    def label(self) -> str:
        """German name of the status."""
        return NOTIFICATION_STATUS_LABELS[self]


NOTIFICATION_STATUS_LABELS = {
    NotificationStatus.CLAIMED: "wird gesendet",
    NotificationStatus.SENT: "gesendet",
    NotificationStatus.FAILED: "fehlgeschlagen",
}


class NotificationLog(Base):
    """One reminder (or digest) to one user about one object on one occasion."""

    __tablename__ = "notification_log"
    __table_args__ = (
        UniqueConstraint(
            "kind",
            "user_id",
            "object_type",
            "object_id",
            "occasion",
            name="uq_notification_log_key",
        ),
        Index("ix_notification_log_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Code of the reminder kind (``services.notifications.rules``); a plain string, so a new
    #: kind needs no migration.
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: What the reminder is about, e.g. "measure" / 42; "office" / 0 for the weekly digest.
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    #: Which occurrence, e.g. the report cycle, the status change id or the ISO week.
    occasion: Mapped[str] = mapped_column(String(80))
    status: Mapped[NotificationStatus] = mapped_column(
        enum_type(NotificationStatus, "notification_status"), default=NotificationStatus.CLAIMED
    )
    recipient: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    #: Send attempts so far (a failed reminder is retried up to NOTIFY_MAX_ATTEMPTS).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Random token of the run that holds the claim; only that run may record the result.
    claim_token: Mapped[str] = mapped_column(String(32), default="")
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<NotificationLog {self.kind} user={self.user_id} {self.status}>"
