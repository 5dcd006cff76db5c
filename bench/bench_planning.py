"""Budget planning stages and grant deadlines (issue 11 points 4 and 5).

Prepares once on the benchmark database: the planning round of the next budget year with
every department's Anmeldung derived from the cost plans (timed), frozen, and an Entwurf
with one cut; grants with proof-of-use deadlines around today for 500 measures. Then times
the planning pages, the comparison, the grants overview, the dashboard and the owners' list
(both with their deadline sections).
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from steuerung.extensions import db
from steuerung.models import (
    Department,
    Grant,
    GrantStatus,
    Measure,
    MeasureStatus,
    PlanVersion,
    User,
)
from steuerung.services.common.audit import acting_as
from steuerung.services.common.clock import today
from steuerung.services.common.settings import get_settings
from steuerung.services.planning import registration, stages
from steuerung.services.planning import rules as planning_rules
from steuerung.services.planning import versions as svc

GRANTS = 500


def _prepare() -> dict[str, Any]:
    """The round of the next budget year (Anmeldung frozen, Entwurf with a cut) and grants."""
    year = get_settings().budget_year + 1
    info: dict[str, Any] = {"derive_ms": None}
    versions = svc.versions_of_year(year)
    if not versions:
        treasury = db.session.scalar(select(User).where(User.role == "treasury").limit(1))
        with acting_as(treasury.id):
            anmeldung = stages.open_round(year, by=treasury)
            started = time.perf_counter()
            for department in db.session.scalars(select(Department).order_by(Department.id)):
                user = db.session.scalar(
                    select(User)
                    .where(
                        User.department_id == department.id,
                        User.role.in_(planning_rules.REGISTERING_ROLES),
                    )
                    .limit(1)
                )
                if user is not None:
                    registration.register_from_cost_plans(anmeldung, department.id, by=user)
            info["derive_ms"] = round((time.perf_counter() - started) * 1000, 1)
            stages.freeze(anmeldung, by=treasury, expected_version=anmeldung.version_id)
            entwurf = stages.derive_next(
                anmeldung, by=treasury, expected_version=anmeldung.version_id
            )
            line = max(entwurf.lines, key=lambda pl: pl.amount_of(year))
            amounts = {a.year: a.amount for a in line.amounts}
            amounts[year] = (amounts[year] * Decimal("0.9")).quantize(Decimal("0.01"))
            svc.save_line(line, amounts, "Kürzung um 10 %", by=treasury, expected_version=1)
        db.session.commit()
        versions = svc.versions_of_year(year)
    if not db.session.scalar(select(func.count(Grant.id))):
        now = today()
        ids = db.session.scalars(
            select(Measure.id)
            .where(Measure.status.in_([MeasureStatus.APPROVED, MeasureStatus.IN_PROGRESS]))
            .order_by(Measure.id)
            .limit(GRANTS)
        ).all()
        with acting_as(None):
            for n, measure_id in enumerate(ids):
                db.session.add(
                    Grant(
                        measure_id=measure_id,
                        programme="Bench-Programm",
                        status=GrantStatus.APPROVED,
                        applied_on=date(2025, 1, 1),
                        decision_date=date(2025, 3, 1),
                        file_number=f"B-{n}",
                        approval_from=date(2025, 3, 1),
                        approval_to=date(2026, 12, 31),
                        eligible_cost=Decimal("10000"),
                        grant_amount=Decimal("5000"),
                        proof_due_on=now + timedelta(days=(n * 7) % 400 - 200),
                    )
                )
        db.session.commit()
    info["versions"] = [v.id for v in versions]
    info["lines"] = len(versions[0].lines)
    return info


def run(ctx: Any) -> list[dict[str, Any]]:
    """Time the planning pages, the comparison and the pages with grant deadlines."""
    info = _prepare()
    first, second = info["versions"][:2]
    treasury = ctx.client("treasury")
    submitter = ctx.client("submitter")
    coordinator = ctx.client("coordinator")
    rows = []
    if info["derive_ms"] is not None:
        rows.append(
            {
                "name": "Anmeldung aus Kostenplänen (alle FB)",
                "median_ms": info["derive_ms"],
                "p95_ms": info["derive_ms"],
                "queries": [],
                "extra": f"{info['lines']} Zeilen, einmalig",
            }
        )
    plan = db.session.get(PlanVersion, first)
    rows += [
        ctx.timed("Planung: Übersicht", treasury, f"/haushaltsplanung/?hj={plan.budget_year}"),
        ctx.timed(
            "Planung: Anmeldung (alle FB, Deckung)", treasury, f"/haushaltsplanung/stand/{first}"
        ),
        ctx.timed(
            "Planung: Anmeldung (ein Fachbereich)", submitter, f"/haushaltsplanung/stand/{first}"
        ),
        ctx.timed(
            "Planung: Vergleich Anmeldung → Entwurf",
            treasury,
            f"/haushaltsplanung/vergleich?von={first}&zu={second}",
        ),
        ctx.timed("Förderung: Übersicht (500 Förderungen)", treasury, "/foerderung/", n=10),
        ctx.timed("Dashboard mit Förderfristen", coordinator, "/dashboard/"),
        ctx.timed("Meine Maßnahmen mit Förderfristen", submitter, "/massnahmen/"),
    ]
    return rows
