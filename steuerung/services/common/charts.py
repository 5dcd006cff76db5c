"""Charts as pure functions: data in, Plotly figure JSON out.

A page embeds the JSON in ``<script type="application/json" class="plotly-figure">`` next to
a ``<div>`` and the locally served plotly.js draws it (static/js/charts.js, with the German
locale of static/js/plotly-locale-de.js). Every chart has a table or text twin on the page.

Readability rules every figure follows:

- axes use ``automargin`` so tick labels and titles are never clipped; long category labels
  are wrapped or shortened on the axis (``ticktext``) while the hover shows the full text;
- legends sit above the plot area, where they cannot collide with an axis title;
- every series colour has a contrast of at least 3:1 against white (``PALETTE``; a test
  measures every colour the functions emit), and where colour carries meaning a second
  channel carries it too: bar patterns (traffic lights, statuses), marker symbols (fields of
  action, milestones reached / open) and the legend text.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from plotly.utils import PlotlyJSONEncoder

#: Series colours: a colour-blind-safe set after Okabe & Ito, darkened where needed so every
#: colour reaches at least 3:1 against white (WCAG 2.1, 1.4.11 non-text contrast).
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#AA4499",  # purple
    "#9C6B00",  # ochre (stands in for yellow/orange)
    "#332288",  # indigo
    "#882255",  # wine
    "#595959",  # dark grey
)
#: Marker symbols paired with the palette, so a series is identified without colour.
SYMBOLS: tuple[str, ...] = (
    "circle",
    "square",
    "diamond",
    "triangle-up",
    "cross",
    "star",
    "hexagon",
    "triangle-down",
)
#: Bar patterns paired with the palette ("" = solid).
PATTERNS: tuple[str, ...] = ("", "/", "x", ".", "\\", "-", "+", "|")

#: Lifecycle states: (colour, bar pattern). Side ways and closed states are hatched.
STATUS_STYLES: dict[str, tuple[str, str]] = {
    "draft": ("#767676", "."),
    "submitted": ("#AA4499", ""),
    "under_review": ("#882255", ""),
    "returned": ("#9C6B00", "/"),
    "approved": ("#0072B2", ""),
    "in_progress": ("#332288", ""),
    "completed": ("#009E73", ""),
    "deferred": ("#595959", "-"),
    "rejected": ("#D55E00", "x"),
    "cancelled": ("#595959", "x"),
}
#: Traffic lights: (colour, bar pattern, German name). Green solid, yellow hatched, red
#: cross-hatched, no report dotted: readable without telling red from green.
LIGHT_STYLES: dict[str, tuple[str, str, str]] = {
    "green": ("#009E73", "", "Grün"),
    "yellow": ("#B8860B", "/", "Gelb"),
    "red": ("#D55E00", "x", "Rot"),
    "kein Bericht": ("#767676", ".", "Kein Bericht"),
}
#: Milestones on the roadmap: reached = filled diamond, open = open diamond.
MILESTONE_STYLES: dict[bool, tuple[str, str, str]] = {
    True: ("diamond", "#009E73", "Meilenstein erreicht (◆ gefüllt)"),
    False: ("diamond-open", "#D55E00", "Meilenstein offen (◇ leer)"),
}
#: Colour scale of the goal matrix. Exempt from the 3:1 rule for series colours: every cell
#: shows its number as text, the colour only repeats it.
MATRIX_SCALE: list[list[Any]] = [[0, "#EEF3F8"], [1, "#0072B2"]]
#: Outline of markers and bars (separates touching shapes).
OUTLINE = "#212529"

#: Layout defaults: German separators (decimal comma, thousands dot), readable fonts.
BASE_LAYOUT: dict[str, Any] = {
    "separators": ",.",
    "font": {"family": "system-ui, sans-serif", "size": 13, "color": "#212529"},
    "margin": {"l": 10, "r": 10, "t": 10, "b": 10, "pad": 4},
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#ffffff",
    "hoverlabel": {"namelength": -1},
}
#: A horizontal legend above the plot: never over an axis title, entries wrap as needed.
LEGEND_TOP: dict[str, Any] = {
    "orientation": "h",
    "x": 0,
    "xanchor": "left",
    "y": 1.02,
    "yanchor": "bottom",
}

_DAY_MS = 86_400_000
_NO_DATA = "Keine Daten für diese Auswahl"


def _title(text: str) -> dict[str, Any]:
    return {"text": text}


def _axis(**options: Any) -> dict[str, Any]:
    """An axis that makes room for its labels and title (never clipped)."""
    return {"automargin": True, **options}


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (the hover shows it in full)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def wrap(text: str, width: int = 14, max_lines: int = 2) -> str:
    """``text`` broken into lines of about ``width`` characters (``<br>``), at most
    ``max_lines``; a line that is still too long is shortened with an ellipsis."""
    lines: list[str] = []
    current = ""
    for word in " ".join(str(text).split()).split(" "):
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    return "<br>".join(shorten(line, width + 4) for line in lines)


def _categories(labels: list[str], ticktext: list[str]) -> dict[str, Any]:
    """Category axis options: full labels as values (hover), short text on the axis, in the
    order given (not in the order the traces happen to mention them)."""
    return {
        "type": "category",
        "categoryorder": "array",
        "categoryarray": labels,
        "tickmode": "array",
        "tickvals": labels,
        "ticktext": ticktext,
    }


def _pattern(shape: str) -> dict[str, Any]:
    """A white hatch over the bar colour (the colour itself keeps its contrast)."""
    if not shape:
        return {"shape": ""}
    return {
        "shape": shape,
        "fillmode": "overlay",
        "fgcolor": "#ffffff",
        "fgopacity": 0.75,
        "size": 7,
        "solidity": 0.25,
    }


def _serialise(data: list[dict[str, Any]], layout: dict[str, Any]) -> str:
    """Figure JSON with the base layout merged in (``</`` escaped for the script tag)."""
    merged = {**BASE_LAYOUT, **layout}
    merged["margin"] = {**BASE_LAYOUT["margin"], **layout.get("margin", {})}
    return json.dumps({"data": data, "layout": merged}, cls=PlotlyJSONEncoder).replace("</", "<\\/")


def _empty(layout: dict[str, Any], text: str = _NO_DATA) -> dict[str, Any]:
    """The layout with a centred note instead of empty axes."""
    return {
        **layout,
        "showlegend": False,
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
        "annotations": [
            {"text": text, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}
        ],
    }


# --- Dashboard (issue 6): each function takes a dataclass of services/dashboard/data.py ---
# The figures are plain dicts (no plotly.graph_objects validation, which costs ~15 ms per
# figure).


def dashboard_status_by_field(data: Any) -> str:
    """Stacked bars: one bar per field of action, one segment per status (``StatusByField``).

    Each status has its colour and, for side ways and closed states, a hatch pattern."""
    labels = [label for label, _ in data.fields]
    traces = []
    for status in data.statuses:
        colour, shape = STATUS_STYLES.get(status.value, (PALETTE[-1], ""))
        traces.append(
            {
                "type": "bar",
                "name": status.label,
                "x": labels,
                "y": [data.counts.get(label, {}).get(status, 0) for label in labels],
                "marker": {
                    "color": colour,
                    "pattern": _pattern(shape),
                    "line": {"color": "#ffffff", "width": 1},
                },
                "hovertemplate": "%{x}<br>" + status.label + ": %{y}<extra></extra>",
            }
        )
    layout: dict[str, Any] = {
        "barmode": "stack",
        "height": 420,
        "yaxis": _axis(title=_title("Maßnahmen"), tickformat=",d", rangemode="tozero"),
        "xaxis": _axis(**_categories(labels, [wrap(label, 14) for label in labels])),
        "legend": {**LEGEND_TOP, "traceorder": "normal"},
    }
    return _serialise(traces, layout if labels else _empty(layout))


def dashboard_coverage(data: Any) -> str:
    """Grouped bars per year: money available, own share of the demand and the sum of the
    gaps (never netted against free amounts of other lines); told apart by colour and hatch."""
    years = [str(row.year) for row in data.years]
    series = [
        ("Verfügbar", [row.figures.available for row in data.years], PALETTE[0], ""),
        ("Eigenanteil (Bedarf)", [row.figures.own for row in data.years], PALETTE[2], "/"),
        ("Summe der Lücken", [row.gap for row in data.years], PALETTE[1], "x"),
    ]
    traces = [
        {
            "type": "bar",
            "name": name,
            "x": years,
            "y": [float(v) if v is not None else None for v in values],
            "marker": {"color": colour, "pattern": _pattern(shape)},
            "hovertemplate": "%{x}: %{y:,.2f} €<extra>" + name + "</extra>",
        }
        for name, values, colour, shape in series
        if any(v is not None for v in values)
    ]
    layout = {
        "barmode": "group",
        "height": 420,
        "xaxis": _axis(type="category"),
        "yaxis": _axis(title=_title("Euro"), tickformat=",.0f", rangemode="tozero"),
        "legend": LEGEND_TOP,
    }
    return _serialise(traces, layout if traces else _empty(layout))


def dashboard_lights(data: Any) -> str:
    """Horizontal stacked bars: departments x overall light of the latest report.

    Green is solid, yellow hatched, red cross-hatched and "no report" dotted; the legend and
    the hover name each light in words."""
    departments = list(data.departments)
    traces = []
    for key in data.keys:
        colour, shape, name = LIGHT_STYLES[key]
        traces.append(
            {
                "type": "bar",
                "name": name,
                "y": departments,
                "x": [data.counts.get(d, {}).get(key, 0) for d in departments],
                "orientation": "h",
                "marker": {
                    "color": colour,
                    "pattern": _pattern(shape),
                    "line": {"color": "#ffffff", "width": 1},
                },
                "hovertemplate": "%{y}<br>" + name + ": %{x}<extra></extra>",
            }
        )
    layout: dict[str, Any] = {
        "barmode": "stack",
        "height": max(280, 110 + 34 * len(departments)),
        "xaxis": _axis(
            title=_title("Maßnahmen (freigegeben / in Umsetzung)"),
            tickformat=",d",
            rangemode="tozero",
        ),
        "yaxis": _axis(
            autorange="reversed", **_categories(departments, [shorten(d, 30) for d in departments])
        ),
        "legend": {**LEGEND_TOP, "traceorder": "normal"},
    }
    return _serialise(traces, layout if departments else _empty(layout))


def dashboard_roadmap(data: Any) -> str:
    """Timeline: a bar from start to end per measure (one trace per status, so the legend
    names them), milestones as diamonds: filled when reached, open when not (``Roadmap``)."""
    labels = [f"{item.reference} {item.title}" for item in data.items]
    traces: list[dict[str, Any]] = []
    by_status: dict[Any, list[tuple[str, Any]]] = {}
    for label, item in zip(labels, data.items, strict=True):
        by_status.setdefault(item.status, []).append((label, item))
    for status, rows in by_status.items():
        colour, shape = STATUS_STYLES.get(status.value, (PALETTE[0], ""))
        traces.append(
            {
                "type": "bar",
                "name": f"Laufzeit: {status.label}",
                "y": [label for label, _ in rows],
                "base": [item.start_date.isoformat() for _, item in rows],
                "x": [((item.end_date - item.start_date).days + 1) * _DAY_MS for _, item in rows],
                "orientation": "h",
                "marker": {"color": colour, "pattern": _pattern(shape)},
                "customdata": [
                    [status.label, f"{item.start_date:%d.%m.%Y}", f"{item.end_date:%d.%m.%Y}"]
                    for _, item in rows
                ],
                "hovertemplate": "%{y}<br>%{customdata[0]}: %{customdata[1]} – %{customdata[2]}"
                "<extra></extra>",
            }
        )
    for reached in (True, False):
        stones = [
            (label, m)
            for label, item in zip(labels, data.items, strict=True)
            for m in item.milestones
            if bool(m.done_on) == reached
        ]
        if not stones:
            continue
        symbol, colour, name = MILESTONE_STYLES[reached]
        traces.append(
            {
                "type": "scatter",
                "name": name,
                "y": [label for label, _ in stones],
                "x": [m.due_date.isoformat() for _, m in stones],
                "mode": "markers",
                "marker": {
                    "symbol": symbol,
                    "size": 12,
                    "color": colour,
                    "line": {"color": colour if not reached else OUTLINE, "width": 2},
                },
                "text": [
                    f"{m.title} (fällig {m.due_date:%d.%m.%Y}"
                    + (f", erreicht am {m.done_on:%d.%m.%Y})" if m.done_on else ", offen)")
                    for _, m in stones
                ],
                "hovertemplate": "%{y}<br>%{text}<extra></extra>",
            }
        )
    layout: dict[str, Any] = {
        "height": max(300, 130 + 26 * len(labels)),
        "barmode": "overlay",
        "xaxis": _axis(type="date", tickformat="%m/%Y", hoverformat="%d.%m.%Y"),
        "yaxis": _axis(
            autorange="reversed", **_categories(labels, [shorten(t, 34) for t in labels])
        ),
        "legend": {**LEGEND_TOP, "traceorder": "normal"},
    }
    return _serialise(traces, layout if labels else _empty(layout))


def dashboard_goal_matrix(data: Any) -> str:
    """Heatmap: goals of the agenda x status groups, cell = number of linked measures (shown
    as text in every cell; the colour only repeats it)."""
    goals = [f"{g.code} {g.title}" for g in data.goals]
    traces = (
        [
            {
                "type": "heatmap",
                "x": data.groups,
                "y": goals,
                "z": [g.counts for g in data.goals],
                "colorscale": MATRIX_SCALE,
                "texttemplate": "%{z}",
                "hovertemplate": "%{y}<br>%{x}: %{z} Maßnahmen<extra></extra>",
                # No colour bar: every cell shows its number, the bar would only take room.
                "showscale": False,
                "xgap": 2,
                "ygap": 2,
            }
        ]
        if goals
        else []
    )
    layout: dict[str, Any] = {
        "height": max(280, 110 + 28 * len(goals)),
        "yaxis": _axis(autorange="reversed", **_categories(goals, [shorten(g, 32) for g in goals])),
        "xaxis": _axis(
            side="top", tickangle=0, **_categories(data.groups, [wrap(g, 14) for g in data.groups])
        ),
    }
    return _serialise(
        traces, layout if goals else _empty(layout, "Keine Agenda mit Zielen vorhanden")
    )


# --- Portfolio (issue 4) ---------------------------------------------------------------------


def portfolio_bubble(points: list[dict[str, Any]]) -> str:
    """Bubbles: benefit (score 0-100) against effort (cost over the planning horizon).

    ``points``: dicts with reference, title, score, total (euros), field and rank
    (``services.portfolio.bubble_points``). Bubble area follows the total cost; each field of
    action has its own colour *and* marker symbol from the palette (one trace per field, so
    the legend names them). The stored colour of a field is not used: it is not checked for
    contrast. Large bubbles are drawn first so small ones stay visible on top.
    """
    largest = max((p["total"] for p in points), default=0.0) or 1.0
    by_field: dict[str, list[dict[str, Any]]] = {}
    for point in points:
        by_field.setdefault(point["field"], []).append(point)
    traces = []
    # Fields in alphabetical order (a stable colour and symbol for the same set of fields).
    for index, (name, group) in enumerate(sorted(by_field.items())):
        group = sorted(group, key=lambda p: p["total"], reverse=True)
        traces.append(
            {
                "type": "scatter",
                "name": name,
                "x": [p["total"] for p in group],
                "y": [p["score"] for p in group],
                "mode": "markers",
                "marker": {
                    "size": [12 + 38 * (p["total"] / largest) ** 0.5 for p in group],
                    "color": PALETTE[index % len(PALETTE)],
                    "symbol": SYMBOLS[index % len(SYMBOLS)],
                    # Opaque (plotly's bubble default is 0.7, which would pale the colour
                    # below 3:1); the white outline separates overlapping bubbles.
                    "opacity": 1,
                    "line": {"color": "#ffffff", "width": 1},
                },
                "text": [f"Rang {p['rank']}: {p['reference']} {p['title']}" for p in group],
                "hovertemplate": "%{text}<br>Score: %{y:,.1f}<br>Kosten: %{x:,.2f} €"
                "<extra>%{fullData.name}</extra>",
            }
        )
    layout: dict[str, Any] = {
        "height": 460,
        "xaxis": _axis(
            title=_title("Aufwand: Kosten im Planungszeitraum (Euro)"),
            tickformat=",.0f",
            rangemode="tozero",
        ),
        "yaxis": _axis(title=_title("Nutzen: Score (0–100)"), range=[-5, 105]),
        "legend": {**LEGEND_TOP, "title": _title("Handlungsfeld:")},
    }
    return _serialise(
        traces, layout if points else _empty(layout, "Noch keine bewerteten Maßnahmen")
    )


def maturity_by_topic(
    topic_names: list[str], series: list[tuple[str, list[Decimal | None]]]
) -> str:
    """Grouped bars: average rating (1-4) per topic field, one bar group per assessment
    (colour and pattern per assessment)."""
    traces = [
        {
            "type": "bar",
            "name": name,
            "x": topic_names,
            "y": [float(v) if v is not None else None for v in values],
            "marker": {
                "color": PALETTE[index % len(PALETTE)],
                "pattern": _pattern(PATTERNS[index % len(PATTERNS)]),
            },
            "hovertemplate": "%{x}: %{y:,.2f} von 4<extra>" + name + "</extra>",
        }
        for index, (name, values) in enumerate(series)
    ]
    layout: dict[str, Any] = {
        "barmode": "group",
        "height": 420,
        "xaxis": _axis(**_categories(topic_names, [wrap(t, 16) for t in topic_names])),
        "yaxis": _axis(
            range=[0, 4], dtick=1, tickformat=",d", title=_title("Mittelwert (1 bis 4)")
        ),
        "legend": LEGEND_TOP,
    }
    return _serialise(traces, layout)


# --- Budget execution (issue 11) -------------------------------------------------------------


def execution_burn(data: Any) -> str:
    """Stacked bars per Stichtag: Ist (solid) and Obligo (hatched) of the year's snapshots,
    a last bar with the year-end projection (cross-hatched), and the authorization (Ansatz +
    carried forward) as a dashed line with square markers (``ExecutionOverview``)."""
    labels = [f"{p.as_of:%d.%m.%Y}" for p in data.points]
    projection = f"Hochrechnung 31.12.{data.year}"
    traces: list[dict[str, Any]] = []
    if labels:
        traces = [
            {
                "type": "bar",
                "name": "Ist",
                "x": labels,
                "y": [float(p.ist) for p in data.points],
                "marker": {"color": PALETTE[0], "pattern": _pattern("")},
                "hovertemplate": "%{x}: %{y:,.2f} €<extra>Ist</extra>",
            },
            {
                "type": "bar",
                "name": "Obligo",
                "x": labels,
                "y": [float(p.obligo) for p in data.points],
                "marker": {"color": PALETTE[4], "pattern": _pattern("/")},
                "hovertemplate": "%{x}: %{y:,.2f} €<extra>Obligo</extra>",
            },
            {
                "type": "bar",
                "name": "Hochrechnung zum Jahresende",
                "x": [projection],
                "y": [float(data.total.projected)],
                "marker": {"color": PALETTE[1], "pattern": _pattern("x")},
                "hovertemplate": "%{x}: %{y:,.2f} €<extra>Hochrechnung</extra>",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "Ansatz + übertragene Ermächtigungen",
                "x": [*labels, projection],
                "y": [float(data.total.authorized)] * (len(labels) + 1),
                "line": {"color": PALETTE[5], "dash": "dash", "width": 2},
                "marker": {"color": PALETTE[5], "symbol": "square", "size": 8},
                "hovertemplate": "%{y:,.2f} €<extra>Ermächtigung</extra>",
            },
        ]
    categories = [*labels, projection] if labels else []
    layout: dict[str, Any] = {
        "barmode": "stack",
        "height": 420,
        "xaxis": _axis(**_categories(categories, [wrap(c, 12) for c in categories])),
        "yaxis": _axis(title=_title("Euro"), tickformat=",.0f", rangemode="tozero"),
        "legend": {**LEGEND_TOP, "traceorder": "normal"},
    }
    return _serialise(
        traces, layout if labels else _empty(layout, "Noch keine Ist-Daten für dieses Jahr")
    )
