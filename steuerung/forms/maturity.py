"""The Potenzialcheck form: one rating per statement, built from the catalogue."""

from __future__ import annotations

from datetime import date

from wtforms import DateField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from steuerung.forms.base import AppForm
from steuerung.models import RATING_LABELS, MaturityStatement


class AssessmentBaseForm(AppForm):
    """Title, date and note of an assessment."""

    title = StringField(
        "Bezeichnung",
        validators=[
            DataRequired("Bitte geben Sie eine Bezeichnung ein."),
            Length(max=200, message="Höchstens 200 Zeichen."),
        ],
        description="z. B. „Potenzialcheck Herbst 2026“",
    )
    assessed_on = DateField(
        "Datum der Einschätzung",
        default=date.today,
        validators=[DataRequired("Bitte geben Sie ein gültiges Datum an.")],
    )
    note = TextAreaField(
        "Anmerkung (wer hat eingeschätzt?)",
        validators=[Optional(), Length(max=4000, message="Höchstens 4.000 Zeichen.")],
    )
    submit = SubmitField("Einschätzung speichern")


def rating_field_name(statement: MaturityStatement) -> str:
    """Name of the rating field of ``statement``."""
    return f"rating_{statement.id}"


def comment_field_name(statement: MaturityStatement) -> str:
    """Name of the comment field of ``statement``."""
    return f"comment_{statement.id}"


def build_assessment_form(statements: list[MaturityStatement]) -> AssessmentBaseForm:
    """A form class with a 1-4 rating and a comment per statement, instantiated."""

    class AssessmentForm(AssessmentBaseForm):
        pass

    choices = [(str(value), label) for value, label in RATING_LABELS.items()]
    for statement in statements:
        setattr(
            AssessmentForm,
            rating_field_name(statement),
            RadioField(
                f"{statement.code}: {statement.text}",
                choices=choices,
                validators=[InputRequired("Bitte bewerten Sie diese Aussage.")],
            ),
        )
        setattr(
            AssessmentForm,
            comment_field_name(statement),
            TextAreaField(
                f"Anmerkung zu {statement.code}",
                validators=[Optional(), Length(max=2000, message="Höchstens 2.000 Zeichen.")],
            ),
        )
    return AssessmentForm()
