"""Configuration classes, selected by ``create_app`` or the ``STEUERUNG_CONFIG`` variable."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _database_url(default: str) -> str:
    """Return ``DATABASE_URL`` if set, else ``default``; accept the short postgres scheme."""
    url = os.environ.get("DATABASE_URL", default)
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _int_env(name: str, default: int) -> int:
    """An integer from the environment, else ``default``."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


class Config:
    """Settings shared by every environment."""

    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'steuerung.db'}")
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: Server-side sessions (services/security/sessions.py): idle timeout and absolute
    #: lifetime in seconds; the cookie lives as long as the absolute lifetime.
    SESSION_IDLE_TIMEOUT = _int_env("SESSION_IDLE_TIMEOUT", 30 * 60)
    SESSION_ABSOLUTE_LIFETIME = _int_env("SESSION_ABSOLUTE_LIFETIME", 10 * 3600)
    PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_LIFETIME
    #: Login throttling (services/security/throttle.py). Storage: memory per process by
    #: default; with several app instances a shared store, e.g. ``redis://127.0.0.1:6379``.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_THROTTLE_WINDOW = "15 minutes"
    LOGIN_FAILURES_PER_PAIR = _int_env("LOGIN_FAILURES_PER_PAIR", 5)
    LOGIN_FAILURES_PER_ADDRESS = _int_env("LOGIN_FAILURES_PER_ADDRESS", 30)
    LOGIN_FAILURES_PER_ACCOUNT = _int_env("LOGIN_FAILURES_PER_ACCOUNT", 20)
    #: Raw POSTs to the login form per client address (Flask-Limiter syntax).
    LOGIN_REQUESTS_PER_ADDRESS = os.environ.get("LOGIN_REQUESTS_PER_ADDRESS", "60 per minute")
    #: Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    TRUSTED_PROXIES = _int_env("TRUSTED_PROXIES", 0)
    HSTS_ENABLED = False
    #: Directory login (LDAP / Active Directory), off unless LDAP_URL is set; see README.
    LDAP_URL = os.environ.get("LDAP_URL", "")
    LDAP_STARTTLS = os.environ.get("LDAP_STARTTLS", "") in ("1", "true", "yes")
    LDAP_CA_FILE = os.environ.get("LDAP_CA_FILE", "")
    LDAP_BIND_STYLE = os.environ.get("LDAP_BIND_STYLE", "search")
    LDAP_BIND_DN = os.environ.get("LDAP_BIND_DN", "")
    LDAP_BIND_PASSWORD = os.environ.get("LDAP_BIND_PASSWORD", "")
    LDAP_USER_DN_TEMPLATE = os.environ.get("LDAP_USER_DN_TEMPLATE", "")
    LDAP_USER_SEARCH_BASE = os.environ.get("LDAP_USER_SEARCH_BASE", "")
    LDAP_USER_FILTER = os.environ.get("LDAP_USER_FILTER", "(uid={username})")
    LDAP_USERNAME_ATTRIBUTE = os.environ.get("LDAP_USERNAME_ATTRIBUTE", "uid")
    LDAP_NAME_ATTRIBUTE = os.environ.get("LDAP_NAME_ATTRIBUTE", "displayName")
    LDAP_MAIL_ATTRIBUTE = os.environ.get("LDAP_MAIL_ATTRIBUTE", "mail")
    LDAP_DEPARTMENT_ATTRIBUTE = os.environ.get("LDAP_DEPARTMENT_ATTRIBUTE", "departmentNumber")
    LDAP_DEPARTMENT_MAP = os.environ.get("LDAP_DEPARTMENT_MAP", "")
    LDAP_GROUP_SEARCH_BASE = os.environ.get("LDAP_GROUP_SEARCH_BASE", "")
    LDAP_GROUP_FILTER = os.environ.get(
        "LDAP_GROUP_FILTER", "(|(member={user_dn})(uniqueMember={user_dn}))"
    )
    LDAP_GROUP_ROLE_MAP = os.environ.get("LDAP_GROUP_ROLE_MAP", "")
    LDAP_TIMEOUT = _int_env("LDAP_TIMEOUT", 5)
    #: werkzeug hash method for new passwords; existing hashes of any method keep working.
    PASSWORD_HASH_METHOD = "scrypt"
    #: Upload limit for spreadsheet imports (bytes).
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    #: Number of SQL statements per request is counted when true (tests, benchmarks).
    COUNT_QUERIES = False
    TESTING = False
    DEBUG = False


def local_secret_key(instance_dir: Path = INSTANCE_DIR) -> str:
    """A random key kept in ``instance/secret_key`` for local use (never in the repository)."""
    path = Path(instance_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


class DevelopmentConfig(Config):
    """Local use with ``make run``: without SECRET_KEY a random key is kept in instance/."""

    #: Generate and keep a local key when SECRET_KEY is not set (never in production).
    LOCAL_SECRET_KEY = True


class TestConfig(Config):
    """Test suite: in-memory or ``DATABASE_URL`` database, fixed key, CSRF on."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = _database_url("sqlite://")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    COUNT_QUERIES = True
    WTF_CSRF_ENABLED = True
    #: A cheap hash: the suite creates and logs in thousands of users (scrypt: ~70 ms each).
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    SERVER_NAME = None


class ProductionConfig(Config):
    """Production: refuses to start without ``SECRET_KEY``; secure cookies, HSTS.

    The ``__Host-`` prefix binds the cookie to this host, path ``/`` and HTTPS only.
    """

    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_SECURE = True
    HSTS_ENABLED = True


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """Pick the configuration class named by ``STEUERUNG_CONFIG`` or ``FLASK_ENV``."""
    name = os.environ.get("STEUERUNG_CONFIG") or os.environ.get("FLASK_ENV") or "production"
    return CONFIGS.get(name, ProductionConfig)
