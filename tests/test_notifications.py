"""E-mail reminders and the weekly digest, delivered to a real SMTP server (aiosmtpd).

The clock is frozen by passing ``now`` to ``send_due_notifications``. Every test checks
what arrived at the server: recipient, subject, link and content.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from conftest import post_form
from mail_helpers import Hold, MailServer, make_certificates
from measures_helpers import logout
from sqlalchemy import select

from steuerung.models import (
    Measure,
    MeasureStatus,
    NotificationLog,
    NotificationStatus,
    Role,
    Settings,
    StatusReport,
    TrafficLight,
    User,
)
from steuerung.services.dashboard.data import DashboardFilters, tiles
from steuerung.services.measures.reports import add_status_report, is_overdue, next_report_due
from steuerung.services.notifications import send_due_notifications

S = MeasureStatus
#: Monday, 30 November 2026, 07:00 in Lindenfeld (ISO week 49).
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
TODAY = date(2026, 11, 30)
BASE = "https://steuerung.lindenfeld.example"
SENDER = "steuerung@lindenfeld.example"


def _configure(monkeypatch: pytest.MonkeyPatch, app: Any, server: MailServer, **more: Any) -> None:
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port, "SMTP_SECURITY": "none"}
    for key, value in {**settings, **more}.items():
        monkeypatch.setitem(app.config, key, value)


@pytest.fixture()
def mail_server(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailServer]:
    """A plain SMTP server on loopback, configured as the app's mail server."""
    server = MailServer().start()
    _configure(monkeypatch, app, server)
    yield server
    server.stop()


@pytest.fixture()
def people(users: dict[str, User], db: Any) -> dict[str, User]:
    """The fixture users with addresses on the demo domain."""
    for user in users.values():
        user.email = f"{user.username}@lindenfeld.example"
    db.session.commit()
    return users


def _log_rows(db: Any) -> list[NotificationLog]:
    db.session.expire_all()
    return list(db.session.scalars(select(NotificationLog).order_by(NotificationLog.id)))


def _kinds(mails: list[Any]) -> list[str]:
    return sorted(m.subject for m in mails)


# --------------------------------------------------------------------------- status reports


def test_report_due_and_overdue_reach_the_owner_once_with_the_right_link(
    db, factory, people, mail_server
):
    owner, other = people["submitter"], people["other_submitter"]
    dept = owner.department
    # Default interval 91 days: last report 81 days ago -> due in 10 days (10.12.2026).
    soon = factory.measure(
        dept, S.IN_PROGRESS, title="Digitale Bauakte", owner=owner,
        start_date=date(2026, 1, 1), last_report_on=TODAY - timedelta(days=81),
    )  # fmt: skip
    # Last report 100 days ago -> was due on 21.11.2026.
    late = factory.measure(
        dept, S.APPROVED, title="E-Akte im Bürgerbüro", owner=owner,
        start_date=date(2026, 1, 1), last_report_on=TODAY - timedelta(days=100),
    )  # fmt: skip
    fresh = factory.measure(
        dept, S.IN_PROGRESS, title="WLAN Rathaus", owner=owner,
        last_report_on=TODAY - timedelta(days=30),
    )  # fmt: skip
    factory.measure(dept, S.DRAFT, owner=owner)
    never = factory.measure(other.department, S.IN_PROGRESS, title="Ratsinfo", owner=other)
    factory.measure(dept, S.IN_PROGRESS, last_report_on=TODAY - timedelta(days=100))  # no owner
    db.session.commit()

    result = send_due_notifications(NOW)

    assert result.ok, result.errors
    assert dict(result.sent_by_kind) == {"report_due": 1, "report_overdue": 2, "digest": 1}
    mine = mail_server.to(owner.email)
    assert _kinds(mine) == [
        f"Statusbericht fällig am 10.12.2026: {soon.reference} Digitale Bauakte",
        f"Statusbericht überfällig: {late.reference} E-Akte im Bürgerbüro",
    ]
    due_mail = next(m for m in mine if "fällig am" in m.subject)
    assert due_mail.rcpt_tos == [owner.email]
    assert due_mail.mail_from == SENDER
    assert str(due_mail.message["To"]) == f"{owner.full_name} <{owner.email}>"
    assert due_mail.message["Auto-Submitted"] == "auto-generated"
    link = f"{BASE}/massnahmen/{soon.id}?tab=berichte"
    assert f"Guten Tag {owner.full_name}," in due_mail.text
    assert "am 10.12.2026 fällig (in 10 Tagen)" in due_mail.text
    assert link in due_mail.text.split()
    assert f'href="{link}"' in due_mail.html
    assert f"{BASE}/konto/" in due_mail.text
    late_mail = next(m for m in mine if "überfällig" in m.subject)
    assert "fällig am 21.11.2026" in late_mail.text
    assert f"{BASE}/massnahmen/{late.id}?tab=berichte" in late_mail.text.split()
    never_mail = mail_server.to(other.email)
    assert _kinds(never_mail) == [f"Statusbericht überfällig: {never.reference} Ratsinfo"]
    assert "Letzter Statusbericht: noch keiner" in never_mail[0].text
    assert mail_server.to(people["coordinator"].email)[0].subject.startswith("Wochenübersicht")
    assert len(mail_server.received) == 4

    assert db.session().expire_on_commit  # the caller's session is as it was

    # The same run again, and on the next days: nothing twice.
    assert send_due_notifications(NOW).sent == 0
    assert send_due_notifications(NOW + timedelta(days=1)).sent == 0
    assert len(mail_server.received) == 4
    assert {row.status for row in _log_rows(db)} == {NotificationStatus.SENT}

    # A new report starts a new cycle: later its "due soon" comes once more; the other
    # two measures are overdue by then.
    add_status_report(
        late,
        {"reported_on": TODAY + timedelta(days=1), "schedule_light": "green",
         "cost_light": "green", "scope_light": "green", "progress_percent": 20},
        by=owner,
    )  # fmt: skip
    db.session.commit()
    later = datetime(2027, 2, 16, 6, 0, tzinfo=UTC)  # 14 days before 02.03.2027
    result = send_due_notifications(later)
    new_for_owner = mail_server.to(owner.email)[2:]
    assert _kinds(new_for_owner) == sorted(
        [
            f"Statusbericht fällig am 02.03.2027: {late.reference} E-Akte im Bürgerbüro",
            f"Statusbericht überfällig: {fresh.reference} WLAN Rathaus",
            f"Statusbericht überfällig: {soon.reference} Digitale Bauakte",
        ]
    )
    assert len(mail_server.to(other.email)) == 1
    assert send_due_notifications(later + timedelta(hours=1)).sent == 0


# --------------------------------------------------------------------------- status changes


def _transition(client: Any, measure: Any, target: str, reason: str = "") -> None:
    response = post_form(
        client,
        f"/massnahmen/{measure.id}/status",
        {"target": target, "reason": reason},
        token_from=f"/massnahmen/{measure.id}",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def test_question_and_decisions_reach_the_owner_once_with_reason_and_link(
    client, login_as, db, factory, people, mail_server
):
    owner, coordinator = people["submitter"], people["coordinator"]
    coordinator.notify_digest = False
    dept = owner.department
    later_start = {"start_date": date.today() + timedelta(days=60)}
    goal = factory.agenda().action_fields[0].goals[0]
    line = factory.budget_line(dept, amounts={2026: "1000.00"})
    asked = factory.measure(
        dept,
        S.SUBMITTED,
        title="Kita-Anmeldung online",
        owner=owner,
        goals=[goal],
        costs=[(line, 2026, "500.00")],
        start_date=date(2026, 3, 1),
        end_date=date(2026, 12, 31),
    )  # complete: the department can resubmit it after answering
    approved = factory.measure(
        dept, S.SUBMITTED, title="Digitale Sitzungsverwaltung", owner=owner, **later_start
    )
    rejected = factory.measure(dept, S.UNDER_REVIEW, title="Chatbot Bürgerbüro", owner=owner)
    own = factory.measure(
        coordinator.department, S.SUBMITTED, owner=coordinator, **later_start
    )  # decided by its own owner: no mail
    db.session.commit()

    login_as("coordinator")
    question = "Bitte ergänzen Sie die Folgekosten ab 2027.\nWer betreibt das Portal?"
    _transition(client, asked, "returned", question)
    _transition(client, approved, "approved")
    _transition(client, rejected, "rejected", "Kein Beitrag zu den Zielen der Agenda.")
    _transition(client, own, "approved")

    now = datetime.now(UTC) + timedelta(minutes=1)
    result = send_due_notifications(now)

    assert result.ok, result.errors
    assert dict(result.sent_by_kind) == {"returned": 1, "decision": 2}
    mails = mail_server.to(owner.email)
    assert _kinds(mails) == sorted(
        [
            f"Rückfrage zu {asked.reference} Kita-Anmeldung online",
            f"{approved.reference} Digitale Sitzungsverwaltung: Freigegeben",
            f"{rejected.reference} Chatbot Bürgerbüro: Abgelehnt",
        ]
    )
    by_subject = {m.subject: m for m in mails}
    returned = by_subject[f"Rückfrage zu {asked.reference} Kita-Anmeldung online"]
    assert question in returned.text
    assert "Wer betreibt das Portal?" in returned.html
    assert coordinator.full_name in returned.text
    assert f"{BASE}/massnahmen/{asked.id}" in returned.text.split()
    assert f'href="{BASE}/massnahmen/{asked.id}"' in returned.html
    refusal = by_subject[f"{rejected.reference} Chatbot Bürgerbüro: Abgelehnt"]
    assert "Begründung:\nKein Beitrag zu den Zielen der Agenda." in refusal.text
    approval = by_subject[f"{approved.reference} Digitale Sitzungsverwaltung: Freigegeben"]
    assert "Begründung" not in approval.text
    assert mail_server.to(coordinator.email) == []

    # The department answers and resubmits: no new mail; a new decision: one new mail.
    logout(client)
    login_as("submitter")
    _transition(client, asked, "submitted")
    logout(client)
    login_as("coordinator")
    _transition(client, approved, "deferred", "Haushaltssperre bis zum Nachtrag.")
    result = send_due_notifications(now + timedelta(minutes=5))
    assert dict(result.sent_by_kind) == {"decision": 1}
    newest = mail_server.to(owner.email)[-1]
    assert newest.subject == f"{approved.reference} Digitale Sitzungsverwaltung: Zurückgestellt"
    assert "Haushaltssperre bis zum Nachtrag." in newest.text
    assert send_due_notifications(now + timedelta(days=2)).sent == 0
    assert len(mail_server.to(owner.email)) == 4


# --------------------------------------------------------------------------- opt-out


def test_opt_out_on_my_account_is_respected_and_can_be_undone(
    client, login_as, db, factory, people, mail_server
):
    owner = people["submitter"]
    late = factory.measure(
        owner.department, S.IN_PROGRESS, title="Schul-WLAN", owner=owner,
        last_report_on=TODAY - timedelta(days=100),
    )  # fmt: skip
    db.session.commit()

    login_as("submitter")
    page = client.get("/konto/").get_data(as_text=True)
    assert 'name="notify_reminders"' in page and "checked" in page
    assert 'name="notify_digest"' not in page  # the digest is for the coordinating office
    response = post_form(client, "/konto/", {})  # box unticked
    assert response.status_code == 302
    assert "gespeichert" in client.get("/konto/").get_data(as_text=True)
    db.session.expire_all()
    assert owner.notify_reminders is False

    result = send_due_notifications(NOW)
    assert mail_server.to(owner.email) == []
    assert result.opted_out == 1
    assert [r.kind for r in _log_rows(db)] == ["digest"]

    post_form(client, "/konto/", {"notify_reminders": "y"})
    result = send_due_notifications(NOW + timedelta(hours=1))
    assert _kinds(mail_server.to(owner.email)) == [
        f"Statusbericht überfällig: {late.reference} Schul-WLAN"
    ]
    page = client.get("/konto/").get_data(as_text=True)
    assert "Statusbericht überfällig" in page and "gesendet" in page


def test_coordinator_switches_the_digest_off(client, login_as, db, factory, people, mail_server):
    lotse = factory.user(Role.COORDINATOR, people["coordinator"].department, username="lotse")
    lotse.email = "lotse@lindenfeld.example"
    db.session.commit()
    login_as("coordinator")
    page = client.get("/konto/").get_data(as_text=True)
    assert 'name="notify_digest"' in page
    assert post_form(client, "/konto/", {"notify_reminders": "y"}).status_code == 302

    send_due_notifications(NOW)

    assert mail_server.to(people["coordinator"].email) == []
    assert [m.subject[:15] for m in mail_server.to(lotse.email)] == ["Wochenübersicht"]
    db.session.expire_all()
    assert people["coordinator"].notify_reminders is True


# --------------------------------------------------------------------------- digest


def test_weekly_digest_content_for_the_coordinating_office(db, factory, people, mail_server):
    owner, coordinator = people["submitter"], people["coordinator"]
    dept = owner.department
    inactive = factory.user(Role.SUBMITTER, dept, username="ehemalig")
    inactive.is_active_user = False
    future = TODAY + timedelta(days=30)
    reviewed = factory.measure(dept, S.UNDER_REVIEW, owner=owner, start_date=future)
    reviewed.submitted_at = NOW - timedelta(days=40)
    waiting = [reviewed]
    for i in range(11):
        days_ago = i + 1 if i < 3 else 20 + i  # three new this week
        measure = factory.measure(dept, S.SUBMITTED, owner=owner, start_date=future)
        measure.submitted_at = NOW - timedelta(days=days_ago)
        waiting.append(measure)
    overdue_a = factory.measure(
        dept, S.IN_PROGRESS, title="Open-Data-Portal", owner=owner,
        last_report_on=TODAY - timedelta(days=100),
    )  # fmt: skip
    overdue_b = factory.measure(
        dept, S.APPROVED, title="Digitale Schulanmeldung", owner=owner,
        start_date=TODAY - timedelta(days=200),
    )  # fmt: skip
    red = factory.measure(
        dept, S.IN_PROGRESS, title="Sensoren <Parkplätze> & Verkehr", owner=owner,
        last_report_on=TODAY - timedelta(days=10),
    )  # fmt: skip
    red.status_reports.append(_report(TODAY - timedelta(days=10), TrafficLight.RED, 35))
    done = factory.measure(dept, S.COMPLETED, owner=owner, last_report_on=TODAY)
    done.status_reports.append(_report(TODAY, TrafficLight.RED, 100))  # closed: not listed
    orphan = factory.measure(dept, S.DRAFT, title="Bürgerkonto")
    abandoned = factory.measure(
        dept, S.APPROVED, title="Smarte Beleuchtung", owner=inactive, start_date=future
    )
    factory.measure(dept, S.REJECTED, title="Abgelehnt ohne Person")  # closed: not listed
    db.session.commit()

    result = send_due_notifications(NOW)

    assert result.ok, result.errors
    assert result.sent_by_kind["digest"] == 1
    (digest,) = [m for m in mail_server.received if m.subject.startswith("Wochenübersicht")]
    assert digest.rcpt_tos == [coordinator.email]
    assert digest.subject == (
        "Wochenübersicht KW 49/2026: wartende Einreichungen 12, überfällige Berichte 2, "
        "rote Ampeln 1, ohne Verantwortliche 2"
    )
    # The same numbers as the dashboard's tiles.
    board = tiles(DashboardFilters(), coordinator, today=TODAY)
    assert (board.overdue_reports, board.red_lights, board.without_owner) == (2, 1, 2)

    text = digest.text
    waiting_line = (
        "Eingereichte Maßnahmen warten auf Prüfung: 12 (davon 3 neu in den letzten 7 Tagen)"
    )
    assert waiting_line in text
    oldest_first = sorted(waiting, key=lambda m: m.submitted_at)
    listed = [m.reference for m in oldest_first[:10]]
    positions = [text.index(f"- {ref} ") for ref in listed]
    assert positions == sorted(positions)
    assert all(f"- {m.reference} " not in text for m in oldest_first[10:])
    assert "… und 2 weitere" in text
    assert f"Alle ansehen: {BASE}/portfolio/inbox" in text
    assert f"eingereicht am {(NOW - timedelta(days=40)).strftime('%d.%m.%Y')}" in text

    assert "Überfällige Statusberichte: 2" in text
    assert f"- {overdue_b.reference} Digitale Schulanmeldung" in text
    assert "noch kein Bericht" in text
    assert f"- {overdue_a.reference} Open-Data-Portal" in text
    assert f"letzter Bericht {(TODAY - timedelta(days=100)).strftime('%d.%m.%Y')}" in text

    assert "Rote Ampel im letzten Statusbericht: 1" in text
    assert f"- {red.reference} Sensoren <Parkplätze> & Verkehr" in text
    assert f"{BASE}/massnahmen/{red.id}" in text.split()
    assert done.reference not in text
    assert f"{BASE}/portfolio/register?light=red&status=approved&status=in_progress" in text

    assert "Offene Maßnahmen ohne aktive/n Verantwortliche/n: 2" in text
    assert f"- {orphan.reference} Bürgerkonto" in text
    assert f"- {abandoned.reference} Smarte Beleuchtung" in text
    assert f"Dashboard: {BASE}/dashboard/" in text

    html = digest.html
    assert "Sensoren &lt;Parkplätze&gt; &amp; Verkehr" in html
    assert f'href="{BASE}/massnahmen/{red.id}"' in html
    assert f'href="{BASE}/portfolio/hygiene"' in html
    assert "… und 2 weitere" in html

    # Once per ISO week: not again on Wednesday, again next Monday.
    assert send_due_notifications(NOW + timedelta(days=2)).sent_by_kind["digest"] == 0
    assert send_due_notifications(NOW + timedelta(days=7)).sent_by_kind["digest"] == 1
    assert mail_server.to(coordinator.email)[-1].subject.startswith("Wochenübersicht KW 50/2026")


def _report(on: date, cost: TrafficLight, progress: int) -> StatusReport:
    return StatusReport(
        reported_on=on,
        schedule_light=TrafficLight.GREEN,
        cost_light=cost,
        scope_light=TrafficLight.GREEN,
        progress_percent=progress,
    )


def test_digest_waits_for_the_configured_weekday(app, db, people, mail_server, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_DIGEST_WEEKDAY", 2)  # Wednesday
    assert send_due_notifications(NOW).sent == 0  # Monday
    assert send_due_notifications(NOW + timedelta(days=2)).sent_by_kind["digest"] == 1
    assert send_due_notifications(NOW + timedelta(days=3)).sent == 0


# --------------------------------------------------------------------------- failures


def test_smtp_down_breaks_no_page_and_the_reminder_follows_on_the_next_run(
    client, login_as, db, factory, people, mail_server
):
    owner = people["submitter"]
    people["coordinator"].notify_digest = False
    measure = factory.measure(
        owner.department, S.SUBMITTED, title="Hundesteuer online", owner=owner
    )
    db.session.commit()
    mail_server.stop()

    login_as("coordinator")
    _transition(client, measure, "returned", "Welche Zahlungsarten sind geplant?")
    page = client.get(f"/massnahmen/{measure.id}")
    assert page.status_code == 200 and "Welche Zahlungsarten sind geplant?" in page.get_data(
        as_text=True
    )

    now = datetime.now(UTC) + timedelta(minutes=1)
    result = send_due_notifications(now)
    assert not result.ok and result.sent == 0
    assert "nicht erreichbar" in result.errors[0]
    assert _log_rows(db) == []  # nothing claimed: the next run owes it all

    mail_server.start()
    result = send_due_notifications(now + timedelta(minutes=10))
    assert result.ok and result.sent == 1
    (mail,) = mail_server.to(owner.email)
    assert mail.subject == f"Rückfrage zu {measure.reference} Hundesteuer online"
    assert "Welche Zahlungsarten sind geplant?" in mail.text
    assert send_due_notifications(now + timedelta(minutes=20)).sent == 0


def test_refused_mail_is_retried_until_sent_then_never_again(
    app, db, factory, people, mail_server, monkeypatch
):
    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 3)
    owner, other = people["submitter"], people["other_submitter"]
    people["coordinator"].notify_digest = False
    old = {"last_report_on": TODAY - timedelta(days=100)}
    factory.measure(owner.department, S.IN_PROGRESS, owner=owner, **old)
    factory.measure(other.department, S.IN_PROGRESS, owner=other, **old)
    db.session.commit()
    mail_server.refused.update({owner.email, other.email})

    for hour in range(2):
        result = send_due_notifications(NOW + timedelta(hours=hour))
        assert (result.sent, result.failed) == (0, 2), result
        assert "550" in result.errors[0]
    rows = _log_rows(db)
    assert [(r.status, r.attempts) for r in rows] == [(NotificationStatus.FAILED, 2)] * 2
    assert "550" in rows[0].last_error

    mail_server.refused.discard(owner.email)
    result = send_due_notifications(NOW + timedelta(hours=2))
    assert (result.sent, result.failed) == (1, 1)
    assert len(mail_server.to(owner.email)) == 1
    # Sent: never again. Failed three times: given up (no fourth attempt).
    mail_server.refused.clear()
    result = send_due_notifications(NOW + timedelta(hours=3))
    assert (result.sent, result.failed, result.already_handled) == (0, 0, 2)
    assert len(mail_server.received) == 1
    by_user = {r.user_id: (r.status, r.attempts) for r in _log_rows(db)}
    assert by_user == {
        owner.id: (NotificationStatus.SENT, 3),
        other.id: (NotificationStatus.FAILED, 3),
    }


def test_a_claim_of_another_run_is_respected_until_it_is_stale(db, factory, people, mail_server):
    owner = people["submitter"]
    people["coordinator"].notify_digest = False
    measure = factory.measure(
        owner.department, S.IN_PROGRESS, owner=owner, last_report_on=TODAY - timedelta(days=100)
    )
    db.session.add(
        NotificationLog(
            kind="report_overdue", user_id=owner.id, object_type="measure",
            object_id=measure.id, occasion=f"nach-bericht-{measure.last_report_on.isoformat()}",
            claim_token="anderer-lauf", claimed_at=NOW,
        )
    )  # fmt: skip
    db.session.commit()

    result = send_due_notifications(NOW + timedelta(minutes=5))
    assert (result.sent, result.already_handled) == (0, 1)
    # The other run died while sending: after the claim timeout (60 min) it is taken over.
    result = send_due_notifications(NOW + timedelta(minutes=61))
    assert result.sent == 1
    assert len(mail_server.to(owner.email)) == 1


def test_concurrent_runs_send_each_reminder_once(
    app, db, factory, people, mail_server, monkeypatch
):
    # The first run waits on its held message while the second runs: no client timeout.
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT_SECONDS", 120)
    owner, other = people["submitter"], people["other_submitter"]
    old = {"last_report_on": TODAY - timedelta(days=100)}
    for _ in range(3):
        factory.measure(owner.department, S.IN_PROGRESS, owner=owner, **old)
    factory.measure(other.department, S.IN_PROGRESS, owner=other, **old)
    db.session.commit()  # 4 overdue reminders + 1 digest
    hold = mail_server.hold_first = Hold()
    outcome: dict[str, Any] = {}

    def first_run() -> None:
        with app.app_context():
            try:
                outcome["first"] = send_due_notifications(NOW)
            except Exception as error:  # reported to the test below
                outcome["error"] = error

    thread = threading.Thread(target=first_run)
    thread.start()
    try:
        # The first run has claimed its first reminder and is in the middle of sending it.
        assert hold.arrived.wait(30)
        outcome["second"] = send_due_notifications(NOW)
    finally:
        hold.release.set()
        thread.join(30)
    assert "error" not in outcome, outcome.get("error")
    first, second = outcome["first"], outcome["second"]
    assert first.sent + second.sent == 5
    assert (first.sent, second.already_handled) == (1, 1)
    keys = [(tuple(m.rcpt_tos), m.subject) for m in mail_server.received]
    assert len(keys) == len(set(keys)) == 5
    assert {r.status for r in _log_rows(db)} == {NotificationStatus.SENT}


# --------------------------------------------------------------------------- TLS and AUTH


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    """A CA and a certificate for 127.0.0.1, made for this test run."""
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_with_a_self_signed_certificate_and_auth(
    app, db, factory, people, certificates, monkeypatch, security
):
    context, ca_file = certificates
    credentials = ("steuerung", "smtp-passwort-aus-der-umgebung")
    server = MailServer(tls=security, credentials=credentials, server_context=context).start()
    try:
        owner = people["submitter"]
        people["coordinator"].notify_digest = False
        factory.measure(
            owner.department, S.IN_PROGRESS, owner=owner, last_report_on=TODAY - timedelta(days=100)
        )
        db.session.commit()
        login = {"SMTP_USERNAME": credentials[0], "SMTP_PASSWORD": credentials[1]}

        # The certificate is verified: without our CA the server is not trusted.
        _configure(monkeypatch, app, server, SMTP_SECURITY=security, **login)
        result = send_due_notifications(NOW)
        assert "CERTIFICATE_VERIFY_FAILED" in result.errors[0] and result.sent == 0

        _configure(
            monkeypatch, app, server, SMTP_SECURITY=security, SMTP_CA_FILE=ca_file,
            SMTP_USERNAME=credentials[0], SMTP_PASSWORD="falsch",
        )  # fmt: skip
        result = send_due_notifications(NOW)
        assert result.errors == [
            "Anmeldung am Mailserver fehlgeschlagen (SMTP_USERNAME / SMTP_PASSWORD prüfen)."
        ]
        assert _log_rows(db) == []

        _configure(monkeypatch, app, server, SMTP_SECURITY=security, SMTP_CA_FILE=ca_file, **login)
        result = send_due_notifications(NOW)
        assert result.ok and result.sent == 1
        (mail,) = server.received
        assert mail.tls and mail.authenticated_as == "steuerung"
        assert mail.rcpt_tos == [owner.email]
    finally:
        server.stop()


# --------------------------------------------------------------------------- configuration, CLI


def test_missing_configuration_gives_a_german_message_and_claims_nothing(
    app, db, factory, people, monkeypatch
):
    owner = people["submitter"]
    factory.measure(
        owner.department, S.IN_PROGRESS, owner=owner, last_report_on=TODAY - timedelta(days=100)
    )
    db.session.commit()
    result = send_due_notifications(NOW)
    assert result.errors == ["E-Mail-Versand ist nicht eingerichtet: SMTP_HOST fehlt."]
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "")
    assert "PUBLIC_BASE_URL" in send_due_notifications(NOW).errors[0]
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)
    monkeypatch.setitem(app.config, "SMTP_SECURITY", "tls")
    assert "SMTP_SECURITY „tls“ ist unbekannt" in send_due_notifications(NOW).errors[0]
    assert _log_rows(db) == []
    with pytest.raises(ValueError):
        send_due_notifications(datetime(2026, 11, 30, 7, 0))


def test_cli_notify_run_and_test(app, db, factory, people, mail_server):
    owner = people["submitter"]
    people["coordinator"].notify_digest = False
    factory.measure(
        owner.department, S.IN_PROGRESS, owner=owner, last_report_on=TODAY - timedelta(days=100)
    )
    db.session.commit()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["notify", "run", "--now", "2026-11-30T07:00"])
    assert result.exit_code == 0, result.output
    assert "1 E-Mail(s) gesendet, 0 fehlgeschlagen" in result.output
    again = runner.invoke(args=["notify", "run", "--now", "2026-11-30T07:05"])
    assert again.exit_code == 0 and "0 E-Mail(s) gesendet" in again.output
    assert len(mail_server.received) == 1

    bad = runner.invoke(args=["notify", "run", "--now", "gestern"])
    assert bad.exit_code != 0 and "kein Zeitpunkt" in bad.output

    test = runner.invoke(args=["notify", "test", "it@lindenfeld.example"])
    assert test.exit_code == 0, test.output
    assert mail_server.to("it@lindenfeld.example")[0].subject.startswith("Steuerung: Test")

    mail_server.stop()
    down = runner.invoke(args=["notify", "test", "it@lindenfeld.example"])
    assert down.exit_code != 0 and "nicht erreichbar" in down.output


def test_cli_notify_run_fails_visibly_without_mail_server(app, db):
    result = app.test_cli_runner().invoke(args=["notify", "run"])
    assert result.exit_code == 1
    assert "SMTP_HOST fehlt" in result.output


# --------------------------------------------------------------------------- Mein Konto


def test_my_account_page_needs_login_csrf_and_is_linked_in_the_user_menu(client, login_as, db):
    assert client.get("/konto/").status_code == 302
    login_as("treasury")
    start = client.get("/").get_data(as_text=True)
    assert 'href="/konto/">Mein Konto</a>' in start
    page = client.get("/konto/").get_data(as_text=True)
    assert "<h1" in page and "Mein Konto" in page
    assert '<label class="form-check-label" for="notify_reminders">' in page
    assert "keine E-Mail-Adresse hinterlegt" in page
    assert client.post("/konto/", data={"notify_reminders": ""}).status_code == 400


# --------------------------------------------------------------------------- demo Kommune


def test_demo_kommune_reminders_go_to_the_owners_addresses(db, mail_server):
    from seed.demo import load_demo

    assert load_demo() is True
    db.session.commit()
    demo_users = db.session.scalars(select(User)).all()
    assert all(u.email == f"{u.username}@lindenfeld.example" for u in demo_users)

    result = send_due_notifications(NOW)
    assert result.ok, result.errors

    # Expected with the Python twins of the rules, measure by measure.
    settings = db.session.get(Settings, 1)
    overdue, due_soon = set(), set()
    for measure in db.session.scalars(select(Measure).where(Measure.owner_id.is_not(None))):
        due = next_report_due(measure, settings, today=TODAY)
        if is_overdue(measure, settings, today=TODAY):
            overdue.add((measure.owner.email, measure.reference))
        elif due is not None and due <= TODAY + timedelta(days=14):
            due_soon.add((measure.owner.email, measure.reference))
    got = {
        (m.rcpt_tos[0], m.subject.split(": ", 1)[1].split()[0], m.subject.split(":")[0])
        for m in mail_server.received
        if m.subject.startswith("Statusbericht")
    }
    assert {(a, r) for a, r, kind in got if kind == "Statusbericht überfällig"} == overdue
    assert {(a, r) for a, r, kind in got if kind.startswith("Statusbericht fällig")} == due_soon
    assert overdue and due_soon
    coordinators = {u.email for u in demo_users if u.role == Role.COORDINATOR}
    digests = [m for m in mail_server.received if m.subject.startswith("Wochenübersicht")]
    assert {m.rcpt_tos[0] for m in digests} == coordinators
    # The demo's overdue proof of use (Kita, owner fb4); the one due in 31 days has no owner.
    grants = [m for m in mail_server.received if m.subject.startswith("Verwendungsnachweis")]
    assert [(m.rcpt_tos[0], m.subject.split(":")[0]) for m in grants] == [
        ("fb4@lindenfeld.example", "Verwendungsnachweis überfällig")
    ]
    assert len(mail_server.received) == result.sent == len(overdue) + len(due_soon) + 2 + 1


def test_the_job_worker_sends_the_reminders_once_a_day(app, db, factory, people, mail_server):
    """The worker's scheduler runs the daily task (NOTIFY_HOUR, default 7): it sends what
    ``flask notify run`` would, and a second run sends nothing again."""
    from steuerung.services.jobs.queue import NOTIFICATIONS_TASK, get_queue

    task = get_queue(app).periodic[NOTIFICATIONS_TASK]
    schedule = task.task_class()
    assert schedule.validate_datetime(datetime(2026, 11, 30, 7, 0))
    assert not schedule.validate_datetime(datetime(2026, 11, 30, 8, 0))
    owner = people["submitter"]
    people["coordinator"].notify_digest = False
    last = date.today() - timedelta(days=100)
    factory.measure(owner.department, S.IN_PROGRESS, owner=owner, last_report_on=last)
    db.session.commit()
    summary = task.call_local()
    assert "1 E-Mail(s) gesendet" in summary
    assert len(mail_server.to(owner.email)) == 1
    assert "0 E-Mail(s) gesendet" in task.call_local()
