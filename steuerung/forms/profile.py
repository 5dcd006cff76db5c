"""Forms of "Mein Konto"."""

from __future__ import annotations

from wtforms import BooleanField, SubmitField

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
