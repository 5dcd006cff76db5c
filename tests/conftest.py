"""Fixtures: app, db, client, users of each role, factories and login helpers.

Each test runs on an empty schema (tables emptied after each test), on SQLite in memory
by default or on PostgreSQL when ``DATABASE_URL`` is set.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.pool import StaticPool

from config import TestConfig
from steuerung import create_app
from steuerung.extensions import db as _db
from steuerung.models import (
    ActionField,
    Agenda,
    AgendaStatus,
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    CostPlanEntry,
    Department,
    Goal,
    Measure,
    MeasureCategory,
    MeasureStatus,
    Role,
    Settings,
    User,
)
from steuerung.services.common.audit import acting_as
from steuerung.services.security.audit_guard import append_only_suspended
from steuerung.services.security.throttle import limiter

PASSWORD = "richtig-geheim-42"
BUDGET_YEAR = 2026
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION_RE = re.compile(r'name="version_id"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version_id"')


class _Config(TestConfig):
    pass


if _Config.SQLALCHEMY_DATABASE_URI == "sqlite://":
    _Config.SQLALCHEMY_ENGINE_OPTIONS = {
        "poolclass": StaticPool,
        "connect_args": {"check_same_thread": False},
    }


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The application with the schema created once per test session."""
    jobs_tmp = tmp_path_factory.mktemp("jobs")
    _Config.JOBS_DIR = str(jobs_tmp / "files")
    _Config.JOBS_QUEUE_FILE = str(jobs_tmp / "queue.db")
    application = create_app(_Config)
    with application.app_context():
        _db.drop_all()
        _db.create_all()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture()
def db(app: Flask) -> Iterator[Any]:
    """The database session inside an app context; every table is emptied afterwards."""
    with app.app_context():
        _db.session.add(Settings(id=1, budget_year=BUDGET_YEAR, kommune_name="Teststadt"))
        _db.session.commit()
        yield _db
        _db.session.rollback()
        _db.session.remove()
        with _db.engine.begin() as connection, append_only_suspended(connection):
            for table in reversed(_db.metadata.sorted_tables):
                connection.execute(table.delete())
        limiter.reset()  # login throttling counters start empty in every test


@pytest.fixture()
def client(app: Flask, db: Any) -> FlaskClient:
    """A test client (cookies kept between requests)."""
    return app.test_client()


def _hidden_fields(client: FlaskClient, url: str) -> dict[str, str]:
    """Fetch ``url``; its CSRF token and, if the page has one, the version of its record."""
    response = client.get(url)
    html = response.get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {url} (status {response.status_code})"
    fields = {"csrf_token": match.group(1)}
    version = VERSION_RE.search(html)
    if version:
        fields["version_id"] = version.group(1)
    return fields


def csrf_token(client: FlaskClient, url: str) -> str:
    """Fetch ``url`` and return the CSRF token of its form."""
    return _hidden_fields(client, url)["csrf_token"]


def post_form(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """POST ``data`` to ``url`` as a browser would: with the CSRF token and the record's
    version (optimistic locking) from a GET of the same URL (or of ``token_from``)."""
    payload = {**_hidden_fields(client, kwargs.pop("token_from", url)), **data}
    return client.post(url, data=payload, **kwargs)


def page_after(client: FlaskClient, response: Any) -> str:
    """The page the user sees after a POST: the redirect target, or the page itself when the
    app shows the form again (an error with the input kept)."""
    if 300 <= response.status_code < 400:
        return client.get(response.headers["Location"]).get_data(as_text=True)
    return response.get_data(as_text=True)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    """Log ``client`` in through the login form."""
    return post_form(client, "/auth/login", {"username": username, "password": password})


class Factory:
    """Builds domain objects with sensible defaults; everything is flushed, not committed."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def department(self, code: str | None = None, name: str | None = None) -> Department:
        n = self._next()
        dept = Department(code=code or f"FB {n}", name=name or f"Fachbereich {n}")
        self.session.add(dept)
        self.session.flush()
        return dept

    def user(
        self, role: Role, department: Department | None = None, username: str | None = None
    ) -> User:
        n = self._next()
        user = User(
            username=username or f"{role.value}{n}",
            full_name=f"Test {role.label} {n}",
            role=role,
            department=department or self.department(),
        )
        user.set_password(PASSWORD)
        self.session.add(user)
        self.session.flush()
        return user

    def agenda(self, goals_per_field: int = 2) -> Agenda:
        agenda = Agenda(
            title="Digitale Agenda",
            version_no=1,
            status=AgendaStatus.ADOPTED,
            adopted_on=date(2025, 3, 20),
        )
        for pos, (code, name) in enumerate([("V", "Verwaltung"), ("B", "Bürgerinnen & Bürger")]):
            field = ActionField(code=code, name=name, position=pos)
            for i in range(1, goals_per_field + 1):
                field.goals.append(Goal(code=f"{code}-{i}", title=f"Ziel {code}-{i}", position=i))
            agenda.action_fields.append(field)
        self.session.add(agenda)
        self.session.flush()
        return agenda

    def budget_line(
        self,
        department: Department,
        kind: BudgetKind = BudgetKind.CONSUMPTIVE,
        amounts: dict[int, str] | None = None,
    ) -> BudgetLine:
        n = self._next()
        line = BudgetLine(
            product=f"1.1.{n}.01",
            cost_center=f"10{n:02d}",
            account="54310000" if kind == BudgetKind.CONSUMPTIVE else "78310000",
            investment_number="" if kind == BudgetKind.CONSUMPTIVE else f"I-{n:03d}",
            kind=kind,
            department=department,
            name=f"Haushaltsstelle {n}",
        )
        for year, amount in (amounts or {}).items():
            line.amounts.append(BudgetAmount(year=year, approved_amount=Decimal(amount)))
        self.session.add(line)
        self.session.flush()
        return line

    def measure(
        self,
        department: Department,
        status: MeasureStatus = MeasureStatus.DRAFT,
        title: str | None = None,
        owner: User | None = None,
        goals: list[Goal] | None = None,
        costs: list[tuple[BudgetLine, int, str]] | None = None,
        **fields: Any,
    ) -> Measure:
        n = self._next()
        measure = Measure(
            title=title or f"Maßnahme {n}",
            description=fields.pop("description", f"Beschreibung {n}"),
            department=department,
            owner=owner,
            category=fields.pop("category", MeasureCategory.DIGITAL_ADMINISTRATION),
            status=status,
            **fields,
        )
        measure.goals = list(goals or [])
        for line, year, amount in costs or []:
            measure.cost_plan.append(
                CostPlanEntry(budget_line=line, year=year, amount=Decimal(amount))
            )
        self.session.add(measure)
        self.session.flush()
        return measure


@pytest.fixture()
def factory(db: Any) -> Iterator[Factory]:
    """Factories bound to the test's session (changes attributed to no user)."""
    with acting_as(None):
        yield Factory(db.session)


@pytest.fixture()
def users(factory: Factory, db: Any) -> dict[str, User]:
    """One user per role in department ``own``, a submitter in ``other``; committed."""
    own = factory.department("FB 1", "Bürgerservice")
    other = factory.department("FB 2", "Bauen")
    result = {role.value: factory.user(role, own, username=role.value) for role in Role}
    result["other_submitter"] = factory.user(Role.SUBMITTER, other, username="fremd")
    db.session.commit()
    return result


@pytest.fixture()
def login_as(client: FlaskClient, users: dict[str, User]) -> Callable[[str], FlaskClient]:
    """``login_as("coordinator")`` logs the client in as that fixture user."""

    def _login(key: str) -> FlaskClient:
        client.get("/")  # fresh session
        response = login(client, users[key].username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _login
