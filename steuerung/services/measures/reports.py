"""Status reports (Statusberichte): saving them, when the next one is due, which are overdue.

The overdue rule lives here once, as a SQL condition (``overdue_clause``) for lists and
dashboards and as a Python function (``next_report_due``) for a single measure. Date
arithmetic is done in Python so the same condition runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select

from steuerung.extensions import db
from steuerung.models import (
    Measure,
    Settings,
    StatusReport,
    TrafficLight,
    User,
)
from steuerung.services.common.audit import CORE
from steuerung.services.common.cache import Blocks, summed_by_block
from steuerung.services.common.errors import ValidationFailed
from steuerung.services.common.firsts import first_per
from steuerung.services.measures.rules import REPORTING_STATUSES

#: Default interval between two status reports (quarterly) when no settings row exists.
DEFAULT_INTERVAL_DAYS = 91


def latest_reports(
    conditions: list[ColumnElement[bool]] | None = None,
    *,
    ids: list[int] | None = None,
    reporting_only: bool = False,
) -> Any:
    """Subquery: the latest status report of each measure (newest Stichtag, then newest entry).

    Columns: measure_id, reported_on, progress_percent, the three lights and ``overall``
    (``StatusReport.overall_light``, the worst light). ``conditions`` restrict the measures
    (joined), ``ids`` the measure ids, ``reporting_only`` to measures that owe reports.
    One pass over the reports (``services.common.firsts.first_per``).
    """
    where = list(conditions or [])
    if reporting_only:
        where.append(Measure.status.in_(REPORTING_STATUSES))

    def build(candidates: Any) -> Any:
        if where:
            candidates = candidates.join(Measure, Measure.id == StatusReport.measure_id).where(
                *where
            )
        if ids is not None:
            candidates = candidates.where(StatusReport.measure_id.in_(ids))
        return candidates

    return first_per(
        StatusReport.measure_id,
        (
            StatusReport.measure_id,
            StatusReport.reported_on,
            StatusReport.progress_percent,
            StatusReport.schedule_light,
            StatusReport.cost_light,
            StatusReport.scope_light,
            StatusReport.overall_light.label("overall"),
        ),
        (StatusReport.reported_on.desc(), StatusReport.id.desc()),
        build,
        "latest_reports",
    )


def latest_overall() -> Any:
    """Correlated scalar subquery: the overall light of a measure's latest status report
    (newest Stichtag, then newest entry), None without a report.

    One index lookup per measure: for counts over many measures that need only the light.
    """
    return (
        select(StatusReport.overall_light)
        .where(StatusReport.measure_id == Measure.id)
        .order_by(StatusReport.reported_on.desc(), StatusReport.id.desc())
        .limit(1)
        .correlate(Measure)
        .scalar_subquery()
    )


def _default_interval() -> int:
    settings = db.session.get(Settings, 1)
    return settings.report_interval_days if settings is not None else DEFAULT_INTERVAL_DAYS


def intervals_in_use() -> tuple[int | None, ...]:
    """The report intervals of the measures that owe reports (None: the default), sorted;
    kept per block of measures, so an edit re-reads only its block."""

    def rows(blocks: Blocks) -> Any:
        block = blocks.of(Measure.id)
        return db.session.execute(
            select(block, Measure.report_interval_days, func.count())
            .where(Measure.status.in_(REPORTING_STATUSES), *blocks.only(Measure.id))
            .group_by(block, Measure.report_interval_days)
        )

    counts = summed_by_block("reports.intervals", (), rows, keys=1, reads=(CORE,))
    return tuple(sorted((days for (days,) in counts), key=lambda d: (d is None, d or 0)))


def overdue_clause(today: date) -> ColumnElement[bool]:
    """SQL condition: approved / in-progress measures whose status report is overdue.

    Reference date is the last report, else the start date; the interval is the measure's
    own or the Kommune's default. Overdue when there is no reference date or
    reference + interval < today. The distinct intervals in use are counted per block of
    measures (:func:`intervals_in_use`).
    """
    default = _default_interval()
    intervals = intervals_in_use()
    reference = func.coalesce(Measure.last_report_on, Measure.start_date)
    per_interval: list[ColumnElement[bool]] = []
    for days in sorted(intervals, key=lambda d: (d is None, d or 0)):
        cutoff = today - timedelta(days=days if days is not None else default)
        which = (
            Measure.report_interval_days.is_(None)
            if days is None
            else Measure.report_interval_days == days
        )
        per_interval.append(and_(which, reference < cutoff))
    return and_(
        Measure.status.in_(REPORTING_STATUSES),
        or_(reference.is_(None), *per_interval) if per_interval else false(),
    )


def interval_days(measure: Measure, settings: Settings | None) -> int:
    """Days between two reports for ``measure``."""
    if measure.report_interval_days:
        return measure.report_interval_days
    return settings.report_interval_days if settings is not None else DEFAULT_INTERVAL_DAYS


def next_report_due(
    measure: Measure, settings: Settings | None, today: date | None = None
) -> date | None:
    """Date the next status report is due; None when the measure owes no reports.

    A reporting measure without last report and without start date is due at once
    (``today``, by default the current date).
    """
    if measure.status not in REPORTING_STATUSES:
        return None
    reference = measure.last_report_on or measure.start_date
    if reference is None:
        return today or date.today()
    return reference + timedelta(days=interval_days(measure, settings))


def is_overdue(measure: Measure, settings: Settings | None, today: date | None = None) -> bool:
    """Python twin of ``overdue_clause`` for one measure."""
    if measure.status not in REPORTING_STATUSES:
        return False
    today = today or date.today()
    reference = measure.last_report_on or measure.start_date
    if reference is None:
        return True
    return reference + timedelta(days=interval_days(measure, settings)) < today


def add_status_report(measure: Measure, data: dict[str, Any], by: User) -> StatusReport:
    """Record a status report for ``measure`` and move its ``last_report_on``; flushes.

    ``data`` holds reported_on (date), the three lights, progress_percent (0-100), text,
    next_steps and risks (already validated by the form).
    """
    progress = int(data.get("progress_percent") or 0)
    if not 0 <= progress <= 100:
        raise ValidationFailed(
            "Der Fortschritt muss zwischen 0 und 100 % liegen.", field="progress_percent"
        )
    reported_on: date = data.get("reported_on") or date.today()
    report = StatusReport(
        author_id=by.id,
        reported_on=reported_on,
        schedule_light=TrafficLight(data["schedule_light"]),
        cost_light=TrafficLight(data["cost_light"]),
        scope_light=TrafficLight(data["scope_light"]),
        progress_percent=progress,
        text=(data.get("text") or "").strip(),
        next_steps=(data.get("next_steps") or "").strip(),
        risks=(data.get("risks") or "").strip(),
    )
    measure.status_reports.append(report)
    if measure.last_report_on is None or reported_on > measure.last_report_on:
        measure.last_report_on = reported_on
    db.session.flush()
    return report
