"""The documented Telegram token rotation with real processes: a revoked token while a storm pages,
then ``warner run`` restarted with the new token — the page that fell due in between goes out once.

deploy/OPERATIONS.md, "Rotating the Telegram bot token": the token is read at start, so the
operator puts the new token in place and restarts the processes. The page that no channel
delivered meanwhile is kept in Redis (a re-send timer) and the restarted process sends it. The
clock is fast (10-second buckets, no confirmation wait) so the storm pages in seconds.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from running import post_angry_posts, warner_run

pytestmark = pytest.mark.timeout(150)

LENA = 1001
INGEST_TOKEN = "rotation-ingest-token"
OLD, NEW = "111111:old-token", "222222:new-token"
CONFIG = """
brands:
  - {{name: krume, display_name: "Bäckerei Krume", aliases: ["Krume"]}}
bucket: 10s
detect: {{lateness: 5s, confirm_mood_for: 0s}}
ingest:
  port: 0
  sources: [{{name: listening, token_env: ROTATION_INGEST_TOKEN}}]
oncall:
  people:
    - {{id: lena, name: Lena, telegram_id: {lena}}}
notify:
  telegram: {{token_env: ROTATION_BOT_TOKEN, base_url: "{telegram}"}}
escalation:
  group_wait: {{critical: 0s, warning: 0s}}
  redeliver_after: 1s
  policies: [{{id: storm, steps: [{{notify_persons: [lena], channels: [telegram]}}]}}]
  routes: [{{severity: [warning, critical], when: any, policy: storm}}]
"""
ANGRY = ["Krume hat mich abgezockt, nie wieder!", "Frechheit, das Brot von Krume war schimmelig",
         "Finger weg von Krume, totaler Betrug", "Krume ignoriert jede Beschwerde, unverschämt"]


def sent_to_lena(telegram, token: str) -> list:
    return [c for c in telegram.calls if c.method == "sendMessage" and c.token == token
            and int(c.params.get("chat_id", 0)) == LENA]  # fmt: skip


async def test_a_page_refused_with_the_revoked_token_goes_out_once_after_the_restart_with_the_new_one(
    tmp_path, telegram
) -> None:
    telegram.valid_tokens = set()  # @BotFather /revoke: the old token is refused, no new one exists yet
    config = CONFIG.format(lena=LENA, telegram=telegram.base_url)
    env = {"ROTATION_INGEST_TOKEN": INGEST_TOKEN, "ROTATION_BOT_TOKEN": OLD}
    with warner_run(config, tmp_path, env) as run:
        async with aiohttp.ClientSession() as http:
            n, started = 0, time.monotonic()
            while not sent_to_lena(telegram, OLD):  # the storm until its page is tried (and refused)
                assert time.monotonic() - started < 60, "the storm was not paged within a minute"
                n = await post_angry_posts(http, run.url, INGEST_TOKEN, ANGRY, n)
                await asyncio.sleep(1)
        await asyncio.to_thread(run.wait_event, "page_undeliverable", 20)
    refused = len(sent_to_lena(telegram, OLD))

    # The operator: the new token from @BotFather into the environment, then the restart.
    telegram.valid_tokens = {NEW}
    with warner_run(config, tmp_path, {**env, "ROTATION_BOT_TOKEN": NEW}):
        started = time.monotonic()
        while not sent_to_lena(telegram, NEW):
            assert time.monotonic() - started < 30, "the kept page was not sent after the restart"
            await asyncio.sleep(0.2)
        await asyncio.sleep(3)  # a second copy, if any, would come within the re-send interval
    delivered = sent_to_lena(telegram, NEW)
    assert refused >= 1 and len(delivered) == 1, (refused, len(delivered))
    assert "Krume" in delivered[0].params["text"]
