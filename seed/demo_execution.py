"""Budget execution of the demo Kommune: an import profile, actuals snapshots, carry-forward.

* The profile "HKR Haushaltsüberwachung (XLSX)" describes the monthly export of the town's
  finance software (title block, header in row 4, separate key columns, order numbers).
* 2025: the final figures (Stichtag 31.12.2025) of the lines that already ran then, so the
  investment programme shows what was spent before the budget year.
* 2026: four imports (30.04., 30.06., 31.08., 31.10.2026); the last one counts. The burn
  chart shows them; "Finanzsoftware" stays just inside its Ansatz, "Digitales
  Baugenehmigungsverfahren" is overdrawn, the licences are projected to overrun.
* The unused E-Akte authorization of 2025 (35.000 €) was carried into 2026 by decision;
  "Fortbildung digitale Kompetenzen" is declared transferable.

Written with the services' own bulk writer (rows) and the ORM (snapshots, profile,
decision: audited). Called by ``seed.demo.load_demo``; flushes, does not commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

from steuerung.extensions import db
from steuerung.models import (
    ActualsFileType,
    ActualsProfile,
    ActualsSnapshot,
    BudgetAmount,
    BudgetLine,
    CarryForward,
    DecimalStyle,
    LineKeyMode,
    Measure,
    User,
)
from steuerung.services.budget.actuals import figures_hash, write_rows

PROFILE = {
    "name": "HKR Haushaltsüberwachung (XLSX)",
    "file_type": ActualsFileType.XLSX,
    "sheet_name": "",
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
}

#: Order numbers the treasury entered on measures (measure title -> key).
ORDER_KEYS = {
    "Digitaler Bauantrag": "A-2026-0042",
    "E-Rechnung und digitaler Rechnungsworkflow": "A-2026-0117",
}

#: Ansatz 2025 of the lines that already ran in 2025 (before the demo's horizon).
AMOUNTS_2025 = {"it_hardware": "90000", "it_eakte": "200000"}

#: Final figures 2025 (line, Ist, Obligo, measure title or None).
ACTUALS_2025 = [
    ("it_hardware", "88000.00", "0", "Notebooks statt Desktop-PCs für mobiles Arbeiten"),
    ("it_eakte", "128500.00", "36500.00", "E-Akte in der Kernverwaltung (Stufe 1)"),
]

#: Figures of 31.10.2026 (line, Ist, Obligo, measure title or None).
ACTUALS_2026 = [
    ("sd_projekte", "41200.00", "6500.00", None),
    ("sd_experiment", "7850.40", "0", None),
    ("it_lizenzen", "88730.15", "4200.00", None),
    ("it_fortbildung", "14320.00", "2400.00", None),
    ("it_hardware", "96400.00", "36900.00", "Notebooks statt Desktop-PCs für mobiles Arbeiten"),
    ("it_eakte", "121500.00", "52000.00", "E-Akte in der Kernverwaltung (Stufe 1)"),
    ("fin_software", "8500.00", "0", None),
    ("fin_software", "9600.00", "10000.00", "E-Rechnung und digitaler Rechnungsworkflow"),
    ("bs_online", "28450.75", "3000.00", None),
    ("kita_software", "31200.00", "6000.00", None),
    ("schule_geraete", "132000.00", "84000.00", None),
    ("schule_netze", "64300.00", "98500.00", None),
    ("bau_software", "2300.00", "0", None),
    ("bau_software", "32500.00", "9500.00", "Digitaler Bauantrag"),
    ("sc_sensorik", "58000.00", "36000.00", None),
    ("sc_betrieb", "9100.00", "1200.00", None),
]
#: Earlier imports of 2026: Stichtag -> (share of the October Ist, factor on its Obligo).
EARLIER_2026 = {
    date(2026, 4, 30): (Decimal("0.36"), Decimal("1.25")),
    date(2026, 6, 30): (Decimal("0.58"), Decimal("1.15")),
    date(2026, 8, 31): (Decimal("0.79"), Decimal("1.05")),
}
CARRY_FORWARD = (
    "it_eakte",
    "35000.00",
    "Scanstraße und Migration beauftragt (Obligo), Lieferung und Abnahme 2026.",
)
TRANSFERABLE = ("it_fortbildung",)
CENT = Decimal("0.01")


def load_execution(
    lines: dict[str, BudgetLine], measures: dict[str, Measure], users: dict[str, User]
) -> None:
    """Profile, order keys, 2025 Ansätze, snapshots and the carry-forward of the demo."""
    treasury = users.get("kaemmerei")
    profile = ActualsProfile(**PROFILE, created_by_id=treasury.id if treasury else None)
    db.session.add(profile)
    for title, key in ORDER_KEYS.items():
        measures[title].order_key = key
    for key in TRANSFERABLE:
        lines[key].transferable = True
    for key, amount in AMOUNTS_2025.items():
        if not any(a.year == 2025 for a in lines[key].amounts):
            lines[key].amounts.append(BudgetAmount(year=2025, approved_amount=Decimal(amount)))
    line_key, amount, reason = CARRY_FORWARD
    db.session.add(
        CarryForward(
            budget_line=lines[line_key],
            from_year=2025,
            to_year=2026,
            amount=Decimal(amount),
            reason=reason,
            decided_by_id=treasury.id if treasury else None,
            decided_at=datetime.combine(date(2026, 1, 20), time(10), tzinfo=UTC),
        )
    )
    db.session.flush()

    def figures(
        rows: Sequence[tuple[str, str, str, str | None]],
        ist_share: Decimal = Decimal(1),
        obligo_factor: Decimal = Decimal(1),
    ) -> dict[tuple[int, int | None], tuple[Decimal, Decimal]]:
        result: dict[tuple[int, int | None], tuple[Decimal, Decimal]] = {}
        for key, ist, obligo, title in rows:
            ref = (lines[key].id, measures[title].id if title else None)
            result[ref] = (
                (Decimal(ist) * ist_share).quantize(CENT),
                (Decimal(obligo) * obligo_factor).quantize(CENT),
            )
        return result

    imports = [(2025, date(2025, 12, 31), figures(ACTUALS_2025))]
    imports += [
        (2026, as_of, figures(ACTUALS_2026, share, factor))
        for as_of, (share, factor) in EARLIER_2026.items()
    ]
    imports.append((2026, date(2026, 10, 31), figures(ACTUALS_2026)))
    for year, as_of, data in imports:
        snapshot = ActualsSnapshot(
            year=year,
            as_of=as_of,
            file_name=f"haushaltsueberwachung_{as_of:%Y-%m}.xlsx",
            profile_id=profile.id,
            imported_by_id=treasury.id if treasury else None,
            imported_at=datetime.combine(as_of, time(8), tzinfo=UTC),
            row_count=len(data),
            total_ist=sum((v[0] for v in data.values()), Decimal("0")),
            total_obligo=sum((v[1] for v in data.values()), Decimal("0")),
            content_hash=figures_hash(data),
        )
        db.session.add(snapshot)
        db.session.flush()
        write_rows(snapshot.id, data)
    db.session.flush()
