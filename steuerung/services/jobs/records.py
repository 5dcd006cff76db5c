"""Job records: start or reuse a job, read it for a user, cancel it, find its file.

Rules: only the user who started a job, or an administrator, sees it and its file. A job
whose parameters, user, day and data generation equal those of an earlier one reuses its
result (the cache) while that file exists; an equal job still waiting or running is joined
instead of started twice.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update

from steuerung.extensions import db
from steuerung.models import Job, JobStatus, User
from steuerung.models.base import utcnow
from steuerung.services.admin.rules import may_administer
from steuerung.services.common.audit import data_generation
from steuerung.services.common.dml import affected_rows
from steuerung.services.common.errors import PermissionDenied
from steuerung.services.jobs.kinds import KINDS
from steuerung.services.jobs.queue import get_queue

#: How many of a user's jobs may wait or run at the same time.
MAX_ACTIVE_PER_USER = 5


def jobs_dir() -> Path:
    """Folder of the result files (created on first use)."""
    configured = current_app.config.get("JOBS_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_key(kind: str, params: dict[str, Any], user: User, *, cached: bool = True) -> str:
    """Key of a job's result: equal key, equal file.

    Cached kinds include the day (reports carry the date) and the data generation (raised by
    every committed change of audited data); others only say "same request" (an import token).
    """
    payload: dict[str, Any] = {"kind": kind, "params": params, "user": user.id}
    if cached:
        payload["day"] = date.today().isoformat()
        payload["generation"] = data_generation(db.session)
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def result_file(job: Job) -> Path | None:
    """The job's result file if it still exists."""
    if job.status != JobStatus.DONE or not job.result_path:
        return None
    path = jobs_dir() / job.result_path
    return path if path.is_file() else None


def is_ready(job: Job) -> bool:
    """Finished, and its file (if it makes one) is still there."""
    if job.status != JobStatus.DONE:
        return False
    return not KINDS[job.kind].makes_file or result_file(job) is not None


def request_job(kind: str, params: dict[str, Any], user: User) -> Job:
    """The job for ``kind`` with ``params``: a reusable earlier one, or a new one on the queue.

    The view commits nothing itself: a new job is committed here before it is queued, so that
    a worker on another connection finds it.
    """
    spec = KINDS[kind]
    if not spec.rule(user):
        raise PermissionDenied("Sie dürfen diesen Auftrag nicht starten.")
    key = cache_key(kind, params, user, cached=spec.cached)
    now = utcnow()
    for earlier in db.session.scalars(
        select(Job)
        .where(
            Job.cache_key == key,
            Job.user_id == user.id,
            Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE]),
            or_(Job.expires_at.is_(None), Job.expires_at > now),
        )
        .order_by(Job.created_at.desc())
        .limit(3)
    ):
        if earlier.status.is_active or is_ready(earlier):
            return earlier
    active = db.session.scalar(
        select(func.count(Job.id)).where(
            Job.user_id == user.id, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING])
        )
    )
    if (active or 0) >= MAX_ACTIVE_PER_USER:
        raise PermissionDenied(
            f"Sie haben schon {MAX_ACTIVE_PER_USER} laufende Aufträge. Bitte warten Sie, bis "
            "einer fertig ist."
        )
    job = Job(
        public_id=secrets.token_urlsafe(16),
        user_id=user.id,
        kind=kind,
        params=params,
        cache_key=key,
        status=JobStatus.QUEUED,
        progress_step="Wartet auf den Hintergrunddienst",
    )
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    get_queue().enqueue(job_id)
    # Immediate mode ran it on another session: read the outcome fresh.
    db.session.expire_all()
    return db.session.get(Job, job_id)  # type: ignore[return-value]


def can_see(job: Job, user: User) -> bool:
    """Only the user who started the job, or an administrator."""
    return job.user_id == user.id or may_administer(user)


def job_for(public_id: str, user: User) -> Job | None:
    """The job with ``public_id`` if ``user`` may see it (PermissionDenied otherwise)."""
    job = db.session.scalar(select(Job).where(Job.public_id == public_id))
    if job is None:
        return None
    if not can_see(job, user):
        raise PermissionDenied("Dieser Auftrag gehört einer anderen Person.")
    return job


def jobs_of(user: User, limit: int = 50) -> list[Job]:
    """The latest jobs ``user`` may see (administrators: everyone's)."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if not may_administer(user):
        query = query.where(Job.user_id == user.id)
    return list(db.session.scalars(query))


def cancel(job: Job, user: User) -> bool:
    """Cancel a waiting job at once, or ask a running one to stop; False if too late."""
    if not can_see(job, user):
        raise PermissionDenied("Dieser Auftrag gehört einer anderen Person.")
    if not KINDS[job.kind].cancelable or not job.status.is_active:
        return False
    done = affected_rows(
        db.session.execute(
            update(Job)
            .where(Job.id == job.id, Job.status == JobStatus.QUEUED)
            .values(
                status=JobStatus.CANCELLED,
                finished_at=utcnow(),
                progress_step="Abgebrochen",
            )
        )
    )
    if not done:
        db.session.execute(
            update(Job)
            .where(Job.id == job.id, Job.status == JobStatus.RUNNING)
            .values(cancel_requested=True)
        )
    db.session.commit()
    return True
