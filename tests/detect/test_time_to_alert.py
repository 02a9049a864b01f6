"""Time to alert as docs/detection.md explains it, on a real ``warner run`` and a fast clock
(10-second buckets) so the tests take seconds, not minutes: a crowd of new people posting
angrily pages within seconds, before its bucket closes (``page_at_once_from``); a burst too
thin for that pages after ``confirm_mood_for`` plus at most two buckets and the lateness."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from running import post_angry_posts, warner_run

pytestmark = pytest.mark.timeout(120)

TOKEN = "time-to-alert-token-1234"
CONFIG = """
brands:
  - {name: krume, aliases: ["Krume"]}
bucket: 10s
detect: {lateness: 5s, confirm_mood_for: 20s}
ingest:
  port: 0
  sources: [{name: listening, token_env: TTA_TOKEN}]
oncall:
  people: [{id: lena, name: Lena}]
  schedules:
    - id: social
      layers: [{id: base, type: weekly, handoff: "09:00", start: 2026-01-05, members: [lena]}]
notify: {console: true}
escalation:
  policies: [{id: storm, steps: [{notify_on_call: social, channels: [console]}]}]
  routes: [{severity: [warning, critical], when: any, policy: storm}]
"""
ANGRY = ["Krume hat mich abgezockt, nie wieder!", "Frechheit, das Brot von Krume war schimmelig",
         "Finger weg von Krume, totaler Betrug", "Krume ignoriert jede Beschwerde, unverschämt"]


async def pages(http: aiohttp.ClientSession, url: str) -> float:
    async with http.get(f"{url}/metrics") as response:
        text = await response.text()
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith("warner_pages_delivered_total{"))


async def burst_until_paged(url: str, per_second: int) -> float:
    async with aiohttp.ClientSession() as http:
        first, n = time.monotonic(), 0
        while await pages(http, url) == 0:
            if time.monotonic() - first > 90:
                raise AssertionError("no page within 90 s")
            n = await post_angry_posts(http, url, TOKEN, ANGRY, n, per_second)  # from new people
            await asyncio.sleep(1)
        return time.monotonic() - first


def test_a_crowd_of_new_people_on_a_new_brand_pages_within_seconds_before_its_bucket_closes(tmp_path) -> None:
    with warner_run(CONFIG, tmp_path, {"TTA_TOKEN": TOKEN}) as run:
        delay = asyncio.run(burst_until_paged(run.url, per_second=3))  # twelve new people in four seconds
        raised = run.wait_event("episode_raised_early", timeout=1)
    assert delay < 10, delay  # the confirmation (20 s) never started, and no bucket had to close
    assert raised["severity"] == "critical" and raised["people"] >= 12


def test_a_burst_too_thin_to_page_at_once_pages_after_the_confirmation_plus_at_most_two_buckets_and_the_lateness(
    tmp_path,
) -> None:
    thin = CONFIG.replace("bucket: 10s", "bucket: 5s").replace("lateness: 5s, confirm_mood_for: 20s",
                                                                   "lateness: 2s, confirm_mood_for: 10s")
    with warner_run(thin, tmp_path, {"TTA_TOKEN": TOKEN}) as run:
        delay = asyncio.run(burst_until_paged(run.url, per_second=2))  # ten in a bucket, fewer than twelve
        assert not [e for e in run.events() if e.get("event") == "episode_raised_early"]
    confirm, bucket, lateness = 10, 5, 2
    assert confirm <= delay <= confirm + 2 * bucket + lateness + 5, delay
