"""``warner digest`` as a person runs it: real processes, the embedded Redis, the Bot API double.

Printing is the default (also ``--format telegram``: what would be sent, nothing sent);
``--send`` delivers; a refusal is one line that says what to fix, never a traceback.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from digest.recipients import ANNA, BEN, digest_yaml
from doubles.telegram_api import TelegramApiDouble
from support import CONFIG_YAML

from warner.core import ManualClock
from warner.digest.config import DigestConfig
from warner.digest.schedule import DigestScheduler
from warner.store import keys
from warner.store.connection import connect
from warner.store.embedded import EmbeddedRedis

TOKEN = "123456:test-token"



@pytest.fixture
async def telegram():
    async with TelegramApiDouble() as api:
        yield api


@pytest.fixture
def data_home(tmp_path: Path) -> Path:
    return tmp_path / "xdg"


@pytest.fixture
def digest(tmp_path, data_home, telegram):  # type: ignore[no-untyped-def]
    """Run ``warner digest ARGS`` in a child process (off the event loop, which serves the double)."""
    env = {**os.environ, "XDG_DATA_HOME": str(data_home), "REDIS_URL": "", "NO_PROXY": "127.0.0.1",
           "TEST_TELEGRAM_TOKEN": TOKEN}  # fmt: skip

    async def run(*args: str, base_url: str = telegram.base_url) -> subprocess.CompletedProcess:
        config = tmp_path / "warner.yaml"
        config.write_text(CONFIG_YAML + digest_yaml(base_url))
        command = [sys.executable, "-m", "warner", "--config", str(config), "digest", "--week", "2026-W47", *args]
        return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=90, env=env)

    return run


def sent_messages(telegram: TelegramApiDouble) -> list[str]:
    return [c.method for c in telegram.calls if c.method in ("sendMessage", "sendPhoto")]


async def test_format_telegram_prints_what_each_language_would_get_and_sends_nothing(digest, telegram) -> None:
    result = await digest("--format", "telegram")
    assert result.returncode == 0, result.stderr
    assert "not sent (add --send to deliver them to 2 recipients)" in result.stdout
    assert f"=== de: anna ({ANNA}) ===" in result.stdout and f"=== en: ben ({BEN}) ===" in result.stdout
    assert "Wochenbericht KW 47/2026" in result.stdout and "Weekly digest 2026-W47" in result.stdout
    assert telegram.calls == []  # not even getMe


async def test_when_warner_is_not_running_it_says_once_where_it_reads_and_logs_nothing_else(
    digest, data_home
) -> None:
    result = await digest()
    assert result.returncode == 0, result.stderr
    assert "Wochenbericht KW 47/2026" in result.stdout
    assert result.stderr.splitlines() == [f"warner is not running; reading its data dir {data_home / 'warner'}"]


async def test_with_warner_running_it_attaches_quietly(digest, data_home) -> None:
    server = EmbeddedRedis(data_home / "warner")  # this test process plays the running `warner run`
    server.start()
    try:
        result = await digest()
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    assert "Wochenbericht KW 47/2026" in result.stdout and result.stderr == ""


async def test_send_delivers_to_every_recipient_and_the_scheduler_does_not_send_it_again(
    digest, telegram, data_home
) -> None:
    result = await digest("--send")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sent the digest of 2026-W47 to 2 of 2 recipients; saved ")
    assert sent_messages(telegram) == ["sendPhoto", "sendMessage", "sendPhoto", "sendMessage"]

    server = EmbeddedRedis(data_home / "warner")  # the `warner run` that starts next on this data dir
    client = connect(server.start())
    try:
        clock, tried = ManualClock(1795417200.0), []  # Monday 23 Nov 2026, 08:00: W47 is due
        scheduler = DigestScheduler(client, DigestConfig(), tried.append, clock)  # type: ignore[arg-type]
        assert await scheduler.check() is None and tried == []
        assert (await client.get(keys.digest_sent("2026-W47"))).endswith(b"by warner digest --send")
    finally:
        await client.aclose()
        server.stop()


async def test_a_refused_token_is_one_line_that_says_what_to_check(digest, telegram) -> None:
    telegram.fail("getMe", status=404, description="Not Found")
    result = await digest("--send")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and TOKEN not in result.stderr and "InvalidToken" not in result.stderr
    (error,) = [line for line in result.stderr.splitlines() if not line.startswith("warner is not running")]
    assert error == (
        f"error: Telegram refused the bot token (404 Not Found from {telegram.base_url}/bot<token>/getMe): "
        "check the token in TEST_TELEGRAM_TOKEN (notify.telegram.token_env) and notify.telegram.base_url"
    )
    assert sent_messages(telegram) == []


async def test_a_recipient_who_blocked_the_bot_is_named_and_the_others_get_it(digest, telegram) -> None:
    telegram.blocked_chats.add(BEN)
    result = await digest("--send")
    assert result.returncode == 1
    assert "to 1 of 2 recipients" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: not delivered to ben ({BEN}): Forbidden")
    assert "send /start" in errors[0] and "Traceback" not in result.stderr


async def test_send_with_another_format_is_refused(digest, telegram) -> None:
    result = await digest("--send", "--format", "md")
    assert result.returncode == 2 and "--send delivers on Telegram" in result.stderr
    assert telegram.calls == []


async def test_a_base_url_that_is_not_the_bot_api_is_one_line_too(digest, telegram) -> None:
    result = await digest("--send", base_url=f"{telegram.base_url}/nope")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "JSON" not in result.stderr  # nor python-telegram-bot's own log
    (error,) = [line for line in result.stderr.splitlines() if not line.startswith("warner is not running")]
    assert error.startswith("error: Telegram refused the bot token (404 Not Found, not a Bot API answer from ")
