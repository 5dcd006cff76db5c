"""Potenzialcheck: catalogue, assessments, averages per topic and measures from first steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from steuerung.extensions import db
from steuerung.models import (
    MaturityAssessment,
    MaturityRating,
    MaturityStatement,
    MaturityTopic,
    Measure,
    MeasureCategory,
    MeasureKind,
    MeasureStatus,
    StatusChange,
    User,
)
from steuerung.services.common.errors import ValidationFailed
from steuerung.services.maturity.catalogue import CATALOGUE

#: Ratings at or below this value mark a statement as a field for action.
WEAK_THRESHOLD = 2
MAX_RATING = 4
TOPIC_CATEGORY = {
    "SC": MeasureCategory.SMART_CITY,
    "PK": MeasureCategory.STAFF,
    "IT": MeasureCategory.INFRASTRUCTURE,
}


def ensure_catalogue() -> list[MaturityTopic]:
    """Create or update topics and statements from the catalogue (idempotent)."""
    topics = {t.code: t for t in db.session.scalars(select(MaturityTopic))}
    statements = {s.code: s for s in db.session.scalars(select(MaturityStatement))}
    for t_pos, (t_code, t_name, t_summary, items) in enumerate(CATALOGUE):
        topic = topics.get(t_code)
        if topic is None:
            topic = MaturityTopic(code=t_code)
            db.session.add(topic)
            topics[t_code] = topic
        topic.name, topic.summary, topic.position = t_name, t_summary, t_pos
        for s_pos, (s_code, text, rationale, steps) in enumerate(items):
            statement = statements.get(s_code)
            if statement is None:
                statement = MaturityStatement(code=s_code, topic=topic)
                db.session.add(statement)
            statement.text, statement.rationale = text, rationale
            statement.first_steps, statement.position = "\n".join(steps), s_pos
    db.session.flush()
    return catalogue()


def catalogue() -> list[MaturityTopic]:
    """Topics in order with their statements (two queries)."""
    return list(
        db.session.scalars(
            select(MaturityTopic)
            .options(selectinload(MaturityTopic.statements))
            .order_by(MaturityTopic.position)
        )
    )


def list_assessments() -> list[MaturityAssessment]:
    """All assessments, newest first."""
    return list(
        db.session.scalars(
            select(MaturityAssessment).order_by(
                MaturityAssessment.assessed_on.desc(), MaturityAssessment.id.desc()
            )
        )
    )


def _quantize(value: object) -> Decimal:
    """An SQL average of a group, to two places (never NULL: every rating has a value)."""
    if value is None:
        raise ValueError("Durchschnitt ohne Bewertungen")
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def topic_averages(assessment_ids: list[int]) -> dict[tuple[int, int], Decimal]:
    """Average rating per (assessment id, topic id), computed in SQL."""
    if not assessment_ids:
        return {}
    rows = db.session.execute(
        select(
            MaturityRating.assessment_id,
            MaturityStatement.topic_id,
            func.avg(MaturityRating.value),
        )
        .join(MaturityStatement, MaturityStatement.id == MaturityRating.statement_id)
        .where(MaturityRating.assessment_id.in_(assessment_ids))
        .group_by(MaturityRating.assessment_id, MaturityStatement.topic_id)
    ).all()
    return {(a_id, t_id): _quantize(avg) for a_id, t_id, avg in rows}


def overall_averages(assessment_ids: list[int]) -> dict[int, Decimal]:
    """Average rating over all statements per assessment."""
    if not assessment_ids:
        return {}
    rows = db.session.execute(
        select(MaturityRating.assessment_id, func.avg(MaturityRating.value))
        .where(MaturityRating.assessment_id.in_(assessment_ids))
        .group_by(MaturityRating.assessment_id)
    ).all()
    return {a_id: _quantize(avg) for a_id, avg in rows}


@dataclass
class TrendRow:
    """One topic's averages across the assessments shown."""

    topic: MaturityTopic
    values: list[Decimal | None]


def trend(assessments: list[MaturityAssessment], topics: list[MaturityTopic]) -> list[TrendRow]:
    """Topic averages for ``assessments`` (in the given order)."""
    averages = topic_averages([a.id for a in assessments])
    return [TrendRow(t, [averages.get((a.id, t.id)) for a in assessments]) for t in topics]


def create_assessment(
    title: str,
    assessed_on: date,
    note: str,
    ratings: dict[int, tuple[int, str]],
    by: User | None,
) -> MaturityAssessment:
    """Store an assessment; every statement of the catalogue must be rated 1-4."""
    statement_ids = set(db.session.scalars(select(MaturityStatement.id)))
    unknown = set(ratings) - statement_ids
    if unknown:
        raise ValidationFailed("Die Bewertung enthält unbekannte Aussagen.")
    missing = statement_ids - set(ratings)
    if missing:
        raise ValidationFailed("Bitte bewerten Sie alle Aussagen.")
    assessment = MaturityAssessment(
        title=title.strip(),
        assessed_on=assessed_on,
        note=note.strip(),
        created_by_id=by.id if by else None,
    )
    for statement_id, (value, comment) in sorted(ratings.items()):
        if not 1 <= value <= MAX_RATING:
            raise ValidationFailed("Bewertungen liegen zwischen 1 und 4.")
        assessment.ratings.append(
            MaturityRating(statement_id=statement_id, value=value, comment=comment.strip())
        )
    db.session.add(assessment)
    db.session.flush()
    return assessment


def ratings_of(assessment: MaturityAssessment) -> dict[int, MaturityRating]:
    """The assessment's ratings by statement id (one query)."""
    rows = db.session.scalars(
        select(MaturityRating).where(MaturityRating.assessment_id == assessment.id)
    )
    return {r.statement_id: r for r in rows}


def propose_measure(
    assessment: MaturityAssessment, statement: MaturityStatement, step_index: int, by: User
) -> Measure:
    """Turn a first step of a weakly rated statement into a draft measure of ``by``'s department."""
    rating = db.session.scalar(
        select(MaturityRating).where(
            MaturityRating.assessment_id == assessment.id,
            MaturityRating.statement_id == statement.id,
        )
    )
    if rating is None or rating.value > WEAK_THRESHOLD:
        raise ValidationFailed(
            "Maßnahmen lassen sich nur aus schwach bewerteten Aussagen vorschlagen."
        )
    steps = statement.first_step_list
    if not 0 <= step_index < len(steps):
        raise ValidationFailed("Diesen ersten Schritt gibt es nicht.")
    step = steps[step_index]
    measure = Measure(
        title=step[:200],
        description=(
            f"Vorschlag aus dem Potenzialcheck „{assessment.title}“ vom "
            f"{assessment.assessed_on:%d.%m.%Y}, Aussage {statement.code}: {statement.text}\n\n"
            f"Warum: {statement.rationale}"
        ),
        department_id=by.department_id,
        category=TOPIC_CATEGORY.get(statement.topic.code, MeasureCategory.DIGITAL_ADMINISTRATION),
        kind=MeasureKind.ACTION,
        status=MeasureStatus.DRAFT,
        created_by_id=by.id,
    )
    measure.status_changes.append(
        StatusChange(
            from_status=None,
            to_status=MeasureStatus.DRAFT,
            changed_by_id=by.id,
            reason=f"Aus dem Potenzialcheck ({statement.code}) angelegt",
        )
    )
    db.session.add(measure)
    db.session.flush()
    return measure
