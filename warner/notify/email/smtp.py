"""One mail to one SMTP server, and what its answer means for a retry.

Shared by the page channel and the weekly digest by mail: both build an ``EmailMessage``
and need the same verdict. SMTP says at the time of sending whether the server took the
mail; the verdicts follow its reply codes (RFC 5321 §4.2.1):

- 2xx after DATA: delivered (to the server: a bounce later, from another hop, is not seen);
- 5xx at MAIL, RCPT or DATA (550 no such user, 552, 554): permanent — the same mail to the
  same address will be refused again, so the next channel is tried at once;
- 4xx (421 going down, 450/451 greylisting, 452): transient, retried with backoff;
- connection refused or lost, TLS handshake failure, timeout: transient;
- AUTH refused (535) or something the server lacks (no STARTTLS, no AUTH): permanent —
  a configuration to fix, not a hiccup.

``send`` never raises for any of these; it reports an ``SmtpOutcome``.
"""

from __future__ import annotations

import asyncio
import io
import socket
import ssl
import time
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.message import EmailMessage

import aiosmtplib

from warner.notify.email.config import EmailConfig

_REPLY_CHARS = 200


@dataclass(frozen=True, slots=True)
class SmtpOutcome:
    """What the server said to one mail: accepted, or why not and whether trying again can help."""

    ok: bool
    latency_s: float
    error: str | None = None
    permanent: bool = False
    code: int | None = None  # the SMTP reply code of a refusal


class SmtpSender:
    """Sends prepared messages over one configured server; one connection per mail (pages are rare)."""

    def __init__(self, config: EmailConfig) -> None:
        """Reads the AUTH secrets now: a missing variable fails at start (``MissingSecretError``)."""
        self._config = config
        self._credentials = config.credentials()
        self._tls: ssl.SSLContext | None = None

    @property
    def config(self) -> EmailConfig:
        return self._config

    def _tls_context(self) -> ssl.SSLContext:
        """Certificates checked against the system's CAs, or ``ca_file`` (built once: loading CAs takes time)."""
        if self._tls is None:
            cafile = str(self._config.ca_file) if self._config.ca_file else None
            self._tls = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
        return self._tls

    def _client(self) -> aiosmtplib.SMTP:
        config = self._config
        user, password = self._credentials or (None, None)
        security = config.security
        return aiosmtplib.SMTP(
            hostname=config.host,
            port=config.smtp_port,
            username=user,
            password=password,
            local_hostname=config.helo_name or socket.gethostname(),  # not getfqdn: no DNS lookup at send time
            timeout=config.timeout.total_seconds(),
            use_tls=security == "tls",
            start_tls=security == "starttls",  # False with none: no upgrade at all
            tls_context=self._tls_context() if security != "none" else None,
        )

    async def send(self, message: EmailMessage, recipients: list[str]) -> SmtpOutcome:
        """Deliver ``message`` to ``recipients`` (the envelope; the headers are the message's)."""
        started = time.perf_counter()

        def outcome(error: str | None, *, permanent: bool = False, code: int | None = None) -> SmtpOutcome:
            return SmtpOutcome(error is None, time.perf_counter() - started, error, permanent, code)

        try:
            async with asyncio.timeout(self._config.timeout.total_seconds()):
                async with self._client() as client:
                    refused, _ = await client.sendmail(self._config.from_address, recipients, flatten(message))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            worst = max(exc.recipients, key=lambda r: r.code)  # one 5xx among 4xx: no use retrying
            return outcome(_reply("RCPT", worst.code, worst.message), permanent=worst.code >= 500, code=worst.code)
        except aiosmtplib.SMTPAuthenticationError as exc:
            return outcome(_reply("AUTH", exc.code, exc.message), permanent=True, code=exc.code)
        except aiosmtplib.SMTPResponseException as exc:
            stage = _STAGES.get(type(exc), "reply")
            return outcome(_reply(stage, exc.code, exc.message), permanent=exc.code >= 500, code=exc.code)
        except aiosmtplib.SMTPNotSupported as exc:
            return outcome(f"not supported by the server: {exc.message}", permanent=True)
        except TimeoutError:  # ours, or aiosmtplib's SMTPTimeoutError (a TimeoutError too)
            return outcome(f"timeout after {self._config.timeout.total_seconds():g} s")
        except ssl.SSLError as exc:
            return outcome(f"TLS: {exc.reason or exc}")
        except (aiosmtplib.SMTPException, OSError) as exc:  # refused, reset, disconnected, TLS during connect
            # aiosmtplib raises its base class itself only for what the server lacks (STARTTLS, AUTH)
            lacking = type(exc) is aiosmtplib.SMTPException
            return outcome(f"{type(exc).__name__}: {_one_line(str(exc))}", permanent=lacking)
        if refused:  # only with several recipients: some took it
            some = ", ".join(f"{address} ({r.code})" for address, r in refused.items())
            return outcome(None if len(refused) < len(recipients) else f"refused: {some}")
        return outcome(None)


def flatten(message: EmailMessage) -> bytes:
    """The message as sent, in its own policy (aiosmtplib's would fold headers at 78 again)."""
    out = io.BytesIO()
    BytesGenerator(out, policy=message.policy.clone(linesep="\r\n")).flatten(message)
    return out.getvalue()


_STAGES: dict[type[aiosmtplib.SMTPResponseException], str] = {
    aiosmtplib.SMTPSenderRefused: "MAIL FROM",
    aiosmtplib.SMTPRecipientRefused: "RCPT",
    aiosmtplib.SMTPDataError: "DATA",
    aiosmtplib.SMTPHeloError: "EHLO",
    aiosmtplib.SMTPConnectResponseError: "greeting",
}


def _reply(stage: str, code: int, message: str) -> str:
    """'RCPT 550: 5.1.1 no such user' — what the server said, short enough for a timeline line."""
    return f"{stage} {code}: {_one_line(message)[:_REPLY_CHARS]}"


def _one_line(text: str) -> str:
    return " ".join(text.split())
