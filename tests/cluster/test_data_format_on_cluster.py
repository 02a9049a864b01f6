"""The data-format check on a Redis Cluster: the lease and the format share ``{meta}``, so its scripts run."""

from __future__ import annotations

import asyncio

from warner.store import keys
from warner.store.connection import connect, learn_slots
from warner.store.data_format import ensure_data_format, stored_format


async def test_two_starters_on_a_cluster_migrate_once(redis_cluster, cluster_redis):
    async def step(client) -> None:
        await client.incr("test:{meta}:ran")
        await asyncio.sleep(0.2)

    other = connect(redis_cluster.url)
    await learn_slots(other)
    try:
        results = await asyncio.gather(
            ensure_data_format(cluster_redis, "redis+cluster://test", current=2, migrations={1: step}),
            ensure_data_format(other, "redis+cluster://test", current=2, migrations={1: step}),
        )
    finally:
        await other.aclose()
    assert results == [2, 2]
    assert await stored_format(cluster_redis) == 2
    assert await cluster_redis.get("test:{meta}:ran") == b"1"
    assert not await cluster_redis.exists(keys.DATA_FORMAT_LOCK)
