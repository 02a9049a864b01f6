"""``notify.email``: what the config accepts, what check-config warns about, and the channel the pager builds."""

from __future__ import annotations

import pytest
from doubles.smtp_server import SmtpServer

from warner.config.loading import ConfigError, parse_config
from warner.config.secrets import security_warnings
from warner.core import Recipient
from warner.incidents.model import Incident
from warner.notify.base import Page
from warner.notify.factory import build_notifier
from warner.security import config_secrets

PEOPLE = """
oncall:
  people:
    - {id: anna, name: Anna, email: anna@example.de}
    - {id: ben, name: Ben, telegram_id: 1001}
escalation:
  policies:
    - id: storm
      steps: [{notify_persons: [anna, ben], channels: [email]}]
  routes: [{severity: [critical], policy: storm}]
"""


def with_email(section: str, extra: str = "") -> str:
    return f"notify:\n  email:\n{section}{extra}"


SECTION = """    host: smtp.example.de
    from_address: warner@example.de
"""


def test_defaults_follow_the_security_mode() -> None:
    for security, port in (("starttls", 587), ("tls", 465), ("none", 25)):
        config = parse_config(with_email(SECTION + f"    security: {security}\n"), "e.yaml")
        assert config.notify.email is not None and config.notify.email.smtp_port == port
    assert "email" in parse_config(with_email(SECTION), "e.yaml").notify.channels


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    password: hunter2\n", "secrets are not read from YAML"),
        ("    user_env: SMTP_USER\n", "needs both user_env and password_env"),
        ("    security: ssl\n", "security"),
        ("    console_url: warner.example.de\n", "console_url"),
    ],
)
def test_config_errors_say_what_to_fix(extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(with_email(SECTION + extra), "e.yaml")


def test_a_display_name_is_not_a_sender_address() -> None:
    with pytest.raises(ConfigError, match="plain address"):
        parse_config(with_email("    host: smtp.example.de\n    from_address: warner <warner@example.de>\n"), "e.yaml")


def test_plain_smtp_is_fine_on_loopback_and_a_warning_elsewhere() -> None:
    local = with_email("    host: 127.0.0.1\n    security: none\n    from_address: warner@example.de\n")
    assert not [w for w in security_warnings(parse_config(local, "e.yaml")) if w.startswith("notify.email")]
    remote = local.replace("127.0.0.1", "smtp.example.de")
    [warning] = [w for w in security_warnings(parse_config(remote, "e.yaml")) if w.startswith("notify.email")]
    assert "smtp.example.de" in warning and "clear text" in warning


def test_a_person_with_an_address_is_reachable_by_email_and_one_without_is_named() -> None:
    found = security_warnings(parse_config(with_email(SECTION, PEOPLE), "e.yaml"))
    unreachable = [w for w in found if w.startswith("escalation.policies[storm]")]
    assert len(unreachable) == 1 and "ben cannot be reached on email" in unreachable[0]


def test_the_smtp_password_is_a_secret_the_logs_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_USER", "warner")
    monkeypatch.setenv("SMTP_PASSWORD", "smtp-password-value")
    auth = "    user_env: SMTP_USER\n    password_env: SMTP_PASSWORD\n"
    assert "smtp-password-value" in config_secrets(parse_config(with_email(SECTION + auth), "e.yaml"))


async def test_the_pager_s_email_channel_links_to_the_console_s_public_url() -> None:
    async with SmtpServer() as smtp:
        section = (
            f"    host: 127.0.0.1\n    port: {smtp.port}\n    security: none\n    from_address: warner@example.de\n"
        )
        web = "web:\n  port: 8090\n  public_url: https://warner.example.de/\n"
        notifier = build_notifier(parse_config(with_email(section, web), "e.yaml"))
        incident = Incident(brand="kesselberg", number=4, status="open", severity="info", started_at=1, updated_at=1)
        page = Page(incident, Recipient("anna", "Anna", email="anna@example.de"), "new", ack_code="")

        [delivery] = await notifier.deliver(page, ["email"])
        await notifier.close()

        assert delivery.ok
        html = smtp.mails[0].message.get_body(("html",)).get_content()
        assert 'href="https://warner.example.de/incidents/kesselberg:4"' in html
