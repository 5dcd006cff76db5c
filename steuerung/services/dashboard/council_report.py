"""Sachstandsbericht for the council: summary, budget coverage, measures by field of action.

The same data feeds a printable HTML page and a PDF rendered with WeasyPrint. The PDF holds
no JavaScript: its charts are tables and static SVG drawn by the template. WeasyPrint may
fetch nothing from outside (only ``data:`` URLs); the stylesheet is handed over as text.

Which measures are listed: every measure the filters select except drafts and those
returned for questions (internal states), grouped by the field of action of their first goal
(as on the dashboard), ordered by rank within a field; at most ``MAX_LISTED`` rows, the
report states how many were left out. Each measure shows the lights of its latest status
report, whatever its state (a completed measure keeps its final report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import aliased

from steuerung.extensions import db
from steuerung.models import (
    ActionField,
    Department,
    Measure,
    MeasureCategory,
    MeasureStatus,
    TrafficLight,
    User,
    measure_goals,
)
from steuerung.services.common.audit import AGENDA_TABLES, CORE, REPORTS, shared_parts
from steuerung.services.common.cache import Blocks, cached, top_by_block
from steuerung.services.common.settings import get_settings
from steuerung.services.dashboard.data import (
    NO_FIELD,
    CoverageChart,
    DashboardFilters,
    Summary,
    Tiles,
    coverage_chart,
    measure_conditions,
    measure_fields,
    summary,
    tiles,
)
from steuerung.services.measures.reports import latest_reports
from steuerung.services.measures.rules import (
    INTERNAL_STATUSES,
    measure_reference,
    visibility_scope,
)
from steuerung.services.portfolio.ranking import natural_key, rank_order

#: At most this many measures are listed (a council report of thousands of rows helps nobody).
MAX_LISTED = 400
#: The print stylesheet shared by the HTML page and the PDF.
PRINT_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "print.css"


@dataclass
class ReportMeasure:
    """One measure in the report's list."""

    reference: str
    title: str
    department: str
    owner: str
    status: MeasureStatus
    end_date: date | None
    reported_on: date | None
    schedule_light: TrafficLight | None
    cost_light: TrafficLight | None
    scope_light: TrafficLight | None
    overall_light: TrafficLight | None
    progress: int | None


@dataclass
class FieldSection:
    """The measures of one field of action."""

    name: str
    measures: list[ReportMeasure] = field(default_factory=list)


@dataclass
class CouncilReport:
    """Everything the Sachstandsbericht shows."""

    kommune_name: str
    created_on: date
    budget_year: int
    filter_text: str
    tiles: Tiles
    summary: Summary
    status_rows: list[tuple[str, int]]
    coverage: CoverageChart
    sections: list[FieldSection]
    listed: int
    total: int
    limit: int = MAX_LISTED

    @property
    def left_out(self) -> int:
        """Measures not listed because of ``limit``."""
        return self.total - self.listed

    @property
    def max_status_count(self) -> int:
        """Largest status count (scale of the SVG bars)."""
        return max((count for _, count in self.status_rows), default=0)

    @property
    def max_money(self) -> float:
        """Largest available amount or own share of the years (scale of the SVG bars)."""
        values = [
            float(v or 0)
            for row in self.coverage.years
            for v in (row.figures.available, row.figures.own)
        ]
        return max(values, default=0.0)


def _filter_text(filters: DashboardFilters) -> str:
    """The filters in words for the report's header."""
    parts = []
    if filters.department_id is not None:
        dept = db.session.get(Department, filters.department_id)
        parts.append(f"Fachbereich {dept.code} {dept.name}" if dept else "")
    if filters.action_field_id is not None:
        action_field = db.session.get(ActionField, filters.action_field_id)
        parts.append(f"Handlungsfeld {action_field.name}" if action_field else "")
    if filters.category is not None:
        parts.append(f"Kategorie {MeasureCategory(filters.category).label}")
    if filters.year is not None:
        parts.append(f"Jahr {filters.year}")
    parts = [p for p in parts if p]
    return "; ".join(parts) if parts else "alle Maßnahmen"


def measure_sections(
    filters: DashboardFilters, user: User | None, limit: int = MAX_LISTED
) -> tuple[list[FieldSection], int, int]:
    """Measures by field of action with their latest lights; (sections, listed, total).

    The count and the order come from :func:`_listed_ids` (kept per block of measures), the
    listed measures' field, department, owner and latest status report from one query.
    """
    conditions = [*measure_conditions(filters, user), Measure.status.not_in(INTERNAL_STATUSES)]
    total, ids = _listed_ids(filters, user, conditions, limit)
    latest = latest_reports(ids=ids or [-1])
    owner = aliased(User)
    listed = ids or [-1]
    inner = measure_fields([Measure.id.in_(listed)], [measure_goals.c.measure_id.in_(listed)])
    found = {
        row.id: row
        for row in db.session.execute(
            select(
                Measure.id,
                Measure.title,
                Measure.status,
                Measure.end_date,
                Department.code.label("department"),
                owner.full_name.label("owner"),
                ActionField.name.label("field"),
                latest.c.reported_on,
                latest.c.schedule_light,
                latest.c.cost_light,
                latest.c.scope_light,
                latest.c.overall,
                latest.c.progress_percent,
            )
            .join(inner, inner.c.id == Measure.id)
            .join(Department, Department.id == Measure.department_id)
            .outerjoin(owner, owner.id == Measure.owner_id)
            .outerjoin(ActionField, ActionField.id == inner.c.field_id)
            .outerjoin(latest, latest.c.measure_id == Measure.id)
        )
    }
    rows = [found[i] for i in ids if i in found]
    sections: list[FieldSection] = []
    for row in rows:
        name = row.field or NO_FIELD
        if not sections or sections[-1].name != name:
            sections.append(FieldSection(name))

        def light(value: str | None) -> TrafficLight | None:
            return TrafficLight(value) if value is not None else None

        sections[-1].measures.append(
            ReportMeasure(
                reference=measure_reference(row.id),
                title=row.title,
                department=row.department,
                owner=row.owner or "– fehlt –",
                status=MeasureStatus(row.status),
                end_date=row.end_date,
                reported_on=row.reported_on,
                schedule_light=light(row.schedule_light),
                cost_light=light(row.cost_light),
                scope_light=light(row.scope_light),
                overall_light=light(row.overall),
                progress=row.progress_percent,
            )
        )
    return sections, len(rows), total


def _listed_ids(
    filters: DashboardFilters,
    user: User | None,
    conditions: list[ColumnElement[bool]],
    limit: int,
) -> tuple[int, list[int]]:
    """How many measures the report covers and the first ``limit`` in report order (by
    field of action in agenda order, then rank), kept per block of measures."""

    def block_rows(blocks: Blocks) -> Any:
        fields = measure_fields(
            [*conditions, *blocks.only(Measure.id)], blocks.only(measure_goals.c.measure_id)
        )
        block = blocks.of(Measure.id)
        order = (
            ActionField.id.is_(None),
            ActionField.agenda_id.desc(),
            ActionField.position,
            ActionField.id,
            Measure.rank_override.is_(None),
            Measure.rank_override,
            *rank_order(),
        )
        ranked = (
            select(
                block.label("block"),
                func.count().over(partition_by=block).label("count"),
                Measure.id,
                Measure.priority_class,
                Measure.score,
                Measure.rank_override,
                ActionField.id.label("field_id"),
                ActionField.agenda_id,
                ActionField.position,
                func.row_number().over(partition_by=block, order_by=order).label("n"),
            )
            .join(fields, fields.c.id == Measure.id)
            .outerjoin(ActionField, ActionField.id == fields.c.field_id)
            .subquery()
        )
        return db.session.connection().execute(select(ranked).where(ranked.c.n <= limit))

    def report_order(row: Any) -> tuple[Any, ...]:
        if row.field_id is None:
            field_key: tuple[int, ...] = (1, 0, 0, 0)
        else:
            field_key = (0, -row.agenda_id, row.position, row.field_id)
        override = (0, row.rank_override) if row.rank_override is not None else (1, 0)
        return (*field_key, *override, *natural_key(row))

    count, listed = top_by_block(
        "council_report.listed",
        (filters, visibility_scope(user), limit),
        block_rows,
        limit=limit,
        order=report_order,
        shared_parts=shared_parts(*AGENDA_TABLES),
        reads=(CORE, REPORTS),
    ).get((), (0, []))
    return count, [row.id for row in listed]


def build_council_report(
    filters: DashboardFilters, user: User | None, today: date | None = None
) -> CouncilReport:
    """Collect the Sachstandsbericht for ``filters`` (constant number of queries; cached
    until the data changes, the result is shared and read-only)."""
    today = today or date.today()
    return cached(
        "council_report",
        (filters, visibility_scope(user), today),
        lambda: _build_council_report(filters, user, today),
    )


def _build_council_report(
    filters: DashboardFilters, user: User | None, today: date
) -> CouncilReport:
    settings = get_settings()
    coverage = coverage_chart(filters)
    year = filters.year or settings.budget_year
    in_chart = any(row.year == year for row in coverage.years)
    tile_data = tiles(filters, user, today, coverage=coverage.years if in_chart else None)
    sections, listed, total = measure_sections(filters, user)
    return CouncilReport(
        kommune_name=settings.kommune_name,
        created_on=today,
        budget_year=settings.budget_year,
        filter_text=_filter_text(filters),
        tiles=tile_data,
        summary=summary(filters, user, tile_data),
        status_rows=[
            (status.label, tile_data.status_counts[status])
            for status in MeasureStatus
            if tile_data.status_counts.get(status)
        ],
        coverage=coverage,
        sections=sections,
        listed=listed,
        total=total,
    )


def render_pdf(html: str) -> bytes:
    """Render the report's HTML to PDF with WeasyPrint; nothing is fetched from outside."""
    from weasyprint import CSS, HTML, URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    stylesheet = CSS(string=PRINT_CSS.read_text(encoding="utf-8"), url_fetcher=fetcher)
    document = HTML(string=html, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet])
