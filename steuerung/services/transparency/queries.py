"""The published data, loaded once for the page and both downloads (load, then render).

A fixed number of queries, whatever the number of published measures: the adopted agenda
with the goal coverage (agenda service, 5), the published measures with department, owner,
goals and cost plan (5), and the latest progress of each (1).

Figures are the internal ones: the planned cost per year is the measure's gross cost in that
year from ``services.measures.costs.cost_summary`` (the detail page's cost overview), and the
coverage of a goal is the agenda service's count of serving measures, counting only the
published ones.

Field of action of a measure: the field of its first goal in agenda order (field position,
goal position), the rule of the dashboard and the portfolio, so each measure is listed and
summed once. Goal links count for the adopted agenda through the goal code, also when they
were made with an earlier version (as on the agenda page); goals of a draft never appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from steuerung.extensions import db
from steuerung.models import (
    CostPlanEntry,
    Goal,
    Measure,
    MeasureCategory,
    MeasureStatus,
    Settings,
    StatusReport,
)
from steuerung.services.agenda.versions import adopted_agenda, coverage_among, version_chain
from steuerung.services.measures.costs import cost_summary
from steuerung.services.transparency import rules

ZERO = Decimal("0.00")
#: Order of the states on the page: running first, then approved, then completed.
STATUS_ORDER = {status: i for i, status in enumerate(rules.PUBLISHABLE_STATUSES)}
#: Heading of the measures that serve no goal of the adopted agenda.
NO_FIELD = "Ohne Zuordnung zu einem Handlungsfeld"


@dataclass(frozen=True)
class PublicGoal:
    """A goal of the adopted agenda, as a measure serves it."""

    code: str
    title: str


@dataclass
class PublicMeasure:
    """The public columns of one published measure (nothing internal is ever loaded here)."""

    reference: str
    title: str
    #: The public short description ("" if the office wrote none).
    description: str
    category: MeasureCategory
    status: MeasureStatus
    department: str
    #: The owner's name, only where the office allowed it.
    owner: str | None
    start_date: date | None
    end_date: date | None
    #: Progress in percent (latest status report; 100 when completed), None if unknown.
    progress: int | None
    #: Date of the status report the progress comes from.
    progress_on: date | None
    goals: list[PublicGoal]
    #: Code and name of the measure's field of action (None: no goal of the agenda).
    field_code: str | None
    field_name: str
    #: Planned gross cost per year of the planning horizon.
    cost: dict[int, Decimal]

    @property
    def total(self) -> Decimal:
        """Planned cost over the planning horizon."""
        return sum(self.cost.values(), ZERO)

    @property
    def anchor(self) -> str:
        """Id of the measure's section on the page, e.g. ``m-0042``."""
        return self.reference.lower()


@dataclass
class FieldGroup:
    """A field of action with its published measures."""

    code: str | None
    name: str
    description: str
    years: list[int]
    measures: list[PublicMeasure] = field(default_factory=list)

    @property
    def cost(self) -> dict[int, Decimal]:
        """Planned cost of the field's published measures per year."""
        return {y: sum((m.cost[y] for m in self.measures), ZERO) for y in self.years}

    @property
    def total(self) -> Decimal:
        """Planned cost of the field's published measures over the horizon."""
        return sum(self.cost.values(), ZERO)

    @property
    def anchor(self) -> str:
        """Id of the field's section on the page."""
        return f"feld-{(self.code or 'ohne').lower()}"


@dataclass(frozen=True)
class GoalLine:
    """A goal of the adopted agenda with the published measures serving it."""

    code: str
    title: str
    description: str
    #: Number of published measures serving the goal (the agenda service's count).
    count: int
    #: The first few of them as (anchor, reference, title).
    measures: list[tuple[str, str, str]]

    @property
    def more(self) -> int:
        """Serving published measures not listed."""
        return self.count - len(self.measures)


@dataclass(frozen=True)
class FieldGoals:
    """A field of action of the adopted agenda and its goals."""

    code: str
    name: str
    goals: list[GoalLine]


@dataclass(frozen=True)
class PublicAgenda:
    """The adopted Digitale Agenda as far as the page shows it."""

    title: str
    version_no: int
    adopted_on: date | None
    fields: list[FieldGoals]


@dataclass
class PublicData:
    """Everything the page, the CSV and the JSON show."""

    kommune: str
    publisher: str
    licence_name: str
    licence_url: str
    budget_year: int
    years: list[int]
    generated_at: datetime
    agenda: PublicAgenda | None
    groups: list[FieldGroup]

    @property
    def measures(self) -> list[PublicMeasure]:
        """All published measures in page order (each once)."""
        return [m for group in self.groups for m in group.measures]

    @property
    def cost(self) -> dict[int, Decimal]:
        """Planned cost of all published measures per year."""
        return {y: sum((g.cost[y] for g in self.groups), ZERO) for y in self.years}

    @property
    def total(self) -> Decimal:
        """Planned cost of all published measures over the horizon."""
        return sum(self.cost.values(), ZERO)


def load_public_data(settings: Settings, generated_at: datetime) -> PublicData:
    """The published measures and the agenda's goals with their coverage."""
    years = settings.horizon
    agenda = adopted_agenda()
    coverage = (
        coverage_among(agenda, rules.published_clause(), "published") if agenda is not None else []
    )
    chain = set(version_chain(agenda)) if agenda is not None else set()
    #: goal code -> (field position, goal position, goal, field) of the adopted version
    goal_index = {
        coverage_line.goal.code: (f_pos, g_pos, coverage_line.goal, action_field)
        for f_pos, (action_field, lines) in enumerate(coverage)
        for g_pos, coverage_line in enumerate(lines)
    }
    groups = [
        FieldGroup(action_field.code, action_field.name, action_field.description, years)
        for action_field, _lines in coverage
    ]
    by_code = {group.code: group for group in groups}
    unassigned = FieldGroup(None, NO_FIELD, "", years)

    measures = _published_measures()
    progress = _latest_progress()
    for measure in measures:
        served = sorted(
            {
                goal_index[goal.code][:3]
                for goal in measure.goals
                if goal.action_field.agenda_id in chain and goal.code in goal_index
            },
            key=lambda entry: (entry[0], entry[1]),
        )
        first_field = goal_index[served[0][2].code][3] if served else None
        reported_percent, reported_on = progress.get(measure.id, (None, None))
        item = PublicMeasure(
            reference=measure.reference,
            title=measure.title,
            description=(measure.public_description or "").strip(),
            category=measure.category,
            status=measure.status,
            department=measure.department.name,
            owner=measure.owner.full_name if rules.shows_owner(measure) and measure.owner else None,
            start_date=measure.start_date,
            end_date=measure.end_date,
            progress=rules.public_progress(measure.status, reported_percent),
            progress_on=reported_on if measure.status != MeasureStatus.COMPLETED else None,
            goals=[PublicGoal(goal.code, goal.title) for _f, _g, goal in served],
            field_code=first_field.code if first_field is not None else None,
            field_name=first_field.name if first_field is not None else NO_FIELD,
            cost=cost_summary(measure, years).gross,
        )
        target = by_code.get(item.field_code) if item.field_code is not None else None
        (target or unassigned).measures.append(item)
    for group in [*groups, unassigned]:
        group.measures.sort(key=lambda m: (STATUS_ORDER[m.status], m.title.casefold(), m.reference))
    if unassigned.measures:
        groups.append(unassigned)

    anchors = {m.reference: m.anchor for g in groups for m in g.measures}
    public_agenda = None
    if agenda is not None:
        public_agenda = PublicAgenda(
            title=agenda.title,
            version_no=agenda.version_no,
            adopted_on=agenda.adopted_on,
            fields=[
                FieldGoals(
                    action_field.code,
                    action_field.name,
                    [
                        GoalLine(
                            code=line.goal.code,
                            title=line.goal.title,
                            description=line.goal.description,
                            count=line.count,
                            measures=[
                                (
                                    anchors.get(c.measure.reference, ""),
                                    c.measure.reference,
                                    c.measure.title,
                                )
                                for c in line.measures
                            ],
                        )
                        for line in lines
                    ],
                )
                for action_field, lines in coverage
            ],
        )
    return PublicData(
        kommune=settings.kommune_name,
        publisher=rules.publisher(settings),
        licence_name=rules.licence(settings)[0],
        licence_url=rules.licence(settings)[1],
        budget_year=settings.budget_year,
        years=years,
        generated_at=generated_at,
        agenda=public_agenda,
        groups=groups,
    )


def _published_measures() -> list[Measure]:
    """The published measures with what the page needs, eagerly loaded (4 queries)."""
    return list(
        db.session.scalars(
            select(Measure)
            .where(rules.published_clause())
            .options(
                joinedload(Measure.owner),
                selectinload(Measure.goals).joinedload(Goal.action_field),
                selectinload(Measure.cost_plan).joinedload(CostPlanEntry.budget_line),
            )
            .order_by(Measure.id)
        ).unique()
    )


def _latest_progress() -> dict[int, tuple[int, date]]:
    """Progress and date of the latest status report (latest ``reported_on``, then latest
    entry) of each published measure (1 query)."""
    rows = db.session.execute(
        select(StatusReport.measure_id, StatusReport.progress_percent, StatusReport.reported_on)
        .join(Measure, Measure.id == StatusReport.measure_id)
        .where(rules.published_clause())
        .order_by(StatusReport.measure_id, StatusReport.reported_on, StatusReport.created_at)
        .order_by(StatusReport.id)
    )
    return {row.measure_id: (row.progress_percent, row.reported_on) for row in rows}
