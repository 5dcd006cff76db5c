"""Owner hygiene: open measures without an active owner, and overdue status reports."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased, contains_eager

from steuerung.extensions import db
from steuerung.models import Measure, User
from steuerung.services.measures.reports import overdue_clause
from steuerung.services.measures.rules import lacks_owner_clause, visible_measures_filter


def _visible_with_owner(user: User) -> tuple[Select[Measure], type[User]]:
    owner = aliased(User)
    stmt = (
        select(Measure)
        .outerjoin(owner, Measure.owner_id == owner.id)
        .options(contains_eager(Measure.owner.of_type(owner)))
        .where(visible_measures_filter(user))
    )
    return stmt, owner


def orphaned_measures(user: User, limit: int) -> list[Measure]:
    """Up to ``limit`` open measures without an active owner, by department and number."""
    stmt, _owner = _visible_with_owner(user)
    return list(
        db.session.scalars(
            stmt.where(lacks_owner_clause())
            .order_by(Measure.department_id, Measure.id)
            .limit(limit)
        ).unique()
    )


def overdue_measures(user: User, today: date, limit: int) -> list[Measure]:
    """Up to ``limit`` measures whose status report is overdue, longest overdue first."""
    stmt, _owner = _visible_with_owner(user)
    return list(
        db.session.scalars(
            stmt.where(overdue_clause(today))
            .order_by(Measure.last_report_on.is_(None).desc(), Measure.last_report_on, Measure.id)
            .limit(limit)
        ).unique()
    )
