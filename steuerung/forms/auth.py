"""Login and password forms."""

from __future__ import annotations

from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from steuerung.forms.base import AppForm
from steuerung.services.security.passwords import MAX_LENGTH as MAX_PASSWORD_LENGTH
from steuerung.services.security.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH

#: Shown under every field where a new password is chosen.
PASSWORD_RULES = (
    f"{MIN_PASSWORD_LENGTH} bis {MAX_PASSWORD_LENGTH} Zeichen; gängige oder leicht zu erratende "
    "Passwörter (Namen, Wörter, Folgen wie „1234“) werden abgelehnt."
)
PASSWORD_LENGTH_MESSAGE = (
    f"Das Passwort muss {MIN_PASSWORD_LENGTH} bis {MAX_PASSWORD_LENGTH} Zeichen lang sein."
)


class LoginForm(AppForm):
    """Username and password."""

    username = StringField(
        "Benutzername",
        validators=[DataRequired("Bitte geben Sie Ihren Benutzernamen ein."), Length(max=80)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        "Passwort",
        validators=[DataRequired("Bitte geben Sie Ihr Passwort ein."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Anmelden")


class PasswordChangeForm(AppForm):
    """Change one's own password; the old one is asked again."""

    current_password = PasswordField(
        "Bisheriges Passwort",
        validators=[
            DataRequired("Bitte geben Sie Ihr bisheriges Passwort ein."),
            Length(max=200),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "Neues Passwort",
        validators=[
            DataRequired("Bitte geben Sie ein neues Passwort ein."),
            Length(
                min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH, message=PASSWORD_LENGTH_MESSAGE
            ),
        ],
        description=PASSWORD_RULES,
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        "Neues Passwort wiederholen",
        validators=[
            DataRequired("Bitte wiederholen Sie das neue Passwort."),
            EqualTo("new_password", message="Die beiden Passwörter stimmen nicht überein."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Passwort ändern")

    def validate_new_password(self, field: PasswordField) -> None:
        """The new password must differ from the old one."""
        if field.data and field.data == self.current_password.data:
            raise ValidationError("Das neue Passwort muss sich vom bisherigen unterscheiden.")
