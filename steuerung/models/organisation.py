"""Departments (Fachbereiche) and users with their roles."""

from __future__ import annotations

import enum
from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steuerung.models.base import Base, enum_type, utcnow
from steuerung.models.password_hash import ARGON2ID, hash_password, verify_password


class Role(enum.StrEnum):
    """The five roles of DOMAIN.md; a user has exactly one."""

    SUBMITTER = "submitter"
    COORDINATOR = "coordinator"
    TREASURY = "treasury"
    LEADERSHIP = "leadership"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """German name of the role."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.SUBMITTER: "Fachbereich",
    Role.COORDINATOR: "Koordinationsstelle",
    Role.TREASURY: "Kämmerei",
    Role.LEADERSHIP: "Behördenleitung",
    Role.ADMIN: "Administration",
}


class Department(Base):
    """A Fachbereich / Amt of the Kommune."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short code as used in the town's organisation chart, e.g. "FB 3".
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    users: Mapped[list[User]] = relationship(back_populates="department")

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class User(UserMixin, Base):
    """A person who logs in; belongs to one department and has one role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, "user_role"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    is_active_user: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    #: E-mail reminders about the user's own measures (report due, questions, decisions).
    notify_reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: Weekly digest of the coordinating office (only sent to coordinators).
    notify_digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: Set when an administrator chose the password: the user must pick a new one first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Where the password is checked: "local" (hash below) or "directory" (LDAP / AD).
    auth_source: Mapped[str] = mapped_column(String(10), default="local")

    department: Mapped[Department] = relationship(back_populates="users")

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses inactive users."""
        return self.is_active_user

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password`` (method from ``PASSWORD_HASH_METHOD``)."""
        method = ARGON2ID
        if has_app_context():
            method = current_app.config.get("PASSWORD_HASH_METHOD", method)
        self.password_hash = hash_password(password, method)

    def check_password(self, password: str) -> bool:
        """Compare ``password`` with the stored hash (never true for directory accounts)."""
        if (self.auth_source or "local") != "local":
            return False
        return verify_password(self.password_hash or "", password)
