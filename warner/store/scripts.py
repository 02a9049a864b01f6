"""Running one Lua script many times, on a single Redis server or on a Redis Cluster.

On one server the calls go out in one non-transactional pipeline: one round trip. redis-py's
cluster pipeline refuses EVALSHA (it cannot know whether the script is loaded on the node a
slot lives on), so on a cluster each call is sent on its own — concurrently, at most
``CLUSTER_CONCURRENCY`` at a time (a node's connection pool is finite), each routed to the
node of its keys' slot. A script called directly loads itself on every primary the first
time a node answers NOSCRIPT, so a fresh or failed-over node needs nothing more.

Each call must keep its keys in one slot (one hash tag), which warner's key layout does;
the calls are independent of each other, as in a non-transactional pipeline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

CLUSTER_CONCURRENCY = 16

ScriptCall = tuple[Sequence[Any], Sequence[Any]]  # (keys, args)


async def run_script_calls(redis: RedisClient, script: AsyncScript, calls: Sequence[ScriptCall]) -> list[Any]:
    """The results of ``script(keys=…, args=…)`` for each call, in order."""
    if not calls:
        return []
    if isinstance(redis, RedisCluster):
        gate = asyncio.Semaphore(CLUSTER_CONCURRENCY)

        async def one(call: ScriptCall) -> Any:
            async with gate:
                return await script(keys=list(call[0]), args=list(call[1]))

        return list(await asyncio.gather(*(one(c) for c in calls)))
    async with redis.pipeline(transaction=False) as pipe:
        for keys, args in calls:
            await script(keys=list(keys), args=list(args), client=pipe)
        return list(await pipe.execute())
