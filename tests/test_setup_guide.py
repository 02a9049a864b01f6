"""docs/setup.md, followed as a new user follows it: its configuration, check-config, run, the
/start that tells a stranger their ids, a test page to a person, the first mention.

The only changes to the guide's YAML are where its services live: Telegram, the SMS gateway and
the RSS feed are local doubles, and the API takes a free port.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
import yaml
from doubles.feeds import RSS_PATH, FeedServer
from doubles.sms_gateway import GENERIC_PATH, SmsGateway
from doubles.telegram_api import TelegramApiDouble
from running import warner_run

pytestmark = pytest.mark.timeout(120)

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "setup.md"
ENV = {
    "TELEGRAM_BOT_TOKEN": "123456789:guide-test-token",
    "SMS_GATEWAY_TOKEN": "sms-gateway-token-0815",
    "SMS_REPLY_TOKEN": "sms-reply-token-4711",
    "WARNER_TOKEN_LISTENING": "listening-token-1234",
    "NO_PROXY": "127.0.0.1",
}
LENA, STRANGER = 1001, 5151  # 4242 is the double's bot


def guide_config(telegram: TelegramApiDouble, sms: SmsGateway, feeds: FeedServer) -> str:
    """The guide's YAML, pointed at the doubles."""
    block = re.search(r"## 4\. The configuration.*?```yaml\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    assert block, "docs/setup.md lost its configuration block"
    config = yaml.safe_load(block.group(1))
    config["ingest"]["port"] = 0
    config["notify"]["telegram"]["base_url"] = telegram.base_url
    config["notify"]["sms"]["http"]["url"] = sms.url + GENERIC_PATH
    config["sources"]["rss"][0]["url"] = feeds.url(RSS_PATH)
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def commands_of_step_5() -> list[str]:
    section = GUIDE.read_text(encoding="utf-8").split("## 5.")[1].split("## 6.")[0]
    return re.findall(r"^\.venv/bin/(warner [^#\n]*?)\s*(?:#.*)?$", section, re.M)


async def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **ENV, "XDG_DATA_HOME": str(tmp_path / "xdg"), "REDIS_URL": "",
           "WARNER_CONFIG": str(tmp_path / "warner.yaml")}
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "warner", *args], capture_output=True,
                                   text=True, timeout=60, env=env, cwd=tmp_path)


async def test_the_setup_guide_leads_from_an_empty_directory_to_a_test_page(tmp_path: Path) -> None:
    assert commands_of_step_5() == ["warner check-config warner.yaml", "warner run &", "warner page --test lena"]
    async with TelegramApiDouble() as telegram, SmsGateway() as sms, FeedServer() as feeds:
        text = guide_config(telegram, sms, feeds)
        (tmp_path / "warner.yaml").write_text(text, encoding="utf-8")

        checked = await cli(tmp_path, "check-config", "warner.yaml")
        assert checked.returncode == 0 and "OK" in checked.stdout, checked.stdout + checked.stderr

        with warner_run(text, tmp_path, ENV) as run:
            await asyncio.to_thread(run.wait_event, "telegram_poller_elected")
            # Step 2: a stranger's /start tells them their ids and where they go.
            await telegram.command(telegram.user(STRANGER, "Jo"), "/start")
            (answer,) = await telegram.wait_for("sendMessage", 1, timeout=10)
            assert str(STRANGER) in answer["text"] and "telegram_id" in answer["text"]

            paged = await cli(tmp_path, "page", "--test", "lena")
            assert paged.returncode == 0, paged.stdout + paged.stderr
            assert "telegram: delivered" in paged.stdout and "sms: delivered" in paged.stdout
            to_lena = [c for c in telegram.calls_of("sendMessage") if str(c["chat_id"]) == str(LENA)]
            assert len(to_lena) == 1 and "Test" in to_lena[0]["text"]
            (sent,) = sms.requests
            assert sent.json["to"] == "+4915111111111" and sent.bearer == ENV["SMS_GATEWAY_TOKEN"]

            # Step 5's first mention, as curl sends it.
            body = {"id": "1", "text": "Das Sauerteigbrot von Krume ist das beste",
                    "created_at": "2026-12-05T10:00:00+01:00"}
            async with aiohttp.ClientSession() as http, http.post(
                f"{run.url}/v1/mentions", json=body,
                headers={"Authorization": f"Bearer {ENV['WARNER_TOKEN_LISTENING']}"},
            ) as response:
                assert (response.status, await response.json()) == (202, {"accepted": 1, "duplicates": 0,
                                                                          "unmatched": 0})
                # A mention that names no brand warner knows: kept, and said so in the answer and the metrics.
                stray = {**body, "id": "2", "text": "Das beste Brot in Ulm"}
                async with http.post(f"{run.url}/v1/mentions", json=stray, headers={
                        "Authorization": f"Bearer {ENV['WARNER_TOKEN_LISTENING']}"}) as response:
                    assert (await response.json())["unmatched"] == 1
                async with http.get(f"{run.url}/metrics") as response:
                    metrics = await response.text()
            assert 'warner_ingest_unmatched_total{source="listening"} 1.0' in metrics
            assert "warner_digest_sent_total" in metrics
            # A fresh install sends no digest for the week before it existed.
            skipped = await asyncio.to_thread(run.wait_event, "digest_skipped")
            assert skipped["reason"] == "before_first_data"
