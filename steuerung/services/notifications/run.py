"""One notification run: ``send_due_notifications(now)``, for cron and background jobs.

The run needs an application context (database, configuration) but no request. It is
idempotent (the log remembers every reminder sent) and safe to run concurrently (reminders
are claimed in the log before they are sent). Nothing in the request path sends mail: the
run computes everything from the database state, so a mail server that is down never
breaks a page; it makes the run report an error, and the next run sends what is owed.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app

from steuerung.extensions import db
from steuerung.services.notifications import log
from steuerung.services.notifications.links import base_url
from steuerung.services.notifications.rules import KINDS, Reminder, RunContext, wants
from steuerung.services.notifications.smtp import (
    ConnectionLost,
    MailConfigError,
    MessageRefused,
    SmtpSettings,
    SmtpTransport,
)
from steuerung.services.notifications.texts import build_message


@dataclass
class NotificationRunResult:
    """What one run did, for the command's output and a job's log."""

    now: datetime
    #: Reminders owed to users who want them (before looking at the log).
    due: int = 0
    #: Reminders left out because the user switched them off or has no address.
    opted_out: int = 0
    #: Reminders already sent, in another run's hands, or given up after too many failures.
    already_handled: int = 0
    sent: int = 0
    failed: int = 0
    sent_by_kind: Counter[str] = field(default_factory=Counter)
    #: German messages: configuration errors, unreachable server, refused messages.
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing went wrong (there may still have been nothing to send)."""
        return not self.errors and not self.failed

    def summary(self) -> str:
        """One German line for the command output."""
        return (
            f"{self.sent} E-Mail(s) gesendet, {self.failed} fehlgeschlagen, "
            f"{self.already_handled} bereits erledigt, {self.opted_out} abbestellt "
            f"oder ohne Adresse (fällig: {self.due})."
        )


def send_due_notifications(now: datetime) -> NotificationRunResult:
    """Send every reminder and digest that is due at ``now`` and not sent before.

    ``now`` must be timezone-aware (tests pass a frozen clock). Commits as it goes; call it
    on its own (``flask notify run``, a periodic job), inside an application context.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    result = NotificationRunResult(now=now)
    config = current_app.config
    try:
        smtp_settings = SmtpSettings.from_config(config)
        base_url()
    except MailConfigError as error:
        result.errors.append(error.message)
        return result

    context = RunContext.create(now, config)
    owed: list[Reminder] = []
    for kind in KINDS.values():
        for reminder in kind.collect(context):
            if wants(reminder.user, kind):
                owed.append(reminder)
            else:
                result.opted_out += 1
    result.due = len(owed)
    policy = log.ClaimPolicy(
        max_attempts=int(config["NOTIFY_MAX_ATTEMPTS"]),
        stale_before=now - timedelta(minutes=int(config["NOTIFY_CLAIM_TIMEOUT_MINUTES"])),
    )
    todo, result.already_handled = log.still_open(owed, policy)
    if not todo:
        return result
    # All texts are rendered first; from here on only the log is written.
    messages = [(r, build_message(r, smtp_settings.sender, now)) for r in todo]
    try:
        with SmtpTransport(smtp_settings) as smtp, _commits_keep_loaded_rows():
            _send_all(smtp, messages, now, policy, result)
    except ConnectionLost as error:
        result.errors.append(str(error))
    finally:
        db.session.expire_all()
    return result


@contextmanager
def _commits_keep_loaded_rows() -> Iterator[None]:
    """Commit without expiring every loaded object each time.

    Each claim and each result is committed on its own (concurrent runs must see them), and
    by default every commit expires the whole identity map: with a thousand measures loaded
    that made the first run on a large portfolio quadratic (10,000 measures: 160 s). The log
    is written with UPDATE statements and the texts are already rendered, so nothing stale
    is read meanwhile; the caller's session gets its usual behaviour back afterwards.
    """
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = previous


def _send_all(
    smtp: SmtpTransport,
    messages: list[tuple[Reminder, EmailMessage]],
    now: datetime,
    policy: log.ClaimPolicy,
    result: NotificationRunResult,
) -> None:
    """Claim, send and record each message; stop when the connection is lost."""
    token = secrets.token_hex(16)
    for reminder, message in messages:
        kind = reminder.kind
        entry = log.claim(reminder, token, now, policy)
        if entry is None:
            result.already_handled += 1
            continue
        try:
            smtp.send(message)
        except MessageRefused as error:
            log.record_failed(entry, token, str(error))
            result.failed += 1
            result.errors.append(f"{message['To']}: {error}")
        except ConnectionLost as error:
            log.record_failed(entry, token, str(error))
            result.failed += 1
            raise
        else:
            log.record_sent(entry, token, now)
            result.sent += 1
            result.sent_by_kind[kind] += 1


def send_test_mail(recipient: str, now: datetime) -> None:
    """Send a short German test message to ``recipient`` with the configured settings.

    Raises ``MailConfigError``, ``ConnectionLost`` or ``MessageRefused`` (German messages).
    """
    settings = SmtpSettings.from_config(current_app.config)
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = recipient
    message["Subject"] = "Steuerung: Test der E-Mail-Einstellungen"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        "Diese Test-E-Mail bestätigt, dass Steuerung über den eingestellten Mailserver "
        f"({settings.host}:{settings.port}, {settings.security}) senden kann.\n\n"
        f"Adresse der Anwendung: {base_url()}\n"
    )
    with SmtpTransport(settings) as smtp:
        smtp.send(message)
