"""Budget planning stages: frozen plan versions from the departments' Anmeldung to the Nachtrag.

A budget year's plan runs through stages (Anmeldung -> Entwurf -> Eckwerte -> Beschluss ->
Nachtrag 1, 2, ...). Each stage is a :class:`PlanVersion` holding one :class:`PlanLine` per
budget line (or proposed line) with an amount per year of the horizon and the reason of the
stage; once frozen, a version never changes. The rules live in ``services.planning``.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steuerung.models.base import Base, enum_type, utcnow
from steuerung.models.budget import MAX_YEAR, MIN_YEAR, YEAR_CHECK, BudgetKind

if TYPE_CHECKING:
    from steuerung.models.budget import BudgetLine
    from steuerung.models.organisation import Department, User


class PlanStage(enum.StrEnum):
    """The stages of the yearly budget cycle (DOMAIN.md), in their order."""

    REGISTRATION = "registration"
    DRAFT = "draft"
    KEY_FIGURES = "key_figures"
    ADOPTED = "adopted"
    SUPPLEMENT = "supplement"

    @property
    def label(self) -> str:
        """German name of the stage."""
        return PLAN_STAGE_LABELS[self]


PLAN_STAGE_LABELS = {
    PlanStage.REGISTRATION: "Anmeldung",
    PlanStage.DRAFT: "Entwurf",
    PlanStage.KEY_FIGURES: "Eckwerte",
    PlanStage.ADOPTED: "Beschluss",
    PlanStage.SUPPLEMENT: "Nachtrag",
}


class PlanVersionStatus(enum.StrEnum):
    """Open while the stage is worked on; frozen for good afterwards."""

    OPEN = "open"
    FROZEN = "frozen"

    @property
    def label(self) -> str:
        """German name."""
        return {"open": "in Bearbeitung", "frozen": "festgeschrieben"}[self.value]


class PlanVersion(Base):
    """One stage of a budget year's plan (a version of the figures)."""

    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("budget_year", "position", name="uq_plan_versions_year_position"),
        CheckConstraint(f"budget_year BETWEEN {MIN_YEAR} AND {MAX_YEAR}", name="budget_year_range"),
        CheckConstraint("position >= 1", name="position_positive"),
        CheckConstraint("supplement_no >= 0", name="supplement_no_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The Haushaltsjahr planned; the version's years are it and the three planning years.
    budget_year: Mapped[int] = mapped_column(Integer, index=True)
    stage: Mapped[PlanStage] = mapped_column(enum_type(PlanStage, "plan_stage"))
    #: Place in the year's chain (1 = Anmeldung); unique, so two "next stage" clicks at the
    #: same time cannot both create one.
    position: Mapped[int] = mapped_column(Integer)
    #: Number of the Nachtrag (1, 2, ...); 0 for the other stages.
    supplement_no: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[PlanVersionStatus] = mapped_column(
        enum_type(PlanVersionStatus, "plan_version_status"), default=PlanVersionStatus.OPEN
    )
    #: The frozen version this one was derived from (None for the Anmeldung).
    based_on_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_versions.id"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    frozen_at: Mapped[datetime | None] = mapped_column(default=None)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    #: Council decision (Beschluss, Nachtrag): date and Drucksache reference.
    decision_date: Mapped[date | None] = mapped_column(default=None)
    decision_reference: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}

    based_on: Mapped[PlanVersion | None] = relationship(remote_side=[id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    frozen_by: Mapped[User | None] = relationship(foreign_keys=[frozen_by_id])
    lines: Mapped[list[PlanLine]] = relationship(
        back_populates="plan_version", cascade="all, delete-orphan", order_by="PlanLine.id"
    )
    key_figures: Mapped[list[PlanKeyFigure]] = relationship(
        back_populates="plan_version", cascade="all, delete-orphan", order_by="PlanKeyFigure.id"
    )
    department_states: Mapped[list[PlanDepartmentState]] = relationship(
        back_populates="plan_version", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<PlanVersion {self.label}>"

    @property
    def stage_label(self) -> str:
        """``Anmeldung`` or ``Nachtrag 2``."""
        if self.stage == PlanStage.SUPPLEMENT:
            return f"{self.stage.label} {self.supplement_no}"
        return self.stage.label

    @property
    def label(self) -> str:
        """``Anmeldung 2027``, ``Nachtrag 1 2027``."""
        return f"{self.stage_label} {self.budget_year}"

    @property
    def years(self) -> list[int]:
        """The budget year and the three planning years."""
        from steuerung.models.settings import PLANNING_YEARS

        return [self.budget_year + i for i in range(PLANNING_YEARS + 1)]

    @property
    def is_frozen(self) -> bool:
        """True once the stage is written down for good."""
        return self.status == PlanVersionStatus.FROZEN


class PlanLine(Base):
    """A budget line (or a proposed line) in a plan version, with its reason."""

    __tablename__ = "plan_lines"
    __table_args__ = (UniqueConstraint("plan_version_id", "key", name="uq_plan_lines_version_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(
        ForeignKey("plan_versions.id", ondelete="CASCADE"), index=True
    )
    #: Identity of the line across the versions of a year ("L<line id>" or "P<n>" for a
    #: proposal): copied into every derived version, kept when a proposal gets its real line.
    key: Mapped[str] = mapped_column(String(40))
    #: The Teilhaushalt: the budget line's department (a proposal's: the proposing one).
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    #: The budget line; None while it is a proposal ("Haushaltsstelle noch anzulegen").
    budget_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("budget_lines.id"), default=None, index=True
    )
    kind: Mapped[BudgetKind] = mapped_column(enum_type(BudgetKind, "plan_line_kind"))
    #: The key and name proposed for a line still to be created.
    proposed_product: Mapped[str] = mapped_column(String(30), default="")
    proposed_cost_center: Mapped[str] = mapped_column(String(30), default="")
    proposed_account: Mapped[str] = mapped_column(String(30), default="")
    proposed_investment_number: Mapped[str] = mapped_column(String(30), default="")
    proposed_name: Mapped[str] = mapped_column(String(200), default="")
    #: Why the amounts are what they are in this stage (need, cut, increase).
    reason: Mapped[str] = mapped_column(Text, default="")
    #: How the amounts derived from the cost plans came about (Anmeldung; written by the app).
    derivation: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}

    plan_version: Mapped[PlanVersion] = relationship(back_populates="lines")
    department: Mapped[Department] = relationship()
    budget_line: Mapped[BudgetLine | None] = relationship()
    amounts: Mapped[list[PlanAmount]] = relationship(
        back_populates="plan_line", cascade="all, delete-orphan", order_by="PlanAmount.year"
    )

    @property
    def is_proposal(self) -> bool:
        """True while the budget line is still to be created."""
        return self.budget_line_id is None

    @property
    def proposed_label(self) -> str:
        """The proposed key as the treasury writes it."""
        parts = [
            self.proposed_product,
            self.proposed_cost_center,
            self.proposed_account,
            self.proposed_investment_number,
        ]
        return " / ".join(p for p in parts if p)

    def amount_of(self, year: int) -> Decimal:
        """The amount of ``year`` (0 without a row)."""
        for row in self.amounts:
            if row.year == year:
                return row.amount
        return Decimal("0.00")


class PlanAmount(Base):
    """The amount of a plan line in one year."""

    __tablename__ = "plan_amounts"
    __table_args__ = (
        UniqueConstraint("plan_line_id", "year", name="uq_plan_amounts_line_year"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(YEAR_CHECK, name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_line_id: Mapped[int] = mapped_column(
        ForeignKey("plan_lines.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    #: Anmeldung: the amount derived from the cost plans (None where nothing was derived).
    derived_amount: Mapped[Decimal | None] = mapped_column(default=None)

    plan_line: Mapped[PlanLine] = relationship(back_populates="amounts")


class PlanKeyFigure(Base):
    """An Eckwert: the ceiling of a department (Teilhaushalt) or a budget part in one year."""

    __tablename__ = "plan_key_figures"
    __table_args__ = (
        CheckConstraint(
            "(department_id IS NULL AND kind IS NOT NULL) "
            "OR (department_id IS NOT NULL AND kind IS NULL)",
            name="one_scope",
        ),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(YEAR_CHECK, name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(
        ForeignKey("plan_versions.id", ondelete="CASCADE"), index=True
    )
    #: Either a department (Teilhaushalt) ...
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    #: ... or a budget part (konsumtiv / investiv).
    kind: Mapped[BudgetKind | None] = mapped_column(
        enum_type(BudgetKind, "plan_key_figure_kind"), default=None
    )
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))

    plan_version: Mapped[PlanVersion] = relationship(back_populates="key_figures")
    department: Mapped[Department | None] = relationship()


class PlanDepartmentState(Base):
    """A department has handed in its Anmeldung (its lines are then closed to it)."""

    __tablename__ = "plan_department_states"
    __table_args__ = (
        UniqueConstraint(
            "plan_version_id", "department_id", name="uq_plan_department_states_version_dept"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(
        ForeignKey("plan_versions.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    plan_version: Mapped[PlanVersion] = relationship(back_populates="department_states")
    department: Mapped[Department] = relationship()
    submitted_by: Mapped[User | None] = relationship()
