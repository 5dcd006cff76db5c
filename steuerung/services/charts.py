"""Charts as pure functions: data in, Plotly figure JSON out.

A page embeds the JSON in ``<script type="application/json" class="plotly-figure">`` next to
a ``<div>`` and the locally served plotly.js draws it (static/js/charts.js). Every chart has
a table or text twin on the page.
"""

from __future__ import annotations

import json
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
