"""Access tokens of the REST API (``/api/v1/``): one user may hold several, each revocable.

Only a hash of the secret is stored; the secret itself is shown once when it is created.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steuerung.models.base import Base, utcnow

if TYPE_CHECKING:
    from steuerung.models.organisation import User


class ApiToken(Base):
    """A personal access token: it acts as its user, with that user's role and department."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: What the user calls the token, e.g. "Open-Data-Portal" (to recognise it in the list).
    name: Mapped[str] = mapped_column(String(100))
    #: The first characters of the secret, shown in the list; not enough to use the token.
    prefix: Mapped[str] = mapped_column(String(16))
    #: SHA-256 (hex) of the whole secret. The secret is random (256 bits), so a fast hash
    #: suffices; the secret itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: After this moment the token is refused; None = valid until revoked.
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Last request made with the token (updated at most once a minute).
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix} user={self.user_id}>"
