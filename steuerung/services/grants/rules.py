"""Rules of the grants (Fördermittel) of measures: who sees and edits them, and the ONE
definition of a deadline that is due or overdue.

The deadline is the proof of use (Verwendungsnachweis): missing it can mean paying the grant
back. A grant's deadline counts while the grant is **approved** (bewilligt) and the proof
has not been submitted:

* **overdue** (überfällig): the deadline lies before today;
* **due** (fällig in den nächsten 60 Tagen): the deadline lies between today and today + 60
  days, both included (due today is due, not overdue).

The dashboard, the owners' list, the grants overview and the e-mail reminders ask this
module; its SQL form stands beside the Python form.
"""

from __future__ import annotations

import enum
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_

from steuerung.models import Grant, GrantStatus, Measure, Role, User
from steuerung.services.budget.rules import BUDGET_READ_ROLES
from steuerung.services.measures.rules import can_edit_measure, can_view_measure

#: A deadline this many days ahead (or fewer) is shown as due.
DUE_WITHIN_DAYS = 60
#: States in which the proof of use is owed.
PROOF_OWED_STATUSES: tuple[GrantStatus, ...] = (GrantStatus.APPROVED,)
#: States that need the decision's data (Förderbescheid).
DECIDED_STATUSES: tuple[GrantStatus, ...] = (GrantStatus.APPROVED, GrantStatus.CLOSED)
#: Roles that read every measure's grants in the overview: those who read the budget (the
#: templates ask ``may.read_budget`` before they link to it).
OVERVIEW_ROLES = BUDGET_READ_ROLES


class DeadlineState(enum.StrEnum):
    """Where a grant's proof-of-use deadline stands."""

    OVERDUE = "overdue"
    DUE = "due"

    @property
    def label(self) -> str:
        """German name."""
        return {"overdue": "überfällig", "due": f"fällig in {DUE_WITHIN_DAYS} Tagen"}[self.value]


# --------------------------------------------------------------------------- who


def may_view_grants(user: User, measure: Measure) -> bool:
    """A measure's grants are read by everyone who reads the measure."""
    return can_view_measure(user, measure)


def may_edit_grants(user: User, measure: Measure) -> bool:
    """The measure's editors (its department, the coordinating office) and the treasury."""
    return can_edit_measure(user, measure) or user.role == Role.TREASURY


def may_open_grants(user: User) -> bool:
    """The grants pages of measures (each measure is checked on its own)."""
    return True


def may_read_grant_overview(user: User) -> bool:
    """The overview of every measure's grants."""
    return user.role in OVERVIEW_ROLES


def may_see_grants_menu(user: User) -> bool:
    """The treasury finds the overview in the main navigation."""
    return user.role == Role.TREASURY


# --------------------------------------------------------------------------- deadlines


def due_limit(today: date) -> date:
    """The last day that still counts as due within the window."""
    return today + timedelta(days=DUE_WITHIN_DAYS)


def deadline_state(grant: Grant, today: date) -> DeadlineState | None:
    """overdue, due, or None (no deadline owed, or not within the window)."""
    if grant.status not in PROOF_OWED_STATUSES or grant.proof_submitted_on is not None:
        return None
    if grant.proof_due_on is None:
        return None
    if grant.proof_due_on < today:
        return DeadlineState.OVERDUE
    if grant.proof_due_on <= due_limit(today):
        return DeadlineState.DUE
    return None


def proof_owed_clause() -> ColumnElement[bool]:
    """SQL: the grant owes a proof of use with a deadline."""
    return and_(
        Grant.status.in_(PROOF_OWED_STATUSES),
        Grant.proof_submitted_on.is_(None),
        Grant.proof_due_on.is_not(None),
    )


def overdue_clause(today: date) -> ColumnElement[bool]:
    """SQL form of :func:`deadline_state` == overdue."""
    return and_(proof_owed_clause(), Grant.proof_due_on < today)


def due_clause(today: date) -> ColumnElement[bool]:
    """SQL form of :func:`deadline_state` == due."""
    return and_(
        proof_owed_clause(), Grant.proof_due_on >= today, Grant.proof_due_on <= due_limit(today)
    )


def due_or_overdue_clause(today: date) -> ColumnElement[bool]:
    """SQL: overdue or due within the window."""
    return and_(proof_owed_clause(), Grant.proof_due_on <= due_limit(today))
