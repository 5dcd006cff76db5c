"""Forms of "Mein Konto"."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from steuerung.forms.base import AppForm


class NotificationSettingsForm(AppForm):
    """Switch e-mail reminders and the weekly digest on or off."""

    notify_reminders = BooleanField(
        "Erinnerungen zu meinen Maßnahmen per E-Mail",
        description="Statusbericht bald fällig oder überfällig, Rückfragen der "
        "Koordinationsstelle und Entscheidungen über Maßnahmen, für die Sie verantwortlich sind.",
    )
    notify_digest = BooleanField(
        "Wöchentliche Übersicht der Koordinationsstelle per E-Mail",
        description="Einmal pro Woche: wartende Einreichungen, überfällige Statusberichte, "
        "rote Ampeln und Maßnahmen ohne Verantwortliche.",
    )
    submit = SubmitField("Einstellungen speichern")


#: Validity choices of a new API token (value: days; "" = until revoked).
VALIDITY_CHOICES = [
    ("90", "90 Tage"),
    ("30", "30 Tage"),
    ("365", "1 Jahr"),
    ("", "unbegrenzt (bis zum Widerruf)"),
]


class ApiTokenForm(AppForm):
    """Create a personal access token of the REST API."""

    name = StringField(
        "Name des Zugangsschlüssels",
        validators=[
            InputRequired("Bitte geben Sie dem Zugangsschlüssel einen Namen."),
            Length(max=100, message="Höchstens 100 Zeichen."),
        ],
        description="Wofür Sie ihn verwenden, z. B. „Open-Data-Portal“ oder „Auswertung Excel“.",
    )
    valid_days = SelectField("Gültig für", choices=VALIDITY_CHOICES, default="90")
    submit = SubmitField("Zugangsschlüssel erzeugen")

    @property
    def days(self) -> int | None:
        """The chosen validity in days (None: until revoked)."""
        return int(self.valid_days.data) if self.valid_days.data else None


class RevokeTokenForm(AppForm):
    """Revoke one of the user's tokens (CSRF only)."""
