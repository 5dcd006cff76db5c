"""Data and helpers for the REST API tests: a small Kommune and one token per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from steuerung.models import (
    BudgetKind,
    KeyFigure,
    KeyFigureValue,
    Measure,
    MeasureStatus,
    StatusReport,
    TrafficLight,
    User,
)
from steuerung.services.api.tokens import create_token
from steuerung.services.common.audit import acting_as

S = MeasureStatus
#: Keys of the ``users`` fixture: every role in FB 1, and a submitter of FB 2.
ROLES = ["submitter", "coordinator", "treasury", "leadership", "admin", "other_submitter"]


@dataclass
class ApiWorld:
    """Measures of FB 1 (own) and FB 2 (other) in several states, and tokens."""

    users: dict[str, User]
    tokens: dict[str, str]
    measures: dict[str, Measure]
    agenda: Any
    lines: list[Any]


def build_world(factory: Any, users: dict[str, User], db: Any) -> ApiWorld:
    """The world of the API tests (committed)."""
    own = users["submitter"].department
    other = users["other_submitter"].department
    agenda = factory.agenda()
    v1, v2 = agenda.action_fields[0].goals
    b1, _b2 = agenda.action_fields[1].goals
    line = factory.budget_line(own, amounts={2026: "50000.00", 2027: "10000.00"})
    invest = factory.budget_line(other, BudgetKind.INVESTIVE, amounts={2026: "20000.00"})
    m = {
        "own_draft": factory.measure(own, S.DRAFT, "Entwurf FB 1", owner=users["submitter"]),
        "own_approved": factory.measure(
            own,
            S.APPROVED,
            "Online-Terminvergabe",
            owner=users["submitter"],
            goals=[v1],
            costs=[(line, 2026, "12500.50"), (line, 2027, "20000.00")],
            start_date=date(2026, 1, 1),
            end_date=date(2027, 6, 30),
            score=Decimal("72.50"),
            priority_class="A",
        ),
        "own_running": factory.measure(
            own,
            S.IN_PROGRESS,
            "E-Akte",
            owner=users["submitter"],
            goals=[v2, b1],
            costs=[(line, 2026, "40000.00")],
            start_date=date(2025, 6, 1),
            end_date=date(2026, 12, 31),
        ),
        "other_draft": factory.measure(other, S.DRAFT, "Entwurf FB 2"),
        "other_approved": factory.measure(
            other,
            S.APPROVED,
            "Digitaler Bauantrag",
            owner=users["other_submitter"],
            goals=[b1],
            costs=[(invest, 2026, "30000.00")],
        ),
    }
    figure = KeyFigure(name="Online-Anteil", unit="%", baseline=Decimal("10"), target=Decimal("60"))
    figure.values.append(KeyFigureValue(measured_on=date(2026, 3, 31), value=Decimal("22.5")))
    m["own_approved"].key_figures.append(figure)
    m["own_approved"].status_reports.append(
        StatusReport(
            author=users["submitter"],
            reported_on=date(2026, 3, 31),
            schedule_light=TrafficLight.GREEN,
            cost_light=TrafficLight.YELLOW,
            scope_light=TrafficLight.GREEN,
            progress_percent=30,
            text="Ausschreibung läuft.",
        )
    )
    for key in ("own_running", "other_approved"):
        m[key].key_figures.append(KeyFigure(name="Fallzahl", unit="Anträge"))
    db.session.flush()
    tokens = {}
    with acting_as(None):
        for key in ROLES:
            tokens[key] = create_token(users[key], f"Test {key}", None).secret
    db.session.commit()
    return ApiWorld(users, tokens, m, agenda, [line, invest])


@pytest.fixture(name="api_world")
def api_world_fixture(factory: Any, users: dict[str, User], db: Any) -> ApiWorld:
    """Committed API world."""
    return build_world(factory, users, db)


def call(client: Any, token: str | None, method: str, path: str, **kwargs: Any) -> Any:
    """A request to ``/api/v1{path}`` with ``token`` as Bearer (none if None)."""
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


def get(client: Any, token: str | None, path: str, **kwargs: Any) -> Any:
    """GET through :func:`call`."""
    return call(client, token, "GET", path, **kwargs)


def post(client: Any, token: str | None, path: str, body: Any, **kwargs: Any) -> Any:
    """POST a JSON body through :func:`call`."""
    return call(client, token, "POST", path, json=body, **kwargs)


def report_body(version: int, **overrides: Any) -> dict[str, Any]:
    """A valid status report body."""
    body = {
        "version": version,
        "reported_on": "2026-06-30",
        "schedule_light": "green",
        "cost_light": "yellow",
        "scope_light": "red",
        "progress_percent": 45,
        "text": "Pilot im Bürgerbüro läuft.",
        "next_steps": "Rollout",
        "risks": "Personal",
    }
    body.update(overrides)
    return body
