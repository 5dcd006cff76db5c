"""The queue engine: one Huey instance per app, chosen by the configuration.

``JOBS_BACKEND=sqlite`` (default) keeps the queue in a SQLite file in the instance folder: no
extra server, for one machine. ``JOBS_BACKEND=redis`` uses ``REDIS_URL``: the web instances
and workers on several machines share it. ``JOBS_IMMEDIATE`` (tests) runs each job at once
inside the request. Workers run ``flask jobs worker``; ``make run`` starts one beside the
web server.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab

log = logging.getLogger(__name__)

EXTENSION = "steuerung_jobs"
QUEUE_NAME = "steuerung"


@dataclass
class JobQueue:
    """The app's queue: the Huey instance and the task that runs a job record."""

    app: Flask
    huey: Huey
    run_task: Any = None
    periodic: dict[str, Any] = field(default_factory=dict)

    def enqueue(self, job_id: int) -> None:
        """Put the job with ``job_id`` on the queue (runs it at once in immediate mode)."""
        self.run_task(job_id)

    def describe(self) -> str:
        """Backend name for logs and the health check (no addresses or paths)."""
        if self.huey.immediate:
            return "immediate"
        return "redis" if isinstance(self.huey, RedisHuey) else "sqlite"

    def ping(self) -> None:
        """Raise if the queue storage cannot be reached."""
        if isinstance(self.huey, RedisHuey):
            self.huey.storage.conn.ping()
        else:
            self.huey.storage.queue_size()


def make_huey(app: Flask) -> Huey:
    """Build the Huey instance named by the configuration."""
    immediate = bool(app.config.get("JOBS_IMMEDIATE"))
    backend = app.config.get("JOBS_BACKEND", "sqlite")
    if backend == "redis":
        return RedisHuey(QUEUE_NAME, url=app.config["REDIS_URL"], immediate=immediate)
    if backend != "sqlite":
        raise RuntimeError(f"JOBS_BACKEND muss „sqlite“ oder „redis“ sein, nicht „{backend}“.")
    path = app.config.get("JOBS_QUEUE_FILE") or str(Path(app.instance_path) / "jobs-queue.db")
    return SqliteHuey(QUEUE_NAME, filename=path, immediate=immediate)


def init_app(app: Flask) -> JobQueue:
    """Create the app's queue and register the job task and the periodic clean-up."""
    from steuerung.services.jobs.runner import purge_jobs, run_job

    queue = JobQueue(app=app, huey=make_huey(app))
    app.extensions[EXTENSION] = queue

    def run_job_task(job_id: int) -> None:
        run_job(app, job_id)

    queue.run_task = queue.huey.task(name="steuerung.run_job")(run_job_task)
    periodic_task(app, "steuerung.purge_jobs", crontab(minute="*/15"))(purge_jobs)
    hour = app.config.get("NOTIFY_HOUR")
    if hour not in (None, ""):
        # E-mail reminders and the weekly digest, sent by the worker once a day.
        periodic_task(app, NOTIFICATIONS_TASK, crontab(hour=str(int(hour)), minute="0"))(
            send_notifications_now
        )
    return queue


#: Name of the daily e-mail task (``NOTIFY_HOUR`` sets the hour, empty: no task).
NOTIFICATIONS_TASK = "steuerung.notifications"


def send_notifications_now() -> str:
    """The worker's daily run of the reminders: like ``flask notify run``; logs the summary."""
    from steuerung.services.notifications import send_due_notifications

    result = send_due_notifications(datetime.now(UTC))
    for error in result.errors:
        log.error("E-Mail-Erinnerungen: %s", error)
    log.info("E-Mail-Erinnerungen: %s", result.summary())
    return result.summary()


def get_queue(app: Flask | None = None) -> JobQueue:
    """The queue of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]


def periodic_task(
    app: Flask, name: str, schedule: Callable[[Any], bool]
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register ``func`` to run on ``schedule`` (``huey.crontab``) inside an app context.

    For periodic work of other areas, e.g. e-mail reminders::

        periodic_task(app, "mail.reminders", crontab(hour="7", minute="0"))(send_reminders)

    The worker's scheduler enqueues it; it runs in a worker like any job.
    """

    def decorator(func: Callable[[], Any]) -> Callable[[], Any]:
        def run_in_app() -> Any:
            from steuerung.extensions import db

            with app.app_context():
                try:
                    return func()
                finally:
                    db.session.remove()

        queue = get_queue(app)
        queue.periodic[name] = queue.huey.periodic_task(schedule, name=name)(run_in_app)
        return func

    return decorator


def lower_priority(app: Flask) -> str:
    """Let background work yield the CPU to requests on the same machine (``JOBS_NICE``,
    ``JOBS_SCHED_IDLE``); threads started later inherit it. Returns what was set."""
    done = []
    nice = int(app.config.get("JOBS_NICE") or 0)
    if nice > 0:
        os.nice(nice)
        done.append(f"nice {nice}")
    idle = getattr(os, "SCHED_IDLE", None)
    if app.config.get("JOBS_SCHED_IDLE") and idle is not None:
        try:
            os.sched_setscheduler(0, idle, os.sched_param(0))
            done.append("SCHED_IDLE")
        except OSError as error:  # not permitted in some containers: nice alone then
            log.warning("SCHED_IDLE nicht gesetzt: %s", error)
    return ", ".join(done) or "normal"


def run_worker(app: Flask, workers: int | None = None) -> None:
    """Run the consumer in this process until SIGINT (graceful) or SIGTERM."""
    queue = get_queue(app)
    if queue.huey.immediate:
        raise RuntimeError("Im Modus JOBS_IMMEDIATE gibt es keinen Hintergrunddienst.")
    priority = lower_priority(app)
    logging.getLogger("huey").setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    consumer = queue.huey.create_consumer(
        workers=workers or int(app.config.get("JOBS_WORKERS", 2)),
        worker_type="thread",
        periodic=True,
        check_worker_health=True,
    )
    if queue.describe() == "sqlite":
        from steuerung.extensions import db
        from steuerung.services.jobs.runner import fail_interrupted_jobs

        with app.app_context():
            lost = fail_interrupted_jobs()
            db.session.remove()
        if lost:
            log.warning(
                "%s beim letzten Halt unterbrochene Aufträge als fehlgeschlagen markiert", lost
            )
    from steuerung.services.ops.warmup import prepare_process

    prepare_process(app)
    log.info("Hintergrunddienst startet (%s, Priorität: %s)", queue.describe(), priority)
    consumer.run()
