"""Grants (Fördermittel) of a measure: application, decision, calls for funds, proof of use."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steuerung.models.base import Base, enum_type, utcnow

if TYPE_CHECKING:
    from steuerung.models.measure import Measure


class GrantStatus(enum.StrEnum):
    """Where a grant stands."""

    PLANNED = "planned"
    APPLIED = "applied"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """German name."""
        return GRANT_STATUS_LABELS[self]


GRANT_STATUS_LABELS = {
    GrantStatus.PLANNED: "in Vorbereitung",
    GrantStatus.APPLIED: "beantragt",
    GrantStatus.APPROVED: "bewilligt",
    GrantStatus.REJECTED: "abgelehnt",
    GrantStatus.WITHDRAWN: "zurückgezogen",
    GrantStatus.CLOSED: "abgeschlossen (Verwendungsnachweis geprüft)",
}


class Grant(Base):
    """One grant of a measure (a measure can have several): from application to proof of use."""

    __tablename__ = "grants"
    __table_args__ = (
        CheckConstraint(
            "approval_to IS NULL OR approval_from IS NULL OR approval_to >= approval_from",
            name="approval_period_order",
        ),
        CheckConstraint("applied_amount IS NULL OR applied_amount >= 0", name="applied_not_neg"),
        CheckConstraint("eligible_cost IS NULL OR eligible_cost >= 0", name="eligible_not_neg"),
        CheckConstraint("grant_amount IS NULL OR grant_amount >= 0", name="grant_not_negative"),
        Index("ix_grants_status_proof_due", "status", "proof_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        ForeignKey("measures.id", ondelete="CASCADE"), index=True
    )
    #: Funding programme, e.g. "DigitalPakt Schule 2.0".
    programme: Mapped[str] = mapped_column(String(200))
    #: Bewilligungsbehörde / Fördergeber.
    funding_body: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[GrantStatus] = mapped_column(
        enum_type(GrantStatus, "grant_status"), default=GrantStatus.PLANNED
    )
    applied_on: Mapped[date | None] = mapped_column(default=None)
    applied_amount: Mapped[Decimal | None] = mapped_column(default=None)
    #: Förderbescheid: date, file number (Aktenzeichen), approval period, eligible cost, grant.
    decision_date: Mapped[date | None] = mapped_column(default=None)
    file_number: Mapped[str] = mapped_column(String(100), default="")
    approval_from: Mapped[date | None] = mapped_column(default=None)
    approval_to: Mapped[date | None] = mapped_column(default=None)
    #: Zuwendungsfähige Ausgaben.
    eligible_cost: Mapped[Decimal | None] = mapped_column(default=None)
    #: Bewilligte Zuwendung.
    grant_amount: Mapped[Decimal | None] = mapped_column(default=None)
    #: Deadline of the Verwendungsnachweis; missing it can mean paying the grant back.
    proof_due_on: Mapped[date | None] = mapped_column(default=None)
    proof_submitted_on: Mapped[date | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}

    measure: Mapped[Measure] = relationship()
    calls: Mapped[list[GrantCall]] = relationship(
        back_populates="grant",
        cascade="all, delete-orphan",
        order_by=lambda: (GrantCall.called_on, GrantCall.id),
    )

    @property
    def called(self) -> Decimal:
        """Sum of the calls for funds."""
        return sum((c.amount for c in self.calls), Decimal("0.00"))

    @property
    def received(self) -> Decimal:
        """Sum of the calls whose money has arrived."""
        return sum((c.amount for c in self.calls if c.received_on), Decimal("0.00"))

    @property
    def not_called(self) -> Decimal | None:
        """Grant not yet called (None before the decision)."""
        if self.grant_amount is None:
            return None
        return self.grant_amount - self.called


class GrantCall(Base):
    """A call for funds (Mittelabruf): requested on a date, received (or not yet)."""

    __tablename__ = "grant_calls"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    called_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column()
    received_on: Mapped[date | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(String(200), default="")

    grant: Mapped[Grant] = relationship(back_populates="calls")
