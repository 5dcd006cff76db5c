"""Rules of the budget planning cycle: stages, who does what, when a reason is needed.

The cycle of a budget year (DOMAIN.md): the departments register their needs (Anmeldung),
the treasury consolidates a draft (Entwurf), records the Eckwerte, and the council adopts the
budget (Beschluss, with date and Drucksache); later a Nachtrag may change it. Each stage is a
plan version; a stage is derived from the frozen one before it, and a frozen version never
changes.

Who does what
-------------
* A department (its staff, role ``submitter``; for their own units also the coordinating
  office and the treasury) works on its own lines of the open Anmeldung until it hands the
  Anmeldung in; department staff read their own lines in every version of the year.
* The treasury opens the round, reopens a department's Anmeldung, works on every later
  stage, records the Eckwerte, freezes each stage and derives the next one.
* Coordinating office, leadership and administration read everything.

When a reason is needed
-----------------------
A line needs a reason when it says something the stage before did not: in the Anmeldung when
its amounts differ from those derived from the cost plans (or it is a proposed line), in a
later stage when its amounts differ from the version it was derived from (or it is new there).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from steuerung.models import PlanStage, PlanVersion, Role, User
from steuerung.services.measures.rules import is_department_user

#: The stages in their order; the Nachtrag repeats (Nachtrag 1, 2, ...).
STAGE_ORDER: tuple[PlanStage, ...] = (
    PlanStage.REGISTRATION,
    PlanStage.DRAFT,
    PlanStage.KEY_FIGURES,
    PlanStage.ADOPTED,
    PlanStage.SUPPLEMENT,
)
#: Stages that are council decisions: they need date and reference and set the budget.
DECISION_STAGES: tuple[PlanStage, ...] = (PlanStage.ADOPTED, PlanStage.SUPPLEMENT)
#: Roles that read every department's figures of every version.
READ_ALL_ROLES = frozenset({Role.TREASURY, Role.COORDINATOR, Role.LEADERSHIP, Role.ADMIN})
#: Roles that register the needs of their own department: its staff, and the coordinating
#: office and the treasury for their own units (Stabsstelle, Kämmerei have budget lines too).
REGISTERING_ROLES = frozenset({Role.SUBMITTER, Role.COORDINATOR, Role.TREASURY})
#: How far ahead a planning round may be opened (budget years after the current one).
YEARS_AHEAD = 2


# --------------------------------------------------------------------------- areas


def may_open_planning(user: User) -> bool:
    """The planning pages (objects and departments are checked one by one)."""
    return user.role in READ_ALL_ROLES or is_department_user(user)


def may_see_planning_menu(user: User) -> bool:
    """Departments reach their Anmeldung from the main navigation (others from "Haushalt")."""
    return is_department_user(user)


def reads_all_departments(user: User) -> bool:
    """Whether ``user`` sees every department's lines (else only their own department's)."""
    return user.role in READ_ALL_ROLES


def may_read_department(user: User, department_id: int) -> bool:
    """Whether ``user`` reads the plan lines of ``department_id``."""
    return reads_all_departments(user) or (
        is_department_user(user) and user.department_id == department_id
    )


def may_manage_planning(user: User) -> bool:
    """Open a round, derive and freeze stages, Eckwerte, adoption: the treasury."""
    return user.role == Role.TREASURY


# --------------------------------------------------------------------------- one version


def next_stage(version: PlanVersion | None) -> tuple[PlanStage, int]:
    """The stage (and Nachtrag number) that follows ``version`` (None: the Anmeldung)."""
    if version is None:
        return PlanStage.REGISTRATION, 0
    if version.stage == PlanStage.SUPPLEMENT:
        return PlanStage.SUPPLEMENT, version.supplement_no + 1
    following = STAGE_ORDER[STAGE_ORDER.index(version.stage) + 1]
    return following, 1 if following == PlanStage.SUPPLEMENT else 0


def next_stage_label(version: PlanVersion | None) -> str:
    """German name of the stage that follows ``version``, e.g. ``Nachtrag 1``."""
    stage, number = next_stage(version)
    return f"{stage.label} {number}" if stage == PlanStage.SUPPLEMENT else stage.label


def is_decision(version: PlanVersion) -> bool:
    """Beschluss and Nachtrag: council decisions that set the budget's amounts."""
    return version.stage in DECISION_STAGES


def is_registration(version: PlanVersion) -> bool:
    """The Anmeldung, where departments work on their own lines."""
    return version.stage == PlanStage.REGISTRATION


def may_register(user: User, version: PlanVersion, department_id: int, handed_in: bool) -> bool:
    """A department changes its own lines of the open Anmeldung until it hands it in."""
    return (
        not version.is_frozen
        and is_registration(version)
        and user.role in REGISTERING_ROLES
        and user.department_id == department_id
        and not handed_in
    )


def may_edit_lines(user: User, version: PlanVersion, department_id: int, handed_in: bool) -> bool:
    """Change the lines of ``department_id`` in ``version``: the department in its
    Anmeldung, the treasury in every later stage while it is open."""
    if version.is_frozen:
        return False
    if is_registration(version):
        return may_register(user, version, department_id, handed_in)
    return may_manage_planning(user)


def may_reopen_registration(user: User, version: PlanVersion) -> bool:
    """The treasury gives a handed-in Anmeldung back to its department."""
    return may_manage_planning(user) and is_registration(version) and not version.is_frozen


def may_set_key_figures(user: User, version: PlanVersion) -> bool:
    """The Eckwerte are recorded in the open Eckwerte stage by the treasury."""
    return (
        may_manage_planning(user)
        and version.stage == PlanStage.KEY_FIGURES
        and not version.is_frozen
    )


def may_freeze(user: User, version: PlanVersion) -> bool:
    """The treasury freezes an open stage (a decision stage with date and reference)."""
    return may_manage_planning(user) and not version.is_frozen


def may_assign_line(user: User, version: PlanVersion) -> bool:
    """The treasury links a proposed line to the budget line created for it."""
    return may_manage_planning(user) and not version.is_frozen and not is_registration(version)


# --------------------------------------------------------------------------- reasons


def needs_reason(amounts: Mapping[int, Decimal], reference: Mapping[int, Decimal] | None) -> bool:
    """A line needs a reason when its amounts differ from ``reference`` (the amounts derived
    from the cost plans, or those of the version before), or when it has no reference."""
    if reference is None:
        return True
    years = set(amounts) | set(reference)
    zero = Decimal("0")
    return any(amounts.get(y, zero) != reference.get(y, zero) for y in years)
