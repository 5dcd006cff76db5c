"""Large synthetic portfolios for benchmarks (``flask seed synthetic --measures N``).

``generate(count, random_seed)`` adds ``count`` measures with goal links, cost plans over the
planning horizon, status history, status reports, milestones and scores to the database.
Master data is created only where missing: the demo departments and users, an adopted agenda,
about 60 budget lines (approved amounts are set for lines created in this run, sized against
the generated demand so that lines are covered, partly covered or not covered), the default
scoring criteria.

Speed: the rows are written with bulk Core inserts and explicit ids (10,000 measures take a
few seconds on SQLite). Bulk inserts bypass the ORM flush, so **the audit hook does not log
synthetic data** -- intended, the audit log is for changes made by people. On PostgreSQL the
id sequences are moved past the inserted ids afterwards.

The same ``random_seed`` on the same day gives the same portfolio (dates are relative to
today so that report deadlines look realistic whenever it runs).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, insert, select, text

from seed import demo
from seed import demo_data as data
from steuerung.extensions import db
from steuerung.models import (
    ActionField,
    Agenda,
    AgendaStatus,
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    CommitmentAuthorization,
    CostPlanEntry,
    CriterionKind,
    Department,
    FundingSource,
    Goal,
    Measure,
    MeasureCategory,
    MeasureComment,
    MeasureKind,
    MeasureStatus,
    Milestone,
    OzgImplementation,
    Role,
    Score,
    Settings,
    StatusChange,
    StatusReport,
    TrafficLight,
    User,
    measure_goals,
)
from steuerung.models.base import table_of
from steuerung.services.common.audit import mark_data_changed
from steuerung.services.common.dml import refresh_statistics
from steuerung.services.portfolio.scoring import (
    ensure_default_criteria,
    priority_class,
    weighted_score,
)

S = MeasureStatus
#: Rows per INSERT batch (keeps memory and statement size modest on both databases).
CHUNK = 5000
#: Budget lines per department that the generator keeps ready.
LINES_PER_DEPARTMENT = 8

STATUS_WEIGHTS = {
    S.IN_PROGRESS: 30,
    S.APPROVED: 20,
    S.SUBMITTED: 14,
    S.UNDER_REVIEW: 7,
    S.DRAFT: 8,
    S.RETURNED: 3,
    S.COMPLETED: 9,
    S.DEFERRED: 3,
    S.REJECTED: 3,
    S.CANCELLED: 3,
}
CATEGORY_WEIGHTS = {
    MeasureCategory.DIGITAL_ADMINISTRATION: 45,
    MeasureCategory.INFRASTRUCTURE: 15,
    MeasureCategory.SCHOOL: 13,
    MeasureCategory.SMART_CITY: 12,
    MeasureCategory.STAFF: 10,
    MeasureCategory.SMART_REGION: 5,
}
KIND_WEIGHTS = {MeasureKind.PROJECT: 55, MeasureKind.ACTION: 35, MeasureKind.PERMANENT_TASK: 10}
#: Departments that usually own measures of a category (others are possible, rarer).
CATEGORY_DEPARTMENTS = {
    MeasureCategory.DIGITAL_ADMINISTRATION: ["FB 3", "FB 3", "FB 1", "FB 2", "FB 4", "FB 5", "SD"],
    MeasureCategory.INFRASTRUCTURE: ["FB 1", "FB 1", "FB 1", "FB 5"],
    MeasureCategory.SCHOOL: ["FB 4"],
    MeasureCategory.SMART_CITY: ["FB 6", "FB 6", "FB 5"],
    MeasureCategory.STAFF: ["SD", "FB 1"],
    MeasureCategory.SMART_REGION: ["FB 6", "SD", "BM"],
}
#: Agenda field codes a category's goals usually come from.
CATEGORY_FIELDS = {
    MeasureCategory.DIGITAL_ADMINISTRATION: ["V", "V", "B"],
    MeasureCategory.INFRASTRUCTURE: ["V"],
    MeasureCategory.SCHOOL: ["SCH"],
    MeasureCategory.SMART_CITY: ["S", "S", "B"],
    MeasureCategory.STAFF: ["M"],
    MeasureCategory.SMART_REGION: ["S", "V"],
}
GRANTS = [
    (FundingSource.GRANT, "DigitalPakt Schule 2.0", Decimal("50")),
    (FundingSource.GRANT, "Modellprojekte Smart Cities", Decimal("65")),
    (FundingSource.GRANT, "Landesförderung Digitale Kommune", Decimal("50")),
    (FundingSource.GRANT, "EFRE – Europäischer Fonds für regionale Entwicklung", Decimal("60")),
    (FundingSource.THIRD_PARTY, "Kostenbeteiligung Zweckverband Kommunale IT", Decimal("30")),
]

SERVICES = [
    "Anwohnerparkausweis",
    "Sondernutzungserlaubnis",
    "Hundesteuer",
    "Baumfällgenehmigung",
    "Veranstaltungsgenehmigung",
    "Wohnberechtigungsschein",
    "Schülerbeförderung",
    "Kita-Beitragsermäßigung",
    "Grabnutzungsrecht",
    "Meldebescheinigung",
    "Eheschließung",
    "Geburtsurkunde",
    "Sperrmüllabholung",
    "Fundsachen",
    "Gewerbeummeldung",
    "Lärmschutzausnahme",
    "Zuschuss Vereinsförderung",
    "Hausnummernvergabe",
]
#: Organisational units as used after "im" / "in der" (dative).
AREAS = [
    "im Standesamt",
    "im Ordnungsamt",
    "im Personalamt",
    "in der Bauaufsicht",
    "im Sozialamt",
    "im Jugendamt",
    "in der Stadtkasse",
    "in der Friedhofsverwaltung",
    "im Bauhof",
    "in der Vergabestelle",
    "im Ratsbüro",
    "in der Liegenschaftsverwaltung",
    "im Bürgerbüro",
    "im Steueramt",
]
PLACES = [
    "Innenstadt",
    "Bahnhofsviertel",
    "Gewerbegebiet Nord",
    "Südstadt",
    "Altstadt",
    "Lindenplatz",
    "Ortsteil Birkhausen",
    "Ortsteil Eichenau",
    "Stadtpark",
    "Hafenstraße",
]
SCHOOLS = [
    "Grundschule Am Lindenplatz",
    "Grundschule Birkhausen",
    "Grundschule Eichenau",
    "Grundschule Südstadt",
    "Oberschule Lindenfeld",
    "Gymnasium Lindenfeld",
    "Förderschule Am Park",
]
TOPICS = [
    "E-Akte",
    "Informationssicherheit",
    "Videokonferenzen",
    "Prozessmanagement",
    "Datenschutz im Alltag",
    "Zusammenarbeit in geteilten Dokumenten",
    "Digital Leadership",
]
INFRA = [
    "Serverraum im Rathaus",
    "Firewall und Netzsegmentierung",
    "Netzwerktechnik im Verwaltungsgebäude",
    "Telefonanlage (Umstellung auf VoIP)",
    "Backup- und Archivsystem",
    "Druckerflotte (Managed Print)",
    "WLAN im Rathaus",
    "Virtualisierungsplattform",
]
#: (title template, description template) per category; {s} service, {a} area, {p} place,
#: {sch} school, {t} topic, {i} infrastructure item.
TEMPLATES: dict[MeasureCategory, list[tuple[str, str]]] = {
    MeasureCategory.DIGITAL_ADMINISTRATION: [
        (
            "Online-Antrag {s}",
            "Der Antrag „{s}“ wird online angeboten und direkt an das Fachverfahren übergeben.",
        ),
        (
            "Digitaler Workflow {a}",
            "Vorgänge {a} laufen vom Eingang bis zur Ablage ohne Medienbruch.",
        ),
        ("E-Akte {a}", "Die Akten {a} werden künftig elektronisch geführt."),
        (
            "Ablösung des Fachverfahrens {a}",
            "Das veraltete Fachverfahren {a} wird durch eine Standardlösung ersetzt.",
        ),
        (
            "Elektronische Bezahlung für {s}",
            "Gebühren für „{s}“ können online bezahlt werden.",
        ),
    ],
    MeasureCategory.SMART_CITY: [
        ("Parksensoren {p}", "Belegungssensoren melden freie Stellplätze im Bereich {p}."),
        ("Luftmessstation {p}", "Eine Messstation erfasst Feinstaub und Stickstoffdioxid ({p})."),
        ("Verkehrszählung {p}", "Automatische Zählstellen erfassen Rad- und Autoverkehr ({p})."),
        ("Bodenfeuchtesensoren Stadtbäume {p}", "Sensoren steuern die Bewässerung ({p})."),
        ("Smarte Straßenbeleuchtung {p}", "LED-Leuchten werden bedarfsgerecht gedimmt ({p})."),
    ],
    MeasureCategory.SMART_REGION: [
        (
            "Interkommunale Datenplattform: {t}",
            "Gemeinsam mit den Nachbarkommunen wird eine Datenplattform aufgebaut.",
        ),
        (
            "Regionales Mobilitätsportal {p}",
            "Fahrpläne, Sharing-Angebote und Parken der Region an einem Ort.",
        ),
    ],
    MeasureCategory.SCHOOL: [
        ("Tablets für die {sch}", "Klassensätze an Tablets mit Geräteverwaltung."),
        ("WLAN-Ausbau {sch}", "Flächendeckendes WLAN in allen Unterrichtsräumen."),
        ("Interaktive Tafeln {sch}", "Präsentationstechnik in den Fachräumen."),
        ("Glasfaseranschluss {sch}", "Eigener Glasfaseranschluss für die Schule."),
    ],
    MeasureCategory.INFRASTRUCTURE: [
        ("Erneuerung: {i}", "Ersatz veralteter Technik: {i}."),
        ("Notebooks {a}", "Mobile Arbeitsplätze für die Beschäftigten {a}."),
    ],
    MeasureCategory.STAFF: [
        ("Schulungsreihe {t}", "Qualifizierung der Beschäftigten zum Thema {t}."),
        ("Digitale Scouts {a}", "Multiplikatorinnen und Multiplikatoren {a}."),
        ("E-Learning-Modul {t}", "Ein Lernmodul zum Thema {t} für alle Beschäftigten."),
    ],
}
FIRST_NAMES = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elif",
    "Felix",
    "Greta",
    "Hannes",
    "Ida",
    "Jonas",
    "Kerstin",
    "Leon",
    "Maja",
    "Niklas",
    "Olga",
    "Paul",
    "Rita",
    "Stefan",
    "Tanja",
    "Uwe",
]
LAST_NAMES = [
    "Bauer",
    "Fischer",
    "Hartmann",
    "Jung",
    "Klein",
    "Lange",
    "Meyer",
    "Neumann",
    "Otto",
    "Peters",
    "Richter",
    "Schulz",
    "Vogel",
    "Wagner",
    "Zimmermann",
]
#: Budget line templates: (suffix of the name, kind, Sachkonto).
LINE_TEMPLATES = [
    ("Softwarelizenzen", BudgetKind.CONSUMPTIVE, "54310000"),
    ("IT-Dienstleistungen", BudgetKind.CONSUMPTIVE, "54290000"),
    ("Fortbildung", BudgetKind.CONSUMPTIVE, "54210000"),
    ("Wartung und Betrieb", BudgetKind.CONSUMPTIVE, "52510000"),
    ("Hardware", BudgetKind.INVESTIVE, "78310000"),
    ("Digitalisierungsprojekte", BudgetKind.INVESTIVE, "78320000"),
    ("Netze und Infrastruktur", BudgetKind.INVESTIVE, "78510000"),
    ("Sensorik und Geräte", BudgetKind.INVESTIVE, "78330000"),
]


def generate(count: int, random_seed: int = 42) -> None:
    """Add ``count`` synthetic measures (and missing master data); flushes, never commits.

    Bulk inserts: the audit hook does not see these rows (see the module docstring).
    """
    rng = random.Random(random_seed)
    today = date.today()
    settings = _ensure_settings()
    horizon = settings.horizon
    departments = demo.ensure_departments()
    demo.ensure_users(departments)
    owners = _ensure_owners(departments)
    goals = _goals_by_field()
    criteria = ensure_default_criteria()
    lines, new_line_ids = _ensure_budget_lines(departments)
    office_id = db.session.scalar(
        select(User.id).where(User.role == Role.COORDINATOR).order_by(User.id)
    )
    db.session.flush()

    builder = _Builder(rng, today, horizon, criteria, office_id)
    dept_by_code = {d.code: d for d in departments.values() if d.is_active}
    for _ in range(count):
        builder.measure(dept_by_code, owners, goals, lines)
    builder.write()
    _set_approved_amounts(rng, new_line_ids, builder.demand, horizon)
    _fix_sequences()
    # Bulk inserts bypass the audit hook: raise the data generation all the same, so cached
    # aggregates of running workers are recomputed.
    mark_data_changed(db.session)
    refresh_statistics(db.session)
    db.session.expire_all()


# ---------------------------------------------------------------------------- master data


def _ensure_settings() -> Settings:
    settings = db.session.get(Settings, 1)
    if settings is None:
        settings = Settings(id=1, budget_year=date.today().year, kommune_name=data.KOMMUNE_NAME)
        db.session.add(settings)
        db.session.flush()
    return settings


def _ensure_owners(departments: dict[str, Department]) -> dict[int, list[int]]:
    """Submitter ids per department id; five synthetic submitters per department if missing."""
    existing = set(db.session.scalars(select(User.username)))
    password_hash = db.session.scalar(
        select(User.password_hash).where(User.username == data.USERS[0][0])
    )
    next_id = _next_id(table_of(User))
    rows = []
    for index, department in enumerate(sorted(departments.values(), key=lambda d: d.id)):
        slug = department.code.lower().replace(" ", "")
        for n in range(1, 6):
            username = f"{slug}.synth{n}"
            if username in existing:
                continue
            first = FIRST_NAMES[(index * 5 + n) % len(FIRST_NAMES)]
            last = LAST_NAMES[(index * 7 + n * 3) % len(LAST_NAMES)]
            rows.append(
                {
                    "id": next_id,
                    "username": username,
                    "full_name": f"{first} {last}",
                    "email": f"{username}@lindenfeld.example",
                    "password_hash": password_hash,
                    "role": Role.SUBMITTER,
                    "department_id": department.id,
                    "is_active": True,
                    "created_at": datetime.now(UTC),
                }
            )
            next_id += 1
    _insert(table_of(User), rows)
    owners: dict[int, list[int]] = defaultdict(list)
    for user_id, department_id in db.session.execute(
        select(User.id, User.department_id)
        .where(User.role == Role.SUBMITTER, User.is_active_user.is_(True))
        .order_by(User.id)
    ):
        owners[department_id].append(user_id)
    return owners


def _goals_by_field() -> dict[str, list[int]]:
    """Goal ids of the adopted agenda by field code (the demo agenda is created if none)."""
    agenda_id = db.session.scalar(
        select(Agenda.id)
        .where(Agenda.status == AgendaStatus.ADOPTED)
        .order_by(Agenda.version_no.desc())
    )
    if agenda_id is None:
        demo.ensure_agenda()
        agenda_id = db.session.scalar(select(Agenda.id).where(Agenda.title == data.AGENDA["title"]))
    by_field: dict[str, list[int]] = defaultdict(list)
    for goal_id, code in db.session.execute(
        select(Goal.id, ActionField.code)
        .join(ActionField, Goal.action_field_id == ActionField.id)
        .where(ActionField.agenda_id == agenda_id)
        .order_by(Goal.id)
    ):
        by_field[code].append(goal_id)
    by_field["*"] = [g for ids in list(by_field.values()) for g in ids]
    return by_field


def _ensure_budget_lines(
    departments: dict[str, Department],
) -> tuple[dict[int, list[tuple[int, BudgetKind]]], set[int]]:
    """Lines per department id (id, kind) and the ids created now; 8 per department."""
    existing = {
        (p, c, a, i): line_id
        for line_id, p, c, a, i in db.session.execute(
            select(
                BudgetLine.id,
                BudgetLine.product,
                BudgetLine.cost_center,
                BudgetLine.account,
                BudgetLine.investment_number,
            )
        )
    }
    next_id = _next_id(table_of(BudgetLine))
    rows = []
    created: set[int] = set()
    result: dict[int, list[tuple[int, BudgetKind]]] = defaultdict(list)
    for index, department in enumerate(sorted(departments.values(), key=lambda d: d.id), 1):
        for n, (label, kind, account) in enumerate(LINE_TEMPLATES[:LINES_PER_DEPARTMENT], 1):
            product = f"1.{index}.{n}.09"
            cost_center = f"9{index:02d}{n:02d}"
            investment = f"I-S{index:02d}-{n:02d}" if kind == BudgetKind.INVESTIVE else ""
            key = (product, cost_center, account, investment)
            line_id = existing.get(key)
            if line_id is None:
                line_id = next_id
                next_id += 1
                created.add(line_id)
                rows.append(
                    {
                        "id": line_id,
                        "product": product,
                        "cost_center": cost_center,
                        "account": account,
                        "investment_number": investment,
                        "kind": kind,
                        "department_id": department.id,
                        "name": f"{label} {department.name}",
                        "is_active": True,
                        "version_id": 1,
                    }
                )
            result[department.id].append((line_id, kind))
    _insert(table_of(BudgetLine), rows)
    return result, created


def _set_approved_amounts(
    rng: random.Random,
    line_ids: set[int],
    demand: dict[tuple[int, int], Decimal],
    horizon: list[int],
) -> None:
    """Approved amounts (and some VE) for the lines created now, against the counted demand."""
    amounts, commitments = [], []
    next_amount = _next_id(table_of(BudgetAmount))
    next_commitment = _next_id(table_of(CommitmentAuthorization))
    kinds = (
        dict(
            db.session.execute(
                select(BudgetLine.id, BudgetLine.kind).where(BudgetLine.id.in_(line_ids))
            ).all()
        )
        if line_ids
        else {}
    )
    for line_id in sorted(line_ids):
        # covered / partly covered / hardly covered / not covered
        factor = rng.choices(
            [Decimal("1.15"), Decimal("0.85"), Decimal("0.5"), Decimal("0")], [40, 30, 20, 10]
        )[0]
        for year in horizon:
            need = demand.get((line_id, year), Decimal("0"))
            approved = (need * factor / 1000).quantize(Decimal("1")) * 1000
            if need == 0:
                approved = Decimal(rng.choice([0, 5000, 10000]))
            # Licence and maintenance lines mostly pay for running systems.
            base = (
                (approved * Decimal(rng.choice([0, 0, 20, 40, 60])) / 100).quantize(Decimal("1"))
                if kinds.get(line_id) == BudgetKind.CONSUMPTIVE
                else Decimal("0")
            )
            amounts.append(
                {
                    "id": next_amount,
                    "budget_line_id": line_id,
                    "year": year,
                    "approved_amount": approved,
                    "base_load": base,
                }
            )
            next_amount += 1
        later = demand.get((line_id, horizon[1]), Decimal("0"))
        if kinds.get(line_id) == BudgetKind.INVESTIVE and later > 0 and rng.random() < 0.4:
            commitments.append(
                {
                    "id": next_commitment,
                    "budget_line_id": line_id,
                    "granted_year": horizon[0],
                    "due_year": horizon[1],
                    "amount": (later * Decimal("0.3")).quantize(Decimal("0.01")),
                    "measure_id": None,
                    "purpose": "Auftrag für Folgejahr",
                    "archived_at": None,
                }
            )
            next_commitment += 1
    _insert(table_of(BudgetAmount), amounts)
    _insert(table_of(CommitmentAuthorization), commitments)


# ---------------------------------------------------------------------------- measures


class _Builder:
    """Collects the rows of all generated measures, then writes them table by table."""

    def __init__(
        self,
        rng: random.Random,
        today: date,
        horizon: list[int],
        criteria: list[Any],
        office_id: int | None,
    ) -> None:
        self.rng = rng
        self.today = today
        self.horizon = horizon
        self.office_id = office_id
        self.gates = [c for c in criteria if c.is_active and c.kind == CriterionKind.GATE]
        self.weighted = [c for c in criteria if c.is_active and c.kind == CriterionKind.WEIGHTED]
        self.criteria = criteria
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.ids = {
            table.name: _next_id(table)
            for table in (
                table_of(Measure),
                table_of(CostPlanEntry),
                table_of(StatusChange),
                table_of(StatusReport),
                table_of(Score),
                table_of(Milestone),
                table_of(MeasureComment),
            )
        }
        #: (budget line id, year) -> amount of measures that count (approved, in progress).
        self.demand: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        self._statuses = list(STATUS_WEIGHTS)
        self._status_weights = list(STATUS_WEIGHTS.values())
        self._categories = list(CATEGORY_WEIGHTS)
        self._category_weights = list(CATEGORY_WEIGHTS.values())

    def _id(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] += 1
        return value

    def _days(self, low: int, high: int) -> timedelta:
        return timedelta(days=self.rng.randint(low, high))

    def measure(
        self,
        departments: dict[str, Department],
        owners: dict[int, list[int]],
        goals: dict[str, list[int]],
        lines: dict[int, list[tuple[int, BudgetKind]]],
    ) -> None:
        """Build one measure with all its dependent rows."""
        rng = self.rng
        status = rng.choices(self._statuses, self._status_weights)[0]
        category = rng.choices(self._categories, self._category_weights)[0]
        kind = rng.choices(list(KIND_WEIGHTS), list(KIND_WEIGHTS.values()))[0]
        codes = [c for c in CATEGORY_DEPARTMENTS[category] if c in departments]
        if not codes or rng.random() < 0.1:
            codes = sorted(departments)
        department = departments[rng.choice(codes)]
        candidates = owners.get(department.id) or []
        owner_id = rng.choice(candidates) if candidates and rng.random() > 0.04 else None
        if status == S.DRAFT and rng.random() < 0.2:
            owner_id = None
        actor_id = owner_id or self.office_id
        title, description = self._text(category)
        dates = self._dates(status)
        path = demo.status_path(
            {
                "title": title,
                "status": status,
                "submitted": dates["submitted"],
                "created": dates["created"],
                "start": dates["start"],
                "end": dates["end"],
                "cancel_from": dates["cancel_from"],
            }
        )
        measure_id = self._id("measures")
        ozg = category == MeasureCategory.DIGITAL_ADMINISTRATION and rng.random() < 0.3
        legal = (ozg and rng.random() < 0.6) or rng.random() < 0.03
        running = Decimal(rng.choice([0, 0, 0, 1200, 2400, 4800, 9600, 15000]))
        flags = {
            "legal_obligation": legal,
            "operation_critical": rng.random() < 0.05,
            "political_mandate": rng.random() < 0.08,
        }
        submitted_at = None
        for _source, target, day in path:
            if target == S.SUBMITTED:
                submitted_at = _at(day)
        row: dict[str, Any] = {
            "id": measure_id,
            "title": title,
            "description": description,
            "department_id": department.id,
            "owner_id": owner_id,
            "contact": "",
            "category": category,
            "kind": kind,
            "status": status,
            "start_date": dates["start"],
            "end_date": dates["end"],
            "ozg_leika_key": f"99{rng.randrange(10**11, 10**12)}" if ozg else None,
            "ozg_service_name": title.removeprefix("Online-Antrag ") if ozg else None,
            "ozg_maturity_level": rng.randint(1, 4) if ozg else None,
            "ozg_implementation": rng.choice(list(OzgImplementation)) if ozg else None,
            "legal_basis": "Onlinezugangsgesetz (OZG)" if legal else "",
            # The OZG set no deadline after 2022: legal obligations come without invented ones.
            "legal_deadline": None,
            "running_cost_after_horizon": running,
            "useful_life_years": rng.choice([5, 8, 10]) if rng.random() < 0.4 else None,
            "contractually_bound": status == S.IN_PROGRESS and rng.random() < 0.5,
            "score": None,
            "priority_class": None,
            "rank_override": None,
            "rank_override_reason": "",
            "report_interval_days": 182 if kind == MeasureKind.PERMANENT_TASK else None,
            "last_report_on": None,
            "created_by_id": actor_id,
            "created_at": _at(path[0][2]),
            "updated_at": _at(path[-1][2], 16),
            "submitted_at": submitted_at,
            "version_id": 1,
            **flags,
        }
        self._goals(measure_id, category, goals)
        self._history(measure_id, path, actor_id)
        self._costs(measure_id, status, department.id, lines, running)
        if status in (S.APPROVED, S.IN_PROGRESS, S.COMPLETED):
            row["last_report_on"] = self._report(measure_id, status, dates, actor_id)
            if kind == MeasureKind.PROJECT:
                self._milestones(measure_id, status, dates)
        if status != S.DRAFT and rng.random() < 0.75:
            row["score"], row["priority_class"] = self._scores(measure_id, flags)
        elif any(flags[g.gate_field] for g in self.gates if g.gate_field in flags):
            row["priority_class"] = "A"
        self.rows["measures"].append(row)

    def _text(self, category: MeasureCategory) -> tuple[str, str]:
        rng = self.rng
        title, description = rng.choice(TEMPLATES[category])
        values = {
            "s": rng.choice(SERVICES),
            "a": rng.choice(AREAS),
            "p": rng.choice(PLACES),
            "sch": rng.choice(SCHOOLS),
            "t": rng.choice(TOPICS),
            "i": rng.choice(INFRA),
        }
        return title.format(**values), description.format(**values)

    def _dates(self, status: MeasureStatus) -> dict[str, Any]:
        """Start, end, submission and creation days that fit the state (relative to today)."""
        today, days = self.today, self._days
        submitted: date | None = None
        created: date | None = None
        cancel_from = None
        if status == S.IN_PROGRESS:
            start = today - days(30, 700)
            submitted = start - days(40, 200)
        elif status == S.COMPLETED:
            start = today - days(200, 1000)
            submitted = start - days(40, 200)
        elif status == S.APPROVED:
            start = today + days(-60, 400)
            submitted = min(start, today) - days(40, 200)
        elif status == S.SUBMITTED:
            submitted = today - days(1, 60)
            start = today + days(30, 300)
        elif status == S.UNDER_REVIEW:
            submitted = today - days(6, 90)
            start = today + days(30, 300)
        elif status == S.RETURNED:
            submitted = today - days(11, 90)
            start = today + days(30, 300)
        elif status in (S.DEFERRED, S.REJECTED):
            submitted = today - days(29, 400)
            start = today + days(-30, 300)
        elif status == S.CANCELLED and self.rng.random() < 0.5:
            cancel_from = "approved"
            submitted = today - days(150, 600)
            start = submitted + days(60, 200)
        elif status == S.CANCELLED:
            cancel_from = "draft"
            created = today - days(21, 400)
            start = created + days(60, 300)
        else:
            created = today - days(1, 120)
            start = today + days(30, 500)
        end = start + days(60, 1000)
        if status == S.COMPLETED:
            end = min(end, today - days(1, 30))
            end = max(end, start + timedelta(days=30))
        if submitted is not None:
            created = submitted - days(3, 60)
        return {
            "start": start,
            "end": end,
            "submitted": submitted,
            "created": created,
            "cancel_from": cancel_from,
        }

    def _goals(
        self, measure_id: int, category: MeasureCategory, goals: dict[str, list[int]]
    ) -> None:
        rng = self.rng
        field = rng.choice(CATEGORY_FIELDS[category])
        pool = goals.get(field) or goals["*"]
        if not pool:
            return
        chosen = rng.sample(pool, min(len(pool), rng.choice([1, 1, 2, 2, 3])))
        for goal_id in chosen:
            self.rows["measure_goals"].append({"measure_id": measure_id, "goal_id": goal_id})

    def _history(
        self,
        measure_id: int,
        path: list[tuple[MeasureStatus | None, MeasureStatus, date]],
        actor_id: int | None,
    ) -> None:
        reasons = {
            S.RETURNED: "Bitte Kostenplan und Zielbezug genauer begründen.",
            S.DEFERRED: "Zurückgestellt bis zur nächsten Haushaltsplanung.",
            S.REJECTED: "Abgelehnt: Nutzen im Verhältnis zu den Kosten zu gering.",
            S.CANCELLED: "Abgebrochen: Vorhaben wird nicht weiter verfolgt.",
            S.APPROVED: "Freigegeben.",
        }
        office = {S.UNDER_REVIEW, S.APPROVED, S.RETURNED, S.DEFERRED, S.REJECTED}
        for index, (source, target, day) in enumerate(path):
            when = _at(day, 9 + index % 6)
            by = self.office_id if target in office else actor_id
            reason = reasons.get(target, "")
            self.rows["status_changes"].append(
                {
                    "id": self._id("status_changes"),
                    "measure_id": measure_id,
                    "from_status": source,
                    "to_status": target,
                    "changed_by_id": by,
                    "changed_at": when,
                    "reason": reason,
                }
            )
            if target == S.RETURNED and index == len(path) - 1:
                self.rows["measure_comments"].append(
                    {
                        "id": self._id("measure_comments"),
                        "measure_id": measure_id,
                        "author_id": self.office_id,
                        "created_at": when,
                        "kind": "question",
                        "body": reason,
                        "resolved_at": None,
                    }
                )

    def _costs(
        self,
        measure_id: int,
        status: MeasureStatus,
        department_id: int,
        lines: dict[int, list[tuple[int, BudgetKind]]],
        running: Decimal,
    ) -> None:
        rng = self.rng
        own_lines = lines.get(department_id) or next(iter(lines.values()))
        size = Decimal(int(rng.lognormvariate(10.3, 0.9)) // 100 * 100 + 500)
        counts = status in (S.APPROVED, S.IN_PROGRESS)
        entries = rng.randint(2, 6)
        grant = rng.choices([None, *GRANTS], [70, 8, 8, 6, 4, 4])[0]
        for n in range(entries):
            line_id, kind = rng.choice(own_lines)
            year = self.horizon[min(n // 2 + rng.randint(0, 1), len(self.horizon) - 1)]
            is_running = running > 0 and n == entries - 1 and year > self.horizon[0]
            amount = running if is_running else (size * Decimal(rng.randint(20, 100)) / 100)
            amount = amount.quantize(Decimal("0.01"))
            source, programme, share = (
                grant if grant and not is_running else (FundingSource.OWN, "", Decimal("0"))
            )
            self.rows["cost_plan_entries"].append(
                {
                    "id": self._id("cost_plan_entries"),
                    "measure_id": measure_id,
                    "budget_line_id": line_id,
                    "year": year,
                    "amount": amount,
                    "funding_source": source,
                    "funding_programme": programme,
                    "funding_share": share,
                    "is_running_cost": is_running,
                }
            )
            if counts:
                self.demand[(line_id, year)] += amount

    def _report(
        self, measure_id: int, status: MeasureStatus, dates: dict[str, Any], author_id: int | None
    ) -> date | None:
        rng = self.rng
        if status == S.COMPLETED:
            reported_on, progress = dates["end"], 100
        elif status == S.APPROVED and (dates["start"] > self.today or rng.random() < 0.3):
            return None
        else:
            earliest = max(dates["start"], self.today - timedelta(days=200))
            span = max((self.today - earliest).days, 0)
            reported_on = self.today - timedelta(days=rng.randint(0, span))
            progress = rng.randint(5, 95) if status == S.IN_PROGRESS else rng.randint(0, 10)

        def light() -> TrafficLight:
            return rng.choices(
                [TrafficLight.GREEN, TrafficLight.YELLOW, TrafficLight.RED], [70, 22, 8]
            )[0]

        self.rows["status_reports"].append(
            {
                "id": self._id("status_reports"),
                "measure_id": measure_id,
                "author_id": author_id,
                "reported_on": reported_on,
                "created_at": _at(reported_on, 15),
                "schedule_light": light(),
                "cost_light": light(),
                "scope_light": light(),
                "progress_percent": progress,
                "text": "Arbeiten laufen planmäßig." if progress < 100 else "Abgeschlossen.",
                "next_steps": "Nächste Meilensteine vorbereiten." if progress < 100 else "",
                "risks": "",
            }
        )
        return reported_on

    def _milestones(self, measure_id: int, status: MeasureStatus, dates: dict[str, Any]) -> None:
        start, end = dates["start"], dates["end"]
        span = (end - start).days
        for n, title in enumerate(("Vergabe abgeschlossen", "Einführung abgeschlossen"), 1):
            due = start + timedelta(days=span * n // 3)
            done = due if due <= self.today and (status == S.COMPLETED or n == 1) else None
            self.rows["milestones"].append(
                {
                    "id": self._id("milestones"),
                    "measure_id": measure_id,
                    "title": title,
                    "due_date": due,
                    "done_on": done,
                }
            )

    def _scores(self, measure_id: int, flags: dict[str, bool]) -> tuple[Decimal, str | None]:
        rng = self.rng
        values = {c.id: rng.choices(range(6), [3, 8, 20, 32, 25, 12])[0] for c in self.weighted}
        scored_at = _at(self.today - timedelta(days=rng.randint(0, 300)))
        for criterion_id, value in values.items():
            self.rows["scores"].append(
                {
                    "id": self._id("scores"),
                    "measure_id": measure_id,
                    "criterion_id": criterion_id,
                    "value": value,
                    "comment": "",
                    "scored_by_id": self.office_id,
                    "scored_at": scored_at,
                }
            )
        score = weighted_score(values, self.criteria)
        gate = any(flags.get(g.gate_field or "", False) for g in self.gates)
        return score, priority_class(score, gate)

    def write(self) -> None:
        """Insert the collected rows, parents first."""
        for table in (
            table_of(Measure),
            measure_goals,
            table_of(StatusChange),
            table_of(MeasureComment),
            table_of(CostPlanEntry),
            table_of(StatusReport),
            table_of(Milestone),
            table_of(Score),
        ):
            _insert(table, self.rows.pop(table.name, []))


# ---------------------------------------------------------------------------- helpers

#: Tables that receive explicit ids here (their sequences are fixed on PostgreSQL).
_ID_TABLES = (
    table_of(User),
    table_of(BudgetLine),
    table_of(BudgetAmount),
    table_of(CommitmentAuthorization),
    table_of(Measure),
    table_of(StatusChange),
    table_of(MeasureComment),
    table_of(CostPlanEntry),
    table_of(StatusReport),
    table_of(Milestone),
    table_of(Score),
)


def _next_id(table: Table) -> int:
    return (db.session.scalar(select(func.max(table.c.id))) or 0) + 1


def _insert(table: Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start : start + CHUNK])


def _fix_sequences() -> None:
    """Move PostgreSQL's id sequences past the explicitly inserted ids."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in _ID_TABLES:
        # Table names come from the model metadata, never from input.
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # nosec B608
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
        )


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)
