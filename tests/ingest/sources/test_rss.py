"""RSS and Atom feeds through the runner into the stream, against the local feed double."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from doubles.feeds import ATOM_PATH, RSS_PATH, FeedEntry, FeedServer
from structlog.testing import capture_logs
from support import CONFIG_YAML

from warner.config.loading import parse_config
from warner.config.root import Config
from warner.ingest.brands import BrandMatcher
from warner.ingest.sources.factory import build_sources
from warner.ingest.sources.runner import SourceRunner
from warner.ingest.sources.state import SourceState
from warner.metrics import Metrics
from warner.store import keys

T0 = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)


def entry(n: int, text: str = "Kesselberger Helles ist ausverkauft", **fields) -> FeedEntry:
    values = {
        "id": f"tag:bier.example,2026:post-{n}",
        "title": f"{text} ({n})",
        "link": f"https://bier.example/posts/{n}",
        "summary": f"<p>Heute im <b>Laden</b> &amp; online – Nummer {n}</p>",
        "published": T0.replace(minute=n % 60),
        "author": "Anna",
    }
    values.update(fields)
    return FeedEntry(**values)


def feeds_config(*feeds: str) -> Config:
    return parse_config(CONFIG_YAML + "sources:\n  rss:\n" + "".join(feeds), "test.yaml")


def feed(name: str, url: str, extra: str = "") -> str:
    return f"    - {{name: {name}, url: '{url}', interval: 5m{extra}}}\n"


def short(entry_id: str) -> str:
    return entry_id.rsplit(":", 1)[-1]


async def stored(redis) -> list[dict]:
    return [orjson.loads(fields[b"m"]) for _, fields in await redis.xrange(keys.MENTION_STREAM)]


def runner(redis, config: Config, **kw) -> SourceRunner:
    matcher = BrandMatcher(config.brands)
    return SourceRunner(redis, config, build_sources(config, matcher), Metrics(), matcher=matcher, **kw)


@pytest.fixture
async def feeds():
    async with FeedServer() as server:
        yield server


async def test_an_unchanged_feed_answers_304_and_nothing_is_added_twice(redis, feeds) -> None:
    feeds.add(RSS_PATH, entry(1), entry(2))
    r = runner(redis, feeds_config(feed("bierblog", feeds.url(RSS_PATH))))
    source = r.sources[0]
    assert await r.poll_once(source) == 300
    assert await r.poll_once(source) == 300
    await source.close()
    assert sorted(short(m["id"]) for m in await stored(redis)) == ["post-1", "post-2"]
    assert feeds.served(RSS_PATH) == [200, 304]
    assert feeds.requests[1].headers["If-None-Match"] == '"v2"'
    assert "If-Modified-Since" in feeds.requests[1].headers


async def test_new_entries_appear_once_and_read_as_plain_text(redis, feeds) -> None:
    feeds.add(RSS_PATH, entry(1))
    r = runner(redis, feeds_config(feed("bierblog", feeds.url(RSS_PATH))))
    await r.poll_once(r.sources[0])
    feeds.add(RSS_PATH, entry(2), entry(3))
    await r.poll_once(r.sources[0])
    await r.poll_once(r.sources[0])
    await r.sources[0].close()
    mentions = await stored(redis)
    assert [short(m["id"]) for m in mentions] == ["post-1", "post-2", "post-3"]
    first = mentions[0]
    assert first["source"] == "bierblog" and first["brand"] == "kesselberg"
    assert first["text"] == "Kesselberger Helles ist ausverkauft (1)\n\nHeute im Laden & online – Nummer 1"
    assert first["url"] == "https://bier.example/posts/1" and first["author"] == "Anna"
    assert datetime.fromisoformat(first["created_at"]) == T0.replace(minute=1)


async def test_a_restart_picks_up_what_was_published_while_down_without_duplicates(redis, feeds) -> None:
    feeds.add(RSS_PATH, entry(1), entry(2))
    config = feeds_config(feed("bierblog", feeds.url(RSS_PATH)))
    before = runner(redis, config)
    await before.poll_once(before.sources[0])
    await before.sources[0].close()

    feeds.add(RSS_PATH, entry(3), entry(4))  # published while warner was down
    after = runner(redis, config)
    await after.poll_once(after.sources[0])
    await after.sources[0].close()
    assert [short(m["id"]) for m in await stored(redis)] == ["post-1", "post-2", "post-3", "post-4"]
    assert (await SourceState(redis).health("bierblog")).mentions == 4


async def test_a_cursor_lost_after_the_append_does_not_duplicate(redis, feeds) -> None:
    """A crash between append and cursor save re-offers the page; the stream's dedupe drops it."""
    feeds.add(ATOM_PATH, entry(1), entry(2))
    config = feeds_config(feed("reisenforum", feeds.url(ATOM_PATH)))
    r = runner(redis, config)
    await r.poll_once(r.sources[0])
    await redis.hdel(keys.source_state("reisenforum"), "cursor")
    await r.poll_once(r.sources[0])
    await r.sources[0].close()
    assert feeds.served(ATOM_PATH) == [200, 200]
    assert [short(m["id"]) for m in await stored(redis)] == ["post-1", "post-2"]
    assert r.metrics.duplicates.labels("reisenforum")._value.get() == 2


async def test_atom_entries_become_mentions(redis, feeds) -> None:
    feeds.add(ATOM_PATH, entry(7, "Bergblick Reisen storniert alles", author="Ben"))
    r = runner(redis, feeds_config(feed("reisenforum", feeds.url(ATOM_PATH))))
    await r.poll_once(r.sources[0])
    await r.sources[0].close()
    (mention,) = await stored(redis)
    assert short(mention["id"]) == "post-7" and mention["brand"] == "bergblick" and mention["author"] == "Ben"
    assert mention["text"].startswith("Bergblick Reisen storniert alles (7)\n\nHeute im Laden & online")
    assert datetime.fromisoformat(mention["created_at"]) == T0.replace(minute=7)


async def test_a_malformed_entry_is_skipped_with_a_log_line_and_a_metric(redis, feeds) -> None:
    nothing = FeedEntry(id=None, title=None, link=None, summary="", published=None)
    bad_date = entry(2, published="gestern Abend")
    feeds.add(RSS_PATH, entry(1), nothing, bad_date)
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC).timestamp()
    r = runner(redis, feeds_config(feed("bierblog", feeds.url(RSS_PATH))), clock=lambda: now)
    r.sources[0].clock = lambda: now
    with capture_logs() as logs:
        await r.poll_once(r.sources[0])
    await r.sources[0].close()
    mentions = await stored(redis)
    assert [short(m["id"]) for m in mentions] == ["post-1", "post-2"], logs
    assert datetime.fromisoformat(mentions[1]["created_at"]).timestamp() == now  # unreadable date: seen now
    skipped = [e for e in logs if e["event"] == "feed_entry_skipped"]
    assert len(skipped) == 1 and skipped[0]["source"] == "bierblog"
    assert r.metrics.source_entries_skipped.labels("bierblog")._value.get() == 1


async def test_an_unparseable_feed_is_a_failed_poll(redis, feeds) -> None:
    feeds.break_body(RSS_PATH, b"<html><body>502 Bad Gateway</body")
    r = runner(redis, feeds_config(feed("bierblog", feeds.url(RSS_PATH))), jitter=lambda: 1.0)
    with capture_logs() as logs:
        assert await r.poll_once(r.sources[0]) == 30
    await r.sources[0].close()
    (failed,) = [e for e in logs if e["event"] == "source_failed"]
    assert failed["source"] == "bierblog" and failed["kind"] == "rss" and "unparseable" in failed["error"]
    health = await SourceState(redis).health("bierblog")
    assert health.failures == 1 and "unparseable" in (health.last_error or "")
    assert await stored(redis) == []


@pytest.mark.parametrize("retry_after", ["120", "Sat, 21 Nov 2026 18:02:00 GMT"])
async def test_429_waits_exactly_as_long_as_retry_after_says(redis, feeds, retry_after) -> None:
    feeds.add(RSS_PATH, entry(1))
    feeds.fail_next(RSS_PATH, 1, 429, retry_after=retry_after)
    now = T0.timestamp()
    r = runner(redis, feeds_config(feed("bierblog", feeds.url(RSS_PATH))), clock=lambda: now)
    r.sources[0].clock = lambda: now
    assert await r.poll_once(r.sources[0]) == 120
    assert await r.poll_once(r.sources[0]) == 300
    await r.sources[0].close()
    assert feeds.served(RSS_PATH) == [429, 200]
    assert r.metrics.source_errors.labels("bierblog", "rate_limited")._value.get() == 1
    assert [short(m["id"]) for m in await stored(redis)] == ["post-1"]


async def test_a_missing_feed_backs_off_long(redis, feeds) -> None:
    r = runner(redis, feeds_config(feed("bierblog", feeds.url("/gone.rss"))))
    assert await r.poll_once(r.sources[0]) == 3600
    await r.sources[0].close()
    assert r.metrics.source_errors.labels("bierblog", "permanent")._value.get() == 1


async def test_entries_naming_no_brand_are_dropped_unless_the_feed_keeps_them(redis, feeds) -> None:
    feeds.add(RSS_PATH, entry(1), entry(2, "Das Wetter morgen"))
    feeds.add(ATOM_PATH, entry(3, "Das Wetter morgen"))
    config = feeds_config(
        feed("bierblog", feeds.url(RSS_PATH)),
        feed("reisenforum", feeds.url(ATOM_PATH), ", keep_unmatched: true"),
    )
    r = runner(redis, config)
    for source in r.sources:
        await r.poll_once(source)
        await source.close()
    assert [(short(m["id"]), m.get("brand")) for m in await stored(redis)] == [
        ("post-1", "kesselberg"),
        ("post-3", None),
    ]


async def test_a_brand_feed_files_every_entry_under_its_brand(redis, feeds) -> None:
    feeds.add(RSS_PATH, entry(1, "Das Wetter morgen"))
    r = runner(redis, feeds_config(feed("presse", feeds.url(RSS_PATH), ", brand: bergblick")))
    await r.poll_once(r.sources[0])
    await r.sources[0].close()
    assert [m["brand"] for m in await stored(redis)] == ["bergblick"]
