"""One poller per pulled source across processes, and a take-over when its holder is killed.

Two real ``warner run --role worker`` processes share one private Redis and poll two feeds of
the local feed double. Only the lease holder fetches a feed (the double counts the requests,
each worker's log says which polls it made); after ``kill -9`` of the holder the other takes
every source over within ``lease_ttl`` + one interval, polling goes on, and each entry is in
the books once. A clean stop gives the leases back.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from doubles.feeds import ATOM_PATH, RSS_PATH, FeedServer
from faults.books import audit, eventually
from ingest.sources.test_rss import entry
from structlog.testing import capture_logs
from support import CONFIG_YAML

from warner.ingest.sources.lease import SourceLeases
from warner.ingest.sources.state import SourceState
from warner.metrics import Metrics
from warner.store import keys

pytestmark = pytest.mark.timeout(90)

REPO = Path(__file__).parents[3]
TTL_S = 1.5
INTERVAL_S = 1.0
SOURCES = ("bierblog", "reiseforum")


def worker_yaml(feeds: FeedServer) -> str:
    return (
        CONFIG_YAML
        + f"""
digest: {{enabled: false}}
log: {{level: debug, format: json}}
sources:
  lease_ttl: {TTL_S}s
  rss:
    - {{name: bierblog, url: '{feeds.url(RSS_PATH)}', interval: 1s}}
    - {{name: reiseforum, url: '{feeds.url(ATOM_PATH)}', interval: 1s, keep_unmatched: true}}
"""
    )


class Worker:
    """``warner run --role worker`` as production starts it, its JSON log in a file."""

    def __init__(self, name: str, redis_url: str, config: Path, tmp_path: Path) -> None:
        self.log_path = tmp_path / f"{name}.log"
        env = {**os.environ, "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1", "NO_PROXY": "127.0.0.1"}
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "warner", "--config", str(config), "run", "--role", "worker"],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def events(self, name: str | None = None, source: str | None = None) -> list[dict[str, Any]]:
        out = []
        for line in self.log_path.read_text().splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if (name is None or event.get("event") == name) and (source is None or event.get("source") == source):
                out.append(event)
        return out

    def polls(self, source: str) -> int:
        """Polls this process made of ``source`` (each one is a request to the feed double)."""
        return len(self.events("source_polled", source)) + len(self.events("source_failed", source))

    def holds_all(self) -> bool:
        return {e["source"] for e in self.events("source_lease_taken")} == set(SOURCES)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def now_entry(n: int):
    return entry(n, published=datetime.now(UTC))


async def test_two_workers_poll_each_feed_once_and_the_survivor_takes_over_after_kill_9(redis, redis_url, tmp_path):
    async with FeedServer() as feeds:
        feeds.add(RSS_PATH, now_entry(1))
        feeds.add(ATOM_PATH, now_entry(2))
        config = tmp_path / "warner.yaml"
        config.write_text(worker_yaml(feeds), encoding="utf-8")
        first = Worker("first", redis_url, config, tmp_path)
        second = None
        try:
            await eventually(lambda: _async(first.holds_all()), 30, "the first worker holding both leases")
            second = Worker("second", redis_url, config, tmp_path)
            await eventually(lambda: _async(bool(second.events("sources_started"))), 30, "the second worker started")
            await asyncio.sleep(3 * INTERVAL_S)  # several passes of the second worker's keeper, several polls

            # One poller per feed: every request at the double is a poll the first worker logged.
            for source, path in zip(SOURCES, (RSS_PATH, ATOM_PATH), strict=True):
                assert second.polls(source) == 0
                assert first.polls(source) >= 3
                assert len(feeds.served(path)) - first.polls(source) in (0, 1)  # 1: a request still in flight
            assert second.events("source_lease_taken") == []

            feeds.add(RSS_PATH, now_entry(3))
            await eventually(lambda: _stored(redis, 2), 10, "entry 3 polled by the first worker")

            # kill -9 of the holder: nothing is released, the lease must expire.
            first.stop(signal.SIGKILL)
            killed = time.monotonic()
            feeds.add(RSS_PATH, now_entry(4))
            await eventually(lambda: _async(second.holds_all()), 10, "the second worker taking both feeds over")
            took_over = time.monotonic() - killed
            await eventually(lambda: _stored(redis, 3), 10, "entry 4 polled by the second worker")
            polled_again = time.monotonic() - killed
            assert took_over <= TTL_S + INTERVAL_S, took_over
            assert polled_again <= TTL_S + 2 * INTERVAL_S, polled_again
            lost = second.events("source_lease_lost")
            assert lost == []

            # No duplicates: each entry accepted once, counted once, whatever was re-polled.
            states = [await SourceState(redis).health(s) for s in SOURCES]
            assert [s.mentions for s in states] == [3, 1]
            await eventually(lambda: _drained(redis), 10, "the survivor counting everything")
            books = await audit(redis, ["kesselberg", "bergblick"], source="bierblog")
            assert books.counted == 4 and books.counted_twice == []

            holder = second.events("source_lease_taken")[0]["holder"]
            assert [await redis.get(keys.source_lease(s)) for s in SOURCES] == [holder.encode()] * 2
            second.stop()  # a clean stop gives the leases back at once
            assert second.process.returncode == 0
            assert [await redis.get(keys.source_lease(s)) for s in SOURCES] == [None, None]
            print(f"take-over {took_over:.2f}s after kill -9, next entry stored {polled_again:.2f}s after it")
        finally:
            for worker in (first, second):
                if worker is not None:
                    worker.stop()


async def test_a_lease_is_renewed_by_its_holder_only_and_logged_once_per_change(redis):
    """Two keepers in one process against one Redis: the second waits, takes over a lapsed lease, logs once."""
    one = SourceLeases(redis, ["bierblog"], 1.0, Metrics(), holder="one")
    two = SourceLeases(redis, ["bierblog"], 1.0, Metrics(), holder="two")
    assert two.metrics.source_lease_held.labels("bierblog")._value.get() == 0  # exported before the first pass
    with capture_logs() as logs:
        for _ in range(3):
            await one.check()
            await two.check()
        assert one.holds("bierblog") and not two.holds("bierblog")
        assert one.metrics.source_lease_held.labels("bierblog")._value.get() == 1
        await redis.delete(keys.source_lease("bierblog"))  # as if "one" had stalled past its TTL
        await two.check()
        await one.check()
        assert two.holds("bierblog") and not one.holds("bierblog")
        await one.release()  # not the holder any more: "two"'s lease stays
        assert await redis.get(keys.source_lease("bierblog")) == b"two"
        await two.release()
        assert await redis.get(keys.source_lease("bierblog")) is None
    changes = [(e["event"], e["holder"]) for e in logs if e["event"].startswith("source_lease_")]
    assert changes == [("source_lease_taken", "one"), ("source_lease_taken", "two"), ("source_lease_lost", "one")]
    assert [e["by"] for e in logs if e["event"] == "source_lease_lost"] == ["two"]
    assert await redis.pttl(keys.source_lease("bierblog")) == -2


async def _async(value: bool) -> bool:
    return value


async def _stored(redis, count: int) -> bool:
    return (await SourceState(redis).health("bierblog")).mentions >= count


async def _drained(redis) -> bool:
    backlog = await redis.xlen(keys.MENTION_STREAM)
    try:
        pending = (await redis.xpending(keys.MENTION_STREAM, keys.WORKER_GROUP))["pending"]
    except Exception:
        return False
    return backlog == 0 and pending == 0
