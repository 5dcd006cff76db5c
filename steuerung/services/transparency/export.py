"""The open data files of the transparency page: CSV (German spreadsheets) and JSON.

CSV: the shared writer of every export (``;``, decimal comma, dates ``dd.mm.yyyy``, UTF-8
with BOM, formula injection neutralised), one row per published measure. The licence goes
with the HTTP response (``Link: rel="license"``) and on the page, not into the file, so the
file stays a plain table.

JSON: numbers as numbers (euros with cents), dates in ISO 8601, codes beside German labels,
and a ``meta`` block with publisher, licence, time of generation and the definitions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from steuerung.services.budget.exports import write_csv
from steuerung.services.transparency.queries import PublicData, PublicMeasure

#: Format version of the JSON document (raised when fields change meaning or disappear).
SCHEMA_VERSION = 1

#: Definitions shared by the page and the JSON document.
DEFINITIONS = {
    "measures": (
        "Maßnahmen, die die Koordinationsstelle veröffentlicht hat und die freigegeben, in "
        "Umsetzung oder abgeschlossen sind."
    ),
    "planned_cost": (
        "Geplante Kosten (brutto, einschließlich Fördermitteln und Folgekosten) je "
        "Haushaltsjahr des Planungszeitraums laut Kostenplan der Maßnahme, in Euro."
    ),
    "progress": (
        "Fortschritt in Prozent laut dem letzten Statusbericht; abgeschlossene Maßnahmen "
        "zählen mit 100 Prozent."
    ),
    "action_field": (
        "Handlungsfeld des ersten Ziels der Maßnahme in der Reihenfolge der Agenda; jede "
        "Maßnahme wird so genau einmal gezählt."
    ),
    "goal_coverage": (
        "Anzahl der veröffentlichten Maßnahmen, die einem Ziel dienen; nicht veröffentlichte "
        "Maßnahmen der Verwaltung sind nicht mitgezählt."
    ),
}


def csv_columns(years: list[int]) -> list[str]:
    """Header of the CSV file."""
    return [
        "Nummer",
        "Maßnahme",
        "Kurzbeschreibung",
        "Handlungsfeld",
        "Ziele",
        "Kategorie",
        "Status",
        "Fortschritt (%)",
        "Stand des Fortschritts",
        "Fachbereich",
        "Verantwortlich",
        "Beginn",
        "Ende",
        *(f"Geplante Kosten {year} (€)" for year in years),
        f"Geplante Kosten {years[0]}–{years[-1]} (€)",
    ]


def _csv_row(measure: PublicMeasure, years: list[int]) -> list[object]:
    return [
        measure.reference,
        measure.title,
        measure.description,
        measure.field_name,
        "; ".join(f"{goal.code} {goal.title}" for goal in measure.goals),
        measure.category.label,
        measure.status.label,
        measure.progress,
        measure.progress_on,
        measure.department,
        measure.owner or "",
        measure.start_date,
        measure.end_date,
        *(measure.cost[year] for year in years),
        measure.total,
    ]


def to_csv(data: PublicData) -> bytes:
    """The published measures as a German CSV file."""
    return write_csv(csv_columns(data.years), (_csv_row(m, data.years) for m in data.measures))


def _euros(value: Decimal) -> float:
    """An amount as a JSON number with its cents (exact for every amount in euros and cents
    below 10^13)."""
    return float(value.quantize(Decimal("0.01")))


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _measure(measure: PublicMeasure, years: list[int]) -> dict[str, Any]:
    return {
        "id": measure.reference,
        "title": measure.title,
        "description": measure.description,
        "action_field": measure.field_code,
        "goals": [goal.code for goal in measure.goals],
        "category": measure.category.value,
        "category_label": measure.category.label,
        "status": measure.status.value,
        "status_label": measure.status.label,
        "progress_percent": measure.progress,
        "progress_reported_on": _iso(measure.progress_on),
        "department": measure.department,
        "owner": measure.owner,
        "start_date": _iso(measure.start_date),
        "end_date": _iso(measure.end_date),
        "planned_cost": [{"year": y, "amount": _euros(measure.cost[y])} for y in years],
        "planned_cost_total": _euros(measure.total),
    }


def to_json(data: PublicData, page_url: str, csv_url: str) -> dict[str, Any]:
    """The published data as one JSON document (a dict for ``jsonify``)."""
    agenda = data.agenda
    return {
        "meta": {
            "title": f"Digitalisierung in {data.kommune}: veröffentlichte Maßnahmen",
            "publisher": data.publisher,
            "licence": {"name": data.licence_name, "url": data.licence_url or None},
            "generated_at": data.generated_at.isoformat(timespec="seconds"),
            "schema_version": SCHEMA_VERSION,
            "currency": "EUR",
            "budget_year": data.budget_year,
            "years": data.years,
            "page": page_url,
            "csv": csv_url,
            "definitions": DEFINITIONS,
        },
        "agenda": None
        if agenda is None
        else {
            "title": agenda.title,
            "version": agenda.version_no,
            "adopted_on": _iso(agenda.adopted_on),
            "action_fields": [
                {
                    "code": f.code,
                    "name": f.name,
                    "goals": [
                        {
                            "code": goal.code,
                            "title": goal.title,
                            "description": goal.description,
                            "published_measures": goal.count,
                        }
                        for goal in f.goals
                    ],
                }
                for f in agenda.fields
            ],
        },
        "measures": [_measure(m, data.years) for m in data.measures],
    }
