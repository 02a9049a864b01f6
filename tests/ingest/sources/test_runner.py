"""The source runner: backoff, isolation of sources, stopping, and `warner sources status`."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from doubles.feeds import ATOM_PATH, RSS_PATH, FeedServer
from ingest.sources.test_rss import T0, entry, feed, feeds_config, short, stored
from structlog.testing import capture_logs

from warner import cli
from warner.commands.sources import status_lines
from warner.ingest.brands import BrandMatcher
from warner.ingest.sources.base import Cursor, Poll, SourceError
from warner.ingest.sources.factory import build_sources
from warner.ingest.sources.runner import SourceRunner
from warner.ingest.sources.state import SourceState
from warner.metrics import Metrics


class Stuck:
    """A source whose remote never answers."""

    kind = "rss"
    interval_s = 1.0

    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = False

    async def poll(self, cursor: Cursor) -> Poll:
        await asyncio.Event().wait()
        raise AssertionError

    async def close(self) -> None:
        self.closed = True


class Broken(Stuck):
    async def poll(self, cursor: Cursor) -> Poll:
        raise KeyError("adapter bug")


@pytest.fixture
async def feeds():
    async with FeedServer() as server:
        yield server


async def test_server_errors_back_off_exponentially_then_recover(redis, feeds) -> None:
    feeds.add(RSS_PATH, entry(1))
    feeds.fail_next(RSS_PATH, 4, 500)
    config = feeds_config(feed("bierblog", feeds.url(RSS_PATH)))
    stop = asyncio.Event()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 6:
            stop.set()

    matcher = BrandMatcher(config.brands)
    runner = SourceRunner(redis, config, build_sources(config, matcher), Metrics(), sleep=sleep, jitter=lambda: 1.0)
    with capture_logs() as logs:
        await asyncio.wait_for(runner.run(stop), 10)
    assert waits == [30, 60, 120, 240, 300, 300]
    assert feeds.served(RSS_PATH) == [500, 500, 500, 500, 200, 304]
    failed = [e for e in logs if e["event"] == "source_failed"]
    assert [e["failures"] for e in failed] == [1, 2, 3, 4] and failed[0]["error"].startswith("HTTP 500")
    health = await SourceState(redis).health("bierblog")
    assert health.failures == 0 and health.errors == 4 and health.mentions == 1 and health.last_error
    assert runner.metrics.source_errors.labels("bierblog", "transient")._value.get() == 4


async def test_jitter_keeps_the_wait_between_half_and_all_of_the_backoff(redis) -> None:
    config = feeds_config(feed("bierblog", "http://127.0.0.1:9/feed.rss"))
    runner = SourceRunner(redis, config, [], Metrics(), jitter=lambda: 0.0)
    assert [runner._backoff(n) for n in (1, 2, 8, 30)] == [15, 30, 1800, 1800]


async def test_a_stuck_or_broken_source_does_not_hold_up_a_healthy_one(redis, feeds) -> None:
    feeds.add(ATOM_PATH, entry(1, "Bergblick Reisen storniert"))
    config = feeds_config(feed("reisenforum", feeds.url(ATOM_PATH)).replace("5m", "1s"))
    config = config.model_copy(
        update={"sources": config.sources.model_copy(update={"poll_timeout": timedelta(seconds=0.2)})}
    )
    stuck, broken = Stuck("stuck"), Broken("broken")
    matcher = BrandMatcher(config.brands)
    runner = SourceRunner(redis, config, [stuck, *build_sources(config, matcher), broken], Metrics())
    stop = asyncio.Event()
    with capture_logs() as logs:
        task = asyncio.create_task(runner.run(stop))
        for _ in range(100):
            if len(feeds.requests) >= 2:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 5)
    assert feeds.served(ATOM_PATH)[:2] == [200, 304]
    assert [short(m["id"]) for m in await stored(redis)] == ["post-1"]
    failed = {e["source"]: e["error"] for e in logs if e["event"] == "source_failed"}
    assert "longer than 0.2s" in failed["stuck"] and "adapter bug" in failed["broken"]
    assert stuck.closed and broken.closed


async def test_a_permanent_error_backs_off_for_the_longest_wait(redis) -> None:
    class Gone(Stuck):
        async def poll(self, cursor: Cursor) -> Poll:
            raise SourceError("HTTP 404", permanent=True)

    config = feeds_config(feed("bierblog", "http://127.0.0.1:9/feed.rss"))
    runner = SourceRunner(redis, config, [Gone("gone")], Metrics())
    assert await runner.poll_once(runner.sources[0]) == 3600


async def test_status_lists_each_source_with_its_health(redis, feeds) -> None:
    feeds.add(RSS_PATH, entry(1))
    feeds.fail_next(ATOM_PATH, 1, 429, retry_after="60")
    config = feeds_config(feed("bierblog", feeds.url(RSS_PATH)), feed("reisenforum", feeds.url(ATOM_PATH)))
    def clock():
        return T0.timestamp() + 3600
    runner = SourceRunner(redis, config, build_sources(config, BrandMatcher(config.brands)), Metrics(), clock=clock)
    for source in runner.sources:
        await runner.poll_once(source)
        await source.close()
    now = (await SourceState(redis).health("bierblog")).last_success + 90
    lines = await status_lines(redis, config, now)
    assert lines[0].split()[:3] == ["SOURCE", "KIND", "LAST"]
    blog = next(line for line in lines if line.startswith("bierblog"))
    forum = next(line for line in lines if line.startswith("reisenforum"))
    assert blog.split()[1:6] == ["rss", "2m", "ago", "0", "59m"] and blog.split()[6:] == ["1", "nobody", "-"]
    assert "never" in forum and "HTTP 429" in forum and forum.split()[3] == "1"


def test_the_sources_status_command_reads_redis(redis_url, config_file, monkeypatch, capsys) -> None:
    import redis
    from support import CONFIG_YAML

    redis.Redis.from_url(redis_url).flushall()
    monkeypatch.setenv("REDIS_URL", redis_url)
    path = config_file(CONFIG_YAML + "sources:\n  rss:\n    - {name: bierblog, url: 'http://127.0.0.1:9/x'}\n")
    assert cli.main(["--config", str(path), "sources", "status"]) == 0
    out = capsys.readouterr().out
    assert "bierblog" in out and "never" in out
