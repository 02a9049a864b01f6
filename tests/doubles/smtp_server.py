"""A real SMTP server on 127.0.0.1 (aiosmtpd), in the test's event loop, port 0.

Speaks plain SMTP, STARTTLS or TLS from the first byte (with a self-signed certificate made
by ``self_signed_certificate``), optionally requires AUTH with a user and password, and
records every mail it accepted, parsed. It can be told to refuse an address (``refuse``:
550 at RCPT), to answer the next RCPTs or DATAs with a reply (``fail_next``: 451
greylisting, 421, 554) or to be slow before answering DATA (``latency``).
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, Self, cast

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Security = Literal["none", "starttls", "tls"]


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    """One mail as the server took it: the envelope, the raw bytes and the message parsed back."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    tls: bool
    user: str | None
    received_at: float = 0.0  # time.perf_counter() when the server took the mail (latency benchmarks)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1 and localhost, valid for a day, made with the openssl CLI."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise FileNotFoundError("openssl")
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def free_port() -> int:
    """A port nothing listens on (bound and released): a server that is down."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpServer:
    """``async with SmtpServer() as smtp:`` … ``smtp.port``, ``smtp.mails``, ``smtp.refuse(...)``."""

    def __init__(
        self,
        *,
        security: Security = "none",
        certificate: tuple[Path, Path] | None = None,
        users: dict[str, str] | None = None,
    ) -> None:
        if security != "none" and certificate is None:
            raise ValueError(f"security {security} needs a certificate")
        self.security = security
        self.certificate = certificate
        self.users = dict(users or {})
        self.mails: list[ReceivedMail] = []
        self.rcpt_attempts: list[str] = []
        self.data_attempts = 0
        self.latency = 0.0  # seconds before answering DATA
        self.refused: dict[str, str] = {}
        self._failures: dict[str, list[str]] = {"RCPT": [], "DATA": []}
        self._server: asyncio.Server | None = None
        self._sessions: list[SMTP] = []
        self.port = 0

    def refuse(self, address: str, reply: str = "550 5.1.1 <{address}>: Recipient address rejected") -> None:
        """Every RCPT TO this address gets ``reply`` (a hard bounce at SMTP time)."""
        self.refused[address.lower()] = reply.format(address=address)

    def fail_next(self, n: int, reply: str, *, at: Literal["RCPT", "DATA"] = "RCPT") -> None:
        """The next ``n`` commands ``at`` get ``reply``, e.g. "451 4.7.1 Greylisted, try again"."""
        self._failures[at] += [reply] * n

    def _server_tls(self) -> ssl.SSLContext:
        assert self.certificate is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*map(str, self.certificate))
        return context

    async def start(self) -> Self:
        loop = asyncio.get_running_loop()
        starttls = self._server_tls() if self.security == "starttls" else None

        def protocol() -> SMTP:
            session = SMTP(
                self,
                hostname="smtp.test",
                tls_context=starttls,
                require_starttls=starttls is not None,
                auth_require_tls=self.security == "starttls",  # TLS from the first byte is TLS already
                authenticator=self._authenticate if self.users else None,
                loop=loop,
            )
            self._sessions.append(session)
            return session

        ssl_context = self._server_tls() if self.security == "tls" else None
        self._server = await loop.create_server(protocol, "127.0.0.1", 0, ssl=ssl_context)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for session in self._sessions:  # a slow answer still pending: end it with the server
                if session._handler_coroutine is not None:
                    session._handler_coroutine.cancel()
                if session.transport is not None:
                    session.transport.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- aiosmtpd handler hooks ------------------------------------------------------------

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(user) == password:
                return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.users and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.rcpt_attempts.append(address)
        if self._failures["RCPT"]:
            return self._failures["RCPT"].pop(0)
        if address.lower() in self.refused:
            return self.refused[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.data_attempts += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        if self._failures["DATA"]:
            return self._failures["DATA"].pop(0)
        raw = cast(bytes, envelope.original_content or envelope.content)
        parsed = cast(EmailMessage, message_from_bytes(raw, policy=policy.default))
        tls = session.ssl is not None or self.security == "tls"
        user = cast(str, session.auth_data) if session.authenticated else None
        sender, to = envelope.mail_from or "", list(envelope.rcpt_tos)
        mail = ReceivedMail(sender, to, raw, parsed, tls, user, time.perf_counter())
        self.mails.append(mail)
        return "250 2.0.0 Queued"
