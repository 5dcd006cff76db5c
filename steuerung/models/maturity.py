"""Potenzialcheck: maturity self-assessment by topic field, repeated over time."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steuerung.models.base import Base, utcnow

if TYPE_CHECKING:
    from steuerung.models.organisation import User

#: Rating scale of a statement: 1 = trifft nicht zu ... 4 = trifft voll zu.
RATING_LABELS = {
    1: "trifft nicht zu",
    2: "trifft eher nicht zu",
    3: "trifft eher zu",
    4: "trifft voll zu",
}


class MaturityTopic(Base):
    """A Themenfeld of the self-check, e.g. "Führung und Strategie"."""

    __tablename__ = "maturity_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Why the field matters, in a few sentences.
    summary: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    statements: Mapped[list[MaturityStatement]] = relationship(
        back_populates="topic", order_by="MaturityStatement.position"
    )


class MaturityStatement(Base):
    """A statement the Kommune rates itself on, with reasons and first steps."""

    __tablename__ = "maturity_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("maturity_topics.id"), index=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    text: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text, default="")
    #: Suggested first steps, one per line.
    first_steps: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    topic: Mapped[MaturityTopic] = relationship(back_populates="statements")

    @property
    def first_step_list(self) -> list[str]:
        """The first steps as a list."""
        return [line.strip() for line in self.first_steps.splitlines() if line.strip()]


class MaturityAssessment(Base):
    """One run of the self-check at a date."""

    __tablename__ = "maturity_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    assessed_on: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()
    ratings: Mapped[list[MaturityRating]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )


class MaturityRating(Base):
    """The value (1-4) given to one statement in one assessment."""

    __tablename__ = "maturity_ratings"
    __table_args__ = (
        UniqueConstraint("assessment_id", "statement_id", name="uq_maturity_ratings_pair"),
        CheckConstraint("value BETWEEN 1 AND 4", name="value_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("maturity_assessments.id", ondelete="CASCADE"), index=True
    )
    statement_id: Mapped[int] = mapped_column(ForeignKey("maturity_statements.id"), index=True)
    value: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")

    assessment: Mapped[MaturityAssessment] = relationship(back_populates="ratings")
    statement: Mapped[MaturityStatement] = relationship()
