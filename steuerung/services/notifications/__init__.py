"""E-mail reminders and the weekly digest.

``send_due_notifications(now)`` is the one entry point (``flask notify run``, a periodic
job). Modules: ``rules`` (what is due, the reminder kinds), ``digest`` (the coordinating
office's weekly digest), ``texts`` (mail bodies from ``templates/mail/``), ``smtp`` (sending
with smtplib), ``log`` (claim and record, so nothing is sent twice), ``preferences`` (the
user's switches on "Mein Konto").
"""

from steuerung.services.notifications.run import NotificationRunResult, send_due_notifications

__all__ = ["NotificationRunResult", "send_due_notifications"]
