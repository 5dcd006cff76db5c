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
    """Integer from the environment; a value that is no number is a start-up error."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as error:
        raise RuntimeError(f"{name} muss eine ganze Zahl sein, nicht „{value}“.") from error


class Config:
    """Settings shared by every environment."""

    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'steuerung.db'}")
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    #: Form messages come from WTForms' own German catalogue (forms.base.Form), not Babel.
    WTF_I18N_ENABLED = False
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
    #: Hash method for new passwords: "argon2id" (OWASP's parameters, models/password_hash.py)
    #: or a werkzeug method; older hashes keep working and are replaced at the next login.
    PASSWORD_HASH_METHOD = "argon2id"
    #: Upload limit for spreadsheet imports (bytes).
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    #: SQLite: how long a writer waits for another writer's lock before giving up (ms).
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "15000"))
    #: Budget import: rows written per transaction (each chunk holds the write lock briefly).
    IMPORT_CHUNK_ROWS = int(os.environ.get("IMPORT_CHUNK_ROWS", "2000"))
    #: Background jobs: "sqlite" (embedded queue file, one machine) or "redis" (several).
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "sqlite")
    #: Queue file of the SQLite backend (default: instance/jobs-queue.db).
    JOBS_QUEUE_FILE: str | None = os.environ.get("JOBS_QUEUE_FILE")
    #: Redis address of the queue (and of a shared rate-limit store), e.g. redis://host:6379/0.
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    #: Run jobs at once inside the request (tests); never in production.
    JOBS_IMMEDIATE = False
    #: Worker threads of ``flask jobs worker``.
    JOBS_WORKERS = int(os.environ.get("JOBS_WORKERS", "2"))
    #: Scheduling priority the job worker lowers itself by (0-19): requests go first.
    JOBS_NICE = int(os.environ.get("JOBS_NICE", "10"))
    #: On Linux the job worker runs under the idle scheduling class (SCHED_IDLE): it gets a
    #: core only while no request wants it, and a request waking up takes the core at once
    #: (a niced process still holds it for a slice). "0" keeps the normal class.
    JOBS_SCHED_IDLE = os.environ.get("JOBS_SCHED_IDLE", "1") != "0"
    #: Hours a finished job's file is kept before it is deleted.
    JOBS_RESULT_HOURS = float(os.environ.get("JOBS_RESULT_HOURS", "24"))
    #: Folder of the jobs' result files (default: instance/jobs).
    JOBS_DIR: str | None = os.environ.get("JOBS_DIR")
    #: A job running longer than this is taken as lost (worker killed) and marked failed.
    JOBS_MAX_RUNTIME_MINUTES = int(os.environ.get("JOBS_MAX_RUNTIME_MINUTES", "30"))
    #: Backups: folder (default: instance/backups) and how many to keep (0: all).
    BACKUP_DIR: str | None = os.environ.get("BACKUP_DIR")
    BACKUP_KEEP = int(os.environ.get("BACKUP_KEEP", "14"))
    #: Request log as JSON lines on stderr (one line per request, with the request id).
    REQUEST_LOG = os.environ.get("REQUEST_LOG", "1") == "1"
    #: Number of SQL statements per request is counted when true (tests, benchmarks).
    COUNT_QUERIES = False
    TESTING = False
    DEBUG = False

    # E-mail (services/notifications). Links in mails are built from PUBLIC_BASE_URL.
    #: Address under which users reach Steuerung, e.g. https://steuerung.kommune.de
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _int_env("SMTP_PORT", 587)
    #: "starttls" (port 587), "ssl" (SMTPS, port 465) or "none" (only on a trusted network).
    SMTP_SECURITY = os.environ.get("SMTP_SECURITY", "starttls")
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    #: CA bundle for the mail server's certificate (e.g. the Kommune's own CA); empty = system.
    SMTP_CA_FILE = os.environ.get("SMTP_CA_FILE", "")
    SMTP_TIMEOUT_SECONDS = _int_env("SMTP_TIMEOUT_SECONDS", 20)
    #: Sender, e.g. "Steuerung <steuerung@kommune.de>".
    MAIL_FROM = os.environ.get("MAIL_FROM", "")
    #: A status report reminder goes out this many days before the report is due.
    NOTIFY_REPORT_DUE_DAYS = _int_env("NOTIFY_REPORT_DUE_DAYS", 14)
    #: Status changes (questions, decisions) of this many past days are looked at per run.
    NOTIFY_EVENT_LOOKBACK_DAYS = _int_env("NOTIFY_EVENT_LOOKBACK_DAYS", 7)
    #: Weekday of the coordinating office's digest (0 = Monday); sent once per ISO week.
    NOTIFY_DIGEST_WEEKDAY = _int_env("NOTIFY_DIGEST_WEEKDAY", 0)
    #: A reminder whose sending failed is tried again on later runs, at most this often.
    NOTIFY_MAX_ATTEMPTS = _int_env("NOTIFY_MAX_ATTEMPTS", 5)
    #: A claim older than this (a run that died while sending) is taken over by a later run.
    NOTIFY_CLAIM_TIMEOUT_MINUTES = _int_env("NOTIFY_CLAIM_TIMEOUT_MINUTES", 60)
    #: Hour (0-23, server time) at which the job worker sends the due reminders every day;
    #: empty: the worker sends none (then ``flask notify run`` from cron, see README).
    NOTIFY_HOUR = os.environ.get("NOTIFY_HOUR", "7")


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
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    #: The development server prints its own access log; JSON lines only when asked for.
    REQUEST_LOG = os.environ.get("REQUEST_LOG", "0") == "1"


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
    PUBLIC_BASE_URL = "https://steuerung.lindenfeld.example"
    MAIL_FROM = "Steuerung Lindenfeld <steuerung@lindenfeld.example>"
    # Never the environment's mail server or its password: tests start their own server.
    SMTP_HOST = ""
    SMTP_PORT = 587
    SMTP_SECURITY = "starttls"
    SMTP_USERNAME = ""
    SMTP_PASSWORD = ""
    SMTP_CA_FILE = ""
    SMTP_TIMEOUT_SECONDS = 5
    #: Jobs run inside the request (Huey's immediate mode); tests of the worker switch it off.
    JOBS_IMMEDIATE = True
    REQUEST_LOG = False


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
