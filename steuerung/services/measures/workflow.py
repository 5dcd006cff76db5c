"""The measure lifecycle: states, who may make which transition, and the record of each.

A transition is allowed when the pair (from, to) is in ``TRANSITIONS``, the user's role is
listed for it and, for departments, the measure belongs to the user's department.
Decisions need a reason. Forbidden transitions raise ``TransitionNotAllowed`` and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from steuerung.extensions import db
from steuerung.models import Measure, MeasureComment, MeasureStatus, Role, StatusChange, User
from steuerung.models.base import utcnow
from steuerung.services.common.errors import TransitionNotAllowed, ValidationFailed
from steuerung.services.common.versioning import check_version

S = MeasureStatus
DEPT = (Role.SUBMITTER,)
OFFICE = (Role.COORDINATOR,)
BOTH = (Role.SUBMITTER, Role.COORDINATOR)


@dataclass(frozen=True)
class Transition:
    """One allowed move in the lifecycle."""

    source: MeasureStatus
    target: MeasureStatus
    roles: tuple[Role, ...]
    #: German verb shown on the button.
    label: str
    reason_required: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.DRAFT, S.SUBMITTED, BOTH, "Einreichen"),
    Transition(S.RETURNED, S.SUBMITTED, BOTH, "Erneut einreichen"),
    Transition(S.SUBMITTED, S.UNDER_REVIEW, OFFICE, "Prüfung beginnen"),
    Transition(S.SUBMITTED, S.APPROVED, OFFICE, "Freigeben"),
    Transition(S.UNDER_REVIEW, S.APPROVED, OFFICE, "Freigeben"),
    Transition(S.SUBMITTED, S.RETURNED, OFFICE, "Rückfrage stellen", reason_required=True),
    Transition(S.UNDER_REVIEW, S.RETURNED, OFFICE, "Rückfrage stellen", reason_required=True),
    Transition(S.SUBMITTED, S.DEFERRED, OFFICE, "Zurückstellen", reason_required=True),
    Transition(S.UNDER_REVIEW, S.DEFERRED, OFFICE, "Zurückstellen", reason_required=True),
    Transition(S.APPROVED, S.DEFERRED, OFFICE, "Zurückstellen", reason_required=True),
    Transition(S.DEFERRED, S.UNDER_REVIEW, OFFICE, "Wieder aufnehmen"),
    Transition(S.SUBMITTED, S.REJECTED, OFFICE, "Ablehnen", reason_required=True),
    Transition(S.UNDER_REVIEW, S.REJECTED, OFFICE, "Ablehnen", reason_required=True),
    Transition(S.APPROVED, S.IN_PROGRESS, BOTH, "Umsetzung beginnen"),
    Transition(S.IN_PROGRESS, S.COMPLETED, BOTH, "Abschließen"),
    Transition(S.DRAFT, S.CANCELLED, BOTH, "Verwerfen", reason_required=True),
    Transition(S.RETURNED, S.CANCELLED, BOTH, "Zurückziehen", reason_required=True),
    Transition(S.APPROVED, S.CANCELLED, OFFICE, "Abbrechen", reason_required=True),
    Transition(S.IN_PROGRESS, S.CANCELLED, OFFICE, "Abbrechen", reason_required=True),
)

_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}
MAX_REASON_LENGTH = 4000
#: Marks a transition made without a page (e.g. submitting right after saving).
UNCHECKED: Any = object()
STALE_DECISION = (
    "Die Maßnahme wurde inzwischen von einer anderen Person geändert (Status oder Angaben). "
    "Ihre Entscheidung wurde nicht gespeichert. Bitte prüfen Sie den aktuellen Stand."
)


def _role_may(transition: Transition, measure: Measure, user: User) -> bool:
    if user.role not in transition.roles:
        return False
    if user.role == Role.SUBMITTER:
        return measure.department_id == user.department_id
    return True


def allowed_transitions(measure: Measure, user: User) -> list[Transition]:
    """Transitions ``user`` may make on ``measure`` in its current state."""
    return [t for t in TRANSITIONS if t.source == measure.status and _role_may(t, measure, user)]


def missing_for_submission(measure: Measure) -> dict[str, str]:
    """Fields that must be filled before a measure can be submitted: {field: German message}."""
    missing: dict[str, str] = {}
    if not (measure.description or "").strip():
        missing["description"] = "Bitte beschreiben Sie die Maßnahme."
    if measure.owner_id is None:
        missing["owner_id"] = "Bitte benennen Sie eine verantwortliche Person."
    if measure.start_date is None:
        missing["start_date"] = "Bitte geben Sie den geplanten Beginn an."
    if measure.end_date is None:
        missing["end_date"] = "Bitte geben Sie das geplante Ende an."
    if not measure.goals:
        missing["goals"] = "Bitte ordnen Sie mindestens ein Ziel der Digitalen Agenda zu."
    if not measure.cost_plan:
        missing["cost_plan"] = "Bitte erfassen Sie den Kostenplan (mindestens eine Zeile)."
    if measure.legal_obligation and not (measure.legal_basis or "").strip():
        # A deadline is optional: the OZG, for one, sets none since its 2024 amendment.
        missing["legal_basis"] = (
            "Bei einer rechtlichen Verpflichtung ist die Rechtsgrundlage anzugeben."
        )
    return missing


class IncompleteMeasure(ValidationFailed):
    """A measure lacks what a submission needs; ``missing`` maps fields to German messages."""

    def __init__(self, missing: dict[str, str]) -> None:
        super().__init__(
            "Die Maßnahme ist noch nicht vollständig und wurde nicht gespeichert. Bitte "
            "ergänzen Sie die markierten Angaben oder speichern Sie sie als Entwurf."
        )
        self.missing = missing


def submit(measure: Measure, by: User) -> StatusChange:
    """Submit ``measure`` for review; raises :class:`IncompleteMeasure` if something is missing."""
    missing = missing_for_submission(measure)
    if missing:
        raise IncompleteMeasure(missing)
    return transition(measure, MeasureStatus.SUBMITTED, by)


def transition(
    measure: Measure,
    target: MeasureStatus,
    by: User,
    reason: str = "",
    expected_version: Any = UNCHECKED,
) -> StatusChange:
    """Move ``measure`` to ``target`` on behalf of ``by`` and record it; flushes, never commits.

    A decision taken on a page (``expected_version``: the version the page showed) is refused
    first when the measure changed since: the page the user decided on is out of date.
    """
    reason = (reason or "").strip()
    source = measure.status
    if expected_version is not UNCHECKED:
        check_version(measure, expected_version, STALE_DECISION)
    rule = _BY_PAIR.get((source, target))
    if rule is None:
        raise TransitionNotAllowed(
            f"Der Statuswechsel von „{source.label}“ nach „{target.label}“ ist nicht vorgesehen."
        )
    if not _role_may(rule, measure, by):
        raise TransitionNotAllowed(
            f"Sie dürfen den Status nicht von „{source.label}“ nach „{target.label}“ ändern."
        )
    if rule.reason_required and not reason:
        raise TransitionNotAllowed(
            f"Für „{rule.label}“ ist eine Begründung erforderlich.", field="reason"
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise TransitionNotAllowed(
            f"Die Begründung darf höchstens {MAX_REASON_LENGTH} Zeichen lang sein.", field="reason"
        )
    if target == S.SUBMITTED:
        missing = missing_for_submission(measure)
        if missing:
            raise TransitionNotAllowed(
                "Die Maßnahme ist noch nicht vollständig: " + " ".join(missing.values())
            )
        measure.submitted_at = utcnow()
        for question in measure.comments:
            if question.kind == "question" and question.resolved_at is None:
                question.resolved_at = utcnow()
    if target == S.RETURNED:
        measure.comments.append(MeasureComment(author_id=by.id, kind="question", body=reason))
    measure.status = target
    change = StatusChange(from_status=source, to_status=target, changed_by_id=by.id, reason=reason)
    measure.status_changes.append(change)
    db.session.flush()
    return change
