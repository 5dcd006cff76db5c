"""What the public transparency page shows, and who decides it.

* The page exists only while the Kommune's switch (``Settings.transparency_enabled``, set by
  the administration) is on; otherwise every public address answers 404.
* A measure appears when the coordinating office published it (``Measure.published``) AND it
  is approved, in progress or completed (:data:`PUBLISHABLE_STATUSES`). Completed measures
  stay on the page: the public sees what was achieved, not only what is under way. A
  published measure that is later deferred or cancelled disappears at once (its flag stays,
  so the office sees it was published); drafts, submissions and rejected measures never
  appear.
* Of a published measure the page shows: number, title, the public short description (never
  the internal description), category, department, status, period, progress, planned cost
  per year of the planning horizon and the goals of the adopted agenda it serves; the owner's
  name only when the office allowed it and the owner's account is active. Nothing else: no
  reasons, questions, answers, status report texts, traffic lights, scores, change requests,
  budget lines, funding details, key figures, milestones or users.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_

from steuerung.models import Measure, MeasureStatus, Settings, User
from steuerung.models.settings import DEFAULT_LICENCE_NAME, DEFAULT_LICENCE_URL
from steuerung.services.measures.rules import is_office

S = MeasureStatus

#: States in which a published measure appears on the public page.
PUBLISHABLE_STATUSES: tuple[MeasureStatus, ...] = (S.IN_PROGRESS, S.APPROVED, S.COMPLETED)
#: Longest public short description (characters).
PUBLIC_DESCRIPTION_LIMIT = 2000


def may_publish(user: User) -> bool:
    """Only the coordinating office publishes measures (and withdraws them)."""
    return is_office(user)


def page_is_public(settings: Settings) -> bool:
    """The Kommune switched the public page on."""
    return bool(settings.transparency_enabled)


def status_is_publishable(status: MeasureStatus) -> bool:
    """A measure in this state may be published (and appears if it is)."""
    return status in PUBLISHABLE_STATUSES


def appears_publicly(measure: Measure, settings: Settings) -> bool:
    """The measure is on the public page now."""
    return (
        page_is_public(settings)
        and bool(measure.published)
        and status_is_publishable(measure.status)
    )


def published_clause() -> ColumnElement[bool]:
    """SQL form of :func:`appears_publicly` (without the Kommune's switch)."""
    return and_(Measure.published.is_(True), Measure.status.in_(PUBLISHABLE_STATUSES))


def shows_owner(measure: Measure) -> bool:
    """The page names the owner: allowed by the office and the owner's account is active
    (a person who left is never named)."""
    owner = measure.owner
    return bool(measure.public_show_owner) and owner is not None and owner.is_active_user


def public_progress(status: MeasureStatus, reported: int | None) -> int | None:
    """Progress in percent shown to the public: a completed measure is complete (100),
    otherwise the progress of its latest status report (None without one)."""
    if status == S.COMPLETED:
        return 100
    return reported


def publisher(settings: Settings) -> str:
    """Who publishes the data (source note): the configured publisher or the Kommune."""
    return (settings.transparency_publisher or "").strip() or settings.kommune_name


def licence(settings: Settings) -> tuple[str, str]:
    """Name and address of the open data licence (the default licence if none is set)."""
    name = (settings.transparency_licence_name or "").strip()
    url = (settings.transparency_licence_url or "").strip()
    if not name:
        return DEFAULT_LICENCE_NAME, DEFAULT_LICENCE_URL
    return name, url


@dataclass(frozen=True)
class PublicationState:
    """What a measure's detail page says about its publication."""

    #: One German sentence: is it public, and if not, why.
    text: str
    #: The measure is on the public page now (the page links to it).
    visible: bool


def publication_state(measure: Measure, settings: Settings) -> PublicationState:
    """Whether the measure is on the public page, in one sentence for its detail page."""
    if not measure.published:
        return PublicationState("Nicht auf der Transparenzseite veröffentlicht.", False)
    if not status_is_publishable(measure.status):
        return PublicationState(
            "Zur Veröffentlichung freigegeben, aber im Status "
            f"„{measure.status.label}“ nicht auf der Transparenzseite sichtbar.",
            False,
        )
    if not page_is_public(settings):
        return PublicationState(
            "Zur Veröffentlichung freigegeben; die Transparenzseite ist derzeit ausgeschaltet "
            "(Einstellung der Administration).",
            False,
        )
    return PublicationState("Auf der Transparenzseite veröffentlicht.", True)
