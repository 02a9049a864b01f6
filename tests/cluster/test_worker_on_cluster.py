"""warner's real pipeline on a 3-master Redis Cluster: ingest, worker, counters, detector, incidents.

The Saturday storm goes through the same ingest append and worker as on one server, and
must come out the same: every mention counted exactly once per brand and bucket, one
incident for the brewery, the same incident record. The brands' keys land on different
nodes (``{kesselberg}`` on slot 9045, ``{bergblick}`` on slot 1390, so the fixture's
even split puts them on the second and the first master) — the test checks where each
key physically is, so it really runs across nodes and not on one slot by luck.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict

import redis as sync_redis
from support import replay

from warner.detect.counters import BucketCounter
from warner.incidents.store import IncidentStore
from warner.ingest.accept import append, resolve
from warner.ingest.brands import BrandMatcher
from warner.mention import Mention
from warner.metrics import Metrics
from warner.scenarios import saturday_storm
from warner.service import build_worker
from warner.store import keys
from warner.store.connection import connect, learn_slots
from warner.store.streams import MentionStream

BRANDS = ("kesselberg", "bergblick", keys.NO_BRAND)


def expected_counts(config, records) -> Counter[str]:
    """Distinct mentions per brand as ingest resolves them (duplicate deliveries once)."""
    mentions = [Mention.model_validate(r) for r in records]
    resolved = resolve(mentions, "webhook", config, BrandMatcher(config.brands))
    distinct = {m.key: m.brand or keys.NO_BRAND for m in resolved}
    return Counter(distinct.values())


async def counted(redis, config, brand) -> list:
    return await BucketCounter(redis, config.bucket, config.retention.buckets).read(brand)


def tags_by_node(cluster) -> dict[str, set[int]]:
    """Hash tag -> ports of the nodes that physically hold a key with it."""
    found: dict[str, set[int]] = defaultdict(set)
    for port in cluster.ports:
        with sync_redis.Redis(host="127.0.0.1", port=port) as node:
            for key in node.scan_iter(match="warner:*", count=1000):
                found[key.decode().split("{", 1)[1].split("}", 1)[0]].add(port)
    return dict(found)


async def test_saturday_storm_on_three_masters_counts_exactly_and_opens_the_same_incident(
    redis_cluster, cluster_worker_redis, redis, config
):
    scenario = saturday_storm()
    on_cluster, on_one_server = [], []

    async def cluster_hook(event):
        on_cluster.append(event)

    async def single_hook(event):
        on_one_server.append(event)

    await replay(cluster_worker_redis, config, scenario.mentions, hooks=[cluster_hook])
    await replay(redis, config, scenario.mentions, hooks=[single_hook])  # the reference

    expected = expected_counts(config, scenario.mentions)
    for brand in BRANDS:
        rows = await counted(cluster_worker_redis, config, brand)
        assert sum(r.mentions for r in rows) == expected[brand], brand
        assert rows == await counted(redis, config, brand), brand  # bucket by bucket, every counter

    opened = [e for e in on_cluster if e.kind == "opened"]
    assert [e.incident.id for e in opened] == ["kesselberg:1"]
    assert [(e.kind, e.at, e.incident.severity) for e in on_cluster] == [
        (e.kind, e.at, e.incident.severity) for e in on_one_server
    ]
    incident = await IncidentStore(cluster_worker_redis).get("kesselberg", 1)
    assert incident == await IncidentStore(redis).get("kesselberg", 1)
    assert incident.mentions > 1000 and incident.severity == "critical"
    assert [i.id for i in await IncidentStore(cluster_worker_redis).recent()] == ["kesselberg:1"]
    assert (await IncidentStore(cluster_worker_redis).timeline("kesselberg", 1))[0]["kind"] == "opened"
    assert await cluster_worker_redis.xlen(keys.MENTION_STREAM) == 0
    assert (await cluster_worker_redis.xpending(keys.MENTION_STREAM, keys.WORKER_GROUP))["pending"] == 0

    # Where the keys are: each hash tag on exactly one node, the two brands on different ones.
    where = tags_by_node(redis_cluster)
    assert {"kesselberg", "bergblick", keys.NO_BRAND, "ingest", "incidents"} <= set(where)
    assert all(len(ports) == 1 for ports in where.values()), where
    assert where["kesselberg"] != where["bergblick"]
    assert where["incidents"] == {cluster_worker_redis.get_node_from_key(keys.INCIDENT_INDEX).port}


async def test_two_workers_on_the_cluster_share_the_stream_and_count_every_mention_once(
    redis_cluster, cluster_worker_redis, config
):
    records = saturday_storm().mentions
    mentions = [Mention.model_validate(r) for r in records]
    resolved = resolve(mentions, "webhook", config, BrandMatcher(config.brands))
    accepted = 0
    for i in range(0, len(resolved), 500):
        result = await append(MentionStream(cluster_worker_redis), resolved[i : i + 500], config, 0)
        accepted += result.accepted

    opened = []

    async def hook(event):
        if event.kind == "opened":
            opened.append(event.incident.id)

    other = connect(redis_cluster.url)  # a second process would have its own client
    await learn_slots(other)
    try:
        first = build_worker(config, cluster_worker_redis, Metrics(), hooks=[hook])
        second = build_worker(config, other, Metrics(), hooks=[hook])
        done = await asyncio.wait_for(asyncio.gather(first.drain(), second.drain()), timeout=45)
    finally:
        await other.aclose()

    assert all(n > 0 for n in done), done  # both took a share
    assert sum(done) == accepted == sum(expected_counts(config, records).values())
    expected = expected_counts(config, records)
    for brand in BRANDS:
        assert sum(r.mentions for r in await counted(cluster_worker_redis, config, brand)) == expected[brand], brand
    assert opened == ["kesselberg:1"]
    assert await cluster_worker_redis.xlen(keys.MENTION_STREAM) == 0
