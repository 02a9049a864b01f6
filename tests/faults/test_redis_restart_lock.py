"""A detector lock a Redis restart left behind with the worker's own token does not stall it.

Redis can run the ``SET NX`` of the detector lock's acquire and die (or the connection drop)
before the reply arrives; or the release fails mid-restart. Either way the lock is in the AOF
with this stage's own token. ``DetectStage._judging`` takes a lock holding its own token again,
so the worker goes on at once instead of waiting 15 s for the lock to expire. The state is set
up directly — the lock key holding the stage's token — because killing Redis between executing
a command and replying cannot be timed from outside.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from faults.books import audit, eventually
from faults.test_redis_restart import mentions

from warner.ingest.accept import append
from warner.mention import Mention
from warner.metrics import Metrics
from warner.scoring.lexicon import LexiconScorer
from warner.service import build_worker
from warner.store import keys
from warner.store.streams import MentionStream

pytestmark = pytest.mark.timeout(60)


async def test_a_detector_lock_left_by_its_own_lost_acquire_does_not_stall_the_worker(redis, config):
    records = [Mention.model_validate({"source": "webhook", "brand": "kesselberg", **r}) for r in mentions(300)]
    stream = MentionStream(redis)
    await append(stream, records, config, int(time.time() * 1000))
    await stream.ensure_group()
    worker = build_worker(config, redis, Metrics(), LexiconScorer())
    detect = next(stage for stage in worker.stages if stage.name == "detect")
    await redis.set(keys.detector_lock("kesselberg"), detect._token, px=15_000)  # its SET ran; the reply was lost

    stop = asyncio.Event()
    working = asyncio.create_task(worker.run(stop))
    started = time.monotonic()
    try:
        await eventually(lambda: _drained(redis), 30, "the worker draining the stream")
    finally:
        stop.set()
        await asyncio.gather(working, return_exceptions=True)
    took = time.monotonic() - started
    assert (await audit(redis, ("kesselberg", "bergblick"))).counted == 300
    assert took < 5.0, f"the worker waited {took:.1f}s for its own lock"


async def _drained(redis) -> bool:
    backlog = await redis.xlen(keys.MENTION_STREAM)
    pending = (await redis.xpending(keys.MENTION_STREAM, keys.WORKER_GROUP))["pending"]
    return backlog == 0 and pending == 0
