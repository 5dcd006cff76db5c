"""Forms of the grants of a measure: the grant itself, calls for funds, money received."""

from __future__ import annotations

from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from steuerung.forms.base import AppForm
from steuerung.forms.budget import AmountField
from steuerung.models import GrantStatus


class GrantForm(AppForm):
    """Application, decision (Förderbescheid) and proof of use of one grant."""

    programme = StringField(
        "Förderprogramm",
        validators=[
            DataRequired("Bitte das Förderprogramm angeben."),
            Length(max=200, message="Höchstens 200 Zeichen."),
        ],
        render_kw={"list": "programme-vorschlaege", "autocomplete": "off"},
    )
    funding_body = StringField(
        "Fördergeber / Bewilligungsbehörde",
        validators=[Optional(), Length(max=200, message="Höchstens 200 Zeichen.")],
    )
    status = SelectField("Stand", choices=[(s.value, s.label) for s in GrantStatus])
    applied_on = DateField("Antrag gestellt am", validators=[Optional()])
    applied_amount = AmountField("Beantragter Betrag")
    decision_date = DateField("Bescheid vom", validators=[Optional()])
    file_number = StringField(
        "Aktenzeichen", validators=[Optional(), Length(max=100, message="Höchstens 100 Zeichen.")]
    )
    approval_from = DateField("Bewilligungszeitraum von", validators=[Optional()])
    approval_to = DateField("Bewilligungszeitraum bis", validators=[Optional()])
    eligible_cost = AmountField("Zuwendungsfähige Ausgaben")
    grant_amount = AmountField("Bewilligte Zuwendung")
    proof_due_on = DateField(
        "Verwendungsnachweis fällig am",
        validators=[Optional()],
        description="Frist aus dem Bescheid. Eine versäumte Frist kann die Rückforderung der "
        "Zuwendung bedeuten.",
    )
    proof_submitted_on = DateField("Verwendungsnachweis eingereicht am", validators=[Optional()])
    note = TextAreaField(
        "Vermerk",
        validators=[Optional(), Length(max=4000, message="Höchstens 4000 Zeichen.")],
        render_kw={"rows": 3},
    )
    version_id = HiddenField()
    submit = SubmitField("Förderung speichern")


class CallForm(AppForm):
    """A call for funds (Mittelabruf)."""

    called_on = DateField("Abgerufen am", validators=[Optional()])
    amount = AmountField("Betrag des Abrufs")
    received_on = DateField("Geld eingegangen am", validators=[Optional()])
    note = StringField(
        "Vermerk", validators=[Optional(), Length(max=200, message="Höchstens 200 Zeichen.")]
    )
    version_id = HiddenField()
    submit = SubmitField("Abruf erfassen")


class ReceivedForm(AppForm):
    """The money of a call has arrived."""

    received_on = DateField("Eingang am", validators=[Optional()])
    version_id = HiddenField()
    submit = SubmitField("Eingang speichern")


class RemoveCallForm(AppForm):
    """Remove a call recorded by mistake."""

    version_id = HiddenField()
    submit = SubmitField("Abruf löschen")
