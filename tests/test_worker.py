"""The worker: stages in order, acknowledgement, idempotent counting, crash recovery."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from warner.detect.counters import BucketCounter
from warner.ingest.accept import append
from warner.mention import Mention
from warner.metrics import Metrics
from warner.scoring.lexicon import LexiconScorer
from warner.service import build_stages, build_worker
from warner.store import keys
from warner.store.streams import MentionStream
from warner.worker import Worker

HERE = Path(__file__).parent


async def enqueue(redis, config, records) -> None:
    mentions = [Mention.model_validate({"source": "webhook", "brand": "kesselberg", **r}) for r in records]
    result = await append(MentionStream(redis), mentions, config, int(time.time() * 1000))
    assert result.accepted == len(records)


def counter(redis, config) -> BucketCounter:
    return BucketCounter(redis, config.bucket, config.retention.buckets)


async def totals(redis, config, brand="kesselberg") -> dict[str, int]:
    rows = await counter(redis, config).read(brand)
    return {f: sum(getattr(r, f) for r in rows) for f in ("mentions", "negatives", "toxic", "reach", "neg_reach")}


async def test_counts_per_brand_and_bucket_and_empties_the_stream(redis, config, make_mention):
    records = [
        make_mention(created_at="2026-11-21T19:42:10+01:00", text="Kesselberg ist super", author_followers=10),
        make_mention(created_at="2026-11-21T19:42:59+01:00", text="Kesselberg: Glas im Bier, eine Frechheit",
                     author_followers=1000),
        make_mention(created_at="2026-11-21T19:43:00+01:00", text="Kesselberg ihr Idioten", author_followers=5),
    ]
    await enqueue(redis, config, records)
    worker = build_worker(config, redis, Metrics(), LexiconScorer())
    assert await worker.drain() == 3
    rows = await counter(redis, config).read("kesselberg")
    assert [(r.start, r.mentions, r.negatives, r.reach) for r in rows] == [
        (1795286520, 2, 1, 1010),  # 2026-11-21 18:42 UTC
        (1795286580, 1, 0, 5),
    ]
    assert rows[1].toxic == 1
    assert rows[0].neg_reach == 1000
    assert await redis.xlen(keys.MENTION_STREAM) == 0
    assert (await redis.xpending(keys.MENTION_STREAM, keys.WORKER_GROUP))["pending"] == 0


async def test_a_redelivered_mention_is_counted_once(redis, config, make_mention):
    records = [make_mention() for _ in range(5)]
    await enqueue(redis, config, records)
    stream = MentionStream(redis)
    await stream.ensure_group()
    entries = await stream.read("c1", 10, 10)
    stages = build_stages(config, redis, Metrics(), LexiconScorer())
    worker = Worker(stream, stages, config.worker, consumer="c1")
    envelopes, _ = worker._decode(entries)
    await worker._run_stages(envelopes)  # counted, then "crashed" before the ack
    assert (await totals(redis, config))["mentions"] == 5
    await worker.process(entries)  # delivered again
    assert (await totals(redis, config))["mentions"] == 5
    assert await stream.backlog() == 0


async def test_stages_run_in_order_and_see_scores(redis, config, make_mention):
    seen: list[tuple[str, str]] = []

    class Recorder:
        name = "recorder"

        async def process(self, batch) -> None:
            seen.extend((e.mention.id, e.score.sentiment) for e in batch)

    await enqueue(redis, config, [make_mention(id="good", text="Kesselberg ist super lecker"),
                                  make_mention(id="bad", text="Kesselberg ist schrecklich")])
    stages = [*build_stages(config, redis, Metrics(), LexiconScorer()), Recorder()]
    await Worker(MentionStream(redis), stages, config.worker).drain()
    assert seen == [("good", "positive"), ("bad", "negative")]


async def test_a_poisoned_mention_does_not_block_the_batch_and_is_dead_lettered(redis, config, make_mention):
    class FailsOnPoison:
        name = "fragile"

        async def process(self, batch) -> None:
            if any("POISON" in e.mention.text for e in batch):
                raise ValueError("cannot handle this one")

    await enqueue(redis, config, [make_mention(id="ok1"), make_mention(id="p", text="Kesselberg POISON"),
                                  make_mention(id="ok2")])
    stages = [*build_stages(config, redis, Metrics(), LexiconScorer()), FailsOnPoison()]
    metrics = Metrics()
    worker = Worker(MentionStream(redis), stages, config.worker, metrics=metrics)
    await worker.step(block_ms=10)
    assert await redis.xlen(keys.MENTION_STREAM) == 1  # only the poisoned one is left, pending
    deadline = time.monotonic() + 10
    while await redis.xlen(keys.DEAD_LETTER_STREAM) == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        await worker.step(block_ms=10)
    (dead_id, fields), = await redis.xrange(keys.DEAD_LETTER_STREAM)
    assert orjson.loads(fields[b"m"])["id"] == "p"
    assert fields[b"reason"] == b"max_deliveries"
    assert await redis.xlen(keys.MENTION_STREAM) == 0
    assert (await totals(redis, config))["mentions"] == 3  # counting ran before the fragile stage


async def test_an_undecodable_entry_goes_to_dead_letters(redis, config):
    await redis.xadd(keys.MENTION_STREAM, {"m": b"{broken", "t": b"0"})
    worker = build_worker(config, redis, Metrics(), LexiconScorer())
    assert await worker.drain() == 1
    (_, fields), = await redis.xrange(keys.DEAD_LETTER_STREAM)
    assert fields[b"reason"] == b"undecodable" and fields[b"m"] == b"{broken"


def start_child(redis_url: str, mode: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    return subprocess.Popen([sys.executable, str(HERE / "worker_proc.py"), redis_url, mode], env=env)


async def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_worker_killed_after_counting_before_ack_is_reclaimed_and_counted_once(
        redis, redis_url, config, make_mention):
    records = [make_mention(text=f"Kesselberg schrecklich {i}") for i in range(30)]
    await enqueue(redis, config, records)
    child = start_child(redis_url, "hang-after-count")
    try:
        await wait_for(lambda: redis.exists("test:counted"))
        before = await totals(redis, config)
        assert before["mentions"] == 30  # counted by the child …
        assert (await redis.xpending(keys.MENTION_STREAM, keys.WORKER_GROUP))["pending"] == 30  # … never acked
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    survivor = build_worker(config, redis, Metrics(), LexiconScorer())
    await asyncio.sleep(config.worker.claim_idle.total_seconds())
    await survivor.drain()
    assert await totals(redis, config) == before
    assert await redis.xlen(keys.MENTION_STREAM) == 0
    assert survivor.metrics.reclaimed._value.get() == 30


@pytest.mark.parametrize("kill_at_share", [0.01, 0.5])
async def test_worker_killed_at_a_random_moment_loses_and_doubles_nothing(
        redis, redis_url, config, make_mention, kill_at_share):
    n = 6000
    records = [make_mention(created_at=f"2026-11-21T19:{i % 60:02d}:00+01:00",
                            text=f"Kesselberg {'schrecklich' if i % 3 == 0 else 'ok'} {i}") for i in range(n)]
    for i in range(0, n, 500):
        await enqueue(redis, config, records[i:i + 500])
    child = start_child(redis_url, "run")
    try:
        await wait_for(lambda: _counted_at_least(redis, config, int(n * kill_at_share)))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert await redis.xlen(keys.MENTION_STREAM) > 0, "the child finished before it was killed; kill earlier"
    await asyncio.sleep(config.worker.claim_idle.total_seconds())
    await build_worker(config, redis, Metrics(), LexiconScorer()).drain()
    result = await totals(redis, config)
    assert result["mentions"] == n
    assert result["negatives"] == n // 3
    assert await redis.xlen(keys.MENTION_STREAM) == 0


async def _counted_at_least(redis, config, share: int) -> bool:
    return (await totals(redis, config))["mentions"] >= max(1, share)


async def test_dead_consumers_without_pending_entries_are_forgotten(redis, config, make_mention):
    await enqueue(redis, config, [make_mention()])
    stream = MentionStream(redis)
    await stream.ensure_group()
    await stream.read("gone-1", 10, 10)  # a consumer that read, then died …
    worker = build_worker(config, redis, Metrics(), LexiconScorer())
    await asyncio.sleep(config.worker.claim_idle.total_seconds())
    await worker.drain()  # … its entry is reclaimed, after which it holds nothing
    quick = config.worker.model_copy(update={"forget_consumers_after": config.worker.claim_idle})
    worker = Worker(stream, [], quick, consumer="survivor")
    await asyncio.sleep(config.worker.claim_idle.total_seconds())
    await worker.reclaim()
    names = {c["name"] for c in await redis.xinfo_consumers(keys.MENTION_STREAM, keys.WORKER_GROUP)}
    assert b"gone-1" not in names


async def test_a_worker_only_process_serves_its_metrics_with_the_real_backlog_and_readiness(
    config, redis, make_mention
):
    import aiohttp

    from warner.service import start_worker_metrics
    from warner.store.write_health import WriteHealth

    metrics = Metrics()
    metrics.processed.inc(7)
    running = await start_worker_metrics(config, metrics, 0, redis, WriteHealth(redis, gauge=metrics.store_writable))

    async def scrape() -> str:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{running.port}/metrics") as response:
            return await response.text()

    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{running.port}/readyz") as ready:
            assert (ready.status, await ready.json()) == (200, {"status": "ready"})
        assert "warner_stream_backlog 0.0" in await scrape()
        await enqueue(redis, config, [make_mention(id=str(n)) for n in range(3)])  # nobody processes them
        text = await scrape()
        assert "warner_worker_processed_total 7.0" in text
        assert "warner_store_writable 1.0" in text
        assert "warner_stream_backlog 3.0" in text
        assert "process_resident_memory_bytes" in text and "python_gc_collections_total" in text
        used = next(line for line in text.splitlines() if line.startswith("warner_redis_used_memory_bytes "))
        assert float(used.split()[1]) > 100_000  # INFO memory of the test's redis-server, read at the scrape
    finally:
        await running.close()
