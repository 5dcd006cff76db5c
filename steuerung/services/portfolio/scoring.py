"""Prioritization: scoring criteria, scores per measure, weighted score, A/B/C class, rank override.

Arithmetic (documented once, here):

* The **weighted score** (0-100) is ``sum(weight_i * value_i / 5)`` over the *active weighted*
  criteria, with the weights normalised so that they add up to 100 (they normally already do:
  the criteria admin refuses any other sum). A criterion that has not been scored yet counts 0.
* **Gates** (must-criteria) are not scored: each reads the boolean flag of the measure named by
  its ``gate_field`` (``legal_obligation``, ``operation_critical``, ``political_mandate``).
* **Priority class**: ``A`` if any active gate is met or the score is >= 70 ("do first"),
  ``B`` if the score is >= 45, else ``C``.
* **Rank**: measures are ordered by their manual rank override first (1, 2, ...; with reason),
  then by gate met, then by score descending, then by id (see ``services.portfolio``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from steuerung.extensions import db
from steuerung.models import AuditEntry, CriterionKind, Measure, Score, ScoringCriterion, User
from steuerung.services.common.errors import ValidationFailed

#: Score at or above which a measure is class A.
CLASS_A_THRESHOLD = Decimal("70")
#: Score at or above which a measure is class B.
CLASS_B_THRESHOLD = Decimal("45")
#: Values on the scoring scale.
SCALE_MIN, SCALE_MAX = 0, 5
#: Flags of the measure a gate may read.
GATE_FIELDS = {
    "legal_obligation": "Rechtliche Verpflichtung",
    "operation_critical": "Betriebskritisch",
    "political_mandate": "Politischer Auftrag",
}
MAX_REASON_LENGTH = 2000

#: The defaults of DOMAIN.md: three gates, six weighted criteria (weights add up to 100).
DEFAULT_CRITERIA: list[dict[str, Any]] = [
    {
        "name": "Rechtliche Verpflichtung",
        "kind": CriterionKind.GATE,
        "gate_field": "legal_obligation",
        "weight": Decimal("0"),
        "description": "Ein Gesetz (etwa das OZG) schreibt die Maßnahme vor, meist mit Frist.",
    },
    {
        "name": "Betriebskritisch",
        "kind": CriterionKind.GATE,
        "gate_field": "operation_critical",
        "weight": Decimal("0"),
        "description": "Ohne die Maßnahme ist der laufende Betrieb der Verwaltung gefährdet.",
    },
    {
        "name": "Politischer Auftrag",
        "kind": CriterionKind.GATE,
        "gate_field": "political_mandate",
        "weight": Decimal("0"),
        "description": "Rat oder Verwaltungsspitze haben die Umsetzung ausdrücklich beschlossen.",
    },
    {
        "name": "Strategischer Beitrag",
        "weight": Decimal("25"),
        "description": "Wie stark zahlt die Maßnahme auf die Ziele der Digitalen Agenda ein?",
    },
    {
        "name": "Nutzen für Bürgerinnen, Bürger und Wirtschaft",
        "weight": Decimal("20"),
        "description": "Spürbare Erleichterung für Menschen und Unternehmen, z. B. Wege, "
        "Wartezeiten, Online-Zugang.",
    },
    {
        "name": "Nutzen für die Verwaltung",
        "weight": Decimal("20"),
        "description": "Effizienzgewinn intern: weniger Medienbrüche, schnellere Bearbeitung.",
    },
    {
        "name": "Wirtschaftlichkeit",
        "weight": Decimal("15"),
        "description": "Verhältnis von Kosten und Folgekosten zum monetären und "
        "nicht-monetären Nutzen (im Sinne der WiBe).",
    },
    {
        "name": "Risiko und Umsetzbarkeit",
        "weight": Decimal("10"),
        "description": "Hohe Bewertung = geringes Risiko, Know-how und Kapazität sind vorhanden.",
    },
    {
        "name": "Dringlichkeit",
        "weight": Decimal("10"),
        "description": "Wie schnell muss gehandelt werden (Fristen, auslaufende Verträge)?",
    },
]


def ensure_default_criteria() -> list[ScoringCriterion]:
    """Create the default criteria that are missing (matched by name); idempotent; flushes.

    Returns all criteria ordered by position.
    """
    existing = {c.name: c for c in db.session.scalars(select(ScoringCriterion))}
    for position, spec in enumerate(DEFAULT_CRITERIA, start=1):
        if spec["name"] in existing:
            continue
        criterion = ScoringCriterion(
            name=spec["name"],
            description=spec["description"],
            kind=spec.get("kind", CriterionKind.WEIGHTED),
            weight=spec["weight"],
            gate_field=spec.get("gate_field"),
            position=position * 10,
            is_active=True,
        )
        db.session.add(criterion)
    db.session.flush()
    return active_and_inactive_criteria()


def active_and_inactive_criteria() -> list[ScoringCriterion]:
    """All criteria, gates first, then by position."""
    return list(
        db.session.scalars(
            select(ScoringCriterion).order_by(
                ScoringCriterion.kind, ScoringCriterion.position, ScoringCriterion.id
            )
        )
    )


def gates_met(measure: Measure, criteria: list[ScoringCriterion]) -> list[ScoringCriterion]:
    """The active gates whose flag is set on ``measure``."""
    return [
        c
        for c in criteria
        if c.is_active
        and c.kind == CriterionKind.GATE
        and c.gate_field in GATE_FIELDS
        and bool(getattr(measure, c.gate_field, False))
    ]


def weighted_score(values: dict[int, int], criteria: list[ScoringCriterion]) -> Decimal:
    """Weighted score 0-100 from ``values`` {criterion_id: 0-5}; weights normalised to 100."""
    weighted = [c for c in criteria if c.is_active and c.kind == CriterionKind.WEIGHTED]
    total_weight = sum((Decimal(c.weight) for c in weighted), Decimal("0"))
    if total_weight <= 0:
        return Decimal("0.00")
    raw = sum(
        (Decimal(c.weight) * Decimal(values.get(c.id, 0)) / SCALE_MAX for c in weighted),
        Decimal("0"),
    )
    score = raw * Decimal("100") / total_weight
    return score.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def priority_class(score: Decimal | None, gate_met: bool) -> str | None:
    """A/B/C: A if a gate is met or score >= 70, B if score >= 45, else C; None if unscored."""
    if gate_met:
        return "A"
    if score is None:
        return None
    if score >= CLASS_A_THRESHOLD:
        return "A"
    if score >= CLASS_B_THRESHOLD:
        return "B"
    return "C"


def _parse_value(raw: object, criterion: ScoringCriterion) -> int:
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = int(str(raw).strip()) if not isinstance(raw, int) else raw
    except (TypeError, ValueError, InvalidOperation):
        raise ValidationFailed(
            f"„{criterion.name}“: Bitte eine ganze Zahl von 0 bis 5 angeben.",
            field=f"criterion_{criterion.id}",
        ) from None
    if not SCALE_MIN <= value <= SCALE_MAX:
        raise ValidationFailed(
            f"„{criterion.name}“: Der Wert muss zwischen 0 und 5 liegen.",
            field=f"criterion_{criterion.id}",
        )
    return value


def scores_of(measure: Measure) -> dict[int, Score]:
    """The measure's scores by criterion id."""
    return {
        s.criterion_id: s
        for s in db.session.scalars(select(Score).where(Score.measure_id == measure.id))
    }


def recompute(measure: Measure, criteria: list[ScoringCriterion] | None = None) -> None:
    """Recompute ``measure.score`` and ``measure.priority_class`` from stored scores."""
    criteria = criteria if criteria is not None else active_and_inactive_criteria()
    stored = scores_of(measure)
    gate = bool(gates_met(measure, criteria))
    if not stored:
        measure.score = None
        measure.priority_class = priority_class(None, gate)
        return
    values = {cid: s.value for cid, s in stored.items()}
    measure.score = weighted_score(values, criteria)
    measure.priority_class = priority_class(measure.score, gate)


def score_measure(
    measure: Measure,
    values: dict[int, int],
    by: User | None,
    comments: dict[int, str] | None = None,
) -> None:
    """Upsert the measure's scores (0-5 per weighted criterion) and recompute score and class.

    Validates every value before writing anything (``ValidationFailed``: nothing changed).
    Unknown or gate criteria ids are refused. Flushes, never commits.
    """
    comments = comments or {}
    criteria = active_and_inactive_criteria()
    by_id = {c.id: c for c in criteria}
    parsed: dict[int, int] = {}
    for criterion_id, raw in values.items():
        criterion = by_id.get(int(criterion_id))
        if criterion is None or criterion.kind != CriterionKind.WEIGHTED:
            raise ValidationFailed("Unbekanntes Bewertungskriterium.")
        parsed[criterion.id] = _parse_value(raw, criterion)
    stored = scores_of(measure)
    for criterion_id, value in parsed.items():
        comment = (comments.get(criterion_id) or "").strip()[:MAX_REASON_LENGTH]
        score = stored.get(criterion_id)
        if score is None:
            db.session.add(
                Score(
                    measure_id=measure.id,
                    criterion_id=criterion_id,
                    value=value,
                    comment=comment,
                    scored_by_id=by.id if by is not None else None,
                )
            )
        elif score.value != value or score.comment != comment:
            score.value = value
            score.comment = comment
            score.scored_by_id = by.id if by is not None else None
    db.session.flush()
    recompute(measure, criteria)
    db.session.flush()


def set_rank_override(measure: Measure, rank: int | None, reason: str, by: User | None) -> None:
    """Set (rank >= 1, reason required) or clear (rank None) the manual rank; flushes."""
    reason = (reason or "").strip()
    if rank is None:
        measure.rank_override = None
        measure.rank_override_reason = ""
        db.session.flush()
        return
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1 or rank > 100000:
        raise ValidationFailed("Der Rang muss eine positive ganze Zahl sein.", field="rank")
    if not reason:
        raise ValidationFailed(
            "Für eine manuelle Rangfestlegung ist eine Begründung erforderlich.", field="reason"
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationFailed(
            f"Die Begründung darf höchstens {MAX_REASON_LENGTH} Zeichen lang sein.", field="reason"
        )
    measure.rank_override = rank
    measure.rank_override_reason = reason
    db.session.flush()


def _parse_weight(raw: object, name: str) -> Decimal:
    try:
        weight = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(
            f"„{name}“: Das Gewicht muss eine Zahl sein.", field="weight"
        ) from None
    if not weight.is_finite():
        raise ValidationFailed(f"„{name}“: Das Gewicht muss eine Zahl sein.", field="weight")
    if weight < 0 or weight > 100:
        raise ValidationFailed(
            f"„{name}“: Das Gewicht muss zwischen 0 und 100 liegen.", field="weight"
        )
    return weight.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def update_criteria(rows: list[dict[str, Any]], by: User | None = None) -> list[ScoringCriterion]:
    """Update or add criteria from ``rows`` and recompute every scored measure; flushes.

    Each row: id (None for a new one), name, description, kind ("gate"/"weighted"), weight,
    gate_field, is_active. Everything is validated first; on any error nothing is changed:
    weights must be numbers between 0 and 100, names non-empty and unique, gates need a known
    gate field, and the weights of the active weighted criteria must add up to exactly 100.
    """
    existing = {c.id: c for c in active_and_inactive_criteria()}
    cleaned: list[dict[str, Any]] = []
    names: set[str] = set()
    for row in rows:
        name = (row.get("name") or "").strip()
        if not name:
            raise ValidationFailed("Jedes Kriterium braucht einen Namen.", field="name")
        if len(name) > 120:
            raise ValidationFailed(
                f"„{name[:30]}…“: Der Name darf höchstens 120 Zeichen lang sein.", field="name"
            )
        if name.lower() in names:
            raise ValidationFailed(f"Der Name „{name}“ ist doppelt vergeben.", field="name")
        names.add(name.lower())
        try:
            kind = CriterionKind(row.get("kind") or CriterionKind.WEIGHTED)
        except ValueError:
            raise ValidationFailed(f"„{name}“: Unbekannte Art.", field="kind") from None
        gate_field = row.get("gate_field") or None
        if kind == CriterionKind.GATE:
            if gate_field not in GATE_FIELDS:
                raise ValidationFailed(
                    f"„{name}“: Ein Muss-Kriterium braucht ein Merkmal der Maßnahme.",
                    field="gate_field",
                )
            weight = Decimal("0")
        else:
            gate_field = None
            weight = _parse_weight(row.get("weight"), name)
        cid = row.get("id")
        if cid is not None and int(cid) not in existing:
            raise ValidationFailed("Unbekanntes Bewertungskriterium.")
        cleaned.append(
            {
                "id": int(cid) if cid is not None else None,
                "name": name,
                "description": (row.get("description") or "").strip()[:MAX_REASON_LENGTH],
                "kind": kind,
                "weight": weight,
                "gate_field": gate_field,
                "is_active": bool(row.get("is_active", True)),
            }
        )
    touched = {r["id"] for r in cleaned if r["id"] is not None}
    untouched = [c for cid, c in existing.items() if cid not in touched]
    total = sum(
        (r["weight"] for r in cleaned if r["is_active"] and r["kind"] == CriterionKind.WEIGHTED),
        Decimal("0"),
    ) + sum(
        (Decimal(c.weight) for c in untouched if c.is_active and c.kind == CriterionKind.WEIGHTED),
        Decimal("0"),
    )
    if total != Decimal("100"):
        raise ValidationFailed(
            "Die Gewichte der aktiven gewichteten Kriterien müssen zusammen genau 100 ergeben "
            f"(derzeit {format(total.normalize(), 'f').replace('.', ',')}).",
            field="weight",
        )
    clash = {c.name.lower() for c in untouched} & names
    if clash:
        raise ValidationFailed("Ein Kriterium mit diesem Namen gibt es schon.", field="name")
    next_position = max((c.position for c in existing.values()), default=0) + 10
    for r in cleaned:
        if r["id"] is None:
            criterion = ScoringCriterion(position=next_position)
            next_position += 10
            db.session.add(criterion)
        else:
            criterion = existing[r["id"]]
        for key in ("name", "description", "kind", "weight", "gate_field", "is_active"):
            if getattr(criterion, key) != r[key]:
                setattr(criterion, key, r[key])
    db.session.flush()
    recompute_all()
    return active_and_inactive_criteria()


def recompute_all() -> int:
    """Recompute score and class of every measure that has scores or a gate; flushes.

    Uses two queries (criteria, all scores) plus the affected measures; returns the count.
    """
    criteria = active_and_inactive_criteria()
    values: dict[int, dict[int, int]] = {}
    for measure_id, criterion_id, value in db.session.execute(
        select(Score.measure_id, Score.criterion_id, Score.value)
    ):
        values.setdefault(measure_id, {})[criterion_id] = value
    gate_fields = [
        getattr(Measure, c.gate_field)
        for c in criteria
        if c.is_active and c.kind == CriterionKind.GATE and c.gate_field in GATE_FIELDS
    ]
    condition = Measure.id.in_(list(values)) if values else None
    clauses = [*([condition] if condition is not None else []), *[f.is_(True) for f in gate_fields]]
    clauses.append(Measure.priority_class.is_not(None))
    measures = db.session.scalars(select(Measure).where(or_(*clauses))).all()
    for measure in measures:
        gate = bool(gates_met(measure, criteria))
        stored = values.get(measure.id)
        score = weighted_score(stored, criteria) if stored else None
        cls = priority_class(score, gate)
        if measure.score != score:
            measure.score = score
        if measure.priority_class != cls:
            measure.priority_class = cls
    db.session.flush()
    return len(measures)


def score_history(measure: Measure) -> list[AuditEntry]:
    """The latest 50 changes of the measure's scores, class and manual rank (newest first)."""
    entries = db.session.scalars(
        select(AuditEntry)
        .options(selectinload(AuditEntry.user))
        .where(
            AuditEntry.measure_id == measure.id,
            AuditEntry.entity_type.in_(("scores", "measures")),
        )
        .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
        .limit(200)
    )
    wanted = {"value", "score", "priority_class", "rank_override", "rank_override_reason"}
    return [
        e for e in entries if e.entity_type == "scores" or wanted & set((e.changes or {}).keys())
    ][:50]
