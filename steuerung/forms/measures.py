"""Forms of the measures area: submission/edit form with cost plan, reports, comments.

Choices come from the database and are handed in by the view (``MeasureForm(choices=...)``).
Ids posted by hand that are not among the choices get a German message on the field.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from steuerung.forms.base import AppForm, SubForm
from steuerung.models import (
    FundingSource,
    MeasureCategory,
    MeasureKind,
    OzgImplementation,
    TrafficLight,
)
from steuerung.models.measure import OZG_MATURITY_LABELS
from steuerung.services.common.numbers import MAX_AMOUNT, NumberError, parse_decimal
from steuerung.services.measures.editing import MeasureChoices

#: Empty cost-plan rows shown in the form (works without JavaScript).
EMPTY_COST_ROWS = 3
#: Empty milestone rows shown in the form.
EMPTY_MILESTONE_ROWS = 2
TITLE_MAX = 200
TEXT_MAX = 10000

DATE_MESSAGE = "Bitte geben Sie ein gültiges Datum ein (TT.MM.JJJJ)."


class GermanDecimalField(StringField):
    """A money/number field that accepts German input and never goes below ``minimum``."""

    def __init__(
        self,
        label: str | None = None,
        validators: list[Any] | None = None,
        minimum: Decimal = Decimal("0"),
        maximum: Decimal = MAX_AMOUNT,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.minimum = minimum
        self.maximum = maximum
        self.decimal: Decimal | None = None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, Decimal):
            return f"{self.data:.2f}".replace(".", ",")
        return self.data or ""

    def process_data(self, value: Any) -> None:
        """Keep a saved Decimal as it is (shown with a decimal comma)."""
        self.data = value

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Keep the typed text; it is parsed in ``pre_validate``."""
        self.data = valuelist[0].strip() if valuelist else ""

    def pre_validate(self, form: Any) -> None:
        """Parse German input into ``self.decimal`` or raise a German message."""
        self.decimal = None
        if self.data is None or (isinstance(self.data, str) and not self.data):
            return
        if isinstance(self.data, Decimal):
            self.decimal = self.data
            return
        try:
            self.decimal = parse_decimal(str(self.data), minimum=self.minimum, maximum=self.maximum)
        except NumberError as error:
            raise ValidationError(str(error)) from None


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes; posted values outside the choices get a German message."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        """Refuse ids that are not among the choices (posted by hand)."""
        valid = {choice[0] for choice in self.choices or []}
        unknown = [v for v in self.data or [] if v not in valid]
        if unknown:
            raise ValidationError("Bitte wählen Sie nur Ziele der beschlossenen Digitalen Agenda.")

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Coerce the posted ids; non-numbers get the German message."""
        try:
            self.data = [self.coerce(v) for v in valuelist]
        except (TypeError, ValueError):
            self.data = []
            raise ValueError(
                "Bitte wählen Sie nur Ziele der beschlossenen Digitalen Agenda."
            ) from None


def _int_or_none(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # never a valid id: reported as unknown choice


class ChoiceField(SelectField):
    """A select whose unknown values (hand-posted ids) get a German message."""

    def __init__(
        self,
        *args: Any,
        unknown_message: str = "Bitte wählen Sie einen Eintrag der Liste.",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)
        self.unknown_message = unknown_message
        #: Rendered like any select by the shared form macros.
        self.type = "SelectField"

    def pre_validate(self, form: Any) -> None:
        """Refuse values that are not among the choices, with the field's message."""
        valid = {choice[0] for choice in self.choices or []}
        if self.data not in valid and not (self.data in (None, "") and None in valid | {""}):
            raise ValidationError(self.unknown_message)


def _enum_choices(enum_cls: Any, blank: str | None = None) -> list[tuple[str, str]]:
    choices = [("", blank)] if blank is not None else []
    return choices + [(member.value, member.label) for member in enum_cls]


class CostRowForm(SubForm):
    """One row of the cost plan: year x budget line x amount with funding (the kind,
    konsumtiv or investiv, is the budget line's)."""

    year = ChoiceField(
        "Jahr", coerce=_int_or_none, unknown_message="Das Jahr liegt nicht im Planungszeitraum."
    )
    budget_line_id = ChoiceField(
        "Haushaltsstelle",
        coerce=_int_or_none,
        unknown_message="Diese Haushaltsstelle gibt es nicht (oder sie ist nicht aktiv).",
    )
    amount = GermanDecimalField("Betrag (€)")
    funding_source = ChoiceField(
        "Finanzierung",
        choices=_enum_choices(FundingSource),
        default=FundingSource.OWN.value,
        unknown_message="Bitte wählen Sie eine Finanzierungsart der Liste.",
    )
    funding_programme = StringField(
        "Förderprogramm",
        validators=[Length(max=200, message="Höchstens 200 Zeichen.")],
    )
    funding_share = GermanDecimalField("Förderquote (%)", maximum=Decimal("100"))
    is_running_cost = BooleanField("Folgekosten")

    def is_blank(self) -> bool:
        """A row without year and amount is ignored (the pre-selected budget line alone is
        not an entry)."""
        return not self.year.data and not self.amount.data

    def validate(self, extra_validators: Any = None) -> bool:
        """Blank rows are valid; filled rows need year, line and amount."""
        if self.is_blank():
            return True
        ok = super().validate(extra_validators)
        for name, label in (
            ("year", "ein Jahr"),
            ("budget_line_id", "eine Haushaltsstelle"),
            ("amount", "einen Betrag"),
        ):
            if not self[name].data and not self[name].errors:
                self[name].errors = [f"Bitte geben Sie {label} an."]
                ok = False
        return ok


class MilestoneRowForm(SubForm):
    """A milestone: title and due date (blank rows are ignored)."""

    title = StringField(
        "Meilenstein", validators=[Length(max=200, message="Höchstens 200 Zeichen.")]
    )
    due_date = DateField("Fällig am", validators=[Optional()], format="%Y-%m-%d")

    def validate(self, extra_validators: Any = None) -> bool:
        """Both or neither of title and date."""
        ok = super().validate(extra_validators)
        if self.due_date.errors:
            self.due_date.errors = [DATE_MESSAGE]
        title = (self.title.data or "").strip()
        if title and not self.due_date.data and not self.due_date.errors:
            self.due_date.errors = ["Bitte geben Sie das Fälligkeitsdatum an."]
            ok = False
        if self.due_date.data and not title:
            self.title.errors = ["Bitte benennen Sie den Meilenstein."]
            ok = False
        return ok


class MeasureForm(AppForm):
    """Submission and edit form in sections: what, why, who, when, money."""

    version_id = HiddenField()
    #: Identifies this form instance; a second post of it does not create a second measure.
    creation_token = HiddenField()

    # what
    title = StringField(
        "Titel",
        validators=[
            InputRequired("Bitte geben Sie einen Titel ein."),
            Length(
                max=TITLE_MAX, message=f"Der Titel darf höchstens {TITLE_MAX} Zeichen lang sein."
            ),
        ],
        description="Kurz und verständlich, z. B. „Online-Terminvergabe Bürgerbüro“.",
    )
    description = TextAreaField(
        "Beschreibung",
        validators=[Length(max=TEXT_MAX, message=f"Höchstens {TEXT_MAX} Zeichen.")],
        description="Was soll erreicht werden, für wen, und wie?",
        render_kw={"rows": 5},
    )
    category = ChoiceField(
        "Kategorie",
        choices=_enum_choices(MeasureCategory),
        unknown_message="Bitte wählen Sie eine Kategorie der Liste.",
    )
    kind = ChoiceField(
        "Art der Maßnahme",
        choices=_enum_choices(MeasureKind),
        default=MeasureKind.PROJECT.value,
        unknown_message="Bitte wählen Sie eine Art der Liste.",
    )

    # why
    goals = MultiCheckboxField("Ziele der Digitalen Agenda", coerce=int)
    legal_obligation = BooleanField("Rechtlich verpflichtend (z. B. OZG)")
    legal_basis = StringField(
        "Rechtsgrundlage", validators=[Length(max=200, message="Höchstens 200 Zeichen.")]
    )
    legal_deadline = DateField("Gesetzliche Frist", validators=[Optional()])
    operation_critical = BooleanField("Betriebskritisch")
    political_mandate = BooleanField("Politischer Auftrag (Ratsbeschluss)")
    ozg_leika_key = StringField(
        "LeiKa-Schlüssel",
        validators=[
            Optional(),
            Regexp(r"^\d{14}$", message="Der LeiKa-Schlüssel besteht aus 14 Ziffern."),
        ],
        description=(
            "14-stelliger Schlüssel aus dem Leistungskatalog, "
            "falls eine OZG-Leistung betroffen ist."
        ),
    )
    ozg_service_name = StringField(
        "OZG-Leistung", validators=[Length(max=200, message="Höchstens 200 Zeichen.")]
    )
    ozg_maturity_level = ChoiceField(
        "Reifegrad (Ziel)",
        coerce=_int_or_none,
        choices=[(None, "– keine Angabe –")] + list(OZG_MATURITY_LABELS.items()),
        unknown_message="Bitte wählen Sie einen Reifegrad der Liste.",
    )
    ozg_implementation = ChoiceField(
        "Umsetzungsweg",
        choices=_enum_choices(OzgImplementation, "– keine Angabe –"),
        unknown_message="Bitte wählen Sie einen Umsetzungsweg der Liste.",
    )

    # who
    owner_id = ChoiceField(
        "Verantwortliche Person",
        coerce=_int_or_none,
        unknown_message="Bitte wählen Sie eine aktive Person Ihres Fachbereichs.",
    )
    contact = StringField(
        "Kontakt",
        validators=[Length(max=200, message="Höchstens 200 Zeichen.")],
        description="Telefon oder Funktionspostfach, zusätzlich zur verantwortlichen Person.",
    )

    # when
    start_date = DateField("Geplanter Beginn", validators=[Optional()])
    end_date = DateField("Geplantes Ende", validators=[Optional()])
    milestones = FieldList(FormField(MilestoneRowForm), min_entries=EMPTY_MILESTONE_ROWS)

    # money
    cost_plan = FieldList(FormField(CostRowForm), min_entries=EMPTY_COST_ROWS, max_entries=60)
    running_cost_after_horizon = GermanDecimalField(
        "Folgekosten pro Jahr nach dem Planungszeitraum (€)",
        description="Laufende Kosten (Lizenzen, Betrieb) ab dem fünften Jahr, z. B. 12.000,00. "
        "Folgekosten innerhalb des Planungszeitraums bitte als Kostenzeilen mit dem Haken "
        "„Folgekosten“ erfassen.",
    )
    useful_life_years = IntegerField(
        "Nutzungsdauer in Jahren (bei Investitionen)",
        validators=[
            Optional(),
            NumberRange(1, 100, message="Bitte eine Nutzungsdauer zwischen 1 und 100 Jahren."),
        ],
        description="Über diese Jahre wird die Investition abgeschrieben (AfA); die "
        "Abschreibung belastet den Ergebnishaushalt.",
    )
    contractually_bound = BooleanField(
        "Aufträge erteilt / vertraglich gebunden",
        description="Vertraglich gebundene Maßnahmen bleiben im Budget-Szenario gesetzt.",
    )

    save = SubmitField("Als Entwurf speichern")
    submit_measure = SubmitField("Speichern und einreichen")

    def __init__(
        self, *args: Any, choices: MeasureChoices, locked: set[str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.goals.choices = choices.goals
        self.owner_id.choices = [(None, "– bitte wählen –"), *choices.owners]
        line_choices = [(None, "– bitte wählen –"), *choices.budget_lines]
        year_choices = [(None, "–"), *((y, str(y)) for y in choices.years)]
        for row in self.cost_plan:
            row.form.budget_line_id.choices = line_choices
            row.form.year.choices = year_choices
        self._line_choices = line_choices
        self._year_choices = year_choices
        self.locked = set(locked or ())
        for name in self.locked:
            if name in self._fields:
                del self[name]
        for name in ("start_date", "end_date", "legal_deadline"):
            if name in self._fields:
                self[name].render_kw = {"autocomplete": "off"}

    def validate(self, extra_validators: Any = None) -> bool:
        """Field validation with German date messages."""
        ok = super().validate(extra_validators)
        for name in ("start_date", "end_date", "legal_deadline"):
            if name in self._fields and self[name].errors and self[name].data is None:
                self[name].errors = [DATE_MESSAGE]
        return ok

    def validate_end_date(self, field: DateField) -> None:
        """The end is not before the start."""
        start = self.start_date.data if "start_date" in self._fields else None
        if field.data and start and field.data < start:
            raise ValidationError("Das Ende darf nicht vor dem Beginn liegen.")

    def cost_rows(self) -> list[dict[str, Any]]:
        """Filled cost-plan rows as plain dicts with Decimal amounts."""
        rows = []
        for row in self.cost_plan:
            sub = row.form
            if sub.is_blank():
                continue
            rows.append(
                {
                    "year": sub.year.data,
                    "budget_line_id": sub.budget_line_id.data,
                    "amount": sub.amount.decimal,
                    "funding_source": sub.funding_source.data,
                    "funding_programme": (sub.funding_programme.data or "").strip(),
                    "funding_share": sub.funding_share.decimal or Decimal("0"),
                    "is_running_cost": bool(sub.is_running_cost.data),
                }
            )
        return rows

    def milestone_rows(self) -> list[dict[str, Any]]:
        """Filled milestone rows."""
        return [
            {"title": (row.form.title.data or "").strip(), "due_date": row.form.due_date.data}
            for row in self.milestones
            if (row.form.title.data or "").strip()
        ]

    def measure_data(self) -> dict[str, Any]:
        """The form's values in the service's format (only fields present in the form)."""
        data: dict[str, Any] = {}
        simple = (
            "title",
            "description",
            "category",
            "kind",
            "legal_obligation",
            "legal_basis",
            "legal_deadline",
            "operation_critical",
            "political_mandate",
            "ozg_leika_key",
            "ozg_service_name",
            "ozg_maturity_level",
            "ozg_implementation",
            "owner_id",
            "contact",
            "start_date",
            "end_date",
            "goals",
        )
        for name in simple:
            if name in self._fields:
                value = self[name].data
                data[name] = value.strip() if isinstance(value, str) else value
        if "running_cost_after_horizon" in self._fields:
            data["running_cost_after_horizon"] = self.running_cost_after_horizon.decimal or Decimal(
                "0"
            )
        if "useful_life_years" in self._fields:
            data["useful_life_years"] = self.useful_life_years.data
        if "contractually_bound" in self._fields:
            data["contractually_bound"] = bool(self.contractually_bound.data)
        if "cost_plan" in self._fields:
            data["cost_plan"] = self.cost_rows()
        if "milestones" in self._fields:
            data["milestones"] = self.milestone_rows()
        return data

    def add_cost_rows(self, count: int) -> None:
        """Append empty cost rows (with choices) so the user can type more."""
        for _ in range(count):
            entry = self.cost_plan.append_entry()
            entry.form.budget_line_id.choices = self._line_choices
            entry.form.year.choices = self._year_choices


class TransitionForm(AppForm):
    """A lifecycle transition with an optional reason."""

    #: The measure's version the form was loaded with (optimistic locking).
    version_id = HiddenField()

    target = HiddenField()
    reason = TextAreaField(
        "Begründung",
        validators=[Length(max=4000, message="Höchstens 4000 Zeichen.")],
        render_kw={"rows": 2},
    )


class StatusReportForm(AppForm):
    """Status report: three lights, progress, text, next steps, risks."""

    #: The measure's version the form was loaded with (optimistic locking).
    version_id = HiddenField()

    reported_on = DateField(
        "Stichtag",
        validators=[InputRequired("Bitte geben Sie den Stichtag an.")],
        default=date.today,
    )
    schedule_light = ChoiceField(
        "Termine",
        choices=_enum_choices(TrafficLight),
        unknown_message="Bitte wählen Sie eine Ampelfarbe.",
    )
    cost_light = ChoiceField(
        "Kosten",
        choices=_enum_choices(TrafficLight),
        unknown_message="Bitte wählen Sie eine Ampelfarbe.",
    )
    scope_light = ChoiceField(
        "Leistungsumfang",
        choices=_enum_choices(TrafficLight),
        unknown_message="Bitte wählen Sie eine Ampelfarbe.",
    )
    progress_percent = IntegerField(
        "Fortschritt (%)",
        validators=[
            InputRequired("Bitte geben Sie den Fortschritt in Prozent an."),
            NumberRange(0, 100, "Der Fortschritt muss zwischen 0 und 100 liegen."),
        ],
        default=0,
    )
    text = TextAreaField(
        "Sachstand",
        validators=[Length(max=TEXT_MAX, message=f"Höchstens {TEXT_MAX} Zeichen.")],
        render_kw={"rows": 4},
    )
    next_steps = TextAreaField(
        "Nächste Schritte",
        validators=[Length(max=TEXT_MAX, message=f"Höchstens {TEXT_MAX} Zeichen.")],
        render_kw={"rows": 3},
    )
    risks = TextAreaField(
        "Risiken",
        validators=[Length(max=TEXT_MAX, message=f"Höchstens {TEXT_MAX} Zeichen.")],
        render_kw={"rows": 3},
    )
    submit = SubmitField("Statusbericht speichern")

    def validate(self, extra_validators: Any = None) -> bool:
        """German messages for unparsable numbers and dates."""
        ok = super().validate(extra_validators)
        if self.reported_on.errors and self.reported_on.raw_data and self.reported_on.raw_data[0]:
            self.reported_on.errors = [DATE_MESSAGE]
        if (
            self.progress_percent.errors
            and self.progress_percent.raw_data
            and self.progress_percent.raw_data[0]
        ) and self.progress_percent.data is None:
            self.progress_percent.errors = [
                "Bitte geben Sie eine ganze Zahl zwischen 0 und 100 ein."
            ]
        return ok


class CommentForm(AppForm):
    """An answer to the coordinating office's question, or a note."""

    #: The measure's version the form was loaded with (optimistic locking).
    version_id = HiddenField()

    body = TextAreaField(
        "Ihre Antwort",
        validators=[
            InputRequired("Bitte schreiben Sie einen Text."),
            Length(max=TEXT_MAX, message=f"Höchstens {TEXT_MAX} Zeichen."),
        ],
        render_kw={"rows": 3},
    )
    submit = SubmitField("Antwort speichern")


class KeyFigureValueForm(AppForm):
    """A measured value of a key figure."""

    #: The measure's version the form was loaded with (optimistic locking).
    version_id = HiddenField()

    measured_on = DateField(
        "Gemessen am",
        validators=[InputRequired("Bitte geben Sie das Datum an.")],
        default=date.today,
    )
    value = GermanDecimalField(
        "Wert",
        validators=[InputRequired("Bitte geben Sie einen Wert ein.")],
        minimum=Decimal("-999999999999.99"),
    )
    submit = SubmitField("Wert erfassen")


class KeyFigureForm(AppForm):
    """A new key figure with baseline and target."""

    #: The measure's version the form was loaded with (optimistic locking).
    version_id = HiddenField()

    name = StringField(
        "Kennzahl",
        validators=[
            InputRequired("Bitte benennen Sie die Kennzahl."),
            Length(max=200, message="Höchstens 200 Zeichen."),
        ],
    )
    unit = StringField("Einheit", validators=[Length(max=40, message="Höchstens 40 Zeichen.")])
    baseline = GermanDecimalField("Ausgangswert", minimum=Decimal("-999999999999.99"))
    target = GermanDecimalField("Zielwert", minimum=Decimal("-999999999999.99"))
    submit = SubmitField("Kennzahl anlegen")


class ChangeRequestForm(AppForm):
    """A department's request to change the cost plan of an approved measure."""

    #: The measure's version the form was loaded with (optimistic locking).
    version_id = HiddenField()

    reason = TextAreaField(
        "Begründung der Änderung",
        validators=[
            InputRequired("Bitte begründen Sie die Änderung."),
            Length(max=4000, message="Höchstens 4000 Zeichen."),
        ],
        render_kw={"rows": 3},
    )
    cost_plan = FieldList(FormField(CostRowForm), min_entries=EMPTY_COST_ROWS, max_entries=60)
    submit = SubmitField("Änderungsantrag stellen")

    def __init__(self, *args: Any, choices: MeasureChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        line_choices = [(None, "– bitte wählen –"), *choices.budget_lines]
        year_choices = [(None, "–"), *((y, str(y)) for y in choices.years)]
        for row in self.cost_plan:
            row.form.budget_line_id.choices = line_choices
            row.form.year.choices = year_choices

    cost_rows = MeasureForm.cost_rows


class DecisionForm(AppForm):
    """Accept or decline a change request."""

    #: The measure's version the form was loaded with (optimistic locking).
    version_id = HiddenField()

    note = TextAreaField(
        "Anmerkung",
        validators=[Length(max=4000, message="Höchstens 4000 Zeichen.")],
        render_kw={"rows": 2},
    )
    accept = SubmitField("Annehmen und übernehmen")
    decline = SubmitField("Ablehnen")


class SimpleActionForm(AppForm):
    """A CSRF-protected button (milestone ticks)."""

    #: The measure's version the form was loaded with (optimistic locking).
    version_id = HiddenField()
