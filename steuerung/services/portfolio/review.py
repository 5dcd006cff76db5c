"""The coordinating office's review inbox."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, contains_eager, selectinload

from steuerung.extensions import db
from steuerung.models import Measure, User
from steuerung.services.measures.rules import REVIEW_STATUSES, visible_measures_filter

#: Measures shown per page of the inbox.
INBOX_PAGE_SIZE = 50


def inbox_count(user: User) -> int:
    """How many measures visible to ``user`` wait for a decision."""
    return (
        db.session.scalar(
            select(func.count(Measure.id)).where(
                visible_measures_filter(user), Measure.status.in_(REVIEW_STATUSES)
            )
        )
        or 0
    )


def inbox_measures(user: User, page: int = 1, per_page: int = INBOX_PAGE_SIZE) -> list[Measure]:
    """One page of the submitted and under-review measures, oldest submission first (owner
    and goals loaded)."""
    owner = aliased(User)
    return list(
        db.session.scalars(
            select(Measure)
            .outerjoin(owner, Measure.owner_id == owner.id)
            .options(contains_eager(Measure.owner.of_type(owner)), selectinload(Measure.goals))
            .where(visible_measures_filter(user), Measure.status.in_(REVIEW_STATUSES))
            .order_by(
                Measure.submitted_at.is_(None),
                Measure.submitted_at.asc(),
                Measure.id.asc(),
            )
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).unique()
    )
