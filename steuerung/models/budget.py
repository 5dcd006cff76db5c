"""Budget lines (Haushaltsstellen), approved amounts, VE and the measures' cost plans."""

from __future__ import annotations

import enum
from datetime import datetime
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

from steuerung.models.base import Base, enum_type, utcnow

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
    #: Konsumtiv lines declared transferable (übertragbar) in the budget: their unused
    #: authorization may be carried into the next year. Investive lines always may.
    transferable: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Last change of the line, its amounts, VE or ring membership.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
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
        CheckConstraint("base_load >= 0", name="base_load_not_negative"),
        CheckConstraint(YEAR_CHECK, name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_line_id: Mapped[int] = mapped_column(
        ForeignKey("budget_lines.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    approved_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    #: Part of the amount bound by running operations (licences, maintenance of today's
    #: systems): not available for new measures ("gebunden für laufenden Betrieb").
    base_load: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))

    budget_line: Mapped[BudgetLine] = relationship(back_populates="amounts")


class CommitmentAuthorization(Base):
    """Verpflichtungsermächtigung: granted in one year, falling due in a later one.

    A VE binds part of the Planung of the year it falls due. It may name the measure it
    serves. VE are never deleted, only archived (``archived_at``), so the trail stays.
    """

    __tablename__ = "commitment_authorizations"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(f"granted_year BETWEEN {MIN_YEAR} AND {MAX_YEAR}", name="granted_range"),
        CheckConstraint(
            "due_year > granted_year AND due_year <= granted_year + 10", name="due_after_granted"
        ),
        Index("ix_commitment_authorizations_line_due", "budget_line_id", "due_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_line_id: Mapped[int] = mapped_column(
        ForeignKey("budget_lines.id", ondelete="CASCADE"), index=True
    )
    granted_year: Mapped[int] = mapped_column(Integer)
    due_year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    #: The measure the VE serves (e.g. the contract of an investment), if any.
    measure_id: Mapped[int | None] = mapped_column(
        ForeignKey("measures.id", ondelete="SET NULL"), index=True, default=None
    )
    #: What the VE is for, in the treasury's words.
    purpose: Mapped[str] = mapped_column(String(200), default="")
    #: Set when the VE no longer applies; archived VE count nowhere but stay readable.
    archived_at: Mapped[datetime | None] = mapped_column(default=None)

    budget_line: Mapped[BudgetLine] = relationship(back_populates="commitments")
    measure: Mapped[Measure | None] = relationship()


class CoverageRing(Base):
    """A Deckungsring: budget lines of one budget part declared mutually coverable for a year.

    Inside a ring the lines' available money and needs are summed before comparing; a
    surplus on one member covers a gap on another. Outside rings every line stands alone.
    """

    __tablename__ = "coverage_rings"
    __table_args__ = (
        UniqueConstraint("year", "name", name="uq_coverage_rings_year_name"),
        CheckConstraint(YEAR_CHECK, name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    #: The budget year the ring is declared for.
    year: Mapped[int] = mapped_column(Integer)
    #: The budget part (Ergebnishaushalt or Finanzhaushalt) of every member line.
    kind: Mapped[BudgetKind] = mapped_column(enum_type(BudgetKind, "coverage_ring_kind"))
    note: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}

    members: Mapped[list[CoverageRingMember]] = relationship(
        back_populates="ring", cascade="all, delete-orphan", order_by="CoverageRingMember.id"
    )


class CoverageRingMember(Base):
    """A budget line in a Deckungsring; a line is in at most one ring per year."""

    __tablename__ = "coverage_ring_members"
    __table_args__ = (
        UniqueConstraint("budget_line_id", "year", name="uq_coverage_ring_members_line_year"),
        CheckConstraint(YEAR_CHECK, name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ring_id: Mapped[int] = mapped_column(
        ForeignKey("coverage_rings.id", ondelete="CASCADE"), index=True
    )
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), index=True)
    #: The ring's year, repeated so the database keeps a line in one ring per year.
    year: Mapped[int] = mapped_column(Integer)

    ring: Mapped[CoverageRing] = relationship(back_populates="members")
    budget_line: Mapped[BudgetLine] = relationship()


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
    funding_source: Mapped[FundingSource] = mapped_column(
        enum_type(FundingSource, "funding_source"), default=FundingSource.OWN
    )
    #: Name of the grant programme when funded by Fördermittel / Drittmittel.
    funding_programme: Mapped[str] = mapped_column(String(200), default="")
    #: Share in percent of ``amount`` covered by the external funding (0 for own funds);
    #: the expected income of the year is ``amount * funding_share / 100``.
    funding_share: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    #: True for running costs after go-live (Folgekosten).
    is_running_cost: Mapped[bool] = mapped_column(Boolean, default=False)

    measure: Mapped[Measure] = relationship(back_populates="cost_plan")
    budget_line: Mapped[BudgetLine] = relationship()

    @property
    def kind(self) -> BudgetKind:
        """Konsumtiv or investiv: always the budget line's (no free choice)."""
        return self.budget_line.kind

    @property
    def grant(self) -> Decimal:
        """Expected grant or third-party income for this row (amount x share)."""
        if self.funding_source == FundingSource.OWN:
            return Decimal("0.00")
        return (self.amount * self.funding_share / 100).quantize(Decimal("0.01"))

    @property
    def own_share(self) -> Decimal:
        """Eigenanteil: what the Kommune pays itself."""
        return self.amount - self.grant
