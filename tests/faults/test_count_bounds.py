"""Counting stays whole at the edges of what a mention may carry.

A follower count of 1e17 used to make the count script fail half way (Lua turned the sum into
"1e+17", which HINCRBY refuses): the keys added before the error stayed counted, reach and
authors of the batch were lost, and the worker took the script error for an outage and
stalled. Now the edge refuses such numbers, the script checks every argument before its first
write and writes exact integer sums, and a bad batch is a bad batch, not an outage.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import orjson
import pytest
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from warner.config.root import WorkerConfig
from warner.detect.counters import COUNT_SCRIPT, BucketCounter
from warner.ingest.accept import append
from warner.mention import MAX_FOLLOWERS, Mention
from warner.metrics import Metrics
from warner.pipeline import Envelope
from warner.store import keys
from warner.store.streams import MentionStream
from warner.worker import Worker, is_outage

EPOCH = 1_795_290_000  # a minute boundary in Nov 2026


def envelope(n: int, followers: int) -> Envelope:
    mention = Mention(id=f"m{n}", source="webhook", brand="kesselberg", text="Kesselberg",
                      created_at="2026-11-21T19:42:10Z", author=f"a{n}", author_followers=followers)
    return Envelope(f"0-{n + 1}", mention, 0)


async def test_the_largest_follower_counts_sum_exactly_across_batches(redis) -> None:
    counter = BucketCounter(redis, timedelta(minutes=1), timedelta(days=1))
    for start in (0, 800):
        await counter.add([envelope(n, MAX_FOLLOWERS) for n in range(start, start + 800)])
    (bucket,) = await counter.read("kesselberg")
    assert bucket.mentions == 1600 and bucket.authors == 1600
    assert bucket.reach == 1600 * MAX_FOLLOWERS  # 1.6e13, exact: no "1.6e+13" text, no rounding


async def test_the_count_script_writes_nothing_when_any_mention_of_the_batch_is_bad(redis) -> None:
    script = redis.register_script(COUNT_SCRIPT)
    batch = [["webhook:1", 0, 0, 10, "a1", ""], ["webhook:2", 1, 0, 10**17, "a2", "seife"]]
    bucket_keys = [keys.bucket("kesselberg", EPOCH), keys.bucket_seen("kesselberg", EPOCH),
                   keys.bucket_index("kesselberg"), keys.bucket_authors("kesselberg", EPOCH),
                   keys.recent_authors("kesselberg"), keys.negative_terms("kesselberg", "2026-W47")]
    with pytest.raises(ResponseError, match="bad mention 2"):
        await script(keys=bucket_keys, args=[86400, EPOCH, 3600, 86400, orjson.dumps(batch), MAX_FOLLOWERS])
    assert [await redis.exists(k) for k in bucket_keys] == [0] * len(bucket_keys)


async def test_an_error_reply_is_a_bad_batch_but_a_lost_connection_is_an_outage(redis) -> None:
    with pytest.raises(ResponseError) as reply:
        await redis.eval("return redis.error_reply('count: bad mention 1')", 0)
    assert not is_outage(reply.value)
    gone = aioredis.Redis(unix_socket_path="/nonexistent/redis.sock")
    with pytest.raises(Exception) as lost:
        await gone.ping()
    assert is_outage(lost.value)
    await gone.aclose()


class RefusesOneMention:
    """A stage whose Redis call fails with an error reply for one mention: a poisoned entry."""

    name = "refuses-one"

    def __init__(self, redis, poisoned: str) -> None:
        self.redis, self.poisoned = redis, poisoned
        self.seen: set[str] = set()

    async def process(self, batch) -> None:
        if any(e.mention.id == self.poisoned for e in batch):
            await self.redis.eval("return redis.error_reply('count: bad mention')", 0)
        self.seen |= {e.mention.id for e in batch}


async def test_a_batch_the_script_refuses_does_not_stall_the_worker(redis, config) -> None:
    stream = MentionStream(redis)
    await stream.ensure_group()
    records = [Mention(id=f"m{n}", source="webhook", brand="kesselberg", text="Kesselberg",
                       created_at="2026-11-21T19:42:10Z") for n in range(20)]
    await append(stream, records, config, 0)
    stage = RefusesOneMention(redis, "m7")
    worker = Worker(stream, [stage], WorkerConfig(batch_size=50, block=timedelta(milliseconds=20),
                                                  claim_idle=timedelta(milliseconds=100), max_deliveries=2),
                    metrics=Metrics())
    started = asyncio.get_running_loop().time()
    processed = await worker.step(block_ms=20)
    assert processed == 19 and stage.seen == {f"m{n}" for n in range(20)} - {"m7"}
    for _ in range(20):  # the poisoned entry is retried, then dead-lettered; nothing waits 30 s
        await asyncio.sleep(0.06)
        await worker.step(block_ms=20)
        if await redis.xlen(keys.DEAD_LETTER_STREAM):
            break
    assert await redis.xlen(keys.DEAD_LETTER_STREAM) == 1
    assert asyncio.get_running_loop().time() - started < 5


def test_a_value_redis_py_cannot_send_is_a_bad_batch_not_an_outage() -> None:
    from redis.exceptions import BusyLoadingError, DataError, ReadOnlyError
    assert not is_outage(DataError("Invalid input of type: 'dict'"))
    assert is_outage(BusyLoadingError("Redis is loading the dataset in memory"))
    assert is_outage(ReadOnlyError("You can't write against a read only replica."))
