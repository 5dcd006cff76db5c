"""The Digitale Agenda: coverage of its goals by measures, and its revision (Fortschreibung).

Versions: a revision copies the fields of action and goals of a version into a new DRAFT
version (``predecessor_id`` points back). Only drafts can be edited. Adopting a draft makes
it ADOPTED and the previously adopted version SUPERSEDED; old versions stay readable.

Goal links of measures are NOT moved by a revision: a measure stays linked to the goal of the
version it was made with (that is what was decided then). Goal codes are kept stable by the
revision, so the coverage of a version also counts measures linked to a goal with the same
code in an earlier version of the chain; the page shows which version the link comes from.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Numeric, case, func, select, type_coerce
from sqlalchemy.orm import selectinload

from steuerung.extensions import db
from steuerung.models import (
    ActionField,
    Agenda,
    AgendaStatus,
    CostPlanEntry,
    Goal,
    Measure,
    MeasureStatus,
    User,
    measure_goals,
)
from steuerung.services.common.audit import AGENDA_TABLES, CORE, shared_parts
from steuerung.services.common.cache import Blocks, cached, summed_by_block, top_by_block
from steuerung.services.common.errors import ValidationFailed
from steuerung.services.common.settings import planning_horizon
from steuerung.services.measures.costs import horizon_costs
from steuerung.services.measures.rules import (
    NOT_SERVING_STATUSES,
    measure_reference,
    visibility_scope,
    visible_measures_filter,
)

ZERO = Decimal("0.00")
#: Measures in these states do not serve a goal (any more).


def adopted_agenda() -> Agenda | None:
    """The adopted version (the newest one if, by accident, there were several)."""
    return db.session.scalar(
        select(Agenda)
        .where(Agenda.status == AgendaStatus.ADOPTED)
        .order_by(Agenda.version_no.desc())
        .limit(1)
    )


def all_versions() -> list[Agenda]:
    """Every version, newest first."""
    return list(db.session.scalars(select(Agenda).order_by(Agenda.version_no.desc())))


def load_agenda(agenda_id: int) -> Agenda | None:
    """One version with its fields of action and goals loaded."""
    return db.session.scalar(
        select(Agenda)
        .where(Agenda.id == agenda_id)
        .options(selectinload(Agenda.action_fields).selectinload(ActionField.goals))
    )


def version_chain(agenda: Agenda) -> list[int]:
    """Ids of ``agenda`` and the versions it revises, newest first: a measure linked to a
    goal of any of them serves the goal with the same code in ``agenda``."""
    return _chain_ids(agenda)


def _chain_ids(agenda: Agenda) -> list[int]:
    """Ids of ``agenda`` and its predecessors (oldest last)."""
    ids = [agenda.id]
    parents = dict(db.session.execute(select(Agenda.id, Agenda.predecessor_id)).all())
    current = parents.get(agenda.id)
    while current is not None and current not in ids:
        ids.append(current)
        current = parents.get(current)
    return ids


#: Measures listed per goal on the page; the rest is reachable through the register filter.
MEASURES_SHOWN_PER_GOAL = 10


@dataclass(frozen=True)
class MeasureRef:
    """The few columns of a measure the coverage shows."""

    id: int
    title: str
    status: MeasureStatus

    @property
    def reference(self) -> str:
        """Human-readable id, e.g. ``M-0042``."""
        return measure_reference(self.id)


@dataclass
class CoveredMeasure:
    """A measure serving a goal, with its cost over the planning horizon."""

    measure: MeasureRef
    total: Decimal
    #: Version number of the goal the measure is linked to (may be an earlier version).
    via_version: int


@dataclass
class GoalCoverage:
    """One goal and the measures that serve it (the first few listed, all counted)."""

    goal: Goal
    measures: list[CoveredMeasure] = field(default_factory=list)
    count: int = 0
    total: Decimal = ZERO
    #: Goal ids (of this and earlier versions, same code) for the register's goal filter.
    goal_ids: set[int] = field(default_factory=set)

    @property
    def covered(self) -> bool:
        """True if at least one measure serves the goal."""
        return self.count > 0

    @property
    def more(self) -> int:
        """Serving measures not listed on the page."""
        return self.count - len(self.measures)


@dataclass(frozen=True)
class _CodeCoverage:
    """What the coverage of one goal code needs, as plain values (cacheable)."""

    count: int
    total: Decimal
    goal_ids: frozenset[int]
    #: The first measures (by id) with their horizon cost and the version they are linked in.
    shown: tuple[tuple[MeasureRef, Decimal, int], ...]


def goal_coverage(agenda: Agenda, user: User) -> list[tuple[ActionField, list[GoalCoverage]]]:
    """For each field of action and goal of ``agenda``: the measures visible to ``user``
    that serve it (rejected and cancelled ones do not count), their number and cost."""
    return coverage_among(agenda, visible_measures_filter(user), visibility_scope(user))


def coverage_among(
    agenda: Agenda, measures: ColumnElement[bool], scope: Hashable
) -> list[tuple[ActionField, list[GoalCoverage]]]:
    """:func:`goal_coverage` counting only the measures matching ``measures`` (SQL), e.g.
    those published on the transparency page; rejected and cancelled ones never count.
    ``scope`` names that set of measures in the cache key (it must change with it).

    A measure linked to a goal of an earlier version with the same code counts once; the
    newest version it is linked in is named. Counting and summing happen in SQL; the result
    per code is cached until the data changes.
    """
    chain = tuple(_chain_ids(agenda))
    fields = list(
        db.session.scalars(
            select(ActionField)
            .where(ActionField.agenda_id == agenda.id)
            .options(selectinload(ActionField.goals))
            .order_by(ActionField.position, ActionField.id)
        )
    )
    years = tuple(planning_horizon())
    by_code = cached(
        "agenda.goal_coverage",
        (chain, scope, years),
        lambda: _coverage_by_code(list(chain), measures, scope, list(years)),
    )
    result = []
    for action_field in fields:
        goals = []
        for goal in action_field.goals:
            found = by_code.get(goal.code)
            coverage = GoalCoverage(goal=goal, goal_ids={goal.id})
            if found is not None:
                coverage.count = found.count
                coverage.total = found.total
                coverage.goal_ids |= found.goal_ids
                coverage.measures = [
                    CoveredMeasure(measure=ref, total=total, via_version=version)
                    for ref, total, version in found.shown
                ]
            goals.append(coverage)
        result.append((action_field, goals))
    return result


def _coverage_by_code(
    chain: list[int], measures: ColumnElement[bool], scope: Hashable, years: list[int]
) -> dict[str, _CodeCoverage]:
    """Counts, costs and the first measures per goal code (kept per block of measures;
    ``scope`` names ``measures`` in the cache key), then the shown measures' columns."""
    position = case(
        *[(ActionField.agenda_id == agenda_id, i) for i, agenda_id in enumerate(chain)],
        else_=len(chain),
    )
    key = (tuple(chain), scope, tuple(years))
    money = Numeric(14, 2, asdecimal=True)

    def pairs(blocks: Blocks) -> Any:
        """(code, measure, newest position in the chain): each measure once per code."""
        goal_id: Any = measure_goals.c.goal_id
        if blocks.ids is not None:
            # Read the links from the block's id range, not through every goal's links:
            # "+ 0" keeps SQLite's planner off the goal-id index.
            goal_id = goal_id + 0
        return (
            select(
                Goal.code.label("code"),
                measure_goals.c.measure_id.label("measure_id"),
                func.min(position).label("position"),
            )
            .select_from(measure_goals)
            .join(Goal, Goal.id == goal_id)
            .join(ActionField, ActionField.id == Goal.action_field_id)
            .join(Measure, Measure.id == measure_goals.c.measure_id)
            .where(
                ActionField.agenda_id.in_(chain),
                measures,
                Measure.status.not_in(NOT_SERVING_STATUSES),
                *blocks.only(measure_goals.c.measure_id),
            )
            .group_by(Goal.code, measure_goals.c.measure_id)
            .subquery("pairs")
        )

    def total_rows(blocks: Blocks) -> Any:
        found = pairs(blocks)
        costs = horizon_costs(years, per_year=False, where=blocks.only(CostPlanEntry.measure_id))
        block = blocks.of(found.c.measure_id)
        return db.session.execute(
            select(
                block,
                found.c.code,
                func.count().label("count"),
                type_coerce(func.sum(costs.c.total), money).label("total"),
            )
            .select_from(found)
            .outerjoin(costs, costs.c.measure_id == found.c.measure_id)
            .group_by(block, found.c.code)
        )

    def first_rows(blocks: Blocks) -> Any:
        found = pairs(blocks)
        block = blocks.of(found.c.measure_id)
        window = (block, found.c.code)
        numbered = select(
            block.label("block"),
            found.c.code,
            func.count().over(partition_by=window).label("count"),
            found.c.measure_id,
            found.c.position,
            func.row_number().over(partition_by=window, order_by=found.c.measure_id).label("n"),
        ).subquery("numbered")
        return db.session.execute(select(numbered).where(numbered.c.n <= MEASURES_SHOWN_PER_GOAL))

    # Counted and summed per block of measures: after an edit only its block is read.
    cent = Decimal("0.01")
    totals = {
        code: (count, Decimal(total or 0).quantize(cent))
        for (code,), (count, total) in summed_by_block(
            "agenda.totals",
            key,
            total_rows,
            keys=1,
            shared_parts=shared_parts(*AGENDA_TABLES),
            reads=(CORE,),
        ).items()
    }
    first = [
        row
        for _, rows in top_by_block(
            "agenda.first",
            key,
            first_rows,
            limit=MEASURES_SHOWN_PER_GOAL,
            order=lambda row: row.measure_id,
            groups=1,
            shared_parts=shared_parts(*AGENDA_TABLES),
            reads=(CORE,),
        ).values()
        for row in rows
    ]
    ids = sorted({row.measure_id for row in first})
    shown_costs = horizon_costs(years, ids, per_year=False)
    refs = {
        row.id: (MeasureRef(row.id, row.title, MeasureStatus(row.status)), row.total)
        for row in db.session.execute(
            select(Measure.id, Measure.title, Measure.status, shown_costs.c.total)
            .outerjoin(shown_costs, shown_costs.c.measure_id == Measure.id)
            .where(Measure.id.in_(ids))
        )
    }
    versions = dict(db.session.execute(select(Agenda.id, Agenda.version_no)).all())
    shown: dict[str, list[tuple[MeasureRef, Decimal, int]]] = {}
    for row in sorted(first, key=lambda r: (r.code, r.measure_id)):
        ref, total = refs[row.measure_id]
        version_no = versions.get(chain[row.position], 0) if row.position < len(chain) else 0
        shown.setdefault(row.code, []).append((ref, Decimal(total or 0).quantize(cent), version_no))
    goal_ids: dict[str, set[int]] = {}
    for code, goal_id in db.session.execute(
        select(Goal.code, Goal.id)
        .join(ActionField, ActionField.id == Goal.action_field_id)
        .where(ActionField.agenda_id.in_(chain))
    ):
        goal_ids.setdefault(code, set()).add(goal_id)
    return {
        code: _CodeCoverage(
            count=count,
            total=total,
            goal_ids=frozenset(goal_ids.get(code, set())),
            shown=tuple(shown.get(code, [])),
        )
        for code, (count, total) in totals.items()
    }


def revise(agenda: Agenda, title: str | None = None) -> Agenda:
    """A new DRAFT version copying ``agenda``'s fields of action and goals; flushes.

    Only one draft at a time: a second revision while a draft exists is refused.
    """
    draft = db.session.scalar(select(Agenda).where(Agenda.status == AgendaStatus.DRAFT))
    if draft is not None:
        raise ValidationFailed(
            f"Es gibt schon einen Entwurf (Version {draft.version_no}). "
            "Bitte diesen bearbeiten oder beschließen."
        )
    next_no = (db.session.scalar(select(func.max(Agenda.version_no))) or 0) + 1
    revision = Agenda(
        title=(title or agenda.title).strip()[:200] or agenda.title,
        version_no=next_no,
        status=AgendaStatus.DRAFT,
        predecessor_id=agenda.id,
    )
    for old_field in agenda.action_fields:
        new_field = ActionField(
            code=old_field.code,
            name=old_field.name,
            description=old_field.description,
            position=old_field.position,
            color=old_field.color,
        )
        for old_goal in old_field.goals:
            new_field.goals.append(
                Goal(
                    code=old_goal.code,
                    title=old_goal.title,
                    description=old_goal.description,
                    position=old_goal.position,
                )
            )
        revision.action_fields.append(new_field)
    db.session.add(revision)
    db.session.flush()
    return revision


def adopt(agenda: Agenda, adopted_on: date) -> None:
    """Adopt the draft ``agenda``; the previously adopted version becomes superseded; flushes."""
    if agenda.status != AgendaStatus.DRAFT:
        raise ValidationFailed("Nur ein Entwurf kann beschlossen werden.")
    if not agenda.action_fields or not any(f.goals for f in agenda.action_fields):
        raise ValidationFailed("Die Agenda braucht mindestens ein Handlungsfeld mit einem Ziel.")
    for previous in db.session.scalars(
        select(Agenda).where(Agenda.status == AgendaStatus.ADOPTED, Agenda.id != agenda.id)
    ):
        previous.status = AgendaStatus.SUPERSEDED
    agenda.status = AgendaStatus.ADOPTED
    agenda.adopted_on = adopted_on
    db.session.flush()


def _require_draft(agenda: Agenda) -> None:
    if agenda.status != AgendaStatus.DRAFT:
        raise ValidationFailed(
            "Beschlossene und abgelöste Versionen bleiben unverändert. "
            "Bitte eine Fortschreibung anlegen."
        )


def _check_code(code: str, existing: list[str]) -> str:
    code = (code or "").strip()
    if not code:
        raise ValidationFailed("Bitte ein Kürzel angeben.", "code")
    if len(code) > 10:
        raise ValidationFailed("Das Kürzel darf höchstens 10 Zeichen lang sein.", "code")
    if code.lower() in (c.lower() for c in existing):
        raise ValidationFailed(f"Das Kürzel „{code}“ ist in dieser Version schon vergeben.", "code")
    return code


def _check_text(value: str, label: str, name: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"Bitte {label} angeben.", name)
    if len(value) > limit:
        raise ValidationFailed(f"Höchstens {limit} Zeichen.", name)
    return value


def add_action_field(agenda: Agenda, code: str, name: str, description: str = "") -> ActionField:
    """Add a field of action to a draft; flushes."""
    _require_draft(agenda)
    code = _check_code(code, [f.code for f in agenda.action_fields])
    action_field = ActionField(
        code=code,
        name=_check_text(name, "einen Namen", "name", 200),
        description=(description or "").strip(),
        position=max((f.position for f in agenda.action_fields), default=0) + 1,
    )
    agenda.action_fields.append(action_field)
    db.session.flush()
    return action_field


def add_goal(action_field: ActionField, code: str, title: str, description: str = "") -> Goal:
    """Add a goal to a field of action of a draft; goal codes are unique within the version."""
    agenda = action_field.agenda
    _require_draft(agenda)
    codes = [g.code for f in agenda.action_fields for g in f.goals]
    goal = Goal(
        code=_check_code(code, codes),
        title=_check_text(title, "einen Titel", "title", 300),
        description=(description or "").strip(),
        position=max((g.position for g in action_field.goals), default=0) + 1,
    )
    action_field.goals.append(goal)
    db.session.flush()
    return goal


def remove_goal(goal: Goal) -> None:
    """Delete a goal of a draft unless a measure is linked to it; flushes."""
    _require_draft(goal.action_field.agenda)
    linked = db.session.scalar(
        select(func.count()).select_from(measure_goals).where(measure_goals.c.goal_id == goal.id)
    )
    if linked:
        raise ValidationFailed(
            f"Dem Ziel {goal.code} sind noch {linked} Maßnahmen zugeordnet; es bleibt bestehen."
        )
    goal.action_field.goals.remove(goal)
    db.session.flush()


def new_agenda(title: str) -> Agenda:
    """A first, empty DRAFT version (when no agenda exists yet); flushes."""
    if db.session.scalar(select(func.count(Agenda.id))):
        raise ValidationFailed("Es gibt schon eine Agenda. Bitte eine Fortschreibung anlegen.")
    agenda = Agenda(
        title=_check_text(title, "einen Titel", "title", 200),
        version_no=1,
        status=AgendaStatus.DRAFT,
    )
    db.session.add(agenda)
    db.session.flush()
    return agenda
