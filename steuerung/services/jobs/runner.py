"""Running a job in a worker: status, progress, cancel, result file, German errors; clean-up.

Each step is its own short transaction on the job row, so the progress page (another
connection) sees it at once. A job that raises a :class:`DomainError` fails with that German
message; any other exception is logged with its traceback and shown as a general message.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import delete, select, update

from steuerung.extensions import db
from steuerung.models import Job, JobStatus, User
from steuerung.models.base import utcnow
from steuerung.services.common.audit import acting_as
from steuerung.services.common.dml import affected_rows
from steuerung.services.common.errors import DomainError
from steuerung.services.jobs.kinds import KINDS
from steuerung.services.jobs.records import jobs_dir

log = logging.getLogger(__name__)

UNEXPECTED = (
    "Beim Erstellen ist ein unerwarteter Fehler aufgetreten. Bitte versuchen Sie es erneut; "
    "wenn der Fehler bleibt, wenden Sie sich an die Administration."
)
LOST = (
    "Der Auftrag wurde nicht beendet (Hintergrunddienst neu gestartet oder Zeitüberschreitung). "
    "Bitte starten Sie ihn erneut."
)
#: Finished job records are deleted this many days after their file expired.
KEEP_RECORDS_DAYS = 30


class JobCancelled(Exception):
    """The user asked to stop the job."""


class _Progress:
    """Writes percent and step to the job row (one commit each) and checks for cancel."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.writes_committed = False

    def __call__(self, percent: int, step: str, *, cancelable: bool = True) -> None:
        # Committing here also commits work done so far: kinds call it only where that is
        # intended (import chunks) or where nothing was written (exports only read).
        db.session.execute(
            update(Job)
            .where(Job.id == self.job_id)
            .values(progress_percent=max(0, min(100, int(percent))), progress_step=step[:200])
        )
        db.session.commit()
        if not cancelable:
            self.writes_committed = True
            return
        if not self.writes_committed and db.session.scalar(
            select(Job.cancel_requested).where(Job.id == self.job_id)
        ):
            raise JobCancelled


def _finish(job_id: int, **values: object) -> None:
    values.setdefault("finished_at", utcnow())
    db.session.execute(update(Job).where(Job.id == job_id).values(**values))
    db.session.commit()


def run_job(app: Flask, job_id: int) -> None:
    """Run the job ``job_id`` if it is still waiting (never twice, never after a cancel)."""
    with app.app_context():
        try:
            _run(job_id)
        finally:
            db.session.remove()


def _run(job_id: int) -> None:
    claimed = affected_rows(
        db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
            .values(status=JobStatus.RUNNING, started_at=utcnow(), progress_step="Gestartet")
        )
    )
    db.session.commit()
    if not claimed:
        return
    job = db.session.get(Job, job_id)
    user = db.session.get(User, job.user_id) if job else None
    if job is None or user is None:
        return
    kind = KINDS[job.kind]
    params = dict(job.params)
    progress = _Progress(job_id)
    try:
        with acting_as(user.id):
            outcome = kind.run(params, user, progress)
    except JobCancelled:
        db.session.rollback()
        _finish(job_id, status=JobStatus.CANCELLED, progress_step="Abgebrochen")
        return
    except DomainError as error:
        db.session.rollback()
        message = error.message
        if progress.writes_committed:
            message += (
                " Ein Teil wurde schon übernommen; dieselbe Datei kann erneut übernommen "
                "werden (schon übernommene Beträge bleiben dabei unverändert)."
            )
        _finish(job_id, status=JobStatus.FAILED, error=message, progress_step="Fehlgeschlagen")
        return
    except Exception:
        db.session.rollback()
        log.exception("Auftrag %s (%s) fehlgeschlagen", job_id, kind.name)
        _finish(job_id, status=JobStatus.FAILED, error=UNEXPECTED, progress_step="Fehlgeschlagen")
        return
    values: dict[str, object] = {
        "status": JobStatus.DONE,
        "progress_percent": 100,
        "progress_step": "Fertig",
        "message": outcome.message,
        "expires_at": utcnow() + timedelta(hours=float(current_app.config["JOBS_RESULT_HOURS"])),
    }
    if outcome.data is not None:
        name = f"{job.public_id}{Path(outcome.filename).suffix}"
        path = jobs_dir() / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(outcome.data)
        tmp.replace(path)  # atomic: a reader never sees half a file
        values.update(
            result_path=name,
            result_name=outcome.filename,
            result_mimetype=outcome.mimetype,
            result_size=len(outcome.data),
        )
    db.session.rollback()
    _finish(job_id, **values)


def fail_interrupted_jobs() -> int:
    """Mark jobs still "running" as failed: called when the only worker starts (SQLite queue).

    With the embedded queue there is one worker process; a job it was running when it stopped
    is lost, and nobody should wait for it (an equal request would join it otherwise).
    """
    count = affected_rows(
        db.session.execute(
            update(Job)
            .where(Job.status == JobStatus.RUNNING)
            .values(status=JobStatus.FAILED, error=LOST, finished_at=utcnow())
        )
    )
    db.session.commit()
    return count


def purge_jobs() -> dict[str, int]:
    """Delete expired result files and old records; mark lost running jobs as failed."""
    now = utcnow()
    folder = jobs_dir()
    counts = {"files": 0, "records": 0, "lost": 0}
    for job in db.session.scalars(select(Job).where(Job.expires_at < now, Job.result_path != "")):
        (folder / job.result_path).unlink(missing_ok=True)
        job.result_path = ""
        counts["files"] += 1
    runtime = timedelta(minutes=int(current_app.config["JOBS_MAX_RUNTIME_MINUTES"]))
    counts["lost"] = affected_rows(
        db.session.execute(
            update(Job)
            .where(Job.status == JobStatus.RUNNING, Job.started_at < now - runtime)
            .values(status=JobStatus.FAILED, error=LOST, finished_at=now)
        )
    )
    counts["lost"] += affected_rows(
        db.session.execute(
            update(Job)
            .where(Job.status == JobStatus.QUEUED, Job.created_at < now - timedelta(days=1))
            .values(status=JobStatus.FAILED, error=LOST, finished_at=now)
        )
    )
    counts["records"] = affected_rows(
        db.session.execute(
            delete(Job).where(
                Job.status.notin_([JobStatus.QUEUED, JobStatus.RUNNING]),
                Job.finished_at < now - timedelta(days=KEEP_RECORDS_DAYS),
            )
        )
    )
    db.session.commit()
    known = set(db.session.scalars(select(Job.result_path).where(Job.result_path != "")))
    for path in folder.iterdir():
        # Files without a record (crash between writing and recording), after an hour.
        if path.name not in known and path.stat().st_mtime < now.timestamp() - 3600:
            path.unlink(missing_ok=True)
            counts["files"] += 1
    return counts
