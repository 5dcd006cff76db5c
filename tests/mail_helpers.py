"""A real SMTP server for the tests: aiosmtpd on a free loopback port, in a thread.

It receives and keeps every message (parsed), can require STARTTLS or speak SMTPS with a
certificate made at test time (trustme), can require AUTH, can refuse given recipients and
can hold the first message until the test releases it (for the concurrency test).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# aiosmtpd logs a deprecation note (its own, through logging) on every successful AUTH.
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass
class ReceivedMail:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    authenticated_as: str | None
    tls: bool

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        # Mail travels with CRLF line ends; compare with plain newlines.
        return part.get_content().replace("\r\n", "\n") if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content().replace("\r\n", "\n") if part is not None else ""


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.server.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        hold = self.server.hold_first
        if hold is not None and not self.server.received and not hold.arrived.is_set():
            hold.arrived.set()
            # Wait without blocking the event loop: other connections go on meanwhile.
            released = await asyncio.get_running_loop().run_in_executor(None, hold.release.wait, 30)
            assert released, "held message never released"
        auth = getattr(session, "auth_data", None)
        self.server.received.append(
            ReceivedMail(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                message=message_from_bytes(envelope.original_content, policy=policy.default),  # type: ignore[arg-type]
                authenticated_as=auth.login.decode() if isinstance(auth, LoginPassword) else None,
                tls=session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        return "250 Message accepted for delivery"


@dataclass
class Hold:
    """Hold the first message until ``release`` is set; ``arrived`` tells it is there."""

    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class _Controller(Controller):
    """aiosmtpd only counts STARTTLS as TLS; on SMTPS (``ssl_context``) the whole session
    is encrypted, so AUTH is offered there too (without aiosmtpd's warning about AUTH
    without TLS, which would be wrong here)."""

    def factory(self) -> Any:
        smtp = super().factory()
        if self.ssl_context is not None:
            smtp._auth_require_tls = False
        return smtp


class MailServer:
    """``MailServer(tls=..., credentials=...)``, ``start()``, ``stop()``; mails in ``received``.

    ``tls``: None (plain), "starttls" (required before MAIL) or "ssl" (SMTPS). TLS needs
    ``certs`` = (server context, CA file) from ``make_certificates``.
    """

    def __init__(
        self,
        tls: str | None = None,
        credentials: tuple[str, str] | None = None,
        server_context: ssl.SSLContext | None = None,
    ) -> None:
        self.port = free_port()
        self.tls = tls
        self.credentials = credentials
        self.server_context = server_context
        self.received: list[ReceivedMail] = []
        self.refused: set[str] = set()
        self.hold_first: Hold | None = None
        self._controller: Controller | None = None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            self.credentials is not None
            and isinstance(auth_data, LoginPassword)
            and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def start(self) -> MailServer:
        """Listen on ``self.port`` (the same port again after ``stop``)."""
        kwargs: dict[str, Any] = {}
        if self.tls == "starttls":
            kwargs.update(tls_context=self.server_context, require_starttls=True)
        elif self.tls == "ssl":
            kwargs.update(ssl_context=self.server_context)
        if self.credentials is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True)
        self._controller = _Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, **kwargs
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening (connections are refused until ``start`` again)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[ReceivedMail]:
        """The mails delivered to ``address``."""
        return [m for m in self.received if address in m.rcpt_tos]


def make_certificates(directory: Path) -> tuple[ssl.SSLContext, str]:
    """A CA and a server certificate for 127.0.0.1 made now; (server context, CA file)."""
    import trustme

    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    ca_file = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return context, str(ca_file)
