"""The e-mail channel over STARTTLS and TLS, with and without AUTH, against a real SMTP server on 127.0.0.1.

The server's certificate is self-signed, made for the test by the openssl CLI; the channel
trusts it through ``ca_file``, as it would trust a company CA.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from doubles.smtp_server import SmtpServer, self_signed_certificate

from warner.core import Recipient
from warner.incidents.model import Incident
from warner.notify.base import Page
from warner.notify.email.channel import email_channel
from warner.notify.email.config import EmailConfig
from warner.notify.secrets import MissingSecretError

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI for a certificate")

USERS = {"warner@example.de": "s3cret pass"}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_USER", "warner@example.de")
    monkeypatch.setenv("SMTP_PASSWORD", USERS["warner@example.de"])


def page() -> Page:
    incident = Incident(
        brand="kesselberg", number=3, status="open", severity="warning",
        started_at=1795287000, updated_at=1795287300, mentions=64, expected=3.0, negatives=30,
    )  # fmt: skip
    return Page(incident, Recipient("anna", "Anna", email="anna@example.de"), "new", ack_code="")


def config(server: SmtpServer, certificate: tuple[Path, Path], **fields: Any) -> EmailConfig:
    return EmailConfig.model_validate(
        {"host": "127.0.0.1", "port": server.port, "security": server.security, "ca_file": str(certificate[0]),
         "from_address": "warner@example.de", "timeout": "3s", **fields}
    )  # fmt: skip


@pytest.fixture
async def starttls(certificate: tuple[Path, Path]) -> AsyncIterator[SmtpServer]:
    async with SmtpServer(security="starttls", certificate=certificate, users=USERS) as server:
        yield server


@pytest.fixture
async def implicit_tls(certificate: tuple[Path, Path]) -> AsyncIterator[SmtpServer]:
    async with SmtpServer(security="tls", certificate=certificate, users=USERS) as server:
        yield server


AUTH = {"user_env": "SMTP_USER", "password_env": "SMTP_PASSWORD"}


async def test_starttls_with_auth_delivers_over_an_encrypted_connection(
    starttls: SmtpServer, certificate: tuple[Path, Path], smtp_secrets: None
) -> None:
    delivery = await email_channel(config(starttls, certificate, **AUTH)).send(page())

    assert delivery.ok, delivery.error
    [mail] = starttls.mails
    assert mail.tls and mail.user == "warner@example.de"
    assert mail.message["Subject"].startswith("[warner] WARNUNG:")


async def test_tls_from_the_first_byte_with_auth_delivers(
    implicit_tls: SmtpServer, certificate: tuple[Path, Path], smtp_secrets: None
) -> None:
    delivery = await email_channel(config(implicit_tls, certificate, **AUTH)).send(page())

    assert delivery.ok, delivery.error
    assert implicit_tls.mails[0].tls and implicit_tls.mails[0].user == "warner@example.de"


async def test_a_wrong_password_is_a_permanent_failure(
    starttls: SmtpServer, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_USER", "warner@example.de")
    monkeypatch.setenv("SMTP_PASSWORD", "wrong")

    delivery = await email_channel(config(starttls, certificate, **AUTH)).send(page())

    assert not delivery.ok and delivery.permanent
    assert delivery.error is not None and delivery.error.startswith("AUTH 535")
    assert "wrong" not in delivery.error and starttls.mails == []


async def test_a_server_that_wants_auth_refuses_a_sender_without(
    starttls: SmtpServer, certificate: tuple[Path, Path]
) -> None:
    delivery = await email_channel(config(starttls, certificate)).send(page())

    assert not delivery.ok and delivery.permanent
    assert delivery.error is not None and delivery.error.startswith("MAIL FROM 530")


async def test_an_untrusted_certificate_fails_without_sending(
    implicit_tls: SmtpServer, certificate: tuple[Path, Path], smtp_secrets: None
) -> None:
    system_cas_only = config(implicit_tls, certificate, ca_file=None, **AUTH)

    delivery = await email_channel(system_cas_only).send(page())

    assert not delivery.ok and not delivery.permanent
    assert delivery.error is not None and "CERTIFICATE_VERIFY_FAILED" in delivery.error
    assert implicit_tls.mails == []


async def test_starttls_against_a_server_without_it_is_refused_not_sent_in_clear(
    certificate: tuple[Path, Path],
) -> None:
    async with SmtpServer() as plain:
        plain.security = "starttls"  # what the config claims; the server offers no STARTTLS
        delivery = await email_channel(config(plain, certificate)).send(page())

        assert not delivery.ok and delivery.permanent
        assert delivery.error is not None and "STARTTLS" in delivery.error.upper()
        assert plain.mails == []


def test_a_missing_password_variable_is_named_when_the_channel_is_built(
    starttls: SmtpServer, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_USER", "warner@example.de")
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)

    with pytest.raises(MissingSecretError, match="SMTP_PASSWORD"):
        email_channel(config(starttls, certificate, **AUTH))
