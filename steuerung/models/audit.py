"""Audit log of every change to audited records, and change requests after approval."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steuerung.models.base import Base, enum_type, utcnow

if TYPE_CHECKING:
    from steuerung.models.measure import Measure
    from steuerung.models.organisation import User


class AuditEntry(Base):
    """Who changed what, when, with the values before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    #: Table name of the changed record, e.g. "measures" or "cost_plan_entries".
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[int] = mapped_column(Integer)
    #: The measure the change belongs to, so its history tab is one indexed query.
    measure_id: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    #: "create", "update" or "delete".
    action: Mapped[str] = mapped_column(String(10))
    #: {field: [before, after]} with JSON-safe values.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()


class ChangeRequestStatus(enum.StrEnum):
    """Open until the coordinating office accepts or declines it."""

    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ChangeRequest(Base):
    """A department's request to change an approved measure's cost plan or dates."""

    __tablename__ = "change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        ForeignKey("measures.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    #: The proposed change, e.g. {"cost_plan": [...]} in the service's own format.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[ChangeRequestStatus] = mapped_column(
        enum_type(ChangeRequestStatus, "change_request_status"), default=ChangeRequestStatus.OPEN
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_note: Mapped[str] = mapped_column(Text, default="")

    measure: Mapped[Measure] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
