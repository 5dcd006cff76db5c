"""Forms of the job pages."""

from __future__ import annotations

from wtforms import SubmitField

from steuerung.forms.base import AppForm


class CancelJobForm(AppForm):
    """Cancel button (CSRF only)."""

    submit = SubmitField("Auftrag abbrechen")
