"""Background jobs: progress page, status for polling, download, cancel, own job list.

Other views start a job with :func:`job_response`: the file comes at once when it is ready
(cached, or done in immediate mode); otherwise the user lands on the job's progress page.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from steuerung.forms.jobs import CancelJobForm
from steuerung.models import Job, JobStatus
from steuerung.services import jobs
from steuerung.services.common.errors import PermissionDenied
from steuerung.services.measures.rules import anyone
from steuerung.views.access import permission_required

bp = Blueprint("jobs", __name__, url_prefix="/auftraege")

#: Seconds between refreshes of the progress page while a job waits or runs.
REFRESH_SECONDS = 2


def job_response(kind: str, params: dict[str, Any]) -> ResponseReturnValue:
    """Start (or reuse) a job of ``kind`` and answer with its file or its progress page."""
    try:
        job = jobs.request_job(kind, params, current_user)
    except PermissionDenied as error:
        flash(error.message, "danger")
        return redirect(url_for("jobs.index"))
    if job.status == JobStatus.DONE and jobs.result_file(job) is not None:
        return _send(job)
    return redirect(url_for("jobs.detail", public_id=job.public_id))


def _job_or_abort(public_id: str) -> Job:
    try:
        job = jobs.job_for(public_id, current_user)
    except PermissionDenied:
        abort(403)
    if job is None:
        abort(404)
    return job


def _send(job: Job) -> Response:
    path = jobs.result_file(job)
    if path is None:
        abort(404)
    # Read at once (files are a few MB at most): no file handle outlives the request.
    # content_type as stored: ``mimetype=`` would add a second "; charset=utf-8".
    response = Response(path.read_bytes(), content_type=job.result_mimetype)
    disposition = "inline" if job.result_mimetype == "application/pdf" else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{job.result_name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _result_url(job: Job) -> str | None:
    """Where a finished job's result is: its page (kinds that have one) or the download."""
    if not (jobs.is_ready(job) and job.result_path):
        return None
    endpoint = jobs.KINDS[job.kind].result_endpoint
    if endpoint:
        return url_for(endpoint, **(job.params or {}).get("args", {}))
    return url_for("jobs.download", public_id=job.public_id)


def _status(job: Job) -> dict[str, Any]:
    return {
        "status": job.status.value,
        "status_label": job.status.label,
        "percent": job.progress_percent,
        "step": job.progress_step,
        "active": job.status.is_active,
        "error": job.error,
        "message": job.message,
        "download_url": _result_url(job),
    }


@bp.route("/")
@permission_required(anyone)
def index() -> str:
    """The user's latest jobs (administrators: everyone's)."""
    return render_template("jobs/index.html", jobs=jobs.jobs_of(current_user), kinds=jobs.KINDS)


@bp.route("/<public_id>")
@permission_required(anyone)
def detail(public_id: str) -> Response | str:
    """Progress page: refreshes itself (meta refresh, no script needed) while the job runs."""
    job = _job_or_abort(public_id)
    response = Response(
        render_template(
            "jobs/detail.html",
            job=job,
            kind=jobs.KINDS[job.kind],
            ready=jobs.is_ready(job),
            has_file=bool(job.result_path),
            result_url=_result_url(job),
            refresh=REFRESH_SECONDS if job.status.is_active else None,
            cancel_form=CancelJobForm() if jobs.KINDS[job.kind].cancelable else None,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<public_id>/status.json")
@permission_required(anyone)
def status(public_id: str) -> Response:
    """The job's state as JSON for the page's optional polling script."""
    response = jsonify(_status(_job_or_abort(public_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<public_id>/datei")
@permission_required(anyone)
def download(public_id: str) -> ResponseReturnValue:
    """The job's result file (only for its owner or an administrator)."""
    job = _job_or_abort(public_id)
    if not jobs.is_ready(job):
        flash("Die Datei ist nicht (mehr) vorhanden. Bitte erstellen Sie sie neu.", "warning")
        return redirect(url_for("jobs.detail", public_id=public_id))
    return _send(job)


@bp.route("/<public_id>/abbrechen", methods=["POST"])
@permission_required(anyone)
def cancel(public_id: str) -> ResponseReturnValue:
    """Cancel a waiting job, or ask a running one to stop."""
    job = _job_or_abort(public_id)
    form = CancelJobForm()
    if not form.validate_on_submit():
        abort(400)
    if jobs.cancel(job, current_user):
        flash("Der Auftrag wird abgebrochen.", "info")
    else:
        flash("Dieser Auftrag kann nicht mehr abgebrochen werden.", "warning")
    return redirect(url_for("jobs.detail", public_id=public_id))
