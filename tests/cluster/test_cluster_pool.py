"""On a cluster too, commands wait for a connection instead of failing (issue 17, defect 6).

redis-py's asyncio ``RedisCluster`` raises ``MaxConnectionsError`` once a node has
``max_connections`` connections busy; warner's cluster client (``store/cluster_pool.py``)
makes the command wait, as the single-server ``BlockingConnectionPool`` does.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from warner.store.connection import connect, learn_slots


async def test_300_concurrent_commands_and_pipelines_through_10_connections_per_node_all_succeed(redis_cluster):
    redis_cluster.flush()
    client = connect(redis_cluster.url, max_connections=10)
    await learn_slots(client)
    try:
        keys = [f"pool:{{k{i % 30}}}" for i in range(300)]  # 30 slots, spread over the three nodes

        async def pipelined(key: str) -> list[int]:
            async with client.pipeline(transaction=True) as pipe:
                pipe.incr(key).incr(key)
                return await pipe.execute()

        commands = [client.incr(k) for k in keys]
        pipelines = [pipelined(k) for k in keys]
        results = await asyncio.gather(*commands, *pipelines, return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        assert errors == []
        assert sum([int(await client.get(f"pool:{{k{j}}}")) for j in range(30)]) == 900
    finally:
        await client.aclose()


async def test_a_cluster_command_that_finds_every_connection_busy_fails_after_the_wait(redis_cluster):
    redis_cluster.flush()
    client = connect(redis_cluster.url, max_connections=2, pool_wait=0.3)
    await learn_slots(client)
    holders = [asyncio.create_task(client.blpop([f"pool:{{never}}{i}"], timeout=3)) for i in range(2)]
    try:
        await asyncio.sleep(0.2)
        started = time.monotonic()
        with pytest.raises(RedisConnectionError, match="No connection available"):
            await client.get("pool:{other}")
        assert 0.25 <= time.monotonic() - started < 2.0
    finally:
        for task in holders:
            task.cancel()
        await asyncio.gather(*holders, return_exceptions=True)
        await client.aclose()
