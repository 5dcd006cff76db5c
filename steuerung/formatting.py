"""German formats for numbers, money and dates (Jinja filters).

The UI speaks German only, so numbers are formatted with Python's format mini-language and the
separators swapped (``1,234.56`` -> ``1.234,56``): the same result as Babel's ``de`` locale,
about twenty times faster, which matters for budget tables with thousands of amounts.
Times are shown in the Kommune's time zone (Europe/Berlin).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from html import escape
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup

LOCAL_TZ = ZoneInfo("Europe/Berlin")
_SWAP = str.maketrans({",": ".", ".": ","})


def _decimal(value: Decimal | float | int) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def number(value: Decimal | float | int | None, decimals: int = 0) -> str:
    """German number with thousands separator and a fixed number of decimals."""
    if value is None:
        return ""
    return f"{_decimal(value):,.{decimals}f}".translate(_SWAP)


def money(value: Decimal | float | int | None) -> str:
    """``1234.5`` -> ``1.234,50 €``; None -> empty."""
    if value is None:
        return ""
    return number(value, 2) + "\u00a0€"


def percent(value: Decimal | float | int | None, decimals: int = 0) -> str:
    """``87.5`` -> ``87,5 %`` (value already in percent)."""
    if value is None:
        return "–"
    return f"{number(value, decimals)}\u00a0%"


def date_de(value: date | datetime | None) -> str:
    """``2026-11-23`` -> ``23.11.2026`` (timestamps in the Kommune's time zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(LOCAL_TZ)
    return f"{value:%d.%m.%Y}"


def datetime_de(value: datetime | None) -> str:
    """Date and time in the Kommune's time zone, e.g. ``23.11.2026, 14:05``."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(LOCAL_TZ)
    return f"{value:%d.%m.%Y, %H:%M}"


#: Column kinds shown right-aligned (numbers).
NUMERIC_KINDS = frozenset({"int", "money", "percent"})


def cell(value: object, kind: str) -> str:
    """A table cell's text by its column kind ("money", "int", "percent" with one
    decimal, "date", else as is); a missing value is a dash."""
    if value is None:
        return "–"
    if kind == "money":
        return money(value)  # type: ignore[arg-type]
    if kind == "int":
        return number(value)  # type: ignore[arg-type]
    if kind == "percent":
        return percent(value, 1)  # type: ignore[arg-type]
    if kind == "date":
        return date_de(value)  # type: ignore[arg-type]
    return str(value)


_GAP_MARK = '<span aria-hidden="true">▲&nbsp;</span><span class="visually-hidden">Lücke </span>'


def number_cells(cells: list[tuple[str, bool]]) -> Markup:
    """Right-aligned table cells from (text, is a gap) pairs; a gap is marked by a sign and
    a word, not by colour alone. One piece of markup per row instead of a macro per cell
    (a coverage table has thousands of money cells)."""
    return Markup(
        "".join(
            f'<td class="num gap">{_GAP_MARK}{escape(text)}</td>'
            if gap
            else f'<td class="num">{escape(text)}</td>'
            for text, gap in cells
        )
    )


def light_cell(light: object) -> Markup:
    """A table cell with a traffic light: its colour class and its German name (never
    colour alone); a dash without a light. ``light``: a ``TrafficLight`` or None."""
    if light is None:
        return Markup("<td>–</td>")
    value, label = getattr(light, "value", ""), getattr(light, "label", "")
    return Markup(f'<td class="light light-{escape(str(value))}">{escape(str(label))}</td>')


def register_filters(app: Flask) -> None:
    """Make the formatters available in templates."""
    app.jinja_env.filters.update(
        money=money,
        number=number,
        percent=percent,
        date_de=date_de,
        datetime_de=datetime_de,
        number_cells=number_cells,
        light_cell=light_cell,
    )
