"""Forms of the job pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField


class CancelJobForm(FlaskForm):
    """Cancel button (CSRF only)."""

    submit = SubmitField("Auftrag abbrechen")
