"""Forms of budget execution: import profiles, actuals upload, carry-forward decisions,
the order key of a measure, and the rollover with its carry-forward step."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from wtforms import (
    DateField,
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from steuerung.forms.base import AppForm
from steuerung.forms.budget import AmountField, RolloverForm
from steuerung.models import ActualsFileType, DecimalStyle, LineKeyMode
from steuerung.services.budget.actuals import MAPPED_FIELDS
from steuerung.services.budget.carry_forward import Candidate, Decision

_DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]


def _file_chosen(form: Any, field: FileField) -> None:
    if not field.data or not getattr(field.data, "filename", ""):
        raise ValidationError("Bitte eine Datei auswählen.")


class SampleForm(AppForm):
    """Step 1 of a new profile: a sample export and where its column names are."""

    file = FileField(
        "Beispieldatei der Finanzsoftware (XLSX oder CSV)",
        validators=[_file_chosen],
        description="Ein Export, wie er jeden Monat kommt; höchstens 10 MB.",
        render_kw={"accept": ".xlsx,.csv,text/csv"},
    )
    header_row = IntegerField(
        "Zeile mit den Spaltenüberschriften",
        default=1,
        validators=[
            InputRequired("Bitte die Zeile angeben."),
            NumberRange(1, 50, "Bitte eine Zeile zwischen 1 und 50 angeben."),
        ],
        description="Steht über der Tabelle ein Titel (Berichtskopf), z. B. 4.",
    )
    sheet_name = StringField(
        "Tabellenblatt (nur XLSX)",
        validators=[Optional(), Length(max=100, message="Höchstens 100 Zeichen.")],
        description="Leer lassen für das erste Blatt.",
    )
    submit = SubmitField("Spalten lesen")


class ProfileForm(AppForm):
    """An import profile: how the export is laid out (columns named by their header text)."""

    name = StringField(
        "Name des Profils",
        validators=[DataRequired("Bitte einen Namen angeben."), Length(max=120)],
        description="z. B. „HKR Haushaltsüberwachung (monatlich)“.",
    )
    file_type = SelectField("Dateiart", choices=[(t.value, t.label) for t in ActualsFileType])
    sheet_name = StringField(
        "Tabellenblatt (nur XLSX)",
        validators=[Optional(), Length(max=100, message="Höchstens 100 Zeichen.")],
        description="Leer: das erste Blatt.",
    )
    header_row = IntegerField(
        "Zeile mit den Spaltenüberschriften",
        validators=[
            InputRequired("Bitte die Zeile angeben."),
            NumberRange(1, 50, "Bitte eine Zeile zwischen 1 und 50 angeben."),
        ],
    )
    key_mode = SelectField(
        "Haushaltsstelle steht in", choices=[(m.value, m.label) for m in LineKeyMode]
    )
    key_separator = StringField(
        "Trennzeichen in der Haushaltsstelle (eine Spalte)",
        validators=[Optional(), Length(max=5, message="Höchstens 5 Zeichen.")],
        description="Zwischen Produkt, Kostenstelle, Sachkonto und Investitionsnummer, "
        "z. B. / oder .",
    )
    decimal_style = SelectField(
        "Schreibweise der Beträge", choices=[(s.value, s.label) for s in DecimalStyle]
    )
    version_id = HiddenField()
    submit = SubmitField("Profil speichern")

    def column_fields(self) -> list[Field]:
        """The fields naming a column of the export, in the order of the mapping."""
        return [self[name] for name, _ in MAPPED_FIELDS]


_COLUMN_HINTS = {
    "col_investment_number": "Nur bei getrennten Spalten; leer, wenn die Finanzsoftware sie "
    "nicht ausgibt.",
    "col_line_key": "Nur wenn die ganze Haushaltsstelle in einer Spalte steht.",
    "col_year": "Leer: das Haushaltsjahr wird beim Hochladen gewählt.",
    "col_obligo": "Leer: die Finanzsoftware liefert kein Obligo (zählt als 0).",
    "col_measure_key": "Auftrags-, Kostenträger- oder PSP-Nummer, die die Kämmerei bei der "
    "Maßnahme einträgt (oder die Maßnahmennummer M-0042). Optional.",
}
for _name, _label in MAPPED_FIELDS:
    setattr(
        ProfileForm,
        _name,
        StringField(
            f"Spalte „{_label}“",
            validators=[Optional(), Length(max=100, message="Höchstens 100 Zeichen.")],
            description=_COLUMN_HINTS.get(_name, ""),
            render_kw={"list": "spaltennamen", "autocomplete": "off"},
        ),
    )


class ActualsUploadForm(AppForm):
    """The monthly import: profile, Stichtag, year (if the export has none), file."""

    profile_id = SelectField("Importprofil", coerce=int, validate_choice=True)
    as_of = DateField(
        "Stichtag (Stand der Zahlen)",
        format=_DATE_FORMATS,
        validators=[DataRequired("Bitte den Stichtag angeben (TT.MM.JJJJ).")],
        description="Das Datum, dessen Stand die Finanzsoftware ausgegeben hat, z. B. "
        "das Monatsende.",
    )
    year = IntegerField(
        "Haushaltsjahr",
        validators=[
            InputRequired("Bitte das Haushaltsjahr angeben."),
            NumberRange(2000, 2100, "Bitte ein Jahr zwischen 2000 und 2100 angeben."),
        ],
        description="Gilt für Zeilen ohne eigene Jahresangabe (Profil ohne Jahresspalte).",
    )
    file = FileField(
        "Datei (XLSX oder CSV)",
        validators=[_file_chosen],
        description="Höchstens 10 MB.",
        render_kw={"accept": ".xlsx,.csv,text/csv"},
    )
    submit = SubmitField("Prüfen (Vorschau)")


class ApplyForm(AppForm):
    """Apply a stored, error-free preview."""

    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Ist-Daten übernehmen")


class OrderKeyForm(AppForm):
    """The order / cost-object key of a measure in the finance software."""

    order_key = StringField(
        "Auftrag / Kostenträger in der Finanzsoftware",
        validators=[Optional(), Length(max=40, message="Höchstens 40 Zeichen.")],
        description="Zeilen der Ist-Daten mit diesem Schlüssel gehören zu dieser Maßnahme. "
        "Leer lassen, um die Zuordnung zu entfernen.",
    )
    version_id = HiddenField()
    submit = SubmitField("Auftrag speichern")


class CarryForwardFields:
    """Per candidate line: ``cf_amount_<id>``, ``cf_reason_<id>``, ``cf_version_<id>``."""

    candidates: list[Candidate] = []

    def carry_rows(self) -> list[tuple[Candidate, Field, Field, Field]]:
        """(candidate, amount field, reason field, version field) per line."""
        form: Any = self
        return [
            (
                c,
                form[f"cf_amount_{c.line_id}"],
                form[f"cf_reason_{c.line_id}"],
                form[f"cf_version_{c.line_id}"],
            )
            for c in self.candidates
        ]

    def decisions(self) -> dict[int, Decision]:
        """The entered decisions by line id (empty amount: no decision)."""
        return {
            c.line_id: Decision(amount.data, reason.data or "", version.data or None)
            for c, amount, reason, version in self.carry_rows()
        }


class CarryForwardForm(AppForm, CarryForwardFields):
    """Carry-forward decisions of one year (corrections after the year change)."""

    submit = SubmitField("Übertragungen speichern")


def _add_carry_fields(cls: type[CarryForwardFields], candidates: list[Candidate]) -> None:
    for c in candidates:
        setattr(
            cls,
            f"cf_amount_{c.line_id}",
            AmountField(
                f"Übertragen: {c.label}",
                render_kw={"inputmode": "decimal", "autocomplete": "off", "size": 12},
            ),
        )
        setattr(
            cls,
            f"cf_reason_{c.line_id}",
            TextAreaField(
                f"Begründung: {c.label}",
                validators=[Optional(), Length(max=2000, message="Höchstens 2000 Zeichen.")],
                render_kw={"rows": 2, "cols": 32},
            ),
        )
        setattr(cls, f"cf_version_{c.line_id}", HiddenField())
    cls.candidates = list(candidates)


def _initial(candidates: list[Candidate]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for c in candidates:
        data[f"cf_amount_{c.line_id}"] = c.decided_amount
        data[f"cf_reason_{c.line_id}"] = c.reason
        data[f"cf_version_{c.line_id}"] = str(c.version_id) if c.version_id else ""
    return data


def carry_forward_form(candidates: list[Candidate], **kwargs: Any) -> CarryForwardForm:
    """A :class:`CarryForwardForm` with fields for ``candidates`` (existing decisions set)."""

    class _Form(CarryForwardForm):
        pass

    _add_carry_fields(_Form, candidates)
    kwargs.setdefault("data", {}).update(
        {k: v for k, v in _initial(candidates).items() if k not in kwargs["data"]}
    )
    return _Form(**kwargs)


class RolloverCarryForm(RolloverForm, CarryForwardFields):
    """The year change with the carry-forward decisions of the closing year."""


def rollover_form(candidates: list[Candidate], **kwargs: Any) -> RolloverCarryForm:
    """The rollover form; with carry-forward fields for ``candidates`` (empty list: none,
    e.g. for the administration, who rolls the year but does not decide carry-forwards)."""

    class _Form(RolloverCarryForm):
        pass

    _add_carry_fields(_Form, candidates)
    kwargs.setdefault("data", {}).update(
        {k: v for k, v in _initial(candidates).items() if k not in kwargs["data"]}
    )
    return _Form(**kwargs)
