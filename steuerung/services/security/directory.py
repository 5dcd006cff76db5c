"""Login against a directory (LDAP / Active Directory) with ldap3.

Off unless ``LDAP_URL`` is set. The user's own credentials are checked by an LDAP bind over
LDAPS (``ldaps://``) or StartTLS (``ldap://`` with ``LDAP_STARTTLS``); a plain-text bind is
refused. Two ways to find the user:

- ``LDAP_BIND_STYLE = "search"`` (default): bind as the service account ``LDAP_BIND_DN`` (or
  anonymously), search ``LDAP_USER_SEARCH_BASE`` with ``LDAP_USER_FILTER`` (``{username}``
  is replaced, escaped), then bind as the found entry with the typed password;
- ``LDAP_BIND_STYLE = "direct"``: bind as ``LDAP_USER_DN_TEMPLATE`` (e.g.
  ``uid={username},ou=people,dc=...`` or ``{username}@kommune.local`` for Active Directory),
  then read the own entry with the filter.

Groups: the ``memberOf`` attribute, or a search under ``LDAP_GROUP_SEARCH_BASE`` with
``LDAP_GROUP_FILTER`` (``{user_dn}``). ``LDAP_GROUP_ROLE_MAP`` maps group DNs to roles; the
first group in that map the user is a member of decides. No mapped group: no access (and the
sessions of a known account end). ``LDAP_DEPARTMENT_ATTRIBUTE`` names the attribute whose value
is a department's code or name (``LDAP_DEPARTMENT_MAP`` may translate values to codes).

The account is created at the first login and updated at every login; its password is never
stored (``auth_source = "directory"``).
"""

from __future__ import annotations

import contextlib
import json
import ssl
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from ldap3 import NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn
from sqlalchemy import func, or_, select

from steuerung.extensions import db
from steuerung.models import Department, Role, User
from steuerung.services.common.errors import DomainError
from steuerung.services.security import log
from steuerung.services.security.sessions import end_user_sessions

UNREACHABLE_MESSAGE = (
    "Der Verzeichnisdienst (Active Directory/LDAP) ist nicht erreichbar. Bitte versuchen Sie "
    "es in einigen Minuten erneut oder wenden Sie sich an die IT."
)
NOT_ENABLED_MESSAGE = (
    "Ihr Verzeichniskonto ist für Steuerung nicht freigeschaltet (keine berechtigte Gruppe). "
    "Bitte wenden Sie sich an die Administration."
)
#: Marks a stored password hash as unusable (directory accounts have none).
NO_PASSWORD = "!directory"


class DirectoryUnavailable(DomainError):
    """The directory cannot be reached or refused the secure connection."""


class DirectoryAccessDenied(DomainError):
    """Right password, but the account may not use Steuerung (group, department)."""


@dataclass
class DirectorySettings:
    """The ``LDAP_*`` configuration, read once per login."""

    url: str
    starttls: bool = False
    ca_file: str | None = None
    bind_style: str = "search"
    bind_dn: str = ""
    bind_password: str = ""
    user_dn_template: str = ""
    user_search_base: str = ""
    user_filter: str = "(uid={username})"
    username_attribute: str = "uid"
    name_attribute: str = "displayName"
    mail_attribute: str = "mail"
    department_attribute: str = "departmentNumber"
    department_map: dict[str, str] = field(default_factory=dict)
    group_search_base: str = ""
    group_filter: str = "(|(member={user_dn})(uniqueMember={user_dn}))"
    group_role_map: list[tuple[str, Role]] = field(default_factory=list)
    timeout: float = 5.0

    @classmethod
    def from_config(cls, config: Any) -> DirectorySettings:
        """Build from the Flask config; JSON maps may be given as strings (environment)."""
        roles = _json(config.get("LDAP_GROUP_ROLE_MAP"))
        return cls(
            url=config.get("LDAP_URL") or "",
            starttls=bool(config.get("LDAP_STARTTLS")),
            ca_file=config.get("LDAP_CA_FILE") or None,
            bind_style=config.get("LDAP_BIND_STYLE") or "search",
            bind_dn=config.get("LDAP_BIND_DN") or "",
            bind_password=config.get("LDAP_BIND_PASSWORD") or "",
            user_dn_template=config.get("LDAP_USER_DN_TEMPLATE") or "",
            user_search_base=config.get("LDAP_USER_SEARCH_BASE") or "",
            user_filter=config.get("LDAP_USER_FILTER") or "(uid={username})",
            username_attribute=config.get("LDAP_USERNAME_ATTRIBUTE") or "uid",
            name_attribute=config.get("LDAP_NAME_ATTRIBUTE") or "displayName",
            mail_attribute=config.get("LDAP_MAIL_ATTRIBUTE") or "mail",
            department_attribute=config.get("LDAP_DEPARTMENT_ATTRIBUTE") or "departmentNumber",
            department_map={
                str(k).lower(): str(v) for k, v in _json(config.get("LDAP_DEPARTMENT_MAP")).items()
            },
            group_search_base=config.get("LDAP_GROUP_SEARCH_BASE") or "",
            group_filter=config.get("LDAP_GROUP_FILTER")
            or "(|(member={user_dn})(uniqueMember={user_dn}))",
            group_role_map=[(str(dn), Role(role)) for dn, role in roles.items()],
            timeout=float(config.get("LDAP_TIMEOUT") or 5),
        )

    def check(self) -> None:
        """Refuse settings that would send passwords in clear text or cannot work."""
        if not self.url.startswith(("ldaps://", "ldap://")):
            raise ValueError("LDAP_URL muss mit ldaps:// oder ldap:// beginnen.")
        if self.url.startswith("ldap://") and not self.starttls:
            raise ValueError("LDAP_URL mit ldap:// braucht LDAP_STARTTLS=1 (kein Klartext).")
        if self.bind_style not in ("search", "direct"):
            raise ValueError("LDAP_BIND_STYLE ist „search“ oder „direct“.")
        if self.bind_style == "direct" and "{username}" not in self.user_dn_template:
            raise ValueError("LDAP_USER_DN_TEMPLATE braucht {username}.")
        if not self.group_role_map:
            raise ValueError("LDAP_GROUP_ROLE_MAP ordnet keine Gruppe einer Rolle zu.")


def _json(value: Any) -> dict[str, Any]:
    if not value:
        return {}
    if isinstance(value, dict):
        return value
    return json.loads(value)


def enabled() -> bool:
    """True when a directory is configured (``LDAP_URL``)."""
    return bool(current_app.config.get("LDAP_URL"))


MISCONFIGURED_MESSAGE = (
    "Die Anmeldung über den Verzeichnisdienst ist nicht richtig eingerichtet. Bitte wenden Sie "
    "sich an die IT."
)


def check_config(config: Any) -> None:
    """Raise ``ValueError`` (German) if the ``LDAP_*`` settings cannot work (app start)."""
    try:
        DirectorySettings.from_config(config).check()
    except (ValueError, TypeError) as error:
        raise ValueError(f"Verzeichnis-Anmeldung (LDAP_*) falsch eingerichtet: {error}") from error


def settings() -> DirectorySettings:
    """The checked directory settings of the running app."""
    try:
        result = DirectorySettings.from_config(current_app.config)
        result.check()
    except (ValueError, TypeError) as error:
        log.event("directory_misconfigured", error=str(error))
        raise DirectoryUnavailable(MISCONFIGURED_MESSAGE) from error
    return result


@dataclass
class DirectoryEntry:
    """What the directory says about a user after a successful bind."""

    dn: str
    username: str
    full_name: str
    email: str
    department: str
    groups: list[str]


def _server(conf: DirectorySettings) -> Server:
    tls = Tls(
        validate=ssl.CERT_REQUIRED,
        version=None,
        ca_certs_file=conf.ca_file,
    )
    return Server(
        conf.url,
        use_ssl=conf.url.startswith("ldaps://"),
        tls=tls,
        get_info=NONE,
        connect_timeout=conf.timeout,
    )


def _connect(
    conf: DirectorySettings, server: Server, user: str | None, password: str | None
) -> Connection:
    """Open, secure and bind; returns the connection (bound or not) or raises unavailable.

    The caller unbinds the returned connection (also when the bind failed).
    """
    connection = Connection(
        server,
        user=user,
        password=password,
        auto_bind="NONE",
        receive_timeout=max(1, int(conf.timeout)),
        raise_exceptions=False,
        read_only=True,
    )
    try:
        connection.open()
        if conf.starttls and not conf.url.startswith("ldaps://"):
            connection.start_tls()
        connection.bind()
    except LDAPException as error:
        _close(connection)
        log.event("directory_unreachable", error=type(error).__name__)
        raise DirectoryUnavailable(UNREACHABLE_MESSAGE) from error
    return connection


def _close(connection: Connection) -> None:
    """Unbind and close the socket, whatever state the connection is in."""
    with contextlib.suppress(Exception):
        connection.unbind()
    socket_ = getattr(connection, "socket", None)
    if socket_ is not None:
        with contextlib.suppress(Exception):
            socket_.close()


def _first(entry: Any, attribute: str) -> str:
    values = entry.get("attributes", {}).get(attribute)
    if isinstance(values, list):
        return str(values[0]) if values else ""
    return "" if values is None else str(values)


def _read_entry(
    conf: DirectorySettings, connection: Connection, username: str, base: str, scope: Any
) -> dict | None:
    attributes = [
        conf.username_attribute,
        conf.name_attribute,
        "cn",
        conf.mail_attribute,
        conf.department_attribute,
        "memberOf",
    ]
    ok = connection.search(
        base,
        conf.user_filter.replace("{username}", escape_filter_chars(username)),
        search_scope=scope,
        attributes=attributes,
        size_limit=2,
    )
    entries = [e for e in connection.response or [] if e.get("type") == "searchResEntry"]
    if not ok or len(entries) != 1:
        return None
    return entries[0]


def authenticate(username: str, password: str) -> DirectoryEntry | None:
    """Bind as ``username``; the entry on success, None for wrong credentials.

    Raises :class:`DirectoryUnavailable` when the directory cannot be reached securely.
    """
    if not username or not password:
        return None  # an empty password would be an anonymous bind, which always "succeeds"
    conf = settings()
    server = _server(conf)
    if conf.bind_style == "direct":
        user_dn = conf.user_dn_template.replace("{username}", escape_rdn(username))
        reader = _connect(conf, server, user_dn, password)
        entry = None
        if reader.bound:
            entry = _read_entry(conf, reader, username, conf.user_search_base, SUBTREE)
    else:
        reader = _connect(conf, server, conf.bind_dn or None, conf.bind_password or None)
        if not reader.bound:
            _close(reader)
            log.event("directory_service_bind_failed")
            raise DirectoryUnavailable(UNREACHABLE_MESSAGE)
        entry = _read_entry(conf, reader, username, conf.user_search_base, SUBTREE)
        if entry is not None:
            user_connection = _connect(conf, server, entry["dn"], password)
            if not user_connection.bound:
                entry = None
            _close(user_connection)
    try:
        if entry is None:
            return None
        groups = _groups(conf, reader, entry)
    finally:
        _close(reader)
    return DirectoryEntry(
        dn=entry["dn"],
        username=_first(entry, conf.username_attribute) or username,
        full_name=_first(entry, conf.name_attribute) or _first(entry, "cn") or username,
        email=_first(entry, conf.mail_attribute),
        department=_first(entry, conf.department_attribute),
        groups=groups,
    )


def _groups(conf: DirectorySettings, connection: Connection, entry: dict) -> list[str]:
    if not conf.group_search_base:
        values = entry.get("attributes", {}).get("memberOf") or []
        return [str(v) for v in values]
    connection.search(
        conf.group_search_base,
        conf.group_filter.replace("{user_dn}", escape_filter_chars(entry["dn"])),
        search_scope=SUBTREE,
        attributes=["cn"],
    )
    return [e["dn"] for e in connection.response or [] if e.get("type") == "searchResEntry"]


def _normal_dn(dn: str) -> str:
    return ",".join(part.strip() for part in dn.lower().split(","))


def role_for(groups: list[str], conf: DirectorySettings) -> Role | None:
    """The role of the first mapped group the user belongs to, or None."""
    member_of = {_normal_dn(g) for g in groups}
    for dn, role in conf.group_role_map:
        if _normal_dn(dn) in member_of:
            return role
    return None


def department_for(value: str, conf: DirectorySettings) -> Department | None:
    """The active department whose code or name is the attribute value (after the map)."""
    if not value:
        return None
    wanted = conf.department_map.get(value.lower(), value).strip().lower()
    return db.session.scalar(
        select(Department).where(
            Department.is_active.is_(True),
            or_(func.lower(Department.code) == wanted, func.lower(Department.name) == wanted),
        )
    )


def login(username: str, password: str, *, existing: User | None) -> User | None:
    """Check the credentials in the directory and create or update the local account.

    Returns None for wrong credentials or an account deactivated in Steuerung. Raises
    :class:`DirectoryAccessDenied` (and ends the sessions of a known account) when the user
    is in no mapped group any more, and
    :class:`DirectoryUnavailable` when the directory cannot be reached.
    """
    entry = authenticate(username, password)
    if entry is None:
        return None
    conf = settings()
    role = role_for(entry.groups, conf)
    user = existing or db.session.scalar(
        select(User).where(func.lower(User.username) == entry.username.lower())
    )
    if user is not None and user.auth_source != "directory":
        return None  # a local account of that name is checked locally only
    if user is not None and not user.is_active_user:
        return None  # deactivated in Steuerung by an administrator
    if role is None:
        if user is not None:
            end_user_sessions(user, "directory")
            db.session.commit()
        log.event("directory_access_denied", username=entry.username, reason="no group")
        raise DirectoryAccessDenied(NOT_ENABLED_MESSAGE)
    department = department_for(entry.department, conf)
    if department is None:
        log.event("directory_access_denied", username=entry.username, reason="department")
        raise DirectoryAccessDenied(
            f"Ihr Fachbereich „{entry.department or 'ohne Angabe'}“ aus dem Verzeichnis ist in "
            "Steuerung nicht angelegt. Bitte wenden Sie sich an die Administration."
        )
    if user is None:
        user = User(username=entry.username, auth_source="directory", password_hash=NO_PASSWORD)
        db.session.add(user)
        log.event("directory_account_created", username=entry.username, role=role.value)
    user.full_name = entry.full_name[:200]
    user.email = entry.email[:200]
    user.role = role
    user.department = department
    user.must_change_password = False
    db.session.flush()
    return user
