"""Review inbox: oldest submission first, workflow decisions, reasons, refused transitions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import csrf_token

from steuerung.models import MeasureStatus, StatusChange

S = MeasureStatus


@pytest.fixture()
def waiting(db, factory, users):
    dept = users["submitter"].department
    newer = factory.measure(
        dept, S.SUBMITTED, "Neuere Einreichung", submitted_at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    older = factory.measure(
        dept, S.UNDER_REVIEW, "Ältere Einreichung", submitted_at=datetime(2026, 1, 5, tzinfo=UTC)
    )
    factory.measure(dept, S.APPROVED, "Schon freigegeben")
    db.session.commit()
    return {"newer": newer, "older": older}


def _decide(client, measure, target, reason="", version=None):
    prefix = f"m{measure.id}"
    return client.post(
        f"/portfolio/inbox/{measure.id}/transition",
        data={
            "csrf_token": csrf_token(client, "/portfolio/inbox"),
            f"{prefix}-target": target,
            f"{prefix}-reason": reason,
            f"{prefix}-version_id": str(version if version is not None else measure.version_id),
        },
        follow_redirects=True,
    )


def test_inbox_lists_waiting_measures_oldest_first(waiting, login_as):
    html = login_as("coordinator").get("/portfolio/inbox").get_data(as_text=True)
    assert html.index("Ältere Einreichung") < html.index("Neuere Einreichung")
    assert "Schon freigegeben" not in html
    assert "Freigeben" in html and "Rückfrage stellen" in html and "Ablehnen" in html


@pytest.mark.parametrize("role", ["submitter", "leadership", "treasury"])
def test_inbox_only_for_the_office(waiting, login_as, role):
    assert login_as(role).get("/portfolio/inbox").status_code == 403


def test_approve(waiting, login_as, db):
    client = login_as("coordinator")
    html = _decide(client, waiting["older"], "approved").get_data(as_text=True)
    assert "Freigegeben" in html
    db.session.refresh(waiting["older"])
    assert waiting["older"].status == S.APPROVED
    assert db.session.query(StatusChange).filter_by(measure_id=waiting["older"].id).count() == 1


def test_reject_needs_reason_and_changes_nothing_without(waiting, login_as, db):
    client = login_as("coordinator")
    html = _decide(client, waiting["newer"], "rejected").get_data(as_text=True)
    assert "Begründung erforderlich" in html
    db.session.refresh(waiting["newer"])
    assert waiting["newer"].status == S.SUBMITTED
    html = _decide(client, waiting["newer"], "rejected", "Kein Bedarf").get_data(as_text=True)
    db.session.refresh(waiting["newer"])
    assert waiting["newer"].status == S.REJECTED
    change = db.session.query(StatusChange).filter_by(measure_id=waiting["newer"].id).one()
    assert change.reason == "Kein Bedarf"


def test_return_with_question(waiting, login_as, db):
    client = login_as("coordinator")
    _decide(client, waiting["newer"], "returned", "Bitte Kostenplan ergänzen")
    db.session.refresh(waiting["newer"])
    assert waiting["newer"].status == S.RETURNED


def test_transition_not_offered_is_refused(waiting, login_as, db):
    client = login_as("coordinator")
    html = _decide(client, waiting["newer"], "completed").get_data(as_text=True)
    assert "Not a valid choice" not in html
    assert "M-" in html and "alert-danger" in html
    db.session.refresh(waiting["newer"])
    assert waiting["newer"].status == S.SUBMITTED


def test_stale_version_is_refused(waiting, login_as, db):
    client = login_as("coordinator")
    html = _decide(client, waiting["newer"], "approved", version=999).get_data(as_text=True)
    assert "inzwischen von einer anderen Person geändert" in html
    db.session.refresh(waiting["newer"])
    assert waiting["newer"].status == S.SUBMITTED


def test_inbox_pages_through_many_waiting_measures(db, factory, users, login_as):
    """55 waiting measures: 50 on page 1 (oldest first), 5 on page 2, same query count."""
    from steuerung.services.portfolio.review import INBOX_PAGE_SIZE

    dept = users["submitter"].department
    for i in range(55):
        factory.measure(
            dept,
            S.SUBMITTED,
            f"Wartend {i:02d}",
            submitted_at=datetime(2026, 1, 1, tzinfo=UTC).replace(
                day=1 + i % 28, month=1 + i // 28
            ),
        )
    db.session.commit()
    client = login_as("coordinator")
    first = client.get("/portfolio/inbox")
    second = client.get("/portfolio/inbox?page=2")
    first_html, second_html = first.get_data(as_text=True), second.get_data(as_text=True)
    shown_first = [i for i in range(55) if f"Wartend {i:02d}<" in first_html]
    shown_second = [i for i in range(55) if f"Wartend {i:02d}<" in second_html]
    assert len(shown_first) == INBOX_PAGE_SIZE == 50 and len(shown_second) == 5
    assert set(shown_first) | set(shown_second) == set(range(55))
    # the five latest submissions (23 to 27 February) come last
    assert shown_second == [50, 51, 52, 53, 54]
    assert "55 Maßnahmen warten auf eine Entscheidung, Seite 1 von 2" in first_html
    assert 'aria-current="page">2<' in second_html
    assert first.headers["X-Query-Count"] == second.headers["X-Query-Count"]
    bad = client.get("/portfolio/inbox?page=9").get_data(as_text=True)
    assert "Ungültige Seitenzahl „9“: es wird Seite 1 gezeigt." in bad
