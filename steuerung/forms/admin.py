"""Forms of the administration area: users, departments, settings."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from steuerung.forms.auth import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PASSWORD_LENGTH_MESSAGE,
    PASSWORD_RULES,
)
from steuerung.forms.base import AppForm
from steuerung.models import Role
from steuerung.models.settings import DEFAULT_LICENCE_NAME, DEFAULT_LICENCE_URL

ROLE_CHOICES = [(role.value, role.label) for role in Role]


class UserForm(AppForm):
    """Create or edit a user; the password only on creation."""

    username = StringField(
        "Benutzername",
        validators=[
            DataRequired("Bitte geben Sie einen Benutzernamen ein."),
            Length(max=80, message="Höchstens 80 Zeichen."),
            Regexp(
                r"^[A-Za-z0-9._-]+$",
                message="Nur Buchstaben ohne Umlaute, Ziffern, Punkt, Binde- und Unterstrich.",
            ),
        ],
    )
    full_name = StringField(
        "Vor- und Nachname",
        validators=[DataRequired("Bitte geben Sie den Namen ein."), Length(max=200)],
    )
    email = EmailField(
        "E-Mail",
        validators=[
            Optional(),
            Email("Bitte geben Sie eine gültige E-Mail-Adresse ein."),
            Length(max=200),
        ],
    )
    role = SelectField(
        "Rolle", choices=ROLE_CHOICES, validators=[DataRequired("Bitte wählen Sie eine Rolle.")]
    )
    department_id = SelectField(
        "Fachbereich", coerce=int, validators=[DataRequired("Bitte wählen Sie einen Fachbereich.")]
    )
    is_active = BooleanField("Konto aktiv", default=True)
    password = PasswordField(
        "Erstes Passwort",
        validators=[
            DataRequired("Bitte vergeben Sie ein erstes Passwort."),
            Length(
                min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH, message=PASSWORD_LENGTH_MESSAGE
            ),
        ],
        description=PASSWORD_RULES
        + " Teilen Sie es der Person auf sicherem Weg mit; sie muss es bei der ersten Anmeldung"
        " ändern.",
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Speichern")

    def __init__(
        self, *args: Any, departments: list[tuple[int, str]], editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.department_id.choices = departments
        if editing:
            del self.password


class PasswordResetForm(AppForm):
    """An administrator sets a new password for a user."""

    password = PasswordField(
        "Neues Passwort",
        validators=[
            DataRequired("Bitte geben Sie ein neues Passwort ein."),
            Length(
                min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH, message=PASSWORD_LENGTH_MESSAGE
            ),
        ],
        description=PASSWORD_RULES + " Die Person muss es bei der nächsten Anmeldung ändern.",
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Passwort setzen")


class EndSessionsForm(AppForm):
    """An administrator ends every session of a user (only the CSRF token)."""

    submit = SubmitField("Alle Sitzungen beenden")


class DepartmentForm(AppForm):
    """Create or edit a department."""

    code = StringField(
        "Kürzel",
        validators=[
            DataRequired("Bitte geben Sie ein Kürzel ein."),
            Length(max=20, message="Höchstens 20 Zeichen."),
        ],
        description="z. B. „FB 3“",
    )
    name = StringField(
        "Bezeichnung",
        validators=[
            DataRequired("Bitte geben Sie die Bezeichnung ein."),
            Length(max=200, message="Höchstens 200 Zeichen."),
        ],
    )
    is_active = BooleanField("Aktiv", default=True)
    submit = SubmitField("Speichern")


class SettingsForm(AppForm):
    """Kommune-wide settings."""

    kommune_name = StringField(
        "Name der Kommune",
        validators=[DataRequired("Bitte geben Sie den Namen der Kommune ein."), Length(max=200)],
    )
    report_interval_days = IntegerField(
        "Abstand der Statusberichte (Tage)",
        validators=[
            DataRequired("Bitte geben Sie eine Zahl von 7 bis 366 ein."),
            NumberRange(7, 366, "Bitte geben Sie eine Zahl von 7 bis 366 ein."),
        ],
        description="Standard für alle Maßnahmen; 91 Tage entsprechen einem Quartal.",
    )
    approved_visible_to_all = BooleanField(
        "Freigegebene Maßnahmen sind für alle Fachbereiche lesbar"
    )
    transparency_enabled = BooleanField(
        "Transparenzseite öffentlich zugänglich (ohne Anmeldung)",
        description=(
            "Zeigt die Maßnahmen, die die Koordinationsstelle veröffentlicht hat, unter "
            "/transparenz/ mit offenen Daten (CSV und JSON)."
        ),
    )
    transparency_publisher = StringField(
        "Herausgeber der offenen Daten",
        validators=[Optional(), Length(max=200, message="Höchstens 200 Zeichen.")],
        description="Leer lassen: der Name der Kommune.",
    )
    transparency_licence_name = StringField(
        "Lizenz der offenen Daten",
        validators=[Optional(), Length(max=200, message="Höchstens 200 Zeichen.")],
        description=f"Leer lassen: {DEFAULT_LICENCE_NAME}.",
    )
    transparency_licence_url = StringField(
        "Adresse des Lizenztextes",
        validators=[
            Optional(),
            Length(max=300, message="Höchstens 300 Zeichen."),
            Regexp(
                r"^https?://[^\s/]+\.[^\s]+$",
                message="Bitte eine Adresse angeben, die mit https:// oder http:// beginnt.",
            ),
        ],
        description=f"Leer lassen: {DEFAULT_LICENCE_URL}",
    )
    submit = SubmitField("Einstellungen speichern")
