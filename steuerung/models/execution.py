"""Budget execution (Haushaltsvollzug): actuals from the finance software and carry-forwards.

* :class:`ActualsProfile` describes once how the finance software's export is laid out
  (which column holds the line key, year, Ist, Obligo, the measure's order key).
* :class:`ActualsSnapshot` is one import: the state of Ist and Obligo of one year at a date
  (Stichtag). The latest snapshot of a year counts; older ones stay readable.
* :class:`ActualRow` holds the snapshot's figures per budget line (and measure, if known).
* :class:`CarryForward` is the decision to carry an unused authorization of one year into
  the next (Ermächtigungsübertragung / Haushaltsrest); it never changes the new Ansatz.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steuerung.models.base import Base, enum_type, utcnow
from steuerung.models.budget import MAX_YEAR, MIN_YEAR, YEAR_CHECK

if TYPE_CHECKING:
    from steuerung.models.budget import BudgetLine
    from steuerung.models.organisation import User


class ActualsFileType(enum.StrEnum):
    """The kind of file a profile reads."""

    XLSX = "xlsx"
    CSV = "csv"

    @property
    def label(self) -> str:
        """German name."""
        return {ActualsFileType.XLSX: "Excel (XLSX)", ActualsFileType.CSV: "CSV"}[self]


class DecimalStyle(enum.StrEnum):
    """How the export writes amounts given as text (number cells are read as they are)."""

    GERMAN = "german"
    ENGLISH = "english"

    @property
    def label(self) -> str:
        """German name with an example."""
        return {
            DecimalStyle.GERMAN: "deutsch (1.234,56)",
            DecimalStyle.ENGLISH: "englisch (1,234.56)",
        }[self]


class LineKeyMode(enum.StrEnum):
    """Whether the budget line is given in separate columns or in one combined column."""

    COLUMNS = "columns"
    COMBINED = "combined"

    @property
    def label(self) -> str:
        """German name."""
        return {
            LineKeyMode.COLUMNS: "getrennte Spalten (Produkt, Kostenstelle, Sachkonto, "
            "Investitionsnummer)",
            LineKeyMode.COMBINED: "eine Spalte mit der ganzen Haushaltsstelle",
        }[self]


class ActualsProfile(Base):
    """How one finance software's export is read: saved once, used for every monthly import.

    Columns are named by the text of their header cell (as the export writes it); an empty
    name means the export has no such column.
    """

    __tablename__ = "actuals_profiles"
    __table_args__ = (
        UniqueConstraint("name", name="uq_actuals_profiles_name"),
        CheckConstraint("header_row BETWEEN 1 AND 50", name="header_row_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    file_type: Mapped[ActualsFileType] = mapped_column(
        enum_type(ActualsFileType, "actuals_file_type")
    )
    #: Worksheet of an XLSX file; empty: the first one.
    sheet_name: Mapped[str] = mapped_column(String(100), default="")
    #: Row (1-based, as the spreadsheet shows it) holding the column names; rows above it
    #: (title block of the report) are ignored.
    header_row: Mapped[int] = mapped_column(Integer, default=1)
    key_mode: Mapped[LineKeyMode] = mapped_column(
        enum_type(LineKeyMode, "actuals_key_mode"), default=LineKeyMode.COLUMNS
    )
    #: Combined key: the characters between Produkt, Kostenstelle, Sachkonto and
    #: Investitionsnummer, e.g. "/" for "1.1.1.05/11050/54310000".
    key_separator: Mapped[str] = mapped_column(String(5), default="/")
    col_product: Mapped[str] = mapped_column(String(100), default="")
    col_cost_center: Mapped[str] = mapped_column(String(100), default="")
    col_account: Mapped[str] = mapped_column(String(100), default="")
    col_investment_number: Mapped[str] = mapped_column(String(100), default="")
    #: Combined key column (``key_mode`` combined).
    col_line_key: Mapped[str] = mapped_column(String(100), default="")
    #: Budget year of the row; empty: the year is chosen at upload.
    col_year: Mapped[str] = mapped_column(String(100), default="")
    col_ist: Mapped[str] = mapped_column(String(100), default="")
    #: Obligo (open orders and contracts); empty: the export has none (counted as 0).
    col_obligo: Mapped[str] = mapped_column(String(100), default="")
    #: Order / cost-object key (Auftrag, Kostenträger, PSP-Element) that names the measure.
    col_measure_key: Mapped[str] = mapped_column(String(100), default="")
    decimal_style: Mapped[DecimalStyle] = mapped_column(
        enum_type(DecimalStyle, "actuals_decimal_style"), default=DecimalStyle.GERMAN
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}


class ActualsSnapshot(Base):
    """One import of Ist and Obligo for one budget year, at a Stichtag.

    The figures of a year are those of its latest snapshot (latest ``as_of``, then the
    latest import); earlier snapshots stay readable and show how the money flowed out.
    """

    __tablename__ = "actuals_snapshots"
    __table_args__ = (
        CheckConstraint(YEAR_CHECK, name="year_range"),
        CheckConstraint("row_count >= 0", name="row_count_not_negative"),
        Index("ix_actuals_snapshots_year_as_of", "year", "as_of"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The budget year the figures belong to.
    year: Mapped[int] = mapped_column(Integer)
    #: Stichtag: the date the finance software's figures describe.
    as_of: Mapped[date]
    file_name: Mapped[str] = mapped_column(String(255), default="")
    profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("actuals_profiles.id", ondelete="SET NULL"), default=None
    )
    imported_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Data rows of the file that went into this year's figures.
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Sums over all lines (kept so charts of the year need no scan of the rows).
    total_ist: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    total_obligo: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    #: SHA-256 of the figures (line, measure, Ist, Obligo): the same figures imported again
    #: are recognised and change nothing.
    content_hash: Mapped[str] = mapped_column(String(64), default="")

    profile: Mapped[ActualsProfile | None] = relationship()
    imported_by: Mapped[User | None] = relationship()


class ActualRow(Base):
    """Ist and Obligo of a budget line (and, if the row names one, a measure) in a snapshot.

    Rows of the file with the same line and measure are summed on import. Written in bulk
    and never changed: the snapshot itself is the record (it is audited).
    """

    __tablename__ = "actual_rows"
    __table_args__ = (
        Index("ix_actual_rows_snapshot_line", "snapshot_id", "budget_line_id"),
        Index("ix_actual_rows_snapshot_measure", "snapshot_id", "measure_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("actuals_snapshots.id", ondelete="CASCADE"))
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), index=True)
    measure_id: Mapped[int | None] = mapped_column(
        ForeignKey("measures.id", ondelete="SET NULL"), index=True, default=None
    )
    #: Ist: paid (Auszahlungen / Aufwendungen booked) up to the Stichtag.
    ist: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    #: Obligo: committed by orders and contracts, not yet paid.
    obligo: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))


class CarryForward(Base):
    """Decision to carry an unused authorization of a line from one year into the next.

    The amount appears in the new year as "Übertragene Ermächtigungen", beside the Ansatz and
    never added into it. At most one decision per line and year; a changed decision keeps
    its trail in the audit log (versioned: a stale form is refused).
    """

    __tablename__ = "carry_forwards"
    __table_args__ = (
        UniqueConstraint("budget_line_id", "from_year", name="uq_carry_forwards_line_from_year"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("to_year = from_year + 1", name="to_next_year"),
        CheckConstraint(f"from_year BETWEEN {MIN_YEAR} AND {MAX_YEAR}", name="from_year_range"),
        Index("ix_carry_forwards_to_year", "to_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), index=True)
    #: The year whose unused authorization is carried.
    from_year: Mapped[int] = mapped_column(Integer)
    #: The year it is available in (always the next one).
    to_year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}

    budget_line: Mapped[BudgetLine] = relationship()
    decided_by: Mapped[User | None] = relationship()
