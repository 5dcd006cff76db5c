"""Background jobs: queue engine (Huey), job records with progress, cached results.

Views call :func:`request_job` and send the user to the job's page (``views/jobs.py``) or,
when the result is ready (cached, or finished at once), straight to the file.
"""

from steuerung.services.jobs.kinds import KINDS, Outcome, args_to_params
from steuerung.services.jobs.queue import get_queue, init_app, periodic_task, run_worker
from steuerung.services.jobs.records import (
    can_see,
    cancel,
    is_ready,
    job_for,
    jobs_of,
    request_job,
    result_file,
)
from steuerung.services.jobs.runner import purge_jobs

__all__ = [
    "KINDS",
    "Outcome",
    "args_to_params",
    "can_see",
    "cancel",
    "get_queue",
    "init_app",
    "is_ready",
    "job_for",
    "jobs_of",
    "periodic_task",
    "purge_jobs",
    "request_job",
    "result_file",
    "run_worker",
]
