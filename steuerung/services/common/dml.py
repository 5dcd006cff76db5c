"""Helpers for bulk writes: what an UPDATE or DELETE reports, fresh planner statistics.

``Session.execute`` is typed to return a plain ``Result``; for a DML statement it is a
``CursorResult``, which alone knows how many rows the statement matched.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, CursorResult


def affected_rows(result: object) -> int:
    """The number of rows an executed UPDATE or DELETE matched."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"Kein Ergebnis einer Änderungsanweisung: {type(result).__name__}")
    return result.rowcount


def refresh_statistics(bind: Any, *tables: str) -> None:
    """After a bulk write (synthetic data, a budget import, a restored backup): PostgreSQL
    reads its planner statistics of ``tables`` (all without names) now, in this transaction.

    Autovacuum refreshes them only a minute or more later; until then PostgreSQL planned the
    block re-reads of the summarising pages by the old numbers (under ``make load`` on fresh
    data single statements took 1-2.8 s instead of 9 ms). SQLite plans without statistics
    (no ``sqlite_stat1``): nothing to do there.
    """
    connection: Connection = bind if isinstance(bind, Connection) else bind.connection()
    if connection.dialect.name != "postgresql":
        return
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(t) for t in tables)
    connection.execute(text(f"ANALYZE {quoted}" if quoted else "ANALYZE"))
