"""``warner page --test PERSON`` covers e-mail: a clearly marked test mail, and a plain answer when it cannot go."""

from __future__ import annotations

from doubles.smtp_server import SmtpServer

from warner.config.loading import parse_config
from warner.oncall.test_page import report, send_test_page

YAML = """
oncall:
  people:
    - {{id: anna, name: Anna, email: anna@example.de}}
    - {{id: ben, name: Ben, language: en}}
notify:
  email: {{host: 127.0.0.1, port: {port}, security: none, from_address: warner@example.de, timeout: 2s}}
"""


async def test_a_test_page_by_mail_reaches_the_person_and_says_it_is_no_incident() -> None:
    async with SmtpServer() as smtp:
        config = parse_config(YAML.format(port=smtp.port), "t.yaml")

        recipient, [answer] = await send_test_page(config, "anna")

        assert answer.channel == "email" and answer.delivered and answer.target == "anna@example.de"
        assert report(recipient, [answer], "de") == "Testalarm an Anna:\nemail: zugestellt an anna@example.de"
        message = smtp.mails[0].message
        assert message["Subject"] == "[warner] Testalarm – kein Vorfall"
        assert "über E-Mail erreicht" in message.get_content()


async def test_a_person_without_an_address_gets_a_plain_answer_and_no_mail() -> None:
    async with SmtpServer() as smtp:
        config = parse_config(YAML.format(port=smtp.port), "t.yaml")

        _, [answer] = await send_test_page(config, "ben")

        assert not answer.delivered and answer.error == "ben has no e-mail address"
        assert smtp.rcpt_attempts == []
