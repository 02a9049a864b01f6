"""The e-mail channel against a real SMTP server on 127.0.0.1: the mail as it arrives, threading, verdicts."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from doubles.sms_gateway import GENERIC_PATH, SmsGateway
from doubles.smtp_server import SmtpServer, free_port

from warner.core import Language, Recipient
from warner.incidents.model import Incident, TopMention
from warner.notify.base import Delivery, Page, PageKind
from warner.notify.delivery import Notifier, RetryPolicy
from warner.notify.email.channel import EmailChannel, email_channel
from warner.notify.email.config import EmailConfig
from warner.notify.sms.channels import HttpSmsChannel
from warner.notify.sms.config import HttpGatewayConfig

LABELS = {"kesselberg": "Brauerei Kesselberg"}
CONSOLE = "https://warner.example.de"


def incident(**fields: Any) -> Incident:
    values: dict[str, Any] = {
        "brand": "kesselberg", "number": 12, "status": "open", "severity": "critical",
        "started_at": 1795287000, "updated_at": 1795288500, "mentions": 240, "expected": 4.2, "negatives": 187,
        "top": [TopMention("m1", "Nie wieder <b>Kesselberger</b> & Co!", 1795287100, 12300, "anna_k",
                           "https://social.example/@anna_k/1")],
    }  # fmt: skip
    return Incident(**(values | fields))


def page(
    kind: PageKind = "new",
    *,
    language: Language = "de",
    email: str | None = "anna@example.de",
    phone: str | None = None,
    level: int = 0,
    **fields: Any,
) -> Page:
    recipient = Recipient("anna", "Anna Berg", language, phone=phone, email=email)
    return Page(incident(**fields), recipient, kind, ack_code="482193", escalation_level=level)


def config(server: SmtpServer, **fields: Any) -> EmailConfig:
    return EmailConfig.model_validate(
        {"host": "127.0.0.1", "port": server.port, "security": "none", "from_address": "warner@example.de",
         "timeout": "2s", "console_url": CONSOLE, **fields}
    )  # fmt: skip


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpServer]:
    async with SmtpServer() as server:
        yield server


def channel(server: SmtpServer, **fields: Any) -> EmailChannel:
    return email_channel(config(server, **fields), labels=LABELS)


async def test_a_page_arrives_with_subject_both_parts_and_the_console_link(smtp: SmtpServer) -> None:
    delivery = await channel(smtp).send(page())

    assert delivery.ok and delivery.target == "anna@example.de" and not delivery.error
    [mail] = smtp.mails
    assert mail.rcpt_tos == ["anna@example.de"] and mail.mail_from == "warner@example.de"
    message = mail.message
    assert message["Subject"] == "[warner] KRITISCH: Brauerei Kesselberg – 240 Erwähnungen, 78 % negativ"
    assert message["From"].addresses[0].display_name == "warner"
    assert message["To"].addresses[0].addr_spec == "anna@example.de"
    assert message["Auto-Submitted"] == "auto-generated" and message["Importance"] == "high"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"{CONSOLE}/incidents/kesselberg:12"
    for part in (plain, html):
        assert "240 Erwähnungen" in part and "78 % negativ" in part and link in part
    assert "Nie wieder <b>Kesselberger</b> & Co!" in plain
    assert "Nie wieder &lt;b&gt;Kesselberger&lt;/b&gt; &amp; Co!" in html and "<b>Kesselberger" not in html
    assert f'href="{link}"' in html and 'href="https://social.example/@anna_k/1"' in html


async def test_the_page_is_in_the_recipient_s_language(smtp: SmtpServer) -> None:
    await channel(smtp).send(page(language="en"))

    message = smtp.mails[0].message
    assert message["Subject"] == "[warner] CRITICAL: Brauerei Kesselberg – 240 mentions, 78% negative"
    assert "Open the incident in the console" in message.get_body(("plain",)).get_content()
    assert message["Content-Language"] == "en"


async def test_updates_acknowledgement_and_resolution_thread_under_the_first_mail(smtp: SmtpServer) -> None:
    email = channel(smtp)
    first = await email.send(page("new"))
    later = [
        await email.send(page("escalation", level=1, mentions=410, negatives=330)),
        await email.send(page("acknowledged")),
        await email.send(page("resolved", status="closed", ended_at=1795299000)),
    ]

    root = smtp.mails[0].message["Message-ID"]
    assert first.message_ref == root and "kesselberg.12.1795287000@example.de" in root
    assert "In-Reply-To" not in smtp.mails[0].message
    ids = {root}
    for delivery, mail in zip(later, smtp.mails[1:], strict=True):
        assert mail.message["In-Reply-To"] == root and root in mail.message["References"]
        assert delivery.message_ref == mail.message["Message-ID"]
        ids.add(mail.message["Message-ID"])
    assert len(ids) == 4  # a Message-ID per mail
    subjects = [m.message["Subject"] for m in smtp.mails[1:]]
    assert subjects == [
        "[warner] KRITISCH (Eskalation Stufe 1): Brauerei Kesselberg – 410 Erwähnungen, 80 % negativ",
        "[warner] Übernommen: Brauerei Kesselberg (kesselberg:12)",
        "[warner] Erledigt: Brauerei Kesselberg (kesselberg:12)",
    ]


async def test_the_sms_reply_code_is_offered_only_when_sms_replies_acknowledge(smtp: SmtpServer) -> None:
    with_replies = email_channel(config(smtp), labels=LABELS, sms_replies=True)
    await with_replies.send(page(phone="+4915112345678"))
    await channel(smtp).send(page(phone="+4915112345678"))

    offered, plain_only = (m.message.get_body(("plain",)).get_content() for m in smtp.mails)
    assert "OK 482193" in offered
    assert "482193" not in plain_only


async def test_without_a_console_the_mail_has_no_link(smtp: SmtpServer) -> None:
    await email_channel(config(smtp, console_url=None), labels=LABELS).send(page())

    html = smtp.mails[0].message.get_body(("html",)).get_content()
    assert "/incidents/" not in html and "Konsole" not in html


async def test_a_refused_recipient_is_a_permanent_failure(smtp: SmtpServer) -> None:
    smtp.refuse("anna@example.de")

    delivery = await channel(smtp).send(page())

    assert not delivery.ok and delivery.permanent and delivery.retry_after is None
    assert delivery.error is not None and delivery.error.startswith("RCPT 550") and "rejected" in delivery.error
    assert smtp.mails == []


@pytest.mark.parametrize(
    ("reply", "at"),
    [("451 4.7.1 Greylisted, try again later", "RCPT"), ("421 4.3.2 Shutting down", "DATA"),
     ("452 4.3.1 Insufficient system storage", "DATA")],
)  # fmt: skip
async def test_a_4xx_reply_is_transient(smtp: SmtpServer, reply: str, at: Any) -> None:
    smtp.fail_next(1, reply, at=at)

    delivery = await channel(smtp).send(page())

    assert not delivery.ok and not delivery.permanent
    assert delivery.error is not None and reply[:3] in delivery.error


async def test_a_5xx_after_data_is_a_permanent_failure(smtp: SmtpServer) -> None:
    smtp.fail_next(1, "554 5.7.1 Message rejected as spam", at="DATA")

    delivery = await channel(smtp).send(page())

    assert not delivery.ok and delivery.permanent and delivery.error == "DATA 554: 5.7.1 Message rejected as spam"


async def test_a_server_that_is_down_is_a_transient_failure() -> None:
    config_down = EmailConfig.model_validate(
        {"host": "127.0.0.1", "port": free_port(), "security": "none", "from_address": "warner@example.de"}
    )

    delivery = await email_channel(config_down).send(page())

    assert not delivery.ok and not delivery.permanent
    assert delivery.error is not None and "SMTPConnectError" in delivery.error


async def test_a_slow_server_times_out_as_a_transient_failure(smtp: SmtpServer) -> None:
    smtp.latency = 3.0

    delivery = await channel(smtp, timeout="0.5s").send(page())

    assert not delivery.ok and not delivery.permanent
    assert delivery.error == "timeout after 0.5 s" and 0.4 < delivery.latency_s < 2.0


async def test_a_recipient_without_address_cannot_be_reached(smtp: SmtpServer) -> None:
    email = channel(smtp)
    no_address = page(email=None)

    assert not email.can_reach(no_address.recipient)
    delivery = await email.send(no_address)
    assert delivery.permanent and not delivery.ok and smtp.rcpt_attempts == []


class Timeline:
    def __init__(self) -> None:
        self.recorded: list[Delivery] = []
        self.sleeps: list[float] = []

    async def record(self, page: Page, delivery: Delivery) -> None:
        self.recorded.append(delivery)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


async def test_greylisting_is_retried_until_the_mail_goes_through(smtp: SmtpServer) -> None:
    smtp.fail_next(2, "451 4.7.1 Greylisted, try again later")
    timeline = Timeline()
    notifier = Notifier({"email": channel(smtp)}, RetryPolicy(max_attempts=3), timeline.record, sleep=timeline.sleep)

    attempts = await notifier.deliver(page(), ["email"])

    assert [(d.ok, d.permanent) for d in attempts] == [(False, False), (False, False), (True, False)]
    assert len(timeline.sleeps) == 2 and len(smtp.mails) == 1


async def test_a_bounced_address_fails_over_to_sms_at_once(smtp: SmtpServer) -> None:
    smtp.refuse("anna@example.de")
    timeline = Timeline()
    async with SmsGateway() as gateway:
        sms = HttpSmsChannel(HttpGatewayConfig(url=gateway.url + GENERIC_PATH), timeout=2.0)
        notifier = Notifier(
            {"email": channel(smtp), "sms": sms},
            RetryPolicy(max_attempts=3),
            timeline.record,
            sleep=timeline.sleep,
            rng=random.Random(1),
        )
        attempts = await notifier.deliver(page(phone="+4915112345678"), ["email", "sms"])
        await notifier.close()

        assert [(d.channel, d.ok) for d in attempts] == [("email", False), ("sms", True)]
        assert timeline.sleeps == []  # a bounce is not retried
        assert [d.channel for d in timeline.recorded] == ["email", "sms"]
        assert len(gateway.requests) == 1 and smtp.rcpt_attempts == ["anna@example.de"]
