"""Audit trail: every insert, update and delete of an audited model is logged on flush.

The log is written by a session hook, so no service can forget it. The acting user is
taken from a context variable that the web layer (or a CLI command) sets.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session, scoped_session

from steuerung.models import (
    ActionField,
    ActualsProfile,
    ActualsSnapshot,
    Agenda,
    ApiToken,
    AuditEntry,
    BudgetAmount,
    BudgetLine,
    BudgetScenario,
    CarryForward,
    ChangeRequest,
    CommitmentAuthorization,
    CostPlanEntry,
    CoverageRing,
    CoverageRingMember,
    DataGeneration,
    Department,
    Goal,
    Grant,
    GrantCall,
    KeyFigure,
    KeyFigureValue,
    MaturityAssessment,
    MaturityRating,
    Measure,
    Milestone,
    PartGeneration,
    PlanAmount,
    PlanDepartmentState,
    PlanKeyFigure,
    PlanLine,
    PlanVersion,
    Score,
    ScoringCriterion,
    Settings,
    StatusReport,
    User,
)
from steuerung.models.base import utcnow

#: Measures are grouped into blocks of consecutive ids for the part generations. Smaller
#: blocks: after a few edits the summarising pages read fewer rows again; more blocks: more
#: parts to merge. At 10,000 measures under the load test's rate of writes (a replay of its
#: mix in one process, 150 s) 128 took the summarising pages' total time from 18.3 to 13.8 s
#: on SQLite and from 20.5 to 17.6 s on PostgreSQL against 1,024 (256: 18.3 s on PostgreSQL);
#: a full recompute costs about the same. All instances on one database must use the same
#: size (a part number names a block of this size).
BLOCK_SIZE = 128
#: A block has one part per group of measure data (:func:`block_part`), so an aggregate over
#: measures is read again only after a change to data of a group it reads.
PARTS_PER_BLOCK = 4
#: Everything aggregates filter, group, rank or sum by: the measure's columns except those
#: of the other groups, its cost plan, goals, scores, milestones, key figures, grants.
CORE = 0
#: The measure's free texts (``TEXT_COLUMNS``): read only by lists that show them.
TEXT = 1
#: Status reports and the date of the latest one (lights, overdue reports).
REPORTS = 2
#: The groups of measure data; an aggregate reads all of them unless it names fewer.
ALL_GROUPS = (CORE, TEXT, REPORTS)
TEXT_COLUMNS = frozenset(
    {"title", "description", "contact", "legal_basis", "rank_override_reason", "public_description"}
)
REPORT_COLUMNS = frozenset({"last_report_on"})
#: The part for any change not classified below (bulk writes, unknown tables): every
#: aggregate over measures is recomputed.
SHARED_PART = -1
#: Money planned on budget lines (Ansatz/Planung, VE, rings, scenarios, plan versions,
#: carry-forwards): the line figures read it, no aggregate over measures does.
LINE_MONEY_PART = -2
#: Imported actuals (profiles, snapshots and their rows).
ACTUALS_PART = -3
#: Data no aggregate over measures reads (API tokens, scoring criteria, maturity checks).
OTHER_PART = -4
_PART_OF_TABLE: dict[str, int] = {
    **dict.fromkeys(
        (
            "budget_amounts",
            "commitment_authorizations",
            "coverage_rings",
            "coverage_ring_members",
            "budget_scenarios",
            "carry_forwards",
            "plan_versions",
            "plan_lines",
            "plan_amounts",
            "plan_key_figures",
            "plan_department_states",
        ),
        LINE_MONEY_PART,
    ),
    **dict.fromkeys(("actuals_profiles", "actuals_snapshots", "actual_rows"), ACTUALS_PART),
    **dict.fromkeys(
        ("api_tokens", "scoring_criteria", "maturity_assessments", "maturity_ratings"),
        OTHER_PART,
    ),
}


#: Shared tables that aggregates over measures read, each with a part of its own: an
#: aggregate names those it reads (:func:`shared_parts`) and is recomputed in full only
#: when one of them (or unclassified data) changes.
SHARED_TABLE_PARTS: dict[str, int] = {
    "budget_lines": -10,
    "departments": -11,
    "users": -12,
    "settings": -13,
    "agendas": -14,
    "action_fields": -15,
    "goals": -16,
}
#: The tables of the Digitale Agenda (a measure's goals and fields of action).
AGENDA_TABLES = ("agendas", "action_fields", "goals")


def shared_parts(*tables: str) -> tuple[int, ...]:
    """The shared parts an aggregate over measures depends on when it reads ``tables``
    besides the measures' own rows (always including unclassified changes)."""
    return (SHARED_PART, *(SHARED_TABLE_PARTS[table] for table in tables))


def block_part(block: int, group: int) -> int:
    """The part of one group of measure data (``CORE``, ``TEXT``, ``REPORTS``) of a block."""
    return block * PARTS_PER_BLOCK + group


def parts_of(
    entity_type: str,
    measure_id: int | None,
    action: str = "create",
    changes: dict[str, Any] | None = None,
) -> list[int]:
    """The part generations a change raises: for a measure's data the parts of its block
    for the groups the change touches (an update of a measure by the columns it changes,
    a new or deleted measure all), else the part of its table."""
    if measure_id is None:
        if entity_type in SHARED_TABLE_PARTS:
            return [SHARED_TABLE_PARTS[entity_type]]
        return [_PART_OF_TABLE.get(entity_type, SHARED_PART)]
    block = measure_id // BLOCK_SIZE
    if entity_type == "status_reports":
        groups = {REPORTS}
    elif entity_type == "measures" and action == "update" and changes:
        groups = {
            TEXT if column in TEXT_COLUMNS else REPORTS if column in REPORT_COLUMNS else CORE
            for column in changes
        }
    elif entity_type == "measures":
        groups = set(ALL_GROUPS)
    else:
        groups = {CORE}
    return [block_part(block, group) for group in sorted(groups)]


_actor_id: ContextVar[int | None] = ContextVar("audit_actor_id", default=None)

AUDITED: tuple[type, ...] = (
    Measure,
    CostPlanEntry,
    Milestone,
    StatusReport,
    KeyFigure,
    KeyFigureValue,
    BudgetLine,
    BudgetAmount,
    CommitmentAuthorization,
    CoverageRing,
    CoverageRingMember,
    Score,
    ScoringCriterion,
    BudgetScenario,
    ChangeRequest,
    Agenda,
    ActionField,
    Goal,
    Department,
    User,
    Settings,
    MaturityAssessment,
    MaturityRating,
    ActualsProfile,
    ActualsSnapshot,
    CarryForward,
    PlanVersion,
    PlanLine,
    PlanAmount,
    PlanKeyFigure,
    PlanDepartmentState,
    Grant,
    GrantCall,
    ApiToken,
)
#: Columns that change on every save and say nothing about the content.
IGNORED = {"version_id", "updated_at", "last_login_at"}
#: Columns whose values never go into the log.
SECRET = {"password_hash", "token_hash"}


def set_actor(user_id: int | None) -> None:
    """Name the user whose changes are being flushed (None for system changes)."""
    _actor_id.set(user_id)


def current_actor() -> int | None:
    """The user id set with ``set_actor``."""
    return _actor_id.get()


@contextmanager
def acting_as(user_id: int | None) -> Iterator[None]:
    """Temporarily attribute changes to ``user_id`` (CLI, seed, tests)."""
    token = _actor_id.set(user_id)
    try:
        yield
    finally:
        _actor_id.reset(token)


def _plain(value: Any) -> Any:
    """Turn a column value into something JSON can hold."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _entity(obj: Any) -> tuple[str, int | None]:
    """Table name and primary key of an audited object (its id column before the first flush)."""
    identity = inspect(obj).identity
    return obj.__tablename__, identity[0] if identity else obj.id


def _measure_id(obj: Any) -> int | None:
    if isinstance(obj, Measure):
        return obj.id
    if isinstance(obj, KeyFigureValue):
        figure = obj.__dict__.get("key_figure")
        return figure.measure_id if figure is not None else None
    if isinstance(obj, GrantCall):
        grant = obj.__dict__.get("grant")
        return grant.measure_id if grant is not None else None
    return getattr(obj, "measure_id", None)


def _column_changes(obj: Any, mode: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in IGNORED:
            continue
        hist = state.attrs[key].history
        if mode == "create":
            value = getattr(obj, key)
            if value is not None and key != "id":
                changes[key] = [None, "***" if key in SECRET else _plain(value)]
        elif mode == "delete":
            value = state.attrs[key].loaded_value
            changes[key] = [None if key in SECRET else _plain(value), None]
        elif hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if key in SECRET:
                changes[key] = ["***", "***"]
            elif _plain(before) != _plain(after):
                changes[key] = [_plain(before), _plain(after)]
    if isinstance(obj, Measure) and mode != "delete":
        hist = state.attrs["goals"].history
        if hist.added or hist.deleted:
            kept = tuple(hist.unchanged or ())
            changes["goals"] = [
                sorted(g.code for g in kept + tuple(hist.deleted or ())),
                sorted(g.code for g in kept + tuple(hist.added or ())),
            ]
    return changes


def _rows(session: Session) -> list[dict[str, Any]]:
    rows = []
    now = utcnow()
    actor = current_actor()
    for mode, objects in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            if not isinstance(obj, AUDITED):
                continue
            if mode == "update" and not session.is_modified(obj, include_collections=True):
                continue
            changes = _column_changes(obj, mode)
            if mode == "update" and not changes:
                continue
            entity_type, entity_id = _entity(obj)
            rows.append(
                {
                    "occurred_at": now,
                    "user_id": actor,
                    "entity_type": entity_type,
                    "entity_id": entity_id,
                    "measure_id": _measure_id(obj),
                    "action": mode,
                    "changes": changes,
                }
            )
    return rows


@event.listens_for(Session, "after_flush")
def _write_audit_log(session: Session, flush_context: Any) -> None:
    rows = _rows(session)
    if rows:
        session.connection().execute(insert(AuditEntry), rows)
        _note_changes(session, _parts_of_rows(rows))


# --- Bulk writes and the data generation ---------------------------------------------------


def audit_row(
    entity_type: str,
    entity_id: int,
    action: str,
    changes: dict[str, list[Any]],
    measure_id: int | None = None,
) -> dict[str, Any]:
    """One audit entry for a change written without the ORM (bulk import), as the hook writes it.

    ``changes`` maps column -> [before, after]; values are made JSON-safe here.
    """
    return {
        "occurred_at": utcnow(),
        "user_id": current_actor(),
        "entity_type": entity_type,
        "entity_id": entity_id,
        "measure_id": measure_id,
        "action": action,
        "changes": {k: [_plain(v[0]), _plain(v[1])] for k, v in changes.items()},
    }


def write_audit_rows(session: Session | scoped_session[Any], rows: list[dict[str, Any]]) -> None:
    """Insert audit entries of bulk changes in one statement and mark the data as changed."""
    if rows:
        session.connection().execute(insert(AuditEntry), rows)
        _note_changes(session, _parts_of_rows(rows))


def _parts_of_rows(rows: list[dict[str, Any]]) -> list[int]:
    return [
        part
        for row in rows
        for part in parts_of(row["entity_type"], row["measure_id"], row["action"], row["changes"])
    ]


def mark_data_changed(session: Session | scoped_session[Any]) -> None:
    """Note that this transaction changed audited data: the generation rises at commit.

    Not attributed to single measures: the shared part generation rises too (bulk writes),
    so every aggregate over measures is computed again.
    """
    _note_changes(session, [SHARED_PART])


def _note_changes(session: Session | scoped_session[Any], parts: list[int]) -> None:
    """Remember what this transaction changed: the data generation rises at commit, and the
    part generation of each touched part (:func:`parts_of`)."""
    info = session.info
    info["data_changed"] = True
    info.setdefault("changed_parts", set()).update(parts)


def part_generations(session: Session | scoped_session[Any]) -> dict[int, int]:
    """The generation of every part that has changed (missing parts are at 0)."""
    rows = session.execute(select(PartGeneration.part, PartGeneration.value))
    return {int(part): int(value) for part, value in rows}


def data_generation(session: Session | scoped_session[Any]) -> int:
    """The current data generation (0 before the first audited change)."""
    value = session.execute(select(DataGeneration.value).where(DataGeneration.id == 1)).scalar()
    return int(value or 0)


@event.listens_for(Session, "before_commit")
def _raise_generation(session: Session) -> None:
    # Flush first: before_commit runs before the commit's own flush, whose audit rows count.
    # The counter row is written as the last statement of the transaction, so its row lock
    # (PostgreSQL) is held only for the commit itself.
    session.flush()
    parts = sorted(session.info.pop("changed_parts", ()))
    if not session.info.pop("data_changed", False):
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    # The first value is random: a database emptied and filled again (tests, a fresh
    # install on the same host) never repeats a generation a running worker has cached.
    # Rows are raised in one order (parts ascending, then the data generation), so two
    # transactions never wait for each other's row locks crosswise (PostgreSQL).
    if parts:
        statement = upsert(PartGeneration).values(
            [{"part": part, "value": secrets.randbelow(2**30) + 1} for part in parts]
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["part"], set_={"value": PartGeneration.value + 1}
            )
        )
    statement = upsert(DataGeneration).values(id=1, value=secrets.randbelow(2**30) + 1)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["id"], set_={"value": DataGeneration.value + 1}
        )
    )


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop("data_changed", None)
    session.info.pop("changed_parts", None)
