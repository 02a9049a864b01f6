"""A test page reaches a person through each of their channels and says what each answered (issue 19, point 1).

``warner page --test PERSON`` runs as a person runs it (``python -m warner`` in a subprocess)
against the local Bot API double and the SMS gateway double, which keep serving on this
test's event loop meanwhile; the bot's ``/test`` goes through the pager as a worker builds
it, with python-telegram-bot polling the double. Nothing may land in Redis: a test page is
no incident, starts no escalation and never shows up in the digest.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from doubles.sms_gateway import SmsGateway
from doubles.telegram_api import TelegramApiDouble
from support import CONFIG_YAML

from warner.config.loading import parse_config
from warner.core import ManualClock
from warner.metrics import Metrics
from warner.notify.telegram.bot import start_polling
from warner.paging import build_pager

ANNA, BEN = 1001, 1002
ANNA_PHONE, BEN_PHONE = "+4915111111111", "+4915122222222"

TEST_PAGE_YAML = """
oncall:
  people:
    - {{id: anna, name: Anna, telegram_id: {anna}, phone: "{anna_phone}"}}
    - {{id: ben, name: Ben, telegram_id: {ben}, phone: "{ben_phone}", language: en}}
    - {{id: cem, name: Cem}}
  schedules:
    - id: social
      layers:
        - {{id: base, type: weekly, handoff: "09:00", start: 2026-11-16, members: [anna, ben]}}
notify:
  telegram: {{token_env: TEST_TELEGRAM_TOKEN, base_url: "{telegram}"}}
  sms:
    provider: twilio
    twilio: {{base_url: "{sms}", account_sid: AC0123456789abcdef, auth_token_env: TEST_TWILIO_TOKEN,
              from_number: "+4930123456"}}
  console: {console}
escalation:
  policies:
    - id: storm
      steps:
        - {{notify_on_call: social, channels: [telegram, sms], delivery: all}}
  routes:
    - {{severity: [warning, critical], when: any, policy: storm}}
"""

ENV = {"NO_PROXY": "127.0.0.1", "TEST_TELEGRAM_TOKEN": "123456:test-token", "TEST_TWILIO_TOKEN": "twilio-test-token"}


@pytest.fixture
async def doubles(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    async with TelegramApiDouble() as telegram, SmsGateway() as sms:
        yield telegram, sms


def config_text(telegram, sms, *, console: bool = False) -> str:
    return CONFIG_YAML + TEST_PAGE_YAML.format(
        anna=ANNA, ben=BEN, anna_phone=ANNA_PHONE, ben_phone=BEN_PHONE, telegram=telegram.base_url, sms=sms.url,
        console="true" if console else "false",
    )  # fmt: skip


async def warner(tmp_path: Path, redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m warner`` on a thread, so the doubles keep answering on this loop."""
    env = {**os.environ, **ENV, "XDG_DATA_HOME": str(tmp_path / "xdg"), "REDIS_URL": redis_url}
    command = [sys.executable, "-m", "warner", *args]
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=60, env=env)


def sent_to(telegram, chat_id):
    return [c for c in telegram.calls_of("sendMessage") if int(c["chat_id"]) == chat_id]


async def test_page_test_reaches_the_person_on_telegram_and_by_sms_and_prints_what_each_answered(
    tmp_path, config_file, redis, redis_url, tokens, doubles
):
    telegram, sms = doubles
    config = config_file(config_text(telegram, sms))
    result = await warner(tmp_path, redis_url, "--config", str(config), "page", "--test", "anna")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"telegram: delivered to {ANNA}", f"sms: delivered to {ANNA_PHONE}"]

    (message,) = sent_to(telegram, ANNA)
    assert message["text"].startswith("🧪 Testalarm – kein Vorfall\n")
    assert "Anna über Telegram" in message["text"] and "reply_markup" not in message  # nothing to press
    (text,) = [r.form for r in sms.requests]
    assert text["To"] == ANNA_PHONE and text["Body"].startswith("warner Testalarm - kein Vorfall.")
    assert "Anna per SMS" in text["Body"] and len(text["Body"]) <= 160
    assert await redis.keys("*") == []  # no incident, no escalation, nothing for the digest


async def test_page_test_speaks_the_person_s_language_and_the_console_answers_too(
    tmp_path, config_file, redis_url, tokens, doubles
):
    telegram, sms = doubles
    config = config_file(config_text(telegram, sms, console=True))
    result = await warner(tmp_path, redis_url, "--config", str(config), "page", "--test", "ben")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    answers = [f"telegram: delivered to {BEN}", f"sms: delivered to {BEN_PHONE}", "console: delivered to ben"]
    assert lines[-3:] == answers
    assert "[test page → Ben (ben)] 🧪 Test page – no incident" in result.stdout
    assert sent_to(telegram, BEN)[0]["text"].startswith("🧪 Test page – no incident\n")
    assert sms.requests[0].form["Body"].startswith("warner test page - no incident.")


async def test_page_test_exits_1_with_each_channel_s_error_when_none_delivers(
    tmp_path, config_file, redis_url, tokens, doubles
):
    telegram, sms = doubles
    telegram.blocked_chats.add(ANNA)
    sms.fail_next(1, 400, body="invalid number")
    config = config_file(config_text(telegram, sms))
    result = await warner(tmp_path, redis_url, "--config", str(config), "page", "--test", "anna")
    assert result.returncode == 1
    telegram_line, sms_line = result.stdout.splitlines()
    assert telegram_line.startswith("telegram: not delivered – Forbidden:") and "blocked" in telegram_line
    assert sms_line == 'sms: not delivered – HTTP 400: {"message": "invalid number"}'
    assert len(sms.requests) == 1  # one try per channel: the answer, not a retry storm


async def test_page_test_says_which_channel_cannot_reach_a_person_without_telegram_id_or_phone(
    tmp_path, config_file, redis_url, tokens, doubles
):
    telegram, sms = doubles
    config = config_file(config_text(telegram, sms))
    result = await warner(tmp_path, redis_url, "--config", str(config), "page", "--test", "cem")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "telegram: not delivered – cem has no telegram_id",
        "sms: not delivered – cem has no phone number",
    ]
    assert telegram.calls_of("sendMessage") == [] and sms.requests == []


async def test_page_test_for_an_unknown_person_is_one_line_naming_the_known_ids(
    tmp_path, config_file, redis_url, tokens, doubles
):
    telegram, sms = doubles
    config = config_file(config_text(telegram, sms))
    result = await warner(tmp_path, redis_url, "--config", str(config), "page", "--test", "zoe")
    assert result.returncode == 1 and result.stdout == ""
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert line == "error: unknown person 'zoe' (known: anna, ben, cem) — person ids are set in oncall.people"
    assert telegram.calls_of("sendMessage") == [] and sms.requests == []


async def test_test_command_sends_the_test_page_through_every_channel_of_the_sender_and_replies_with_the_answers(
    redis, tokens, doubles
):
    telegram, sms = doubles
    config = parse_config(config_text(telegram, sms), "paging.yaml")
    pager = build_pager(config, redis, Metrics(), clock=ManualClock(1795287000))
    await start_polling(pager.application, poll_timeout_s=1)
    try:
        await telegram.command(telegram.user(BEN, "Ben", "de"), "/test")
        page, reply = await telegram.wait_for("sendMessage", 2, timeout=10)
    finally:
        await pager.close()
    assert int(page["chat_id"]) == BEN and page["text"].startswith("🧪 Test page – no incident")
    assert [r.form["To"] for r in sms.requests] == [BEN_PHONE]
    assert int(reply["chat_id"]) == BEN
    assert reply["text"] == f"Test page to Ben:\ntelegram: delivered to {BEN}\nsms: delivered to {BEN_PHONE}"
    assert await redis.keys("*") == []


async def test_page_test_without_any_channel_set_up_says_which_keys_set_one_up(
    tmp_path, config_file, redis_url, tokens
):
    config = config_file(CONFIG_YAML + "oncall:\n  people:\n    - {id: anna, name: Anna, telegram_id: 1001}\n")
    result = await warner(tmp_path, redis_url, "--config", str(config), "page", "--test", "anna")
    assert result.returncode == 1 and result.stdout == ""
    no_channel = "error: No channel set up (notify.telegram, notify.sms, notify.voice, notify.email or notify.console)."
    assert no_channel in result.stderr.splitlines()


async def test_page_test_with_a_token_telegram_refuses_says_what_to_check_not_invalid_token(
    tmp_path, config_file, redis_url, tokens, doubles
):
    telegram, sms = doubles
    telegram.fail("getMe", status=404, times=5, description="Not Found")
    config = config_file(config_text(telegram, sms, console=True))
    result = await warner(tmp_path, redis_url, "--config", str(config), "page", "--test", "anna")
    assert result.returncode == 1  # the console delivered, but the phone was not reached
    (telegram_line,) = [line for line in result.stdout.splitlines() if line.startswith("telegram:")]
    assert "Telegram refused the bot token (404 Not Found" in telegram_line
    assert "TEST_TELEGRAM_TOKEN (notify.telegram.token_env)" in telegram_line
    assert "InvalidToken" not in result.stdout + result.stderr and "Traceback" not in result.stderr
    assert "console: delivered to anna" in result.stdout and "sms: delivered" in result.stdout
