"""RSS, Mastodon and Bluesky through one runner: the stream gets every brand mention once.

Each adapter talks to its local double (aiohttp on 127.0.0.1, real response shapes); the
runner stores cursors in the real Redis. One source being rate limited delays only itself;
a restart (new runner, new adapters, same Redis) brings what was posted meanwhile, once.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from doubles.bluesky_api import BlueskyApiDouble
from doubles.feeds import RSS_PATH, FeedServer
from doubles.mastodon_api import MastodonApiDouble
from ingest.sources.test_rss import entry, stored
from support import CONFIG_YAML

from warner.config.loading import parse_config
from warner.ingest.brands import BrandMatcher
from warner.ingest.sources.factory import build_sources
from warner.ingest.sources.runner import SourceRunner
from warner.metrics import Metrics

SOURCES = """
sources:
  rss: [{{name: bierblog, url: '{rss}', interval: 5m}}]
  mastodon: [{{name: masto, instance: '{masto}', hashtags: [kesselberg], interval: 2m}}]
  bluesky: [{{name: bsky, service: '{bsky}', queries: [kesselberger], interval: 2m}}]
"""


@pytest.fixture
async def doubles(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with FeedServer() as feeds, MastodonApiDouble() as masto, BlueskyApiDouble() as bsky:
        yield feeds, masto, bsky


def make_runner(redis, config) -> SourceRunner:
    matcher = BrandMatcher(config.brands)
    return SourceRunner(redis, config, build_sources(config, matcher), Metrics(), matcher=matcher)


async def poll_all(runner: SourceRunner) -> dict[str, float]:
    return {s.name: await runner.poll_once(s) for s in runner.sources}


async def test_three_kinds_of_source_feed_one_stream_once_across_a_rate_limit_and_a_restart(redis, doubles) -> None:
    feeds, masto, bsky = doubles
    config = parse_config(
        CONFIG_YAML + SOURCES.format(rss=feeds.url(RSS_PATH), masto=masto.base_url, bsky=bsky.base_url), "s.yaml"
    )
    feeds.add(RSS_PATH, entry(1, "Kesselberger Helles ist ausverkauft"))
    masto.post("kesselberg", "<p>Glas im <b>Kesselberger</b>? Was ist da los</p>", followers=900, boosts=3)
    masto.post("kesselberg", "<p>Schönes Wetter heute</p>")  # on the hashtag page, but about no brand
    bsky.post("Kesselberger ruft zurück, habe ich gelesen", at=datetime(2026, 11, 21, 19, 0, tzinfo=UTC))

    first = make_runner(redis, config)
    await poll_all(first)
    texts = [m["text"] for m in await stored(redis)]
    assert len(texts) == 3 and not any("Wetter" in t for t in texts)
    assert {m["source"] for m in await stored(redis)} == {"bierblog", "masto", "bsky"}
    assert {m["brand"] for m in await stored(redis)} == {"kesselberg"}

    # Mastodon rate limits us; the others carry on. Then the service restarts.
    masto.fail(status=429, headers={"Retry-After": "90"})
    feeds.add(RSS_PATH, entry(2, "Kesselberger Dunkel im Test"))
    waits = await poll_all(first)
    assert waits["masto"] == pytest.approx(90, abs=1)
    masto.post("kesselberg", "<p>Kesselberger schweigt immer noch</p>")
    bsky.post("Kesselberger: Stellungnahme jetzt online", at=datetime(2026, 11, 21, 19, 30, tzinfo=UTC))

    restarted = make_runner(redis, config)
    await poll_all(restarted)
    await poll_all(restarted)  # polling again brings nothing twice
    mentions = await stored(redis)
    assert len(mentions) == 6
    assert len({(m["source"], m["id"]) for m in mentions}) == 6
    for runner in (first, restarted):
        for source in runner.sources:
            await source.close()
