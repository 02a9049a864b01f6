"""A burst at a hundred times the normal rate, through the HTTP API into a running worker.

Kesselberg normally gets five mentions a minute; then, for ten minutes, five hundred a minute
arrive as fast as four senders can post them — far faster than one worker drains them. The
API must push back (``503`` with ``Retry-After`` once ``ingest.max_backlog`` is reached, and
nothing of a refused request taken) instead of letting the stream grow without bound or
dropping mentions; the senders retry, and in the end every mention is counted exactly once.
The storm is one storm: one incident opened, not one per batch or per minute.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from faults.books import Ingest, audit, eventually, incident_mismatches
from support import replay

from warner.metrics import Metrics
from warner.scoring.lexicon import LexiconScorer
from warner.service import build_worker, start_api
from warner.store import keys

pytestmark = pytest.mark.timeout(60)

NORMAL_PER_MINUTE = 5
BURST_PER_MINUTE = 100 * NORMAL_PER_MINUTE
BURST_MINUTES = 10
MAX_BACKLOG = 600
PER_REQUEST = 100
SENDERS = 4
QUIET_START = datetime.fromisoformat("2026-11-21T16:00:00+01:00")
BURST_START = QUIET_START + timedelta(hours=3)


def minute_by_minute(prefix: str, start: datetime, minutes: int, per_minute: int) -> list[dict]:
    return [
        {
            "id": f"{prefix}{m}-{i}",
            "text": f"Kesselberger Helles, schon wieder Scherben? {m}-{i}",
            "created_at": (start + timedelta(minutes=m, seconds=i * 60 // per_minute)).isoformat(),
            "author": f"{prefix}user{(m * per_minute + i) % 997}",
            "author_followers": 50,
        }
        for m in range(minutes)
        for i in range(per_minute)
    ]


@dataclass
class Aftermath:
    quiet: list[dict]
    burst: list[dict]
    senders: list[Ingest]
    backlog_seen: list[int]
    events: list[Any]


async def burst_through_backpressure(redis, config, tokens) -> Aftermath:
    """Three quiet hours, then the burst from four senders at once into a worker that cannot keep up."""
    brands = [b.model_copy(update={"expected_per_day": NORMAL_PER_MINUTE * 60 * 24}) for b in config.brands]
    config = config.model_copy(update={"brands": brands})  # the brand's normal, known from the start
    quiet = minute_by_minute("q", QUIET_START, 180, NORMAL_PER_MINUTE)
    await replay(redis, config, quiet)
    assert await redis.xlen(keys.MENTION_STREAM) == 0

    ingest = config.ingest.model_copy(update={"max_backlog": MAX_BACKLOG, "retry_after": timedelta(seconds=1)})
    small = config.model_copy(update={"ingest": ingest})
    events: list[Any] = []

    async def heard(event) -> None:
        events.append(event)

    api = await start_api(small, redis, Metrics(), port=0)
    worker = build_worker(small, redis, Metrics(), LexiconScorer(), hooks=[heard])
    stop = asyncio.Event()
    working = asyncio.create_task(worker.run(stop))
    burst = minute_by_minute("b", BURST_START, BURST_MINUTES, BURST_PER_MINUTE)
    backlog_seen: list[int] = []
    senders = [Ingest(f"http://127.0.0.1:{api.port}", tokens["webhook"]) for _ in range(SENDERS)]
    sampling = asyncio.create_task(_sample_backlog(redis, backlog_seen, stop))
    try:
        for sender in senders:
            await sender.__aenter__()
        deadline = time.monotonic() + 40
        await asyncio.gather(  # each sender its share of the burst, in time order, all at once
            *(
                sender.post_all(burst[n::SENDERS], per_request=PER_REQUEST, retry_until=deadline)
                for n, sender in enumerate(senders)
            )
        )
        await eventually(lambda: _drained(redis), 30, "the worker draining the burst")
    finally:
        for sender in senders:
            await sender.__aexit__()
        stop.set()
        await asyncio.gather(working, sampling, return_exceptions=True)
        await api.close()
    return Aftermath(quiet, burst, senders, backlog_seen, events)


async def test_a_burst_100_times_the_normal_rate_is_pushed_back_not_lost_and_opens_one_incident(redis, config, tokens):
    after = await burst_through_backpressure(redis, config, tokens)
    refused = [r for sender in after.senders for r in sender.ledger.refused]
    accepted = {mid for sender in after.senders for mid in sender.ledger.accepted}
    # Backpressure, not loss: refused with 503 and Retry-After, the stream never far beyond its bound …
    assert refused, "the worker kept up; the burst never reached max_backlog"
    assert {status for status, _ in refused} == {503}
    assert {retry_after for _, retry_after in refused} == {"1"}
    assert max(after.backlog_seen) < MAX_BACKLOG + PER_REQUEST
    assert all(sender.ledger.errors == [] for sender in after.senders)
    # … and once retried, every mention in, counted once.
    assert len(accepted) == len(after.burst)
    assert sum(sender.ledger.duplicates for sender in after.senders) == 0  # a refused request took nothing
    books = await audit(redis, ("kesselberg", "bergblick"))
    assert books.counted == len(after.quiet) + len(after.burst)
    assert books.counted_twice == []
    assert (books.backlog, books.pending) == (0, 0)
    # One storm, one incident, whose figures are its buckets' — also the mentions a refused sender
    # got in only after the detector had judged their minute.
    assert [e.kind for e in after.events].count("opened") == 1
    (incident,) = books.incidents
    assert incident.id == "kesselberg:1" and incident.started_at >= int(BURST_START.timestamp())
    assert await incident_mismatches(redis) == []


async def _sample_backlog(redis, seen: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        seen.append(int(await redis.xlen(keys.MENTION_STREAM)))
        await asyncio.sleep(0.01)


async def _drained(redis) -> bool:
    backlog = await redis.xlen(keys.MENTION_STREAM)
    pending = (await redis.xpending(keys.MENTION_STREAM, keys.WORKER_GROUP))["pending"]
    return backlog == 0 and pending == 0
