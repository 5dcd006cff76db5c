"""The Digitale Agenda: versions, fields of action (Handlungsfelder) and goals (Ziele)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steuerung.models.base import Base, enum_type, utcnow


class AgendaStatus(enum.StrEnum):
    """A version is drafted, then adopted by the council, then superseded by its revision."""

    DRAFT = "draft"
    ADOPTED = "adopted"
    SUPERSEDED = "superseded"


AGENDA_STATUS_LABELS = {
    AgendaStatus.DRAFT: "Entwurf",
    AgendaStatus.ADOPTED: "Beschlossen",
    AgendaStatus.SUPERSEDED: "Abgelöst",
}


class Agenda(Base):
    """One version of the Digitale Agenda; a revision (Fortschreibung) is a new row."""

    __tablename__ = "agendas"
    __table_args__ = (UniqueConstraint("version_no", name="uq_agendas_version_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    version_no: Mapped[int] = mapped_column(Integer)
    status: Mapped[AgendaStatus] = mapped_column(
        enum_type(AgendaStatus, "agenda_status"), default=AgendaStatus.DRAFT
    )
    #: Date of the council's decision; None while a draft.
    adopted_on: Mapped[date | None] = mapped_column(default=None)
    #: The version this one revises.
    predecessor_id: Mapped[int | None] = mapped_column(ForeignKey("agendas.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    action_fields: Mapped[list[ActionField]] = relationship(
        back_populates="agenda", order_by="ActionField.position", cascade="all, delete-orphan"
    )


class ActionField(Base):
    """A Handlungsfeld of one agenda version, e.g. Verwaltung or Smart City."""

    __tablename__ = "action_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_id: Mapped[int] = mapped_column(ForeignKey("agendas.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: Colour used for this field in charts (hex, chosen for contrast).
    color: Mapped[str] = mapped_column(String(7), default="#1f5fa8")

    agenda: Mapped[Agenda] = relationship(back_populates="action_fields")
    goals: Mapped[list[Goal]] = relationship(
        back_populates="action_field", order_by="Goal.position", cascade="all, delete-orphan"
    )


class Goal(Base):
    """A goal (Ziel) with a short code such as ``V-3``."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_field_id: Mapped[int] = mapped_column(ForeignKey("action_fields.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    action_field: Mapped[ActionField] = relationship(back_populates="goals")
