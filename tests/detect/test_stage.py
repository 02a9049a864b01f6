"""The detect stage in the worker: a storm replayed through Redis opens one incident."""

from __future__ import annotations

import time

import orjson

from warner.detect.detector import BrandDetector
from warner.incidents import IncidentStore
from warner.ingest.accept import append, resolve
from warner.ingest.brands import BrandMatcher
from warner.mention import Mention
from warner.metrics import Metrics
from warner.scenarios import saturday_storm
from warner.service import build_worker
from warner.store import EmbeddedRedis, MentionStream, connect, keys


async def replay(redis, config, records, hooks=()) -> None:
    mentions = [Mention.model_validate(r) for r in records]
    resolved = resolve(mentions, "webhook", config, BrandMatcher(config.brands))
    for i in range(0, len(resolved), 500):
        await append(MentionStream(redis), resolved[i : i + 500], config, int(time.time() * 1000))
    await build_worker(config, redis, Metrics(), hooks=hooks).drain()


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
    # Measured: 21 min after the spark, ~50 storm posts in (goal: faster; see the issue notes).
    assert 0 <= minutes_after_spark <= 25
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
