"""Charts anyone can read (issue 10): every colour the chart functions emit is measured
against white with the WCAG 2.1 contrast formula (implemented here, independently of the
app); colour never carries meaning alone; labels are not clipped; German formats."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from dashboard_helpers import build_demo

from steuerung.models import MeasureStatus
from steuerung.services.common import charts

WHITE = (255, 255, 255)
FIGURE_RE = re.compile(r'class="plotly-figure" data-target="([^"]+)">(.*?)</script>', re.S)


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.strip().lstrip("#")
    assert re.fullmatch(r"[0-9a-fA-F]{6}", value), f"not a #rrggbb colour: {colour}"
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: tuple[int, int, int] = WHITE) -> float:
    """WCAG 2.1 contrast ratio of colour ``a`` against ``b``."""
    la, lb = sorted((_luminance(_rgb(a)), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_matches_known_values():
    assert contrast("#000000") == pytest.approx(21.0)
    assert contrast("#ffffff") == pytest.approx(1.0)
    assert contrast("#767676") == pytest.approx(4.54, abs=0.01)  # the classic AA grey
    assert contrast("#ffd43b") < 1.5  # the old traffic-light yellow of the issue


def _series_colours(figure: dict) -> list[tuple[str, str]]:
    """(trace name, colour) of every series colour: marker and line colours of the traces.

    Not series colours (and so not measured here): the white outline and hatch drawn *on*
    the shapes, and the colour scale of the goal matrix, whose cells show their numbers."""
    found = []
    for trace in figure["data"]:
        name = trace.get("name", trace.get("type"))
        for part in (trace.get("marker", {}), trace.get("line", {})):
            colour = part.get("color")
            for value in colour if isinstance(colour, list) else [colour]:
                if value is not None:
                    found.append((name, value))
    return found


def _status_data(statuses):
    fields = [("Verwaltung", ""), ("Bürgerinnen & Bürger", ""), ("Smart City / Smart Region", "")]
    counts = {label: {s: 1 for s in statuses} for label, _ in fields}
    return SimpleNamespace(fields=fields, statuses=statuses, counts=counts)


def _all_figures() -> dict[str, dict]:
    """Every chart function with data that uses every colour it knows."""
    lights = SimpleNamespace(
        departments=["FB 1 – Zentrale Dienste, Personal und IT", "FB 2 – Finanzen"],
        counts={"FB 1 – Zentrale Dienste, Personal und IT": {"green": 2, "red": 1}},
        keys=tuple(charts.LIGHT_STYLES),
    )
    years = [
        SimpleNamespace(
            year=2026 + i,
            figures=SimpleNamespace(available=Decimal(900000), own=Decimal(1200000)),
            gap=Decimal(300000),
        )
        for i in range(4)
    ]
    stones = [
        SimpleNamespace(title="Pilot", due_date=date(2026, 5, 1), done_on=date(2026, 4, 30)),
        SimpleNamespace(title="Rollout", due_date=date(2027, 1, 1), done_on=None),
    ]
    roadmap = SimpleNamespace(
        items=[
            SimpleNamespace(
                reference=f"M-000{i}",
                title="Digitaler Bauantrag mit sehr langem Titel für die Achse",
                status=status,
                start_date=date(2026, 1, 1),
                end_date=date(2027, 6, 30),
                milestones=stones,
            )
            for i, status in enumerate(MeasureStatus)
        ]
    )
    goals = SimpleNamespace(
        groups=["in Planung", "freigegeben / in Umsetzung", "abgeschlossen"],
        goals=[SimpleNamespace(code="V-1", title="Verwaltung digital", counts=[0, 2, 5])],
    )
    points = [
        {"reference": f"M-{i}", "title": "T", "score": 50.0, "total": 1000.0 * i, "field": f"F{i}"}
        | {"rank": i, "color": "#ffff00"}  # a stored field colour far below 3:1: not used
        for i in range(1, 11)
    ]
    series = [(f"Runde {i}", [Decimal("2.5"), None]) for i in range(1, 10)]
    execution = SimpleNamespace(
        year=2026,
        points=[
            SimpleNamespace(as_of=date(2026, m, 28), ist=Decimal(m * 1000), obligo=Decimal(500))
            for m in (2, 4, 6)
        ],
        total=SimpleNamespace(projected=Decimal(14000), authorized=Decimal(20000)),
    )
    return {
        "status": json.loads(charts.dashboard_status_by_field(_status_data(list(MeasureStatus)))),
        "coverage": json.loads(charts.dashboard_coverage(SimpleNamespace(years=years))),
        "lights": json.loads(charts.dashboard_lights(lights)),
        "roadmap": json.loads(charts.dashboard_roadmap(roadmap)),
        "goals": json.loads(charts.dashboard_goal_matrix(goals)),
        "portfolio": json.loads(charts.portfolio_bubble(points)),
        "maturity": json.loads(charts.maturity_by_topic(["Führung und Strategie", "IT"], series)),
        "execution": json.loads(charts.execution_burn(execution)),
    }


def test_every_series_colour_has_at_least_3_to_1_against_white():
    measured = {}
    for key, figure in _all_figures().items():
        for name, colour in _series_colours(figure):
            ratio = contrast(colour)
            measured[colour.upper()] = round(ratio, 2)
            assert ratio >= 3.0, f"{key}/{name}: {colour} has only {ratio:.2f}:1"
    # every colour of the palettes was emitted and measured
    palette = {c.upper() for c in charts.PALETTE}
    palette |= {c.upper() for c, _ in charts.STATUS_STYLES.values()}
    palette |= {c.upper() for c, _, _ in charts.LIGHT_STYLES.values()}
    palette |= {c.upper() for _, c, _ in charts.MILESTONE_STYLES.values()}
    assert palette <= set(measured), palette - set(measured)
    assert min(measured.values()) >= 3.0


def test_text_colour_and_matrix_numbers_are_readable():
    figure = _all_figures()["goals"]
    assert contrast(figure["layout"]["font"]["color"]) >= 4.5
    # the goal matrix shows every count as text; plotly writes it in black or white,
    # whichever contrasts more: at least 4.5:1 all along the scale.
    low, high = (_rgb(c) for _, c in charts.MATRIX_SCALE)
    for step in range(11):
        t = step / 10
        cell = "#" + "".join(
            f"{round(a + (b - a) * t):02x}" for a, b in zip(low, high, strict=True)
        )
        assert max(contrast(cell, (0, 0, 0)), contrast(cell)) >= 4.5, cell
    assert figure["data"][0]["texttemplate"] == "%{z}"


def test_colour_never_carries_meaning_alone():
    figures = _all_figures()
    # traffic lights: every light has its own pattern and its German name in the legend
    lights = figures["lights"]["data"]
    assert [t["name"] for t in lights] == ["Grün", "Gelb", "Rot", "Kein Bericht"]
    assert len({t["marker"]["pattern"]["shape"] for t in lights}) == 4
    # statuses: side ways and closed states hatched, each status named in the legend
    status = {t["name"]: t["marker"]["pattern"]["shape"] for t in figures["status"]["data"]}
    assert status["Abgelehnt"] and status["Zurückgestellt"] and status["Entwurf"]
    assert len(status) == len(MeasureStatus)
    # milestones: reached filled, open as an outline, both explained in the legend
    stones = {t["name"]: t["marker"].get("symbol") for t in figures["roadmap"]["data"]}
    assert stones["Meilenstein erreicht (◆ gefüllt)"] == "diamond"
    assert stones["Meilenstein offen (◇ leer)"] == "diamond-open"
    # fields of action in the bubble chart: a symbol each (not only a colour)
    symbols = [t["marker"]["symbol"] for t in figures["portfolio"]["data"]]
    assert len(set(symbols[: len(charts.SYMBOLS)])) == len(charts.SYMBOLS)
    assert all(t["marker"]["opacity"] == 1 for t in figures["portfolio"]["data"])
    # execution: Ist solid, Obligo hatched, projection cross-hatched, authorization dashed
    burn = {t["name"]: t for t in figures["execution"]["data"]}
    assert [burn[n]["marker"]["pattern"]["shape"] for n in ("Ist", "Obligo")] == ["", "/"]
    assert burn["Hochrechnung zum Jahresende"]["marker"]["pattern"]["shape"] == "x"
    assert burn["Ansatz + übertragene Ermächtigungen"]["line"]["dash"] == "dash"


def test_labels_are_never_clipped_and_legends_stay_clear_of_axis_titles():
    for key, figure in _all_figures().items():
        layout = figure["layout"]
        for name, axis in layout.items():
            if name.startswith(("xaxis", "yaxis")):
                assert axis.get("automargin") is True, f"{key}.{name}"
        legend = layout.get("legend")
        if legend:  # above the plot area: cannot overlap an axis title below or beside it
            assert legend["y"] >= 1 and legend["yanchor"] == "bottom", key
        assert layout["separators"] == ",."
    status = _all_figures()["status"]["layout"]["xaxis"]
    assert status["tickvals"] == ["Verwaltung", "Bürgerinnen & Bürger", "Smart City / Smart Region"]
    assert status["ticktext"] == [
        "Verwaltung",
        "Bürgerinnen &<br>Bürger",
        "Smart City /<br>Smart Region",
    ]
    roadmap = _all_figures()["roadmap"]["layout"]["yaxis"]
    assert all(len(text) <= 34 for text in roadmap["ticktext"])
    assert roadmap["tickvals"][0].endswith("sehr langem Titel für die Achse")  # full in hover


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("Verwaltung", 14, "Verwaltung"),
        ("Bürgerinnen & Bürger", 14, "Bürgerinnen &<br>Bürger"),
        (
            "IT-Infrastruktur und Betrieb der Rechenzentren",
            14,
            "IT-Infrastruktur<br>und Betrieb der R…",
        ),
        ("Donaudampfschifffahrtsgesellschaft", 10, "Donaudampfsch…"),
    ],
)
def test_wrap_breaks_and_shortens_labels(text, width, expected):
    assert charts.wrap(text, width) == expected


def test_pages_embed_only_readable_figures(factory, users, db, login_as):
    """The real pages: dashboard, portfolio and Potenzialcheck figures pass the same checks."""
    build_demo(factory, users, extra=4)
    db.session.commit()
    client = login_as("coordinator")
    html = client.get("/dashboard/").get_data(as_text=True)
    html += client.get("/portfolio/").get_data(as_text=True)
    blobs = FIGURE_RE.findall(html)
    assert len(blobs) == 8
    for target, blob in blobs:
        figure = json.loads(blob.replace("<\\/", "</"))
        for name, colour in _series_colours(figure):
            assert contrast(colour) >= 3.0, f"{target}/{name}: {colour}"
    assert "js/plotly-locale-de.js" in html
