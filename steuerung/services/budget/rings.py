"""Deckungsringe: the treasury declares budget lines mutually coverable for a budget year.

A ring holds at least two lines of one budget part (never konsumtiv and investiv mixed);
a line is in at most one ring per year. Every change is audited and checked against the
version the form was loaded with.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from steuerung.extensions import db
from steuerung.models import BudgetKind, BudgetLine, CoverageRing, CoverageRingMember, User
from steuerung.models.budget import MAX_YEAR, MIN_YEAR
from steuerung.services.budget.rules import may_edit_budget
from steuerung.services.common.errors import PermissionDenied, ValidationFailed
from steuerung.services.common.versioning import check_version

RING_STALE_MESSAGE = (
    "Der Deckungsring wurde inzwischen von einer anderen Person geändert. Ihre Eingaben "
    "wurden nicht gespeichert; bitte prüfen Sie den aktuellen Stand."
)


@dataclass
class RingData:
    """What the ring form hands in."""

    name: str
    year: int
    kind: BudgetKind
    line_ids: list[int]
    note: str = ""


def rings(year: int | None = None) -> list[CoverageRing]:
    """The rings (of one year), with their member lines loaded; newest year first."""
    query = (
        select(CoverageRing)
        .options(selectinload(CoverageRing.members).selectinload(CoverageRingMember.budget_line))
        .order_by(CoverageRing.year.desc(), CoverageRing.name)
    )
    if year is not None:
        query = query.where(CoverageRing.year == year)
    return list(db.session.scalars(query))


def _validate(data: RingData, ring: CoverageRing | None) -> list[BudgetLine]:
    name = (data.name or "").strip()
    if not name:
        raise ValidationFailed("Bitte einen Namen angeben.", "name")
    if len(name) > 120:
        raise ValidationFailed("Der Name darf höchstens 120 Zeichen haben.", "name")
    if not MIN_YEAR <= data.year <= MAX_YEAR:
        raise ValidationFailed("Bitte ein gültiges Haushaltsjahr wählen.", "year")
    if len((data.note or "").strip()) > 500:
        raise ValidationFailed("Der Vermerk darf höchstens 500 Zeichen haben.", "note")
    ids = sorted(set(data.line_ids))
    if len(ids) < 2:
        raise ValidationFailed(
            "Ein Deckungsring braucht mindestens zwei Haushaltsstellen.", "line_ids"
        )
    lines = list(db.session.scalars(select(BudgetLine).where(BudgetLine.id.in_(ids))))
    if len(lines) != len(ids):
        raise ValidationFailed("Mindestens eine Haushaltsstelle gibt es nicht.", "line_ids")
    wrong = [line.label for line in lines if line.kind != data.kind]
    if wrong:
        raise ValidationFailed(
            "Konsumtive und investive Haushaltsstellen dürfen nicht in einem Ring stehen "
            f"(Ergebnis- und Finanzhaushalt sind getrennt): {', '.join(wrong)}.",
            "line_ids",
        )
    taken = db.session.execute(
        select(BudgetLine.product, BudgetLine.cost_center, BudgetLine.account, CoverageRing.name)
        .join(CoverageRingMember, CoverageRingMember.budget_line_id == BudgetLine.id)
        .join(CoverageRing, CoverageRing.id == CoverageRingMember.ring_id)
        .where(
            CoverageRingMember.year == data.year,
            CoverageRingMember.budget_line_id.in_(ids),
            CoverageRing.id != (ring.id if ring is not None and ring.id else -1),
        )
    ).all()
    if taken:
        names = "; ".join(f"{p} / {c} / {a} in „{r}“" for p, c, a, r in taken)
        raise ValidationFailed(
            f"Eine Haushaltsstelle kann je Jahr nur in einem Deckungsring stehen: {names}.",
            "line_ids",
        )
    duplicate = db.session.scalar(
        select(CoverageRing.id).where(
            CoverageRing.year == data.year,
            CoverageRing.name == name,
            CoverageRing.id != (ring.id if ring is not None and ring.id else -1),
        )
    )
    if duplicate is not None:
        raise ValidationFailed(
            f"Einen Deckungsring „{name}“ gibt es für {data.year} schon.", "name"
        )
    return lines


def save_ring(
    data: RingData,
    *,
    by: User,
    ring: CoverageRing | None = None,
    expected_version: object = None,
) -> CoverageRing:
    """Create or change a ring (members replaced by ``data.line_ids``); flushes."""
    if not may_edit_budget(by):
        raise PermissionDenied("Nur die Kämmerei legt Deckungsringe fest.")
    if ring is not None:
        check_version(ring, expected_version, RING_STALE_MESSAGE)
    lines = _validate(data, ring)
    if ring is None:
        ring = CoverageRing()
        db.session.add(ring)
    ring.name = data.name.strip()
    ring.year = data.year
    ring.kind = data.kind
    ring.note = (data.note or "").strip()
    wanted = {line.id for line in lines}
    for member in list(ring.members):
        if member.budget_line_id not in wanted or member.year != data.year:
            ring.members.remove(member)
    db.session.flush()
    present = {m.budget_line_id for m in ring.members}
    for line_id in sorted(wanted - present):
        ring.members.append(CoverageRingMember(budget_line_id=line_id, year=data.year))
    db.session.flush()
    return ring


def dissolve_ring(ring: CoverageRing, *, by: User, expected_version: object) -> None:
    """Remove a ring: its lines stand alone again (the audit log keeps the ring)."""
    if not may_edit_budget(by):
        raise PermissionDenied("Nur die Kämmerei legt Deckungsringe fest.")
    check_version(ring, expected_version, RING_STALE_MESSAGE)
    db.session.delete(ring)
    db.session.flush()
