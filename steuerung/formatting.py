"""German formats for numbers, money and dates (Jinja filters via Flask-Babel)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask
from flask_babel import format_currency, format_date, format_datetime, format_decimal


def money(value: Decimal | float | int | None) -> str:
    """``1234.5`` -> ``1.234,50 €``; None -> empty."""
    if value is None:
        return ""
    return format_currency(value, "EUR")


def number(value: Decimal | float | int | None, decimals: int = 0) -> str:
    """German number with thousands separator and a fixed number of decimals."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern)


def percent(value: Decimal | float | int | None, decimals: int = 0) -> str:
    """``87.5`` -> ``87,5 %`` (value already in percent)."""
    if value is None:
        return "–"
    return f"{number(value, decimals)}\u00a0%"


def date_de(value: date | datetime | None) -> str:
    """``2026-11-23`` -> ``23.11.2026``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "dd.MM.yyyy")
    return format_date(value, "dd.MM.yyyy")


def datetime_de(value: datetime | None) -> str:
    """Date and time in the Kommune's time zone, e.g. ``23.11.2026, 14:05``."""
    if value is None:
        return ""
    return format_datetime(value, "dd.MM.yyyy, HH:mm")


def register_filters(app: Flask) -> None:
    """Make the formatters available in templates."""
    app.jinja_env.filters.update(
        money=money, number=number, percent=percent, date_de=date_de, datetime_de=datetime_de
    )
