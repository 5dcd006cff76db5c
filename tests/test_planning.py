"""Budget planning stages: Anmeldung from the cost plans, Entwurf, Eckwerte, Beschluss,
Nachtrag; frozen versions; the comparison of two versions; coverage for a version.

The figures are computed by hand from one small Kommune (budget year 2026, planning round
2027 with the years 2027-2030):

* FB 1 line A (konsumtiv): base load 10.000 in 2027; M1 (FB 1, approved) plans 30.000 in
  2027, M2 (FB 2, submitted) 10.000 with a 50 % grant (own share 5.000), M3 (FB 1, draft)
  99.999 which registers nothing. Derived for A in 2027: 10.000 + 30.000 + 5.000 = 45.000.
* FB 1 line B (investiv): a VE of 20.000 falls due in 2028; M4 (FB 1, in progress) plans
  100.000 in 2028 with a 65 % grant (own share 35.000). Derived for B in 2028: 55.000.
* FB 1 line C: an Ansatz of 7.000 in 2027 but no need: not registered.
* FB 2 line E: M5 (FB 2, approved) plans 3.000 in 2027.

The treasury works in FB 20, the coordinating office in SD (units without lines here).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from conftest import page_after, post_form
from measures_helpers import logout
from sqlalchemy import select

from steuerung.models import (
    AuditEntry,
    BudgetAmount,
    BudgetKind,
    CommitmentAuthorization,
    CostPlanEntry,
    FundingSource,
    MeasureStatus,
    PlanAmount,
    PlanLine,
    PlanStage,
    PlanVersion,
)
from steuerung.services.budget.coverage import coverage_by_year
from steuerung.services.common.audit import acting_as
from steuerung.services.common.clock import frozen
from steuerung.services.common.errors import PermissionDenied, ValidationFailed
from steuerung.services.planning import compare as compare_service
from steuerung.services.planning import registration, stages
from steuerung.services.planning import versions as svc
from steuerung.services.planning.versions import FrozenVersion

D = Decimal
S = MeasureStatus
YEARS = [2027, 2028, 2029, 2030]
DECISION_DAY = date(2026, 12, 10)


@pytest.fixture()
def kommune(db: Any, factory: Any, users: dict[str, Any]) -> dict[str, Any]:
    own = users["submitter"].department
    other = users["other_submitter"].department
    # The treasury and the coordinating office work in units of their own.
    users["treasury"].department = factory.department("FB 20", "Finanzen")
    users["coordinator"].department = factory.department("SD", "Stabsstelle Digitalisierung")
    a = factory.budget_line(own, amounts={2027: "50000.00"})
    a.amounts[0].base_load = D("10000.00")
    b = factory.budget_line(own, BudgetKind.INVESTIVE, amounts={2028: "80000.00"})
    b.commitments.append(
        CommitmentAuthorization(granted_year=2026, due_year=2028, amount=D("20000.00"))
    )
    c = factory.budget_line(own, amounts={2027: "7000.00"})
    e = factory.budget_line(other, amounts={2027: "3000.00"})
    m1 = factory.measure(own, S.APPROVED, "Fachverfahren", costs=[(a, 2027, "30000.00")])
    m2 = factory.measure(other, S.SUBMITTED, "Online-Antrag")
    m2.cost_plan.append(
        CostPlanEntry(
            budget_line=a,
            year=2027,
            amount=D("10000.00"),
            funding_source=FundingSource.GRANT,
            funding_programme="Landesförderung",
            funding_share=D("50"),
        )
    )
    factory.measure(own, S.DRAFT, "Idee", costs=[(a, 2027, "99999.00")])
    m4 = factory.measure(own, S.IN_PROGRESS, "Schulnetz")
    m4.cost_plan.append(
        CostPlanEntry(
            budget_line=b,
            year=2028,
            amount=D("100000.00"),
            funding_source=FundingSource.GRANT,
            funding_programme="DigitalPakt Schule 2.0",
            funding_share=D("65"),
        )
    )
    factory.measure(other, S.APPROVED, "Kita-App", costs=[(e, 2027, "3000.00")])
    db.session.commit()
    return {"own": own, "other": other, "a": a, "b": b, "c": c, "e": e, "m1": m1, "m4": m4}


def _amounts(line: PlanLine) -> dict[int, Decimal]:
    return {y: line.amount_of(y) for y in YEARS}


def _by_line(version: PlanVersion) -> dict[int | None, PlanLine]:
    return {line.budget_line_id: line for line in version.lines}


def _zero(**values: str) -> dict[int, Decimal]:
    result = dict.fromkeys(YEARS, D("0.00"))
    for key, value in values.items():
        result[int(key[1:])] = D(value)
    return result


def _anmeldung(db: Any, users: dict[str, Any], kommune: dict[str, Any]) -> PlanVersion:
    version = stages.open_round(2027, by=users["treasury"])
    registration.register_from_cost_plans(version, kommune["own"].id, by=users["submitter"])
    registration.register_from_cost_plans(version, kommune["other"].id, by=users["other_submitter"])
    db.session.commit()
    return version


# --------------------------------------------------------------------------- Anmeldung


def test_anmeldung_derives_own_share_base_load_and_ve(db, users, kommune):
    version = _anmeldung(db, users, kommune)
    lines = _by_line(version)
    assert set(lines) == {kommune["a"].id, kommune["b"].id, kommune["e"].id}  # not C
    assert _amounts(lines[kommune["a"].id]) == _zero(y2027="45000.00")
    assert _amounts(lines[kommune["b"].id]) == _zero(y2028="55000.00")
    assert _amounts(lines[kommune["e"].id]) == _zero(y2027="3000.00")
    a = lines[kommune["a"].id]
    # The line belongs to FB 1 (its Teilhaushalt), also with FB 2's measure on it.
    assert a.department_id == kommune["own"].id and a.key == f"L{kommune['a'].id}"
    assert {r.year: r.derived_amount for r in a.amounts}[2027] == D("45000.00")
    assert "Fachverfahren" in a.derivation and "Online-Antrag" in a.derivation
    assert "Idee" not in a.derivation  # drafts register nothing
    assert "laufenden Betrieb – 2027: 10.000,00" in a.derivation
    assert "Verpflichtungsermächtigungen – 2028: 20.000,00" in lines[kommune["b"].id].derivation


def test_a_changed_amount_needs_a_reason(db, users, kommune):
    version = _anmeldung(db, users, kommune)
    line = _by_line(version)[kommune["a"].id]
    amounts = _zero(y2027="48000.00")
    with pytest.raises(ValidationFailed) as error:
        svc.save_line(line, amounts, "", by=users["submitter"], expected_version=line.version_id)
    assert error.value.field == "reason" and "abgeleiteten" in error.value.message
    db.session.rollback()
    line = db.session.get(PlanLine, line.id)
    svc.save_line(
        line,
        amounts,
        "Zusätzliche Lizenzen für die Außenstelle",
        by=users["submitter"],
        expected_version=line.version_id,
    )
    db.session.commit()
    assert _amounts(db.session.get(PlanLine, line.id))[2027] == D("48000.00")
    # Unchanged amounts need no reason.
    b = _by_line(version)[kommune["b"].id]
    svc.save_line(b, _amounts(b), "", by=users["submitter"], expected_version=b.version_id)


def test_a_stale_line_form_is_refused(db, users, kommune):
    version = _anmeldung(db, users, kommune)
    line = _by_line(version)[kommune["a"].id]
    old = line.version_id
    svc.save_line(line, _zero(y2027="1.00"), "Test", by=users["submitter"], expected_version=old)
    db.session.commit()
    with pytest.raises(Exception) as error:
        svc.save_line(
            line, _zero(y2027="2.00"), "Test", by=users["submitter"], expected_version=old
        )
    assert "inzwischen" in str(error.value)


def test_only_the_department_registers_its_own_lines(db, users, kommune):
    version = stages.open_round(2027, by=users["treasury"])
    for user in ("other_submitter", "treasury", "coordinator", "leadership"):
        with pytest.raises(PermissionDenied):
            registration.register_from_cost_plans(version, kommune["own"].id, by=users[user])
    registration.register_from_cost_plans(version, kommune["own"].id, by=users["submitter"])
    line = _by_line(version)[kommune["a"].id]
    with pytest.raises(PermissionDenied):
        svc.save_line(line, _amounts(line), "x", by=users["other_submitter"], expected_version=1)
    with pytest.raises(PermissionDenied):
        svc.save_line(line, _amounts(line), "x", by=users["treasury"], expected_version=1)


def test_the_office_and_the_treasury_register_their_own_units(db, users, kommune, factory):
    office = users["coordinator"].department  # SD: the Stabsstelle has lines of its own
    line = factory.budget_line(office, amounts={2027: "20000.00"})
    factory.measure(office, S.APPROVED, "Ideenplattform", costs=[(line, 2027, "8000.00")])
    db.session.commit()
    version = stages.open_round(2027, by=users["treasury"])
    registration.register_from_cost_plans(version, office.id, by=users["coordinator"])
    assert _amounts(_by_line(version)[line.id]) == _zero(y2027="8000.00")
    with pytest.raises(PermissionDenied):
        registration.register_from_cost_plans(version, office.id, by=users["treasury"])


def test_a_proposed_line_and_the_hand_in(db, users, kommune):
    version = _anmeldung(db, users, kommune)
    data = svc.ProposalData(None, BudgetKind.CONSUMPTIVE, name="E-Akte Jugendamt")
    with pytest.raises(ValidationFailed) as error:
        svc.add_line(
            version, kommune["own"].id, data, _zero(y2027="12000"), "", by=users["submitter"]
        )
    assert error.value.field == "reason"
    db.session.rollback()
    version = db.session.get(PlanVersion, version.id)
    proposal = svc.add_line(
        version,
        kommune["own"].id,
        data,
        _zero(y2027="12000"),
        "Gesetzliche Pflicht ab 2027",
        by=users["submitter"],
    )
    assert proposal.is_proposal and proposal.key.startswith("P")
    registration.hand_in(version, kommune["own"].id, by=users["submitter"])
    db.session.commit()
    line = _by_line(version)[kommune["a"].id]
    with pytest.raises(PermissionDenied, match="bereits abgegeben"):
        svc.save_line(line, _amounts(line), "", by=users["submitter"], expected_version=1)
    db.session.rollback()
    registration.reopen(version, kommune["own"].id, by=users["treasury"])
    db.session.commit()
    line = db.session.get(PlanLine, line.id)
    svc.save_line(line, _amounts(line), "", by=users["submitter"], expected_version=line.version_id)


def test_deriving_again_keeps_what_the_department_set(db, users, kommune, factory):
    version = _anmeldung(db, users, kommune)
    a = _by_line(version)[kommune["a"].id]
    svc.save_line(
        a, _zero(y2027="40000"), "Weniger Lizenzen", by=users["submitter"], expected_version=1
    )
    db.session.commit()
    # The cost plans change: M1 needs 2.000 more on A, M4 5.000 more on B (own 35 % = 1.750).
    kommune["m1"].cost_plan[0].amount = D("32000.00")
    kommune["m4"].cost_plan[0].amount = D("105000.00")
    db.session.commit()
    registration.register_from_cost_plans(version, kommune["own"].id, by=users["submitter"])
    db.session.commit()
    lines = _by_line(db.session.get(PlanVersion, version.id))
    a, b = lines[kommune["a"].id], lines[kommune["b"].id]
    assert _amounts(a)[2027] == D("40000.00")  # the department's own figure stays
    assert {r.year: r.derived_amount for r in a.amounts}[2027] == D("47000.00")
    assert _amounts(b)[2028] == D("56750.00")  # left as derived: follows the cost plans


# --------------------------------------------------------------------------- the cycle


def _cycle(db: Any, users: dict[str, Any], kommune: dict[str, Any], factory: Any) -> dict:
    """Anmeldung -> Entwurf -> Eckwerte -> Beschluss -> Nachtrag 1 through the services."""
    treasury, dept = users["treasury"], users["submitter"]
    own = kommune["own"].id
    anmeldung = _anmeldung(db, users, kommune)
    svc.add_line(
        anmeldung,
        own,
        svc.ProposalData(None, BudgetKind.CONSUMPTIVE, name="E-Akte Jugendamt"),
        _zero(y2027="12000"),
        "Gesetzliche Pflicht ab 2027",
        by=dept,
    )
    a = _by_line(anmeldung)[kommune["a"].id]
    svc.save_line(
        a, _zero(y2027="48000"), "Außenstelle braucht Lizenzen", by=dept, expected_version=1
    )
    registration.hand_in(anmeldung, own, by=dept)
    stages.freeze(anmeldung, by=treasury, expected_version=anmeldung.version_id)
    db.session.commit()

    entwurf = stages.derive_next(anmeldung, by=treasury, expected_version=anmeldung.version_id)
    db.session.commit()
    assert entwurf.stage == PlanStage.DRAFT and entwurf.based_on_id == anmeldung.id
    a = _by_line(entwurf)[kommune["a"].id]
    assert a.reason == ""  # a reason explains what a stage changes
    svc.save_line(
        a,
        _zero(y2027="40000"),
        "Haushaltskonsolidierung: Lizenzen erst 2028",
        by=treasury,
        expected_version=a.version_id,
    )
    stages.freeze(entwurf, by=treasury, expected_version=entwurf.version_id)
    db.session.commit()

    eckwerte = stages.derive_next(entwurf, by=treasury, expected_version=entwurf.version_id)
    db.session.commit()
    svc.set_key_figures(
        eckwerte,
        {
            (("department", own), 2027): D("50000.00"),
            (("kind", BudgetKind.CONSUMPTIVE), 2027): D("60000.00"),
        },
        by=treasury,
        expected_version=eckwerte.version_id,
    )
    stages.freeze(eckwerte, by=treasury, expected_version=eckwerte.version_id)
    db.session.commit()

    beschluss = stages.derive_next(eckwerte, by=treasury, expected_version=eckwerte.version_id)
    db.session.commit()
    d = factory.budget_line(kommune["own"])
    db.session.commit()
    proposal = next(line for line in beschluss.lines if line.is_proposal)
    svc.assign_budget_line(proposal, d.id, by=treasury, expected_version=proposal.version_id)
    db.session.commit()
    with frozen(DECISION_DAY):
        stages.freeze(
            beschluss,
            by=treasury,
            expected_version=beschluss.version_id,
            decision_date=DECISION_DAY,
            decision_reference="DS 2026/117",
        )
    db.session.commit()

    nachtrag = stages.derive_next(beschluss, by=treasury, expected_version=beschluss.version_id)
    db.session.commit()
    a = _by_line(nachtrag)[kommune["a"].id]
    svc.save_line(
        a,
        _zero(y2027="44000"),
        "Mehrkosten nach Ausschreibung",
        by=treasury,
        expected_version=a.version_id,
    )
    with frozen(date(2027, 5, 20)):
        stages.freeze(
            nachtrag,
            by=treasury,
            expected_version=nachtrag.version_id,
            decision_date=date(2027, 5, 19),
            decision_reference="DS 2027/045",
        )
    db.session.commit()
    return {
        "anmeldung": anmeldung,
        "entwurf": entwurf,
        "eckwerte": eckwerte,
        "beschluss": beschluss,
        "nachtrag": nachtrag,
        "d": d,
    }


def _ansatz(line_id: int, year: int) -> Decimal | None:
    from steuerung.extensions import db

    return db.session.scalar(
        select(BudgetAmount.approved_amount).where(
            BudgetAmount.budget_line_id == line_id, BudgetAmount.year == year
        )
    )


def test_the_stages_from_anmeldung_to_nachtrag(db, users, kommune, factory):
    cycle = _cycle(db, users, kommune, factory)
    stages_seen = [
        (v.stage, v.supplement_no, v.position, v.is_frozen) for v in svc.versions_of_year(2027)
    ]
    assert stages_seen == [
        (PlanStage.REGISTRATION, 0, 1, True),
        (PlanStage.DRAFT, 0, 2, True),
        (PlanStage.KEY_FIGURES, 0, 3, True),
        (PlanStage.ADOPTED, 0, 4, True),
        (PlanStage.SUPPLEMENT, 1, 5, True),
    ]
    assert cycle["nachtrag"].label == "Nachtrag 1 2027"
    assert cycle["beschluss"].decision_reference == "DS 2026/117"
    # The Eckwerte are copied into the later stages and compared with the lines.
    view = svc.version_view(cycle["beschluss"])
    fb1 = next(b for b in view.departments if b.id == kommune["own"].id)
    # FB 1 in 2027: A 40.000 + proposal 12.000 = 52.000 against an Eckwert of 50.000.
    assert fb1.totals[2027] == D("52000.00") and fb1.key_figures[2027] == D("50000.00")
    assert fb1.over[2027] == D("2000.00")
    konsumtiv = next(p for p in view.parts if p.kind == BudgetKind.CONSUMPTIVE)
    # konsumtiv 2027: 52.000 (FB 1) + 3.000 (FB 2 line E) = 55.000, within 60.000.
    assert konsumtiv.totals[2027] == D("55000.00") and konsumtiv.over[2027] == D("0.00")
    # The Beschluss set the Ansatz; the Nachtrag changed A again. C (not planned) keeps its.
    assert _ansatz(kommune["a"].id, 2027) == D("44000.00")
    assert _ansatz(kommune["b"].id, 2028) == D("55000.00")
    assert _ansatz(cycle["d"].id, 2027) == D("12000.00")
    assert _ansatz(kommune["e"].id, 2027) == D("3000.00")
    assert _ansatz(kommune["c"].id, 2027) == D("7000.00")


def test_the_beschluss_is_audited_and_raises_the_line_versions(db, users, kommune, factory):
    version_before = kommune["a"].version_id
    with acting_as(users["treasury"].id):
        cycle = _cycle(db, users, kommune, factory)
    db.session.refresh(kommune["a"])
    assert kommune["a"].version_id > version_before
    entries = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_type == "budget_amounts", AuditEntry.user_id == users["treasury"].id
        )
    ).all()
    changes = [e.changes.get("approved_amount") for e in entries]
    assert ["50000.00", "40000.00"] in changes  # Beschluss
    assert ["40000.00", "44000.00"] in changes  # Nachtrag 1
    assert cycle["nachtrag"].frozen_by_id == users["treasury"].id


def test_the_comparison_shows_exactly_the_changed_lines(db, users, kommune, factory):
    cycle = _cycle(db, users, kommune, factory)
    own = kommune["own"].id
    result = compare_service.compare(cycle["anmeldung"], cycle["entwurf"])
    assert [c.key for c in result.lines] == [f"L{kommune['a'].id}"]
    change = result.lines[0]
    assert change.change == compare_service.CUT
    assert change.amount_before(2027) == D("48000.00") and change.amount_after(2027) == D("40000")
    assert change.reason_before == "Außenstelle braucht Lizenzen"
    assert change.reason_after == "Haushaltskonsolidierung: Lizenzen erst 2028"
    assert change.reasons == [("Entwurf", "Haushaltskonsolidierung: Lizenzen erst 2028")]
    fb1 = next(d for d in result.departments if d.id == own)
    # FB 1 requested A 48.000 + B 55.000 + proposal 12.000 = 115.000; 8.000 cut.
    assert (fb1.before, fb1.cut, fb1.added, fb1.after) == (
        D("115000.00"),
        D("8000.00"),
        D("0.00"),
        D("107000.00"),
    )
    assert fb1.changed_lines == 1
    fb2 = next(d for d in result.departments if d.id == kommune["other"].id)
    assert fb2.changed_lines == 0 and fb2.before == fb2.after == D("3000.00")
    # Over several stages: the Anmeldung against the Nachtrag (A 48.000 -> 44.000); the
    # proposal is found although it got its budget line in between.
    result = compare_service.compare(cycle["anmeldung"], cycle["nachtrag"])
    assert [c.key for c in result.lines] == [f"L{kommune['a'].id}"]
    # The reasons given on the way: the cut in the Entwurf, the increase in the Nachtrag.
    assert result.lines[0].reasons == [
        ("Entwurf", "Haushaltskonsolidierung: Lizenzen erst 2028"),
        ("Nachtrag 1", "Mehrkosten nach Ausschreibung"),
    ]
    # Nothing changed from Eckwerte to Beschluss but the proposal's assignment: no line.
    assert compare_service.compare(cycle["eckwerte"], cycle["beschluss"]).lines == []
    # The departments' view: FB 2 sees only its own lines (none changed).
    mine = compare_service.compare(cycle["anmeldung"], cycle["entwurf"], {kommune["other"].id})
    assert mine.lines == [] and [d.id for d in mine.departments] == [kommune["other"].id]


def test_new_and_removed_lines_in_the_comparison(db, users, kommune):
    treasury = users["treasury"]
    anmeldung = _anmeldung(db, users, kommune)
    stages.freeze(anmeldung, by=treasury, expected_version=anmeldung.version_id)
    entwurf = stages.derive_next(anmeldung, by=treasury, expected_version=anmeldung.version_id)
    added = svc.add_line(
        entwurf,
        kommune["own"].id,
        svc.ProposalData(kommune["c"].id),
        _zero(y2027="7000"),
        "Bestehende Stelle fortführen",
        by=treasury,
    )
    db.session.commit()
    result = compare_service.compare(anmeldung, entwurf)
    assert [(c.key, c.change, c.total_after) for c in result.lines] == [
        (added.key, compare_service.ADDED, D("7000.00"))
    ]
    # Backwards, the same line is gone.
    back = compare_service.compare(entwurf, anmeldung)
    assert [(c.key, c.change) for c in back.lines] == [(added.key, compare_service.REMOVED)]


# --------------------------------------------------------------------------- frozen


def test_a_frozen_version_never_changes(db, users, kommune):
    treasury = users["treasury"]
    version = _anmeldung(db, users, kommune)
    stages.freeze(version, by=treasury, expected_version=version.version_id)
    db.session.commit()
    line = _by_line(version)[kommune["a"].id]
    with pytest.raises(FrozenVersion):
        svc.save_line(line, _amounts(line), "x", by=users["submitter"], expected_version=1)
    with pytest.raises(FrozenVersion):
        registration.register_from_cost_plans(version, kommune["own"].id, by=users["submitter"])
    with pytest.raises(FrozenVersion):
        stages.freeze(version, by=treasury, expected_version=version.version_id)
    db.session.rollback()
    # Whatever code tries, the flush refuses it: an amount, a line, the version itself.
    amount = db.session.scalar(select(PlanAmount).where(PlanAmount.plan_line_id == line.id))
    amount.amount = D("1.00")
    with pytest.raises(FrozenVersion):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(PlanLine, line.id))
    with pytest.raises(FrozenVersion):
        db.session.flush()
    db.session.rollback()
    db.session.get(PlanVersion, version.id).note = "geändert"
    with pytest.raises(FrozenVersion):
        db.session.flush()
    db.session.rollback()
    assert _amounts(db.session.get(PlanLine, line.id))[2027] == D("45000.00")


def test_the_order_of_the_stages(db, users, kommune):
    treasury = users["treasury"]
    version = _anmeldung(db, users, kommune)
    with pytest.raises(ValidationFailed, match="zuerst fest"):
        stages.derive_next(version, by=treasury, expected_version=version.version_id)
    with pytest.raises(ValidationFailed, match="bereits eröffnet"):
        stages.open_round(2027, by=treasury)
    with pytest.raises(ValidationFailed):
        stages.open_round(2031, by=treasury)
    with pytest.raises(PermissionDenied):
        stages.freeze(version, by=users["coordinator"], expected_version=version.version_id)
    stages.freeze(version, by=treasury, expected_version=version.version_id)
    stages.derive_next(version, by=treasury, expected_version=version.version_id)
    db.session.commit()
    with pytest.raises(ValidationFailed, match="schon einen Stand"):
        stages.derive_next(version, by=treasury, expected_version=version.version_id)


def test_a_beschluss_needs_date_reference_and_every_budget_line(db, users, kommune):
    treasury = users["treasury"]
    version = _anmeldung(db, users, kommune)
    svc.add_line(
        version,
        kommune["own"].id,
        svc.ProposalData(None, BudgetKind.INVESTIVE, name="Neue Server"),
        _zero(y2028="5000"),
        "Ersatz",
        by=users["submitter"],
    )
    for _ in range(3):
        stages.freeze(version, by=treasury, expected_version=version.version_id)
        version = stages.derive_next(version, by=treasury, expected_version=version.version_id)
        db.session.commit()
    assert version.stage == PlanStage.ADOPTED
    with frozen(DECISION_DAY):
        with pytest.raises(ValidationFailed) as error:
            stages.freeze(version, by=treasury, expected_version=version.version_id)
        assert error.value.field == "decision_date"
        with pytest.raises(ValidationFailed) as error:
            stages.freeze(
                version,
                by=treasury,
                expected_version=version.version_id,
                decision_date=date(2026, 12, 11),
                decision_reference="DS 1",
            )
        assert "Zukunft" in error.value.message
        with pytest.raises(ValidationFailed) as error:
            stages.freeze(
                version,
                by=treasury,
                expected_version=version.version_id,
                decision_date=DECISION_DAY,
            )
        assert error.value.field == "decision_reference"
        with pytest.raises(ValidationFailed, match="Neue Server"):
            stages.freeze(
                version,
                by=treasury,
                expected_version=version.version_id,
                decision_date=DECISION_DAY,
                decision_reference="DS 2026/117",
            )
    db.session.rollback()
    assert not db.session.get(PlanVersion, version.id).is_frozen
    assert _ansatz(kommune["a"].id, 2027) == D("50000.00")  # nothing adopted


# --------------------------------------------------------------------------- coverage


def test_coverage_can_be_asked_for_any_version(db, users, kommune):
    version = _anmeldung(db, users, kommune)
    # Stored Ansatz 2027: A 50.000 (base 10.000 -> 40.000 available for 35.000 own share:
    # free 5.000), C 7.000 (free), E 3.000 for 3.000. With submitted measures.
    current = {y.year: y for y in coverage_by_year(YEARS, include_submitted=True)}[2027]
    assert (current.figures.planned, current.gap, current.free) == (
        D("60000.00"),
        D("0.00"),
        D("12000.00"),
    )
    # The Anmeldung asks exactly for the need: A 45.000, E 3.000, C nothing.
    planned = {
        y.year: y
        for y in coverage_by_year(YEARS, include_submitted=True, plan_version_id=version.id)
    }
    assert (planned[2027].figures.planned, planned[2027].gap, planned[2027].free) == (
        D("48000.00"),
        D("0.00"),
        D("0.00"),
    )
    # 2028: B 55.000 = VE 20.000 + own share 35.000: covered exactly.
    assert (planned[2028].figures.planned, planned[2028].gap) == (D("55000.00"), D("0.00"))
    # A department cuts A to 40.000: the version now has a gap of 5.000 in 2027.
    a = _by_line(version)[kommune["a"].id]
    svc.save_line(a, _zero(y2027="40000"), "Kürzung", by=users["submitter"], expected_version=1)
    db.session.commit()
    planned = coverage_by_year([2027], include_submitted=True, plan_version_id=version.id)
    assert planned[0].gap == D("5000.00")
    # Without the submitted measure (own share 5.000) the cut version is covered again.
    assert coverage_by_year([2027], plan_version_id=version.id)[0].gap == D("0.00")


# --------------------------------------------------------------------------- pages


def test_pages_for_the_department_and_the_treasury(client, login_as, db, users, kommune):
    with acting_as(users["treasury"].id):
        version = stages.open_round(2027, by=users["treasury"])
        db.session.commit()
    dept = login_as("submitter")
    assert "Haushaltsanmeldung" in dept.get("/").get_data(as_text=True)  # main navigation
    url = f"/haushaltsplanung/stand/{version.id}"
    response = post_form(
        dept, f"{url}/fachbereich/{kommune['own'].id}/ableiten", {}, token_from=url
    )
    html = page_after(dept, response)
    assert "2 Zeilen wurden aus den Kostenplänen übernommen" in html
    assert "45.000,00" in html and "55.000,00" in html
    assert kommune["e"].label not in html  # FB 2's line: not shown to FB 1
    # FB 1 may not derive or edit FB 2's lines, nor open the treasury's pages.
    assert dept.get(f"{url}/fachbereich/{kommune['other'].id}/neu").status_code == 403
    assert dept.get(f"{url}/festschreiben").status_code == 403
    line = _by_line(db.session.get(PlanVersion, version.id))[kommune["a"].id]
    edit_url = f"{url}/zeile/{line.id}"
    response = post_form(dept, edit_url, {"amount_2027": "48.000,00", "reason": ""})
    assert response.status_code == 400
    assert "Bitte begründen Sie die Abweichung" in response.get_data(as_text=True).replace(
        "Die Beträge weichen von den aus den Kostenplänen abgeleiteten ab: ", ""
    )
    response = post_form(dept, edit_url, {"amount_2027": "48.000,00", "reason": "Außenstelle"})
    assert response.status_code == 302
    response = post_form(dept, f"{url}/fachbereich/{kommune['own'].id}/abgeben", {}, token_from=url)
    assert "ist abgegeben" in page_after(dept, response)
    assert dept.get(edit_url).status_code == 403  # handed in

    logout(dept)
    treasury = login_as("treasury")
    html = treasury.get(url).get_data(as_text=True)
    assert "Anmeldungen der Fachbereiche" in html and "noch nicht abgegeben" in html
    assert "Deckung mit den Zahlen dieses Stands" in html
    assert treasury.get(edit_url).status_code == 403  # the Anmeldung is the department's
    response = post_form(treasury, f"{url}/festschreiben", {"note": "Frist 30.09."})
    assert response.status_code == 302
    response = treasury.get(edit_url)  # an old link into the frozen stage
    assert response.status_code == 302
    assert "ist festgeschrieben und kann nicht mehr geändert werden" in page_after(
        treasury, response
    )
    response = post_form(treasury, f"{url}/naechster", {}, token_from=url)
    html = page_after(treasury, response)
    assert "Der Stand „Entwurf 2027“ ist angelegt." in html
    entwurf = svc.latest_version(2027)
    line = _by_line(entwurf)[kommune["a"].id]
    response = post_form(
        treasury,
        f"/haushaltsplanung/stand/{entwurf.id}/zeile/{line.id}",
        {"amount_2027": "40.000,00", "reason": "Konsolidierung"},
    )
    assert response.status_code == 302
    html = treasury.get(f"/haushaltsplanung/vergleich?von={version.id}&zu={entwurf.id}").get_data(
        as_text=True
    )
    assert "Geänderte Zeilen (1)" in html
    assert "Konsolidierung" in html and "Außenstelle" in html
    assert "48.000,00\u00a0€ → 40.000,00\u00a0€" in html
    # Leadership reads; FB 2 reads only its own department's lines of the comparison.
    logout(treasury)
    assert login_as("leadership").get(f"/haushaltsplanung/stand/{entwurf.id}").status_code == 200
    logout(client)
    other = login_as("other_submitter")
    html = other.get(f"/haushaltsplanung/vergleich?von={version.id}&zu={entwurf.id}").get_data(
        as_text=True
    )
    assert "Geänderte Zeilen (0)" in html and "Konsolidierung" not in html
    assert other.get(f"/haushaltsplanung/stand/{entwurf.id}/zeile/{line.id}").status_code == 403


def test_a_bad_amount_is_a_german_message_and_nothing_is_lost(client, login_as, db, users, kommune):
    version = _anmeldung(db, users, kommune)
    dept = login_as("submitter")
    line = _by_line(version)[kommune["a"].id]
    url = f"/haushaltsplanung/stand/{version.id}/zeile/{line.id}"
    response = post_form(dept, url, {"amount_2027": "zwölf", "reason": "Meine Begründung"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Bitte geben Sie eine Zahl ein" in html and "Meine Begründung" in html
    assert _amounts(db.session.get(PlanLine, line.id))[2027] == D("45000.00")


# --------------------------------------------------------------------------- demo


def test_the_demo_has_a_plan_history_for_next_year(client, db):
    from conftest import login
    from measures_helpers import logout

    from seed.demo import DEMO_PASSWORD, load_demo

    assert load_demo() is True
    db.session.commit()
    versions = svc.versions_of_year(2027)
    assert [(v.stage_label, v.is_frozen) for v in versions] == [
        ("Anmeldung", True),
        ("Entwurf", True),
        ("Eckwerte", False),
    ]
    anmeldung, entwurf, eckwerte = versions
    assert len(anmeldung.department_states) == 7  # every department with lines handed in
    assert any(line.is_proposal for line in anmeldung.lines)
    changes = compare_service.compare(anmeldung, entwurf)
    assert len(changes.lines) == 2 and all(c.change == compare_service.CUT for c in changes.lines)
    assert all(c.reason_after and c.reason_before for c in changes.lines)
    assert eckwerte.key_figures
    for username in ("kaemmerei", "fb4", "koordination", "buergermeisterin"):
        login(client, username, DEMO_PASSWORD)
        for url in (
            "/haushaltsplanung/?hj=2027",
            *(f"/haushaltsplanung/stand/{v.id}" for v in versions),
            f"/haushaltsplanung/vergleich?von={anmeldung.id}&zu={eckwerte.id}",
        ):
            response = client.get(url)
            assert response.status_code == 200, (username, url)
        logout(client)
    login(client, "kaemmerei", DEMO_PASSWORD)
    assert client.get(f"/haushaltsplanung/stand/{eckwerte.id}/eckwerte").status_code == 200
    html = client.get(f"/haushaltsplanung/stand/{eckwerte.id}").get_data(as_text=True)
    assert "Online-Terminvergabe Bürgerbüro" in html and "Vorschlag: noch anzulegen" in html


def test_the_eckwerte_form(client, login_as, db, users, kommune):
    treasury = users["treasury"]
    version = _anmeldung(db, users, kommune)
    for _ in range(2):
        stages.freeze(version, by=treasury, expected_version=version.version_id)
        version = stages.derive_next(version, by=treasury, expected_version=version.version_id)
    db.session.commit()
    assert version.stage == PlanStage.KEY_FIGURES
    own = kommune["own"].id
    url = f"/haushaltsplanung/stand/{version.id}/eckwerte"
    client = login_as("treasury")
    response = post_form(client, url, {f"kf_d{own}_2027": "viel", "kf_investive_2028": "1.000"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Bitte geben Sie eine Zahl ein" in html
    assert 'value="1.000"' in html  # the other input is kept
    assert db.session.get(PlanVersion, version.id).key_figures == []
    response = post_form(
        client, url, {f"kf_d{own}_2027": "100.000,00", "kf_investive_2028": "50.000"}
    )
    html = page_after(client, response)
    assert "Die Eckwerte wurden gespeichert." in html
    figures = {
        (f.department_id, f.kind, f.year): f.amount
        for f in db.session.get(PlanVersion, version.id).key_figures
    }
    assert figures == {
        (own, None, 2027): D("100000.00"),
        (None, BudgetKind.INVESTIVE, 2028): D("50000.00"),
    }
    # FB 1 in 2027: A 45.000 within 100.000; investiv 2028: B 55.000 is 5.000 over 50.000.
    assert "5.000,00" in html
    logout(client)
    assert login_as("coordinator").get(url).status_code == 403
