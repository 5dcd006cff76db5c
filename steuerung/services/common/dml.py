"""Typed access to what a bulk UPDATE or DELETE reports.

``Session.execute`` is typed to return a plain ``Result``; for a DML statement it is a
``CursorResult``, which alone knows how many rows the statement matched.
"""

from __future__ import annotations

from sqlalchemy.engine import CursorResult


def affected_rows(result: object) -> int:
    """The number of rows an executed UPDATE or DELETE matched."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"Kein Ergebnis einer Änderungsanweisung: {type(result).__name__}")
    return result.rowcount
