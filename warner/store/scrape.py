"""Gauges read from Redis when Prometheus scrapes, not kept up to date per mention.

The backlog and Redis' memory change all the time, but only their value at a scrape is
seen; reading them then costs one XLEN and one INFO per scrape (every 15–60 s), nothing on
the mention path. Every process serving /metrics (the API and each worker) reports them, so
an operator sees the backlog whichever process they scrape.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from warner.metrics import Metrics
from warner.store import keys

if TYPE_CHECKING:
    from warner.store.connection import RedisClient


async def refresh_store_gauges(metrics: Metrics, redis: RedisClient) -> None:
    """Set ``warner_stream_backlog`` and the Redis memory gauges; on a Redis error keep the last
    value (/readyz and the store gauges of the readiness check report the outage)."""
    with contextlib.suppress(RedisError):
        # Acknowledged entries are deleted (store/streams.py), so the stream's length is what the
        # consumer group has not finished: new entries and pending ones alike.
        metrics.backlog.set(int(await redis.xlen(keys.MENTION_STREAM)))
    with contextlib.suppress(RedisError):
        used, limit = await fullest_memory(redis)
        metrics.redis_used_memory.set(used)
        metrics.redis_maxmemory.set(limit)


async def fullest_memory(redis: RedisClient) -> tuple[int, int]:
    """``(used_memory, maxmemory)`` of the server nearest its limit: one server, or of a cluster's
    masters the fullest (a brand's data lives on one master, and that master refuses writes first)."""
    if isinstance(redis, RedisCluster):
        reply: Mapping[str, Any] = await redis.info("memory", target_nodes=RedisCluster.PRIMARIES)
    else:
        reply = await redis.info("memory")
    # A cluster answers per node ({name: fields}), unless one node answered: then like one server.
    servers = [reply] if "used_memory" in reply else [r for r in reply.values() if isinstance(r, Mapping)]
    figures = [(int(s.get("used_memory", 0)), int(s.get("maxmemory", 0))) for s in servers]
    return max(figures, key=_fill, default=(0, 0))


def _fill(figures: tuple[int, int]) -> tuple[float, int]:
    """Order by share of maxmemory used; servers without a limit by bytes, below any with one."""
    used, limit = figures
    return (used / limit if limit else -1.0, used)
