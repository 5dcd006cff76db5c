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
    """A saved cut-off scenario: its parameters and the result at saving time (JSON)."""

    __tablename__ = "budget_scenarios"
    __table_args__ = (CheckConstraint("budget_year BETWEEN 2000 AND 2100", name="year_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    #: The budget year (HJ) the scenario was computed for; its horizon is HJ..HJ+3.
    budget_year: Mapped[int] = mapped_column(Integer)
    include_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    #: JSON of the parameters (money per pot if set by hand).
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    #: JSON snapshot of the result (pots per budget part and year, funded and missed measures).
    result_json: Mapped[str] = mapped_column(Text, default="{}")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()
