"""Demo of the budget cycle and of grants for "Stadt Lindenfeld" (called by ``seed.demo``).

* Grants of the funded measures (DigitalPakt Schule 2.0, Modellprojekte Smart Cities,
  Landesförderung Digitale Kommune) with their decisions, calls for funds and proof-of-use
  deadlines: one proof overdue, one due within 60 days of the demo's late November 2026,
  one application still waiting for its decision.
* The planning round of the next budget year (2027) through the services, as the people
  would do it: the departments derive their Anmeldung from their cost plans, change a few
  lines with a reason, propose a line still to be created and hand in; the Kämmerei freezes
  the Anmeldung, cuts two lines in the Entwurf and records the Eckwerte (stage still open).

Every change is attributed to the person who makes it (audit log). Flushes, never commits.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from seed import demo_data as data
from steuerung.extensions import db
from steuerung.models import (
    BudgetKind,
    BudgetLine,
    Department,
    Grant,
    GrantCall,
    GrantStatus,
    Measure,
    PlanVersion,
    User,
)
from steuerung.services.common.audit import acting_as

D = Decimal

#: (measure title, grant fields, calls as (called on, amount, received on)).
GRANTS: list[tuple[str, dict[str, Any], list[tuple[str, str, str | None]]]] = [
    (
        "Tablets für die Grundschulen",
        {
            "programme": "DigitalPakt Schule 2.0",
            "funding_body": "Bezirksregierung, Dezernat Schulträgerförderung",
            "status": GrantStatus.APPROVED,
            "applied_on": "2025-05-12",
            "applied_amount": "125000",
            "decision_date": "2025-07-08",
            "file_number": "DP2-2025-0412",
            "approval_from": "2025-08-01",
            "approval_to": "2027-07-31",
            "eligible_cost": "250000",
            "grant_amount": "125000",
            "proof_due_on": "2027-12-31",
        },
        [("2026-02-16", "40000", "2026-03-02"), ("2026-09-01", "40000", "2026-09-21")],
    ),
    (
        "WLAN in allen Schulgebäuden",
        {
            "programme": "DigitalPakt Schule 2.0 – 1. Bauabschnitt",
            "funding_body": "Bezirksregierung, Dezernat Schulträgerförderung",
            "status": GrantStatus.APPROVED,
            "applied_on": "2025-06-30",
            "applied_amount": "105000",
            "decision_date": "2025-09-10",
            "file_number": "DP2-2025-0533",
            "approval_from": "2025-10-01",
            "approval_to": "2026-09-30",
            "eligible_cost": "210000",
            "grant_amount": "105000",
            "proof_due_on": "2026-12-31",
            "note": "Zweiter Bauabschnitt wird nach dem Verwendungsnachweis beantragt.",
        },
        [("2026-03-10", "50000", "2026-03-27"), ("2026-08-20", "55000", "2026-09-04")],
    ),
    (
        "Online-Kita-Anmeldung mit zentraler Platzvergabe",
        {
            "programme": "Landesförderung Digitale Kommune",
            "funding_body": "Ministerium für Digitalisierung, Förderreferat",
            "status": GrantStatus.APPROVED,
            "applied_on": "2025-11-03",
            "applied_amount": "23000",
            "decision_date": "2026-01-20",
            "file_number": "LDK-2026-017",
            "approval_from": "2026-01-15",
            "approval_to": "2026-09-30",
            "eligible_cost": "46000",
            "grant_amount": "23000",
            "proof_due_on": "2026-11-15",
            "note": "Zwischennachweis für den ersten Förderabschnitt.",
        },
        [("2026-04-01", "16000", "2026-04-22")],
    ),
    (
        "Parkraumsensorik in der Innenstadt",
        {
            "programme": "Modellprojekte Smart Cities",
            "funding_body": "KfW im Auftrag des Bundes",
            "status": GrantStatus.APPROVED,
            "applied_on": "2025-10-15",
            "applied_amount": "74750",
            "decision_date": "2026-02-10",
            "file_number": "MPSC-2021-LIN-03",
            "approval_from": "2026-03-01",
            "approval_to": "2027-02-28",
            "eligible_cost": "115000",
            "grant_amount": "74750",
            "proof_due_on": "2027-08-31",
        },
        [("2026-06-30", "40000", "2026-07-14"), ("2026-11-02", "20000", None)],
    ),
    (
        "Luftqualitätsmessnetz an Hauptverkehrsstraßen",
        {
            "programme": "Modellprojekte Smart Cities",
            "funding_body": "KfW im Auftrag des Bundes",
            "status": GrantStatus.APPLIED,
            "applied_on": "2026-05-15",
            "applied_amount": "46800",
            "note": "Ratsbeschluss zum Eigenanteil liegt vor (DS 2026/061).",
        },
        [],
    ),
]


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def load_grants(by_title: dict[str, Measure]) -> int:
    """The demo grants; returns how many were created."""
    count = 0
    for title, fields, calls in GRANTS:
        measure = by_title[title]
        values: dict[str, Any] = {}
        for key, value in fields.items():
            if key.endswith(("_on", "_date", "_from", "_to")):
                values[key] = _date(value)
            elif key.endswith(("_amount", "_cost")):
                values[key] = D(value)
            else:
                values[key] = value
        grant = Grant(measure=measure, **values)
        for called_on, amount, received_on in calls:
            grant.calls.append(
                GrantCall(
                    called_on=date.fromisoformat(called_on),
                    amount=D(amount),
                    received_on=_date(received_on),
                )
            )
        db.session.add(grant)
        count += 1
    db.session.flush()
    return count


# --------------------------------------------------------------------------- planning

#: Who registers each department's lines (its staff; SD: the office, FB 2: the Kämmerei).
REGISTRANTS = {
    "SD": "koordination",
    "FB 1": "fb1",
    "FB 2": "kaemmerei",
    "FB 3": "fb3",
    "FB 4": "fb4",
    "FB 5": "fb5",
    "FB 6": "fb6",
}
PLAN_YEAR = data.BUDGET_YEAR + 1


def _line(key: str) -> BudgetLine:
    spec = data.BUDGET_LINES[key]
    line = db.session.scalar(
        select(BudgetLine).where(
            BudgetLine.product == spec["product"],
            BudgetLine.cost_center == spec["cost_center"],
            BudgetLine.account == spec["account"],
            BudgetLine.investment_number == spec.get("investment_number", ""),
        )
    )
    assert line is not None
    return line


def _amounts(**values: str) -> dict[int, Decimal]:
    """``_amounts(y2027="1000")`` -> every year of the round, 0 where not given."""
    years = [PLAN_YEAR + i for i in range(4)]
    result = dict.fromkeys(years, D("0"))
    for key, value in values.items():
        result[int(key[1:])] = D(value)
    return result


def load_plan_history(users: dict[str, User]) -> PlanVersion:
    """Anmeldung (frozen) -> Entwurf (frozen) -> Eckwerte (open) of the next budget year."""
    from steuerung.services.planning import registration, stages
    from steuerung.services.planning import versions as svc

    treasury = users["kaemmerei"]
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    with acting_as(treasury.id):
        anmeldung = stages.open_round(PLAN_YEAR, by=treasury)
    for code, username in REGISTRANTS.items():
        user = users[username]
        with acting_as(user.id):
            registration.register_from_cost_plans(anmeldung, departments[code].id, by=user)

    def plan_line(key: str) -> Any:
        budget_line = _line(key)
        return next(pl for pl in anmeldung.lines if pl.budget_line_id == budget_line.id)

    with acting_as(users["koordination"].id):
        for key, yearly, reason in (
            ("sd_projekte", "60000", "Projektbudget der Digitalen Agenda: neben den freigegebenen "
             "Maßnahmen Mittel für Vorhaben, die im Lauf des Jahres freigegeben werden."),
            ("sd_experiment", "20000", "Experimentierbudget für Erprobungen (Reallabore, "
             "Prototypen); Verwendung wird im Lenkungskreis berichtet."),
        ):  # fmt: skip
            target = _amounts(**{f"y{PLAN_YEAR + i}": yearly for i in range(4)})
            budget_line = _line(key)
            present = [pl for pl in anmeldung.lines if pl.budget_line_id == budget_line.id]
            if present:
                line = present[0]
                amounts = {y: max(line.amount_of(y), target[y]) for y in target}
                svc.save_line(
                    line, amounts, reason, by=users["koordination"],
                    expected_version=line.version_id,
                )  # fmt: skip
            else:
                svc.add_line(
                    anmeldung,
                    departments["SD"].id,
                    svc.ProposalData(budget_line.id),
                    target,
                    reason,
                    by=users["koordination"],
                )
    with acting_as(users["fb1"].id):
        line = plan_line("it_lizenzen")
        amounts = {a.year: a.amount for a in line.amounts}
        amounts[PLAN_YEAR] += D("15000")
        svc.save_line(
            line,
            amounts,
            "Zusätzlich 15.000 € für die Ablösung der Telefonanlage durch Softphones "
            "(Wartungsende des Herstellers 06/2027; noch nicht im Kostenplan einer Maßnahme).",
            by=users["fb1"],
            expected_version=line.version_id,
        )
    with acting_as(users["fb3"].id):
        svc.add_line(
            anmeldung,
            departments["FB 3"].id,
            svc.ProposalData(
                None,
                BudgetKind.CONSUMPTIVE,
                product="1.2.2.01",
                cost_center="32010",
                account="54320000",
                name="Online-Terminvergabe Bürgerbüro",
            ),
            _amounts(
                **{f"y{PLAN_YEAR}": "18000", **{f"y{PLAN_YEAR + i}": "6000" for i in (1, 2, 3)}}
            ),
            "Wartezeiten im Bürgerbüro: Terminvergabe online mit Erinnerung per SMS. Einführung "
            "18.000 €, danach Lizenz 6.000 € im Jahr. Eigene Haushaltsstelle für Lizenzen.",
            by=users["fb3"],
        )
    for code, username in REGISTRANTS.items():
        user = users[username]
        with acting_as(user.id):
            registration.hand_in(anmeldung, departments[code].id, by=user)
    with acting_as(treasury.id):
        stages.freeze(
            anmeldung,
            by=treasury,
            expected_version=anmeldung.version_id,
            note="Anmeldefrist 30.09.2026; alle Fachbereiche haben fristgerecht angemeldet.",
        )
        entwurf = stages.derive_next(anmeldung, by=treasury, expected_version=anmeldung.version_id)
        for key, cut, reason in (
            ("it_lizenzen", D("10000"), "Telefonanlage: Ablösung in zwei Schritten, 2027 nur "
             "die Hälfte; Rest im Nachtrag, falls die Ausschreibung teurer wird."),
            ("sd_experiment", D("5000"), "Experimentierbudget wie 2026 um ein Viertel gekürzt "
             "(Haushaltssicherung); Schwerpunkte legt der Lenkungskreis fest."),
        ):  # fmt: skip
            budget_line = _line(key)
            line = next(pl for pl in entwurf.lines if pl.budget_line_id == budget_line.id)
            amounts = {a.year: a.amount for a in line.amounts}
            amounts[PLAN_YEAR] -= cut
            svc.save_line(line, amounts, reason, by=treasury, expected_version=line.version_id)
        stages.freeze(
            entwurf,
            by=treasury,
            expected_version=entwurf.version_id,
            note="Entwurf der Kämmerei für die Verwaltungskonferenz.",
        )
        eckwerte = stages.derive_next(entwurf, by=treasury, expected_version=entwurf.version_id)
        db.session.flush()
        view = svc.version_view(eckwerte)
        figures: dict[Any, Decimal | None] = {}
        for block in view.departments:
            # Eckwert: the draft's figure of the budget year, rounded down to 5.000 €.
            total = block.totals[PLAN_YEAR]
            figures[(("department", block.id), PLAN_YEAR)] = (total // 5000) * 5000
        for part in view.parts:
            figures[(("kind", part.kind), PLAN_YEAR)] = (part.totals[PLAN_YEAR] // 10000) * 10000
        svc.set_key_figures(eckwerte, figures, by=treasury, expected_version=eckwerte.version_id)
    db.session.flush()
    return eckwerte
