"""The audit log's database triggers (see models/security.py), and a way round them for tests.

Nothing in the application updates or deletes audit rows. Only the test suite, which empties
every table between tests, needs :func:`append_only_suspended`; it lifts the guard inside one
transaction and restores it before that transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection

from steuerung.models.security import AUDIT_TABLE, SQLITE_DROP, SQLITE_TRIGGERS


@contextmanager
def append_only_suspended(connection: Connection) -> Iterator[None]:
    """Allow deleting audit rows on ``connection`` until the block ends (same transaction)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_DROP:
            connection.execute(text(statement))
        yield
        for statement in SQLITE_TRIGGERS:
            connection.execute(text(statement))
    elif dialect == "postgresql":
        connection.execute(text(f"ALTER TABLE {AUDIT_TABLE} DISABLE TRIGGER USER"))
        yield
        connection.execute(text(f"ALTER TABLE {AUDIT_TABLE} ENABLE TRIGGER USER"))
    else:
        yield
