"""Forms of the budget planning stages: lines with amounts per year and reason, proposed
lines, Eckwerte, freezing (with the council decision) and the small action buttons."""

from __future__ import annotations

from typing import Any

from wtforms import (
    DateField,
    Field,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from steuerung.forms.base import AppForm
from steuerung.forms.budget import AmountField
from steuerung.models import BudgetKind

REASON_HINT = (
    "Pflicht, wenn die Beträge von der Vorlage abweichen: in der Anmeldung von den aus den "
    "Kostenplänen abgeleiteten, danach vom vorigen Stand."
)


class ActionForm(AppForm):
    """A bare form (CSRF and the record's version) behind an action button."""

    version_id = HiddenField()
    submit = SubmitField("Ausführen")


class OpenRoundForm(AppForm):
    """Open the planning round of a budget year."""

    budget_year = SelectField("Haushaltsjahr", coerce=int)
    submit = SubmitField("Planungsrunde eröffnen")


class _YearAmounts:
    """Amount fields ``amount_<year>`` added by :func:`with_years`."""

    years: list[int] = []

    def amount_fields(self) -> list[tuple[int, Field]]:
        """(year, field) for every year."""
        return [(y, self[f"amount_{y}"]) for y in self.years]  # type: ignore[index]


class LineForm(_YearAmounts, AppForm):
    """A plan line's amounts per year and its reason."""

    reason = TextAreaField(
        "Begründung",
        validators=[Optional(), Length(max=4000, message="Höchstens 4000 Zeichen.")],
        description=REASON_HINT,
        render_kw={"rows": 4},
    )
    version_id = HiddenField()
    submit = SubmitField("Zeile speichern")


class AddLineForm(_YearAmounts, AppForm):
    """A line added to a version: an existing budget line or one still to be created."""

    budget_line_id = SelectField(
        "Haushaltsstelle",
        description="Eine Haushaltsstelle des Fachbereichs, die noch nicht im Stand steht, "
        "oder „noch anzulegen“ mit einem Vorschlag.",
    )
    kind = SelectField(
        "Art (bei noch anzulegender Haushaltsstelle)",
        choices=[("", "– bitte wählen –")] + [(k.value, k.label) for k in BudgetKind],
        validators=[Optional()],
    )
    name = StringField(
        "Bezeichnung der vorgeschlagenen Haushaltsstelle",
        validators=[Optional(), Length(max=200, message="Höchstens 200 Zeichen.")],
    )
    product = StringField("Produkt (Vorschlag)", validators=[Optional(), Length(max=30)])
    cost_center = StringField("Kostenstelle (Vorschlag)", validators=[Optional(), Length(max=30)])
    account = StringField("Sachkonto (Vorschlag)", validators=[Optional(), Length(max=30)])
    investment_number = StringField(
        "Investitionsnummer (Vorschlag)", validators=[Optional(), Length(max=30)]
    )
    reason = TextAreaField(
        "Begründung",
        validators=[
            DataRequired("Bitte begründen Sie die neue Zeile."),
            Length(max=4000, message="Höchstens 4000 Zeichen."),
        ],
        render_kw={"rows": 4},
    )
    submit = SubmitField("Zeile hinzufügen")


def with_years(form_class: type[Any], years: list[int], budget_year: int, **kwargs: Any) -> Any:
    """``form_class`` with one amount field per year (Ansatz for the budget year)."""

    class _Form(form_class):
        pass

    for year in years:
        word = "Ansatz" if year == budget_year else "Planung"
        setattr(_Form, f"amount_{year}", AmountField(f"{word} {year}"))
    _Form.years = list(years)
    return _Form(**kwargs)


class AssignForm(AppForm):
    """Link a proposed line to the budget line the treasury created for it."""

    budget_line_id = SelectField("Haushaltsstelle", coerce=int)
    version_id = HiddenField()
    submit = SubmitField("Zuordnen")


class FreezeForm(AppForm):
    """Freeze a stage; a Beschluss or Nachtrag with the council decision."""

    decision_date = DateField("Datum des Ratsbeschlusses", validators=[Optional()])
    decision_reference = StringField(
        "Drucksache",
        validators=[Optional(), Length(max=100, message="Höchstens 100 Zeichen.")],
        description="Nummer der Vorlage, z. B. DS 2026/123.",
    )
    note = TextAreaField(
        "Vermerk", validators=[Optional(), Length(max=500, message="Höchstens 500 Zeichen.")]
    )
    version_id = HiddenField()
    submit = SubmitField("Festschreiben")


class KeyFiguresForm(AppForm):
    """The Eckwerte per department and per budget part; fields added by
    :func:`key_figures_form` (``kf_d<id>_<year>``, ``kf_<kind>_<year>``)."""

    version_id = HiddenField()
    submit = SubmitField("Eckwerte speichern")


def key_figures_form(
    rows: list[tuple[str, str]], years: list[int], **kwargs: Any
) -> KeyFiguresForm:
    """A :class:`KeyFiguresForm` with an amount field per (row, year); ``rows`` are
    (field prefix, label) pairs."""

    class _Form(KeyFiguresForm):
        pass

    for prefix, label in rows:
        for year in years:
            setattr(_Form, f"{prefix}_{year}", AmountField(f"Eckwert {label} {year}"))
    return _Form(**kwargs)
