"""Figures for the start pages (all aggregates in SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from steuerung.extensions import db
from steuerung.models import (
    Department,
    Measure,
    MeasureStatus,
    Role,
    User,
)
from steuerung.services.budget.coverage import YearCoverage, coverage_by_year
from steuerung.services.common.cache import cached
from steuerung.services.common.settings import get_settings
from steuerung.services.dashboard.rules import start_page_sections
from steuerung.services.measures.rules import (
    REVIEW_STATUSES,
    visibility_scope,
    visible_measures_filter,
)


@dataclass
class StartPage:
    """What a user's start page shows."""

    kommune_name: str
    budget_year: int
    horizon: list[int]
    status_counts: list[tuple[MeasureStatus, int]]
    total_visible: int
    own_measures: list[Measure] = field(default_factory=list)
    waiting_for_review: int = 0
    coverage: list[YearCoverage] = field(default_factory=list)
    users_by_role: list[tuple[Role, int]] = field(default_factory=list)
    department_count: int = 0
    #: Sections shown (see ``dashboard.rules.start_page_sections``).
    sections: frozenset[str] = frozenset()


def status_counts(user: User) -> dict[MeasureStatus, int]:
    """Number of measures per state that ``user`` may read (cached until the data changes)."""

    def count() -> dict[MeasureStatus, int]:
        rows = db.session.execute(
            select(Measure.status, func.count(Measure.id))
            .where(visible_measures_filter(user))
            .group_by(Measure.status)
        ).all()
        return {status: n for status, n in rows}

    return dict(cached("overview.status_counts", visibility_scope(user), count))


def start_page(user: User) -> StartPage:
    """Collect the start page of ``user`` according to the role."""
    settings = get_settings()
    counts = status_counts(user)
    page = StartPage(
        kommune_name=settings.kommune_name,
        budget_year=settings.budget_year,
        horizon=settings.horizon,
        status_counts=[(s, counts[s]) for s in MeasureStatus if counts.get(s)],
        total_visible=sum(counts.values()),
    )
    sections = page.sections = start_page_sections(user)
    if "own" in sections:
        page.own_measures = list(
            db.session.scalars(
                select(Measure)
                .where(Measure.department_id == user.department_id)
                .order_by(Measure.updated_at.desc())
                .limit(10)
            )
        )
    if "portfolio" in sections:
        page.waiting_for_review = sum(counts.get(s, 0) for s in REVIEW_STATUSES)
    if "coverage" in sections:
        page.coverage = coverage_by_year(settings.horizon)
    if "users" in sections:
        rows = dict(
            db.session.execute(select(User.role, func.count(User.id)).group_by(User.role)).all()
        )
        page.users_by_role = [(role, rows.get(role, 0)) for role in Role]
        page.department_count = db.session.scalar(select(func.count(Department.id))) or 0
    return page
