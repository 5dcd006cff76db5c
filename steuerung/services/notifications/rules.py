"""What is due: the reminder kinds and, for each kind, the reminders a run owes.

Everything is computed from the database state at ``now`` (no request sends mail): status
reports due soon or overdue, status changes of the last days (questions, decisions) and the
weekly digest. Each reminder carries its key (kind, user, object, occasion); the run sends a
key at most once (``log.py``).

Adding a kind is three small steps (the grant deadlines below are an example):

1. a collector ``def _grant_due(ctx: RunContext) -> Iterator[Reminder]`` below that
   yields one ``Reminder`` per (owner, grant, deadline), with ``object_type="grant"`` and the
   deadline as occasion;
2. one ``ReminderKind`` line in ``KINDS`` (code, German label, preference, collector);
3. the texts ``templates/mail/<code>.txt`` and ``templates/mail/<code>.html``.

The log stores the kind as a plain string, so a new kind needs no migration; it follows the
user's "Erinnerungen" switch (``notify_reminders``) unless it names another preference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, not_, select
from sqlalchemy.orm import joinedload

from steuerung.extensions import db
from steuerung.formatting import LOCAL_TZ, date_de
from steuerung.models import Measure, MeasureStatus, Settings, StatusChange, User
from steuerung.services.measures.reports import next_report_due, overdue_clause
from steuerung.services.measures.rules import is_office
from steuerung.services.notifications.links import absolute_url

S = MeasureStatus

#: Status changes that are decisions of the coordinating office (or a department's
#: withdrawal) and are reported to the owner with their reason.
DECISION_STATUSES = (S.APPROVED, S.REJECTED, S.DEFERRED, S.CANCELLED)
#: User columns that switch a group of mails on or off (see ``ReminderKind.preference``).
REMINDERS = "notify_reminders"
DIGEST_SWITCH = "notify_digest"
#: Tab of the measure page with the status reports (and the button to write one).
REPORTS_TAB = "berichte"
#: Longest measure title quoted in a subject line.
SUBJECT_TITLE_LENGTH = 80


@dataclass(frozen=True)
class RunContext:
    """The clock and the settings one run works with."""

    now: datetime
    today: date
    settings: Settings | None
    report_due_days: int
    lookback: timedelta
    digest_weekday: int

    @classmethod
    def create(cls, now: datetime, config: Mapping[str, Any]) -> RunContext:
        """Context for a run at ``now`` (timezone-aware) with the app's ``NOTIFY_*`` settings."""
        return cls(
            now=now,
            today=now.astimezone(LOCAL_TZ).date(),
            settings=db.session.get(Settings, 1),
            report_due_days=int(config.get("NOTIFY_REPORT_DUE_DAYS", 14)),
            lookback=timedelta(days=int(config.get("NOTIFY_EVENT_LOOKBACK_DAYS", 7))),
            digest_weekday=int(config.get("NOTIFY_DIGEST_WEEKDAY", 0)),
        )


@dataclass
class Reminder:
    """One mail owed to one user: what about, on which occasion, with which text data."""

    kind: str
    user: User
    object_type: str
    object_id: int
    occasion: str
    subject: str
    #: Values for the mail templates (besides ``user`` and ``profile_url``).
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int, str, int, str]:
        """The unique key of the notification log."""
        return (self.kind, self.user.id, self.object_type, self.object_id, self.occasion)


@dataclass(frozen=True)
class ReminderKind:
    """A kind of mail: its code (also the template name), label, switch and collector."""

    code: str
    #: German name (shown on "Mein Konto" in the list of mails sent).
    label: str
    #: User column that switches this kind on or off (``REMINDERS`` or ``DIGEST_SWITCH``).
    preference: str
    collect: Callable[[RunContext], Iterable[Reminder]]


def wants(user: User, kind: ReminderKind) -> bool:
    """True when ``user`` can and wants to receive mails of ``kind``."""
    has_address = bool((user.email or "").strip())
    return bool(user.is_active_user and has_address and getattr(user, kind.preference))


def receives_digest(user: User) -> bool:
    """The weekly digest is for the coordinating office."""
    return is_office(user)


def _short(text: str, length: int = SUBJECT_TITLE_LENGTH) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _measure_context(measure: Measure, tab: str | None = None, **more: Any) -> dict[str, Any]:
    return {
        "measure": measure,
        "measure_url": absolute_url("measures.detail", measure_id=measure.id, tab=tab),
        **more,
    }


# --------------------------------------------------------------------------- status reports


def _report_cycle(measure: Measure) -> str:
    """Occasion of a report reminder: the reporting cycle since the last report.

    A new status report starts a new cycle (and so allows new reminders); within one cycle
    the owner hears once that a report is due soon and once that it is overdue.
    """
    if measure.last_report_on is None:
        return "erster-bericht"
    return f"nach-bericht-{measure.last_report_on.isoformat()}"


def _owned_measures(condition: Any) -> list[Measure]:
    return list(
        db.session.scalars(
            select(Measure)
            .options(joinedload(Measure.owner))
            .where(condition, Measure.owner_id.is_not(None))
            .order_by(Measure.id)
        )
    )


def _report_due(ctx: RunContext) -> Iterator[Reminder]:
    """Status report due within ``NOTIFY_REPORT_DUE_DAYS`` days and not yet overdue."""
    # "Due by day X" is "overdue on day X + 1": the overdue rule asked for two dates.
    horizon = ctx.today + timedelta(days=ctx.report_due_days + 1)
    condition = and_(overdue_clause(horizon), not_(overdue_clause(ctx.today)))
    for measure in _owned_measures(condition):
        due = next_report_due(measure, ctx.settings, today=ctx.today)
        assert measure.owner is not None and due is not None
        yield Reminder(
            kind=REPORT_DUE,
            user=measure.owner,
            object_type="measure",
            object_id=measure.id,
            occasion=_report_cycle(measure),
            subject=f"Statusbericht fällig am {date_de(due)}: "
            f"{measure.reference} {_short(measure.title)}",
            context=_measure_context(
                measure, tab=REPORTS_TAB, due=due, days_left=(due - ctx.today).days
            ),
        )


def _report_overdue(ctx: RunContext) -> Iterator[Reminder]:
    """Status report overdue (the rule of ``services.reports``)."""
    for measure in _owned_measures(overdue_clause(ctx.today)):
        due = next_report_due(measure, ctx.settings, today=ctx.today)
        assert measure.owner is not None and due is not None
        yield Reminder(
            kind=REPORT_OVERDUE,
            user=measure.owner,
            object_type="measure",
            object_id=measure.id,
            occasion=_report_cycle(measure),
            subject=f"Statusbericht überfällig: {measure.reference} {_short(measure.title)}",
            context=_measure_context(measure, tab=REPORTS_TAB, due=due),
        )


# --------------------------------------------------------------------------- status changes


def _recent_changes(ctx: RunContext, targets: Iterable[MeasureStatus]) -> list[StatusChange]:
    """Status changes to ``targets`` in the lookback window, oldest first."""
    return list(
        db.session.scalars(
            select(StatusChange)
            .options(
                joinedload(StatusChange.measure).joinedload(Measure.owner),
                joinedload(StatusChange.changed_by),
            )
            .where(
                StatusChange.to_status.in_(list(targets)),
                StatusChange.changed_at > ctx.now - ctx.lookback,
                StatusChange.changed_at <= ctx.now,
            )
            .order_by(StatusChange.changed_at, StatusChange.id)
        )
    )


def _owner_to_tell(change: StatusChange) -> User | None:
    """The measure's owner, unless they made the change themselves."""
    owner = change.measure.owner
    if owner is None or owner.id == change.changed_by_id:
        return None
    return owner


def _returned(ctx: RunContext) -> Iterator[Reminder]:
    """A measure returned to its department with a question (still waiting for an answer)."""
    for change in _recent_changes(ctx, [S.RETURNED]):
        owner = _owner_to_tell(change)
        measure = change.measure
        if owner is None or measure.status != S.RETURNED:
            continue
        yield Reminder(
            kind=RETURNED,
            user=owner,
            object_type="measure",
            object_id=measure.id,
            occasion=f"statuswechsel-{change.id}",
            subject=f"Rückfrage zu {measure.reference} {_short(measure.title)}",
            context=_measure_context(measure, change=change, question=change.reason),
        )


def _decision(ctx: RunContext) -> Iterator[Reminder]:
    """A decision on the owner's measure (approved, rejected, deferred, cancelled)."""
    for change in _recent_changes(ctx, DECISION_STATUSES):
        owner = _owner_to_tell(change)
        if owner is None:
            continue
        measure = change.measure
        yield Reminder(
            kind=DECISION,
            user=owner,
            object_type="measure",
            object_id=measure.id,
            occasion=f"statuswechsel-{change.id}",
            subject=f"{measure.reference} {_short(measure.title)}: {change.to_status.label}",
            context=_measure_context(measure, change=change, reason=change.reason),
        )


# --------------------------------------------------------------------------- grant deadlines


def _grants_owed(condition: Any) -> list[Any]:
    from steuerung.models import Grant

    return list(
        db.session.scalars(
            select(Grant)
            .options(joinedload(Grant.measure).joinedload(Measure.owner))
            .join(Measure, Measure.id == Grant.measure_id)
            .where(condition, Measure.owner_id.is_not(None))
            .order_by(Grant.proof_due_on, Grant.id)
        )
    )


def _grant_reminders(ctx: RunContext, kind: str, overdue: bool) -> Iterator[Reminder]:
    """The proof of use of a grant is due within the window or overdue (``grants.rules``);
    once per deadline (a new deadline is a new occasion)."""
    from steuerung.services.grants import rules as grant_rules

    clause = grant_rules.overdue_clause if overdue else grant_rules.due_clause
    for grant in _grants_owed(clause(ctx.today)):
        measure = grant.measure
        due = grant.proof_due_on
        word = "überfällig" if overdue else f"fällig am {date_de(due)}"
        yield Reminder(
            kind=kind,
            user=measure.owner,
            object_type="grant",
            object_id=grant.id,
            occasion=f"frist-{due.isoformat()}",
            subject=f"Verwendungsnachweis {word}: {measure.reference} {_short(measure.title)}",
            context={
                "measure": measure,
                "measure_url": absolute_url("grants.index", measure_id=measure.id),
                "grant": grant,
                "due": due,
                "days_left": (due - ctx.today).days,
            },
        )


def _grant_due(ctx: RunContext) -> Iterator[Reminder]:
    """Proof of use due within the window (``grants.rules.DUE_WITHIN_DAYS``)."""
    return _grant_reminders(ctx, GRANT_DUE, overdue=False)


def _grant_overdue(ctx: RunContext) -> Iterator[Reminder]:
    """Proof of use overdue."""
    return _grant_reminders(ctx, GRANT_OVERDUE, overdue=True)


# --------------------------------------------------------------------------- weekly digest


def digest_week(today: date) -> str:
    """Occasion of the digest: the ISO week, e.g. ``2026-W48``."""
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


def _digest(ctx: RunContext) -> Iterator[Reminder]:
    """The weekly digest for coordinators, from the configured weekday on, once per ISO week."""
    from steuerung.services.notifications.digest import build_digest

    if ctx.today.weekday() < ctx.digest_weekday:
        return
    recipients = [
        user for user in db.session.scalars(select(User).order_by(User.id)) if receives_digest(user)
    ]
    if not recipients:
        return
    digest = build_digest(ctx)
    for user in recipients:
        yield Reminder(
            kind=DIGEST,
            user=user,
            object_type="office",
            object_id=0,
            occasion=digest_week(ctx.today),
            subject=digest.subject,
            context={"digest": digest},
        )


# --------------------------------------------------------------------------- the kinds

REPORT_DUE = "report_due"
REPORT_OVERDUE = "report_overdue"
RETURNED = "returned"
DECISION = "decision"
DIGEST = "digest"
GRANT_DUE = "grant_due"
GRANT_OVERDUE = "grant_overdue"

#: All kinds, in the order a run sends them.
KINDS: dict[str, ReminderKind] = {
    kind.code: kind
    for kind in (
        ReminderKind(REPORT_OVERDUE, "Statusbericht überfällig", REMINDERS, _report_overdue),
        ReminderKind(REPORT_DUE, "Statusbericht bald fällig", REMINDERS, _report_due),
        ReminderKind(RETURNED, "Rückfrage zur Maßnahme", REMINDERS, _returned),
        ReminderKind(DECISION, "Entscheidung zur Maßnahme", REMINDERS, _decision),
        ReminderKind(GRANT_OVERDUE, "Verwendungsnachweis überfällig", REMINDERS, _grant_overdue),
        ReminderKind(GRANT_DUE, "Verwendungsnachweis bald fällig", REMINDERS, _grant_due),
        ReminderKind(DIGEST, "Wochenübersicht", DIGEST_SWITCH, _digest),
    )
}


def kind_label(code: str) -> str:
    """German name of a kind code (the code itself for kinds that no longer exist)."""
    kind = KINDS.get(code)
    return kind.label if kind else code
