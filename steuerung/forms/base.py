"""The base class of every form: CSRF from Flask-WTF, WTForms' own German messages.

WTForms ships German translations of its built-in messages ("Ungültige Auswahl", ...);
``Meta.locales`` selects them without Flask-Babel (``WTF_I18N_ENABLED`` is off in config).
"""

from __future__ import annotations

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
