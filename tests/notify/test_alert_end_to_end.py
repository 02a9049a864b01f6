"""A storm's alert as people on call meet it, through a real ``warner run`` and the Bot API double:
each in their own language with figures they can read, and one Acknowledge edits each alert once.

The clock is fast (10-second buckets, no confirmation wait) so the storm pages in seconds.
"""

from __future__ import annotations

import asyncio
import collections
import time

import aiohttp
import pytest
from running import post_angry_posts, warner_run
from support import TELEGRAM_TOKEN

pytestmark = pytest.mark.timeout(120)

LENA, MAX = 1001, 1002
TOKEN = "alert-end-to-end-token"
CONFIG = """
brands:
  - {{name: krume, display_name: "Bäckerei Krume", aliases: ["Krume"]}}
bucket: 10s
detect: {{lateness: 5s, confirm_mood_for: 0s}}
ingest:
  port: 0
  sources: [{{name: listening, token_env: E2E_TOKEN}}]
oncall:
  people:
    - {{id: lena, name: Lena, telegram_id: {lena}}}
    - {{id: max, name: Max, telegram_id: {max}, language: en}}
notify:
  telegram: {{token_env: TEST_TELEGRAM_TOKEN, base_url: "{telegram}"}}
escalation:
  group_wait: {{critical: 0s, warning: 0s}}
  policies: [{{id: storm, steps: [{{notify_persons: [lena, max], channels: [telegram]}}]}}]
  routes: [{{severity: [warning, critical], when: any, policy: storm}}]
"""
ANGRY = ["Krume hat mich abgezockt, nie wieder!", "Frechheit, das Brot von Krume war schimmelig",
         "Finger weg von Krume, totaler Betrug", "Krume ignoriert jede Beschwerde, unverschämt"]


async def storm_until_both_are_paged(url: str, telegram) -> None:
    async with aiohttp.ClientSession() as http:
        n, started = 0, time.monotonic()
        while len({int(c["chat_id"]) for c in telegram.calls_of("sendMessage")} & {LENA, MAX}) < 2:
            assert time.monotonic() - started < 60, "nobody was paged within a minute"
            n = await post_angry_posts(http, url, TOKEN, ANGRY, n)
            await asyncio.sleep(1)


def alert_to(telegram, chat_id: int) -> dict:
    return next(m for (chat, _), m in telegram.messages.items() if chat == chat_id and m.get("reply_markup"))


def button(message: dict, word: str) -> str:
    return next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
                if word in b["text"])  # fmt: skip


async def test_the_alert_speaks_each_person_s_language_and_one_acknowledge_edits_each_alert_once(
    tmp_path, telegram
) -> None:
    config = CONFIG.format(lena=LENA, max=MAX, telegram=telegram.base_url)
    env = {"E2E_TOKEN": TOKEN, "TEST_TELEGRAM_TOKEN": TELEGRAM_TOKEN}
    with warner_run(config, tmp_path, env) as run:
        await asyncio.to_thread(run.wait_event, "telegram_poller_elected")
        await storm_until_both_are_paged(run.url, telegram)
        lena, max_ = alert_to(telegram, LENA), alert_to(telegram, MAX)
        assert "Erwähnungen in" in lena["text"] and "sonst" in lena["text"] and "×" not in lena["text"]
        assert "mentions in" in max_["text"] and "usually" in max_["text"]

        await telegram.press(telegram.user(LENA, "Lena"), lena, button(lena, "Übernehmen"))
        await telegram.wait_for("answerCallbackQuery")
        await asyncio.sleep(1.0)  # a second edit, if any, comes right after
        edits = collections.Counter(
            (int(c["chat_id"]), int(c["message_id"])) for c in telegram.calls_of("editMessageText"))
        assert edits[(LENA, lena["message_id"])] == 1 and edits[(MAX, max_["message_id"])] == 1
        assert "Übernommen von Lena" in telegram.messages[(LENA, lena["message_id"])]["text"]
        assert "Acknowledged by Lena" in telegram.messages[(MAX, max_["message_id"])]["text"]
