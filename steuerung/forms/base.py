"""The base class of every form: CSRF from Flask-WTF, WTForms' own German messages.

WTForms ships German translations of its built-in messages ("Ungültige Auswahl", ...);
``Meta.locales`` selects them without Flask-Babel (``WTF_I18N_ENABLED`` is off in config).
"""

from __future__ import annotations

from typing import TypeVar

from flask_wtf import FlaskForm
from wtforms import Form


class AppForm(FlaskForm):
    """A Flask-WTF form whose built-in validation messages are German."""

    class Meta:
        locales = ("de_DE", "de")


class SubForm(Form):
    """A group of fields inside a form (FieldList / FormField rows), German messages too."""

    class Meta:
        locales = ("de_DE", "de")


T = TypeVar("T")


def required(value: T | None) -> T:
    """The value of a field that validation has made mandatory (InputRequired, DataRequired).

    WTForms types ``field.data`` as optional; after a successful ``validate()`` such a field
    always holds a value, so None here means the form was not validated first.
    """
    if value is None:
        raise ValueError("Pflichtfeld ohne Wert: das Formular wurde nicht geprüft.")
    return value
