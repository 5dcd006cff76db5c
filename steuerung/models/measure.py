"""Measures (Maßnahmen) with goal links, milestones, status history, reports and key figures."""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    case,
    false,
    literal,
    or_,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steuerung.models.base import Base, enum_type, utcnow

if TYPE_CHECKING:
    from steuerung.models.agenda import Goal
    from steuerung.models.budget import CostPlanEntry
    from steuerung.models.organisation import Department, User


class MeasureStatus(enum.StrEnum):
    """Lifecycle states of DOMAIN.md."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    RETURNED = "returned"
    APPROVED = "approved"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DEFERRED = "deferred"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """German name of the state."""
        return STATUS_LABELS[self]


STATUS_LABELS = {
    MeasureStatus.DRAFT: "Entwurf",
    MeasureStatus.SUBMITTED: "Eingereicht",
    MeasureStatus.UNDER_REVIEW: "In Prüfung",
    MeasureStatus.RETURNED: "Rückfrage",
    MeasureStatus.APPROVED: "Freigegeben",
    MeasureStatus.IN_PROGRESS: "In Umsetzung",
    MeasureStatus.COMPLETED: "Abgeschlossen",
    MeasureStatus.DEFERRED: "Zurückgestellt",
    MeasureStatus.REJECTED: "Abgelehnt",
    MeasureStatus.CANCELLED: "Abgebrochen",
}


def measure_reference(measure_id: int) -> str:
    """The human-readable id of a measure, e.g. ``M-0042`` (the one place of that format)."""
    return f"M-{measure_id:04d}"


_REFERENCE = re.compile(r"^\s*(?:M\s*-?\s*)?0*(\d{1,9})\s*$", re.IGNORECASE)


def parse_measure_reference(text: str) -> int | None:
    """The measure id in ``M-0042``, ``m-42``, ``M0042`` or ``42``; None if it is not one."""
    match = _REFERENCE.match(text or "")
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


class MeasureCategory(enum.StrEnum):
    """Category of a measure; Smart City runs through the same register."""

    DIGITAL_ADMINISTRATION = "digital_administration"
    SMART_CITY = "smart_city"
    SMART_REGION = "smart_region"
    SCHOOL = "school"
    INFRASTRUCTURE = "infrastructure"
    STAFF = "staff"

    @property
    def label(self) -> str:
        """German name of the category."""
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    MeasureCategory.DIGITAL_ADMINISTRATION: "Digitale Verwaltung",
    MeasureCategory.SMART_CITY: "Smart City",
    MeasureCategory.SMART_REGION: "Smart Region",
    MeasureCategory.SCHOOL: "Schule",
    MeasureCategory.INFRASTRUCTURE: "Infrastruktur",
    MeasureCategory.STAFF: "Mitarbeitende",
}


class MeasureKind(enum.StrEnum):
    """Projekt, Maßnahme or Daueraufgabe."""

    PROJECT = "project"
    ACTION = "action"
    PERMANENT_TASK = "permanent_task"

    @property
    def label(self) -> str:
        """German name of the kind."""
        return KIND_LABELS[self]


KIND_LABELS = {
    MeasureKind.PROJECT: "Projekt",
    MeasureKind.ACTION: "Maßnahme",
    MeasureKind.PERMANENT_TASK: "Daueraufgabe",
}


class OzgImplementation(enum.StrEnum):
    """How an OZG service is brought online."""

    ALREADY_DIGITAL = "already_digital"
    REUSE = "reuse"
    OWN = "own"

    @property
    def label(self) -> str:
        """German name."""
        return OZG_IMPLEMENTATION_LABELS[self]


OZG_IMPLEMENTATION_LABELS = {
    OzgImplementation.ALREADY_DIGITAL: "Bereits digital",
    OzgImplementation.REUSE: "Nachnutzung (EfA)",
    OzgImplementation.OWN: "Eigene Umsetzung",
}

OZG_MATURITY_LABELS = {
    0: "0 – offline",
    1: "1 – Information",
    2: "2 – Formularassistent",
    3: "3 – Online-Dienst",
    4: "4 – Online-Transaktion (Once-Only)",
}


class TrafficLight(enum.StrEnum):
    """Ampel of a status report."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    @property
    def label(self) -> str:
        """German name."""
        return TRAFFIC_LIGHT_LABELS[self]


TRAFFIC_LIGHT_LABELS = {
    TrafficLight.GREEN: "Grün",
    TrafficLight.YELLOW: "Gelb",
    TrafficLight.RED: "Rot",
}


measure_goals = Table(
    "measure_goals",
    Base.metadata,
    Column("measure_id", ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
    Column("goal_id", ForeignKey("goals.id"), primary_key=True, index=True),
)

measure_dependencies = Table(
    "measure_dependencies",
    Base.metadata,
    Column("measure_id", ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
    Column("depends_on_id", ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
    CheckConstraint("measure_id <> depends_on_id", name="not_self"),
)


class Measure(Base):
    """A digitalization measure in the central register."""

    __tablename__ = "measures"
    __table_args__ = (
        CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
            name="end_not_before_start",
        ),
        CheckConstraint(
            "ozg_maturity_level IS NULL OR (ozg_maturity_level BETWEEN 0 AND 7)",
            name="ozg_maturity_range",
        ),
        CheckConstraint(
            "running_cost_after_horizon >= 0", name="running_cost_after_horizon_not_negative"
        ),
        CheckConstraint(
            "useful_life_years IS NULL OR (useful_life_years BETWEEN 1 AND 100)",
            name="useful_life_range",
        ),
        CheckConstraint(
            "report_interval_days IS NULL OR report_interval_days BETWEEN 7 AND 366",
            name="report_interval_range",
        ),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
        Index("ix_measures_status_score", "status", "score"),
        # The measure list: newest change first, a page at a time (also within a status).
        Index("ix_measures_updated_at", "updated_at", "id"),
        Index("ix_measures_status_updated_at", "status", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    #: Responsible person (Maßnahmenverantwortliche/r); None means "no owner" and is flagged.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, default=None)
    #: Free-text contact (phone, shared mailbox) in addition to the owner.
    contact: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[MeasureCategory] = mapped_column(
        enum_type(MeasureCategory, "measure_category"), index=True
    )
    kind: Mapped[MeasureKind] = mapped_column(
        enum_type(MeasureKind, "measure_kind"), default=MeasureKind.PROJECT
    )
    status: Mapped[MeasureStatus] = mapped_column(
        enum_type(MeasureStatus, "measure_status"), default=MeasureStatus.DRAFT, index=True
    )
    start_date: Mapped[date | None] = mapped_column(default=None)
    end_date: Mapped[date | None] = mapped_column(default=None)

    #: OZG: LeiKa key of the service (14 digits), if the measure brings a service online.
    ozg_leika_key: Mapped[str | None] = mapped_column(String(20), default=None)
    ozg_service_name: Mapped[str | None] = mapped_column(String(200), default=None)
    #: OZG maturity level reached or targeted (model 1.1: 0-4; newer model up to 7).
    ozg_maturity_level: Mapped[int | None] = mapped_column(Integer, default=None)
    ozg_implementation: Mapped[OzgImplementation | None] = mapped_column(
        enum_type(OzgImplementation, "ozg_implementation"), default=None
    )

    legal_obligation: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_basis: Mapped[str] = mapped_column(String(200), default="")
    legal_deadline: Mapped[date | None] = mapped_column(default=None)
    #: Gate criteria of the prioritization besides the legal obligation.
    operation_critical: Mapped[bool] = mapped_column(Boolean, default=False)
    political_mandate: Mapped[bool] = mapped_column(Boolean, default=False)

    #: Folgekosten per year after the planning horizon (from HJ+4 on), in euros. Running
    #: costs inside the horizon are cost-plan rows flagged ``is_running_cost``.
    running_cost_after_horizon: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    #: Nutzungsdauer in years of what an investive measure builds or buys: its investive
    #: cost is depreciated (AfA) over these years and burdens the Ergebnishaushalt.
    useful_life_years: Mapped[int | None] = mapped_column(Integer, default=None)
    #: Orders placed or contracts signed: the measure stays above the line in scenarios.
    contractually_bound: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Order or cost-object key of the finance software (Auftrag, Kostenträger, PSP-Element),
    #: entered by the treasury: actuals rows carrying it belong to this measure.
    order_key: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)

    #: Weighted score 0-100 written by the scoring service (None = not scored yet).
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2), default=None)
    #: A/B/C class derived from the score and the gates.
    priority_class: Mapped[str | None] = mapped_column(String(1), default=None)
    #: Manual rank set by the coordinating office, with its reason.
    rank_override: Mapped[int | None] = mapped_column(Integer, default=None)
    rank_override_reason: Mapped[str] = mapped_column(Text, default="")

    #: Days between status reports; None = the Kommune's default from settings.
    report_interval_days: Mapped[int | None] = mapped_column(Integer, default=None)
    #: Date the last status report was given (denormalised for the overdue check).
    last_report_on: Mapped[date | None] = mapped_column(default=None)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Optimistic locking: incremented on every update, compared on save.
    version_id: Mapped[int] = mapped_column(Integer, default=1)
    #: Token of the form instance that created the measure: a second post of the same form
    #: (Back + save, double click) finds this measure instead of creating another one.
    creation_token: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)

    #: Published on the public transparency page (opt-in by the coordinating office); only
    #: approved, running and completed measures appear there (services/transparency/rules.py).
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Whether the public page may name the owner (default: no person is named).
    public_show_owner: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Short description for the public; the internal ``description`` is never published.
    public_description: Mapped[str] = mapped_column(Text, default="")

    __mapper_args__ = {"version_id_col": version_id}

    department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    goals: Mapped[list[Goal]] = relationship(secondary=measure_goals, order_by="Goal.code")
    depends_on: Mapped[list[Measure]] = relationship(
        secondary=measure_dependencies,
        primaryjoin=lambda: Measure.id == measure_dependencies.c.measure_id,
        secondaryjoin=lambda: Measure.id == measure_dependencies.c.depends_on_id,
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="measure", order_by="Milestone.due_date", cascade="all, delete-orphan"
    )
    status_changes: Mapped[list[StatusChange]] = relationship(
        back_populates="measure", order_by="StatusChange.changed_at", cascade="all, delete-orphan"
    )
    status_reports: Mapped[list[StatusReport]] = relationship(
        back_populates="measure",
        order_by="StatusReport.reported_on.desc()",
        cascade="all, delete-orphan",
    )
    key_figures: Mapped[list[KeyFigure]] = relationship(
        back_populates="measure", cascade="all, delete-orphan"
    )
    cost_plan: Mapped[list[CostPlanEntry]] = relationship(
        back_populates="measure", cascade="all, delete-orphan"
    )
    comments: Mapped[list[MeasureComment]] = relationship(
        back_populates="measure", order_by="MeasureComment.created_at", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Measure {self.id} {self.title!r}>"

    @property
    def reference(self) -> str:
        """Human-readable id shown in the UI, exports and the API, e.g. ``M-0042``."""
        return measure_reference(self.id)


class Milestone(Base):
    """A dated milestone of a measure; ``done_on`` is set when it is reached."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        ForeignKey("measures.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date]
    done_on: Mapped[date | None] = mapped_column(default=None)

    measure: Mapped[Measure] = relationship(back_populates="milestones")


class StatusChange(Base):
    """One lifecycle transition: who, when, from, to and why."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        ForeignKey("measures.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[MeasureStatus | None] = mapped_column(
        enum_type(MeasureStatus, "status_change_from"), default=None
    )
    to_status: Mapped[MeasureStatus] = mapped_column(enum_type(MeasureStatus, "status_change_to"))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")

    measure: Mapped[Measure] = relationship(back_populates="status_changes")
    changed_by: Mapped[User | None] = relationship()


class MeasureComment(Base):
    """A question of the coordinating office or an answer of the department."""

    __tablename__ = "measure_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        ForeignKey("measures.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: "question", "answer" or "note".
    kind: Mapped[str] = mapped_column(String(20), default="note")
    body: Mapped[str] = mapped_column(Text)
    #: For questions: when the department answered.
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)

    measure: Mapped[Measure] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()


class StatusReport(Base):
    """Periodic status report by the owner with three traffic lights."""

    __tablename__ = "status_reports"
    __table_args__ = (CheckConstraint("progress_percent BETWEEN 0 AND 100", name="progress_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        ForeignKey("measures.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The date the report describes (Stichtag).
    reported_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    schedule_light: Mapped[TrafficLight] = mapped_column(enum_type(TrafficLight, "schedule_light"))
    cost_light: Mapped[TrafficLight] = mapped_column(enum_type(TrafficLight, "cost_light"))
    scope_light: Mapped[TrafficLight] = mapped_column(enum_type(TrafficLight, "scope_light"))
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")

    measure: Mapped[Measure] = relationship(back_populates="status_reports")
    author: Mapped[User | None] = relationship()

    @hybrid_property
    def overall_light(self) -> TrafficLight:
        """The worst of the three lights (the rule of every page, export and the API)."""
        lights = {self.schedule_light, self.cost_light, self.scope_light}
        for light in (TrafficLight.RED, TrafficLight.YELLOW):
            if light in lights:
                return light
        return TrafficLight.GREEN

    @overall_light.inplace.expression
    @classmethod
    def _overall_light_sql(cls) -> ColumnElement[str]:
        """SQL form of the same rule: red if any light is red, else yellow if any is."""
        lights = (cls.schedule_light, cls.cost_light, cls.scope_light)
        return case(
            (or_(*(c == TrafficLight.RED for c in lights)), literal(TrafficLight.RED.value)),
            (or_(*(c == TrafficLight.YELLOW for c in lights)), literal(TrafficLight.YELLOW.value)),
            else_=literal(TrafficLight.GREEN.value),
        )


class KeyFigure(Base):
    """A Kennzahl of a measure with baseline and target."""

    __tablename__ = "key_figures"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        ForeignKey("measures.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40), default="")
    baseline: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), default=None)
    target: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), default=None)

    measure: Mapped[Measure] = relationship(back_populates="key_figures")
    values: Mapped[list[KeyFigureValue]] = relationship(
        back_populates="key_figure",
        order_by="KeyFigureValue.measured_on",
        cascade="all, delete-orphan",
    )


class KeyFigureValue(Base):
    """A measured value of a key figure at a date."""

    __tablename__ = "key_figure_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_figure_id: Mapped[int] = mapped_column(
        ForeignKey("key_figures.id", ondelete="CASCADE"), index=True
    )
    measured_on: Mapped[date]
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))

    key_figure: Mapped[KeyFigure] = relationship(back_populates="values")
