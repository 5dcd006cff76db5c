"""The coordinating office's publication form on a measure's detail page."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, SubmitField, TextAreaField
from wtforms.validators import Length

from steuerung.forms.base import AppForm
from steuerung.models import Measure
from steuerung.services.transparency.publication import Publication
from steuerung.services.transparency.rules import PUBLIC_DESCRIPTION_LIMIT


class PublicationForm(AppForm):
    """Publish a measure on the transparency page, name its owner, write the public text."""

    #: The measure's version the form was loaded with (optimistic locking).
    version_id = HiddenField()
    published = BooleanField("Auf der Transparenzseite veröffentlichen")
    public_show_owner = BooleanField(
        "Name der verantwortlichen Person öffentlich zeigen",
        description="Nur mit Einverständnis der Person.",
    )
    public_description = TextAreaField(
        "Öffentliche Kurzbeschreibung",
        validators=[
            Length(
                max=PUBLIC_DESCRIPTION_LIMIT,
                message=f"Höchstens {PUBLIC_DESCRIPTION_LIMIT} Zeichen.",
            )
        ],
        description=(
            "Nur dieser Text erscheint öffentlich; die interne Beschreibung wird nie "
            "veröffentlicht. Bitte ohne interne Anmerkungen und ohne Namen."
        ),
        render_kw={"rows": 4, "maxlength": PUBLIC_DESCRIPTION_LIMIT},
    )
    submit = SubmitField("Veröffentlichung speichern")

    @classmethod
    def for_measure(cls, measure: Measure) -> PublicationForm:
        """The form filled with the measure's current publication."""
        return cls(
            formdata=None,
            data={
                "version_id": measure.version_id,
                "published": measure.published,
                "public_show_owner": measure.public_show_owner,
                "public_description": measure.public_description,
            },
        )

    def publication(self) -> Publication:
        """The office's decision as the service takes it."""
        return Publication(
            published=bool(self.published.data),
            show_owner=bool(self.public_show_owner.data),
            description=self.public_description.data or "",
        )
