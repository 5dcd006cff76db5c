"""Shared data and helpers for the measures tests (owned by the measures area)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from steuerung.models import BudgetKind, BudgetLine, Goal, Measure, MeasureStatus, User


@dataclass
class World:
    """Agenda goals, budget lines and users for the measures tests."""

    goals: list[Goal]
    line: BudgetLine
    invest_line: BudgetLine
    other_line: BudgetLine
    users: dict[str, User]


@pytest.fixture(name="world")
def world_fixture(factory: Any, users: dict[str, User], db: Any) -> World:
    """An adopted agenda, two lines of FB 1, one line of FB 2; committed."""
    agenda = factory.agenda()
    goals = [g for field in agenda.action_fields for g in field.goals]
    own = users["submitter"].department
    other = users["other_submitter"].department
    line = factory.budget_line(own, amounts={2026: "50000.00", 2027: "50000.00"})
    invest = factory.budget_line(own, BudgetKind.INVESTIVE, amounts={2026: "100000.00"})
    other_line = factory.budget_line(other)
    db.session.commit()
    return World(goals, line, invest, other_line, users)


def form_payload(world: World, **overrides: Any) -> dict[str, Any]:
    """A complete, valid measure form as posted by the browser."""
    data: dict[str, Any] = {
        "version_id": "",
        "title": "Online-Terminvergabe Bürgerbüro",
        "description": "Termine online buchen statt Wartemarke.",
        "category": "digital_administration",
        "kind": "project",
        "goals": [str(world.goals[0].id), str(world.goals[1].id)],
        "owner_id": str(world.users["submitter"].id),
        "contact": "Tel. 123",
        "start_date": "2026-02-01",
        "end_date": "2027-06-30",
        "ozg_maturity_level": "",
        "ozg_implementation": "",
        "running_cost_after_horizon": "1.200,00",
        "cost_plan-0-year": "2026",
        "cost_plan-0-budget_line_id": str(world.line.id),
        "cost_plan-0-amount": "12.500,50",
        "cost_plan-0-kind": "consumptive",
        "cost_plan-0-funding_source": "own",
        "cost_plan-0-funding_programme": "",
        "cost_plan-0-funding_share": "",
        "cost_plan-1-year": "2027",
        "cost_plan-1-budget_line_id": str(world.invest_line.id),
        "cost_plan-1-amount": "30000",
        "cost_plan-1-kind": "investive",
        "cost_plan-1-funding_source": "grant",
        "cost_plan-1-funding_programme": "Digitalpakt",
        "cost_plan-1-funding_share": "50",
        "cost_plan-2-year": "",
        "cost_plan-2-budget_line_id": "",
        "cost_plan-2-amount": "",
        "cost_plan-2-kind": "consumptive",
        "cost_plan-2-funding_source": "own",
        "milestones-0-title": "Ausschreibung",
        "milestones-0-due_date": "2026-04-01",
        "milestones-1-title": "",
        "milestones-1-due_date": "",
        "save": "Als Entwurf speichern",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def make_measure(
    factory: Any, world: World, status: MeasureStatus, own: bool = True, **kw: Any
) -> Measure:
    """A complete measure of FB 1 (own) or FB 2 in ``status``."""
    kw.setdefault("start_date", date(2026, 1, 1))
    kw.setdefault("end_date", date(2027, 12, 31))
    dept = world.users["submitter" if own else "other_submitter"].department
    line = world.line if own else world.other_line
    return factory.measure(
        dept,
        status,
        owner=world.users["submitter" if own else "other_submitter"],
        goals=world.goals[:1],
        costs=[(line, 2026, "1000.00")],
        **kw,
    )


def logout(client: Any) -> None:
    """Log the test client out (so ``login_as`` can log in another user)."""
    from conftest import csrf_token

    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
