"""Charts as pure functions: data in, Plotly figure JSON out.

A page embeds the JSON in ``<script type="application/json" class="plotly-figure">`` next to
a ``<div>`` and the locally served plotly.js draws it (static/js/charts.js). Every chart has
a table or text twin on the page.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from plotly.utils import PlotlyJSONEncoder

#: Layout defaults: German separators (decimal comma, thousands dot), readable fonts.
BASE_LAYOUT: dict[str, Any] = {
    "separators": ",.",
    "font": {"family": "system-ui, sans-serif", "size": 13, "color": "#212529"},
    "margin": {"l": 60, "r": 20, "t": 40, "b": 60},
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#ffffff",
}


def figure_json(figure: go.Figure) -> str:
    """Serialise a figure for embedding; ``</`` is escaped so it cannot end the script tag."""
    figure.update_layout(**BASE_LAYOUT)
    return json.dumps(figure.to_plotly_json(), cls=PlotlyJSONEncoder).replace("</", "<\\/")


# --- Dashboard (issue 6): each function takes a dataclass of services/dashboard.py ---------
# The dashboard builds its figures as plain dicts (no plotly.graph_objects validation, which
# costs ~15 ms per figure) and serialises them with the same defaults as ``figure_json``.

#: Colours of the lifecycle states (stacked bars); distinguishable, with readable contrast.
STATUS_COLOURS: dict[str, str] = {
    "draft": "#adb5bd",
    "submitted": "#6f42c1",
    "under_review": "#9b59b6",
    "returned": "#fd7e14",
    "approved": "#0d6efd",
    "in_progress": "#1f5fa8",
    "completed": "#1e7b34",
    "deferred": "#6c757d",
    "rejected": "#b02a37",
    "cancelled": "#495057",
}
#: Traffic-light colours (same as the CSS classes .light-*), grey for "no report".
LIGHT_COLOURS: dict[str, str] = {
    "green": "#1e7b34",
    "yellow": "#ffd43b",
    "red": "#b02a37",
    "kein Bericht": "#adb5bd",
}
#: Mode bar buttons the dashboard does not offer (selection tools, upload to Chart Studio).
DASHBOARD_MODEBAR_REMOVE = ["sendDataToCloud", "select2d", "lasso2d", "autoScale2d"]
_DAY_MS = 86_400_000
_NO_DATA = "Keine Daten für diese Auswahl"


def _title(text: str) -> dict[str, str]:
    return {"text": text}


def _dashboard_json(data: list[dict[str, Any]], layout: dict[str, Any]) -> str:
    """Figure JSON from plain dicts with the defaults of ``figure_json`` (``</`` escaped)."""
    merged = {**BASE_LAYOUT, **layout}
    merged["margin"] = {**BASE_LAYOUT["margin"], **layout.get("margin", {})}
    merged["modebar"] = {"remove": DASHBOARD_MODEBAR_REMOVE}
    return json.dumps({"data": data, "layout": merged}, cls=PlotlyJSONEncoder).replace("</", "<\\/")


def _empty(layout: dict[str, Any], text: str = _NO_DATA) -> dict[str, Any]:
    """The layout with a centred note instead of empty axes."""
    return {
        **layout,
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
        "annotations": [
            {"text": text, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}
        ],
    }


def dashboard_status_by_field(data: Any) -> str:
    """Stacked bars: one bar per field of action, one segment per status (``StatusByField``)."""
    labels = [label for label, _ in data.fields]
    traces = [
        {
            "type": "bar",
            "name": status.label,
            "x": labels,
            "y": [data.counts.get(label, {}).get(status, 0) for label in labels],
            "marker": {"color": STATUS_COLOURS.get(status.value, "#6c757d")},
            "hovertemplate": "%{x}<br>" + status.label + ": %{y}<extra></extra>",
        }
        for status in data.statuses
    ]
    layout: dict[str, Any] = {
        "barmode": "stack",
        "height": 380,
        "yaxis": {"title": _title("Maßnahmen")},
        "xaxis": {"type": "category"},
        "legend": {"orientation": "h", "y": -0.2},
    }
    return _dashboard_json(traces, layout if labels else _empty(layout))


def dashboard_coverage(data: Any) -> str:
    """Grouped bars per year: money available, own share of the demand, and the sum of the
    gaps (never netted against free amounts of other lines)."""
    years = [str(row.year) for row in data.years]
    series = [
        ("Verfügbar", [row.figures.available for row in data.years], "#1f5fa8"),
        ("Eigenanteil (Bedarf)", [row.figures.own for row in data.years], "#6f42c1"),
        ("Summe der Lücken", [row.gap for row in data.years], "#b02a37"),
    ]
    traces = [
        {
            "type": "bar",
            "name": name,
            "x": years,
            "y": [float(v) if v is not None else None for v in values],
            "marker": {"color": colour},
            "hovertemplate": "%{x}: %{y:,.2f} €<extra>" + name + "</extra>",
        }
        for name, values, colour in series
        if any(v is not None for v in values)
    ]
    layout = {
        "barmode": "group",
        "height": 380,
        "xaxis": {"type": "category"},
        "yaxis": {"title": _title("Euro"), "tickformat": ",.0f"},
        "legend": {"orientation": "h", "y": -0.2},
    }
    return _dashboard_json(traces, layout)


def dashboard_lights(data: Any) -> str:
    """Horizontal stacked bars: departments x overall light of the latest report."""
    names = {"green": "Grün", "yellow": "Gelb", "red": "Rot", "kein Bericht": "Kein Bericht"}
    traces = [
        {
            "type": "bar",
            "name": names[key],
            "y": data.departments,
            "x": [data.counts.get(d, {}).get(key, 0) for d in data.departments],
            "orientation": "h",
            "marker": {"color": LIGHT_COLOURS[key]},
            "hovertemplate": "%{y}<br>" + names[key] + ": %{x}<extra></extra>",
        }
        for key in data.keys
    ]
    layout: dict[str, Any] = {
        "barmode": "stack",
        "height": max(260, 60 + 34 * len(data.departments)),
        "xaxis": {"title": _title("Maßnahmen (freigegeben / in Umsetzung)")},
        "yaxis": {"autorange": "reversed", "automargin": True, "type": "category"},
        "legend": {"orientation": "h", "y": -0.25},
    }
    return _dashboard_json(traces, layout if data.departments else _empty(layout))


def dashboard_roadmap(data: Any) -> str:
    """Timeline: a bar from start to end per measure, milestones as diamonds (``Roadmap``)."""
    labels = [f"{item.reference} {item.title[:40]}" for item in data.items]
    traces: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": "Laufzeit",
            "y": labels,
            "base": [item.start_date.isoformat() for item in data.items],
            "x": [((item.end_date - item.start_date).days + 1) * _DAY_MS for item in data.items],
            "orientation": "h",
            "marker": {
                "color": [STATUS_COLOURS.get(item.status.value, "#1f5fa8") for item in data.items]
            },
            "customdata": [
                [item.status.label, f"{item.start_date:%d.%m.%Y}", f"{item.end_date:%d.%m.%Y}"]
                for item in data.items
            ],
            "hovertemplate": "%{y}<br>%{customdata[0]}: %{customdata[1]} – %{customdata[2]}"
            "<extra></extra>",
        }
    ]
    stones = [
        (label, m) for label, item in zip(labels, data.items, strict=True) for m in item.milestones
    ]
    if stones:
        traces.append(
            {
                "type": "scatter",
                "name": "Meilenstein",
                "y": [label for label, _ in stones],
                "x": [m.due_date.isoformat() for _, m in stones],
                "mode": "markers",
                "marker": {
                    "symbol": "diamond",
                    "size": 11,
                    "color": ["#1e7b34" if m.done_on else "#f5b800" for _, m in stones],
                    "line": {"color": "#212529", "width": 1},
                },
                "text": [
                    f"{m.title} ({m.due_date:%d.%m.%Y}{', erreicht' if m.done_on else ''})"
                    for _, m in stones
                ],
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
    layout: dict[str, Any] = {
        "height": max(260, 80 + 26 * len(labels)),
        "xaxis": {"type": "date", "tickformat": "%m/%Y"},
        "yaxis": {"autorange": "reversed", "automargin": True, "type": "category"},
        "showlegend": bool(stones),
        "legend": {"orientation": "h", "y": -0.15},
        "margin": {"l": 20},
    }
    return _dashboard_json(traces, layout if labels else _empty(layout))


def dashboard_goal_matrix(data: Any) -> str:
    """Heatmap: goals of the agenda x status groups, cell = number of linked measures."""
    goals = [f"{g.code} {g.title[:35]}" for g in data.goals]
    traces = (
        [
            {
                "type": "heatmap",
                "x": data.groups,
                "y": goals,
                "z": [g.counts for g in data.goals],
                "colorscale": [[0, "#f8f9fa"], [1, "#1f5fa8"]],
                "texttemplate": "%{z}",
                "hovertemplate": "%{y}<br>%{x}: %{z} Maßnahmen<extra></extra>",
                "colorbar": {"title": _title("Maßnahmen")},
                "xgap": 2,
                "ygap": 2,
            }
        ]
        if goals
        else []
    )
    layout: dict[str, Any] = {
        "height": max(260, 90 + 28 * len(goals)),
        "yaxis": {"autorange": "reversed", "automargin": True, "type": "category"},
        "xaxis": {"side": "top", "type": "category"},
        "margin": {"t": 60, "l": 20},
    }
    return _dashboard_json(
        traces, layout if goals else _empty(layout, "Keine Agenda mit Zielen vorhanden")
    )


# --- Portfolio (issue 4) ---------------------------------------------------------------------


def portfolio_bubble(points: list[dict[str, Any]]) -> str:
    """Bubbles: benefit (score 0-100) against effort (cost over the planning horizon).

    ``points``: dicts with reference, title, score, total (euros), field, color, rank
    (``services.portfolio.bubble_points``). Bubble area follows the total cost, the colour
    the field of action (one trace per field, so the legend names them). Built as plain
    dicts like the dashboard's figures (no graph_objects validation).
    """
    largest = max((p["total"] for p in points), default=0.0) or 1.0
    by_field: dict[str, list[dict[str, Any]]] = {}
    for point in points:
        by_field.setdefault(point["field"], []).append(point)
    traces = [
        {
            "type": "scatter",
            "name": name,
            "x": [p["total"] for p in group],
            "y": [p["score"] for p in group],
            "mode": "markers",
            "marker": {
                "size": [12 + 38 * (p["total"] / largest) ** 0.5 for p in group],
                "color": group[0]["color"],
                "opacity": 0.7,
                "line": {"color": "#212529", "width": 1},
            },
            "text": [f"Rang {p['rank']}: {p['reference']} {p['title']}" for p in group],
            "hovertemplate": "%{text}<br>Score: %{y:,.1f}<br>Kosten: %{x:,.2f} €<extra></extra>",
        }
        for name, group in by_field.items()
    ]
    layout: dict[str, Any] = {
        "height": 440,
        "xaxis": {
            "title": _title("Aufwand: Kosten im Planungszeitraum (Euro)"),
            "tickformat": ",.0f",
        },
        "yaxis": {"title": _title("Nutzen: Score (0–100)"), "range": [-5, 105]},
        "legend": {"orientation": "h", "y": -0.2, "title": _title("Handlungsfeld")},
    }
    return _dashboard_json(
        traces, layout if points else _empty(layout, "Noch keine bewerteten Maßnahmen")
    )


def maturity_by_topic(
    topic_names: list[str], series: list[tuple[str, list[Decimal | None]]]
) -> str:
    """Grouped bars: average rating (1-4) per topic field, one bar group per assessment."""
    figure = go.Figure()
    palette = ["#123f6d", "#2f7d32", "#b35c00", "#6a1b9a", "#00695c"]
    for index, (name, values) in enumerate(series):
        figure.add_bar(
            name=name,
            x=topic_names,
            y=[float(v) if v is not None else None for v in values],
            marker_color=palette[index % len(palette)],
            hovertemplate="%{x}: %{y:.2f} von 4<extra>" + name + "</extra>",
        )
    figure.update_layout(
        barmode="group",
        yaxis={"range": [0, 4], "title": "Mittelwert (1 = trifft nicht zu, 4 = trifft voll zu)"},
        legend={"orientation": "h", "y": -0.25},
        height=380,
    )
    return figure_json(figure)
