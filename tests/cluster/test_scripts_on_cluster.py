"""store/scripts.py: one script, many calls — a pipeline on one server, one call per slot on a cluster."""

from __future__ import annotations

import pytest
import redis as sync_redis

from warner.store.connection import connect, learn_slots
from warner.store.scripts import run_script_calls

_INCR = "return redis.call('INCRBY', KEYS[1], ARGV[1]) + redis.call('SADD', KEYS[2], ARGV[1])"


def calls(n: int) -> list[tuple[list[str], list[int]]]:
    return [([f"t:{{b{i}}}:n", f"t:{{b{i}}}:s"], [i + 1]) for i in range(n)]


@pytest.fixture(params=["one server", "cluster"])
async def redis(request, redis_server, redis_cluster):
    client = connect(redis_server.url if request.param == "one server" else redis_cluster.url)
    await learn_slots(client)
    await client.flushall()
    yield client
    await client.aclose()


async def test_results_come_back_in_call_order(redis):
    script = redis.register_script(_INCR)
    assert await run_script_calls(redis, script, calls(40)) == [i + 2 for i in range(40)]
    assert await run_script_calls(redis, script, []) == []


async def test_on_the_cluster_calls_spread_over_the_nodes_and_survive_a_flushed_script_cache(
    redis_cluster, cluster_redis
):
    script = cluster_redis.register_script(_INCR)
    await run_script_calls(cluster_redis, script, calls(40))
    nodes = {cluster_redis.get_node_from_key(keys[0]).port for keys, _ in calls(40)}
    assert len(nodes) == 3
    for port in redis_cluster.ports:  # a failed-over or restarted node has an empty script cache
        with sync_redis.Redis(host="127.0.0.1", port=port) as node:
            node.script_flush()
    assert await run_script_calls(cluster_redis, script, calls(40)) == [2 * (i + 1) for i in range(40)]
