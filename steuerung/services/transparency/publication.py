"""The coordinating office publishes a measure on the transparency page or withdraws it.

The change is an ordinary update of the measure: the audit hook records it, the measure's
version rises (a form based on an older version is refused), and the page shows the new state
with the next request (its validator is the data generation, which the commit raises).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from steuerung.extensions import db
from steuerung.models import Measure, User
from steuerung.services.common.errors import PermissionDenied, ValidationFailed
from steuerung.services.measures.editing import check_version
from steuerung.services.transparency import rules

#: Someone changed the measure after the publication form was loaded.
STALE_PUBLICATION = (
    "Die Maßnahme wurde inzwischen von einer anderen Person geändert. Die Veröffentlichung "
    "wurde nicht geändert; Ihre Eingabe steht noch im Formular. Bitte prüfen Sie den "
    "aktuellen Stand und speichern Sie erneut."
)


@dataclass(frozen=True)
class Publication:
    """What the office decided for one measure."""

    published: bool
    show_owner: bool
    description: str


def set_publication(
    measure: Measure, publication: Publication, expected_version: Any, by: User
) -> Measure:
    """Publish, change or withdraw ``measure`` on the public page; flushes.

    Refused: other users than the office, a form based on an older version, publishing a
    measure that is not approved, running or completed, a description over the limit.
    Withdrawing is always possible.
    """
    if not rules.may_publish(by):
        raise PermissionDenied("Nur die Koordinationsstelle veröffentlicht Maßnahmen.")
    check_version(measure, expected_version, STALE_PUBLICATION)
    description = (publication.description or "").replace("\r\n", "\n").strip()
    if len(description) > rules.PUBLIC_DESCRIPTION_LIMIT:
        raise ValidationFailed(
            f"Die öffentliche Kurzbeschreibung darf höchstens "
            f"{rules.PUBLIC_DESCRIPTION_LIMIT} Zeichen lang sein.",
            "public_description",
        )
    if (
        publication.published
        and not measure.published
        and not rules.status_is_publishable(measure.status)
    ):
        raise ValidationFailed(
            "Veröffentlichen lassen sich nur freigegebene, laufende und abgeschlossene "
            f"Maßnahmen; diese ist im Status „{measure.status.label}“.",
            "published",
        )
    measure.published = publication.published
    measure.public_show_owner = publication.show_owner
    measure.public_description = description
    db.session.flush()
    return measure
