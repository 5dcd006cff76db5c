"""Mail texts: a plain-text part and a simple HTML part per kind, from Jinja templates.

Templates live in ``templates/mail/<kind>.txt`` and ``.html`` and are rendered with the
app's Jinja environment (German formats as filters) but without a request.
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from flask import current_app

from steuerung.extensions import db
from steuerung.models import Settings
from steuerung.services.notifications.links import absolute_url
from steuerung.services.notifications.rules import Reminder


def render(reminder: Reminder) -> tuple[str, str]:
    """The plain-text and HTML bodies of ``reminder``."""
    settings = db.session.get(Settings, 1)
    context = {
        **reminder.context,
        "user": reminder.user,
        "subject": reminder.subject,
        "kommune": settings.kommune_name if settings else "",
        "profile_url": absolute_url("profile.index"),
    }
    env = current_app.jinja_env
    text = env.get_template(f"mail/{reminder.kind}.txt").render(context)
    html = env.get_template(f"mail/{reminder.kind}.html").render(context)
    return text.strip() + "\n", html


def _one_line(text: str) -> str:
    """Header values stay on one line (no header injection through titles or names)."""
    return " ".join((text or "").split())


def build_message(reminder: Reminder, sender: str, now: datetime) -> EmailMessage:
    """The complete message for ``reminder``: headers, text part, HTML alternative."""
    text, html = render(reminder)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(
        display_name=_one_line(reminder.user.full_name), addr_spec=reminder.user.email.strip()
    )
    message["Subject"] = _one_line(reminder.subject)
    message["Date"] = format_datetime(now)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    # RFC 3834: a machine wrote this; out-of-office replies should stay away.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
