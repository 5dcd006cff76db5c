"""Budget lines (Haushaltsstellen), approved amounts, VE and the measures' cost plans."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steuerung.models.base import Base, enum_type

if TYPE_CHECKING:
    from steuerung.models.measure import Measure
    from steuerung.models.organisation import Department

#: Years outside this range are never stored (typos such as 20226).
MIN_YEAR = 2000
MAX_YEAR = 2100
YEAR_CHECK = f"year BETWEEN {MIN_YEAR} AND {MAX_YEAR}"


class BudgetKind(enum.StrEnum):
    """Ergebnishaushalt (konsumtiv) or Finanzhaushalt (investiv)."""

    CONSUMPTIVE = "consumptive"
    INVESTIVE = "investive"

    @property
    def label(self) -> str:
        """German name."""
        return BUDGET_KIND_LABELS[self]


BUDGET_KIND_LABELS = {BudgetKind.CONSUMPTIVE: "konsumtiv", BudgetKind.INVESTIVE: "investiv"}


class FundingSource(enum.StrEnum):
    """Where the money comes from."""

    OWN = "own"
    GRANT = "grant"
    THIRD_PARTY = "third_party"

    @property
    def label(self) -> str:
        """German name."""
        return FUNDING_SOURCE_LABELS[self]


FUNDING_SOURCE_LABELS = {
    FundingSource.OWN: "Eigenmittel",
    FundingSource.GRANT: "Fördermittel",
    FundingSource.THIRD_PARTY: "Drittmittel",
}


class BudgetLine(Base):
    """A Haushaltsstelle: Produkt, Kostenstelle, Sachkonto and, if investive, Investitionsnummer."""

    __tablename__ = "budget_lines"
    __table_args__ = (
        UniqueConstraint(
            "product", "cost_center", "account", "investment_number", name="uq_budget_lines_key"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Produkt from the state's product framework, e.g. "1.1.1.01".
    product: Mapped[str] = mapped_column(String(30))
    #: Kostenstelle.
    cost_center: Mapped[str] = mapped_column(String(30))
    #: Sachkonto.
    account: Mapped[str] = mapped_column(String(30))
    #: Investitionsnummer; empty string for consumptive lines (keeps the unique key portable).
    investment_number: Mapped[str] = mapped_column(String(30), default="")
    kind: Mapped[BudgetKind] = mapped_column(enum_type(BudgetKind, "budget_line_kind"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}

    department: Mapped[Department] = relationship()
    amounts: Mapped[list[BudgetAmount]] = relationship(
        back_populates="budget_line", order_by="BudgetAmount.year", cascade="all, delete-orphan"
    )
    commitments: Mapped[list[CommitmentAuthorization]] = relationship(
        back_populates="budget_line", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<BudgetLine {self.label}>"

    @property
    def label(self) -> str:
        """The line's key as the treasury writes it."""
        parts = [self.product, self.cost_center, self.account]
        if self.investment_number:
            parts.append(self.investment_number)
        return " / ".join(parts)


class BudgetAmount(Base):
    """Approved amount of a budget line for one year (Ansatz in the budget year, else Planung)."""

    __tablename__ = "budget_amounts"
    __table_args__ = (
        UniqueConstraint("budget_line_id", "year", name="uq_budget_amounts_line_year"),
        CheckConstraint("approved_amount >= 0", name="approved_not_negative"),
        CheckConstraint(YEAR_CHECK, name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_line_id: Mapped[int] = mapped_column(
        ForeignKey("budget_lines.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    approved_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))

    budget_line: Mapped[BudgetLine] = relationship(back_populates="amounts")


class CommitmentAuthorization(Base):
    """Verpflichtungsermächtigung: granted in one year, falling due in a later one."""

    __tablename__ = "commitment_authorizations"
    __table_args__ = (
        UniqueConstraint(
            "budget_line_id",
            "granted_year",
            "due_year",
            name="uq_commitment_authorizations_line_years",
        ),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(f"granted_year BETWEEN {MIN_YEAR} AND {MAX_YEAR}", name="granted_range"),
        CheckConstraint(
            "due_year > granted_year AND due_year <= granted_year + 10", name="due_after_granted"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_line_id: Mapped[int] = mapped_column(
        ForeignKey("budget_lines.id", ondelete="CASCADE"), index=True
    )
    granted_year: Mapped[int] = mapped_column(Integer)
    due_year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))

    budget_line: Mapped[BudgetLine] = relationship(back_populates="commitments")


class CostPlanEntry(Base):
    """One row of a measure's cost plan: year x budget line x amount x funding."""

    __tablename__ = "cost_plan_entries"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(YEAR_CHECK, name="year_range"),
        CheckConstraint("funding_share BETWEEN 0 AND 100", name="funding_share_range"),
        Index("ix_cost_plan_entries_line_year", "budget_line_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        ForeignKey("measures.id", ondelete="CASCADE"), index=True
    )
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"))
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column()
    #: Usually the budget line's kind; kept per entry as the department states it.
    kind: Mapped[BudgetKind] = mapped_column(enum_type(BudgetKind, "cost_plan_kind"))
    funding_source: Mapped[FundingSource] = mapped_column(
        enum_type(FundingSource, "funding_source"), default=FundingSource.OWN
    )
    #: Name of the grant programme when funded by Fördermittel / Drittmittel.
    funding_programme: Mapped[str] = mapped_column(String(200), default="")
    #: Share in percent of ``amount`` covered by the external funding (0 for own funds).
    funding_share: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    #: True for running costs after go-live (Folgekosten).
    is_running_cost: Mapped[bool] = mapped_column(Boolean, default=False)

    measure: Mapped[Measure] = relationship(back_populates="cost_plan")
    budget_line: Mapped[BudgetLine] = relationship()
