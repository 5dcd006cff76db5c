"""Forms of the agenda area: revision, adoption, fields of action and goals of a draft."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from steuerung.forms.base import AppForm

CODE_HINT = "Kurz und stabil, z. B. V-3; eine Fortschreibung übernimmt die Kürzel."


class ReviseForm(AppForm):
    """Start a revision (Fortschreibung) of a version."""

    title = StringField(
        "Titel der neuen Version",
        validators=[
            DataRequired("Bitte einen Titel angeben."),
            Length(max=200, message="Höchstens 200 Zeichen."),
        ],
    )
    submit = SubmitField("Fortschreibung anlegen")


class AdoptForm(AppForm):
    """Adopt a draft with the date of the council's decision."""

    adopted_on = DateField(
        "Datum des Ratsbeschlusses",
        validators=[DataRequired("Bitte das Datum des Beschlusses angeben (TT.MM.JJJJ).")],
        format=["%Y-%m-%d", "%d.%m.%Y"],
    )
    submit = SubmitField("Version beschließen")


class ActionFieldForm(AppForm):
    """A new field of action in a draft."""

    code = StringField(
        "Kürzel",
        validators=[
            DataRequired("Bitte ein Kürzel angeben."),
            Length(max=10, message="Höchstens 10 Zeichen."),
        ],
    )
    name = StringField(
        "Name",
        validators=[
            DataRequired("Bitte einen Namen angeben."),
            Length(max=200, message="Höchstens 200 Zeichen."),
        ],
    )
    description = TextAreaField("Beschreibung", render_kw={"rows": 2})
    submit_field = SubmitField("Handlungsfeld hinzufügen")


class GoalForm(AppForm):
    """A new goal in a field of action of a draft."""

    action_field_id = SelectField(
        "Handlungsfeld", coerce=str, validators=[DataRequired("Bitte ein Handlungsfeld wählen.")]
    )
    code = StringField(
        "Kürzel",
        validators=[
            DataRequired("Bitte ein Kürzel angeben."),
            Length(max=10, message="Höchstens 10 Zeichen."),
        ],
        description=CODE_HINT,
    )
    title = StringField(
        "Ziel",
        validators=[
            DataRequired("Bitte das Ziel benennen."),
            Length(max=300, message="Höchstens 300 Zeichen."),
        ],
    )
    description = TextAreaField("Beschreibung", render_kw={"rows": 2})
    submit_goal = SubmitField("Ziel hinzufügen")
