"""Forms of the coordinating office: review decisions, scoring, criteria, cut-off scenarios."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wtforms import (
    BooleanField,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from steuerung.forms.base import AppForm, SubForm
from steuerung.models import CriterionKind, ScoringCriterion
from steuerung.services.common.numbers import NumberError, parse_amount
from steuerung.services.portfolio.scoring import GATE_FIELDS

SCALE_CHOICES = [
    ("", "– nicht bewertet –"),
    ("0", "0 – kein Beitrag"),
    ("1", "1 – sehr gering"),
    ("2", "2 – gering"),
    ("3", "3 – mittel"),
    ("4", "4 – hoch"),
    ("5", "5 – sehr hoch"),
]


class TransitionForm(AppForm):
    """A workflow decision on one measure of the inbox."""

    target = SelectField(
        "Entscheidung", validators=[DataRequired("Bitte eine Entscheidung wählen.")]
    )
    reason = TextAreaField(
        "Begründung",
        validators=[Length(max=4000, message="Höchstens 4000 Zeichen.")],
        description="Pflicht bei Rückfrage, Zurückstellung und Ablehnung.",
        render_kw={"rows": 2},
    )
    version_id = HiddenField()
    submit = SubmitField("Ausführen")


def score_form_class(criteria: list[ScoringCriterion]) -> type[AppForm]:
    """A scoring form with one 0-5 choice and one comment per active weighted criterion."""

    class ScoreForm(AppForm):
        #: The measure's version the form was loaded with (optimistic locking).
        version_id = HiddenField()
        submit = SubmitField("Bewertung speichern")

    for criterion in criteria:
        if criterion.kind != CriterionKind.WEIGHTED or not criterion.is_active:
            continue
        setattr(
            ScoreForm,
            f"c_{criterion.id}",
            SelectField(
                f"{criterion.name} (Gewicht {criterion.weight.normalize():f} %)",
                choices=SCALE_CHOICES,
                validators=[InputRequired("Bitte einen Wert von 0 bis 5 wählen.")],
                description=criterion.description,
            ),
        )
        setattr(
            ScoreForm,
            f"k_{criterion.id}",
            StringField(
                f"Anmerkung zu „{criterion.name}“",
                validators=[Length(max=2000, message="Höchstens 2000 Zeichen.")],
            ),
        )
    return ScoreForm


class RankOverrideForm(AppForm):
    """Manual rank with a required reason; an empty rank removes the override."""

    #: The measure's version the form was loaded with (optimistic locking).
    version_id = HiddenField()

    rank = IntegerField(
        "Manueller Rang",
        validators=[
            Optional(),
            NumberRange(min=1, max=100000, message="Bitte eine positive ganze Zahl angeben."),
        ],
        description="Leer lassen, um die manuelle Festlegung aufzuheben.",
    )
    reason = TextAreaField(
        "Begründung der Rangfestlegung",
        validators=[Length(max=2000, message="Höchstens 2000 Zeichen.")],
        render_kw={"rows": 2},
    )
    submit_override = SubmitField("Rang speichern")

    def validate_reason(self, field: Any) -> None:
        """A rank needs a reason."""
        if self.rank.data is not None and not (field.data or "").strip():
            raise ValidationError("Für eine manuelle Rangfestlegung ist eine Begründung nötig.")


class CriterionRowForm(SubForm):
    """One criterion in the criteria table (no CSRF of its own)."""

    criterion_id = HiddenField()
    name = StringField("Name", validators=[Length(max=120, message="Höchstens 120 Zeichen.")])
    description = TextAreaField(
        "Beschreibung", validators=[Length(max=2000)], render_kw={"rows": 2}
    )
    kind = SelectField(
        "Art",
        choices=[
            (CriterionKind.WEIGHTED.value, "gewichtet"),
            (CriterionKind.GATE.value, "Muss-Kriterium"),
        ],
    )
    weight = StringField("Gewicht in %")
    gate_field = SelectField(
        "Merkmal (Muss-Kriterium)",
        choices=[("", "–"), *GATE_FIELDS.items()],
        validate_choice=False,  # checked by services.scoring.update_criteria (German message)
    )
    is_active = BooleanField("aktiv")


class CriteriaForm(AppForm):
    """All criteria plus one empty row for a new one."""

    submit = SubmitField("Kriterien speichern")


def criteria_form_class(count: int) -> type[CriteriaForm]:
    """A criteria form with ``count`` existing rows and one row for a new criterion."""

    class _Form(CriteriaForm):
        new = FormField(CriterionRowForm, label="Neues Kriterium")

    for index in range(count):
        setattr(_Form, f"row_{index}", FormField(CriterionRowForm, label=f"Kriterium {index + 1}"))
    return _Form


class ScenarioForm(AppForm):
    """Cut-off scenario parameters (GET: the scenario is bookmarkable); one optional amount
    per pot is added by :func:`scenario_form`."""

    class Meta:
        csrf = False

    include_submitted = BooleanField(
        "Eingereichte, in Prüfung befindliche und zurückgestellte Maßnahmen einbeziehen"
    )
    submit = SubmitField("Szenario berechnen")

    #: (field name, budget part value, year) of the pot fields (set by ``scenario_form``).
    pots: list[tuple[str, str, int]] = []

    def pot_fields(self) -> list[tuple[str, int, Any]]:
        """(budget part value, year, field) for each pot."""
        return [(kind, year, self[name]) for name, kind, year in self.pots]

    def overrides(self) -> dict[tuple[str, int], Decimal | None]:
        """The amounts typed per pot (None: from the budget lines)."""
        result: dict[tuple[str, int], Decimal | None] = {}
        for kind, year, pot_field in self.pot_fields():
            text = (pot_field.data or "").strip()
            result[(kind, year)] = parse_amount(text) if text else None
        return result


def scenario_form(years: list[int], formdata: Any) -> ScenarioForm:
    """A :class:`ScenarioForm` with one optional "available" field per budget part and year."""

    class _Form(ScenarioForm):
        pass

    pots = []
    for kind, word in (("consumptive", "konsumtiv"), ("investive", "investiv")):
        for year in years:
            name = f"pot_{kind}_{year}"
            setattr(
                _Form,
                name,
                StringField(
                    f"Verfügbar {word} {year}",
                    validators=[_optional_amount],
                    render_kw={"inputmode": "decimal", "placeholder": "aus dem Haushalt"},
                ),
            )
            pots.append((name, kind, year))
    _Form.pots = pots
    return _Form(formdata)


def _optional_amount(form: Any, field: Any) -> None:
    """Empty, or a German money amount that is not negative."""
    text = (field.data or "").strip()
    if not text:
        return
    try:
        parse_amount(text)
    except NumberError as error:
        raise ValidationError(str(error)) from None


class SaveScenarioForm(AppForm):
    """Save the computed scenario under a name (its parameters travel as hidden fields)."""

    name = StringField(
        "Name des Szenarios",
        validators=[
            DataRequired("Bitte geben Sie dem Szenario einen Namen."),
            Length(max=120, message="Höchstens 120 Zeichen."),
        ],
    )
    include_submitted = HiddenField()
    #: The pot amounts set by hand, as ``consumptive:2026=1000.00;...``.
    overrides = HiddenField()
    submit_save = SubmitField("Szenario speichern")
