"""The ``email`` channel: a page as a mail to the person's ``email``, over the configured SMTP server.

Like every channel it only reports: one mail per ``send``, the server's answer turned into a
``Delivery`` (``smtp.py`` says which answers are permanent), no retries of its own. A mail
cannot be edited once sent, so an update of a page is a new mail in the same thread; the
``message_ref`` of a delivery is the mail's Message-ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import structlog

from warner.core import BERLIN, Recipient
from warner.notify.base import Delivery, Page
from warner.notify.email import texts
from warner.notify.email.config import EmailConfig
from warner.notify.email.message import CTE, MAIL_POLICY, Sender, message_id, page_mail
from warner.notify.email.smtp import SmtpOutcome, SmtpSender

NAME = "email"

log = structlog.get_logger(__name__)


class EmailChannel:
    """Pages by e-mail; reaches a recipient iff they have an address."""

    def __init__(
        self,
        smtp: SmtpSender,
        sender: Sender,
        *,
        name: str = NAME,
        labels: Mapping[str, str] | None = None,
        tz: tzinfo = BERLIN,
        bucket_s: float = 60.0,
    ) -> None:
        self.name = name
        self._smtp = smtp
        self._sender = sender
        self._labels = dict(labels or {})
        self._tz = tz
        self._bucket_s = bucket_s

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.email)

    def mail(self, page: Page) -> EmailMessage:
        """The mail ``send`` would deliver for ``page``."""
        return page_mail(
            page, self._sender, label=self._labels.get(page.incident.brand), tz=self._tz, bucket_s=self._bucket_s
        )

    async def send(self, page: Page) -> Delivery:
        address = page.recipient.email
        if not address:
            return Delivery(
                self.name, "", False, 0.0, error=f"{page.recipient.id} has no e-mail address", permanent=True
            )
        message = self.mail(page)
        outcome = await self._smtp.send(message, [address])
        if outcome.ok:
            log.info(
                "mail_sent",
                incident_id=page.incident.id,
                recipient=page.recipient.id,
                kind=page.kind,
                latency_s=round(outcome.latency_s, 3),
            )
        return self._delivery(address, outcome, str(message["Message-ID"]))

    async def send_test(self, recipient: Recipient, text: str) -> Delivery:
        """A test mail (``warner page --test``): ``text`` as its body, nothing about any incident."""
        address = recipient.email
        if not address:
            return Delivery(self.name, "", False, 0.0, error=f"{recipient.id} has no e-mail address", permanent=True)
        message = EmailMessage(policy=MAIL_POLICY)
        message["Subject"] = texts.text(recipient.language, "test_subject")
        message["From"] = Address(self._sender.name, addr_spec=self._sender.address)
        message["To"] = Address(recipient.name, addr_spec=address)
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = message_id(self._sender.domain)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text, cte=CTE)
        return self._delivery(address, await self._smtp.send(message, [address]), str(message["Message-ID"]))

    def _delivery(self, address: str, outcome: SmtpOutcome, ref: str) -> Delivery:
        if outcome.ok:
            return Delivery(self.name, address, ok=True, latency_s=outcome.latency_s, message_ref=ref)
        return Delivery(
            self.name, address, ok=False, latency_s=outcome.latency_s, error=outcome.error, permanent=outcome.permanent
        )

    async def close(self) -> None:
        """Nothing stays open: every mail has its own connection."""


def email_channel(
    config: EmailConfig,
    *,
    labels: Mapping[str, str] | None = None,
    console_url: str | None = None,
    sms_replies: bool = False,
    bucket_s: float = 60.0,
    tz: tzinfo = BERLIN,
) -> EmailChannel:
    """The channel ``notify.email`` describes; raises ``MissingSecretError`` naming an unset AUTH variable.

    ``console_url``: the console's base URL when ``notify.email.console_url`` is not set (the
    composition passes ``web.public_url``). ``sms_replies``: SMS replies acknowledge, so the
    mail may name the reply code.
    """
    sender = Sender(config.from_address, config.from_name, config.console_url or console_url, sms_replies)
    return EmailChannel(SmtpSender(config), sender, labels=labels, bucket_s=bucket_s, tz=tz)
