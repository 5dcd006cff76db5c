"""Shared data of the execution tests: the four lines of the sample exports in tests/data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from steuerung.extensions import db
from steuerung.models import (
    ActualRow,
    ActualsFileType,
    ActualsProfile,
    ActualsSnapshot,
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    CarryForward,
    DecimalStyle,
    Department,
    LineKeyMode,
    MeasureStatus,
)

DATA = Path(__file__).parent / "data"
XLSX_SAMPLE = DATA / "hh_haushaltsueberwachung_2026-06.xlsx"
CSV_SAMPLE = DATA / "sap_fm_ist_obligo_2026-06.csv"
STICHTAG = date(2026, 6, 30)


def line(
    department: Department,
    product: str,
    cost_center: str,
    account: str,
    investment_number: str,
    name: str,
    amounts: dict[int, str],
    *,
    transferable: bool = False,
) -> BudgetLine:
    """A budget line with its Ansatz per year."""
    kind = BudgetKind.INVESTIVE if investment_number else BudgetKind.CONSUMPTIVE
    result = BudgetLine(
        product=product,
        cost_center=cost_center,
        account=account,
        investment_number=investment_number,
        kind=kind,
        department=department,
        name=name,
        transferable=transferable,
    )
    for year, amount in amounts.items():
        result.amounts.append(BudgetAmount(year=year, approved_amount=Decimal(amount)))
    db.session.add(result)
    db.session.flush()
    return result


def sample_kommune(factory: Any, users: dict[str, Any]) -> dict[str, Any]:
    """The lines and measures the sample exports talk about (committed).

    * lizenzen (konsumtiv, Ansatz 2026 95.000), fortbildung (konsumtiv, transferable,
      25.000), hardware (investiv I-2026-003, 150.000), eakte (investiv I-2025-011,
      150.000 plus 40.000 carried from 2025);
    * E-Rechnung on lizenzen with order key A-2026-0042 (plan 2026: 10.000),
      Notebooks on hardware alone (plan 2026: 140.000; matched by Investitionsnummer),
      E-Akte and Scan-Dienst both on eakte (no measure found by the number).
    """
    dept = users["treasury"].department
    lines = {
        "lizenzen": line(
            dept, "1.1.1.05", "11050", "54310000", "", "Softwarelizenzen und Pflege",
            {2025: "90000", 2026: "95000", 2027: "80000"},
        ),
        "fortbildung": line(
            dept, "1.1.1.04", "11040", "54210000", "", "Fortbildung digitale Kompetenzen",
            {2026: "25000", 2027: "15000"}, transferable=True,
        ),
        "hardware": line(
            dept, "1.1.1.05", "11050", "78310000", "I-2026-003", "Arbeitsplatzausstattung",
            {2026: "150000", 2027: "120000"},
        ),
        "eakte": line(
            dept, "1.1.1.05", "11050", "78320000", "I-2025-011", "Einführung E-Akte",
            {2025: "200000", 2026: "150000", 2027: "100000"},
        ),
    }  # fmt: skip
    db.session.add(
        CarryForward(
            budget_line=lines["eakte"],
            from_year=2025,
            to_year=2026,
            amount=Decimal("40000"),
            reason="Auftrag Scanstraße erteilt, Lieferung 2026",
        )
    )
    measures = {
        "erechnung": factory.measure(
            dept,
            MeasureStatus.IN_PROGRESS,
            title="E-Rechnung",
            costs=[(lines["lizenzen"], 2026, "10000")],
            order_key="A-2026-0042",
        ),
        "notebooks": factory.measure(
            dept,
            MeasureStatus.IN_PROGRESS,
            title="Notebooks für mobiles Arbeiten",
            costs=[(lines["hardware"], 2026, "140000")],
        ),
        "eakte": factory.measure(
            dept,
            MeasureStatus.IN_PROGRESS,
            title="E-Akte Kernverwaltung",
            costs=[(lines["eakte"], 2025, "160000"), (lines["eakte"], 2026, "150000")],
        ),
        "scan": factory.measure(
            dept,
            MeasureStatus.APPROVED,
            title="Scan-Dienstleistung",
            costs=[(lines["eakte"], 2026, "30000")],
        ),
    }
    db.session.commit()
    return {"dept": dept, "lines": lines, "measures": measures}


def xlsx_profile(**overrides: Any) -> ActualsProfile:
    """The profile of the H&H-like XLSX export (committed)."""
    values: dict[str, Any] = {
        "name": "HKR Haushaltsüberwachung (XLSX)",
        "file_type": ActualsFileType.XLSX,
        "sheet_name": "Haushaltsüberwachung",
        "header_row": 4,
        "key_mode": LineKeyMode.COLUMNS,
        "col_product": "Produkt",
        "col_cost_center": "Kostenstelle",
        "col_account": "Sachkonto",
        "col_investment_number": "Investitionsnr.",
        "col_year": "HHJ",
        "col_ist": "Ist (gebucht)",
        "col_obligo": "Obligo (Aufträge)",
        "col_measure_key": "Auftrag",
        "decimal_style": DecimalStyle.GERMAN,
        **overrides,
    }
    profile = ActualsProfile(**values)
    db.session.add(profile)
    db.session.commit()
    return profile


def csv_profile(**overrides: Any) -> ActualsProfile:
    """The profile of the SAP-like CSV export (committed)."""
    values: dict[str, Any] = {
        "name": "SAP FM Ist/Obligo (CSV)",
        "file_type": ActualsFileType.CSV,
        "header_row": 1,
        "key_mode": LineKeyMode.COMBINED,
        "key_separator": ".",
        "col_line_key": "Haushaltsstelle",
        "col_ist": "Istwerte",
        "col_obligo": "Obligo gesamt",
        "col_measure_key": "PSP-Element",
        "decimal_style": DecimalStyle.GERMAN,
        **overrides,
    }
    profile = ActualsProfile(**values)
    db.session.add(profile)
    db.session.commit()
    return profile


def snapshot(
    year: int,
    as_of: date,
    rows: list[tuple[BudgetLine, str, str] | tuple[BudgetLine, str, str, Any]],
) -> ActualsSnapshot:
    """A snapshot written directly: rows (line, Ist, Obligo[, measure]); committed."""
    snap = ActualsSnapshot(year=year, as_of=as_of, file_name="test.csv")
    db.session.add(snap)
    db.session.flush()
    total_ist = total_obligo = Decimal("0")
    for item in rows:
        budget_line, ist, obligo = item[0], Decimal(item[1]), Decimal(item[2])
        measure = item[3] if len(item) > 3 else None  # type: ignore[misc]
        db.session.add(
            ActualRow(
                snapshot_id=snap.id,
                budget_line_id=budget_line.id,
                measure_id=measure.id if measure is not None else None,
                ist=ist,
                obligo=obligo,
            )
        )
        total_ist += ist
        total_obligo += obligo
    snap.total_ist, snap.total_obligo = total_ist, total_obligo
    db.session.commit()
    return snap
