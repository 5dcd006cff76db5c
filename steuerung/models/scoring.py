"""Prioritization: configurable criteria, scores per measure, saved budget scenarios."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steuerung.models.base import Base, enum_type, utcnow

if TYPE_CHECKING:
    from steuerung.models.measure import Measure
    from steuerung.models.organisation import User


class CriterionKind(enum.StrEnum):
    """A gate (must-criterion, yes/no) or a weighted criterion on a 0-5 scale."""

    GATE = "gate"
    WEIGHTED = "weighted"


class ScoringCriterion(Base):
    """A criterion the coordinating office scores measures against."""

    __tablename__ = "scoring_criteria"
    __table_args__ = (
        CheckConstraint("weight >= 0 AND weight <= 100", name="weight_range"),
        UniqueConstraint("name", name="uq_scoring_criteria_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[CriterionKind] = mapped_column(
        enum_type(CriterionKind, "criterion_kind"), default=CriterionKind.WEIGHTED
    )
    #: Weight in percent for weighted criteria; weights of active criteria add up to 100.
    weight: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    #: For gates: the measure flag it reads ("legal_obligation", "operation_critical", ...).
    gate_field: Mapped[str | None] = mapped_column(String(40), default=None)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Score(Base):
    """The value (0-5) a measure got on one criterion."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("measure_id", "criterion_id", name="uq_scores_measure_criterion"),
        CheckConstraint("value BETWEEN 0 AND 5", name="value_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        ForeignKey("measures.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int] = mapped_column(ForeignKey("scoring_criteria.id"), index=True)
    value: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    scored_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scored_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    measure: Mapped[Measure] = relationship()
    criterion: Mapped[ScoringCriterion] = relationship()
    scored_by: Mapped[User | None] = relationship()


class BudgetScenario(Base):
    """A saved budget cut-off scenario: year, available amount and the result at saving time."""

    __tablename__ = "budget_scenarios"
    __table_args__ = (
        CheckConstraint("available_amount >= 0", name="available_not_negative"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    year: Mapped[int] = mapped_column(Integer)
    available_amount: Mapped[Decimal] = mapped_column()
    include_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    #: JSON snapshot of the result (measure ids above / below the line, sums).
    result_json: Mapped[str] = mapped_column(Text, default="{}")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()
