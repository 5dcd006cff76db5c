"""Background jobs (exports, council report, import) and the data generation counter."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steuerung.models.base import Base, enum_type, utcnow

if TYPE_CHECKING:
    from steuerung.models.organisation import User


class JobStatus(enum.StrEnum):
    """Life of a job: queued -> running -> done / failed / cancelled."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """German name."""
        return JOB_STATUS_LABELS[self]

    @property
    def is_active(self) -> bool:
        """Still waiting or running."""
        return self in (JobStatus.QUEUED, JobStatus.RUNNING)


JOB_STATUS_LABELS = {
    JobStatus.QUEUED: "In der Warteschlange",
    JobStatus.RUNNING: "Läuft",
    JobStatus.DONE: "Fertig",
    JobStatus.FAILED: "Fehlgeschlagen",
    JobStatus.CANCELLED: "Abgebrochen",
}


class Job(Base):
    """One background job a user started: what, with which parameters, how far, the result.

    Not audited: a job changes no business data by itself (an import's changes are audited
    row by row), and auditing progress updates would invalidate every cached result.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("progress_percent BETWEEN 0 AND 100", name="progress_range"),
        Index("ix_jobs_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random id used in addresses (no guessing of other users' jobs by counting).
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: Name of the job kind, e.g. "council_pdf" or "budget_xlsx".
    kind: Mapped[str] = mapped_column(String(40))
    #: The kind's parameters (filters from the address, import token), JSON-safe.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Hash of kind, parameters, user, day and data generation; equal key = same result.
    cache_key: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    status: Mapped[JobStatus] = mapped_column(
        enum_type(JobStatus, "job_status"), default=JobStatus.QUEUED, index=True
    )
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    #: The step being worked on, in German ("PDF wird gesetzt").
    progress_step: Mapped[str] = mapped_column(String(200), default="")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    #: German error message shown to the user when the job failed.
    error: Mapped[str] = mapped_column(Text, default="")
    #: German summary of the result (e.g. what an import changed).
    message: Mapped[str] = mapped_column(Text, default="")
    #: File name of the result inside the jobs folder (empty: no file or purged).
    result_path: Mapped[str] = mapped_column(String(200), default="")
    #: File name offered for download.
    result_name: Mapped[str] = mapped_column(String(200), default="")
    result_mimetype: Mapped[str] = mapped_column(String(120), default="")
    #: Size of the result file in bytes.
    result_size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    #: When the result file is deleted (set when the job finishes).
    expires_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship()


class DataGeneration(Base):
    """A counter raised by every committed transaction that changed audited data.

    Part of the cache key of generated files: a result is reused until the data changes.
    One row with id 1; a missing row means generation 0.
    """

    __tablename__ = "data_generation"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer, default=0)


class PartGeneration(Base):
    """Finer data generations: one per block of measure ids and one for everything else.

    A committed change to data that belongs to one measure (its row, cost plan, goals,
    reports, scores ...) raises the counter of its block (``part`` = measure id //
    ``services.common.cache.BLOCK_SIZE``); any other change raises ``part`` -1. Aggregates
    kept per block (``services.common.cache.summed_by_block``) recompute only the blocks
    whose counter moved. A missing row means 0.
    """

    __tablename__ = "part_generations"

    part: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer, default=0)
