"""Sending mail over SMTP with the standard library (smtplib, ssl, email).

Settings come from the configuration (``SMTP_*``, ``MAIL_FROM``); the password only from the
environment. The connection is opened once per run and reused for all its messages.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any

SECURITY_MODES = ("starttls", "ssl", "none")


class MailConfigError(Exception):
    """The mail settings are missing or wrong; ``message`` is German."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConnectionLost(Exception):
    """The mail server cannot be reached or dropped the connection; later sends are futile."""


class MessageRefused(Exception):
    """The server refused this one message (e.g. an unknown recipient); others may still go."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to deliver mail."""

    host: str
    port: int
    security: str
    username: str
    password: str
    sender: str
    timeout: float
    ca_file: str = ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings:
        """Read and check the ``SMTP_*`` / ``MAIL_FROM`` settings; German errors."""
        host = (config.get("SMTP_HOST") or "").strip()
        sender = (config.get("MAIL_FROM") or "").strip()
        security = (config.get("SMTP_SECURITY") or "starttls").strip().lower()
        if not host:
            raise MailConfigError("E-Mail-Versand ist nicht eingerichtet: SMTP_HOST fehlt.")
        if not sender:
            raise MailConfigError("E-Mail-Versand ist nicht eingerichtet: MAIL_FROM fehlt.")
        if security not in SECURITY_MODES:
            raise MailConfigError(
                f"SMTP_SECURITY „{security}“ ist unbekannt (erlaubt: starttls, ssl, none)."
            )
        return cls(
            host=host,
            port=int(config.get("SMTP_PORT") or (465 if security == "ssl" else 587)),
            security=security,
            username=config.get("SMTP_USERNAME") or "",
            password=config.get("SMTP_PASSWORD") or "",
            sender=sender,
            timeout=float(config.get("SMTP_TIMEOUT_SECONDS") or 20),
            ca_file=config.get("SMTP_CA_FILE") or "",
        )

    def tls_context(self) -> ssl.SSLContext:
        """Certificate and host name are always verified (system CAs or ``SMTP_CA_FILE``)."""
        return ssl.create_default_context(cafile=self.ca_file or None)


class SmtpTransport:
    """One SMTP connection: ``with SmtpTransport(settings) as smtp: smtp.send(message)``.

    Opening raises ``ConnectionLost`` when the server is unreachable, the TLS handshake or
    the login fails; ``send`` raises ``MessageRefused`` or ``ConnectionLost``.
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        s = self.settings
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=s.tls_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            self._smtp = smtp
            if s.security == "starttls":
                smtp.starttls(context=s.tls_context())
            if s.username:
                smtp.login(s.username, s.password)
        except smtplib.SMTPAuthenticationError as error:
            self.close()
            raise ConnectionLost(
                "Anmeldung am Mailserver fehlgeschlagen (SMTP_USERNAME / SMTP_PASSWORD prüfen)."
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise ConnectionLost(
                f"Mailserver {s.host}:{s.port} nicht erreichbar: {_describe(error)}"
            ) from error
        return self

    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the server."""
        if self._smtp is None:
            raise ConnectionLost("Keine Verbindung zum Mailserver.")
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPServerDisconnected as error:
            self._drop()
            raise ConnectionLost(
                f"Verbindung zum Mailserver verloren: {_describe(error)}"
            ) from error
        except smtplib.SMTPException as error:  # a reply refusing this message
            raise MessageRefused(f"Vom Mailserver abgelehnt: {_describe(error)}") from error
        except OSError as error:  # socket error or timeout (SMTPException is an OSError too)
            self._drop()
            raise ConnectionLost(
                f"Verbindung zum Mailserver verloren: {_describe(error)}"
            ) from error

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def close(self) -> None:
        """Say goodbye politely; a dead connection is simply dropped."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _describe(error: BaseException) -> str:
    """Short text of an SMTP or socket error for the log and the run result."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        parts = [f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in error.recipients.items()]
        return "; ".join(parts)
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return str(error) or error.__class__.__name__


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
