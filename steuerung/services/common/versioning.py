"""Optimistic locking for whole aggregates: a change to any child row raises the parent's version.

Measures and budget lines carry a version number (``version_id_col``). SQLAlchemy raises it
when a column of the row itself changes; this session hook also raises it when a child row
changes (cost plan, milestones, reports, key figures and their values, comments, scores,
change requests; a line's amounts and VE) or a collection changes (goal links). So

* a form loaded at version *n* and saved after someone else's change is refused by the
  service's :func:`check_version` (the sequential case), and
* two saves that both loaded version *n* race in the database: the second ``UPDATE ... WHERE
  version_id = n`` finds no row and SQLAlchemy raises ``StaleDataError`` (the simultaneous
  case), which the web layer turns into a German message.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from steuerung.models import (
    BudgetAmount,
    BudgetLine,
    ChangeRequest,
    CommitmentAuthorization,
    CostPlanEntry,
    CoverageRing,
    CoverageRingMember,
    Grant,
    GrantCall,
    KeyFigure,
    KeyFigureValue,
    Measure,
    MeasureComment,
    Milestone,
    PlanAmount,
    PlanLine,
    Score,
    StatusChange,
    StatusReport,
)
from steuerung.models.base import utcnow
from steuerung.services.common.errors import StaleObject

#: Child class -> (parent class, attribute naming the parent object, attribute with its id).
CHILDREN: dict[type, tuple[type, str, str]] = {
    CostPlanEntry: (Measure, "measure", "measure_id"),
    Milestone: (Measure, "measure", "measure_id"),
    StatusReport: (Measure, "measure", "measure_id"),
    StatusChange: (Measure, "measure", "measure_id"),
    KeyFigure: (Measure, "measure", "measure_id"),
    MeasureComment: (Measure, "measure", "measure_id"),
    Score: (Measure, "measure", "measure_id"),
    ChangeRequest: (Measure, "measure", "measure_id"),
    BudgetAmount: (BudgetLine, "budget_line", "budget_line_id"),
    CommitmentAuthorization: (BudgetLine, "budget_line", "budget_line_id"),
    CoverageRingMember: (CoverageRing, "ring", "ring_id"),
    PlanAmount: (PlanLine, "plan_line", "plan_line_id"),
    GrantCall: (Grant, "grant", "grant_id"),
}
#: Versioned parents; touching one sets its ``updated_at`` (a column the audit log ignores),
#: which makes SQLAlchemy update the row and raise its version.
TOUCH: tuple[type, ...] = (Measure, BudgetLine, CoverageRing, PlanLine, Grant)


CREATED_KEY = "versioning_created"


@event.listens_for(Session, "after_transaction_end")
def _forget_created(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(CREATED_KEY, None)


def check_version(obj: Any, expected: Any, message: str) -> None:
    """Refuse (``StaleObject``) unless ``expected`` is ``obj``'s saved version.

    A missing or unreadable version is refused as well: a form that does not say which
    state it was based on could silently overwrite another person's change.
    """
    try:
        version = int(expected)
    except (TypeError, ValueError):
        version = None
    if version is None or version != obj.version_id:
        raise StaleObject(message, field="version_id")


def _columns_changed(obj: Any) -> bool:
    """True if a column of ``obj`` itself changed (not only its collections)."""
    state = inspect(obj)
    return any(state.attrs[a.key].history.has_changes() for a in state.mapper.column_attrs)


def _parent(session: Session, obj: Any) -> Any:
    """The versioned parent of a child row (loaded from the identity map or the database)."""
    if isinstance(obj, KeyFigureValue):
        figure = obj.__dict__.get("key_figure")
        if figure is None and obj.key_figure_id is not None:
            with session.no_autoflush:
                figure = session.get(KeyFigure, obj.key_figure_id)
        return _parent(session, figure) if figure is not None else None
    spec = CHILDREN.get(type(obj))
    if spec is None:
        return None
    parent_class, attr, id_attr = spec
    parent = obj.__dict__.get(attr)
    if parent is None and getattr(obj, id_attr, None) is not None:
        with session.no_autoflush:
            parent = session.get(parent_class, getattr(obj, id_attr))
    return parent


@event.listens_for(Session, "before_flush")
def _raise_parent_versions(session: Session, flush_context: Any, instances: Any) -> None:
    # Parents inserted in this transaction are at version 1 until it commits, however many
    # flushes it takes to add their children.
    created: set[Any] = session.info.setdefault(CREATED_KEY, set())
    created.update(obj for obj in session.new if type(obj) in TOUCH)
    parents: set[Any] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if type(obj) in TOUCH and obj in session.dirty:
            if session.is_modified(obj, include_collections=True):
                parents.add(obj)
            continue
        parent = _parent(session, obj)
        if parent is not None:
            parents.add(parent)
    for parent in parents:
        if parent in session.new or parent in session.deleted or parent in created:
            continue
        if _columns_changed(parent):
            continue  # its own UPDATE raises the version
        parent.updated_at = utcnow()
