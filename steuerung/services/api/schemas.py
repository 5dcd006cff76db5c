"""The API's request and response shapes as pydantic models: validation and the document.

The OpenAPI document is generated from these models (``services.api.openapi``), so what the
API accepts and answers is described by the code that checks and builds it. Titles and
descriptions are German: they are the labels of the documentation page and of the field
names in validation problems.

Conventions: amounts and measured values are strings with a dot and two decimals
(``"12500.50"``) so that nothing is rounded on the way; dates are ``JJJJ-MM-TT``; codes of
states, categories and lights are the English code values, each with a German ``…_label``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from steuerung.models import (
    BudgetKind,
    MeasureCategory,
    MeasureKind,
    MeasureStatus,
    OzgImplementation,
    TrafficLight,
)
from steuerung.models.agenda import AGENDA_STATUS_LABELS, AgendaStatus
from steuerung.models.budget import MAX_YEAR, MIN_YEAR
from steuerung.services.budget.coverage import CoverageStatus, Grouping
from steuerung.services.portfolio.register import SORT_COLUMNS
from steuerung.services.security.http import has_control_characters

#: Largest id the database's INTEGER columns hold (larger path or filter ids are refused).
MAX_ID = 2_147_483_647
#: Longest text of a status report (the form's limit).
TEXT_MAX = 10_000
#: Rows per page of the measures list.
PER_PAGE_MAX = 100
DEFAULT_PER_PAGE = 25


def _clean_text(value: str) -> str:
    """Refuse control characters (as the pages do) and lone surrogates."""
    if has_control_characters(value):
        raise ValueError("Der Text enthält ein unzulässiges Steuerzeichen.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Der Text enthält ungültige Zeichen.") from None
    return value


def _json_integer(value: Any) -> Any:
    """A JSON integer: an int or, as JSON Schema counts it, a number without fraction
    (``3.0``); never a string or a boolean."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Bitte eine ganze Zahl angeben.")
    return value


#: An integer of a request body (strict JSON types, ``3.0`` counts as 3).
JsonInt = Annotated[int, BeforeValidator(_json_integer)]


#: Text accepted from a request (no NUL, valid Unicode).
CleanText = Annotated[str, AfterValidator(_clean_text)]
#: JSON-Schema pattern of CleanText (no NUL); surrogates cannot appear in valid JSON text.
#: No control characters (tab, line feed and carriage return are fine): the same rule as every
#: form field and URL of the pages (services/security/http.py).
NO_NUL = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"


def _money_text(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


#: An amount or value with two decimals, answered as a string (``"12500.50"``).
Money = Annotated[
    Decimal,
    PlainSerializer(_money_text, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^-?[0-9]+\\.[0-9]{2}$",
            "examples": ["12500.50"],
        },
        mode="serialization",
    ),
]


def _ratio_text(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'))}"


#: A percentage with one decimal (``"87.5"``).
Percent = Annotated[
    Decimal,
    PlainSerializer(_ratio_text, return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": "^-?[0-9]+\\.[0-9]$", "examples": ["87.5"]},
        mode="serialization",
    ),
]

#: Dates a client may send: 2000-01-01 to 2099-12-31 (a typo such as 20226 or 0026 would
#: otherwise be stored and break the due-date arithmetic). The pattern says exactly that,
#: leap days included, so the document and the check agree.
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2099, 12, 31)
DATE_PATTERN = (
    "^(20[0-9]{2}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    "|20[0-9]{2}-(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    "|20[0-9]{2}-02-(0[1-9]|1[0-9]|2[0-8])"
    "|20(0[048]|[2468][048]|[13579][26])-02-29)$"
)


def _date_in_range(value: date) -> date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError("Bitte ein Datum zwischen 01.01.2000 und 31.12.2099 angeben.")
    return value


#: A date sent by a client (JJJJ-MM-TT, years 2000-2099).
ClientDate = Annotated[
    date,
    AfterValidator(_date_in_range),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": DATE_PATTERN,
            "description": "Datum JJJJ-MM-TT zwischen 2000-01-01 und 2099-12-31",
            "examples": ["2026-03-31"],
        },
        mode="validation",
    ),
]

#: A measured value as sent: a string with a dot and at most two decimals.
VALUE_PATTERN = "^-?[0-9]{1,12}(\\.[0-9]{1,2})?$"


def german(title: str, description: str = "") -> ConfigDict:
    """Model configuration: German title and description in the document."""
    extra: dict[str, Any] = {"description": description} if description else {}
    return ConfigDict(title=title, json_schema_extra=extra or None)


class InputModel(BaseModel):
    """Base of request bodies and query parameters: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class OutputModel(BaseModel):
    """Base of answers."""


# --------------------------------------------------------------------------- shared parts

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]


class LightFilter(StrEnum):
    """Traffic-light filter values: the three lights or no report yet."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    NONE = "none"


SortKey = StrEnum("SortKey", {key.upper(): key for key in SORT_COLUMNS})  # type: ignore[misc]
SortKey.__doc__ = "Sortable columns of the measures list."


class Direction(StrEnum):
    """Sort direction."""

    ASC = "asc"
    DESC = "desc"


class YearAmount(OutputModel):
    """An amount in one year."""

    model_config = german("Betrag je Jahr")

    year: int = Field(title="Jahr")
    amount: Money = Field(title="Betrag (€)")


class DepartmentRef(OutputModel):
    """A department as lists show it."""

    model_config = german("Fachbereich")

    code: str = Field(title="Kürzel")
    name: str = Field(title="Name")


class OwnerRef(OutputModel):
    """The responsible person of a measure."""

    model_config = german("Verantwortliche Person")

    name: str = Field(title="Name")
    active: bool = Field(title="Konto aktiv", description="false: Konto deaktiviert")


# --------------------------------------------------------------------------- measures


class MeasureQuery(InputModel):
    """Filters, sort and page of the measures list (the register's filters)."""

    model_config = german("Filter der Maßnahmenliste")

    department: list[Id] = Field(
        default_factory=list, max_length=50, title="Fachbereich (ID)", description="mehrfach"
    )
    action_field: list[Id] = Field(
        default_factory=list,
        max_length=50,
        title="Handlungsfeld (ID)",
        description="Maßnahmen mit mindestens einem Ziel dieses Handlungsfelds; mehrfach",
    )
    goal: list[Id] = Field(default_factory=list, max_length=50, title="Ziel (ID)")
    category: list[MeasureCategory] = Field(default_factory=list, max_length=20, title="Kategorie")
    status: list[MeasureStatus] = Field(default_factory=list, max_length=20, title="Status")
    owner: list[Id] = Field(
        default_factory=list, max_length=50, title="Verantwortliche Person (Benutzer-ID)"
    )
    without_owner: bool = Field(
        default=False,
        title="Ohne aktive Verantwortliche",
        description="true: auch Maßnahmen ohne (aktive) verantwortliche Person",
    )
    year: Year | None = Field(
        default=None, title="Kosten im Haushaltsjahr", description="Kostenplan mit Betrag > 0"
    )
    legal_obligation: bool | None = Field(default=None, title="Rechtliche Verpflichtung")
    light: list[LightFilter] = Field(
        default_factory=list,
        max_length=4,
        title="Ampel",
        description="Gesamtampel des letzten Statusberichts; none = noch kein Bericht",
    )
    q: Annotated[str, Field(max_length=200, pattern=NO_NUL), AfterValidator(_clean_text)] = Field(
        default="", title="Suche", description="Wörter in Titel oder Beschreibung"
    )
    sort: SortKey = Field(default=SortKey("id"), title="Sortierung")
    direction: Direction = Field(default=Direction.ASC, title="Richtung")
    page: int = Field(default=1, ge=1, le=1_000_000, title="Seite")
    per_page: int = Field(
        default=DEFAULT_PER_PAGE, ge=1, le=PER_PAGE_MAX, title="Einträge je Seite"
    )


class MeasureItem(OutputModel):
    """A measure in the list (the register's columns)."""

    model_config = german("Maßnahme (Liste)")

    id: int = Field(title="ID")
    reference: str = Field(title="Nummer", examples=["M-0042"])
    title: str = Field(title="Titel")
    department: DepartmentRef = Field(title="Fachbereich")
    owner: OwnerRef | None = Field(title="Verantwortlich")
    category: MeasureCategory = Field(title="Kategorie")
    category_label: str = Field(title="Kategorie (Text)")
    kind: MeasureKind = Field(title="Art")
    kind_label: str = Field(title="Art (Text)")
    status: MeasureStatus = Field(title="Status")
    status_label: str = Field(title="Status (Text)")
    light: TrafficLight | None = Field(
        title="Ampel", description="Gesamtampel des letzten Statusberichts (die schlechteste)"
    )
    light_label: str | None = Field(title="Ampel (Text)")
    score: Money | None = Field(
        title="Score",
        description="0–100; nur für Rollen mit Zugriff auf das Register, sonst null",
    )
    priority_class: str | None = Field(
        title="Klasse", description="A/B/C; nur für Rollen mit Zugriff auf das Register"
    )
    legal_obligation: bool = Field(title="Rechtliche Verpflichtung")
    start_date: date | None = Field(title="Beginn")
    end_date: date | None = Field(title="Ende")
    costs: list[YearAmount] = Field(
        title="Kosten je Jahr", description="Kostenplan im Planungszeitraum (HJ bis HJ+3)"
    )
    cost_total: Money = Field(title="Kosten im Planungszeitraum")


class MeasurePage(OutputModel):
    """One page of the measures list."""

    model_config = german("Seite der Maßnahmenliste")

    items: list[MeasureItem] = Field(title="Maßnahmen")
    total: int = Field(title="Anzahl insgesamt")
    page: int = Field(title="Seite")
    per_page: int = Field(title="Einträge je Seite")
    pages: int = Field(title="Seiten")


class GoalRef(OutputModel):
    """An agenda goal a measure serves."""

    model_config = german("Ziel (Verweis)")

    id: int = Field(title="ID")
    code: str = Field(title="Kürzel")
    title: str = Field(title="Ziel")
    action_field: str = Field(title="Handlungsfeld")


class MilestoneOut(OutputModel):
    """A milestone."""

    model_config = german("Meilenstein")

    id: int = Field(title="ID")
    title: str = Field(title="Meilenstein")
    due_date: date = Field(title="Fällig am")
    done_on: date | None = Field(title="Erreicht am")


class MeasureDetail(MeasureItem):
    """A measure with its details."""

    model_config = german(
        "Maßnahme",
        "Eine Maßnahme mit Details. „version“ ist bei schreibenden Anfragen mitzuschicken.",
    )

    version: int = Field(title="Version", description="für optimistisches Sperren")
    description: str = Field(title="Beschreibung")
    contact: str = Field(title="Kontakt")
    legal_basis: str = Field(title="Rechtsgrundlage")
    legal_deadline: date | None = Field(title="Gesetzliche Frist")
    ozg_leika_key: str | None = Field(title="OZG: LeiKa-Schlüssel")
    ozg_service_name: str | None = Field(title="OZG: Leistung")
    ozg_maturity_level: int | None = Field(title="OZG: Reifegrad")
    ozg_implementation: OzgImplementation | None = Field(title="OZG: Umsetzung")
    goals: list[GoalRef] = Field(title="Ziele der Agenda")
    milestones: list[MilestoneOut] = Field(title="Meilensteine")
    next_report_due: date | None = Field(
        title="Nächster Statusbericht fällig", description="null: Maßnahme berichtet nicht"
    )
    report_overdue: bool = Field(title="Statusbericht überfällig")
    may_report: bool = Field(
        title="Darf berichten", description="Dieser Zugang darf Statusberichte abgeben"
    )
    may_record_values: bool = Field(
        title="Darf Messwerte erfassen", description="Dieser Zugang darf Messwerte erfassen"
    )


class StatusReportOut(OutputModel):
    """A status report."""

    model_config = german("Statusbericht")

    id: int = Field(title="ID")
    reported_on: date = Field(title="Stichtag")
    created_at: datetime = Field(title="Erfasst am")
    author: str | None = Field(title="Verfasst von")
    schedule_light: TrafficLight = Field(title="Ampel Termine")
    cost_light: TrafficLight = Field(title="Ampel Kosten")
    scope_light: TrafficLight = Field(title="Ampel Leistungsumfang")
    overall_light: TrafficLight = Field(title="Gesamtampel", description="die schlechteste")
    overall_light_label: str = Field(title="Gesamtampel (Text)")
    progress_percent: int = Field(title="Fortschritt (%)")
    text: str = Field(title="Sachstand")
    next_steps: str = Field(title="Nächste Schritte")
    risks: str = Field(title="Risiken")


class StatusReportList(OutputModel):
    """The status reports of a measure, newest first."""

    model_config = german("Statusberichte einer Maßnahme")

    measure_id: int = Field(title="Maßnahme (ID)")
    measure_version: int = Field(title="Version der Maßnahme")
    items: list[StatusReportOut] = Field(title="Statusberichte")


def _text_field(title: str) -> Any:
    return Field(default="", max_length=TEXT_MAX, pattern=NO_NUL, title=title)


class StatusReportIn(InputModel):
    """A new status report."""

    model_config = ConfigDict(
        extra="forbid",
        title="Neuer Statusbericht",
        json_schema_extra={
            "description": "„version“ ist die Version der Maßnahme, auf der der Bericht beruht."
        },
    )

    version: JsonInt = Field(
        ge=1, le=MAX_ID, title="Version", description="Version der Maßnahme (aus dem Lesen)"
    )
    reported_on: ClientDate = Field(title="Stichtag")
    schedule_light: TrafficLight = Field(title="Ampel Termine")
    cost_light: TrafficLight = Field(title="Ampel Kosten")
    scope_light: TrafficLight = Field(title="Ampel Leistungsumfang")
    progress_percent: JsonInt = Field(ge=0, le=100, title="Fortschritt (%)")
    text: Annotated[str, AfterValidator(_clean_text)] = _text_field("Sachstand")
    next_steps: Annotated[str, AfterValidator(_clean_text)] = _text_field("Nächste Schritte")
    risks: Annotated[str, AfterValidator(_clean_text)] = _text_field("Risiken")


class StatusReportCreated(OutputModel):
    """The saved report and the measure's new version."""

    model_config = german("Gespeicherter Statusbericht")

    report: StatusReportOut = Field(title="Statusbericht")
    measure_version: int = Field(title="Neue Version der Maßnahme")


class KeyFigureValueOut(OutputModel):
    """A measured value."""

    model_config = german("Messwert")

    id: int = Field(title="ID")
    measured_on: date = Field(title="Gemessen am")
    value: Money = Field(title="Wert")


class KeyFigureOut(OutputModel):
    """A key figure with its values."""

    model_config = german("Kennzahl")

    id: int = Field(title="ID")
    name: str = Field(title="Kennzahl")
    unit: str = Field(title="Einheit")
    baseline: Money | None = Field(title="Ausgangswert")
    target: Money | None = Field(title="Zielwert")
    values: list[KeyFigureValueOut] = Field(title="Messwerte", description="nach Datum")


class KeyFigureList(OutputModel):
    """The key figures of a measure."""

    model_config = german("Kennzahlen einer Maßnahme")

    measure_id: int = Field(title="Maßnahme (ID)")
    measure_version: int = Field(title="Version der Maßnahme")
    items: list[KeyFigureOut] = Field(title="Kennzahlen")


class KeyFigureValueIn(InputModel):
    """A new measured value."""

    model_config = ConfigDict(
        extra="forbid",
        title="Neuer Messwert",
        json_schema_extra={
            "description": "„value“ als Text mit Punkt und höchstens zwei Nachkommastellen, "
            'z. B. "1234.5".'
        },
    )

    version: JsonInt = Field(
        ge=1, le=MAX_ID, title="Version", description="Version der Maßnahme (aus dem Lesen)"
    )
    measured_on: ClientDate = Field(title="Gemessen am")
    value: str = Field(pattern=VALUE_PATTERN, title="Wert", examples=["1234.5"])


class KeyFigureValueCreated(OutputModel):
    """The saved value and the measure's new version."""

    model_config = german("Gespeicherter Messwert")

    key_figure_id: int = Field(title="Kennzahl (ID)")
    value: KeyFigureValueOut = Field(title="Messwert")
    measure_version: int = Field(title="Neue Version der Maßnahme")


# --------------------------------------------------------------------------- agenda


class AgendaVersion(OutputModel):
    """A version of the Digitale Agenda."""

    model_config = german("Version der Digitalen Agenda")

    id: int = Field(title="ID")
    version_no: int = Field(title="Versionsnummer")
    title: str = Field(title="Titel")
    status: AgendaStatus = Field(title="Status")
    status_label: str = Field(title="Status (Text)")
    adopted_on: date | None = Field(title="Beschlossen am")


class AgendaVersionList(OutputModel):
    """All versions, newest first."""

    model_config = german("Versionen der Digitalen Agenda")

    items: list[AgendaVersion] = Field(title="Versionen")


class GoalOut(OutputModel):
    """A goal with its coverage by measures (as the agenda page shows it)."""

    model_config = german(
        "Ziel",
        "Abdeckung: Maßnahmen, die dieser Zugang sehen darf und die dem Ziel dienen (ohne "
        "abgelehnte und abgebrochene), auch über frühere Versionen mit demselben Kürzel.",
    )

    id: int = Field(title="ID")
    code: str = Field(title="Kürzel")
    title: str = Field(title="Ziel")
    description: str = Field(title="Beschreibung")
    covered: bool = Field(title="Abgedeckt")
    measure_count: int = Field(title="Anzahl Maßnahmen")
    measure_cost: Money = Field(title="Kosten der Maßnahmen im Planungszeitraum")
    measure_ids: list[int] = Field(
        title="Maßnahmen (IDs)", description="die ersten zehn, wie auf der Seite"
    )


class ActionFieldOut(OutputModel):
    """A field of action with its goals."""

    model_config = german("Handlungsfeld")

    id: int = Field(title="ID")
    code: str = Field(title="Kürzel")
    name: str = Field(title="Name")
    description: str = Field(title="Beschreibung")
    goals: list[GoalOut] = Field(title="Ziele")


class AgendaOut(AgendaVersion):
    """A version with its fields of action and goals."""

    model_config = german("Digitale Agenda mit Zielen")

    action_fields: list[ActionFieldOut] = Field(title="Handlungsfelder")


# --------------------------------------------------------------------------- budget


class BudgetAmountOut(OutputModel):
    """Ansatz / Planung of a line in one year."""

    model_config = german("Ansatz je Jahr")

    year: int = Field(title="Jahr")
    approved_amount: Money = Field(title="Ansatz / Planung")
    base_load: Money = Field(title="Gebunden für laufenden Betrieb")


class CommitmentOut(OutputModel):
    """A Verpflichtungsermächtigung."""

    model_config = german("Verpflichtungsermächtigung (VE)")

    id: int = Field(title="ID")
    granted_year: int = Field(title="Erteilt im Jahr")
    due_year: int = Field(title="Fällig im Jahr")
    amount: Money = Field(title="Betrag")
    purpose: str = Field(title="Zweck")
    measure_id: int | None = Field(title="Maßnahme (ID)")
    archived: bool = Field(title="Archiviert", description="archivierte VE zählen nirgends")


class BudgetLineOut(OutputModel):
    """A Haushaltsstelle with amounts and VE."""

    model_config = german("Haushaltsstelle")

    id: int = Field(title="ID")
    label: str = Field(title="Schlüssel", examples=["1.1.1.01 / 1001 / 54310000"])
    product: str = Field(title="Produkt")
    cost_center: str = Field(title="Kostenstelle")
    account: str = Field(title="Sachkonto")
    investment_number: str = Field(title="Investitionsnummer")
    name: str = Field(title="Bezeichnung")
    kind: BudgetKind = Field(title="Haushaltsteil")
    kind_label: str = Field(title="Haushaltsteil (Text)")
    department: DepartmentRef = Field(title="Teilhaushalt / Fachbereich")
    is_active: bool = Field(title="Aktiv")
    version: int = Field(title="Version")
    amounts: list[BudgetAmountOut] = Field(title="Ansätze")
    commitments: list[CommitmentOut] = Field(title="VE")


class BudgetLineList(OutputModel):
    """All budget lines."""

    model_config = german("Haushaltsstellen")

    budget_year: int = Field(title="Haushaltsjahr")
    items: list[BudgetLineOut] = Field(title="Haushaltsstellen")


class CoverageQuery(InputModel):
    """Which coverage table."""

    model_config = german("Auswahl der Deckungstabelle")

    budget_year: Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR - 3)] | None = Field(
        default=None, title="Haushaltsjahr", description="Standard: das aktuelle Haushaltsjahr"
    )
    view: Grouping = Field(
        default=Grouping.BUDGET_LINE,
        title="Ansicht",
        description="Zeilen nach Haushaltsstelle, Deckungsring, Fachbereich, Haushaltsteil, "
        "Handlungsfeld, Kategorie, Finanzierung oder nur Summe",
    )
    scenario: bool = Field(
        default=False,
        title="Szenario",
        description="true: eingereichte Maßnahmen zählen mit (wie auf der Seite)",
    )


class Figures(OutputModel):
    """Coverage figures of one row in one year (or summed)."""

    model_config = german(
        "Deckung",
        "verfügbar = Ansatz − gebunden − fällige VE; Lücke = max(Eigenanteil − verfügbar, 0). "
        "Zeilen, die Maßnahmen gruppieren, haben keine Haushaltsbeträge (null).",
    )

    planned: Money | None = Field(title="Ansatz / Planung")
    base_load: Money | None = Field(title="Gebunden für laufenden Betrieb")
    ve_due: Money | None = Field(title="Fällige VE")
    available: Money | None = Field(title="Verfügbar")
    gross: Money = Field(title="Bedarf brutto")
    grant: Money = Field(title="Förderung")
    own: Money = Field(title="Eigenanteil")
    gap: Money = Field(title="Lücke")
    free: Money = Field(title="Frei")
    ratio: Percent | None = Field(title="Deckungsgrad (%)")
    status: CoverageStatus = Field(title="Deckungsstatus")
    status_label: str = Field(title="Deckungsstatus (Text)")


class YearFigures(OutputModel):
    """Figures of one year."""

    model_config = german("Deckung eines Jahres")

    year: int = Field(title="Jahr")
    figures: Figures = Field(title="Zahlen")


class CoverageRowOut(OutputModel):
    """A row of the coverage table."""

    model_config = german("Zeile der Deckungstabelle")

    key: str = Field(title="Schlüssel", description="ID oder Code der Zeile")
    label: str = Field(title="Bezeichnung")
    detail: str = Field(title="Erläuterung")
    kind: BudgetKind | None = Field(title="Haushaltsteil")
    years: list[YearFigures] = Field(title="Jahre")
    total: Figures = Field(title="Planungszeitraum")


class CoverageOut(OutputModel):
    """The coverage table (as the budget page shows it)."""

    model_config = german("Mittelfristige Deckung")

    budget_year: int = Field(title="Haushaltsjahr")
    years: list[int] = Field(title="Jahre", description="HJ bis HJ+3")
    view: Grouping = Field(title="Ansicht")
    scenario: bool = Field(title="Szenario")
    totals: list[YearFigures] = Field(title="Summe je Jahr")
    parts: list[CoverageRowOut] = Field(title="Summen je Haushaltsteil")
    rows: list[CoverageRowOut] = Field(title="Zeilen")


# --------------------------------------------------------------------------- dashboard


class DashboardQuery(InputModel):
    """Filters of the dashboard."""

    model_config = german("Filter des Dashboards")

    department: Id | None = Field(default=None, title="Fachbereich (ID)")
    action_field: Id | None = Field(default=None, title="Handlungsfeld (ID)")
    category: MeasureCategory | None = Field(default=None, title="Kategorie")
    year: Year | None = Field(
        default=None,
        title="Jahr",
        description="Laufzeit berührt das Jahr; Geldzahlen dieses Jahres statt des HJ",
    )


class StatusCount(OutputModel):
    """Measures in one state."""

    model_config = german("Anzahl je Status")

    status: MeasureStatus = Field(title="Status")
    status_label: str = Field(title="Status (Text)")
    count: int = Field(title="Anzahl")


class TilesOut(OutputModel):
    """The key figures at the top of the dashboard."""

    model_config = german("Kennzahlen des Dashboards")

    total: int = Field(title="Maßnahmen insgesamt")
    status_counts: list[StatusCount] = Field(title="Je Status")
    red_lights: int = Field(title="Maßnahmen mit roter Ampel")
    overdue_reports: int = Field(title="Überfällige Statusberichte")
    without_owner: int = Field(title="Ohne Verantwortliche/n")
    year: int = Field(title="Jahr der Geldzahlen")
    coverage: Figures = Field(title="Deckung des Jahres")


class LightCounts(OutputModel):
    """Traffic lights of one department."""

    model_config = german("Ampeln eines Fachbereichs")

    department: str = Field(title="Fachbereich")
    green: int = Field(title="Grün")
    yellow: int = Field(title="Gelb")
    red: int = Field(title="Rot")
    no_report: int = Field(title="Kein Bericht")


class FieldStatusCounts(OutputModel):
    """Measures of one field of action by status."""

    model_config = german("Maßnahmen eines Handlungsfelds je Status")

    action_field: str = Field(title="Handlungsfeld")
    counts: list[StatusCount] = Field(title="Je Status")
    total: int = Field(title="Summe")


class GoalCount(OutputModel):
    """A goal of the current agenda with its measures per status group."""

    model_config = german("Zielabdeckung")

    code: str = Field(title="Ziel")
    title: str = Field(title="Bezeichnung")
    action_field: str = Field(title="Handlungsfeld")
    in_planning: int = Field(title="in Planung")
    approved_or_running: int = Field(title="freigegeben / in Umsetzung")
    completed: int = Field(title="abgeschlossen")
    total: int = Field(title="Summe")


class RoadmapMilestone(OutputModel):
    """A milestone on the roadmap."""

    model_config = german("Meilenstein der Roadmap")

    title: str = Field(title="Meilenstein")
    due_date: date = Field(title="Fällig am")
    done_on: date | None = Field(title="Erreicht am")


class RoadmapItemOut(OutputModel):
    """A measure on the roadmap."""

    model_config = german("Roadmap-Eintrag")

    id: int = Field(title="ID")
    reference: str = Field(title="Nummer")
    title: str = Field(title="Maßnahme")
    department: str = Field(title="Fachbereich")
    status: MeasureStatus = Field(title="Status")
    start_date: date = Field(title="Beginn")
    end_date: date = Field(title="Ende")
    milestones: list[RoadmapMilestone] = Field(title="Meilensteine")


class PortfolioPointOut(OutputModel):
    """A measure of the portfolio chart."""

    model_config = german("Portfolio-Eintrag")

    rank: int = Field(title="Rang")
    reference: str = Field(title="Nummer")
    title: str = Field(title="Maßnahme")
    action_field: str = Field(title="Handlungsfeld")
    status: MeasureStatus = Field(title="Status")
    priority_class: str = Field(title="Klasse")
    score: Money = Field(title="Score")
    cost: Money = Field(title="Kosten im Planungszeitraum")
    running_costs: Money = Field(title="Folgekosten pro Jahr nach dem Planungszeitraum")
    depreciation: Money | None = Field(title="Abschreibung pro Jahr")


class DashboardOut(OutputModel):
    """The figures of the dashboard (as the page shows them)."""

    model_config = german("Dashboard")

    budget_year: int = Field(title="Haushaltsjahr")
    tiles: TilesOut = Field(title="Kennzahlen")
    coverage: list[YearFigures] = Field(title="Deckung je Jahr")
    lights: list[LightCounts] = Field(title="Ampeln je Fachbereich")
    status_by_field: list[FieldStatusCounts] = Field(title="Status je Handlungsfeld")
    goals: list[GoalCount] = Field(title="Zielabdeckung der Agenda")
    roadmap: list[RoadmapItemOut] = Field(title="Roadmap")
    roadmap_total: int = Field(title="Maßnahmen der Roadmap insgesamt")
    portfolio: list[PortfolioPointOut] = Field(title="Portfolio")
    portfolio_total: int = Field(title="Bewertete Maßnahmen insgesamt")


# --------------------------------------------------------------------------- errors


class FieldProblem(OutputModel):
    """An invalid field."""

    model_config = german("Ungültiges Feld")

    field: str = Field(title="Feld", description="Name im Request, z. B. progress_percent")
    label: str = Field(title="Bezeichnung")
    message: str = Field(title="Meldung")


class ProblemDetails(OutputModel):
    """An error answer (RFC 9457), in German."""

    model_config = german(
        "Problem (RFC 9457)",
        "Jede Fehlerantwort: Medientyp application/problem+json, Texte auf Deutsch.",
    )

    type: str = Field(title="Art", description="Verweis auf die Erläuterung dieser Fehlerart")
    title: str = Field(title="Titel")
    status: int = Field(title="HTTP-Status")
    detail: str = Field(title="Beschreibung")
    instance: str = Field(title="Adresse der Anfrage")
    errors: list[FieldProblem] | None = Field(
        default=None, title="Felder", description="nur bei 422"
    )


#: German descriptions of the enums in the document (code = label).
ENUM_LABELS: dict[type, tuple[str, dict[str, str]]] = {
    MeasureStatus: ("Status einer Maßnahme", {s.value: s.label for s in MeasureStatus}),
    MeasureCategory: ("Kategorie", {c.value: c.label for c in MeasureCategory}),
    MeasureKind: ("Art der Maßnahme", {k.value: k.label for k in MeasureKind}),
    TrafficLight: ("Ampelfarbe", {t.value: t.label for t in TrafficLight}),
    LightFilter: (
        "Ampelfilter",
        {**{t.value: t.label for t in TrafficLight}, "none": "kein Bericht"},
    ),
    OzgImplementation: ("OZG-Umsetzung", {o.value: o.label for o in OzgImplementation}),
    BudgetKind: ("Haushaltsteil", {k.value: k.label for k in BudgetKind}),
    CoverageStatus: ("Deckungsstatus", {c.value: c.label for c in CoverageStatus}),
    Grouping: ("Ansicht der Deckungstabelle", {g.value: g.label for g in Grouping}),
    AgendaStatus: (
        "Status einer Agenda-Version",
        {s.value: label for s, label in AGENDA_STATUS_LABELS.items()},
    ),
    SortKey: ("Sortierung", dict(SORT_COLUMNS)),
    Direction: ("Richtung", {"asc": "aufsteigend", "desc": "absteigend"}),
}
