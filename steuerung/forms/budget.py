"""Forms of the budget area: budget lines with amounts, VE, import, budget year rollover."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import TextInput

from steuerung.forms.base import AppForm
from steuerung.models import BudgetKind
from steuerung.models.measure import measure_reference, parse_measure_reference
from steuerung.services.common.numbers import NumberError, format_amount_input, parse_amount


class AmountField(Field):
    """A euro amount typed the German way (``1.234,56``); ``data`` is a Decimal or None."""

    # A text input like StringField's, but the data is the parsed amount, not the text.
    widget = TextInput()
    data: Decimal | None

    def __init__(self, *args: Any, required: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(*args, **kwargs)
        self.required = required

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_amount_input(self.data) if isinstance(self.data, Decimal) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = parse_amount(valuelist[0])
        except NumberError as exc:
            self.data = None
            raise ValueError(str(exc)) from exc

    def pre_validate(self, form: Any) -> None:
        if self.required and self.data is None and not self.errors:
            # WTForms catches ValidationError here, not ValueError (that was a 500).
            raise ValidationError("Bitte einen Betrag angeben.")


class MeasureReferenceField(StringField):
    """A measure typed by its number (``M-0042`` or ``42``); ``data`` is its id or None.

    A text input rather than a list: a budget line can carry thousands of measures."""

    data: int | None  # type: ignore[assignment]

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return measure_reference(self.data) if isinstance(self.data, int) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            return
        self.data = parse_measure_reference(text)
        if self.data is None:
            raise ValueError("Bitte die Nummer einer Maßnahme angeben, z. B. M-0042.")


class BudgetLineForm(AppForm):
    """Key data of a budget line; amount fields per year are added by :func:`line_form`."""

    product = StringField(
        "Produkt",
        validators=[DataRequired("Bitte das Produkt angeben."), Length(max=30)],
        description="Aus dem Produktrahmen des Landes, z. B. 1.1.1.01.",
    )
    cost_center = StringField(
        "Kostenstelle",
        validators=[DataRequired("Bitte die Kostenstelle angeben."), Length(max=30)],
    )
    account = StringField(
        "Sachkonto",
        validators=[DataRequired("Bitte das Sachkonto angeben."), Length(max=30)],
    )
    investment_number = StringField(
        "Investitionsnummer",
        validators=[Optional(), Length(max=30)],
        description="Nur bei investiven Haushaltsstellen (Finanzhaushalt).",
    )
    kind = SelectField(
        "Art",
        choices=[(k.value, k.label) for k in BudgetKind],
        validators=[DataRequired("Bitte die Art wählen.")],
    )
    department_id = SelectField(
        "Fachbereich / Teilhaushalt",
        coerce=int,
        validators=[InputRequired("Bitte einen Fachbereich wählen.")],
    )
    name = StringField(
        "Bezeichnung",
        validators=[DataRequired("Bitte eine Bezeichnung angeben."), Length(max=200)],
    )
    is_active = BooleanField("Aktiv (für neue Kostenpläne auswählbar)", default=True)
    transferable = BooleanField(
        "Übertragbar (konsumtiv)",
        description="Im Haushaltsplan für übertragbar erklärt: nicht verbrauchte Mittel können "
        "am Jahreswechsel ins nächste Jahr übertragen werden. Investive Haushaltsstellen sind "
        "immer übertragbar.",
    )
    version_id = HiddenField()
    submit = SubmitField("Speichern")

    #: Years with an amount field (set by :func:`line_form`).
    years: list[int] = []

    def amount_fields(self) -> list[tuple[int, Field]]:
        """(year, field) for every amount field."""
        return [(y, self[f"amount_{y}"]) for y in self.years]

    def base_load_fields(self) -> list[tuple[int, Field]]:
        """(year, field) for every "bound by running operations" field."""
        return [(y, self[f"base_load_{y}"]) for y in self.years]

    def year_fields(self) -> list[tuple[int, Field, Field]]:
        """(year, amount field, base load field) per year: one row of the form each."""
        return [(y, self[f"amount_{y}"], self[f"base_load_{y}"]) for y in self.years]


def line_form(
    years: list[int],
    budget_year: int,
    departments: list[tuple[int, str]],
    **kwargs: Any,
) -> BudgetLineForm:
    """A :class:`BudgetLineForm` with one amount field per year of the horizon."""

    class _Form(BudgetLineForm):
        pass

    for year in years:
        word = "Ansatz" if year == budget_year else "Planung"
        setattr(
            _Form,
            f"amount_{year}",
            AmountField(
                f"{word} {year}",
                description="Leer lassen, wenn kein Betrag beschlossen ist.",
            ),
        )
        setattr(
            _Form,
            f"base_load_{year}",
            AmountField(
                f"davon gebunden für laufenden Betrieb {year}",
                description="Lizenzen, Wartung, Betrieb bestehender Systeme: nicht frei für "
                "neue Maßnahmen. Leer = 0.",
            ),
        )
    _Form.years = list(years)
    form = _Form(**kwargs)
    form.department_id.choices = departments
    return form


class CommitmentForm(AppForm):
    """A new Verpflichtungsermächtigung."""

    granted_year = IntegerField(
        "Ermächtigt im Haushaltsjahr",
        validators=[
            InputRequired("Bitte das Jahr angeben."),
            NumberRange(2000, 2100, "Bitte ein Jahr zwischen 2000 und 2100 angeben."),
        ],
    )
    due_year = IntegerField(
        "Fällig im Jahr",
        validators=[
            InputRequired("Bitte das Fälligkeitsjahr angeben."),
            NumberRange(2000, 2110, "Bitte ein gültiges Jahr angeben."),
        ],
    )
    amount = AmountField("Betrag der VE", required=True)
    measure_id = MeasureReferenceField(
        "Für Maßnahme (Nr.)",
        description="Optional: die Maßnahme, deren Auftrag die VE absichert, z. B. M-0042. "
        "Sie muss Kosten auf dieser Haushaltsstelle planen.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    purpose = StringField(
        "Zweck", validators=[Optional(), Length(max=200, message="Höchstens 200 Zeichen.")]
    )
    submit = SubmitField("VE hinzufügen")


class ArchiveForm(AppForm):
    """A bare form (CSRF only) for archive buttons (budget data is never deleted)."""

    submit = SubmitField("Archivieren")


class RingForm(AppForm):
    """A Deckungsring: name, year, budget part and its member lines."""

    name = StringField(
        "Name",
        validators=[DataRequired("Bitte einen Namen angeben."), Length(max=120)],
        description="Wie im Haushaltsplan, z. B. „Deckungsring IT-Betrieb“.",
    )
    year = SelectField("Haushaltsjahr", coerce=int)
    kind = SelectField(
        "Haushaltsteil",
        choices=[
            (BudgetKind.CONSUMPTIVE.value, "Ergebnishaushalt (konsumtiv)"),
            (BudgetKind.INVESTIVE.value, "Finanzhaushalt (investiv)"),
        ],
        validators=[DataRequired("Bitte den Haushaltsteil wählen.")],
    )
    line_ids = SelectMultipleField(
        "Haushaltsstellen",
        coerce=int,
        description="Mindestens zwei Haushaltsstellen desselben Haushaltsteils.",
    )
    note = TextAreaField(
        "Vermerk", validators=[Optional(), Length(max=500, message="Höchstens 500 Zeichen.")]
    )
    version_id = HiddenField()
    submit = SubmitField("Deckungsring speichern")


class ImportForm(AppForm):
    """Upload of a spreadsheet with approved amounts."""

    file = FileField(
        "Datei (XLSX oder CSV)",
        description="Höchstens 5 MB. Spalten wie in der Vorlage.",
        render_kw={"accept": ".xlsx,.csv,text/csv"},
    )
    submit = SubmitField("Prüfen (Vorschau)")

    def validate_file(self, field: FileField) -> None:
        """A file must be chosen."""
        from wtforms.validators import ValidationError

        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError("Bitte eine Datei auswählen.")


class ImportApplyForm(AppForm):
    """Apply a stored, error-free preview."""

    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Alle Zeilen übernehmen")


class RolloverForm(AppForm):
    """Start the next budget year."""

    new_year = IntegerField(
        "Neues Haushaltsjahr",
        validators=[InputRequired("Bitte das neue Haushaltsjahr angeben.")],
    )
    confirm = BooleanField(
        "Ich habe geprüft, dass der Haushalt für das neue Jahr beschlossen ist.",
        validators=[DataRequired("Bitte bestätigen.")],
    )
    submit = SubmitField("Haushaltsjahr fortschreiben")
