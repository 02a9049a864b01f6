"""The weekly digest by mail: the mail parsed back from a real SMTP server, and mixed Telegram/mail recipients."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
from digest.week_sample import realistic_week
from doubles.smtp_server import SmtpServer, free_port
from support import CONFIG_YAML

from warner.config.loading import parse_config
from warner.config.root import Config
from warner.digest import failures
from warner.digest.chart import render_chart
from warner.digest.failures import DigestFailure
from warner.digest.mail import MailReader, digest_mail, mail_readers, send_digest_mails
from warner.digest.weekly import send_weekly_digest

ANNA, CARL = 1001, 1003

MIXED = """
oncall:
  people:
    - {{id: anna, name: Anna, telegram_id: {anna}}}
    - {{id: ben, name: Ben Miller, email: ben@example.com, language: en}}
    - {{id: carl, name: Carl, telegram_id: {carl}, email: carl@example.de}}
    - {{id: dora, name: Dora, email: dora@example.de}}
notify:
  telegram: {{token_env: TEST_TELEGRAM_TOKEN, base_url: "{telegram}"}}
  email: {{host: 127.0.0.1, port: {port}, security: none, from_address: warner@example.de, timeout: 2s}}
digest:
  recipients: [anna, ben, carl]
  out_dir: "{out}"
"""


def mixed_config(telegram_url: str, smtp_port: int, out: Path) -> Config:
    text = MIXED.format(anna=ANNA, carl=CARL, telegram=telegram_url, port=smtp_port, out=out)
    return parse_config(CONFIG_YAML + text, "d.yaml")


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpServer]:
    async with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def chart() -> bytes:
    return render_chart(realistic_week())


def parts(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


async def test_the_digest_mail_arrives_with_the_chart_inline_and_a_text_part(
    smtp: SmtpServer, chart: bytes, tokens: Any, tmp_path: Path
) -> None:
    config = mixed_config("http://127.0.0.1:9", smtp.port, tmp_path)
    readers = [MailReader("dora", "Dora", "dora@example.de", "de")]

    [delivery] = await send_digest_mails(config, readers, realistic_week(), chart)

    assert delivery.ok and delivery.address == "dora@example.de"
    message = smtp.mails[0].message
    assert message["Subject"] == "[warner] Wochenbericht KW 47/2026"
    assert parts(message) == ["multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png"]
    html = message.get_body(("html",)).get_content()
    [image] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html and "data:image" not in html
    assert image.get_content() == chart and image.get_content_disposition() == "inline"
    plain = message.get_body(("plain",)).get_content()
    assert "Wochenbericht KW 47/2026" in plain and "Brauerei Kesselberg" in plain
    assert "Brauerei Kesselberg" in html and message["Content-Language"] == "de"


def test_each_reader_gets_it_in_their_language_and_untrusted_labels_stay_text(chart: bytes) -> None:
    config = parse_config("notify:\n  email: {host: 127.0.0.1, from_address: warner@example.de}\n", "d.yaml")
    assert config.notify.email is not None
    ben = MailReader("ben", "Ben", "ben@example.com", "en")

    message = digest_mail(realistic_week(), chart, ben, config.notify.email, {"kesselberg": "<script>x</script>"})

    assert message["Subject"] == "[warner] Weekly digest 2026-W47"
    html = message.get_body(("html",)).get_content()
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html


async def test_mixed_recipients_get_it_on_telegram_by_mail_or_both(
    redis: Any, smtp: SmtpServer, telegram: Any, tokens: Any, tmp_path: Path
) -> None:
    config = mixed_config(telegram.base_url, smtp.port, tmp_path)
    assert [r.person for r in mail_readers(config)] == ["ben", "carl"]  # dora is no digest recipient

    sent = await send_weekly_digest(redis, config, "2026-W47")

    assert [int(p["chat_id"]) for p in telegram.calls_of("sendPhoto")] == [ANNA, CARL]
    assert [(m.person, m.ok) for m in sent.mails] == [("ben", True), ("carl", True)]
    assert [m.rcpt_tos for m in smtp.mails] == [["ben@example.com"], ["carl@example.de"]]
    subjects = [m.message["Subject"] for m in smtp.mails]
    assert subjects == ["[warner] Weekly digest 2026-W47", "[warner] Wochenbericht KW 47/2026"]


async def test_a_bounce_is_listed_while_the_others_still_get_it(
    redis: Any, smtp: SmtpServer, telegram: Any, tokens: Any, tmp_path: Path
) -> None:
    smtp.refuse("ben@example.com")
    config = mixed_config(telegram.base_url, smtp.port, tmp_path)

    sent = await send_weekly_digest(redis, config, "2026-W47")

    [bounced] = [m for m in sent.mails if not m.ok]
    assert bounced.person == "ben" and bounced.permanent and bounced.error and "550" in bounced.error
    assert [m.rcpt_tos for m in smtp.mails] == [["carl@example.de"]] and all(d.ok for d in sent.deliveries)


async def test_with_telegram_down_the_mail_alone_is_a_sent_digest(
    redis: Any, smtp: SmtpServer, tokens: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_TELEGRAM_TOKEN", "123456:test-token")
    config = mixed_config(f"http://127.0.0.1:{free_port()}", smtp.port, tmp_path)

    sent = await send_weekly_digest(redis, config, "2026-W47")

    assert sent.deliveries == [] and [m.ok for m in sent.mails] == [True, True]


async def test_a_digest_that_reached_nobody_fails_transient_or_permanent(
    redis: Any, tokens: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_TELEGRAM_TOKEN", "123456:test-token")
    mail_only = MIXED.replace('  telegram: {{token_env: TEST_TELEGRAM_TOKEN, base_url: "{telegram}"}}\n', "")
    down = free_port()
    config = parse_config(CONFIG_YAML + mail_only.format(anna=ANNA, carl=CARL, port=down, out=tmp_path), "d.yaml")

    with pytest.raises(DigestFailure) as unreachable:
        await send_weekly_digest(redis, config, "2026-W47")
    assert (unreachable.value.reason, unreachable.value.permanent) == (failures.MAIL_UNREACHABLE, False)

    async with SmtpServer() as smtp:
        smtp.refuse("ben@example.com")
        smtp.refuse("carl@example.de")
        config = parse_config(
            CONFIG_YAML + mail_only.format(anna=ANNA, carl=CARL, port=smtp.port, out=tmp_path), "d.yaml"
        )
        with pytest.raises(DigestFailure) as refused:
            await send_weekly_digest(redis, config, "2026-W47")
    assert (refused.value.reason, refused.value.permanent) == (failures.RECIPIENTS_REFUSED, True)
    assert "ben@example.com" in refused.value.message and "email (oncall.people)" in refused.value.message


async def test_the_command_sends_by_mail_and_writes_the_mail_for_preview(
    smtp: SmtpServer, tmp_path: Path, telegram: Any
) -> None:
    config_file = tmp_path / "warner.yaml"
    config_file.write_text(CONFIG_YAML + MIXED.format(anna=ANNA, carl=CARL, telegram=telegram.base_url,
                                                      port=smtp.port, out=tmp_path))  # fmt: skip
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg"), "REDIS_URL": "", "NO_PROXY": "127.0.0.1"}

    async def digest(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "warner", "--config", str(config_file), "digest", "--week", "2026-W47", *args]
        return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=90, env=env)

    eml = tmp_path / "preview.eml"
    preview = await digest("--format", "email", "--lang", "en", "--out", str(eml))
    assert preview.returncode == 0, preview.stderr
    message = cast(EmailMessage, message_from_bytes(eml.read_bytes(), policy=policy.default))
    assert message["Subject"] == "[warner] Weekly digest 2026-W47" and "image/png" in parts(message)
    assert smtp.mails == []  # a preview sends nothing

    smtp.refuse("ben@example.com")
    sent = await digest("--send")
    assert sent.returncode == 1  # one recipient did not get it
    assert "to 3 of 4 recipients (1 by mail)" in sent.stdout
    assert "error: no mail to ben (ben@example.com)" in sent.stderr and "check their email" in sent.stderr
    assert [m.rcpt_tos for m in smtp.mails] == [["carl@example.de"]]
