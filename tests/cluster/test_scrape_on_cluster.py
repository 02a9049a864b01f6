"""The gauges read at a scrape work on a cluster: the backlog from the stream's master, Redis
memory from the master nearest its maxmemory (each master answers INFO for itself)."""

from __future__ import annotations

from warner.metrics import Metrics
from warner.store import keys
from warner.store.scrape import refresh_store_gauges


async def test_a_scrape_reports_the_backlog_and_the_fullest_master_s_memory(cluster_redis):
    masters = list(cluster_redis.get_primaries())
    for node in masters:
        await cluster_redis.config_set("maxmemory", str(512 * 1024 * 1024), target_nodes=node)
    fullest = masters[1]
    await cluster_redis.config_set("maxmemory", str(64 * 1024 * 1024), target_nodes=fullest)
    try:
        await cluster_redis.xadd(keys.MENTION_STREAM, {"m": b"{}", "t": b"0"})
        metrics = Metrics()
        await refresh_store_gauges(metrics, cluster_redis)
        sample = metrics.registry.get_sample_value
        assert sample("warner_stream_backlog") == 1
        assert sample("warner_redis_maxmemory_bytes") == 64 * 1024 * 1024
        assert (sample("warner_redis_used_memory_bytes") or 0) > 0
    finally:
        for node in masters:
            await cluster_redis.config_set("maxmemory", "0", target_nodes=node)
