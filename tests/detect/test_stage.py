"""The detect stage in the worker: a storm replayed through Redis opens one incident."""

from __future__ import annotations

import orjson
from support import replay

from warner.detect.counters import BucketCounter
from warner.detect.detector import BrandDetector
from warner.incidents.store import IncidentStore
from warner.scenarios import SCENARIOS, saturday_storm
from warner.store import keys
from warner.store.connection import connect
from warner.store.embedded import EmbeddedRedis


async def test_saturday_storm_opens_one_incident_with_timeline_and_top_mentions(redis, config):
    scenario = saturday_storm()
    events = []

    async def hook(event):
        events.append(event)

    await replay(redis, config, scenario.mentions, hooks=[hook])

    opened = [e for e in events if e.kind == "opened"]
    assert len(opened) == 1, [e.describe() for e in events]
    incident = opened[0].incident
    assert incident.brand == "kesselberg"
    minutes_after_spark = (opened[0].at - scenario.storm_start.timestamp()) / 60
    assert 0 <= minutes_after_spark <= 15  # measured: 8 min, a dozen storm posts in
    stored = await IncidentStore(redis).get("kesselberg", incident.number)
    assert stored is not None
    assert stored.severity in ("warning", "critical")
    assert stored.volume_ratio > 5
    assert stored.negatives > 0
    assert stored.top and stored.top[0].reach >= max(t.reach for t in stored.top)
    timeline = await IncidentStore(redis).timeline("kesselberg", incident.number)
    assert timeline[0]["kind"] == "opened"
    assert [i.id for i in await IncidentStore(redis).recent()] == [incident.id]
    # The travel brand in the same stream had a calm evening.
    assert await IncidentStore(redis).get("bergblick", 1) is None


async def test_detector_state_survives_a_redis_restart(tmp_path, config):
    server = EmbeddedRedis(tmp_path / "data", appendfsync="always")
    server.start()
    try:
        redis = connect(server.url)
        await replay(redis, config, saturday_storm().mentions)
        before = BrandDetector.from_dict(orjson.loads(await redis.get(keys.detector("kesselberg"))))
        await redis.aclose()
    finally:
        server.stop()

    server = EmbeddedRedis(tmp_path / "data", appendfsync="always")
    server.start()
    try:
        redis = connect(server.url)
        after = BrandDetector.from_dict(orjson.loads(await redis.get(keys.detector("kesselberg"))))
        assert after.baseline.seen_h == before.baseline.seen_h > 5
        assert after.baseline.level == before.baseline.level
        assert after.last_bucket == before.last_bucket
        assert await IncidentStore(redis).get("kesselberg", 1) is not None
        await redis.aclose()
    finally:
        server.stop()


async def test_bot_flood_through_the_worker_counts_few_fresh_authors_and_pages_nobody(redis, config):
    scenario = SCENARIOS["bot_flood"]()
    events = []

    async def hook(event):
        events.append(event)

    await replay(redis, config, scenario.mentions, hooks=[hook])

    in_flood = [e for e in events if e.at >= scenario.onset.timestamp() and e.incident.brand == scenario.brand]
    opened = [e for e in in_flood if e.kind == "opened"]
    assert len(opened) == 1, [e.describe() for e in in_flood]
    assert {e.incident.severity for e in in_flood} == {"info"}  # on record, but nobody is woken
    flood = [
        c
        for c in await BucketCounter(redis, config.bucket, config.retention.buckets).read(
            scenario.brand, int(scenario.onset.timestamp()), int(scenario.event_end.timestamp())
        )
    ]
    mentions, fresh = sum(c.mentions for c in flood), sum(c.authors for c in flood)
    assert mentions > 100
    assert fresh <= 20  # the same fifteen accounts, again and again


async def test_the_ticker_does_not_judge_buckets_whose_mentions_are_still_in_the_stream(redis, config, make_mention):
    """A backlog (a burst, a dead worker's batch) holds mentions of minutes the wall clock has left behind."""
    import time

    from warner.detect.stage import DetectStage
    from warner.metrics import Metrics
    from warner.service import build_worker

    now = int(time.time())
    start = now - now % 60 - 600  # ten minutes ago, on a minute boundary
    records = [make_mention(created_at=_iso(start + 60 * m + 5)) for m in range(3)]
    await replay(redis, config, records)
    stage = next(s for s in build_worker(config, redis, Metrics()).stages if isinstance(s, DetectStage))
    # A mention received now waits in the stream, unprocessed, when the wall clock jumps an hour on.
    await redis.xadd(keys.MENTION_STREAM, {"m": b"{}", "t": b"0"})
    stage.clock = lambda: now + 3600
    await stage.tick()
    judged = orjson.loads(await redis.get(keys.detector("kesselberg")))["last_bucket"]
    assert start + 120 <= judged < now  # up to the waiting mention, not the hour the wall clock suggests
    await redis.delete(keys.MENTION_STREAM)
    await stage.tick()
    assert orjson.loads(await redis.get(keys.detector("kesselberg")))["last_bucket"] > now + 3000


def _iso(epoch: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat()
