"""The coordinating office's weekly digest: what needs attention, with counts and short lists.

Four questions, each asked with the rule that the pages use: submissions waiting for review,
overdue status reports (``services.measures.reports``), red traffic lights in the latest report and
open measures without an active owner (``services.measures.rules``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import joinedload

from steuerung.extensions import db
from steuerung.formatting import date_de
from steuerung.models import Measure, TrafficLight
from steuerung.services.measures.reports import latest_reports, overdue_clause
from steuerung.services.measures.rules import (
    REPORTING_STATUSES,
    REVIEW_STATUSES,
    lacks_owner_clause,
)
from steuerung.services.notifications.links import absolute_url

if TYPE_CHECKING:
    from steuerung.services.notifications.rules import RunContext

#: States of the review inbox (portfolio.inbox): submitted, waiting for a decision.
WAITING_STATUSES = REVIEW_STATUSES
#: Measures listed per section; the rest is counted and linked.
LIST_LIMIT = 10


@dataclass
class DigestItem:
    """One measure in a digest list."""

    reference: str
    title: str
    department: str
    detail: str
    url: str


@dataclass
class DigestSection:
    """One question of the digest: its count, the first measures and a link to all."""

    title: str
    count: int
    url: str
    items: list[DigestItem] = field(default_factory=list)
    #: Extra line under the title, e.g. how many are new this week.
    note: str = ""

    @property
    def more(self) -> int:
        """Measures counted but not listed."""
        return max(self.count - len(self.items), 0)


@dataclass
class Digest:
    """The whole digest of one week."""

    week: str
    waiting: DigestSection
    overdue: DigestSection
    red: DigestSection
    without_owner: DigestSection
    dashboard_url: str

    @property
    def sections(self) -> list[DigestSection]:
        """The four sections in reading order."""
        return [self.waiting, self.overdue, self.red, self.without_owner]

    @property
    def subject(self) -> str:
        """Subject line with the four counts."""
        return (
            f"Wochenübersicht {self.week}: wartende Einreichungen {self.waiting.count}, "
            f"überfällige Berichte {self.overdue.count}, rote Ampeln {self.red.count}, "
            f"ohne Verantwortliche {self.without_owner.count}"
        )


def _item(measure: Measure, detail: str) -> DigestItem:
    return DigestItem(
        reference=measure.reference,
        title=measure.title,
        department=measure.department.code,
        detail=detail,
        url=absolute_url("measures.detail", measure_id=measure.id),
    )


def _count(statement: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0


def _waiting(ctx: RunContext) -> DigestSection:
    condition = Measure.status.in_(WAITING_STATUSES)
    base = select(Measure.id).where(condition)
    new_since = ctx.now - timedelta(days=7)
    new = _count(base.where(Measure.submitted_at >= new_since))
    measures = db.session.scalars(
        select(Measure)
        .where(condition)
        .order_by(Measure.submitted_at.is_(None), Measure.submitted_at, Measure.id)
        .limit(LIST_LIMIT)
    )
    items = [
        _item(
            m,
            f"{m.status.label}, eingereicht am {date_de(m.submitted_at)}"
            if m.submitted_at
            else m.status.label,
        )
        for m in measures
    ]
    return DigestSection(
        title="Eingereichte Maßnahmen warten auf Prüfung",
        count=_count(base),
        url=absolute_url("portfolio.inbox"),
        items=items,
        note=f"davon {new} neu in den letzten 7 Tagen",
    )


def _overdue(ctx: RunContext) -> DigestSection:
    condition: ColumnElement[bool] = overdue_clause(ctx.today)
    measures = db.session.scalars(
        select(Measure)
        .options(joinedload(Measure.owner))
        .where(condition)
        .order_by(Measure.last_report_on.is_(None).desc(), Measure.last_report_on, Measure.id)
        .limit(LIST_LIMIT)
    )
    items = []
    for m in measures:
        last = (
            f"letzter Bericht {date_de(m.last_report_on)}"
            if m.last_report_on
            else "noch kein Bericht"
        )
        owner = m.owner.full_name if m.owner else "ohne Verantwortliche/n"
        items.append(_item(m, f"{last}, {owner}"))
    return DigestSection(
        title="Überfällige Statusberichte",
        count=_count(select(Measure.id).where(condition)),
        url=absolute_url("portfolio.hygiene"),
        items=items,
    )


def _red(ctx: RunContext) -> DigestSection:
    latest = latest_reports(reporting_only=True)
    base = (
        select(Measure, latest.c.reported_on, latest.c.progress_percent)
        .join(latest, latest.c.measure_id == Measure.id)
        .where(latest.c.overall == TrafficLight.RED.value)
    )
    rows = db.session.execute(
        base.order_by(latest.c.reported_on.desc(), Measure.id).limit(LIST_LIMIT)
    ).all()
    items = [
        _item(row.Measure, f"Bericht vom {date_de(row.reported_on)}, {row.progress_percent} %")
        for row in rows
    ]
    return DigestSection(
        title="Rote Ampel im letzten Statusbericht",
        count=_count(
            select(Measure.id)
            .join(latest, latest.c.measure_id == Measure.id)
            .where(latest.c.overall == TrafficLight.RED.value)
        ),
        url=absolute_url(
            "portfolio.register",
            light=TrafficLight.RED.value,
            status=[s.value for s in REPORTING_STATUSES],
        ),
        items=items,
    )


def _without_owner(ctx: RunContext) -> DigestSection:
    condition = lacks_owner_clause()
    base = select(Measure).where(condition)
    measures = db.session.scalars(
        base.order_by(Measure.department_id, Measure.id).limit(LIST_LIMIT)
    )
    items = [_item(m, m.status.label) for m in measures]
    return DigestSection(
        title="Offene Maßnahmen ohne aktive/n Verantwortliche/n",
        count=_count(select(Measure.id).where(condition)),
        url=absolute_url("portfolio.hygiene"),
        items=items,
    )


def build_digest(ctx: RunContext) -> Digest:
    """The digest as of ``ctx.now`` (the same for every coordinator)."""
    year, week, _ = ctx.today.isocalendar()
    return Digest(
        week=f"KW {week}/{year}",
        waiting=_waiting(ctx),
        overdue=_overdue(ctx),
        red=_red(ctx),
        without_owner=_without_owner(ctx),
        dashboard_url=absolute_url("dashboard.index"),
    )
