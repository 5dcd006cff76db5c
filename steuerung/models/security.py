"""Security records: server-side login sessions, and the append-only guard of the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DDL, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steuerung.models.audit import AuditEntry
from steuerung.models.base import Base, utcnow

if TYPE_CHECKING:
    from steuerung.models.organisation import User


class UserSession(Base):
    """One login of a user, checked on every request (logout and resets end it here).

    The browser holds a random token in its (signed) session cookie; only the token's
    SHA-256 is stored, so a copy of this table does not let anyone log in.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Hex SHA-256 of the session token held by the browser.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Last request seen (updated at most once a minute); the idle timeout counts from here.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Why it ended: "logout", "idle", "expired", "inactive", "password", "admin", "directory".
    end_reason: Mapped[str] = mapped_column(String(20), default="")
    client_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        """True until the session was ended (timeouts are checked against the clock)."""
        return self.ended_at is None


# --- Append-only audit log ---------------------------------------------------------------
# The database itself refuses UPDATE and DELETE on audit rows, whatever the application does.
# The same statements are used by the migration and, through these DDL events, by
# ``create_all`` (tests, new databases without Alembic).

AUDIT_TABLE = AuditEntry.__tablename__
APPEND_ONLY_MESSAGE = "audit_log is append-only"

SQLITE_TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS {AUDIT_TABLE}_no_update BEFORE UPDATE ON {AUDIT_TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
    f"CREATE TRIGGER IF NOT EXISTS {AUDIT_TABLE}_no_delete BEFORE DELETE ON {AUDIT_TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
)
SQLITE_DROP = (
    f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_update",
    f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_delete",
)
POSTGRES_TRIGGERS = (
    f"CREATE OR REPLACE FUNCTION {AUDIT_TABLE}_append_only() RETURNS trigger "
    f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' "
    "USING ERRCODE = 'insufficient_privilege'; END $$",
    f"CREATE TRIGGER {AUDIT_TABLE}_no_change BEFORE UPDATE OR DELETE ON {AUDIT_TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION {AUDIT_TABLE}_append_only()",
    f"CREATE TRIGGER {AUDIT_TABLE}_no_truncate BEFORE TRUNCATE ON {AUDIT_TABLE} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {AUDIT_TABLE}_append_only()",
)
POSTGRES_DROP = (
    f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_truncate ON {AUDIT_TABLE}",
    f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_change ON {AUDIT_TABLE}",
    f"DROP FUNCTION IF EXISTS {AUDIT_TABLE}_append_only()",
)

for _statement in SQLITE_TRIGGERS:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_TRIGGERS:
    event.listen(
        AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )
event.listen(
    AuditEntry.__table__,
    "after_drop",
    DDL(POSTGRES_DROP[-1]).execute_if(dialect="postgresql"),
)
