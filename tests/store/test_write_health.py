"""What a process's write health says, against the session's real redis-server.

The real-process timing is in tests/faults/test_readiness.py; here the rules: a failed real
write counts at once, a probe overrules it once it is older than ``every``, and a Redis that
answers PING but refuses writes for another reason (here: too few replicas) is not writable.
"""

from __future__ import annotations

import asyncio

from warner.metrics import Metrics
from warner.store import keys
from warner.store.write_health import WriteHealth


async def test_a_failed_write_counts_at_once_and_a_working_probe_clears_it(redis):
    metrics = Metrics()
    health = WriteHealth(redis, gauge=metrics.store_writable, every=0.2)
    assert await health.problem() is None
    assert metrics.registry.get_sample_value("warner_store_writable") == 1
    assert await redis.pttl(health.probe_keys[0]) > 0  # the probe key expires by itself

    health.failed(ConnectionError("Error 111 connecting to redis"))
    assert await health.problem() == "Error 111 connecting to redis"  # no probe yet: the real write is newer
    assert metrics.registry.get_sample_value("warner_store_writable") == 0
    await asyncio.sleep(0.25)
    assert await health.problem() is None  # probed again: writes work


async def test_redis_that_answers_ping_but_refuses_writes_is_not_writable(redis):
    health = WriteHealth(redis, [keys.INGEST_TAG, keys.TIMERS_TAG, keys.brand_tag("kesselberg")], every=0)
    await redis.config_set("min-replicas-to-write", 1)  # this server has none: every write is refused
    try:
        assert await redis.ping()
        problem = await health.problem()
    finally:
        await redis.config_set("min-replicas-to-write", 0)
    assert problem is not None and "NOREPLICAS" in problem
    assert await health.problem() is None


async def test_readyz_shows_the_telegram_pollers_health_without_it_deciding_readiness(redis):
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from warner.ingest.app import add_readiness_route
    from warner.notify.telegram.health import PollerHealth

    poller = PollerHealth()
    poller.polling, poller.up, poller.last_error = True, False, "Unauthorized"
    health = WriteHealth(redis)
    health.details = lambda: {"telegram_poller": poller.as_json()}
    app = web.Application()
    add_readiness_route(app, health)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        response = await client.get("/readyz")
        body = await response.json()
    assert response.status == 200 and body["status"] == "ready"  # the store takes writes: ready
    assert body["telegram_poller"]["up"] is False and body["telegram_poller"]["last_error"] == "Unauthorized"
